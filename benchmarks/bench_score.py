"""Benchmark: a whole scoring run against LightGBM's bare ``pred_contrib`` on the same rows and model.

Goal (issue 5): 200,000 enterprises with the default-trained model, predict + reasons + policy +
extracts in chunks within 6 GB peak on 2 cores, and within 1.3x the time of LightGBM's bare
``pred_contrib`` on the same scored rows and model; extrapolated to the province (2,080,000).

What it measures, in one run (each in its own process under /usr/bin/time -v, via timing.timed):

1. ``whitelist score`` end to end: wall seconds, peak GB, and the phases its manifest records
   (``run.seconds``: load, predict_and_contributions, policy, write).
2. The bare reference: a child process that loads the same model folder, reads the scoring set,
   keeps exactly the rows the run scored (the ``uscc`` of its ``contributions.parquet``, in that
   order), builds the matrix with ``ModelArtefact.matrix`` and calls
   ``booster.predict(matrix, pred_contrib=True)`` once. Process wall, peak GB, and the seconds of
   the imports, the read, the matrix and the predict call itself. A second child does the same
   with a plain ``predict`` (the raw score only, no contributions), for scale. The bare
   contributions are checked against the run's ``raw_score`` (same rows, same model).
3. Start-up: ``python -c 'import ...'`` of the modules ``whitelist score`` imports, so the ratio
   can be given without Python start-up and imports.
4. The (score, pred_contrib, predict) triple is repeated ``--repeats`` times (the machine is
   shared; ratios compare figures of the same repeat). The 1-minute load and the summed PSS of
   the whole process tree (the extracts are written by forked workers, which /usr/bin/time's
   largest-process figure misses) are sampled every second meanwhile; ``--wait-idle`` starts each
   score run once the load is below 0.8 (3 minutes at most).
5. With ``--also 50000`` the scoring set of another province is scored with the same model, so
   time and memory per scanned row give a slope; both are extrapolated to ``--province``
   enterprises (scanned rows taken to grow in proportion to enterprises): the whole run linearly,
   and phase by phase with the larger of a line and a power law through the two sizes (a phase
   that grows faster than the rows shows up there). ``--also 2080000`` measures the province.

The model is the default one: ``whitelist train --config configs/train.yaml`` on the province's
labelled panel (``--trials`` to lower the config's 30), run from OUT with MLflow's store there.
If ``whitelist score`` crashes with the chunked-Arrow error of the decision log (commits before
17eb908, above ~122,880 scanned rows), the runs are measured in a child that combines the chunks
first (``patch_chunked_log``) and the JSON says so (``unpatched_failure``, ``patched``).

``--shape largest`` measures the same pair with a model of the largest shape the default search
space allows instead (``whitelist/training/tune.py`` DEFAULT_SPACE and configs/train.yaml:
max_depth 6, num_leaves 63, the config's 400 trees), since tuning may choose a much smaller one
(the default model here has 156 trees of depth 3) and exact SHAP grows with trees x leaves x depth.
It is trained by ``lightgbm.train`` in a child (``child_largest``) on the tuned model's own training
part of the labelled panel (the package's split, same seed), with the tuned model's features,
categories, monotone constraints and other parameters, min_data_in_leaf at the space's floor (20)
and learning rate 0.03, exactly 400 rounds (no early stopping). The folder
OUT/score-<n>/model-largest is the tuned artefact with that booster swapped in, so its PD
calibration, and with it every decision, is the tuned model's applied to other raw scores: a
timing model only, never one to score with. Its shape and out-of-time AUC (raw score, the tuned
model's test part) are in model-largest/timing_model.json. Figures go to
OUT/bench-score-<n>-largest.json unless ``--tag`` says otherwise.

``--head`` measures the code of the last commit (or of ``--commit REV``) rather than the working
tree (which another engineer may be editing): ``git archive HEAD whitelist`` is unpacked under OUT/code-<commit>/ and
put first on PYTHONPATH for every child (the editable install's finder comes after it); the
script then works from OUT, so no child finds the working tree's whitelist/ in its current folder.

``--profile`` runs the score once more under cProfile (slower by the profiler's overhead) and
lists the top functions outside LightGBM's predict. Data, the scoring sets and the model are
cached under OUT/score-<n>/ and reused; run folders are removed unless ``--keep``. Figures go to
OUT/bench-score-<n>.json.

    python benchmarks/bench_score.py --enterprises 200000 --also 50000 --profile --wait-idle
    python benchmarks/bench_score.py --also 2080000 --repeats 1 --tag province   # the province itself
    python benchmarks/bench_score.py --report benchmarks/out/bench-score-200000.json  # tables again
    python benchmarks/bench_score.py --head --wait-idle --tag head          # tuned model, committed code
    python benchmarks/bench_score.py --head --commit 2547a65 --wait-idle --tag 2547a65   # ... of that commit
    python benchmarks/bench_score.py --head --wait-idle --shape largest     # largest-shape timing model
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from timing import timed

EXE = Path(sys.executable).with_name("whitelist")
REPO = Path(__file__).resolve().parent.parent
SCORE_AS_OF = "2024-12-31"
TRAIN_AS_OF = "2022-07-31..2023-12-31"
IMPORTS = (
    "import typer, whitelist.cli.main, whitelist.scoring.run, whitelist.training.registry, "
    "whitelist.models.reasons, whitelist.scoring.config"
)
"""What ``whitelist score`` imports before it reads anything (a typer CLI plus the scoring modules)."""


# ---------------------------------------------------------------- children


def child_bare(model: Path, features: Path, contributions: Path, what: str, result: Path) -> None:
    """Bare LightGBM on exactly the rows the run scored: ``pred_contrib`` or plain ``predict``."""
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from whitelist.models.artefact import ModelArtefact

    imports = time.perf_counter() - t0
    t = time.perf_counter()
    artefact = ModelArtefact.load(model)
    load_model = time.perf_counter() - t
    t = time.perf_counter()
    uscc = pq.read_table(contributions, columns=["uscc", "raw_score"]).to_pandas()
    table = pd.read_parquet(features)
    table["uscc"] = table["uscc"].astype("string")
    table = table.drop_duplicates("uscc").set_index("uscc")
    rows = table.loc[uscc["uscc"].astype("string")]
    read = time.perf_counter() - t
    t = time.perf_counter()
    matrix = artefact.matrix(rows)
    build = time.perf_counter() - t
    t = time.perf_counter()
    if what == "pred_contrib":
        out = artefact.booster.predict(matrix, pred_contrib=True)
    else:
        out = artefact.booster.predict(matrix, raw_score=True)
    call = time.perf_counter() - t
    raw = np.asarray(out).sum(axis=1) if what == "pred_contrib" else np.asarray(out)
    shape = tree_shape(artefact.booster)
    result.write_text(
        json.dumps(
            {
                "what": what,
                "rows": len(matrix),
                "features": matrix.shape[1],
                "imports_s": imports,
                "load_model_s": load_model,
                "read_s": read,
                "matrix_s": build,
                "call_s": call,
                "max_abs_diff_raw_score_vs_run": float(np.max(np.abs(raw - uscc["raw_score"].to_numpy()))),
                **shape,
            }
        )
    )


LARGEST = {"learning_rate": 0.03, "min_data_in_leaf_from_space": "low", "max_depth_from_space": "high",
           "num_leaves_from_space": "high"}
"""The timing model's parameters that differ from the tuned model's; its rounds are the config's max_trees."""


