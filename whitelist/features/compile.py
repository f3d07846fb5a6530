"""Compile declared features into one SQL plan: the only implementation of every feature.

The point-in-time bound lives here and nowhere else: a record counts for an as-of date only
when its date is on or before the source's cutoff (as-of minus the availability lag) and,
where the source records it, it was received on or before the as-of date. Per as-of date
and source the cutoff and the window anchor (the latest month the source can have
delivered) are computed once in Python, so the SQL needs no engine-specific date arithmetic.
Sums run on DECIMAL so that parallel engines add them up to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from whitelist.features.dialect import DUCKDB, Dialect
from whitelist.features.spec import Feature, FeatureSet
from whitelist.sources.contract import CONTRACT, Source
from whitelist.sources.status import in_business_sql

LABEL = "default_12m"
LABEL_HORIZON = 12
"""Months after the as-of date in which a 90+ days-past-due loan makes the label 1."""
DEFAULT_DPD = 90
LABEL_HISTORY = 12
"""Months before the as-of date the label reads: credit in them makes an entity labelled, and a
90+ days-past-due loan in them means it is already in default and out of the population. One window
for both, so an entity whose defaulted loans were written off never counts as a good."""

_DEC = "DECIMAL(38, 4)"


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@dataclass(frozen=True)
class Bound:
    """Where one source stands at one as-of date."""

    cutoff: date
    """Latest record date that can be known (as-of minus the availability lag)."""
    anchor: int
    """Month index the windows end at: the latest period month the source can have delivered."""


def bound(src: Source, as_of: date) -> Bound:
    cutoff = as_of - timedelta(days=src.lag_days)
    if src.period_end:
        anchor = month_index(cutoff + timedelta(days=1)) - 1  # the last month that has ended by the cutoff
    else:
        anchor = month_index(cutoff)
    return Bound(cutoff=cutoff, anchor=anchor)


@dataclass(frozen=True)
class Plan:
    """The SQL of a feature build and what it reads.

    ``steps`` are named queries (each may read the ones before it) and ``final`` the query
    over them: an engine may run them as one statement (``sql``) or materialise the steps
    one at a time to bound its memory.
    """

    steps: tuple[tuple[str, str], ...]
    final: str
    sources: tuple[str, ...]
    as_of: tuple[date, ...]
    labels: bool

    @property
    def sql(self) -> str:
        with_sql = ",\n".join(f"{name} AS (\n{body}\n)" for name, body in self.steps)
        return f"WITH {with_sql}\n{self.final}"


def compile_plan(
    features: FeatureSet, as_of: Sequence[date], *, labels: bool, dialect: Dialect = DUCKDB
) -> Plan:
    """SQL returning one row per enterprise and as-of date with every feature (and the label)."""
    q = dialect.quote
    as_of = tuple(sorted(set(as_of)))
    by_source = features.by_source()
    ctes = [("_as_of", _as_of_values(as_of, dialect))]
    keys = tuple(sorted({p.key for p in features.peers}))
    ctes.append(("_reg", _registry(by_source.get("registry", ()), dialect, keys)))
    joins: list[str] = []
    for name, feats in by_source.items():
        if name == "registry":
            continue
        src = CONTRACT[name]
        body = _events(src, feats, dialect) if src.grain == "event" else _periodic(src, feats, dialect)
        ctes.append((f"_f_{name}", body))
        joins.append(f"LEFT JOIN _f_{name} USING (uscc, as_of)")
    if features.peers:
        ctes.extend(_peer_steps(features, keys, q))
    used = {"registry", "credit" if labels else "visit_list", *by_source}
    if labels:
        ctes.append(("_label", _label(dialect)))
        ctes.append(
            (
                "_pop",
                "SELECT r.uscc, r.as_of, l.has_credit, l.bad FROM _reg r "
                "LEFT JOIN _label l ON l.uscc = r.uscc AND l.as_of = r.as_of "
                "WHERE r._active AND COALESCE(l.already, 0) = 0",
            )
        )
    else:
        ctes.append(("_pop", "SELECT v.uscc, a.as_of FROM visit_list v CROSS JOIN _as_of a"))

    columns = []
    for f in features.features:
        columns.append(f"{_finish(f, q)} AS {q(f.name)}")
    label = (
        f", CASE WHEN p.has_credit = 1 THEN COALESCE(p.bad, 0) END AS {q(LABEL)}" if labels else ""
    )
    inner = (
        f"SELECT p.uscc, p.as_of{label}, {', '.join(columns)} FROM _pop p "
        f"LEFT JOIN _reg USING (uscc, as_of) {' '.join(joins)}"
    )
    derived = "".join(f", {_derived(d.op, [f'CAST({q(o)} AS DOUBLE)' for o in d.operands])} AS {q(d.name)}"
                      for d in features.derived)
    peers = "".join(f", k{keys.index(p.key)}.{q(p.name)}" for p in features.peers)
    peer_joins = "".join(
        f" LEFT JOIN {_peer_step(k)} k{i} ON k{i}.uscc = t.uscc AND k{i}.as_of = t.as_of" for i, k in enumerate(keys)
    )
    final = f"SELECT t.*{derived}{peers} FROM ({inner}) t{peer_joins} ORDER BY t.as_of, t.uscc"
    return Plan(steps=tuple(ctes), final=final, sources=tuple(sorted(used)), as_of=as_of, labels=labels)


def _peer_step(key: str) -> str:
    return f"_peers_{key}"


def _peer_steps(features: FeatureSet, keys: tuple[str, ...], q: Callable[[str], str]) -> list[tuple[str, str]]:
    """The peers' features: each entity's own operands once, then per key the largest among the others.

    Peers are the active entities sharing the key at the as-of date (the entity itself
    excluded); an entity without any has no row, so its peer features are empty.
    """
    wanted = {p.operand for p in features.peers}
    operands = [f for f in features.features if f.name in wanted]
    sources = sorted({f.source for f in operands} - {"registry"})
    own = ", ".join(f"{_finish(f, q)} AS {q(f.name)}" for f in operands)
    key_cols = ", ".join(f"r._key_{k}" for k in keys)
    base = (
        f"SELECT r.uscc, r.as_of, r._active, {key_cols}, {own} FROM _reg r "
        + " ".join(f"LEFT JOIN _f_{name} USING (uscc, as_of)" for name in sources)
    )
    steps = [("_peer_base", base)]
    for k in keys:
        worst = ", ".join(f"MAX(o.{q(p.operand)}) AS {q(p.name)}" for p in features.peers if p.key == k)
        steps.append(
            (
                _peer_step(k),
                f"SELECT s.uscc, s.as_of, {worst} FROM _peer_base s JOIN _peer_base o "
                f"ON o._key_{k} = s._key_{k} AND o.as_of = s.as_of AND o.uscc <> s.uscc AND o._active "
                "GROUP BY s.uscc, s.as_of",
            )
        )
    return steps


def _derived(op: str, terms: list[str]) -> str:
    """A derived feature's SQL over its operands (already DOUBLE); empty when any operand is."""
    if op == "ratio":
        return f"{terms[0]} / NULLIF({terms[1]}, 0)"
    if op == "difference":
        return f"{terms[0]} - {terms[1]}"
    return f"({' + '.join(terms)}) / {len(terms)}"


