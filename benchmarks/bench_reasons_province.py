"""Benchmark (issue 7): exact reasons for a whole province, compiled TreeSHAP vs pred_contrib vs shap.

Goal: exact reasons (per-feature TreeSHAP summed into reason groups, the strongest four kept) for
the whole province, 2,080,000 rows, within 10 minutes on 2 cores, memory bounded.

The model is the default one (``bench_score.py`` ``default_model``: ``whitelist train --config
configs/train.yaml`` on the 200,000 province's labelled panel). The rows are the province's scoring
set (``bench_score.py`` ``scoring_set(2080000)``: ``whitelist generate --enterprises 2080000 --seed 0``,
validated, ``whitelist features --as-of 2024-12-31``: every visit-list enterprise, about 73% of the
enterprises). Since that set holds fewer than 2,080,000 rows, the stream wraps around to its first
rows again until ``--rows`` rows are done (the JSON keeps both counts).

Each method runs in its own process under ``/usr/bin/time -v`` (``timing.timed``), one after the
other in the same run, on the same rows in the same chunks of ``--chunk`` rows:

1. read the chunk's model features from Parquet (pyarrow batches), ``ModelArtefact.matrix``, then
   the float64 array LightGBM itself makes of it (``models.contributions.model_array``): the same
   input for all three methods;
2. contributions: ``treeshap`` = ``whitelist.models.treeshap.tree_shap`` on the ``compile_booster``
   forest (compiled once; its seconds and the first, JIT-compiling call are reported apart and are
   inside the process wall); ``pred_contrib`` = ``booster.predict(X, pred_contrib=True)``;
   ``shap`` = ``shap.TreeExplainer(booster).shap_values(X)`` (path-dependent, which for LightGBM
   calls ``pred_contrib`` itself);
3. reasons: ``GroupMap.sum`` (the reason groups of ``whitelist/models/reasons.yaml``, rounded to
   1e-6 as a run does) and ``top_reasons`` (the four strongest groups, risk-raising ones where the
   row's raw score is above the base value, supporting ones elsewhere); the chunk is then dropped
   and only the four reason indices per row are kept (``int16``, written to OUT for the check).

Reported per method: process wall (Python start-up and imports included), the seconds of each
phase, rows/s of the contributions alone and of the whole process, peak resident GB of the
process and the peak PSS of the process tree sampled every second, and the 1-minute load
meanwhile. ``--shap-rows`` limits shap to fewer rows (then its figures are extrapolated linearly
to ``--rows`` and the JSON says so). The compiled path runs twice (first and fourth), to bracket
any change of load. A last ``check`` process computes both ``tree_shap`` and ``pred_contrib`` on
``--check-rows`` rows (all by default): max abs difference contribution by contribution, row sums
against the raw score, the NaN share of the matrix; and the runs' kept reasons are compared row by
row.

    .venv/bin/python benchmarks/bench_reasons_province.py --wait-idle     # ~15 min after the data
    .venv/bin/python benchmarks/bench_reasons_province.py --wait-idle --tag largest --methods treeshap \\
        --check-rows 20000 --booster benchmarks/out/shapes-200000/trees-400.txt    # the space's largest shape
    .venv/bin/python benchmarks/bench_reasons_province.py --report benchmarks/out/bench-reasons-province.json

The first run builds the data: the 200,000 province and its default model (~10 minutes) and the
2,080,000 province's scoring set (~12 minutes), cached under OUT/score-<n>/.
Figures go to OUT/bench-reasons-province.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_score import LoadSampler, default_model, git, scoring_set, wait_idle  # noqa: E402
from bench_shap_shapes import machine, shape, versions  # noqa: E402
from timing import timed  # noqa: E402

OUT = HERE / "out"
MODEL_N = 200_000
PROVINCE = 2_080_000
METHODS = ("treeshap", "pred_contrib", "shap")


# ---------------------------------------------------------------- child


def chunks(features: Path, columns: list[str], rows: int, chunk: int) -> Iterator[tuple[Any, int]]:
    """Batches of ``chunk`` rows of the scoring set, wrapping around to its start until ``rows`` are given."""
    import pyarrow.parquet as pq

    done = 0
    while done < rows:
        file = pq.ParquetFile(features)
        for batch in file.iter_batches(batch_size=chunk, columns=columns):
            if done >= rows:
                return
            batch = batch.slice(0, rows - done)
            yield batch, done
            done += batch.num_rows


def with_booster(model: Path, booster: str) -> Any:
    """The model folder's artefact, with another booster swapped in when ``booster`` names a model file."""
    import dataclasses

    import lightgbm as lgb

    from whitelist.models.artefact import ModelArtefact

    artefact = ModelArtefact.load(model)
    if booster == "-":
        return artefact
    return dataclasses.replace(artefact, booster=lgb.Booster(model_file=booster))


