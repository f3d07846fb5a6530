"""Calibrators that turn a model's raw score into a PD, stored as plain numbers.

Isotonic regression (joined through its step centres) or Platt scaling (a logistic curve on
the raw score); both keep the model's order and respect a PD floor;
training picks one on the validation part. Both are kept as arrays in the artefact's JSON,
so a PD can be recomputed anywhere without pickles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

PD_FLOOR = 0.0005
"""No enterprise is given a PD below 0.05%: the floor of Basel III (CRE32) and of China's 2023
capital rules for corporate exposures; a model has never seen enough enterprises to claim less."""


@dataclass(frozen=True)
class Calibrator:
    kind: Literal["isotonic", "platt"]
    x: tuple[float, ...] = field(default=())
    y: tuple[float, ...] = field(default=())
    coef: float = 1.0
    intercept: float = 0.0
    floor: float = PD_FLOOR

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.kind == "isotonic":
            pd_ = np.interp(raw, np.array(self.x), np.array(self.y))
        else:
            pd_ = 1.0 / (1.0 + np.exp(-(self.coef * raw + self.intercept)))
        return np.clip(pd_, self.floor, 1.0 - self.floor)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "x": list(self.x),
            "y": list(self.y),
            "coef": self.coef,
            "intercept": self.intercept,
            "floor": self.floor,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        return cls(
            kind=d["kind"],
            x=tuple(d["x"]),
            y=tuple(d["y"]),
            coef=d["coef"],
            intercept=d["intercept"],
            floor=d.get("floor", PD_FLOOR),
        )
