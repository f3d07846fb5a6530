"""The compiled TreeSHAP gives LightGBM's pred_contrib, contribution by contribution, on rows full of NaN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lightgbm as lgb
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whitelist.models import treeshap
from whitelist.models.treeshap import CompiledForest, UnsupportedModelError, compile_booster, tree_shap

ATOL = 1e-9


def _data(rows: int, features: int, seed: int, nan: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Features with ``nan`` of each column missing and a label that needs several of them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    filled = np.nan_to_num(X)
    signal = filled[:, :12].sum(axis=1) + filled[:, 0] * filled[:, 1 % features]
    y = (signal + rng.normal(scale=0.5, size=rows) > 0).astype(float)
    X[rng.random(X.shape) < nan] = np.nan
    return X, y


def _train(X: np.ndarray, y: np.ndarray, rounds: int = 20, **params: Any) -> lgb.Booster:
    base = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 0, "deterministic": True}
    categorical = params.pop("categorical_feature", "auto")
    data = lgb.Dataset(X, y, categorical_feature=categorical, params={"verbose": -1})
    return lgb.train({**base, **params}, data, num_boost_round=rounds)


def _with_missing_rows(X: np.ndarray) -> np.ndarray:
    """The rows plus three all-NaN rows, as the caller passes them: float64, C order."""
    out = np.vstack([X, np.full((3, X.shape[1]), np.nan)])
    return np.ascontiguousarray(out, dtype=np.float64)


def _assert_exact(booster: lgb.Booster, X: np.ndarray, **compile_options: Any) -> CompiledForest:
    """Every contribution equals pred_contrib and every row sums to the raw score, to 1e-9."""
    forest = compile_booster(booster, **compile_options)
    ours = tree_shap(forest, X)
    expected = booster.predict(X, pred_contrib=True)
    assert ours.dtype == np.float64 and ours.shape == expected.shape == (len(X), booster.num_feature() + 1)
    np.testing.assert_allclose(ours, expected, atol=ATOL, rtol=0)
    np.testing.assert_allclose(ours.sum(axis=1), booster.predict(X, raw_score=True), atol=ATOL, rtol=0)
    return forest


def _nodes(booster: lgb.Booster) -> Iterator[dict[str, Any]]:
    stack = [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            yield node
            stack.extend((node["left_child"], node["right_child"]))


@pytest.mark.parametrize(
    ("params", "features"),
    [
        ({"max_depth": 1, "num_leaves": 2}, 6),
        ({"max_depth": 3, "num_leaves": 8}, 6),
        ({"max_depth": 6, "num_leaves": 63, "min_data_in_leaf": 5}, 10),
        ({"num_leaves": 31, "objective": "regression"}, 6),
    ],
    ids=["depth1", "depth3", "depth6", "regression"],
)
def test_contributions_equal_pred_contrib_on_rows_with_missing_values(params: dict, features: int) -> None:
    X, y = _data(1_500, features, seed=1)
    booster = _train(X, y, **params)
    test = _with_missing_rows(_data(400, features, seed=2)[0])
    forest = _assert_exact(booster, test)
    assert forest.table_max_unique == treeshap.DEFAULT_MAX_TABLE_UNIQUE
    ours = tree_shap(forest, test[[0, 1, -1]])
    for row, x in zip(ours, test[[0, 1, -1]], strict=True):
        np.testing.assert_allclose(row[:-1], _exact_shap(booster, x), atol=1e-13, rtol=0)


def test_deep_trees_with_long_paths_use_the_per_row_fallback() -> None:
    X, y = _data(3_000, 24, seed=3, nan=0.1)
    booster = _train(X, y, rounds=4, num_leaves=255, max_depth=-1, min_data_in_leaf=2, learning_rate=0.3)
    test, _ = _data(300, 24, seed=4)
    forest = _assert_exact(booster, _with_missing_rows(test))
    assert forest.max_unique > treeshap.DEFAULT_MAX_TABLE_UNIQUE
    assert (forest.leaf_table < 0).any() and (forest.leaf_table >= 0).any()


def test_fallback_and_small_table_budgets_give_the_same_numbers() -> None:
    X, y = _data(1_500, 8, seed=5)
    booster = _train(X, y, num_leaves=63, max_depth=6, min_data_in_leaf=5)
    test = _with_missing_rows(_data(300, 8, seed=6)[0])
    per_row = _assert_exact(booster, test, max_table_unique=0)
    assert per_row.table_bytes == 0 and (per_row.leaf_table < 0).all()
    budget = _assert_exact(booster, test, max_table_bytes=20_000)
    assert budget.table_bytes <= 20_000 and 0 < budget.table_max_unique < treeshap.DEFAULT_MAX_TABLE_UNIQUE


def _chain_model(splits: int, features: int, seed: int) -> str:
    """A LightGBM text model whose one tree is a chain: node i splits on feature i % features.

    Its last leaf's path has ``features`` unique features (past the 62 pattern bits) and
    repeats some; missing types and default directions vary node by node.
    """
    rng = np.random.default_rng(seed)

    def line(key: str, values: Any) -> str:
        return f"{key}=" + " ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in values)

    leaves = splits + 1
    tree = [
        "Tree=0",
        f"num_leaves={leaves}",
        "num_cat=0",
        line("split_feature", [i % features for i in range(splits)]),
        line("split_gain", [1] * splits),
        line("threshold", rng.normal(scale=0.3, size=splits).tolist()),
        line("decision_type", rng.choice([0, 2, 4, 6, 8, 10], size=splits).tolist()),
        line("left_child", [~i for i in range(splits)]),
        line("right_child", [*range(1, splits), ~splits]),
        line("leaf_value", rng.normal(size=leaves).tolist()),
        line("leaf_weight", [1] * leaves),
        line("leaf_count", [5] * splits + [100]),
        line("internal_value", [0] * splits),
        line("internal_weight", [1] * splits),
        line("internal_count", [5 * (splits - i) + 100 for i in range(splits)]),
        "is_linear=0",
        "shrinkage=1",
    ]
    header = [
        "tree",
        "version=v4",
        "num_class=1",
        "num_tree_per_iteration=1",
        "label_index=0",
        f"max_feature_idx={features - 1}",
        "objective=binary sigmoid:1",
        line("feature_names", [f"f{i}" for i in range(features)]),
        line("feature_infos", ["[-1:1]"] * features),
    ]
    return "\n".join([*header, "", *tree, "", "", "end of trees", ""])


def _exact_shap(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    """Path-dependent TreeSHAP of one row in 50-digit decimals, from ``dump_model`` (numerical splits).

    An independent reference: tree.h's NumericalDecision for routing; per leaf, the unique
    path features' zero fractions (cover ratios) and one fractions, their polynomial
    prod (z_i + o_i t) with each feature's factor divided out, and the Shapley weights.
    """
    from decimal import Decimal, localcontext
    from math import comb

    phi = [Decimal(0)] * booster.num_feature()
    with localcontext() as ctx:
        ctx.prec = 50

        def goes_left(node: dict[str, Any]) -> bool:
            v, missing = x[node["split_feature"]], node["missing_type"]
            if np.isnan(v) and missing != "NaN":
                v = 0.0
            if (missing == "Zero" and abs(v) <= np.float32(1e-35)) or (missing == "NaN" and np.isnan(v)):
                return bool(node["default_left"])
            return bool(v <= node["threshold"])

        def leaf(value: float, path: dict[int, tuple[Decimal, int]]) -> None:
            feats = list(path)
            z = [path[f][0] for f in feats]
            o = [path[f][1] for f in feats]
            d = len(feats)
            full = [Decimal(1)]
            for zi, oi in zip(z, o, strict=True):
                shifted = zip([*full, Decimal(0)], [Decimal(0), *full], strict=True)
                full = [a * zi + b * oi for a, b in shifted]
            for j, f in enumerate(feats):
                if o[j]:
                    quotient, q = [Decimal(0)] * d, full[d]
                    quotient[d - 1] = q
                    for k in range(d - 1, 0, -1):
                        q = full[k] - z[j] * q
                        quotient[k - 1] = q
                else:
                    quotient = [c / z[j] for c in full[:d]]
                weighted = sum(c / (d * comb(d - 1, k)) for k, c in enumerate(quotient))
                phi[f] += Decimal(value) * (o[j] - z[j]) * weighted

        def walk(node: dict[str, Any], path: dict[int, tuple[Decimal, int]]) -> None:
            if "leaf_value" in node:
                leaf(node["leaf_value"], path)
                return
            f, hot = node["split_feature"], goes_left(node)
            for child, is_left in ((node["left_child"], True), (node["right_child"], False)):
                count = child.get("internal_count", child.get("leaf_count"))
                z, o = path.get(f, (Decimal(1), 1))
                z *= Decimal(count) / Decimal(node["internal_count"])
                walk(child, {**path, f: (z, o * (hot == is_left))})

        for tree in booster.dump_model()["tree_info"]:
            walk(tree["tree_structure"], {})
        return np.array([float(p) for p in phi])


def test_paths_past_the_pattern_bits_and_beyond_lightgbms_own_precision() -> None:
    booster = lgb.Booster(model_str=_chain_model(splits=70, features=65, seed=27))
    rng = np.random.default_rng(28)
    X = rng.normal(scale=0.3, size=(300, 65))
    X[rng.random(X.shape) < 0.1] = 0.0
    X[rng.random(X.shape) < 0.3] = np.nan
    X = _with_missing_rows(X)
    forest = compile_booster(booster)
    assert forest.max_unique == 65 and (forest.leaf_table < 0).any()
    ours = tree_shap(forest, X)
    np.testing.assert_allclose(ours.sum(axis=1), booster.predict(X, raw_score=True), atol=1e-12, rtol=0)
    # At 65 unique features LightGBM's own EXTEND/UNWIND recurrences drift (here up to 4e-7,
    # its rows missing the raw score by 6e-6); the quadrature stays at rounding.
    contrib = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(ours, contrib, atol=1e-5, rtol=0)
    worst = int(np.abs(ours - contrib).max(axis=1).argmax())
    for row in (worst, 0, len(X) - 1):
        np.testing.assert_allclose(ours[row, :-1], _exact_shap(booster, X[row]), atol=1e-13, rtol=0)


@pytest.mark.parametrize("d", [1, 2, 5, 9])
def test_leaf_formula_equals_the_shapley_definition(d: int) -> None:
    """phi_j = sum over coalitions S of the others of |S|!(d-1-|S|)!/d! (f(S + j) - f(S))."""
    from fractions import Fraction
    from itertools import combinations
    from math import factorial

    rng = np.random.default_rng(d)
    zero = rng.uniform(0.01, 1.0, size=d)
    one = rng.integers(0, 2, size=d).astype(float)
    value = 1.7

    def f(coalition: set[int]) -> Fraction:  # path-dependent value: present features follow the row
        out = Fraction(value)
        for i in range(d):
            out *= Fraction(one[i]) if i in coalition else Fraction(zero[i])
        return out

    exact = []
    for j in range(d):
        others = [i for i in range(d) if i != j]
        total = Fraction(0)
        for k in range(d):
            weight = Fraction(factorial(k) * factorial(d - 1 - k), factorial(d))
            total += sum((weight * (f({*c, j}) - f(set(c))) for c in combinations(others, k)), Fraction(0))
        exact.append(float(total))
    nodes, weights = treeshap._quadrature(d)
    phi = np.empty(d)
    treeshap._leaf_phi(zero, one, d, value, nodes, weights, np.empty(d), phi)
    np.testing.assert_allclose(phi, exact, rtol=1e-13, atol=1e-15)


def _categorical_data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 5))
    X[:, 1] = rng.integers(0, 40, size=rows)  # many levels: a bitset over two words
    X[:, 3] = rng.integers(0, 5, size=rows)
    y = ((X[:, 1] % 3 == 0) + (X[:, 3] == 2) + X[:, 0] + rng.normal(scale=0.5, size=rows) > 1).astype(float)
    X[rng.random(X.shape) < 0.2] = np.nan
    return X, y


def test_categorical_splits_route_unseen_negative_fractional_and_missing_codes_like_lightgbm() -> None:
    X, y = _categorical_data(3_000, seed=7)
    booster = _train(
        X, y, num_leaves=31, categorical_feature=[1, 3], min_data_per_group=5, cat_smooth=1,
        max_cat_to_onehot=4,
    )  # fmt: skip
    assert any(n["decision_type"] == "==" for n in _nodes(booster))
    test, _ = _categorical_data(300, seed=8)
    odd = [-1.0, -3.0, -0.5, 0.0, 0.7, 31.0, 32.0, 39.0, 40.0, 63.0, 64.0, 1e3, 2.0**31, 1e12]
    odd += [np.inf, -np.inf, np.nan]
    test[: len(odd), 1] = odd
    test[: len(odd), 3] = odd[::-1]
    _assert_exact(booster, _with_missing_rows(test))


def test_zero_as_missing_sends_zeros_and_nan_the_default_way() -> None:
    X, y = _data(2_000, 6, seed=9, nan=0.0)
    X[np.random.default_rng(9).random(X.shape) < 0.3] = 0.0
    booster = _train(X, y, num_leaves=31, zero_as_missing=True)
    assert {n["missing_type"] for n in _nodes(booster)} == {"Zero"}
    test, _ = _data(300, 6, seed=10)
    test[:8, :] = np.array([0.0, -0.0, 1e-36, -1e-36, 1e-35, 1.1e-35, -1e-30, np.nan])[:, None]
    _assert_exact(booster, _with_missing_rows(test))


def test_nan_in_a_feature_without_missing_values_in_training_reads_as_zero() -> None:
    X, y = _data(2_000, 6, seed=11)
    X[:, 0] = np.random.default_rng(11).normal(size=len(X))  # no NaN in training: missing_type None
    booster = _train(X, y, num_leaves=31)
    types = {(n["split_feature"], n["missing_type"]) for n in _nodes(booster)}
    assert (0, "None") in types and any(t == "NaN" for _, t in types)
    test, _ = _data(400, 6, seed=12, nan=0.5)
    _assert_exact(booster, _with_missing_rows(test))


def test_use_missing_false_and_monotone_constraints() -> None:
    X, y = _data(2_000, 6, seed=13)
    test = _with_missing_rows(_data(300, 6, seed=14)[0])
    no_missing = _train(X, y, num_leaves=31, use_missing=False)
    assert {n["missing_type"] for n in _nodes(no_missing)} == {"None"}
    _assert_exact(no_missing, test)
    monotone = _train(
        X, y, num_leaves=31, monotone_constraints=[1, 0, -1, 0, 1, 0],
        monotone_constraints_method="intermediate",
    )  # fmt: skip
    _assert_exact(monotone, test)


def test_a_feature_no_tree_uses_gets_exactly_zero() -> None:
    X, y = _data(1_500, 6, seed=15)
    X[:, 4] = 1.0  # constant: never split on
    booster = _train(X, y, num_leaves=15)
    test = _with_missing_rows(_data(300, 6, seed=16)[0])
    _assert_exact(booster, test)
    assert not tree_shap(compile_booster(booster), test)[:, 4].any()


def test_single_leaf_trees_and_the_base_value() -> None:
    X, y = _data(1_500, 5, seed=17)
    constant = _train(X, y, rounds=3, min_gain_to_split=1e9)  # one tree, one leaf: the average
    assert constant.num_trees() == 1
    test = _with_missing_rows(_data(200, 5, seed=18)[0])
    forest = _assert_exact(constant, test)
    assert len(forest.tree_n_nodes) == 0
    mixed = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 7, "num_threads": 1},
        lgb.Dataset(X, y),
        num_boost_round=10,
        init_model=constant,
    )
    assert "num_leaves=1\n" in mixed.model_to_string()
    _assert_exact(mixed, test)


@pytest.mark.parametrize("boost_from_average", [True, False])
def test_the_last_column_is_lightgbms_expected_value(boost_from_average: bool) -> None:
    X, y = _data(1_500, 5, seed=19)
    y[:1_200] = 0.0  # an unbalanced label: its log-odds are far from 0
    booster = _train(X, y, rounds=3, num_leaves=15, boost_from_average=boost_from_average)
    test = _with_missing_rows(_data(100, 5, seed=20)[0])
    forest = _assert_exact(booster, test)
    assert (tree_shap(forest, test)[:, -1] == forest.expected_value).all()
    log_odds = np.log(y.mean() / (1 - y.mean()))
    if boost_from_average:  # the first tree carries the label's log-odds
        assert forest.expected_value == pytest.approx(log_odds, abs=0.3)
    else:
        assert abs(forest.expected_value) < abs(log_odds) - 1


def test_early_stopping_uses_the_best_iteration_as_predict_does() -> None:
    X, y = _data(2_000, 6, seed=21)
    valid = lgb.Dataset(X[1_500:], y[1_500:])
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 31, "learning_rate": 0.5, "num_threads": 1},
        lgb.Dataset(X[:1_500], y[:1_500]),
        num_boost_round=200,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(3, verbose=False)],
        keep_training_booster=True,  # else train() keeps only the best iteration's trees
    )
    assert 0 < booster.best_iteration < booster.num_trees()
    _assert_exact(booster, _with_missing_rows(_data(200, 6, seed=22)[0]))


def test_results_are_byte_identical_whatever_the_call_block_or_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = _data(1_500, 8, seed=23)
    forest = compile_booster(_train(X, y, num_leaves=31))
    test = _with_missing_rows(_data(1_000, 8, seed=24)[0])
    first = tree_shap(forest, test)
    assert first.tobytes() == tree_shap(forest, test).tobytes()
    monkeypatch.setattr(treeshap, "ROW_BLOCK", 37)
    assert first.tobytes() == tree_shap(forest, test).tobytes()
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert first.tobytes() == tree_shap(forest, test).tobytes()
    finally:
        numba.set_num_threads(threads)
    assert first[17:18].tobytes() == tree_shap(forest, test[17:18]).tobytes()


def test_input_checks() -> None:
    X, y = _data(500, 4, seed=25)
    forest = compile_booster(_train(X, y, rounds=3, num_leaves=4))
    assert tree_shap(forest, np.zeros((0, 4))).shape == (0, 5)
    with pytest.raises(ValueError, match="4 columns"):
        tree_shap(forest, np.zeros((3, 5)))
    ours = tree_shap(forest, np.asfortranarray(X[:50].astype(np.float32)))  # converted, same numbers
    np.testing.assert_allclose(ours, tree_shap(forest, X[:50].astype(np.float32).astype(np.float64)), atol=0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"objective": "multiclass", "num_class": 3}, "trees per iteration"),
        ({"boosting": "rf", "bagging_fraction": 0.5, "bagging_freq": 1}, "averages"),
        ({"linear_tree": True}, "linear trees"),
    ],
    ids=["multiclass", "random-forest", "linear-tree"],
)
def test_unsupported_models_raise_a_value_error_to_fall_back_on(params: dict, match: str) -> None:
    X, y = _data(600, 4, seed=26, nan=0.0)
    if params.get("objective") == "multiclass":
        y = np.random.default_rng(26).integers(0, 3, size=len(y)).astype(float)
    booster = _train(X, y, rounds=3, num_leaves=4, **params)
    with pytest.raises(ValueError, match=match):
        compile_booster(booster)
    assert issubclass(UnsupportedModelError, ValueError)


@settings(max_examples=60)
@given(
    features=st.integers(1, 6),
    num_leaves=st.integers(2, 40),
    max_depth=st.sampled_from([-1, 1, 2, 4, 7]),
    nan=st.sampled_from([0.0, 0.2, 0.6]),
    categorical=st.booleans(),
    zero_as_missing=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_property_random_small_models(
    features: int,
    num_leaves: int,
    max_depth: int,
    nan: float,
    categorical: bool,
    zero_as_missing: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    X, y = _data(300, features, seed=seed, nan=nan)
    cats = [0] if categorical else []
    if categorical:
        X[:, 0] = np.where(np.isnan(X[:, 0]), np.nan, rng.integers(0, 12, size=len(X)))
        y = np.where(X[:, 0] % 4 == 1, 1.0 - y, y)
    if zero_as_missing:
        X[rng.random(X.shape) < 0.2] = 0.0
    params = {"num_leaves": num_leaves, "max_depth": max_depth, "min_data_in_leaf": 3}
    params |= {"zero_as_missing": zero_as_missing, "min_data_per_group": 3, "cat_smooth": 1}
    booster = _train(X, y, rounds=5, categorical_feature=cats, **params)
    test, _ = _data(60, features, seed=seed + 1, nan=nan)
    test[:5, 0] = [-2.0, 0.0, 13.0, np.nan, 5.0]
    _assert_exact(booster, _with_missing_rows(test))
