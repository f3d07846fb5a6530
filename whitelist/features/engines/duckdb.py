"""Run a compiled plan in DuckDB, straight over the Parquet files, out of core."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from whitelist.core.errors import ConfigError
from whitelist.core.io import atomic_path
from whitelist.features.compile import Plan
from whitelist.sources.contract import CONTRACT

_COPY_OPTIONS = "(FORMAT parquet, COMPRESSION zstd)"
_TYPES = {"uscc": "VARCHAR", "string": "VARCHAR", "category": "VARCHAR", "date": "DATE", "int": "BIGINT", "float": "DOUBLE"}


def run(plan: Plan, folder: Path, out: Path, *, memory_limit: str = "8GB", threads: int = 2) -> int:
    """Execute ``plan`` over the validated sources in ``folder``; write ``out``; return its rows."""
    work = out.parent / f".{out.name}.work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        except duckdb.Error as exc:
            raise ConfigError(f"memory limit: expected a size such as '8GB', got {memory_limit!r}") from exc
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET temp_directory = '{work}'")
        con.execute("SET enable_progress_bar = false")
        for name in plan.sources:
            _register(con, name, folder / f"{name}.parquet")
        # One step at a time: each source's aggregates are held once, not all at the same time.
        con.execute("SET preserve_insertion_order = false")  # steps are unordered sets
        for name, body in plan.steps:
            con.execute(f"CREATE TEMP TABLE {name} AS {body}")
        con.execute("SET preserve_insertion_order = true")  # the table is written in ORDER BY order
        with atomic_path(out) as tmp:
            con.execute(f"COPY ({plan.final}) TO '{tmp}' {_COPY_OPTIONS}")
        return int(con.execute(f"SELECT COUNT(*) FROM read_parquet('{out}')").fetchone()[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _register(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    """A view over the source's file, or an empty table of its declared columns when it is absent."""
    if path.is_file():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        return
    _empty_table(con, name)


def _empty_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A table of the source's declared columns, with no rows."""
    cols = ", ".join(f'"{c.name}" {_TYPES[c.dtype]}' for c in CONTRACT[name].columns)
    con.execute(f"CREATE TABLE {name} ({cols})")


def schema(plan: Plan) -> pa.Schema:
    """The schema ``run`` writes for ``plan``: the plan run over empty sources of the contract's columns."""
    con = duckdb.connect()
    for name in plan.sources:
        _empty_table(con, name)
    with tempfile.TemporaryDirectory() as work:  # through Parquet, as ``run`` writes it
        empty = Path(work) / "empty.parquet"
        con.execute(f"COPY ({plan.sql}) TO '{empty}' {_COPY_OPTIONS}")
        return pq.read_schema(empty)
