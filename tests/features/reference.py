"""A small, slow reference for every feature, written from the documented meaning, not the SQL.

``whitelist.features.compile`` turns the declarations into one SQL plan; this module computes
the same table a second way, with pandas for reading and plain Python for every
aggregation, one enterprise at a time, so a test can compare the two value by value. It
shares only the declarations with the package (the contract's lags and columns, and the
feature list of ``features.yaml``); the point-in-time rule, the windows, every aggregation,
the missing values, the population and the label are written here again from
``docs/features.md``.

Numbers are read as the decimals they were written as (``Decimal(repr(x))``) and added in
60-digit decimal arithmetic, so the reference itself adds no rounding that could hide a
disagreement or fake one; values become floats only at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

import pandas as pd

from whitelist.features.spec import Feature, FeatureSet
from whitelist.sources.contract import CONTRACT, Source

LABEL = "default_12m"
DPD_DEFAULT = 90
"""Days past due from which a loan is in default."""
LABEL_MONTHS = 12
"""The label looks this many months after the as-of date; credit this many months before labels it."""
ALREADY_MONTHS = 12
"""Entities 90+ days past due in this many months up to the as-of date are left out."""

Value = Decimal | int | str | None
"""One exact cell: a number as written, a count, a text, or empty."""

INTEGER_AGGS = frozenset(
    {
        "count",
        "distinct_count",
        "months_active",
        "missing_months",
        "open_count",
        "ever_count",
        "days_since_last",
        "months_since_first",
        "months_since_positive",
        "age_months",
        "shared_count",
    }
)
"""Aggregations whose values are whole numbers, compared exactly."""

TEXT_AGGS = frozenset({"category"})
"""Aggregations whose values are text whatever the column (``last`` follows its column)."""

ZERO_WHEN_MISSING = frozenset({"sum", "count", "distinct_count", "months_active", "open_count", "ever_count"})
"""Aggregations that are 0, not empty, for an enterprise with no known record."""


# ------------------------------------------------------------------------------ calendar


def month_index(d: date) -> int:
    """Months since year 0: consecutive months differ by one across year ends."""
    return d.year * 12 + d.month - 1


def is_month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


@dataclass(frozen=True, kw_only=True)
class Point:
    """Where one source stands at one as-of date."""

    as_of: date
    cutoff: date
    """The latest record date known at ``as_of``: ``as_of`` minus the source's lag."""
    anchor: int
    """Month index the windows end at."""

    @property
    def as_of_month(self) -> int:
        return month_index(self.as_of)


def point(src: Source, as_of: date) -> Point:
    """The cutoff and anchor of ``src`` at ``as_of``.

    Periodic sources anchor at the last month that has ended by the cutoff (their dates are
    period ends); events anchor at the month of the cutoff itself.
    """
    cutoff = as_of - timedelta(days=src.lag_days)
    if src.grain == "event":
        anchor = month_index(cutoff)
    else:
        anchor = month_index(cutoff) if is_month_end(cutoff) else month_index(cutoff) - 1
    return Point(as_of=as_of, cutoff=cutoff, anchor=anchor)


# ------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Records:
    """One enterprise's known records of one source that pass a feature's filter.

    Parallel tuples, one entry per record, in no particular order.
    """

    months: tuple[int, ...]
    dates: tuple[date, ...]
    ends: tuple[date | None, ...]
    values: tuple[Value, ...]

    def window(self, at: Point, months: int, back: int = 0) -> list[tuple[int, Value]]:
        """(month, value) of the records in the ``months`` months ending ``back`` months before the anchor."""
        last = at.anchor - back
        return [(m, v) for m, v in zip(self.months, self.values) if last - months < m <= last]


def _present(pairs: Iterable[tuple[int, Value]]) -> list[tuple[int, Value]]:
    """The pairs whose value is not empty."""
    return [(m, v) for m, v in pairs if v is not None]


def _numbers(pairs: Iterable[tuple[int, Value]]) -> list[tuple[int, Decimal]]:
    """The non-empty values as exact decimals (counts and amounts alike)."""
    out = []
    for m, v in pairs:
        if isinstance(v, str):
            raise TypeError(f"expected a number, got the text {v!r}")
        if v is not None:
            out.append((m, Decimal(v)))
    return out