def tree_shape(booster: object) -> dict:
    """Trees, leaves and depths of a booster's dump."""
    info = booster.dump_model()["tree_info"]  # type: ignore[attr-defined]

    def depth(node: dict) -> int:
        if "split_index" not in node:  # a leaf
            return 0
        return 1 + max(depth(node["left_child"]), depth(node["right_child"]))

    depths = [depth(t["tree_structure"]) for t in info]
    return {"trees": len(info), "leaves": int(sum(t["num_leaves"] for t in info)), "max_depth": max(depths),
            "max_leaves_per_tree": max(t["num_leaves"] for t in info),
            "mean_leaves_per_tree": round(sum(t["num_leaves"] for t in info) / len(info), 1),
            "trees_at_max_depth": sum(d == max(depths) for d in depths)}


def child_largest(tuned: Path, panel: Path, folder: Path) -> None:
    """The largest-shape timing model: the tuned artefact with a 400-tree, depth-6, 63-leaf booster swapped in."""
    import dataclasses

    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from whitelist.models.artefact import ModelArtefact
    from whitelist.training.split import split
    from whitelist.training.tune import DEFAULT_SPACE

    artefact = ModelArtefact.load(tuned)
    meta = artefact.about
    target, id_col, time_col, seed = meta.target, meta.id_col, meta.time_col, meta.seed
    rounds = int((meta.config or {})["max_trees"])
    t = time.perf_counter()
    frame = pd.read_parquet(panel, columns=[*artefact.features, target, id_col, time_col])
    frame = frame.loc[frame[target].notna()].reset_index(drop=True)  # as train_table: labelled rows only
    y = frame[target].astype("float64")
    parts = split(frame, y, time_col=time_col, id_col=id_col, seed=seed)
    x = artefact.matrix(frame, str(panel))
    read = time.perf_counter() - t
    rows = {"train": int(parts.train.size), "valid": int(parts.valid.size), "test": int(parts.test.size)}
    params = {
        **(meta.params or {}),
        "learning_rate": LARGEST["learning_rate"],
        "max_depth": int(getattr(DEFAULT_SPACE["max_depth"], LARGEST["max_depth_from_space"])),
        "num_leaves": int(getattr(DEFAULT_SPACE["num_leaves"], LARGEST["num_leaves_from_space"])),
        "min_data_in_leaf": int(getattr(DEFAULT_SPACE["min_data_in_leaf"], LARGEST["min_data_in_leaf_from_space"])),
        "seed": seed,
    }
    params.pop("metric", None)
    constraints = [int(meta.monotone.get(f, 0)) for f in artefact.features]
    t = time.perf_counter()
    booster = lgb.train({**params, "monotone_constraints": constraints},
                        lgb.Dataset(x.iloc[parts.train], y.to_numpy()[parts.train]), num_boost_round=rounds)
    train_s = time.perf_counter() - t
    booster = lgb.Booster(model_str=booster.model_to_string())
    test = x.iloc[parts.test]
    auc = float(roc_auc_score(y.to_numpy()[parts.test], booster.predict(test, raw_score=True)))
    tuned_auc = float(roc_auc_score(y.to_numpy()[parts.test], artefact.booster.predict(test, raw_score=True)))
    note = ("timing only: the tuned model's artefact (features, PD calibration, scorecard, bins) with a larger "
            "booster swapped in by benchmarks/bench_score.py; its decisions are not a model's")
    replaced = dataclasses.replace(artefact, booster=booster,
                                   meta=meta.model_copy(update={"trees": booster.num_trees(), "params": params, "timing_only": note}))
    replaced.save(folder)
    info = {"note": note, "tuned_model": str(tuned), "panel": str(panel), "rounds": rounds, "params": params,
            "monotone_constraints": sum(c != 0 for c in constraints), "split_rows": rows,
            "split_rows_as_tuned": rows == meta["split"]["rows"], "read_and_matrix_s": round(read, 1),
            "train_s": round(train_s, 1), "test_auc_raw": round(auc, 4), "tuned_test_auc_raw": round(tuned_auc, 4),
            "shape": tree_shape(booster), "tuned_shape": tree_shape(artefact.booster),
            "model_txt_mb": round((folder / "model.txt").stat().st_size / 1e6, 2),
            "lightgbm": lgb.__version__, "numpy": np.__version__}
    (folder / "timing_model.json").write_text(json.dumps(info, indent=2))


