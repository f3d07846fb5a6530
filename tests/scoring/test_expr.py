"""Policy conditions: each op means what the YAML says, on whole columns, with empty inputs handled."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.config import parse_config
from whitelist.core.errors import ConfigError
from whitelist.scoring.policy.expr import Expr, evaluate

OPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
       "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
values = st.lists(st.one_of(st.none(), st.integers(-5, 5).map(float)), min_size=1, max_size=30)


@given(values, st.sampled_from(sorted(OPS)), st.integers(-5, 5), st.one_of(st.none(), st.integers(-5, 5)))
def test_comparisons_match_plain_python(xs: list[float | None], op: str, value: int, fill: int | None) -> None:
    expr = Expr(feature="x", op=op, value=float(value), missing_as=None if fill is None else float(fill))
    result = evaluate(expr, pd.DataFrame({"x": pd.array(xs, dtype="Float64")}))
    for x, hit, missing in zip(xs, result.hit, result.missing, strict=True):
        x = x if x is not None else (None if fill is None else float(fill))
        assert hit == (x is not None and OPS[op](x, value))
        assert missing == (x is None)


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=20))
def test_all_and_any_combine_like_and_or(rows: list[tuple[bool, bool, bool]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"]).astype(float)
    leaves = tuple(Expr(feature=c, op="eq", value=1.0) for c in "abc")
    both = evaluate(Expr(all=leaves), frame).hit
    either = evaluate(Expr(any=leaves), frame).hit
    assert list(both) == [all(r) for r in rows]
    assert list(either) == [any(r) for r in rows]


def test_lists_prefixes_and_presence() -> None:
    frame = pd.DataFrame({"industry": ["H6110", "C1810", None, "R8720"], "n": [1.0, math.nan, 2.0, math.nan]})
    prefix = evaluate(Expr(feature="industry", op="startswith", value=("H61", "R")), frame)
    assert prefix.hit.tolist() == [True, False, False, True]
    assert evaluate(Expr(feature="industry", op="in", value=("C1810",)), frame).hit.tolist() == [False, True, False, False]
    not_in = evaluate(Expr(feature="industry", op="not_in", value=("C1810",)), frame)
    assert not_in.hit.tolist() == [True, False, False, True] and not_in.missing.tolist() == [False, False, True, False]
    assert evaluate(Expr(feature="n", op="missing"), frame).hit.tolist() == [False, True, False, True]
    assert evaluate(Expr(feature="n", op="present"), frame).hit.tolist() == [True, False, True, False]


def test_inputs_lists_each_column_once_in_order() -> None:
    expr = Expr(all=(Expr(feature="b", op="gt", value=1.0), Expr(any=(Expr(feature="a", op="missing"),
                                                                       Expr(feature="b", op="lt", value=9.0)))))
    assert expr.inputs() == ("b", "a")
    assert expr.describe() == "all(b gt 1.0, any(a missing, b lt 9.0))"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"feature": "x"}, "x: give an op"),
        ({"feature": "x", "op": "gt"}, "x: op 'gt' needs a value"),
        ({"feature": "x", "op": "missing", "value": 1}, "x: op 'missing' takes no value"),
        ({"feature": "x", "op": "in", "value": 1}, "x: op 'in' needs a list of values"),
        ({"feature": "x", "op": "gt", "value": 1, "all": [{"feature": "y", "op": "missing"}]}, "exactly one of"),
        ({"any": []}, "all/any needs at least one expression"),
        ({"feature": "x", "op": "between", "value": 1}, "op: Input should be"),
    ],
)
def test_malformed_conditions_are_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(Expr, data, source="policy.yaml")


def test_evaluation_does_not_mutate_the_frame() -> None:
    frame = pd.DataFrame({"x": [np.nan, 1.0]})
    before = frame.copy()
    evaluate(Expr(feature="x", op="le", value=0.0, missing_as=0.0), frame)
    pd.testing.assert_frame_equal(frame, before)


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["H61", "H6", "R90", "C13", "", "r9"]), st.text(max_size=4)), max_size=40),
    st.lists(st.sampled_from(["H6", "R", "C1", "r", "X"]), min_size=1, max_size=3),
)
def test_startswith_matches_pandas_string_methods(values: list[str | None], prefixes: list[str]) -> None:
    column = pd.Series(values, dtype=object)
    text = column.astype("string")
    expected = np.zeros(len(column), bool)
    for prefix in prefixes:
        expected |= text.str.startswith(prefix).fillna(False).to_numpy(dtype=bool)
    got = evaluate(Expr(feature="industry", op="startswith", value=tuple(prefixes)), pd.DataFrame({"industry": column}))
    assert got.hit.tolist() == expected.tolist()
    assert got.missing.tolist() == column.isna().tolist()
