"""``train --config`` on a generated province: the panel, constraints, gates, card and traceability."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.training.config import load_train_config
from whitelist.training.table import PANEL_FILE, train_from_config

runner = CliRunner()


@pytest.fixture(scope="module")
def config_file(province: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, validated = province
    text = Path(__file__).resolve().parents[2].joinpath("configs", "train.yaml").read_text(encoding="utf-8")
    text = text.replace("  features: demo/features/train.parquet\n", f"  validated: {validated}\n  as_of: 2022-07-31..2023-12-31\n")
    text = text.replace("trials: 30 ", "trials: 2 ").replace("shap_sample: 20000", "shap_sample: 500")
    path = tmp_path_factory.mktemp("train-config") / "train.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(config_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("config-model") / "model"
    result = runner.invoke(app, ["train", "--config", str(config_file), "--out", str(out), "--no-register"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_train_config_builds_the_panel_and_honours_the_config(trained: tuple[Path, str]) -> None:
    out, output = trained
    assert (out / PANEL_FILE).is_file() and (out / "training_panel.manifest.json").is_file()
    spec = json.loads((out / "artefact.json").read_text(encoding="utf-8"))
    meta = spec["meta"]
    cfg = load_train_config()
    assert meta["monotone"] == dict(cfg.monotone) and meta["params"]["monotone_constraints_method"] == "intermediate"
    assert not set(cfg.exclude) & set(spec["features"]) and "reg_entity_type_category" in spec["features"]
    assert meta["split"]["kind"] == "out_of_time_by_enterprise" and len(meta["tuning"]["trials"]) == 2
    panel = meta["training_data"]["panel"]
    assert panel["as_of"][0] == "2022-07-31" and panel["as_of"][-1] == "2023-12-31" and "credit" in panel["inputs"]
    assert meta["trace"]["environment"]["packages"]["lightgbm"] and meta["trace"]["code"]["whitelist"]
    evaluation = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["monotonicity"]["violations"] == 0
    assert set(evaluation["monotonicity"]["features"]) == set(cfg.monotone)
    assert [c["gate"] for c in evaluation["gates"]["checks"]][:2] == ["min_test_auc", "min_test_ks"]
    assert "gates" in output and "model_card.html" in output


def test_the_model_card_shows_what_a_reviewer_signs_off(trained: tuple[Path, str]) -> None:
    out, _ = trained
    html = (out / "model_card.html").read_text(encoding="utf-8")
    for heading in ("Validation gates", "Out-of-time performance", "Operating points by grade", "Gains",
                    "What drives the model", "Monotone constraints", "Stability", "Tuning", "Traceability"):
        assert f"<h2>{heading}</h2>" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 6  # self-contained: no file or network links
    assert "http://" not in html and "https://" not in html
    evaluation = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert f"{evaluation['test']['auc']:.4f}" in html
    assert "credit_dpd_max_12m" in html and "tax_arrears_months_active_12m" in html


def test_same_config_and_seed_give_the_same_bytes(config_file: Path, tmp_path: Path, trained: tuple[Path, str]) -> None:
    first, _ = trained
    cfg = load_train_config(config_file)
    second = tmp_path / first.name
    train_from_config(cfg, second, features=first / PANEL_FILE, study_storage=tmp_path / "optuna.db")
    for name in ("model.txt", "evaluation.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    a = json.loads((first / "artefact.json").read_text(encoding="utf-8"))
    b = json.loads((second / "artefact.json").read_text(encoding="utf-8"))
    for meta in (a["meta"], b["meta"]):
        meta.pop("training_data")  # the file names differ: the panel built in place and the one passed in
        meta["tuning"].pop("storage")
    assert a == b


def test_train_needs_exactly_one_data_mode(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "give either --config" in result.output
    result = runner.invoke(app, ["train", "--table", "x.parquet", "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "--table needs --target" in result.output


def test_a_config_with_enterprise_sample_trains_on_that_share_of_enterprises(
    config_file: Path, trained: tuple[Path, str], tmp_path: Path
) -> None:
    import pandas as pd

    out, _ = trained
    panel = out / PANEL_FILE
    text = config_file.read_text(encoding="utf-8")
    text = re.sub(r"  validated: .*\n  as_of: .*\n", f"  features: {panel}\n", text)
    text = text.replace("# enterprise_sample: 0.25", "enterprise_sample: 0.5").replace("trials: 2 ", "trials: 0 ")
    sampled_config = tmp_path / "train.yaml"
    sampled_config.write_text(text, encoding="utf-8")
    result = train_from_config(load_train_config(sampled_config), tmp_path / "model")
    rows = result.artefact.about.training_data.rows
    whole = pd.read_parquet(panel)
    assert 0.4 * len(whole) < rows < 0.6 * len(whole)
    assert result.artefact.about.config["enterprise_sample"] == 0.5