def patch_chunked_log() -> None:
    """Work around a crash of ``whitelist score`` on more than ~122,880 scanned rows (see the docs).

    pandas reads Parquet text columns as Arrow-backed arrays in batches of 122,880 rows; above
    that, ``decision_log._inputs`` returns a ``ChunkedArray`` and ``pa.concat_arrays`` refuses it.
    Only this benchmark's own child process is patched (the chunks are combined, nothing else
    changes); the package is left as it is.
    """
    import pyarrow as pa

    import whitelist.scoring.decision_log as dl

    original = dl._inputs

    def combined(columns, rows):  # type: ignore[no-untyped-def]
        out = original(columns, rows)
        return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out

    dl._inputs = combined


def child_score(argv: list[str], patch: bool, prof: Path | None) -> None:
    """``whitelist score ...`` as the console script runs it; patched and/or under cProfile."""
    if patch:
        patch_chunked_log()
    from whitelist.cli.main import main

    sys.argv = ["whitelist", *argv]
    if prof is None:
        main()
        return
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(main)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        profiler.dump_stats(str(prof))


# ---------------------------------------------------------------- parent


def tree_pss_gb() -> float:
    """Proportional set size summed over every descendant of this process (forked workers included)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    total, stack = 0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024 / 1024


class LoadSampler:
    """While a measurement runs: the 1-minute load average and the PSS of the whole process tree, every second.

    /usr/bin/time reports the largest single process; extracts are written by forked workers, so
    the tree's summed PSS (shared pages counted once) is the memory the run really holds.
    """

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.pss: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1):
            self.samples.append(os.getloadavg()[0])
            self.pss.append(tree_pss_gb())

    def __enter__(self) -> LoadSampler:
        self.before = os.getloadavg()[0]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = os.getloadavg()[0]

    def summary(self) -> dict[str, float]:
        s = self.samples or [self.before]
        return {"before": round(self.before, 2), "mean": round(sum(s) / len(s), 2), "max": round(max(s), 2),
                "after": round(self.after, 2)}

    def tree_peak_gb(self) -> float | None:
        return round(max(self.pss), 3) if self.pss else None


IDLE = {"below": 0.8, "at_most_s": 180}
"""With --wait-idle, each score run starts once the 1-minute load is below 0.8, or after 3 minutes anyway
(``--idle-max`` changes the 3 minutes); with ``--shape largest`` the bare ``pred_contrib`` waits too."""


def wait_idle(enabled: bool) -> float:
    start = time.perf_counter()
    while enabled and os.getloadavg()[0] >= IDLE["below"] and time.perf_counter() - start < IDLE["at_most_s"]:
        time.sleep(5)
    return round(time.perf_counter() - start, 1)


def env() -> dict[str, str]:
    out = os.environ.copy()
    out.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{(REPO / 'benchmarks' / 'out' / 'mlflow.db').resolve()}")
    return out


def run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def scoring_set(n: int, seed: int, out: Path) -> tuple[Path, Path]:
    """Generated, validated province and its scoring set at the end date, cached in OUT/score-<n>."""
    folder = out / f"score-{n}"
    raw, validated, features = folder / "raw", folder / "validated", folder / "score.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    if not (raw / "generation.json").is_file():
        shutil.rmtree(raw, ignore_errors=True)
        print(f"generating {n:,} enterprises ...", flush=True)
        run([str(EXE), "generate", "--enterprises", str(n), "--seed", str(seed), "--out", str(raw)], folder)
    if not (validated / "quality.json").is_file():
        shutil.rmtree(validated, ignore_errors=True)
        print("validating ...", flush=True)
        run([str(EXE), "validate", "--raw", str(raw), "--out", str(validated)], folder)
    if not features.is_file():
        print("features (scoring set) ...", flush=True)
        run([str(EXE), "features", "--raw", str(validated), "--as-of", SCORE_AS_OF, "--out", str(features)], folder)
    return validated, features


def default_model(n: int, trials: int | None, out: Path) -> tuple[Path, float | None]:
    """The default model (configs/train.yaml) trained on the province's panel, cached."""
    folder = out / f"score-{n}"
    validated = folder / "validated"
    panel = folder / "train.parquet"
    model = folder / f"model-t{'cfg' if trials is None else trials}"
    if not panel.is_file():
        print("features (training panel) ...", flush=True)
        run([str(EXE), "features", "--raw", str(validated), "--as-of", TRAIN_AS_OF, "--labels", "--out", str(panel)], folder)
    if (model / "artefact.json").is_file():
        return model, None
    shutil.rmtree(model, ignore_errors=True)
    study = model.with_suffix(".optuna.db")
    study.unlink(missing_ok=True)
    cmd = [str(EXE), "train", "--config", str(REPO / "configs" / "train.yaml"), "--features", str(panel),
           "--out", str(model), "--study", str(study)]
    if trials is not None:
        cmd += ["--trials", str(trials)]
    print(f"training the default model ({'config' if trials is None else trials} trials) ...", flush=True)
    start = time.perf_counter()
    run(cmd, out)  # from OUT: MLflow's store and anything else land there, not in the repo root
    return model, time.perf_counter() - start


