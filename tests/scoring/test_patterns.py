"""joined_names and factorize_rows: rules hit, segments and repairs built once per distinct pattern."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from whitelist.scoring.policy import patterns
from whitelist.scoring.policy.patterns import factorize_rows, joined_names


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda m: st.tuples(
            st.just(m),
            st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=0, max_size=60),
        )
    )
)
def test_joined_names_equal_a_loop_over_rows(case: tuple[int, list[list[bool]]]) -> None:
    m, rows = case
    names = [f"R{j:02d}" for j in range(m)]
    flags = [np.array([row[j] for row in rows], dtype=bool) for j in range(m)]
    expected = [",".join(n for n, on in zip(names, row, strict=True) if on) for row in rows]
    assert joined_names(names, flags, len(rows)).tolist() == expected


def test_names_keep_the_order_given_not_sorted() -> None:
    out = joined_names(["PD02", "EX01", "CC01"], [np.array([True, False]), np.array([True, True]), np.array([True, False])], 2)
    assert out.tolist() == ["PD02,EX01,CC01", "EX01"]


def test_no_names_give_empty_text_for_every_row() -> None:
    assert joined_names([], [], 3).tolist() == ["", "", ""]


@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda m: st.lists(st.lists(st.integers(-1, 3), min_size=m, max_size=m), min_size=0, max_size=80)
    ),
    st.booleans(),
)
def test_rows_share_an_index_exactly_when_their_values_are_equal(rows: list[list[int]], small_keys: bool) -> None:
    if small_keys:  # refactorize at every column, as a province with very many patterns would
        original, patterns._KEY_LIMIT = patterns._KEY_LIMIT, 2
    try:
        m = len(rows[0]) if rows else 1
        columns = [np.array([r[j] for r in rows], dtype=np.int64) for j in range(m)]
        inverse, first = factorize_rows(columns, len(rows))
    finally:
        if small_keys:
            patterns._KEY_LIMIT = original
    assert len(inverse) == len(rows)
    for a in range(len(rows)):
        assert rows[first[inverse[a]]] == rows[a]  # each row's pattern is the one its index names
    assert len(first) == len({tuple(r) for r in rows})  # one index per distinct row
    assert sorted(first.tolist()) == first.tolist()  # in order of first appearance
