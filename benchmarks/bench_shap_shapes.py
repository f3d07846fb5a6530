"""Benchmark (issue 7): how exact-SHAP speed and out-of-time AUC change with tree depth, leaves and count.

Not a test. On the synthetic 200,000 province, one dimension of the booster's shape is varied at a
time around the largest point the default search space allows (``whitelist/training/tune.py``
DEFAULT_SPACE: max_depth 3-6, num_leaves 8-63; configs/train.yaml: at most 400 trees), and for
every shape it reports: trees, total leaves, mean and max leaf depth, out-of-time AUC (raw score,
the package's own test part), LightGBM ``pred_contrib`` rows/s and the compiled ``tree_shap``
rows/s (warm: after a first call), on the same scoring rows.

How each model is trained (as ``bench_score.py`` ``child_largest``): ``lightgbm.train`` on the
default-trained model's own training part of the labelled 200,000 panel (``whitelist.training.split``,
same seed: enterprise-disjoint and out of time), with that model's features, categories, 14
monotone constraints and other tuned parameters (feature/bagging fraction, lambda_l2, ...),
``min_data_in_leaf`` at the space's floor (20) and ``feature_pre_filter`` off as training does.
Then per axis:

* depth: max_depth 3/4/5/6/unlimited at num_leaves 63, learning rate 0.03, early stopping
  (50 rounds, validation AUC on the package's validation part, as training does) capped at 400;
* leaves: num_leaves 8/15/31/63/127/255 at unlimited depth, same learning rate and stopping;
* trees: exactly 100/200/400/800/1000 rounds at depth 6 and 63 leaves, learning rate fitted to
  the count (0.03 x 400 / rounds), no early stopping; 400 rounds is the search space's largest
  point (the ``bench_score.py --shape largest`` timing model);
* reference "unconstrained": 255 leaves, unlimited depth, learning rate 0.03, early stopping
  capped at 1,000 rounds; and the same with min_data_in_leaf 500 (the space's ceiling) instead of
  20, since 255 leaves of 20 rows overfit this panel;
* and the default-trained model itself (``configs/train.yaml``, 30 Optuna trials), as trained.

AUC differences are paired (the same test rows) with a 95% interval from a bootstrap over the
test part's enterprises (``--boot`` resamples). Speed: the first ``--rows`` rows of the 200,000
scoring set as the float64 matrix LightGBM itself makes of ``ModelArtefact.matrix``
(``models.contributions.model_array``), the same rows for every model; ``pred_contrib`` on fewer
rows when a 500-row probe says ``--rows`` would take more than ``--budget`` seconds (likewise
``tree_shap``); max abs difference of the two on the rows both computed. Each model's booster is
kept as OUT/shapes-200000/<name>.txt, so ``--phase time`` measures speed again without training
(on a quieter machine), and ``--report`` prints the table of the JSON again.

    .venv/bin/python benchmarks/bench_shap_shapes.py                  # train + time, ~40 min
    .venv/bin/python benchmarks/bench_shap_shapes.py --phase time     # speeds again, saved boosters
    .venv/bin/python benchmarks/bench_shap_shapes.py --report benchmarks/out/bench-shap-shapes-200000.json

The first run trains the default model if OUT/score-200000/model-tcfg is missing (``bench_score.py``
``scoring_set`` and ``default_model``, about 10 minutes). Figures go to
OUT/bench-shap-shapes-200000.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_score import default_model, git, scoring_set  # noqa: E402

OUT = HERE / "out"
N = 200_000
SPACE_LR = 0.03
"""Learning rate of the depth, leaves and reference models; the trees axis fits it to the count."""
MIN_DATA_IN_LEAF = 20
EARLY_STOPPING = 50

CONFIGS: list[dict[str, Any]] = [
    *({"name": f"depth-{d if d > 0 else 'unl'}", "axis": "depth", "max_depth": d, "num_leaves": 63,
       "learning_rate": SPACE_LR, "rounds": 400, "early_stopping": True} for d in (3, 4, 5, 6, -1)),
    *({"name": f"leaves-{n}", "axis": "leaves", "max_depth": -1, "num_leaves": n, "learning_rate": SPACE_LR,
       "rounds": 400, "early_stopping": True} for n in (8, 15, 31, 127, 255)),
    *({"name": f"trees-{t}", "axis": "trees", "max_depth": 6, "num_leaves": 63,
       "learning_rate": round(SPACE_LR * 400 / t, 4), "rounds": t, "early_stopping": False}
      for t in (100, 200, 400, 800, 1000)),
    {"name": "unconstrained", "axis": "reference", "max_depth": -1, "num_leaves": 255, "learning_rate": SPACE_LR,
     "rounds": 1000, "early_stopping": True},
    {"name": "unconstrained-mdl500", "axis": "reference", "max_depth": -1, "num_leaves": 255,
     "learning_rate": SPACE_LR, "rounds": 1000, "early_stopping": True, "min_data_in_leaf": 500},
]
"""leaves-63 at unlimited depth is depth-unl; trees-400 is the search space's largest point."""


