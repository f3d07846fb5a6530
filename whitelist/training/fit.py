"""Fit a calibrated default model of the kind the data chooses, and evaluate it on the held-out test part.

The test part is held out first and touched only by the evaluation. On every other labelled row,
cross-validation folds (``training.folds``) tune LightGBM and choose its tree count, fit a WoE
scorecard per fold, and give each row an out-of-fold score; the candidates (LightGBM, scorecard,
their blend) are compared on those scores, the chosen one is refitted on all those rows, and
its calibrator is fitted on its out-of-fold scores. Beside every model the evaluation keeps the
WoE scorecard trained on the same rows, on the same test rows. The evaluation holds every figure
the gates, the model card and MLflow read.
"""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist import __version__
from whitelist.core.errors import ConfigError
from whitelist.models.meta import ModelMeta
from whitelist.models.artefact import ModelArtefact, as_array, model_matrix
from whitelist.models.blend import BlendModel
from whitelist.models.kinds import ScoringModel
from whitelist.models.scorecard import Scorecard
from whitelist.models.tree import TreeModel
from whitelist.models.woe import WoeScorecard
from whitelist.models.stability import Bins, PsiBands
from whitelist.training import evaluate
from whitelist.training.budget import TimeBudget
from whitelist.training.calibrate import choose_calibrator
from whitelist.training.candidates import compare
from whitelist.training.config import FitConfig
from whitelist.training.gates import check_gates, gates_report
from whitelist.training.monotonicity import check_monotone, feature_grid
from whitelist.training.reason_stability import reason_stability
from whitelist.training.folds import make_folds
from whitelist.training.sizing import sized_params, sized_space
from whitelist.training.split import Split, binary_target, split
from whitelist.training.tune import CvFit, Range, cv_fit, tune
from whitelist.training.woe_fit import WoeSettings, fit_scorecard, refit_scorecard

log = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "auc",  # early stopping on the measure tuning chooses by and the gates check
    "learning_rate": 0.05,
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
"""Leaves, depth and leaf size come from ``training.sizing``: they follow the data's size."""
ModelKind = Literal["auto", "lightgbm", "scorecard", "blend"]
Refit = Callable[[pd.DataFrame, np.ndarray, np.ndarray, int], ScoringModel]
EARLY_STOPPING = 50
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
    settings: FitConfig,
    *,
    source: str = "table",
    started: float | None = None,
    study_storage: Path | None = None,
    study_name: str = "whitelist",
) -> TrainResult:
    """Hold out the test part; cross-validate, tune and compare the kinds on the rest; refit; evaluate on test.

    ``settings.trials`` None with a ``time_budget`` tunes within the budget; 0 (and no budget) keeps the sized
    defaults. The budget is for the whole command, counted from ``started`` (a ``time.monotonic`` reading;
    default: now). Every default is ``FitConfig``'s: this function has none of its own.
    """
    target, id_col, time_col, seed = settings.target, settings.id_col, settings.time_col, settings.seed
    trials, time_budget, model_kind = settings.trials, settings.time_budget, settings.model_kind
    max_trees, exclude, refit_all = settings.max_trees, settings.exclude, settings.refit_all
    scorecard, gates, woe = settings.scorecard, settings.gates, settings.woe.settings()
    started = time.monotonic() if started is None else started
    monotone: dict[str, int] = dict(settings.monotone)
    y_all = binary_target(frame, target, source)
    absent = sorted(set(exclude) - set(frame.columns))
    if absent:
        raise ConfigError(f"{source}: exclude names columns the table lacks: {', '.join(absent)}")
    not_features = {target, *exclude, *(c for c in (id_col, time_col) if c)}
    for col in (id_col, time_col):
        if col and col not in frame.columns:
            raise ConfigError(f"{source}: no column {col!r}; columns are {', '.join(map(str, frame.columns[:8]))}")
    features, categories = feature_columns(frame, not_features)
    unknown = sorted(set(monotone) - set(features))
    if unknown:
        raise ConfigError(f"monotone constraints name columns that are not features: {', '.join(unknown)}")
    categorical = sorted(set(monotone) & set(categories))
    if categorical:
        raise ConfigError(f"monotone constraints need numeric features; these are categories: {', '.join(categorical)}")
    labelled = y_all.notna().to_numpy()
    positions = np.flatnonzero(labelled)  # row positions in the caller's table, for the returned split
    if not labelled.all():  # a panel is mostly unlabelled rows: no copy of them (9.7 -> 3.6 GB at 200k)
        frame = frame.loc[labelled].reset_index(drop=True)
        y_all = y_all.loc[labelled].reset_index(drop=True)
    three = split(frame, y_all, time_col=time_col, id_col=id_col, seed=seed)
    # Validation is the folds' job now: the split's training and validation parts train together.
    periods = three.periods and {"train": (three.periods["train"][0], three.periods["valid"][1]),
                                 "test": three.periods["test"]}
    entities = three.entities and {"train": three.entities["train"] + three.entities["valid"],
                                   "test": three.entities["test"]}
    parts = replace(three, train=np.sort(np.concatenate([three.train, three.valid])), valid=three.valid[:0],
                    periods=periods, entities=entities)
    for name, rows in (("training", parts.train), ("test", parts.test)):
        defaults = int(np.nansum(y_all.to_numpy()[rows]))
        if defaults == 0 or defaults == rows.size:
            raise ConfigError(
                f"{source}: the {name} part ({rows.size:,} rows) holds {defaults:,} defaults; each part needs both "
                "classes: give more labelled rows or a longer period"
            )
    x = model_matrix(frame, tuple(features), categories, source)
    y = y_all.to_numpy()
    dev = parts.train
    folds = make_folds(
        y[dev],
        ids=None if id_col is None else frame[id_col].astype("string").to_numpy()[dev],
        times=None if time_col is None else frame[time_col].to_numpy()[dev],
        seed=seed,
    )
    fold_rows = int(np.mean([t.size for t, _ in folds.pairs]))
    params = {
        **DEFAULT_PARAMS,
        **sized_params(fold_rows),
        "seed": seed,
        "monotone_constraints": [int(monotone.get(f, 0)) for f in features],
        "monotone_constraints_method": settings.monotone_method,
    }
    x_dev, y_dev = x.iloc[dev], y[dev]
    oof_rows = folds.oof
    # The folds' scorecards come first, so a time budget has measured them before it sets tuning's share.
    card_oof = None
    if model_kind != "lightgbm":
        card_oof = np.full(dev.size, np.nan)
        for train_rows, valid_rows in folds.pairs:
            fold_card = fit_scorecard(x_dev, y_dev, train_rows, categories=categories, monotone=monotone, settings=woe)
            card_oof[valid_rows] = fold_card.raw_score(as_array(x_dev.iloc[valid_rows]))
    tree_fit = tuning = None
    if model_kind != "scorecard":
        # no pre-filtering: tuning tries smaller min_data_in_leaf than the Dataset was first built with
        data = lgb.Dataset(x_dev, y_dev, free_raw_data=False, params={"feature_pre_filter": False})
        if (trials or 0) > 0 or (trials is None and time_budget):
            tuning = tune(
                data, list(folds.pairs), params, trials=trials, seed=seed,
                storage=study_storage or Path("optuna.db"), study_name=study_name, max_trees=max_trees,
                early_stopping=EARLY_STOPPING, space={**sized_space(fold_rows), **settings.space()},
                deadline=None if time_budget is None else TimeBudget(time_budget, started).tuning_deadline(),
            )
            params = {**params, **tuning.params}
        tree_fit = cv_fit(params, data, list(folds.pairs), max_trees=max_trees, early_stopping=EARLY_STOPPING,
                          oof_of=x_dev)
    comparison = compare(
        y_dev[oof_rows], folds.fold_of(dev.size)[oof_rows],
        None if tree_fit is None else tree_fit.oof[oof_rows], None if card_oof is None else card_oof[oof_rows],
    )
    chosen = comparison.best() if model_kind == "auto" else model_kind
    every = np.arange(dev.size)
    dev_card = fit_scorecard(x_dev, y_dev, every, categories=categories, monotone=monotone, settings=woe)
    model = _final_model(chosen, params, tree_fit, dev_card, comparison.weight, x_dev, y_dev)
    calibrator, calibration_scores = choose_calibrator(
        comparison.candidates[chosen].oof, y_dev[oof_rows], method="platt" if chosen == "scorecard" else "auto",
        seed=seed,
    )
    artefact = ModelArtefact(
        model=model,
        features=tuple(features),
        categories=categories,
        calibrator=calibrator,
        scorecard=scorecard,
        score_bins=Bins(edges=(), shares=()),
    )
    pd_all = artefact.from_raw_score(model.raw_score(as_array(x)))["pd"].to_numpy()
    artefact = replace(
        artefact,
        score_bins=Bins.fit(pd_all[dev]),
        feature_bins={f: Bins.fit(x[f].to_numpy(dtype=float)[dev]) for f in features if f not in categories},
    )
    evaluation = _evaluate(artefact, x, y, pd_all, parts, calibration_scores)
    card_pd = _benchmark_pd(dev_card, card_oof, oof_rows, y_dev, x, seed)
    evaluation["candidates"] = {
        **comparison.describe(chosen),
        "requested": model_kind,
        "folds": folds.describe(),
    }
    test_ids = None if id_col is None else frame[id_col].astype("string").to_numpy()[parts.test]
    evaluation["benchmark"] = _benchmark(y, parts.test, pd_all, card_pd, chosen, seed, test_ids)
    if refit_all:
        everything = np.sort(np.concatenate([dev, parts.test]))
        everything_card = fit_scorecard(x.iloc[everything], y[everything], np.arange(everything.size),
                                        categories=categories, monotone=monotone, settings=woe)
        model = _final_model(chosen, params, tree_fit, everything_card, comparison.weight,
                             x.iloc[everything], y[everything])
        artefact = replace(artefact, model=model)
    meta = {
        "engine_version": __version__,
        "python": platform.python_version(),
        "lightgbm": lgb.__version__,
        "target": target,
        "id_col": id_col,
        "time_col": time_col,
        "seed": seed,
        "kind": chosen,
        "model": model.describe(),
        "refit_all": refit_all,
        "params": {k: v for k, v in params.items() if k != "monotone_constraints"} if tree_fit else None,
        "monotone": monotone,
        "excluded": sorted(exclude),
        "trees": tree_fit.trees if tree_fit is not None and chosen != "scorecard" else None,
        "tuning": None
        if tuning is None
        else {
            "trials": tuning.trials,
            "best_validation_auc": tuning.best_auc,
            "storage": tuning.storage,
            "study": tuning.study,
            "stopped_by": tuning.stopped_by,
            "time_budget": time_budget,
        },
        "split": {
            "kind": parts.kind,
            "rows": {"train": int(dev.size), "test": int(parts.test.size), "out_of_fold": int(oof_rows.size)},
            "periods": parts.periods,
            "entities": parts.entities,
            "unused_rows": parts.unused,
            "folds": folds.describe(),
        },
    }
    artefact = replace(artefact, meta=ModelMeta.model_validate(meta))
    rng = np.random.default_rng(seed)
    evaluation["monotonicity"] = check_monotone(
        lambda rows: model.raw_score(as_array(rows)),
        x.iloc[_sample(parts.test, MONOTONE_SAMPLE, rng)],
        monotone,
        {f: feature_grid(x[f]) for f in monotone},
    )
    evaluation["importance_shap"] = _mean_abs_contribution(artefact, x.iloc[_sample(parts.test, settings.shap_sample, rng)])
    evaluation["reason_stability"] = reason_stability(
        _refitter(chosen, params, tree_fit, dev_card, comparison.weight), model, x, y, dev, parts.test, seed,
        retrains=settings.reason_retrains,
    )
    evaluation["gates"] = gates_report(check_gates(evaluation, gates))
    in_table = replace(parts, train=positions[parts.train], valid=positions[parts.valid], test=positions[parts.test])
    return TrainResult(artefact=artefact, evaluation=evaluation, split=in_table, examples=frame.head(EXAMPLE_ROWS))


