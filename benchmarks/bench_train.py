"""Benchmark: the shipped default model's quality against the same-rows WoE scorecard and the true PD; tuning at scale.

1. Quality. A labelled feature panel of a synthetic province of --months months (84 by
   default), over every month end with full feature windows behind it and a whole 12-month label
   ahead (`features.panel.labelled_month_ends`, as the demo trains), trained as `whitelist train --config
   configs/train.yaml` trains it: `train_table` with every argument `train_from_config` passes
   from the shipped config (`load_train_config()`: region and industry excluded, monotone
   constraints, 30 trials, model kind auto, seed 0). Reported on the test part (the latest
   periods of enterprises never trained on): the chosen kind, each candidate's out-of-fold
   AUC, the test AUC with its bootstrap interval, and `evaluation["benchmark"]`: the WoE
   scorecard `train_table` fits on the same training rows and scores on the same test rows,
   with the paired interval of the difference. Beside them the generator's two ceilings
   (`truth_panel.parquet`, joined on uscc and as-of): the true PD, and `pd_12m_observable`, the
   true PD without its unobservable term (the best the sources allow); every interval resamples
   whole enterprises. The lowest-PD decile's default rate against the average. --ablate GROUP
   (repeatable) trains again with a declared group of features left out (`ABLATIONS`); and,
   unless --no-cross-check, an independent scorecard (optbinning `BinningProcess` + scikit-learn
   `LogisticRegression`, every feature the model may use, no IV filter) on the same rows, to
   check that the built-in benchmark is not a weak one.
2. Tuning speed. A larger panel (about 500,000 labelled rows at 200,000 enterprises), the same
   shipped default end to end: wall time and peak memory of the whole process
   (`/usr/bin/time -v`), seconds in the Optuna trials, how many were pruned, the test AUC.

Each fit runs in its own process under /usr/bin/time, so its peak memory is its own; the
machine's load is sampled meanwhile (LightGBM's 2 threads slow down many times over when
another process is busy). Provinces and panels are cached under OUT and reused. Figures go to
OUT/bench-train-<enterprises>[-seed<S>][-<part>].json. Needs the `bench` extra (`pip install -e '.[dev,bench]'`).

    python benchmarks/bench_train.py --wait-idle                                        # 200,000 enterprises
    python benchmarks/bench_train.py --only quality --enterprises 100000 --seed 7      # the issue's province
    python benchmarks/bench_train.py --only quality --enterprises 100000 --seed 7 --trials 10 \
        --ablate own_history --ablate coherence --ablate volatility --ablate persistence --ablate related_parties  # what each group earns
    python benchmarks/bench_train.py --quick       # 20,000 enterprises, 5 trials each, a few minutes
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whitelist.training.config import FitConfig

import argparse
import hashlib
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

from whitelist.features.spec import load_features

EXE = Path(sys.executable).with_name("whitelist")
TARGET, ID, TIME = "default_12m", "uscc", "as_of"
MONTHS = 84
"""Months of generated data: the demo's, enough for 36-month windows behind 31 labelled month ends."""
ABLATIONS: dict[str, tuple[str, ...]] = {
    "own_history": (
        "tax_sales_growth_2y_3m", "tax_sales_growth_2y_6m", "tax_sales_vs_36m_3m", "tax_sales_vs_36m_6m",
        "power_growth_2y_3m", "power_growth_2y_6m", "power_vs_36m_3m", "power_vs_36m_6m",
        "si_employees_vs_36m_3m", "activity_vs_36m_6m", "sales_power_gap_vs_36m_6m",
    ),
    "coherence": ("si_employees_growth_yoy_3m", "activity_growth_3m", "sales_power_gap_3m", "sales_power_gap_vs_36m_6m"),
    "volatility": ("tax_sales_drawdown_12m", "tax_sales_cv_12m", "power_drawdown_12m", "power_cv_12m"),
    "related_parties": tuple(p.name for p in load_features().peers),
    "persistence": (
        "tax_grade_distinct_count_36m", "tax_arrears_months_since_positive", "si_arrears_months_since_positive",
        "utility_arrears_months_since_positive", "credit_dpd_max_36m", "credit_dpd_months_active_36m",
        "credit_dpd_months_since_positive",
    ),
}
"""Issue 19's feature groups, left out one at a time by --ablate to see what each earns."""
ABLATIONS["own_history+coherence+volatility"] = tuple(  # the three groups that earned nothing alone
    dict.fromkeys(ABLATIONS["own_history"] + ABLATIONS["coherence"] + ABLATIONS["volatility"])
)
ABLATIONS["health+persistence"] = tuple(  # every group that earned nothing on either province
    dict.fromkeys(ABLATIONS["own_history+coherence+volatility"] + ABLATIONS["persistence"])
)
TUNING_DATES = "2022-10-31..2023-12-31"
"""Fifteen month ends: about 500,000 labelled rows at 200,000 enterprises."""
WOE = {"metric": "woe", "metric_missing": "empirical", "metric_special": "empirical"}
"""Cross-check scorecard: missing values take the WOE of their own bin, as a scorecard would, rather than 0."""


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


