"""``whitelist predict``: id, pd, points and grade for every row of a table."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import option_engine, summary_table, written


def predict(
    model: str = typer.Option(
        ..., "--model", help="Model folder, or a registered model such as models:/whitelist-pd@champion."
    ),
    table: Path = typer.Option(..., "--table", help="Parquet or CSV table with the model's features."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write."),
    engine: str = typer.Option("local", "--engine", help="local (this process) or spark (partitions scored on Spark)."),
    master: str | None = typer.Option(
        None, "--master", help="With --engine spark: a Spark master URL (default local[2], or spark-submit's session)."
    ),
) -> None:
    """Score every row: PD, scorecard points and grade, beside the id column."""
    option_engine(engine, master, ("local", "spark"))
    import pyarrow as pa

    from whitelist.core.io import write_parquet
    from whitelist.models.artefact import ModelArtefact
    from whitelist.training.registry import resolve_model
    from whitelist.training.table import read_table

    model_dir = resolve_model(model)
    if engine == "spark":
        from whitelist.models.distributed import predict_on_spark

        scored = predict_on_spark(model_dir, table, master=master)
    else:
        scored = ModelArtefact.load(model_dir).predict_with_id(read_table(table), source=str(table))
    write_parquet(out, pa.Table.from_pandas(scored, preserve_index=False))
    summary_table(
        "Predictions",
        ["measure", "value"],
        [("rows", len(scored)), ("mean PD", round(float(scored["pd"].mean()), 5))]
        + [(f"grade {g}", int(n)) for g, n in scored["grade"].value_counts().sort_index().items()],
    )
    written([out])
