"""Building features: point in time, deterministic, labels that agree with the truth."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whitelist.core.errors import ConfigError, InputDataError
from whitelist.features.build import build_features, manifest_path, parse_as_of
from whitelist.sources.validate import validate_folder
from whitelist.features.compile import bound
from whitelist.features.spec import load_features
from whitelist.sources.contract import CONTRACT
from whitelist.sources.validate import QUALITY_REPORT, sealed_files

FEATURES = load_features()
AS_OF = date(2023, 6, 30)


def _build(folder: Path, out: Path, as_of: list[date], labels: bool = False) -> pd.DataFrame:
    build_features(folder, as_of, out, FEATURES, labels=labels, memory_limit="1GB")
    return pd.read_parquet(out)


def _reseal(folder: Path) -> None:
    """Record a hand-edited validated folder's files in its report, as validation would have written them."""
    report = folder / QUALITY_REPORT
    quality = json.loads(report.read_text(encoding="utf-8"))
    quality["files"] = sealed_files(folder)
    report.write_text(json.dumps(quality), encoding="utf-8")


def _spoil_the_future(src: Path, dst: Path, as_of: date, rng: np.random.Generator) -> int:
    """Copy a validated folder, changing and adding every record not available at ``as_of``."""
    shutil.copytree(src, dst)
    touched = 0
    for name, spec in CONTRACT.items():
        if spec.date_column is None:
            continue
        path = dst / f"{name}.parquet"
        table = pd.read_parquet(path)
        cutoff = pd.Timestamp(bound(spec, as_of).cutoff)
        unknown = pd.to_datetime(table[spec.date_column]) > cutoff
        if spec.received_column:
            unknown |= pd.to_datetime(table[spec.received_column]) > pd.Timestamp(as_of)
        future = table[unknown].copy()
        for col in spec.columns:
            if col.dtype in ("float", "int") and col.name in future:
                future[col.name] = (future[col.name] * rng.uniform(0.1, 3.0, len(future))).round().astype(
                    future[col.name].dtype
                )
        # Records that appear later: copies moved a year on, as if new periods and events arrived.
        extra = table.sample(n=min(len(table), 200), random_state=1).copy()
        later = (pd.Timestamp(as_of) + pd.DateOffset(years=1) + pd.offsets.MonthEnd(0)).date()
        extra[spec.date_column] = later
        if spec.received_column:
            extra[spec.received_column] = later + timedelta(days=5)
        if "case_id" in extra:
            extra["case_id"] = extra["case_id"] + "-later"
        if "penalty_id" in extra:
            extra["penalty_id"] = extra["penalty_id"] + "-later"
        if "loan_id" in extra:
            extra["loan_id"] = extra["loan_id"] + "-later"
        table = pd.concat([table[~unknown], future, extra], ignore_index=True)
        table.to_parquet(path, index=False)
        touched += int(unknown.sum()) + len(extra)
    _reseal(dst)
    return touched


@pytest.mark.parametrize("as_of", [date(2022, 3, 31), date(2023, 6, 30), date(2024, 11, 30)])
def test_records_not_available_at_the_as_of_date_change_no_feature(
    province: tuple[Path, Path], tmp_path: Path, as_of: date
) -> None:
    _, validated = province
    before = _build(validated, tmp_path / "before.parquet", [as_of])
    touched = _spoil_the_future(validated, tmp_path / "spoiled", as_of, np.random.default_rng(as_of.toordinal()))
    assert touched > 1000
    after = _build(tmp_path / "spoiled", tmp_path / "after.parquet", [as_of])
    pd.testing.assert_frame_equal(before, after)


def test_a_record_counts_from_its_cutoff_on(province: tuple[Path, Path], tmp_path: Path) -> None:
    """The same sales move into the 3-month window exactly when period + 45 days is reached."""
    _, validated = province
    tax = pd.read_parquet(validated / "tax.parquet")
    on_time = pd.to_datetime(tax["received_date"]) <= pd.Timestamp("2023-05-15")
    firsts = tax[on_time].groupby("uscc")["period"].min()
    code = firsts[firsts == date(2023, 3, 31)].index[0]  # first declaration: March 2023
    available = date(2023, 3, 31) + timedelta(days=CONTRACT["tax"].lag_days)
    frames = _build(validated, tmp_path / "f.parquet", [available - timedelta(days=1), available], labels=False)
    mine = frames[frames["uscc"] == code].set_index("as_of")
    day_before, day_of = mine.loc[available - timedelta(days=1)], mine.loc[available]
    assert day_before["tax_filings_count_12m"] == 0 and pd.isna(day_before["tax_filings_months_since_first"])
    assert day_of["tax_filings_count_12m"] == 1
    assert day_of["tax_filings_months_since_first"] == 2  # March to May


