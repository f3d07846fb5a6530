"""A run's decisions in memory, keyed by code: a lookup is a dictionary access, not a file read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from whitelist.core.errors import InputDataError

N_REASONS = 4
COLUMNS = (
    "uscc", "decision", "visit_focus", "pd", "points", "grade", "limit", "rate", "segments", "rules_hit",
    *(f"reason_{k}{part}" for k in range(1, N_REASONS + 1) for part in ("", "_value", "_text_zh", "_text_en")),
    "repair_zh", "repair_en", "entity_type", "industry", "region", "bank", "branch",
    "contact_by", "process_by", "valid_until", "run_date",
)


def _clean(value: Any) -> Any:
    """JSON-ready: NaN is null, dates are ISO text."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Decision:
    """One enterprise's row of ``whitelist.parquet``, as the API shows it."""

    row: dict[str, Any]

    @property
    def uscc(self) -> str:
        return str(self.row["uscc"])

    @property
    def bank(self) -> Any:
        return self.row["bank"]

    @property
    def branch(self) -> Any:
        return self.row["branch"]

    def preapproved(self, today: date) -> bool:
        valid = self.row["valid_until"]
        return self.row["decision"] == "whitelist" and valid is not None and valid >= today

    def preapproval(self) -> dict[str, Any]:
        r = self.row
        return {"uscc": r["uscc"], "status": "pre-approved", "limit": _clean(r["limit"]), "rate": _clean(r["rate"]),
                "valid_until": _clean(r["valid_until"])}

    def full(self) -> dict[str, Any]:
        r = self.row
        reasons = []
        for k in range(1, N_REASONS + 1):
            code = r[f"reason_{k}"]
            if code is None:
                continue
            reasons.append({"code": code, "value": _clean(r[f"reason_{k}_value"]),
                            "text_zh": r[f"reason_{k}_text_zh"], "text_en": r[f"reason_{k}_text_en"]})
        keep = [c for c in COLUMNS if not c.startswith("reason_")]
        out = {c: _clean(r[c]) for c in keep}
        out["rules_hit"] = [x for x in (r["rules_hit"] or "").split(",") if x]
        out["segments"] = [x for x in (r["segments"] or "").split(",") if x]
        out["reasons"] = reasons
        return out


class RunIndex:
    """Every scanned enterprise of a run folder's ``whitelist.parquet``, by code."""

    def __init__(self, run: Path) -> None:
        path = run / "whitelist.parquet"
        if not path.is_file():
            raise InputDataError(f"{run}: no whitelist.parquet; give --run a folder `whitelist score --out` created")
        table = pq.read_table(path, columns=list(COLUMNS))
        self._columns = {name: table.column(name).to_pylist() for name in COLUMNS}
        self._position = {code: i for i, code in enumerate(self._columns["uscc"])}
        self.size = table.num_rows

    def get(self, uscc: str) -> Decision | None:
        i = self._position.get(uscc)
        if i is None:
            return None
        return Decision({name: values[i] for name, values in self._columns.items()})

    def codes(self) -> list[str]:
        """Every scanned code, in the run's order."""
        return self._columns["uscc"]
