"""Conditions over policy inputs, declared in YAML and evaluated on whole columns at once.

A rule or a segment says *when* it applies as a small expression tree: a comparison of one
input with a value, or ``all``/``any`` of such expressions. Keeping this as data lets a risk
team change a threshold without touching code, and lets the decision log list exactly which
inputs a rule read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from whitelist.core.config import StrictModel
from whitelist.scoring.policy.patterns import as_text, per_distinct

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "startswith", "missing", "present"]
Scalar = float | str


class Expr(StrictModel):
    """``{feature, op, value}``, or ``{all: [...]}`` / ``{any: [...]}`` of nested expressions.

    ``missing_as`` replaces an empty input before comparing (an enterprise with no social
    insurance record has no insured employees); without it an empty input never matches.
    """

    all: tuple[Expr, ...] | None = None
    any: tuple[Expr, ...] | None = None
    feature: str | None = Field(None, min_length=1)
    op: Op | None = None
    value: Scalar | tuple[Scalar, ...] | None = None
    policy: str | None = Field(
        None, pattern=r"^[a-z_]+(\.[a-z_]+)+$",
        description="a number the policy holds (e.g. limits.product.min_limit) in place of value, so it is declared once",
    )
    missing_as: Scalar | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Expr:
        forms = [self.all is not None, self.any is not None, self.feature is not None]
        if sum(forms) != 1:
            raise ValueError("an expression is exactly one of: {feature, op, value}, {all: [...]}, {any: [...]}")
        if self.feature is not None:
            if self.op is None:
                raise ValueError(f"{self.feature}: give an op (eq, ne, lt, le, gt, ge, in, not_in, startswith, missing, present)")
            listy = self.op in ("in", "not_in", "startswith")
            if self.op in ("missing", "present"):
                if self.value is not None:
                    raise ValueError(f"{self.feature}: op {self.op!r} takes no value")
            elif self.value is None:
                raise ValueError(f"{self.feature}: op {self.op!r} needs a value (or policy: a number the policy holds)")
            elif listy != isinstance(self.value, tuple):
                need = "a list of values" if listy else "a single value"
                raise ValueError(f"{self.feature}: op {self.op!r} needs {need}, got {self.value!r}")
        elif not (self.all or self.any):
            raise ValueError("all/any needs at least one expression")
        return self

    def inputs(self) -> tuple[str, ...]:
        """The input columns this expression reads, in order of first appearance."""
        if self.feature is not None:
            return (self.feature,)
        seen: dict[str, None] = {}
        for child in self.all or self.any or ():
            seen.update(dict.fromkeys(child.inputs()))
        return tuple(seen)

    def describe(self) -> str:
        """A one-line text of the condition, for reports and the decision log's documentation."""
        if self.feature is not None:
            value = "" if self.value is None else f" {list(self.value) if isinstance(self.value, tuple) else self.value}"
            fill = "" if self.missing_as is None else f" (empty = {self.missing_as})"
            return f"{self.feature} {self.op}{value}{fill}"
        word, parts = ("all", self.all) if self.all is not None else ("any", self.any)
        return f"{word}(" + ", ".join(p.describe() for p in parts or ()) + ")"


@dataclass(frozen=True)
class Evaluated:
    """Whether each row matched, and whether an empty input left a non-match undecided."""

    hit: np.ndarray
    missing: np.ndarray


def evaluate(expr: Expr, frame: pd.DataFrame) -> Evaluated:
    """Evaluate ``expr`` on every row of ``frame``; a row with an empty input does not match."""
    if expr.feature is not None:
        return _leaf(expr, frame[expr.feature])
    children = [evaluate(c, frame) for c in (expr.all or expr.any or ())]
    hits = np.vstack([c.hit for c in children])
    missing = np.vstack([c.missing for c in children]).any(axis=0)
    hit = hits.all(axis=0) if expr.all is not None else hits.any(axis=0)
    return Evaluated(hit=hit, missing=missing & ~hit)


_NUMPY_COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
                  "ge": np.greater_equal}


def _leaf(expr: Expr, column: pd.Series) -> Evaluated:
    op = expr.op
    numeric = column.dtype.kind in "fiub" and not isinstance(expr.value, str) and not isinstance(expr.missing_as, str)
    if numeric and op in _NUMPY_COMPARE:
        # A number against a number on plain arrays: the same answers as the pandas path below,
        # without its per-call cost (which dominates for the one-row frames of real-time scores).
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if expr.missing_as is not None:
            x = np.where(np.isnan(x), float(expr.missing_as), x)
        empty = np.isnan(x)
        hit = _NUMPY_COMPARE[op](x, float(expr.value)) & ~empty  # type: ignore[arg-type]
        return Evaluated(hit=hit, missing=empty & ~hit)
    if op in ("missing", "present"):
        empty = column.isna().to_numpy()
        return Evaluated(hit=empty if op == "missing" else ~empty, missing=np.zeros(len(column), bool))
    if expr.missing_as is not None:
        column = column.fillna(expr.missing_as)
    empty = column.isna().to_numpy()
    value = expr.value
    if op in ("in", "not_in"):
        matched = column.isin(list(value)).to_numpy()  # type: ignore[arg-type]
        hit = matched if op == "in" else ~matched
    elif op == "startswith":
        # Once per distinct value, not pandas' string methods per prefix.
        prefixes = tuple(str(p) for p in value)  # type: ignore[union-attr]
        hit = per_distinct(column, lambda u: as_text(u).startswith(prefixes), False, bool)
    else:
        if isinstance(value, str):
            left: pd.Series = column.astype("string")
        else:
            left = pd.to_numeric(column, errors="coerce")
        compare = {"eq": left.eq, "ne": left.ne, "lt": left.lt, "le": left.le, "gt": left.gt, "ge": left.ge}[op]
        hit = compare(value).fillna(False).to_numpy(dtype=bool)
    hit = hit & ~empty
    return Evaluated(hit=hit, missing=empty & ~hit)
