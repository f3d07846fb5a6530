"""The generator and the loader agree: every injected defect is caught with its reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic import SyntheticConfig, generate_province
from whitelist.sources.validate import validate_folder

DEFECTS = {
    "duplicate_rows": 0.01,
    "invalid_uscc": 0.005,
    "negative_amounts": 0.005,
    "late_periods": 0.02,
    "out_of_window_dates": 0.003,
    "mixed_date_formats": 0.2,
}


def _config(fmt: str) -> SyntheticConfig:
    base = SyntheticConfig(enterprises=2_000, seed=21, chunk_size=1_000, format=fmt, encoding="gb18030")
    return base.model_copy(update={"defects": base.defects.model_copy(update=DEFECTS)})


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("generated")
    outs = {}
    for fmt in ("parquet", "csv"):
        generate_province(_config(fmt), root / f"raw-{fmt}")
        validate_folder(root / f"raw-{fmt}", root / f"out-{fmt}", memory_limit="1GB")
        outs[fmt] = root / f"out-{fmt}"
    return outs


def _quarantine(out: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(p)[["_reason", "_column"]].assign(source=p.stem) for p in (out / "quarantine").glob("*.parquet")]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(
    ("reason", "column"),
    [
        ("duplicate_row", "*"),
        ("invalid_uscc", "uscc"),
        ("negative_value", None),
        ("date_out_of_window", "date_column"),
        ("unknown_entity", "uscc"),
    ],
)
def test_each_injected_defect_lands_in_quarantine_with_its_reason(
    validated: dict[str, Path], reason: str, column: str | None
) -> None:
    q = _quarantine(validated["parquet"])
    hits = q[q["_reason"] == reason]
    assert len(hits) > 0
    if column == "date_column":  # each source's own date column: period, case_date, ...
        assert (hits["_column"] == hits["source"].map(lambda n: CONTRACT[n].date_column)).all()
    elif column is not None:
        assert (hits["_column"] == column).all()


def test_mixed_date_formats_in_gb18030_csv_all_parse(validated: dict[str, Path]) -> None:
    q = _quarantine(validated["csv"])
    assert "bad_date" not in set(q["_reason"])


def test_csv_and_parquet_exports_validate_to_the_same_tables(validated: dict[str, Path]) -> None:
    for name in CONTRACT:
        a = pq.read_table(validated["parquet"] / f"{name}.parquet")
        b = pq.read_table(validated["csv"] / f"{name}.parquet")
        assert a.equals(b), name


def test_late_arrivals_are_kept_and_counted(validated: dict[str, Path]) -> None:
    import json

    report = json.loads((validated["parquet"] / "quality.json").read_text(encoding="utf-8"))
    late = {name: s["late_arrivals"] for name, s in report["sources"].items() if s.get("late_arrivals")}
    assert late.get("tax", 0) > 0 and late.get("utilities", 0) > 0


def test_every_row_read_is_valid_or_quarantined(validated: dict[str, Path]) -> None:
    import json

    for out in validated.values():
        report = json.loads((out / "quality.json").read_text(encoding="utf-8"))
        for name, s in report["sources"].items():
            assert s["rows_valid"] + s["rows_quarantined"] == s["rows_read"], name