def in_space(cfg: dict[str, Any]) -> bool:
    """Within the default search space and the config's tree cap (depth 3-6, leaves 8-63, <= 400 trees)."""
    return 3 <= cfg["max_depth"] <= 6 and 8 <= cfg["num_leaves"] <= 63 and cfg["rounds"] <= 400


# ---------------------------------------------------------------- shapes


def shape(booster: Any) -> dict[str, Any]:
    """Trees, leaves, mean/max leaf depth of a booster's dump."""
    info = booster.dump_model()["tree_info"]
    depths: list[int] = []
    tree_max: list[int] = []

    def walk(node: dict, d: int, out: list[int]) -> None:
        if "split_index" not in node:
            out.append(d)
            return
        walk(node["left_child"], d + 1, out)
        walk(node["right_child"], d + 1, out)

    for t in info:
        leaves: list[int] = []
        walk(t["tree_structure"], 0, leaves)
        depths += leaves
        tree_max.append(max(leaves))
    return {"trees": len(info), "leaves": len(depths), "mean_leaves_per_tree": round(len(depths) / len(info), 1),
            "max_leaves_per_tree": max(t["num_leaves"] for t in info),
            "mean_leaf_depth": round(sum(depths) / len(depths), 2), "max_depth": max(tree_max),
            "mean_tree_depth": round(sum(tree_max) / len(tree_max), 2)}


# ---------------------------------------------------------------- data


def load_panel(tuned: Path, panel: Path) -> dict[str, Any]:
    """The tuned model's split of the labelled panel and the model matrix, as training makes them."""
    import numpy as np
    import pandas as pd

    from whitelist.models.artefact import ModelArtefact
    from whitelist.training.split import split

    artefact = ModelArtefact.load(tuned)
    meta = artefact.about
    target, id_col, time_col, seed = meta.target, meta.id_col, meta.time_col, meta.seed
    frame = pd.read_parquet(panel, columns=[*artefact.features, target, id_col, time_col])
    frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    y = frame[target].astype("float64")
    parts = split(frame, y, time_col=time_col, id_col=id_col, seed=seed)
    x = artefact.matrix(frame, str(panel))
    test_ids = frame[id_col].astype("string").to_numpy()[parts.test]
    return {"artefact": artefact, "x": x, "y": y.to_numpy(), "parts": parts,
            "test_groups": np.unique(test_ids, return_inverse=True)[1],
            "rows": {"train": int(parts.train.size), "valid": int(parts.valid.size), "test": int(parts.test.size)},
            "split_rows_as_tuned": {"train": int(parts.train.size), "valid": int(parts.valid.size),
                                    "test": int(parts.test.size)} == meta["split"]["rows"]}


