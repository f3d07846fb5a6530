"""Inferring the end of the history window from row counts per month."""

from __future__ import annotations

from datetime import date

import pytest

from whitelist.sources.window import infer_end


def months(*counts: int, last: date = date(2024, 12, 31)) -> dict[date, int]:
    import pandas as pd

    ends = pd.date_range(end=pd.Timestamp(last), periods=len(counts), freq="ME")
    return {d.date(): n for d, n in zip(ends, counts, strict=True)}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (months(100, 100, 100, 100), date(2024, 12, 31)),
        (months(100, 100, 100, 60), date(2024, 12, 31)),  # the last month thinned by lags still counts
        (months(100, 100, 100, 100, 3, 0, 1), date(2024, 9, 30)),  # stray later dates do not
        (months(100, 100, 100, 10), date(2024, 12, 31)),  # exactly 10% of the median
        (months(100, 100, 100, 9), date(2024, 11, 30)),
        ({}, None),
        ({date(2024, 1, 31): 0}, None),
    ],
)
def test_infer_end(counts: dict[date, int], expected: date | None) -> None:
    assert infer_end(counts) == expected


def test_a_far_future_typo_does_not_move_the_end() -> None:
    counts = months(*[1000] * 60)
    counts[date(2099, 1, 31)] = 5
    counts[date(1900, 1, 31)] = 5
    assert infer_end(counts) == date(2024, 12, 31)
