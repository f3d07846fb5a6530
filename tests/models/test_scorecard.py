"""Points and grades: the scale risk teams read."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.config import parse_config
from whitelist.core.errors import ConfigError
from whitelist.models.scorecard import Scorecard

CARD = Scorecard()
pds = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_base_odds_give_base_points_and_pdo_doubles_them() -> None:
    pd_at_base = 1 / (1 + 50)  # odds 50:1
    pd_at_double = 1 / (1 + 100)
    assert CARD.points(np.array([pd_at_base]))[0] == 600
    assert CARD.points(np.array([pd_at_double]))[0] == 620


@given(pds, pds)
def test_points_fall_as_pd_rises(a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    p = CARD.points(np.array([low, high]))
    assert p[0] >= p[1]
    assert np.isfinite(p).all()


@given(pds)
def test_every_pd_has_exactly_one_grade_in_band_order(p: float) -> None:
    grade = CARD.grade(np.array([p]))[0]
    bands = [g for g in CARD.grades if p <= g.max_pd]
    assert grade == bands[0].name


def test_grade_boundaries_are_inclusive() -> None:
    assert list(CARD.grade(np.array([0.005, 0.0050001, 0.08, 0.5]))) == ["A", "B", "E", "F"]


@pytest.mark.parametrize(
    ("grades", "message"),
    [
        ([{"name": "A", "max_pd": 0.05}, {"name": "B", "max_pd": 0.01}, {"name": "C", "max_pd": 1.0}], "must increase"),
        ([{"name": "A", "max_pd": 0.05}, {"name": "B", "max_pd": 0.5}], "must reach max_pd 1.0"),
        ([{"name": "A", "max_pd": 0.05}, {"name": "A", "max_pd": 1.0}], "names must be unique"),
    ],
)
def test_bad_grade_bands_are_refused(grades: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(Scorecard, {"grades": grades}, source="train.yaml")
