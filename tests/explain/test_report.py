"""The compliance report: every section a reviewer signs off, from the run folder alone, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.core.report_settings import ReportSettings
from whitelist.explain.report import render_report
from whitelist.explain.run_folder import RunFolder
from whitelist.scoring.run import RunResult


def test_report_holds_every_section_with_real_plots(scored_run: RunResult) -> None:
    html = render_report(RunFolder.open(scored_run.folder))
    for heading in ("Reconciliation", "Model card", "Global SHAP importance", "Reason-code frequencies", "Segments",
                    "Stability", "Counts per policy rule", "Run"):
        assert heading in html, heading
    images = dict(re.findall(r'alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]{500,})"', html))
    for name in ("ROC curve", "KS curve", "calibration plot", "importance bars", "beeswarm", "reason frequencies",
                 "approval by region (city)", "approval by industry section", "approval by entity type",
                 "approval by size (declared sales a year, CNY)", "approval by first-time borrower"):
        assert name in images, name
    assert "http://" not in html and "https://" not in html


def test_report_figures_match_the_run(scored_run: RunResult) -> None:
    html = render_report(RunFolder.open(scored_run.folder))
    manifest = json.loads((scored_run.folder / "manifest.json").read_text(encoding="utf-8"))
    wl = pd.read_parquet(scored_run.folder / "whitelist.parquet")
    assert "yes: scanned = whitelist + review + decline + excluded + invalid" in html
    assert f"{(wl['decision'] == 'whitelist').mean():.1%}" in html  # approval rate
    for rule, n in manifest["rules_hit"].items():
        assert re.search(rf"<code>{rule}</code></td><td class=\"num\">{n:,}</td>", html), rule
    assert "the model&#39;s PD is above the review cutoff" in html or "PD01" not in manifest["rules_hit"]
    evaluation = json.loads((scored_run.folder / "model" / "evaluation.json").read_text(encoding="utf-8"))
    assert f"AUC {evaluation['test']['auc']:.3f}" in html
    assert f"exact TreeSHAP by <code>{manifest['contributions']['method']}</code>" in html


def test_segments_are_flagged_beyond_the_tolerance(scored_run: RunResult) -> None:
    from whitelist.explain.report import _segments

    run = RunFolder.open(scored_run.folder)
    tight = _segments(run, ReportSettings(approval_tolerance=0.0001, rate_tolerance=0.5, min_group=1, sales_bands=(1e6,)))
    loose = _segments(run, ReportSettings(approval_tolerance=1.0, rate_tolerance=0.5, min_group=1, sales_bands=(1e6,)))
    assert sum(s["flags"] for s in tight) > 0 and sum(s["flags"] for s in loose) == 0
    size = next(s for s in tight if s["title"].startswith("size"))
    assert [r["group"] for r in size["rows"]] == ["< 1M", ">= 1M"]


def test_report_command_writes_beside_the_run(scored_run: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--run", str(scored_run.folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 50_000
    bad = CliRunner().invoke(app, ["report", "--run", str(tmp_path)])
    assert bad.exit_code == 1 and "not a complete run folder" in bad.output


def test_report_shows_how_stable_the_top_reasons_are(scored_run: RunResult) -> None:
    evaluation = json.loads((scored_run.folder / "model" / "evaluation.json").read_text(encoding="utf-8"))
    stability = evaluation["reason_stability"]
    assert stability["retrains"] == 2 and 0.0 <= stability["top1_agreement"] <= stability["top1_in_top4"] <= 1.0
    html = render_report(RunFolder.open(scored_run.folder))
    assert f"stayed the same {stability['top1_agreement']:.1%} of the time" in html
