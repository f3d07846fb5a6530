"""``whitelist validate`` on the command line: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.sources.conftest import clean_frames, write_folder
from whitelist.cli import main

runner = CliRunner()


def test_validate_writes_the_folder_and_summarises(tmp_path: Path) -> None:
    raw = write_folder(tmp_path / "raw", clean_frames(), "csv", encoding="gb18030")
    out = tmp_path / "out"
    result = runner.invoke(
        main.app, ["validate", "--raw", str(raw), "--out", str(out), "--end", "2024-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert "registry" in result.output and "Missing sources: social_insurance" in result.output
    assert str(out / "quality.json") in result.output
    report = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    assert report["window"]["end"] == "2024-12-31"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end", "31/12/2024"], "--end: expected a date as YYYY-MM-DD, got '31/12/2024'"),
        (["--encoding", "klingon"], "expected one of utf-8, utf-8-sig, gb18030, gbk (what government exports use), got 'klingon'"),
    ],
)
def test_bad_options_exit_1_with_the_reason(tmp_path: Path, args: list[str], message: str) -> None:
    raw = write_folder(tmp_path / "raw", clean_frames(), "csv")
    result = runner.invoke(main.app, ["validate", "--raw", str(raw), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_missing_required_column_exits_1(tmp_path: Path) -> None:
    frames = clean_frames()
    frames["registry"] = frames["registry"].drop(columns=["status"])
    raw = write_folder(tmp_path / "raw", frames)
    result = runner.invoke(main.app, ["validate", "--raw", str(raw), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "expected the registry source's required column(s) 'status'" in " ".join(result.output.split())
