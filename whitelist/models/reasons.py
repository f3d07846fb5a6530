"""Reason codes: model features grouped into reasons, and the strongest reasons of each decision.

Features that tell the same story (every window of the sales trend) form one reason. SHAP
contributions are additive, so a group's contribution is the exact sum of its features', and
the reasons an enterprise reads add up, with the base value, to the model's raw score.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from whitelist.core.config import StrictModel, load_config
from whitelist.core.errors import ConfigError, preview

DEFAULT_REASONS = Path(__file__).with_name("reasons.yaml")
"""The packaged default, identical to ``configs/reasons.yaml`` (a test keeps them in sync)."""
CONTRIBUTION_DECIMALS = 6
"""Contributions are rounded to 1e-6 before ranking, so faster or distributed paths rank alike."""
TOP_REASONS = 4


Unit = Literal["change", "share", "money", "capital", "count", "count_months", "months", "days", "ratio", "text"]
PLACEHOLDERS = frozenset({"value", "period", "source"})
VALUE_MARK = "\x00"
"""Stands for the value while a template is filled in around it (no template holds a NUL)."""
TEMPLATES = ("risk_zh", "risk_en", "support_zh", "support_en", "repair_zh", "repair_en")


class ReasonGroup(StrictModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    features: tuple[str, ...] = Field(min_length=1, description="feature names or shell-style patterns")
    lead: str = Field(min_length=1, description="the feature whose value the texts quote")
    unit: Unit = "count"
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    source_zh: str = Field(min_length=1)
    source_en: str = Field(min_length=1)
    risk_zh: str = Field(min_length=1)
    risk_en: str = Field(min_length=1)
    support_zh: str = Field(min_length=1)
    support_en: str = Field(min_length=1)
    repair_zh: str | None = None
    repair_en: str | None = None

    @model_validator(mode="after")
    def _templates(self) -> ReasonGroup:
        for key in TEMPLATES:
            text = getattr(self, key)
            if text is None:
                continue
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            except ValueError as exc:
                raise ValueError(f"{self.code}.{key}: not a valid template ({exc}); write braces as {{{{ }}}}") from None
            unknown = sorted(names - PLACEHOLDERS)
            if unknown:
                raise ValueError(f"{self.code}.{key}: unknown placeholder(s) {unknown}; use {sorted(PLACEHOLDERS)}")
            quoted = [name for _, name, _, _ in string.Formatter().parse(text) if name == "value"]
            if len(quoted) > 1 or VALUE_MARK in text:
                raise ValueError(f"{self.code}.{key}: quote {{value}} at most once")
        if (self.repair_zh is None) != (self.repair_en is None):
            raise ValueError(f"{self.code}: give repair_zh and repair_en together")
        return self


class ReasonFile(StrictModel):
    groups: tuple[ReasonGroup, ...]


def format_value(value: object, unit: str, lang: str) -> str:
    """A lead feature's value as a reader expects it, in either language; empty reads 'no record'."""
    return value_formatter(unit, lang)(value)


@functools.cache
def value_formatter(unit: str, lang: str) -> Callable[[object], str]:
    """``format_value`` for one unit and language, decided once: a province formats 200,000 values."""
    empty = "无记录" if lang == "zh" else "no record"
    zh = lang == "zh"

    def whole(v: float) -> str:
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"

    number: Callable[[float], str]
    if unit == "change":
        number = "{:+.0%}".format
    elif unit == "share":
        number = "{:.0%}".format
    elif unit == "money":
        number = "{:,.0f}元".format if zh else "CNY {:,.0f}".format
    elif unit == "capital":  # registered capital is kept in 10k CNY, as registries publish it
        number = (lambda v: f"{whole(v)}万元") if zh else (lambda v: f"CNY {v * 10_000:,.0f}")
    elif unit in ("months", "count_months", "days"):
        zh_word, en_word = ("个月", "month") if unit != "days" else ("天", "day")
        number = (lambda v: whole(v) + zh_word) if zh else (lambda v: f"{whole(v)} {en_word}{'s' if v != 1 else ''}")
    elif unit == "ratio":
        number = "{:.2f}".format
    else:
        number = whole

    def fmt(value: object) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return empty
        if unit == "text":
            return str(value)
        return number(float(value))  # type: ignore[arg-type]

    return fmt