def _as_of_values(as_of: tuple[date, ...], d: Dialect) -> str:
    cols = ["as_of", "m_as_of"]
    rows = []
    for a in as_of:
        values = [d.date_literal(a.isoformat()), str(month_index(a))]
        for src in CONTRACT.values():
            b = bound(src, a)
            values += [d.date_literal(b.cutoff.isoformat()), str(b.anchor)]
        rows.append(f"({', '.join(values)})")
    for src in CONTRACT.values():
        cols += [f"c_{src.name}", f"a_{src.name}"]
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS v({', '.join(cols)})"


def _month(expr: str) -> str:
    return f"(YEAR({expr}) * 12 + MONTH({expr}) - 1)"


def _filter(f: Feature) -> str:
    parts = [f"r.{col} IN ({', '.join(repr(v) for v in values)})" for col, values in f.filter]
    return " AND ".join(parts) if parts else "TRUE"


def _known(src: Source) -> str:
    """The point-in-time rule: the one place it is written."""
    rule = f"r.{src.date_column} <= a.c_{src.name}"
    if src.received_column:
        rule += f" AND (r.{src.received_column} IS NULL OR r.{src.received_column} <= a.as_of)"
    return rule


def _periodic(src: Source, feats: tuple[Feature, ...], d: Dialect) -> str:
    m, anchor = "r._m", f"a.a_{src.name}"  # the record's month index, computed once per row
    spans = []
    for f in feats:
        if f.aggregation.kind == "history":
            spans.append(None)
        elif f.agg == "months_since_positive":
            spans.append(None)
        elif f.agg == "growth_yoy":
            spans.append(f.window + 12)
        elif f.agg == "growth_2y":
            spans.append(f.window + 24)
        elif f.agg == "ratio_recent":
            spans.append(2 * f.window)
        elif f.agg == "vs_36m":
            spans.append(max(f.window, 36))
        else:
            spans.append(f.window)
    lower = "" if None in spans else f" AND {m} > {anchor} - {max(spans)}"
    # Where the contract's key makes (uscc, month) unique, counting months needs no DISTINCT.
    one_per_month = src.key == ("uscc", src.date_column)
    aggs = ", ".join(f"{_periodic_agg(f, m, anchor, one_per_month)} AS {d.quote(f.name)}" for f in feats)
    rows = f"(SELECT *, {_month(src.date_column)} AS _m FROM {src.name})"
    return (
        f"SELECT r.uscc, a.as_of, {aggs} FROM {rows} r JOIN _as_of a ON {_known(src)}{lower} "
        f"GROUP BY r.uscc, a.as_of"
    )


