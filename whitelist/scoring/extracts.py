"""Per-branch extracts for account managers: who to visit, in what order, and why.

A run folder holds ``extracts/<bank>/<branch>.xlsx`` and ``.csv``: each branch sees only its
own enterprises, personal data (legal representative's name, phone) is masked because the
files leave the risk team's systems, and headers, decisions and reasons are in Chinese and
English. The columns are declared once, as data, so the workbook and the CSV cannot drift.

Formats, identical in both files: limits are whole yuan; rates and PDs are percentages with
two decimals (the CSV writes ``"4.25%"``, the workbook stores ``0.0425`` with format
``0.00%``); dates are ISO ``YYYY-MM-DD`` (real Excel dates in the workbook). The CSV is UTF-8
with a BOM, so Excel detects the encoding, and ends lines with ``\\r\\n`` (RFC 4180, what Excel
writes); text starting with ``= + - @`` is prefixed with ``'`` there so Excel never runs it
as a formula (the workbook stores text as text, so it needs no prefix).

Equal input gives equal bytes: the workbook is assembled in memory, so xlsxwriter stamps
every zip entry with its fixed 1980-01-01 time, and its creation date is the ``created``
argument (the run date), never the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xlsxwriter

from whitelist.core.decisions import DECISION_ZH
from whitelist.core.errors import ConfigError, InputDataError, preview
from whitelist.core.io import atomic_path, write_bytes

Kind = Literal["text", "money", "rate", "date", "int", "pd"]
N_REASONS = 4
DEFAULT_CREATED = dt.datetime(2000, 1, 1)
"""Workbook creation time when the caller gives no run date: a constant, never the clock."""

VISIT_FOCUS_LABELS: Mapping[bool, str] = {True: "是 / yes", False: "否 / no"}
ABOUT_SHEET = "说明 About"
MASKED_NOTE = (
    "个人信息（法定代表人姓名、联系电话）已脱敏。",
    "Personal data (legal representative's name, phone) is masked.",
)


@dataclass(frozen=True, kw_only=True)
class ExtractColumn:
    """One column of an extract: the input column it shows, its two-language header, its kind."""

    source: str
    header_zh: str
    header_en: str
    kind: Kind = "text"

    @property
    def header(self) -> str:
        return f"{self.header_zh} / {self.header_en}"


EXTRACT_COLUMNS: tuple[ExtractColumn, ...] = (
    ExtractColumn(source="uscc", header_zh="统一社会信用代码", header_en="USCC"),
    ExtractColumn(source="name", header_zh="企业名称", header_en="Name"),
    ExtractColumn(source="legal_rep_name", header_zh="法定代表人", header_en="Legal representative"),
    ExtractColumn(source="phone", header_zh="联系电话", header_en="Phone"),
    ExtractColumn(source="entity_type", header_zh="主体类型", header_en="Entity type"),
    ExtractColumn(source="industry", header_zh="行业", header_en="Industry"),
    ExtractColumn(source="region", header_zh="地区", header_en="Region"),
    ExtractColumn(source="decision", header_zh="决定", header_en="Decision"),
    ExtractColumn(source="visit_focus", header_zh="重点走访", header_en="Visit focus"),
    ExtractColumn(source="limit", header_zh="额度(元)", header_en="Limit (CNY)", kind="money"),
    ExtractColumn(source="rate", header_zh="利率", header_en="Rate", kind="rate"),
    ExtractColumn(source="grade", header_zh="等级", header_en="Grade"),
    ExtractColumn(source="pd", header_zh="违约概率", header_en="PD", kind="pd"),
    ExtractColumn(source="points", header_zh="评分", header_en="Points", kind="int"),
    ExtractColumn(source="segments", header_zh="客群", header_en="Segments"),
    *(
        ExtractColumn(source=f"reason_{i}", header_zh=f"原因{i}", header_en=f"Reason {i}")
        for i in range(1, N_REASONS + 1)
    ),
    ExtractColumn(source="contact_by", header_zh="首次联系截止", header_en="Contact by", kind="date"),
    ExtractColumn(source="process_by", header_zh="办理截止", header_en="Process by", kind="date"),
    ExtractColumn(source="valid_until", header_zh="有效期至", header_en="Valid until", kind="date"),
    ExtractColumn(source="priority_rank", header_zh="优先顺序", header_en="Priority", kind="int"),
)

REQUIRED_COLUMNS: tuple[str, ...] = (
    *(c.source for c in EXTRACT_COLUMNS),
    *(f"reason_{i}_text_{lang}" for i in range(1, N_REASONS + 1) for lang in ("zh", "en")),
    "bank",
    "branch",
)


def mask_person_name(value: str | None) -> str | None:
    """Keep the first character so a manager can greet the person; hide the rest."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str | None) -> str | None:
    """Keep the carrier prefix (3) and last 4 characters, enough to confirm a number; hide the rest."""
    if not value:
        return value
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return value[0] + "*" * (len(value) - 1)


