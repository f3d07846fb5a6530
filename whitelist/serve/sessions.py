"""Browser sessions for the review pages, held by the server.

A reviewer logs in once with their key; the cookie carries only a random session id. The server
keeps, per id, the SHA-256 of the key and the expiry, so logging out ends the session for every
copy of the cookie, a restart logs everyone out, and a cookie cannot be forged or stretched.

Every form carries a token bound to the browser (the HMAC of its session id, or before login of a
random pre-login cookie): a page of another site can make the browser post, but cannot read the
token, so its post is refused even where the browser sends no Origin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

COOKIE = "wl_session"
FORM_COOKIE = "wl_form"
"""Before login: a random value the login form's token is bound to."""


class Sessions:
    def __init__(self, hours: int) -> None:
        self.seconds = hours * 3600
        self._open: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)

    def form_token(self, bound_to: str) -> str:
        """The token a form carries, bound to the session id (or pre-login cookie) of the browser showing it."""
        return hmac.new(self._secret, f"form|{bound_to}".encode(), hashlib.sha256).hexdigest()

    def form_ok(self, bound_to: str | None, presented: str | None) -> bool:
        """Was this form shown to this browser? (Constant time; any malformed value is simply a no.)"""
        if not bound_to or not presented or not presented.isascii() or not bound_to.isascii():
            return False
        return hmac.compare_digest(presented, self.form_token(bound_to))

    def issue(self, key_sha256: str) -> str:
        """A new session for the key; the id is 256 random bits, the cookie's whole value."""
        session = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._open = {s: v for s, v in self._open.items() if v[1] > now}  # forget the expired
            self._open[session] = (key_sha256, now + self.seconds)
        return session

    def key_of(self, cookie: str | None) -> str | None:
        """The SHA-256 of the key an open, unexpired session was issued for."""
        if not cookie:
            return None
        with self._lock:
            found = self._open.get(cookie)
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def end(self, cookie: str | None) -> None:
        """Logout: the session is gone, whoever holds a copy of its cookie."""
        if cookie:
            with self._lock:
                self._open.pop(cookie, None)
