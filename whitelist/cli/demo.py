"""``whitelist demo``: the whole job on a synthetic province, with the embedded defaults."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from whitelist.cli.ui import console, progress_bars, summary_table
from whitelist.core.errors import InputDataError

if TYPE_CHECKING:
    from whitelist.models.artefact import ModelArtefact
    from whitelist.scoring.run import RunResult
    from whitelist.training.config import TrainConfig
    from whitelist.training.fit import TrainResult

SCORING_DATE = date(2024, 12, 31)
DEMO_MONTHS = 84
"""Seven years of history to the scoring date: the labelled panel then runs from 2021-06 (every
feature window inside the data) to 2023-12 (a whole label year after it), 31 month ends, which
gives the model about twice the defaulting enterprises of a panel from 2022-07."""
DEMO_TRIALS = 5
"""Optuna trials in the demo: enough to show tuning, few enough to stay quick."""


def demo(
    enterprises: int = typer.Option(
        20_000, "--enterprises", "-n", min=5_000, help="Entities to generate (5,000 or more, so every part holds defaults)."
    ),
    out: Path = typer.Option(Path("demo"), "--out", help="Folder to lay the demo out in."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic province."),
) -> None:
    """Generate a province, validate it, build features, train, predict and score the whitelist; show where everything is."""
    # Imported here, as every command does, so `whitelist score` does not pay for the demo's imports.
    from whitelist.features.build import build_features
    from whitelist.features.compile import month_index
    from whitelist.features.panel import labelled_month_ends, month_end
    from whitelist.features.spec import load_features
    from whitelist.sources.synthetic import SyntheticConfig, generate_province
    from whitelist.sources.validate import validate_folder
    from whitelist.training.config import load_train_config
    from whitelist.training.table import train_from_config

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputDataError(
            f"{out}: already holds files, and a demo never overwrites a folder; pick another --out "
            f"(make demo DEMO_OUT=...) or remove {out}"
        )
    raw, validated, features_dir = out / "raw", out / "validated", out / "features"
    spec = load_features()
    with progress_bars() as progress:
        province = SyntheticConfig(enterprises=enterprises, seed=seed, months=DEMO_MONTHS, end=SCORING_DATE)
        generated = generate_province(province, raw, progress=progress)
        checked = validate_folder(raw, validated, progress=progress)
        first = month_end(month_index(SCORING_DATE) - DEMO_MONTHS + 1)  # the data's first month
        dates = labelled_month_ends(first, SCORING_DATE, spec)
        train = build_features(validated, dates, features_dir / "train.parquet", spec, labels=True, progress=progress)
        score = build_features(validated, [SCORING_DATE], features_dir / "score.parquet", spec, progress=progress)
        task = progress.task(f"Training the default model ({DEMO_TRIALS} tuning trials)", 1)
        config = load_train_config().model_copy(update={"trials": DEMO_TRIALS})
        model = train_from_config(config, out / "model", features=train.path, study_storage=out / "optuna.db")
        progress.advance(task)
    registry = _register_and_promote(out, model, config)
    predictions = _predict(model.artefact, score.path, out / "predictions.parquet")
    with progress_bars() as progress:
        run = _score(out, validated, score.path, progress)
        task = progress.task("Compliance report and an example decision page", 1)
        report, page = _pages(out, run)
        progress.advance(task)
    test = model.evaluation["test"]
    truth = generated.truth_summary
    read = sum(r.rows_read for r in checked.sources)
    quarantined = sum(r.rows_quarantined for r in checked.sources)
    summary_table(
        "Demo",
        ["stage", "result", "where"],
        [
            ("generate", f"{enterprises:,} entities, {truth['active_at_end']:,} active at the end", raw),
            ("validate", f"{read:,} rows read, {quarantined:,} quarantined", validated / "quality.json"),
            (
                "features: training panel",
                f"{train.rows:,} rows x {train.features} features, {len(train.as_of)} month ends, "
                f"default rate {train.default_rate:.2%}",
                train.path,
            ),
            ("features: scoring set", f"{score.rows:,} visit-list enterprises at {SCORING_DATE}", score.path),
            (
                "train",
                f"out-of-time AUC {test['auc']:.3f}, KS {test['ks']:.3f} on unseen enterprises, "
                f"{model.artefact.about.trees} trees",
                out / "model" / "model_card.html",
            ),
            ("register and promote", registry, out / "promotions.jsonl"),
            ("predict", f"{predictions:,} enterprises: PD, points, grade", out / "predictions.parquet"),
            (
                "score",
                f"{run.counts['scanned']:,} scanned: {run.counts['whitelist']:,} whitelisted "
                f"(average rate {run.average_rate or 0:.2%}), {run.counts['review']:,} review, "
                f"{run.counts['decline']:,} declined, {run.counts['excluded']:,} excluded, "
                f"{run.counts['invalid']:,} invalid",
                run.folder,
            ),
            ("report", "compliance report: model card, importance, segments, stability, rules", report),
            ("explain", "one whitelisted enterprise's decision page", page),
        ],
        text=True,
    )
    console.print(
        f"Account managers' extracts: {run.folder / 'extracts'}/<bank>/<branch>.xlsx. "
        "Any decision: whitelist explain --run RUN --uscc CODE."
    )


DEMO_APPROVER = "demo reviewer"
"""Promotion needs someone other than the trainer; the demo names a stand-in."""


def _register_and_promote(out: Path, model: TrainResult, config: TrainConfig) -> str:
    """Register the model in an MLflow store inside ``out`` (unless one is set) and try to promote it."""
    import os

    from whitelist.core.errors import GateFailedError
    from whitelist.training.gates import failed_gates
    from whitelist.training.registry import log_and_register, promote

    if not os.environ.get("MLFLOW_TRACKING_URI"):
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{out.resolve() / 'mlflow.db'}"
    registered = log_and_register(out / "model", model.examples, model.evaluation)
    try:
        promote(registered["version"], DEMO_APPROVER, config.gates, note="whitelist demo")
    except GateFailedError:
        failed = ", ".join(failed_gates(model.evaluation["gates"]))
        return f"version {registered['version']} is the challenger; not promoted, gates failed: {failed}"
    return f"version {registered['version']} is the champion (gates passed, approved by {DEMO_APPROVER!r})"


def _score(out: Path, validated: Path, features: Path, progress: object) -> RunResult:
    """The whitelist run with the embedded policy, in the demo's new folder."""
    from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
    from whitelist.scoring.config import DEFAULT_POLICY, load_policy
    from whitelist.scoring.run import ScoreRequest, run_scoring

    folder = out / "run"
    request = ScoreRequest(
        model_dir=out / "model", model_ref=str(out / "model"), features=features, raw=validated,
        policy=load_policy(), policy_path=DEFAULT_POLICY, reasons=load_reasons(), reasons_path=DEFAULT_REASONS,
        out=folder,
    )
    return run_scoring(request, progress)  # type: ignore[arg-type]


def _pages(out: Path, run: RunResult) -> tuple[Path, Path | None]:
    """The compliance report at OUT/report.html and the page of the first whitelisted enterprise."""
    import pandas as pd

    from whitelist.explain.page import write_decision_page
    from whitelist.explain.report import write_report

    report = write_report(run.folder, out / "report.html")
    wl = pd.read_parquet(run.folder / "whitelist.parquet", columns=["uscc", "decision"])
    chosen = wl.loc[wl["decision"] == "whitelist", "uscc"]
    page = write_decision_page(run.folder, chosen.iloc[0]) if len(chosen) else None
    return report, page


def _predict(artefact: ModelArtefact, table: Path, out: Path) -> int:
    import pandas as pd
    import pyarrow as pa

    from whitelist.core.io import write_parquet

    scored = artefact.predict_with_id(pd.read_parquet(table), source=str(table))
    write_parquet(out, pa.Table.from_pandas(scored, preserve_index=False))
    return len(scored)