def _periodic_agg(f: Feature, m: str, anchor: str, one_per_month: bool) -> str:
    cond = _filter(f)
    col = f"r.{f.column}" if f.column else None
    if f.agg == "months_since_first":
        return f"MIN(a.m_as_of) - MIN(CASE WHEN {cond} THEN {m} END)"
    if f.agg == "months_since_positive":
        return f"MIN(a.m_as_of) - MAX(CASE WHEN {cond} AND r.{f.column} > 0 THEN {m} END)"
    w = f.window
    inw = f"{cond} AND {m} > {anchor} - {w}"
    v = f"CAST({col} AS {_DEC})" if col else None
    if f.agg == "sum":
        return f"SUM(CASE WHEN {inw} THEN {v} END)"
    if f.agg == "mean":
        return (
            f"CAST(SUM(CASE WHEN {inw} THEN {v} END) AS DOUBLE) / "
            f"NULLIF(COUNT(CASE WHEN {inw} THEN {col} END), 0)"
        )
    if f.agg in ("max", "min"):
        return f"{f.agg.upper()}(CASE WHEN {inw} THEN {col} END)"
    if f.agg == "count":
        return f"COUNT(CASE WHEN {inw} THEN 1 END)"
    if f.agg == "last":
        return f"MAX_BY({col}, CASE WHEN {inw} AND {col} IS NOT NULL THEN {m} END)"
    if f.agg == "distinct_count":
        return f"COUNT(DISTINCT CASE WHEN {inw} THEN {col} END)"
    distinct = "" if one_per_month else "DISTINCT "
    if f.agg == "months_active":
        return f"COUNT({distinct}CASE WHEN {inw} AND {col} > 0 THEN {m} END)"
    if f.agg == "missing_months":
        return f"{w} - COUNT({distinct}CASE WHEN {inw} THEN {m} END)"
    if f.agg == "slope":
        x = f"CASE WHEN {inw} AND {col} IS NOT NULL THEN {m} - {anchor} END"
        y = f"CASE WHEN {inw} THEN {v} END"
        n = f"COUNT({x})"
        sx, sy, sxy, sxx = f"SUM({x})", f"SUM({y})", f"SUM(({x}) * ({y}))", f"SUM(({x}) * ({x}))"
        return (
            f"CAST({n} * {sxy} - {sx} * {sy} AS DOUBLE) / "
            f"NULLIF(CAST({n} * {sxx} - {sx} * {sx} AS DOUBLE), 0)"
        )
    if f.agg == "vs_36m":
        wide = f"{cond} AND {m} > {anchor} - {max(w, 36)}"
        return (
            f"(CAST(SUM(CASE WHEN {inw} THEN {v} END) AS DOUBLE) / NULLIF(COUNT(CASE WHEN {inw} THEN {col} END), 0)) / "
            f"NULLIF(CAST(SUM(CASE WHEN {wide} THEN {v} END) AS DOUBLE) / NULLIF(COUNT(CASE WHEN {wide} THEN {col} END), 0), 0)"
        )
    if f.agg == "drawdown":
        latest = f"MAX_BY({col}, CASE WHEN {inw} AND {col} IS NOT NULL THEN {m} END)"
        peak = f"MAX(CASE WHEN {inw} THEN {col} END)"
        return f"1 - CAST({latest} AS DOUBLE) / CAST(CASE WHEN {peak} > 0 THEN {peak} END AS DOUBLE)"
    if f.agg == "cv":
        y = f"CASE WHEN {inw} THEN {v} END"
        n, sy, syy = f"COUNT({y})", f"SUM({y})", f"SUM(({y}) * ({y}))"
        spread = f"CAST({n} * {syy} - {sy} * {sy} AS DOUBLE)"
        return (
            f"CASE WHEN {n} >= 2 AND {sy} > 0 THEN SQRT(CASE WHEN {spread} > 0 THEN {spread} ELSE 0 END) "
            f"/ CAST({sy} AS DOUBLE) END"
        )
    if f.agg in ("growth_yoy", "ratio_recent", "growth_2y"):
        back = {"growth_yoy": 12, "growth_2y": 24}.get(f.agg, w)
        prev = f"{cond} AND {m} > {anchor} - {back} - {w} AND {m} <= {anchor} - {back}"
        ratio = (  # an empty window sums to 0, as the sum feature says: growth -1, ratio 0
            f"CAST(COALESCE(SUM(CASE WHEN {inw} THEN {v} END), 0) AS DOUBLE) / "
            f"NULLIF(CAST(SUM(CASE WHEN {prev} THEN {v} END) AS DOUBLE), 0)"
        )
        return ratio if f.agg == "ratio_recent" else f"{ratio} - 1"
    raise AssertionError(f"no SQL for aggregation {f.agg!r}")  # spec.expand admits only the above


