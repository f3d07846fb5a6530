"""Run a compiled plan on Spark: the same SQL as DuckDB's, in Spark's spelling, local or on a cluster.

The plan is the only implementation of every feature (``features/compile.py``); this module
only registers the validated sources as views, runs the steps and writes the table. The table
has exactly the schema DuckDB writes for the same plan: DuckDB runs the plan once over empty
sources (milliseconds) and Spark's answer is cast to that schema, so a model cannot tell which
engine built its table. Sums run on DECIMAL in both engines, so they agree to the last digit;
means and ratios of doubles agree to floating-point rounding (docs/scale.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from whitelist.core.errors import ConfigError
from whitelist.core.io import PARQUET_OPTIONS, atomic_path
from whitelist.features.compile import Plan
from whitelist.sources.contract import CONTRACT

LOCAL_MASTER = "local[2]"
_SPARK_TYPES = {"uscc": "STRING", "string": "STRING", "category": "STRING", "date": "DATE", "int": "BIGINT", "float": "DOUBLE"}
SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # dates are dates, never shifted by the machine's zone
    "spark.sql.ansi.enabled": "false",  # SQL's NULL on a failed cast or an empty division, as in DuckDB
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""What the engine's results rely on, set on any session, spark-submit's too; a cluster's other
settings come from spark-submit or its defaults."""
LOCAL_SETTINGS = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
"""For a session the engine starts itself: no web UI or console bars beside the CLI's own."""


def spark_label(master: str | None) -> str:
    """How outputs and manifests name a Spark run: ``spark (local[2])``, ``spark (spark://host:7077)``."""
    return f"spark ({master or LOCAL_MASTER})"


def session(master: str | None = None, app_name: str = "whitelist-features") -> Any:
    """The active Spark session, or a new one on ``master`` (default: this machine, 2 cores).

    Under ``spark-submit`` the session it started is used as it is, with the engine's settings added.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "--engine spark: pyspark is not installed; install the extra with `pip install 'whitelist[spark]'` "
            "(Java 17 or newer must be on the PATH)"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        spark = active
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.appName(app_name).master(master or LOCAL_MASTER)
        builder = builder.config("spark.driver.memory", os.environ.get("WHITELIST_SPARK_DRIVER_MEMORY", "4g"))
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    for key, value in SETTINGS.items():
        spark.conf.set(key, value)
    return spark


def run(plan: Plan, folder: Path, out: Path, schema: pa.Schema, *, master: str | None = None) -> int:
    """Execute ``plan`` on Spark over the validated sources in ``folder``; write ``out`` with ``schema``."""
    spark = session(master)
    for name in plan.sources:
        _register(spark, name, folder / f"{name}.parquet")
    for name, body in plan.steps:
        spark.sql(body).createOrReplaceTempView(name)
    result = spark.sql(plan.final)
    table = result.toArrow()
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing or len(table.column_names) != len(schema):
        raise ConfigError(f"Spark returned columns {table.column_names}, DuckDB's plan has {schema.names}")
    # DuckDB marks ``as_of`` required in the files it writes (the column comes from the plan's own
    # dates), which a run over empty sources cannot show: the one nullability the schema run misses.
    at = schema.get_field_index("as_of")
    schema = schema.set(at, schema.field(at).with_nullable(False))
    table = pa.Table.from_arrays(  # DuckDB's types and nullability, column by column
        [table[f.name].cast(f.type) for f in schema], schema=schema
    )
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
    return table.num_rows


def _register(spark: Any, name: str, path: Path) -> None:
    """A view over the source's file, or an empty view of its declared columns when it is absent."""
    if path.is_file():
        spark.read.parquet(str(path.resolve())).createOrReplaceTempView(name)
        return
    cols = ", ".join(f"CAST(NULL AS {_SPARK_TYPES[c.dtype]}) AS `{c.name}`" for c in CONTRACT[name].columns)
    spark.sql(f"SELECT {cols} WHERE FALSE").createOrReplaceTempView(name)
