"""Risk-based pricing: LPR in force + funding + operating cost + expected loss + capital charge.

expected loss  = PD x LGD
capital charge = risk weight x capital ratio x cost of capital
rate           = clip(sum, floor, cap), rounded to ``round_to`` (one basis point)
"""

from __future__ import annotations

from datetime import date

import numpy as np

from whitelist.core.errors import ConfigError
from whitelist.scoring.config import Pricing


def lpr_at(pricing: Pricing, run_date: date) -> float:
    """The LPR quote in force at ``run_date``: the latest one effective on or before it."""
    quotes = [q for q in pricing.lpr if q.effective <= run_date]
    if not quotes:
        raise ConfigError(
            f"pricing.lpr: no quote effective on or before the run date {run_date}; "
            f"the earliest is {pricing.lpr[0].effective}: add the LPR in force then"
        )
    return quotes[-1].rate


def capital_charge(pricing: Pricing) -> float:
    return pricing.risk_weight * pricing.capital_ratio * pricing.cost_of_capital


def price(pd_: np.ndarray, pricing: Pricing, run_date: date) -> np.ndarray:
    base = lpr_at(pricing, run_date) + pricing.funding_cost + pricing.operating_cost + capital_charge(pricing)
    rate = np.clip(base + np.asarray(pd_, dtype=float) * pricing.lgd, pricing.floor, pricing.cap)
    return np.round(np.round(rate / pricing.round_to) * pricing.round_to, 6)
