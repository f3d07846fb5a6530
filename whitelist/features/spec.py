"""Features declared as data: what to aggregate, from which source, over which window.

``configs/features.yaml`` lists feature groups; each group expands into one feature per
aggregation and window (``tax_sales_sum_12m``). Declarations are checked against the data
contract when they load, so a typo fails with the feature's name before any data is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from whitelist.core.config import StrictModel, load_config
from whitelist.core.errors import ConfigError
from whitelist.sources.contract import CONTRACT, Source

Kind = Literal["window", "state", "history", "entity"]
Range = Literal[
    "column", "column_sum", "records", "months", "spread", "growth", "ratio", "fraction",
    "lifetime_months", "days", "edges", "text",
]
"""How a feature's possible values follow from its column's contract bounds (``features/bounds.py``)."""


@dataclass(frozen=True, kw_only=True)
class Aggregation:
    """One way to summarise a source's records for an enterprise at an as-of date."""

    name: str
    kind: Kind
    description: str
    needs_column: bool = True
    numeric: bool = True
    grains: tuple[str, ...] = ("month", "month_per_loan", "year", "event")
    missing: str = "null"
    """Value for an enterprise with no record: 'zero' or 'null' (documented per feature)."""
    range: Range = "column"
    """Which values are possible, given the column's bounds and the window (checked on real-time payloads)."""


_PERIODIC = ("month", "month_per_loan", "year")

AGGREGATIONS: dict[str, Aggregation] = {
    a.name: a
    for a in (
        Aggregation(name="sum", range="column_sum", kind="window", description="sum over the window", missing="zero"),
        Aggregation(name="mean", kind="window", description="mean of the records in the window"),
        Aggregation(name="max", kind="window", description="largest value in the window"),
        Aggregation(name="min", kind="window", description="smallest value in the window"),
        Aggregation(
            name="count",
            range="records",
            kind="window",
            needs_column=False,
            description="records in the window",
            missing="zero",
        ),
        Aggregation(
            name="last",
            range="column",
            kind="window",
            numeric=False,
            grains=("month", "year"),
            description="latest non-empty value in the window",
        ),
        Aggregation(
            name="distinct_count",
            range="records",
            kind="window",
            numeric=False,
            description="distinct values in the window",
            missing="zero",
        ),
        Aggregation(
            name="months_active",
            range="months",
            kind="window",
            grains=_PERIODIC,
            description="months in the window with a positive value",
            missing="zero",
        ),
        Aggregation(
            name="missing_months",
            range="months",
            kind="window",
            needs_column=False,
            grains=("month", "month_per_loan"),
            description="months of the window with no record",
        ),
        Aggregation(
            name="slope",
            range="spread",
            kind="window",
            grains=_PERIODIC,
            description="least-squares slope per month of the values in the window",
        ),
        Aggregation(
            name="growth_yoy",
            range="growth",
            kind="window",
            grains=_PERIODIC,
            description="sum over the window / sum over the same window a year earlier - 1",
        ),
        Aggregation(
            name="ratio_recent",
            range="ratio",
            kind="window",
            grains=_PERIODIC,
            description="sum over the window / sum over the window before it",
        ),
        Aggregation(
            name="growth_2y",
            range="growth",
            kind="window",
            grains=_PERIODIC,
            description="sum over the window / sum over the same window two years earlier - 1",
        ),
        Aggregation(
            name="vs_36m",
            range="ratio",
            kind="window",
            grains=_PERIODIC,
            description="mean of the window's values / mean of the values of the 36 months ending with it",
        ),
        Aggregation(
            name="drawdown",
            range="fraction",
            kind="window",
            grains=("month", "year"),
            description="1 - the latest value / the largest value in the window (a fall from the peak)",
        ),
        Aggregation(
            name="cv",
            range="ratio",
            kind="window",
            grains=_PERIODIC,
            description="standard deviation / mean of the window's values (volatility)",
        ),
        Aggregation(
            name="months_since_positive",
            range="lifetime_months",
            kind="history",
            grains=_PERIODIC,
            description="months from the latest known month with a positive value to the as-of date",
        ),
        Aggregation(
            name="open_count",
            range="records",
            kind="state",
            needs_column=False,
            grains=("event",),
            description="records open at the as-of date (started, not yet ended as far as known)",
            missing="zero",
        ),
        Aggregation(
            name="ever_count",
            range="records",
            kind="state",
            needs_column=False,
            grains=("event",),
            description="records known at the as-of date, over all history",
            missing="zero",
        ),
        Aggregation(
            name="days_since_last",
            range="days",
            kind="state",
            needs_column=False,
            grains=("event",),
            description="days from the latest known record to the as-of date",
        ),
        Aggregation(
            name="months_since_first",
            range="lifetime_months",
            kind="history",
            needs_column=False,
            grains=_PERIODIC,
            description="months from the first known record to the as-of date",
        ),
        Aggregation(
            name="age_months", range="lifetime_months", kind="entity", grains=("entity",), description="months since the date in the column"
        ),
        Aggregation(name="value", kind="entity", grains=("entity",), description="the registry's value"),
        Aggregation(
            name="band",
            range="edges",
            kind="entity",
            grains=("entity",),
            description="the largest of the declared edges not above the registry's value (empty below the first)",
        ),
        Aggregation(
            name="category", range="text", kind="entity", grains=("entity",), numeric=False, description="the registry's category"
        ),
        Aggregation(
            name="shared_count",
            range="records",
            kind="entity",
            grains=("entity",),
            numeric=False,
            description="entities active at the as-of date sharing this value (address, legal representative)",
        ),
    )
}


