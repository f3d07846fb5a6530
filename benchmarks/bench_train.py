"""Benchmark: the default model's quality against a WOE scorecard and the true PD, and tuning at scale.

1. Quality. A labelled feature panel of a synthetic province (month ends of 2023, whose
   12-month outcome the 36 months of data can show). Whitelist's `train_table` with Optuna
   trials; on the very rows of the `Split` it returned (which `split()` must reproduce), a
   traditional scorecard (optbinning `BinningProcess`, WOE with a monotonic trend per numeric
   feature, text columns as categorical variables, then a scikit-learn `LogisticRegression`)
   fitted on the train part only; and the generator's true PD (`truth_panel.parquet`, joined
   on uscc and as-of), the ceiling. All three are scored on the same test rows with
   `whitelist.training.evaluate`.
2. Tuning speed. A larger panel (about 500,000 labelled rows, more month ends), and
   `train_table(..., trials=30)` end to end: wall time and peak memory of the whole process
   (`/usr/bin/time -v`), the out-of-time AUC, and how many trials were pruned.

Each fit runs in its own process under /usr/bin/time, so its peak memory is its own; the
machine's load is sampled meanwhile (LightGBM's 2 threads slow down many times over when
another process is busy). Panels are cached under OUT and reused. Figures go to
OUT/bench-train-<enterprises>[-<part>].json. Needs the `bench` extra (`pip install -e '.[dev,bench]'`).

    python benchmarks/bench_train.py --wait-idle   # 200,000 enterprises, 25 + 30 trials
    python benchmarks/bench_train.py --quick       # 20,000 enterprises, 5 + 5 trials, a minute or two
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from timing import timed

import numpy as np
import pandas as pd

EXE = Path(sys.executable).with_name("whitelist")
TARGET, ID, TIME = "default_12m", "uscc", "as_of"
QUALITY_DATES = "2023-01-31..2023-12-31"
"""Month ends whose 12-month outcome a 36-month province ending 2024-12-31 shows (the last is 2023-12-31)."""
TUNING_DATES = "2022-10-31..2023-12-31"
"""Fifteen month ends: about 500,000 labelled rows at 200,000 enterprises."""
WOE = {"metric": "woe", "metric_missing": "empirical", "metric_special": "empirical"}
"""Missing values take the WOE of their own bin, as a scorecard would, rather than 0."""
IV_MIN = 0.02
"""The usual scorecard rule: drop characteristics with an information value below 0.02."""


# ---------------------------------------------------------------- children (one fit per process)


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _test_frame(frame: pd.DataFrame, rows: np.ndarray, pd_: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ID: frame[ID].to_numpy()[rows],
            TIME: pd.to_datetime(frame[TIME].to_numpy()[rows]),
            TARGET: frame[TARGET].to_numpy()[rows].astype("int8"),
            "pd": pd_,
        }
    )


def child_whitelist(panel: Path, trials: int, out: Path, labelled_only: bool = False) -> None:
    """``train_table`` on the panel; the test rows' PD and the run's figures to ``out``."""
    from whitelist.training.fit import train_table

    start = time.perf_counter()
    if labelled_only:  # rows without a label are never trained on: see what carrying them costs
        import pyarrow.compute as pc

        frame = pd.read_parquet(panel, filters=pc.field(TARGET).is_valid())
        frame[TARGET] = frame[TARGET].astype("float64")  # as read with the unlabelled rows
    else:
        frame = pd.read_parquet(panel)
    read = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        storage = Path(tmp) / "optuna.db"
        start, cpu = time.perf_counter(), _cpu_seconds()
        result = train_table(
            frame, target=TARGET, id_col=ID, time_col=TIME, trials=trials, study_storage=storage, study_name="bench"
        )
        fit, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        durations = _trial_seconds(storage, "bench") if trials else []
    parts = result.split
    np.savez(out.with_suffix(".split.npz"), train=parts.train, valid=parts.valid, test=parts.test)
    test = parts.test
    pd_test = result.artefact.predict(frame.iloc[test])["pd"].to_numpy()
    _test_frame(frame, test, pd_test).to_parquet(out.with_suffix(".test.parquet"), index=False)
    meta, ev = result.artefact.meta, result.evaluation
    tuning = meta["tuning"]
    trials_out = []
    for t, seconds in zip(tuning["trials"] if tuning else [], durations or [None] * trials, strict=False):
        trials_out.append(
            {
                "number": t["number"],
                "state": t["state"],
                "value": t["value"],
                "trees": t.get("trees"),
                "seconds": seconds,
                "params": t["params"],
            }
        )
    states = pd.Series([t["state"] for t in trials_out], dtype="object").value_counts().to_dict()
    out.write_text(
        json.dumps(
            {
                "model": "whitelist",
                "rows": len(frame),
                "labelled": int(frame[TARGET].notna().sum()),
                "split": meta["split"],
                "features": len(result.artefact.features),
                "categories": sorted(result.artefact.categories),
                "read_seconds": read,
                "fit_seconds": fit,
                "fit_cpu_seconds": cpu,
                "tuning_seconds": float(sum(s for s in durations if s is not None)) if durations else 0.0,
                "peak_gb_self": _peak_gb(),
                "trials": trials,
                "trial_states": states,
                "trial_log": trials_out,
                "best_validation_auc": tuning["best_validation_auc"] if tuning else None,
                "params": meta["params"],
                "trees": meta["trees"],
                "calibration": ev["calibration_choice"]["chosen"],
                "evaluation_test": {k: ev["test"][k] for k in ("rows", "default_rate", "auc", "gini", "ks", "brier")},
                "evaluation_train_auc": ev["train"]["auc"],
            },
            indent=2,
            default=str,
        )
    )


def _trial_seconds(storage: Path, study: str) -> list[float | None]:
    import optuna

    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{storage}")
    return [
        (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else None
        for t in loaded.trials
    ]


def child_scorecard(panel: Path, split_file: Path, out: Path) -> None:
    """WOE (optbinning) + logistic regression on the train part of train_table's own split.

    The row positions come from the `Split` that `train_table` returned in the whitelist run
    (``split_file``), so both models see exactly the same train and test rows whatever the
    splitting rule of the version measured; `split()` with train_table's arguments must agree.
    """
    import warnings

    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    from whitelist.training.fit import feature_columns
    from whitelist.training.split import binary_target, split

    frame = pd.read_parquet(panel)
    y_all = binary_target(frame, TARGET)
    saved = np.load(split_file)
    parts = argparse.Namespace(train=saved["train"], valid=saved["valid"], test=saved["test"])
    kwargs = {"time_col": TIME}
    if "id_col" in inspect.signature(split).parameters:  # train_table passes its id column where split takes one
        kwargs["id_col"] = ID
    again = split(frame, y_all, **kwargs)
    reproduced = all(np.array_equal(getattr(again, k), saved[k]) for k in ("train", "valid", "test"))
    features, categories = feature_columns(frame, {TARGET, ID, TIME})
    train = parts.train
    empty = [f for f in features if not frame[f].iloc[train].notna().any()]
    used = [f for f in features if f not in empty]
    x = pd.DataFrame(
        {
            f: frame[f].astype(object).where(frame[f].notna(), np.nan)
            if f in categories
            else frame[f].astype("float64")
            for f in used
        }
    )
    y = y_all.to_numpy()
    y_train = y[train].astype(int)
    fit_start, cpu = time.perf_counter(), _cpu_seconds()
    process = BinningProcess(
        used,
        categorical_variables=[f for f in used if f in categories],
        binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"} for f in used if f not in categories},
        n_jobs=2,
    )
    process.fit(x.iloc[train], y_train)
    binning = time.perf_counter() - fit_start
    w_train = process.transform(x.iloc[train], **WOE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lr = LogisticRegression(max_iter=5000).fit(w_train, y_train)
    fit, cpu = time.perf_counter() - fit_start, _cpu_seconds() - cpu
    summary = process.summary().set_index("name")
    strong = [f for f in used if float(summary.loc[f, "iv"]) >= IV_MIN]
    start = time.perf_counter()
    lr_iv = LogisticRegression(max_iter=5000).fit(w_train[strong], y_train)
    fit_iv = time.perf_counter() - start
    w_test = process.transform(x.iloc[parts.test], **WOE)
    for name, model, cols in (("scorecard", lr, used), ("scorecard_iv", lr_iv, strong)):
        pd_test = model.predict_proba(w_test[cols])[:, 1]
        test_file = out.with_name(f"{out.stem}.{name}.test.parquet")
        _test_frame(frame, parts.test, pd_test).to_parquet(test_file, index=False)
    top = summary["iv"].astype(float).sort_values(ascending=False).head(10)
    out.write_text(
        json.dumps(
            {
                "model": "scorecard",
                "rows": len(frame),
                "split_reproduced_by_split": reproduced,
                "split_rows": {"train": int(train.size), "valid": int(parts.valid.size), "test": int(parts.test.size)},
                "features": len(used),
                "categorical": [f for f in used if f in categories],
                "dropped_empty_in_train": empty,
                "binning_seconds": binning,
                "fit_seconds": fit,
                "fit_cpu_seconds_main_process": cpu,
                "iv_features": len(strong),
                "fit_seconds_iv_refit": fit_iv,
                "lr_iterations": int(lr.n_iter_[0]),
                "lr_warnings": sorted({str(w.message)[:120] for w in caught}),
                "top_iv": {k: round(float(v), 4) for k, v in top.items()},
                "statuses": summary["status"].value_counts().to_dict(),
                "peak_gb_self": _peak_gb(),
            },
            indent=2,
        )
    )


# ---------------------------------------------------------------- parent


def ensure_province(out: Path, enterprises: int) -> tuple[Path, Path]:
    raw, validated = out / f"province-{enterprises}-36m", out / f"validated-{enterprises}-36m"
    if not (raw / "generation.json").is_file():
        subprocess.run([str(EXE), "generate", "-n", str(enterprises), "--months", "36", "--out", str(raw)], check=True)
    if not (validated / "quality.json").is_file():
        subprocess.run([str(EXE), "validate", "--raw", str(raw), "--out", str(validated)], check=True)
    return raw, validated


def ensure_panel(validated: Path, dates: str, out: Path) -> tuple[Path, float | None]:
    """The labelled panel for ``dates``, built once (``None`` seconds when it was cached)."""
    from whitelist.features.build import build_features, manifest_path, parse_as_of
    from whitelist.features.spec import load_features

    if out.is_file() and manifest_path(out).is_file():
        return out, None
    start = time.perf_counter()
    build_features(validated, parse_as_of(dates), out, load_features(), labels=True, memory_limit="4GB")
    return out, time.perf_counter() - start


WAIT_IDLE = {"below": 0.8, "at_most_s": 1200}
"""With --wait-idle, each fit starts once the 1-minute load is below 0.8, or after 20 minutes anyway."""


def wait_idle(enabled: bool) -> float:
    start = time.perf_counter()
    while enabled and os.getloadavg()[0] >= WAIT_IDLE["below"]:
        if time.perf_counter() - start >= WAIT_IDLE["at_most_s"]:
            break
        time.sleep(10)
    return time.perf_counter() - start


def run_child(args: list[str], result: Path, idle: bool = False) -> dict:
    """A child under /usr/bin/time, with the machine's 1-minute load sampled every 15 s meanwhile."""
    waited = wait_idle(idle)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(15):
            samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wall, peak = timed([sys.executable, __file__, "_child", *args])
    finally:
        stop.set()
        sampler.join()
    data = json.loads(result.read_text())
    data["process_wall_seconds"], data["process_peak_gb"] = wall, peak
    data["waited_for_idle_s"] = round(waited)
    if samples:
        data["load_1min"] = {"mean": round(float(np.mean(samples)), 2), "max": round(max(samples), 2)}
    else:
        data["load_1min"] = None
    return data


