"""Real-time scoring of one enterprise's feature payload, with the run's model and policy.

The same engine as the batch run, on a one-row population: the declared rules, the model's PD
and grade, the limit, the rate and the reasons. What needs the whole population is not applied
to one row: related parties (a shared legal representative), the group cap, concentration caps
and the contact plan; the answer says so. The model must be the one the run used: its
model hash (``models.artefact.model_digest``) is checked against the run's manifest when the server starts.
A policy that whitelists a target volume is applied as the PD cutoff the run realised.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from whitelist.core.config import parse_config
from whitelist.core.errors import ConfigError, InputDataError, preview
from whitelist.core.io import file_sha256
from whitelist.explain.run_folder import RunFolder
from whitelist.features.bounds import feature_bounds
from whitelist.features.spec import load_features
from whitelist.models.artefact import ModelArtefact, model_digest
from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
from whitelist.scoring.config import Decision, PolicyConfig
from whitelist.scoring.policy.engine import POLICY_INPUTS, decide, screen
from whitelist.scoring.predict import score_array
from whitelist.scoring.reason_codes import reason_columns

OPTIONAL = ("entity_type", "industry", "region")
"""Registry attributes the policy reads when given (caps by entity type, segments); null otherwise."""
NOT_APPLIED = ("RP01", "RP02", "CC01", "CC02")
"""Checks that need the whole population, left out for one enterprise."""
Value = float | int | str | bool | None


class RealtimeScorer:
    def __init__(self, run: RunFolder, model_dir: Path) -> None:
        manifest = run.manifest
        expected = manifest.model.model_sha256
        found = model_digest(model_dir)
        if found != expected:
            raise ConfigError(
                f"{model_dir}: not the model of run {run.path} (its model has SHA-256 {found}, the run's manifest "
                f"{expected}); give --model the folder the run was scored with ({manifest.model.ref})"
            )
        self.model_version = {"ref": manifest.model.ref, "model_sha256": expected}
        self.artefact = ModelArtefact.load(model_dir)
        self.policy = _one_row_policy(
            parse_config(PolicyConfig, manifest.policy.config, source=f"{run.path / 'manifest.json'} policy"), run
        )
        reasons_path = Path(manifest.reasons.path)
        if not (reasons_path.is_file() and file_sha256(reasons_path) == manifest.reasons.sha256):
            reasons_path = DEFAULT_REASONS
        government = self.artefact.on_government_panel
        self.groups = load_reasons(reasons_path).group_map(self.artefact.features, strict=government)
        self.as_of = manifest.as_of
        self.run_date = manifest.run_date
        self.features = load_features()
        self.bounds = feature_bounds(self.features)
        self.explain = self.artefact.explainer()
        # A category's code is its place among the trained levels (an unseen one is missing), as
        # ModelArtefact.array makes it.
        self._codes: dict[str, dict[str, float]] = {
            f: {str(v): float(i) for i, v in enumerate(levels)} for f, levels in self.artefact.categories.items()
        }
        reads = [f for r in self.policy.rules for f in r.when.inputs()]
        reads += [f for s in self.policy.segments for f in s.when.inputs()]
        lim = self.policy.limits
        reads += [lim.sales_feature, lim.tax_paid_feature, lim.employees_feature, lim.debt_feature]
        # Every key a payload must carry (null where the data has no value).
        self.required = tuple(dict.fromkeys(
            f for f in (*self.artefact.features, *reads) if f not in POLICY_INPUTS and f not in OPTIONAL
        ))
        self.score("91000000000000000X", {f: None for f in self.required})  # compile once, before the first request

    def _array(self, values: dict[str, Value]) -> np.ndarray:
        """``ModelArtefact.array`` of the one-row model matrix: numbers as floats, a category as its trained code."""
        out = np.empty((1, len(self.artefact.features)), dtype=np.float64)
        for j, f in enumerate(self.artefact.features):
            value = values[f]
            if f in self._codes:
                out[0, j] = self._codes[f].get(str(value), np.nan) if value is not None else np.nan
            elif value is None:
                out[0, j] = np.nan
            elif isinstance(value, str):
                raise InputDataError(f"features: {f!r} must be a number or null, got {value!r}")
            else:
                out[0, j] = float(value)
        return out

    def _check_values(self, values: dict[str, Value]) -> None:
        """Numbers must be finite and within what the data contract lets the feature be, as in a batch run."""
        for f in self.required:
            value = values[f]
            if value is None or isinstance(value, str) or f in self.artefact.categories:
                continue
            try:
                number = float(value)
            except OverflowError:  # an integer too large for any float
                number = np.inf
            if not np.isfinite(number):
                raise InputDataError(f"features: {f!r} must be a finite number or null, got {value!r}")
            bounds = self.bounds.get(f)
            if bounds is not None and not bounds.admits(number):
                raise InputDataError(
                    f"features: {f!r} = {value!r} is outside the values its sources allow, {bounds.text()}"
                )

    def score(self, uscc: str, values: dict[str, Value]) -> dict[str, Any]:
        missing = [f for f in self.required if f not in values]
        unknown = [f for f in values if f not in self.required and f not in OPTIONAL]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing feature(s) {preview(missing)} (send null where the data has no value)")
            if unknown:
                problems.append(f"unknown feature(s) {preview(unknown)}")
            raise InputDataError(f"features: {'; '.join(problems)}; the model and policy read {len(self.required)} features")
        self._check_values(values)
        row = {"uscc": uscc, **{f: values.get(f) for f in OPTIONAL}, "legal_rep_id": None}
        for f in self.required:  # an absent number is NaN, as in a feature table; text stays text
            value = values[f]
            row[f] = np.nan if value is None and f not in self.artefact.categories else value
        array = self._array(values)  # a text in a number feature fails here, naming it
        frame = _one_row_frame(row)
        scr = screen(frame, np.array([""], dtype=object), self.policy)
        rows = np.flatnonzero(scr.to_score)
        # One row goes to LightGBM as its float array directly: a one-row model matrix costs more than the trees.
        scored = score_array(array, self.artefact, self.groups, self.explain) if len(rows) else None
        pd_all = np.full(1, np.nan)
        if scored is not None:
            pd_all[rows] = scored.pd
        dec = decide(frame, scr, pd_all, self.policy, self.run_date, np.array([""], dtype=object))
        group_values = scored.groups if scored is not None else np.zeros((0, len(self.groups.codes)))
        reasons = reason_columns(dec.decision, dec.rules_hit, rows, group_values, self.groups, self.policy, frame,
                                 self.features, self.as_of)
        listed = []
        for k in range(1, 5):
            code = reasons[f"reason_{k}"].iloc[0]
            if code is None:
                continue
            value = reasons[f"reason_{k}_value"].iloc[0]
            listed.append({"code": code, "value": None if np.isnan(value) else float(value),
                           "text_zh": reasons[f"reason_{k}_text_zh"].iloc[0],
                           "text_en": reasons[f"reason_{k}_text_en"].iloc[0]})
        offered = dec.decision[0] in ("whitelist", "review")
        return {
            "uscc": uscc,
            "decision": dec.decision[0],
            "pd": float(scored.pd[0]) if scored is not None else None,
            "points": int(scored.points[0]) if scored is not None else None,
            "grade": str(scored.grade[0]) if scored is not None else None,
            "limit": float(dec.limit[0]) if offered else None,
            "rate": float(dec.rate[0]) if offered else None,
            "rules_hit": [r for r in dec.rules_hit[0].split(",") if r],
            "segments": [s for s in dec.segments[0].split(",") if s],
            "reasons": listed,
            "repair_zh": reasons["repair_zh"].iloc[0],
            "repair_en": reasons["repair_en"].iloc[0],
            "model": self.model_version,
            "as_of": self.as_of.isoformat(),
            "not_applied": list(NOT_APPLIED),
        }


def _one_row_policy(policy: PolicyConfig, run: RunFolder) -> PolicyConfig:
    """The run's policy as one row can apply it: a target volume becomes the PD cutoff the run realised.

    "Whitelist the N lowest PDs" means nothing for one enterprise (it would always be among the N);
    what the run decided is equivalent to a cutoff at the highest PD it whitelisted, so a real-time
    score is whitelisted exactly when the batch run would have ranked it in.
    """
    d = policy.decision
    if d.method != "target_volume":
        return policy
    table = pd.read_parquet(run.path / "whitelist.parquet", columns=["decision", "pd"])  # two of its columns
    listed = table.loc[table["decision"] == "whitelist", "pd"]
    cutoff = float(np.round(listed.max(), 9)) if len(listed) else 1e-12  # nobody listed: nobody here either
    decision = Decision(method="cutoffs", whitelist_max_pd=cutoff, review_max_pd=max(d.review_max_pd, cutoff))
    return policy.model_copy(update={"decision": decision})


def _one_row_frame(row: dict[str, Any]) -> pd.DataFrame:
    """The payload as a one-row frame: numbers in one float block, the rest (text, flags, empty) by column.

    A frame built column by column costs about 3 ms for the model's 140-odd features, more than
    the trees; the policy reads numbers as numbers whatever their integer or float type.
    """
    numbers = {k: v for k, v in row.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    block = pd.DataFrame(np.array([list(numbers.values())], dtype=np.float64).reshape(1, len(numbers)), columns=list(numbers))
    rest = pd.DataFrame({k: [v] for k, v in row.items() if k not in numbers})
    return pd.concat([rest, block], axis=1)
