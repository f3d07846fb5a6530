"""A small province with a real model and its scoring set, shared by the scoring tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from whitelist.core.io import write_json
from whitelist.features.build import build_features, parse_as_of
from whitelist.models.artefact import EVALUATION_FILE
from whitelist.features.spec import load_features
from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
from whitelist.scoring.config import DEFAULT_POLICY, PolicyConfig, load_policy
from whitelist.scoring.run import ScoreRequest
from whitelist.training.fit import train_table

SCORING_DATE = date(2024, 12, 31)


@dataclass(frozen=True)
class ScoringCase:
    validated: Path
    features: Path
    model: Path
    blend: Path
    """A blend of LightGBM and a WoE scorecard, trained on the same panel."""
    scorecard: Path
    """A WoE scorecard model trained on the same panel."""

    def request(self, out: Path, policy: PolicyConfig | None = None, **changes: object) -> ScoreRequest:
        base = dict(
            model_dir=self.model, model_ref=str(self.model), features=self.features, raw=self.validated,
            policy=policy or load_policy(), policy_path=DEFAULT_POLICY, reasons=load_reasons(),
            reasons_path=DEFAULT_REASONS, out=out,
        )
        base.update(changes)
        return ScoreRequest(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def scoring_case(province: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> ScoringCase:
    """Features of the shared 2,000-entity province, and LightGBM, blend and scorecard models trained on its panel.

    A blend exercises both other kinds at once (its trees and its WoE scorecard). On this small
    province its out-of-fold PDs sit near the base rate, above the policy's whitelist cutoff, so the
    tests that need whitelisted enterprises use the LightGBM model.
    """
    _, validated = province
    root = tmp_path_factory.mktemp("scoring")
    spec = load_features()
    panel = build_features(validated, parse_as_of("2022-07-31..2023-12-31"), root / "train.parquet", spec, labels=True)
    score = build_features(validated, [SCORING_DATE], root / "score.parquet", spec)
    frame = pd.read_parquet(panel.path).drop(columns=["reg_region_category", "reg_industry_category"])
    trained = train_table(
        frame, target="default_12m", id_col="uscc", time_col="as_of", source="panel", reason_retrains=2,
        model_kind="lightgbm",
    )
    trained.artefact.save(root / "model")
    write_json(root / "model" / EVALUATION_FILE, trained.evaluation)
    for kind in ("blend", "scorecard"):
        other = train_table(frame, target="default_12m", id_col="uscc", time_col="as_of", source="panel", model_kind=kind)
        other.artefact.save(root / kind)
        write_json(root / kind / EVALUATION_FILE, other.evaluation)
    return ScoringCase(validated=validated, features=score.path, model=root / "model", blend=root / "blend",
                       scorecard=root / "scorecard")