def _final_model(
    kind: str, params: dict[str, Any], tree_fit: CvFit | None, card: WoeScorecard, weight: float | None,
    x: pd.DataFrame, y: np.ndarray,
) -> ScoringModel:
    """The chosen kind refitted on ``x``: LightGBM with the folds' tree count, no early stopping."""
    if kind == "scorecard":
        return card
    assert tree_fit is not None  # a lightgbm or blend candidate exists only with its cross-validated fit
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=tree_fit.trees)
    tree = TreeModel(lgb.Booster(model_str=booster.model_to_string()))
    if kind == "lightgbm":
        return tree
    return BlendModel(tree=tree, scorecard=card, weight=float(weight if weight is not None else 1.0))


def _refitter(
    kind: str, params: dict[str, Any], tree_fit: CvFit | None, card: WoeScorecard, weight: float | None
) -> Refit:
    """How reason stability refits the chosen kind on a bootstrap resample, with the same settings."""

    def refit(x: pd.DataFrame, y: np.ndarray, rows: np.ndarray, seed: int) -> ScoringModel:
        refitted_card = refit_scorecard(card, x, y, rows)
        if kind == "scorecard":
            return refitted_card
        assert tree_fit is not None
        booster = lgb.train({**params, "seed": seed, "verbose": -1}, lgb.Dataset(x.iloc[rows], y[rows]),
                            num_boost_round=max(tree_fit.trees, 1))
        tree = TreeModel(booster)
        return tree if kind == "lightgbm" else BlendModel(tree, refitted_card, float(weight or 0.0))

    return refit


