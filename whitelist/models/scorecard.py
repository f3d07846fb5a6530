"""Points and grades: the risk team's scale for a PD.

Points follow the usual odds scaling: ``base_points`` at good:bad odds of ``base_odds``, and
``pdo`` more points each time the odds double. Grades are PD bands. Both live in the
training config, so the same numbers reach the model card, the whitelist and the API.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, model_validator

from whitelist.core.config import StrictModel

PD_FLOOR = 1e-6
"""PDs are clipped to [PD_FLOOR, 1 - PD_FLOOR] before taking odds, so points stay finite."""


class Grade(StrictModel):
    name: str = Field(min_length=1)
    max_pd: float = Field(gt=0, le=1, description="upper PD bound of the grade (inclusive)")


class Scorecard(StrictModel):
    """Points scaling and grade bands; defaults: 600 points at 50:1, 20 points to double the odds."""

    base_points: float = 600.0
    base_odds: float = Field(50.0, gt=0)
    pdo: float = Field(20.0, gt=0)
    grades: tuple[Grade, ...] = (
        Grade(name="A", max_pd=0.005),
        Grade(name="B", max_pd=0.01),
        Grade(name="C", max_pd=0.02),
        Grade(name="D", max_pd=0.04),
        Grade(name="E", max_pd=0.08),
        Grade(name="F", max_pd=1.0),
    )

    @model_validator(mode="after")
    def _bands_increase(self) -> Scorecard:
        bounds = [g.max_pd for g in self.grades]
        if not bounds or bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError(f"grades: max_pd must increase from grade to grade, got {bounds}")
        if bounds[-1] != 1.0:
            raise ValueError(f"grades: the last grade must reach max_pd 1.0 so every PD has a grade, got {bounds[-1]}")
        names = [g.name for g in self.grades]
        if len(set(names)) != len(names):
            raise ValueError(f"grades: names must be unique, got {names}")
        return self

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)

    def points(self, pd: np.ndarray) -> np.ndarray:
        """Points of each PD, rounded to whole points (higher is safer)."""
        p = np.clip(np.asarray(pd, dtype=float), PD_FLOOR, 1.0 - PD_FLOOR)
        return np.round(self.offset + self.factor * np.log((1.0 - p) / p))

    def grade(self, pd: np.ndarray) -> np.ndarray:
        """Grade name of each PD: the first band whose ``max_pd`` is at or above it."""
        bounds = np.array([g.max_pd for g in self.grades])
        names = np.array([g.name for g in self.grades], dtype=object)
        idx = np.searchsorted(bounds, np.asarray(pd, dtype=float), side="left")
        return names[np.minimum(idx, len(bounds) - 1)]
