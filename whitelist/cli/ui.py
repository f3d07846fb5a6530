"""Rich output shared by the commands: progress bars, summary tables, written paths."""

from __future__ import annotations

import contextlib
import sys
from datetime import date
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# Piped output (CI logs, files) gets a wide page instead of Rich's 80 columns.
console = Console(stderr=False, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


class RichProgress:
    """Adapts rich.progress.Progress to the library's Progress protocol."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def task(self, description: str, total: float | None) -> int:
        return int(self._progress.add_task(description, total=total))

    def advance(self, task_id: int, amount: float = 1) -> None:
        self._progress.advance(task_id, amount)  # type: ignore[arg-type]


@contextlib.contextmanager
def progress_bars() -> Iterator[RichProgress]:
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    with bars:
        yield RichProgress(bars)


def summary_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, text: bool = False
) -> None:
    """A Rich table; numbers right-aligned unless ``text``; long values (paths) wrap, never cut."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 or text else "right", overflow="fold")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)


def option_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD command-line option as a date; a wrong one fails naming the option."""
    from whitelist.core.errors import ConfigError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option}: expected a date as YYYY-MM-DD, got {value!r}") from None


def option_engine(engine: str, master: str | None, engines: Sequence[str]) -> None:
    """The ``--engine`` and ``--master`` options: a known engine, and a master only for Spark."""
    from whitelist.core.errors import ConfigError

    if engine not in engines:
        raise ConfigError(f"--engine: expected one of {', '.join(engines)}, got {engine!r}")
    if master and engine != "spark":
        raise ConfigError("--master: only with --engine spark")


def option_method(value: str) -> Literal["treeshap", "pred_contrib"]:
    """The ``--contributions`` option: one of the exact TreeSHAP methods, else an error naming it."""
    from whitelist.core.errors import ConfigError

    if value == "treeshap" or value == "pred_contrib":
        return value
    raise ConfigError(f"--contributions: expected treeshap or pred_contrib, got {value!r}")


def written(paths: Sequence[Path | str]) -> None:
    console.print("[bold]Wrote:[/bold]")
    for p in paths:
        console.print(f"  {p}")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