def _total(pairs: Iterable[tuple[int, Value]]) -> Decimal:
    return sum((v for _, v in _numbers(pairs)), Decimal(0))


# ------------------------------------------------------------------------------ aggregations
# One function per aggregation: (records, feature, point) -> exact value. Each also gives the
# documented missing value when handed no record at all; a test checks that it does.


def agg_sum(r: Records, f: Feature, at: Point) -> Value:
    """Sum of the non-empty values in the window (0 for none)."""
    return _total(r.window(at, _w(f)))


def agg_count(r: Records, f: Feature, at: Point) -> Value:
    """Records in the window, whatever their values."""
    return len(r.window(at, _w(f)))


def agg_mean(r: Records, f: Feature, at: Point) -> Value:
    """Sum over the number of non-empty values in the window."""
    values = [v for _, v in _numbers(r.window(at, _w(f)))]
    return sum(values, Decimal(0)) / len(values) if values else None


def agg_max(r: Records, f: Feature, at: Point) -> Value:
    values = [v for _, v in _numbers(r.window(at, _w(f)))]
    return max(values) if values else None


def agg_min(r: Records, f: Feature, at: Point) -> Value:
    values = [v for _, v in _numbers(r.window(at, _w(f)))]
    return min(values) if values else None


def agg_last(r: Records, f: Feature, at: Point) -> Value:
    """The value of the latest month in the window that has one (a number or a text)."""
    pairs = _present(r.window(at, _w(f)))
    if not pairs:
        return None
    latest = max(m for m, _ in pairs)
    values = {v for m, v in pairs if m == latest}
    if len(values) > 1:
        raise ValueError(f"{f.name}: several values at the latest month {latest}: {sorted(map(str, values))}")
    return values.pop()


def agg_distinct_count(r: Records, f: Feature, at: Point) -> Value:
    """Distinct non-empty values (banks, loans) in the window."""
    return len({v for _, v in _present(r.window(at, _w(f)))})


def agg_months_active(r: Records, f: Feature, at: Point) -> Value:
    """Distinct months of the window with a positive value."""
    return len({m for m, v in _numbers(r.window(at, _w(f))) if v > 0})


def agg_missing_months(r: Records, f: Feature, at: Point) -> Value:
    """Months of the window without any record."""
    return _w(f) - len({m for m, _ in r.window(at, _w(f))})


def agg_slope(r: Records, f: Feature, at: Point) -> Value:
    """Ordinary least-squares slope of value on month over the window's non-empty values.

    Written in centred form, sum((x - mean x)(y - mean y)) / sum((x - mean x)^2), with both
    sides scaled by n^2 (x and y centred on n times their means) so that everything up to
    the one division is exact; empty when fewer than two distinct months leave nothing to fit.
    """
    pairs = _numbers(r.window(at, _w(f)))
    if len({m for m, _ in pairs}) < 2:
        return None
    n = len(pairs)
    total_x = sum(m for m, _ in pairs)
    total_y = sum((y for _, y in pairs), Decimal(0))
    sxy = sum(((n * m - total_x) * (n * y - total_y) for m, y in pairs), Decimal(0))
    sxx = sum((n * m - total_x) ** 2 for m, _ in pairs)
    return sxy / sxx


def agg_growth_yoy(r: Records, f: Feature, at: Point) -> Value:
    """Window sum over the same window a year earlier, minus 1.

    Empty when the earlier window has no record or sums to 0; a current window without a
    record sums to 0 (as ``sum`` says), so growth is then -1.
    """
    earlier = r.window(at, _w(f), back=12)
    base = _total(earlier)
    if not earlier or base == 0:
        return None
    return _total(r.window(at, _w(f))) / base - 1


def agg_ratio_recent(r: Records, f: Feature, at: Point) -> Value:
    """Window sum over the sum of the window just before it; empty when that has no record or sums to 0."""
    before = r.window(at, _w(f), back=_w(f))
    base = _total(before)
    if not before or base == 0:
        return None
    return _total(r.window(at, _w(f))) / base


def agg_growth_2y(r: Records, f: Feature, at: Point) -> Value:
    """Window sum over the same window two years earlier, minus 1 (empty as for ``growth_yoy``)."""
    earlier = r.window(at, _w(f), back=24)
    base = _total(earlier)
    if not earlier or base == 0:
        return None
    return _total(r.window(at, _w(f))) / base - 1


