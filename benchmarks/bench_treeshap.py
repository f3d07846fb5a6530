"""Benchmark: exact contributions of LightGBM ``pred_contrib``, the compiled ``tree_shap`` and shap.

Not a test. On the same rows of a scoring table and the same model, measures rows/s of

1. ``booster.predict(X, pred_contrib=True)`` (LightGBM's TreeSHAP, OpenMP on every core),
2. ``whitelist.models.treeshap.tree_shap`` after a warm-up call (numba, every core), plus
   ``compile_booster`` seconds and the numba compile seconds with a cold and a warm cache
   (each in a child process with its own ``NUMBA_CACHE_DIR``),
3. ``shap.TreeExplainer(booster).shap_values(X)`` on ``--shap-rows`` rows (for LightGBM, shap
   calls ``pred_contrib`` itself),

and the max abs difference of 2 and 3 against 1, contribution by contribution, and of each
row's sum against the raw score. All figures come from one run, so their ratios are
comparable on a shared machine. The matrix is the model's: ``ModelArtefact.matrix`` when the
folder holds an artefact, else the booster's features with text categories mapped to codes
in the order of its ``pandas_categorical``; categorical codes go in as floats, missing as NaN,
exactly what LightGBM makes of a pandas frame.

    .venv/bin/python benchmarks/bench_treeshap.py \\
        --model benchmarks/out/score-200000/model-largest \\
        --rows benchmarks/out/score-200000/score.parquet --n 20000 --shap-rows 2000

Prints a table and writes benchmarks/out/bench-treeshap-<tag>.json (tag: the model folder's name).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numba
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shap

from whitelist.core.errors import InputDataError
from whitelist.models.artefact import ModelArtefact
from whitelist.models.treeshap import compile_booster, tree_shap

OUT = Path(__file__).resolve().parent / "out"

COMPILE_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np, lightgbm as lgb
from whitelist.core.errors import InputDataError
from whitelist.models.artefact import ModelArtefact
from whitelist.models.treeshap import compile_booster, tree_shap
t1 = time.perf_counter()
booster = lgb.Booster(model_file=sys.argv[1])
t2 = time.perf_counter()
forest = compile_booster(booster)
t3 = time.perf_counter()
X = np.full((64, forest.n_features), np.nan)
tree_shap(forest, X)
t4 = time.perf_counter()
tree_shap(forest, X)
t5 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "compile_booster_s": t3 - t2, "first_call_s": t4 - t3,
                  "second_call_s": t5 - t4}))
"""


def _categorical_features(booster: lgb.Booster) -> list[str]:
    """Features whose ``feature_infos`` list categories ("-1:0:3") rather than a range ("[0:5]")."""
    infos = next(line for line in booster.model_to_string().splitlines() if line.startswith("feature_infos="))
    kinds = infos.partition("=")[2].split(" ")
    pairs = zip(booster.feature_name(), kinds, strict=True)
    return [f for f, info in pairs if not info.startswith("[") and info != "none"]


