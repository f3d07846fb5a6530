"""Cross-validation folds on the rows training may learn from (every labelled row but the test part).

Every labelled row does work: each is in the training side of some folds, and the validation
sides together give the out-of-fold predictions that calibration, the blend weight and the choice
of model kind are fitted on. How the folds are cut follows the data:

| data | folds |
|---|---|
| one row per id, no time column | stratified K-fold |
| an id repeats, no time column | stratified K-fold grouped by id (an enterprise never on both sides) |
| a time column, an id repeats (a panel) | validation = the latest periods (about a quarter of the rows), one group of enterprises per fold (enterprises that default there dealt round the groups first); training = the other enterprises, before those periods |
| a time column, one row per id | one fold: the latest periods validate, the earlier ones train |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from whitelist.core.errors import ConfigError
from whitelist.training.split import periods_from_end

K = 5
VALID_SHARE = 0.25
"""Share of the rows (whole periods, the latest) that time-ordered folds validate on."""


@dataclass(frozen=True)
class Folds:
    kind: str
    pairs: tuple[tuple[np.ndarray, np.ndarray], ...]
    """(training rows, validation rows) of each fold, as positions into the rows given."""
    periods: dict[str, tuple[str, str]] | None = None
    """For time-ordered folds: the first and last period trained on and validated on."""

    @property
    def oof(self) -> np.ndarray:
        """Rows with an out-of-fold prediction, in order."""
        return np.unique(np.concatenate([v for _, v in self.pairs]))

    def fold_of(self, size: int) -> np.ndarray:
        """For each of ``size`` rows: the fold that validates it, or -1."""
        out = np.full(size, -1, dtype=np.int64)
        for k, (_, valid) in enumerate(self.pairs):
            out[valid] = k
        return out

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "folds": len(self.pairs),
            "train_rows": [int(t.size) for t, _ in self.pairs],
            "valid_rows": [int(v.size) for _, v in self.pairs],
            "periods": self.periods,
        }


def make_folds(
    y: np.ndarray,
    *,
    ids: np.ndarray | None = None,
    times: np.ndarray | None = None,
    seed: int = 0,
    k: int = K,
) -> Folds:
    """Folds over rows with labels ``y`` (0/1), optional ids and periods; see the module docstring."""
    y = np.asarray(y).astype(int)
    repeats = ids is not None and pd.Series(ids).duplicated().any()
    k = _fold_count(y, k)
    if times is None:
        rows = np.arange(y.size)
        if repeats:
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            pairs = tuple((np.sort(t), np.sort(v)) for t, v in splitter.split(rows, y, groups=ids))
            return _checked(Folds("grouped_by_enterprise", pairs), y)
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return _checked(Folds("stratified", tuple((np.sort(t), np.sort(v)) for t, v in splitter.split(rows, y))), y)
    return _checked(_time_ordered(y, times, ids if repeats else None, seed, k), y)


def _fold_count(y: np.ndarray, k: int) -> int:
    """At most ``k``, and no more folds than the rarer class has rows (each validation side needs both)."""
    rarer = int(min(y.sum(), y.size - y.sum()))
    if rarer < 2:
        raise ConfigError(f"cross-validation needs at least 2 rows of each class to train on, got {rarer}")
    return max(2, min(k, rarer))


def _time_ordered(y: np.ndarray, times: np.ndarray, ids: np.ndarray | None, seed: int, k: int) -> Folds:
    periods, counts = np.unique(times, return_counts=True)
    if periods.size < 2:
        raise ConfigError(
            f"time-ordered folds need at least 2 periods before the test part, got {periods.size}; "
            "give more periods or train without --time-col"
        )
    n_valid = periods_from_end(counts, VALID_SHARE, periods.size - 1)
    cut = periods[periods.size - n_valid]
    later = times >= cut
    span = {
        "train": (str(periods[0]), str(periods[periods.size - n_valid - 1])),
        "valid": (str(cut), str(periods[-1])),
    }
    if ids is None:
        pairs = ((np.flatnonzero(~later), np.flatnonzero(later)),)
        return Folds("out_of_time", pairs, span)
    distinct, of_id = np.unique(ids, return_inverse=True)
    # Enterprises with a default in the window are dealt round the folds first, so each fold validates on some.
    defaulting = np.zeros(distinct.size, dtype=bool)
    defaulting[of_id[later & (y == 1)]] = True
    k = max(2, min(k, int(defaulting.sum())))
    order = np.random.default_rng(seed).permutation(distinct.size)
    group = np.empty(distinct.size, dtype=np.int64)
    for stratum in (True, False):
        members = order[defaulting[order] == stratum]
        group[members] = np.arange(members.size) % k
    of_row = group[of_id]
    pairs = tuple(
        (np.flatnonzero(~later & (of_row != g)), np.flatnonzero(later & (of_row == g))) for g in range(k)
    )
    return Folds("out_of_time_by_enterprise", pairs, span)


def _checked(folds: Folds, y: np.ndarray) -> Folds:
    for n, (train, valid) in enumerate(folds.pairs, start=1):
        for side, rows in (("training", train), ("validation", valid)):
            events = int(y[rows].sum())
            if rows.size == 0 or events in (0, rows.size):
                raise ConfigError(
                    f"fold {n} of {len(folds.pairs)} ({folds.kind}): its {side} side has {rows.size:,} rows with "
                    f"{events:,} defaults; each side needs both classes: give more labelled rows or periods"
                )
    return folds
