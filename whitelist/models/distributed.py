"""Batch prediction and exact reasons on Spark: every partition scored by the same model artefact, through ``mapInPandas``.

The executors load the model folder the driver names (it must be readable at the same path, as
the table is) once per Python worker, and run ``ModelArtefact.predict_with_id`` on each Arrow
batch: the very code a local prediction runs, so each row gets the same PD, points and grade.
Rows come back in the table's order (a row number travels with each row).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from whitelist.core.errors import InputDataError
from whitelist.features.engines.spark import session
from whitelist.models.artefact import ModelArtefact
from whitelist.models.contributions import Contributor, contributor
from whitelist.models.reasons import CONTRIBUTION_DECIMALS, GroupMap

ROW = "_whitelist_row"
"""The row number that keeps the table's order through the partitions."""


@lru_cache(maxsize=2)
def _artefact(folder: str) -> ModelArtefact:
    """One load per executor process and model, not one per batch."""
    return ModelArtefact.load(Path(folder))


def _predict_batches(folder: str, source: str, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    artefact = _artefact(folder)
    for batch in batches:
        scored = artefact.predict_with_id(batch.drop(columns=[ROW]), source=source)
        scored.insert(0, ROW, batch[ROW].to_numpy())
        yield scored


def predict_on_spark(model_dir: Path, table: Path, *, master: str | None = None) -> pd.DataFrame:
    """``ModelArtefact.predict_with_id`` of every row of a Parquet ``table``, computed on Spark."""
    if table.suffix.lower() != ".parquet" or not table.is_file():
        raise InputDataError(f"{table}: --engine spark reads a Parquet table; convert a CSV with `whitelist features` or pandas")
    artefact = ModelArtefact.load(model_dir)  # fails here, on the driver, for a folder that is not a model
    spark = session(master, app_name="whitelist-predict")
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(table.resolve()))
    id_col = artefact.meta.get("id_col")
    if id_col and id_col not in frame.columns:
        raise InputDataError(f"{table}: no id column {id_col!r}, which the model was trained with")
    fields = [f"`{ROW}` bigint"]
    if id_col:
        fields.append(f"`{id_col}` {frame.schema[id_col].dataType.simpleString()}")
    fields += ["`pd` double", "`points` bigint", "`grade` string"]
    rows = frame.withColumn(ROW, F.monotonically_increasing_id())
    work = partial(_predict_batches, str(model_dir.resolve()), str(table))
    answer = rows.mapInPandas(work, ", ".join(fields)).toArrow().sort_by(ROW).drop_columns([ROW])
    out = answer.to_pandas()
    for name in out.columns:  # text as the local path holds it (object columns), so the files are equal
        if out[name].dtype == "str" or pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].to_numpy(dtype=object)
    out["points"] = out["points"].astype(np.int64)
    return out


@lru_cache(maxsize=2)
def _contributor(folder: str, method: str) -> Contributor:
    """One compiled TreeSHAP per executor process and model."""
    return contributor(_artefact(folder).booster, method)  # type: ignore[arg-type]


def _explain_batches(
    folder: str, method: str, groups: GroupMap, source: str, batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    from whitelist.models.contributions import model_array

    artefact, explain = _artefact(folder), _contributor(folder, method)
    for batch in batches:
        array = model_array(artefact.booster, artefact.matrix(batch, source))
        predicted = artefact.from_raw_score(artefact.booster.predict(array, raw_score=True))
        contrib = explain.of_array(array)
        out = {
            ROW: batch[ROW].to_numpy(),
            "pd": predicted["pd"].to_numpy(), "points": predicted["points"].to_numpy(),
            "grade": predicted["grade"].to_numpy(dtype=object), "raw_score": contrib.sum(axis=1),
            "base_value": np.round(contrib[:, -1], CONTRIBUTION_DECIMALS),
        }
        summed = groups.sum(contrib)
        out.update({f"g{j}": summed[:, j] for j in range(summed.shape[1])})
        yield pd.DataFrame(out)


def explain_on_spark(
    table: pd.DataFrame, model_dir: Path, groups: GroupMap, *, method: str, source: str, master: str | None = None
) -> dict[str, np.ndarray]:
    """PD, points, grade, raw score, base value and reason-group contributions of ``table``'s rows, on Spark.

    The same arithmetic as a local chunk (``scoring.predict.score_array``), per partition: the
    driver keeps the population and the policy; the executors do the trees and the SHAP.
    """
    artefact = ModelArtefact.load(model_dir)
    spark = session(master, app_name="whitelist-score")
    import pyarrow as pa

    columns = [f for f in artefact.features if f in table.columns]
    shipped = pa.Table.from_pandas(table[columns], preserve_index=False)
    shipped = shipped.append_column(ROW, pa.array(np.arange(len(table), dtype=np.int64)))
    frame = spark.createDataFrame(shipped)
    fields = [f"`{ROW}` bigint", "`pd` double", "`points` bigint", "`grade` string", "`raw_score` double",
              "`base_value` double", *(f"`g{j}` double" for j in range(len(groups.codes)))]
    work = partial(_explain_batches, str(model_dir.resolve()), method, groups, source)
    answer = frame.mapInPandas(work, ", ".join(fields)).toArrow().sort_by(ROW)
    out = {name: answer[name].to_numpy(zero_copy_only=False) for name in ("pd", "points", "raw_score", "base_value")}
    out["grade"] = answer["grade"].to_numpy(zero_copy_only=False).astype(object)
    out["groups"] = np.column_stack([answer[f"g{j}"].to_numpy() for j in range(len(groups.codes))]) if groups.codes \
        else np.zeros((len(table), 0))
    out["describe"] = contributor(artefact.booster, method).describe()  # type: ignore[arg-type, assignment]
    return out