def _benchmark_pd(card: WoeScorecard, card_oof: np.ndarray | None, oof_rows: np.ndarray, y_dev: np.ndarray,
                  x: pd.DataFrame, seed: int) -> np.ndarray:
    """The WoE scorecard's PD of every row, calibrated on its own out-of-fold scores when it has them."""
    raw = card.raw_score(as_array(x))
    if card_oof is None:
        return 1.0 / (1.0 + np.exp(-raw))
    calibrator, _ = choose_calibrator(card_oof[oof_rows], y_dev[oof_rows], method="platt", seed=seed)
    return calibrator(raw)


def _benchmark(y: np.ndarray, test: np.ndarray, pd_all: np.ndarray, card_pd: np.ndarray, kind: str,
               seed: int, ids: np.ndarray | None) -> dict[str, Any]:
    """The WoE scorecard trained on the same rows, beside the model on the same test rows (SR 11-7 benchmarking).

    With an id column the intervals resample enterprises, not rows.
    """
    test_y = y[test].astype(int)
    return {
        "challenger": "WoE scorecard (optbinning bins, logistic regression) on the same training rows",
        "model_kind": kind,
        "scorecard": {**evaluate.ranking(test_y, card_pd[test]), **evaluate.calibration(test_y, card_pd[test])},
        "bootstrap": evaluate.bootstrap_auc(test_y, {"model": pd_all[test], "scorecard": card_pd[test]}, seed=seed,
                                            groups=ids),
    }


def _sample(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """At most ``size`` of ``rows``, seeded and in their original order."""
    if rows.size <= size:
        return rows
    return np.sort(rng.choice(rows, size=size, replace=False))


def _mean_abs_contribution(artefact: ModelArtefact, rows: pd.DataFrame) -> dict[str, Any]:
    """Mean |exact contribution| of each feature on a sample, largest first (log-odds)."""
    contrib = artefact.explainer().of_array(as_array(rows))[:, :-1]
    means = np.abs(contrib).mean(axis=0) if len(rows) else np.zeros(len(rows.columns))
    ranked = sorted(zip(map(str, rows.columns), means, strict=True), key=lambda t: (-t[1], t[0]))
    return {"rows": len(rows), "values": {f: float(v) for f, v in ranked}}


def _evaluate(
    artefact: ModelArtefact, x: pd.DataFrame, y: np.ndarray, pd_all: np.ndarray, parts: Split, cal: dict[str, float]
) -> dict[str, Any]:
    test_y, test_pd = y[parts.test].astype(int), pd_all[parts.test]
    bands = PsiBands()
    score_psi = artefact.score_bins.psi(test_pd)
    feature_psi = {f: b.psi(x[f].to_numpy(dtype=float)[parts.test]) for f, b in artefact.feature_bins.items()}
    importance = artefact.model.importance()
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
        "importance_gain": dict(importance.ranked()),
        "importance_measure": importance.measure,
    }
