"""Who is calling: an enterprise holding its QR token, or staff holding an API key.

A USCC is public, so a code alone reveals nothing. The QR code a bank prints for an enterprise
carries a token, the HMAC-SHA256 of the code and an expiry date under the bank's key; it
opens that one enterprise's pre-approval until it expires. Staff present an API key, which
the config knows only by its SHA-256, with a role: an account manager sees the enterprises
of their own bank and branch, compliance every decision read-only, risk everything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from whitelist.serve.config import ApiKey, Role, ServeConfig

TOKEN_DATE = "%Y%m%d"


def _signature(key: bytes, uscc: str, expires: date) -> str:
    digest = hmac.new(key, f"{uscc}|{expires.strftime(TOKEN_DATE)}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def qr_token(key: bytes, uscc: str, expires: date) -> str:
    """``YYYYMMDD.signature``: what the QR code's link carries as ``?token=``."""
    return f"{expires.strftime(TOKEN_DATE)}.{_signature(key, uscc, expires)}"


def verify_qr_token(key: bytes, uscc: str, token: str, today: date, max_days: int) -> bool:
    """True when ``token`` was signed for ``uscc`` and is neither expired nor valid implausibly long."""
    stamp, _, signature = token.partition(".")
    if len(stamp) != 8 or not stamp.isascii() or not stamp.isdigit() or not signature or not signature.isascii():
        return False
    try:
        expires = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        return False
    if expires < today or expires > today + timedelta(days=max_days):
        return False
    return hmac.compare_digest(signature, _signature(key, uscc, expires))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_api_key() -> str:
    """A fresh random key (give it to the caller once; only its hash goes into the config)."""
    return secrets.token_urlsafe(32)

@dataclass(frozen=True)
class Caller:
    """An authenticated caller: ``qr`` opens one code; a key has a role (and a branch for managers)."""

    kind: str
    """``qr`` or ``key``."""
    id: str
    """The key's id, or ``qr`` (the access log never holds a token or a key)."""
    role: Role | None = None
    bank: str | None = None
    branch: str | None = None
    uscc: str | None = None

    def sees(self, bank: object, branch: object) -> bool:
        """May this caller see an enterprise assigned to ``bank``/``branch``?"""
        if self.kind == "qr":
            return False  # a token opens its own code's pre-approval only, checked where it is read
        if self.role == "account_manager":
            return bank == self.bank and branch == self.branch
        return True


class KeyRing:
    """The config's API keys, looked up by the SHA-256 of what the caller presents."""

    def __init__(self, config: ServeConfig) -> None:
        self._by_hash: dict[str, ApiKey] = {k.sha256: k for k in config.api_keys}

    def caller(self, presented: str) -> Caller | None:
        return self.caller_by_hash(key_hash(presented))

    def caller_by_hash(self, sha256: str) -> Caller | None:
        entry = self._by_hash.get(sha256)
        if entry is None:
            return None
        return Caller(kind="key", id=entry.id, role=entry.role, bank=entry.bank, branch=entry.branch)
