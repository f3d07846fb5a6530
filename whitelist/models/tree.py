"""The LightGBM model kind: a booster kept as LightGBM's own text model, explained by exact TreeSHAP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from whitelist.core.errors import InputDataError
from whitelist.core.io import write_text
from whitelist.models.contributions import DEFAULT_METHOD, Contributor, contributor
from whitelist.models.kinds import Importance

MODEL_FILE = "model.txt"


@dataclass(frozen=True, eq=False)
class TreeModel:
    """Gradient-boosted trees; the raw score is the booster's log-odds."""

    booster: lgb.Booster
    kind: str = "lightgbm"

    @property
    def n_features(self) -> int:
        return int(self.booster.num_feature())

    def raw_score(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(array, raw_score=True), dtype=np.float64)

    def explainer(self, method: str = DEFAULT_METHOD) -> Contributor:
        return contributor(self.booster, method)  # type: ignore[arg-type]

    def importance(self) -> Importance:
        gain = self.booster.feature_importance(importance_type="gain")
        return Importance("total split gain", {f: float(g) for f, g in zip(self.booster.feature_name(), gain, strict=True)})

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "trees": self.booster.num_trees()}

    def files(self) -> tuple[str, ...]:
        return (MODEL_FILE,)

    def save(self, folder: Path) -> dict[str, Any]:
        write_text(folder / MODEL_FILE, self.booster.model_to_string())
        return {"kind": self.kind, "file": MODEL_FILE}

    @classmethod
    def load(cls, folder: Path, spec: dict[str, Any], features: tuple[str, ...],
             categories: dict[str, list[str]]) -> TreeModel:
        path = folder / spec.get("file", MODEL_FILE)
        if not path.is_file():
            raise InputDataError(f"{folder}: not a model folder (expected {path.name} beside artefact.json)")
        return cls(lgb.Booster(model_str=path.read_text(encoding="utf-8")))

