"""``whitelist train --table``: a calibrated LightGBM default model from any table with a binary target."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import progress_bars, summary_table, written
from whitelist.training.table import EVALUATION_FILE, train_from_file


def train(
    table: Path = typer.Option(..., "--table", help="Parquet or CSV table, one row per case."),
    target: str = typer.Option(..., "--target", help="Binary target column (1 = default; empty = unlabelled)."),
    out: Path = typer.Option(..., "--out", help="Model folder to write."),
    id_col: str | None = typer.Option(None, "--id-col", help="Identifier column, not a feature."),
    time_col: str | None = typer.Option(None, "--time-col", help="Time column: the latest periods are held out."),
    seed: int = typer.Option(0, "--seed", help="Same data and seed, same model."),
    trials: int = typer.Option(
        0, "--trials", min=0, help="Optuna trials (TPE, pruned); 0 trains with the default parameters."
    ),
    study: Path = typer.Option(Path("optuna.db"), "--study", help="SQLite file that keeps the Optuna study."),
    register: bool = typer.Option(
        True, "--register/--no-register", help="Log the run to MLflow and register the model as the challenger."
    ),
) -> None:
    """Train, calibrate and evaluate a default model; write the model folder and evaluation.json."""
    with progress_bars() as progress:
        task = progress.task(f"Training ({trials} tuning trials)" if trials else "Training", 1)
        result = train_from_file(
            table, out, target=target, id_col=id_col, time_col=time_col, seed=seed, trials=trials, study_storage=study
        )
        progress.advance(task)
    registered = None
    if register:
        from whitelist.training.registry import log_and_register
        from whitelist.training.table import read_table

        registered = log_and_register(out, read_table(table), result.evaluation)
    test = result.evaluation["test"]
    meta = result.artefact.meta
    summary_table(
        f"Model ({meta['split']['kind']} test part, {test['rows']:,} rows)",
        ["measure", "value"],
        [
            ("AUC", round(test["auc"], 4)),
            ("Gini", round(test["gini"], 4)),
            ("KS", round(test["ks"], 4)),
            ("Brier", round(test["brier"], 5)),
            ("calibration error", round(test["calibration_error"], 5)),
            ("calibrator", result.artefact.calibrator.kind),
            ("score PSI train -> test", round(result.evaluation["psi"]["score"]["value"], 4)),
            ("trees", meta["trees"]),
            ("tuning trials", len(meta["tuning"]["trials"]) if meta["tuning"] else 0),
            ("features", len(result.artefact.features)),
        ],
    )
    if registered:
        summary_table(
            "MLflow",
            ["", ""],
            [(k, v) for k, v in registered.items()],
            text=True,
        )
    written([out / "model.txt", out / "artefact.json", out / EVALUATION_FILE])
