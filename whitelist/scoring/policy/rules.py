"""Evaluate the declared rules of the policy on every enterprise, in their declared order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from whitelist.core.errors import ConfigError, preview
from whitelist.scoring.config import Rule
from whitelist.scoring.policy.expr import evaluate

OUTCOME_DECISION = {"exclude": "excluded", "decline": "decline", "review": "review", "invalid": "invalid"}


@dataclass(frozen=True)
class RuleResults:
    """Per rule (columns, in declared order): did it hit, and was an input empty where it did not."""

    rules: tuple[Rule, ...]
    hit: np.ndarray
    missing: np.ndarray

    def outcome_hit(self, outcome: str) -> np.ndarray:
        cols = [i for i, r in enumerate(self.rules) if r.outcome == outcome]
        return self.hit[:, cols].any(axis=1) if cols else np.zeros(self.hit.shape[0], bool)

    def off_focus(self) -> np.ndarray:
        cols = [i for i, r in enumerate(self.rules) if not r.visit_focus]
        return self.hit[:, cols].any(axis=1) if cols else np.zeros(self.hit.shape[0], bool)


def check_inputs(rules: tuple[Rule, ...], columns: pd.Index, source: str) -> None:
    """Every input a rule reads must exist, so a typo fails before any enterprise is decided."""
    missing = sorted({f"{r.id}: {f}" for r in rules for f in r.when.inputs() if f not in columns})
    if missing:
        raise ConfigError(
            f"{source}: rules read inputs the feature table does not have: {preview(missing)}; "
            "fix the feature name in the policy or build the table with the feature definitions it expects"
        )


def evaluate_rules(frame: pd.DataFrame, rules: tuple[Rule, ...]) -> RuleResults:
    n = len(frame)
    hit = np.zeros((n, len(rules)), bool)
    missing = np.zeros((n, len(rules)), bool)
    for j, rule in enumerate(rules):
        result = evaluate(rule.when, frame)
        hit[:, j], missing[:, j] = result.hit, result.missing
    return RuleResults(rules=rules, hit=hit, missing=missing)
