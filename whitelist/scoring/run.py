"""A scoring run: the visit list and a model in, a run folder with the whitelist out.

The folder is assembled under a temporary name and renamed into place only when every file
is written, so a crashed run leaves nothing that looks complete, and an existing run folder
is never overwritten. Same inputs, policy and model give byte-identical data files; only the
manifest's run time and host differ.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from whitelist import __version__
from whitelist.core.decisions import DECISIONS
from whitelist.core.errors import GateFailedError, InputDataError
from whitelist.core.io import file_sha256, remove_dead_leftovers, write_bytes, write_json, write_parquet
from whitelist.core.progress import NullProgress, Progress
from whitelist.core.run_manifest import (
    CONTRIBUTIONS_FILE,
    DECISION_LOG_FILE,
    INPUTS_FILE,
    MANIFEST_FILE,
    WHITELIST_FILE,
    CheckRecord,
    Contributions,
    Counts,
    DriftRecord,
    FileRef,
    ModelRef,
    PolicyRef,
    RunInfo,
    RunManifest,
    VisitList,
    WhitelistSummary,
)
from whitelist.core.runtime import cycle_collection_paused
from whitelist.core.artefact_file import write_artefact
from whitelist.features.engines.spark import spark_label
from whitelist.features.periods import feature_period
from whitelist.features.spec import FeatureSet, load_features
from whitelist.models.artefact import ARTEFACT_FILE, EVALUATION_FILE, RUN_FILE, ModelArtefact, model_digest
from whitelist.models.contributions import DEFAULT_METHOD, Method
from whitelist.models.reasons import GroupMap, ReasonCatalog
from whitelist.scoring.config import PolicyConfig
from whitelist.scoring.decision_log import build_decision_log
from whitelist.scoring.drift import DriftItem, measure_drift
from whitelist.scoring.extracts import write_extracts
from whitelist.scoring.inputs import Population, Prefetch, VisitAccount, load_population
from whitelist.scoring.policy.assignment import fill_branches, schedule
from whitelist.scoring.policy.checks import CHECKS
from whitelist.scoring.policy.engine import POLICY_INPUTS, Decisions, Screen, decide, screen
from whitelist.scoring.policy.rules import check_inputs
from whitelist.scoring.predict import Scored, check_types, score_rows
from whitelist.scoring.reason_codes import reason_columns
from whitelist.sources.validate import check_validated

EXTRACTS_DIR = "extracts"
MODEL_COPY = "model"
"""The model's JSON files, copied into the run folder for the pages and the report."""
REASON_GROUPS_FILE = "reason_groups.json"
EXTRACT_WORKERS = min(2, os.cpu_count() or 1)
"""Threads writing branch files: compressing and writing them release the GIL."""
BACKGROUND_WRITERS = 2
"""Threads writing the contributions, inputs and decision log while the policy runs."""


@dataclass(frozen=True)
class ScoreRequest:
    model_dir: Path
    model_ref: str
    """The model as the user named it (a folder or a models:/ URI), recorded in the manifest."""
    features: Path
    raw: Path
    policy: PolicyConfig
    policy_path: Path
    reasons: ReasonCatalog
    reasons_path: Path
    out: Path
    run_date: date | None = None
    chunk_rows: int = 50_000
    contributions: Method = DEFAULT_METHOD
    """Exact TreeSHAP by the compiled path, or LightGBM's pred_contrib: the same numbers after rounding."""
    prefetch: Prefetch | None = None
    """The input files, already being read (the CLI starts this before its imports)."""
    engine: str = "local"
    """``spark``: the trees and the SHAP run on Spark's executors; the policy stays here."""
    master: str | None = None


@dataclass(frozen=True)
class RunResult:
    folder: Path
    counts: dict[str, int]
    whitelist_limit: float
    average_rate: float | None
    expected_bad_rate: float | None
    drift: list[DriftItem]
    visits: VisitAccount
    """Where every raw visit-list row went (scanned, duplicate, invalid code)."""
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, str | None] = field(default_factory=dict)


SCORING_READS = ("registry.parquet", "visit_list.parquet", "quarantine/visit_list.parquet")
"""What scoring reads of a validated folder (a province's other gigabytes are not hashed again)."""