def _missing(value: Any) -> bool:
    """None, NaN, NA or NaT; called for every cell, so the common cases come first."""
    if value is None:
        return True
    if isinstance(value, (str, int, dt.date)):
        return False
    if isinstance(value, float):
        return value != value
    return bool(pd.isna(value))


def _as_date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _round(value: Any, places: str, scale: int = 1) -> Decimal:
    """Round half up from the float's shortest repr, so 0.04125 becomes 4.13%, not 4.12%."""
    return (Decimal(repr(float(value))) * scale).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _percent(value: Any) -> str:
    return "" if _missing(value) else f"{_round(value, '0.01', scale=100)}%"


def _csv_text(value: Any) -> str:
    text = "" if _missing(value) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True, kw_only=True)
class _KindFormat:
    """How one kind of value is written: as CSV text, as a workbook value, with which format."""

    csv: Callable[[Any], str]
    cell: Callable[[Any], Any]
    writer: str
    num_format: str | None = None


_KINDS: Mapping[str, _KindFormat] = {
    "text": _KindFormat(csv=_csv_text, cell=lambda v: None if _missing(v) else str(v), writer="write_string"),
    "money": _KindFormat(
        csv=lambda v: "" if _missing(v) else str(int(_round(v, "1"))),
        cell=lambda v: None if _missing(v) else int(_round(v, "1")),
        writer="write_number",
        num_format="#,##0",
    ),
    "rate": _KindFormat(
        csv=_percent,
        cell=lambda v: None if _missing(v) else float(v),
        writer="write_number",
        num_format="0.00%",
    ),
    "pd": _KindFormat(
        csv=_percent,
        cell=lambda v: None if _missing(v) else float(v),
        writer="write_number",
        num_format="0.00%",
    ),
    "int": _KindFormat(
        csv=lambda v: "" if _missing(v) else str(int(v)),
        cell=lambda v: None if _missing(v) else int(v),
        writer="write_number",
    ),
    "date": _KindFormat(
        csv=lambda v: "" if (d := _as_date(v)) is None else d.isoformat(),
        cell=_as_date,
        writer="write_datetime",
        num_format="yyyy-mm-dd",
    ),
}


def _reasons(frame: pd.DataFrame, i: int) -> list[str | None]:
    """``CODE: 中文 / English`` per row, leaving out whichever text is absent; None when no reason."""
    code, zh, en = (frame[c].astype("string").replace("", pd.NA) for c in
                    (f"reason_{i}", f"reason_{i}_text_zh", f"reason_{i}_text_en"))
    both = zh + " / " + en
    texts = both.fillna(zh).fillna(en)
    shown = (code + ": " + texts).fillna(code)
    return [None if v is None or v is pd.NA else str(v) for v in shown.astype(object)]


