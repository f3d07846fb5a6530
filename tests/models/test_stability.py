"""Reference bins and PSI."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from whitelist.models.stability import Bins, PsiBands, psi

values = arrays(
    np.float64,
    st.integers(1, 300),
    elements=st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
)


@given(values)
def test_psi_of_a_population_with_itself_is_zero(x: np.ndarray) -> None:
    bins = Bins.fit(x)
    assert abs(bins.psi(x)) < 1e-12
    assert abs(sum(bins.shares) - 1.0) < 1e-9


@given(values, values)
def test_psi_is_never_negative(x: np.ndarray, y: np.ndarray) -> None:
    assert Bins.fit(x).psi(y) >= 0


def test_a_shifted_population_is_a_major_shift_and_missing_values_count() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(0, 1, 10_000)
    bins = Bins.fit(train)
    bands = PsiBands()
    assert bands.verdict(bins.psi(rng.normal(0, 1, 10_000))) == "stable"
    assert bands.verdict(bins.psi(rng.normal(1.0, 1, 10_000))) == "major shift"
    with_missing = np.where(rng.random(10_000) < 0.3, np.nan, rng.normal(0, 1, 10_000))
    assert bins.psi(with_missing) > 0.25


def test_psi_formula_on_known_shares() -> None:
    expected = np.array([0.5, 0.5])
    actual = np.array([0.25, 0.75])
    want = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert abs(psi(expected, actual) - want) < 1e-12
