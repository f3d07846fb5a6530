"""`whitelist generate` from the command line: files, summary, and errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from whitelist.cli.main import app

runner = CliRunner()


def test_generate_writes_every_source_and_prints_a_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--enterprises", "1500", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("registry", "tax", "credit", "visit_list", "truth", "truth_panel"):
        assert (tmp_path / f"{name}.parquet").is_file()
        assert f"{name}.parquet" in result.output
    assert "auc_true_pd" in result.output


def test_generate_csv_in_gb18030(tmp_path: Path) -> None:
    args = ["generate", "-n", "1000", "--out", str(tmp_path), "--format", "csv", "--encoding", "gb18030"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tax.csv").is_file() and not (tmp_path / "tax.parquet").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end", "2024-12-30"], "end must be the last day of a month"),
        (["--end", "31/12/2024"], "expected a date as YYYY-MM-DD"),
        (["--format", "xlsx"], "expected 'parquet' or 'csv'"),
        (["--encoding", "klingon"], "unknown encoding"),
    ],
)
def test_generate_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["generate", "-n", "1000", "--out", str(tmp_path), *args])
    assert result.exit_code == 1
    assert message in result.output


def test_generate_config_typo_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "synthetic.yaml"
    config.write_text("process:\n  w_health: -1.0\n  w_helth: 2\n", encoding="utf-8")
    result = runner.invoke(app, ["generate", "-n", "1000", "--out", str(tmp_path / "p"), "--config", str(config)])
    assert result.exit_code == 1
    assert f"{config}:3" in result.output
    assert "unknown key 'process.w_helth'" in result.output
    assert "w_health" in result.output  # the keys it expected


def test_demo_lays_out_every_stage_down_to_the_whitelist_run(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--enterprises", "5000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "raw" / "registry.parquet").is_file()
    assert (out / "validated" / "registry.parquet").is_file()
    assert (out / "validated" / "quarantine" / "tax.parquet").is_file()
    assert (out / "validated" / "quality.json").is_file()
    assert (out / "features" / "train.parquet").is_file() and (out / "features" / "score.parquet").is_file()
    flat = "".join(result.output.split())  # long paths wrap inside the table
    assert "quarantined" in flat and "monthends" in flat
    assert (out / "model" / "model_card.html").is_file() and "registerandpromote" in flat
    assert "challenger" in flat or "champion" in flat
    run = out / "run"
    assert (run / "whitelist.parquet").is_file() and (run / "manifest.json").is_file()
    assert any((run / "extracts").rglob("*.xlsx"))
    assert "whitelisted" in flat and "averagerate" in flat
    assert (out / "report.html").is_file() and any((run / "explanations").glob("*.html"))
    before = (run / "whitelist.parquet").read_bytes()
    again = runner.invoke(app, ["demo", "--enterprises", "5000", "--out", str(out)])
    assert again.exit_code == 1 and "already holds files" in again.output and "never overwrites" in again.output
    assert (run / "whitelist.parquet").read_bytes() == before  # the earlier run is untouched
