"""``whitelist score``: the model and the visit list in, the whitelist run folder out."""

from __future__ import annotations

from pathlib import Path

import typer

from whitelist.cli.ui import console, option_date, option_engine, option_method, progress_bars, summary_table, written


def score(
    model: str = typer.Option(
        ..., "--model", help="Model folder, or a registered model such as models:/whitelist-pd@champion."
    ),
    features: Path = typer.Option(..., "--features", help="Scoring set from `whitelist features` (one as-of date)."),
    raw: Path = typer.Option(
        ..., "--raw", help="Folder with the visit list and the registry, validated (or validated first, beside --out)."
    ),
    policy: Path | None = typer.Option(None, "--policy", help="Policy YAML (default: the embedded configs/policy.yaml)."),
    reasons: Path | None = typer.Option(None, "--reasons", help="Reason groups YAML (default: the embedded one)."),
    out: Path = typer.Option(..., "--out", help="Run folder to create; an existing one is never overwritten."),
    run_date: str | None = typer.Option(
        None, "--run-date", help="YYYY-MM-DD the contact dates count from (default: the features' as-of date)."
    ),
    engine: str = typer.Option("local", "--engine", help="local, or spark: the trees and exact reasons on Spark's executors."),
    master: str | None = typer.Option(
        None, "--master", help="With --engine spark: a Spark master URL (default local[2], or spark-submit's session)."
    ),
    contributions: str = typer.Option(
        "treeshap", "--contributions",
        help="Exact TreeSHAP by the compiled path (treeshap) or by LightGBM's pred_contrib: the same numbers after rounding.",
    ),
) -> None:
    """Score the visit list: exclusions, the five standards, grades, limits, rates, assignment and reasons."""
    from whitelist.scoring.inputs import Prefetch

    prefetch = Prefetch(features, raw) if not out.exists() else None  # reads while the rest imports
    from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
    from whitelist.scoring.config import DEFAULT_POLICY, load_policy
    from whitelist.scoring.run import ScoreRequest, refuse_existing, run_scoring
    from whitelist.training.registry import resolve_model

    option_engine(engine, master, ("local", "spark"))
    day = option_date(run_date, "--run-date")
    method = option_method(contributions)
    from whitelist.features.build import validated_folder

    refuse_existing(out)
    model_dir = resolve_model(model)
    with progress_bars() as progress:
        folder = validated_folder(raw, out, progress)
    if folder != raw:
        console.print(f"{raw} was not validated: validated it into {folder} (quarantine and quality.json there).")
    request = ScoreRequest(
        model_dir=model_dir,
        model_ref=model,
        features=features,
        raw=folder,
        policy=load_policy(policy),
        policy_path=policy or DEFAULT_POLICY,
        reasons=load_reasons(reasons),
        reasons_path=reasons or DEFAULT_REASONS,
        out=out,
        run_date=day,
        contributions=method,
        prefetch=prefetch,
        engine=engine,
        master=master,
    )
    with progress_bars() as progress:
        result = run_scoring(request, progress)
    show_run(result)


def show_run(result: object) -> None:
    """The run's summary: decisions that reconcile, the whitelist's size and price, drift."""
    from whitelist.core.decisions import DECISIONS
    from whitelist.scoring.run import RunResult

    assert isinstance(result, RunResult)
    c = result.counts
    v = result.visits
    rows: list[tuple[object, ...]] = [
        ("visit-list rows read", f"{v.rows_read:,} = {v.scanned:,} scanned + {v.duplicates:,} duplicates "
         f"+ {v.invalid_codes:,} invalid codes"),
        ("scanned", c["scanned"]),
    ] + [(d, c[d]) for d in DECISIONS]
    rows += [
        ("whitelist total limit (CNY)", result.whitelist_limit),
        ("whitelist average rate", f"{result.average_rate:.2%}" if result.average_rate is not None else "-"),
        ("expected bad rate (mean PD)", f"{result.expected_bad_rate:.2%}" if result.expected_bad_rate is not None else "-"),
        ("reasons: exact TreeSHAP by", result.contributions.get("method", "-")),
    ]
    summary_table("Whitelist run", ["measure", "value"], rows)
    summary_table("Drift (PSI against training)", ["input", "PSI", "status"], [(d.name, d.psi, d.status) for d in result.drift])
    if result.contributions.get("fallback"):
        console.print(f"[bold yellow]contributions by pred_contrib:[/bold yellow] {result.contributions['fallback']}", highlight=False)
    warned = [d for d in result.drift if d.status != "ok"]
    for d in warned:
        console.print(f"[bold yellow]drift {d.status}:[/bold yellow] {d.name} PSI {d.psi:.3f}", highlight=False)
    written([result.folder, *result.files[:4], f"{result.folder / 'extracts'} ({sum(1 for f in result.files if 'extracts' in f.parts)} files)"])