def largest_model(n: int, tuned: Path, out: Path) -> tuple[Path, dict]:
    """The largest-shape timing model (``child_largest``), cached in OUT/score-<n>/model-largest."""
    folder = out / f"score-{n}" / "model-largest"
    info = folder / "timing_model.json"
    if not info.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        print("training the largest-shape timing model (400 rounds, depth 6, 63 leaves) ...", flush=True)
        run([sys.executable, __file__, "_largest", str(tuned), str(out / f"score-{n}" / "train.parquet"), str(folder)], out)
    return folder, json.loads(info.read_text())


WARM_TREESHAP = (
    "import lightgbm as lgb, numpy as np; from whitelist.models.contributions import contributor; "
    "x = np.random.default_rng(0).normal(size=(500, 4)); y = (x[:, 0] > 0).astype(int); "
    "b = lgb.train({'objective': 'binary', 'verbose': -1, 'num_leaves': 4}, lgb.Dataset(x, y), 5); "
    "contributor(b).of_array(x)"
)


def head_code(out: Path, rev: str = "HEAD") -> dict:
    """``git archive REV whitelist`` unpacked under OUT/code-<commit>/ and put first on PYTHONPATH for the children."""
    commit = git("rev-parse", "--short", rev)
    if not commit:
        raise SystemExit(f"--commit {rev}: not a commit")
    folder = out / f"code-{commit}"
    if not (folder / "whitelist" / "__init__.py").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "whitelist"], cwd=REPO, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        # As `make install` does for the working tree: compiled once, not at every child's import.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "whitelist")], check=True)
        # numba caches the compiled TreeSHAP beside the sources: compile it once here, so the first
        # repeat does not carry a one-time compilation an installed engine has long since done.
        subprocess.run([sys.executable, "-c", WARM_TREESHAP], cwd=folder, check=True)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])
    os.chdir(out)  # ``python -c`` puts the current folder first on sys.path: not the repo root with its whitelist/
    probe = "import whitelist.cli.main as m, whitelist.models.artefact as a; print(m.__file__); print(a.__file__)"
    found = subprocess.run([sys.executable, "-c", probe], env=env(), capture_output=True, text=True, check=True)
    files = found.stdout.split()
    if not all(f.startswith(str(folder)) for f in files):
        raise SystemExit(f"--head: the children would import {files}, not {folder}")
    return {"commit": commit, "folder": str(folder), "imports": files}


