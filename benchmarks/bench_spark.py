"""Benchmark (issue 9): DuckDB and Spark local mode on the same 200,000-enterprise province.

Three steps, each engine in its own process under /usr/bin/time (wall seconds, peak memory of the
largest process: for Spark that is its JVM, so the Python driver's share is not in it):

1. ``whitelist features --as-of 2024-12-31`` (the scoring set) with ``--engine duckdb`` and
   ``--engine spark``; the two tables are compared column by column;
2. ``whitelist predict`` on that table, local and ``--engine spark``; the files are compared;
3. ``whitelist score``, local and ``--engine spark``; the runs' data files are compared.

The province, its validated folder and the default model are bench_score.py's (cached under
OUT/score-200000). Spark runs in local mode on the machine's 2 cores (``local[2]``), with its default
4 GB driver; both engines share the machine with nothing else of ours. Results go to
OUT/bench-spark-200000.json.

    .venv/bin/python benchmarks/bench_spark.py
    .venv/bin/python benchmarks/bench_spark.py --report benchmarks/out/bench-spark-200000.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_score import EXE, default_model, git, scoring_set  # noqa: E402
from timing import timed  # noqa: E402

OUT = HERE / "out"
AS_OF = "2024-12-31"


def same_tables(a_path: Path, b_path: Path) -> dict[str, Any]:
    a, b = pq.read_table(a_path), pq.read_table(b_path)
    differ, bitwise = [], []
    for name in a.column_names:
        x, y = a[name], b[name]
        if not x.equals(y):
            bitwise.append(name)
            if not pa.types.is_floating(x.type) or not np.allclose(
                x.to_numpy(zero_copy_only=False), y.to_numpy(zero_copy_only=False), rtol=1e-9, atol=1e-12, equal_nan=True
            ):
                differ.append(name)
    return {"rows": a.num_rows, "columns": a.num_columns, "schema_equal": a.schema.equals(b.schema),
            "not_bit_identical": bitwise, "differ_beyond_1e-9": differ}


def same_runs(a: Path, b: Path) -> list[str]:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    validated, _ = scoring_set(200_000, 0, OUT)
    model, _ = default_model(200_000, None, OUT)
    work = OUT / "spark-200000"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": git("rev-parse", "--short", "HEAD"),
                           "python": platform.python_version(), "steps": {}}
    import duckdb
    import pyspark

    res["versions"] = {"duckdb": duckdb.__version__, "pyspark": pyspark.__version__}
    tables = {}
    for engine in ("duckdb", "spark"):
        out = work / f"features-{engine}.parquet"
        print(f"features on {engine} ...", flush=True)
        wall, peak = timed([str(EXE), "features", "--raw", str(validated), "--as-of", AS_OF, "--out", str(out),
                            "--engine", engine])
        res["steps"][f"features {engine}"] = {"wall_s": round(wall, 1), "peak_gb": round(peak, 2)}
        tables[engine] = out
    res["features_parity"] = same_tables(tables["duckdb"], tables["spark"])
    preds = {}
    for engine in ("local", "spark"):
        out = work / f"predictions-{engine}.parquet"
        print(f"predict on {engine} ...", flush=True)
        wall, peak = timed([str(EXE), "predict", "--model", str(model), "--table", str(tables["duckdb"]), "--out", str(out),
                            "--engine", engine])
        res["steps"][f"predict {engine}"] = {"wall_s": round(wall, 1), "peak_gb": round(peak, 2)}
        preds[engine] = out
    res["predict_identical"] = preds["local"].read_bytes() == preds["spark"].read_bytes()
    runs = {}
    for engine in ("local", "spark"):
        out = work / f"run-{engine}"
        print(f"score on {engine} ...", flush=True)
        wall, peak = timed([str(EXE), "score", "--model", str(model), "--features", str(tables["duckdb"]),
                            "--raw", str(validated), "--out", str(out), "--engine", engine])
        res["steps"][f"score {engine}"] = {"wall_s": round(wall, 1), "peak_gb": round(peak, 2)}
        runs[engine] = out
    res["score_files_differing"] = same_runs(runs["local"], runs["spark"])
    (OUT / "bench-spark-200000.json").write_text(json.dumps(res, indent=2))
    report(res)


def report(res: dict[str, Any]) -> None:
    print(f"# {res['date']}; whitelist at {res['commit']}; Python {res['python']}, {res['versions']}")
    print("| step | wall s | peak GB (largest process) |")
    print("|---|---:|---:|")
    for name, r in res["steps"].items():
        print(f"| {name} | {r['wall_s']} | {r['peak_gb']} |")
    print(f"features parity: {res['features_parity']}")
    print(f"predictions byte-identical: {res['predict_identical']}; score files differing: {res['score_files_differing']}")


if __name__ == "__main__":
    main()
