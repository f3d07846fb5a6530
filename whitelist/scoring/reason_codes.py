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

from datetime import date

import numpy as np
import pandas as pd

from whitelist.features.periods import feature_period
from whitelist.features.spec import FeatureSet
from whitelist.models.reasons import TOP_REASONS, GroupMap, top_reasons
from whitelist.scoring.config import PolicyConfig
from whitelist.scoring.policy.checks import BY_ID

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
    codes = np.full((n, k), None, dtype=object)
    values = np.full((n, k), np.nan)
    text = {lang: np.full((n, k), None, dtype=object) for lang in LANGS}
    repair: dict[str, list[list[str]]] = {lang: [[] for _ in range(n)] for lang in LANGS}
    rules = rule_texts(policy)
    filled = np.zeros(n, dtype=np.int64)
    for i, hit in enumerate(rules_hit):
        if not hit:
            continue
        for rule_id in hit.split(","):
            if rule_id in MODEL_CHECKS:
                continue
            for lang in LANGS:
                fix = rules[rule_id][f"repair_{lang}"]
                if fix and fix not in repair[lang][i]:
                    repair[lang][i].append(fix)
            if filled[i] >= k:
                continue
            codes[i, filled[i]] = rule_id
            for lang in LANGS:
                text[lang][i, filled[i]] = rules[rule_id][lang]
            filled[i] += 1
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
        risky = np.zeros(n, dtype=bool)
        risky[scored_rows] = direction > 0
        for slot in range(k):
            column = pd.Series(codes[:, slot])
            for code, where in column.groupby(column, sort=True).groups.items():
                if code not in periods:
                    continue  # a policy rule id
                rows = np.asarray(where)
                # Each distinct value is rendered once (counts and months repeat a lot), then spread.
                codes_of, uniques = pd.factorize(inputs[groups.lead(code)].iloc[rows], use_na_sentinel=True)
                values_of = [*uniques.tolist(), None]  # code -1 (empty) reads the None
                risk_of = risky[rows]
                for lang in LANGS:
                    shown = np.array([groups.format(code, v, lang) for v in values_of], dtype=object)[codes_of]
                    for flag in (True, False):
                        where_flag = risk_of == flag
                        if where_flag.any():
                            before, after = groups.frame(code, risk=flag, lang=lang, period=periods[code][lang])
                            text[lang][rows[where_flag], slot] = before + shown[where_flag] + after
                    fix = groups.repair(code, lang)
                    if fix:
                        for i in rows[risky[rows]]:
                            if fix not in repair[lang][i]:
                                repair[lang][i].append(fix)
    out: dict[str, object] = {}
    for j in range(k):
        out[f"reason_{j + 1}"] = codes[:, j]
        out[f"reason_{j + 1}_value"] = values[:, j]
        out[f"reason_{j + 1}_text_zh"] = text["zh"][:, j]
        out[f"reason_{j + 1}_text_en"] = text["en"][:, j]
    for lang in LANGS:
        out[f"repair_{lang}"] = np.array(["; ".join(r) if r else None for r in repair[lang]], dtype=object)
    return pd.DataFrame(out)
