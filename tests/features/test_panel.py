"""The labelled panel's month ends: full feature windows behind each, a whole label year ahead."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from whitelist.features.compile import LABEL_HORIZON, bound, month_index
from whitelist.features.panel import labelled_month_ends, month_end, span
from whitelist.features.spec import load_features
from whitelist.sources.contract import CONTRACT

FEATURES = load_features()


def test_seven_years_of_data_give_a_panel_from_mid_2021_and_five_years_a_short_one() -> None:
    seven = labelled_month_ends(date(2018, 1, 1), date(2024, 12, 31), FEATURES)
    assert (seven[0], seven[-1], len(seven)) == (date(2021, 6, 30), date(2023, 12, 31), 31)
    five = labelled_month_ends(date(2020, 1, 1), date(2024, 12, 31), FEATURES)
    assert five[0] > date(2022, 7, 31) and five[-1] == date(2023, 12, 31)


@given(st.integers(2000 * 12, 2040 * 12))
def test_month_end_is_the_last_day_of_its_month(index: int) -> None:
    end = month_end(index)
    assert month_index(end) == index and month_index(date.fromordinal(end.toordinal() + 1)) == index + 1


@given(first=st.integers(2015 * 12, 2020 * 12), months=st.integers(13, 120))
def test_every_window_of_every_month_end_lies_inside_the_data(first: int, months: int) -> None:
    ends = labelled_month_ends(month_end(first), month_end(first + months - 1), FEATURES)
    for as_of in ends:
        assert month_index(as_of) + LABEL_HORIZON <= first + months - 1
        for f in FEATURES.features:
            if span(f):
                assert bound(CONTRACT[f.source], as_of).anchor - span(f) + 1 >= first
    if ends:  # the month end before the first would reach before the data
        before = month_end(month_index(ends[0]) - 1)
        assert before < month_end(first) or any(
            bound(CONTRACT[f.source], before).anchor - span(f) + 1 < first for f in FEATURES.features if span(f)
        )
