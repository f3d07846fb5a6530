"""The scoring artefact: a model of some kind, calibrator, feature schema, scorecard and reference bins.

Saved as the model kind's own files (LightGBM's text model, a scorecard's JSON, or both for a
blend) plus one JSON file, never a pickle, so it can be read, diffed and audited. ``predict``
is the one code path from a table to PD, points and grade, whatever the kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hashlib
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist.core.artefact_file import parse_artefact
from whitelist.core.errors import InputDataError, preview
from whitelist.core.io import file_sha256, write_json
from whitelist.models.blend import BlendModel
from whitelist.models.calibrate import Calibrator
from whitelist.models.contributions import DEFAULT_METHOD
from whitelist.models.kinds import Explainer, ScoringModel, as_array
from whitelist.models.meta import ARTEFACT_FILE, RUN_FILE, ModelMeta
from whitelist.models.scorecard import Scorecard
from whitelist.models.stability import Bins
from whitelist.models.tree import MODEL_FILE, TreeModel
from whitelist.models.woe import WoeScorecard

KINDS: dict[str, Callable[[Path, dict[str, Any], tuple[str, ...], dict[str, list[str]]], ScoringModel]] = {
    "lightgbm": TreeModel.load,
    "scorecard": WoeScorecard.load,
    "blend": BlendModel.load,
}
"""Model kind named in ``artefact.json`` -> how to load it from its folder."""
EVALUATION_FILE = "evaluation.json"
"""Every figure of the model's evaluation; gates, the model card and the compliance report read it."""
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
    model: ScoringModel
    features: tuple[str, ...]
    categories: dict[str, list[str]]
    """Levels of each categorical feature, in the order the booster was trained with."""
    calibrator: Calibrator
    scorecard: Scorecard
    score_bins: Bins
    feature_bins: dict[str, Bins] = field(default_factory=dict)
    meta: ModelMeta | None = None
    """How the model was trained; None only while training is still building it."""

    def matrix(self, table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
        return model_matrix(table, self.features, self.categories, source)

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def about(self) -> ModelMeta:
        """``meta`` of a finished model (every saved one has it)."""
        if self.meta is None:
            raise InputDataError("this model has no training record (artefact.json meta); train it again")
        return self.meta

    @property
    def id_col(self) -> str | None:
        return self.meta.id_col if self.meta else None

    @property
    def on_government_panel(self) -> bool:
        """Trained on the engine's own feature panel: its features are the declared ones, reason groups strict."""
        return self.meta is not None and self.meta.on_government_panel

    @property
    def booster(self) -> lgb.Booster:
        """The LightGBM part of a lightgbm or blend model (tree-only checks and benchmarks)."""
        tree = self.model if isinstance(self.model, TreeModel) else getattr(self.model, "tree", None)
        if not isinstance(tree, TreeModel):
            raise InputDataError(f"a {self.kind} model has no LightGBM booster")
        return tree.booster

    def array(self, table: pd.DataFrame, source: str = "table") -> np.ndarray:
        """The rows of ``table`` in the model's float form (``as_array`` of ``matrix``)."""
        return as_array(self.matrix(table, source))

    def raw_score(self, table: pd.DataFrame, source: str = "table") -> np.ndarray:
        return self.model.raw_score(self.array(table, source))

    def explainer(self, method: str = DEFAULT_METHOD) -> Explainer:
        """Exact contributions of this model's raw score, by ``method`` where the kind has a choice."""
        return self.model.explainer(method)

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
        id_col = self.id_col
        if id_col and id_col not in table.columns:
            raise InputDataError(f"{source}: no id column {id_col!r}, which the model was trained with")
        scored = self.predict(table, source)
        if id_col:
            scored.insert(0, id_col, table[id_col].to_numpy())
        return scored

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        model = self.model.save(folder)
        write_json(
            folder / ARTEFACT_FILE,
            {
                "model": model,
                "features": list(self.features),
                "categories": self.categories,
                "calibrator": self.calibrator.to_dict(),
                "scorecard": self.scorecard.model_dump(mode="json"),
                "score_bins": {"edges": list(self.score_bins.edges), "shares": list(self.score_bins.shares)},
                "feature_bins": {
                    k: {"edges": list(b.edges), "shares": list(b.shares)} for k, b in self.feature_bins.items()
                },
                "meta": self.meta.model_dump(mode="json", exclude_unset=True) if self.meta else {},
            },
        )
        return folder

    @classmethod
    def load(cls, folder: Path) -> ModelArtefact:
        spec = folder / ARTEFACT_FILE
        if not spec.is_file():
            raise InputDataError(f"{folder}: not a model folder (expected {ARTEFACT_FILE} and the model's files)")
        d = json.loads(spec.read_text(encoding="utf-8"))
        features, categories = tuple(d["features"]), d["categories"]
        return cls(
            model=load_model(folder, d.get("model", {"kind": "lightgbm", "file": MODEL_FILE}), features, categories),
            features=features,
            categories=categories,
            calibrator=Calibrator.from_dict(d["calibrator"]),
            scorecard=Scorecard.model_validate(d["scorecard"]),
            score_bins=Bins(edges=tuple(d["score_bins"]["edges"]), shares=tuple(d["score_bins"]["shares"])),
            feature_bins={
                k: Bins(edges=tuple(v["edges"]), shares=tuple(v["shares"])) for k, v in d["feature_bins"].items()
            },
            meta=parse_artefact(ModelMeta, d["meta"], f"{spec} meta") if d["meta"] else None,
        )


def load_model(
    folder: Path, spec: dict[str, Any], features: tuple[str, ...], categories: dict[str, list[str]]
) -> ScoringModel:
    """The model a folder holds, by the kind ``artefact.json`` names."""
    kind = spec.get("kind", "lightgbm")
    if kind not in KINDS:
        raise InputDataError(
            f"{folder}: model kind {kind!r} is not known to this version of whitelist (known: {', '.join(sorted(KINDS))}); "
            "upgrade whitelist or retrain the model"
        )
    return KINDS[kind](folder, spec, features, categories)


def model_files(folder: Path) -> tuple[str, ...]:
    """The files that define a folder's model, in a fixed order (``artefact.json`` names them)."""
    spec = folder / ARTEFACT_FILE
    if not spec.is_file():
        return (MODEL_FILE,)
    model = json.loads(spec.read_text(encoding="utf-8")).get("model", {"kind": "lightgbm", "file": MODEL_FILE})
    parts = [model[k] for k in ("lightgbm", "scorecard") if k in model] or [model]
    return tuple(p["file"] for p in parts)


def model_digest(folder: Path) -> str | None:
    """SHA-256 of a model folder's model: of ``model.txt`` alone for LightGBM (as runs have always recorded
    it), else of the kind's files' names and hashes together; None when a file is missing."""
    names = model_files(folder)
    if not all((folder / n).is_file() for n in names):
        return None
    if len(names) == 1 and names[0] == MODEL_FILE:
        return file_sha256(folder / MODEL_FILE)
    joined = "\n".join(f"{n} {file_sha256(folder / n)}" for n in names)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()