class GroupSpec(StrictModel):
    """A YAML feature group: one source and column, several aggregations and windows."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source: str
    column: str | None = None
    aggs: tuple[str, ...] = Field(min_length=1)
    windows: tuple[int, ...] = ()
    filter: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    edges: tuple[float, ...] = Field((), description="band: the lower edges of the bands, increasing")
    description: str

    @model_validator(mode="after")
    def _windows_positive(self) -> GroupSpec:
        if any(w < 1 or w > 120 for w in self.windows):
            raise ValueError(f"feature {self.name!r}: windows are months from 1 to 120, got {list(self.windows)}")
        return self

    @model_validator(mode="after")
    def _edges_for_bands(self) -> GroupSpec:
        banded = "band" in self.aggs
        if banded and len(self.edges) < 2:
            raise ValueError(f"feature {self.name!r}: band needs edges, at least two lower edges, e.g. [0, 10, 100]")
        if self.edges and not banded:
            raise ValueError(f"feature {self.name!r}: edges are for the band aggregation, which it does not use")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"feature {self.name!r}: band edges must increase, got {list(self.edges)}")
        return self


class DerivedSpec(StrictModel):
    """A feature computed from others: a ratio (tax paid / sales), a difference of two, or a mean of several."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    op: Literal["ratio", "difference", "mean"] = "ratio"
    numerator: str | None = None
    denominator: str | None = None
    of: tuple[str, ...] = Field((), description="difference: [a, b] for a - b; mean: the features averaged")
    description: str

    @model_validator(mode="after")
    def _operands(self) -> DerivedSpec:
        if self.op == "ratio" and (self.numerator is None or self.denominator is None or self.of):
            raise ValueError(f"derived feature {self.name!r}: a ratio takes numerator and denominator, not of")
        if self.op != "ratio" and (self.numerator is not None or self.denominator is not None):
            raise ValueError(f"derived feature {self.name!r}: {self.op} takes of: [...], not numerator/denominator")
        if self.op == "difference" and len(self.of) != 2:
            raise ValueError(f"derived feature {self.name!r}: a difference takes of: [a, b] (a - b)")
        if self.op == "mean" and len(self.of) < 2:
            raise ValueError(f"derived feature {self.name!r}: a mean takes of: [a, b, ...], two or more")
        return self

    @property
    def operands(self) -> tuple[str, ...]:
        return self.of or (str(self.numerator), str(self.denominator))


