"""Reference bins and the population stability index (PSI), with its verdict bands.

The training distribution of the score and of every feature is stored in the model
artefact as bins; scoring compares today's population with it. PSI = sum over bins of
(actual - expected) * ln(actual / expected), with empty bins floored at ``EPSILON``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPSILON = 1e-4
"""Share given to an empty bin so the logarithm stays finite."""


@dataclass(frozen=True)
class Bins:
    """Quantile edges of a numeric reference and the share of rows in each bin (missing last)."""

    edges: tuple[float, ...]
    shares: tuple[float, ...]

    @classmethod
    def fit(cls, values: np.ndarray, n_bins: int = 10) -> Bins:
        x = np.asarray(values, dtype=float)
        finite = x[np.isfinite(x)]
        if finite.size == 0:
            edges: tuple[float, ...] = ()
        else:
            qs = np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1])
            edges = tuple(float(e) for e in np.unique(qs))
        return cls(edges=edges, shares=tuple(float(s) for s in _shares(x, edges)))

    def shares_of(self, values: np.ndarray) -> np.ndarray:
        return _shares(np.asarray(values, dtype=float), self.edges)

    def psi(self, values: np.ndarray) -> float:
        return psi(np.array(self.shares), self.shares_of(values))


def _shares(x: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Shares of ``x`` in the bins (-inf, e1], (e1, e2], ..., (ek, inf) and a last bin for missing."""
    counts = np.zeros(len(edges) + 2)
    missing = ~np.isfinite(x)
    counts[-1] = missing.sum()
    idx = np.searchsorted(np.array(edges), x[~missing], side="left")
    counts[: len(edges) + 1] = np.bincount(idx, minlength=len(edges) + 1)
    total = counts.sum()
    return counts / total if total else counts


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    e = np.maximum(np.asarray(expected, dtype=float), EPSILON)
    a = np.maximum(np.asarray(actual, dtype=float), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


PSI_STABLE = 0.10
"""PSI below this: the population is stable (the industry's usual band)."""
PSI_SHIFT = 0.25
"""PSI at or above this: a major shift; between the two, a minor one worth watching."""


@dataclass(frozen=True)
class PsiBands:
    """Verdict bands: below ``stable`` is stable, below ``shift`` a minor shift, else a major shift.

    The one declaration of the industry's PSI bands: the model card's plot, the policy's drift
    thresholds and the training gate take their defaults from here.
    """

    stable: float = PSI_STABLE
    shift: float = PSI_SHIFT

    def verdict(self, value: float) -> str:
        if value < self.stable:
            return "stable"
        return "minor shift" if value < self.shift else "major shift"
