"""What every request passes before and after the app: credentials before bodies, a size limit, a
same-origin check on the review pages' forms, the security headers, and the access log line.

A plain ASGI layer, outside FastAPI's routing: a body is never read for a caller who has no
valid key, nor at all when it is larger than the configured limit; and the log line is
written in a ``finally``, so a request that ends in a 500 is accounted for like any other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException

from whitelist.serve.access_log import AccessLog
from whitelist.serve.auth import Caller, KeyRing

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

KEYED_BODIES = ("/v1/",)
"""Paths whose request bodies are read only for a caller with a valid X-API-Key."""
FORMS = ("/review/",)
"""Paths whose POSTs must not come from another site: an Origin naming another host is refused here;
without one (a browser sends ``null`` under ``no-referrer``) the form's own token decides (pages.py)."""
OPEN_PAGES = ("/docs", "/redoc")
"""The API explorer loads its own script; every other answer forbids scripts altogether."""
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)
"""On every answer: decisions and pages are never cached, framed or leaked through a referrer."""
_REPLACED = frozenset(name for name, _ in HEADERS)
_CSP_HEADER = (b"content-security-policy", CSP.encode())


class Guard:
    def __init__(self, app: App, *, keys: KeyRing, log: AccessLog, max_body: int) -> None:
        self.app, self.keys, self.log, self.max_body = app, keys, log, max_body
        self.too_large = f"the request body is larger than the server takes ({max_body} bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        status = [500]  # what the log says if the app fails before it answers

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                headers += HEADERS
                if not scope["path"].startswith(OPEN_PAGES):
                    headers.append(_CSP_HEADER)
                message["headers"] = headers
            await send(message)

        try:
            refusal = self._refusal(scope, state)
            if refusal is not None:
                await _answer(send_secured, *refusal)
                return
            await self.app(scope, self._limited(receive), send_secured)
        finally:
            caller: Caller | None = state.get("caller")
            code = (scope.get("path_params") or {}).get("uscc") or state.get("uscc")
            route = getattr(scope.get("route"), "path", "(no route)")
            self.log.write(
                method=scope.get("method"), route=route, status=status[0],
                ms=round((time.perf_counter() - start) * 1000, 3),
                caller=caller.id if caller else None, role=caller.role if caller else None,
                uscc_hmac16=self.log.digest(code) if isinstance(code, str) else None,
            )

    def _refusal(self, scope: Scope, state: dict[str, Any]) -> tuple[int, str] | None:
        """The answer to give without reading the body, or None to let the request through."""
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.startswith(KEYED_BODIES):
            presented = headers.get("x-api-key")
            caller = self.keys.caller(presented) if presented else None
            if caller is None:
                return 401, "give a valid staff key in the X-API-Key header"
            state["caller"] = caller
        if path.startswith(FORMS) and not _same_origin(headers):
            return 403, "this form was sent from another site: use the review pages of this server"
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return 413, self.too_large
        return None

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that stops a body sent without a length once it passes the limit."""
        seen = [0]

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > self.max_body:
                    raise HTTPException(status_code=413, detail=self.too_large)
            return message

        return counted


def _same_origin(headers: dict[str, str]) -> bool:
    """False when the post names another site as its origin (an absent or ``null`` Origin names none)."""
    sender = headers.get("origin", "")
    return sender in ("", "null") or urlsplit(sender).netloc == headers.get("host", "")


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
