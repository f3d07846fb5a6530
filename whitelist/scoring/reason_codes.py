"""The four reasons each decision shows: policy rule ids first, then the model's reason groups.

A decision made by a rule carries the rule's id and text. The model's reasons follow:
risk-increasing groups for declines and reviews, supporting ones for the whitelist, each
strongest first with ties broken by code, each told as a sentence with the lead feature's
value, its period and its source. Excluded and invalid enterprises were never scored, so their
reasons are the checks that stopped them. Declines and reviews also say what the enterprise
can repair, where the data shows something repairable (an individual business is a natural
person with a right to an explanation under the Personal Information Protection Law).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from whitelist.features.periods import feature_period
from whitelist.features.spec import FeatureSet
from whitelist.models.reasons import TOP_REASONS, GroupMap, top_reasons
from whitelist.scoring.config import PolicyConfig
from whitelist.scoring.policy.checks import BY_ID
from whitelist.scoring.policy.patterns import factorize_rows

MODEL_CHECKS = frozenset({"PD01", "PD02"})
"""Checks whose reason is the model itself: their place goes to the contribution groups."""
LANGS = ("zh", "en")


def rule_texts(policy: PolicyConfig) -> dict[str, dict[str, str | None]]:
    texts: dict[str, dict[str, str | None]] = {
        c.id: {"zh": c.text_zh, "en": c.text_en, "repair_zh": None, "repair_en": None} for c in BY_ID.values()
    }
    for r in policy.rules:
        texts[r.id] = {"zh": r.text_zh, "en": r.text_en, "repair_zh": r.repair_zh, "repair_en": r.repair_en}
    return texts


def _periods(groups: GroupMap, features: FeatureSet, as_of: date) -> dict[str, dict[str, str]]:
    out = {}
    for code in groups.codes:
        period = feature_period(features, groups.lead(code), as_of)
        out[code] = {
            lang: period.text(lang) if period else (f"截至{as_of}" if lang == "zh" else f"as of {as_of}") for lang in LANGS
        }
    return out


def reason_columns(
    decision: np.ndarray,
    rules_hit: np.ndarray,
    scored_rows: np.ndarray,
    group_values: np.ndarray,
    groups: GroupMap,
    policy: PolicyConfig,
    inputs: pd.DataFrame,
    features: FeatureSet,
    as_of: date,
) -> pd.DataFrame:
    """reason_k, reason_k_value, reason_k_text_zh/_en for k = 1..4, and repair_zh/_en, per enterprise."""
    n = len(decision)
    k = TOP_REASONS
    values = np.full((n, k), np.nan)
    # Few distinct combinations of rules hit: each is read once, then spread to its rows.
    combo_of, combos = pd.factorize(pd.Series(rules_hit, dtype=object).fillna(""), sort=True)
    by_combo = _rule_reasons(list(combos), rule_texts(policy), k)
    codes = by_combo.codes[combo_of]
    filled = by_combo.filled[combo_of]
    # Sentences are assembled as Arrow text, piece by piece, and never become Python strings per row.
    text = {lang: [_Pieces(n) for _ in range(k)] for lang in LANGS}
    for slot in range(k):
        rows = np.flatnonzero(filled > slot)
        for lang in LANGS:
            text[lang][slot].add(rows, pa.array(by_combo.texts[lang][:, slot], pa.string()).take(combo_of[rows]))
    # Per slot, the index of the model's reason group whose repair a risky row shows, else -1.
    model_slot = np.full((n, k), -1, dtype=np.int64)
    if len(scored_rows):
        sub = decision[scored_rows]
        direction = np.where(sub == "whitelist", -1.0, 1.0)
        index, picked = top_reasons(group_values, direction, k)
        code_arr = np.array([*groups.codes, None], dtype=object)  # index -1 reads the None
        start = filled[scored_rows]
        positions = np.arange(len(scored_rows))
        for slot in range(k):
            j = slot - start  # the model's j-th reason goes after the rule ids
            jj = np.clip(j, 0, k - 1)
            idx = np.where(j >= 0, index[positions, jj], -1)
            put = idx >= 0
            rows = scored_rows[put]
            codes[rows, slot] = code_arr[idx[put]]
            values[rows, slot] = picked[positions, jj][put]
        periods = _periods(groups, features, as_of)
        rendered: dict[tuple[str, str], dict[object, str]] = {}
        risky = np.zeros(n, dtype=bool)
        risky[scored_rows] = direction > 0
        for slot in range(k):
            for code, rows in _rows_by_value(codes[:, slot]):
                if code not in periods:
                    continue  # a policy rule id
                model_slot[rows[risky[rows]], slot] = groups.codes.index(code)
                # Each distinct value is rendered once (counts and months repeat a lot), then spread.
                codes_of, uniques = pd.factorize(inputs[groups.lead(code)].iloc[rows], use_na_sentinel=True)
                values_of = [*uniques.tolist(), None]  # code -1 (empty) reads the None
                pick = np.where(codes_of < 0, len(uniques), codes_of)
                risk_of = risky[rows]
                for lang in LANGS:
                    seen = rendered.setdefault((code, lang), {})
                    fmt = groups.formatter(code, lang)
                    shown = pa.array([seen.get(v) or seen.setdefault(v, fmt(v)) for v in values_of], pa.string())
                    for flag in (True, False):
                        where_flag = risk_of == flag
                        if where_flag.any():
                            before, after = groups.frame(code, risk=flag, lang=lang, period=periods[code][lang])
                            sentence = pc.binary_join_element_wise(before, shown.take(pick[where_flag]), after, "")
                            text[lang][slot].add(rows[where_flag], sentence)
    out: dict[str, pd.Series] = {}
    for j in range(k):
        out[f"reason_{j + 1}"] = pd.Series(codes[:, j], dtype=object)
        out[f"reason_{j + 1}_value"] = pd.Series(values[:, j])
        out[f"reason_{j + 1}_text_zh"] = text["zh"][j].series()
        out[f"reason_{j + 1}_text_en"] = text["en"][j].series()
    for name, column in _repairs(combo_of, by_combo.repairs, model_slot, groups).items():
        out[name] = pd.Series(column, dtype=object)
    return pd.DataFrame(out)


def _rows_by_value(values: np.ndarray) -> list[tuple[object, np.ndarray]]:
    """Each distinct non-empty value, sorted, with the rows holding it in ascending order."""
    labels, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(len(uniques) + 1))
    return [(uniques[j], order[bounds[j]:bounds[j + 1]]) for j in range(len(uniques))]


class _Pieces:
    """One text column of ``n`` rows, given as pieces (rows, texts); rows no piece covers are null."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: list[np.ndarray] = []
        self.texts: list[pa.Array] = []

    def add(self, rows: np.ndarray, texts: pa.Array) -> None:
        if len(rows):
            self.rows.append(rows)
            self.texts.append(texts.cast(pa.string()))

    def series(self) -> pd.Series:
        position = np.full(self.n, -1, dtype=np.int64)
        if self.rows:
            position[np.concatenate(self.rows)] = np.arange(sum(len(r) for r in self.rows))
            texts = pa.concat_arrays(self.texts)
        else:
            texts = pa.array([], pa.string())
        column = texts.take(pa.array(position, mask=position < 0))
        return pd.Series(pd.arrays.ArrowExtensionArray(column))


