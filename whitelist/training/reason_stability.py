"""Reason stability: does an enterprise keep its top reason when the model is retrained?

A reason an enterprise is told should belong to the enterprise, not to the luck of one fit.
The model is refitted on bootstrap resamples of its training part with the same settings (the
same parameters and number of trees; a scorecard's same bins and characteristics), and each enterprise of an out-of-time sample is explained by every refit;
the report shows how often its top reason group (largest |contribution|) stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from whitelist.models.artefact import as_array
from whitelist.models.kinds import ScoringModel
from whitelist.models.reasons import load_reasons

RETRAINS = 5
ROWS = 2_000
"""Out-of-time enterprises explained by every refit."""
MAX_TRAIN_ROWS = 20_000
"""Each bootstrap resample draws at most this many training rows, to keep training quick."""


def _top(model: ScoringModel, rows: pd.DataFrame, indicator: np.ndarray, k: int) -> np.ndarray:
    groups = model.explainer("treeshap").of_array(as_array(rows))[:, :-1] @ indicator
    return np.argsort(-np.abs(np.round(groups, 6)), axis=1, kind="stable")[:, :k]


def reason_stability(
    refit: Callable[[pd.DataFrame, np.ndarray, np.ndarray, int], ScoringModel], model: ScoringModel,
    x: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int, retrains: int = RETRAINS,
) -> dict[str, Any] | None:
    """Share of sampled out-of-time rows whose top reason group is the same under each refit."""
    if retrains <= 0 or train.size == 0 or test.size == 0:
        return None
    rng = np.random.default_rng(seed + 7919)
    sample = np.sort(rng.choice(test, size=min(ROWS, test.size), replace=False))
    rows = x.iloc[sample]
    indicator = load_reasons().group_map(tuple(map(str, x.columns))).indicator
    main = _top(model, rows, indicator, 4)
    same, within = [], []
    for r in range(retrains):
        draw = rng.choice(train, size=min(train.size, MAX_TRAIN_ROWS), replace=True)
        top = _top(refit(x, y, draw, seed + r + 1), rows, indicator, 4)
        same.append(float((top[:, 0] == main[:, 0]).mean()))
        within.append(float((top == main[:, :1]).any(axis=1).mean()))
    return {
        "retrains": retrains,
        "rows": int(sample.size),
        "top1_agreement": float(np.mean(same)),
        "top1_in_top4": float(np.mean(within)),
        "per_retrain": [round(v, 6) for v in same],
    }
