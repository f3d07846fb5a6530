"""Evaluation figures on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from whitelist.training.evaluate import bootstrap_auc, calibration, gains, operating_points, ranking


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


@settings(max_examples=25, deadline=None)
@given(n=st.integers(20, 200), seed=st.integers(0, 1_000))
def test_an_enterprise_bootstrap_of_one_row_per_enterprise_is_the_row_bootstrap(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    y[:2] = [0, 1]
    score = {"a": rng.random(n), "b": rng.random(n)}
    rows = bootstrap_auc(y, score, seed=seed, resamples=50)
    firms = bootstrap_auc(y, score, seed=seed, resamples=50, groups=np.array([f"F{i:04d}" for i in range(n)]))
    assert firms["auc"] == rows["auc"] and firms["difference"] == rows["difference"]
    assert firms["resampled"] == "enterprises" and firms["enterprises"] == n


def test_an_enterprise_bootstrap_widens_the_interval_of_a_panel() -> None:
    """Twelve month ends of one firm are one draw: resampling rows would claim twelve times the evidence."""
    rng = np.random.default_rng(3)
    firms = 300
    y1 = (rng.random(firms) < 0.2).astype(int)
    s1 = y1 * 0.5 + rng.random(firms)
    y, score, ids = np.repeat(y1, 12), np.repeat(s1, 12), np.repeat(np.arange(firms), 12)
    by_row = bootstrap_auc(y, {"m": score}, seed=0, resamples=300)["auc"]["m"]
    by_firm = bootstrap_auc(y, {"m": score}, seed=0, resamples=300, groups=ids)["auc"]["m"]
    assert by_firm["value"] == by_row["value"]
    assert (by_firm["high"] - by_firm["low"]) > 2.5 * (by_row["high"] - by_row["low"])
