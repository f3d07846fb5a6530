"""enterprise_sample: a province panel too large for one machine is trained on a stable share of its enterprises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.config import parse_config
from whitelist.core.errors import ConfigError
from whitelist.training.config import TrainConfig
from whitelist.training.table import in_sample, read_enterprise_sample, read_table


def _panel(path: Path, enterprises: int = 3_000, dates: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    codes = [f"91330100{i:09d}X" for i in range(enterprises)]
    frame = pd.DataFrame({
        "uscc": np.repeat(codes, dates),
        "as_of": np.tile(pd.date_range("2023-01-31", periods=dates, freq="ME").date, enterprises),
        "x": rng.normal(size=enterprises * dates),
    })
    frame.to_parquet(path, index=False)
    return frame


def test_the_sample_keeps_every_date_of_a_kept_enterprise_and_nothing_else(tmp_path: Path) -> None:
    frame = _panel(tmp_path / "panel.parquet")
    sample = read_enterprise_sample(tmp_path / "panel.parquet", "uscc", 0.25)
    kept = set(sample["uscc"])
    assert 0.22 < len(kept) / frame["uscc"].nunique() < 0.28
    assert (sample.groupby("uscc").size() == 4).all()  # all four as-of dates of each kept enterprise
    expected = read_table(tmp_path / "panel.parquet")
    expected = expected[expected["uscc"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sample, expected)  # the same rows, types and order as reading it whole


def test_the_sample_is_the_same_on_every_run_and_grows_with_its_share(tmp_path: Path) -> None:
    _panel(tmp_path / "panel.parquet")
    small = read_enterprise_sample(tmp_path / "panel.parquet", "uscc", 0.1)
    again = read_enterprise_sample(tmp_path / "panel.parquet", "uscc", 0.1)
    larger = read_enterprise_sample(tmp_path / "panel.parquet", "uscc", 0.5)
    pd.testing.assert_frame_equal(small, again)
    assert set(small["uscc"]) < set(larger["uscc"])  # a larger share keeps everything a smaller one kept


@given(st.lists(st.text(min_size=1, max_size=18), min_size=1, max_size=50), st.floats(0.01, 1.0))
def test_membership_depends_on_the_code_alone(codes: list[str], share: float) -> None:
    together = in_sample(pd.Series(codes), share)
    one_by_one = [bool(in_sample(pd.Series([c]), share)[0]) for c in codes]
    assert together.tolist() == one_by_one
    assert in_sample(pd.Series(codes), 1.0).all()


def test_a_share_outside_zero_to_one_is_refused() -> None:
    base = {"data": {"features": "panel.parquet"}}
    for bad in (0, 1.5):
        with pytest.raises(ConfigError, match="enterprise_sample"):
            parse_config(TrainConfig, {**base, "enterprise_sample": bad}, source="train.yaml")
