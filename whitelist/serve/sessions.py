"""Browser sessions for the review pages: a signed cookie naming the staff key, never holding it.

A reviewer logs in once with their key; the cookie carries the key's id, an expiry and an HMAC
under a secret made when the server starts, so a restart logs everyone out and a cookie cannot
be forged or stretched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

COOKIE = "wl_session"
HOURS = 8


class Sessions:
    def __init__(self, hours: int = HOURS) -> None:
        self._secret = secrets.token_bytes(32)
        self.seconds = hours * 3600

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, key_sha256: str) -> str:
        payload = f"{key_sha256}.{int(time.time()) + self.seconds}"
        return f"{payload}.{self._sign(payload)}"

    def key_of(self, cookie: str | None) -> str | None:
        """The SHA-256 of the key a valid, unexpired cookie was issued for."""
        if not cookie or cookie.count(".") != 2:
            return None
        key_sha256, expires, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(f"{key_sha256}.{expires}")):
            return None
        if not expires.isdigit() or int(expires) < time.time():
            return None
        return key_sha256
