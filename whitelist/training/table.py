"""Train from a table file (Parquet or CSV) and write a model folder with its evaluation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from whitelist.core.errors import InputDataError
from whitelist.core.io import file_sha256, write_json
from whitelist.training.fit import TrainResult, train_table

EVALUATION_FILE = "evaluation.json"


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet or CSV (UTF-8 or GB18030) table, or an error naming the file."""
    if not path.is_file():
        raise InputDataError(f"{path}: no such table file")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        for encoding in ("utf-8", "gb18030"):
            try:
                return pd.read_csv(path, encoding=encoding)
            except UnicodeDecodeError:
                continue
        raise InputDataError(f"{path}: not readable as UTF-8 or GB18030 CSV")
    raise InputDataError(f"{path}: expected a .parquet or .csv table, got {path.suffix!r}")


def train_from_file(
    table: Path,
    out: Path,
    *,
    target: str,
    id_col: str | None,
    time_col: str | None,
    seed: int = 0,
    trials: int = 0,
    study_storage: Path | None = None,
) -> TrainResult:
    frame = read_table(table)
    result = train_table(
        frame,
        target=target,
        id_col=id_col,
        time_col=time_col,
        seed=seed,
        source=str(table),
        trials=trials,
        study_storage=study_storage,
        study_name=f"whitelist-{out.name}-seed{seed}",
    )
    result.artefact.meta["training_data"] = {"file": table.name, "sha256": file_sha256(table), "rows": len(frame)}
    result.artefact.save(out)
    write_json(out / EVALUATION_FILE, result.evaluation)
    return result
