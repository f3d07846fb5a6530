"""Tune LightGBM with Optuna on cross-validation folds: seeded TPE, median pruning, a study in SQLite.

Each trial trains one model per fold (``lightgbm.cv``) and stops early on the folds' mean AUC,
so the number of trees is the folds' choice too. A trial budget keeps the study reproducible;
a deadline (from the command's time budget) starts no trial that, with the final fit after it,
would not end in time, and the study records how many trials ran, so ``--trials N`` reproduces
the model byte for byte. Trials run one after
another so the same data, seed and trial count give the same study and the same model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import optuna

from whitelist.training.budget import room_for_trial

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    log: bool = False
    integer: bool = False


TUNABLE = frozenset(
    {
        "learning_rate", "num_leaves", "max_depth", "min_data_in_leaf", "feature_fraction", "bagging_fraction",
        "lambda_l2", "lambda_l1", "min_sum_hessian_in_leaf", "min_gain_to_split", "cat_smooth", "cat_l2",
        "max_cat_threshold",
    }
)
"""LightGBM parameters a config may tune; anything else is a typo or belongs outside tuning."""
PRUNE_EVERY = 25
MAX_TRIALS_IN_BUDGET = 50
"""A time budget alone stops at this many trials: past it, TPE mostly fits the folds' noise."""

Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class CvFit:
    """One cross-validated fit: mean AUC over the folds, the trees they chose, out-of-fold raw scores."""

    auc: float
    trees: int
    oof: np.ndarray
    """Raw score of each fold's validation rows by that fold's model (NaN for rows in no validation part)."""


def cv_fit(params: dict[str, Any], data: lgb.Dataset, folds: list[Fold], *, max_trees: int, early_stopping: int,
           callbacks: list[Callable[[Any], None]] | None = None, oof_of: np.ndarray | None = None) -> CvFit:
    """``lightgbm.cv`` on ``folds`` (row positions of ``data``) with early stopping on the mean AUC.

    ``oof_of`` (the rows' model matrix as a float array or frame) asks for out-of-fold raw scores.
    """
    result = lgb.cv(
        {**params, "metric": "auc"},
        data,
        num_boost_round=max_trees,
        folds=folds,
        stratified=False,
        callbacks=[lgb.early_stopping(early_stopping, verbose=False), *(callbacks or [])],
        return_cvbooster=oof_of is not None,
    )
    means = result["valid auc-mean"]
    trees = int(np.argmax(means)) + 1
    oof = np.full(data.num_data(), np.nan)
    if oof_of is not None:
        for booster, (_, valid) in zip(result["cvbooster"].boosters, folds, strict=True):
            rows = oof_of.iloc[valid] if hasattr(oof_of, "iloc") else oof_of[valid]
            oof[valid] = booster.predict(rows, raw_score=True, num_iteration=trees)
    return CvFit(auc=float(means[trees - 1]), trees=trees, oof=oof)


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
        auc = next(item[2] for item in env.evaluation_result_list if item[1] == "auc")
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
    stopped_by: str
    """"trials" (the trial count was reached) or "time_budget"."""
    seconds: float


def tune(
    data: lgb.Dataset,
    folds: list[Fold],
    base: dict[str, Any],
    *,
    trials: int | None,
    seed: int,
    storage: Path,
    study_name: str,
    max_trees: int,
    early_stopping: int,
    space: dict[str, Range],
    deadline: float | None = None,
) -> Tuning:
    """Search ``space`` for the parameters with the best mean AUC over ``folds``; the study is kept in ``storage``.

    ``deadline`` (a ``time.monotonic`` reading) stops the study before a trial that would end too late
    to leave room for the final fit; ``trials`` None with a deadline runs up to ``MAX_TRIALS_IN_BUDGET``.
    """
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
        fit = cv_fit({**base, **_suggest(trial, space)}, data, folds, max_trees=max_trees,
                     early_stopping=early_stopping, callbacks=[_pruning(trial)])
        trial.set_user_attr("trees", fit.trees)
        return fit.auc

    started = time.monotonic()
    n_trials = trials if trials is not None else MAX_TRIALS_IN_BUDGET
    slowest = [0.0]
    out_of_time = [deadline is not None and not room_for_trial(deadline, 0.0)]

    def stop_in_time(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.duration is not None:
            slowest[0] = max(slowest[0], trial.duration.total_seconds())
        if deadline is not None and not room_for_trial(deadline, slowest[0]):
            out_of_time[0] = True
            study.stop()

    if not out_of_time[0]:
        study.optimize(objective, n_trials=n_trials, n_jobs=1, gc_after_trial=True, callbacks=[stop_in_time])
    seconds = time.monotonic() - started
    history = [
        {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params, **t.user_attrs}
        for t in study.trials
    ]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return Tuning(params={}, best_auc=float("nan"), trials=history, storage=url, study=study_name,
                      stopped_by="time_budget" if out_of_time[0] else "trials", seconds=seconds)
    return Tuning(
        params=dict(study.best_params),
        best_auc=float(study.best_value),
        trials=history,
        storage=url,
        study=study_name,
        stopped_by="time_budget" if out_of_time[0] and len(study.trials) < n_trials else "trials",
        seconds=seconds,
    )
