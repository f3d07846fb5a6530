"""``whitelist promote``: challenger -> champion, only when the gates pass and someone else approves."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import summary_table, written


def promote(
    version: str = typer.Option(..., "--version", help="Registered version of whitelist-pd to promote."),
    approved_by: str = typer.Option(..., "--approved-by", help="Name of the person approving (not the trainer)."),
    config: Path | None = typer.Option(
        None, "--config", help="Training config whose gates apply (default: the packaged configs/train.yaml)."
    ),
    note: str = typer.Option("", "--note", help="Why the model is promoted, e.g. the validation report's reference."),
) -> None:
    """Re-check the validation gates of a registered version, move the champion alias, and log who approved."""
    from whitelist.training.config import load_train_config
    from whitelist.training.registry import CHAMPION, MODEL_NAME
    from whitelist.training.registry import promote as promote_version

    gates = load_train_config(config).gates
    record = promote_version(version, approved_by, gates, note=note)
    summary_table(
        f"Gates of {MODEL_NAME} version {version}",
        ["gate", "value", "limit", "result"],
        [
            (c.gate, "n/a" if c.value is None else round(c.value, 4), f"{'>=' if c.rule == 'min' else '<='} {c.limit:g}", "pass")
            for c in record["checks"]
        ],
    )
    summary_table(
        "Promotion",
        ["", ""],
        [
            ("champion", f"models:/{MODEL_NAME}@{CHAMPION} -> version {version}"),
            ("previous champion", record["previous_champion"] or "none"),
            ("approved by", record["approved_by"]),
            ("trained by", record["trained_by"] or "unknown"),
            ("log record", f"#{record['sequence']}"),
        ],
        text=True,
    )
    written([record["log"]])
