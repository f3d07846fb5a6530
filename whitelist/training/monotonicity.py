"""Verify monotone constraints on paired rows: raise one constrained feature, the score must not fall.

LightGBM enforces constraints while growing trees, but a risk team signs off on behaviour,
not on a training flag; so after training each constrained feature is swept over a grid of
its observed values on real out-of-time rows (missing values included in the other columns),
and every step where the raw score moves against the declared direction is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

GRID_POINTS = 11
"""Quantiles of the feature (0, 10%, ..., 100%) each row is moved through."""
TOLERANCE = 1e-12
"""Raw-score drops smaller than this are float noise, not violations."""


def feature_grid(values: pd.Series, points: int = GRID_POINTS) -> np.ndarray:
    """Distinct quantiles of the observed (non-missing) values, in increasing order."""
    observed = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if observed.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(observed, np.linspace(0.0, 1.0, points), method="lower"))


def check_monotone(
    raw_score: Callable[[pd.DataFrame], np.ndarray],
    rows: pd.DataFrame,
    monotone: dict[str, int],
    grids: dict[str, np.ndarray],
) -> dict[str, Any]:
    """Count paired-row violations per constrained feature; ``rows`` is the model matrix of a sample and
    ``raw_score`` the model's raw score of such a matrix, whatever its kind."""
    per_feature: dict[str, dict[str, Any]] = {}
    total = 0
    for feature, direction in sorted(monotone.items()):
        grid = grids.get(feature, np.empty(0))
        if grid.size < 2 or rows.empty:
            per_feature[feature] = {"direction": direction, "pairs": 0, "violations": 0, "worst_drop": 0.0}
            continue
        swept = rows.loc[rows.index.repeat(grid.size)].reset_index(drop=True)
        swept[feature] = np.tile(grid, len(rows))
        score = raw_score(swept).reshape(len(rows), grid.size)
        steps = direction * np.diff(score, axis=1)
        bad = steps < -TOLERANCE
        violations = int(bad.sum())
        total += violations
        per_feature[feature] = {
            "direction": direction,
            "pairs": int(steps.size),
            "violations": violations,
            "worst_drop": float(-steps.min()) if violations else 0.0,
        }
    return {"rows": len(rows), "grid_points": GRID_POINTS, "violations": total, "features": per_feature}
