"""Train from a table file, or from the training config's panel, and write a complete model folder.

A model folder holds the LightGBM text model and ``artefact.json`` (what scoring needs),
``evaluation.json`` (every figure), ``training_run.json`` (who, where, when) and
``model_card.html`` (what a reviewer reads).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from whitelist.core.errors import ConfigError, InputDataError
from whitelist.core.artefact_file import write_artefact
from whitelist.core.io import write_json
from whitelist.core.progress import NullProgress, Progress
from whitelist.models.artefact import EVALUATION_FILE, RUN_FILE
from whitelist.models.card import write_model_card
from whitelist.models.meta import Trace
from whitelist.training import trace
from whitelist.training.config import FitConfig, TrainConfig
from whitelist.training.fit import ModelKind, TrainResult, train_table

PANEL_FILE = "training_panel.parquet"
"""Where ``train --config`` keeps a panel it built, beside the model it trained, for audit."""


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet or CSV (UTF-8 or GB18030) table, or an error naming the file."""
    if not path.is_file():
        raise InputDataError(f"{path}: no such table file")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        for encoding in ("utf-8", "gb18030"):
            try:
                return pd.read_csv(path, encoding=encoding)
            except UnicodeDecodeError:
                continue
        raise InputDataError(f"{path}: not readable as UTF-8 or GB18030 CSV")
    raise InputDataError(f"{path}: expected a .parquet or .csv table, got {path.suffix!r}")


TIME_BUDGET = 180.0
"""Seconds ``train --table`` takes at most by default, for a table of up to ``BUDGET_ROWS`` rows on 2 cores."""
BUDGET_ROWS = 100_000


def default_time_budget(rows: int) -> float:
    """Three minutes up to 100,000 rows, then in proportion to the rows (a trial's cost grows with them)."""
    return TIME_BUDGET * max(1.0, rows / BUDGET_ROWS)


SAMPLE_BUCKETS = 1_000_000


def in_sample(codes: pd.Series, share: float) -> np.ndarray:
    """Whether each code is among the ``share`` of enterprises kept: a stable hash, the same on every run and machine."""
    buckets = pd.util.hash_array(codes.astype(str).to_numpy(dtype=object)) % SAMPLE_BUCKETS
    return buckets < round(share * SAMPLE_BUCKETS)


def read_enterprise_sample(path: Path, id_col: str, share: float) -> pd.DataFrame:
    """The rows of ``share`` of the enterprises of a table, every as-of date of each kept enterprise.

    A Parquet panel is filtered as it is read, so a province's panel never has to fit in memory whole.
    """
    if path.suffix.lower() != ".parquet" or not path.is_file():
        table = read_table(path)
        if id_col not in table.columns:
            raise InputDataError(f"{path}: no id column {id_col!r} to sample enterprises by")
        return table.loc[in_sample(table[id_col], share)].reset_index(drop=True)
    if id_col not in pq.read_schema(path).names:
        raise InputDataError(f"{path}: no id column {id_col!r} to sample enterprises by")
    codes = pq.read_table(path, columns=[id_col]).column(id_col).unique().to_pandas()
    kept = codes[in_sample(codes, share)].tolist()
    # The scan keeps only the sampled codes' rows, so only they are ever in memory.
    return pd.read_parquet(path, filters=[(id_col, "in", kept)]).reset_index(drop=True)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _save(result: TrainResult, out: Path, table: Path, rows: int, started: str, config: TrainConfig | None) -> TrainResult:
    recorded: dict[str, object] = {
        "training_data": trace.training_data(table, rows),
        "trace": Trace(code=trace.code_version(), environment=trace.environment()),
    }
    if config is not None:
        recorded["config"] = config.model_dump(mode="json")
    artefact = replace(result.artefact, meta=result.artefact.about.model_copy(update=recorded))
    result = replace(result, artefact=artefact)
    artefact.save(out)
    write_json(out / EVALUATION_FILE, result.evaluation)
    write_artefact(out / RUN_FILE, trace.run_context(started, _now()))
    write_model_card(out)
    return result


def train_from_file(
    table: Path,
    out: Path,
    *,
    target: str,
    id_col: str | None,
    time_col: str | None,
    seed: int = 0,
    trials: int | None = None,
    time_budget: float | None = None,
    model_kind: ModelKind = "auto",
    refit_all: bool = False,
    study_storage: Path | None = None,
    started: float | None = None,
) -> TrainResult:
    """``train --table``: any tabular file with a binary target, the sized search space and default gates.

    With neither ``trials`` nor ``time_budget``, the command runs within ``default_time_budget`` of the table,
    counted from ``started`` (a ``time.monotonic`` reading taken as the command began; default: now).
    """
    started = time.monotonic() if started is None else started
    began = _now()
    frame = read_table(table)
    if trials is None and time_budget is None:
        time_budget = default_time_budget(len(frame))
    settings = FitConfig(target=target, id_col=id_col, time_col=time_col, seed=seed, trials=trials,
                         time_budget=time_budget, model_kind=model_kind, refit_all=refit_all)
    result = train_table(frame, settings, source=str(table), started=started, study_storage=study_storage,
                         study_name=f"whitelist-{out.name}-seed{seed}")
    return _save(result, out, table, len(frame), began, None)


def train_from_config(
    config: TrainConfig,
    out: Path,
    *,
    features: Path | None = None,
    study_storage: Path | None = None,
    started: float | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """``train --config``: the government-data panel with the config's constraints, space, scorecard and gates.

    A ``time_budget`` in the config counts from ``started`` (default: now), so it covers building the panel too.
    """
    started = time.monotonic() if started is None else started
    began = _now()
    table = features or config.data.features
    if table is None:
        table = _build_panel(config, out, progress or NullProgress())
    if config.enterprise_sample is not None and config.enterprise_sample < 1.0:
        if not config.id_col:
            raise ConfigError(f"enterprise_sample: needs id_col, the enterprise's code, to sample by; {table} has none set")
        frame = read_enterprise_sample(table, config.id_col, config.enterprise_sample)
    else:
        frame = read_table(table)
    result = train_table(frame, config.fit(), source=str(table), started=started, study_storage=study_storage,
                         study_name=f"whitelist-{out.name}-seed{config.seed}")
    return _save(result, out, table, len(frame), began, config)


def _build_panel(config: TrainConfig, out: Path, progress: Progress) -> Path:
    from whitelist.features.build import build_features, parse_as_of
    from whitelist.features.spec import load_features

    assert config.data.validated is not None and config.data.as_of is not None  # the config validator ensures it
    built = build_features(
        config.data.validated,
        parse_as_of(config.data.as_of),
        out / PANEL_FILE,
        load_features(),
        labels=True,
        progress=progress,
    )
    return built.path
