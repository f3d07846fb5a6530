"""``whitelist explain``: one decision as a self-contained HTML page.

Decision, limit, rate and grade; the policy rules checked with their inputs; a waterfall of
the reason groups' contributions; the reasons in Chinese and English with what can be
repaired; the feature values with their source and period; the model version and the run's
hashes. Everything comes from the run folder's files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from whitelist.core.decisions import DECISION_ZH
from whitelist.core.io import write_text
from whitelist.explain import plots
from whitelist.explain.run_folder import RunFolder

OUTCOME_ZH = {"pass": "通过", "hit": "命中", "missing": "数据缺失"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _value(value: Any) -> str:
    if _blank(value):
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("whitelist.explain", "templates"), autoescape=select_autoescape(["html", "j2"]))


def render_decision(run: RunFolder, uscc: str) -> str:
    data = run.enterprise(uscc)
    d = data["decision"]
    contrib = data["contributions"]
    groups = run.reason_groups
    reasons = []
    for k in range(1, 5):
        code = d.get(f"reason_{k}")
        if _blank(code):
            continue
        reasons.append({
            "code": code, "zh": d.get(f"reason_{k}_text_zh"), "en": d.get(f"reason_{k}_text_en"),
            "value": None if _blank(d.get(f"reason_{k}_value")) else d[f"reason_{k}_value"],
        })
    chart, contributions, features = None, [], []
    if contrib is not None:
        items = [(code, float(contrib[code])) for code in groups if code in contrib]
        chart = plots.waterfall(float(contrib["base_value"]), items, float(contrib["raw_score"]),
                                None if _blank(d.get("pd")) else float(d["pd"]))
        contributions = sorted(
            ({"code": c, "title_zh": groups[c]["title_zh"], "title_en": groups[c]["title_en"], "value": v} for c, v in items),
            key=lambda r: (-abs(r["value"]), r["code"]),
        )
    for code, group in sorted(groups.items()):
        for feature in group["members"]:
            period = group["periods"].get(feature) or {}
            features.append({
                "feature": feature, "group": code, "value": _value(data["inputs"].get(feature)),
                "source": period.get("origin", ""), "period": period.get("en", ""),
                "available_by": period.get("available_by", ""),
            })
    manifest = run.manifest
    return _env().get_template("decision.html.j2").render(
        d=d,
        repairs=[d.get(k) for k in ("repair_zh", "repair_en") if not _blank(d.get(k))],  # none shown as "nan"
        decision_zh=DECISION_ZH.get(d["decision"], d["decision"]),
        reasons=reasons,
        log=data["log"],
        outcome_zh=OUTCOME_ZH,
        waterfall=chart,
        contributions=contributions,
        features=features,
        manifest=manifest,
        fmt=_value,
        blank=_blank,
    )


def write_decision_page(run_dir: Path, uscc: str, out: Path | None = None) -> Path:
    run = RunFolder.open(run_dir)
    html = render_decision(run, uscc)
    return write_text(out or run_dir / "explanations" / f"{uscc}.html", html)