def child(method: str, model: Path, booster_file: str, features: Path, rows: int, chunk: int, result: Path) -> None:
    t0 = time.perf_counter()
    import numpy as np
    import pyarrow.parquet as pq

    from whitelist.models.artefact import ModelArtefact
    from whitelist.models.contributions import model_array
    from whitelist.models.reasons import load_reasons, top_reasons
    from whitelist.models.treeshap import compile_booster, tree_shap

    if method == "shap":
        import warnings

        import shap

        warnings.simplefilter("ignore")
    imports = time.perf_counter() - t0
    seconds = {"imports": imports, "load_model": 0.0, "prepare": 0.0, "first_call": 0.0, "read": 0.0, "matrix": 0.0,
               "contributions": 0.0, "reasons": 0.0}
    t = time.perf_counter()
    artefact = with_booster(model, booster_file)
    booster = artefact.booster
    groups = load_reasons().group_map(artefact.features, strict=artefact.on_government_panel)
    seconds["load_model"] = time.perf_counter() - t
    n_features = len(artefact.features)

    t = time.perf_counter()
    if method == "treeshap":
        forest = compile_booster(booster)
        seconds["prepare"] = time.perf_counter() - t
        t = time.perf_counter()
        tree_shap(forest, np.full((64, n_features), np.nan))  # numba JIT (or its cache) outside the per-row figure
        seconds["first_call"] = time.perf_counter() - t

        def contributions(X: Any) -> Any:
            return tree_shap(forest, X)
    elif method == "pred_contrib":
        def contributions(X: Any) -> Any:
            return booster.predict(X, pred_contrib=True)
    else:
        explainer = shap.TreeExplainer(booster)
        seconds["prepare"] = time.perf_counter() - t

        def contributions(X: Any) -> Any:
            return np.asarray(explainer.shap_values(X))

    kept = np.empty((rows, 4), dtype=np.int16)
    group_total = np.zeros(len(groups.codes))
    n_chunks = 0
    total = pq.ParquetFile(features).metadata.num_rows
    clock = time.perf_counter()
    for batch, start in chunks(features, list(artefact.features), rows, chunk):
        t = time.perf_counter()
        table = batch.to_pandas()
        seconds["read"] += time.perf_counter() - t
        t = time.perf_counter()
        X = model_array(booster, artefact.matrix(table))
        seconds["matrix"] += time.perf_counter() - t
        t = time.perf_counter()
        contrib = contributions(X)
        seconds["contributions"] += time.perf_counter() - t
        t = time.perf_counter()
        values = groups.sum(contrib)
        if contrib.shape[1] == n_features + 1:
            direction = np.where(contrib[:, :n_features].sum(axis=1) > 0, 1.0, -1.0)
        else:  # shap drops the base value column: its values sum to raw score minus base value
            direction = np.where(contrib.sum(axis=1) > 0, 1.0, -1.0)
        index, _ = top_reasons(values, direction)
        kept[start : start + len(index)] = index
        group_total += values.sum(axis=0)
        seconds["reasons"] += time.perf_counter() - t
        n_chunks += 1
        del table, X, contrib, values
    loop = time.perf_counter() - clock
    np.save(result.with_suffix(".npy"), kept)
    result.write_text(json.dumps({
        "method": method, "rows": rows, "scoring_set_rows": total, "chunk": chunk, "chunks": n_chunks,
        "features": n_features, "reason_groups": len(groups.codes), "seconds": seconds, "loop_s": loop,
        "in_process_s": time.perf_counter() - t0, "contributions_rows_per_s": rows / seconds["contributions"],
        "group_total_checksum": float(group_total.sum()),
        "numba_threads": __import__("numba").get_num_threads(),
    }))


