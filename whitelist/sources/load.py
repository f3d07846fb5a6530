"""Find the source files in a folder, check their headers, and stage them for DuckDB.

A raw folder holds one file per source, named after it: ``tax.parquet`` or ``tax.csv``.
Parquet is read where it lies; CSV (as government systems export it, often GB18030) is
streamed once into a staging Parquet file of text columns plus ``_row``, its 1-based row
number, so validation reads every source the same way and never holds one in memory.
Headers are checked before any data is read, so a missing column fails in seconds.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from whitelist.core.errors import InputDataError, preview
from whitelist.sources.contract import SOURCES, Source
from whitelist.sources.parse import ident, sql_str

log = logging.getLogger(__name__)

Format = Literal["parquet", "csv"]

SUFFIXES: dict[str, Format] = {".parquet": "parquet", ".csv": "csv"}
"""File name endings a source may have, and the format each means."""

REQUIRED_SOURCES: tuple[str, ...] = ("registry", "visit_list")
"""Without the entities and the list to scan there is nothing to validate against or score."""

ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")
"""Tried in order when no encoding is given: UTF-8, then the national standard (a superset of GBK)."""

ACCEPTED_ENCODINGS: dict[str, str] = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030", "gbk": "gbk"}
"""What government exports use (Python's codec name -> the name reported). Anything else (latin-1,
UTF-16, ...) would read Chinese text as garbage without an error, so it is refused."""


def accepted_encoding(encoding: str) -> str:
    """The codec to read with for a given ``--encoding``, or an error listing the accepted ones."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in ACCEPTED_ENCODINGS:
        raise InputDataError(
            f"--encoding: expected one of utf-8, utf-8-sig, gb18030, gbk (what government exports use), "
            f"got {encoding!r}; re-export the files in one of them"
        )
    return ACCEPTED_ENCODINGS[name]

DELIMITERS: tuple[str, ...] = (",", "\t", "|", ";")
"""Candidate CSV delimiters; the one the header line uses most wins."""

SNIFF_BYTES = 1 << 20
"""Bytes read to detect a CSV's encoding and delimiter and to parse its header."""

BLOCK_BYTES = 16 << 20
"""CSV bytes parsed at a time while staging: bounds memory whatever the file's size."""


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    """A source's file in a raw folder, and how its header lines up with the contract."""

    source: Source
    path: Path
    format: Format
    encoding: str | None
    """The CSV's text encoding (given or detected); None for Parquet."""
    delimiter: str | None
    columns: tuple[str, ...]
    """The file's column names, as written."""
    mapping: tuple[tuple[str, int], ...]
    """Contract column name -> position in ``columns``, for the contract columns present."""
    extra_columns: tuple[str, ...]
    """Columns the contract does not declare: ignored, and reported."""
    absent_columns: tuple[str, ...]
    """Optional contract columns the file does not have: read as empty."""

    @property
    def present(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.mapping)


@dataclass(frozen=True, kw_only=True)
class Malformed:
    """A CSV line with the wrong number of fields: it cannot be read, so it is quarantined whole."""

    expected: int
    actual: int
    text: str
    row: int | None = None
    """Its 1-based row number among the file's data rows, as every other row's ``_row``."""


@dataclass(frozen=True, kw_only=True)
class Staged:
    """A source ready for SQL: ``relation`` yields ``_row`` and the contract columns present."""

    file: SourceFile
    relation: str
    rows: int
    """Rows read from the file, malformed lines included."""
    malformed: tuple[Malformed, ...] = ()


def locate_source(raw: Path, name: str) -> Path | None:
    """The file holding source ``name`` in ``raw``, or None when the folder has none."""
    found = [raw / f"{name}{suffix}" for suffix in SUFFIXES if (raw / f"{name}{suffix}").is_file()]
    if len(found) > 1:
        raise InputDataError(
            f"{raw}: expected one file for the {name!r} source, got {preview(p.name for p in found)}; "
            "keep one and move the other away"
        )
    return found[0] if found else None


