"""LightGBM defaults and search space that fit the data's size.

A 700-row table and a 2-million-row panel cannot share ``min_data_in_leaf=100``: on the first a
leaf of 100 rows is a sixth of the data, on the second it memorises enterprises. Leaf size grows
with the square root of the rows each fit trains on (LightGBM's 20 at about 800 rows, some 400 at
300,000), leaves with the rows per leaf, and the search space is laid around those defaults.
"""

from __future__ import annotations

import math
from typing import Any

from whitelist.training.tune import Range

MAX_DEPTH = 6
"""Shallow trees keep exact SHAP reasons cheap for a whole province (docs/benchmarks.md)."""


def default_leaf_rows(rows: int) -> int:
    """``min_data_in_leaf`` for a fit on ``rows`` rows: 0.7 * sqrt(rows), between 5 and 500."""
    return int(min(500, max(5, round(0.7 * math.sqrt(max(rows, 1))))))


def sized_params(rows: int) -> dict[str, Any]:
    """The untuned parameters for a fit on ``rows`` rows (the fields the size decides)."""
    leaf = default_leaf_rows(rows)
    leaves = int(min(31, max(4, rows // (4 * leaf))))
    return {"min_data_in_leaf": leaf, "num_leaves": leaves, "max_depth": MAX_DEPTH}


def sized_space(rows: int) -> dict[str, Range]:
    """The default search space around ``sized_params`` for a fit on ``rows`` rows."""
    leaf = default_leaf_rows(rows)
    low_leaf = max(3, leaf // 4)
    high_leaf = max(low_leaf + 1, min(4 * leaf, rows // 10))
    high_leaves = int(min(63, max(8, rows // (2 * low_leaf))))
    return {
        "learning_rate": Range(0.02, 0.2, log=True),
        "num_leaves": Range(4, high_leaves, integer=True),
        "max_depth": Range(2, MAX_DEPTH, integer=True),
        "min_data_in_leaf": Range(low_leaf, high_leaf, log=True, integer=True),
        "feature_fraction": Range(0.3, 1.0),
        "bagging_fraction": Range(0.5, 1.0),
        "lambda_l2": Range(1e-3, 30.0, log=True),
    }
