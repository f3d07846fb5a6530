"""Generate a synthetic province: draw it chunk by chunk and stream every source to disk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from whitelist.core.io import ParquetSink, write_json
from whitelist.core.progress import NullProgress, Progress
from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic import defects, records
from whitelist.sources.synthetic.calendar import Calendar
from whitelist.sources.synthetic.config import SyntheticConfig
from whitelist.sources.synthetic.lifecycle import decide_fate
from whitelist.sources.synthetic.processes import NEVER, calibrate_intercept, draw_shocks, observable_pd, simulate
from whitelist.sources.synthetic.province import TYPES, draw_entities
from whitelist.sources.synthetic.records import CONTRACT_SCHEMAS, Chunk
from whitelist.sources.synthetic.write import Sink, open_sink

log = logging.getLogger(__name__)

_PILOT = 20_000
_SOURCE_ORDER = tuple(CONTRACT)

TRUTH_SCHEMA = pa.schema(
    [
        ("uscc", pa.dictionary(pa.int32(), pa.string())),
        ("entity_type", pa.string()),
        ("borrower", pa.bool_()),
        ("zombie", pa.bool_()),
        ("shell", pa.bool_()),
        ("pd_12m", pa.float64()),
        ("default_date", pa.date32()),
        ("exit_date", pa.date32()),
    ]
)
PANEL_SCHEMA = pa.schema(
    [
        ("uscc", pa.dictionary(pa.int32(), pa.string())),
        ("as_of", pa.date32()),
        ("pd_12m", pa.float32()),
        ("pd_12m_observable", pa.float32()),
        ("default_12m", pa.bool_()),
        ("borrower", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class GenerateResult:
    """What was written: rows per file, and the truth's headline numbers."""

    out: Path
    rows: dict[Path, int]
    truth_summary: dict[str, float | int | str] = field(default_factory=dict)


def _source_builders(cfg: SyntheticConfig) -> dict[str, Callable[[Chunk], pa.Table]]:
    missing = cfg.defects.missing_months
    return {
        "registry": records.registry,
        "abnormal": records.abnormal,
        "tax": lambda c: records.tax(c, missing),
        "social_insurance": lambda c: records.social_insurance(c, missing),
        "provident_fund": lambda c: records.provident_fund(c, missing),
        "utilities": lambda c: records.utilities(c, missing),
        "customs": lambda c: records.customs(c, missing),
        "judicial": records.judicial,
        "penalties": records.penalties,
        "honors": records.honors,
        "credit": lambda c: records.credit(c, missing),
        "financials": records.financials,
        "visit_list": records.visit_list,
    }


