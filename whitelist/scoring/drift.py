"""Drift: PSI of today's scores and top features against the training reference in the model.

A whitelist built on a population unlike the one the model learnt from can be confidently
wrong, so every run measures it, shows it and records it; past ``fail_psi`` the run stops
unless the policy says to warn only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from whitelist.models.artefact import ModelArtefact
from whitelist.scoring.config import Drift
from whitelist.scoring.policy.expr import evaluate


@dataclass(frozen=True)
class DriftItem:
    name: str
    psi: float
    status: str
    """ok, warn or fail against the policy's thresholds."""


def _status(value: float, drift: Drift) -> str:
    return "fail" if value >= drift.fail_psi else "warn" if value >= drift.warn_psi else "ok"


def top_features(artefact: ModelArtefact, k: int) -> tuple[str, ...]:
    """The ``k`` numeric features with the most total gain that have a reference, ties by name."""
    ranked = artefact.model.importance().ranked()
    return tuple(name for name, g in ranked if name in artefact.feature_bins and g > 0)[:k]


def measure_drift(artefact: ModelArtefact, pd_: np.ndarray, table: pd.DataFrame, drift: Drift) -> list[DriftItem]:
    """PSI of the PD (first) and of the top features, each with its status.

    The reference describes the labelled training population (enterprises with recent
    credit); ``drift.population`` selects the comparable enterprises of today's scan, so
    first-time borrowers, who the model scores but never learnt from, do not read as drift.
    """
    if drift.population is not None:
        keep = evaluate(drift.population, table).hit
        pd_, table = pd_[keep], table.loc[keep]
    score = round(artefact.score_bins.psi(pd_), 6)
    items = [DriftItem(name="pd", psi=score, status=_status(score, drift))]
    for name in top_features(artefact, drift.top_features):
        value = round(artefact.feature_bins[name].psi(pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)), 6)
        items.append(DriftItem(name=name, psi=value, status=_status(value, drift)))
    return items
