"""The history window: from contract.MIN_DATE to the last month the data covers.

Dates after the window end are typos or test records (a year typed as 2042), and features
must not see them. When the caller does not give the end, it is the latest month end whose
row count across the monthly sources reaches a share of the median month's: a handful of
stray future dates cannot move it, while the real last month, even thinned by lags, does.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from whitelist.core.errors import InputDataError
from whitelist.sources.contract import MIN_DATE
from whitelist.sources.load import Staged
from whitelist.sources.parse import describe, ident, typed_select

MONTHLY_GRAINS = ("month", "month_per_loan")
"""Grains whose date column counts rows per month for the inference."""

MIN_SHARE = 0.10
"""A month counts as covered when it holds at least this share of the median month's rows."""


@dataclass(frozen=True, kw_only=True)
class Window:
    """The dates a validated folder covers, and how the end was found."""

    start: date
    end: date
    inferred: bool
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "inferred": self.inferred,
            "how": self.how,
        }


def infer_end(counts: Mapping[date, int], min_share: float = MIN_SHARE) -> date | None:
    """The latest month whose count reaches ``min_share`` of the median month's; None without counts."""
    months = {m: n for m, n in counts.items() if n > 0}
    if not months:
        return None
    floor = min_share * statistics.median(months.values())
    return max(m for m, n in months.items() if n >= floor)


def month_counts(con: duckdb.DuckDBPyConnection, staged: list[Staged]) -> dict[date, int]:
    """Rows per month end of each source's date column, summed over ``staged``."""
    selects = []
    for s in staged:
        src = s.file.source
        if src.date_column is None or src.date_column not in s.file.present:
            continue
        typed = typed_select(src, describe(con, s.relation), s.relation)
        selects.append(f"SELECT last_day({ident(src.date_column)}) AS m FROM ({typed}) WHERE m IS NOT NULL")
    if not selects:
        return {}
    rows = con.execute(f"SELECT m, count(*) FROM ({' UNION ALL '.join(selects)}) GROUP BY m").fetchall()
    return {m: int(n) for m, n in rows}


def resolve_window(con: duckdb.DuckDBPyConnection, staged: list[Staged], end: date | None) -> Window:
    """The window for a folder: ``end`` when given, otherwise inferred from the monthly sources."""
    start = date.fromisoformat(MIN_DATE)
    if end is not None:
        if end < start:
            raise InputDataError(
                f"window end: expected a date after {MIN_DATE}, got {end.isoformat()}; check --end"
            )
        return Window(start=start, end=end, inferred=False, how="given, not inferred")
    monthly = [s for s in staged if s.file.source.grain in MONTHLY_GRAINS]
    used, counts = monthly, month_counts(con, monthly)
    if not counts:
        used = [s for s in staged if s.file.source.date_column is not None]
        counts = month_counts(con, used)
    inferred = infer_end(counts)
    if inferred is None:
        raise InputDataError(
            "window end: expected dates in the sources to infer it from, got none that can be read; "
            "pass the last month of the data with --end YYYY-MM-DD"
        )
    median = statistics.median(n for n in counts.values() if n > 0)
    later = sum(1 for m in counts if m > inferred)
    names = ", ".join(s.file.source.name for s in used)
    how = (
        f"the latest month end with at least {MIN_SHARE:.0%} of the median month's "
        f"{median:,.0f} rows in {names}"
        + (f"; {later} later month(s) with fewer rows are out of the window" if later else "")
    )
    return Window(start=start, end=inferred, inferred=True, how=how)
