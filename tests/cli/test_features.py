"""`whitelist features` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.features.spec import load_features

runner = CliRunner()


def test_features_validates_a_raw_folder_first_and_writes_table_and_manifest(
    province: tuple[Path, Path], tmp_path: Path
) -> None:
    raw, _ = province
    out = tmp_path / "features.parquet"
    result = runner.invoke(app, ["features", "--raw", str(raw), "--as-of", "2024-06-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "features.manifest.json").is_file()
    assert (tmp_path / "features.validated" / "quality.json").is_file()
    assert str(len(load_features().names)) in result.output  # grouped, derived and related-party features
    assert "was not validated: validated it into" in result.output


def test_features_panel_with_labels(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    out = tmp_path / "panel.parquet"
    args = ["features", "--raw", str(validated), "--as-of", "2023-01-31..2023-03-31", "--labels", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "default rate" in result.output and "(3)" in result.output


def test_features_bad_as_of_exits_1_with_the_fix(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    result = runner.invoke(app, ["features", "--raw", str(validated), "--as-of", "30/06/2024", "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code == 1
    assert "expected a date as YYYY-MM-DD" in result.output