def scoring_matrix(artefact: Any, rows: int) -> Any:
    import pyarrow.parquet as pq

    from whitelist.models.contributions import model_array

    table = pq.read_table(OUT / f"score-{N}" / "score.parquet", columns=list(artefact.features)).slice(0, rows)
    return model_array(artefact.booster, artefact.matrix(table.to_pandas()))


# ---------------------------------------------------------------- train


def train_one(cfg: dict[str, Any], data: dict[str, Any], folder: Path) -> dict[str, Any]:
    import lightgbm as lgb

    artefact, x, y, parts = data["artefact"], data["x"], data["y"], data["parts"]
    meta = artefact.about
    params = {**(meta.params or {}), "metric": "auc", "learning_rate": cfg["learning_rate"], "max_depth": cfg["max_depth"],
              "num_leaves": cfg["num_leaves"], "min_data_in_leaf": cfg.get("min_data_in_leaf", MIN_DATA_IN_LEAF), "seed": meta.seed,
              "monotone_constraints": [int(meta.monotone.get(f, 0)) for f in artefact.features]}
    train = lgb.Dataset(x.iloc[parts.train], y[parts.train], free_raw_data=False, params={"feature_pre_filter": False})
    valid = lgb.Dataset(x.iloc[parts.valid], y[parts.valid], reference=train, free_raw_data=False)
    callbacks = [lgb.early_stopping(EARLY_STOPPING, verbose=False)] if cfg["early_stopping"] else []
    t = time.perf_counter()
    booster = lgb.train(params, train, num_boost_round=cfg["rounds"], valid_sets=[valid] if callbacks else None,
                        callbacks=callbacks)
    train_s = time.perf_counter() - t
    best = booster.best_iteration if cfg["early_stopping"] and booster.best_iteration > 0 else cfg["rounds"]
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    (folder / f"{cfg['name']}.txt").write_text(booster.model_to_string())
    return {"train_s": round(train_s, 1), "rounds_kept": int(best), **evaluate(booster, data),
            "params": {k: v for k, v in params.items() if k != "monotone_constraints"}}


def evaluate(booster: Any, data: dict[str, Any]) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    x, y, parts = data["x"], data["y"], data["parts"]
    raw_test = booster.predict(x.iloc[parts.test], raw_score=True)
    raw_valid = booster.predict(x.iloc[parts.valid], raw_score=True)
    return {"test_auc": float(roc_auc_score(y[parts.test], raw_test)),
            "valid_auc": float(roc_auc_score(y[parts.valid], raw_valid)),
            "_raw_test": raw_test, "shape": shape(booster)}