def check(model: Path, booster_file: str, features: Path, rows: int, chunk: int, shap_rows: int, result: Path) -> None:
    """tree_shap against pred_contrib (and shap on the first rows) contribution by contribution; NaN share."""
    import warnings

    import numpy as np
    import shap

    from whitelist.models.artefact import ModelArtefact
    from whitelist.models.contributions import model_array
    from whitelist.models.treeshap import compile_booster, tree_shap

    warnings.simplefilter("ignore")
    artefact = with_booster(model, booster_file)
    booster = artefact.booster
    forest = compile_booster(booster)
    explainer = shap.TreeExplainer(booster)
    diff = row_sum = shap_diff = shap_vs_ours = 0.0
    nan_cells = rows_with_nan = done = shap_done = 0
    for batch, _ in chunks(features, list(artefact.features), rows, chunk):
        X = model_array(booster, artefact.matrix(batch.to_pandas()))
        ours = tree_shap(forest, X)
        theirs = booster.predict(X, pred_contrib=True)
        raw = booster.predict(X, raw_score=True)
        diff = max(diff, float(np.abs(ours - theirs).max()))
        row_sum = max(row_sum, float(np.abs(ours.sum(axis=1) - raw).max()))
        if shap_done < shap_rows:
            k = min(shap_rows - shap_done, len(X))
            s = np.asarray(explainer.shap_values(X[:k]))
            shap_diff = max(shap_diff, float(np.abs(s - theirs[:k, :-1]).max()))
            shap_vs_ours = max(shap_vs_ours, float(np.abs(s - ours[:k, :-1]).max()))
            shap_done += k
        nan = np.isnan(X)
        nan_cells += int(nan.sum())
        rows_with_nan += int(nan.any(axis=1).sum())
        done += len(X)
    result.write_text(json.dumps({
        "rows": done, "max_abs_diff_tree_shap_vs_pred_contrib": diff, "max_abs_row_sum_minus_raw_score": row_sum,
        "shap_rows": shap_done, "max_abs_diff_shap_vs_pred_contrib": shap_diff,
        "max_abs_diff_shap_vs_tree_shap": shap_vs_ours, "nan_share_cells": nan_cells / (done * X.shape[1]),
        "rows_with_a_nan_share": rows_with_nan / done, "features": X.shape[1],
    }))


# ---------------------------------------------------------------- parent


def run_child(argv: list[str], result: Path, idle: bool) -> dict[str, Any]:
    result.unlink(missing_ok=True)
    waited = wait_idle(idle)
    with LoadSampler() as load:
        wall, peak = timed([sys.executable, __file__, *argv, str(result)])
    data = json.loads(result.read_text())
    data.update(process_wall_s=wall, process_peak_gb=peak, tree_pss_peak_gb=load.tree_peak_gb(),
                load_1min=load.summary(), waited_for_idle_s=waited)
    if "rows" in data and "method" in data:
        data["process_rows_per_s"] = data["rows"] / wall
    return data


