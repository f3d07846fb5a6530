"""Finding source files, checking their headers, and staging CSV exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.sources.conftest import clean_frames
from whitelist.core.errors import InputDataError
from whitelist.sources.contract import REGISTRY, TAX
from whitelist.sources.load import accepted_encoding, find_sources, inspect_file, locate_source, stage


def test_locate_source(folder: Callable[..., Path]) -> None:
    raw = folder()
    assert locate_source(raw, "tax") == raw / "tax.parquet"
    assert locate_source(raw, "customs") is None


def test_two_files_for_one_source_is_an_error(folder: Callable[..., Path]) -> None:
    raw = folder()
    clean_frames()["tax"].to_csv(raw / "tax.csv", index=False)
    with pytest.raises(
        InputDataError, match=r"expected one file for the 'tax' source, got 'tax.parquet', 'tax.csv'"
    ):
        locate_source(raw, "tax")


@pytest.mark.parametrize("name", ["registry", "visit_list"])
def test_required_sources_must_be_present(folder: Callable[..., Path], name: str) -> None:
    raw = folder()
    (raw / f"{name}.parquet").unlink()
    with pytest.raises(
        InputDataError, match=rf"expected {name}.parquet or {name}.csv \(the {name} source is required\)"
    ):
        find_sources(raw)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="expected a folder of source files, got no such folder"):
        find_sources(tmp_path / "nope")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_missing_required_column_names_file_column_and_what_it_has(
    folder: Callable[..., Path], fmt: str
) -> None:
    frames = clean_frames()
    frames["registry"] = frames["registry"].drop(columns=["name", "status"])
    raw = folder(frames, fmt=fmt)
    with pytest.raises(
        InputDataError,
        match=rf"registry\.{fmt}: expected the registry source's required column\(s\) 'name', 'status', "
        r"which the file lacks; it has 9 column\(s\)( \(read as utf-8\))?: "
        r"'uscc', 'entity_type', .*'legal_rep_id'; rename",
    ):
        find_sources(raw)


def test_every_bad_header_is_reported_at_once(folder: Callable[..., Path]) -> None:
    frames = clean_frames()
    frames["registry"] = frames["registry"].drop(columns=["name"])
    frames["tax"] = frames["tax"].drop(columns=["sales"])
    raw = folder(frames)
    with pytest.raises(InputDataError, match=r"(?s)registry\.parquet: .*'name'.*\n.*tax\.parquet: .*'sales'"):
        find_sources(raw)


def test_columns_match_ignoring_case_and_spaces_and_extras_are_listed(tmp_path: Path) -> None:
    frame = clean_frames()["tax"].rename(columns={"uscc": " USCC ", "sales": "Sales"}).assign(note="x")
    frame.to_csv(tmp_path / "tax.csv", index=False)
    file = inspect_file(tmp_path / "tax.csv", TAX)
    assert file.extra_columns == ("note",)
    assert file.absent_columns == ()
    assert dict(file.mapping)["uscc"] == 0


def test_repeated_column_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tax.csv").write_text("uscc,period,USCC\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="expected each column once, got 'uscc' more than once"):
        inspect_file(tmp_path / "tax.csv", TAX)


def test_empty_csv_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "registry.csv").write_bytes(b"")
    with pytest.raises(InputDataError, match="expected a header row naming the columns, got an empty file"):
        inspect_file(tmp_path / "registry.csv", REGISTRY)


def test_unreadable_parquet_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "registry.parquet").write_text("not parquet")
    with pytest.raises(InputDataError, match="expected a Parquet file, got one that cannot be read"):
        inspect_file(tmp_path / "registry.parquet", REGISTRY)


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8")],
)
def test_csv_encoding_is_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    frame = clean_frames()["registry"]
    frame.to_csv(tmp_path / "registry.csv", index=False, encoding=encoding)
    file = inspect_file(tmp_path / "registry.csv", REGISTRY)
    assert file.encoding == detected
    assert file.columns[0] == "uscc"
    staged = stage(file, tmp_path / "work")
    names = duckdb.sql(f"SELECT name FROM {staged.relation} ORDER BY _row").fetchall()
    assert [n for (n,) in names] == list(frame["name"])


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "cp1252", "no-such-codec"])
def test_encodings_government_exports_do_not_use_are_refused(folder: Callable[..., Path], encoding: str) -> None:
    with pytest.raises(InputDataError, match=f"expected one of utf-8, utf-8-sig, gb18030, gbk .* got '{encoding}'"):
        find_sources(folder(), encoding=encoding)


def test_a_utf16_file_is_refused_naming_it(tmp_path: Path) -> None:
    clean_frames()["registry"].to_csv(tmp_path / "registry.csv", index=False, encoding="utf-16")
    with pytest.raises(InputDataError, match="registry.csv: expected UTF-8, GB18030 or GBK text, got UTF-16"):
        inspect_file(tmp_path / "registry.csv", REGISTRY)


@pytest.mark.parametrize(("written", "given"), [("gbk", "gbk"), ("gb18030", "GB18030"), ("utf-8-sig", "utf-8-sig"),
                                                 ("utf-8", "UTF8")])
def test_the_accepted_encodings_can_be_forced(tmp_path: Path, written: str, given: str) -> None:
    frame = clean_frames()["registry"]
    frame.to_csv(tmp_path / "registry.csv", index=False, encoding=written)
    file = inspect_file(tmp_path / "registry.csv", REGISTRY, encoding=accepted_encoding(given))
    names = duckdb.sql(f"SELECT name FROM {stage(file, tmp_path / 'w').relation} ORDER BY _row").fetchall()
    assert [n for (n,) in names] == list(frame["name"])


def test_utf8_guess_falls_back_to_gb18030_past_the_sniffed_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("whitelist.sources.load.SNIFF_BYTES", 64)
    frame = clean_frames()["registry"]
    frame.to_csv(tmp_path / "registry.csv", index=False, encoding="gb18030")
    file = inspect_file(tmp_path / "registry.csv", REGISTRY)
    assert file.encoding == "utf-8"  # the header alone is ASCII
    staged = stage(file, tmp_path / "work")
    assert staged.file.encoding == "gb18030"
    assert duckdb.sql(f"SELECT count(*) FROM {staged.relation} WHERE name LIKE '杭州%'").fetchall() == [
        (len(frame),)
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", "|", ";"])
def test_csv_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    clean_frames()["tax"].to_csv(tmp_path / "tax.csv", index=False, sep=delimiter)
    file = inspect_file(tmp_path / "tax.csv", TAX)
    assert file.delimiter == delimiter
    assert stage(file, tmp_path / "work").rows == len(clean_frames()["tax"])


def test_csv_rows_are_numbered_from_one_as_text(tmp_path: Path) -> None:
    pd.DataFrame({"uscc": ["a", "b"], "period": ["2024-01-31", "x"]}).to_csv(
        tmp_path / "tax.csv", index=False
    )
    file = inspect_file(tmp_path / "tax.csv", TAX.__class__(**{**TAX.__dict__, "columns": TAX.columns[:2]}))
    rows = duckdb.sql(f"SELECT * FROM {stage(file, tmp_path / 'w').relation}").fetchall()
    assert rows == [(1, "a", "2024-01-31"), (2, "b", "x")]


def test_malformed_csv_lines_are_kept_aside(tmp_path: Path) -> None:
    frame = clean_frames()["tax"].head(3)
    frame.to_csv(tmp_path / "tax.csv", index=False)
    with open(tmp_path / "tax.csv", "a", encoding="utf-8") as fh:
        fh.write("too,few\n")
    staged = stage(inspect_file(tmp_path / "tax.csv", TAX), tmp_path / "work")
    assert staged.rows == 4
    assert [(m.expected, m.actual, m.text) for m in staged.malformed] == [(8, 2, "too,few")]
