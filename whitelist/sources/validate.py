"""Validate a folder of sources: keep the valid rows typed, quarantine the rest with a reason.

Everything runs in DuckDB with a memory limit and a spill folder, source by source, so a
province of hundreds of millions of rows validates on one machine. Per source:

1. the row checks of ``checks.py`` give each row the first check it fails (one pass over the
   file, kept as a temporary table of typed values);
2. among the rows that pass, exact copies of an earlier row are ``duplicate_row`` and other
   rows sharing a key are ``duplicate_key`` but the one received last (then the later row);
   only keys whose hash occurs twice are examined, so this costs one aggregation;
3. valid rows are written to ``OUT/<source>.parquet`` with the declared types, in contract
   column order, sorted by key; quarantined rows to ``OUT/quarantine/<source>.parquet`` with
   their original text, ``_row``, ``_action``, ``_reason``, ``_column`` and ``_detail``. A defect
   in a value the record may lack clears that value and keeps the row (``clear_field``); any
   other rejects the row (``reject_row``), so one bad capital figure never loses an enterprise.

The registry goes first (other sources' codes must be on one of its rows), the visit list
second (coverage is measured against it). A validated folder has a raw folder's layout, so
every later stage reads either.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from whitelist.core.errors import ConfigError, InputDataError, preview
from whitelist.core.io import LEFTOVER, atomic_dir, atomic_path, file_sha256, remove_dead_leftovers
from whitelist.core.progress import NullProgress, Progress
from whitelist.core.uscc import problem
from whitelist.sources.checks import (
    DUPLICATE_REASONS,
    REGISTRY_CODES,
    USCC_MACROS,
    Check,
    Context,
    cleared_columns,
    first_failure_sql,
    lookup_sql,
    row_checks,
)
from whitelist.sources.contract import SOURCES, Column, Source
from whitelist.sources.load import Malformed, SourceFile, Staged, find_sources, stage
from whitelist.sources.parse import Kind, describe, ident, install, sql_str, typed_select
from whitelist.sources.quality import (
    CLEAR_FIELD,
    REJECT_ROW,
    VISIT_CODES,
    SourceReport,
    coverage,
    source_stats,
    write_report,
)
from whitelist.sources.window import Window, resolve_window

log = logging.getLogger(__name__)

QUALITY_REPORT = "quality.json"

QUARANTINE_DIR = "quarantine"
REGISTRY = "registry"
"""The source whose rows name the known entities (``unknown_entity``)."""
VISIT_LIST = "visit_list"
"""The source whose valid codes are the denominator of coverage."""
FIRST: tuple[str, ...] = (REGISTRY, VISIT_LIST)
"""Validated before the others, which are checked and measured against them."""

STEPS = ("stage", "check", "deduplicate", "write", "report")
"""What progress counts per source."""

COPY_OPTIONS = "(FORMAT parquet, COMPRESSION zstd)"


@dataclass(frozen=True, kw_only=True)
class ValidationResult:
    """What ``validate_folder`` found and wrote: one report per contract source, in contract order."""

    raw: Path
    out: Path
    window: Window
    sources: tuple[SourceReport, ...]
    report: Path

    def source(self, name: str) -> SourceReport:
        for r in self.sources:
            if r.name == name:
                return r
        raise KeyError(f"no source named {name!r} in the result")

    @property
    def written(self) -> tuple[Path, ...]:
        """Every file written: valid sources, quarantine files, then the quality report."""
        outputs = [r.output for r in self.sources if r.output]
        quarantines = [r.quarantine for r in self.sources if r.quarantine]
        return (*outputs, *quarantines, self.report)


def output_path(out: Path, name: str) -> Path:
    """Where the valid rows of source ``name`` go."""
    return out / f"{name}.parquet"


def quarantine_path(out: Path, name: str) -> Path:
    """Where the quarantined rows of source ``name`` go."""
    return out / QUARANTINE_DIR / f"{name}.parquet"


def validate_folder(
    raw: Path,
    out: Path,
    *,
    end: date | None = None,
    encoding: str | None = None,
    progress: Progress = NullProgress(),  # noqa: B008 - stateless default
    memory_limit: str = "4GB",
    threads: int = 2,
) -> ValidationResult:
    """Validate every source in ``raw`` and write valid rows, quarantine and ``quality.json`` to ``out``.

    ``end`` closes the history window (inferred from the monthly sources when None);
    ``encoding`` forces the CSV encoding (detected per file when None). Raises
    ``InputDataError`` when a required source or column is missing.
    """
    raw, out = Path(raw), Path(out)
    if out.resolve() == raw.resolve():
        raise InputDataError(
            f"{out}: expected an output folder apart from the raw folder, got the same; pick another --out"
        )
    _check_replaceable(out)
    files = find_sources(raw, encoding=encoding)
    remove_dead_leftovers(out.parent)
    work = out.parent / f".{out.name}.work-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        # Built under a temporary name and renamed whole: a run killed at any point leaves the earlier
        # folder (or none), never new files beside old ones.
        with atomic_dir(out) as building:
            con = _connect(work, memory_limit, threads)
            try:
                result = _validate(con, raw, building, work, files, end, progress)
            except duckdb.Error as exc:
                raise _unreadable_source(files, exc) from exc
            finally:
                con.close()
        return _moved(result, building, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_replaceable(out: Path) -> None:
    """``out`` may be new, empty, or an earlier validated folder (replaced whole); nothing else is overwritten."""
    if out.is_dir() and any(out.iterdir()) and not (out / QUALITY_REPORT).is_file():
        raise InputDataError(
            f"{out}: expected a new folder or one `whitelist validate` wrote (it is replaced whole), got a "
            f"folder holding other files and no {QUALITY_REPORT}; pick another --out"
        )
    if out.exists() and not out.is_dir():
        raise InputDataError(f"{out}: expected a folder, got a file; pick another --out")


def _moved(result: ValidationResult, building: Path, out: Path) -> ValidationResult:
    """The result with its paths where the folder now is, after the rename."""

    def where(path: Path | None) -> Path | None:
        return out / path.relative_to(building) if path is not None else None

    sources = tuple(replace(r, output=where(r.output), quarantine=where(r.quarantine)) for r in result.sources)
    return replace(result, out=out, sources=sources, report=out / QUALITY_REPORT)


def sealed_files(folder: Path) -> dict[str, str]:
    """Every file validation wrote in ``folder`` (but the report) with its SHA-256, by relative path."""
    return {
        p.relative_to(folder).as_posix(): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != QUALITY_REPORT
    }


def check_validated(folder: Path, only: tuple[str, ...] | None = None) -> None:
    """Refuse a folder that is not exactly what `whitelist validate` wrote: no report, or files that differ.

    ``quality.json`` lists every file with its hash; a folder whose files were replaced, removed,
    added or left half-written by an interrupted run is refused, naming what differs, before any
    stage reads it. ``only``: the files a stage reads (scoring reads two of a province's many gigabytes).
    """
    report = folder / QUALITY_REPORT
    if not report.is_file():
        raise InputDataError(
            f"{folder}: not a validated folder (no {QUALITY_REPORT}); run "
            f"`whitelist validate --raw {folder} --out VALIDATED` and build features from VALIDATED"
        )
    listed = json.loads(report.read_text(encoding="utf-8")).get("files")
    if not isinstance(listed, dict):
        raise InputDataError(
            f"{report}: lists no file hashes (written by an earlier whitelist, or edited); validate the raw "
            "folder again into a new --out"
        )
    problems = []
    wanted = sorted(listed.items()) if only is None else [(rel, listed.get(rel, "")) for rel in only]
    for rel, sha in wanted:
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif file_sha256(path) != sha:
            problems.append(f"{rel} differs from the file validation wrote")
    for path in sorted(folder.rglob("*.parquet")) if only is None else ():
        rel = path.relative_to(folder).as_posix()
        if rel not in listed and not LEFTOVER.match(path.name):
            problems.append(f"{rel} was not written by this validation")
    if problems:
        raise InputDataError(
            f"{folder}: not the folder `whitelist validate` wrote: {preview(problems, limit=5)}; validate the raw "
            "folder again (into a new --out, or the same one, which is replaced whole)"
        )


def _unreadable_source(files: dict[str, SourceFile], exc: duckdb.Error) -> Exception:
    """An input error naming the Parquet file whose pages cannot be read; ``exc`` itself if none is to blame.

    A file with an intact footer but damaged pages passes the header check and fails only when
    DuckDB reaches the pages, in any step; reading each Parquet source whole (on this error path
    only) finds which file it was.
    """
    import pyarrow.parquet as pq

    for file in files.values():
        if file.format != "parquet":
            continue
        try:
            for _ in pq.ParquetFile(file.path).iter_batches(batch_size=1 << 16):
                pass
        except (pa.ArrowException, OSError) as damaged:
            return InputDataError(
                f"{file.path}: expected a readable Parquet file, got one whose data pages are damaged "
                f"({damaged}); re-export the {file.source.name} source"
            )
    return exc


def _connect(work: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that stays within ``memory_limit``, spilling to the work folder."""
    config: dict[str, str | int | bool] = {
        "memory_limit": memory_limit,
        "threads": threads,
        "temp_directory": str(work / "spill"),
        "preserve_insertion_order": True,
    }
    try:
        return duckdb.connect(config=config)
    except duckdb.Error as exc:
        raise ConfigError(
            f"memory limit and threads: expected a size such as '4GB' and a positive count, "
            f"got {memory_limit!r} and {threads!r} ({exc})"
        ) from exc


def _validate(
    con: duckdb.DuckDBPyConnection,
    raw: Path,
    out: Path,
    work: Path,
    files: dict[str, SourceFile],
    end: date | None,
    progress: Progress,
) -> ValidationResult:
    con.execute("SET enable_progress_bar = false")  # a library does not draw on the terminal
    install(con)
    for macro in USCC_MACROS:
        con.execute(macro)
    tasks = {name: progress.task(name, total=len(STEPS)) for name in files}
    staged: dict[str, Staged] = {}
    for name, file in files.items():
        staged[name] = stage(file, work)
        if name in FIRST and staged[name].rows == 0:
            raise InputDataError(
                f"{file.path}: expected the {name} source's rows, got a header and no data; every other "
                f"source is checked against it, so nothing can be validated: re-export the {name} source"
            )
        progress.advance(tasks[name])
    window = resolve_window(con, list(staged.values()), end)
    log.info("window %s to %s (%s)", window.start, window.end, window.how)

    order = [n for n in FIRST if n in staged] + [n for n in staged if n not in FIRST]
    reports: dict[str, SourceReport] = {}
    for name in order:
        started = time.perf_counter()
        reports[name] = _validate_source(con, staged[name], out, window, progress, tasks[name])
        codes_table = {REGISTRY: REGISTRY_CODES, VISIT_LIST: VISIT_CODES}.get(name)
        if codes_table is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {codes_table} AS {_known_codes(out, name)}")
        log.info("%s: %d rows in %.1fs", name, reports[name].rows_read, time.perf_counter() - started)

    final = []
    for src in SOURCES:
        if src.name in reports:
            r = reports[src.name]
            share = coverage(con, r.output) if r.output else None
            final.append(replace(r, coverage=share))
            progress.advance(tasks[src.name])
        else:
            final.append(SourceReport(name=src.name, present=False))
    sources = tuple(final)
    report = write_report(out / QUALITY_REPORT, raw, window, sources, sealed_files(out))
    return ValidationResult(raw=raw, out=out, window=window, sources=sources, report=report)


def _known_codes(out: Path, name: str) -> str:
    """SQL for the codes a source knows: every row whose code is valid, quarantined or not.

    An entity whose registry row is quarantined for another column (say a negative capital)
    still exists; its other sources keep their rows, and later stages mark it invalid.
    """
    valid = f"read_parquet({sql_str(str(output_path(out, name)))})"
    rejected = f"read_parquet({sql_str(str(quarantine_path(out, name)))})"
    return (
        f"SELECT uscc FROM {valid} UNION "
        f"SELECT CAST(uscc AS VARCHAR) FROM {rejected} WHERE _column NOT IN ('uscc', '*') AND uscc IS NOT NULL"
    )


def _validate_source(
    con: duckdb.DuckDBPyConnection, staged: Staged, out: Path, window: Window, progress: Progress, task: int
) -> SourceReport:
    file, src = staged.file, staged.file.source
    kinds = describe(con, staged.relation)
    kinds.pop("_row", None)
    ctx = Context(
        source=src,
        present=file.present,
        end=window.end,
        registry=src.name != REGISTRY,  # required, so validated first and its codes loaded
    )
    checks = row_checks(ctx)
    typed = typed_select(src, kinds, staged.relation)
    values = ", ".join(ident(c) for c in src.column_names)
    cleared = cleared_columns(checks)
    failures = [f"{first_failure_sql(checks, lambda c: not c.clears)} AS _check"] + [
        f"{first_failure_sql(checks, lambda c, col=col: c.clears and c.column == col)} AS {_field_flag(col)}"
        for col in cleared
    ]
    kept = ", ".join(
        f"CASE WHEN {_field_flag(c)} IS NULL THEN {ident(c)} END AS {ident(c)}" if c in cleared else ident(c)
        for c in src.column_names
    )
    flags = "".join(f", {_field_flag(c)}" for c in cleared)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _chk AS SELECT _row, {kept}, _check{flags} "
        f"FROM (SELECT _row, {values}, {', '.join(failures)} FROM ({typed}))"
    )
    progress.advance(task)

    _find_duplicates(con, src, len(checks))
    progress.advance(task)

    valid, quarantine = output_path(out, src.name), quarantine_path(out, src.name)
    keys = ", ".join(ident(k) for k in src.key)
    with atomic_path(valid) as tmp:
        con.execute(
            f"COPY (SELECT {values} FROM _chk WHERE _check IS NULL AND _row NOT IN (SELECT _row FROM _dup) "
            f"ORDER BY {keys}) TO {sql_str(str(tmp))} {COPY_OPTIONS}"
        )
    lines = pa.table({
        "_row": pa.array([m.row for m in staged.malformed], pa.int64()),
        "_detail": pa.array([_malformed_detail(m, staged.file.delimiter or ",") for m in staged.malformed], pa.string()),
    })
    con.register("_malformed_lines", lines)
    con.execute("CREATE OR REPLACE TEMP TABLE _malformed AS SELECT _row, _detail FROM _malformed_lines")
    con.unregister("_malformed_lines")
    with atomic_path(quarantine) as tmp:
        con.execute(
            f"COPY ({_quarantine_sql(src, kinds, staged, checks, cleared)}) TO {sql_str(str(tmp))} {COPY_OPTIONS}"
        )
    progress.advance(task)

    stats = source_stats(con, src, valid, quarantine)
    if stats["rows_valid"] + stats["rows_quarantined"] != staged.rows:
        raise RuntimeError(
            f"{src.name}: {staged.rows} rows read but {stats['rows_valid']} valid + "
            f"{stats['rows_quarantined']} quarantined; a row was lost, which is a bug"
        )
    for table in ("_chk", "_cand", "_dup", "_malformed"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return SourceReport(
        name=src.name,
        present=True,
        file=file.path,
        format=file.format,
        encoding=file.encoding,
        rows_read=staged.rows,
        extra_columns=file.extra_columns,
        absent_columns=file.absent_columns,
        output=valid,
        quarantine=quarantine,
        **stats,
    )


def _find_duplicates(con: duckdb.DuckDBPyConnection, src: Source, n_checks: int) -> None:
    """Fill ``_dup`` with the rows that lose to a copy or to another row with the same key.

    Keys are first narrowed to those whose hash occurs more than once among passing rows, a
    cheap aggregation; the windows then run over those few rows only. A hash collision only
    adds candidates, which the exact comparison clears.
    """
    keys = ", ".join(ident(k) for k in src.key)
    values = ", ".join(ident(c) for c in src.column_names)
    received = f"{ident(src.received_column)} DESC NULLS LAST, " if src.received_column else ""
    dup_row, dup_key = n_checks + 1, n_checks + 2
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _cand AS SELECT hash({keys}) AS h FROM _chk "
        f"WHERE _check IS NULL GROUP BY h HAVING count(*) > 1"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _dup AS
        WITH c AS (SELECT * FROM _chk WHERE _check IS NULL AND hash({keys}) IN (SELECT h FROM _cand)),
        r AS (SELECT *, min(_row) OVER (PARTITION BY {values}) AS _first FROM c),
        k AS (SELECT _row, first_value(_row) OVER (PARTITION BY {keys} ORDER BY {received}_row DESC) AS _kept
              FROM r WHERE _row = _first)
        SELECT _row, {dup_row} AS _check, _first AS _ref FROM r WHERE _row <> _first
        UNION ALL
        SELECT _row, {dup_key} AS _check, _kept AS _ref FROM k WHERE _row <> _kept"""
    )


def _quarantined_value(col: Column, raw: str) -> str:
    """The original text; personal data (names, phones, ids of people) masked but its first character."""
    if not col.pii:
        return f"{raw} AS {ident(col.name)}"
    return (
        f"CASE WHEN {raw} IS NULL THEN NULL ELSE LEFT({raw}, 1) || REPEAT('*', GREATEST(LENGTH({raw}) - 1, 0)) "
        f"END AS {ident(col.name)}"
    )


def _field_flag(column: str) -> str:
    """The ``_chk`` column holding the index of the check that cleared ``column``'s value."""
    return ident(f"_clear:{column}")


def _quarantine_sql(
    src: Source, kinds: dict[str, Kind], staged: Staged, checks: tuple[Check, ...], cleared: tuple[str, ...]
) -> str:
    """SQL of the quarantine records: position, action, reason, column, detail and the original values as text.

    A rejected row has one record (``reject_row``, its first failure); a kept row has one record
    per value cleared (``clear_field``), so a data owner sees every value that did not arrive.
    """
    keys = ",".join(src.key)
    reasons = [c.reason for c in checks] + list(DUPLICATE_REASONS)
    columns = [c.column for c in checks] + ["*", keys]
    details = [c.detail for c in checks] + [
        "'same values as row ' || q._ref || ', which is kept'",
        f"'same {keys} as row ' || q._ref || ', which is kept (received later, or later in the file)'",
    ]
    base = f"(SELECT * FROM {staged.relation} WHERE _row IN (SELECT _row FROM q))"
    raws = ", ".join(_quarantined_value(c, ident(c.name + ":raw")) for c in src.columns)
    nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {ident(c)}" for c in src.column_names)
    fields = "".join(
        f" UNION ALL SELECT _row, {_field_flag(c)}, CAST(NULL AS BIGINT), {sql_str(CLEAR_FIELD)} FROM _chk "
        f"WHERE _check IS NULL AND {_field_flag(c)} IS NOT NULL AND _row NOT IN (SELECT _row FROM _dup)"
        for c in cleared
    )
    reject = sql_str(REJECT_ROW)
    return f"""WITH q AS (
            SELECT _row, _check, CAST(NULL AS BIGINT) AS _ref, {reject} AS _action FROM _chk WHERE _check IS NOT NULL
            UNION ALL SELECT _row, _check, _ref, {reject} FROM _dup{fields}),
        t AS ({typed_select(src, kinds, base)})
        SELECT t._row AS _row,
            q._action AS _action,
            {lookup_sql("q._check", reasons, quoted=True)} AS _reason,
            {lookup_sql("q._check", columns, quoted=True)} AS _column,
            {lookup_sql("q._check", details, quoted=False)} AS _detail,
            {raws}
        FROM t JOIN q USING (_row)
        UNION ALL SELECT _row, {reject}, 'bad_format', '*', _detail, {nulls} FROM _malformed
        ORDER BY _row NULLS LAST, _action, _column, _detail"""


def _malformed_detail(m: Malformed, delimiter: str) -> str:
    """What was wrong and the line itself, every field masked but its first character.

    A line with the wrong number of fields cannot say which field is a person's name or phone,
    so none is shown whole; a valid code is, so the data owner can find the record.
    """
    return f"expected {m.expected} fields, got {m.actual}: {mask_line(m.text, delimiter)[:200]!r}"


def mask_line(text: str, delimiter: str = ",") -> str:
    """``text`` with every field but a valid USCC reduced to its first character and asterisks."""

    def masked(field: str) -> str:
        core = field.strip().strip('"')
        if len(core) == 18 and problem(core) is None:
            return field
        return field[:1] + "*" * max(len(field) - 1, 0)

    return delimiter.join(masked(f) for f in text.split(delimiter))


