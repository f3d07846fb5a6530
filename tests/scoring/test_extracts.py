"""Per-branch extracts: split, order, masking, formats, byte identity, refused inputs.

Workbooks are read back twice: by unzipping them and parsing the sheet XML, which is also
where leaked personal data would sit, and by openpyxl, an independent reader of the format.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from whitelist.core.errors import ConfigError, InputDataError
from whitelist.scoring.extracts import (
    EXTRACT_COLUMNS,
    half_up,
    mask_names,
    mask_person_name,
    mask_phone,
    mask_phones,
    write_extracts,
)

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
JULY = dt.date(2024, 7, 1)


def _row(n: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "uscc": f"9111{n:014d}",
        "name": f"星河科技有限公司{n}",
        "legal_rep_name": f"张伟{n}",
        "phone": f"1381234{n:04d}",
        "entity_type": "company",
        "industry": "C",
        "region": "110105",
        "decision": "whitelist",
        "visit_focus": n % 2 == 0,
        "grade": "A",
        "pd": 0.0123,
        "points": 612,
        "limit": 150_000.0,
        "rate": 0.0425,
        "segments": "manufacturing,tax_a",
        "contact_by": JULY,
        "process_by": dt.date(2024, 7, 31),
        "valid_until": dt.date(2024, 12, 31),
        "bank": "B01",
        "branch": "BR01",
        "priority_rank": n,
    }
    for i in range(1, 5):
        row |= {f"reason_{i}": None, f"reason_{i}_text_zh": None, f"reason_{i}_text_en": None}
    row |= {"reason_1": "TAX01", "reason_1_text_zh": "纳税信用良好", "reason_1_text_en": "Good tax credit"}
    return row | over


def _frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _column_index(ref: str) -> int:
    index = 0
    for letter in re.match(r"[A-Z]+", ref).group():  # type: ignore[union-attr]
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _sheet_rows(path: Path, sheet: int = 1) -> list[list[str]]:
    """Cell texts of one sheet: shared strings resolved, numbers as stored, blanks as ''."""
    with zipfile.ZipFile(path) as archive:
        sheet_xml = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{sheet}.xml"))
    rows = []
    for row in sheet_xml.iterfind("m:sheetData/m:row", NS):
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", NS):
            if cell.get("t") == "inlineStr":
                value = "".join(cell.find("m:is", NS).itertext())  # type: ignore[union-attr]
            else:
                value = cell.findtext("m:v", default="", namespaces=NS)
            cells[_column_index(cell.get("r", ""))] = value
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def _unzipped(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def _col(name: str) -> int:
    return [c.source for c in EXTRACT_COLUMNS].index(name)


# --- masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("张伟", "张*"), ("Li Na", "L****"), ("欧阳娜娜", "欧***"), ("张", "张"), ("", ""), (None, None)],
)
def test_mask_person_name_examples(value: str | None, expected: str | None) -> None:
    assert mask_person_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("12345678", "123*5678"),
        ("1234567", "1******"),
        ("1", "1"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone_examples(value: str | None, expected: str | None) -> None:
    assert mask_phone(value) == expected


@given(st.text(min_size=1))
@example("Li Na")
def test_a_masked_name_keeps_its_length_and_only_its_first_character(value: str) -> None:
    masked = mask_person_name(value)
    assert masked is not None and len(masked) == len(value)
    assert masked[0] == value[0] and set(masked[1:]) <= {"*"}
    assert mask_person_name(masked) == masked
    if set(value[1:]) - {"*"}:
        assert value not in masked


@given(st.text(min_size=1))
@example("13812345678")
def test_a_masked_phone_keeps_its_length_and_reveals_at_most_seven_characters(value: str) -> None:
    masked = mask_phone(value)
    assert masked is not None and len(masked) == len(value)
    kept = 7 if len(value) >= 8 else 1
    shown = [i for i, ch in enumerate(masked) if ch != "*"]
    assert len(shown) <= kept
    assert all(masked[i] == value[i] for i in shown)
    if len(value) >= 8:
        assert (masked[:3], masked[-4:]) == (value[:3], value[-4:])
    assert mask_phone(masked) == masked


# --- files -----------------------------------------------------------------------------------


@pytest.fixture
def two_banks() -> pd.DataFrame:
    return _frame(
        _row(1),
        _row(2, decision="review"),
        _row(3, decision="decline"),
        _row(4, branch="BR02"),
        _row(5, bank="B02", branch="BR01", decision="review"),
        _row(6, bank="B02", branch="BR09", decision="excluded"),
    )


def test_each_branch_gets_files_holding_only_its_rows(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    paths = write_extracts(two_banks, tmp_path)

    expected = [f"{stem}.{ext}" for stem in ("B01/BR01", "B01/BR02", "B02/BR01") for ext in ("csv", "xlsx")]
    assert paths == [tmp_path / p for p in expected]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == expected
    usccs = {"B01/BR01": {1, 2}, "B01/BR02": {4}, "B02/BR01": {5}}
    for stem, numbers in usccs.items():
        want = {f"9111{n:014d}" for n in numbers}
        assert {r[_col("uscc")] for r in _read_csv(tmp_path / f"{stem}.csv")[1:]} == want
        assert {r[_col("uscc")] for r in _sheet_rows(tmp_path / f"{stem}.xlsx")[1:]} == want


def test_only_the_requested_decisions_are_written(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    paths = write_extracts(two_banks, tmp_path, decisions=("review",))
    stems = ("B01/BR01", "B02/BR01")
    assert paths == [tmp_path / f"{stem}.{ext}" for stem in stems for ext in ("csv", "xlsx")]
    assert [r[_col("uscc")] for r in _read_csv(tmp_path / "B01/BR01.csv")[1:]] == [f"9111{2:014d}"]


def test_rows_are_ordered_by_contact_by_then_priority_then_uscc(tmp_path: Path) -> None:
    late, early = dt.date(2024, 7, 20), dt.date(2024, 7, 5)
    frame = _frame(
        _row(1, contact_by=None, priority_rank=1),
        _row(2, contact_by=late, priority_rank=1),
        _row(3, contact_by=early, priority_rank=2),
        _row(4, contact_by=early, priority_rank=1, uscc="9111" + "9" * 14),
        _row(5, contact_by=early, priority_rank=1),
    )
    write_extracts(frame, tmp_path)

    expected = [f"9111{5:014d}", "9111" + "9" * 14, f"9111{3:014d}", f"9111{2:014d}", f"9111{1:014d}"]
    assert [r[_col("uscc")] for r in _read_csv(tmp_path / "B01/BR01.csv")[1:]] == expected
    assert [r[_col("uscc")] for r in _sheet_rows(tmp_path / "B01/BR01.xlsx")[1:]] == expected


def test_personal_data_never_appears_unmasked_in_either_file(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    write_extracts(two_banks, tmp_path)

    for n, stem in [(1, "B01/BR01"), (2, "B01/BR01"), (4, "B01/BR02"), (5, "B02/BR01")]:
        name, phone = f"张伟{n}", f"1381234{n:04d}"
        text = (tmp_path / f"{stem}.csv").read_bytes().decode("utf-8-sig")
        raw = _unzipped(tmp_path / f"{stem}.xlsx")
        for secret in (name, phone):
            assert secret not in text
            assert secret.encode("utf-8") not in raw
        for masked in (mask_person_name(name), mask_phone(phone)):
            assert masked in text
            assert masked.encode("utf-8") in raw  # type: ignore[union-attr]


def test_csv_has_a_bom_crlf_lines_and_bilingual_headers(tmp_path: Path) -> None:
    write_extracts(_frame(_row(1), _row(2)), tmp_path)

    data = (tmp_path / "B01/BR01.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\r\n") == 3 and data.count(b"\n") == 3
    header = _read_csv(tmp_path / "B01/BR01.csv")[0]
    assert header == [f"{c.header_zh} / {c.header_en}" for c in EXTRACT_COLUMNS]
    for title in (
        "统一社会信用代码 / USCC",
        "企业名称 / Name",
        "法定代表人 / Legal representative",
        "联系电话 / Phone",
        "决定 / Decision",
        "额度(元) / Limit (CNY)",
        "利率 / Rate",
        "等级 / Grade",
        "违约概率 / PD",
        "客群 / Segments",
        "原因1 / Reason 1",
        "原因4 / Reason 4",
        "首次联系截止 / Contact by",
        "办理截止 / Process by",
        "有效期至 / Valid until",
        "优先顺序 / Priority",
    ):
        assert title in header
    assert _sheet_rows(tmp_path / "B01/BR01.xlsx")[0] == header


def test_csv_values_are_labelled_and_formatted(tmp_path: Path) -> None:
    frame = _frame(
        _row(1, limit=150_000.4, rate=0.0425, pd=0.012345),
        _row(
            2,
            decision="review",
            limit=float("nan"),
            rate=float("nan"),
            segments="",
            valid_until=None,
            reason_2="AGE02",
            reason_2_text_zh=None,
            reason_2_text_en="Young business",
            reason_3="X9",
        ),
    )
    write_extracts(frame, tmp_path)
    sources = [c.source for c in EXTRACT_COLUMNS]
    first, second = (dict(zip(sources, r, strict=True)) for r in _read_csv(tmp_path / "B01/BR01.csv")[1:])

    assert first["decision"] == "白名单 / whitelist" and second["decision"] == "复核 / review"
    numbers = (first["limit"], first["rate"], first["pd"], first["points"])
    assert numbers == ("150000", "4.25%", "1.23%", "612")
    dates = (first["contact_by"], first["process_by"], first["valid_until"])
    assert dates == ("2024-07-01", "2024-07-31", "2024-12-31")
    assert first["reason_1"] == "TAX01: 纳税信用良好 / Good tax credit" and first["reason_2"] == ""
    assert first["visit_focus"] == "否 / no" and second["visit_focus"] == "是 / yes"
    assert (second["limit"], second["rate"], second["segments"], second["valid_until"]) == ("", "", "", "")
    assert (second["reason_2"], second["reason_3"], second["reason_4"]) == ("AGE02: Young business", "X9", "")


def test_formula_like_text_is_neutralised_in_the_csv_and_kept_as_text_in_the_workbook(tmp_path: Path) -> None:
    write_extracts(_frame(_row(1, name="=HYPERLINK(\"http://x\")")), tmp_path)

    assert _read_csv(tmp_path / "B01/BR01.csv")[1][_col("name")] == "'=HYPERLINK(\"http://x\")"
    assert _sheet_rows(tmp_path / "B01/BR01.xlsx")[1][_col("name")] == "=HYPERLINK(\"http://x\")"
    assert b"<f>" not in _unzipped(tmp_path / "B01/BR01.xlsx")


def test_text_over_excels_cell_limit_is_cut_with_a_marker_in_the_workbook_and_whole_in_the_csv(tmp_path: Path) -> None:
    from whitelist.scoring.workbook import CELL_CHARS, TRUNCATED

    long = "企" * 40_000 + "<&>"
    write_extracts(_frame(_row(1, name=long), _row(2, name="短")), tmp_path)
    cell = _sheet_rows(tmp_path / "B01/BR01.xlsx")[1][_col("name")]
    assert len(cell) == CELL_CHARS and cell.endswith(TRUNCATED) and cell.startswith("企" * 100)
    assert _sheet_rows(tmp_path / "B01/BR01.xlsx")[2][_col("name")] == "短"
    assert _read_csv(tmp_path / "B01/BR01.csv")[1][_col("name")] == long


def test_the_workbook_stores_real_numbers_and_dates_with_number_formats(tmp_path: Path) -> None:
    write_extracts(_frame(_row(1, limit=150_000.4)), tmp_path)
    path = tmp_path / "B01/BR01.xlsx"

    row = _sheet_rows(path)[1]
    assert float(row[_col("limit")]) == 150_000
    assert float(row[_col("rate")]) == 0.0425 and float(row[_col("pd")]) == 0.0123
    assert float(row[_col("contact_by")]) == (JULY - dt.date(1899, 12, 30)).days
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        book = archive.read("xl/workbook.xml").decode()
    for num_format in ("#,##0", "0.00%", "yyyy-mm-dd"):
        assert f'formatCode="{num_format}"' in styles
    assert 'state="frozen"' in sheet and '<autoFilter ref="A1:W2"' in sheet and "<cols>" in sheet
    assert re.findall(r'<sheet name="([^"]+)"', book) == ["BR01", "说明 About"]


def test_the_about_sheet_counts_rows_and_says_data_is_masked(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    write_extracts(two_banks, tmp_path)

    about = _sheet_rows(tmp_path / "B01/BR01.xlsx", sheet=2)
    assert about[:5] == [
        ["银行 / Bank", "B01"],
        ["网点 / Branch", "BR01"],
        ["白名单户数 / whitelist rows", "1"],
        ["复核户数 / review rows", "1"],
        ["合计 / Total", "2"],
    ]
    notes = [cell for row in about for cell in row]
    assert "个人信息（法定代表人姓名、联系电话）已脱敏。" in notes
    assert "Personal data (legal representative's name, phone) is masked." in notes


def test_a_long_branch_id_is_cut_to_an_excel_sheet_name(tmp_path: Path) -> None:
    branch = "朝阳区" + "x" * 40
    write_extracts(_frame(_row(1, branch=branch)), tmp_path)

    with zipfile.ZipFile(tmp_path / "B01" / f"{branch}.xlsx") as archive:
        book = archive.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', book)[0] == branch[:31]


def test_equal_input_gives_byte_identical_files(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    first = write_extracts(two_banks, tmp_path / "a", created=JULY)
    second = write_extracts(two_banks.copy(), tmp_path / "b", created=JULY)

    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    with zipfile.ZipFile(first[1]) as archive:
        assert b"<dcterms:created" in archive.read("docProps/core.xml")
        assert b"2024-07-01T00:00:00Z" in archive.read("docProps/core.xml")
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_input_is_not_mutated_and_no_temp_file_is_left(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    before = two_banks.copy()
    paths = write_extracts(two_banks, tmp_path)

    pd.testing.assert_frame_equal(two_banks, before)
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == paths


def test_cjk_bank_and_branch_ids_are_file_names(tmp_path: Path) -> None:
    paths = write_extracts(_frame(_row(1, bank="工商银行", branch="朝阳支行-01")), tmp_path)
    assert paths == [tmp_path / "工商银行/朝阳支行-01.csv", tmp_path / "工商银行/朝阳支行-01.xlsx"]


@pytest.mark.parametrize("bad", ["../etc", "a/b", "a\\b", "", "..", ".hidden", "a b", "a:b", "x..y", None])
@pytest.mark.parametrize("field", ["bank", "branch"])
def test_an_unsafe_bank_or_branch_id_is_refused_by_name(tmp_path: Path, field: str, bad: str | None) -> None:
    frame = _frame(_row(1), _row(2, **{field: bad}))
    message = rf"{field} id {re.escape(repr(bad))} cannot be used as a file name"
    with pytest.raises(InputDataError, match=message):
        write_extracts(frame, tmp_path)
    assert not any(tmp_path.iterdir())


def test_an_unsafe_id_on_an_unselected_row_does_not_matter(tmp_path: Path) -> None:
    frame = _frame(_row(1), _row(2, decision="decline", branch="../x"))
    assert len(write_extracts(frame, tmp_path)) == 2


@pytest.mark.parametrize("column", ["phone", "reason_3_text_en", "priority_rank", "branch"])
def test_a_missing_column_is_named(tmp_path: Path, column: str) -> None:
    frame = _frame(_row(1)).drop(columns=column)
    with pytest.raises(InputDataError, match=rf"missing column\(s\) '{column}'"):
        write_extracts(frame, tmp_path)


def test_an_unknown_decision_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"decisions: unknown 'whitelisted'; expected some of 'whitelist'"):
        write_extracts(_frame(_row(1)), tmp_path, decisions=("whitelisted",))


def test_no_selected_row_writes_nothing(tmp_path: Path) -> None:
    frame = _frame(_row(1, decision="decline"), _row(2, decision="excluded"))
    assert write_extracts(frame, tmp_path / "extracts") == []
    assert not (tmp_path / "extracts").exists()


def test_two_writer_threads_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    frame = _frame(*(_row(n, branch=f"BR{n % 6}") for n in range(30)))
    one = write_extracts(frame, tmp_path / "one")
    two = write_extracts(frame, tmp_path / "two", workers=2)
    assert [p.relative_to(tmp_path / "one") for p in one] == [p.relative_to(tmp_path / "two") for p in two]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(one, two, strict=True))


# --- the bulk formatting equals the per-value rules ------------------------------------------


@given(st.lists(st.one_of(st.none(), st.text()), max_size=30))
@example(["张伟", "Li Na", "", None, "13812345678", "a\nb"])
def test_column_masking_equals_the_per_value_masking(values: list[str | None]) -> None:
    texts = pa.array([v or None for v in values], pa.string())
    assert mask_names(texts).to_pylist() == [mask_person_name(v) or None for v in values]
    assert mask_phones(texts).to_pylist() == [mask_phone(v) or None for v in values]


@given(st.lists(st.one_of(st.just(float("nan")), st.floats(min_value=-1e12, max_value=1e12),
                         st.integers(-10**12, 10**12).map(lambda n: n / 10**9)), max_size=40),
       st.sampled_from([0, 2, 4]))
@example([0.04125, 0.0425, 2.5, -2.5, 0.012345, 150_000.4, 0.1 + 0.2, 1e-10], 4)
def test_half_up_rounding_equals_decimal_rounding_of_the_shortest_form(values: list[float], decimals: int) -> None:
    units, present = half_up(np.array(values, dtype=float), decimals)
    for value, unit, here in zip(values, units.tolist(), present.tolist(), strict=True):
        assert here == (value == value)
        if here:
            want = (Decimal(repr(value)) * 10**decimals).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            assert unit == int(want), value


TEXT_CELL_VALUES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@given(st.lists(TEXT_CELL_VALUES, min_size=1, max_size=5))
@example(["a\x01b", "_x0041_", "tab\there", "cr\rlf\n", "<&>\"'", " lead", "\ufffe"])
def test_any_text_survives_the_workbook_exactly(tmp_path_factory: pytest.TempPathFactory, names: list[str]) -> None:
    folder = tmp_path_factory.mktemp("text")
    write_extracts(_frame(*(_row(n, name=name) for n, name in enumerate(names, start=1))), folder)

    def unescape(text: str) -> str:
        return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)

    shown = [unescape(r[_col("name")]) for r in _sheet_rows(folder / "B01/BR01.xlsx")[1:]]
    assert shown == names
    csv_names = [r[_col("name")] for r in _read_csv(folder / "B01/BR01.csv")[1:]]
    assert csv_names == [("'" + n if n[:1] in ("=", "+", "-", "@", "\t", "\r") else n) for n in names]


def test_openpyxl_reads_the_workbook_back_with_types_and_formats(tmp_path: Path, two_banks: pd.DataFrame) -> None:
    import openpyxl  # a dev dependency: the only independent reader of the hand-written workbook, never skipped
    write_extracts(two_banks, tmp_path, created=JULY)

    book = openpyxl.load_workbook(tmp_path / "B01/BR01.xlsx")
    assert book.sheetnames == ["BR01", "说明 About"]
    sheet = book["BR01"]
    assert [c.value for c in sheet[1]] == [c.header for c in EXTRACT_COLUMNS]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:W3"
    row = {c.source: cell for c, cell in zip(EXTRACT_COLUMNS, sheet[2], strict=True)}
    assert row["uscc"].value == f"9111{1:014d}" and row["legal_rep_name"].value == "张**"
    assert row["limit"].value == 150_000 and row["limit"].number_format == "#,##0"
    assert row["rate"].value == 0.0425 and row["rate"].number_format == "0.00%"
    assert row["contact_by"].value == dt.datetime(2024, 7, 1) and row["contact_by"].number_format == "yyyy-mm-dd"
    assert row["points"].value == 612 and row["reason_1"].value == "TAX01: 纳税信用良好 / Good tax credit"
    assert sheet.column_dimensions["B"].width == 2 * 8 + 1 + 2  # 星河科技有限公司1: CJK counts double, plus margin
    about = book["说明 About"]
    assert [about.cell(r, 2).value for r in range(1, 6)] == ["B01", "BR01", 1, 1, 2]
    assert book.properties.created == dt.datetime(2024, 7, 1) and book.properties.creator == "whitelist"
