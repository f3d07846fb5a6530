"""The WoE scorecard model kind: binned characteristics, weights of evidence, a logistic regression.

What a regulator knows as a scorecard. Each characteristic is cut into bins (numbers by cut
points, categories by groups of levels, plus one bin for special values and one for missing),
each bin carries its weight of evidence, WoE = ln(share of non-defaults / share of defaults),
and the raw score is a logistic regression on the WoE values, in log-odds of default.

Its contributions are exact and additive: a characteristic contributes its coefficient times
its WoE less the training mean of that product (the linear model's SHAP value), and the base
value is the score of the average training row. Everything is kept as plain numbers in
``scorecard.json``; nothing of the library that found the bins is needed to score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from whitelist.core.errors import InputDataError
from whitelist.core.io import write_json
from whitelist.models.kinds import Importance

SCORECARD_FILE = "scorecard.json"
SMOOTHING = 0.5
"""Added to each bin's defaults and non-defaults before the WoE, so a bin without one of them stays finite."""


@dataclass(frozen=True)
class WoeBins:
    """One characteristic's bins. Bin ``i < n`` is a regular bin; then the special bin, then the missing bin."""

    feature: str
    dtype: Literal["numerical", "categorical"]
    splits: tuple[float, ...] = ()
    """Numbers: bin i holds splits[i-1] <= x < splits[i]."""
    groups: tuple[tuple[str, ...], ...] = ()
    """Categories: the levels of each bin; a level in none of them is read as missing."""
    special_codes: tuple[float, ...] = ()
    count: tuple[int, ...] = ()
    events: tuple[int, ...] = ()
    woe: tuple[float, ...] = ()

    @property
    def n_regular(self) -> int:
        return len(self.splits) + 1 if self.dtype == "numerical" else len(self.groups)

    @property
    def special(self) -> int:
        return self.n_regular

    @property
    def missing(self) -> int:
        return self.n_regular + 1

    def labels(self) -> list[str]:
        """How the risk team reads each bin, in bin order."""
        if self.dtype == "numerical":
            edges = [-np.inf, *self.splits, np.inf]
            regular = [f"[{_num(lo)}, {_num(hi)})" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        else:
            regular = [", ".join(g) for g in self.groups]
        return [*regular, "Special", "Missing"]

    def index(self, column: np.ndarray, levels: list[str] | None = None) -> np.ndarray:
        """The bin of each value of ``column`` (floats; a category as its code among ``levels``)."""
        column = np.asarray(column, dtype=np.float64)
        if self.dtype == "numerical":
            out = np.searchsorted(np.asarray(self.splits, dtype=np.float64), column, side="right")
            if self.special_codes:
                out = np.where(np.isin(column, self.special_codes), self.special, out)
            return np.where(np.isnan(column), self.missing, out)
        lookup = self.code_bins(levels or [])
        codes = np.where(np.isnan(column), -1, column).astype(np.int64)
        out = np.full(codes.shape, self.missing, dtype=np.int64)
        inside = (codes >= 0) & (codes < lookup.size)
        out[inside] = lookup[codes[inside]]
        return out

    def code_bins(self, levels: list[str]) -> np.ndarray:
        """The bin of each category code: its group, or the missing bin for a level no group holds."""
        where = {level: b for b, group in enumerate(self.groups) for level in group}
        return np.array([where.get(str(level), self.missing) for level in levels], dtype=np.int64)

    def transform(self, column: np.ndarray, levels: list[str] | None = None) -> np.ndarray:
        """The WoE of each value."""
        return np.asarray(self.woe, dtype=np.float64)[self.index(column, levels)]

    def iv(self) -> float:
        """Information value: sum over bins of (share of non-defaults - share of defaults) * WoE."""
        return float(sum(self.iv_by_bin()))

    def iv_by_bin(self) -> list[float]:
        count, events = np.asarray(self.count, dtype=float), np.asarray(self.events, dtype=float)
        good, bad = count - events, events
        if good.sum() == 0 or bad.sum() == 0:
            return [0.0] * len(self.count)
        return [float(v) for v in (good / good.sum() - bad / bad.sum()) * np.asarray(self.woe)]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WoeBins:
        """Bins as ``scorecard.json`` stores them (extra keys, such as the coefficient, are ignored)."""
        return cls(
            feature=d["feature"], dtype=d["dtype"], splits=tuple(d["splits"]), groups=tuple(tuple(g) for g in d["groups"]),
            special_codes=tuple(d["special_codes"]), count=tuple(d["count"]), events=tuple(d["events"]),
            woe=tuple(d["woe"]),
        )

    @classmethod
    def with_counts(cls, template: WoeBins, bins: np.ndarray, y: np.ndarray) -> WoeBins:
        """``template``'s cuts with counts, defaults and WoE measured on rows whose bins are ``bins``."""
        size = template.n_regular + 2
        count = np.bincount(bins, minlength=size)
        events = np.bincount(bins, weights=y, minlength=size).round().astype(np.int64)
        return cls(
            feature=template.feature, dtype=template.dtype, splits=template.splits, groups=template.groups,
            special_codes=template.special_codes, count=tuple(int(c) for c in count),
            events=tuple(int(e) for e in events), woe=tuple(woe_of(count, events)),
        )


def woe_of(count: np.ndarray, events: np.ndarray) -> list[float]:
    """WoE of each bin (0 for an empty one: it carries no evidence)."""
    count, events = np.asarray(count, dtype=float), np.asarray(events, dtype=float)
    good, bad = count - events, events
    total_good, total_bad = good.sum(), bad.sum()
    if total_good == 0 or total_bad == 0:
        return [0.0] * count.size
    woe = np.log(((good + SMOOTHING) / (total_good + SMOOTHING)) / ((bad + SMOOTHING) / (total_bad + SMOOTHING)))
    return [float(w) for w in np.where(count > 0, woe, 0.0)]


def _num(value: float) -> str:
    if np.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.6g}"


