"""Exact per-feature contributions (TreeSHAP) of the model's raw score: the one code path for them.

Two methods give the same numbers (to ~1e-14, far below the 1e-6 that run files keep):

* ``treeshap`` (default): the compiled exact TreeSHAP of ``models/treeshap.py``, 17x to 35x
  faster than LightGBM on the models training produces; the booster is compiled once and kept
  for as long as the booster lives.
* ``pred_contrib``: LightGBM's own ``booster.predict(X, pred_contrib=True)``, the numbers
  ``shap.TreeExplainer`` gives too. The fallback: chosen by the user, or taken automatically
  for a booster the compiled path does not reproduce (multiclass, random forest, linear trees),
  with the reason kept in ``Contributor.fallback``.

Either way the result is (rows, features + 1): one column per feature and a last column with
the base value, summing row by row to the raw (log-odds) score.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist.models.kinds import as_array
from whitelist.models.treeshap import CompiledForest, UnsupportedModelError, compile_booster, tree_shap

Method = Literal["treeshap", "pred_contrib"]
METHODS: tuple[Method, ...] = ("treeshap", "pred_contrib")
DEFAULT_METHOD: Method = "treeshap"

_COMPILED: weakref.WeakKeyDictionary[lgb.Booster, CompiledForest | UnsupportedModelError] = weakref.WeakKeyDictionary()
"""Each booster compiled once: scoring chunks and training's repeated samples reuse it."""


@dataclass(frozen=True)
class Contributor:
    """Contributions of one booster by one method; ``used`` is the method that actually runs."""

    booster: lgb.Booster
    requested: Method
    used: Method
    fallback: str | None
    """Why ``treeshap`` was asked for but ``pred_contrib`` runs, else None."""
    forest: CompiledForest | None

    def __call__(self, matrix: pd.DataFrame) -> np.ndarray:
        """(rows, features + 1) float64 contributions; the last column is the base value."""
        if matrix.empty:
            return np.zeros((0, self.booster.num_feature() + 1))
        if self.forest is None:
            return np.asarray(self.booster.predict(matrix, pred_contrib=True), dtype=np.float64)
        return tree_shap(self.forest, model_array(self.booster, matrix))

    def of_array(self, array: np.ndarray) -> np.ndarray:
        """The same contributions of rows already in LightGBM's float form (``model_array``)."""
        if self.forest is None:
            return np.asarray(self.booster.predict(array, pred_contrib=True), dtype=np.float64)
        return tree_shap(self.forest, array)

    def describe(self) -> dict[str, str | None]:
        """What the run manifest records about how its contributions were computed."""
        return {"method": self.used, "requested": self.requested, "fallback": self.fallback}


def contributor(booster: lgb.Booster, method: Method = DEFAULT_METHOD) -> Contributor:
    """The contributions of ``booster`` by ``method``, falling back to pred_contrib where it must."""
    if method not in METHODS:
        raise ValueError(f"unknown contributions method {method!r}: use one of {', '.join(METHODS)}")
    if method == "pred_contrib":
        return Contributor(booster, method, "pred_contrib", None, None)
    compiled = _COMPILED.get(booster)
    if compiled is None:
        try:
            compiled = compile_booster(booster)
        except UnsupportedModelError as error:
            compiled = error
        _COMPILED[booster] = compiled
    if isinstance(compiled, UnsupportedModelError):
        return Contributor(booster, method, "pred_contrib", str(compiled), None)
    return Contributor(booster, method, "treeshap", None, compiled)


def exact_contributions(booster: lgb.Booster, matrix: pd.DataFrame, method: Method = DEFAULT_METHOD) -> np.ndarray:
    """(rows, features + 1) contributions; the last column is the base value."""
    return contributor(booster, method)(matrix)


def model_array(booster: lgb.Booster, matrix: pd.DataFrame) -> np.ndarray:
    """The float64 array LightGBM itself makes of a model matrix before it predicts.

    Categorical columns become their codes in the category order the booster was trained
    with (its ``pandas_categorical``), an unknown or missing level NaN; numbers stay as they are.
    """
    names = booster.feature_name()
    if list(map(str, matrix.columns)) != names:
        raise ValueError(
            f"the matrix has columns {list(matrix.columns)[:5]}...; the model needs its {len(names)} features "
            "in booster.feature_name() order: build it with ModelArtefact.matrix"
        )
    levels = iter(booster.pandas_categorical or [])
    columns = {}
    for name in matrix.columns:
        column = matrix[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            trained = next(levels, None)
            if trained is not None and list(column.cat.categories) != list(trained):
                column = column.cat.set_categories(trained)
        columns[name] = column
    return as_array(pd.DataFrame(columns, index=matrix.index))