def _mean_of(pairs: list[tuple[int, Value]]) -> Decimal | None:
    values = [v for _, v in _numbers(pairs)]
    return sum(values, Decimal(0)) / len(values) if values else None


def agg_vs_36m(r: Records, f: Feature, at: Point) -> Value:
    """The window's mean over the mean of the 36 months ending with it; empty when either is empty or that is 0."""
    recent, wide = _mean_of(r.window(at, _w(f))), _mean_of(r.window(at, max(_w(f), 36)))
    if recent is None or wide is None or wide == 0:
        return None
    return recent / wide


def agg_drawdown(r: Records, f: Feature, at: Point) -> Value:
    """1 - the latest month's value / the window's largest; empty without a value or a positive peak."""
    latest = agg_last(r, f, at)
    values = [v for _, v in _numbers(r.window(at, _w(f)))]
    if latest is None or not values or max(values) <= 0:
        return None
    return 1 - Decimal(latest) / max(values)


def agg_cv(r: Records, f: Feature, at: Point) -> Value:
    """Population standard deviation over the mean of the window's values; empty for fewer than 2 or a sum not above 0."""
    values = [v for _, v in _numbers(r.window(at, _w(f)))]
    n, total = len(values), sum(values, Decimal(0))
    if n < 2 or total <= 0:
        return None
    spread = n * sum((v * v for v in values), Decimal(0)) - total * total
    return max(spread, Decimal(0)).sqrt() / total


def agg_months_since_positive(r: Records, f: Feature, at: Point) -> Value:
    """Months from the latest known month with a positive value (no window) to the as-of date."""
    months = [m for m, v in _numbers(zip(r.months, r.values, strict=True)) if v > 0]
    return at.as_of_month - max(months) if months else None


def agg_months_since_first(r: Records, f: Feature, at: Point) -> Value:
    """Months from the first known record (no window) to the as-of date."""
    return at.as_of_month - min(r.months) if r.months else None


def agg_open_count(r: Records, f: Feature, at: Point) -> Value:
    """Known records not ended by the cutoff (no end, or an end after it)."""
    return sum(1 for end in r.ends if end is None or end > at.cutoff)


def agg_ever_count(r: Records, f: Feature, at: Point) -> Value:
    return len(r.dates)


def agg_days_since_last(r: Records, f: Feature, at: Point) -> Value:
    return (at.as_of - max(r.dates)).days if r.dates else None


def _w(f: Feature) -> int:
    if f.window is None:
        raise ValueError(f"{f.name}: {f.agg} needs a window")
    return f.window


Aggregator = Callable[[Records, Feature, Point], Value]

AGGREGATORS: dict[str, Aggregator] = {
    "sum": agg_sum,
    "count": agg_count,
    "mean": agg_mean,
    "max": agg_max,
    "min": agg_min,
    "last": agg_last,
    "distinct_count": agg_distinct_count,
    "months_active": agg_months_active,
    "missing_months": agg_missing_months,
    "slope": agg_slope,
    "growth_yoy": agg_growth_yoy,
    "ratio_recent": agg_ratio_recent,
    "growth_2y": agg_growth_2y,
    "vs_36m": agg_vs_36m,
    "drawdown": agg_drawdown,
    "cv": agg_cv,
    "months_since_first": agg_months_since_first,
    "months_since_positive": agg_months_since_positive,
    "open_count": agg_open_count,
    "ever_count": agg_ever_count,
    "days_since_last": agg_days_since_last,
}
"""Every aggregation over a source's records (the registry's four are below)."""

NO_RECORDS = Records(months=(), dates=(), ends=(), values=())


def missing_value(f: Feature) -> Value:
    """The documented value for an enterprise with no known record of the feature's source."""
    if f.agg == "missing_months":
        return f.window
    return 0 if f.agg in ZERO_WHEN_MISSING else None


# ------------------------------------------------------------------------------ reading


def read_source(folder: Path, name: str) -> pd.DataFrame:
    """A validated source with dates as ``datetime.date`` and numbers as exact decimals."""
    src = CONTRACT[name]
    path = folder / f"{name}.parquet"
    if not path.is_file():
        return pd.DataFrame({c.name: pd.Series(dtype=object) for c in src.columns})
    frame = pd.read_parquet(path)
    for col in src.columns:
        if col.name not in frame:
            frame[col.name] = None
        frame[col.name] = pd.Series(_exact(frame[col.name], col.dtype), index=frame.index, dtype=object)
    return frame


