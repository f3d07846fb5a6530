"""``whitelist generate``: write a synthetic province in the data contract's layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from whitelist.cli.ui import progress_bars, summary_table, written
from whitelist.core.config import load_config, parse_config
from whitelist.core.errors import ConfigError


def generate(
    enterprises: int = typer.Option(..., "--enterprises", "-n", min=1, help="Entities in the registry."),
    out: Path = typer.Option(..., "--out", help="Folder to write the sources into."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same files, byte for byte."),
    months: int = typer.Option(60, "--months", min=13, max=240, help="Months of history."),
    end: str = typer.Option("2024-12-31", "--end", help="Last month of history (YYYY-MM-DD, a month end)."),
    fmt: str = typer.Option("parquet", "--format", help="parquet, or csv as government exports arrive."),
    encoding: str = typer.Option("utf-8", "--encoding", help="CSV encoding, e.g. gb18030."),
    config: Path | None = typer.Option(None, "--config", help="YAML overriding generator parameters."),
    defects: bool = typer.Option(True, "--defects/--no-defects", help="Inject data-quality defects."),
) -> None:
    """Generate a synthetic province: every source, the visit list and the hidden truth."""
    from whitelist.sources.synthetic import SyntheticConfig, generate_province

    base = load_config(SyntheticConfig, config) if config else SyntheticConfig()
    try:
        end_date = date.fromisoformat(end)
    except ValueError:
        raise ConfigError(f"--end: expected a date as YYYY-MM-DD, got {end!r}") from None
    if fmt not in ("parquet", "csv"):
        raise ConfigError(f"--format: expected 'parquet' or 'csv', got {fmt!r}")
    overrides: dict[str, object] = {
        "enterprises": enterprises,
        "seed": seed,
        "months": months,
        "end": end_date,
        "format": fmt,
        "encoding": encoding,
    }
    if not defects:
        overrides["defects"] = base.defects.none()
    cfg = parse_config(SyntheticConfig, {**base.model_dump(), **overrides}, source="command line")
    with progress_bars() as progress:
        result = generate_province(cfg, out, progress=progress)
    summary_table(
        f"Synthetic province: {cfg.enterprises:,} entities, seed {cfg.seed}, "
        f"{cfg.months} months to {cfg.end}",
        ["file", "rows"],
        [(p.name, n) for p, n in result.rows.items()],
    )
    summary_table(
        "Hidden truth",
        ["measure", "value"],
        [(k, v) for k, v in result.truth_summary.items()],
    )
    written(list(result.rows))
