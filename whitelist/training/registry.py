"""Track training runs and register models in MLflow: a local store by default, a server if set.

The store is ``mlflow.db`` (SQLite) with artefacts in ``mlruns/`` in the working folder, unless
``MLFLOW_TRACKING_URI`` points elsewhere. Every model is registered as ``whitelist-pd`` with
the alias ``challenger``; promotion to ``champion`` is a separate, gated step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from whitelist.core.errors import InputDataError
from whitelist.models.artefact import ModelArtefact

MODEL_NAME = "whitelist-pd"
EXPERIMENT = "whitelist"
CHALLENGER = "challenger"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"


def _mlflow() -> Any:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def _example(artefact: ModelArtefact, frame: pd.DataFrame) -> pd.DataFrame:
    """Five rows of the model's inputs, categories as text, numbers as floats (so the signature is never empty)."""
    x = artefact.matrix(frame.head(5))
    return pd.DataFrame(
        {f: (x[f].astype("string").astype(object) if f in artefact.categories else x[f].astype("float64")) for f in x}
    )


def log_and_register(model_dir: Path, frame: pd.DataFrame, evaluation: dict[str, Any]) -> dict[str, str]:
    """Log the run (parameters, metrics, evaluation, the pyfunc) and register it as the challenger."""
    mlflow = _mlflow()
    from mlflow.models import infer_signature

    from whitelist.models.pyfunc import ARTIFACT_KEY, WhitelistPdModel

    artefact = ModelArtefact.load(model_dir)
    example = _example(artefact, frame)
    signature = infer_signature(example, artefact.predict(example).reset_index(drop=True))
    mlflow.set_experiment(EXPERIMENT)
    test = evaluation["test"]
    with mlflow.start_run() as run:
        mlflow.log_params({f"lgb.{k}": v for k, v in artefact.meta["params"].items()})
        mlflow.log_params({"seed": artefact.meta["seed"], "trees": artefact.meta["trees"], "split": artefact.meta["split"]["kind"]})
        mlflow.log_metrics(
            {
                "test_auc": test["auc"],
                "test_gini": test["gini"],
                "test_ks": test["ks"],
                "test_brier": test["brier"],
                "test_log_loss": test["log_loss"],
                "test_calibration_error": test["calibration_error"],
                "score_psi": evaluation["psi"]["score"]["value"],
            }
        )
        mlflow.log_text(json.dumps(evaluation, indent=2, sort_keys=True, default=str), "evaluation.json")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=WhitelistPdModel(),
            artifacts={ARTIFACT_KEY: str(model_dir)},
            signature=signature,
            input_example=example,
            pip_requirements=["whitelist", "lightgbm", "pandas", "numpy"],
            registered_model_name=MODEL_NAME,
        )
        run_id = run.info.run_id
    client = mlflow.MlflowClient()
    version = str(info.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
    return {"run_id": run_id, "version": version, "model_uri": f"models:/{MODEL_NAME}@{CHALLENGER}", "tracking_uri": tracking_uri()}


def resolve_model(model: str) -> Path:
    """A model folder as given, or the folder inside a registered MLflow model (``models:/...``)."""
    if not model.startswith(("models:/", "runs:/")):
        return Path(model)
    mlflow = _mlflow()
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds; the user needs one message
        raise InputDataError(f"{model}: no such model in the MLflow store at {tracking_uri()} ({exc})") from exc
    found = sorted(local.glob("**/artefact.json"))
    if not found:
        raise InputDataError(f"{model}: the registered model holds no whitelist artefact")
    return found[0].parent


