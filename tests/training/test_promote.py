"""Promotion in a real MLflow store: gates first, independent approval, an append-only log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.training.test_fit import train_command
from whitelist.cli.main import app
from whitelist.training.promotion_log import read_log

runner = CliRunner()


def _train(tmp_path: Path, name: str, seed: int, operator: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WHITELIST_OPERATOR", operator)
    return train_command(tmp_path, name, seed)[1]


def _gates(tmp_path: Path, min_auc: float = 0.65) -> Path:
    """Gates a small test model meets comfortably, unless ``min_auc`` says otherwise."""
    path = tmp_path / f"gates-{min_auc}.yaml"
    text = f"data: {{features: unused.parquet}}\ngates: {{min_test_auc: {min_auc}, max_calibration_error: 0.05}}\n"
    path.write_text(text, encoding="utf-8")
    return path


def _promote(tmp_path: Path, version: str, approver: str, *extra: str) -> object:
    return runner.invoke(app, ["promote", "--version", version, "--approved-by", approver, "--config", str(_gates(tmp_path)), *extra])


def test_promotion_checks_gates_and_approver_and_logs_every_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    model = _train(tmp_path, "m1", 11, "li.wei", monkeypatch)
    run = json.loads((model / "training_run.json").read_text(encoding="utf-8"))
    assert run["operator"] == "li.wei"
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("whitelist-pd", "challenger")
    assert client.get_run(version.run_id).data.tags["operator"] == "li.wei"

    # the trainer cannot approve their own model
    result = _promote(tmp_path, "1", "li.wei")
    assert result.exit_code == 1 and "another person must approve" in result.output

    # a gate the model cannot meet refuses promotion and names the gate
    result = runner.invoke(app, ["promote", "--version", "1", "--approved-by", "zhang.min", "--config", str(_gates(tmp_path, 0.99))])
    assert result.exit_code == 1 and "min_test_auc" in result.output and "not promoted" in result.output

    result = _promote(tmp_path, "1", "zhang.min", "--note", "validation report VR-7")
    assert result.exit_code == 0, result.output
    champion = client.get_model_version_by_alias("whitelist-pd", "champion")
    assert str(champion.version) == "1" and champion.tags["approved_by"] == "zhang.min"

    log_path = Path.cwd() / "promotions.jsonl"
    records = read_log(log_path)
    assert [r["outcome"] for r in records] == ["refused", "refused", "promoted"]
    assert records[-1]["approved_by"] == "zhang.min" and records[-1]["trained_by"] == "li.wei"
    assert records[-1]["note"] == "validation report VR-7" and records[-1]["gates"]["passed"] is True

    # the champion serves predictions by its alias
    table = tmp_path / "m1.parquet"
    out = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["predict", "--model", "models:/whitelist-pd@champion", "--table", str(table), "--out", str(out)])
    assert result.exit_code == 0, result.output

    # a second model replaces the champion; the log names the one it replaced
    _train(tmp_path, "m2", 12, "li.wei", monkeypatch)
    assert _promote(tmp_path, "2", "zhang.min").exit_code == 0
    assert read_log(log_path)[-1]["previous_champion"] == "1"
    assert str(client.get_model_version_by_alias("whitelist-pd", "champion").version) == "2"


def test_an_edited_log_stops_promotion_until_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _train(tmp_path, "m1", 13, "li.wei", monkeypatch)
    assert _promote(tmp_path, "1", "zhang.min").exit_code == 0
    log_path = Path.cwd() / "promotions.jsonl"
    original = log_path.read_text(encoding="utf-8")
    assert _promote(tmp_path, "1", "wang.fang").exit_code == 0
    lines = log_path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("zhang.min", "someone.else")
    log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _promote(tmp_path, "1", "wang.fang")
    assert result.exit_code == 1 and "promotions.jsonl:2: the chain of records is broken" in " ".join(result.output.split())
    log_path.write_text(original, encoding="utf-8")  # restoring a prefix of the log is accepted
    assert _promote(tmp_path, "1", "wang.fang").exit_code == 0


def test_unknown_versions_and_empty_approvers_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _train(tmp_path, "m1", 14, "li.wei", monkeypatch)
    result = runner.invoke(app, ["promote", "--version", "7", "--approved-by", "zhang.min"])
    assert result.exit_code == 1 and "version 7: not in the MLflow store" in result.output
    result = runner.invoke(app, ["promote", "--version", "1", "--approved-by", "  "])
    assert result.exit_code == 1 and "--approved-by must name" in result.output