def _as_numpy(frame: pd.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """float64 C-order matrix: numbers as floats, categories as their codes, missing as NaN."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        if name in categories:
            text = col.astype("string")
            codes = pd.Categorical(text.where(text.isin(categories[name])), categories=categories[name]).codes
            columns.append(np.where(codes < 0, np.nan, codes.astype(np.float64)))
        else:
            columns.append(pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan))
    return np.ascontiguousarray(np.column_stack(columns), dtype=np.float64)


def _artefact(model: Path) -> ModelArtefact | None:
    try:
        return ModelArtefact.load(model)
    except (InputDataError, KeyError, ValueError) as exc:
        print(f"{model}: no usable artefact ({exc}); using model.txt's own schema", file=sys.stderr)
        return None


def load_matrix(model: Path, rows: Path, n: int) -> tuple[lgb.Booster, np.ndarray, dict[str, Any]]:
    """The booster and the first ``n`` rows of the table as its float64 matrix."""
    artefact = _artefact(model)
    if artefact is not None:
        booster, features, categories = artefact.booster, list(artefact.features), dict(artefact.categories)
    else:
        booster = lgb.Booster(model_file=str(model / "model.txt"))
        features = booster.feature_name()
        pairs = zip(_categorical_features(booster), booster.pandas_categorical or [], strict=False)
        categories = {f: [str(v) for v in levels] for f, levels in pairs}
    table = pq.read_table(rows, columns=features).slice(0, n).to_pandas()
    same = None
    if artefact is not None:
        matrix = artefact.matrix(table)
        X = _as_numpy(matrix, categories)
        head = slice(0, min(len(X), 2_000))  # the frame LightGBM converts itself vs our matrix
        frame_raw = booster.predict(matrix.iloc[head], raw_score=True)
        same = float(np.abs(frame_raw - booster.predict(X[head], raw_score=True)).max())
    else:
        X = _as_numpy(table, categories)
    info = {
        "matrix": "model.txt features, pandas_categorical" if artefact is None else "ModelArtefact.matrix",
        "rows": len(X),
        "features": X.shape[1],
        "categorical": sorted(categories),
        "nan_share": float(np.isnan(X).mean()),
        "raw_score_frame_vs_matrix_max_abs": same,
    }
    return booster, X, info


def compile_seconds(model_file: Path) -> dict[str, Any]:
    """Numba compile seconds with an empty cache, then with the cache the first run wrote."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            command = [sys.executable, "-c", COMPILE_PROBE, str(model_file)]
            proc = subprocess.run(command, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise SystemExit(f"compile probe failed:\n{proc.stderr}")
            out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def measure(booster: lgb.Booster, X: np.ndarray, shap_rows: int, contrib_rows: int) -> dict[str, Any]:
    """Rows/s and differences of the three ways, on the same rows, in one run."""
    tree_shap(compile_booster(booster), X[:64])  # JIT or cache load, outside the timings
    forest, compile_s = _timed(compile_booster, booster)
    ours, ours_s = _timed(tree_shap, forest, X)
    Xc = X[:contrib_rows]
    contrib, contrib_s = _timed(lambda a: booster.predict(a, pred_contrib=True), Xc)
    raw = booster.predict(X, raw_score=True)
    Xs = X[:shap_rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer, explainer_s = _timed(shap.TreeExplainer, booster)
        shap_values, shap_s = _timed(explainer.shap_values, Xs)
    shap_values = np.asarray(shap_values)
    return {
        "forest": {
            "trees": int(booster.num_trees()),
            "trees_with_splits": len(forest.tree_n_nodes),
            "leaves": len(forest.leaf_value),
            "max_unique_features_on_a_path": forest.max_unique,
            "table_max_unique": forest.table_max_unique,
            "table_mb": forest.table_bytes / 1e6,
            "forest_mb": forest.nbytes / 1e6,
            "compile_booster_s": compile_s,
        },
        "pred_contrib": {"rows": len(Xc), "seconds": contrib_s, "rows_per_s": len(Xc) / contrib_s},
        "tree_shap": {
            "rows": len(X),
            "seconds": ours_s,
            "rows_per_s": len(X) / ours_s,
            "max_abs_diff_vs_pred_contrib": float(np.abs(ours[: len(Xc)] - contrib).max()),
            "max_abs_row_sum_minus_raw_score": float(np.abs(ours.sum(axis=1) - raw).max()),
        },
        "shap": {
            "version": shap.__version__,
            "rows": len(Xs),
            "explainer_s": explainer_s,
            "seconds": shap_s,
            "rows_per_s": len(Xs) / shap_s,
            "max_abs_diff_vs_pred_contrib": float(np.abs(shap_values - contrib[: len(Xs), :-1]).max()),
        },
    }


def _table(result: dict[str, Any]) -> str:
    """The run as a few lines: the three ways' rows/s and differences, then compile seconds."""
    m, cold, warm = result["measures"], result["compile"]["cold"], result["compile"]["warm"]
    forest, ours, base = m["forest"], m["tree_shap"], m["pred_contrib"]
    lines = [
        f"{result['tag']}: {forest['trees']} trees, {forest['leaves']} leaves, tables "
        f"{forest['table_mb']:.1f} MB, NaN share {result['data']['nan_share']:.1%}",
        f"{'method':<20}{'rows':>8}{'rows/s':>12}{'max |diff|':>14}",
        f"{'pred_contrib':<20}{base['rows']:>8}{base['rows_per_s']:>12,.0f}{'reference':>14}",
    ]
    for name, key in (("tree_shap", "tree_shap"), ("shap.TreeExplainer", "shap")):
        row = m[key]
        diff = f"{row['max_abs_diff_vs_pred_contrib']:.2e}"
        lines.append(f"{name:<20}{row['rows']:>8}{row['rows_per_s']:>12,.0f}{diff:>14}")
    lines += [
        f"tree_shap / pred_contrib: {ours['rows_per_s'] / base['rows_per_s']:.1f}x; "
        f"row sums vs raw score: {ours['max_abs_row_sum_minus_raw_score']:.2e}",
        f"compile_booster {forest['compile_booster_s']:.2f} s; numba JIT, first call: cold cache "
        f"{cold['first_call_s']:.2f} s (compile_booster {cold['compile_booster_s']:.2f} s with its own JIT), "
        f"warm cache {warm['first_call_s']:.2f} s (compile_booster {warm['compile_booster_s']:.2f} s)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="folder with model.txt (and artefact.json)")
    parser.add_argument("--rows", type=Path, required=True, help="scoring table (parquet)")
    parser.add_argument("--n", type=int, default=20_000, help="rows for tree_shap (and pred_contrib)")
    parser.add_argument("--contrib-rows", type=int, default=None, help="rows for pred_contrib (default: --n)")
    parser.add_argument("--shap-rows", type=int, default=2_000, help="rows for shap.TreeExplainer")
    parser.add_argument("--tag", default=None, help="names the JSON (default: the model folder's name)")
    args = parser.parse_args()
    booster, X, data = load_matrix(args.model, args.rows, args.n)
    contrib_rows = min(args.contrib_rows or len(X), len(X))
    result = {
        "tag": args.tag or args.model.name,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "model": str(args.model),
        "rows_file": str(args.rows),
        "machine": {
            "cores": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "python": platform.python_version(),
        },
        "versions": {"lightgbm": lgb.__version__, "numba": numba.__version__, "numpy": np.__version__},
        "data": data,
        "compile": compile_seconds(args.model / "model.txt"),
        "measures": measure(booster, X, min(args.shap_rows, len(X)), contrib_rows),
        "load_1min": os.getloadavg()[0],
    }
    print(_table(result))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-treeshap-{result['tag']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