class PeerSpec(StrictModel):
    """The worst of some features among the other entities sharing a registry value.

    Related parties share fortunes: a legal representative whose other firms are in arrears,
    in court or in default, or an address shared with such firms, says something the firm's
    own records do not yet. Each feature in ``of`` gives one ``<name>_<feature>``.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    key: str = Field(description="the registry column shared: legal_rep_id, address_id")
    of: tuple[str, ...] = Field(min_length=1, description="features whose largest value among the peers is taken")
    description: str


class FeatureFile(StrictModel):
    groups: tuple[GroupSpec, ...]
    derived: tuple[DerivedSpec, ...] = ()
    peers: tuple[PeerSpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One output column: a source column summarised one way over one window."""

    name: str
    source: str
    column: str | None
    agg: str
    window: int | None
    filter: tuple[tuple[str, tuple[str, ...]], ...]
    description: str
    edges: tuple[float, ...] = ()

    @property
    def aggregation(self) -> Aggregation:
        return AGGREGATIONS[self.agg]

    @property
    def text(self) -> bool:
        """True when the feature holds words (a category, the latest tax grade), not a number."""
        if self.agg == "category":
            return True
        if self.agg in ("last", "value") and self.column is not None:
            return CONTRACT[self.source].column(self.column).dtype not in ("int", "float")
        return False


@dataclass(frozen=True, kw_only=True)
class Derived:
    """``ratio``: operands[0] / operands[1]; ``difference``: operands[0] - operands[1]; ``mean``: their mean.

    Empty when an operand is empty (or a ratio's denominator is 0).
    """

    name: str
    op: str
    operands: tuple[str, ...]
    description: str

    @property
    def numerator(self) -> str:
        """The feature a reason's period is taken from: the first operand."""
        return self.operands[0]


@dataclass(frozen=True, kw_only=True)
class Peer:
    """The largest value of ``operand`` among the other active entities with the same ``key``.

    Empty when no other active entity shares the key (or the entity has none).
    """

    name: str
    key: str
    operand: str
    description: str

    @property
    def numerator(self) -> str:
        """The feature a reason's period is taken from."""
        return self.operand


