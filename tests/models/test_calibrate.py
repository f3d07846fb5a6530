"""Calibrators keep the model's order, respect the PD floor and survive a JSON round trip."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from whitelist.models.calibrate import PD_FLOOR, Calibrator
from whitelist.training.calibrate import choose_calibrator, fit_isotonic, fit_platt


def _scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.normal(-3.5, 1.2, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(raw + 0.3 * rng.normal(size=n))))).astype(int)
    return raw, y


@given(st.integers(0, 10_000), st.sampled_from([fit_isotonic, fit_platt]))
def test_calibration_never_reverses_the_order_and_respects_the_floor(seed: int, fit: object) -> None:
    raw, y = _scores(3_000, seed)
    cal = fit(raw, y)
    grid = np.sort(np.random.default_rng(seed).uniform(-9, 3, 500))
    pd_ = cal(grid)
    assert np.all(np.diff(pd_) >= 0)
    assert pd_.min() >= PD_FLOOR and pd_.max() <= 1 - PD_FLOOR
    assert Calibrator.from_dict(cal.to_dict()) == cal


def test_isotonic_keeps_the_ranking_a_step_function_would_lose() -> None:
    raw, y = _scores(20_000, 1)
    cal = fit_isotonic(raw, y)
    inside = (raw > cal.x[0]) & (raw < cal.x[-1])
    assert np.unique(cal(raw[inside])).size > 0.95 * np.unique(raw[inside]).size
    assert abs(roc_auc_score(y, cal(raw)) - roc_auc_score(y, raw)) < 0.002


def test_the_chosen_calibrator_matches_the_observed_default_rate() -> None:
    raw, y = _scores(20_000, 2)
    cal, scores = choose_calibrator(raw, y, seed=0)
    assert set(scores) == {"isotonic", "platt"} and cal.kind == min(scores, key=lambda k: (scores[k], k))
    assert abs(cal(raw).mean() - y.mean()) < 0.005