@dataclass(frozen=True)
class GroupMap:
    """The reason groups of one model: codes in sorted order and which features each sums."""

    codes: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    groups: dict[str, ReasonGroup | None]
    """code -> its declaration; None for a feature that stands alone as its own reason."""
    indicator: np.ndarray
    """(features, groups) 0/1 matrix: contributions @ indicator = group contributions."""

    def sum(self, contributions: np.ndarray) -> np.ndarray:
        """Group contributions of per-feature contributions (the base value column dropped), rounded."""
        n_features = self.indicator.shape[0]
        return np.round(contributions[:, :n_features] @ self.indicator, CONTRIBUTION_DECIMALS)

    def lead(self, code: str) -> str:
        group = self.groups[code]
        return group.lead if group is not None else code

    def title(self, code: str, lang: str) -> str:
        group = self.groups[code]
        return code if group is None else (group.title_zh if lang == "zh" else group.title_en)

    def formatter(self, code: str, lang: str) -> Callable[[object], str]:
        """How the reason's sentence quotes the lead feature's value, for one code and language (many values)."""
        group = self.groups[code]
        if group is not None:
            return value_formatter(group.unit, lang)
        text, count = value_formatter("text", lang), value_formatter("count", lang)
        return lambda value: text(value) if isinstance(value, str) else count(value)

    def frame(self, code: str, *, risk: bool, lang: str, period: str) -> tuple[str, str]:
        """The sentence around the value: many rows share it, so a run fills it in once per code.

        Templates quote the value at most once (``_templates`` checks); one without it is all
        ``before``.
        """
        group = self.groups[code]
        if group is None:
            if lang == "zh":
                return f"{code} = ", f",{'提高' if risk else '降低'}违约风险({period})"
            return f"{code} = ", f", {'raises' if risk else 'lowers'} the risk ({period})"
        template = getattr(group, f"{'risk' if risk else 'support'}_{lang}")
        source = group.source_zh if lang == "zh" else group.source_en
        filled = template.format(value=VALUE_MARK, period=period, source=source)
        before, _, after = filled.partition(VALUE_MARK)
        return before, after

    def repair(self, code: str, lang: str) -> str | None:
        group = self.groups[code]
        return None if group is None else getattr(group, f"repair_{lang}")


@dataclass(frozen=True)
class ReasonCatalog:
    groups: tuple[ReasonGroup, ...]
    source: str = "reasons.yaml"

    def group_map(self, features: tuple[str, ...], *, strict: bool = False) -> GroupMap:
        """Assign each feature to the first group matching it; unmatched features stand alone.

        ``strict`` (a model trained on the government features): an unmatched feature is a
        config error, since its reason would have no text a reviewer can read.
        """
        assigned: dict[str, list[str]] = {}
        declared: dict[str, ReasonGroup | None] = {}
        for feature in features:
            group = next((g for g in self.groups if any(fnmatch.fnmatchcase(feature, p) for p in g.features)), None)
            code = group.code if group else feature
            assigned.setdefault(code, []).append(feature)
            declared[code] = group
        alone = [c for c, g in declared.items() if g is None]
        if strict and alone:
            raise ConfigError(
                f"{self.source}: {len(alone)} model feature(s) belong to no reason group: {preview(alone)}; "
                "add them to a group's features (a model trained on the government features needs a text for every reason)"
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
            groups={c: declared[c] for c in codes},
            indicator=indicator,
        )


def load_reasons(path: Path | str | None = None) -> ReasonCatalog:
    path = path or DEFAULT_REASONS
    return ReasonCatalog(groups=load_config(ReasonFile, path).groups, source=str(path))


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
