"""The model card: one self-contained HTML page a model-risk reviewer can sign off from.

It reads only the model folder (``artefact.json``, ``evaluation.json`` and, when present,
``training_run.json``), so it can be rendered again at any time, by training or by the
compliance report, and always shows what the folder holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from whitelist.core.errors import InputDataError
from whitelist.core.io import write_text
from whitelist.models import plots
from whitelist.models.artefact import ARTEFACT_FILE, CARD_FILE, EVALUATION_FILE, RUN_FILE
from whitelist.models.scorecard import Scorecard
from whitelist.models.woe import WoeBins


def _binning_tables(folder: Path, spec: dict[str, Any], scorecard: Scorecard) -> list[dict[str, Any]]:
    """The scorecard part's binning table per characteristic: bins, counts, event rates, WoE, IV and points.

    Points per bin are given for a scorecard model with Platt calibration, where they add up exactly
    (before rounding) to the points a decision shows: base points plus one bin's points per characteristic.
    """
    model = spec.get("model", {})
    part = model if model.get("kind") == "scorecard" else model.get("scorecard")
    if not part or not (folder / part["file"]).is_file():
        return []
    stored = json.loads((folder / part["file"]).read_text(encoding="utf-8"))
    calibrator = spec["calibrator"]
    additive = model.get("kind") == "scorecard" and calibrator["kind"] == "platt"
    slope = scorecard.factor * calibrator["coef"]
    tables = []
    for c in stored["characteristics"]:
        bins = WoeBins.from_dict(c)
        total = max(sum(bins.count), 1)
        rows = []
        for label, n, e, w, iv in zip(bins.labels(), bins.count, bins.events, bins.woe, bins.iv_by_bin(), strict=True):
            contribution = c["coefficient"] * (w - c["mean_woe"])
            rows.append({"bin": label, "count": n, "share": n / total, "events": e,
                         "event_rate": e / n if n else None, "woe": w, "iv": iv, "contribution": contribution,
                         "points": -slope * contribution if additive else None})
        tables.append({"feature": c["feature"], "iv": bins.iv(), "coefficient": c["coefficient"], "rows": rows})
    base = None
    if additive:
        base_value = stored["intercept"] + sum(c["coefficient"] * c["mean_woe"] for c in stored["characteristics"])
        base = scorecard.offset - scorecard.factor * (calibrator["coef"] * base_value + calibrator["intercept"])
    return [{"base_points": base, "dropped": stored.get("dropped", {}), "tables": tables}]


def _read(folder: Path, name: str, required: bool = True) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        if required:
            raise InputDataError(f"{folder}: no {name}; train the model again to write it")
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def render_model_card(folder: Path) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    spec = _read(folder, ARTEFACT_FILE)
    evaluation = _read(folder, EVALUATION_FILE)
    run = _read(folder, RUN_FILE, required=False)
    meta = spec["meta"]
    test = evaluation["test"]
    scorecard = Scorecard.model_validate(spec["scorecard"])
    points = {g.name: int(scorecard.points([min(g.max_pd, 1 - 1e-6)])[0]) for g in scorecard.grades}
    shap = evaluation.get("importance_shap") or {}
    feature_psi = {f: v["value"] for f, v in evaluation["psi"]["features"].items() if v.get("value") is not None}
    tuning = meta.get("tuning")
    binning = _binning_tables(folder, spec, scorecard)
    importance_measure = evaluation.get("importance_measure", "total split gain")
    charts = {
        "roc": plots.roc(test["curve"], test["auc"]),
        "ks": plots.ks(test["curve"], test["ks"]),
        "calibration": plots.calibration(test["deciles"]),
        "gain": plots.bars(evaluation["importance_gain"], f"Importance: {importance_measure} (top 20)",
                           importance_measure),
        "shap": plots.bars(shap["values"], "Mean |SHAP| (top 20)", "mean |contribution| (log-odds)") if shap else None,
        "psi": plots.psi_bars(feature_psi) if feature_psi else None,
        "tuning": plots.tuning(tuning["trials"]) if tuning else None,
    }
    env = Environment(loader=PackageLoader("whitelist.models", "templates"), autoescape=select_autoescape(["html", "j2"]))
    trace = meta.get("trace", {})
    return env.get_template("model_card.html.j2").render(
        title=f"{meta.get('target', 'default')} PD model ({folder.name})",
        meta=meta,
        features=spec["features"],
        calibrator=spec["calibrator"]["kind"],
        evaluation=evaluation,
        test=test,
        gates=evaluation.get("gates", {"passed": False, "checks": []}),
        mono=evaluation.get("monotonicity", {"features": {}}),
        shap_rows=shap.get("rows"),
        points=points,
        plots=charts,
        tuning=tuning,
        kind=meta.get("kind", "lightgbm"),
        candidates=evaluation.get("candidates"),
        benchmark=evaluation.get("benchmark"),
        binning=binning[0] if binning else None,
        data=meta.get("training_data"),
        code=trace.get("code", {}),
        env=trace.get("environment", {"python": meta.get("python"), "packages": {}}),
        run=run,
        fmt=_fmt,
        pct=_pct,
    )


def write_model_card(folder: Path) -> Path:
    return write_text(folder / CARD_FILE, render_model_card(folder))
