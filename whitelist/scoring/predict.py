"""PD and exact reason-group contributions of the enterprises the policy did not exclude, in chunks.

Chunks keep memory bounded: the per-feature contributions of a chunk are summed into reason
groups at once and dropped, so a province never holds a (rows x features) matrix of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from whitelist.core.errors import InputDataError, preview
from whitelist.core.progress import NullProgress, Progress
from whitelist.models.artefact import ModelArtefact, as_array
from whitelist.models.contributions import DEFAULT_METHOD, Method
from whitelist.models.kinds import Explainer
from whitelist.models.reasons import CONTRIBUTION_DECIMALS, GroupMap

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Scored:
    """Aligned with the rows given: PD, points, grade, raw score, group contributions, base value."""

    pd: np.ndarray
    points: np.ndarray
    grade: np.ndarray
    raw_score: np.ndarray
    groups: np.ndarray
    base_value: np.ndarray
    method: dict[str, str | None]
    """How the contributions were computed (``Contributor.describe``), for the manifest."""


def check_types(table: pd.DataFrame, artefact: ModelArtefact, source: str) -> None:
    """Numeric model features must hold numbers: text in a number column is an error, not a NaN."""
    bad = []
    for f in artefact.features:
        if f in artefact.categories or f not in table.columns:
            continue
        col = table[f]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        numbers = pd.to_numeric(col, errors="coerce")
        wrong = col.notna() & numbers.isna()
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            bad.append(f"column {f!r} row {row + 1} holds {col.iloc[row]!r}")
    if bad:
        raise InputDataError(
            f"{source}: model features must be numbers: {preview(bad)}; rebuild the table with `whitelist features`"
        )


def score_rows(
    table: pd.DataFrame,
    artefact: ModelArtefact,
    groups: GroupMap,
    *,
    chunk_rows: int = CHUNK_ROWS,
    source: str = "features",
    progress: Progress | None = None,
    method: Method = DEFAULT_METHOD,
) -> Scored:
    progress = progress or NullProgress()
    explain = artefact.explainer(method)
    n = len(table)
    out_pd, out_raw, out_base = np.empty(n), np.empty(n), np.empty(n)
    out_points = np.empty(n, dtype=np.int64)
    out_grade = np.empty(n, dtype=object)
    out_groups = np.empty((n, len(groups.codes)))
    task = progress.task("Scoring: PD and exact contributions", n)
    for start in range(0, n, chunk_rows):
        chunk = table.iloc[start : start + chunk_rows]
        stop = start + len(chunk)
        matrix = artefact.matrix(chunk, source)
        # The model's float form of the matrix, made once for the prediction and the contributions.
        part = score_array(as_array(matrix), artefact, groups, explain)
        out_pd[start:stop], out_points[start:stop], out_grade[start:stop] = part.pd, part.points, part.grade
        out_raw[start:stop], out_base[start:stop], out_groups[start:stop] = part.raw_score, part.base_value, part.groups
        progress.advance(task, len(chunk))
    return Scored(pd=out_pd, points=out_points, grade=out_grade, raw_score=out_raw, groups=out_groups, base_value=out_base,
                  method=explain.describe())


def score_array(array: np.ndarray, artefact: ModelArtefact, groups: GroupMap, explain: Explainer) -> Scored:
    """PD, points, grade and group contributions of rows already in the model's float form (``as_array``)."""
    predicted = artefact.from_raw_score(artefact.model.raw_score(array))
    contrib = explain.of_array(array)
    return Scored(
        pd=predicted["pd"].to_numpy(), points=predicted["points"].to_numpy(), grade=predicted["grade"].to_numpy(),
        raw_score=contrib.sum(axis=1), groups=groups.sum(contrib),
        base_value=np.round(contrib[:, -1], CONTRIBUTION_DECIMALS), method=explain.describe(),
    )