def report(res: dict[str, Any]) -> None:
    m, v = res["machine"], res["versions"]
    print(f"# {res['date']}, {m['cores']} cores ({m['cpu']}, {m['hypervisor']}), {m['memory_gb']} GB; "
          + ", ".join(f"{k} {x}" for k, x in v.items()) + f"; whitelist at {res['commit']}")
    s = res["model_shape"]
    print(f"# model {res['model']}{' with booster ' + res['booster'] if res.get('booster', '-') != '-' else ''}: {s['trees']} trees, {s['leaves']:,} leaves, max depth {s['max_depth']}; "
          f"{res['rows']:,} rows ({res['scoring_set_rows']:,} in the scoring set), chunks of {res['chunk']:,}")
    print("| method | rows | process s (min) | rows/s (process) | contributions s | rows/s (contributions) | "
          "read + matrix s | reasons s | compile + first call s | peak GB (tree PSS) | load mean (max) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in res["runs"]:
        sec = r["seconds"]
        note = " (extrapolated)" if r.get("extrapolated_from") else ""
        print(f"| {r['label']} | {r['rows']:,} | {r['process_wall_s']:.1f} ({r['process_wall_s'] / 60:.1f}){note} | "
              f"{r['process_rows_per_s']:,.0f} | {sec['contributions']:.1f} | {r['contributions_rows_per_s']:,.0f} | "
              f"{sec['read'] + sec['matrix']:.1f} | {sec['reasons']:.1f} | {sec['prepare'] + sec['first_call']:.2f} | "
              f"{r['process_peak_gb']:.2f} ({r['tree_pss_peak_gb']}) | {r['load_1min']['mean']} ({r['load_1min']['max']}) |")
    c = res.get("check")
    if c:
        print(f"# check on {c['rows']:,} rows: max |tree_shap - pred_contrib| {c['max_abs_diff_tree_shap_vs_pred_contrib']:.2e}, "
              f"row sums vs raw {c['max_abs_row_sum_minus_raw_score']:.2e}; shap vs pred_contrib "
              f"{c['max_abs_diff_shap_vs_pred_contrib']:.2e} on {c['shap_rows']:,}; NaN share {c['nan_share_cells']:.1%} "
              f"of cells, {c['rows_with_a_nan_share']:.1%} of rows have one")
    for k, x in res.get("reasons_agree", {}).items():
        print(f"# top-4 reasons {k}: {x}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":  # _child METHOD MODEL BOOSTER|- FEATURES ROWS CHUNK RESULT
        a = sys.argv[2:]
        child(a[0], Path(a[1]), a[2], Path(a[3]), int(a[4]), int(a[5]), Path(a[6]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_check":  # _check MODEL BOOSTER|- FEATURES ROWS CHUNK SHAP_ROWS RESULT
        a = sys.argv[2:]
        check(Path(a[0]), a[1], Path(a[2]), int(a[3]), int(a[4]), int(a[5]), Path(a[6]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=PROVINCE, help="Rows to give reasons for (wrapping around).")
    parser.add_argument("--province", type=int, default=PROVINCE, help="Enterprises of the province generated.")
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--shap-rows", type=int, default=None, help="Rows for shap.TreeExplainer (default: --rows).")
    parser.add_argument("--check-rows", type=int, default=None, help="Rows for the tree_shap/pred_contrib check.")
    parser.add_argument("--check-shap-rows", type=int, default=20_000)
    parser.add_argument("--methods", nargs="*", default=["treeshap", "pred_contrib", "shap", "treeshap"])
    parser.add_argument("--wait-idle", action="store_true", help="Start each process once the 1-minute load < 0.8.")
    parser.add_argument("--booster", type=Path, help="A LightGBM model file to use instead of the default model's "
                        "booster (same features and categories), e.g. benchmarks/out/shapes-200000/trees-400.txt")
    parser.add_argument("--tag", default="province")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    import numpy as np
    import pyarrow.parquet as pq

    _, features = scoring_set(args.province, 0, OUT)
    scoring_set(MODEL_N, 0, OUT)
    model, _ = default_model(MODEL_N, None, OUT)
    booster = str(args.booster.resolve()) if args.booster else "-"
    artefact = with_booster(model, booster)
    res: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_whitelist": bool(git("status", "--porcelain", "whitelist")), "machine": machine(),
        "versions": versions(), "model": str(model), "booster": booster, "model_shape": shape(artefact.booster),
        "features_file": str(features), "scoring_set_rows": pq.ParquetFile(features).metadata.num_rows,
        "rows": args.rows, "chunk": args.chunk, "load_start": [round(x, 2) for x in os.getloadavg()], "runs": []}
    work = OUT / f"reasons-{args.tag}"
    work.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = {}
    done: set[str] = set()
    for method in args.methods:
        seen[method] = seen.get(method, 0) + 1
        label = method if seen[method] == 1 else f"{method} (again)"
        rows = args.rows if method != "shap" or args.shap_rows is None else min(args.shap_rows, args.rows)
        print(f"{label}: {rows:,} rows ...", flush=True)
        r = run_child(["_child", method, str(model), booster, str(features), str(rows), str(args.chunk)],
                      work / f"{method}-{seen[method]}.json", args.wait_idle)
        r["label"] = label
        done.add(f"{method}-{seen[method]}")
        if rows < args.rows:  # shap on a subset: the contributions and the process scaled to all rows
            r["extrapolated_from"] = rows
            scale = args.rows / rows
            fixed = r["seconds"]["imports"] + r["seconds"]["load_model"] + r["seconds"]["prepare"]
            r["process_wall_s_measured"] = r["process_wall_s"]
            r["process_wall_s"] = fixed + (r["process_wall_s"] - fixed) * scale
            r["seconds"] = {k: (x if k in ("imports", "load_model", "prepare", "first_call") else x * scale)
                            for k, x in r["seconds"].items()}
            r["rows"] = args.rows
            r["process_rows_per_s"] = args.rows / r["process_wall_s"]
        res["runs"].append(r)
        print(f"  {r['process_wall_s']:.1f} s, contributions {r['seconds']['contributions']:.1f} s "
              f"({r['contributions_rows_per_s']:,.0f} rows/s), peak {r['process_peak_gb']:.2f} GB, load "
              f"{r['load_1min']['mean']}", flush=True)
        (OUT / f"bench-reasons-{args.tag}.json").write_text(json.dumps(res, indent=2))
    check_rows = args.check_rows or args.rows
    if check_rows > 0:
        print(f"check: {check_rows:,} rows ...", flush=True)
        res["check"] = run_child(["_check", str(model), booster, str(features), str(check_rows), str(args.chunk),
                                  str(args.check_shap_rows)], work / "check.json", False)
    kept = {p.stem: np.load(p) for p in sorted(work.glob("*.npy")) if p.stem in done}
    base = kept.get("treeshap-1")
    if base is not None:
        res["reasons_agree"] = {}
        for name, other in kept.items():
            if name != "treeshap-1":
                n = min(len(base), len(other))
                res["reasons_agree"][f"treeshap-1 vs {name}"] = {
                    "rows": n, "rows_differing": int((base[:n] != other[:n]).any(axis=1).sum())}
    res["load_end"] = [round(x, 2) for x in os.getloadavg()]
    (OUT / f"bench-reasons-{args.tag}.json").write_text(json.dumps(res, indent=2))
    report(res)


if __name__ == "__main__":
    main()
