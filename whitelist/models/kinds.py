"""Model kinds: what every scoring model says about a row, whatever learnt it.

A model kind turns rows in the model's float form (``ModelArtefact.array``: numbers as floats,
a category as its code among the trained levels, missing as NaN) into a raw score in log-odds of
default and into exact contributions that add up to it. Scoring, reasons, the API, Spark and the
reports use only this, so a WoE scorecard or a blend is explained exactly as LightGBM is.

``artefact.json`` names the kind; ``models.artefact.KINDS`` maps each name to its loader, so
loading dispatches through a registry, never through a ladder of type checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd


class Explainer(Protocol):
    """Exact contributions of one model: (rows, features + 1), the last column the base value."""

    def of_array(self, array: np.ndarray) -> np.ndarray: ...

    def describe(self) -> dict[str, str | None]:
        """How the contributions are computed, as the run manifest records it."""
        ...


def as_array(matrix: pd.DataFrame) -> np.ndarray:
    """The float64 form every model kind reads: a category as its code among the matrix's levels, NaN if unknown."""
    out = np.empty(matrix.shape, dtype=np.float64)
    for j, name in enumerate(matrix.columns):
        column = matrix[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy(dtype=np.float64)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        else:
            out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


@dataclass(frozen=True)
class Importance:
    """One number per feature saying how much the model leans on it, and what that number is."""

    measure: str
    values: dict[str, float]

    def ranked(self) -> list[tuple[str, float]]:
        """Largest first, ties by name."""
        return sorted(self.values.items(), key=lambda t: (-t[1], t[0]))


class ScoringModel(Protocol):
    """What a model kind offers the layers above; see the module docstring."""

    kind: str

    @property
    def n_features(self) -> int: ...

    def raw_score(self, array: np.ndarray) -> np.ndarray:
        """Log-odds of default of each row (before calibration)."""
        ...

    def explainer(self, method: str) -> Explainer:
        """The exact contributions; ``method`` chooses among a tree model's equal methods."""
        ...

    def importance(self) -> Importance: ...

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the model's own files into ``folder``; return what ``artefact.json`` keeps of it."""
        ...

    def files(self) -> tuple[str, ...]:
        """The files ``save`` writes, in a fixed order (their hash identifies the model)."""
        ...
