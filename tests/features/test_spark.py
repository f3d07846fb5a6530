"""Spark runs the same compiled plan as DuckDB and writes the same feature table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from whitelist.cli.main import app
from whitelist.core.errors import ConfigError
from whitelist.features.build import build_features, manifest_path
from whitelist.features.spec import load_features

PANEL_DATES = (date(2023, 4, 30), date(2023, 9, 30), date(2023, 12, 31))


def _same_tables(duck: Path, spark: Path) -> None:
    a, b = pq.read_table(duck), pq.read_table(spark)
    assert a.schema.equals(b.schema), "Spark's table must have DuckDB's schema"
    assert a.num_rows == b.num_rows and a.num_rows > 0
    for name in a.column_names:
        x, y = a[name], b[name]
        if pa.types.is_floating(x.type):  # means and ratios of doubles: equal up to rounding
            np.testing.assert_allclose(
                x.to_numpy(zero_copy_only=False), y.to_numpy(zero_copy_only=False), rtol=1e-9, atol=1e-12, err_msg=name
            )
        else:  # codes, dates, counts and DECIMAL sums: exactly
            assert x.equals(y), name


def test_the_scoring_set_from_spark_equals_duckdbs(province: tuple[Path, Path], spark: object, tmp_path: Path) -> None:
    _, validated = province
    spec = load_features()
    duck = build_features(validated, [date(2024, 12, 31)], tmp_path / "duck.parquet", spec)
    on_spark = build_features(validated, [date(2024, 12, 31)], tmp_path / "spark.parquet", spec, engine="spark")
    assert on_spark.rows == duck.rows
    _same_tables(duck.path, on_spark.path)
    assert json.loads(manifest_path(on_spark.path).read_text())["engine"] == "spark"


def test_the_labelled_panel_from_spark_equals_duckdbs(province: tuple[Path, Path], spark: object, tmp_path: Path) -> None:
    _, validated = province
    spec = load_features()
    duck = build_features(validated, PANEL_DATES, tmp_path / "duck.parquet", spec, labels=True)
    on_spark = build_features(validated, PANEL_DATES, tmp_path / "spark.parquet", spec, labels=True, engine="spark")
    _same_tables(duck.path, on_spark.path)
    assert (on_spark.labelled, on_spark.default_rate) == (duck.labelled, duck.default_rate)


def test_the_command_builds_on_spark_and_says_so(province: tuple[Path, Path], spark: object, tmp_path: Path) -> None:
    _, validated = province
    out = tmp_path / "score.parquet"
    args = ["features", "--raw", str(validated), "--as-of", "2024-12-31", "--out", str(out), "--engine", "spark"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "spark (local[2])" in result.output
    assert pq.read_metadata(out).num_rows > 0


def test_an_unknown_engine_or_a_master_without_spark_is_refused(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    base = ["features", "--raw", str(validated), "--as-of", "2024-12-31", "--out", str(tmp_path / "x.parquet")]
    unknown = CliRunner().invoke(app, [*base, "--engine", "polars"])
    assert unknown.exit_code == 1 and "expected one of duckdb, spark" in unknown.output
    master = CliRunner().invoke(app, [*base, "--master", "spark://host:7077"])
    assert master.exit_code == 1 and "only with --engine spark" in master.output
    with pytest.raises(ConfigError, match="expected one of duckdb, spark"):
        build_features(validated, [date(2024, 12, 31)], tmp_path / "y.parquet", load_features(), engine="polars")
    assert not (tmp_path / "x.parquet").exists() and not (tmp_path / "y.parquet").exists()
