"""Fit a calibrated LightGBM default model on a table and evaluate it on the held-out part.

Without tuning, the fixed defaults below sit inside the explainable search space (depth <= 6,
at most 400 trees); with trials, Optuna searches that space (or the config's wider one).
The evaluation holds every figure the gates, the model card and MLflow read.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist import __version__
from whitelist.core.errors import ConfigError
from whitelist.models.artefact import ModelArtefact, model_matrix
from whitelist.models.contributions import exact_contributions
from whitelist.models.scorecard import Scorecard
from whitelist.models.stability import Bins, PsiBands
from whitelist.training import evaluate
from whitelist.training.calibrate import choose_calibrator
from whitelist.training.config import Gates
from whitelist.training.gates import check_gates, gates_report
from whitelist.training.monotonicity import check_monotone, feature_grid
from whitelist.training.reason_stability import reason_stability
from whitelist.training.split import Split, binary_target, split
from whitelist.training.tune import Range, tune

log = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "auc",  # early stopping on the measure tuning chooses by and the gates check
    "learning_rate": 0.05,
    "num_leaves": 31,
    "max_depth": 6,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 20.0,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
}
MAX_TREES = 400
MONOTONE_METHOD = "intermediate"
"""LightGBM's "advanced" method leaked (30 paired-row violations on the 20k demo panel) where
"intermediate" gave none and a higher AUC; see docs/decisions.md."""
EARLY_STOPPING = 50
SHAP_SAMPLE = 20_000
"""Out-of-time rows behind the mean |SHAP| importance: enough for stable ranks, quick at province scale."""
EXAMPLE_ROWS = 5
MONOTONE_SAMPLE = 1_000
"""Out-of-time rows swept through each constrained feature's grid in the monotonicity check."""


@dataclass(frozen=True)
class TrainResult:
    artefact: ModelArtefact
    evaluation: dict[str, Any]
    split: Split
    """Row positions of each part in the table that was given (unlabelled rows included)."""
    examples: pd.DataFrame
    """The first rows of the training table: MLflow's input example and signature, without reading it again."""


