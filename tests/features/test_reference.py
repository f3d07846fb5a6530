"""Every feature the SQL builds equals a slow pandas reference written from the documented meaning.

One small province with data-quality defects (duplicates, late records, missing months, bad
codes) is generated and validated once; a two-date panel over the visit list and a
labelled training set are built with ``build_features`` and compared, column by column and
row by row, with ``tests/features/reference.py`` run on the same validated files. Whole
numbers must be equal, other numbers equal to a relative 1e-9, texts equal, and empty
cells in the same places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.features import reference as ref
from whitelist.features.build import build_features
from whitelist.features.spec import Feature, load_features
from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic import SyntheticConfig, generate_province
from whitelist.sources.validate import validate_folder

FEATURES = load_features()
PANEL_AS_OF = (date(2023, 6, 30), date(2024, 12, 31))
LABEL_AS_OF = (date(2023, 6, 30),)
"""Labels need 12 months of credit after the as-of date; the generated data ends 2024-12."""
RTOL = 1e-9
SHOWN = 5


@dataclass(frozen=True)
class Compared:
    """A built table and the reference's table of the same population."""

    what: str
    built: pd.DataFrame
    expected: pd.DataFrame


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A validated 1,500-entity province, generated with its defects."""
    root = tmp_path_factory.mktemp("reference-province")
    generate_province(SyntheticConfig(enterprises=1_500, seed=7, chunk_size=1_000), root / "raw")
    validate_folder(root / "raw", root / "validated", memory_limit="1GB")
    return root / "validated"


@pytest.fixture(scope="module")
def tables(validated: Path) -> tuple[Compared, Compared]:
    """(visit-list panel, labelled training set): built by the SQL and by the reference."""
    out = validated.parent
    build_features(validated, PANEL_AS_OF, out / "panel.parquet", FEATURES, labels=False, memory_limit="1GB")
    build_features(validated, LABEL_AS_OF, out / "train.parquet", FEATURES, labels=True, memory_limit="1GB")
    return (
        Compared(
            what="visit-list panel",
            built=pd.read_parquet(out / "panel.parquet"),
            expected=ref.reference_table(validated, PANEL_AS_OF, FEATURES, labels=False),
        ),
        Compared(
            what="labelled build",
            built=pd.read_parquet(out / "train.parquet"),
            expected=ref.reference_table(validated, LABEL_AS_OF, FEATURES, labels=True),
        ),
    )


# ------------------------------------------------------------------------------ comparing


def _mismatches(built: pd.Series, expected: pd.Series, kind: str) -> np.ndarray:
    """Rows where the two columns disagree: emptiness, then value by ``kind``."""
    got_empty = built.isna().to_numpy()
    want_empty = expected.isna().to_numpy()
    both = ~got_empty & ~want_empty
    if kind == "text":
        got = built.astype(object).to_numpy()
        want = expected.to_numpy(dtype=object, na_value=None)
        differ = np.array([g != w for g, w in zip(got, want)], dtype=bool)
    else:
        got = built.astype("float64").to_numpy()
        want = expected.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        if kind == "int":
            differ = (got != want) | (np.floor(got) != got)
        else:
            differ = ~np.isclose(got, want, rtol=RTOL, atol=0.0)
    return (got_empty != want_empty) | (both & differ)


def _report(name: str, table: Compared, kind: str) -> str | None:
    """None when the column agrees; otherwise the feature, the count and a few offending entities."""
    built, expected = table.built[name], table.expected[name]
    bad = np.flatnonzero(_mismatches(built, expected, kind))
    if bad.size == 0:
        return None
    examples = "; ".join(
        f"uscc {table.built['uscc'].iloc[i]} as of {table.built['as_of'].iloc[i]}: "
        f"expected {_show(expected.iloc[i])}, got {_show(built.iloc[i])}"
        for i in bad[:SHOWN]
    )
    return f"{name} ({table.what}): {bad.size} of {len(built)} rows differ from the reference; {examples}"


def _show(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "empty"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _kind(name: str) -> str:
    name = next((p.operand for p in FEATURES.peers if p.name == name), name)  # a peer's worst is its feature's kind
    for f in FEATURES.features:
        if f.name == name:
            return {"int": "int", "text": "text"}.get(ref.column_kind(f), "float")
    return "float"  # derived ratios


# ------------------------------------------------------------------------------ the tables


def test_the_province_carries_defects_for_validation_to_remove(validated: Path) -> None:
    reasons = pd.concat(
        [pd.read_parquet(p, columns=["_reason"]) for p in (validated / "quarantine").glob("*.parquet")]
    )["_reason"]
    assert {"duplicate_row", "invalid_uscc", "negative_value"} <= set(reasons)


def test_the_reference_has_every_column_of_the_build(tables: tuple[Compared, Compared]) -> None:
    for table in tables:
        assert list(table.built.columns) == list(table.expected.columns), table.what
        features = [c for c in table.built.columns if c not in ("uscc", "as_of", ref.LABEL)]
        assert features == list(FEATURES.names), table.what


def test_both_populations_hold_the_same_enterprises_in_the_same_order(
    tables: tuple[Compared, Compared],
) -> None:
    for table in tables:
        got = list(zip(table.built["uscc"], table.built["as_of"]))
        want = list(zip(table.expected["uscc"], table.expected["as_of"]))
        missing, extra = sorted(set(want) - set(got))[:SHOWN], sorted(set(got) - set(want))[:SHOWN]
        assert got == want, f"{table.what}: missing {missing}, unexpected {extra}"
        assert len(got) > 1_000


def test_the_label_equals_the_reference(tables: tuple[Compared, Compared]) -> None:
    labelled = tables[1]
    problem = _report(ref.LABEL, labelled, "int")
    assert problem is None, problem
    assert labelled.expected[ref.LABEL].notna().sum() > 100
    assert labelled.expected[ref.LABEL].sum() > 0


@pytest.mark.parametrize("name", FEATURES.names)
def test_feature_equals_the_reference(tables: tuple[Compared, Compared], name: str) -> None:
    problems = [p for table in tables if (p := _report(name, table, _kind(name))) is not None]
    assert not problems, "\n".join(problems)
    assert any(table.expected[name].notna().any() for table in tables), f"{name}: every value is empty"


# ------------------------------------------------------------------------------ the reference itself


def _feature(agg: str, window: int | None) -> Feature:
    return Feature(
        name=f"x_{agg}", source="tax", column="sales", agg=agg, window=window, filter=(), description=""
    )


def _records(values: dict[int, str]) -> ref.Records:
    """Records of the given months (month index: value as written)."""
    months = tuple(values)
    return ref.Records(
        months=months,
        dates=tuple(date(m // 12, m % 12 + 1, 1) for m in months),
        ends=(None,) * len(months),
        values=tuple(Decimal(v) for v in values.values()),
    )


TAX_AT_END_OF_JUNE = ref.point(CONTRACT["tax"], date(2024, 6, 30))
APRIL = ref.month_index(date(2024, 4, 30))


@pytest.mark.parametrize("f", [f for f in FEATURES.features if f.source != "registry"], ids=lambda f: f.name)
def test_no_record_gives_the_documented_missing_value(f: Feature) -> None:
    at = ref.point(CONTRACT[f.source], date(2024, 6, 30))
    assert ref.AGGREGATORS[f.agg](ref.NO_RECORDS, f, at) == ref.missing_value(f)


def test_a_tax_window_at_the_end_of_june_covers_february_to_april() -> None:
    # docs/features.md: tax has a 45-day lag, so 3 months at 2024-06-30 are February to April 2024.
    assert TAX_AT_END_OF_JUNE.anchor == APRIL
    records = _records({APRIL - 3 + i: str(i) for i in range(5)})  # January to May: 0 .. 4
    assert ref.agg_sum(records, _feature("sum", 3), TAX_AT_END_OF_JUNE) == 1 + 2 + 3
    assert ref.agg_missing_months(records, _feature("missing_months", 6), TAX_AT_END_OF_JUNE) == 2


def test_the_slope_of_a_line_is_its_step_and_missing_months_do_not_bend_it() -> None:
    months = (APRIL - 5, APRIL - 2, APRIL - 1, APRIL)
    line = _records({m: str(Decimal("10.5") + 3 * (m - APRIL)) for m in months})
    assert ref.agg_slope(line, _feature("slope", 6), TAX_AT_END_OF_JUNE) == 3
    flat = _records(dict.fromkeys(months, "471.9"))
    assert ref.agg_slope(flat, _feature("slope", 6), TAX_AT_END_OF_JUNE) == 0
    assert ref.agg_slope(flat, _feature("slope", 1), TAX_AT_END_OF_JUNE) is None


def test_growth_is_empty_only_when_the_year_before_is_empty_or_zero() -> None:
    def growth(values: dict[int, str]) -> ref.Value:
        return ref.agg_growth_yoy(_records(values), _feature("growth_yoy", 3), TAX_AT_END_OF_JUNE)

    assert growth({APRIL - 12: "50", APRIL: "60"}) == Decimal("0.2")
    assert growth({APRIL - 12: "50"}) == -1  # the documented meaning; compile.py gives empty here
    assert growth({APRIL: "60"}) is None
    assert growth({APRIL - 12: "0", APRIL: "60"}) is None


def test_every_built_value_lies_within_the_bounds_real_time_payloads_are_held_to(tables: tuple[Compared, Compared]) -> None:
    """The serving API refuses payload values outside ``feature_bounds``: batch features never are."""
    from whitelist.features.bounds import feature_bounds

    bounds = feature_bounds(FEATURES)
    outside = []
    for table in tables:
        for name, b in bounds.items():
            col = table.built[name]
            if not pd.api.types.is_numeric_dtype(col):
                continue
            values = col.dropna().astype("float64")
            bad = values[(values < b.low) | (values > b.high)]
            if len(bad):
                outside.append(f"{table.what}: {name} {bad.iloc[0]!r} not in {b.text()} ({len(bad)} rows)")
    assert not outside, "\n".join(outside)
    assert bounds["tax_sales_sum_12m"].high == 12 * CONTRACT["tax"].column("sales").maximum
    assert bounds["tax_filings_count_12m"].text() == "[0, 12]"
