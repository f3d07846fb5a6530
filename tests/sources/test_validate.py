"""Validating a folder: every defect lands in quarantine with its reason, and nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.sources.conftest import clean_frames, codes, write_folder
from whitelist.core.errors import ConfigError, InputDataError
from whitelist.core.io import file_sha256
from whitelist.sources.contract import CONTRACT, REASON_CODES, SOURCES, TAX
from whitelist.sources.validate import ValidationResult, validate_folder

END = date(2024, 12, 31)
Frames = dict[str, pd.DataFrame]
Mutation = Callable[[Frames], None]


def run(
    tmp_path: Path, frames: Frames, fmt: str = "csv", end: date | None = END, **kwargs: object
) -> ValidationResult:
    raw = write_folder(tmp_path / "raw", frames, fmt)
    return validate_folder(raw, tmp_path / "out", end=end, memory_limit="500MB", **kwargs)  # type: ignore[arg-type]


def quarantined(result: ValidationResult, name: str) -> pd.DataFrame:
    return pd.read_parquet(result.out / "quarantine" / f"{name}.parquet")


def assert_reconciles(result: ValidationResult) -> None:
    for r in result.sources:
        assert r.rows_valid + r.rows_quarantined == r.rows_read, r.name
        if r.present:
            assert pq.ParquetFile(r.output).metadata.num_rows == r.rows_valid
            actions = pd.read_parquet(r.quarantine, columns=["_action"])["_action"].value_counts().to_dict()
            assert actions.get("reject_row", 0) == r.rows_quarantined, r.name
            assert actions.get("clear_field", 0) == r.fields_cleared, r.name


def cell(source: str, row: int, column: str, text: str) -> Mutation:
    def mutate(frames: Frames) -> None:
        frame = frames[source].astype(object)
        frame.loc[row, column] = text
        frames[source] = frame

    return mutate


def append_copy(source: str, row: int, **changes: object) -> Mutation:
    def mutate(frames: Frames) -> None:
        frame = frames[source]
        frames[source] = pd.concat([frame, frame.iloc[[row]].assign(**changes)], ignore_index=True)

    return mutate


REGISTERED = codes(20)
BAD_CHECK = REGISTERED[0][:17] + ("0" if REGISTERED[0][17] != "0" else "1")
OUTSIDER = codes(1, start=10_000)[0]
TAX_ROW_16 = clean_frames()["tax"].iloc[16]

REASON_TABLE = [
    ("wrong check character", "tax", cell("tax", 0, "uscc", BAD_CHECK), "invalid_uscc", "uscc", 1),
    ("short code", "tax", cell("tax", 0, "uscc", "9133010"), "invalid_uscc", "uscc", 1),
    (
        "letter outside the alphabet",
        "registry",
        cell("registry", 0, "uscc", "I" * 18),
        "invalid_uscc",
        "uscc",
        1,
    ),
    ("empty code", "tax", cell("tax", 1, "uscc", ""), "missing_value", "uscc", 2),
    ("blank name", "registry", cell("registry", 2, "name", "  "), "missing_value", "name", 3),
    ("NULL amount", "tax", cell("tax", 2, "sales", "NULL"), "missing_value", "sales", 3),
    ("thousands separator", "tax", cell("tax", 3, "sales", "1,000"), "bad_type", "sales", 4),
    ("fraction in a count", "tax", cell("tax", 3, "period_months", "1.5"), "bad_type", "period_months", 4),
    ("no such day", "tax", cell("tax", 4, "period", "2024-13-45"), "bad_date", "period", 5),
    ("bad industry class", "registry", cell("registry", 5, "industry", "X1711"), "bad_format", "industry", 6),
    ("short town code", "visit_list", cell("visit_list", 1, "town", "33010200"), "bad_format", "town", 2),
    (
        "unknown entity type",
        "registry",
        cell("registry", 6, "entity_type", "company"),
        "unknown_category",
        "entity_type",
        7,
    ),
    ("unknown tax grade", "tax", cell("tax", 7, "tax_grade", "Z"), "unknown_category", "tax_grade", 8),
    ("negative arrears", "tax", cell("tax", 8, "arrears", "-1"), "negative_value", "arrears", 9),
    ("above the maximum", "tax", cell("tax", 9, "sales", "2e13"), "impossible_value", "sales", 10),
    (
        "below the minimum",
        "tax",
        cell("tax", 10, "period_months", "0"),
        "impossible_value",
        "period_months",
        11,
    ),
    (
        "received before its period",
        "tax",
        cell("tax", 11, "received_date", "2001-01-01"),
        "impossible_value",
        "received_date",
        12,
    ),
    (
        "removed before listed",
        "abnormal",
        cell("abnormal", 3, "removed_date", "2019-01-01"),
        "impossible_value",
        "removed_date",
        4,
    ),
    (
        "period after the window",
        "utilities",
        cell("utilities", 12, "period", "2031-01-31"),
        "date_out_of_window",
        "period",
        13,
    ),
    (
        "period after the window, before receipt: the far date is the cause",
        "tax",
        cell("tax", 12, "period", "2031-01-31"),
        "date_out_of_window",
        "period",
        13,
    ),
    (
        "received before its period",
        "tax",
        cell("tax", 12, "received_date", "2000-01-31"),
        "impossible_value",
        "received_date",
        13,
    ),
    (
        "established before 1949",
        "registry",
        cell("registry", 13, "established", "1900-01-01"),
        "date_out_of_window",
        "established",
        14,
    ),
    ("code not in the registry", "tax", cell("tax", 14, "uscc", OUTSIDER), "unknown_entity", "uscc", 15),
    (
        "visit not in the registry",
        "visit_list",
        cell("visit_list", 0, "uscc", OUTSIDER),
        "unknown_entity",
        "uscc",
        1,
    ),
    ("exact copy", "tax", append_copy("tax", 15), "duplicate_row", "*", 241),
    (
        "same key received later wins",
        "tax",
        append_copy("tax", 16, sales=1.0, received_date=TAX_ROW_16["received_date"] + timedelta(days=30)),
        "duplicate_key",
        "uscc,period",
        17,
    ),
    (
        "same key received earlier loses",
        "tax",
        append_copy("tax", 16, sales=1.0, received_date=TAX_ROW_16["period"]),
        "duplicate_key",
        "uscc,period",
        241,
    ),
    (
        "same key without received dates: the later row wins",
        "abnormal",
        append_copy("abnormal", 0, removed_date=date(2022, 1, 1)),
        "duplicate_key",
        "uscc,listed_date,reason",
        1,
    ),
]


def test_the_table_covers_every_reason() -> None:
    assert {case[3] for case in REASON_TABLE} == set(REASON_CODES)


@pytest.mark.parametrize(
    ("source", "mutate", "reason", "column", "row"),
    [case[1:] for case in REASON_TABLE],
    ids=[case[0] for case in REASON_TABLE],
)
def test_each_defect_lands_in_quarantine_with_its_reason(
    tmp_path: Path, source: str, mutate: Mutation, reason: str, column: str, row: int
) -> None:
    frames = clean_frames()
    mutate(frames)
    result = run(tmp_path, frames)
    q = quarantined(result, source)
    action = "clear_field" if column in OPTIONAL_VALUES else "reject_row"
    assert list(zip(q["_row"], q["_action"], q["_reason"], q["_column"], strict=True)) == [
        (row, action, reason, column)
    ]
    assert q["_detail"].notna().all()
    assert_reconciles(result)


OPTIONAL_VALUES = {"tax_grade", "received_date", "removed_date", "registered_capital"}
"""Values a record may lack: a defect clears the value and keeps the row."""


@pytest.mark.parametrize(
    ("source", "column", "text", "reason"),
    [
        ("registry", "registered_capital", "-5", "negative_value"),
        ("tax", "tax_grade", "Z", "unknown_category"),
        ("tax", "received_date", "2001-01-01", "impossible_value"),
        ("abnormal", "removed_date", "2019-01-01", "impossible_value"),
    ],
)
def test_a_bad_optional_value_is_cleared_and_the_row_kept(
    tmp_path: Path, source: str, column: str, text: str, reason: str
) -> None:
    """One bad figure does not lose a record: the value becomes missing, the quarantine keeps the original."""
    frames = clean_frames()
    original = frames[source].iloc[3]
    cell(source, 3, column, text)(frames)
    result = run(tmp_path, frames)
    kept = pd.read_parquet(result.out / f"{source}.parquet")
    assert len(kept) == len(frames[source])
    key = list(CONTRACT[source].key)
    same = (kept[key].astype(str) == pd.Series(original[key]).astype(str).to_numpy()).all(axis=1)
    assert same.sum() == 1 and pd.isna(kept.loc[same, column]).all()
    q = quarantined(result, source)
    assert list(zip(q["_row"], q["_action"], q["_reason"], q["_column"], q[column], strict=True)) == [
        (4, "clear_field", reason, column, text)
    ]
    assert result.source(source).fields_cleared == 1 and result.source(source).rows_quarantined == 0
    assert_reconciles(result)


def test_a_rejected_row_is_recorded_once_and_a_kept_row_once_per_cleared_value(tmp_path: Path) -> None:
    frames = clean_frames()
    cell("tax", 2, "tax_grade", "Z")(frames)
    cell("tax", 2, "arrears", "-1")(frames)  # required: the row goes, reported by its first failure only
    cell("tax", 5, "tax_grade", "Z")(frames)
    cell("tax", 5, "received_date", "2001-01-01")(frames)  # both optional: the row stays, two values cleared
    result = run(tmp_path, frames)
    q = quarantined(result, "tax")
    assert list(zip(q["_row"], q["_action"], q["_column"], strict=True)) == [
        (3, "reject_row", "arrears"),
        (6, "clear_field", "received_date"),
        (6, "clear_field", "tax_grade"),
    ]
    assert_reconciles(result)


@pytest.mark.parametrize(
    ("mutate", "detail"),
    [
        (
            cell("tax", 0, "uscc", BAD_CHECK),
            f"check character is {BAD_CHECK[17]!r}, expected {REGISTERED[0][17]!r}",
        ),
        (cell("tax", 3, "sales", "1,000"), "'1,000' is not a number"),
        (cell("tax", 8, "arrears", "-1"), "-1.0 is negative"),
        (cell("tax", 9, "sales", "2e13"), "20000000000000.0 is above the maximum 1e+13"),
        (cell("tax", 12, "period", "2031-01-31"), "2031-01-31 is after the window end 2024-12-31"),
        (cell("tax", 7, "tax_grade", "Z"), "'Z' is not one of: A, B, M, C, D"),
        (append_copy("tax", 15), "same values as row 16, which is kept"),
    ],
)
def test_details_say_what_is_wrong(tmp_path: Path, mutate: Mutation, detail: str) -> None:
    frames = clean_frames()
    mutate(frames)
    assert list(quarantined(run(tmp_path, frames), "tax")["_detail"]) == [detail]


def test_entity_with_a_quarantined_registry_row_keeps_its_other_rows(tmp_path: Path) -> None:
    """A registry row rejected for a bad industry code does not make the entity unknown: its tax rows stay valid
    (and scoring marks the entity invalid rather than losing it)."""
    frames = clean_frames()
    code = frames["registry"].loc[3, "uscc"]
    cell("registry", 3, "industry", "X1711")(frames)
    result = run(tmp_path, frames)
    assert list(zip(quarantined(result, "registry")["_action"], quarantined(result, "registry")["_reason"])) == [
        ("reject_row", "bad_format")
    ]
    tax = pd.read_parquet(result.out / "tax.parquet")
    assert (tax["uscc"] == code).sum() == (frames["tax"]["uscc"] == code).sum() > 0
    assert quarantined(result, "tax").empty


def test_quarantine_keeps_the_original_text(tmp_path: Path) -> None:
    frames = clean_frames()
    cell("tax", 3, "sales", " 1,000 ")(frames)
    q = quarantined(run(tmp_path, frames), "tax")
    assert q.loc[0, "sales"] == " 1,000 "
    assert q.loc[0, "uscc"] == frames["tax"].loc[3, "uscc"]
    assert list(q.columns) == ["_row", "_action", "_reason", "_column", "_detail", *TAX.column_names]


def test_copies_and_key_clashes_keep_the_right_row(tmp_path: Path) -> None:
    frames = clean_frames()
    tax = frames["tax"]
    first = tax.iloc[[5]]
    later = first.assign(sales=7.0, received_date=first["received_date"] + timedelta(days=10))
    frames["tax"] = pd.concat([tax, first, later, first], ignore_index=True)  # rows 241, 242, 243
    result = run(tmp_path, frames)
    q = quarantined(result, "tax")
    assert list(zip(q["_row"], q["_reason"], strict=True)) == [
        (6, "duplicate_key"),
        (241, "duplicate_row"),
        (243, "duplicate_row"),
    ]
    valid = pd.read_parquet(result.out / "tax.parquet")
    kept = valid[(valid["uscc"] == first["uscc"].iloc[0]) & (valid["period"] == first["period"].iloc[0])]
    assert list(kept["sales"]) == [7.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_valid_plus_quarantined_is_read_whatever_the_defects(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = clean_frames(n=30)
    junk = ["", "x", "-5", "2099-01-31", "1e99", "Z", BAD_CHECK, OUTSIDER, "1900-01-01", "3.5"]
    for name in ("tax", "registry", "abnormal", "visit_list"):
        frame = frames[name].astype(object)
        for _ in range(len(frame) // 5):
            frame.iat[rng.integers(len(frame)), rng.integers(frame.shape[1])] = junk[rng.integers(len(junk))]
        extra = frame.iloc[rng.integers(len(frame), size=len(frame) // 10)]
        frames[name] = pd.concat([frame, extra], ignore_index=True)
    result = run(tmp_path, frames)
    assert_reconciles(result)
    assert sum(r.rows_quarantined for r in result.sources) > 0
    report = json.loads(result.report.read_text(encoding="utf-8"))
    totals = report["totals"]
    assert totals["rows_valid"] + totals["rows_quarantined"] == totals["rows_read"]


def test_gb18030_csv_with_chinese_names_and_mixed_dates_loads(tmp_path: Path) -> None:
    frames = clean_frames()
    formats = ["2015-01-01", "2015/1/1", "20150101", "2015年1月1日", "2015-01-01 00:00:00"]
    frames["registry"] = frames["registry"].assign(established=[formats[i % 5] for i in range(20)])
    periods = frames["tax"]["period"]
    frames["tax"] = frames["tax"].assign(
        period=[
            f"{p.year}年{p.month}月{p.day}日" if i % 2 else p.strftime("%Y%m%d")
            for i, p in enumerate(periods)
        ]
    )
    raw = write_folder(tmp_path / "raw", frames, "csv", encoding="gb18030")
    result = validate_folder(raw, tmp_path / "out")
    assert_reconciles(result)
    assert result.source("registry").rows_quarantined == 0
    assert result.source("registry").encoding == "gb18030"
    registry = pd.read_parquet(result.out / "registry.parquet")
    assert sorted(registry["name"]) == sorted(clean_frames()["registry"]["name"])
    assert set(registry["established"]) == {date(2015, 1, 1)}
    assert result.source("tax").rows_valid == len(periods)
    assert result.window.end == END and result.window.inferred


def test_valid_files_have_declared_types_contract_order_and_key_order(tmp_path: Path) -> None:
    frames = clean_frames()
    frames["tax"] = (
        frames["tax"].drop(columns=["received_date", "tax_grade"]).assign(note="ignored").iloc[::-1]
    )
    result = run(tmp_path, frames)
    table = pq.read_table(result.out / "tax.parquet")
    assert table.schema.names == list(TAX.column_names)
    types = {f.name: str(f.type) for f in table.schema}
    assert types == {
        "uscc": "string",
        "period": "date32[day]",
        "period_months": "int64",
        "sales": "double",
        "tax_paid": "double",
        "arrears": "double",
        "tax_grade": "string",
        "received_date": "date32[day]",
    }
    frame = table.to_pandas()
    assert frame["received_date"].isna().all()
    assert list(zip(frame["uscc"], frame["period"], strict=True)) == sorted(
        zip(frame["uscc"], frame["period"], strict=True)
    )
    tax = result.source("tax")
    assert tax.extra_columns == ("note",)
    assert tax.absent_columns == ("tax_grade", "received_date")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("sales", float("nan"), "missing_value"),
        ("sales", -3.0, "negative_value"),
        ("period_months", 1.5, "bad_type"),
    ],
)
def test_typed_parquet_values_are_checked_too(tmp_path: Path, column: str, value: float, reason: str) -> None:
    frames = clean_frames()
    frame = frames["tax"].astype({"period_months": float})
    frame.loc[0, column] = value
    frames["tax"] = frame
    q = quarantined(run(tmp_path, frames, fmt="parquet"), "tax")
    assert list(zip(q["_row"], q["_reason"], q["_column"], strict=True)) == [(1, reason, column)]


def test_typed_parquet_of_other_types_is_read(tmp_path: Path) -> None:
    frames = clean_frames()
    frames["registry"] = frames["registry"].assign(
        region=330102, established=pd.Timestamp("2015-01-01 08:00")
    )
    result = run(tmp_path, frames, fmt="parquet")
    assert result.source("registry").rows_valid == 20
    assert set(pd.read_parquet(result.out / "registry.parquet")["region"]) == {"330102"}


def test_same_input_same_bytes(tmp_path: Path) -> None:
    frames = clean_frames()
    for mutate in (cell("tax", 3, "sales", "x"), append_copy("tax", 5), append_copy("tax", 9, sales=2.0)):
        mutate(frames)
    raw = write_folder(tmp_path / "raw", frames, "csv")
    first = validate_folder(raw, tmp_path / "a")
    second = validate_folder(raw, tmp_path / "b", threads=1)
    assert [p.relative_to(first.out) for p in first.written] == [
        p.relative_to(second.out) for p in second.written
    ]
    for a, b in zip(first.written, second.written, strict=True):
        assert file_sha256(a) == file_sha256(b), a.name


def test_window_end_is_inferred_despite_stray_future_dates(tmp_path: Path) -> None:
    frames = clean_frames()
    for i in range(3):
        cell("utilities", 20 + i, "period", "2042-06-30")(frames)
    result = run(tmp_path, frames, end=None)
    assert result.window.end == END
    assert result.window.inferred
    assert "1 later month(s)" in result.window.how and "tax, utilities" in result.window.how
    assert dict(result.source("utilities").by_reason) == {"date_out_of_window": 3}
    assert (
        list(quarantined(result, "utilities")["_detail"])
        == ["2042-06-30 is after the window end 2024-12-31"] * 3
    )


def test_window_end_can_be_given(tmp_path: Path) -> None:
    result = run(tmp_path, clean_frames(), end=date(2024, 10, 31))
    assert not result.window.inferred
    assert result.source("tax").latest_period == date(2024, 10, 31)
    assert dict(result.source("tax").by_reason) == {"date_out_of_window": 40}


def test_window_end_before_the_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="window end: expected a date after 1949-10-01, got 1900-01-01"):
        run(tmp_path, clean_frames(), end=date(1900, 1, 1))


def test_periods_are_read_as_month_ends(tmp_path: Path) -> None:
    frames = clean_frames()
    frames["tax"] = frames["tax"].assign(period=frames["tax"]["period"].map(lambda d: d.replace(day=1)))
    result = run(tmp_path, frames)
    assert result.source("tax").rows_valid == 240
    assert set(pd.read_parquet(result.out / "tax.parquet")["period"]) == set(clean_frames()["tax"]["period"])


def test_late_arrivals_are_valid_and_counted(tmp_path: Path) -> None:
    frames = clean_frames()
    tax = frames["tax"]
    late = tax.index[:7]
    tax.loc[late, "received_date"] = tax.loc[late, "period"] + timedelta(days=TAX.lag_days + 1)
    result = run(tmp_path, frames)
    assert result.source("tax").late_arrivals == 7
    assert result.source("tax").rows_valid == 240
    assert result.source("utilities").late_arrivals == 0
    assert result.source("abnormal").late_arrivals is None


def test_coverage_is_the_share_of_the_visit_list_with_valid_rows(tmp_path: Path) -> None:
    frames = clean_frames()
    visited = list(frames["visit_list"]["uscc"])
    frames["tax"] = frames["tax"][~frames["tax"]["uscc"].isin(visited[:3])]
    result = run(tmp_path, frames)
    assert result.source("tax").coverage == pytest.approx(7 / 10)
    assert result.source("utilities").coverage == 1.0
    assert result.source("abnormal").coverage == pytest.approx(4 / 10)


def test_quality_report(tmp_path: Path) -> None:
    frames = clean_frames()
    cell("tax", 8, "arrears", "-1")(frames)
    frames["tax"] = frames["tax"].assign(remark="x")
    result = run(tmp_path, frames)
    report = json.loads(result.report.read_text(encoding="utf-8"))
    assert report["window"] == {
        "start": "1949-10-01",
        "end": "2024-12-31",
        "inferred": False,
        "how": "given, not inferred",
    }
    assert list(report["sources"]) == sorted(s.name for s in SOURCES)
    tax = report["sources"]["tax"]
    assert tax["file"] == "tax.csv" and tax["format"] == "csv" and tax["encoding"] == "utf-8"
    assert (tax["rows_read"], tax["rows_valid"], tax["rows_quarantined"]) == (240, 239, 1)
    assert tax["quarantined_by_reason"] == {"negative_value": 1}
    assert tax["extra_columns"] == ["remark"]
    assert tax["latest_period"] == "2024-12-31"
    assert tax["output"] == "tax.parquet" and tax["quarantine"] == "quarantine/tax.parquet"
    assert report["sources"]["customs"]["present"] is False
    assert "customs" in report["totals"]["sources_missing"]
    assert report["totals"]["quarantined_by_reason"] == {"negative_value": 1}
    assert result.source("tax").top_reason == "negative_value"
    assert result.written[-1] == result.report


def test_outputs_of_sources_now_absent_are_removed(tmp_path: Path) -> None:
    frames = clean_frames()
    run(tmp_path, frames)
    assert (tmp_path / "out" / "abnormal.parquet").exists()
    (tmp_path / "raw" / "abnormal.csv").unlink()
    result = validate_folder(tmp_path / "raw", tmp_path / "out", end=END)
    assert not (tmp_path / "out" / "abnormal.parquet").exists()
    assert not (tmp_path / "out" / "quarantine" / "abnormal.parquet").exists()
    assert not result.source("abnormal").present
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no work files left


def test_malformed_csv_lines_are_quarantined(tmp_path: Path) -> None:
    raw = write_folder(tmp_path / "raw", clean_frames(), "csv")
    with open(raw / "tax.csv", "a", encoding="utf-8") as fh:
        fh.write("a,b\n")
    result = validate_folder(raw, tmp_path / "out", end=END)
    q = quarantined(result, "tax")
    assert list(zip(q["_row"], q["_reason"], q["_column"], q["_detail"], strict=True)) == [
        (len(clean_frames()["tax"]) + 1, "bad_format", "*", "expected 8 fields, got 2: 'a,b'")
    ]
    assert_reconciles(result)


def test_rows_after_a_malformed_line_keep_their_numbers_in_the_file(tmp_path: Path) -> None:
    """A data owner opens the file at the row the quarantine names: the number counts malformed lines too."""
    frames = clean_frames()
    cell("tax", 5, "sales", "-1")(frames)
    raw = write_folder(tmp_path / "raw", frames, "csv")
    lines = (raw / "tax.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "张三丰,13800000000\n")  # becomes data row 3; the negative sales row moves from 6 to 7
    (raw / "tax.csv").write_text("".join(lines), encoding="utf-8")
    result = validate_folder(raw, tmp_path / "out", end=END)
    q = quarantined(result, "tax").sort_values("_row")
    assert list(zip(q["_row"], q["_reason"], strict=True)) == [(3, "bad_format"), (7, "negative_value")]
    assert q["_detail"].iloc[0] == "expected 8 fields, got 2: '张**,1**********'"  # no name or phone in clear
    assert_reconciles(result)


def test_output_folder_must_differ_from_raw(folder: Callable[..., Path]) -> None:
    raw = folder()
    with pytest.raises(InputDataError, match="expected an output folder apart from the raw folder"):
        validate_folder(raw, raw)


def test_a_bad_memory_limit_is_a_config_error(folder: Callable[..., Path], tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="expected a size such as '4GB' and a positive count, got 'lots' and 2"
    ):
        validate_folder(folder(), tmp_path / "out", memory_limit="lots")


class Recorder:
    def __init__(self) -> None:
        self.tasks: list[tuple[str, float | None]] = []
        self.done: dict[int, float] = {}

    def task(self, description: str, total: float | None) -> int:
        self.tasks.append((description, total))
        return len(self.tasks) - 1

    def advance(self, task_id: int, amount: float = 1) -> None:
        self.done[task_id] = self.done.get(task_id, 0) + amount


def test_progress_has_one_task_per_source_and_completes(folder: Callable[..., Path], tmp_path: Path) -> None:
    progress = Recorder()
    validate_folder(folder(), tmp_path / "out", progress=progress)
    assert [name for name, _ in progress.tasks] == ["registry", "abnormal", "tax", "utilities", "visit_list"]
    assert all(progress.done[i] == total for i, (_, total) in enumerate(progress.tasks))


def test_quarantine_masks_personal_data(tmp_path: Path) -> None:
    """Data owners find the row by its code and position; people's names and phones stay masked."""
    frames = clean_frames()
    cell("registry", 4, "registered_capital", "-5")(frames)
    frames["registry"] = frames["registry"].astype(object)
    frames["registry"].loc[4, "legal_rep_name"] = "张三丰"
    result = run(tmp_path, frames)
    q = quarantined(result, "registry")
    assert list(q["legal_rep_name"]) == ["张**"]
    assert q["uscc"].iloc[0] == frames["registry"].loc[4, "uscc"]


def test_a_parquet_file_with_damaged_pages_is_an_input_error_naming_it(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    raw = write_folder(tmp_path / "raw", clean_frames(), "parquet")
    path = raw / "tax.parquet"
    column = pq.ParquetFile(path).metadata.row_group(0).column(1)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset : column.data_page_offset + column.total_compressed_size] = bytes(
        column.total_compressed_size
    )
    path.write_bytes(bytes(data))  # the footer is intact: only reading the pages finds the damage
    with pytest.raises(InputDataError, match="tax.parquet: expected a readable Parquet file, got one whose data pages"):
        validate_folder(raw, tmp_path / "out", end=END)


@pytest.mark.parametrize("name", ["registry", "visit_list"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_empty_registry_or_visit_list_is_refused(tmp_path: Path, name: str, fmt: str) -> None:
    frames = clean_frames()
    frames[name] = frames[name].head(0)
    raw = write_folder(tmp_path / "raw", frames, fmt)
    with pytest.raises(InputDataError, match=f"{name}.{fmt}: expected the {name} source's rows, got a header and no data"):
        validate_folder(raw, tmp_path / "out", end=END)
