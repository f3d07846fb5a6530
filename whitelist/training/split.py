"""Train, validation and test parts: out of time when the data has a time column.

The test part is held out for the model card and the gates only. The validation part
serves early stopping, tuning and calibration, so the test part never influences the model.
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


def split(
    frame: pd.DataFrame,
    y: pd.Series,
    *,
    time_col: str | None = None,
    test_share: float = 0.2,
    valid_share: float = 0.2,
    seed: int = 0,
) -> Split:
    """Split labelled rows; with ``time_col`` the latest periods are the test part, the ones before validation."""
    labelled = np.flatnonzero(y.notna().to_numpy())
    if labelled.size == 0:
        raise ConfigError("no labelled rows to train on")
    if time_col is None:
        return _stratified(labelled, y.to_numpy()[labelled], test_share, valid_share, seed)
    if time_col not in frame.columns:
        raise ConfigError(f"time column {time_col!r} is not in the table; columns are {preview(frame.columns, 8)}")
    return _out_of_time(frame[time_col].to_numpy()[labelled], labelled, test_share, valid_share)


def _stratified(rows: np.ndarray, y: np.ndarray, test_share: float, valid_share: float, seed: int) -> Split:
    rest, test = train_test_split(rows, test_size=test_share, stratify=y, random_state=seed)
    y_rest = y[np.searchsorted(rows, rest)]
    train, valid = train_test_split(rest, test_size=valid_share, stratify=y_rest, random_state=seed)
    return Split(kind="stratified", train=np.sort(train), valid=np.sort(valid), test=np.sort(test))


def _out_of_time(times: np.ndarray, rows: np.ndarray, test_share: float, valid_share: float) -> Split:
    periods, counts = np.unique(times, return_counts=True)
    if periods.size < 3:
        raise ConfigError(
            f"an out-of-time split needs at least 3 periods in the time column, got {periods.size}; "
            "give more periods or train without --time-col"
        )
    share_from_end = np.cumsum(counts[::-1]) / counts.sum()
    n_test = int(min(np.searchsorted(share_from_end, test_share) + 1, periods.size - 2))
    rest_share = np.cumsum(counts[::-1][n_test:]) / counts[::-1][n_test:].sum()
    n_valid = int(min(np.searchsorted(rest_share, valid_share) + 1, periods.size - n_test - 1))
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