def _events(src: Source, feats: tuple[Feature, ...], d: Dialect) -> str:
    m, anchor = _month(f"r.{src.date_column}"), f"a.a_{src.name}"
    aggs = ", ".join(f"{_event_agg(src, f, m, anchor, d)} AS {d.quote(f.name)}" for f in feats)
    return f"SELECT r.uscc, a.as_of, {aggs} FROM {src.name} r JOIN _as_of a ON {_known(src)} GROUP BY r.uscc, a.as_of"


def _event_agg(src: Source, f: Feature, m: str, anchor: str, d: Dialect) -> str:
    cond = _filter(f)
    if f.agg == "ever_count":
        return f"COUNT(CASE WHEN {cond} THEN 1 END)"
    if f.agg == "open_count":
        end = f"r.{src.end_column}"
        return f"COUNT(CASE WHEN {cond} AND ({end} IS NULL OR {end} > a.c_{src.name}) THEN 1 END)"
    if f.agg == "days_since_last":
        return d.days_between(f"MAX(CASE WHEN {cond} THEN r.{src.date_column} END)", "a.as_of")
    inw = f"{cond} AND {m} > {anchor} - {f.window}"
    if f.agg == "count":
        return f"COUNT(CASE WHEN {inw} THEN 1 END)"
    if f.agg == "sum":
        return f"SUM(CASE WHEN {inw} THEN CAST(r.{f.column} AS {_DEC}) END)"
    if f.agg in ("max", "min", "mean"):
        fn = "AVG" if f.agg == "mean" else f.agg.upper()
        return f"{fn}(CASE WHEN {inw} THEN r.{f.column} END)"
    if f.agg == "distinct_count":
        return f"COUNT(DISTINCT CASE WHEN {inw} THEN r.{f.column} END)"
    raise AssertionError(f"no SQL for aggregation {f.agg!r} on events")