def bootstrap(a: Any, b: Any, y: Any, groups: Any, reps: int, seed: int = 0) -> dict[str, float]:
    """AUC(a) - AUC(b) on the same test rows, with a 95% interval from resampling enterprises."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n_groups = int(groups.max()) + 1
    diffs = []
    for _ in range(reps):
        w = rng.multinomial(n_groups, np.full(n_groups, 1 / n_groups))[groups].astype(float)
        diffs.append(roc_auc_score(y, a, sample_weight=w) - roc_auc_score(y, b, sample_weight=w))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {"diff": float(roc_auc_score(y, a) - roc_auc_score(y, b)), "lo": float(lo), "hi": float(hi), "reps": reps}


# ---------------------------------------------------------------- speed


def speed(booster: Any, X: Any, budget: float) -> dict[str, Any]:
    """pred_contrib and warm tree_shap rows/s on the first rows of X (fewer when --budget says so)."""
    import numpy as np

    from whitelist.models.treeshap import compile_booster, tree_shap

    def rows_for(fn: Any) -> tuple[int, float]:
        probe = min(500, len(X))
        t = time.perf_counter()
        fn(X[:probe])
        rate = probe / (time.perf_counter() - t)
        return max(min(len(X), int(rate * budget)), min(2_000, len(X))), rate

    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    forest = compile_booster(booster)
    compile_s = time.perf_counter() - t
    tree_shap(forest, X[:64])  # warm: JIT or cache load, tables touched
    n_ours, _ = rows_for(lambda a: tree_shap(forest, a))
    t = time.perf_counter()
    ours = tree_shap(forest, X[:n_ours])
    ours_s = time.perf_counter() - t
    n_lgb, _ = rows_for(lambda a: booster.predict(a, pred_contrib=True))
    t = time.perf_counter()
    contrib = booster.predict(X[:n_lgb], pred_contrib=True)
    contrib_s = time.perf_counter() - t
    common = min(n_ours, n_lgb)
    raw = booster.predict(X[:n_ours], raw_score=True)
    return {
        "pred_contrib": {"rows": n_lgb, "seconds": contrib_s, "rows_per_s": n_lgb / contrib_s},
        "tree_shap": {"rows": n_ours, "seconds": ours_s, "rows_per_s": n_ours / ours_s, "compile_booster_s": compile_s,
                      "table_mb": forest.table_bytes / 1e6, "table_max_unique": forest.table_max_unique,
                      "max_unique_features_on_a_path": forest.max_unique},
        "speedup": (n_ours / ours_s) / (n_lgb / contrib_s),
        "max_abs_diff": float(np.abs(ours[:common] - contrib[:common]).max()),
        "max_abs_row_sum_minus_raw": float(np.abs(ours.sum(axis=1) - raw).max()),
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


# ---------------------------------------------------------------- main


def versions() -> dict[str, str]:
    import lightgbm
    import numba
    import numpy
    import shap
    import sklearn

    return {"python": platform.python_version(), "lightgbm": lightgbm.__version__, "numba": numba.__version__,
            "numpy": numpy.__version__, "shap": shap.__version__, "sklearn": sklearn.__version__}


def machine() -> dict[str, Any]:
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("Model name")), "")
    hyper = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if "Hypervisor vendor" in line), "")
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"cores": os.cpu_count(), "cpu": model, "hypervisor": hyper, "memory_gb": round(mem / 1024**2, 1),
            "host": socket.gethostname()}


def report(res: dict[str, Any]) -> None:
    m, v = res["machine"], res["versions"]
    print(f"# {res['date']}, {m['cores']} cores ({m['cpu']}, {m['hypervisor']}), {m['memory_gb']} GB; "
          + ", ".join(f"{k} {x}" for k, x in v.items()) + f"; whitelist at {res['commit']}")
    print(f"# split rows {res['split_rows']} (as the tuned model: {res['split_rows_as_tuned']}); "
          f"speed on {res['speed_rows']:,} scoring rows, NaN share {res['nan_share']:.1%}")
    print("| model | axis | in space | depth / leaves cap | lr | rounds (kept) | trees | leaves | mean leaf depth (max) "
          "| OOT AUC | vs tuned (95%) | pred_contrib rows/s | tree_shap rows/s | speedup | train s | load |")
    print("|---|---|---|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---|")
    for r in res["models"]:
        s, sp = r["shape"], r.get("speed")
        b = r.get("vs_tuned")
        vs = "" if b is None else f"{b['diff']:+.4f} ({b['lo']:+.4f}, {b['hi']:+.4f})"
        cfg = r["config"]
        cap = f"{cfg['max_depth'] if cfg['max_depth'] > 0 else 'unl'} / {cfg['num_leaves']}"
        rounds = f"{cfg['rounds']}{' ES' if cfg['early_stopping'] else ''} ({r['rounds_kept']})"
        pc = f"{sp['pred_contrib']['rows_per_s']:,.0f}" if sp else ""
        ts = f"{sp['tree_shap']['rows_per_s']:,.0f}" if sp else ""
        up = f"{sp['speedup']:.1f}x" if sp else ""
        load = "/".join(str(x) for x in sp["load_1min"]) if sp else ""
        print(f"| {r['name']} | {cfg['axis']} | {'yes' if r['in_space'] else 'no'} | {cap} | {cfg['learning_rate']} | "
              f"{rounds} | {s['trees']} | {s['leaves']:,} | {s['mean_leaf_depth']} ({s['max_depth']}) | "
              f"{r['test_auc']:.4f} | {vs} | {pc} | {ts} | {up} | {r.get('train_s', '')} | {load} |")
    lim = res.get("limits")
    if lim:
        print("# cost of each limit (best OOT AUC beyond it minus best within it):")
        for k, x in lim.items():
            print(f"#   {k}: {json.dumps(x)}")


def limits(models: list[dict[str, Any]], raws: dict[str, Any], data: dict[str, Any], reps: int) -> dict[str, Any]:
    """Per limit: the best model within it vs the best beyond it (same axis), paired bootstrap."""
    by = {m["name"]: m for m in models}
    y, groups = data["y"][data["parts"].test], data["test_groups"]

    def best(names: list[str]) -> str:
        return max(names, key=lambda n: by[n]["test_auc"])

    within_space = [m["name"] for m in models if m["in_space"]]
    groups_of = {
        "max_depth <= 6 (num_leaves 63)": (["depth-3", "depth-4", "depth-5", "depth-6"], ["depth-unl"]),
        "num_leaves <= 63 (depth unlimited)": (["leaves-8", "leaves-15", "leaves-31", "depth-unl"],
                                               ["leaves-127", "leaves-255"]),
        "trees <= 400 (depth 6, 63 leaves)": (["trees-100", "trees-200", "trees-400"], ["trees-800", "trees-1000"]),
        "whole search space vs unconstrained": (within_space, ["unconstrained", "unconstrained-mdl500"]),
        "whole search space vs any model measured": (within_space, [m["name"] for m in models if not m["in_space"]]),
    }
    out = {}
    for label, (inside, beyond) in groups_of.items():
        inside = [n for n in inside if n in by]
        beyond = [n for n in beyond if n in by]
        if not inside or not beyond:
            continue
        a, b = best(beyond), best(inside)
        boot = bootstrap(raws[a], raws[b], y, groups, reps)
        sa, sb = by[a].get("speed"), by[b].get("speed")
        out[label] = {"best_beyond": a, "best_within": b, "auc_beyond": round(by[a]["test_auc"], 4),
                      "auc_within": round(by[b]["test_auc"], 4), "auc_gain_beyond": round(boot["diff"], 4),
                      "ci95": [round(boot["lo"], 4), round(boot["hi"], 4)],
                      "tree_shap_rows_per_s": [round(sb["tree_shap"]["rows_per_s"]) if sb else None,
                                               round(sa["tree_shap"]["rows_per_s"]) if sa else None],
                      "pred_contrib_rows_per_s": [round(sb["pred_contrib"]["rows_per_s"]) if sb else None,
                                                  round(sa["pred_contrib"]["rows_per_s"]) if sa else None]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=["all", "train", "time"], default="all",
                        help="train: models and AUC only; time: speeds of the saved boosters only; all: both")
    parser.add_argument("--only", nargs="*", help="Model names to (re)do; the others are kept from the JSON.")
    parser.add_argument("--rows", type=int, default=20_000, help="Scoring rows for the speeds.")
    parser.add_argument("--budget", type=float, default=20.0, help="Seconds a speed measurement may take at most.")
    parser.add_argument("--boot", type=int, default=200, help="Bootstrap resamples of the AUC differences.")
    parser.add_argument("--report", type=Path, help="Print the table of a results file again.")
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    import numpy as np

    path = OUT / f"bench-shap-shapes-{N}.json"
    folder = OUT / f"shapes-{N}"
    folder.mkdir(parents=True, exist_ok=True)
    scoring_set(N, 0, OUT)
    tuned, _ = default_model(N, None, OUT)
    old = json.loads(path.read_text()) if path.is_file() else {"models": []}
    kept = {m["name"]: m for m in old["models"]}
    print("reading the panel ...", flush=True)
    t = time.perf_counter()
    data = load_panel(tuned, OUT / f"score-{N}" / "train.parquet")
    print(f"  {time.perf_counter() - t:.0f} s, split {data['rows']}", flush=True)
    X = scoring_matrix(data["artefact"], args.rows)
    res: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_whitelist": bool(git("status", "--porcelain", "whitelist")), "machine": machine(),
        "versions": versions(), "tuned_model": str(tuned), "split_rows": data["rows"],
        "split_rows_as_tuned": data["split_rows_as_tuned"], "speed_rows": len(X), "nan_share": float(np.isnan(X).mean()),
        "min_data_in_leaf": MIN_DATA_IN_LEAF, "early_stopping": EARLY_STOPPING, "budget_s": args.budget,
        "load_start": [round(x, 2) for x in os.getloadavg()], "models": []}
    import lightgbm as lgb

    todo = [{"name": "tuned", "axis": "default model", "max_depth": None, "num_leaves": None,
             "learning_rate": None, "rounds": None, "early_stopping": True}, *CONFIGS]
    raws: dict[str, Any] = {}
    for cfg in todo:
        name = cfg["name"]
        redo = args.only is None or name in args.only
        booster_file = tuned / "model.txt" if name == "tuned" else folder / f"{name}.txt"
        if name == "tuned":
            p = data["artefact"].about.params or {}
            cfg = {**cfg, "max_depth": int(p["max_depth"]), "num_leaves": int(p["num_leaves"]),
                   "learning_rate": round(float(p["learning_rate"]), 4),
                   "rounds": int((data["artefact"].about.config or {})["max_trees"])}
        if name != "tuned" and (not booster_file.is_file() or (args.phase in ("all", "train") and redo)):
            print(f"training {name} ...", flush=True)
            row = train_one(cfg, data, folder)
        else:  # kept: the saved booster's AUC is computed again (seconds), its train_s and speed kept
            row = {k: x for k, x in kept.get(name, {}).items() if k not in ("vs_tuned",)}
            booster = data["artefact"].booster if name == "tuned" else lgb.Booster(model_file=str(booster_file))
            row.update(rounds_kept=row.get("rounds_kept", booster.num_trees()), **evaluate(booster, data))
        booster = lgb.Booster(model_file=str(booster_file))
        raws[name] = row.pop("_raw_test")
        row.update(name=name, config=cfg, in_space=name == "tuned" or in_space(cfg))
        if args.phase in ("all", "time") and (redo or "speed" not in row):
            print(f"timing {name} ...", flush=True)
            row["speed"] = speed(booster, X, args.budget)
        res["models"].append(row)
        sp = row.get("speed")
        print(f"  {name}: {row['shape']['trees']} trees, {row['shape']['leaves']:,} leaves, depth "
              f"{row['shape']['mean_leaf_depth']} ({row['shape']['max_depth']}), AUC {row['test_auc']:.4f}"
              + (f", pred_contrib {sp['pred_contrib']['rows_per_s']:,.0f} rows/s, tree_shap "
                 f"{sp['tree_shap']['rows_per_s']:,.0f} rows/s, diff {sp['max_abs_diff']:.1e}" if sp else ""),
              flush=True)
        path.write_text(json.dumps(res, indent=2, default=str))
    y, groups = data["y"][data["parts"].test], data["test_groups"]
    for row in res["models"]:
        if row["name"] != "tuned":
            row["vs_tuned"] = bootstrap(raws[row["name"]], raws["tuned"], y, groups, args.boot)
    res["limits"] = limits(res["models"], raws, data, args.boot)
    res["load_end"] = [round(x, 2) for x in os.getloadavg()]
    path.write_text(json.dumps(res, indent=2, default=str))
    report(res)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
