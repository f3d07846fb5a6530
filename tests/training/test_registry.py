"""A real MLflow store in a temporary folder: run, registered model, alias, and prediction by URI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.training.test_fit import _table, train_command
from whitelist.cli.main import app
from whitelist.core.errors import InputDataError
from whitelist.models.artefact import ModelArtefact
from whitelist.training.registry import resolve_model


def test_train_registers_the_challenger_and_predict_reads_it_back(tmp_path: Path) -> None:
    table, model, result = train_command(tmp_path, "model", seed=8)
    runner = CliRunner()
    assert "models:/whitelist-pd@challenger" in "".join(result.output.split())

    import mlflow

    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("whitelist-pd", "challenger")
    assert str(version.version) == "1"
    info = mlflow.models.get_model_info("models:/whitelist-pd@challenger")
    assert info.signature is not None and len(info.signature.inputs.inputs) == 4

    by_uri = tmp_path / "by_uri.parquet"
    by_dir = tmp_path / "by_dir.parquet"
    assert runner.invoke(app, ["predict", "--model", "models:/whitelist-pd@challenger", "--table", str(table), "--out", str(by_uri)]).exit_code == 0
    assert runner.invoke(app, ["predict", "--model", str(model), "--table", str(table), "--out", str(by_dir)]).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(by_uri), pd.read_parquet(by_dir))

    pyfunc = mlflow.pyfunc.load_model("models:/whitelist-pd@challenger")
    served = pyfunc.predict(_table(50, seed=9).drop(columns=["y"]))
    local = ModelArtefact.load(model).predict(_table(50, seed=9)).reset_index(drop=True)
    pd.testing.assert_frame_equal(served, local)


def test_an_unknown_registered_model_is_named() -> None:
    with pytest.raises(InputDataError, match="models:/whitelist-pd@champion: no such model in the MLflow store"):
        resolve_model("models:/whitelist-pd@champion")