def feature_columns(frame: pd.DataFrame, exclude: set[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Every column but the excluded ones; text columns become categoricals with sorted levels."""
    features, categories = [], {}
    for col in frame.columns:
        if col in exclude:
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            features.append(col)
        elif isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series) or series.dtype == object:
            levels = sorted(series.dropna().astype(str).unique().tolist())
            features.append(col)
            categories[col] = levels
        else:
            log.info("column %s (%s) is neither a number nor text: not used", col, series.dtype)
    if not features:
        raise ConfigError("the table has no feature columns besides the target, id and time columns")
    return features, categories


def train_table(
    frame: pd.DataFrame,
    *,
    target: str,
    id_col: str | None = None,
    time_col: str | None = None,
    seed: int = 0,
    scorecard: Scorecard | None = None,
    monotone: dict[str, int] | None = None,
    source: str = "table",
    trials: int = 0,
    study_storage: Path | None = None,
    study_name: str = "whitelist",
    space: dict[str, Range] | None = None,
    max_trees: int = MAX_TREES,
    shap_sample: int = SHAP_SAMPLE,
    gates: Gates | None = None,
    monotone_method: str = MONOTONE_METHOD,
    exclude: tuple[str, ...] = (),
    reason_retrains: int = 0,
) -> TrainResult:
    """Split, fit with early stopping on validation, calibrate on validation, evaluate on test."""
    scorecard = scorecard or Scorecard()
    y_all = binary_target(frame, target, source)
    absent = sorted(set(exclude) - set(frame.columns))
    if absent:
        raise ConfigError(f"{source}: exclude names columns the table lacks: {', '.join(absent)}")
    not_features = {target, *exclude, *(c for c in (id_col, time_col) if c)}
    for col in (id_col, time_col):
        if col and col not in frame.columns:
            raise ConfigError(f"{source}: no column {col!r}; columns are {', '.join(map(str, frame.columns[:8]))}")
    features, categories = feature_columns(frame, not_features)
    unknown = sorted(set(monotone or {}) - set(features))
    if unknown:
        raise ConfigError(f"monotone constraints name columns that are not features: {', '.join(unknown)}")
    categorical = sorted(set(monotone or {}) & set(categories))
    if categorical:
        raise ConfigError(f"monotone constraints need numeric features; these are categories: {', '.join(categorical)}")
    labelled = y_all.notna().to_numpy()
    positions = np.flatnonzero(labelled)  # row positions in the caller's table, for the returned split
    if not labelled.all():  # a panel is mostly unlabelled rows: no copy of them (9.7 -> 3.6 GB at 200k)
        frame = frame.loc[labelled].reset_index(drop=True)
        y_all = y_all.loc[labelled].reset_index(drop=True)
    parts = split(frame, y_all, time_col=time_col, id_col=id_col, seed=seed)
    for name, rows in (("train", parts.train), ("validation", parts.valid), ("test", parts.test)):
        defaults = int(np.nansum(y_all.to_numpy()[rows]))
        if defaults == 0 or defaults == rows.size:
            raise ConfigError(
                f"{source}: the {name} part ({rows.size:,} rows) holds {defaults:,} defaults; each part needs both "
                "classes: give more labelled rows or a longer period"
            )
    x = model_matrix(frame, tuple(features), categories, source)
    y = y_all.to_numpy()
    params = {
        **DEFAULT_PARAMS,
        "seed": seed,
        "monotone_constraints": [int((monotone or {}).get(f, 0)) for f in features],
        "monotone_constraints_method": monotone_method,
    }
    # no pre-filtering: tuning tries smaller min_data_in_leaf than the Dataset was first built with
    train_set = lgb.Dataset(
        x.iloc[parts.train], y[parts.train], free_raw_data=False, params={"feature_pre_filter": False}
    )
    valid_set = lgb.Dataset(x.iloc[parts.valid], y[parts.valid], reference=train_set, free_raw_data=False)
    tuning = None
    if trials > 0:
        tuning = tune(
            train_set,
            valid_set,
            params,
            trials=trials,
            seed=seed,
            storage=study_storage or Path("optuna.db"),
            study_name=study_name,
            max_trees=max_trees,
            early_stopping=EARLY_STOPPING,
            space=space,
        )
        params = {**params, **tuning.params}
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=max_trees,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)],
    )
    raw = booster.predict(x, raw_score=True, num_iteration=booster.best_iteration)
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    calibrator, calibration_scores = choose_calibrator(raw[parts.valid], y[parts.valid], seed=seed)
    pd_all = calibrator(raw)
    artefact = ModelArtefact(
        booster=booster,
        features=tuple(features),
        categories=categories,
        calibrator=calibrator,
        scorecard=scorecard,
        score_bins=Bins.fit(pd_all[parts.train]),
        feature_bins={f: Bins.fit(x[f].to_numpy(dtype=float)[parts.train]) for f in features if f not in categories},
        meta={
            "engine_version": __version__,
            "python": platform.python_version(),
            "lightgbm": lgb.__version__,
            "target": target,
            "id_col": id_col,
            "time_col": time_col,
            "seed": seed,
            "params": {k: v for k, v in params.items() if k != "monotone_constraints"},
            "monotone": dict(monotone or {}),
            "excluded": sorted(exclude),
            "trees": booster.num_trees(),
            "tuning": None
            if tuning is None
            else {
                "trials": tuning.trials,
                "best_validation_auc": tuning.best_auc,
                "storage": tuning.storage,
                "study": tuning.study,
            },
            "split": {
                "kind": parts.kind,
                "rows": {"train": int(parts.train.size), "valid": int(parts.valid.size), "test": int(parts.test.size)},
                "periods": parts.periods,
                "entities": parts.entities,
                "unused_rows": parts.unused,
            },
        },
    )
    evaluation = _evaluate(artefact, x, y, pd_all, parts, calibration_scores)
    rng = np.random.default_rng(seed)
    evaluation["monotonicity"] = check_monotone(
        booster,
        x.iloc[_sample(parts.test, MONOTONE_SAMPLE, rng)],
        dict(monotone or {}),
        {f: feature_grid(x[f]) for f in (monotone or {})},
    )
    evaluation["importance_shap"] = _mean_abs_shap(booster, x.iloc[_sample(parts.test, shap_sample, rng)])
    evaluation["reason_stability"] = reason_stability(
        booster, params, x, y, parts.train, parts.test, seed, retrains=reason_retrains
    )
    evaluation["gates"] = gates_report(check_gates(evaluation, gates or Gates()))
    in_table = replace(parts, train=positions[parts.train], valid=positions[parts.valid], test=positions[parts.test])
    return TrainResult(artefact=artefact, evaluation=evaluation, split=in_table, examples=frame.head(EXAMPLE_ROWS))


def _sample(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """At most ``size`` of ``rows``, seeded and in their original order."""
    if rows.size <= size:
        return rows
    return np.sort(rng.choice(rows, size=size, replace=False))


def _mean_abs_shap(booster: lgb.Booster, rows: pd.DataFrame) -> dict[str, Any]:
    """Mean |exact TreeSHAP contribution| of each feature on a sample, largest first (log-odds)."""
    contrib = exact_contributions(booster, rows)[:, :-1]
    means = np.abs(contrib).mean(axis=0)
    ranked = sorted(zip(map(str, rows.columns), means, strict=True), key=lambda t: (-t[1], t[0]))
    return {"rows": len(rows), "values": {f: float(v) for f, v in ranked}}


def _evaluate(
    artefact: ModelArtefact, x: pd.DataFrame, y: np.ndarray, pd_all: np.ndarray, parts: Split, cal: dict[str, float]
) -> dict[str, Any]:
    test_y, test_pd = y[parts.test].astype(int), pd_all[parts.test]
    bands = PsiBands()
    score_psi = artefact.score_bins.psi(test_pd)
    feature_psi = {f: b.psi(x[f].to_numpy(dtype=float)[parts.test]) for f, b in artefact.feature_bins.items()}
    importance = artefact.booster.feature_importance("gain")
    return {
        "test": {
            "rows": int(parts.test.size),
            "default_rate": float(test_y.mean()),
            **evaluate.ranking(test_y, test_pd),
            **evaluate.calibration(test_y, test_pd),
            "curve": evaluate.curve(test_y, test_pd),
            "gains": evaluate.gains(test_y, test_pd),
            "operating_points": evaluate.operating_points(
                test_y, test_pd, [(g.name, g.max_pd) for g in artefact.scorecard.grades]
            ),
        },
        "train": {"rows": int(parts.train.size), **evaluate.ranking(y[parts.train].astype(int), pd_all[parts.train])},
        "calibration_choice": {"chosen": artefact.calibrator.kind, "held_out_log_loss": cal},
        "psi": {
            "score": {"value": score_psi, "verdict": bands.verdict(score_psi)},
            "features": {f: {"value": v, "verdict": bands.verdict(v)} for f, v in sorted(feature_psi.items())},
        },
        "importance_gain": {
            f: float(g) for f, g in sorted(zip(artefact.features, importance, strict=True), key=lambda t: -t[1])
        },
    }