def generate_province(cfg: SyntheticConfig, out: Path | str, progress: Progress | None = None) -> GenerateResult:
    """Write every source of the contract, the visit list and the hidden truth into ``out``."""
    progress = progress or NullProgress()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cal = Calendar.ending(cfg.end, cfg.months)
    root = np.random.SeedSequence(cfg.seed)
    shock_seq, pilot_seq, chunk_seq = root.spawn(3)
    shocks = draw_shocks(cal, np.random.default_rng(shock_seq))
    intercept = _intercept(cfg, cal, shocks, np.random.default_rng(pilot_seq))
    log.info("intercept of the default process: %.4f", intercept)

    builders = _source_builders(cfg)
    write_rng = np.random.default_rng(root.spawn(4)[3])
    sinks: dict[str, Sink] = {
        name: open_sink(
            out, name, CONTRACT_SCHEMAS[name], "parquet" if name == "visit_list" else cfg.format,
            cfg.encoding, cfg.defects.mixed_date_formats, write_rng,
        )
        for name in _SOURCE_ORDER
    }
    truth = ParquetSink(out / "truth.parquet", TRUTH_SCHEMA)
    panel = ParquetSink(out / "truth_panel.parquet", PANEL_SCHEMA)
    stats = _TruthStats()
    n_chunks = -(-cfg.enterprises // cfg.chunk_size)
    task = progress.task(f"Generating {cfg.enterprises:,} entities", cfg.enterprises)
    try:
        for k, seq in enumerate(chunk_seq.spawn(n_chunks)):
            start = k * cfg.chunk_size
            size = min(cfg.chunk_size, cfg.enterprises - start)
            chunk = _draw_chunk(cfg, cal, shocks, intercept, start, size, np.random.default_rng(seq))
            defect_rng = np.random.default_rng(seq.spawn(1)[0])
            for name in _SOURCE_ORDER:
                table = builders[name](chunk)
                sinks[name].write(defects.inject(table, name, cfg.defects, defect_rng))
            truth.write(_truth(chunk))
            panel_table = _panel(chunk)
            panel.write(panel_table)
            stats.add(chunk, panel_table)
            progress.advance(task, size)
        rows = {sink.close(): sink.rows for sink in sinks.values()}
        rows[truth.close()] = truth.rows
        rows[panel.close()] = panel.rows
    except BaseException:
        for sink in (*sinks.values(), truth, panel):
            sink.abort()
        raise
    summary = stats.summary(intercept)
    rows[write_json(out / "generation.json", {"config": cfg.model_dump(mode="json"), "truth": summary})] = 1
    return GenerateResult(out=out, rows=rows, truth_summary=summary)


def _draw_chunk(
    cfg: SyntheticConfig, cal: Calendar, shocks: object, intercept: float, start: int, size: int,
    rng: np.random.Generator,
) -> Chunk:
    e = draw_entities(cfg, cal, start, size, rng)
    latent = simulate(e, cal, shocks, cfg.process, rng)  # type: ignore[arg-type]
    fate = decide_fate(e, latent, intercept, rng)
    return Chunk(e=e, latent=latent, fate=fate, cal=cal, params=cfg.process, rng=rng)


def _intercept(cfg: SyntheticConfig, cal: Calendar, shocks: object, rng: np.random.Generator) -> float:
    """Calibrate the default process once, on a pilot population of fixed size."""
    e = draw_entities(cfg, cal, 0, _PILOT, rng)
    latent = simulate(e, cal, shocks, cfg.process, rng)  # type: ignore[arg-type]
    return calibrate_intercept(e, latent, cfg.process.pilot_mean_pd, cal.observed)


def _truth(c: Chunk) -> pa.Table:
    e, fate, cal = c.e, c.fate, c.cal
    last = cal.observed - 1
    defaulted = fate.default_t < NEVER
    exited = fate.exit_t < cal.total
    in_business = fate.alive[:, last] & (fate.default_t > last) & ~(e.zombie | e.shell)
    ends = cal.month_ends
    return pa.table(
        {
            "uscc": c.uscc(np.arange(len(e))),
            "entity_type": np.array(TYPES)[e.kind],
            "borrower": e.borrower,
            "zombie": e.zombie,
            "shell": e.shell,
            "pd_12m": pa.array(np.round(fate.pd[:, last], 9), mask=~in_business),
            "default_date": pa.array(ends[np.minimum(fate.default_t, cal.total - 1)], type=pa.date32(), mask=~defaulted),
            "exit_date": pa.array(ends[np.minimum(fate.exit_t, cal.total - 1)], type=pa.date32(), mask=~exited),
        },
        schema=TRUTH_SCHEMA,
    )


def _panel(c: Chunk) -> pa.Table:
    """True PD and outcome at every observed month-end where the entity is in business and not yet in default.

    Beside the true PD, the best PD the sources allow (``observable_pd``): the ceiling a model can reach.
    """
    e, fate, cal = c.e, c.fate, c.cal
    t = np.arange(cal.observed)[None, :]
    eligible = fate.alive[:, : cal.observed] & (t < fate.default_t[:, None]) & ~(e.zombie | e.shell)[:, None]
    i, m = np.nonzero(eligible)
    outcome = (fate.default_t[i] > m) & (fate.default_t[i] <= m + 12)
    return pa.table(
        {
            "uscc": c.uscc(i),
            "as_of": pa.array(cal.month_ends[m], type=pa.date32()),
            "pd_12m": fate.pd[i, m].astype(np.float32),
            "pd_12m_observable": observable_pd(fate.pd[i, m], e.idiosyncratic[i], c.params.idiosyncratic_sd).astype(
                np.float32
            ),
            "default_12m": outcome,
            "borrower": e.borrower[i],
        },
        schema=PANEL_SCHEMA,
    )


class _TruthStats:
    """Headline numbers of the truth, so a generated province can be judged at a glance."""

    def __init__(self) -> None:
        self.pd: list[np.ndarray] = []
        self.y: list[np.ndarray] = []
        self.entities = 0
        self.active_end = 0

    def add(self, c: Chunk, panel: pa.Table) -> None:
        borrower = np.flatnonzero(panel.column("borrower").to_numpy())
        keep = borrower[:: max(1, borrower.size // 200_000)]  # enough for the AUC's third decimal
        self.pd.append(panel.column("pd_12m").to_numpy()[keep])
        self.y.append(panel.column("default_12m").to_numpy()[keep])
        self.entities += len(c.e)
        self.active_end += int(c.fate.alive[:, c.cal.observed - 1].sum())

    def summary(self, intercept: float) -> dict[str, float | int | str]:
        pd = np.concatenate(self.pd) if self.pd else np.empty(0)
        y = np.concatenate(self.y) if self.y else np.empty(0, dtype=bool)
        return {
            "entities": self.entities,
            "active_at_end": self.active_end,
            "borrower_months": int(y.size),
            "default_rate_12m_borrowers": round(float(y.mean()), 4) if y.size else float("nan"),
            "mean_true_pd_borrowers": round(float(pd.mean()), 4) if pd.size else float("nan"),
            "auc_true_pd": round(_auc(pd, y), 4),
            "intercept": round(intercept, 4),
        }


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    pos = int(y.sum())
    neg = y.size - pos
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size)
    ranks[order] = np.arange(1, score.size + 1)
    _, inv, counts = np.unique(score, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / counts)[inv]
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))
