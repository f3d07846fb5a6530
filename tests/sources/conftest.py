"""Small, valid source folders built in tmp_path, which tests then spoil one defect at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from whitelist.core.uscc import make_codes


def codes(n: int, start: int = 0) -> list[str]:
    """``n`` distinct valid codes."""
    serial = np.arange(start, start + n)
    return list(make_codes(np.full(n, "9"), np.full(n, "1"), np.full(n, 330102), serial))


def month_ends(last: date, months: int) -> list[date]:
    ends = pd.date_range(end=pd.Timestamp(last), periods=months, freq="ME")
    return [d.date() for d in ends]


def clean_frames(n: int = 20, months: int = 12, last: date = date(2024, 12, 31)) -> dict[str, pd.DataFrame]:
    """Registry, visit list, tax, utilities and abnormal listings of ``n`` entities: all valid."""
    ids = codes(n)
    registry = pd.DataFrame(
        {
            "uscc": ids,
            "name": [f"杭州测试{i}有限公司" for i in range(n)],
            "entity_type": ["enterprise"] * n,
            "industry": ["C1711"] * n,
            "region": ["330102"] * n,
            "registered_capital": [100.0 + i for i in range(n)],
            "established": [date(2015, 1, 1)] * n,
            "status": ["active"] * n,
            "status_date": [None] * n,
            "address_id": [f"A{i}" for i in range(n)],
            "legal_rep_id": [f"P{i}" for i in range(n)],
        }
    )
    visit = pd.DataFrame(
        {
            "uscc": ids[: n // 2],
            "region": ["330102"] * (n // 2),
            "town": ["330102001"] * (n // 2),
            "bank_id": ["B1"] * (n // 2),
            "branch_id": ["B1-01"] * (n // 2),
        }
    )
    periods = month_ends(last, months)
    grid = pd.MultiIndex.from_product([ids, periods], names=["uscc", "period"]).to_frame(index=False)
    tax = grid.assign(
        period_months=1,
        sales=np.arange(len(grid), dtype=float) + 1000.0,
        tax_paid=10.0,
        arrears=0.0,
        tax_grade="B",
        received_date=[p + pd.Timedelta(days=20) for p in grid["period"]],
    )
    utilities = grid.assign(electricity_kwh=500.0, water_m3=20.0, arrears=0.0)
    abnormal = pd.DataFrame(
        {
            "uscc": ids[:4],
            "listed_date": [date(2020, 5, 1)] * 4,
            "removed_date": [date(2021, 5, 1), None, None, date(2020, 6, 1)],
            "reason": ["abnormal_operation"] * 4,
        }
    )
    return {
        "registry": registry,
        "visit_list": visit,
        "tax": tax,
        "utilities": utilities,
        "abnormal": abnormal,
    }


def write_folder(
    folder: Path, frames: dict[str, pd.DataFrame], fmt: str = "parquet", encoding: str = "utf-8"
) -> Path:
    """Write each frame as ``<name>.parquet`` or ``<name>.csv`` (in ``encoding``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``folder(frames=None, fmt="parquet", encoding="utf-8")`` writes a raw folder."""

    def make(
        frames: dict[str, pd.DataFrame] | None = None, fmt: str = "parquet", encoding: str = "utf-8"
    ) -> Path:
        return write_folder(tmp_path / "raw", frames if frames is not None else clean_frames(), fmt, encoding)

    return make
