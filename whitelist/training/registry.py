"""Track training runs and register models in MLflow: a local store by default, a server if set.

The store is ``mlflow.db`` (SQLite) with artefacts in ``mlruns/`` in the working folder, unless
``MLFLOW_TRACKING_URI`` points elsewhere. Every model is registered as ``whitelist-pd`` with
the alias ``challenger``; promotion to ``champion`` is a separate step that re-checks the
gates and records who approved it in the promotion log beside the store.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from whitelist.core.errors import GateFailedError, InputDataError
from whitelist.core.artefact_file import read_artefact
from whitelist.models.artefact import RUN_FILE, ModelArtefact
from whitelist.models.meta import TrainingRun
from whitelist.training import trace
from whitelist.training.config import Gates
from whitelist.training.gates import check_gates, failed_message, gates_report
from whitelist.training.promotion_log import LOG_FILE, append_record

MODEL_NAME = "whitelist-pd"
EXPERIMENT = "whitelist"
CHALLENGER = "challenger"
CHAMPION = "champion"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"


def store_folder() -> Path:
    """The folder of a local store (SQLite file or file store); the working folder for a server."""
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).parent
    if uri.startswith("file://"):
        return Path(uri.removeprefix("file://")).parent
    if "://" not in uri:
        return Path(uri).parent
    return Path.cwd()


def promotion_log_path() -> Path:
    return store_folder() / LOG_FILE


def _mlflow() -> Any:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # our own bars and tables suffice
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def _example(artefact: ModelArtefact, rows: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs of a few rows, categories as text, numbers as floats (so the signature is never empty)."""
    x = artefact.matrix(rows)
    return pd.DataFrame(
        {f: (x[f].astype("string").astype(object) if f in artefact.categories else x[f].astype("float64")) for f in x}
    )


def log_and_register(model_dir: Path, examples: pd.DataFrame, evaluation: dict[str, Any]) -> dict[str, str]:
    """Log the run (parameters, metrics, evaluation, the pyfunc) and register it as the challenger."""
    mlflow = _mlflow()
    from mlflow.models import infer_signature

    from whitelist.models.pyfunc import ARTIFACT_KEY, WhitelistPdModel

    artefact = ModelArtefact.load(model_dir)
    example = _example(artefact, examples)
    signature = infer_signature(example, artefact.predict(example).reset_index(drop=True))
    mlflow.set_experiment(EXPERIMENT)
    test = evaluation["test"]
    meta = artefact.about
    run_file = model_dir / RUN_FILE
    context = read_artefact(TrainingRun, run_file) if run_file.is_file() else None
    operator = context.operator if context else trace.operator()
    code = meta.trace.code if meta.trace else None  # unknown, never today's checkout in its place
    data = meta.training_data
    with mlflow.start_run() as run:
        mlflow.set_tags(
            {
                "operator": operator,
                "host": context.host if context else socket.gethostname(),
                "whitelist.version": code.whitelist if code else None,
                "git.commit": (code.git_commit if code else None) or "unknown",
                "git.dirty": str(code.git_dirty if code else None),
                "data.file": data.file if data else None,
                "data.sha256": data.sha256 if data else None,
                "data.rows": data.rows if data else None,
                "data.as_of": ",".join((data.panel.as_of or []) if data and data.panel else []) or "n/a",
                "gates.passed": str(evaluation.get("gates", {}).get("passed")),
            }
        )
        mlflow.log_params({f"lgb.{k}": v for k, v in (meta.params or {}).items()})
        mlflow.log_params({"seed": meta.seed, "trees": meta.trees or 0, "split": meta.split.kind, "model_kind": meta.kind})
        if "candidates" in evaluation:
            mlflow.log_dict(evaluation["candidates"], "candidates.json")
        mlflow.log_params({"monotone": ",".join(f"{k}:{v}" for k, v in sorted(meta.monotone.items())) or "none"})
        mlflow.log_dict(meta.trace.model_dump(mode="json") if meta.trace else {}, "trace.json")
        mlflow.log_dict(data.model_dump(mode="json") if data else {}, "training_data.json")
        if meta.tuning:
            mlflow.log_dict(meta.tuning.model_dump(mode="json"), "tuning.json")
        if meta.config:
            mlflow.log_dict(meta.config, "train_config.json")
        mlflow.log_metrics(
            {
                "test_auc": test["auc"],
                "test_gini": test["gini"],
                "test_ks": test["ks"],
                "test_brier": test["brier"],
                "test_log_loss": test["log_loss"],
                "test_calibration_error": test["calibration_error"],
                "score_psi": evaluation["psi"]["score"]["value"],
                "train_auc": evaluation["train"]["auc"],
                "monotonicity_violations": evaluation.get("monotonicity", {}).get("violations", 0),
                "gates_passed": float(bool(evaluation.get("gates", {}).get("passed"))),
                **{f"oof_auc_{k}": v for k, v in evaluation.get("candidates", {}).get("oof_auc", {}).items()},
                **({"benchmark_scorecard_test_auc": evaluation["benchmark"]["scorecard"]["auc"]}
                   if "benchmark" in evaluation else {}),
            }
        )
        card = model_dir / "model_card.html"
        if card.is_file():
            mlflow.log_artifact(str(card))
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
    client.set_model_version_tag(MODEL_NAME, version, "gates.passed", str(evaluation.get("gates", {}).get("passed")))
    client.set_model_version_tag(MODEL_NAME, version, "operator", operator)
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




