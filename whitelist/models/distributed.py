"""Batch prediction on Spark: every partition scored by the same model artefact, through ``mapInPandas``.

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

ROW = "_whitelist_row"
"""The row number that keeps the table's order through the partitions."""


@lru_cache(maxsize=2)
def cached_artefact(folder: str) -> ModelArtefact:
    """One load per executor process and model, not one per batch."""
    return ModelArtefact.load(Path(folder))


def _predict_batches(folder: str, source: str, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    artefact = cached_artefact(folder)
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
    id_col = artefact.id_col
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
        if pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].to_numpy(dtype=object)
    out["points"] = out["points"].astype(np.int64)
    return out
