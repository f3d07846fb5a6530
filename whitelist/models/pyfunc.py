"""The MLflow flavour: a pyfunc whose output is PD, points and grade from the saved artefact.

The model folder (LightGBM text + JSON) travels as the pyfunc's artifact, so MLflow serves
exactly what ``whitelist predict`` computes. mlflow is imported only here and in the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from whitelist.models.artefact import ModelArtefact

ARTIFACT_KEY = "model_dir"


class WhitelistPdModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Loads the artefact from the logged model folder; ``predict`` returns pd, points, grade."""

    def load_context(self, context: Any) -> None:
        self.artefact = ModelArtefact.load(Path(context.artifacts[ARTIFACT_KEY]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.artefact.predict(model_input, source="MLflow input").reset_index(drop=True)