def _version_evaluation(client: Any, version: str) -> tuple[Any, dict[str, Any]]:
    from mlflow.exceptions import MlflowException

    mlflow = _mlflow()
    try:
        mv = client.get_model_version(MODEL_NAME, version)
    except MlflowException as exc:
        raise InputDataError(f"{MODEL_NAME} version {version}: not in the MLflow store at {tracking_uri()}") from exc
    try:
        evaluation = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/evaluation.json")
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds; the user needs one message
        raise InputDataError(f"{MODEL_NAME} version {version}: its run {mv.run_id} holds no evaluation.json") from exc
    return mv, evaluation


def _current_champion(client: Any) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION).version)
    except MlflowException:
        return None


def promote(version: str, approved_by: str, gates: Gates, note: str = "") -> dict[str, Any]:
    """Make ``version`` the champion if its gates pass and its approver is not its trainer; log the attempt.

    Refusals are logged too: the log shows every decision about the champion, not only the yes.
    """
    approver = approved_by.strip()
    if not approver:
        raise InputDataError("--approved-by must name the person approving the promotion")
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    mv, evaluation = _version_evaluation(client, version)
    trainer = client.get_run(mv.run_id).data.tags.get("operator")
    checks = check_gates(evaluation, gates)
    report = gates_report(checks)
    previous = _current_champion(client)
    independent = trainer is None or trainer != approver
    problems = [failed_message(checks)] if not report["passed"] else []
    if not independent:
        problems.append(f"  independent approval: {approver} trained this model; another person must approve it (SR 11-7)")
    record = {
        "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "model": MODEL_NAME,
        "version": str(version),
        "run_id": mv.run_id,
        "approved_by": approver,
        "trained_by": trainer,
        "note": note,
        "previous_champion": previous,
        "gates": {**report, "config": gates.model_dump(mode="json")},
        "outcome": "promoted" if report["passed"] and independent else "refused",
    }
    log = promotion_log_path()
    written = append_record(log, record)
    if written["outcome"] == "refused":
        raise GateFailedError(
            f"{MODEL_NAME} version {version} was not promoted; the refusal is recorded in {log}:\n" + "\n".join(problems)
        )
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, str(version))
    client.set_model_version_tag(MODEL_NAME, str(version), "approved_by", approver)
    client.set_model_version_tag(MODEL_NAME, str(version), "approved_at", record["at"])
    return {**written, "log": str(log), "checks": checks}