def _display(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Every extract column as managers see it: masked, labelled in both languages, reasons spelled out."""
    shown: dict[str, list[Any]] = {c.source: frame[c.source].tolist() for c in EXTRACT_COLUMNS}
    shown["legal_rep_name"] = [mask_person_name(None if _missing(v) else str(v)) for v in shown["legal_rep_name"]]
    shown["phone"] = [mask_phone(None if _missing(v) else str(v)) for v in shown["phone"]]
    shown["decision"] = [f"{DECISION_ZH[d]} / {d}" for d in shown["decision"]]
    shown["visit_focus"] = [v if _missing(v) else VISIT_FOCUS_LABELS[bool(v)] for v in shown["visit_focus"]]
    for i in range(1, N_REASONS + 1):
        shown[f"reason_{i}"] = _reasons(frame, i)
    return shown


@dataclass(frozen=True)
class _Prepared:
    """One column, formatted once for the whole selection: CSV text, workbook value, display width."""

    csv: list[str]
    cells: list[Any]
    widths: np.ndarray


def _prepare(frame: pd.DataFrame) -> dict[str, _Prepared]:
    shown = _display(frame)
    out = {}
    for column in EXTRACT_COLUMNS:
        kind = _KINDS[column.kind]
        values = shown[column.source]
        texts = [kind.csv(v) for v in values]
        out[column.source] = _Prepared(
            csv=texts,
            cells=[kind.cell(v) for v in values],
            widths=np.fromiter((_width(t) for t in texts), dtype=np.int64, count=len(texts)),
        )
    return out


def _check_file_name(kind: str, value: Any) -> str:
    """Bank and branch ids become paths: refuse anything that could leave the extracts folder."""
    ok = (
        isinstance(value, str)
        and value != ""
        and not value.startswith(".")
        and ".." not in value
        and all(ch.isalnum() or ch in "-_." for ch in value)
    )
    if not ok:
        shown = None if _missing(value) else value  # pandas may hold a missing id as NaN
        raise InputDataError(
            f"{kind} id {shown!r} cannot be used as a file name; expected letters, digits, '-', '_' or '.' "
            "(not starting with '.'); fix the branch assignment"
        )
    return value


def _sheet_name(branch: str) -> str:
    """Excel allows 31 UTF-16 units, none of ``[]:*?/\\``, and reserves 'History'."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in branch).strip("'") or "branch"
    while len(name.encode("utf-16-le")) > 62:
        name = name[:-1]
    return name + "_" if name.lower() == "history" else name


@functools.lru_cache(maxsize=1 << 16)
def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_csv(path: Path, prepared: dict[str, _Prepared], rows: np.ndarray) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in EXTRACT_COLUMNS])
    columns = [prepared[c.source].csv for c in EXTRACT_COLUMNS]
    writer.writerows([col[r] for col in columns] for r in rows)
    write_bytes(path, buffer.getvalue().encode("utf-8-sig"))


def _write_xlsx(
    path: Path,
    prepared: dict[str, _Prepared],
    rows: np.ndarray,
    bank: str,
    branch: str,
    counts: Mapping[str, int],
    created: dt.datetime,
) -> None:
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp), {"in_memory": True})
        workbook.set_properties({"title": f"{bank} {branch}", "author": "whitelist", "created": created})
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        formats = {
            k: workbook.add_format({"num_format": f.num_format}) for k, f in _KINDS.items() if f.num_format
        }

        sheet = workbook.add_worksheet(_sheet_name(branch))
        for col, column in enumerate(EXTRACT_COLUMNS):
            kind, values = _KINDS[column.kind], prepared[column.source]
            sheet.write_string(0, col, column.header, header)
            write, fmt = getattr(sheet, kind.writer), formats.get(column.kind)
            cells = values.cells
            for r, i in enumerate(rows.tolist(), start=1):
                value = cells[i]
                if value is not None:
                    write(r, col, value, fmt)
            widest = max(_width(column.header), int(values.widths[rows].max()) if len(rows) else 0)
            sheet.set_column(col, col, min(widest + 2, 60))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(rows), len(EXTRACT_COLUMNS) - 1)

        about = workbook.add_worksheet(ABOUT_SHEET)
        lines: list[tuple[str, str | int]] = [("银行 / Bank", bank), ("网点 / Branch", branch)]
        lines += [(f"{DECISION_ZH[d]}户数 / {d} rows", n) for d, n in counts.items()]
        lines += [("合计 / Total", len(rows))]
        for r, (label, value) in enumerate(lines):
            about.write_string(r, 0, label, header)
            (about.write_number if isinstance(value, int) else about.write_string)(r, 1, value)
        for r, note in enumerate(MASKED_NOTE, start=len(lines) + 1):
            about.write_string(r, 0, note)
        about.set_column(0, 0, 28)
        about.set_column(1, 1, max(_width(bank), _width(branch), 10) + 2)
        workbook.close()


