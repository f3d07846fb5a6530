"""A small province with a real model and its scoring set, shared by the scoring, serving, explain and fault tests.

The fixture is registered once, by the root ``tests/conftest.py``: a session fixture imported into
several conftest files or test modules is a separate fixture in each, built again for each (about
45 s apiece), so nothing else imports ``scoring_case``; test modules import ``ScoringCase`` for types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from whitelist.core.io import write_json
from whitelist.features.build import build_features, parse_as_of
from whitelist.models.artefact import EVALUATION_FILE
from whitelist.features.spec import load_features
from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
from whitelist.scoring.config import DEFAULT_POLICY, PolicyConfig, load_policy
from whitelist.scoring.run import ScoreRequest
from whitelist.training.config import FitConfig
from whitelist.training.fit import train_table

SCORING_DATE = date(2024, 12, 31)


def quick_fit(**given: object) -> FitConfig:
    """Fit settings for a test: no tuning, no reason retrains, no id or time column unless ``given``.

    The fast choices are made here, explicitly; every other setting is ``FitConfig``'s default.
    """
    return FitConfig.model_validate({"id_col": None, "time_col": None, "trials": 0, "reason_retrains": 0, **given})


WHITELIST_SHARE = 0.2


def _fitted_policy(path: Path, pds: pd.Series) -> Path:
    """The packaged policy with its whitelist cutoff at this model's ``WHITELIST_SHARE`` PD quantile.

    A 2,000-entity province holds about 350 labelled borrowers and a dozen defaulting ones: its
    models' PDs sit near the base rate, and whether any falls under the packaged 2% cutoff is
    chance. A cutoff placed among the model's own PDs gives the tests whitelisted enterprises
    whatever the model learns, and, being a cutoff, real-time scoring repeats it row by row.
    """
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    cutoff = float(np.sort(pds.to_numpy())[int(WHITELIST_SHARE * len(pds))])
    decision = policy["decision"]
    policy["decision"] = {**decision, "whitelist_max_pd": cutoff, "review_max_pd": max(decision["review_max_pd"], cutoff)}
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class ScoringCase:
    validated: Path
    features: Path
    model: Path
    blend: Path
    """A blend of LightGBM and a WoE scorecard, trained on the same panel."""
    scorecard: Path
    """A WoE scorecard model trained on the same panel."""
    policy_path: Path
    """The default policy with its whitelist cutoff placed among the model's PDs (``_fitted_policy``)."""

    @property
    def policy(self) -> PolicyConfig:
        return load_policy(self.policy_path)

    def request(self, out: Path, policy: PolicyConfig | None = None, **changes: object) -> ScoreRequest:
        base = dict(
            model_dir=self.model, model_ref=str(self.model), features=self.features, raw=self.validated,
            policy=policy or self.policy, policy_path=self.policy_path, reasons=load_reasons(),
            reasons_path=DEFAULT_REASONS, out=out,
        )
        base.update(changes)
        return ScoreRequest(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def scoring_case(province: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> ScoringCase:
    """Features of the shared 2,000-entity province, and LightGBM, blend and scorecard models trained on its panel.

    A blend exercises both other kinds at once (its trees and its WoE scorecard). Runs use the
    policy of ``_fitted_policy``, whose whitelist does not depend on this small panel's calibration.
    """
    _, validated = province
    root = tmp_path_factory.mktemp("scoring")
    spec = load_features()
    panel = build_features(validated, parse_as_of("2022-07-31..2023-12-31"), root / "train.parquet", spec, labels=True)
    score = build_features(validated, [SCORING_DATE], root / "score.parquet", spec)
    frame = pd.read_parquet(panel.path).drop(columns=["reg_region_category", "reg_industry_category"])
    panel_fit = quick_fit(target="default_12m", id_col="uscc", time_col="as_of")
    trained = train_table(frame, panel_fit.model_copy(update={"reason_retrains": 2, "model_kind": "lightgbm"}), source="panel")
    trained.artefact.save(root / "model")
    policy = _fitted_policy(root / "policy.yaml", trained.artefact.predict(pd.read_parquet(score.path))["pd"])
    write_json(root / "model" / EVALUATION_FILE, trained.evaluation)
    for kind in ("blend", "scorecard"):
        other = train_table(frame, panel_fit.model_copy(update={"model_kind": kind}), source="panel")
        other.artefact.save(root / kind)
        write_json(root / kind / EVALUATION_FILE, other.evaluation)
    return ScoringCase(validated=validated, features=score.path, model=root / "model", blend=root / "blend",
                       scorecard=root / "scorecard", policy_path=policy)
