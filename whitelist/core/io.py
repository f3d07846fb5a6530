"""Atomic writes and content hashes.

Every file the engine writes goes to a temporary name beside its target and is renamed
into place, so a crash never leaves a half-written file where a later stage would read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

LEFTOVER = re.compile(r"^\.(?:.+\.)?(?:tmp|old|work)-(\d+)$")
"""Names of what a write in progress leaves beside its target: ``.NAME.tmp-PID``, ``.NAME.old-PID``, ``.work-PID``."""

PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "store_schema": False}
"""Options for every Parquet file we write: compact, and readable as plain types."""


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` whole.

    A reader sees the old folder or the new one, never a mix: an earlier folder is renamed aside,
    the new one renamed into place, then the old one removed. On failure the temporary folder goes.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_leftovers(folder: Path | str) -> list[Path]:
    """Remove the temporary files and folders that processes no longer running left in ``folder``.

    They are never read (only a finished write is renamed into place), but a killed run leaves them
    behind; the next run clears those whose process is gone and keeps any a live process is writing.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        match = LEFTOVER.match(path.name)
        if match is None or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        log.info("removed %s, left by a process that no longer runs", path)
        removed.append(path)
    return removed


def write_bytes(target: Path | str, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: Path | str, text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: Path | str, payload: Any) -> Path:
    """Write JSON with sorted keys and a trailing newline, so equal content is equal bytes."""
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return write_text(target, text + "\n")


def write_parquet(target: Path | str, table: pa.Table, *, dictionary: bool | list[str] = True) -> Path:
    """``dictionary``: the columns to dictionary-encode (all by default); continuous numbers gain nothing by it."""
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS, use_dictionary=dictionary)
    return Path(target)


class ParquetSink:
    """Write a Parquet file batch by batch, atomically: nothing appears until ``close``."""

    def __init__(self, target: Path | str, schema: pa.Schema) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows = 0
        self._tmp = self.target.with_name(f".{self.target.name}.tmp-{os.getpid()}")
        self._writer = pq.ParquetWriter(self._tmp, schema, **PARQUET_OPTIONS)

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table.cast(self.schema))
            self.rows += table.num_rows

    def close(self) -> Path:
        self._writer.close()
        os.replace(self._tmp, self.target)
        return self.target

    def abort(self) -> None:
        self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def file_sha256(path: Path | str, chunk: int = 1 << 20) -> str:
    """Hash a file's bytes: manifests record it so a run can prove which inputs it read."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