def score_args(model: Path, validated: Path, features: Path, run_dir: Path) -> list[str]:
    return ["score", "--model", str(model), "--features", str(features), "--raw", str(validated), "--out", str(run_dir)]


def score_once(model: Path, validated: Path, features: Path, run_dir: Path, patch: bool) -> dict:
    shutil.rmtree(run_dir, ignore_errors=True)
    argv = score_args(model, validated, features, run_dir)
    cmd = [sys.executable, __file__, "_score", "patch", *argv] if patch else [str(EXE), *argv]
    with LoadSampler() as load:
        wall, peak = timed(cmd)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    extracts = [p for p in (run_dir / "extracts").rglob("*") if p.is_file()]
    files = {p.name: p.stat().st_size for p in run_dir.iterdir() if p.is_file()}
    phases = manifest["run"]["seconds"]
    return {
        "wall_s": wall,
        "peak_gb": peak,
        "phases_s": phases,
        "phases_total_s": sum(phases.values()),
        "counts": manifest["counts"],
        "whitelist": manifest["whitelist"],
        "drift": manifest["drift"],
        "trees": manifest["model"]["trees"],
        "extract_files": len(extracts),
        "extract_mb": round(sum(p.stat().st_size for p in extracts) / 1e6, 1),
        "file_bytes": files,
        "load_1min": load.summary(),
        "tree_pss_peak_gb": load.tree_peak_gb(),
        "patched": patch,
    }


def first_score(model: Path, validated: Path, features: Path, run_dir: Path) -> tuple[dict, str | None]:
    """The real ``whitelist score``; if it hits the chunked decision-log crash, the patched child."""
    try:
        return score_once(model, validated, features, run_dir, patch=False), None
    except SystemExit as exc:
        message = str(exc)
        if "Iterable should contain Array objects, got <class 'pyarrow.lib.ChunkedArray'>" not in message:
            raise
        shutil.rmtree(run_dir, ignore_errors=True)
        print("whitelist score crashed in build_decision_log (ChunkedArray); measuring the patched child", flush=True)
        lines = message.splitlines()
        end = next(i for i, x in enumerate(lines) if x.startswith("TypeError"))
        failure = "\n".join(x.strip() for x in lines[end - 3 : end + 1])
        return score_once(model, validated, features, run_dir, patch=True), failure


def bare_once(model: Path, features: Path, run_dir: Path, what: str, tmp: Path) -> dict:
    result = tmp / f"bare-{what}.json"
    result.unlink(missing_ok=True)
    with LoadSampler() as load:
        wall, peak = timed([sys.executable, __file__, "_bare", str(model), str(features),
                            str(run_dir / "contributions.parquet"), what, str(result)])
    data = json.loads(result.read_text())
    data.update(process_wall_s=wall, process_peak_gb=peak, load_1min=load.summary(), tree_pss_peak_gb=load.tree_peak_gb())
    return data


def startup_once() -> dict:
    with LoadSampler() as load:
        imports, peak = timed([sys.executable, "-c", IMPORTS])
        bare, _ = timed([sys.executable, "-c", "import numpy, pandas, pyarrow.parquet, whitelist.models.artefact"])
        python, _ = timed([sys.executable, "-c", "pass"])
    return {"score_imports_s": imports, "bare_imports_s": bare, "python_s": python, "load_1min": load.summary()}


