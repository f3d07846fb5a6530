"""joined_names: the rules hit and the segments of every enterprise, built once per pattern."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from whitelist.scoring.policy.patterns import joined_names


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
