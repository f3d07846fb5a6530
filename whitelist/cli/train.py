"""``whitelist train``: a calibrated default model (LightGBM, WoE scorecard or their blend) from the config's panel or any table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from whitelist.cli.ui import progress_bars, summary_table, written
from whitelist.core.errors import ConfigError

if TYPE_CHECKING:
    from whitelist.training.fit import TrainResult


def train(
    out: Path = typer.Option(..., "--out", help="Model folder to write."),
    config: Path | None = typer.Option(
        None, "--config", help="Training config (configs/train.yaml): the government-data panel."
    ),
    features: Path | None = typer.Option(
        None, "--features", help="With --config: the labelled feature table to use instead of the config's data."
    ),
    table: Path | None = typer.Option(None, "--table", help="Any Parquet or CSV table, one row per case."),
    target: str | None = typer.Option(None, "--target", help="With --table: binary target column (1 = default)."),
    id_col: str | None = typer.Option(None, "--id-col", help="With --table: identifier column, not a feature."),
    time_col: str | None = typer.Option(
        None, "--time-col", help="With --table: time column; the latest periods are held out."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Same data and seed, same model (default 0 or the config's)."),
    trials: int | None = typer.Option(
        None, "--trials", min=0,
        help="Optuna trials (TPE, pruned, on cross-validation folds); 0 keeps the sized defaults. "
        "A fixed count gives the same model on every run.",
    ),
    time_budget: float | None = typer.Option(
        None, "--time-budget", min=1,
        help="Seconds the whole command may take; tuning gets what the rest leaves "
        "(with --table the default is 180 s up to 100,000 rows, more above).",
    ),
    model_kind: str | None = typer.Option(
        None, "--model-kind",
        help="auto (default: the best out-of-fold AUC), lightgbm, scorecard (WoE + logistic regression) or blend.",
    ),
    refit_all: bool = typer.Option(
        False, "--refit-all", help="Refit the chosen model on the test part too, after it is evaluated without it."
    ),
    study: Path | None = typer.Option(
        None, "--study", help="SQLite file for the Optuna study (default: optuna.db beside the MLflow store)."
    ),
    register: bool = typer.Option(
        True, "--register/--no-register", help="Log the run to MLflow and register the model as the challenger."
    ),
) -> None:
    """Train, calibrate, evaluate and gate a default model; write the model folder and its model card."""
    started = time.monotonic()  # a time budget covers the whole command
    from whitelist.training.registry import store_folder

    if (config is None) == (table is None):
        raise ConfigError("give either --config (the government-data panel) or --table with --target")
    study = study or store_folder() / "optuna.db"
    with progress_bars() as progress:
        if config is not None:
            from whitelist.training.config import load_train_config
            from whitelist.training.table import train_from_config

            cfg = load_train_config(config)
            overrides = {
                k: v for k, v in (("seed", seed), ("trials", trials), ("time_budget", time_budget),
                                  ("model_kind", model_kind)) if v is not None
            }
            if refit_all:
                overrides["refit_all"] = True
            cfg = cfg.model_validate({**cfg.model_dump(), **overrides}) if overrides else cfg
            task = progress.task(_label(cfg.trials, cfg.time_budget), 1)
            result = train_from_config(cfg, out, features=features, study_storage=study, progress=progress,
                                       started=started)
        else:
            if target is None:
                raise ConfigError("--table needs --target: the binary target column")
            from whitelist.training.table import train_from_file

            if model_kind not in (None, "auto", "lightgbm", "scorecard", "blend"):
                raise ConfigError(f"--model-kind {model_kind!r}: use auto, lightgbm, scorecard or blend")
            task = progress.task(_label(trials, time_budget or (None if trials is not None else "default")), 1)
            result = train_from_file(
                table, out, target=target, id_col=id_col, time_col=time_col, seed=seed or 0, trials=trials,
                time_budget=time_budget, model_kind=model_kind or "auto", refit_all=refit_all,  # type: ignore[arg-type]
                study_storage=study, started=started,
            )
        progress.advance(task)
    registered = None
    if register:
        from whitelist.training.registry import log_and_register

        registered = log_and_register(out, result.examples, result.evaluation)
    _summarise(result, out, registered)


def _label(trials: int | None, budget: float | str | None) -> str:
    if trials == 0 and budget is None:
        return "Training (sized defaults, no tuning)"
    if budget is None:
        return f"Training ({trials} tuning trials on cross-validation folds)"
    limit = "the default time budget" if budget == "default" else f"{float(budget):.0f} s"
    return f"Training (tuning within {limit}" + (f", at most {trials} trials)" if trials else ")")


def _summarise(result: TrainResult, out: Path, registered: dict[str, str] | None) -> None:
    test = result.evaluation["test"]
    meta = result.artefact.about
    candidates = result.evaluation["candidates"]
    bench = result.evaluation["benchmark"]["bootstrap"]["auc"]
    gates = result.evaluation["gates"]
    from whitelist.models.artefact import ARTEFACT_FILE, CARD_FILE, EVALUATION_FILE, RUN_FILE
    from whitelist.training.gates import failed_gates

    failed = failed_gates(gates)
    summary_table(
        f"Model ({meta.split.kind.replace('_', ' ')} test part, {test['rows']:,} rows)",
        ["measure", "value"],
        [
            ("model kind", f"{meta.kind} (asked: {candidates['requested']})"),
            *((f"out-of-fold AUC {k}", round(v, 4)) for k, v in candidates["oof_auc"].items()),
            ("AUC", f"{test['auc']:.4f} [{bench['model']['low']:.3f}, {bench['model']['high']:.3f}]"),
            ("WoE scorecard AUC (same rows)",
             f"{bench['scorecard']['value']:.4f} [{bench['scorecard']['low']:.3f}, {bench['scorecard']['high']:.3f}]"),
            ("Gini", round(test["gini"], 4)),
            ("KS", round(test["ks"], 4)),
            ("Brier", round(test["brier"], 5)),
            ("calibration error", round(test["calibration_error"], 5)),
            ("calibrator", result.artefact.calibrator.kind),
            ("score PSI train -> test", round(result.evaluation["psi"]["score"]["value"], 4)),
            ("monotonicity violations", result.evaluation["monotonicity"]["violations"]),
            ("trees", meta.trees if meta.trees is not None else "-"),
            ("tuning trials", len(meta.tuning.trials) if meta.tuning else 0),
            ("features", len(result.artefact.features)),
            ("gates", "pass" if gates["passed"] else f"FAIL: {', '.join(failed)}"),
        ],
    )
    if registered:
        summary_table("MLflow", ["", ""], list(registered.items()), text=True)
    model_files = result.artefact.model.files()
    written([out / f for f in (*model_files, ARTEFACT_FILE, EVALUATION_FILE, RUN_FILE, CARD_FILE)])
