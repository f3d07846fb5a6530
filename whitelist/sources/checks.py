"""The row checks: each contract column's fields rendered as SQL conditions, in a fixed order.

A row is quarantined for the first check it fails. Checks run reason by reason in the order
of ``contract.REASONS`` and, within a reason, column by column in contract order, so a row
missing its code and holding a negative amount is reported as ``missing_value`` on ``uscc``.
A check on a column the record may lack (``Source.clears``) does not reject the row: it
clears the value, and the first such failure of each column is recorded beside it.
Nothing here names a source: every check follows from a ``Column`` field (dtype, nullable,
pattern, categories, minimum, maximum, not_before) or from the source's date column, so a
new source or column needs a declaration, not code. Duplicates are found after these checks,
among the rows that pass them (see ``validate``).

The USCC check is rendered from ``core.uscc.ALPHABET`` and ``WEIGHTS``: one definition of
GB 32100-2015 for Python and SQL, and a test holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date

from whitelist.core.uscc import ALPHABET, WEIGHTS
from whitelist.sources.contract import MIN_DATE, REASON_CODES, Column, Source
from whitelist.sources.parse import ident, sql_str

_CLASS = "[" + ALPHABET + "]"

USCC_MACROS: tuple[str, ...] = (
    # The check character a code's first 17 characters call for; NULL unless the code is 18
    # characters of the alphabet.
    "CREATE OR REPLACE MACRO wl_uscc_check(c) AS CASE WHEN regexp_full_match(c, "
    + sql_str(_CLASS + "{18}")
    + ") THEN substr("
    + sql_str(ALPHABET)
    + ", ((31 - ("
    + " + ".join(
        f"(strpos({sql_str(ALPHABET)}, substr(c, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS)
    )
    + ") % 31) % 31) + 1, 1) END",
    "CREATE OR REPLACE MACRO wl_uscc_valid(c) AS coalesce(wl_uscc_check(c) = substr(c, 18, 1), false)",
    # What is wrong with a code, worded as core.uscc.problem words it.
    "CREATE OR REPLACE MACRO wl_uscc_problem(c) AS CASE "
    "WHEN c IS NULL THEN 'missing' "
    "WHEN length(c) <> 18 THEN 'has ' || length(c) || ' characters, expected 18' "
    f"WHEN NOT regexp_full_match(c, {sql_str(_CLASS + '{18}')}) THEN 'characters ''' || "
    "array_to_string(list_sort(list_distinct(string_split("
    f"regexp_replace(c, {sql_str(_CLASS)}, '', 'g'), ''))), '')"
    " || ''' are outside the USCC alphabet' "
    "WHEN NOT wl_uscc_valid(c) THEN 'check character is ''' || substr(c, 18, 1) || ''', expected ''' "
    "|| wl_uscc_check(c) || '''' END",
)

REGISTRY_CODES = "_registry_codes"
"""Temporary table of the registry's valid codes, which ``unknown_entity`` checks against."""


@dataclass(frozen=True, kw_only=True)
class Check:
    """One way a row can fail: a reason code, the column, and SQL for the test and its detail.

    ``condition`` and ``detail`` are SQL over the typed relation of ``typed_select``: a column's
    typed value is ``"name"``, its raw text ``"name:raw"`` and its emptiness ``"name:empty"``.
    """

    reason: str
    column: str
    condition: str
    detail: str
    clears: bool = False
    """True when failing clears the column's value (``Source.clears``) instead of rejecting the row."""


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the checks of one source depend on beyond its declaration."""

    source: Source
    present: frozenset[str]
    """Contract columns the file holds; absent optional columns are not checked."""
    end: date | None
    """Window end for the source's date column; None leaves it unbounded."""
    registry: bool
    """True to check codes against the registry's valid codes (loaded; not the registry itself)."""


def _v(name: str) -> str:
    return ident(name)


def _raw(name: str) -> str:
    return ident(f"{name}:raw")


def _empty(name: str) -> str:
    return ident(f"{name}:empty")


def _num(x: float) -> str:
    return f"{x:g}"


def _invalid_uscc(col: Column, ctx: Context) -> Iterator[Check]:
    if col.dtype == "uscc":
        v = _v(col.name)
        # A code among the registry's valid codes is valid: only the others need the arithmetic.
        known = f" AND {v} NOT IN (SELECT uscc FROM {REGISTRY_CODES})" if ctx.registry else ""
        yield Check(
            reason="invalid_uscc",
            column=col.name,
            condition=f"({v} IS NOT NULL{known} AND NOT wl_uscc_valid({v}))",
            detail=f"wl_uscc_problem({v})",
        )


def _missing_value(col: Column, ctx: Context) -> Iterator[Check]:
    if not col.nullable:
        yield Check(reason="missing_value", column=col.name, condition=_empty(col.name), detail="'empty'")


def _unreadable(col: Column, what: str) -> Check:
    return Check(
        reason="bad_date" if col.dtype == "date" else "bad_type",
        column=col.name,
        condition=f"(NOT {_empty(col.name)} AND {_v(col.name)} IS NULL)",
        detail=f"wl_quote({_raw(col.name)}) || ' is not {what}'",
    )


def _bad_type(col: Column, ctx: Context) -> Iterator[Check]:
    if col.dtype == "int":
        yield _unreadable(col, "a whole number")
    elif col.dtype == "float":
        yield _unreadable(col, "a number")


def _bad_date(col: Column, ctx: Context) -> Iterator[Check]:
    if col.dtype == "date":
        yield _unreadable(col, "a date in an accepted format")