def test_same_inputs_give_identical_bytes(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    for name in ("a", "b"):
        build_features(validated, [AS_OF, date(2024, 6, 30)], tmp_path / f"{name}.parquet", FEATURES, memory_limit="1GB")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_scoring_set_is_the_visit_list_once_per_date(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    frame = _build(validated, tmp_path / "s.parquet", [date(2024, 6, 30), date(2024, 12, 31)])
    visits = pd.read_parquet(validated / "visit_list.parquet")["uscc"]
    for _, group in frame.groupby("as_of"):
        assert sorted(group["uscc"]) == sorted(visits)
    assert list(frame.columns[:2]) == ["uscc", "as_of"]
    assert set(FEATURES.names) <= set(frame.columns)


def test_labels_agree_with_the_hidden_truth(province: tuple[Path, Path], tmp_path: Path) -> None:
    raw, validated = province
    frame = _build(validated, tmp_path / "l.parquet", [date(2022, 12, 31), AS_OF], labels=True)
    truth = pd.read_parquet(raw / "truth_panel.parquet")
    merged = frame.merge(truth, on=["uscc", "as_of"], how="left", suffixes=("", "_true"))
    labelled = merged[merged["default_12m"].notna() & merged["default_12m_true"].notna()]
    assert len(labelled) > 500
    agreement = (labelled["default_12m"].astype(bool) == labelled["default_12m_true"]).mean()
    assert agreement > 0.995  # the rest: months missing in the credit source
    assert 0.01 < labelled["default_12m"].mean() < 0.05
    unlabelled = merged[merged["default_12m"].isna()]
    assert not unlabelled.empty  # no credit in the year before: a row, but no label


def test_an_entity_already_in_default_is_never_labelled_a_good(province: tuple[Path, Path], tmp_path: Path) -> None:
    """A defaulted loan written off months ago leaves credit in the year before but no 90+ lately: still no good."""
    raw, validated = province
    as_of = [date(2023, 6, 30), date(2023, 12, 31)]
    frame = _build(validated, tmp_path / "d.parquet", as_of, labels=True)
    truth = pd.read_parquet(raw / "truth.parquet", columns=["uscc", "default_date"]).dropna()
    merged = frame.merge(truth, on="uscc")
    defaulted = pd.to_datetime(merged["default_date"]) <= pd.to_datetime(merged["as_of"])
    before = merged[defaulted & merged["default_12m"].notna()]
    defaulted_months_ago = truth[pd.to_datetime(truth["default_date"]) <= pd.Timestamp(2023, 12, 31) - pd.DateOffset(months=14)]
    assert len(defaulted_months_ago) > 5  # the province has such entities to leave out
    assert before.empty, before[["uscc", "as_of", "default_date", "default_12m"]].head()


def test_labelled_population_is_every_active_registry_entity(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    frame = _build(validated, tmp_path / "p.parquet", [AS_OF], labels=True)
    registry = pd.read_parquet(validated / "registry.parquet")
    cutoff = pd.Timestamp(bound(CONTRACT["registry"], AS_OF).cutoff)
    established, ended = pd.to_datetime(registry["established"]), pd.to_datetime(registry["status_date"])
    active = registry[(established <= cutoff) & ~(ended <= cutoff)]
    assert set(frame["uscc"]) <= set(active["uscc"])
    assert len(frame) > 0.95 * len(active)  # only those already in default are left out
    visits = set(pd.read_parquet(validated / "visit_list.parquet")["uscc"])
    assert set(frame["uscc"]) - visits  # firms that later failed are in the training population


def test_an_entity_out_of_business_with_no_end_date_is_in_no_population(province: tuple[Path, Path], tmp_path: Path) -> None:
    """One rule (``sources.status``) for features and scoring: revoked without a date is out of business."""
    from whitelist.scoring.inputs import _active_at

    raw = tmp_path / "raw"
    shutil.copytree(province[0], raw)
    registry = pd.read_parquet(raw / "registry.parquet")
    frame = _build(province[1], tmp_path / "before.parquet", [AS_OF], labels=True)
    code = sorted(set(frame["uscc"]) & set(registry.loc[registry["status"] == "active", "uscc"]))[0]
    registry.loc[registry["uscc"] == code, "status"] = "revoked"
    registry.loc[registry["uscc"] == code, "status_date"] = None
    registry.to_parquet(raw / "registry.parquet", index=False)
    validate_folder(raw, tmp_path / "validated", memory_limit="1GB")
    after = _build(tmp_path / "validated", tmp_path / "after.parquet", [AS_OF], labels=True)
    assert code not in set(after["uscc"]) and len(after) == len(frame) - 1
    row = registry[registry["uscc"] == code]
    assert _active_at(row, AS_OF).tolist() == [0]


@given(st.sampled_from(["active", "revoked", "cancelled", None]),
       st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2030, 12, 31))),
       st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_the_in_business_rule_reads_the_same_in_sql_and_in_pandas(status: str | None, ended: date | None, cutoff: date) -> None:
    from whitelist.sources.status import in_business, in_business_sql

    sql = in_business_sql("s", "e", "c")
    with duckdb.connect() as con:  # its own connection: the module's default one is shared by other tests
        got = con.execute(
            f"SELECT {sql} FROM (SELECT CAST(? AS VARCHAR) s, CAST(? AS DATE) e, CAST(? AS DATE) c)", [status, ended, cutoff]
        ).fetchone()
    frame = pd.DataFrame({"status": [status], "status_date": [ended]})
    assert got is not None
    assert bool(got[0]) == bool(in_business(frame["status"], frame["status_date"], cutoff)[0])
    assert bool(got[0]) == (status == "active" or (ended is not None and ended > cutoff))


def test_manifest_records_definitions_lags_and_hashes(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    out = tmp_path / "m.parquet"
    build_features(validated, [AS_OF], out, FEATURES, memory_limit="1GB")
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["as_of"] == [AS_OF.isoformat()]
    named = [f["name"] for f in manifest["features"]] + [d["name"] for d in manifest["derived"]]
    assert named + [p["name"] for p in manifest["peers"]] == list(FEATURES.names)
    assert manifest["sources"]["tax"]["lag_days"] == 45
    assert manifest["sources"]["tax"]["cutoff_by_as_of"][AS_OF.isoformat()] == "2023-05-16"
    assert len(manifest["inputs"]["tax"]["sha256"]) == 64
    assert manifest["rows"] == pq.ParquetFile(out).metadata.num_rows


def test_absent_optional_source_gives_documented_missing_values(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    folder = tmp_path / "no-customs"
    shutil.copytree(validated, folder)
    (folder / "customs.parquet").unlink()
    _reseal(folder)
    frame = _build(folder, tmp_path / "n.parquet", [AS_OF])
    assert (frame["exports_sum_12m"] == 0).all()
    assert frame["exports_growth_yoy_12m"].isna().all()


def test_unvalidated_folder_is_refused_with_what_to_run(province: tuple[Path, Path], tmp_path: Path) -> None:
    raw, _ = province
    with pytest.raises(InputDataError, match="not a validated folder .* run `whitelist validate"):
        build_features(raw, [AS_OF], tmp_path / "x.parquet", FEATURES)


def test_labels_need_a_year_of_credit_data_after_the_date(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    with pytest.raises(ConfigError, match="needs 12 months of credit data after each as-of date.*2024-06-30"):
        build_features(validated, [date(2024, 6, 30)], tmp_path / "x.parquet", FEATURES, labels=True)


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_as_of_ranges_are_the_month_ends_between(a: date, b: date) -> None:
    first, last = min(a, b), max(a, b)
    expected = tuple(d.date() for d in pd.date_range(first, last, freq="ME"))
    if not expected:
        with pytest.raises(ConfigError, match="holds no month end"):
            parse_as_of(f"{first}..{last}")
    else:
        assert parse_as_of(f"{first}..{last}") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-13-01", "expected a date as YYYY-MM-DD, got '2024-13-01'"), ("2024-06-30..2024-01-31", "ends before it starts"), (" , ", "expected a date")],
)
def test_bad_as_of_says_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_as_of(text)


def test_duckdb_reads_the_table_back(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    out = tmp_path / "d.parquet"
    build_features(validated, [AS_OF], out, FEATURES, memory_limit="1GB")
    con = duckdb.connect()
    types = dict(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()[i][:2] for i in range(3))
    assert types["as_of"] == "DATE"


def test_an_as_of_date_long_after_the_data_is_flagged(province: tuple[Path, Path], tmp_path: Path) -> None:
    _, validated = province
    late = build_features(validated, [date(2025, 6, 30)], tmp_path / "late.parquet", FEATURES, memory_limit="1GB")
    assert late.warnings and "181 days after the data ends (2024-12-31)" in late.warnings[0]
    fresh = build_features(validated, [date(2024, 12, 31)], tmp_path / "fresh.parquet", FEATURES, memory_limit="1GB")
    assert fresh.warnings == ()