def refuse_existing(out: Path) -> None:
    """A run folder is never overwritten: the command checks before any work, the run again before writing."""
    if out.exists():
        raise InputDataError(f"{out}: already exists; a run folder is never overwritten, choose a new --out")


def run_scoring(req: ScoreRequest, progress: Progress | None = None) -> RunResult:
    with cycle_collection_paused():
        return _run_scoring(req, progress or NullProgress())


def _run_scoring(req: ScoreRequest, progress: Progress) -> RunResult:
    refuse_existing(req.out)
    check_validated(req.raw, only=SCORING_READS)
    remove_dead_leftovers(req.out.parent)
    timer: dict[str, float] = {}
    clock = time.perf_counter()
    loading = progress.task("Loading the model, features, registry and visit list", 1)
    artefact = ModelArtefact.load(req.model_dir)
    government = artefact.on_government_panel
    groups = req.reasons.group_map(artefact.features, strict=government)
    population = load_population(req.features, req.raw, req.prefetch)
    frame = population.frame
    check_inputs(req.policy.rules, frame.columns.union(pd.Index(POLICY_INPUTS)), str(req.policy_path))
    check_types(frame, artefact, str(req.features))
    artefact.matrix(frame.iloc[:0], str(req.features))  # a missing model feature fails now, naming it
    run_date = req.run_date or population.as_of
    progress.advance(loading)
    timer["load"] = time.perf_counter() - clock

    tmp = req.out.with_name(f".{req.out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        # Files are written as soon as what they hold is known, by threads beside the policy
        # (Parquet encoding releases the GIL): the run takes about as long as its longest path.
        with ThreadPoolExecutor(BACKGROUND_WRITERS) as background:
            clock = time.perf_counter()
            scr = screen(frame, population.invalid, req.policy)
            scored_rows = np.flatnonzero(scr.to_score)
            scored_frame = frame.iloc[scored_rows]
            if req.engine == "spark":
                from whitelist.scoring.distributed import score_rows_on_spark

                scored = score_rows_on_spark(
                    scored_frame, req.model_dir, artefact, groups, method=req.contributions, source=str(req.features),
                    master=req.master, progress=progress,
                )
            else:
                scored = score_rows(
                    scored_frame, artefact, groups, chunk_rows=req.chunk_rows, source=str(req.features),
                    progress=progress, method=req.contributions,
                )
            timer["predict_and_contributions"] = time.perf_counter() - clock

            clock = time.perf_counter()
            policy_task = progress.task("Policy: drift, decisions, limits, rates, contact plan, reasons", 1)
            writing = progress.task("Writing the run folder", 5)
            written = [
                background.submit(_write_contributions, tmp, frame, scored_rows, scored, groups),
                background.submit(_write_inputs, tmp, frame, scr, artefact),
            ]
            drift = measure_drift(artefact, scored.pd, scored_frame, req.policy.drift)
            del scored_frame
            failed = [d for d in drift if d.status == "fail"]
            if failed and req.policy.drift.on_fail == "stop":
                raise GateFailedError(
                    "drift: PSI at or above fail_psi "
                    f"{req.policy.drift.fail_psi} for {', '.join(f'{d.name} ({d.psi:.3f})' for d in failed)}; "
                    "the population differs from the model's training data: retrain, or set drift.on_fail: warn "
                    f"in {req.policy_path} to score anyway"
                )
            pd_all = np.full(len(frame), np.nan)
            pd_all[scored_rows] = scored.pd
            group_key = frame["legal_rep_id"].astype("string").fillna("").to_numpy(dtype=object)
            dec = decide(frame, scr, pd_all, req.policy, run_date, group_key)
            written.append(background.submit(
                lambda: write_parquet(tmp / DECISION_LOG_FILE, build_decision_log(frame, scr, dec))
            ))
            feature_set = load_features()
            ctx = RunContext(req=req, population=population, artefact=artefact, groups=groups, run_date=run_date)
            outcome = RunOutcome(scored_rows=scored_rows, scored=scored, pd_all=pd_all, dec=dec, drift=drift)
            table = _whitelist_table(ctx, outcome, feature_set)
            progress.advance(policy_task)
            timer["policy"] = time.perf_counter() - clock

            clock = time.perf_counter()
            whitelist_file, rest = _write_outputs(
                tmp, frame, table, groups, progress, writing, req.model_dir, feature_set, population.as_of
            )
            files = [whitelist_file]
            for future in written:
                files.append(future.result())
                progress.advance(writing)
            files += rest
        timer["write"] = time.perf_counter() - clock
        manifest = _manifest(ctx, outcome, table, files, tmp, timer)
        counts = {**{d: manifest.counts.of(d) for d in DECISIONS}, "scanned": manifest.counts.scanned}
        write_artefact(tmp / MANIFEST_FILE, manifest)
        try:
            os.rename(tmp, req.out)
        except OSError:
            if req.out.exists():  # another run took the name meanwhile; it is never overwritten
                raise InputDataError(f"{req.out}: created by another run while this one ran; choose a new --out") from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RunResult(
        folder=req.out,
        counts=counts,
        whitelist_limit=manifest.whitelist.total_limit,
        average_rate=manifest.whitelist.average_rate,
        expected_bad_rate=dec.expected_bad_rate,
        drift=drift,
        files=[req.out / f.relative_to(tmp) for f in files] + [req.out / MANIFEST_FILE],
        seconds=timer,
        contributions=scored.method,
        visits=population.visits,
    )


def _dates(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[D]"), pa.date32())


@dataclass(frozen=True)
class RunContext:
    """What a run knows before it decides: the request, the population, the model and the run date."""

    req: ScoreRequest
    population: Population
    artefact: ModelArtefact
    groups: GroupMap
    run_date: date


@dataclass(frozen=True)
class RunOutcome:
    """What the model and the policy made of the population, row for row with ``population.frame``."""

    scored_rows: np.ndarray
    """Rows of the frame the model scored (valid and not excluded)."""
    scored: Scored
    pd_all: np.ndarray
    """PD of every row; NaN where not scored."""
    dec: Decisions
    drift: list[DriftItem]


def _whitelist_table(ctx: RunContext, out_: RunOutcome, features: FeatureSet) -> pd.DataFrame:
    frame, population, req, run_date, groups = ctx.population.frame, ctx.population, ctx.req, ctx.run_date, ctx.groups
    scored_rows, scored, pd_all, dec = out_.scored_rows, out_.scored, out_.pd_all, out_.dec
    n = len(frame)
    policy = req.policy

    def spread(values: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
        out = np.full(n, fill, dtype=dtype)
        out[scored_rows] = values
        return out

    region = frame["region"].astype("string").fillna(frame["visit_region"].astype("string"))
    bank, branch = fill_branches(frame["bank_id"], frame["branch_id"], region, policy.assignment)
    plan = schedule(
        decision=dec.decision, visit_focus=dec.visit_focus, branch=np.char.add(bank.astype(str), "/" + branch.astype(str)) if n else bank,
        priority=dec.priority, pd_=pd_all, uscc=frame["uscc"].to_numpy(dtype=object),
        assignment=policy.assignment, run_date=run_date,
    )
    reasons = reason_columns(
        dec.decision, dec.rules_hit, scored_rows, scored.groups, groups, policy, frame, features, population.as_of
    )
    out = pd.DataFrame(
        {
            "uscc": frame["uscc"].astype(object).to_numpy(),
            "decision": dec.decision,
            "visit_focus": dec.visit_focus,
            "pd": pd_all,
            "points": pd.Series(spread(scored.points, 0, np.int64), dtype="Int64").mask(np.isnan(pd_all)),
            "grade": spread(scored.grade, None, object),
            "limit": dec.limit,
            "rate": dec.rate,
            "segments": dec.segments,
            "priority": dec.priority,
            "rules_hit": dec.rules_hit,
        }
    )
    out = pd.concat([out, reasons], axis=1)
    out["entity_type"] = frame["entity_type"].astype(object).to_numpy()
    out["industry"] = frame["industry"].astype(object).to_numpy()
    out["region"] = region.astype(object).to_numpy()
    out["bank"] = bank
    out["branch"] = branch
    out["priority_rank"] = plan.priority_rank
    out["contact_by"] = plan.contact_by
    out["process_by"] = plan.process_by
    out["valid_until"] = plan.valid_until
    out["contact_overflow"] = plan.overflow
    out["as_of"] = population.as_of
    out["run_date"] = run_date
    for col in dec.segment_flags.columns:
        out[col] = dec.segment_flags[col].to_numpy()
    return out


def _to_arrow(table: pd.DataFrame) -> pa.Table:
    columns = {}
    for name in table.columns:
        values = table[name]
        if name in ("contact_by", "process_by", "valid_until"):
            columns[name] = _dates(values.to_numpy())
        elif name in ("as_of", "run_date"):
            columns[name] = pa.array(values.to_list(), pa.date32())
        elif str(values.dtype) == "Int64":
            columns[name] = pa.array(values, pa.int64(), from_pandas=True)
        elif values.dtype == object:
            columns[name] = pa.array(values.to_numpy(), pa.string(), from_pandas=True)
        else:
            columns[name] = pa.array(values, from_pandas=True)
    return pa.table(columns)


def _write_contributions(
    tmp: Path, frame: pd.DataFrame, scored_rows: np.ndarray, scored: Scored, groups: GroupMap
) -> Path:
    contrib = {"uscc": pa.array(frame["uscc"].iloc[scored_rows].astype(object).to_numpy(), pa.string(), from_pandas=True)}
    contrib["raw_score"] = pa.array(np.round(scored.raw_score, 6))
    contrib["base_value"] = pa.array(scored.base_value)
    for j, code in enumerate(groups.codes):
        contrib[code] = pa.array(scored.groups[:, j])
    return write_parquet(tmp / CONTRIBUTIONS_FILE, pa.table(contrib))


def _write_inputs(tmp: Path, frame: pd.DataFrame, scr: Screen, artefact: ModelArtefact) -> Path:
    rule_inputs = [f for r in scr.rules.rules for f in r.when.inputs() if f in frame.columns]
    used = list(dict.fromkeys([*artefact.features, *rule_inputs]))
    inputs = pa.Table.from_pandas(
        frame[["uscc", *used]].assign(policy_need=scr.need, policy_capacity=scr.capacity), preserve_index=False
    )
    # Float features are nearly all distinct values: a dictionary costs a third of the write and grows the file.
    coded = [f.name for f in inputs.schema if not pa.types.is_floating(f.type)]
    return write_parquet(tmp / INPUTS_FILE, inputs, dictionary=coded)


def _write_outputs(
    tmp: Path,
    frame: pd.DataFrame,
    table: pd.DataFrame,
    groups: GroupMap,
    progress: Progress,
    task: int,
    model_dir: Path,
    features: FeatureSet,
    as_of: date,
) -> tuple[Path, list[Path]]:
    """The whitelist, the model's files and the extracts; the other data files are written beside the policy."""
    extract_input = table.assign(
        name=frame["name"].astype(object).to_numpy(),
        legal_rep_name=frame["legal_rep_name"].astype(object).to_numpy(),
        phone=frame["phone"].astype(object).to_numpy(),
    )
    created = table["run_date"].iloc[0] if len(table) else None
    # The extracts are the longest write; they run beside the whitelist's Parquet file, which releases the GIL.
    with ThreadPoolExecutor(1) as pool:
        extracts = pool.submit(
            write_extracts, extract_input, tmp / EXTRACTS_DIR, created=created, workers=EXTRACT_WORKERS
        )
        whitelist_file = write_parquet(tmp / WHITELIST_FILE, _to_arrow(table))
        progress.advance(task)
        rest = _model_files(tmp, model_dir, groups, features, as_of)
        rest += extracts.result()
    return whitelist_file, rest


def _model_files(tmp: Path, model_dir: Path, groups: GroupMap, features: FeatureSet, as_of: date) -> list[Path]:
    """What explanation pages and the compliance report need of the model, inside the run folder.

    The model's JSON files (features, calibration, reference bins, evaluation) and the reason
    groups with their members, titles, lead features and periods: explain/ reads the run
    folder alone, never the scoring code or a model store that may have moved on.
    """
    out = []
    for name in (ARTEFACT_FILE, EVALUATION_FILE, RUN_FILE):
        if (model_dir / name).is_file():
            out.append(write_bytes(tmp / MODEL_COPY / name, (model_dir / name).read_bytes()))
    reasons = []
    for code, members in zip(groups.codes, groups.members, strict=True):
        periods = {}
        for feature in members:
            p = feature_period(features, feature, as_of)
            periods[feature] = None if p is None else {
                "source": p.source, "origin": p.origin, "zh": p.text("zh"), "en": p.text("en"),
                "available_by": p.as_of.isoformat(),
            }
        reasons.append({
            "code": code, "title_zh": groups.title(code, "zh"), "title_en": groups.title(code, "en"),
            "lead": groups.lead(code), "members": list(members), "periods": periods,
        })
    out.append(write_json(tmp / REASON_GROUPS_FILE, {"as_of": as_of.isoformat(), "groups": reasons}))
    return out


def _hash_or_none(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None


def _manifest(
    ctx: RunContext, out_: RunOutcome, table: pd.DataFrame, files: list[Path], tmp: Path, timer: dict[str, float]
) -> RunManifest:
    req, population, artefact, run_date = ctx.req, ctx.population, ctx.artefact, ctx.run_date
    scored, dec, drift = out_.scored, out_.dec, out_.drift
    counts = {d: int((table["decision"] == d).sum()) for d in DECISIONS}
    wl = table["decision"] == "whitelist"
    visits = population.visits
    return RunManifest(
        engine_version=__version__,
        as_of=population.as_of,
        run_date=run_date,
        model=ModelRef(
            ref=req.model_ref,
            model_sha256=model_digest(req.model_dir),
            artefact_sha256=file_sha256(req.model_dir / ARTEFACT_FILE),
            kind=artefact.kind,
            trees=artefact.about.trees,
            features=len(artefact.features),
            git_commit=artefact.about.git_commit,
        ),
        policy=PolicyRef(path=str(req.policy_path), version=req.policy.version, sha256=file_sha256(req.policy_path),
                         config=req.policy.model_dump(mode="json")),
        reasons=FileRef(path=str(req.reasons_path), sha256=file_sha256(req.reasons_path)),
        contributions=Contributions(**scored.method),
        engine=req.engine if req.engine == "local" else spark_label(req.master),
        checks=tuple(CheckRecord(**asdict(c)) for c in CHECKS),
        inputs={name: FileRef(path=str(p), sha256=_hash_or_none(p)) for name, p in population.files.items()},
        counts=Counts(**counts, scanned=len(table), reconciles=len(table) == sum(counts.values()),
                      visit_focus=int(table["visit_focus"].sum()), contact_overflow=int(table["contact_overflow"].sum())),
        visit_list=VisitList(**asdict(visits), reconciles=visits.reconciles),
        rules_hit=_rule_counts(table),
        whitelist=WhitelistSummary(
            total_limit=float(table.loc[wl, "limit"].sum()),
            average_rate=float(np.round(table.loc[wl, "rate"].mean(), 6)) if wl.any() else None,
            limit_weighted_rate=float(np.round(np.average(table.loc[wl, "rate"], weights=table.loc[wl, "limit"]), 6))
            if wl.any() else None,
            mean_pd=float(np.round(table.loc[wl, "pd"].mean(), 9)) if wl.any() else None,
            expected_bad_rate=dec.expected_bad_rate,
            lpr=dec.lpr,
        ),
        drift=tuple(DriftRecord(name=d.name, psi=d.psi, status=d.status) for d in drift),  # type: ignore[arg-type]
        files=_hashes(sorted(files), tmp),
        run=RunInfo(
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            host=socket.gethostname(),
            seconds={k: round(v, 3) for k, v in timer.items()},
        ),
    )


def _hashes(files: list[Path], root: Path) -> dict[str, str]:
    """SHA-256 of every file written, by two threads (hashing releases the GIL)."""
    with ThreadPoolExecutor(2) as pool:
        return {str(f.relative_to(root)): h for f, h in zip(files, pool.map(file_sha256, files), strict=True)}


def _rule_counts(table: pd.DataFrame) -> dict[str, int]:
    """Enterprises per rule id, counted per distinct ``rules_hit`` (a few hundred), not per row."""
    counts: dict[str, int] = {}
    for hit, times in table["rules_hit"].value_counts().items():
        for rule_id in str(hit).split(","):
            if rule_id:
                counts[rule_id] = counts.get(rule_id, 0) + int(times)
    return dict(sorted(counts.items()))
