"""The training config (``configs/train.yaml``): data, search space, monotone constraints, scorecard, gates.

Risk teams edit this file, so everything that changes a model lives here as data: which
features may only raise risk, how far tuning may reach, what points and grades mean, and
which figures a model must reach before it may become the champion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from whitelist.core.config import StrictModel, load_config
from whitelist.models.scorecard import Scorecard
from whitelist.models.stability import PSI_SHIFT
from whitelist.training.tune import TUNABLE, Range
from whitelist.training.woe_fit import WoeSettings

DEFAULT_TRAIN_CONFIG = Path(__file__).with_name("train.yaml")
"""The packaged default, identical to ``configs/train.yaml`` (a test keeps them in sync)."""


class DataConfig(StrictModel):
    """Where the labelled panel comes from: a built feature table, or a validated folder and month ends."""

    features: Path | None = Field(None, description="labelled feature table from `whitelist features --labels`")
    validated: Path | None = Field(None, description="validated folder to build the panel from")
    as_of: str | None = Field(None, description="month ends of the panel, e.g. 2022-07-31..2023-12-31")

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        if (self.features is None) == (self.validated is None):
            raise ValueError("give either data.features (a labelled feature table) or data.validated with data.as_of")
        if self.validated is not None and not self.as_of:
            raise ValueError("data.validated needs data.as_of: the month ends of the training panel")
        return self


class SpaceRange(StrictModel):
    low: float
    high: float
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> SpaceRange:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log-scaled range needs low > 0")
        return self


class WoeConfig(StrictModel):
    """How the WoE scorecard (a model kind, and the benchmark beside every model) is fitted."""

    min_iv: float = Field(0.02, ge=0.0, description="characteristics with a lower information value are left out")
    max_n_prebins: int = Field(20, ge=2, le=100, description="quantile pre-bins optbinning merges from")
    min_prebin_size: float = Field(0.05, gt=0.0, le=0.5, description="smallest pre-bin, as a share of the rows")
    special_codes: tuple[float, ...] = Field((), description="numeric codes that mean 'not a value' (own bin)")
    c: float = Field(1.0, gt=0.0, description="inverse L2 strength of the logistic regression")

    def settings(self) -> WoeSettings:
        return WoeSettings(min_iv=self.min_iv, max_n_prebins=self.max_n_prebins, min_prebin_size=self.min_prebin_size,
                           special_codes=self.special_codes, c=self.c)


class Gates(StrictModel):
    """What a model must show on the out-of-time part before ``promote`` makes it the champion."""

    min_test_auc: float = Field(0.70, ge=0.5, le=1.0)
    min_test_ks: float = Field(0.30, ge=0.0, le=1.0)
    max_score_psi: float = Field(PSI_SHIFT, gt=0.0, description="PSI of the PD between training and out-of-time rows")
    max_feature_psi: float | None = Field(
        None, gt=0.0, description="largest PSI allowed for any feature; leave empty to report feature drift only"
    )
    max_calibration_error: float = Field(0.02, gt=0.0, description="rows-weighted |mean PD - bad rate| by decile")
    max_monotonicity_violations: int = Field(0, ge=0, description="paired rows whose PD fell when a constrained feature rose")


class FitConfig(StrictModel):
    """Every setting of a fit and its one default: ``train --config`` reads them from YAML, ``train --table``
    and the tests build one in code, and ``train_table`` reads nothing else."""

    target: str = "default_12m"
    id_col: str | None = "uscc"
    time_col: str | None = "as_of"
    seed: int = 0
    trials: int | None = Field(
        30, ge=0, description="Optuna trials; 0 trains with the sized defaults; empty: as many as time_budget allows"
    )
    time_budget: float | None = Field(
        None, gt=0, description="seconds the whole train command may take, panel included; tuning gets what the rest "
        "leaves and starts no trial that would overrun (empty: no limit)"
    )
    model_kind: Literal["auto", "lightgbm", "scorecard", "blend"] = Field(
        "auto", description="auto keeps the best out-of-fold AUC of lightgbm, scorecard and blend; pin one if required"
    )
    refit_all: bool = Field(
        False, description="refit the chosen model on the test part too, after it is evaluated without it"
    )
    woe: WoeConfig = Field(default_factory=WoeConfig)
    max_trees: int = Field(400, ge=10, le=5000, description="most boosting rounds; early stopping on the folds sets the count")
    search_space: dict[str, SpaceRange] = Field(
        default_factory=dict, description="ranges that replace or widen the default search space"
    )
    exclude: tuple[str, ...] = Field(
        (), description="columns of the panel the model may not use (kept for policy, segments and fairness checks)"
    )
    monotone: dict[str, Literal[-1, 1]] = Field(
        default_factory=dict, description="feature -> +1 (more means more risk) or -1 (more means less risk)"
    )
    monotone_method: Literal["basic", "intermediate", "advanced"] = Field(
        "intermediate", description="LightGBM's constraint method; the paired-row check verifies any of them "
        "(advanced leaked on the 20k demo panel where intermediate did not: docs/decisions.md)"
    )
    shap_sample: int = Field(
        20_000, ge=100, description="out-of-time rows behind the mean |SHAP| importance: stable ranks, quick at province scale"
    )
    enterprise_sample: float | None = Field(
        None, gt=0.0, le=1.0,
        description="share of enterprises trained on (all their as-of dates), by a stable hash of the id; "
        "for a province panel too large for one machine; empty: every row",
    )
    reason_retrains: int = Field(
        3, ge=0, le=50, description="bootstrap refits that measure how stable each enterprise's top reason is (0: skip)"
    )
    scorecard: Scorecard = Field(default_factory=Scorecard)
    gates: Gates = Field(default_factory=Gates)

    @model_validator(mode="after")
    def _known_parameters(self) -> FitConfig:
        both = sorted(set(self.exclude) & set(self.monotone))
        if both:
            raise ValueError(f"exclude and monotone both name {', '.join(both)}: a feature is either used or not")
        unknown = sorted(set(self.search_space) - TUNABLE)
        if unknown:
            raise ValueError(f"search_space: {', '.join(unknown)} cannot be tuned; tunable: {', '.join(sorted(TUNABLE))}")
        if self.trials is None and self.time_budget is None:
            raise ValueError("trials is empty and so is time_budget: give a trial count, a time budget or both")
        return self

    def space(self) -> dict[str, Range]:
        """This config's ranges, laid over the default space sized to the data at training time."""
        return {name: Range(low=r.low, high=r.high, log=r.log, integer=r.integer) for name, r in self.search_space.items()}


class TrainConfig(FitConfig):
    """``configs/train.yaml``: where the panel comes from, and the fit."""

    data: DataConfig

    def fit(self) -> FitConfig:
        """The fitting settings alone, as ``train_table`` takes them."""
        return FitConfig.model_validate(self.model_dump(exclude={"data"}))


def load_train_config(path: Path | None = None) -> TrainConfig:
    """``path``, or the packaged default when none is given."""
    return load_config(TrainConfig, path or DEFAULT_TRAIN_CONFIG)
