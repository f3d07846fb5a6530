"""A scoring run folder, read as files: what the pages and the compliance report show.

explain/ never imports scoring code: a reviewer's page must show what the run wrote, so it
reads ``whitelist.parquet``, ``contributions.parquet``, ``inputs.parquet``,
``decision_log.parquet``, ``manifest.json``, ``reason_groups.json`` and the model's JSON
copied into ``model/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from whitelist.core.artefact_file import read_artefact
from whitelist.core.errors import InputDataError
from whitelist.core.run_manifest import MANIFEST_FILE, RUN_FILES, RunManifest
from whitelist.models.meta import ARTEFACT_FILE, ModelMeta, read_model_meta

REQUIRED = RUN_FILES


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        missing = [name for name in REQUIRED if not (path / name).is_file()]
        if missing:
            raise InputDataError(
                f"{path}: not a complete run folder (missing {', '.join(missing)}); give --run the folder "
                "`whitelist score --out` created"
            )
        return cls(path)

    @cached_property
    def manifest(self) -> RunManifest:
        """The run's manifest, parsed; one from an unknown version or edited by hand is refused naming the field."""
        return read_artefact(RunManifest, self.path / MANIFEST_FILE)

    @cached_property
    def reason_groups(self) -> dict[str, Any]:
        data = _json(self.path / "reason_groups.json")
        return {g["code"]: g for g in data.get("groups", [])}

    @cached_property
    def evaluation(self) -> dict[str, Any]:
        return _json(self.path / "model" / "evaluation.json")

    @cached_property
    def model_meta(self) -> ModelMeta | None:
        """How the run's model was trained (its ``artefact.json`` meta, copied into ``model/``); None if not copied."""
        path = self.path / "model" / ARTEFACT_FILE
        if not path.is_file():
            return None
        return read_model_meta(path)

    @cached_property
    def input_columns(self) -> frozenset[str]:
        """Columns of ``inputs.parquet``, read from its schema once."""
        return frozenset(pq.read_schema(self.path / "inputs.parquet").names)

    @cached_property
    def whitelist(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "whitelist.parquet")

    @cached_property
    def contributions(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "contributions.parquet")

    def rows_of(self, name: str, uscc: str) -> pd.DataFrame:
        """The rows of one enterprise in a Parquet file of the run, without reading the rest."""
        table = pq.read_table(self.path / name, filters=[("uscc", "=", uscc)])
        return table.filter(pc.equal(table["uscc"], uscc)).to_pandas()

    def enterprise(self, uscc: str) -> dict[str, Any]:
        """Everything the run wrote about one enterprise; an unknown code is an error that says so."""
        decision = self.rows_of("whitelist.parquet", uscc)
        if decision.empty:
            raise InputDataError(
                f"{uscc!r}: not in {self.path / 'whitelist.parquet'}; every scanned enterprise is there once, "
                "so check the code (18 characters) or the run folder"
            )
        contributions = self.rows_of("contributions.parquet", uscc)
        inputs = self.rows_of("inputs.parquet", uscc)
        log = self.rows_of("decision_log.parquet", uscc).sort_values("step")
        return {
            "decision": decision.iloc[0].to_dict(),
            "contributions": None if contributions.empty else contributions.iloc[0].to_dict(),
            "inputs": inputs.iloc[0].to_dict() if not inputs.empty else {},
            "log": log.to_dict("records"),
        }