@dataclass(frozen=True)
class _RuleReasons:
    """Per distinct ``rules_hit``: the rule ids in the reason slots, their texts, how many, their repairs."""

    codes: np.ndarray
    texts: dict[str, np.ndarray]
    filled: np.ndarray
    repairs: dict[str, list[tuple[str, ...]]]


def _rule_reasons(combos: list[str], rules: dict[str, dict[str, str | None]], k: int) -> _RuleReasons:
    codes = np.full((len(combos), k), None, dtype=object)
    texts = {lang: np.full((len(combos), k), None, dtype=object) for lang in LANGS}
    filled = np.zeros(len(combos), dtype=np.int64)
    repairs: dict[str, list[tuple[str, ...]]] = {lang: [] for lang in LANGS}
    for c, hit in enumerate(combos):
        ids = [r for r in hit.split(",") if r and r not in MODEL_CHECKS]
        for slot, rule_id in enumerate(ids[:k]):
            codes[c, slot] = rule_id
            for lang in LANGS:
                texts[lang][c, slot] = rules[rule_id][lang]
        filled[c] = min(len(ids), k)
        for lang in LANGS:
            fixes = (rules[r][f"repair_{lang}"] for r in ids)
            repairs[lang].append(tuple(dict.fromkeys(f for f in fixes if f)))
    return _RuleReasons(codes, texts, filled, repairs)


def _repairs(
    combo_of: np.ndarray, rule_repairs: dict[str, list[tuple[str, ...]]], model_slot: np.ndarray, groups: GroupMap
) -> dict[str, np.ndarray]:
    """repair_zh/_en: the rules' repairs in rule order, then those of the risk-raising groups by slot, once each."""
    inverse, first = factorize_rows([combo_of, *model_slot.T], len(combo_of))
    unique = np.column_stack([combo_of, model_slot])[first]
    out = {}
    for lang in LANGS:
        group_fix = [groups.repair(code, lang) for code in groups.codes]
        shown = np.empty(len(unique), dtype=object)
        for u, (combo, *slots) in enumerate(unique.tolist()):
            fixes = [*rule_repairs[lang][combo], *(group_fix[j] for j in slots if j >= 0)]
            kept = list(dict.fromkeys(f for f in fixes if f))
            shown[u] = "; ".join(kept) if kept else None
        out[f"repair_{lang}"] = shown[inverse]
    return out
