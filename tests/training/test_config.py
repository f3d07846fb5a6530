"""The training config risk teams edit: the packaged default, and errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from whitelist.core.errors import ConfigError
from whitelist.training.config import DEFAULT_TRAIN_CONFIG, load_train_config
from whitelist.training.sizing import sized_space
from whitelist.training.tune import Range

ROOT = Path(__file__).resolve().parents[2]


def test_the_packaged_config_is_the_one_in_configs() -> None:
    assert (ROOT / "configs" / "train.yaml").read_text(encoding="utf-8") == DEFAULT_TRAIN_CONFIG.read_text(encoding="utf-8")
    cfg = load_train_config()
    assert cfg.monotone and all(v in (-1, 1) for v in cfg.monotone.values())
    assert cfg.space() == {} and sized_space(500_000)["max_depth"].high <= 6 and cfg.max_trees <= 400
    assert cfg.model_kind == "auto" and cfg.trials == 30


def test_the_default_monotone_features_exist_in_the_feature_set() -> None:
    from whitelist.features.spec import load_features

    names = {f.name for f in load_features().features} | {d.name for d in load_features().derived}
    assert set(load_train_config().monotone) <= names


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "train.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data: {features: a.parquet}\ntrails: 3\n", r"train.yaml:2: unknown key 'trails'; expected one of: .*trials"),
        ("data: {features: a.parquet}\nmonotone:\n  tax_arrears: 2\n", r"train.yaml:3: monotone.tax_arrears"),
        ("data: {features: a.parquet}\nsearch_space:\n  max_dept: {low: 3, high: 8}\n", "max_dept cannot be tuned"),
        ("data: {features: a.parquet}\nsearch_space:\n  max_depth: {low: 8, high: 3}\n", r"low \(8.0\) must be below high"),
        ("data: {validated: v}\n", "data.validated needs data.as_of"),
        ("data: {features: a.parquet, validated: v, as_of: 2023-12-31}\n", "give either data.features"),
        ("data: {features: a.parquet}\ngates: {min_test_auc: 0.4}\n", r"train.yaml:2: gates.min_test_auc"),
    ],
)
def test_config_mistakes_name_the_line_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_train_config(_write(tmp_path, text))


def test_a_config_may_widen_the_search_space(tmp_path: Path) -> None:
    cfg = load_train_config(_write(tmp_path, "data: {features: a.parquet}\nsearch_space:\n  max_depth: {low: 3, high: 8, integer: true}\n"))
    assert cfg.space() == {"max_depth": Range(3, 8, integer=True)}  # laid over the sized space at training time
