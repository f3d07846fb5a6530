"""Traceability a model-risk reviewer asks for (SR 11-7; PBOC JR/T 0221-2021).

What the model was trained on (file, checksums, window, sources), with which code and
packages, and by whom. The reproducible part goes into the artefact; who ran it, where and
when goes into ``training_run.json`` and the MLflow run, so the same data, config and seed
still give the same artefact bytes.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from whitelist import __version__
from whitelist.core.io import file_sha256
from whitelist.models.meta import CodeVersion, Environment, PanelTrace, TrainingData, TrainingRun

PACKAGES = ("lightgbm", "optuna", "mlflow", "shap", "scikit-learn", "pandas", "numpy", "pyarrow", "duckdb", "pydantic")
OPERATOR_ENV = "WHITELIST_OPERATOR"
"""Set to the person accountable for a run when the login name is a shared service account."""


def environment() -> Environment:
    """Python and the versions of the packages that decide what a model computes."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return Environment(python=platform.python_version(), packages=versions)


def code_version() -> CodeVersion:
    """The engine's version, and its git commit when it runs from a checkout (with a dirty flag)."""
    here = Path(__file__).resolve().parent
    out = CodeVersion(whitelist=__version__, git_commit=None, git_dirty=None)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=here.parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return out
    return CodeVersion(whitelist=__version__, git_commit=commit or None, git_dirty=bool(status.strip()))


def operator() -> str:
    return os.environ.get(OPERATOR_ENV) or getpass.getuser()


def run_context(started: str, finished: str) -> TrainingRun:
    """Who ran training, where and when: kept out of the artefact so it stays reproducible."""
    return TrainingRun(operator=operator(), host=socket.gethostname(), platform=platform.platform(),
                       started=started, finished=finished)


def training_data(table: Path, rows: int) -> TrainingData:
    """The table's checksum and size and, for a feature panel, its manifest's window, dates and inputs."""
    out: dict[str, Any] = {"file": table.name, "sha256": file_sha256(table), "rows": rows}
    from whitelist.features.build import manifest_path  # DuckDB only when a panel is traced

    manifest = manifest_path(table)
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        out["panel"] = PanelTrace(
            as_of=m.get("as_of"),
            population=m.get("population"),
            label=m.get("label"),
            window=m.get("window"),
            inputs=m.get("inputs"),
            feature_definitions=len(m.get("features", [])) + len(m.get("derived", [])) + len(m.get("peers", [])),
            engine_version=m.get("engine_version"),
        )
    return TrainingData(**out)