def write_extracts(
    whitelist: pd.DataFrame,
    folder: Path,
    *,
    decisions: tuple[str, ...] = ("whitelist", "review"),
    created: dt.date | None = None,
    workers: int = 1,
) -> list[Path]:
    """Write ``folder/<bank>/<branch>.xlsx`` and ``.csv`` for every branch with a selected row.

    ``created`` (the run date) becomes the workbook's creation date, so reruns are
    byte-identical. ``workers`` > 1 writes branches in that many forked processes (same
    bytes). Returns the paths written, sorted; nothing is written when no row is selected.
    """
    unknown = [d for d in decisions if d not in DECISION_ZH]
    if unknown:
        raise ConfigError(f"decisions: unknown {preview(unknown)}; expected some of {preview(DECISION_ZH)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in whitelist.columns]
    if missing:
        raise InputDataError(
            f"whitelist frame: missing column(s) {preview(missing)}; the scoring run must supply every "
            "extract column before extracts are written"
        )
    if isinstance(created, dt.datetime):
        stamp = created
    elif created is not None:
        stamp = dt.datetime.combine(created, dt.time())
    else:
        stamp = DEFAULT_CREATED

    selected = whitelist.loc[whitelist["decision"].isin(decisions), list(REQUIRED_COLUMNS)]
    for kind in ("bank", "branch"):
        for value in selected[kind].drop_duplicates():
            _check_file_name(kind, value)
    order = selected.assign(_contact=pd.to_datetime(selected["contact_by"].map(_as_date)))
    order = order.sort_values(["_contact", "priority_rank", "uscc"], na_position="last", kind="stable")
    order = order.reset_index(drop=True)
    prepared = _prepare(order)
    decision = order["decision"].to_numpy()

    jobs: list[_Job] = []
    for (bank, branch), positions in order.groupby(["bank", "branch"], sort=True).indices.items():
        rows = np.sort(positions)  # the sorted order within the branch
        counts = {d: int((decision[rows] == d).sum()) for d in decisions}
        jobs.append(_Job(folder=Path(folder), bank=bank, branch=branch, rows=rows, counts=counts, created=stamp))
    written = _run_jobs(jobs, prepared, workers)
    return sorted(written)


@dataclass(frozen=True)
class _Job:
    folder: Path
    bank: str
    branch: str
    rows: np.ndarray
    counts: dict[str, int]
    created: dt.datetime

    def run(self, prepared: dict[str, _Prepared]) -> list[Path]:
        xlsx, csv_path = self.folder / self.bank / f"{self.branch}.xlsx", self.folder / self.bank / f"{self.branch}.csv"
        _write_xlsx(xlsx, prepared, self.rows, self.bank, self.branch, self.counts, self.created)
        _write_csv(csv_path, prepared, self.rows)
        return [xlsx, csv_path]


_SHARED: dict[str, Any] = {}
"""What forked workers read instead of receiving it pickled: the prepared columns and the jobs."""


def _run_share(index: list[int]) -> list[Path]:
    return [p for i in index for p in _SHARED["jobs"][i].run(_SHARED["prepared"])]


def _run_jobs(jobs: list[_Job], prepared: dict[str, _Prepared], workers: int) -> list[Path]:
    """Write every branch's files; with ``workers`` > 1, branches are shared among forked processes.

    Each file depends only on its own rows, so the bytes are the same however the work is split.
    xlsxwriter is pure Python, so processes (not threads) are what uses a second core.
    """
    import multiprocessing

    if workers <= 1 or len(jobs) < 2 * workers or "fork" not in multiprocessing.get_all_start_methods():
        return [p for job in jobs for p in job.run(prepared)]
    from concurrent.futures import ProcessPoolExecutor

    shares = [list(range(i, len(jobs), workers * 4)) for i in range(workers * 4)]
    _SHARED.update(jobs=jobs, prepared=prepared)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [p for paths in pool.map(_run_share, shares) for p in paths]
    finally:
        _SHARED.clear()
