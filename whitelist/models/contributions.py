"""Exact per-feature contributions (TreeSHAP) of the model's raw score.

LightGBM's ``pred_contrib`` gives the same numbers as ``shap.TreeExplainer`` on the raw
(log-odds) score: one column per feature and a last column with the base value, summing to
the raw score row by row. It is the one code path for contributions; a faster exact
algorithm can replace it here without touching its callers.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd


def exact_contributions(booster: lgb.Booster, matrix: pd.DataFrame) -> np.ndarray:
    """(rows, features + 1) contributions; the last column is the base value."""
    if matrix.empty:
        return np.zeros((0, booster.num_feature() + 1))
    out = booster.predict(matrix, pred_contrib=True)
    return np.asarray(out, dtype=float)