def profile(model: Path, validated: Path, features: Path, run_dir: Path, out: Path, n: int, patch: bool,
            tag: str) -> dict:
    import pstats

    shutil.rmtree(run_dir, ignore_errors=True)
    prof = out / f"bench-score-{n}{tag}.prof"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "_score", "patch" if patch else "-", str(prof),
                           *score_args(model, validated, features, run_dir)],
                          env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"profile failed:\n{proc.stderr[-3000:]}")
    shutil.rmtree(run_dir, ignore_errors=True)
    stats = pstats.Stats(str(prof))
    rows = []
    for (file, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": func, "file": file.split("site-packages/")[-1].replace(str(REPO) + "/", ""),
                     "line": line, "calls": calls, "tottime_s": round(tottime, 3), "cumtime_s": round(cumtime, 3)})
    ours = [r for r in rows if r["file"].startswith("whitelist/")]
    with open(out / f"bench-score-{n}{tag}.prof.txt", "w") as fh:
        stats.stream = fh  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
    return {
        "wall_s_under_profiler": wall,
        "top_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:25],
        "whitelist_cumtime": sorted(ours, key=lambda r: -r["cumtime_s"])[:40],
        "prof": str(prof),
    }


def fit(xs: list[float], ys: list[float], x: float) -> float:
    """Linear through the points (a straight proportion through 0 with one point)."""
    if len(xs) == 1:
        return ys[0] * x / xs[0]
    (x0, x1), (y0, y1) = xs[:2], ys[:2]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def extrapolate(res: dict, province: int) -> dict:
    """Scanned rows grow in proportion to enterprises; time and peak memory are fitted on scanned rows."""
    best = min(res["repeats"], key=lambda r: r["score"]["wall_s"])
    points = sorted([(a["score"]["counts"]["scanned"], a) for a in res["also"]]
                    + [(best["score"]["counts"]["scanned"], best)], key=lambda t: t[0])
    xs = [float(x) for x, _ in points]
    target = best["score"]["counts"]["scanned"] * province / res["enterprises"]
    scored_target = best["pred_contrib"]["rows"] * province / res["enterprises"]
    wall_p = fit(xs, [a["score"]["wall_s"] for _, a in points], target)
    peak_p = fit(xs, [a["score"]["peak_gb"] for _, a in points], target)
    pss = [a["score"].get("tree_pss_peak_gb") for _, a in points]
    pss_p = fit(xs, pss, target) if all(v is not None for v in pss) else None
    contrib_p = fit(xs, [a["pred_contrib"]["process_wall_s"] for _, a in points], target)
    call_p = best["pred_contrib"]["call_s"] * province / res["enterprises"]
    phases = {}
    if len(points) > 1:  # per phase: the larger of a straight line and a power law through the two points
        (r0, a0), (r1, a1) = points[0], points[-1]
        for name in [*a1["score"]["phases_s"], "outside_phases"]:
            def t(a: dict, name: str = name) -> float:
                s = a["score"]
                return s["wall_s"] - s["phases_total_s"] if name == "outside_phases" else s["phases_s"][name]
            b = math.log(max(t(a1), 1e-3) / max(t(a0), 1e-3)) / math.log(r1 / r0)
            linear = t(a0) + (t(a1) - t(a0)) * (target - r0) / (r1 - r0)
            power = t(a1) * (target / r1) ** b
            phases[name] = {"at_small": t(a0), "at_large": t(a1), "exponent": round(b, 2),
                            "linear_s": linear, "power_s": power, "estimate_s": max(linear, power)}
    return {
        "province": province, "scanned_rows": round(target), "scored_rows": round(scored_target),
        "score_wall_s": wall_p, "score_peak_gb": peak_p, "score_tree_pss_gb": pss_p, "contrib_process_s": contrib_p, "contrib_call_s": call_p,
        "ratio_wall_to_contrib_process": wall_p / contrib_p, "points": len(points), "phases": phases,
        "score_wall_s_by_phase": sum(p["estimate_s"] for p in phases.values()) if phases else None,
        "peak_gb_per_million_scanned": ((points[-1][1]["score"]["peak_gb"] - points[0][1]["score"]["peak_gb"])
                                         / (xs[-1] - xs[0]) * 1e6) if len(points) > 1 else None,
    }


