"""Every model kind: exact contributions that add up to its raw score, and a folder that scores the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from whitelist.models.artefact import ModelArtefact, model_digest
from whitelist.training.fit import train_table
from tests.cases import quick_fit


def _table(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arrears = rng.poisson(0.4, n).astype(float)
    trend = rng.normal(0, 1, n)
    trend[rng.random(n) < 0.2] = np.nan
    sector = rng.choice(["manufacturing", "retail", "catering"], n)
    logit = -2.5 + 0.8 * arrears - 0.7 * np.nan_to_num(trend) + np.where(sector == "catering", 0.6, 0.0)
    return pd.DataFrame({
        "id": [f"E{i:05d}" for i in range(n)],
        "arrears": arrears, "trend": trend, "sector": sector, "noise": rng.normal(0, 1, n),
        "bad": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
    })


@pytest.fixture(scope="module", params=["lightgbm", "scorecard", "blend"])
def kind_model(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame, ModelArtefact]:
    frame = _table()
    result = train_table(frame, quick_fit(target="bad", id_col="id", model_kind=request.param, monotone={"arrears": 1}))
    return request.param, frame, result.artefact


def test_contributions_add_up_to_the_raw_score_row_by_row(kind_model: tuple[str, pd.DataFrame, ModelArtefact]) -> None:
    kind, frame, artefact = kind_model
    assert artefact.kind == kind and artefact.about.kind == kind
    odd = frame.head(200).copy()
    odd.loc[odd.index[:20], "sector"] = "mining"  # an unseen level reads as missing
    odd.loc[odd.index[20:40], "arrears"] = np.nan
    array = artefact.array(odd)
    contrib = artefact.explainer().of_array(array)
    assert contrib.shape == (200, len(artefact.features) + 1)
    np.testing.assert_allclose(contrib.sum(axis=1), artefact.model.raw_score(array), rtol=0, atol=1e-9)
    assert np.ptp(contrib[:, -1]) == 0  # one base value for every row


def test_a_saved_folder_scores_every_row_the_same(
    kind_model: tuple[str, pd.DataFrame, ModelArtefact], tmp_path: Path
) -> None:
    kind, frame, artefact = kind_model
    folder = artefact.save(tmp_path / kind)
    loaded = ModelArtefact.load(folder)
    pd.testing.assert_frame_equal(artefact.predict(frame), loaded.predict(frame))
    expected = {"lightgbm": {"model.txt"}, "scorecard": {"scorecard.json"}, "blend": {"model.txt", "scorecard.json"}}
    assert set(loaded.model.files()) == expected[kind]
    digest = model_digest(folder)
    assert digest is not None and len(digest) == 64


def test_the_scorecard_part_follows_the_declared_direction(kind_model: tuple[str, pd.DataFrame, ModelArtefact]) -> None:
    kind, frame, artefact = kind_model
    if kind == "lightgbm":
        pytest.skip("no scorecard part")
    card = artefact.model if kind == "scorecard" else artefact.model.scorecard  # type: ignore[attr-defined]
    arrears = next(b for b in card.bins if b.feature == "arrears")
    rates = [e / n for e, n in zip(arrears.events[: arrears.n_regular], arrears.count[: arrears.n_regular], strict=True)]
    assert rates == sorted(rates) and len(rates) >= 2  # more arrears, a higher event rate, bin by bin
    assert all(c < 0 for c in card.coefficients)  # more evidence of good never raises the PD
    assert "noise" in card.dropped  # no information, no place on the scorecard
