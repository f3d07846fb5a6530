"""The access log: one JSON line per request, so every lookup can be accounted for.

It holds no personal data and no secret: an enterprise's code appears only as the first 16 hex
digits of its HMAC-SHA256 under the log key (a plain hash of a public code is reversed by hashing
the registry; an auditor with the key runs `whitelist log-digest` to find a code's lookups),
callers by their key's id, never the key or the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def code_digest(key: bytes, uscc: str) -> str:
    """What the log records for ``uscc``: 16 hex digits of its HMAC-SHA256 under the log key."""
    return hmac.new(key, uscc.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()[:16]


class AccessLog:
    """Appends a line per request and flushes it, so a crash loses no record already answered."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.key = key
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the server's life
        self._lock = threading.Lock()

    def digest(self, uscc: str | None) -> str | None:
        return code_digest(self.key, uscc) if uscc else None

    def write(self, **record: Any) -> None:
        line = json.dumps(
            {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **record},
            ensure_ascii=False, sort_keys=True,
        )
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