def report(res: dict) -> None:
    """Markdown rows for docs/benchmarks.md."""
    n = res["enterprises"]
    c0 = res["repeats"][0]["pred_contrib"]
    print(f"# {res['date']} {res['cores']} cores, {res['versions']}")
    print(f"# model: {c0['trees']} trees, {c0['leaves']} leaves, max depth {c0['max_depth']}, {c0['features']} features")
    if res.get("timing_model"):
        tm = res["timing_model"]
        print(f"# timing model ({res['shape']}): {tm['rounds']} rounds, {tm['params']['num_leaves']} leaves, depth "
              f"{tm['params']['max_depth']}, trained {tm['train_s']} s; out-of-time AUC (raw) {tm['test_auc_raw']} "
              f"(tuned {tm['tuned_test_auc_raw']})")
    code = res.get("code")
    print(f"# code: {code['commit'] + ' (git archive of that commit)' if isinstance(code, dict) else res['commit'] + ' working tree'}")
    print("| run | scanned | scored | score s | peak GB | load | predict+contrib s | policy s | write s | "
          "bare contrib process s | contrib call s | predict call s | ratio (process) | ratio (phases/call) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(res["repeats"] + res["also"]):
        s, c = r["score"], r["pred_contrib"]
        pred = r["predict"]["call_s"] if "predict" in r else float("nan")
        ph = s["phases_s"]
        label = f"{n:,} #{i + 1}" if i < len(res["repeats"]) else f"{r['enterprises']:,}"
        print(f"| {label} | {s['counts']['scanned']:,} | {c['rows']:,} | {s['wall_s']:.1f} | {s['peak_gb']:.2f} | "
              f"{s['load_1min']['mean']} | {ph['predict_and_contributions']:.1f} | {ph['policy']:.1f} | {ph['write']:.1f} | "
              f"{c['process_wall_s']:.1f} | {c['call_s']:.1f} | {pred:.2f} | {r['ratio_wall_to_contrib_process']:.1f}x | "
              f"{r['ratio_phases_to_contrib_call']:.1f}x |")
    e = res["extrapolation"]
    print(f"# {e['province']:,}: {e['scanned_rows']:,} scanned, score {e['score_wall_s']:.0f} s, peak {e['score_peak_gb']:.1f} GB, "
          f"bare contrib {e['contrib_process_s']:.0f} s, ratio {e['ratio_wall_to_contrib_process']:.1f}x")
    if e["phases"]:
        print(f"# by phase (larger of line and power law): score {e['score_wall_s_by_phase']:.0f} s, ratio "
              f"{e['score_wall_s_by_phase'] / e['contrib_process_s']:.1f}x; "
              + ", ".join(f"{k} {v['estimate_s']:.0f} s (x^{v['exponent']})" for k, v in e["phases"].items()))


def git(*argv: str) -> str:
    proc = subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True)
    return proc.stdout.strip()


