"""The scanned population: the feature table, the visit list and the registry, lined up by code.

Every enterprise on the visit list or in the feature table is scanned and appears in every
output exactly once. What cannot be decided (a code failing its check, a duplicated row, a
visit-list row validation rejected, no registry or feature row) gets an ``invalid`` decision
with the check's id, never a silent drop. A visit-list row rejected in validation for anything
but its code still names an enterprise the bank was asked to visit: it is read back from the
quarantine and scanned as invalid, and ``VisitAccount`` reconciles every raw visit-list row.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from whitelist.core.errors import InputDataError, preview
from whitelist.core.uscc import valid_mask
from whitelist.scoring.policy.checks import INPUT_CHECKS
from whitelist.sources.contract import CONTRACT
from whitelist.sources.quality import REJECT_ROW
from whitelist.sources.validate import QUALITY_REPORT, QUARANTINE_DIR
from whitelist.sources.status import in_business

REGISTRY_COLUMNS = (
    "uscc", "name", "entity_type", "industry", "region", "status", "status_date", "legal_rep_id", "legal_rep_name", "phone",
)
VISIT_COLUMNS = ("uscc", "region", "bank_id", "branch_id")
REGISTRY_ATTRIBUTES = ("name", "entity_type", "industry", "region", "legal_rep_id", "legal_rep_name", "phone")
"""Registry columns joined onto the scanned population (with ``reg_status_active``)."""


@dataclass(frozen=True, kw_only=True)
class VisitAccount:
    """Where every raw visit-list row went: rows read = scanned + duplicates + invalid codes."""

    rows_read: int
    """Data rows of the visit-list file, as ``quality.json`` counted them."""
    scanned: int
    """Distinct codes passing the USCC check, each scanned once (kept rows and rejected ones)."""
    rejected_scanned: int
    """Of ``scanned``, codes whose only rows validation rejected: decided ``invalid`` (IN05)."""
    duplicates: int
    """Rows naming a code another row already accounts for (duplicate rows and keys, repeated rejects)."""
    invalid_codes: int
    """Rows whose code fails the USCC check, is empty, or could not be read (malformed lines)."""

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.scanned + self.duplicates + self.invalid_codes


@dataclass(frozen=True)
class Population:
    frame: pd.DataFrame
    """One row per scanned enterprise, sorted by code: features, registry attributes, visit list."""
    invalid: np.ndarray
    as_of: date
    files: dict[str, Path]
    visits: VisitAccount


class Prefetch:
    """The feature table, registry and visit list read by a background thread, started before the
    command's heavy imports: Parquet decoding releases the GIL, so reading overlaps importing
    LightGBM and scikit-learn (about half a second at 200,000 enterprises). Only a head start:
    a file the thread could not read is read again by the loader, with its checks and errors.
    """

    def __init__(self, features: Path, folder: Path) -> None:
        files = [features, folder / "registry.parquet", folder / "visit_list.parquet"]
        pool = ThreadPoolExecutor(1, thread_name_prefix="prefetch")
        self._jobs: dict[Path, Future[pd.DataFrame]] = {p: pool.submit(pd.read_parquet, p) for p in files if p.is_file()}
        pool.shutdown(wait=False)  # the reads go on; the thread ends after the last

    def take(self, path: Path) -> pd.DataFrame | None:
        job = self._jobs.pop(path, None)
        if job is None:
            return None
        try:
            return job.result()
        except Exception:  # noqa: BLE001 - the loader reads it again and reports what is wrong
            return None


def _read(path: Path, columns: tuple[str, ...], what: str, prefetch: Prefetch | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise InputDataError(f"{path}: no {what} here; give --raw the validated folder the features were built from")
    have = set(pq.read_schema(path).names)
    missing = [c for c in columns if c not in have]
    if missing:
        raise InputDataError(f"{path}: {what} lacks column(s) {preview(missing)}; validate the sources with `whitelist validate`")
    read = prefetch.take(path) if prefetch else None
    return read[list(columns)] if read is not None else pd.read_parquet(path, columns=list(columns))


def read_features(path: Path, prefetch: Prefetch | None = None) -> tuple[pd.DataFrame, date]:
    """The scoring set: one as-of date; codes as text."""
    if not path.is_file():
        raise InputDataError(f"{path}: no such feature table; build one with `whitelist features --raw DIR --as-of D --out FILE`")
    read = prefetch.take(path) if prefetch else None
    try:
        table = read if read is not None else pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # Arrow's errors for a file that is not Parquet derive from these
        raise InputDataError(f"{path}: not a readable Parquet feature table ({exc}); build it with `whitelist features`") from None
    for col in ("uscc", "as_of"):
        if col not in table.columns:
            raise InputDataError(f"{path}: no {col!r} column; build the scoring set with `whitelist features`")
    dates = sorted(pd.to_datetime(table["as_of"]).dt.date.unique())
    if len(dates) != 1:
        raise InputDataError(
            f"{path}: a scoring set has one as-of date, this one has {len(dates)} ({preview(dates)}); "
            "build it with a single --as-of date"
        )
    table["uscc"] = table["uscc"].astype("string")
    return table, dates[0]


def load_population(features: Path, folder: Path, prefetch: Prefetch | None = None) -> Population:
    """Line up features, registry and visit list; mark each enterprise that cannot be decided."""
    table, as_of = read_features(features, prefetch)
    registry_path, visit_path = folder / "registry.parquet", folder / "visit_list.parquet"
    registry = _read(registry_path, REGISTRY_COLUMNS, "registry", prefetch)
    visit = _read(visit_path, VISIT_COLUMNS, "visit list", prefetch).rename(columns={"region": "visit_region"})
    registry["uscc"] = registry["uscc"].astype("string")
    visit["uscc"] = visit["uscc"].astype("string")
    registry = registry.drop_duplicates("uscc", keep="first")
    visit = visit.drop_duplicates("uscc", keep="first")
    rejected, visits = _rejected_visits(folder, visit)
    visit = pd.concat([visit, rejected], ignore_index=True)

    duplicated = table["uscc"].duplicated(keep="first")
    dup_codes = set(table.loc[duplicated, "uscc"])
    table = table.loc[~duplicated]
    codes = pd.Index(table["uscc"]).union(pd.Index(visit["uscc"])).dropna().sort_values()
    frame = pd.DataFrame({"uscc": codes.astype("string")})
    frame["_in_features"] = _member(frame["uscc"], table["uscc"])
    frame = frame.merge(table.drop(columns=["as_of"]), on="uscc", how="left")
    frame = frame.merge(visit, on="uscc", how="left")
    lag = timedelta(days=CONTRACT["registry"].lag_days)
    reg = registry.assign(reg_status_active=_active_at(registry, as_of - lag))
    frame = frame.merge(reg.drop(columns=["status", "status_date"]), on="uscc", how="left", indicator="_reg")

    uscc = frame["uscc"].to_numpy(dtype=object)
    fails = {
        "IN01": ~valid_mask(uscc),
        "IN02": _member(frame["uscc"], pd.Series(sorted(dup_codes), dtype="string")),
        "IN05": _member(frame["uscc"], rejected["uscc"]),
        "IN03": (frame["_reg"] == "left_only").to_numpy(),
        "IN04": ~frame["_in_features"].to_numpy(),
    }
    if set(fails) != {c.id for c in INPUT_CHECKS}:  # pragma: no cover - a check declared without its test
        raise RuntimeError("every input check needs its test here, and every test its declared check")
    invalid = np.full(len(frame), "", dtype=object)
    for check in reversed(INPUT_CHECKS):  # the first declared that fails is the reason
        invalid[fails[check.id]] = check.id
    frame = frame.drop(columns=["_in_features", "_reg"])
    on_list = int(_member(frame["uscc"], visit["uscc"]).sum())
    if on_list != visits.scanned or not visits.reconciles:
        raise RuntimeError(
            f"visit list: {visits.rows_read} rows read but {visits.scanned} codes scanned ({on_list} found), "
            f"{visits.duplicates} duplicates and {visits.invalid_codes} invalid codes; a row was lost, which is a bug"
        )
    return Population(
        frame=frame, invalid=invalid, as_of=as_of,
        files={"features": features, "registry": registry_path, "visit_list": visit_path,
               "visit_list_quarantine": visit_quarantine(folder)},
        visits=visits,
    )


def visit_quarantine(folder: Path) -> Path:
    return folder / QUARANTINE_DIR / "visit_list.parquet"


def _rejected_visits(folder: Path, kept: pd.DataFrame) -> tuple[pd.DataFrame, VisitAccount]:
    """The visit-list rows validation rejected whose code is valid and has no kept row, one per code,
    with the visit columns their text supplies (not the column that failed); and the account of every row.
    """
    path = visit_quarantine(folder)
    columns = ["_row", "_action", "_reason", "_column", "uscc", "region", "bank_id", "branch_id"]
    if not path.is_file():
        raise InputDataError(f"{path}: missing; give --raw the folder `whitelist validate` wrote, whole")
    have = set(pq.read_schema(path).names)
    if not set(columns) <= have:
        raise InputDataError(
            f"{path}: lacks {preview(sorted(set(columns) - have))} (written by an earlier whitelist); "
            "validate the raw folder again into a new --out"
        )
    q = pd.read_parquet(path, columns=columns)
    q = q[q["_action"] == REJECT_ROW].sort_values("_row", kind="stable")
    code = q["uscc"].astype("string").str.strip()
    valid = valid_mask(code.fillna("").to_numpy(dtype=object))
    named = q.assign(uscc=code)[valid]
    fresh = named[~_member(named["uscc"], kept["uscc"])]
    first = fresh.drop_duplicates("uscc", keep="first")
    rows = pd.DataFrame({"uscc": first["uscc"].astype("string")})
    for col, target in (("region", "visit_region"), ("bank_id", "bank_id"), ("branch_id", "branch_id")):
        text = first[col].astype("string").str.strip().replace("", pd.NA)
        rows[target] = text.mask(first["_column"] == col).to_numpy()
    report = json.loads((folder / QUALITY_REPORT).read_text(encoding="utf-8"))
    account = VisitAccount(
        rows_read=int(report["sources"]["visit_list"]["rows_read"]),
        scanned=len(kept) + len(rows),
        rejected_scanned=len(rows),
        duplicates=int(valid.sum()) - len(rows),
        invalid_codes=int((~valid).sum()),
    )
    return rows[["uscc", "visit_region", "bank_id", "branch_id"]], account


def _member(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """``values.isin(pool)`` by a hashed index: pandas' isin on Arrow-backed text is a Python loop."""
    return pd.Index(pool.dropna().unique()).get_indexer(values) >= 0


def _active_at(registry: pd.DataFrame, cutoff: date) -> np.ndarray:
    """1 when the entity was in business at ``cutoff`` (``sources.status``: the rule the features use too)."""
    return in_business(registry["status"], registry["status_date"], cutoff).astype(np.int64)