def metrics(test: pd.DataFrame) -> dict[str, float]:
    from whitelist.training import evaluate

    y, p = test[TARGET].to_numpy(dtype=int), test["pd"].to_numpy(dtype=float)
    rank, cal = evaluate.ranking(y, p), evaluate.calibration(y, p)
    return {"auc": rank["auc"], "ks": rank["ks"], "brier": cal["brier"], "mean_pd": float(p.mean())}


def truth_test(raw: Path, keys: pd.DataFrame) -> pd.DataFrame:
    truth = pd.read_parquet(raw / "truth_panel.parquet", columns=[ID, TIME, "pd_12m"])
    truth[TIME] = pd.to_datetime(truth[TIME])
    joined = keys[[ID, TIME, TARGET]].merge(truth, on=[ID, TIME], how="left", validate="one_to_one")
    return joined.rename(columns={"pd_12m": "pd"})  # empty for entities the generator no longer follows


def _defaulted_before(raw: Path, rows: pd.DataFrame) -> int:
    """How many of ``rows`` belong to entities whose true default date is on or before the row's as-of date."""
    truth = pd.read_parquet(raw / "truth.parquet", columns=[ID, "default_date"])
    joined = rows.merge(truth, on=ID, how="left")
    return int((pd.to_datetime(joined["default_date"]) <= joined[TIME]).sum())


