"""configs/synthetic.yaml is the documented default, and typos in it fail with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from whitelist.core.config import load_config
from whitelist.core.errors import ConfigError
from whitelist.sources.synthetic import SyntheticConfig

CONFIG = Path(__file__).parents[3] / "configs" / "synthetic.yaml"


def test_shipped_config_equals_the_defaults() -> None:
    assert load_config(SyntheticConfig, CONFIG) == SyntheticConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: -1\n", r"synthetic.yaml:1: seed: Input should be greater than or equal to 0"),
        ("defects:\n  duplicate_row: 0.1\n", r"synthetic.yaml:2: unknown key 'defects.duplicate_row'; expected one of: .*duplicate_rows"),
        ("end: 2024-02-30\n", r"synthetic.yaml:1: end"),
        ("months: [1\n", r"synthetic.yaml:\d+: not valid YAML"),
        ("share_zombie: 0.9\n", r"share_zombie: Input should be less than or equal to 0.5"),
    ],
)
def test_bad_config_names_file_line_and_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "synthetic.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(SyntheticConfig, path)


def test_missing_config_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(SyntheticConfig, tmp_path / "nope.yaml")
