"""``whitelist demo``: the whole job on a synthetic province, with the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import console, progress_bars, summary_table
from whitelist.sources.synthetic import SyntheticConfig, generate_province
from whitelist.sources.validate import validate_folder


def demo(
    enterprises: int = typer.Option(20_000, "--enterprises", "-n", min=1_000, help="Entities to generate."),
    out: Path = typer.Option(Path("demo"), "--out", help="Folder to lay the demo out in."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic province."),
) -> None:
    """Generate a province, validate it, and show where everything is."""
    raw, validated = out / "raw", out / "validated"
    with progress_bars() as progress:
        generated = generate_province(SyntheticConfig(enterprises=enterprises, seed=seed), raw, progress=progress)
        checked = validate_folder(raw, validated, progress=progress)
    truth = generated.truth_summary
    read = sum(r.rows_read for r in checked.sources)
    quarantined = sum(r.rows_quarantined for r in checked.sources)
    summary_table(
        "Demo",
        ["stage", "result", "where"],
        [
            ("generate", f"{enterprises:,} entities, {truth['active_at_end']:,} active at the end", raw),
            ("validate", f"{read:,} rows read, {quarantined:,} quarantined", validated),
            ("quality report", "per source: rows, reasons, coverage, latest period", validated / "quality.json"),
        ],
    )
    console.print(
        "Next stages (features, train, score, explain, report) arrive with their issues; "
        f"their outputs will be laid out under {out}/."
    )
