"""Reason codes: model features grouped into reasons, and the strongest reasons of each decision.

Features that tell the same story (every window of the sales trend) form one reason. SHAP
contributions are additive, so a group's contribution is the exact sum of its features', and
the reasons an enterprise reads add up, with the base value, to the model's raw score.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from whitelist.core.config import StrictModel, load_config

DEFAULT_REASONS = Path(__file__).with_name("reasons.yaml")
"""The packaged default, identical to ``configs/reasons.yaml`` (a test keeps them in sync)."""
CONTRIBUTION_DECIMALS = 6
"""Contributions are rounded to 1e-6 before ranking, so faster or distributed paths rank alike."""
TOP_REASONS = 4


class ReasonGroup(StrictModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    features: tuple[str, ...] = Field(min_length=1, description="feature names or shell-style patterns")
    risk_zh: str = Field(min_length=1)
    risk_en: str = Field(min_length=1)
    support_zh: str = Field(min_length=1)
    support_en: str = Field(min_length=1)


class ReasonFile(StrictModel):
    groups: tuple[ReasonGroup, ...]


@dataclass(frozen=True)
class GroupMap:
    """The reason groups of one model: codes in sorted order and which features each sums."""

    codes: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    texts: dict[str, dict[str, str]]
    """code -> {risk_zh, risk_en, support_zh, support_en}."""
    indicator: np.ndarray
    """(features, groups) 0/1 matrix: contributions @ indicator = group contributions."""

    def sum(self, contributions: np.ndarray) -> np.ndarray:
        """Group contributions of per-feature contributions (the base value column dropped), rounded."""
        n_features = self.indicator.shape[0]
        return np.round(contributions[:, :n_features] @ self.indicator, CONTRIBUTION_DECIMALS)


@dataclass(frozen=True)
class ReasonCatalog:
    groups: tuple[ReasonGroup, ...]

    def group_map(self, features: tuple[str, ...]) -> GroupMap:
        """Assign each feature to the first group matching it; unmatched features stand alone."""
        assigned: dict[str, list[str]] = {}
        texts: dict[str, dict[str, str]] = {}
        for feature in features:
            group = next((g for g in self.groups if any(fnmatch.fnmatchcase(feature, p) for p in g.features)), None)
            code = group.code if group else feature
            assigned.setdefault(code, []).append(feature)
            if code not in texts:
                texts[code] = (
                    {k: getattr(group, k) for k in ("risk_zh", "risk_en", "support_zh", "support_en")}
                    if group
                    else {"risk_zh": feature, "risk_en": feature, "support_zh": feature, "support_en": feature}
                )
        codes = tuple(sorted(assigned))
        position = {f: i for i, f in enumerate(features)}
        indicator = np.zeros((len(features), len(codes)))
        for j, code in enumerate(codes):
            for f in assigned[code]:
                indicator[position[f], j] = 1.0
        return GroupMap(
            codes=codes,
            members=tuple(tuple(assigned[c]) for c in codes),
            texts={c: texts[c] for c in codes},
            indicator=indicator,
        )


def load_reasons(path: Path | str | None = None) -> ReasonCatalog:
    return ReasonCatalog(groups=load_config(ReasonFile, path or DEFAULT_REASONS).groups)


def top_reasons(values: np.ndarray, direction: np.ndarray, k: int = TOP_REASONS) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` strongest groups of each row in its direction, ties broken by code (column order).

    ``direction`` is +1 where the risk-increasing groups count (declines, reviews) and -1 where
    the supporting ones do (the whitelist). Returns column indices (-1 where fewer than ``k``
    groups point that way) and their contributions (NaN there).
    """
    signed = values * direction[:, None]
    masked = np.where(signed > 0, signed, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(masked, order, axis=1)
    index = np.where(np.isfinite(strength), order, -1)
    picked = np.take_along_axis(values, np.maximum(index, 0), axis=1)
    return index, np.where(index >= 0, picked, np.nan)