@dataclass(frozen=True)
class FeatureSet:
    """Every feature, in output order, the ones derived from them and their peers' worst."""

    features: tuple[Feature, ...]
    derived: tuple[Derived, ...]
    peers: tuple[Peer, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (
            tuple(f.name for f in self.features)
            + tuple(d.name for d in self.derived)
            + tuple(p.name for p in self.peers)
        )

    def by_source(self) -> dict[str, tuple[Feature, ...]]:
        out: dict[str, list[Feature]] = {}
        for f in self.features:
            out.setdefault(f.source, []).append(f)
        return {k: tuple(v) for k, v in out.items()}


def expand(spec: FeatureFile, origin: str = "features") -> FeatureSet:
    """Check every group against the contract and expand it into features."""
    features: list[Feature] = []
    for g in spec.groups:
        src = _source(g, origin)
        if g.column is not None and g.column not in src.column_names:
            raise ConfigError(
                f"{origin}: feature {g.name!r}: source {g.source!r} has no column {g.column!r}; "
                f"it has {', '.join(src.column_names)}"
            )
        for col, values in g.filter.items():
            if col not in src.column_names:
                raise ConfigError(f"{origin}: feature {g.name!r}: filter on unknown column {col!r} of {g.source!r}")
            allowed = src.column(col).categories
            bad = [v for v in values if allowed and v not in allowed]
            if bad:
                raise ConfigError(
                    f"{origin}: feature {g.name!r}: filter {col} = {bad!r} is not among {', '.join(allowed)}"
                )
        for agg_name in g.aggs:
            agg = AGGREGATIONS.get(agg_name)
            if agg is None:
                raise ConfigError(
                    f"{origin}: feature {g.name!r}: unknown aggregation {agg_name!r}; "
                    f"expected one of: {', '.join(AGGREGATIONS)}"
                )
            _check_fit(g, src, agg, origin)
            windows: tuple[int | None, ...] = g.windows if agg.kind == "window" else (None,)
            for w in windows:
                name = f"{g.name}_{agg_name}" + (f"_{w}m" if w is not None else "")
                features.append(
                    Feature(
                        name=name,
                        source=g.source,
                        column=g.column,
                        agg=agg_name,
                        window=w,
                        filter=tuple(sorted(g.filter.items())),
                        description=g.description,
                        edges=g.edges if agg_name == "band" else (),
                    )
                )
    known = [f.name for f in features]
    duplicated = sorted({n for n in known if known.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{origin}: feature names are not unique: {', '.join(duplicated)}")
    derived = []
    for d in spec.derived:
        for part in d.operands:
            if part not in known:
                raise ConfigError(f"{origin}: derived feature {d.name!r} uses unknown feature {part!r}")
        if d.name in known:
            raise ConfigError(f"{origin}: derived feature {d.name!r} has the name of another feature")
        derived.append(Derived(name=d.name, op=d.op, operands=d.operands, description=d.description))
    peers = _peers(spec.peers, features, origin)
    taken = set(known) | {d.name for d in derived}
    clashes = sorted(p.name for p in peers if p.name in taken)
    if clashes:
        raise ConfigError(f"{origin}: peer features {', '.join(clashes)} have the names of other features")
    return FeatureSet(features=tuple(features), derived=tuple(derived), peers=tuple(peers))


def _peers(specs: tuple[PeerSpec, ...], features: list[Feature], origin: str) -> list[Peer]:
    """Check each peer group's key and features; one Peer per (group, feature)."""
    registry = CONTRACT["registry"]
    text = {f.name for f in features if f.text}
    known = {f.name for f in features}
    out: list[Peer] = []
    for p in specs:
        if p.key not in registry.column_names or p.key == "uscc":
            raise ConfigError(
                f"{origin}: peer group {p.name!r}: key {p.key!r} is not a registry column; "
                f"use one of: {', '.join(c for c in registry.column_names if c != 'uscc')}"
            )
        for part in p.of:
            if part not in known:
                raise ConfigError(f"{origin}: peer group {p.name!r} uses unknown feature {part!r} (derived ones are not allowed)")
            if part in text:
                raise ConfigError(f"{origin}: peer group {p.name!r}: {part!r} is not a number, so it has no worst value")
            out.append(Peer(name=f"{p.name}_{part}", key=p.key, operand=part, description=p.description))
    return out


def _source(g: GroupSpec, origin: str) -> Source:
    src = CONTRACT.get(g.source)
    if src is None:
        raise ConfigError(
            f"{origin}: feature {g.name!r}: unknown source {g.source!r}; expected one of: {', '.join(CONTRACT)}"
        )
    return src


def _check_fit(g: GroupSpec, src: Source, agg: Aggregation, origin: str) -> None:
    where = f"{origin}: feature {g.name!r}"
    if src.grain not in agg.grains:
        raise ConfigError(f"{where}: aggregation {agg.name!r} does not apply to {src.grain} source {src.name!r}")
    if agg.needs_column and g.column is None:
        raise ConfigError(f"{where}: aggregation {agg.name!r} needs a column")
    if agg.kind == "window" and not g.windows:
        raise ConfigError(f"{where}: aggregation {agg.name!r} needs windows (months), e.g. [3, 6, 12]")
    if agg.kind == "state" and src.end_column is None and agg.name == "open_count":
        raise ConfigError(f"{where}: source {src.name!r} has no end date, so nothing is open or closed")
    if g.column is not None and agg.numeric and agg.needs_column:
        dtype = src.column(g.column).dtype
        if dtype not in ("int", "float") and agg.kind != "entity":
            raise ConfigError(f"{where}: aggregation {agg.name!r} needs a number, {g.column!r} is {dtype}")
        if agg.name == "age_months" and dtype != "date":
            raise ConfigError(f"{where}: age_months needs a date column, {g.column!r} is {dtype}")


DEFAULT_FEATURES = Path(__file__).with_name("features.yaml")
"""The embedded default; configs/features.yaml is the same file, kept equal by a test."""


def load_features(path: Path | str | None = None) -> FeatureSet:
    """Load a feature file (the embedded default when None) and expand it."""
    path = Path(path) if path is not None else DEFAULT_FEATURES
    return expand(load_config(FeatureFile, path), str(path))
