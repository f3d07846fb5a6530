"""The decision page: everything a reviewer needs about one enterprise, from the run folder alone."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.core.errors import InputDataError
from whitelist.explain.page import render_decision
from whitelist.explain.run_folder import RunFolder
from whitelist.scoring.config import load_policy
from whitelist.scoring.run import RunResult


def _pick(run: RunResult, decision: str) -> pd.Series:
    wl = pd.read_parquet(run.folder / "whitelist.parquet")
    return wl[wl["decision"] == decision].iloc[0]


def test_a_declined_enterprise_page_shows_rules_reasons_contributions_and_sources(scored_run: RunResult) -> None:
    row = _pick(scored_run, "decline")
    html = render_decision(RunFolder.open(scored_run.folder), row["uscc"])
    assert row["uscc"] in html and "拒绝 / decline" in html
    for rule in load_policy().rules:
        assert f"<code>{rule.id}</code>" in html  # every declared rule, checked, with its outcome
    assert row["reason_1_text_zh"] in html and row["reason_1_text_en"] in html
    assert re.search(r'<img alt="waterfall[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)
    assert "tax bureau" in html and "2023-" in html  # feature values carry their source and period
    manifest = RunFolder.open(scored_run.folder).manifest
    assert manifest.model.model_sha256 in html and manifest.files["whitelist.parquet"] in html
    assert "exact TreeSHAP by <code>treeshap</code>" in html  # how the contributions were computed
    assert "http://" not in html and "https://" not in html  # opens offline


def test_an_excluded_enterprise_page_says_it_was_not_scored(scored_run: RunResult) -> None:
    row = _pick(scored_run, "excluded")
    html = render_decision(RunFolder.open(scored_run.folder), row["uscc"])
    assert "Not scored by the model" in html and "<img" not in html
    assert row["reason_1"] in html and "命中 / hit" in html


def test_a_whitelisted_page_shows_limit_rate_and_dates(scored_run: RunResult) -> None:
    row = _pick(scored_run, "whitelist")
    html = render_decision(RunFolder.open(scored_run.folder), row["uscc"])
    assert f"{row['limit']:,.0f}" in html and f"{row['rate']:.2%}" in html
    assert str(row["valid_until"]) in html


def test_repairs_are_listed_only_where_there_are_some_never_as_nan(scored_run: RunResult) -> None:
    wl = pd.read_parquet(scored_run.folder / "whitelist.parquet")
    folder = RunFolder.open(scored_run.folder)
    none = wl[wl["repair_zh"].isna()].iloc[0]
    some = wl[wl["repair_zh"].notna()].iloc[0]
    html = render_decision(folder, none["uscc"])
    assert "What the enterprise can repair" not in html and "<li>nan</li>" not in html
    html = render_decision(folder, some["uscc"])
    assert f"<li>{some['repair_zh']}</li>" in html and f"<li>{some['repair_en']}</li>" in html


def test_unknown_codes_and_folders_are_named(scored_run: RunResult, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"'91330000MA0000000X': not in .*whitelist.parquet"):
        render_decision(RunFolder.open(scored_run.folder), "91330000MA0000000X")
    with pytest.raises(InputDataError, match=r"not a complete run folder \(missing whitelist.parquet"):
        RunFolder.open(tmp_path)


def test_explain_command_writes_the_page(scored_run: RunResult, tmp_path: Path) -> None:
    row = _pick(scored_run, "review")
    out = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["explain", "--run", str(scored_run.folder), "--uscc", row["uscc"], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "复核 / review" in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, ["explain", "--run", str(scored_run.folder), "--uscc", "NOPE"])
    assert bad.exit_code == 1 and "'NOPE': not in" in bad.output


def test_a_manifest_from_another_version_is_read_or_refused_naming_the_field(scored_run: RunResult, tmp_path: Path) -> None:
    """The pages read the manifest as a typed model: a run from before the visit-list account is read; a
    hand-edited one is refused with the field that is wrong, not a KeyError deep inside a page."""
    folder = tmp_path / "run"
    shutil.copytree(scored_run.folder, folder)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    older = {k: v for k, v in manifest.items() if k != "visit_list"}
    path.write_text(json.dumps(older), encoding="utf-8")
    assert RunFolder.open(folder).manifest.visit_list is None
    assert RunFolder.open(folder).manifest.counts.scanned == manifest["counts"]["scanned"]
    path.write_text(json.dumps({**manifest, "counts": {**manifest["counts"], "scanned": "many"}}), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"manifest.json: not a RunManifest .*counts.scanned: Input should be a valid integer"):
        RunFolder.open(folder).manifest
    path.write_text(json.dumps({**manifest, "run_dates": "2024-12-31"}), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"run_dates: Extra inputs are not permitted"):
        RunFolder.open(folder).manifest
