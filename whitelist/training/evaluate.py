"""Model quality in the risk team's terms: ranking, calibration, gains, and the operating points.

Every figure is computed from labels and PDs alone, so the model card, the gates and the
benchmarks all read the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve


def ranking(y: np.ndarray, pd: np.ndarray) -> dict[str, float]:
    """AUC, Gini (2 AUC - 1), KS (largest gap between the cumulative bad and good shares)."""
    y, pd = np.asarray(y, dtype=int), np.asarray(pd, dtype=float)
    auc = float(roc_auc_score(y, pd))
    fpr, tpr, _ = roc_curve(y, pd)
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float(np.max(tpr - fpr))}


def calibration(y: np.ndarray, pd: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Brier score, log loss, and predicted against observed default rate by PD decile."""
    y, pd = np.asarray(y, dtype=int), np.clip(np.asarray(pd, dtype=float), 1e-9, 1 - 1e-9)
    order = np.argsort(pd, kind="mergesort")
    groups = np.array_split(order, bins)
    table = [
        {"decile": i + 1, "rows": int(g.size), "mean_pd": float(pd[g].mean()), "bad_rate": float(y[g].mean())}
        for i, g in enumerate(groups)
        if g.size
    ]
    ece = sum(r["rows"] * abs(r["mean_pd"] - r["bad_rate"]) for r in table) / max(len(y), 1)
    return {
        "brier": float(brier_score_loss(y, pd)),
        "log_loss": float(log_loss(y, pd, labels=[0, 1])),
        "calibration_error": float(ece),
        "deciles": table,
    }


def gains(y: np.ndarray, pd: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Riskiest first: share of bads caught and lift in each tenth of the population."""
    y, pd = np.asarray(y, dtype=int), np.asarray(pd, dtype=float)
    order = np.argsort(-pd, kind="mergesort")
    total_bad = max(int(y.sum()), 1)
    base = y.mean() if y.size else 0.0
    rows, caught = [], 0
    for i, g in enumerate(np.array_split(order, bins)):
        if not g.size:
            continue
        bad = int(y[g].sum())
        caught += bad
        rate = bad / g.size
        rows.append(
            {
                "tenth": i + 1,
                "rows": int(g.size),
                "bad_rate": rate,
                "cumulative_bad_share": caught / total_bad,
                "lift": rate / base if base else float("nan"),
            }
        )
    return rows


def operating_points(y: np.ndarray, pd: np.ndarray, cutoffs: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """At each grade cutoff (approve PD <= cutoff): the approval rate and the observed bad rate of the approved."""
    y, pd = np.asarray(y, dtype=int), np.asarray(pd, dtype=float)
    out = []
    for name, cutoff in cutoffs:
        approved = pd <= cutoff
        n = int(approved.sum())
        out.append(
            {
                "grade": name,
                "max_pd": cutoff,
                "approval_rate": n / max(len(y), 1),
                "bad_rate_approved": float(y[approved].mean()) if n else None,
            }
        )
    return out


def curve(y: np.ndarray, pd: np.ndarray, points: int = 100) -> list[dict[str, float]]:
    """Riskiest first, at each share of the population: the share of bads and of goods caught.

    Plotting goods against bads gives the ROC curve; both against the population share gives
    the KS chart. A hundred points keep the evaluation small and the plots exact enough.
    """
    y, pd = np.asarray(y, dtype=int), np.asarray(pd, dtype=float)
    order = np.argsort(-pd, kind="mergesort")
    bads = np.concatenate([[0], np.cumsum(y[order])])
    goods = np.concatenate([[0], np.cumsum(1 - y[order])])
    n = y.size
    out = []
    for q in np.linspace(0.0, 1.0, points + 1):
        k = int(round(q * n))
        out.append(
            {
                "share": float(q),
                "bads": float(bads[k] / max(bads[-1], 1)),
                "goods": float(goods[k] / max(goods[-1], 1)),
            }
        )
    return out


BOOTSTRAP = 1_000
"""Resamples behind each confidence interval: enough for a stable 95% interval's ends."""


def _offsets(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ..., size - 1 for each size in turn: the rows of each picked enterprise."""
    ends = np.cumsum(sizes)
    return np.arange(ends[-1] if ends.size else 0) - np.repeat(ends - sizes, sizes)


def _fast_auc(y: np.ndarray, score: np.ndarray) -> float:
    """AUC by ranks (ties averaged), for the many resamples of a bootstrap."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    pos = y.sum()
    neg = y.size - pos
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def bootstrap_auc(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP,
    groups: np.ndarray | None = None,
) -> dict[str, Any]:
    """AUC of each score with a 95% percentile interval, and of each score's difference from the first.

    The same resampled rows serve every score, so a difference's interval is paired: it says
    whether one model ranks better than another on these rows, not only whether their intervals overlap.
    With ``groups`` (each row's enterprise) whole enterprises are resampled: a panel's month ends of
    one firm are not independent draws, and resampling rows would make the interval too narrow.
    """
    y = np.asarray(y, dtype=int)
    names = list(scores)
    arrays = {k: np.asarray(v, dtype=float) for k, v in scores.items()}
    rng = np.random.default_rng(seed)
    draws = {k: np.empty(resamples) for k in names}
    if groups is not None:
        _, member = np.unique(np.asarray(groups), return_inverse=True)
        order = np.argsort(member, kind="stable")
        starts = np.searchsorted(member[order], np.arange(member.max() + 1))
        sizes = np.bincount(member)
    for b in range(resamples):
        if groups is None:
            rows = rng.integers(0, y.size, y.size)
        else:
            picked = rng.integers(0, sizes.size, sizes.size)
            rows = order[np.repeat(starts[picked], sizes[picked]) + _offsets(sizes[picked])]
        for k in names:
            draws[k][b] = _fast_auc(y[rows], arrays[k][rows])
    out: dict[str, Any] = {
        "resamples": resamples, "rows": int(y.size), "resampled": "rows" if groups is None else "enterprises",
        "auc": {}, "difference": {},
    }
    if groups is not None:
        out["enterprises"] = int(sizes.size)
    for k in names:
        low, high = np.nanpercentile(draws[k], [2.5, 97.5])
        out["auc"][k] = {"value": _fast_auc(y, arrays[k]), "low": float(low), "high": float(high)}
    first = names[0]
    for k in names[1:]:
        diff = draws[first] - draws[k]
        low, high = np.nanpercentile(diff, [2.5, 97.5])
        out["difference"][f"{first} - {k}"] = {
            "value": out["auc"][first]["value"] - out["auc"][k]["value"], "low": float(low), "high": float(high)
        }
    return out