def _registry(feats: tuple[Feature, ...], d: Dialect, keys: tuple[str, ...] = ()) -> str:
    q = d.quote
    cols, joins = [f"r.{k} AS _key_{k}" for k in keys], []
    for i, f in enumerate(feats):
        if f.agg == "age_months":
            cols.append(f"a.m_as_of - {_month(f'r.{f.column}')} AS {q(f.name)}")
        elif f.agg == "value":
            cols.append(f"CAST(r.{f.column} AS DOUBLE) AS {q(f.name)}")
        elif f.agg == "band":
            # A declared ladder, not the raw number: 60% of registered capitals are unique and name a firm.
            steps = " ".join(
                f"WHEN r.{f.column} >= CAST({edge!r} AS DOUBLE) THEN CAST({edge!r} AS DOUBLE)" for edge in reversed(f.edges)
            )
            cols.append(f"CASE {steps} END AS {q(f.name)}")
        elif f.agg == "category":
            cols.append(f"r.{f.column} AS {q(f.name)}")
        elif f.agg == "shared_count":
            # Active entities per value, counted once per value (a hash aggregate, not a window).
            counts = (
                f"SELECT a.as_of, r.{f.column} AS _value, COUNT(*) AS _n FROM registry r "
                f"JOIN _as_of a ON r.established <= a.c_registry WHERE {_active()} GROUP BY a.as_of, r.{f.column}"
            )
            joins.append(f"LEFT JOIN ({counts}) s{i} ON s{i}.as_of = a.as_of AND s{i}._value = r.{f.column}")
            cols.append(f"COALESCE(s{i}._n, 0) AS {q(f.name)}")
    select = ", ".join(["r.uscc", "a.as_of", f"{_active()} AS _active", *cols])
    return f"SELECT {select} FROM registry r JOIN _as_of a ON r.established <= a.c_registry {' '.join(joins)}"


def _active() -> str:
    """In business at the registry's cutoff (``sources.status``: the rule scoring uses too)."""
    return in_business_sql("r.status", "r.status_date", "a.c_registry")


def _label(d: Dialect) -> str:
    m = _month("r.period")
    return (
        "SELECT r.uscc, a.as_of, "
        f"MAX(CASE WHEN {m} > a.m_as_of - {LABEL_HISTORY} AND {m} <= a.m_as_of "
        f"AND r.days_past_due >= {DEFAULT_DPD} "
        "THEN 1 ELSE 0 END) AS already, "
        f"MAX(CASE WHEN {m} > a.m_as_of - {LABEL_HISTORY} AND {m} <= a.m_as_of THEN 1 ELSE 0 END) AS has_credit, "
        f"MAX(CASE WHEN {m} > a.m_as_of AND {m} <= a.m_as_of + {LABEL_HORIZON} AND r.days_past_due >= {DEFAULT_DPD} "
        "THEN 1 ELSE 0 END) AS bad "
        f"FROM credit r JOIN _as_of a ON {m} > a.m_as_of - {LABEL_HISTORY} AND {m} <= a.m_as_of + {LABEL_HORIZON} "
        "GROUP BY r.uscc, a.as_of"
    )


def _finish(f: Feature, quote: Callable[[str], str]) -> str:
    """Documented values for an enterprise with no record: 0 for sums and counts, W missing months."""
    col = quote(f.name)
    if f.agg == "missing_months":
        return f"COALESCE({col}, {f.window})"
    if f.aggregation.missing == "zero":
        if f.agg == "sum":
            return f"CAST(COALESCE({col}, 0) AS DOUBLE)"
        return f"COALESCE({col}, 0)"
    return col
