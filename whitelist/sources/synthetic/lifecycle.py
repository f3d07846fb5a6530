"""Exits and defaults: when each entity leaves the registry, and when it first hits 90+ DPD."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whitelist.sources.synthetic.processes import NEVER, Latent, draw_defaults
from whitelist.sources.synthetic.province import ENTERPRISE, INDIVIDUAL, Entities


@dataclass(frozen=True)
class Fate:
    """What happens to each entity of a chunk."""

    default_t: np.ndarray  # first month 90+ days past due, NEVER if none
    exit_t: np.ndarray  # first month no longer in business, NEVER if none
    revoked: np.ndarray  # exit by licence revocation (else cancellation)
    pd: np.ndarray  # (entities, months) true 12-month PD
    alive: np.ndarray  # (entities, months) established and not exited


def decide_fate(e: Entities, latent: Latent, intercept: float, rng: np.random.Generator) -> Fate:
    n, t = latent.health.shape
    months = np.arange(t)
    # Ordinary closures: individual businesses churn fastest; poor health closes more;
    # dormant entities are eventually revoked.
    base = np.where(e.kind == INDIVIDUAL, 0.006, np.where(e.kind == ENTERPRISE, 0.0025, 0.003))
    hazard = base[:, None] + 0.008 * (latent.health < -1.0) + np.where(e.zombie | e.shell, 0.004, 0.0)[:, None]
    closes = (rng.random((n, t)) < hazard) & latent.born
    churn = np.where(closes.any(axis=1), closes.argmax(axis=1), NEVER)
    open_before_churn = latent.born & (months[None, :] < churn[:, None])
    default_t, pd = draw_defaults(e, latent, open_before_churn, intercept, rng)
    after = np.where(rng.random(n) < 0.6, default_t + rng.integers(3, 25, size=n), NEVER)
    exit_t = np.minimum(churn, np.where(default_t < NEVER, after, NEVER))
    revoked = (e.zombie | e.shell | (default_t < NEVER)) & (rng.random(n) < 0.7)
    alive = latent.born & (months[None, :] < exit_t[:, None])
    return Fate(default_t=default_t, exit_t=exit_t, revoked=revoked, pd=pd, alive=alive)
