"""``whitelist report``: the compliance report of a run, one self-contained HTML file.

Model card (training window, samples, out-of-time metrics, ROC, KS, calibration), global
SHAP importance by reason group (bars and a beeswarm), reason-code frequencies, approval
rate and PD, limits and rates by segment with flags where a group differs beyond the policy's
tolerance, stability (PSI), counts per policy rule and the run's reconciliation. It reads the
run folder's files only.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from whitelist.core.decisions import DECISIONS
from whitelist.core.io import write_text
from whitelist.core.report_settings import ReportSettings
from whitelist.explain import plots
from whitelist.explain.run_folder import RunFolder
from whitelist.models import plots as model_plots

BEESWARM_ROWS = 5_000


def _segments(run: RunFolder, settings: ReportSettings) -> list[dict[str, Any]]:
    """Per dimension, per group: counts, approval rate, mean PD, limit and rate, with flags."""
    wl = run.whitelist[run.whitelist["decision"] != "invalid"].copy()
    feature, first_time = settings.sales_feature, f"seg_{settings.first_time_segment}"
    sales = (
        pd.read_parquet(run.path / "inputs.parquet", columns=["uscc", feature]).rename(columns={feature: "_sales"})
        if feature in run.input_columns else None
    )
    bands = list(settings.sales_bands)
    if sales is not None:
        wl = wl.merge(sales, on="uscc", how="left")
        edges = [-math.inf, *bands, math.inf]
        names = [f"< {bands[0] / 1e6:g}M"] + [f"{a / 1e6:g}-{b / 1e6:g}M" for a, b in zip(bands, bands[1:], strict=False)]
        names.append(f">= {bands[-1] / 1e6:g}M")
        wl["size"] = pd.cut(wl["_sales"].fillna(0), edges, labels=names, right=False).astype(str)
    wl["city"] = wl["region"].astype("string").str[:4]
    wl["section"] = wl["industry"].astype("string").str[:1]
    wl["first_time"] = wl.get(first_time, pd.Series(False, index=wl.index)).map({True: "yes", False: "no"})
    approved = wl["decision"] == "whitelist"
    overall = {"approval": float(approved.mean()) if len(wl) else 0.0,
               "rate": float(wl.loc[approved, "rate"].mean()) if approved.any() else math.nan}
    tol_a, tol_r, min_group = settings.approval_tolerance, settings.rate_tolerance, settings.min_group
    out = []
    for key, title in (("city", "region (city)"), ("section", "industry section"), ("entity_type", "entity type"),
                       ("size", "size (declared sales a year, CNY)"), ("first_time", "first-time borrower")):
        if key not in wl:
            continue
        rows = []
        for name, g in wl.groupby(key, sort=True, dropna=False):
            ok = g["decision"] == "whitelist"
            approval = float(ok.mean())
            rate = float(g.loc[ok, "rate"].mean()) if ok.any() else math.nan
            big = len(g) >= min_group
            rows.append({
                "group": str(name), "n": len(g), "approval": approval, "mean_pd": float(g["pd"].mean()),
                "limit": float(g.loc[ok, "limit"].mean()) if ok.any() else math.nan, "rate": rate,
                "flag_approval": big and abs(approval - overall["approval"]) > tol_a,
                "flag_rate": big and not math.isnan(rate) and abs(rate - overall["rate"]) > tol_r,
            })
        chart = plots.segment_bars([r["group"] for r in rows], [r["approval"] for r in rows], overall["approval"],
                                   f"Approval rate by {title}", "share whitelisted",
                                   [r["flag_approval"] or r["flag_rate"] for r in rows])
        out.append({"title": title, "rows": rows, "chart": chart, "flags": sum(r["flag_approval"] or r["flag_rate"] for r in rows)})
    return out


def _importance(run: RunFolder) -> tuple[dict[str, float], str | None]:
    contrib = run.contributions
    codes = [c for c in run.reason_groups if c in contrib.columns]
    if contrib.empty or not codes:
        return {}, None
    mean_abs = {c: float(contrib[c].abs().mean()) for c in codes}
    sample = contrib.sample(min(len(contrib), BEESWARM_ROWS), random_state=0) if len(contrib) > BEESWARM_ROWS else contrib
    leads = [run.reason_groups[c]["lead"] for c in codes]
    present = [f for f in dict.fromkeys(leads) if f in run.input_columns]
    inputs = pd.read_parquet(run.path / "inputs.parquet", columns=["uscc", *present]).set_index("uscc").reindex(sample["uscc"])
    colour = np.column_stack([
        pd.to_numeric(inputs[f], errors="coerce").to_numpy(dtype=float) if f in inputs else np.full(len(sample), np.nan)
        for f in leads
    ])
    return mean_abs, plots.beeswarm(sample[codes].to_numpy(dtype=float), codes, colour)


def render_report(run: RunFolder) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    manifest, evaluation = run.manifest, run.evaluation
    settings = manifest.policy.report_settings()
    wl = run.whitelist
    counts = manifest.counts
    test = evaluation.get("test", {})
    meta = run.model_meta
    card = None
    if test:
        card = {
            "roc": model_plots.roc(test["curve"], test["auc"]),
            "ks": model_plots.ks(test["curve"], test["ks"]),
            "calibration": model_plots.calibration(test["deciles"]),
        }
    mean_abs, swarm = _importance(run)
    titles = {c: f"{g['title_zh']} / {g['title_en']}" for c, g in run.reason_groups.items()}
    first = wl["reason_1"].dropna()
    by_decision = {
        d: wl.loc[(wl["decision"] == d) & wl["reason_1"].notna(), "reason_1"].value_counts().sort_index().to_dict()
        for d in DECISIONS
    }
    rule_texts: dict[str, Any] = {c.id: c for c in manifest.checks}
    rule_texts.update({r.id: r for r in manifest.policy.rules()})
    scored = wl["pd"].notna()
    env = Environment(loader=PackageLoader("whitelist.explain", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report.html.j2").render(
        manifest=manifest,
        counts=counts,
        decisions=DECISIONS,
        meta=meta,
        test=test,
        evaluation=evaluation,
        card=card,
        importance=sorted(mean_abs.items(), key=lambda t: (-t[1], t[0])),
        importance_chart=model_plots.bars(mean_abs, "Mean |contribution| by reason group", "mean |log-odds|") if mean_abs else None,
        beeswarm=swarm,
        titles=titles,
        frequency_chart=plots.frequency(first.value_counts().to_dict(), "Reason 1 over all decisions") if len(first) else None,
        by_decision=by_decision,
        approval=float((wl["decision"] == "whitelist").mean()) if len(wl) else 0.0,
        mean_pd=float(wl.loc[scored, "pd"].mean()) if scored.any() else None,
        segments=_segments(run, settings),
        settings=settings,
        rules_hit=manifest.rules_hit,
        rule_texts=rule_texts,
        stability=evaluation.get("reason_stability"),
        fmt_pct=lambda v, d=1: "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}%}",
        fmt_num=lambda v: "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.0f}",
    )


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    return write_text(out or run_dir / "report.html", render_report(RunFolder.open(run_dir)))
