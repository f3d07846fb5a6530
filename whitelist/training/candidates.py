"""The three candidate kinds, compared on the same out-of-fold rows, and the blend weight.

``auto`` keeps the candidate with the best out-of-fold AUC. The blend's out-of-fold scores are
cross-fitted: each fold's rows are blended with the weight fitted on the other folds' rows, so
the blend is not flattered by a weight chosen on the very rows it is judged on. The blend the
model ships uses the weight fitted on all out-of-fold rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

KINDS = ("scorecard", "lightgbm", "blend")
"""In order of simplicity: ``auto`` keeps the simpler of two candidates with the same AUC."""
WEIGHTS = np.round(np.linspace(0.0, 1.0, 21), 2)
"""The LightGBM weights tried: 0, 0.05, ..., 1."""


def auc(y: np.ndarray, score: np.ndarray) -> float:
    y = np.asarray(y, dtype=int)
    if y.min() == y.max():
        return float("nan")
    return float(roc_auc_score(y, score))


def blend_weight(tree: np.ndarray, card: np.ndarray, y: np.ndarray) -> float:
    """The LightGBM weight whose blended log-odds rank ``y`` best (the first of equals, from 0)."""
    scores = [auc(y, w * tree + (1.0 - w) * card) for w in WEIGHTS]
    return float(WEIGHTS[int(np.nanargmax(scores))])


@dataclass(frozen=True)
class Candidate:
    kind: str
    oof_auc: float
    oof: np.ndarray
    """Raw out-of-fold score of each out-of-fold row."""


@dataclass(frozen=True)
class Comparison:
    candidates: dict[str, Candidate]
    weight: float | None
    """The blend's LightGBM weight on all out-of-fold rows (None without both parts)."""
    fold_weights: list[float]

    def best(self) -> str:
        present = [k for k in KINDS if k in self.candidates]
        return max(present, key=lambda k: (self.candidates[k].oof_auc, -KINDS.index(k)))

    def describe(self, chosen: str) -> dict[str, object]:
        return {
            "chosen": chosen,
            "oof_auc": {k: c.oof_auc for k, c in self.candidates.items()},
            "blend_weight": self.weight,
            "blend_fold_weights": self.fold_weights,
        }


def compare(y: np.ndarray, fold: np.ndarray, tree: np.ndarray | None, card: np.ndarray | None) -> Comparison:
    """Candidates from out-of-fold raw scores (``fold``: the fold of each out-of-fold row)."""
    candidates: dict[str, Candidate] = {}
    if card is not None:
        candidates["scorecard"] = Candidate("scorecard", auc(y, card), card)
    if tree is not None:
        candidates["lightgbm"] = Candidate("lightgbm", auc(y, tree), tree)
    if tree is None or card is None:
        return Comparison(candidates, None, [])
    if np.unique(fold).size < 2:  # one time-ordered fold: cross-fit on its two halves instead
        fold = np.arange(fold.size) % 2
    blended = np.empty_like(tree)
    fold_weights = []
    for k in np.unique(fold):
        mine = fold == k
        others = ~mine if np.unique(y[~mine]).size == 2 else np.ones_like(mine)
        w = blend_weight(tree[others], card[others], y[others])
        fold_weights.append(w)
        blended[mine] = w * tree[mine] + (1.0 - w) * card[mine]
    candidates["blend"] = Candidate("blend", auc(y, blended), blended)
    return Comparison(candidates, blend_weight(tree, card, y), fold_weights)
