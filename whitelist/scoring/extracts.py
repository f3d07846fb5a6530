"""Per-branch extracts for account managers: who to visit, in what order, and why.

A run folder holds ``extracts/<bank>/<branch>.xlsx`` and ``.csv``: each branch sees only its
own enterprises, personal data (legal representative's name, phone) is masked because the
files leave the risk team's systems, and headers, decisions and reasons are in Chinese and
English. The columns are declared once, as data, so the workbook and the CSV cannot drift.

Formats, identical in both files: limits are whole yuan; rates and PDs are percentages with
two decimals (the CSV writes ``"4.25%"``, the workbook stores ``0.0425`` with format
``0.00%``); dates are ISO ``YYYY-MM-DD`` (real Excel dates in the workbook). Rounding is half
up from the number's shortest decimal form, so 0.04125 is 4.13%, not 4.12%. The CSV is UTF-8
with a BOM, so Excel detects the encoding, and ends lines with ``\\r\\n`` (RFC 4180, what Excel
writes); text starting with ``= + - @`` is prefixed with ``'`` there so Excel never runs it
as a formula (the workbook stores text as text, so it needs no prefix).

A province has hundreds of thousands of rows to write, so every column is formatted for all
rows at once with Arrow's string kernels, each row's XML and CSV line is built in bulk, and a
branch's file is a slice of those bytes wrapped by ``workbook.py``. Branches are rendered in
batches of about ``BATCH_ROWS`` rows to bound memory, and written by threads (zlib and file
writes release the GIL). Equal input gives equal bytes: the workbook's zip entries carry a
fixed time and its creation date is the ``created`` argument (the run date), never the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from whitelist.core.decisions import DECISION_ZH
from whitelist.core.errors import ConfigError, InputDataError, preview
from whitelist.core.io import write_bytes
from whitelist.scoring import workbook as wb
from whitelist.sources.contract import CONTRACT

Kind = Literal["text", "money", "rate", "date", "int", "pd"]
N_REASONS = 4
DEFAULT_CREATED = dt.datetime(2000, 1, 1)
"""Workbook creation time when the caller gives no run date: a constant, never the clock."""
BATCH_ROWS = 8_000
"""Rows rendered at once (a batch's XML is about 1.5 KB a row): small enough that the first
branches are being written while the rest still render, large enough to keep Arrow's per-call
cost small."""
PENDING_BATCHES = 2
"""Rendered batches waiting for the writers at most, which bounds the memory the bytes take."""
MAX_WIDTH = 60

VISIT_FOCUS_LABELS: Mapping[bool, str] = {True: "是 / yes", False: "否 / no"}
ABOUT_SHEET = "说明 About"
MASKED_NOTE = (
    "个人信息（法定代表人姓名、联系电话）已脱敏。",
    "Personal data (legal representative's name, phone) is masked.",
)
FORMULA_START = r"^[=+\-@\t\r]"
"""Text Excel would run as a formula when it opens a CSV."""


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
STYLES: Mapping[Kind, int] = {
    "text": 0, "int": 0, "money": wb.MONEY_STYLE, "rate": wb.PERCENT_STYLE, "pd": wb.PERCENT_STYLE,
    "date": wb.DATE_STYLE,
}


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


# --- Arrow text helpers ------------------------------------------------------------------------

NULL_TEXT = pa.scalar(None, pa.string())


def _join(*parts: Any) -> pa.Array:
    """Concatenate text arrays and constants element-wise; null where any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def _stars(texts: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(texts, "(?s).", "*")


def _text(values: pd.Series) -> pa.Array:
    """Values as Arrow text; None, NaN, NA and '' are absent (null)."""
    texts = pa.array(values.astype("string"), pa.string())
    return pc.if_else(pc.equal(texts, ""), NULL_TEXT, texts)


def mask_names(texts: pa.Array) -> pa.Array:
    """``mask_person_name`` for a whole column."""
    return _join(pc.utf8_slice_codeunits(texts, 0, 1), _stars(pc.utf8_slice_codeunits(texts, 1)))


def mask_phones(texts: pa.Array) -> pa.Array:
    """``mask_phone`` for a whole column."""
    long = _join(pc.utf8_slice_codeunits(texts, 0, 3), _stars(pc.utf8_slice_codeunits(texts, 3, -4)),
                 pc.utf8_slice_codeunits(texts, -4))
    return pc.if_else(pc.greater_equal(pc.utf8_length(texts), 8), long, mask_names(texts))


MASKS: dict[str, Callable[[pa.Array], pa.Array]] = {"first_char": mask_names, "phone": mask_phones}
"""How each of the contract's mask kinds is applied to a column."""
PERSONAL: dict[str, Callable[[pa.Array], pa.Array]] = {
    c.name: MASKS[c.mask] for c in CONTRACT["registry"].columns if c.pii
}
"""Registry columns the contract marks personal, and the mask each is shown with: nothing personal is
written in clear, whatever an extract's columns become."""


def display_width(texts: pa.Array) -> np.ndarray:
    """Columns each text takes in a sheet, about: characters of three or more UTF-8 bytes (CJK,
    full-width forms) count twice. Counted from byte and character lengths, with no per-character
    pass; it only sizes columns. 0 when absent."""
    chars = pc.utf8_length(texts).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    size = pc.binary_length(texts).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return chars + (size - chars) // 2


def _xml_text(texts: pa.Array) -> pa.Array:
    """Text as XML element content; the rare text needing Excel's ``_xHHHH_`` escapes goes through Python.

    A text over Excel's cell limit is cut to it with a marker first (``workbook.fit_cell``).
    """
    long = pc.greater(pc.utf8_length(texts), wb.CELL_CHARS).fill_null(False)
    if pc.any(long).as_py():
        cut = _join(pc.utf8_slice_codeunits(texts, 0, wb.CELL_CHARS - len(wb.TRUNCATED)), wb.TRUNCATED)
        texts = pc.if_else(long, cut, texts)
    escaped = texts
    if pc.any(pc.match_substring_regex(texts, "[&<>]")).as_py():  # one scan; most columns need no escape
        for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = pc.replace_substring(escaped, raw, entity)
    unsafe = pc.match_substring_regex(texts, wb.UNSAFE_TEXT).fill_null(False)
    if not pc.any(unsafe).as_py():
        return escaped
    values = escaped.to_numpy(zero_copy_only=False).copy()
    originals = texts.to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(unsafe.to_numpy(zero_copy_only=False)):
        values[i] = wb.escape_text(originals[i])
    return pa.array(values, pa.string())


def _csv_field(texts: pa.Array) -> pa.Array:
    """RFC 4180 quoting, as Python's csv writer does it: only fields holding ``" , CR LF`` are quoted."""
    texts = texts.fill_null("")
    quoted = _join('"', pc.replace_substring(texts, '"', '""'), '"')
    return pc.if_else(pc.match_substring_regex(texts, '[",\r\n]'), quoted, texts)


# --- numbers and dates -------------------------------------------------------------------------


def half_up(values: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Each value rounded half up to ``decimals`` places from its shortest decimal form, as an integer
    count of 10**-decimals, and where it is present. Exact in integers for values with at most
    9 decimals (all the engine writes); any other value takes the Decimal route.
    """
    x = np.asarray(values, dtype=float)
    present = np.isfinite(x)
    k = np.rint(np.where(present, x, 0.0) * 1e9)
    exact = present & (np.abs(k) < 2.0**53) & (k / 1e9 == x)
    k = np.where(exact, k, 0.0)  # the others are done below, and may not fit an int64
    unit = 10 ** (9 - decimals)
    units = np.sign(k).astype(np.int64) * ((np.abs(k).astype(np.int64) + unit // 2) // unit)
    for i in np.flatnonzero(present & ~exact):
        scaled = Decimal(repr(float(x[i]))) * 10**decimals
        units[i] = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return np.where(present, units, 0), present


def _int_text(numbers: np.ndarray, present: np.ndarray) -> pa.Array:
    return pa.array(numbers, pa.int64(), mask=~present).cast(pa.string())


def _percent_text(units: np.ndarray, present: np.ndarray) -> pa.Array:
    """Hundredths of a percent as ``4.25%``."""
    whole, cents = np.divmod(np.abs(units), 100)
    sign = pa.array(np.where(units < 0, "-", ""), pa.string())
    cents_text = pc.utf8_lpad(_int_text(cents, present), 2, "0")
    return _join(sign, _int_text(whole, present), ".", cents_text, "%")


def _date_days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of dates, datetimes or timestamps (time of day dropped), and presence."""
    days = pd.to_datetime(values, errors="raise").to_numpy().astype("datetime64[D]")
    present = ~np.isnat(days)
    return np.where(present, days.astype(np.int64), 0), present


# --- one batch of rows, rendered ------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One column for a batch of rows: CSV field, the parts of the cell's XML after its reference
    (joined once with the reference, so the rows' XML is copied as few times as possible), display width."""

    csv: pa.Array
    cell: tuple[pa.Array | str, ...]
    width: np.ndarray


def _text_column(texts: pa.Array, style: int = 0) -> _Column:
    shown = pc.if_else(pc.match_substring_regex(texts, FORMULA_START).fill_null(False), _join("'", texts), texts)
    styled = f' s="{style}"' if style else ""
    return _Column(
        csv=_csv_field(shown),
        cell=(f'"{styled}{wb.TEXT_CELL}', _xml_text(texts), wb.TEXT_END),
        width=display_width(shown),
    )


def _number_column(csv_text: pa.Array, value_text: pa.Array, style: int) -> _Column:
    styled = f' s="{style}"' if style else ""
    return _Column(
        csv=csv_text.fill_null(""),
        cell=(f'"{styled}><v>', value_text, "</v></c>"),
        width=display_width(csv_text),
    )


def _reasons(frame: pd.DataFrame, i: int) -> pa.Array:
    """``CODE: 中文 / English`` per row, leaving out whichever text is absent; null when no reason."""
    code, zh, en = (_text(frame[c]) for c in (f"reason_{i}", f"reason_{i}_text_zh", f"reason_{i}_text_en"))
    texts = pc.coalesce(_join(zh, " / ", en), zh, en)
    return pc.coalesce(_join(code, ": ", texts), code)


def _render(frame: pd.DataFrame, column: ExtractColumn) -> _Column:
    source, kind = frame[column.source], column.kind
    if kind == "money":
        units, present = half_up(pd.to_numeric(source).to_numpy(dtype=float, na_value=np.nan), 0)
        text = _int_text(units, present)
        return _number_column(text, text, STYLES[kind])
    if kind in ("rate", "pd"):
        numbers = pd.to_numeric(source).to_numpy(dtype=float, na_value=np.nan)
        units, present = half_up(numbers, 4)
        shortest = pa.array(numbers, pa.float64(), mask=~present).cast(pa.string())
        return _number_column(_percent_text(units, present), shortest, STYLES[kind])
    if kind == "int":
        numbers = pd.to_numeric(source)
        present = numbers.notna().to_numpy()
        text = _int_text(numbers.fillna(0).to_numpy().astype(np.int64), present)
        return _number_column(text, text, STYLES[kind])
    if kind == "date":
        days, present = _date_days(source)
        iso = pa.array(days.astype("datetime64[D]"), pa.date32(), mask=~present).cast(pa.string())
        serial = _int_text(days + (dt.date(1970, 1, 1) - wb.EXCEL_EPOCH).days, present)
        return _number_column(iso, serial, STYLES[kind])
    masked = PERSONAL.get(column.source)
    if masked is not None:
        return _text_column(masked(_text(source)))
    if column.source == "decision":
        return _text_column(_text(source.map({d: f"{zh} / {d}" for d, zh in DECISION_ZH.items()})))
    if column.source == "visit_focus":
        return _text_column(_text(source.map(lambda v: VISIT_FOCUS_LABELS[bool(v)] if pd.notna(v) else None)))
    if column.source.startswith("reason_"):
        return _text_column(_reasons(frame, int(column.source.removeprefix("reason_"))))
    return _text_column(_text(source))


def _buffer(texts: pa.Array) -> tuple[np.ndarray, memoryview]:
    """A string array's offsets and bytes, so a run of rows is one slice of its memory."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1, offset=texts.offset * 4)
    data = texts.buffers()[2]
    return offsets, memoryview(data if data is not None else b"")


@dataclass(frozen=True)
class _Branch:
    bank: str
    branch: str
    start: int
    stop: int
    counts: dict[str, int]


@dataclass(frozen=True)
class _Batch:
    """Rendered rows of consecutive branches: each branch's rows are one slice of the line bytes."""

    xlsx_offsets: np.ndarray
    xlsx: memoryview
    csv_offsets: np.ndarray
    csv: memoryview
    widths: list[np.ndarray]


def _render_batch(frame: pd.DataFrame, row_numbers: np.ndarray) -> _Batch:
    rendered = [_render(frame, c) for c in EXTRACT_COLUMNS]
    numbers = pa.array(row_numbers, pa.int64()).cast(pa.string())
    cells = [
        _join(f'<c r="{wb.column_letter(j)}', numbers, *col.cell).fill_null("") for j, col in enumerate(rendered)
    ]
    xlsx = _join('<row r="', numbers, '">', *cells, "</row>")
    fields = [col.csv for col in rendered]
    fields[-1] = _join(fields[-1], "\r\n")  # the line end on the last field: one copy of it, not of every line
    lines = pc.binary_join_element_wise(*fields, ",")
    xlsx_offsets, xlsx_bytes = _buffer(xlsx)
    csv_offsets, csv_bytes = _buffer(lines)
    return _Batch(xlsx_offsets, xlsx_bytes, csv_offsets, csv_bytes, [col.width for col in rendered])


# --- files ---------------------------------------------------------------------------------


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
        shown = None if value is None or (isinstance(value, float) and value != value) else value
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


HEADERS = pa.array([c.header for c in EXTRACT_COLUMNS], pa.string())
HEADER_WIDTHS = display_width(HEADERS)
HEADER_ROW = wb.row_xml(1, [wb.text_cell(j, 1, c.header, wb.HEADER_STYLE) for j, c in enumerate(EXTRACT_COLUMNS)])


def _csv_header() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in EXTRACT_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


CSV_HEADER = _csv_header()


def _about_sheet(bank: str, branch: str, counts: Mapping[str, int], total: int) -> wb.Sheet:
    lines: list[tuple[str, str | int]] = [("银行 / Bank", bank), ("网点 / Branch", branch)]
    lines += [(f"{DECISION_ZH[d]}户数 / {d} rows", n) for d, n in counts.items()]
    lines += [("合计 / Total", total)]
    rows = []
    for r, (label, value) in enumerate(lines, start=1):
        shown = wb.number_cell(1, r, value) if isinstance(value, int) else wb.text_cell(1, r, value)
        rows.append(wb.row_xml(r, [wb.text_cell(0, r, label, wb.HEADER_STYLE), shown]))
    for r, note in enumerate(MASKED_NOTE, start=len(lines) + 2):
        rows.append(wb.row_xml(r, [wb.text_cell(0, r, note)]))
    ids = display_width(pa.array([bank, branch], pa.string()))
    return wb.Sheet(
        name=ABOUT_SHEET, rows="".join(rows).encode(), n_rows=len(lines) + 1 + len(MASKED_NOTE), n_cols=2,
        widths=(28, max(int(ids.max()), 10) + 2),
    )


def _write_branch(folder: Path, batch: _Batch, job: _Branch, created: dt.datetime) -> list[Path]:
    a, b = job.start, job.stop
    widths = [
        min(max(int(head), int(w[a:b].max()) if b > a else 0) + 2, MAX_WIDTH)
        for head, w in zip(HEADER_WIDTHS, batch.widths, strict=True)
    ]
    rows = HEADER_ROW.encode() + batch.xlsx[batch.xlsx_offsets[a]:batch.xlsx_offsets[b]].tobytes()
    sheet = wb.Sheet(name=_sheet_name(job.branch), rows=rows, n_rows=b - a + 1, n_cols=len(EXTRACT_COLUMNS),
                     widths=widths, frozen_header=True, autofilter=True)
    about = _about_sheet(job.bank, job.branch, job.counts, b - a)
    book = wb.workbook_bytes([sheet, about], title=f"{job.bank} {job.branch}", author="whitelist", created=created)
    lines = CSV_HEADER + batch.csv[batch.csv_offsets[a]:batch.csv_offsets[b]].tobytes()
    stem = folder / job.bank / job.branch
    return [write_bytes(stem.with_name(f"{job.branch}.xlsx"), book), write_bytes(stem.with_name(f"{job.branch}.csv"), lines)]


def _batches(branches: list[_Branch]) -> Iterator[list[_Branch]]:
    """Consecutive branches, about ``BATCH_ROWS`` rows at a time (a bigger branch alone)."""
    batch: list[_Branch] = []
    for job in branches:
        if batch and job.stop - batch[0].start > BATCH_ROWS:
            yield batch
            batch = []
        batch.append(job)
    if batch:
        yield batch


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
    byte-identical. ``workers`` threads write branches (same bytes however many). Returns the
    paths written, sorted; nothing is written when no row is selected.
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
    # A branch's rows are consecutive, in the order managers work them: contact date, priority, code.
    days, present = _date_days(selected["contact_by"])
    contact = pd.Series(np.where(present, days, np.nan), index=selected.index)
    order = selected.assign(_contact=contact).sort_values(
        ["bank", "branch", "_contact", "priority_rank", "uscc"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    branches = _branches(order, decisions)
    written: list[Path] = []
    with ThreadPoolExecutor(max(workers, 1)) as pool:
        # A batch renders while the workers compress and write the one before: Arrow's kernels and
        # zlib both release the GIL, so the two overlap. A branch's bytes do not depend on its batch.
        jobs: list[list[Future[list[Path]]]] = []
        for batch in _batches(branches):
            while len(jobs) > PENDING_BATCHES:  # bounded memory: wait for the oldest batch's files
                for job in jobs.pop(0):
                    written += job.result()
            start, stop = batch[0].start, batch[-1].stop
            part = order.iloc[start:stop].reset_index(drop=True)
            local = [
                _Branch(j.bank, j.branch, j.start - start, j.stop - start, j.counts) for j in batch
            ]
            numbers = np.concatenate([np.arange(2, j.stop - j.start + 2) for j in local])
            rendered = _render_batch(part, numbers)
            jobs.append([pool.submit(_write_branch, Path(folder), rendered, job, stamp) for job in local])
        for pending in jobs:
            for job in pending:
                written += job.result()
    return sorted(written)


def _branches(order: pd.DataFrame, decisions: tuple[str, ...]) -> list[_Branch]:
    """The branches of rows sorted by bank and branch, each with its slice and counts by decision."""
    if order.empty:
        return []
    keys = order["bank"].astype(str) + "\x00" + order["branch"].astype(str)
    bounds = np.flatnonzero(keys.to_numpy()[1:] != keys.to_numpy()[:-1]) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(order)]])
    decision = order["decision"].to_numpy()
    bank, branch = order["bank"].to_numpy(), order["branch"].to_numpy()
    return [
        _Branch(bank[a], branch[a], int(a), int(b), {d: int((decision[a:b] == d).sum()) for d in decisions})
        for a, b in zip(starts, stops, strict=True)
    ]
