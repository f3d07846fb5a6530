"""Reason groups: exact sums of SHAP contributions, ranked strongest first with ties broken by code."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from whitelist.core.errors import ConfigError
from whitelist.models.contributions import exact_contributions
from whitelist.models.reasons import GroupMap, ReasonCatalog, ReasonGroup, format_value, load_reasons, top_reasons


def _group(code: str, *features: str) -> ReasonGroup:
    return ReasonGroup(
        code=code, features=features, lead=features[0].rstrip("*") + "x", title_zh="标题", title_en="title",
        source_zh="税务局", source_en="tax bureau", risk_zh="风险{value}", risk_en="risk {value} ({source}, {period})",
        support_zh="支持", support_en="support",
    )


def test_features_go_to_the_first_matching_group_and_unmatched_ones_stand_alone() -> None:
    catalog = ReasonCatalog(groups=(_group("SALES", "tax_sales_*"), _group("TAX", "tax_*")))
    gm = catalog.group_map(("tax_sales_sum_12m", "tax_paid_sum_12m", "tax_sales_slope_6m", "own_score"))
    assert gm.codes == ("SALES", "TAX", "own_score")
    assert gm.members == (("tax_sales_sum_12m", "tax_sales_slope_6m"), ("tax_paid_sum_12m",), ("own_score",))
    contrib = np.array([[0.1, 0.2, 0.3, -0.4, 9.0]])  # last column: the base value
    assert gm.sum(contrib).tolist() == [[pytest.approx(0.4), pytest.approx(0.2), pytest.approx(-0.4)]]


def test_every_default_feature_has_a_reason_group() -> None:
    from whitelist.features.spec import load_features

    gm = load_reasons().group_map(load_features().names, strict=True)
    assert all(gm.groups[c] is not None for c in gm.codes)
    names = set(load_features().names)
    assert {gm.lead(c) for c in gm.codes} <= names  # every text quotes a feature that exists


def _sentence(gm: GroupMap, code: str, *, risk: bool, lang: str, value: object, period: str) -> str:
    """A reason's sentence as a run writes it: the frame filled in once per code, around each formatted value."""
    before, after = gm.frame(code, risk=risk, lang=lang, period=period)
    return before + gm.formatter(code, lang)(value) + after


def test_a_government_model_feature_without_a_group_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"1 model feature\(s\) belong to no reason group: 'bank_score'"):
        load_reasons().group_map(("tax_sales_sum_12m", "bank_score"), strict=True)
    own = load_reasons().group_map(("tax_sales_sum_12m", "bank_score"))
    assert own.codes == ("SALES_LEVEL", "bank_score")
    assert _sentence(own, "bank_score", risk=True, lang="en", value=0.5, period="as of 2024-12-31") == (
        "bank_score = 0.5, raises the risk (as of 2024-12-31)")


@pytest.mark.parametrize(
    ("code", "risk", "lang", "value", "expected"),
    [
        ("SALES_TREND", True, "zh", -0.312, "近12个月申报销售额同比-31%,推高模型的风险评估(税务局,P)"),
        ("SALES_TREND", True, "en", -0.312, "declared sales -31% year on year over 12 months: raises the model’s risk estimate (tax bureau, P)"),
        ("SALES_LEVEL", False, "en", 1234567.8, "declared sales of CNY 1,234,568 over 12 months: lowers the model’s risk estimate (tax bureau, P)"),
        ("TAX_ARREARS", True, "zh", float("nan"), "近12个月最高欠税无记录,推高模型的风险评估(税务局,P)"),
        ("AGE", False, "en", 1.0, "in business for 1 month: lowers the model’s risk estimate (market supervision, P)"),
    ],
)
def test_reason_texts_quote_value_source_and_period(code: str, risk: bool, lang: str, value: float, expected: str) -> None:
    gm = load_reasons().group_map(("tax_sales_sum_12m", "tax_sales_growth_yoy_12m", "tax_arrears_max_12m",
                                   "reg_established_age_months"), strict=True)
    assert _sentence(gm, code, risk=risk, lang=lang, value=value, period="P") == expected
    assert gm.repair("TAX_ARREARS", "en") and gm.repair("SALES_LEVEL", "en") is None


def test_top_reasons_point_the_right_way_and_break_ties_by_code() -> None:
    values = np.array([[0.3, -0.2, 0.3, 0.1, -0.5], [0.3, -0.2, 0.3, 0.1, -0.5], [-0.1, -0.1, 0.0, 0.0, 0.0]])
    index, picked = top_reasons(values, np.array([1.0, -1.0, 1.0]), k=4)
    assert index.tolist() == [[0, 2, 3, -1], [4, 1, -1, -1], [-1, -1, -1, -1]]
    assert picked[0, :3].tolist() == [0.3, 0.3, 0.1] and np.isnan(picked[0, 3])