def quality(args: argparse.Namespace, raw: Path, validated: Path, work: Path) -> dict:
    panel_file = args.out / f"panel-{args.enterprises}-{args.quality_dates}.parquet"
    panel, build_s = ensure_panel(validated, args.quality_dates, panel_file)
    wl = run_child(
        ["whitelist", str(panel), str(args.trials), str(work / "quality-whitelist.json")],
        work / "quality-whitelist.json",
        args.wait_idle,
    )
    sc = run_child(
        ["scorecard", str(panel), str(work / "quality-whitelist.split.npz"), str(work / "quality-scorecard.json")],
        work / "quality-scorecard.json",
        args.wait_idle,
    )
    tests = {
        "whitelist": pd.read_parquet(work / "quality-whitelist.test.parquet"),
        "scorecard": pd.read_parquet(work / "quality-scorecard.scorecard.test.parquet"),
        "scorecard_iv": pd.read_parquet(work / "quality-scorecard.scorecard_iv.test.parquet"),
    }
    base = tests["whitelist"]
    for name, t in tests.items():  # the same test rows in the same order, or the comparison is void
        if not (t[[ID, TIME, TARGET]].equals(base[[ID, TIME, TARGET]])):
            raise SystemExit(f"{name}: test rows differ from train_table's")
    truth = truth_test(raw, base)
    known = truth["pd"].notna().to_numpy()
    scores = {name: metrics(t) for name, t in tests.items()}
    common = {name: metrics(t[known]) for name, t in tests.items()}
    common["true_pd"] = scores["true_pd"] = metrics(truth[known])
    no_truth = base[~known]
    own = wl["evaluation_test"]
    if abs(own["auc"] - scores["whitelist"]["auc"]) > 1e-6:
        raise SystemExit(f"whitelist AUC recomputed {scores['whitelist']['auc']} != evaluation.json {own['auc']}")
    return {
        "panel": str(panel),
        "as_of": args.quality_dates,
        "panel_build_seconds": build_s,
        "test_rows": len(base),
        "test_default_rate": float(base[TARGET].mean()),
        "scores": scores,
        "defaults_shared_with_train": shared_defaults(panel, work / "quality-whitelist.split.npz"),
        "test_rows_with_true_pd": int(known.sum()),
        "scores_rows_with_true_pd": common,
        "rows_without_true_pd": {
            "rows": len(no_truth),
            "default_rate": float(no_truth[TARGET].mean()) if len(no_truth) else None,
            "whitelist_mean_pd": float(tests["whitelist"]["pd"][~known].mean()) if len(no_truth) else None,
            "defaulted_before_as_of": _defaulted_before(raw, no_truth),
        },
        "whitelist": wl,
        "scorecard": sc,
    }


