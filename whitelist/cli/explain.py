"""``whitelist explain`` and ``whitelist report``: HTML pages from a run folder."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import summary_table, written


def explain(
    run: Path = typer.Option(..., "--run", help="Run folder written by `whitelist score`."),
    uscc: str = typer.Option(..., "--uscc", help="The enterprise's unified social credit code."),
    out: Path | None = typer.Option(None, "--out", help="HTML file (default: RUN/explanations/<uscc>.html)."),
) -> None:
    """One decision as a self-contained HTML page: rules checked, contributions, reasons, inputs."""
    from whitelist.explain.page import write_decision_page

    path = write_decision_page(run, uscc.strip().upper(), out)
    summary_table("Decision page", ["measure", "value"], [("enterprise", uscc), ("size (KB)", round(path.stat().st_size / 1024))])
    written([path])


def report(
    run: Path = typer.Option(..., "--run", help="Run folder written by `whitelist score`."),
    out: Path | None = typer.Option(None, "--out", help="HTML file (default: RUN/report.html)."),
) -> None:
    """The compliance report of a run: model card, importance, reasons, segments, stability, rules, reconciliation."""
    from whitelist.explain.report import write_report

    path = write_report(run, out)
    summary_table("Compliance report", ["measure", "value"], [("size (KB)", round(path.stat().st_size / 1024))])
    written([path])
