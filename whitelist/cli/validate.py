"""``whitelist validate``: run the data contract over a folder of sources."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import console, option_date, progress_bars, summary_table, written
from whitelist.sources.validate import validate_folder


def validate(
    raw: Path = typer.Option(..., "--raw", help="Folder of source files (Parquet or CSV)."),
    out: Path = typer.Option(..., "--out", help="Folder for valid sources, quarantine/ and quality.json."),
    end: str | None = typer.Option(
        None,
        "--end",
        help="Last day of the history window (YYYY-MM-DD): the day the data was exported; records dated "
        "later are quarantined. Inferred from the data when omitted. For a backtest keep the data whole "
        "and pick the date with `whitelist features --as-of`.",
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Encoding of the CSV files, e.g. gb18030; detected per file when omitted."
    ),
    memory_limit: str = typer.Option(
        "4GB", "--memory-limit", help="Memory DuckDB may use before spilling to disk."
    ),
) -> None:
    """Validate every source: quarantine bad rows with their reason and report data quality."""
    end_date = option_date(end, "--end")
    with progress_bars() as progress:
        result = validate_folder(
            raw, out, end=end_date, encoding=encoding, progress=progress, memory_limit=memory_limit
        )
    present = [r for r in result.sources if r.present]
    summary_table(
        f"Validated {result.raw}: window {result.window.start} to {result.window.end}",
        ["source", "read", "valid", "quarantined", "top reason", "values cleared", "coverage", "latest period"],
        [
            (
                r.name,
                r.rows_read,
                r.rows_valid,
                r.rows_quarantined,
                r.top_reason or "",
                r.fields_cleared,
                "" if r.coverage is None else f"{r.coverage:.1%}",
                r.latest_period.isoformat() if r.latest_period else "",
            )
            for r in present
        ],
    )
    window = result.window
    console.print(f"Window end {window.end}: {window.how}.", highlight=False)
    missing = [r.name for r in result.sources if not r.present]
    if missing:
        console.print(f"Missing sources: {', '.join(missing)}.", highlight=False)
    written(list(result.written))
