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
from whitelist.core.artefact_file import read_artefact
from whitelist.models.artefact import CARD_FILE, EVALUATION_FILE, RUN_FILE, ModelArtefact
from whitelist.models.meta import Environment, TrainingRun
from whitelist.models.woe import WoeScorecard


def _binning_tables(artefact: ModelArtefact) -> list[dict[str, Any]]:
    """The scorecard part's binning table per characteristic: bins, counts, event rates, WoE, IV and points.

    Points per bin are given for a scorecard model with Platt calibration, where they add up exactly
    (before rounding) to the points a decision shows: base points plus one bin's points per characteristic.
    """
    model = artefact.model
    part = model if isinstance(model, WoeScorecard) else getattr(model, "scorecard", None)
    if not isinstance(part, WoeScorecard):
        return []
    calibrator, scorecard = artefact.calibrator, artefact.scorecard
    additive = isinstance(model, WoeScorecard) and calibrator.kind == "platt"
    slope = scorecard.factor * calibrator.coef
    tables = []
    for bins, coefficient, mean in zip(part.bins, part.coefficients, part.means, strict=True):
        total = max(sum(bins.count), 1)
        rows = []
        for label, n, e, w, iv in zip(bins.labels(), bins.count, bins.events, bins.woe, bins.iv_by_bin(), strict=True):
            contribution = coefficient * (w - mean)
            rows.append({"bin": label, "count": n, "share": n / total, "events": e,
                         "event_rate": e / n if n else None, "woe": w, "iv": iv, "contribution": contribution,
                         "points": -slope * contribution if additive else None})
        tables.append({"feature": bins.feature, "iv": bins.iv(), "coefficient": coefficient, "rows": rows})
    base = None
    if additive:
        base_value = part.intercept + sum(c * m for c, m in zip(part.coefficients, part.means, strict=True))
        base = scorecard.offset - scorecard.factor * (calibrator.coef * base_value + calibrator.intercept)
    return [{"base_points": base, "dropped": part.dropped, "tables": tables}]


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

    artefact = ModelArtefact.load(folder)
    evaluation = _read(folder, EVALUATION_FILE)
    run = read_artefact(TrainingRun, folder / RUN_FILE) if (folder / RUN_FILE).is_file() else None
    meta = artefact.about
    test = evaluation["test"]
    scorecard = artefact.scorecard
    points = {g.name: int(scorecard.points([min(g.max_pd, 1 - 1e-6)])[0]) for g in scorecard.grades}
    shap = evaluation.get("importance_shap") or {}
    feature_psi = {f: v["value"] for f, v in evaluation["psi"]["features"].items() if v.get("value") is not None}
    tuning = meta.tuning
    binning = _binning_tables(artefact)
    importance_measure = evaluation.get("importance_measure", "total split gain")
    charts = {
        "roc": plots.roc(test["curve"], test["auc"]),
        "ks": plots.ks(test["curve"], test["ks"]),
        "calibration": plots.calibration(test["deciles"]),
        "gain": plots.bars(evaluation["importance_gain"], f"Importance: {importance_measure} (top 20)",
                           importance_measure),
        "shap": plots.bars(shap["values"], "Mean |SHAP| (top 20)", "mean |contribution| (log-odds)") if shap else None,
        "psi": plots.psi_bars(feature_psi) if feature_psi else None,
        "tuning": plots.tuning(tuning.trials) if tuning else None,
    }
    env = Environment(loader=PackageLoader("whitelist.models", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("model_card.html.j2").render(
        title=f"{meta.target} PD model ({folder.name})",
        meta=meta,
        features=artefact.features,
        calibrator=artefact.calibrator.kind,
        evaluation=evaluation,
        test=test,
        gates=evaluation.get("gates", {"passed": False, "checks": []}),
        mono=evaluation.get("monotonicity", {"features": {}}),
        shap_rows=shap.get("rows"),
        points=points,
        plots=charts,
        tuning=tuning,
        kind=meta.kind,
        candidates=evaluation.get("candidates"),
        benchmark=evaluation.get("benchmark"),
        binning=binning[0] if binning else None,
        data=meta.training_data,
        code=meta.trace.code if meta.trace else None,
        env=meta.trace.environment if meta.trace else Environment(python=meta.python, packages={}),
        run=run,
        fmt=_fmt,
        pct=_pct,
    )


def write_model_card(folder: Path) -> Path:
    return write_text(folder / CARD_FILE, render_model_card(folder))
