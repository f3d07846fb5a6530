"""Evaluation figures on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from whitelist.training.evaluate import calibration, gains, operating_points, ranking


def test_perfect_and_random_ranking() -> None:
    y = np.array([0, 0, 0, 1, 1])
    perfect = ranking(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9]))
    assert perfect == {"auc": 1.0, "gini": 1.0, "ks": 1.0}
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.1).astype(int)
    noise = ranking(y, rng.random(20_000))
    assert abs(noise["auc"] - 0.5) < 0.02 and noise["ks"] < 0.05


def test_calibrated_scores_have_small_error_and_deciles_add_up() -> None:
    rng = np.random.default_rng(1)
    pd_ = rng.uniform(0, 0.2, 50_000)
    y = (rng.random(pd_.size) < pd_).astype(int)
    good = calibration(y, pd_)
    assert good["calibration_error"] < 0.01
    assert sum(r["rows"] for r in good["deciles"]) == y.size
    doubled = calibration(y, np.minimum(pd_ * 2, 1))
    assert doubled["calibration_error"] > 0.05 and doubled["brier"] > good["brier"]


def test_gains_catch_every_bad_by_the_last_tenth_and_lift_is_highest_first() -> None:
    rng = np.random.default_rng(2)
    pd_ = rng.uniform(0, 0.2, 10_000)
    y = (rng.random(pd_.size) < pd_).astype(int)
    table = gains(y, pd_)
    assert table[-1]["cumulative_bad_share"] == pytest.approx(1.0)
    assert table[0]["lift"] > 1.5 > table[-1]["lift"]


def test_operating_points_count_the_approved() -> None:
    y = np.array([0, 0, 1, 0, 1])
    pd_ = np.array([0.01, 0.02, 0.03, 0.05, 0.5])
    points = operating_points(y, pd_, [("A", 0.02), ("B", 0.04), ("F", 1.0)])
    assert [p["approval_rate"] for p in points] == [0.4, 0.6, 1.0]
    assert [p["bad_rate_approved"] for p in points] == [0.0, pytest.approx(1 / 3), 0.4]
