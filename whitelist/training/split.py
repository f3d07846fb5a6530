"""Train, validation and test parts: out of time when the data has a time column.

The test part is held out for the model card and the gates only. The validation part
serves early stopping, tuning and calibration, so the test part never influences the model.

In a panel the same enterprise appears at many month ends with overlapping 12-month
outcomes, so a model can memorise which enterprises default: on the 20k demo panel a
month-only split scored AUC 1.00 on training months and its "out-of-time" AUC fell month
by month (0.96, 0.91, 0.87, 0.82, 0.79) as the shared default events ran out. When an id
repeats, the parts are therefore also enterprise-disjoint: an enterprise belongs to one
part, and its rows outside that part's periods are left out (counted as ``unused``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from whitelist.core.errors import ConfigError, preview


@dataclass(frozen=True)
class Split:
    """Row positions of each part, and how the parts were made."""

    kind: str
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    periods: dict[str, tuple[str, str]] | None = None
    """For an out-of-time split: the first and last period of each part."""
    entities: dict[str, int] | None = None
    """For an enterprise-disjoint split: distinct ids in each part."""
    unused: int = 0
    """Labelled rows in no part: an enterprise's rows outside its own part's periods."""


def binary_target(frame: pd.DataFrame, target: str, source: str = "table") -> pd.Series:
    """The target as 0/1, refusing anything but two classes; empty targets are the caller's to drop."""
    if target not in frame.columns:
        raise ConfigError(f"{source}: no target column {target!r}; columns are {preview(frame.columns, 8)}")
    y = frame[target].dropna()
    values = sorted(pd.unique(y).tolist(), key=str)
    if set(values) - {0, 1, True, False} or len(values) != 2:
        raise ConfigError(
            f"{source}: target {target!r} must hold two classes 0 and 1 (empty = unlabelled), got {preview(values)}"
        )
    return frame[target].astype("float64")


ENTITY_SHARES = {"test": 0.3, "valid": 0.2}
"""Shares of enterprises held out for the test and validation parts of a panel; the rest train."""


def split(
    frame: pd.DataFrame,
    y: pd.Series,
    *,
    time_col: str | None = None,
    id_col: str | None = None,
    test_share: float = 0.2,
    valid_share: float = 0.2,
    seed: int = 0,
) -> Split:
    """Split labelled rows; with ``time_col`` the latest periods are the test part, the ones before validation.

    With ``id_col`` holding an id more than once, the parts are also enterprise-disjoint.
    """
    labelled = np.flatnonzero(y.notna().to_numpy())
    if labelled.size == 0:
        raise ConfigError("no labelled rows to train on")
    ids = None
    if id_col is not None:
        if id_col not in frame.columns:
            raise ConfigError(f"id column {id_col!r} is not in the table; columns are {preview(frame.columns, 8)}")
        candidate = frame[id_col].astype("string").to_numpy()[labelled]
        ids = candidate if pd.Series(candidate).duplicated().any() else None
    if time_col is None:
        if ids is not None:
            return _by_entity(labelled, ids, seed)
        return _stratified(labelled, y.to_numpy()[labelled], test_share, valid_share, seed)
    if time_col not in frame.columns:
        raise ConfigError(f"time column {time_col!r} is not in the table; columns are {preview(frame.columns, 8)}")
    by_time = _out_of_time(frame[time_col].to_numpy()[labelled], labelled, test_share, valid_share)
    return by_time if ids is None else _disjoint(by_time, labelled, ids, seed)