@given(arrays(float, (6, 5), elements=st.sampled_from([-0.2, -0.1, 0.0, 0.1, 0.2])), st.sampled_from([1.0, -1.0]))
def test_top_reasons_are_sorted_and_only_in_their_direction(values: np.ndarray, sign: float) -> None:
    index, picked = top_reasons(values, np.full(len(values), sign), k=4)
    for row in range(len(values)):
        chosen = [i for i in index[row] if i >= 0]
        strength = [values[row, i] * sign for i in chosen]
        assert all(s > 0 for s in strength)
        assert strength == sorted(strength, reverse=True)
        assert len(chosen) == min(4, int((values[row] * sign > 0).sum()))
        ties = [(values[row, i] * sign, i) for i in chosen]
        assert ties == sorted(ties, key=lambda t: (-t[0], t[1]))


@pytest.fixture(scope="module")
def model() -> tuple[lgb.Booster, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 3_000
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.poisson(1.0, n).astype(float),
                      "kind": pd.Categorical(rng.choice(["x", "y", "z"], n))})
    x.loc[rng.random(n) < 0.3, "a"] = np.nan  # missing values are everywhere in government data
    logit = -2 + x["a"].fillna(0) - 0.5 * x["b"] + 0.4 * x["c"] + (x["kind"] == "z") * 0.8
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"objective": "binary", "max_depth": 4, "num_leaves": 15, "verbose": -1, "seed": 1, "min_data_in_leaf": 20}
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=60), x


def test_contributions_add_up_to_the_raw_score_and_match_shap(model: tuple[lgb.Booster, pd.DataFrame]) -> None:
    import shap

    booster, x = model
    contrib = exact_contributions(booster, x)
    raw = booster.predict(x, raw_score=True)
    assert np.allclose(contrib.sum(axis=1), raw, atol=1e-9)
    sample = x.iloc[:200]
    explainer = shap.TreeExplainer(booster)
    expected = explainer.shap_values(sample)
    expected = expected[1] if isinstance(expected, list) else expected
    assert np.allclose(contrib[:200, :-1], expected, atol=1e-6)
    assert np.allclose(contrib[:, -1], np.ravel(explainer.expected_value)[-1], atol=1e-6)


UNITS = ("change", "share", "money", "capital", "months", "count_months", "days", "ratio", "count", "text")


def _spelled_out(value: object, unit: str, lang: str) -> str:
    """The reason values' formats written out rule by rule, independently of the engine's dispatch."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "无记录" if lang == "zh" else "no record"
    if unit == "text":
        return str(value)
    v = float(value)
    whole = f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    rules = {
        "change": f"{v:+.0%}", "share": f"{v:.0%}", "ratio": f"{v:.2f}",
        "money": f"{v:,.0f}元" if lang == "zh" else f"CNY {v:,.0f}",
        "capital": f"{whole}万元" if lang == "zh" else f"CNY {v * 10_000:,.0f}",
        "months": f"{whole}个月" if lang == "zh" else f"{whole} month{'s' if v != 1 else ''}",
        "count_months": f"{whole}个月" if lang == "zh" else f"{whole} month{'s' if v != 1 else ''}",
        "days": f"{whole}天" if lang == "zh" else f"{whole} day{'s' if v != 1 else ''}",
    }
    return rules.get(unit, whole)


@given(
    st.one_of(
        st.floats(min_value=-1e12, max_value=1e12),
        st.integers(-10**9, 10**9),
        st.sampled_from([0.0, 1.0, 1.5, 0.125, 2.5, -0.005, float("nan"), None, pd.NA]),
    ),
    st.sampled_from(UNITS),
    st.sampled_from(["zh", "en"]),
)
def test_value_formats_follow_the_unit_rules(value: object, unit: str, lang: str) -> None:
    assert format_value(value, unit, lang) == _spelled_out(value, unit, lang)


def test_value_formats_read_as_a_reader_expects() -> None:
    assert format_value(1234567.4, "money", "zh") == "1,234,567元"
    assert format_value(50.0, "capital", "en") == "CNY 500,000"
    assert format_value(1.0, "months", "en") == "1 month"
    assert format_value(2.5, "days", "en") == "2.5 days"
    assert format_value(-0.125, "change", "en") == "-12%"
    assert format_value(float("nan"), "share", "zh") == "无记录"
