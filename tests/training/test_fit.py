"""Training on a table: a real LightGBM model, calibrated, deterministic, and honest at prediction."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.core.errors import ConfigError, InputDataError
from whitelist.models.artefact import ModelArtefact
from whitelist.training.budget import TimeBudget, room_for_trial
from whitelist.training.config import FitConfig
from whitelist.training.fit import train_table
from tests.cases import quick_fit


def _table(n: int = 12_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arrears = rng.poisson(0.3, n).astype(float)
    sales_trend = rng.normal(0, 1, n)
    sales_trend[rng.random(n) < 0.2] = np.nan  # missing values are everywhere in government data
    sector = rng.choice(["manufacturing", "retail", "catering"], n)
    logit = -3.5 + 0.9 * arrears - 0.8 * np.nan_to_num(sales_trend) + np.where(sector == "catering", 0.7, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return pd.DataFrame(
        {
            "id": [f"E{i:06d}" for i in range(n)],
            "month": np.repeat(pd.date_range("2022-01-31", periods=8, freq="ME").date, n // 8 + 1)[:n],
            "arrears": arrears,
            "sales_trend": sales_trend,
            "sector": sector,
            "noise": rng.normal(0, 1, n),
            "y": y,
        }
    )


def train_command(
    tmp_path: Path, name: str, seed: int, extra: tuple[str, ...] = ("--trials", "2")
) -> tuple[Path, Path, Result]:
    """Write a generated table and run ``whitelist train --table`` on it: (table, model folder, result).

    Two trials, not the default time budget, keep the tests quick and their models reproducible.
    """
    table = tmp_path / f"{name}.parquet"
    _table(6_000, seed=seed).to_parquet(table, index=False)
    model = tmp_path / name
    args = ["train", "--table", str(table), "--target", "y", "--id-col", "id", "--time-col", "month", "--out", str(model),
            *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return table, model, result


@pytest.fixture(scope="module")
def trained() -> tuple[pd.DataFrame, object]:
    frame = _table()
    settings = quick_fit(target="y", id_col="id", time_col="month", monotone={"arrears": 1}, model_kind="lightgbm")
    return frame, train_table(frame, settings)


def test_model_ranks_and_is_calibrated_out_of_time(trained: tuple[pd.DataFrame, object]) -> None:
    _, result = trained
    test = result.evaluation["test"]
    assert result.split.kind == "out_of_time"
    assert test["auc"] > 0.7 and test["ks"] > 0.3
    assert test["calibration_error"] < 0.02
    assert result.evaluation["calibration_choice"]["chosen"] in ("isotonic", "platt")
    top = list(result.evaluation["importance_gain"])[:2]
    assert set(top) <= {"arrears", "sales_trend", "sector"}
    assert [p["approval_rate"] for p in test["operating_points"]] == sorted(p["approval_rate"] for p in test["operating_points"])


def test_same_data_and_seed_give_the_same_model(tmp_path: Path) -> None:
    frame = _table(6_000, seed=1)
    a = train_table(frame, quick_fit(target="y", id_col="id", time_col="month", seed=4, model_kind="blend"))
    b = train_table(frame, quick_fit(target="y", id_col="id", time_col="month", seed=4, model_kind="blend"))
    a.artefact.save(tmp_path / "a")
    b.artefact.save(tmp_path / "b")
    for name in ("model.txt", "scorecard.json", "artefact.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert a.evaluation == b.evaluation


def test_saved_model_predicts_the_same_and_points_fall_as_pd_rises(
    trained: tuple[pd.DataFrame, object], tmp_path: Path
) -> None:
    frame, result = trained
    loaded = ModelArtefact.load(result.artefact.save(tmp_path / "model"))
    a, b = result.artefact.predict(frame), loaded.predict(frame)
    pd.testing.assert_frame_equal(a, b)
    order = np.argsort(a["pd"].to_numpy())
    assert np.all(np.diff(a["points"].to_numpy()[order]) <= 0)


def test_monotone_constraint_holds_on_paired_rows(trained: tuple[pd.DataFrame, object]) -> None:
    frame, result = trained
    sample = frame.sample(2_000, random_state=0)
    more = sample.assign(arrears=sample["arrears"] + 1)
    assert np.all(result.artefact.predict(more)["pd"].to_numpy() >= result.artefact.predict(sample)["pd"].to_numpy())


def test_unseen_category_and_missing_feature_at_prediction(trained: tuple[pd.DataFrame, object]) -> None:
    frame, result = trained
    odd = frame.head(5).assign(sector="mining")
    assert result.artefact.predict(odd)["pd"].notna().all()
    with pytest.raises(InputDataError, match=r"needs 1 feature\(s\) the table lacks: 'sales_trend'"):
        result.artefact.predict(frame.drop(columns=["sales_trend"]))


def test_bad_training_inputs_are_named() -> None:
    frame = _table(2_000)
    with pytest.raises(ConfigError, match="monotone constraints name columns that are not features: arrear"):
        train_table(frame, quick_fit(target="y", id_col="id", monotone={"arrear": 1}))
    with pytest.raises(ConfigError, match="no column 'ident'"):
        train_table(frame, quick_fit(target="y", id_col="ident"))
    rare = frame.assign(y=0.0)
    rare.loc[rare.index[:3], "y"] = 1.0  # three defaults, all in the first month
    with pytest.raises(ConfigError, match=r"the test part \(.* rows\) holds 0 defaults; each part needs both"):
        train_table(rare, quick_fit(target="y", id_col="id", time_col="month"))


def test_train_and_predict_commands(tmp_path: Path) -> None:
    table, model, result = train_command(tmp_path, "model", seed=2)
    runner = CliRunner()
    assert (model / "evaluation.json").is_file() and "AUC" in result.output
    stability = json.loads((model / "evaluation.json").read_text(encoding="utf-8"))["reason_stability"]
    assert stability["retrains"] == FitConfig().reason_retrains > 0  # `train --table` measures it like `--config`
    out = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["predict", "--model", str(model), "--table", str(table), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(out)
    assert list(scores.columns) == ["id", "pd", "points", "grade"] and len(scores) == 6_000
    result = runner.invoke(app, ["predict", "--model", str(tmp_path), "--table", str(table), "--out", str(out)])
    assert result.exit_code == 1 and "not a model folder" in result.output


def test_tuning_is_seeded_kept_in_sqlite_and_recorded(tmp_path: Path) -> None:
    frame = _table(6_000, seed=3)
    settings = quick_fit(target="y", id_col="id", time_col="month", seed=5, trials=4, model_kind="lightgbm")
    a = train_table(frame, settings, study_name="s", study_storage=tmp_path / "optuna.db")
    b = train_table(frame, settings, study_name="s", study_storage=tmp_path / "optuna.db")
    assert a.artefact.booster.model_to_string() == b.artefact.booster.model_to_string()
    tuning = a.artefact.about.tuning.model_dump()
    assert len(tuning["trials"]) == 4 and (tmp_path / "optuna.db").is_file() and tuning["stopped_by"] == "trials"
    assert all(2 <= t["params"]["max_depth"] <= 6 for t in tuning["trials"])
    best = max(t["value"] for t in tuning["trials"] if t["value"] is not None)
    assert tuning["best_validation_auc"] == best
    assert a.artefact.about.params["max_depth"] == tuning["trials"][[t["value"] for t in tuning["trials"]].index(best)]["params"]["max_depth"]


def test_unlabelled_rows_change_nothing_and_the_split_points_into_the_given_table() -> None:
    frame = _table(6_000, seed=6)
    extra = _table(3_000, seed=7).assign(y=np.nan, id=lambda f: "U" + f["id"])
    mixed = pd.concat([extra.iloc[:1_500], frame, extra.iloc[1_500:]]).reset_index(drop=True)  # same labelled order
    a = train_table(frame, quick_fit(target="y", id_col="id", time_col="month", model_kind="lightgbm"))
    b = train_table(mixed, quick_fit(target="y", id_col="id", time_col="month", model_kind="lightgbm"))
    assert a.evaluation["test"]["auc"] == b.evaluation["test"]["auc"]
    assert a.artefact.booster.model_to_string() == b.artefact.booster.model_to_string()
    assert mixed["y"].iloc[b.split.test].notna().all()
    assert sorted(mixed["id"].iloc[b.split.test]) == sorted(frame["id"].iloc[a.split.test])


def test_a_spent_time_budget_starts_no_trial_and_says_so(tmp_path: Path) -> None:
    """The budget is for the whole command: one spent before tuning leaves it no trial, and the model is still made."""
    frame = _table(3_000, seed=8)
    settings = quick_fit(target="y", id_col="id", time_col="month", trials=None, time_budget=5.0, model_kind="lightgbm")
    result = train_table(frame, settings, started=time.monotonic() - 10.0, study_storage=tmp_path / "optuna.db")
    tuning = result.artefact.about.tuning.model_dump()
    assert tuning["stopped_by"] == "time_budget" and tuning["trials"] == [] and tuning["time_budget"] == 5.0
    assert result.artefact.about.trees >= 1 and result.evaluation["test"]["auc"] > 0.6


def test_tuning_gets_what_the_work_so_far_leaves_and_no_trial_overruns() -> None:
    budget = TimeBudget(100.0, started=time.monotonic() - 10.0)
    deadline = budget.tuning_deadline()  # 10 s spent: 80 s left once as much again is set aside for after tuning
    assert 79.0 < deadline - time.monotonic() <= 80.0
    assert room_for_trial(deadline, slowest_trial=39.0)
    assert not room_for_trial(deadline, slowest_trial=41.0)  # that trial and the final fit would end after 80 s


def test_a_700_row_table_trains_on_every_row_but_the_test_part() -> None:
    """The old split kept 448 of 700 rows for the trees; the folds now see all 560 rows outside the test part."""
    frame = _table(700, seed=9).drop(columns=["month"])
    result = train_table(frame, quick_fit(target="y", id_col="id", model_kind="blend"))
    rows = result.artefact.about.split.rows
    assert rows == {"train": 560, "test": 140, "out_of_fold": 560}
    folds = result.evaluation["candidates"]["folds"]
    assert folds["kind"] == "stratified" and sum(folds["valid_rows"]) == 560 and set(folds["train_rows"]) <= {448, 449}
    model = result.artefact.model
    assert sum(model.scorecard.bins[0].count) == 560  # the final scorecard's bins count every training row
    root = model.tree.booster.dump_model()["tree_info"][0]["tree_structure"]
    bagging = result.artefact.about.params["bagging_fraction"]
    assert 0.9 * bagging * 560 < root["internal_count"] <= 560  # the final trees bag from all 560 rows (not 448)
    assert result.artefact.about.params["min_data_in_leaf"] < 100  # sized to the data, not a panel's 100


def test_the_card_shows_the_candidates_the_benchmark_and_a_scorecards_bins(tmp_path: Path) -> None:
    _, model, result = train_command(tmp_path, "card", seed=3, extra=("--trials", "0", "--model-kind", "scorecard"))
    assert "model kind" in result.output and "WoE scorecard AUC (same rows)" in result.output
    card = (model / "model_card.html").read_text(encoding="utf-8")
    evaluation = json.loads((model / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["candidates"]["chosen"] == "scorecard" and evaluation["candidates"]["requested"] == "scorecard"
    assert "Model kind: the candidates" in card and "Benchmark: a WoE scorecard on the same rows" in card
    assert f"{evaluation['benchmark']['bootstrap']['auc']['scorecard']['value']:.4f}" in card
    assert "Scorecard binning tables" in card and "<code>arrears</code>: IV" in card and "base points" in card
    assert (model / "scorecard.json").is_file() and not (model / "model.txt").exists()
    _, blend, _ = train_command(tmp_path, "blend", seed=3, extra=("--trials", "0", "--model-kind", "blend"))
    card = (blend / "model_card.html").read_text(encoding="utf-8")
    evaluation = json.loads((blend / "evaluation.json").read_text(encoding="utf-8"))
    assert set(evaluation["candidates"]["oof_auc"]) == {"lightgbm", "scorecard", "blend"}
    for kind, value in evaluation["candidates"]["oof_auc"].items():
        assert f"<td>{kind}" in card and f"{value:.4f}" in card
    assert "LightGBM weight" in card and "Scorecard binning tables" in card
