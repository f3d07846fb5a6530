"""What values each feature can take, from its column's bounds in the data contract.

Batch features are computed from validated sources, so they cannot leave these ranges; a feature
payload sent to the real-time API is not, and a value no source could produce (a negative count,
twelve months of sales of 1e308) must be refused with the feature's name rather than scored. Each
aggregation declares its ``range`` rule (``spec.AGGREGATIONS``); this module turns a rule, a
column's bounds and a window into numbers. Ratios of two amounts have no upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from whitelist.features.spec import Feature, FeatureSet, Range
from whitelist.sources.contract import CONTRACT

INF = math.inf
RECORDS_PER_MONTH = {"month": 1, "month_per_loan": 1_000, "event": 1_000}
"""Records one enterprise can have per month of a window: one per monthly source, and generously
many loans or events (an enterprise with more is not a small one)."""
LIFETIME_MONTHS = 1_200
"""No record is older than a century at any as-of date."""
MAX_DAYS = 36_600


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float

    def admits(self, value: float) -> bool:
        return self.low <= value <= self.high

    def text(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


ANY = Bounds(-INF, INF)


def _column(f: Feature) -> tuple[float, float]:
    if f.column is None:
        return 0.0, INF
    col = CONTRACT[f.source].column(f.column)
    return (-INF if col.minimum is None else col.minimum), (INF if col.maximum is None else col.maximum)


def _records(f: Feature) -> float:
    grain = CONTRACT[f.source].grain
    if f.window is None:
        return INF
    if grain == "year":
        return f.window // 12 + 1
    return f.window * RECORDS_PER_MONTH.get(grain, 1)


def _sum(f: Feature) -> Bounds:
    low, high = _column(f)
    n = _records(f)
    return Bounds(min(low, 0.0) * n if low < 0 else 0.0, max(high, 0.0) * n)


def _spread(f: Feature) -> Bounds:
    low, high = _column(f)
    return Bounds(-(high - low), high - low)


def _nonnegative_column(f: Feature, bounds: Bounds) -> Bounds:
    """Rules that hold only for data that is never negative (sales, power; not profits)."""
    return bounds if _column(f)[0] >= 0 else ANY


RULES: dict[Range, Callable[[Feature], Bounds]] = {
    "column": lambda f: Bounds(*_column(f)),
    "column_sum": _sum,
    "records": lambda f: Bounds(0.0, _records(f)),
    "months": lambda f: Bounds(0.0, float(f.window or LIFETIME_MONTHS)),
    "spread": _spread,
    "growth": lambda f: _nonnegative_column(f, Bounds(-1.0, INF)),
    "ratio": lambda f: _nonnegative_column(f, Bounds(0.0, INF)),
    "fraction": lambda f: _nonnegative_column(f, Bounds(0.0, 1.0)),
    "lifetime_months": lambda f: Bounds(0.0, float(LIFETIME_MONTHS)),
    "days": lambda f: Bounds(0.0, float(MAX_DAYS)),
    "edges": lambda f: Bounds(f.edges[0], f.edges[-1]),
    "text": lambda f: ANY,
}


def feature_bounds(features: FeatureSet) -> dict[str, Bounds]:
    """Every feature's possible values: grouped ones from their rule, derived and peer ones from their operands."""
    out = {f.name: RULES[f.aggregation.range](f) for f in features.features}
    for d in features.derived:
        parts = [out.get(o, ANY) for o in d.operands]
        if d.op == "difference":
            out[d.name] = Bounds(parts[0].low - parts[1].high, parts[0].high - parts[1].low)
        elif d.op == "mean":
            out[d.name] = Bounds(min(p.low for p in parts), max(p.high for p in parts))
        else:  # a ratio of two amounts: any finite number
            out[d.name] = ANY
    for p in features.peers:
        out[p.name] = out.get(p.operand, ANY)
    return out