def find_sources(raw: Path, *, encoding: str | None = None) -> dict[str, SourceFile]:
    """Inspect every source file in ``raw``, in contract order, failing on any unusable header.

    Raises ``InputDataError`` when the folder is missing, a required source is absent, or a
    file lacks required columns; every offending file is named in one message.
    """
    if not raw.is_dir():
        raise InputDataError(f"{raw}: expected a folder of source files, got no such folder; check --raw")
    if encoding is not None:
        encoding = accepted_encoding(encoding)
    files: dict[str, SourceFile] = {}
    problems: list[str] = []
    for src in SOURCES:
        try:
            path = locate_source(raw, src.name)
            if path is not None:
                files[src.name] = inspect_file(path, src, encoding=encoding)
            elif src.name in REQUIRED_SOURCES:
                problems.append(
                    f"{raw}: expected {src.name}.parquet or {src.name}.csv (the {src.name} source is "
                    f"required), got neither; the folder holds "
                    f"{preview(sorted(p.name for p in raw.iterdir())) or 'no files'}; "
                    f"export the {src.name} source into it"
                )
        except InputDataError as exc:
            problems.append(str(exc))
    if problems:
        raise InputDataError("\n".join(problems))
    return files


def inspect_file(path: Path, source: Source, *, encoding: str | None = None) -> SourceFile:
    """Read a source file's header and line it up with the contract."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputDataError(f"{path}: expected a {' or '.join(SUFFIXES)} file, got {path.suffix!r}")
    delimiter = None
    if fmt == "parquet":
        try:
            columns = tuple(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as exc:
            raise InputDataError(
                f"{path}: expected a Parquet file, got one that cannot be read ({exc}); re-export it"
            ) from exc
    else:
        encoding, delimiter, columns = _csv_header(path, encoding)
    return _line_up(path, source, fmt, encoding if fmt == "csv" else None, delimiter, columns)


def _line_up(
    path: Path,
    source: Source,
    fmt: Format,
    encoding: str | None,
    delimiter: str | None,
    columns: tuple[str, ...],
) -> SourceFile:
    """Match file columns to contract columns (ignoring case, spaces and a byte-order mark)."""
    declared = set(source.column_names)
    positions: dict[str, list[int]] = {}
    extra = []
    for i, col in enumerate(columns):
        key = col.strip().lstrip("\ufeff").strip().lower()
        if key in declared:
            positions.setdefault(key, []).append(i)
        else:
            extra.append(col)
    repeated = [name for name, pos in positions.items() if len(pos) > 1]
    if repeated:
        raise InputDataError(
            f"{path}: expected each column once, got {preview(repeated)} more than once; "
            "drop the extra copies from the export"
        )
    missing = [name for name in source.required_columns if name not in positions]
    if missing:
        read_as = f" (read as {encoding})" if encoding else ""
        raise InputDataError(
            f"{path}: expected the {source.name} source's required column(s) {preview(missing, limit=20)}, "
            f"which the file lacks; it has {len(columns)} column(s){read_as}: {preview(columns, limit=50)}; "
            "rename the columns to the contract's names (docs/data-contract.md) or re-export the file"
        )
    mapping = tuple((c.name, positions[c.name][0]) for c in source.columns if c.name in positions)
    absent = tuple(c.name for c in source.columns if c.name not in positions)
    if extra:
        log.info(
            "%s: ignoring %d column(s) the contract does not declare: %s", path, len(extra), preview(extra)
        )
    return SourceFile(
        source=source,
        path=path,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        mapping=mapping,
        extra_columns=tuple(extra),
        absent_columns=absent,
    )


def _csv_header(path: Path, encoding: str | None) -> tuple[str, str, tuple[str, ...]]:
    """Detect (or apply) the encoding, then the delimiter, and parse the header row."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        while b"\n" not in head and (more := fh.read(SNIFF_BYTES)):
            head += more  # the header row at least, however long
    complete = b"\n" not in head or len(head) < SNIFF_BYTES
    if not head.strip():
        raise InputDataError(f"{path}: expected a header row naming the columns, got an empty file")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputDataError(
            f"{path}: expected UTF-8, GB18030 or GBK text, got UTF-16 (its byte-order mark); re-export the file as UTF-8"
        )
    candidates: tuple[str, ...] = (encoding,) if encoding is not None else ENCODINGS
    for enc in candidates:
        try:
            text = codecs.getincrementaldecoder(enc)().decode(head, final=complete)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputDataError(
            f"{path}: expected text in {' or '.join(repr(e) for e in candidates)}, got bytes that are "
            "neither; pass the file's encoding (--encoding) or re-export it as UTF-8"
        )
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return enc, delimiter, tuple(header)


