"""The four reasons each decision shows: policy rule ids first, then the model's reason groups.

A decision made by a rule carries the rule's id and text. The model's reasons follow:
risk-increasing groups for declines and reviews, supporting ones for the whitelist, each
strongest first with ties broken by code. Excluded and invalid enterprises were never scored,
so their reasons are the checks that stopped them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whitelist.models.reasons import TOP_REASONS, GroupMap, top_reasons
from whitelist.scoring.config import PolicyConfig
from whitelist.scoring.policy.checks import BY_ID

MODEL_CHECKS = frozenset({"PD01", "PD02"})
"""Checks whose reason is the model itself: their place goes to the contribution groups."""


def rule_texts(policy: PolicyConfig) -> dict[str, tuple[str, str]]:
    texts = {c.id: (c.text_zh, c.text_en) for c in BY_ID.values()}
    texts.update({r.id: (r.text_zh, r.text_en) for r in policy.rules})
    return texts


def reason_columns(
    decision: np.ndarray,
    rules_hit: np.ndarray,
    scored_rows: np.ndarray,
    group_values: np.ndarray,
    groups: GroupMap,
    policy: PolicyConfig,
) -> pd.DataFrame:
    """reason_k, reason_k_value, reason_k_text_zh, reason_k_text_en for k = 1..4, per enterprise."""
    n = len(decision)
    k = TOP_REASONS
    codes = np.full((n, k), None, dtype=object)
    values = np.full((n, k), np.nan)
    zh = np.full((n, k), None, dtype=object)
    en = np.full((n, k), None, dtype=object)
    texts = rule_texts(policy)
    filled = np.zeros(n, dtype=np.int64)
    for i, hit in enumerate(rules_hit):
        if not hit:
            continue
        for rule_id in hit.split(","):
            if rule_id in MODEL_CHECKS or filled[i] >= k:
                continue
            codes[i, filled[i]] = rule_id
            zh[i, filled[i]], en[i, filled[i]] = texts[rule_id]
            filled[i] += 1
    if len(scored_rows):
        sub = decision[scored_rows]
        direction = np.where(sub == "whitelist", -1.0, 1.0)
        index, picked = top_reasons(group_values, direction, k)
        code_arr = np.array([*groups.codes, None], dtype=object)  # index -1 reads the None
        text = {
            key: np.array([*(groups.texts[c][key] for c in groups.codes), None], dtype=object)
            for key in ("risk_zh", "risk_en", "support_zh", "support_en")
        }
        supporting = direction < 0
        start = filled[scored_rows]
        for slot in range(k):
            j = slot - start  # the model's j-th reason goes after the rule ids
            usable = j >= 0
            jj = np.clip(j, 0, k - 1)
            idx = np.where(usable, index[np.arange(len(scored_rows)), jj], -1)
            put = usable & (idx >= 0)
            rows = scored_rows[put]
            codes[rows, slot] = code_arr[idx[put]]
            values[rows, slot] = picked[np.arange(len(scored_rows)), jj][put]
            zh[rows, slot] = np.where(supporting[put], text["support_zh"][idx[put]], text["risk_zh"][idx[put]])
            en[rows, slot] = np.where(supporting[put], text["support_en"][idx[put]], text["risk_en"][idx[put]])
    out: dict[str, np.ndarray] = {}
    for j in range(k):
        out[f"reason_{j + 1}"] = codes[:, j]
        out[f"reason_{j + 1}_value"] = values[:, j]
        out[f"reason_{j + 1}_text_zh"] = zh[:, j]
        out[f"reason_{j + 1}_text_en"] = en[:, j]
    return pd.DataFrame(out)
