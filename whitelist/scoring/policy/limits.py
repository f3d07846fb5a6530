"""Limits: what the data shows an enterprise needs and can carry, capped and rounded down.

need     = need_sales_share x a year's declared sales - bank debt already drawn
capacity = capacity_sales_share x sales + capacity_tax_multiple x tax paid
           + capacity_per_employee x insured employees
limit    = min(need, capacity, product max, entity-type cap), rounded down to ``round_to``;
           never above the need, so a limit matches the real financing need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whitelist.scoring.config import Limits
from whitelist.scoring.policy.patterns import per_distinct


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The amount as floats: empty or unreadable reads 0, a negative amount 0."""
    column = frame[name]
    if column.dtype.kind in "fiub":  # plain arrays: pandas' per-call cost dominates a one-row real-time score
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        x = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(x) | (x < 0.0), 0.0, x)


def need_and_capacity(frame: pd.DataFrame, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    sales = _col(frame, limits.sales_feature)
    need = np.maximum(limits.need_sales_share * sales - _col(frame, limits.debt_feature), 0.0)
    capacity = (
        limits.capacity_sales_share * sales
        + limits.capacity_tax_multiple * _col(frame, limits.tax_paid_feature)
        + limits.capacity_per_employee * _col(frame, limits.employees_feature)
    )
    return np.round(need, 2), np.round(capacity, 2)


def round_down(amount: np.ndarray, step: float) -> np.ndarray:
    return np.floor(np.round(amount / step, 9)) * step


def base_limit(need: np.ndarray, capacity: np.ndarray, entity_type: pd.Series, limits: Limits) -> np.ndarray:
    """The limit before the group cap: min of need, capacity and caps, rounded down."""
    # An unknown or empty type has no cap of its own.
    type_cap = per_distinct(entity_type, lambda t: limits.entity_type_caps.get(t, np.inf), np.inf, np.float64)
    limit = np.minimum.reduce([need, capacity, np.full(len(need), limits.product.max_limit), type_cap])
    return round_down(limit, limits.round_to)


def allocate_group_cap(
    limit: np.ndarray, group: np.ndarray, order: np.ndarray, cap: float, minimum: float, step: float
) -> tuple[np.ndarray, np.ndarray]:
    """Share ``cap`` among each group's members in ``order`` (positions, first served first).

    Returns the allocated limits and which members were left with less than ``minimum``.
    Groups of one are never capped below their own limit beyond ``cap`` itself.
    """
    allocated = limit.copy()
    short = np.zeros(len(limit), bool)
    used: dict[object, float] = {}
    for i in order:
        taken = used.get(group[i], 0.0)
        # numpy scalars, so each step rounds exactly as round_down does for a whole column
        room = float(np.floor(np.round(np.float64(max(cap - taken, 0.0)) / step, 9)) * step)
        give = min(limit[i], room)
        if give < minimum:
            allocated[i], short[i] = 0.0, True
            continue
        allocated[i] = give
        used[group[i]] = taken + give
    return allocated, short
