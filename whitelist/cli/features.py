"""``whitelist features``: point-in-time features for the visit list or a labelled panel."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import console, option_engine, progress_bars, summary_table, written
from whitelist.features.build import ENGINES, build_features, parse_as_of, validated_folder
from whitelist.features.engines.spark import spark_label
from whitelist.features.spec import load_features


def features(
    raw: Path = typer.Option(..., "--raw", help="Folder of sources, validated or raw (then validated first)."),
    as_of: str = typer.Option(
        ..., "--as-of", help="YYYY-MM-DD, a list A,B or a range of month ends FIRST..LAST."
    ),
    out: Path = typer.Option(..., "--out", help="Parquet file to write (manifest beside it)."),
    labels: bool = typer.Option(
        False, "--labels", help="Registry entities active at each date, with the default_12m label."
    ),
    config: Path | None = typer.Option(None, "--config", help="Feature definitions (default: the embedded ones)."),
    engine: str = typer.Option(
        "duckdb", "--engine", help="duckdb (this machine) or spark (the same plan on Spark; pyspark extra)."
    ),
    master: str | None = typer.Option(
        None, "--master", help="With --engine spark: a Spark master URL (default local[2], or spark-submit's session)."
    ),
    memory_limit: str = typer.Option("8GB", "--memory-limit", help="Memory DuckDB may use before spilling."),
) -> None:
    """Build features, one row per enterprise and as-of date."""
    option_engine(engine, master, ENGINES)
    dates = parse_as_of(as_of)
    spec = load_features(config)
    with progress_bars() as progress:
        folder = validated_folder(raw, out, progress)
        table = build_features(
            folder, dates, out, spec, labels=labels, memory_limit=memory_limit, progress=progress,
            engine=engine, master=master,
        )
    rows = [
        ("rows", table.rows),
        ("features", table.features),
        ("as-of dates", f"{table.as_of[0]} .. {table.as_of[-1]} ({len(table.as_of)})"),
        ("engine", engine if engine == "duckdb" else spark_label(master)),
    ]
    if labels:
        rows += [("labelled rows", table.labelled or 0), ("default rate", table.default_rate or 0.0)]
    summary_table("Features", ["measure", "value"], rows)
    if folder != raw:
        console.print(f"{raw} was not validated: validated it into {folder} (quarantine and quality.json there).")
    for warning in table.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {warning}", highlight=False)
    written([table.path, table.manifest, *([folder] if folder != raw else [])])
