"""A progress protocol, so library code reports progress without knowing about terminals.

Libraries log and never print; the CLI passes a Rich-backed reporter, tests pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def task(self, description: str, total: float | None) -> int: ...

    def advance(self, task_id: int, amount: float = 1) -> None: ...


class NullProgress:
    """Reports nothing: the default for library calls."""

    def task(self, description: str, total: float | None) -> int:
        return 0

    def advance(self, task_id: int, amount: float = 1) -> None:
        return None
