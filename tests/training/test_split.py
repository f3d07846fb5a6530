"""Train, validation and test parts."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.errors import ConfigError
from whitelist.training.split import binary_target, split


def _panel(months: int, per_month: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ends = [date(2022, 1, 1) + timedelta(days=31 * i) for i in range(months)]
    as_of = np.repeat(ends, per_month)
    y = (rng.random(as_of.size) < 0.05).astype(float)
    y[rng.random(as_of.size) < 0.1] = np.nan  # unlabelled rows stay out of every part
    return pd.DataFrame({"as_of": as_of, "y": y})


@given(st.integers(3, 30), st.integers(5, 40))
def test_out_of_time_parts_are_disjoint_ordered_and_cover_the_labelled_rows(months: int, per_month: int) -> None:
    frame = _panel(months, per_month)
    s = split(frame, frame["y"], time_col="as_of")
    parts = [s.train, s.valid, s.test]
    assert all(p.size for p in parts)
    assert sorted(np.concatenate(parts).tolist()) == np.flatnonzero(frame["y"].notna()).tolist()
    t = frame["as_of"].to_numpy()
    assert t[s.train].max() < t[s.valid].min() and t[s.valid].max() < t[s.test].min()


def test_out_of_time_holds_out_about_the_latest_fifth() -> None:
    frame = _panel(20, 100)
    s = split(frame, frame["y"], time_col="as_of")
    labelled = frame["y"].notna().sum()
    assert 0.18 <= s.test.size / labelled <= 0.26
    assert s.periods is not None and s.periods["test"][1] == str(frame["as_of"].max())


def test_stratified_split_keeps_the_default_rate_and_is_seeded() -> None:
    frame = _panel(10, 500)
    a = split(frame, frame["y"], seed=3)
    b = split(frame, frame["y"], seed=3)
    assert all(np.array_equal(x, z) for x, z in zip((a.train, a.valid, a.test), (b.train, b.valid, b.test)))
    rate = frame["y"].mean()
    for part in (a.train, a.valid, a.test):
        assert abs(frame["y"].to_numpy()[part].mean() - rate) < 0.01


@pytest.mark.parametrize(
    ("values", "message"),
    [([0, 1, 2, 1], r"two classes 0 and 1 .* got 0, 1, 2"), ([1, 1, 1], "two classes"), (["no", "yes"], "two classes")],
)
def test_target_must_be_binary(values: list[object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        binary_target(pd.DataFrame({"t": values}), "t")


def test_missing_target_and_time_columns_are_named() -> None:
    frame = _panel(5, 10)
    with pytest.raises(ConfigError, match="no target column 'bad'"):
        binary_target(frame, "bad")
    with pytest.raises(ConfigError, match="time column 'month' is not in the table"):
        split(frame, frame["y"], time_col="month")
    with pytest.raises(ConfigError, match="at least 3 periods"):
        two = _panel(2, 50)
        split(two, two["y"], time_col="as_of")


def _entity_panel(entities: int, months: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ends = [date(2022, 1, 31) + timedelta(days=31 * i) for i in range(months)]
    frame = pd.DataFrame(
        {"id": np.tile([f"E{i:05d}" for i in range(entities)], months), "as_of": np.repeat(ends, entities)}
    )
    y = (rng.random(len(frame)) < 0.05).astype(float)
    y[rng.random(len(frame)) < 0.2] = np.nan
    return frame.assign(y=y)


@given(st.integers(5, 60), st.integers(3, 15), st.integers(0, 5))
def test_a_panel_split_never_puts_one_enterprise_in_two_parts(entities: int, months: int, seed: int) -> None:
    frame = _entity_panel(entities, months, seed)
    s = split(frame, frame["y"], time_col="as_of", id_col="id", seed=seed)
    assert s.kind == "out_of_time_by_enterprise"
    ids = frame["id"].to_numpy()
    owners = [set(ids[p]) for p in (s.train, s.valid, s.test)]
    assert not (owners[0] & owners[1]) and not (owners[0] & owners[2]) and not (owners[1] & owners[2])
    t = frame["as_of"].to_numpy()
    if s.test.size and (s.train.size or s.valid.size):
        assert t[np.concatenate([s.train, s.valid])].max() < t[s.test].min()
    used = s.train.size + s.valid.size + s.test.size
    assert used + s.unused == frame["y"].notna().sum()
    assert set(np.concatenate([s.train, s.valid, s.test]).tolist()) <= set(np.flatnonzero(frame["y"].notna()).tolist())


def test_enterprise_groups_do_not_depend_on_row_order() -> None:
    frame = _entity_panel(200, 6)
    a = split(frame, frame["y"], time_col="as_of", id_col="id", seed=2)
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    b = split(shuffled, shuffled["y"], time_col="as_of", id_col="id", seed=2)
    assert set(frame["id"].to_numpy()[a.test]) == set(shuffled["id"].to_numpy()[b.test])
    assert a.entities == b.entities and a.entities["test"] == pytest.approx(0.3 * 200, abs=1)


def test_unique_ids_keep_the_plain_splits() -> None:
    frame = _panel(10, 50).assign(id=lambda f: [f"R{i}" for i in range(len(f))])
    assert split(frame, frame["y"], time_col="as_of", id_col="id").kind == "out_of_time"
    assert split(frame, frame["y"], id_col="id").kind == "stratified"
    panel = _entity_panel(100, 5)
    no_time = split(panel, panel["y"], id_col="id")
    assert no_time.kind == "by_enterprise" and no_time.unused == 0