def _bad_format(col: Column, ctx: Context) -> Iterator[Check]:
    if col.pattern is not None:
        v = _v(col.name)
        yield Check(
            reason="bad_format",
            column=col.name,
            condition=f"({v} IS NOT NULL AND NOT regexp_full_match({v}, {sql_str(col.pattern)}))",
            detail=f"wl_quote({v}) || {sql_str(' does not match ' + col.pattern)}",
        )


def _unknown_category(col: Column, ctx: Context) -> Iterator[Check]:
    if col.categories:
        v = _v(col.name)
        allowed = ", ".join(sql_str(c) for c in col.categories)
        yield Check(
            reason="unknown_category",
            column=col.name,
            condition=f"({v} IS NOT NULL AND {v} NOT IN ({allowed}))",
            detail=f"wl_quote({v}) || {sql_str(' is not one of: ' + ', '.join(col.categories))}",
        )


def _negative_value(col: Column, ctx: Context) -> Iterator[Check]:
    if col.minimum is not None and col.minimum >= 0:
        v = _v(col.name)
        yield Check(
            reason="negative_value",
            column=col.name,
            condition=f"({v} < 0)",
            detail=f"CAST({v} AS VARCHAR) || ' is negative'",
        )


def _impossible_value(col: Column, ctx: Context) -> Iterator[Check]:
    v = _v(col.name)
    if col.minimum is not None and col.minimum > 0:
        yield Check(
            reason="impossible_value",
            column=col.name,
            condition=f"({v} < {col.minimum!r})",
            detail=f"CAST({v} AS VARCHAR) || {sql_str(' is below the minimum ' + _num(col.minimum))}",
        )
    if col.maximum is not None:
        yield Check(
            reason="impossible_value",
            column=col.name,
            condition=f"({v} > {col.maximum!r})",
            detail=f"CAST({v} AS VARCHAR) || {sql_str(' is above the maximum ' + _num(col.maximum))}",
        )
    if col.not_before is not None and col.not_before in ctx.present:
        other = _v(col.not_before)
        yield Check(
            reason="impossible_value",
            column=col.name,
            condition=f"({v} < {other})",
            detail=f"CAST({v} AS VARCHAR) || {sql_str(f' is before {col.not_before} ')} "
            f"|| CAST({other} AS VARCHAR)",
        )


def _date_out_of_window(col: Column, ctx: Context) -> Iterator[Check]:
    if col.dtype != "date":
        return
    v = _v(col.name)
    yield Check(
        reason="date_out_of_window",
        column=col.name,
        condition=f"({v} < DATE {sql_str(MIN_DATE)})",
        detail=f"CAST({v} AS VARCHAR) || {sql_str(' is before the window start ' + MIN_DATE)}",
    )
    if col.name == ctx.source.date_column and ctx.end is not None:
        end = ctx.end.isoformat()
        yield Check(
            reason="date_out_of_window",
            column=col.name,
            condition=f"({v} > DATE {sql_str(end)})",
            detail=f"CAST({v} AS VARCHAR) || {sql_str(' is after the window end ' + end)}",
        )


def _unknown_entity(col: Column, ctx: Context) -> Iterator[Check]:
    if col.dtype == "uscc" and ctx.registry:
        v = _v(col.name)
        yield Check(
            reason="unknown_entity",
            column=col.name,
            condition=f"({v} NOT IN (SELECT uscc FROM {REGISTRY_CODES}))",
            detail=f"wl_quote({v}) || ' is on no registry row'",
        )


ROW_CHECKS: Mapping[str, Callable[[Column, Context], Iterator[Check]]] = {
    "invalid_uscc": _invalid_uscc,
    "missing_value": _missing_value,
    "bad_type": _bad_type,
    "bad_date": _bad_date,
    "bad_format": _bad_format,
    "unknown_category": _unknown_category,
    "negative_value": _negative_value,
    "date_out_of_window": _date_out_of_window,
    "impossible_value": _impossible_value,
    "unknown_entity": _unknown_entity,
}
"""How each row-level reason follows from a column's declaration, in ``REASONS`` order."""

DUPLICATE_REASONS: tuple[str, ...] = ("duplicate_row", "duplicate_key")
"""Found among the rows that pass every row check, after them."""

if tuple(ROW_CHECKS) + DUPLICATE_REASONS != REASON_CODES:  # pragma: no cover - a broken declaration
    raise RuntimeError("the checks must follow contract.REASONS, one builder per row-level reason")


def row_checks(ctx: Context) -> tuple[Check, ...]:
    """Every row check of a source, in the order a row is tested against them."""
    columns = [c for c in ctx.source.columns if c.name in ctx.present]
    return tuple(
        replace(check, clears=ctx.source.clears(col.name))
        for build in ROW_CHECKS.values()
        for col in columns
        for check in build(col, ctx)
    )


def first_failure_sql(checks: tuple[Check, ...], keep: Callable[[Check], bool] = lambda _: True) -> str:
    """SQL giving the 1-based index (in ``checks``) of the first failing check among those ``keep``
    selects, NULL for a row that passes them all."""
    whens = " ".join(f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks, start=1) if keep(c))
    return f"CASE {whens} END" if whens else "CAST(NULL AS INTEGER)"


def cleared_columns(checks: tuple[Check, ...]) -> tuple[str, ...]:
    """The columns whose defects clear the value, in check order, each once."""
    return tuple(dict.fromkeys(c.column for c in checks if c.clears))


def lookup_sql(index: str, values: list[str], quoted: bool) -> str:
    """SQL mapping a 1-based check index to one of ``values`` (SQL strings or expressions)."""
    if not values:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {i} THEN {sql_str(v) if quoted else v}" for i, v in enumerate(values, start=1))
    return f"CASE {index} {whens} END"