def stage(file: SourceFile, work: Path) -> Staged:
    """Make a source readable by SQL as ``_row`` plus its contract columns, under their contract names."""
    if file.format == "parquet":
        rows = pq.ParquetFile(file.path).metadata.num_rows
        cols = ", ".join(f"{ident(file.columns[i])} AS {ident(name)}" for name, i in file.mapping)
        relation = (
            f"(SELECT file_row_number + 1 AS _row, {cols} "
            f"FROM read_parquet({sql_str(str(file.path))}, file_row_number = true))"
        )
        return Staged(file=file, relation=relation, rows=rows)
    target = work / f"{file.source.name}.staged.parquet"
    try:
        rows, malformed = _stage_csv(file, target)
    except pa.ArrowInvalid as exc:
        if file.encoding != "utf-8" or "UTF8" not in str(exc):
            raise InputDataError(
                f"{file.path}: expected a CSV readable as {file.encoding}, got: {exc}; "
                "pass the right encoding (--encoding) or re-export the file"
            ) from exc
        log.info("%s: not UTF-8 past the first %d bytes; reading it as gb18030", file.path, SNIFF_BYTES)
        file = replace(file, encoding="gb18030")
        return stage(file, work)
    if malformed:
        malformed = _renumber(file, target, malformed)
    relation = f"(SELECT * FROM read_parquet({sql_str(str(target))}))"
    return Staged(file=file, relation=relation, rows=rows + len(malformed), malformed=tuple(malformed))


def _renumber(file: SourceFile, target: Path, malformed: list[Malformed]) -> list[Malformed]:
    """Give every row its number in the file, malformed lines counted, as a data owner counts them.

    The CSV reader skips a malformed line without saying where it was, so staged rows are first
    numbered as if it were not there. Only when a file has such lines, one more pass finds them (a
    record whose field count differs from the header's, read as the reader reads records) and a
    second rewrites the staged numbers: a good row's number grows by the malformed lines before it.
    """
    width = len(file.columns)
    found: list[int] = []
    with open(file.path, encoding=file.encoding or "utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=file.delimiter or ",")
        next(reader, None)
        for number, record in enumerate(reader, start=1):
            if record and len(record) != width:
                found.append(number)
    if len(found) != len(malformed):  # the two readers disagree: keep the reader's count, number nothing
        log.warning("%s: %d malformed lines found but %d skipped; their row numbers are left empty",
                    file.path, len(found), len(malformed))
        return malformed
    before = np.asarray(found, dtype=np.int64) - np.arange(1, len(found) + 1)  # good rows before each
    table = pq.read_table(target)
    rows = table.column("_row").to_numpy()
    shifted = rows + np.searchsorted(before, rows, side="left")
    renumbered = table.set_column(0, "_row", pa.array(shifted, pa.int64()))
    pq.write_table(renumbered, target, compression="lz4")
    return [replace(m, row=n) for m, n in zip(malformed, found, strict=True)]


def _stage_csv(file: SourceFile, target: Path) -> tuple[int, list[Malformed]]:
    """Stream the CSV into ``target`` as text columns plus ``_row``; return rows and malformed lines."""
    positional = [f"c{i}" for i in range(len(file.columns))]
    wanted = [positional[i] for _, i in file.mapping]
    malformed: list[Malformed] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed.append(Malformed(expected=row.expected_columns, actual=row.actual_columns, text=row.text))
        return "skip"

    reader = pacsv.open_csv(
        file.path,
        read_options=pacsv.ReadOptions(
            encoding=file.encoding or "utf-8", block_size=BLOCK_BYTES, skip_rows=1, column_names=positional
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=file.delimiter or ",", newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in wanted},
            include_columns=wanted,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    schema = pa.schema([("_row", pa.int64())] + [(name, pa.string()) for name, _ in file.mapping])
    rows = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(target, schema, compression="lz4") as writer:
        for batch in reader:
            n = batch.num_rows
            if not n:
                continue
            arrays = [pa.array(np.arange(rows + 1, rows + n + 1, dtype=np.int64)), *batch.columns]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += n
    return rows, malformed
