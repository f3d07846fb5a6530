"""The scoring artefact: booster, calibrator, feature schema, scorecard and reference bins.

Saved as LightGBM's text model plus one JSON file, never a pickle, so it can be read,
diffed and audited. ``predict`` is the one code path from a table to PD, points and grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist.core.errors import InputDataError, preview
from whitelist.core.io import write_json, write_text
from whitelist.models.calibrate import Calibrator
from whitelist.models.scorecard import Scorecard
from whitelist.models.stability import Bins

MODEL_FILE = "model.txt"
ARTEFACT_FILE = "artefact.json"
EVALUATION_FILE = "evaluation.json"
"""Every figure of the model's evaluation; gates, the model card and the compliance report read it."""
RUN_FILE = "training_run.json"
"""Who trained the model, where and when: the only file of a model folder that differs between re-runs."""
CARD_FILE = "model_card.html"


def model_matrix(
    table: pd.DataFrame, features: tuple[str, ...], categories: dict[str, list[str]], source: str = "table"
) -> pd.DataFrame:
    """The model's columns of ``table``: categories restored, numbers as floats; missing ones named."""
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise InputDataError(
            f"{source}: the model needs {len(missing)} feature(s) the table lacks: {preview(missing)}; "
            "build the table with the same feature definitions as the training data"
        )
    out = {}
    for f in features:
        if f in categories:
            text = table[f].astype("string")
            known = text.where(text.isin(categories[f]))  # an unseen level reads as missing
            out[f] = pd.Categorical(known, categories=categories[f])
        else:
            out[f] = pd.to_numeric(table[f], errors="coerce").astype("float64")
    return pd.DataFrame(out, index=table.index)


@dataclass(frozen=True)
class ModelArtefact:
    booster: lgb.Booster
    features: tuple[str, ...]
    categories: dict[str, list[str]]
    """Levels of each categorical feature, in the order the booster was trained with."""
    calibrator: Calibrator
    scorecard: Scorecard
    score_bins: Bins
    feature_bins: dict[str, Bins] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def matrix(self, table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
        return model_matrix(table, self.features, self.categories, source)

    def raw_score(self, table: pd.DataFrame, source: str = "table") -> np.ndarray:
        return self.booster.predict(self.matrix(table, source), raw_score=True)

    def predict(self, table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
        """PD (rounded to 1e-9, as DESIGN.md sets), points and grade of every row."""
        return self.from_raw_score(self.raw_score(table, source), table.index)

    def from_raw_score(self, raw: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
        """PD, points and grade of raw scores: the one path from the booster's output to a PD."""
        pd_ = np.round(self.calibrator(raw), 9)
        return pd.DataFrame(
            {"pd": pd_, "points": self.scorecard.points(pd_).astype("int64"), "grade": self.scorecard.grade(pd_)},
            index=index,
        )

    def predict_with_id(self, table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
        """``predict`` with the id column the model was trained with in front, when it has one."""
        id_col = self.meta.get("id_col")
        if id_col and id_col not in table.columns:
            raise InputDataError(f"{source}: no id column {id_col!r}, which the model was trained with")
        scored = self.predict(table, source)
        if id_col:
            scored.insert(0, id_col, table[id_col].to_numpy())
        return scored

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / MODEL_FILE, self.booster.model_to_string())
        write_json(
            folder / ARTEFACT_FILE,
            {
                "features": list(self.features),
                "categories": self.categories,
                "calibrator": self.calibrator.to_dict(),
                "scorecard": self.scorecard.model_dump(mode="json"),
                "score_bins": {"edges": list(self.score_bins.edges), "shares": list(self.score_bins.shares)},
                "feature_bins": {
                    k: {"edges": list(b.edges), "shares": list(b.shares)} for k, b in self.feature_bins.items()
                },
                "meta": self.meta,
            },
        )
        return folder

    @classmethod
    def load(cls, folder: Path) -> ModelArtefact:
        model, spec = folder / MODEL_FILE, folder / ARTEFACT_FILE
        if not model.is_file() or not spec.is_file():
            raise InputDataError(f"{folder}: not a model folder (expected {MODEL_FILE} and {ARTEFACT_FILE})")
        d = json.loads(spec.read_text(encoding="utf-8"))
        return cls(
            booster=lgb.Booster(model_str=model.read_text(encoding="utf-8")),
            features=tuple(d["features"]),
            categories=d["categories"],
            calibrator=Calibrator.from_dict(d["calibrator"]),
            scorecard=Scorecard.model_validate(d["scorecard"]),
            score_bins=Bins(edges=tuple(d["score_bins"]["edges"]), shares=tuple(d["score_bins"]["shares"])),
            feature_bins={
                k: Bins(edges=tuple(v["edges"]), shares=tuple(v["shares"])) for k, v in d["feature_bins"].items()
            },
            meta=d["meta"],
        )
