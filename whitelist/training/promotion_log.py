"""The append-only promotion log: every promotion attempt, who approved it, and what the gates said.

One JSON object per line, each carrying the SHA-256 of the line before it, so a record that
was edited or removed breaks the chain and the next promotion refuses to write until someone
restores the log. New records are written by copying the log to a temporary file, appending
and renaming, so a crash leaves either the old log or the new one, never half a line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from whitelist.core.errors import InputDataError
from whitelist.core.io import write_bytes

LOG_FILE = "promotions.jsonl"
GENESIS = "0" * 64


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every record, after checking the chain; an error names the first broken line."""
    return _verified(path, path.read_bytes() if path.is_file() else b"")


def _verified(path: Path, body: bytes) -> list[dict[str, Any]]:
    records, previous = [], GENESIS
    for number, line in enumerate(body.splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{path}:{number}: not a JSON record ({exc}); restore the log from backup") from exc
        if record.get("previous_sha256") != previous:
            raise InputDataError(
                f"{path}:{number}: the chain of records is broken (a record before it was changed or removed); "
                "restore the log from backup before promoting"
            )
        records.append(record)
        previous = _digest(line)
    return records


def append_record(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append ``record`` (with its sequence number and chain hash) and return it as written."""
    body = path.read_bytes() if path.is_file() else b""
    existing = _verified(path, body)
    if body and not body.endswith(b"\n"):
        body += b"\n"
    last = body.splitlines()[-1] if body else None
    full = {**record, "sequence": len(existing) + 1, "previous_sha256": _digest(last) if last else GENESIS}
    line = json.dumps(full, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    write_bytes(path, body + line + b"\n")
    return full