@dataclass(frozen=True)
class WoeExplainer:
    model: WoeScorecard
    requested: str

    def of_array(self, array: np.ndarray) -> np.ndarray:
        return self.model.contributions(array)

    def describe(self) -> dict[str, str | None]:
        return {"method": "woe_linear", "requested": self.requested, "fallback": None}


@dataclass(frozen=True, eq=False)
class WoeScorecard:
    """A logistic regression on the WoE of the characteristics it kept (``bins``)."""

    features: tuple[str, ...]
    """Every model feature, in the artefact's order; only those with bins are used."""
    categories: dict[str, list[str]]
    bins: tuple[WoeBins, ...]
    coefficients: tuple[float, ...]
    """Log-odds of default per unit of each kept characteristic's WoE (negative: more evidence of good, less risk)."""
    intercept: float
    means: tuple[float, ...]
    """Training mean of each kept characteristic's WoE: its contribution is measured from there."""
    dropped: dict[str, str] = field(default_factory=dict)
    """Characteristics not kept, and why (low information value, a coefficient of the wrong sign)."""
    kind: str = "scorecard"

    @property
    def n_features(self) -> int:
        return len(self.features)

    def _positions(self) -> list[int]:
        place = {f: j for j, f in enumerate(self.features)}
        return [place[b.feature] for b in self.bins]

    def woe_matrix(self, array: np.ndarray) -> np.ndarray:
        """(rows, kept characteristics) WoE values."""
        array = np.asarray(array, dtype=np.float64)
        out = np.empty((array.shape[0], len(self.bins)))
        for k, (b, j) in enumerate(zip(self.bins, self._positions(), strict=True)):
            out[:, k] = b.transform(array[:, j], self.categories.get(b.feature))
        return out

    def raw_score(self, array: np.ndarray) -> np.ndarray:
        return self.intercept + self.woe_matrix(array) @ np.asarray(self.coefficients, dtype=np.float64)

    def contributions(self, array: np.ndarray) -> np.ndarray:
        """(rows, features + 1): each kept characteristic's coefficient * (WoE - mean WoE), then the base value."""
        woe = self.woe_matrix(array)
        coef = np.asarray(self.coefficients, dtype=np.float64)
        out = np.zeros((woe.shape[0], len(self.features) + 1))
        out[:, self._positions()] = (woe - np.asarray(self.means)) * coef
        out[:, -1] = self.base_value
        return out

    @property
    def base_value(self) -> float:
        return float(self.intercept + np.dot(self.coefficients, self.means))

    def explainer(self, method: str = "treeshap") -> WoeExplainer:
        return WoeExplainer(self, method)

    def importance(self) -> Importance:
        iv = {b.feature: b.iv() for b in self.bins}
        return Importance("information value", {f: float(iv.get(f, 0.0)) for f in self.features})

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "characteristics": len(self.bins)}

    def files(self) -> tuple[str, ...]:
        return (SCORECARD_FILE,)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intercept": self.intercept,
            "characteristics": [
                {**asdict(b), "coefficient": c, "mean_woe": m}
                for b, c, m in zip(self.bins, self.coefficients, self.means, strict=True)
            ],
            "dropped": self.dropped,
        }

    def save(self, folder: Path) -> dict[str, Any]:
        write_json(folder / SCORECARD_FILE, self.to_dict())
        return {"kind": self.kind, "file": SCORECARD_FILE}

    @classmethod
    def from_dict(cls, d: dict[str, Any], features: tuple[str, ...], categories: dict[str, list[str]]) -> WoeScorecard:
        bins, coefficients, means = [], [], []
        for c in d["characteristics"]:
            bins.append(WoeBins.from_dict(c))
            coefficients.append(float(c["coefficient"]))
            means.append(float(c["mean_woe"]))
        return cls(
            features=features, categories=categories, bins=tuple(bins), coefficients=tuple(coefficients),
            intercept=float(d["intercept"]), means=tuple(means), dropped=dict(d.get("dropped", {})),
        )

    @classmethod
    def load(cls, folder: Path, spec: dict[str, Any], features: tuple[str, ...],
             categories: dict[str, list[str]]) -> WoeScorecard:
        path = folder / spec.get("file", SCORECARD_FILE)
        if not path.is_file():
            raise InputDataError(f"{folder}: a scorecard model folder needs {path.name} beside artefact.json")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")), features, categories)
