"""What a model folder says about how its model was made: ``artefact.json``'s ``meta`` and ``training_run.json``.

Training writes both; scoring, serving, the model card, the registry and the compliance report
read them. Declared here, in the models layer, because the model card (this layer) reads them
and training (above) writes them. Blocks that are records to show, not to compute with (the
LightGBM parameters, a panel's manifest, the training config), stay plain mappings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from whitelist.core.artefact_file import Artefact, parse_artefact, read_json

ARTEFACT_FILE = "artefact.json"
"""A model folder's description: features, calibrator, scorecard, bins and ``meta`` (``ModelArtefact``)."""
RUN_FILE = "training_run.json"
"""Who trained the model, where and when: the only file of a model folder that differs between re-runs."""

ModelKind = Literal["lightgbm", "scorecard", "blend"]


class PanelTrace(Artefact):
    """A government feature panel's manifest, in brief: the model was trained on the engine's own features."""

    as_of: list[str] | None = None
    population: Any = None
    label: Any = None
    window: Any = None
    inputs: Any = None
    feature_definitions: int = 0
    engine_version: str | None = None


class TrainingData(Artefact):
    file: str
    sha256: str
    rows: int
    panel: PanelTrace | None = None
    """Present when the table is a ``whitelist features --labels`` panel (its manifest beside it)."""


class CodeVersion(Artefact):
    whitelist: str
    git_commit: str | None
    git_dirty: bool | None


class Environment(Artefact):
    python: str
    packages: dict[str, str | None]


class Trace(Artefact):
    code: CodeVersion
    environment: Environment


class Tuning(Artefact):
    trials: list[dict[str, Any]]
    best_validation_auc: float | None
    storage: str | None
    study: str | None
    stopped_by: str | None
    time_budget: int | float | None


class Split(Artefact):
    kind: str
    rows: dict[str, int]
    periods: Any = None
    entities: Any = None
    unused_rows: Any = None
    folds: dict[str, Any]


class ModelMeta(Artefact):
    """How the model was trained. ``training_data``, ``trace`` and ``config`` are added when training
    saves a model folder (``train``, ``train --table``); a model fitted in memory has none yet."""

    engine_version: str
    python: str
    lightgbm: str
    target: str
    id_col: str | None
    time_col: str | None
    seed: int
    kind: ModelKind
    model: dict[str, Any]
    """The model's own description (kind, trees, blend weight, characteristics)."""
    refit_all: bool
    params: dict[str, Any] | None
    """LightGBM's parameters; None for a scorecard."""
    monotone: dict[str, int]
    excluded: list[str]
    trees: int | None
    tuning: Tuning | None
    split: Split
    training_data: TrainingData | None = None
    trace: Trace | None = None
    config: dict[str, Any] | None = None
    """The training config as given (``configs/train.yaml``), for ``train`` from a config."""
    timing_only: str | None = None
    """Set on a benchmark's artefact whose booster was swapped in for timing: its decisions are not a model's."""

    @property
    def on_government_panel(self) -> bool:
        """True when trained on the engine's own feature panel, so its features are the declared ones."""
        return self.training_data is not None and self.training_data.panel is not None

    @property
    def git_commit(self) -> str | None:
        return self.trace.code.git_commit if self.trace else None


class TrainingRun(Artefact):
    """``training_run.json``: who trained the model, where and when; the only file that differs between re-runs."""

    operator: str
    host: str
    platform: str
    started: str
    finished: str


def read_model_meta(artefact_json: Path) -> ModelMeta | None:
    """The ``meta`` of a model folder's ``artefact.json`` without loading the model (pages, reports)."""
    data = read_json(artefact_json)
    meta = data.get("meta") if isinstance(data, dict) else None
    return parse_artefact(ModelMeta, meta, f"{artefact_json} meta") if meta else None
