"""The blend model kind: a weighted sum of a LightGBM model's and a WoE scorecard's log-odds.

raw = weight * raw_lightgbm + (1 - weight) * raw_scorecard. Both parts' contributions are exact
and additive, so the blend's are too: the same weighted sum, feature by feature, base value included.
Training fits the weight on out-of-fold log-odds (docs/training.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from whitelist.models.contributions import DEFAULT_METHOD
from whitelist.models.kinds import Explainer, Importance
from whitelist.models.tree import TreeModel
from whitelist.models.woe import WoeScorecard


@dataclass(frozen=True)
class BlendExplainer:
    tree: Explainer
    scorecard: Explainer
    weight: float

    def of_array(self, array: np.ndarray) -> np.ndarray:
        return self.weight * self.tree.of_array(array) + (1.0 - self.weight) * self.scorecard.of_array(array)

    def describe(self) -> dict[str, str | None]:
        tree = self.tree.describe()
        return {
            "method": f"blend: {tree['method']} + {self.scorecard.describe()['method']}",
            "requested": tree["requested"],
            "fallback": tree["fallback"],
        }


@dataclass(frozen=True, eq=False)
class BlendModel:
    tree: TreeModel
    scorecard: WoeScorecard
    weight: float
    """Weight of the LightGBM part's log-odds; the scorecard's is 1 - weight."""
    kind: str = "blend"

    @property
    def n_features(self) -> int:
        return self.tree.n_features

    def raw_score(self, array: np.ndarray) -> np.ndarray:
        return self.weight * self.tree.raw_score(array) + (1.0 - self.weight) * self.scorecard.raw_score(array)

    def explainer(self, method: str = DEFAULT_METHOD) -> BlendExplainer:
        return BlendExplainer(self.tree.explainer(method), self.scorecard.explainer(method), self.weight)

    def importance(self) -> Importance:
        """The LightGBM part's gain: the scorecard's information values are in its own binning tables."""
        return self.tree.importance()

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "weight": self.weight, "trees": self.tree.booster.num_trees(),
                "characteristics": len(self.scorecard.bins)}

    def files(self) -> tuple[str, ...]:
        return (*self.tree.files(), *self.scorecard.files())

    def save(self, folder: Path) -> dict[str, Any]:
        return {"kind": self.kind, "weight": self.weight, "lightgbm": self.tree.save(folder),
                "scorecard": self.scorecard.save(folder)}

    @classmethod
    def load(cls, folder: Path, spec: dict[str, Any], features: tuple[str, ...],
             categories: dict[str, list[str]]) -> BlendModel:
        return cls(
            tree=TreeModel.load(folder, spec["lightgbm"], features, categories),
            scorecard=WoeScorecard.load(folder, spec["scorecard"], features, categories),
            weight=float(spec["weight"]),
        )