def tuning(args: argparse.Namespace, validated: Path, work: Path) -> dict:
    panel_file = args.out / f"panel-{args.enterprises}-{args.tuning_dates}.parquet"
    panel, build_s = ensure_panel(validated, args.tuning_dates, panel_file)
    extra = ["labelled"] if args.labelled_only else []
    run = run_child(
        ["whitelist", str(panel), str(args.tuning_trials), str(work / "tuning.json"), *extra],
        work / "tuning.json",
        args.wait_idle,
    )
    return {
        "panel": str(panel),
        "as_of": args.tuning_dates,
        "labelled_only": args.labelled_only,
        "panel_build_seconds": build_s,
        **run,
    }


def code() -> dict[str, object]:
    """Which whitelist was measured: where it was imported from, a hash of its files, the repository's HEAD."""
    import whitelist

    root = Path(whitelist.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".yaml"}:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout.strip()

    return {
        "package": str(root),
        "sha256": digest.hexdigest()[:16],
        "head": git("rev-parse", "--short", "HEAD"),
        "worktree_changes_in_whitelist": len(git("status", "--porcelain", "--", "whitelist").splitlines()),
    }


def shared_defaults(panel: Path, split_file: Path) -> dict[str, float]:
    """Share of the validation and test parts' defaults whose enterprise is also a default in the train part.

    A panel repeats each enterprise monthly with overlapping 12-month outcomes: such a default
    is the same event the model was trained on, which flatters every out-of-time figure.
    """
    frame = pd.read_parquet(panel, columns=[ID, TARGET])
    parts = np.load(split_file)
    ids, y = frame[ID].to_numpy(), frame[TARGET].to_numpy()
    train_bad = set(ids[parts["train"]][y[parts["train"]] == 1])
    out = {}
    for name in ("valid", "test"):
        bad = ids[parts[name]][y[parts[name]] == 1]
        out[name] = round(float(np.isin(bad, list(train_bad)).mean()), 4) if bad.size else None
    return out


