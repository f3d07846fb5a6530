"""Validation gates and the paired-row monotonicity check, on real LightGBM models."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from whitelist.training.config import Gates
from whitelist.training.gates import check_gates, failed_message, gates_passed
from whitelist.training.monotonicity import check_monotone, feature_grid


def _evaluation(**over: float) -> dict:
    base = {"test": {"auc": 0.8, "ks": 0.45, "calibration_error": 0.004}, "psi": {"score": {"value": 0.03}, "features": {"a": {"value": 0.05}, "b": {"value": 0.4}}}, "monotonicity": {"violations": 0}}
    for key, value in over.items():
        part, name = key.split("__")
        base[part][name] = value
    return base


def test_a_good_model_passes_and_each_bad_figure_fails_its_own_gate() -> None:
    assert gates_passed(check_gates(_evaluation(), Gates()))
    for key, value, gate in [
        ("test__auc", 0.65, "min_test_auc"),
        ("test__ks", 0.2, "min_test_ks"),
        ("test__calibration_error", 0.05, "max_calibration_error"),
        ("monotonicity__violations", 3, "max_monotonicity_violations"),
    ]:
        checks = check_gates(_evaluation(**{key: value}), Gates())
        assert [c.gate for c in checks if not c.passed] == [gate]
        assert gate in failed_message(checks)


def test_feature_drift_is_gated_only_when_configured_and_names_the_feature() -> None:
    assert all(c.gate != "max_feature_psi" for c in check_gates(_evaluation(), Gates()))
    checks = check_gates(_evaluation(), Gates(max_feature_psi=0.25))
    drift = next(c for c in checks if c.gate == "max_feature_psi")
    assert not drift.passed and drift.value == pytest.approx(0.4) and "over the limit: b" in drift.detail


def test_a_figure_the_evaluation_lacks_fails_as_not_measured() -> None:
    evaluation = _evaluation()
    del evaluation["monotonicity"]
    checks = check_gates(evaluation, Gates())
    assert not gates_passed(checks) and "not measured" in failed_message(checks)


def _u_shaped(n: int = 6_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"arrears": rng.uniform(0, 10, n), "other": rng.normal(size=n)})
    x.loc[rng.random(n) < 0.2, "other"] = np.nan
    logit = -2 + 0.4 * (x["arrears"] - 5) ** 2 - 3 + 0.5 * x["other"].fillna(0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y.to_numpy()


@pytest.mark.parametrize("method", ["basic", "intermediate"])
def test_constrained_models_pass_the_paired_row_check(method: str) -> None:
    x, y = _u_shaped()
    params = {"objective": "binary", "verbose": -1, "seed": 0, "deterministic": True, "num_threads": 1,
              "monotone_constraints": [1, 0], "monotone_constraints_method": method}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=60)
    result = check_monotone(lambda rows: booster.predict(rows, raw_score=True), x.head(300), {"arrears": 1}, {"arrears": feature_grid(x["arrears"])})
    assert result["features"]["arrears"]["pairs"] == 300 * 10 and result["violations"] == 0


def test_the_check_catches_a_model_that_breaks_the_declared_direction() -> None:
    x, y = _u_shaped()
    params = {"objective": "binary", "verbose": -1, "seed": 0, "deterministic": True, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=60)  # unconstrained: risk falls then rises
    result = check_monotone(lambda rows: booster.predict(rows, raw_score=True), x.head(300), {"arrears": 1}, {"arrears": feature_grid(x["arrears"])})
    assert result["violations"] > 100 and result["features"]["arrears"]["worst_drop"] > 0.5
    evaluation = _evaluation()
    evaluation["monotonicity"] = result
    assert not gates_passed(check_gates(evaluation, Gates()))


def test_a_grid_ignores_missing_values() -> None:
    grid = feature_grid(pd.Series([np.nan, 1.0, 1.0, 3.0, np.nan]))
    assert grid.tolist() == sorted(set(grid.tolist())) and grid.tolist() == [1.0, 3.0]
    assert feature_grid(pd.Series([np.nan, np.nan])).size == 0


def test_the_auc_gate_says_when_its_test_part_is_too_small_to_judge_it() -> None:
    evaluation = _evaluation(test__auc=0.71)
    evaluation["benchmark"] = {"bootstrap": {"rows": 2_400, "enterprises": 600,
                                             "auc": {"model": {"value": 0.71, "low": 0.65, "high": 0.76}}}}
    auc = next(c for c in check_gates(evaluation, Gates()) if c.gate == "min_test_auc")
    assert auc.passed and "0.650..0.760 (600 enterprises resampled)" in auc.detail
    assert "cannot tell whether the model clears it" in auc.detail
    evaluation["benchmark"]["bootstrap"]["auc"]["model"] = {"value": 0.8, "low": 0.77, "high": 0.83}
    auc = next(c for c in check_gates(evaluation, Gates()) if c.gate == "min_test_auc")
    assert auc.detail == "95% interval 0.770..0.830 (600 enterprises resampled)"
