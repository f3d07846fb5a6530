"""How raw values become typed values: the SQL that reads text the way government exports write it.

Exports arrive as Parquet with proper types or as CSV where everything is text, with blank
cells, stray spaces (including the full-width space), dates in several national formats and
numbers that may not be numbers. Each rule is a DuckDB macro defined once per connection, so
validation, the window inference and the tests all parse a value the same way. A value that
cannot be read becomes NULL here; the checks tell an empty cell from an unreadable one.
"""

from __future__ import annotations

from typing import Literal

import duckdb

from whitelist.sources.contract import Column, Dtype, Source

MISSING_TOKENS: tuple[str, ...] = ("", "NULL", "null", "Null", "None", "NaN", "nan", "NA", "N/A", "\\N")
"""Cell texts read as an empty value (after trimming), as databases and spreadsheets export them."""

WHITESPACE = " \t\r\n\u3000"
"""Trimmed from both ends of every text value; U+3000 is the full-width space of Chinese input."""

DATE_FORMATS: tuple[str, ...] = (
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y.%m.%d",
    "%Y%m%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
)
"""strptime formats tried after DuckDB's own date reading, which already accepts 2024-03-31,
2024/3/31 and timestamps such as 2024-03-31 08:00:00 or 2024-03-31T08:00:00+08."""

SQL_TYPES: dict[Dtype, str] = {
    "uscc": "VARCHAR",
    "string": "VARCHAR",
    "category": "VARCHAR",
    "date": "DATE",
    "int": "BIGINT",
    "float": "DOUBLE",
}
"""The type each contract dtype has in a validated file."""

TIMEZONE = "Asia/Shanghai"
"""Timestamps with a time zone are read as dates in China Standard Time."""

Kind = Literal["text", "integer", "floating", "decimal", "date", "timestamp", "other"]


def sql_str(text: str) -> str:
    """Quote ``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """Quote ``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _str_list(values: tuple[str, ...]) -> str:
    return ", ".join(sql_str(v) for v in values)


_WS_CLASS = "[" + WHITESPACE.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n") + "]"
_EDGE_SPACE = f"^{_WS_CLASS}|{_WS_CLASS}$"
_TOKEN_BYTES = max(len(t.encode("utf-8")) for t in MISSING_TOKENS)

