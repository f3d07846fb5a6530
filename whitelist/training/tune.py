"""Tune LightGBM with Optuna: seeded TPE, median pruning on validation AUC, a study in SQLite.

The default search space keeps trees explainable at province scale (depth <= 6, at most
400 trees); a config may widen it. Trials run one after another so that the same data, seed
and space give the same study and the same model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import optuna

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    log: bool = False
    integer: bool = False


DEFAULT_SPACE: dict[str, Range] = {
    "learning_rate": Range(0.02, 0.2, log=True),
    "num_leaves": Range(8, 63, integer=True),
    "max_depth": Range(3, 6, integer=True),
    "min_data_in_leaf": Range(20, 500, log=True, integer=True),
    "feature_fraction": Range(0.4, 1.0),
    "bagging_fraction": Range(0.5, 1.0),
    "lambda_l2": Range(1e-3, 10.0, log=True),
}
PRUNE_EVERY = 25


def _suggest(trial: optuna.Trial, space: dict[str, Range]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, r in space.items():
        if r.integer:
            out[name] = trial.suggest_int(name, int(r.low), int(r.high), log=r.log)
        else:
            out[name] = trial.suggest_float(name, r.low, r.high, log=r.log)
    return out


def _pruning(trial: optuna.Trial) -> Callable[[Any], None]:
    def callback(env: Any) -> None:
        if env.iteration % PRUNE_EVERY:
            return
        auc = next(value for _, metric, value, _ in env.evaluation_result_list if metric == "auc")
        trial.report(auc, env.iteration)
        if trial.should_prune():
            raise optuna.TrialPruned()

    return callback


@dataclass(frozen=True)
class Tuning:
    params: dict[str, Any]
    best_auc: float
    trials: list[dict[str, Any]]
    storage: str
    study: str


def tune(
    train: lgb.Dataset,
    valid: lgb.Dataset,
    base: dict[str, Any],
    *,
    trials: int,
    seed: int,
    storage: Path,
    study_name: str,
    max_trees: int,
    early_stopping: int,
    space: dict[str, Range] | None = None,
) -> Tuning:
    """Search ``space`` for the parameters with the best validation AUC; the study is kept in ``storage``."""
    space = space or DEFAULT_SPACE
    storage.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{storage}"
    try:  # a re-run with the same name starts afresh, so the study is reproducible
        optuna.delete_study(study_name=study_name, storage=url)
    except KeyError:
        pass
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name,
        storage=url,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=50),
    )

    def objective(trial: optuna.Trial) -> float:
        params = {**base, **_suggest(trial, space), "metric": "auc"}
        booster = lgb.train(
            params,
            train,
            num_boost_round=max_trees,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(early_stopping, verbose=False), _pruning(trial)],
        )
        trial.set_user_attr("trees", booster.best_iteration)
        return float(booster.best_score["valid_0"]["auc"])

    study.optimize(objective, n_trials=trials, n_jobs=1, gc_after_trial=True)
    history = [
        {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params, **t.user_attrs}
        for t in study.trials
    ]
    return Tuning(
        params=dict(study.best_params),
        best_auc=float(study.best_value),
        trials=history,
        storage=url,
        study=study_name,
    )


