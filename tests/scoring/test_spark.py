"""Prediction on Spark: the same model artefact on every partition, the same predictions as locally."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests.cases import ScoringCase
from whitelist.cli.main import app


def test_predictions_on_spark_equal_the_local_ones(scoring_case: ScoringCase, spark: object, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["predict", "--model", str(scoring_case.model), "--table", str(scoring_case.features)]
    local = runner.invoke(app, [*base, "--out", str(tmp_path / "local.parquet")])
    on_spark = runner.invoke(app, [*base, "--out", str(tmp_path / "spark.parquet"), "--engine", "spark"])
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    a, b = pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "spark.parquet")
    assert len(a) == len(pd.read_parquet(scoring_case.features)) > 0
    pd.testing.assert_frame_equal(a, b)  # same rows in the same order, same PD to the last bit
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "spark.parquet").read_bytes()


def test_spark_prediction_refuses_a_csv_table_naming_it(scoring_case: ScoringCase, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    pd.read_parquet(scoring_case.features).head(5).to_csv(table, index=False)
    args = ["predict", "--model", str(scoring_case.model), "--table", str(table), "--out", str(tmp_path / "p.parquet"),
            "--engine", "spark"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "rows.csv: --engine spark reads a Parquet table" in result.output
    assert not (tmp_path / "p.parquet").exists()


def test_a_run_scored_on_spark_writes_the_local_runs_files(scoring_case: ScoringCase, spark: object, tmp_path: Path) -> None:
    """With a blend: its trees and its scorecard both run on the executors."""
    base = ["score", "--model", str(scoring_case.blend), "--features", str(scoring_case.features),
            "--raw", str(scoring_case.validated)]
    runner = CliRunner()
    local = runner.invoke(app, [*base, "--out", str(tmp_path / "local")])
    on_spark = runner.invoke(app, [*base, "--out", str(tmp_path / "spark"), "--engine", "spark"])
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    first = {p.relative_to(tmp_path / "local"): p.read_bytes() for p in (tmp_path / "local").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "spark"): p.read_bytes() for p in (tmp_path / "spark").rglob("*") if p.is_file()}
    assert first.keys() == second.keys() and len(first) > 10
    assert sorted(str(k) for k in first if first[k] != second[k]) == ["manifest.json"]  # only it names the engine
    manifest = json.loads(second[Path("manifest.json")])
    assert manifest["engine"] == "spark (local[2])" and manifest["counts"]["reconciles"]
