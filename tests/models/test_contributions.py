"""The one path to contributions: the compiled TreeSHAP by default, pred_contrib on request or by fallback."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from whitelist.models.artefact import model_matrix
from whitelist.models.contributions import contributor, exact_contributions, model_array

LEVELS = ["retail", "catering", "export", "tech"]


def _frame(n: int, seed: int) -> pd.DataFrame:
    """Numbers with NaN everywhere and a text category, as the feature table holds them."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "sales": rng.lognormal(10, 1, n),
        "employees": rng.poisson(4, n).astype(float),
        "arrears": rng.normal(size=n),
        "industry": rng.choice(LEVELS, n).astype(object),
    })
    for col in ("sales", "employees", "arrears"):
        x.loc[rng.random(n) < 0.35, col] = np.nan
    x.loc[rng.random(n) < 0.1, "industry"] = None
    return x


@pytest.fixture(scope="module")
def trained() -> tuple[lgb.Booster, dict[str, list[str]]]:
    x = _frame(4_000, seed=5)
    categories = {"industry": LEVELS}
    matrix = model_matrix(x, tuple(x.columns), categories)
    rng = np.random.default_rng(6)
    logit = -2 + 0.8 * np.nan_to_num(matrix["arrears"].to_numpy()) + (x["industry"] == "export") * 1.2
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"objective": "binary", "max_depth": 5, "num_leaves": 24, "verbose": -1, "seed": 1,
              "min_data_in_leaf": 10, "deterministic": True, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(matrix, y), num_boost_round=80), categories


def test_the_compiled_path_gives_lightgbms_numbers_on_a_model_matrix(trained: tuple[lgb.Booster, dict]) -> None:
    booster, categories = trained
    x = _frame(1_500, seed=9)
    x.loc[:20, "industry"] = "mining"  # a level the model never saw reads as missing
    matrix = model_matrix(x, tuple(x.columns), categories)
    fast = contributor(booster)
    assert fast.used == "treeshap" and fast.fallback is None
    ours = fast(matrix)
    theirs = booster.predict(matrix, pred_contrib=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-9, rtol=0)
    np.testing.assert_allclose(ours.sum(axis=1), booster.predict(matrix, raw_score=True), atol=1e-9, rtol=0)
    assert np.array_equal(exact_contributions(booster, matrix, "pred_contrib"), theirs)


def test_category_codes_follow_the_order_the_booster_was_trained_with(trained: tuple[lgb.Booster, dict]) -> None:
    booster, categories = trained
    x = _frame(300, seed=10)
    shuffled = model_matrix(x, tuple(x.columns), {"industry": LEVELS[::-1]})
    codes = model_array(booster, shuffled)[:, 3]
    expected = pd.Categorical(x["industry"], categories=LEVELS).codes.astype(float)
    expected[expected < 0] = np.nan
    np.testing.assert_array_equal(codes, expected)
    np.testing.assert_allclose(
        exact_contributions(booster, shuffled), booster.predict(shuffled, pred_contrib=True), atol=1e-9, rtol=0
    )


def test_columns_out_of_the_boosters_order_are_refused(trained: tuple[lgb.Booster, dict]) -> None:
    booster, categories = trained
    x = _frame(10, seed=11)
    matrix = model_matrix(x, tuple(x.columns), categories)
    with pytest.raises(ValueError, match="booster.feature_name\\(\\) order"):
        exact_contributions(booster, matrix[list(matrix.columns[::-1])])


def test_a_booster_the_compiled_path_cannot_reproduce_falls_back_to_pred_contrib() -> None:
    x = _frame(2_000, seed=12).drop(columns="industry")
    y = (np.nan_to_num(x["arrears"].to_numpy()) > 0.5).astype(int)
    params = {"objective": "binary", "boosting": "rf", "bagging_fraction": 0.7, "bagging_freq": 1,
              "num_leaves": 8, "verbose": -1, "seed": 1}
    forest = lgb.train(params, lgb.Dataset(x, y), num_boost_round=10)
    chosen = contributor(forest)
    assert chosen.requested == "treeshap" and chosen.used == "pred_contrib"
    assert "rf" in (chosen.fallback or "") and chosen.describe()["fallback"] == chosen.fallback
    assert np.array_equal(chosen(x), forest.predict(x, pred_contrib=True))


def test_methods_are_checked_and_an_empty_matrix_gives_no_rows(trained: tuple[lgb.Booster, dict]) -> None:
    booster, categories = trained
    with pytest.raises(ValueError, match="unknown contributions method 'fast'"):
        contributor(booster, "fast")  # type: ignore[arg-type]
    empty = model_matrix(_frame(5, seed=1).iloc[:0], ("sales", "employees", "arrears", "industry"), categories)
    assert exact_contributions(booster, empty).shape == (0, 5)
    assert contributor(booster).forest is contributor(booster).forest  # compiled once per booster