def entity_groups(ids: np.ndarray, seed: int) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) for each id: a seeded draw over the sorted distinct ids."""
    distinct = np.unique(ids)
    order = np.random.default_rng(seed).permutation(distinct.size)
    n_test = int(round(ENTITY_SHARES["test"] * distinct.size))
    n_valid = int(round(ENTITY_SHARES["valid"] * distinct.size))
    group = np.zeros(distinct.size, dtype=np.int8)
    group[order[:n_test]] = 2
    group[order[n_test : n_test + n_valid]] = 1
    return group[np.searchsorted(distinct, ids)]


def _by_entity(rows: np.ndarray, ids: np.ndarray, seed: int) -> Split:
    group = entity_groups(ids, seed)
    return Split(
        kind="by_enterprise",
        train=rows[group == 0],
        valid=rows[group == 1],
        test=rows[group == 2],
        entities={name: int(np.unique(ids[group == g]).size) for g, name in enumerate(("train", "valid", "test"))},
    )


def _disjoint(by_time: Split, labelled: np.ndarray, ids: np.ndarray, seed: int) -> Split:
    """Enterprise-disjoint parts: test enterprises in the test periods; the others before them.

    Validation enterprises keep all their rows before the test periods (not only the latest
    months), so early stopping, tuning and calibration see enough defaults to be stable.
    """
    group = pd.Series(entity_groups(ids, seed), index=labelled)
    before = np.sort(np.concatenate([by_time.train, by_time.valid]))
    parts = {
        "train": before[group.loc[before].to_numpy() == 0],
        "valid": before[group.loc[before].to_numpy() == 1],
        "test": by_time.test[group.loc[by_time.test].to_numpy() == 2],
    }
    kept = sum(p.size for p in parts.values())
    periods = by_time.periods or {}
    return Split(
        kind="out_of_time_by_enterprise",
        periods={"train": (periods["train"][0], periods["valid"][1]), "valid": (periods["train"][0], periods["valid"][1]), "test": periods["test"]},
        entities={
            name: int(np.unique(ids[np.searchsorted(labelled, parts[name])]).size) for name in ("train", "valid", "test")
        },
        unused=int(labelled.size - kept),
        **parts,
    )


def _stratified(rows: np.ndarray, y: np.ndarray, test_share: float, valid_share: float, seed: int) -> Split:
    rest, test = train_test_split(rows, test_size=test_share, stratify=y, random_state=seed)
    y_rest = y[np.searchsorted(rows, rest)]
    train, valid = train_test_split(rest, test_size=valid_share, stratify=y_rest, random_state=seed)
    return Split(kind="stratified", train=np.sort(train), valid=np.sort(valid), test=np.sort(test))


def periods_from_end(counts: np.ndarray, share: float, at_most: int) -> int:
    """How many of the latest periods (``counts``: rows per period, oldest first) hold about ``share`` of
    the rows: at least one, at most ``at_most``."""
    share_from_end = np.cumsum(counts[::-1]) / counts.sum()
    return int(min(np.searchsorted(share_from_end, share) + 1, at_most))


def _out_of_time(times: np.ndarray, rows: np.ndarray, test_share: float, valid_share: float) -> Split:
    periods, counts = np.unique(times, return_counts=True)
    if periods.size < 3:
        raise ConfigError(
            f"an out-of-time split needs at least 3 periods in the time column, got {periods.size}; "
            "give more periods or train without --time-col"
        )
    n_test = periods_from_end(counts, test_share, periods.size - 2)
    n_valid = periods_from_end(counts[: periods.size - n_test], valid_share, periods.size - n_test - 1)
    test_p = periods[periods.size - n_test :]
    valid_p = periods[periods.size - n_test - n_valid : periods.size - n_test]
    part = np.where(np.isin(times, test_p), 2, np.where(np.isin(times, valid_p), 1, 0))
    first_last = {
        name: (str(periods[sel][0]), str(periods[sel][-1]))
        for name, sel in (
            ("train", slice(0, periods.size - n_test - n_valid)),
            ("valid", slice(periods.size - n_test - n_valid, periods.size - n_test)),
            ("test", slice(periods.size - n_test, periods.size)),
        )
    }
    return Split(
        kind="out_of_time", train=rows[part == 0], valid=rows[part == 1], test=rows[part == 2], periods=first_last
    )
