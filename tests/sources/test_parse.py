"""Reading raw values: the DuckDB macros that turn export text into dates, numbers and text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.sources.parse import install, kind_of


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    install(c)
    yield c
    c.close()


def one(con: duckdb.DuckDBPyConnection, expr: str, value: object) -> object:
    return con.execute(f"SELECT {expr}", [value]).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31", date(2024, 3, 31)),
        ("2024/03/31", date(2024, 3, 31)),
        ("2024/3/5", date(2024, 3, 5)),
        ("20240331", date(2024, 3, 31)),
        ("2024年3月31日", date(2024, 3, 31)),
        ("2024年03月31日", date(2024, 3, 31)),
        ("2024.03.31", date(2024, 3, 31)),
        ("2024-03-31 23:59:59", date(2024, 3, 31)),
        ("2024-03-31T08:00:00.123", date(2024, 3, 31)),
        ("2024-03-31 00:00:00+08", date(2024, 3, 31)),
        ("2024-02-30", None),
        ("2024-13-01", None),
        ("240331", None),
        ("yesterday", None),
        ("infinity", None),
        ("12024-03-31", None),
    ],
)
def test_dates_in_every_accepted_format(
    con: duckdb.DuckDBPyConnection, text: str, expected: date | None
) -> None:
    assert one(con, "wl_date(wl_text(?))", text) == expected


@given(st.lists(st.dates(min_value=date(1949, 10, 1), max_value=date(2100, 12, 31)), min_size=1, max_size=20))
def test_every_format_of_a_date_reads_back_the_date(
    con: duckdb.DuckDBPyConnection, dates: list[date]
) -> None:
    texts = []
    for d in dates:
        texts += [
            d.isoformat(),
            d.strftime("%Y/%m/%d"),
            f"{d.year}/{d.month}/{d.day}",
            d.strftime("%Y%m%d"),
            f"{d.year}年{d.month}月{d.day}日",
            f"{d.isoformat()} 12:34:56",
        ]
    got = con.execute("SELECT wl_date(wl_text(t)) FROM unnest(?) AS u(t)", [texts]).fetchall()
    assert [g for (g,) in got] == [d for d in dates for _ in range(6)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abc", "abc"),
        ("  abc\t", "abc"),
        ("\u3000杭州\u3000", "杭州"),
        ("a b", "a b"),
        ("", None),
        ("   ", None),
        ("NULL", None),
        ("nan", None),
        ("\\N", None),
        ("N/A", None),
        ("NULLS", "NULLS"),
    ],
)
def test_text_is_trimmed_and_blanks_are_empty(
    con: duckdb.DuckDBPyConnection, text: str, expected: str | None
) -> None:
    assert one(con, "wl_text(?)", text) == expected


@pytest.mark.parametrize(
    ("text", "as_float", "as_int"),
    [
        ("12", 12.0, 12),
        (" 12.50 ", 12.5, None),
        ("3.0", 3.0, 3),
        ("1e3", 1000.0, 1000),
        ("-7", -7.0, -7),
        ("1,000", None, None),
        ("12元", None, None),
        ("inf", None, None),
        ("9223372036854775807", 9.223372036854776e18, 9223372036854775807),
    ],
)
def test_numbers(
    con: duckdb.DuckDBPyConnection, text: str, as_float: float | None, as_int: int | None
) -> None:
    assert one(con, "wl_float(wl_text(?))", text) == as_float
    assert one(con, "wl_int(wl_text(?))", text) == as_int


@pytest.mark.parametrize(
    ("duckdb_type", "kind"),
    [
        ("VARCHAR", "text"),
        ("BIGINT", "integer"),
        ("DOUBLE", "floating"),
        ("DECIMAL(18,2)", "decimal"),
        ("DATE", "date"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp"),
        ("BOOLEAN", "other"),
    ],
)
def test_kind_of(duckdb_type: str, kind: str) -> None:
    assert kind_of(duckdb_type) == kind