def versions() -> dict[str, str]:
    import duckdb
    import lightgbm
    import optbinning
    import optuna
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "optuna": optuna.__version__,
        "optbinning": optbinning.__version__,
        "scikit-learn": sklearn.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def report(res: dict) -> None:
    print(f"# {res['date']} {res['cores']} cores, load {res['load_before']} -> {res['load_after']}, {res['versions']}")
    print(f"# whitelist measured: {res['code']}")
    if "quality" in res:
        q = res["quality"]
        wl, sc = q["whitelist"], q["scorecard"]
        print(
            f"\nquality: {q['as_of']}, {wl['rows']:,} rows, {wl['labelled']:,} labelled; split {wl['split']['rows']} "
            f"{wl['split']['periods']}; test {q['test_rows']:,} rows, default rate {q['test_default_rate']:.4f}; "
            f"defaults whose enterprise is a train default: {q['defaults_shared_with_train']}; "
            f"scorecard split reproduced by split(): {sc['split_reproduced_by_split']}"
        )
        print(
            f"test rows with a true PD: {q['test_rows_with_true_pd']:,}; without: {q['rows_without_true_pd']}; "
            f"load (1 min) during the fits: whitelist {wl['load_1min']}, scorecard {sc['load_1min']}"
        )
        print(
            "| model | features | fit s | process s | peak GB | OOT AUC | KS | Brier | mean PD "
            "| AUC, rows with true PD |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        iv_fit = sc["fit_seconds"] + sc["fit_seconds_iv_refit"]
        rows = [
            (f"whitelist `train_table`, {wl['trials']} trials", wl["features"], wl["fit_seconds"],
             wl["process_wall_seconds"], wl["process_peak_gb"], "whitelist"),
            ("WOE scorecard (optbinning + logistic)", sc["features"], sc["fit_seconds"],
             sc["process_wall_seconds"], sc["process_peak_gb"], "scorecard"),
            (f"WOE scorecard, IV >= {IV_MIN}", sc["iv_features"], iv_fit, None, None, "scorecard_iv"),
            ("true PD (ceiling)", None, None, None, None, "true_pd"),
        ]  # fmt: skip
        for label, nf, fit, wall, peak, key in rows:
            s, c = q["scores"][key], q["scores_rows_with_true_pd"][key]
            cells = [
                label,
                "" if nf is None else str(nf),
                "" if fit is None else f"{fit:.1f}",
                "" if wall is None else f"{wall:.1f}",
                "" if peak is None else f"{peak:.2f}",
                f"{s['auc']:.4f}",
                f"{s['ks']:.4f}",
                f"{s['brier']:.5f}",
                f"{s['mean_pd']:.4f}",
                f"{c['auc']:.4f}",
            ]
            print("| " + " | ".join(cells) + " |")
    if "tuning" in res:
        t = res["tuning"]
        print(
            f"\ntuning: {t['as_of']}, {t['rows']:,} rows ({t['labelled']:,} labelled) x {t['features']} features; "
            f"split {t['split']['rows']}; load (1 min) {t['load_1min']}; CPU s {t['fit_cpu_seconds']:.0f}"
        )
        print("| trials | states | process s | train_table s | tuning s | peak GB | trees | OOT AUC | KS | best valid AUC |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        ev = t["evaluation_test"]
        print(
            f"| {t['trials']} | {t['trial_states']} | {t['process_wall_seconds']:.1f} | {t['fit_seconds']:.1f} | "
            f"{t['tuning_seconds']:.1f} | {t['process_peak_gb']:.2f} | {t['trees']} | {ev['auc']:.4f} | {ev['ks']:.4f} | "
            f"{t['best_validation_auc']:.4f} |"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "whitelist":
            child_whitelist(Path(rest[0]), int(rest[1]), Path(rest[2]), labelled_only=rest[3:] == ["labelled"])
        else:
            child_scorecard(Path(rest[0]), Path(rest[1]), Path(rest[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 enterprises, 5 trials each: a minute or two")
    parser.add_argument("--enterprises", type=int, default=None, help="200,000 (20,000 with --quick)")
    parser.add_argument("--trials", type=int, default=None, help="trials of the quality run: 25 (5 with --quick)")
    parser.add_argument("--tuning-trials", type=int, default=None, help="trials of the tuning run: 30 (5 with --quick)")
    parser.add_argument("--quality-dates", default=QUALITY_DATES)
    parser.add_argument("--tuning-dates", default=TUNING_DATES)
    parser.add_argument("--only", choices=["quality", "tuning"], default=None, help="run one of the two measurements")
    parser.add_argument(
        "--wait-idle", action="store_true", help="start each fit once the shared machine's 1-minute load is below 0.8"
    )
    parser.add_argument(
        "--labelled-only",
        action="store_true",
        help="tuning run: drop unlabelled rows before train_table (they are never trained on)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    args.enterprises = args.enterprises or (20_000 if args.quick else 200_000)
    args.trials = args.trials if args.trials is not None else (5 if args.quick else 25)
    args.tuning_trials = args.tuning_trials if args.tuning_trials is not None else (5 if args.quick else 30)
    raw, validated = ensure_province(args.out, args.enterprises)
    work = args.out / f"bench-train-{args.enterprises}"
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "code": code(),
        "enterprises": args.enterprises,
        "quick": args.quick,
    }
    start = time.perf_counter()
    if args.only in (None, "quality"):
        res["quality"] = quality(args, raw, validated, work)
    if args.only in (None, "tuning"):
        res["tuning"] = tuning(args, validated, work)
    res["wall_seconds"] = time.perf_counter() - start
    res["code_after"] = code()
    if res["code_after"]["sha256"] != res["code"]["sha256"]:
        print(f"warning: whitelist changed during the run ({res['code']} -> {res['code_after']})", file=sys.stderr)
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    part = f"-{args.only}" if args.only else ""
    name = "bench-train-quick.json" if args.quick else f"bench-train-{args.enterprises}{part}.json"
    if args.labelled_only:
        name = name.replace(".json", "-labelled.json")
    (args.out / name).write_text(json.dumps(res, indent=2, default=str))
    report(res)
    print(f"\nresults: {args.out / name} ({res['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