MACROS: tuple[str, ...] = (
    # Trim only the values that need it: trimming with a character set costs more than the test.
    f"CREATE OR REPLACE MACRO wl_trim(s) AS CASE WHEN regexp_matches(s, {sql_str(_EDGE_SPACE)}) "
    f"THEN trim(s, {sql_str(WHITESPACE)}) ELSE s END",
    f"CREATE OR REPLACE MACRO wl_blank(x) AS CASE WHEN strlen(x) <= {_TOKEN_BYTES} "
    f"AND list_contains([{_str_list(MISSING_TOKENS)}], x) THEN NULL ELSE x END",
    "CREATE OR REPLACE MACRO wl_text(s) AS wl_blank(wl_trim(s))",
    "CREATE OR REPLACE MACRO wl_finite(x) AS CASE WHEN isfinite(x) THEN x END",
    "CREATE OR REPLACE MACRO wl_float(t) AS wl_finite(TRY_CAST(t AS DOUBLE))",
    "CREATE OR REPLACE MACRO wl_int(t) AS "
    "CASE WHEN TRY_CAST(t AS DOUBLE) = trunc(TRY_CAST(t AS DOUBLE)) THEN TRY_CAST(t AS BIGINT) END",
    "CREATE OR REPLACE MACRO wl_int_of(x) AS CASE WHEN x = trunc(x) THEN TRY_CAST(x AS BIGINT) END",
    "CREATE OR REPLACE MACRO wl_date_ok(d) AS "
    "CASE WHEN d BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN d END",
    f"CREATE OR REPLACE MACRO wl_date(t) AS wl_date_ok(coalesce("
    f"TRY_CAST(t AS DATE), CAST(try_strptime(t, [{_str_list(DATE_FORMATS)}]) AS DATE)))",
    "CREATE OR REPLACE MACRO wl_quote(x) AS '''' || left(x, 100) || ''''",
)


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros (and the time zone they assume) on a connection."""
    con.execute(f"SET TimeZone = {sql_str(TIMEZONE)}")
    for macro in MACROS:
        con.execute(macro)


def kind_of(duckdb_type: str) -> Kind:
    """Group a DuckDB column type by how a raw value of it is read."""
    t = duckdb_type.upper()
    if t == "VARCHAR":
        return "text"
    if t in {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }:
        return "integer"
    if t in {"FLOAT", "DOUBLE"}:
        return "floating"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "other"


def empty_sql(kind: Kind, ref: str) -> str:
    """True when the raw value is empty: NULL, a blank or missing token, or a float NaN."""
    if kind == "text":
        return f"(wl_text({ref}) IS NULL)"
    if kind == "floating":
        return f"({ref} IS NULL OR isnan({ref}))"
    return f"({ref} IS NULL)"


def value_sql(column: Column, kind: Kind, ref: str, *, month_end: bool = False) -> str:
    """The typed value of a raw column, NULL when it is empty or cannot be read as ``column.dtype``.

    ``month_end`` snaps a date to the last day of its month: a period given as any day of
    its month means that month.
    """
    text = f"wl_text({ref})" if kind == "text" else f"wl_text(CAST({ref} AS VARCHAR))"
    dtype = column.dtype
    if dtype in ("uscc", "string", "category"):
        return text
    if dtype == "date":
        if kind == "date":
            value = f"wl_date_ok({ref})"
        elif kind == "timestamp":
            value = f"wl_date_ok(TRY_CAST({ref} AS DATE))"
        else:
            value = f"wl_date({text})"
        return f"last_day({value})" if month_end else value
    if dtype == "int":
        if kind == "integer":
            return f"TRY_CAST({ref} AS BIGINT)"
        if kind in ("floating", "decimal"):
            return f"wl_int_of({ref})"
        return f"wl_int({text})"
    if dtype == "float":
        if kind in ("integer", "floating", "decimal"):
            return f"wl_finite(CAST({ref} AS DOUBLE))"
        return f"wl_float({text})"
    raise ValueError(f"no reading rule for dtype {dtype!r}")  # pragma: no cover - Dtype is closed


def describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Kind]:
    """How each column of ``relation`` is read, from its DuckDB type."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {name: kind_of(dtype) for name, dtype, *_ in rows}


def typed_select(source: Source, kinds: dict[str, Kind], relation: str) -> str:
    """SQL reading ``relation`` as the contract declares ``source``.

    Yields ``_row`` and, per contract column, its typed value ``"name"``, whether the raw value
    is empty ``"name:empty"`` and the raw value as text ``"name:raw"``. Columns absent from
    ``kinds`` (optional ones the file lacks) are empty. DuckDB drops what a query does not use.
    """
    parts = ["_row"]
    for col in source.columns:
        name = ident(col.name)
        if col.name in kinds:
            kind = kinds[col.name]
            month_end = source.period_end and col.name == source.date_column
            parts += [
                f"{value_sql(col, kind, name, month_end=month_end)} AS {name}",
                f"{empty_sql(kind, name)} AS {ident(col.name + ':empty')}",
                f"CAST({name} AS VARCHAR) AS {ident(col.name + ':raw')}",
            ]
        else:
            parts += [
                f"CAST(NULL AS {SQL_TYPES[col.dtype]}) AS {name}",
                f"true AS {ident(col.name + ':empty')}",
                f"CAST(NULL AS VARCHAR) AS {ident(col.name + ':raw')}",
            ]
    return f"SELECT {', '.join(parts)} FROM {relation}"