def _exact(values: pd.Series, dtype: str) -> list[Value | date]:
    empty = values.isna().tolist()
    raw = values.astype(object).tolist()
    if dtype == "date":
        return [None if e else (x.date() if isinstance(x, pd.Timestamp) else x) for x, e in zip(raw, empty)]
    if dtype == "float":
        return [None if e else Decimal(repr(float(x))) for x, e in zip(raw, empty)]
    if dtype == "int":
        return [None if e else int(x) for x, e in zip(raw, empty)]
    return [None if e else str(x) for x, e in zip(raw, empty)]


def known(src: Source, frame: pd.DataFrame, at: Point) -> pd.DataFrame:
    """Records known at ``at.as_of``: dated by the cutoff and, if a receipt date is kept, received by then."""
    dated = frame[src.date_column].map(lambda d: d is not None and d <= at.cutoff)
    if src.received_column:
        dated &= frame[src.received_column].map(lambda d: d is None or d <= at.as_of)
    return frame[dated.astype(bool)]


def _passes(frame: pd.DataFrame, f: Feature) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    for col, values in f.filter:
        keep &= frame[col].isin(values)
    return keep


def _records_by_entity(src: Source, frame: pd.DataFrame, f: Feature) -> dict[str, Records]:
    """Every enterprise's records of ``frame`` that pass ``f``'s filter, with ``f``'s column as values."""
    rows = frame[_passes(frame, f)]
    months = [month_index(d) for d in rows[src.date_column]]
    dates = rows[src.date_column].tolist()
    ends = rows[src.end_column].tolist() if src.end_column else [None] * len(rows)
    values = rows[f.column].tolist() if f.column else [None] * len(rows)
    grouped: dict[str, list[int]] = {}
    for i, uscc in enumerate(rows["uscc"].tolist()):
        grouped.setdefault(str(uscc), []).append(i)
    return {
        uscc: Records(
            months=tuple(months[i] for i in idx),
            dates=tuple(dates[i] for i in idx),
            ends=tuple(ends[i] for i in idx),
            values=tuple(values[i] for i in idx),
        )
        for uscc, idx in grouped.items()
    }


# ------------------------------------------------------------------------------ the registry


def _considered(established: date | None, at: Point) -> bool:
    """A registry row counts once the entity was established by the registry's cutoff."""
    return established is not None and established <= at.cutoff


def _active(established: date | None, status: str | None, ended: date | None, at: Point) -> bool:
    """Considered, and in business at the cutoff: active, or ended after it (ended with no date: ended)."""
    return _considered(established, at) and (status == "active" or (ended is not None and ended > at.cutoff))


def active_entities(registry: pd.DataFrame, as_of: date) -> set[str]:
    """Entities established by the registry's cutoff and not revoked or cancelled by then."""
    at = point(CONTRACT["registry"], as_of)
    rows = zip(registry["uscc"], registry["established"], registry["status"], registry["status_date"])
    return {str(u) for u, established, status, ended in rows if _active(established, status, ended, at)}


def registry_values(
    registry: pd.DataFrame, features: Sequence[Feature], as_of: date
) -> dict[str, dict[str, Value]]:
    """The registry's features of every entity considered at ``as_of`` (others have none)."""
    at = point(CONTRACT["registry"], as_of)
    rows = registry.to_dict("records")
    active = [r for r in rows if _active(r["established"], r["status"], r["status_date"], at)]
    sharing = {f.name: Counter(r[f.column] for r in active) for f in features if f.agg == "shared_count"}
    out: dict[str, dict[str, Value]] = {}
    for row in (r for r in rows if _considered(r["established"], at)):
        cells: dict[str, Value] = {}
        for f in features:
            value = row[f.column]
            if value is None:
                cells[f.name] = None
            elif f.agg == "age_months":
                cells[f.name] = at.as_of_month - month_index(value)
            elif f.agg in ("value", "category"):
                cells[f.name] = value
            elif f.agg == "band":
                cells[f.name] = max((e for e in f.edges if e <= value), default=None)
            elif f.agg == "shared_count":
                cells[f.name] = sharing[f.name][value]
            else:
                raise ValueError(f"{f.name}: no registry aggregation {f.agg!r}")
        out[str(row["uscc"])] = cells
    return out


