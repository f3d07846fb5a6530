"""Cross-validation folds: every training row validated once, no enterprise on both sides, validation after training."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whitelist.core.errors import ConfigError
from whitelist.training.folds import make_folds


@st.composite
def panels(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    enterprises = draw(st.integers(20, 60))
    periods = draw(st.integers(3, 8))
    seed = draw(st.integers(0, 1_000))
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.array([f"E{i:03d}" for i in range(enterprises)]), periods)
    times = np.tile(np.arange(periods), enterprises)
    keep = rng.random(ids.size) < 0.8
    y = (rng.random(ids.size) < 0.3).astype(int)
    return ids[keep], times[keep], y[keep]


@given(panels(), st.integers(0, 5))
@settings(max_examples=40, deadline=None)
def test_panel_folds_are_enterprise_disjoint_and_validate_after_training(
    panel: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    ids, times, y = panel
    try:
        folds = make_folds(y, ids=ids, times=times, seed=seed)
    except ConfigError as error:
        assert "needs both classes" in str(error) or "at least" in str(error)
        return
    assert folds.kind == "out_of_time_by_enterprise"
    for train, valid in folds.pairs:
        assert not set(ids[train]) & set(ids[valid])
        assert times[train].max() < times[valid].min()
    # every enterprise validates in exactly one fold, over the whole validation window
    window = times >= times[folds.oof].min()
    assert np.array_equal(folds.oof, np.flatnonzero(window))


@given(st.integers(40, 400), st.integers(0, 10))
@settings(max_examples=30, deadline=None)
def test_plain_folds_validate_every_row_once_and_keep_the_default_rate(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    y[:5] = 1
    folds = make_folds(y, seed=seed)
    assert folds.kind == "stratified" and len(folds.pairs) == 5
    assert np.array_equal(np.sort(np.concatenate([v for _, v in folds.pairs])), np.arange(n))
    for train, valid in folds.pairs:
        assert np.intersect1d(train, valid).size == 0 and train.size + valid.size == n
        assert abs(y[valid].mean() - y.mean()) < 0.12


def test_repeating_ids_without_time_are_grouped() -> None:
    ids = np.repeat(np.arange(50).astype(str), 4)
    y = np.tile([0, 0, 1, 0], 50)
    folds = make_folds(y, ids=ids, seed=1)
    assert folds.kind == "grouped_by_enterprise"
    for train, valid in folds.pairs:
        assert not set(ids[train]) & set(ids[valid])


def test_one_row_per_id_with_time_is_one_time_ordered_fold() -> None:
    times = np.repeat(np.arange(8), 25)
    y = np.tile([0, 1, 0, 0, 0], 40)
    folds = make_folds(y, ids=np.arange(200).astype(str), times=times)
    assert folds.kind == "out_of_time" and len(folds.pairs) == 1
    train, valid = folds.pairs[0]
    assert times[train].max() < times[valid].min() and train.size + valid.size == 200


@pytest.mark.parametrize(
    ("y", "times", "message"),
    [
        (np.array([0] * 30 + [1]), None, "at least 2 rows of each class"),
        (np.array([0, 1] * 10), np.zeros(20), "at least 2 periods before the test part"),
    ],
)
def test_folds_that_cannot_be_cut_say_why(y: np.ndarray, times: np.ndarray | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_folds(y, ids=np.arange(y.size).astype(str) if times is not None else None, times=times)