def versions() -> dict[str, str]:
    import lightgbm
    import numpy
    import pandas
    import pyarrow

    return {"python": platform.python_version(), "lightgbm": lightgbm.__version__, "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        child_bare(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5], Path(sys.argv[6]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_largest":
        child_largest(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_score":  # _score patch|- [PROF] score ...
        prof = None if sys.argv[3] == "score" else Path(sys.argv[3])
        child_score(sys.argv[3 if prof is None else 4 :], sys.argv[2] == "patch", prof)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=200_000, help="Province the model and main run use.")
    parser.add_argument("--also", type=int, nargs="*", default=[], help="Smaller provinces scored with the same model.")
    parser.add_argument("--province", type=int, default=2_080_000, help="Enterprises to extrapolate to.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", type=int, help="Optuna trials (default: configs/train.yaml's).")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="Also profile one score run with cProfile.")
    parser.add_argument("--keep", action="store_true", help="Keep the run folders.")
    parser.add_argument("--wait-idle", action="store_true", help="Start each score run once the 1-minute load is below 0.8.")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--tag", default="", help="Suffix of the results file: bench-score-<n>[-tag].json.")
    parser.add_argument("--shape", choices=["tuned", "largest"], default="tuned",
                        help="tuned: the default-trained model; largest: a timing model of the search space's largest shape.")
    parser.add_argument("--idle-max", type=float, default=IDLE["at_most_s"], help="--wait-idle waits at most this many seconds.")
    parser.add_argument("--head", action="store_true", help="Measure the last commit's code, not the working tree.")
    parser.add_argument("--commit", default="HEAD", help="With --head: measure this commit's code instead of HEAD's.")
    parser.add_argument("--report", type=Path, help="Print the tables of a results file again (extrapolation redone).")
    args = parser.parse_args()
    if args.report:
        res = json.loads(args.report.read_text())
        res["extrapolation"] = extrapolate(res, args.province)
        report(res)
        return
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    n = args.enterprises
    tag = args.tag or ("largest" if args.shape == "largest" else "")
    IDLE["at_most_s"] = args.idle_max
    code = head_code(out, args.commit) if args.head else None

    validated, features = scoring_set(n, args.seed, out)
    model, train_s = default_model(n, args.trials, out)
    timing_model = None
    if args.shape == "largest":
        model, timing_model = largest_model(n, model, out)
    smaller = {m: scoring_set(m, args.seed, out) for m in args.also}  # prepared before anything is timed
    res: dict = {"date": date.today().isoformat(), "cores": os.cpu_count(), "versions": versions(),
                 "enterprises": n, "trials": args.trials, "model": str(model), "train_s": train_s,
                 "shape": args.shape, "timing_model": timing_model, "code": code or "working tree",
                 "commit": git("rev-parse", "--short", "HEAD"), "dirty": git("status", "--porcelain", "whitelist"),
                 "diff_sha256_start": hashlib.sha256(git("diff", "HEAD", "--", "whitelist").encode()).hexdigest()[:12],
                 "load_start": [round(x, 2) for x in os.getloadavg()], "repeats": [], "also": []}
    patch = False
    for i in range(args.repeats):
        run_dir = out / f"score-{n}" / f"run-{i + 1}"
        waited = wait_idle(args.wait_idle)
        print(f"repeat {i + 1}: whitelist score ...", flush=True)
        if i == 0:
            s, failure = first_score(model, validated, features, run_dir)
            patch = failure is not None
            res["unpatched_failure"] = failure
        else:
            s = score_once(model, validated, features, run_dir, patch)
        waited_bare = wait_idle(args.wait_idle) if args.shape == "largest" else 0.0  # minutes-long: idle again
        c = bare_once(model, features, run_dir, "pred_contrib", out)
        p = bare_once(model, features, run_dir, "predict", out)
        up = startup_once()
        rep = {
            "score": s, "pred_contrib": c, "predict": p, "startup": up, "waited_for_idle_s": waited,
            "waited_for_idle_before_bare_s": waited_bare,
            "ratio_wall_to_contrib_process": s["wall_s"] / c["process_wall_s"],
            "ratio_wall_minus_imports_to_contrib_process_minus_imports":
                (s["wall_s"] - up["score_imports_s"]) / (c["process_wall_s"] - up["bare_imports_s"]),
            "ratio_phases_to_contrib_call": s["phases_total_s"] / c["call_s"],
            "ratio_wall_to_contrib_call": s["wall_s"] / c["call_s"],
            "scored_rows_per_s": c["rows"] / s["wall_s"],
            "scanned_rows_per_s": s["counts"]["scanned"] / s["wall_s"],
        }
        res["repeats"].append(rep)
        print(json.dumps({k: v for k, v in rep.items() if k.startswith("ratio")}, indent=1), flush=True)
        if not args.keep and i + 1 < args.repeats:
            shutil.rmtree(run_dir)
    for m in args.also:
        v, f = smaller[m]
        run_dir = out / f"score-{m}" / "run-1"
        waited = wait_idle(args.wait_idle)
        print(f"{m:,}: whitelist score with the {n:,} model ...", flush=True)
        s = score_once(model, v, f, run_dir, patch)
        c = bare_once(model, f, run_dir, "pred_contrib", out)
        res["also"].append({"enterprises": m, "score": s, "pred_contrib": c, "waited_for_idle_s": waited,
                            "ratio_wall_to_contrib_process": s["wall_s"] / c["process_wall_s"],
                            "ratio_phases_to_contrib_call": s["phases_total_s"] / c["call_s"]})
        if not args.keep:
            shutil.rmtree(run_dir)

    res["extrapolation"] = extrapolate(res, args.province)
    if args.profile:
        print("profiling one run ...", flush=True)
        res["profile"] = profile(model, validated, features, out / f"score-{n}" / "run-profile", out, n, patch,
                                 f"-{tag}" if tag else "")
    res["load_end"] = [round(x, 2) for x in os.getloadavg()]
    res["diff_sha256_end"] = hashlib.sha256(git("diff", "HEAD", "--", "whitelist").encode()).hexdigest()[:12]
    if res["diff_sha256_end"] != res["diff_sha256_start"] and code is None:
        print("warning: whitelist/ changed during the run; its figures mix two versions", flush=True)
    if not args.keep:
        shutil.rmtree(out / f"score-{n}" / f"run-{args.repeats}", ignore_errors=True)
    (out / f"bench-score-{n}{'-' + tag if tag else ''}.json").write_text(json.dumps(res, indent=2, default=str))

    report(res)

if __name__ == "__main__":
    main()