# ------------------------------------------------------------------------------ population and label


def _credit_months(credit: pd.DataFrame) -> dict[str, list[tuple[int, int]]]:
    """(month, days past due) of every credit record, by enterprise: ground truth, no lag."""
    out: dict[str, list[tuple[int, int]]] = {}
    for u, period, dpd in zip(credit["uscc"], credit["period"], credit["days_past_due"]):
        out.setdefault(str(u), []).append((month_index(period), int(dpd)))
    return out


def already_in_default(history: list[tuple[int, int]], as_of: date) -> bool:
    """90+ days past due in the 12 months up to the as-of month (a written-off default is no good)."""
    now = month_index(as_of)
    return any(now - ALREADY_MONTHS < m <= now and dpd >= DPD_DEFAULT for m, dpd in history)


def default_label(history: list[tuple[int, int]], as_of: date) -> int | None:
    """1 when 90+ days past due in the 12 months after; empty without credit in the 12 months before."""
    now = month_index(as_of)
    if not any(now - LABEL_MONTHS < m <= now for m, _ in history):
        return None
    return int(any(now < m <= now + LABEL_MONTHS and dpd >= DPD_DEFAULT for m, dpd in history))


def population(
    folder: Path, registry: pd.DataFrame, history: dict[str, list[tuple[int, int]]] | None, as_of: date
) -> list[str]:
    """Who gets a row at ``as_of``: the visit list, or for labels (given the credit history) the
    registry entities active then that are not already in default."""
    if history is None:
        return sorted(str(u) for u in pd.read_parquet(folder / "visit_list.parquet")["uscc"])
    active = active_entities(registry, as_of)
    return sorted(u for u in active if not already_in_default(history.get(u, []), as_of))


# ------------------------------------------------------------------------------ the table


def source_values(
    src: Source, frame: pd.DataFrame, features: Sequence[Feature], as_of: date, entities: Sequence[str]
) -> dict[str, dict[str, Value]]:
    """Each feature of one source for each of ``entities``, from the records known at ``as_of``."""
    at = point(src, as_of)
    seen = known(src, frame, at)
    has_record = set(seen["uscc"].astype(str))
    out: dict[str, dict[str, Value]] = {u: {} for u in entities}
    by_key: dict[tuple[object, ...], dict[str, Records]] = {}
    for f in features:
        key = (f.filter, f.column)  # features of one column and filter read the same records
        if key not in by_key:
            by_key[key] = _records_by_entity(src, seen, f)
        records = by_key[key]
        for u in entities:
            if u in has_record:
                out[u][f.name] = AGGREGATORS[f.agg](records.get(u, NO_RECORDS), f, at)
            else:
                out[u][f.name] = missing_value(f)
    return out


def _derived(op: str, operands: list[Value]) -> Value:
    """ratio a / b (empty when b is 0), difference a - b, or the mean; empty when any operand is empty."""
    if not all(isinstance(v, (Decimal, int)) for v in operands):
        return None
    values = [Decimal(v) for v in operands]  # type: ignore[arg-type]
    if op == "ratio":
        return values[0] / values[1] if values[1] != 0 else None
    if op == "difference":
        return values[0] - values[1]
    return sum(values, Decimal(0)) / len(values)


