"""The row checks: SQL rendered from the contract, agreeing with the Python reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.uscc import ALPHABET, check_character, is_valid, problem
from whitelist.sources.checks import REGISTRY_CODES, USCC_MACROS, Context, first_failure_sql, row_checks
from whitelist.sources.contract import REASON_CODES, SOURCES, TAX, Source
from whitelist.sources.parse import Kind, install, typed_select


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    install(c)
    for macro in USCC_MACROS:
        c.execute(macro)
    yield c
    c.close()


bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)
valid_codes = bodies.map(lambda b: b + check_character(b))


@st.composite
def one_change(draw: st.DrawFn) -> str:
    code = draw(valid_codes)
    i = draw(st.integers(0, 17))
    ch = draw(st.sampled_from(ALPHABET + "IOSVZabc-中 "))
    return code[:i] + ch + code[i + 1 :]


# Printable text without quotes or backslashes, so Python's repr and the SQL quoting agree.
noise = st.text(alphabet=ALPHABET + "IOSVZaz-#中", min_size=0, max_size=20)
codes = st.lists(st.one_of(valid_codes, one_change(), noise), min_size=1, max_size=40)


@given(codes)
def test_sql_uscc_check_agrees_with_python(con: duckdb.DuckDBPyConnection, batch: list[str]) -> None:
    got = con.execute(
        "SELECT wl_uscc_valid(c), wl_uscc_problem(c) FROM unnest(?) WITH ORDINALITY AS u(c, i) ORDER BY i",
        [batch],
    ).fetchall()
    assert [v for v, _ in got] == [is_valid(c) for c in batch]
    assert [p for _, p in got] == [problem(c) for c in batch]


def test_sql_uscc_problem_of_null(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT wl_uscc_valid(NULL), wl_uscc_problem(NULL)").fetchone() == (False, "missing")


def _ctx(source: Source = TAX, end: date | None = date(2024, 12, 31), registry: bool = True) -> Context:
    return Context(source=source, present=frozenset(source.column_names), end=end, registry=registry)


def test_checks_run_reason_by_reason_then_column_by_column() -> None:
    checks = row_checks(_ctx())
    order = [(REASON_CODES.index(c.reason), TAX.column_names.index(c.column)) for c in checks]
    assert order == sorted(order)
    assert [(c.reason, c.column) for c in checks][:3] == [
        ("invalid_uscc", "uscc"),
        ("missing_value", "uscc"),
        ("missing_value", "period"),
    ]


def test_checks_follow_the_declarations() -> None:
    pairs = {(c.reason, c.column) for c in row_checks(_ctx())}
    assert ("unknown_category", "tax_grade") in pairs
    assert ("bad_type", "period_months") in pairs
    assert ("impossible_value", "received_date") in pairs  # not before period
    assert ("date_out_of_window", "period") in pairs
    assert ("unknown_entity", "uscc") in pairs
    assert ("missing_value", "tax_grade") not in pairs  # nullable


def test_absent_columns_and_context_switch_checks_off() -> None:
    present = frozenset(TAX.column_names) - {"received_date"}
    ctx = Context(source=TAX, present=present, end=None, registry=False)
    pairs = {(c.reason, c.column) for c in row_checks(ctx)}
    assert not any(col == "received_date" for _, col in pairs)
    assert ("unknown_entity", "uscc") not in pairs
    window = [c for c in row_checks(ctx) if c.reason == "date_out_of_window"]
    assert [c.column for c in window] == ["period"]  # the start only: no end given


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_an_empty_row_fails_on_its_first_required_value(
    con: duckdb.DuckDBPyConnection, source: Source
) -> None:
    kinds: dict[str, Kind] = {c: "text" for c in source.column_names}
    empty = (
        "(SELECT 1::BIGINT AS _row, "
        + ", ".join(f'NULL::VARCHAR AS "{c}"' for c in source.column_names)
        + ")"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {REGISTRY_CODES} (uscc VARCHAR)")
    checks = row_checks(_ctx(source))
    sql = f"SELECT {first_failure_sql(checks)} FROM ({typed_select(source, kinds, empty)})"
    (index,) = con.execute(sql).fetchone()  # type: ignore[misc]
    assert (checks[index - 1].reason, checks[index - 1].column) == ("missing_value", "uscc")