def shipped_settings(trials: int | None) -> "FitConfig":
    """What `train_from_config` passes `train_table` for the shipped config (``trials`` overrides its 30)."""
    from whitelist.training.config import load_train_config

    config = load_train_config().fit()
    return config if trials is None else config.model_copy(update={"trials": trials})


def child_whitelist(
    panel: Path, trials: int | None, out: Path, labelled_only: bool = False, drop: tuple[str, ...] = ()
) -> None:
    """The shipped default (``train_table`` as `train --config` calls it) on the panel, ``drop`` left out; figures to ``out``."""
    from whitelist.training.fit import train_table
    from whitelist.training.table import read_table

    settings = shipped_settings(trials)
    settings = settings.model_copy(update={"exclude": (*settings.exclude, *drop),
                                           "monotone": {k: v for k, v in settings.monotone.items() if k not in drop}})
    start = time.perf_counter()
    if labelled_only:  # rows without a label are never trained on: see what reading them costs
        import pyarrow.compute as pc

        frame = pd.read_parquet(panel, filters=pc.field(TARGET).is_valid())
        frame[TARGET] = frame[TARGET].astype("float64")  # as read with the unlabelled rows
    else:
        frame = read_table(panel)  # as `train --config` reads it
    read = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        storage = Path(tmp) / "optuna.db"
        start, cpu = time.perf_counter(), _cpu_seconds()
        result = train_table(frame, settings, source=str(panel), study_storage=storage, study_name="bench")
        fit, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        durations = _trial_seconds(storage, "bench") if settings.trials else []
    parts = result.split
    np.savez(out.with_suffix(".split.npz"), train=parts.train, test=parts.test)
    test = parts.test
    pd_test = result.artefact.predict(frame.iloc[test])["pd"].to_numpy()
    _test_frame(frame, test, pd_test).to_parquet(out.with_suffix(".test.parquet"), index=False)
    meta, ev = result.artefact.about, result.evaluation
    tuning = meta.tuning
    trials_out = []
    for t, seconds in zip(tuning.trials if tuning else [], durations or [], strict=False):
        trials_out.append(
            {"number": t["number"], "state": t["state"], "value": t["value"], "trees": t.get("trees"),
             "seconds": seconds, "params": t["params"]}
        )
    states = pd.Series([t["state"] for t in trials_out], dtype="object").value_counts().to_dict()
    bench = ev["benchmark"]
    out.write_text(
        json.dumps(
            {
                "model": "whitelist shipped default (configs/train.yaml)",
                "call": settings.model_dump(mode="json", exclude={"scorecard", "gates"}),
                "rows": len(frame),
                "labelled": int(frame[TARGET].notna().sum()),
                "split": meta.split.model_dump(mode="json"),
                "features": len(result.artefact.features),
                "excluded": meta.excluded,
                "categories": sorted(result.artefact.categories),
                "kind": meta.kind,
                "candidates": ev["candidates"],
                "read_seconds": read,
                "fit_seconds": fit,
                "fit_cpu_seconds": cpu,
                "tuning_seconds": float(sum(s for s in durations if s is not None)) if durations else 0.0,
                "peak_gb_self": _peak_gb(),
                "trials": settings.trials,
                "trial_states": states,
                "trial_log": trials_out,
                "best_validation_auc": tuning.best_validation_auc if tuning else None,
                "params": meta.params,
                "trees": meta.trees,
                "calibration": ev["calibration_choice"]["chosen"],
                "evaluation_test": {k: ev["test"][k] for k in ("rows", "default_rate", "auc", "gini", "ks", "brier")},
                "evaluation_train_auc": ev["train"]["auc"],
                "benchmark": {
                    "scorecard": {k: bench["scorecard"][k] for k in ("auc", "ks", "brier") if k in bench["scorecard"]},
                    "bootstrap": bench["bootstrap"],
                },
                "monotonicity": {k: v for k, v in ev["monotonicity"].items() if not isinstance(v, (list, dict))},
                "gates": ev["gates"],
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
    """Cross-check: optbinning WOE + logistic regression on the training part of train_table's own split.

    Every feature the shipped model may use (the config's exclusions left out), monotonic trend
    `auto_asc_desc` per numeric feature, text columns as categorical variables, no IV filter and
    no sign check: a plain scorecard built outside whitelist, to see whether the built-in benchmark
    (`evaluation["benchmark"]`) ranks about as well.
    """
    import warnings

    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    from whitelist.training.config import load_train_config
    from whitelist.training.fit import feature_columns
    from whitelist.training.split import binary_target

    config = load_train_config()
    frame = pd.read_parquet(panel)
    y_all = binary_target(frame, TARGET)
    saved = np.load(split_file)
    train, test = saved["train"], saved["test"]
    features, categories = feature_columns(frame, {TARGET, ID, TIME, *config.exclude})
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
    w_train = process.transform(x.iloc[train], **WOE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lr = LogisticRegression(max_iter=5000).fit(w_train, y_train)
    fit, cpu = time.perf_counter() - fit_start, _cpu_seconds() - cpu
    pd_test = lr.predict_proba(process.transform(x.iloc[test], **WOE))[:, 1]
    _test_frame(frame, test, pd_test).to_parquet(out.with_suffix(".test.parquet"), index=False)
    out.write_text(
        json.dumps(
            {
                "model": "optbinning + logistic regression (cross-check)",
                "rows": len(frame),
                "split_rows": {"train": int(train.size), "test": int(test.size)},
                "features": len(used),
                "dropped_empty_in_train": empty,
                "fit_seconds": fit,
                "fit_cpu_seconds_main_process": cpu,
                "lr_warnings": sorted({str(w.message)[:120] for w in caught}),
                "peak_gb_self": _peak_gb(),
            },
            indent=2,
        )
    )


# ---------------------------------------------------------------- parent


def tag(seed: int) -> str:
    return f"-seed{seed}" if seed else ""


def ensure_province(out: Path, enterprises: int, seed: int, months: int) -> tuple[Path, Path]:
    name = f"{enterprises}-{months}m{tag(seed)}"
    raw, validated = out / f"province-{name}", out / f"validated-{name}"
    if not (raw / "generation.json").is_file():
        subprocess.run(
            [str(EXE), "generate", "-n", str(enterprises), "--months", str(months), "--seed", str(seed), "--out", str(raw)],
            check=True,
        )
    if not (validated / "quality.json").is_file():
        subprocess.run([str(EXE), "validate", "--raw", str(raw), "--out", str(validated)], check=True)
    return raw, validated


def ensure_panel(validated: Path, dates: str, out: Path) -> tuple[Path, float | None]:
    """The labelled panel for ``dates``, built once (``None`` seconds when it was cached)."""
    from whitelist.features.build import build_features, manifest_path, parse_as_of

    if out.is_file() and manifest_path(out).is_file():
        built = json.loads(manifest_path(out).read_text(encoding="utf-8"))
        names = [f["name"] for part in ("features", "derived", "peers") for f in built.get(part, [])]
        if names == list(load_features().names):  # a panel of other definitions is built again
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
    load_start = round(os.getloadavg()[0], 2)
    sampler.start()
    try:
        wall, peak = timed([sys.executable, __file__, "_child", *args])
    finally:
        stop.set()
        sampler.join()
    data = json.loads(result.read_text())
    data["process_wall_seconds"], data["process_peak_gb"] = wall, peak
    data["waited_for_idle_s"] = round(waited)
    data["load_1min"] = {
        "at_start": load_start,
        "mean": round(float(np.mean(samples)), 2) if samples else None,
        "max": round(max(samples), 2) if samples else None,
        "samples": len(samples),
    }
    return data


def metrics(test: pd.DataFrame) -> dict[str, float]:
    from whitelist.training import evaluate

    y, p = test[TARGET].to_numpy(dtype=int), test["pd"].to_numpy(dtype=float)
    rank, cal = evaluate.ranking(y, p), evaluate.calibration(y, p)
    return {"auc": rank["auc"], "ks": rank["ks"], "brier": cal["brier"], "mean_pd": float(p.mean()),
            "lowest_decile_bad_rate_to_mean": lowest_decile(y, p)}


def lowest_decile(y: np.ndarray, p: np.ndarray) -> float:
    """Default rate of the tenth of rows with the lowest PD, as a share of the average (ties by position)."""
    order = np.argsort(p, kind="stable")[: max(1, y.size // 10)]
    return float(y[order].mean() / y.mean()) if y.mean() > 0 else float("nan")


CEILINGS = {"true_pd": "pd_12m", "observable_pd": "pd_12m_observable"}
"""The generator's two ceilings: the true PD, and the true PD without its unobservable term."""


def quality_dates(raw: Path) -> str:
    """Every month end the province's data gives full windows and a whole label (as the demo trains)."""
    from whitelist.features.panel import labelled_month_ends

    config = json.loads((raw / "generation.json").read_text())["config"]
    last = date.fromisoformat(config["end"])
    first_index = last.year * 12 + last.month - config["months"]
    first = date(first_index // 12, first_index % 12 + 1, 1)
    ends = labelled_month_ends(first, last, load_features())
    if not ends:
        raise SystemExit(f"{raw}: {config['months']} months hold no month end with full windows and a label")
    return f"{ends[0].isoformat()}..{ends[-1].isoformat()}"


def truth_test(raw: Path, keys: pd.DataFrame) -> pd.DataFrame:
    """The test rows with both ceilings (NaN for entities the generator no longer follows)."""
    truth = pd.read_parquet(raw / "truth_panel.parquet", columns=[ID, TIME, *CEILINGS.values()])
    truth[TIME] = pd.to_datetime(truth[TIME])
    joined = keys[[ID, TIME, TARGET]].merge(truth, on=[ID, TIME], how="left", validate="one_to_one")
    return joined.rename(columns={v: k for k, v in CEILINGS.items()})


def _defaulted_before(raw: Path, rows: pd.DataFrame) -> int:
    """How many of ``rows`` belong to entities whose true default date is on or before the row's as-of date."""
    truth = pd.read_parquet(raw / "truth.parquet", columns=[ID, "default_date"])
    joined = rows.merge(truth, on=ID, how="left")
    return int((pd.to_datetime(joined["default_date"]) <= joined[TIME]).sum())


def quality(args: argparse.Namespace, raw: Path, validated: Path, work: Path) -> dict:
    from whitelist.training import evaluate

    dates = args.quality_dates or quality_dates(raw)
    panel_file = args.out / f"panel-{args.enterprises}-{args.months}m{tag(args.seed)}-{dates}.parquet"
    panel, build_s = ensure_panel(validated, dates, panel_file)
    trials = ["-"] if args.trials is None else [str(args.trials)]
    wl = run_child(["whitelist", str(panel), str(work / "quality-whitelist.json"), *trials],
                   work / "quality-whitelist.json", args.wait_idle)
    tests = {"whitelist": pd.read_parquet(work / "quality-whitelist.test.parquet")}
    ablated = {}
    for group in args.ablate:
        result = work / f"quality-without-{group}.json"
        ablated[group] = run_child(["whitelist", str(panel), str(result), *trials, "drop=" + ",".join(ABLATIONS[group])],
                                   result, args.wait_idle)
        tests[f"without_{group}"] = pd.read_parquet(result.with_suffix(".test.parquet"))
    sc = None
    if args.cross_check:
        sc = run_child(
            ["scorecard", str(panel), str(work / "quality-whitelist.split.npz"), str(work / "quality-scorecard.json")],
            work / "quality-scorecard.json",
            args.wait_idle,
        )
        tests["optbinning"] = pd.read_parquet(work / "quality-scorecard.test.parquet")
    base = tests["whitelist"]
    for name, t in tests.items():  # the same test rows in the same order, or the comparison is void
        if not (t[[ID, TIME, TARGET]].equals(base[[ID, TIME, TARGET]])):
            raise SystemExit(f"{name}: test rows differ from train_table's")
    truth = truth_test(raw, base)
    known = truth[list(CEILINGS)].notna().all(axis=1).to_numpy()
    scores = {name: metrics(t) for name, t in tests.items()}
    for ceiling in CEILINGS:
        scores[ceiling] = metrics(truth[known].rename(columns={ceiling: "pd"}))
    own = wl["evaluation_test"]
    if abs(own["auc"] - scores["whitelist"]["auc"]) > 1e-6:
        raise SystemExit(f"whitelist AUC recomputed {scores['whitelist']['auc']} != evaluation {own['auc']}")
    y, firms = base[TARGET].to_numpy(dtype=int), base[ID].to_numpy()
    models = {"model": base["pd"].to_numpy(dtype=float)}
    models |= {name: t["pd"].to_numpy(dtype=float) for name, t in tests.items() if name != "whitelist"}
    # Paired intervals, whole enterprises resampled: every model against the model, on all test rows,
    # and every model under each ceiling, on the rows the generator still follows.
    vs_model = evaluate.bootstrap_auc(y, models, seed=0, groups=firms)
    ceilings = {k: truth[k].to_numpy(dtype=float)[known] for k in CEILINGS}
    vs_truth = evaluate.bootstrap_auc(
        y[known], {**ceilings, **{k: v[known] for k, v in models.items()}}, seed=0, groups=firms[known]
    )
    no_truth = base[~known]
    return {
        "panel": str(panel),
        "as_of": dates,
        "panel_build_seconds": build_s,
        "test_rows": len(base),
        "test_enterprises": int(pd.unique(firms).size),
        "test_default_rate": float(base[TARGET].mean()),
        "test_defaults": int(y.sum()),
        "test_defaulting_enterprises": int(pd.unique(firms[y == 1]).size),
        "scores": scores,
        "test_rows_with_true_pd": int(known.sum()),
        "bootstrap_vs_model": vs_model,
        "bootstrap_vs_true_pd": vs_truth,
        "rows_without_true_pd": {
            "rows": len(no_truth),
            "default_rate": float(no_truth[TARGET].mean()) if len(no_truth) else None,
            "defaulted_before_as_of": _defaulted_before(raw, no_truth),
        },
        "whitelist": wl,
        "ablated": ablated,
        "scorecard_cross_check": sc,
    }


def tuning(args: argparse.Namespace, validated: Path, work: Path) -> dict:
    panel_file = args.out / f"panel-{args.enterprises}-{args.months}m{tag(args.seed)}-{args.tuning_dates}.parquet"
    panel, build_s = ensure_panel(validated, args.tuning_dates, panel_file)
    extra = ["labelled"] if args.labelled_only else []
    run = run_child(
        ["whitelist", str(panel), str(work / "tuning.json"), str(args.tuning_trials), *extra],
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


def _ci(d: dict) -> str:
    return f"{d['value']:.4f} [{d['low']:.4f}, {d['high']:.4f}]"


def _load(d: dict | None) -> str:
    return "" if not d else f"{d['mean']} (max {d['max']}, start {d['at_start']})"


def report(res: dict) -> None:
    print(f"# {res['date']} {res['cores']} cores, load {res['load_before']} -> {res['load_after']}, {res['versions']}")
    print(f"# whitelist measured: {res['code']}; province {res['enterprises']:,} enterprises, generator seed {res['seed']}")
    for part in ("quality", "tuning"):
        if part not in res:
            continue
        r = res[part]
        wl = r if part == "tuning" else r["whitelist"]
        split, cand = wl["split"], wl["candidates"]
        print(
            f"\n{part}: {r['as_of']}, {wl['rows']:,} rows, {wl['labelled']:,} labelled, {wl['features']} features "
            f"(excluded {wl['excluded']}); split {split['rows']}, periods {split['periods']}, unused {split['unused_rows']}; "
            f"folds {cand['folds']['kind']} x{cand['folds']['folds']}; trials {wl['trials']} {wl['trial_states']}, "
            f"trees {wl['trees']}, load (1 min) {_load(wl['load_1min'])}"
        )
        boot = wl["benchmark"]["bootstrap"]
        oof = cand["oof_auc"]
        print("| chosen | OOF AUC lgbm / card / blend | test AUC [95%] | scorecard AUC [95%] | model - scorecard [95%] "
              "| fit s | tuning s | process s | peak GB | gates |")
        print("|---|---|---|---|---|---:|---:|---:|---:|---|")
        print(
            f"| {wl['kind']} | {oof.get('lightgbm', float('nan')):.4f} / {oof.get('scorecard', float('nan')):.4f} / "
            f"{oof.get('blend', float('nan')):.4f} | {_ci(boot['auc']['model'])} | {_ci(boot['auc']['scorecard'])} | "
            f"{_ci(boot['difference']['model - scorecard'])} | {wl['fit_seconds']:.1f} | {wl['tuning_seconds']:.1f} | "
            f"{wl['process_wall_seconds']:.1f} | {wl['process_peak_gb']:.2f} | {wl['gates'].get('passed', wl['gates'])} |"
        )
        if part == "quality":
            quality_report(r)


def quality_report(r: dict) -> None:
    print(
        f"test {r['test_rows']:,} rows of {r['test_enterprises']:,} enterprises, {r['test_defaults']:,} defaults "
        f"({r['test_default_rate']:.4f}) of {r['test_defaulting_enterprises']:,} enterprises; "
        f"{r['test_rows_with_true_pd']:,} with both ceilings (without: {r['rows_without_true_pd']})"
    )
    vm, vt, scores = r["bootstrap_vs_model"], r["bootstrap_vs_true_pd"], r["scores"]
    print("| model | AUC, all test rows [95%, enterprises resampled] | model - it [95%] | lowest-PD decile's bad rate / mean |")
    print("|---|---|---|---:|")
    for name, v in vm["auc"].items():
        diff = vm["difference"].get(f"model - {name}")
        key = "whitelist" if name == "model" else name
        print(f"| {name} | {_ci(v)} | {'' if diff is None else _ci(diff)} | {scores[key]['lowest_decile_bad_rate_to_mean']:.3f} |")
    print("| on rows with both ceilings | AUC [95%] | true PD - it [95%] |")
    print("|---|---|---|")
    for name, v in vt["auc"].items():
        diff = vt["difference"].get(f"true_pd - {name}")
        print(f"| {name} | {_ci(v)} | {'' if diff is None else _ci(diff)} |")
    if r["scorecard_cross_check"]:
        sc = r["scorecard_cross_check"]
        print(f"cross-check optbinning + LR: {sc['features']} features, fit {sc['fit_seconds']:.1f} s, "
              f"peak {sc['process_peak_gb']:.2f} GB, load {_load(sc['load_1min'])}")
    for group, run in r["ablated"].items():
        print(f"without {group}: {run['features']} features, kind {run['kind']}, fit {run['fit_seconds']:.1f} s")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "whitelist":
            trials = int(rest[2]) if len(rest) > 2 and rest[2] not in ("labelled", "-") else None
            drop = next((tuple(a[5:].split(",")) for a in rest[2:] if a.startswith("drop=")), ())
            child_whitelist(Path(rest[0]), trials, Path(rest[1]), labelled_only="labelled" in rest[2:], drop=drop)
        else:
            child_scorecard(Path(rest[0]), Path(rest[1]), Path(rest[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 enterprises, 5 trials each")
    parser.add_argument("--enterprises", type=int, default=None, help="200,000 (20,000 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed of the province")
    parser.add_argument("--trials", type=int, default=None, help="trials of the quality run: the config's 30 (5 with --quick)")
    parser.add_argument("--tuning-trials", type=int, default=None, help="trials of the tuning run: 30 (5 with --quick)")
    parser.add_argument("--months", type=int, default=MONTHS, help="months of generated data (84)")
    parser.add_argument("--quality-dates", default=None,
                        help="the quality panel's month ends (every one with full windows and a label)")
    parser.add_argument("--ablate", action="append", default=[], choices=sorted(ABLATIONS),
                        help="quality: train again without this feature group (repeatable)")
    parser.add_argument("--tuning-dates", default=TUNING_DATES)
    parser.add_argument("--only", choices=["quality", "tuning"], default=None, help="run one of the two measurements")
    parser.add_argument("--no-cross-check", dest="cross_check", action="store_false",
                        help="quality: skip the optbinning + logistic regression scorecard outside whitelist")
    parser.add_argument(
        "--wait-idle", action="store_true", help="start each fit once the shared machine's 1-minute load is below 0.8"
    )
    parser.add_argument(
        "--labelled-only",
        action="store_true",
        help="tuning run: drop unlabelled rows as the panel is read (they are never trained on)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    args.enterprises = args.enterprises or (20_000 if args.quick else 200_000)
    args.trials = args.trials if args.trials is not None else (5 if args.quick else None)
    args.tuning_trials = args.tuning_trials if args.tuning_trials is not None else (5 if args.quick else 30)
    raw, validated = ensure_province(args.out, args.enterprises, args.seed, args.months)
    work = args.out / f"bench-train-{args.enterprises}-{args.months}m{tag(args.seed)}"
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "code": code(),
        "enterprises": args.enterprises,
        "seed": args.seed,
        "months": args.months,
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
    name = "bench-train-quick.json" if args.quick else f"bench-train-{args.enterprises}-{args.months}m{tag(args.seed)}{part}.json"
    if args.labelled_only:
        name = name.replace(".json", "-labelled.json")
    (args.out / name).write_text(json.dumps(res, indent=2, default=str))
    report(res)
    print(f"\nresults: {args.out / name} ({res['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