def peer_values(
    registry: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    features: FeatureSet,
    as_of: date,
    entities: Sequence[str],
) -> dict[str, dict[str, Value]]:
    """Each peer feature of ``entities``: the largest non-empty value of its feature among the
    other entities active at ``as_of`` with the same key; empty when there is none."""
    out: dict[str, dict[str, Value]] = {u: dict.fromkeys(p.name for p in features.peers) for u in entities}
    if not features.peers:
        return out
    active = sorted(active_entities(registry, as_of))
    wanted = {p.operand for p in features.peers}
    operands = [f for f in features.features if f.name in wanted]
    own: dict[str, dict[str, Value]] = {u: {} for u in active}
    registry_ops = [f for f in operands if f.source == "registry"]
    if registry_ops:
        values = registry_values(registry, registry_ops, as_of)
        for u in active:
            own[u].update(values.get(u, {}))
    for name in sorted({f.source for f in operands} - {"registry"}):
        ops = [f for f in operands if f.source == name]
        for u, values in source_values(CONTRACT[name], frames[name], ops, as_of, active).items():
            own[u].update(values)
    at = point(CONTRACT["registry"], as_of)
    considered = [r for r in registry.to_dict("records") if _considered(r["established"], at)]
    for key in sorted({p.key for p in features.peers}):
        key_of = {str(r["uscc"]): r[key] for r in considered if r[key] is not None}
        members: dict[object, list[str]] = {}
        for u in active:
            if u in key_of:
                members.setdefault(key_of[u], []).append(u)
        for u in entities:
            others = [o for o in members.get(key_of.get(u), []) if o != u] if u in key_of else []
            for peer in (p for p in features.peers if p.key == key):
                found = [own[o][peer.operand] for o in others if own[o][peer.operand] is not None]
                out[u][peer.name] = max(found) if found else None  # type: ignore[type-var]
    return out


def reference_table(
    folder: Path, as_of: Sequence[date], features: FeatureSet, *, labels: bool
) -> pd.DataFrame:
    """Every feature (and the label) of the population, one row per enterprise and as-of date.

    Without labels the population is the visit list at every date; with labels, the
    registry entities active at the date that are not already in default. Rows are ordered
    by date, then code; numbers come back as floats (whole-number aggregations as nullable
    integers), texts as strings.
    """
    registry = read_source(folder, "registry")
    history = _credit_months(read_source(folder, "credit")) if labels else None
    by_source: dict[str, list[Feature]] = {}
    for f in features.features:
        by_source.setdefault(f.source, []).append(f)
    frames = {name: read_source(folder, name) for name in by_source if name != "registry"}

    rows: list[dict[str, object]] = []
    with localcontext() as ctx:
        ctx.prec = 60
        for day in sorted(set(as_of)):
            entities = population(folder, registry, history, day)
            reg = registry_values(registry, by_source.get("registry", []), day)
            cells = {u: dict.fromkeys(f.name for f in by_source.get("registry", [])) for u in entities}
            for u in entities:
                cells[u].update(reg.get(u, {}))
            for name, frame in frames.items():
                for u, values in source_values(CONTRACT[name], frame, by_source[name], day, entities).items():
                    cells[u].update(values)
            peers = peer_values(registry, frames, features, day, entities)
            for u in entities:
                row: dict[str, object] = {"uscc": u, "as_of": day}
                if history is not None:
                    row[LABEL] = default_label(history.get(u, []), day)
                row.update(cells[u])
                for d in features.derived:
                    row[d.name] = _derived(d.op, [cells[u][o] for o in d.operands])
                row.update(peers[u])
                rows.append(row)
    return _typed(rows, features, labels)


def _typed(rows: list[dict[str, object]], features: FeatureSet, labels: bool) -> pd.DataFrame:
    """Exact cells to floats, nullable integers and strings, by what each feature holds."""
    kinds = {f.name: column_kind(f) for f in features.features}
    kinds.update({d.name: "float" for d in features.derived})
    kinds.update({p.name: kinds[p.operand] for p in features.peers})
    kinds[LABEL] = "int"
    columns: dict[str, object] = {
        "uscc": pd.array([r["uscc"] for r in rows], dtype="string"),
        "as_of": [r["as_of"] for r in rows],
    }
    for name in ([LABEL] if labels else []) + list(features.names):
        dtype = {"int": "Int64", "float": "Float64", "text": "string"}[kinds[name]]
        convert = {"int": int, "float": float, "text": str}[kinds[name]]
        columns[name] = pd.array([None if r[name] is None else convert(r[name]) for r in rows], dtype=dtype)
    return pd.DataFrame(columns)


def column_kind(f: Feature) -> str:
    """'int', 'float' or 'text': what the feature's values are."""
    if f.agg in INTEGER_AGGS:
        return "int"
    if f.agg in TEXT_AGGS:
        return "text"
    if f.column is not None and f.agg in ("last", "value"):
        dtype = CONTRACT[f.source].column(f.column).dtype
        if dtype not in ("int", "float"):
            return "text"
    return "float"
