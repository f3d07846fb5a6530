"""Build a feature table: validated sources in, one row per enterprise and as-of date out.

The table is Parquet with ``<name>.manifest.json`` beside it: every feature's definition,
the source columns and lags it reads, the as-of dates, and the hashes of the input files,
so a model or a whitelist can say exactly which data it was built from.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from whitelist import __version__
from whitelist.core.errors import ConfigError, InputDataError
from whitelist.core.io import file_sha256, remove_dead_leftovers, write_json
from whitelist.core.progress import NullProgress, Progress
from whitelist.features.compile import LABEL, LABEL_HORIZON, bound, compile_plan, month_index
from whitelist.features.dialect import SPARK
from whitelist.features.engines import duckdb as duckdb_engine
from whitelist.features.spec import FeatureSet
from whitelist.sources.contract import CONTRACT
from whitelist.sources.validate import QUALITY_REPORT, check_validated, validate_folder

log = logging.getLogger(__name__)
ENGINES = ("duckdb", "spark")

@dataclass(frozen=True)
class FeatureTable:
    """What a build wrote."""

    path: Path
    manifest: Path
    rows: int
    features: int
    as_of: tuple[date, ...]
    labelled: int | None
    default_rate: float | None
    warnings: tuple[str, ...] = ()


def parse_as_of(text: str) -> tuple[date, ...]:
    """``2022-01-31``, ``2022-01-31,2022-02-28`` or a range of month ends ``2022-01-31..2023-06-30``."""
    out: list[date] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if ".." in part:
            first, last = (_date(x) for x in part.split("..", 1))
            if last < first:
                raise ConfigError(f"--as-of: range {part!r} ends before it starts")
            ends = _month_ends(first, last)
            if not ends:
                raise ConfigError(f"--as-of: range {part!r} holds no month end")
            out.extend(ends)
        else:
            out.append(_date(part))
    if not out:
        raise ConfigError("--as-of: expected a date as YYYY-MM-DD, a list, or a range FIRST..LAST")
    return tuple(sorted(set(out)))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--as-of: expected a date as YYYY-MM-DD, got {text.strip()!r}") from None


def _month_ends(first: date, last: date) -> list[date]:
    ends = []
    m = month_index(first)
    while True:
        y, mo = divmod(m + 1, 12)
        end = date(y, mo + 1, 1) - timedelta(days=1)
        if end > last:
            return ends
        if end >= first:
            ends.append(end)
        m += 1


def validated_folder(raw: Path, out: Path, progress: Progress | None = None) -> Path:
    """``raw`` itself when it was validated; otherwise validate it beside ``out`` first."""
    if (raw / QUALITY_REPORT).is_file():
        return raw
    target = out.with_name(out.stem + ".validated")
    log.info("%s is not validated: validating into %s", raw, target)
    validate_folder(raw, target, progress=progress or NullProgress())
    return target


def build_features(
    folder: Path,
    as_of: Sequence[date],
    out: Path,
    features: FeatureSet,
    *,
    labels: bool = False,
    memory_limit: str = "8GB",
    threads: int = 2,
    progress: Progress | None = None,
    engine: str = "duckdb",
    master: str | None = None,
) -> FeatureTable:
    """Compute ``features`` for the validated sources in ``folder`` and write ``out`` and its manifest.

    ``engine``: ``duckdb`` (this machine, out of core) or ``spark`` (``master``: a Spark master URL;
    default this machine's two cores, or the session ``spark-submit`` started). Both run the same
    compiled plan and write the same table.
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    progress = progress or NullProgress()
    check_validated(folder)  # no report, or files other than validation wrote: refused, naming them
    remove_dead_leftovers(out.parent)
    plan = compile_plan(features, as_of, labels=labels)
    for required in ("registry", "credit" if labels else "visit_list"):
        if not (folder / f"{required}.parquet").is_file():
            raise InputDataError(f"{folder}: {required}.parquet is missing; features need it")
    if labels:
        _check_label_horizon(folder, plan.as_of)
    task = progress.task(f"Features for {len(plan.as_of)} as-of date(s)", 1)
    if engine == "spark":
        from whitelist.features.engines import spark as spark_engine

        schema = duckdb_engine.schema(plan)  # the table DuckDB would write, which Spark's answer takes
        spark_plan = compile_plan(features, as_of, labels=labels, dialect=SPARK)
        rows = spark_engine.run(spark_plan, folder, out, schema, master=master)
    else:
        rows = duckdb_engine.run(plan, folder, out, memory_limit=memory_limit, threads=threads)
    progress.advance(task)
    labelled, rate = _label_stats(out) if labels else (None, None)
    warnings = _late_dates(folder, plan.as_of)
    for w in warnings:
        log.warning(w)
    manifest = _write_manifest(out, folder, plan.sources, features, plan.as_of, labels, rows, labelled, rate, engine)
    return FeatureTable(
        path=out,
        manifest=manifest,
        rows=rows,
        features=len(features.names),
        as_of=plan.as_of,
        labelled=labelled,
        default_rate=rate,
        warnings=warnings,
    )


STALE_DAYS = 62
"""An as-of date this long after the data's window end sees windows emptying: say so."""


def _late_dates(folder: Path, as_of: tuple[date, ...]) -> tuple[str, ...]:
    window = json.loads((folder / QUALITY_REPORT).read_text(encoding="utf-8")).get("window") or {}
    end = window.get("end")
    if not end:
        return ()
    data_end = date.fromisoformat(end)
    late = [a for a in as_of if (a - data_end).days > STALE_DAYS]
    if not late:
        return ()
    return (
        f"as-of {late[0]} is {(late[0] - data_end).days} days after the data ends ({data_end}): recent "
        "windows will be empty and features will read as a business that stopped; validate a newer export",
    )


def _check_label_horizon(folder: Path, as_of: tuple[date, ...]) -> None:
    import duckdb

    con = duckdb.connect()
    latest = con.execute(f"SELECT MAX(period) FROM read_parquet('{folder / 'credit.parquet'}')").fetchone()[0]
    if latest is None:
        raise InputDataError(f"{folder}: credit.parquet has no rows, so there is no label to build")
    needed = [a for a in as_of if month_index(a) + LABEL_HORIZON > month_index(latest)]
    if needed:
        raise ConfigError(
            f"--labels: {LABEL} needs {LABEL_HORIZON} months of credit data after each as-of date, and the "
            f"data ends at {latest}; as-of dates too late: {', '.join(a.isoformat() for a in needed[:5])}"
        )


def _label_stats(out: Path) -> tuple[int, float | None]:
    import duckdb

    con = duckdb.connect()
    n, rate = con.execute(f"SELECT COUNT({LABEL}), AVG({LABEL}) FROM read_parquet('{out}')").fetchone()
    return int(n), (round(float(rate), 6) if rate is not None else None)


def manifest_path(out: Path) -> Path:
    return out.with_name(out.stem + ".manifest.json")


def _write_manifest(
    out: Path,
    folder: Path,
    sources: tuple[str, ...],
    features: FeatureSet,
    as_of: tuple[date, ...],
    labels: bool,
    rows: int,
    labelled: int | None,
    rate: float | None,
    engine: str = "duckdb",
) -> Path:
    inputs = {}
    for name in sources:
        path = folder / f"{name}.parquet"
        if path.is_file():
            inputs[name] = {"file": path.name, "sha256": file_sha256(path)}
        else:
            inputs[name] = {"file": None, "sha256": None}
    quality = json.loads((folder / QUALITY_REPORT).read_text(encoding="utf-8"))
    payload = {
        "engine_version": __version__,
        "engine": engine,
        "table": out.name,
        "sha256": file_sha256(out),
        "rows": rows,
        "as_of": [a.isoformat() for a in as_of],
        "population": "registry entities active at the as-of date, not already 90+ days past due"
        if labels
        else "the visit list",
        "label": {"name": LABEL, "horizon_months": LABEL_HORIZON, "labelled": labelled, "default_rate": rate}
        if labels
        else None,
        "window": quality.get("window"),
        "inputs": inputs,
        "sources": {
            name: {
                "lag_days": CONTRACT[name].lag_days,
                "date_column": CONTRACT[name].date_column,
                "received_column": CONTRACT[name].received_column,
                "cutoff_by_as_of": {a.isoformat(): bound(CONTRACT[name], a).cutoff.isoformat() for a in as_of},
            }
            for name in sources
        },
        "features": [
            {**asdict(f), "filter": {k: list(v) for k, v in f.filter}, "missing": f.aggregation.missing}
            for f in features.features
        ],
        "derived": [asdict(d) for d in features.derived],
        "peers": [asdict(p) for p in features.peers],
    }
    return write_json(manifest_path(out), payload)
