"""The data-quality report: what each source held, what was kept, what was quarantined and why.

Written as ``quality.json`` beside the validated sources. Its counts reconcile (read = valid
+ quarantined, for every source), so no row leaves without a trace; values cleared in kept
rows are counted apart (``fields_cleared``), and it holds no clock
time or host name, so the same inputs give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from whitelist.core.io import write_json
from whitelist.sources.contract import REASON_CODES, Source
from whitelist.sources.parse import ident, sql_str
from whitelist.sources.window import Window

REJECT_ROW = "reject_row"
"""Quarantine action: the row is not in the validated source."""
CLEAR_FIELD = "clear_field"
"""Quarantine action: the row is kept with this column's value cleared (``Source.clears``)."""

VISIT_CODES = "_visit_codes"
"""Temporary table of the visit list's valid codes, the denominator of coverage."""


@dataclass(frozen=True, kw_only=True)
class SourceReport:
    """One source's outcome. A source absent from the raw folder has ``present`` False and zeros."""

    name: str
    present: bool
    file: Path | None = None
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    by_reason: tuple[tuple[str, int], ...] = ()
    """Quarantined rows per reason, in the contract's reason order, reasons with none left out."""
    fields_cleared: int = 0
    """Values cleared in rows that were kept (``Source.clears``); each is a quarantine record."""
    cleared_by_reason: tuple[tuple[str, int], ...] = ()
    late_arrivals: int | None = None
    """Valid rows received later than their period plus the source's lag; None without a received column."""
    first_period: date | None = None
    latest_period: date | None = None
    coverage: float | None = None
    """Share of the visit list's codes with at least one valid row here."""
    extra_columns: tuple[str, ...] = ()
    absent_columns: tuple[str, ...] = ()
    output: Path | None = None
    quarantine: Path | None = None

    @property
    def top_reason(self) -> str | None:
        """The reason that quarantined most rows (the earlier reason on a tie)."""
        if not self.by_reason:
            return None
        return max(self.by_reason, key=lambda kv: (kv[1], -REASON_CODES.index(kv[0])))[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "file": self.file.name if self.file else None,
            "format": self.format,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "quarantined_by_reason": dict(self.by_reason),
            "fields_cleared": self.fields_cleared,
            "cleared_by_reason": dict(self.cleared_by_reason),
            "late_arrivals": self.late_arrivals,
            "first_period": self.first_period.isoformat() if self.first_period else None,
            "latest_period": self.latest_period.isoformat() if self.latest_period else None,
            "visit_list_coverage": self.coverage,
            "extra_columns": list(self.extra_columns),
            "absent_columns": list(self.absent_columns),
            "output": self.output.name if self.output else None,
            "quarantine": f"quarantine/{self.quarantine.name}" if self.quarantine else None,
        }


def source_stats(
    con: duckdb.DuckDBPyConnection, source: Source, valid: Path, quarantine: Path
) -> dict[str, Any]:
    """Counts, period range and late arrivals of a source, read back from the files written."""
    rel = f"read_parquet({sql_str(str(valid))})"
    dc = ident(source.date_column) if source.date_column else "CAST(NULL AS DATE)"
    late = "CAST(NULL AS BIGINT)"
    if source.received_column:
        late = (
            f"count(*) FILTER (WHERE {ident(source.received_column)} > {dc} + INTERVAL {source.lag_days} DAY)"
        )
    rows_valid, first, latest, late_n = con.execute(
        f"SELECT count(*), min({dc}), max({dc}), {late} FROM {rel}"
    ).fetchone()  # type: ignore[misc]
    counts = {
        (action, reason): n
        for action, reason, n in con.execute(
            f"SELECT _action, _reason, count(*) FROM read_parquet({sql_str(str(quarantine))}) GROUP BY ALL"
        ).fetchall()
    }

    def per_reason(action: str) -> tuple[tuple[str, int], ...]:
        return tuple((code, int(counts[action, code])) for code in REASON_CODES if (action, code) in counts)

    rejected, cleared = per_reason(REJECT_ROW), per_reason(CLEAR_FIELD)
    return {
        "rows_valid": int(rows_valid),
        "rows_quarantined": sum(n for _, n in rejected),
        "by_reason": rejected,
        "fields_cleared": sum(n for _, n in cleared),
        "cleared_by_reason": cleared,
        "first_period": first,
        "latest_period": latest,
        "late_arrivals": None if late_n is None else int(late_n),
    }


def coverage(con: duckdb.DuckDBPyConnection, valid: Path) -> float | None:
    """Share of the visit list's valid codes that have at least one valid row in ``valid``."""
    total = con.execute(f"SELECT count(*) FROM {VISIT_CODES}").fetchone()[0]  # type: ignore[index]
    covered = con.execute(
        f"SELECT count(DISTINCT uscc) FROM read_parquet({sql_str(str(valid))}) "
        f"WHERE uscc IN (SELECT uscc FROM {VISIT_CODES})"
    ).fetchone()[0]  # type: ignore[index]
    return round(covered / total, 6) if total else None


def totals(reports: tuple[SourceReport, ...]) -> dict[str, Any]:
    """Counts over all present sources, and which sources were missing."""
    def summed(pairs: list[tuple[str, int]]) -> dict[str, int]:
        total: dict[str, int] = {}
        for code, n in pairs:
            total[code] = total.get(code, 0) + n
        return {code: total[code] for code in REASON_CODES if code in total}

    return {
        "rows_read": sum(r.rows_read for r in reports),
        "rows_valid": sum(r.rows_valid for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "quarantined_by_reason": summed([kv for r in reports for kv in r.by_reason]),
        "fields_cleared": sum(r.fields_cleared for r in reports),
        "cleared_by_reason": summed([kv for r in reports for kv in r.cleared_by_reason]),
        "late_arrivals": sum(r.late_arrivals or 0 for r in reports),
        "sources_present": [r.name for r in reports if r.present],
        "sources_missing": [r.name for r in reports if not r.present],
    }


def write_report(
    target: Path, raw: Path, window: Window, reports: tuple[SourceReport, ...], files: dict[str, str]
) -> Path:
    """Write ``quality.json``: the window, every source in contract order, the totals, and every file's hash
    (``files``: relative path -> SHA-256), by which later stages refuse a folder that is not what was written."""
    payload = {
        "raw": str(raw),
        "files": files,
        "window": window.to_dict(),
        "sources": {r.name: r.to_dict() for r in reports},
        "totals": totals(reports),
        "reasons": list(REASON_CODES),
    }
    return write_json(target, payload)
