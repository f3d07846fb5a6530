"""Benchmark: how much of the observable ceiling the features carry, and whether a tree can find more than a scorecard.

A model trained on 0/1 defaults learns from a few hundred defaulting enterprises; a model regressed
on the generator's noise-free target, the log-odds of `pd_12m_observable`, learns what the features
can tell at best. Two such regressions on the training rows of `bench_train.py`'s own split (run
that first: its `quality-whitelist.split.npz` names the rows):

- **trees**: LightGBM with 63 leaves, free to use any interaction of features;
- **additive**: LightGBM with one split per tree (stumps): a sum of one-feature step functions,
  which is what a WoE scorecard is (binned features, one weight each).

Both are scored on the test rows against the realised defaults and against the target itself (R²),
with enterprise-bootstrap intervals, beside the shipped model's and the same-rows scorecard's AUCs.
If the additive regression ranks as well as the trees, the province holds no interaction for a tree
to find: whatever the features carry, a well-binned scorecard can carry too, and a model that wins
over the scorecard by a margin must win on features, not on the learner.

    python benchmarks/bench_ceiling.py --enterprises 100000 --seed 7     # after bench_train.py --only quality, same flags
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from whitelist.training import evaluate
from whitelist.training.config import load_train_config
from whitelist.training.fit import feature_columns
from whitelist.training.table import read_table

TARGET, ID, TIME = "default_12m", "uscc", "as_of"
LEARNERS: dict[str, dict[str, object]] = {
    "trees": {"num_leaves": 63, "min_data_in_leaf": 200, "learning_rate": 0.05, "rounds": 1500},
    "additive": {"num_leaves": 2, "max_depth": 1, "min_data_in_leaf": 200, "learning_rate": 0.2, "rounds": 4000},
}
"""Regressions on the noise-free log-odds; rounds stop early on a held-out fifth of training enterprises."""


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def regress(x: pd.DataFrame, target: np.ndarray, firms: np.ndarray, spec: dict[str, object]) -> lgb.Booster:
    """LightGBM regression of ``target``; early stopping on whole enterprises held out of ``x``."""
    rng = np.random.default_rng(0)
    unique = np.unique(firms)
    held = np.isin(firms, rng.choice(unique, unique.size // 5, replace=False))
    params = {k: v for k, v in spec.items() if k != "rounds"}
    params |= {"objective": "regression", "verbose": -1, "num_threads": 2, "seed": 0, "deterministic": True,
               "feature_fraction": 0.8}
    fit = lgb.Dataset(x[~held], target[~held])
    valid = lgb.Dataset(x[held], target[held], reference=fit)
    return lgb.train(params, fit, num_boost_round=int(spec["rounds"]), valid_sets=[valid],
                     callbacks=[lgb.early_stopping(100, verbose=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=84)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    tag = f"-{args.enterprises}-{args.months}m-seed{args.seed}"
    work = args.out / f"bench-train{tag}"
    quality = json.loads((args.out / f"bench-train{tag}-quality.json").read_text())["quality"]
    frame = read_table(Path(quality["panel"]))
    split = np.load(work / "quality-whitelist.split.npz")
    truth = pd.read_parquet(args.out / f"province-{args.enterprises}-{args.months}m-seed{args.seed}" / "truth_panel.parquet", columns=[ID, TIME, "pd_12m_observable"])
    truth[TIME] = pd.to_datetime(truth[TIME])
    keys = frame[[ID, TIME]].copy()
    keys[TIME] = pd.to_datetime(keys[TIME])
    observable = keys.merge(truth, on=[ID, TIME], how="left", validate="one_to_one")["pd_12m_observable"].to_numpy()
    features, categories = feature_columns(frame, {TARGET, ID, TIME, *load_train_config().exclude})
    x = frame[features].copy()
    for col, levels in categories.items():
        x[col] = pd.Categorical(x[col], categories=levels)
    train = split["train"][~np.isnan(observable[split["train"]])]
    test = split["test"]
    known = ~np.isnan(observable[test])
    shipped = pd.read_parquet(work / "quality-whitelist.test.parquet")
    y = frame[TARGET].to_numpy()[test].astype(int)
    firms = frame[ID].to_numpy()[test]
    scores: dict[str, np.ndarray] = {"model": shipped["pd"].to_numpy(dtype=float)}
    fitted: dict[str, dict[str, float]] = {}
    for name, spec in LEARNERS.items():
        start = time.perf_counter()
        booster = regress(x.iloc[train], _logit(observable[train]), frame[ID].to_numpy()[train], spec)
        pred = booster.predict(x.iloc[test], num_iteration=booster.best_iteration)
        target = _logit(observable[test])
        resid = (target - pred)[known]
        fitted[name] = {
            "trees": booster.best_iteration,
            "r2_test": float(1 - resid.var() / target[known].var()),
            "seconds": time.perf_counter() - start,
        }
        scores[name] = pred
    scores["observable_pd"] = observable[test]
    both = evaluate.bootstrap_auc(y[known], {k: v[known] for k, v in scores.items()}, seed=0, groups=firms[known])
    result = {
        "date": date.today().isoformat(),
        "panel": quality["panel"],
        "train_rows": int(train.size),
        "test_rows": int(known.sum()),
        "scorecard_same_rows": quality["whitelist"]["benchmark"]["scorecard"]["auc"],
        "fitted": fitted,
        "bootstrap": both,
    }
    out = args.out / f"bench-ceiling{tag}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    for name, s in both["auc"].items():
        print(f"{name:14s} AUC {s['value']:.4f} [{s['low']:.4f}, {s['high']:.4f}]", fitted.get(name, ""))
    for name, s in both["difference"].items():
        print(f"{name:28s} {s['value']:+.4f} [{s['low']:+.4f}, {s['high']:+.4f}]")
    print(f"same-rows scorecard AUC {result['scorecard_same_rows']:.4f}; results: {out}")


if __name__ == "__main__":
    main()
