"""A scoring run's trees and exact reasons on Spark: every partition runs ``score_array``, the code a local chunk runs.

The driver keeps the population and the policy (related parties, caps and the contact plan read
it whole); the executors get the rows the policy did not exclude, their model features only, and
send back each row's PD, points, grade, raw score, base value and reason-group contributions.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from whitelist.core.progress import Progress
from whitelist.features.engines.spark import session
from whitelist.models.artefact import ModelArtefact
from whitelist.models.contributions import Method
from whitelist.models.kinds import Explainer
from whitelist.models.distributed import ROW, cached_artefact
from whitelist.models.reasons import GroupMap
from whitelist.scoring.predict import Scored, score_array


@lru_cache(maxsize=2)
def _contributor(folder: str, method: Method) -> Explainer:
    """One compiled TreeSHAP per executor process and model."""
    return cached_artefact(folder).explainer(method)


def _score_batches(
    folder: str, method: Method, groups: GroupMap, source: str, batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    artefact, explain = cached_artefact(folder), _contributor(folder, method)
    for batch in batches:
        part = score_array(artefact.array(batch, source), artefact, groups, explain)
        columns = {ROW: batch[ROW].to_numpy(), "pd": part.pd, "points": part.points, "grade": part.grade.astype(object),
                   "raw_score": part.raw_score, "base_value": part.base_value}
        columns.update({f"g{j}": part.groups[:, j] for j in range(part.groups.shape[1])})
        yield pd.DataFrame(columns)


def score_rows_on_spark(
    table: pd.DataFrame, model_dir: Path, artefact: ModelArtefact, groups: GroupMap, *,
    method: Method, source: str, master: str | None, progress: Progress,
) -> Scored:
    """``scoring.predict.score_rows`` with the trees and the SHAP on Spark: the same numbers, row for row."""
    task = progress.task("Scoring on Spark: PD and exact contributions", len(table))
    spark = session(master, app_name="whitelist-score")
    shipped = pa.Table.from_pandas(table[[f for f in artefact.features if f in table.columns]], preserve_index=False)
    shipped = shipped.append_column(ROW, pa.array(np.arange(len(table), dtype=np.int64)))
    fields = [f"`{ROW}` bigint", "`pd` double", "`points` bigint", "`grade` string", "`raw_score` double",
              "`base_value` double", *(f"`g{j}` double" for j in range(len(groups.codes)))]
    work = partial(_score_batches, str(model_dir.resolve()), method, groups, source)
    answer = spark.createDataFrame(shipped).mapInPandas(work, ", ".join(fields)).toArrow().sort_by(ROW)
    progress.advance(task, len(table))
    column = {name: answer[name].to_numpy(zero_copy_only=False) for name in answer.column_names}
    return Scored(
        pd=column["pd"], points=column["points"].astype(np.int64), grade=column["grade"].astype(object),
        raw_score=column["raw_score"], base_value=column["base_value"],
        groups=np.column_stack([column[f"g{j}"] for j in range(len(groups.codes))]) if groups.codes
        else np.zeros((len(table), 0)),
        method=artefact.explainer(method).describe(),
    )
