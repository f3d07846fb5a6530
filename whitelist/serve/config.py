"""The serving config (``configs/serve.yaml``): who may call, with which key, and where lookups are logged.

Keys are never stored: the config holds each key's SHA-256, its role and, for an account
manager, the bank and branch whose enterprises the key may see. The QR tokens' signing key is
read from an environment variable named in the config, so the YAML can be committed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from whitelist.core.config import StrictModel, load_config
from whitelist.core.errors import ConfigError

DEFAULT_SERVE = Path(__file__).with_name("serve.yaml")
"""The packaged default, identical to ``configs/serve.yaml`` (a test keeps them in sync)."""

Role = Literal["account_manager", "compliance", "risk"]
ROLES: tuple[Role, ...] = ("account_manager", "compliance", "risk")


class ApiKey(StrictModel):
    """One caller's key, stored as its SHA-256 (``whitelist serve-key`` makes both)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="names the caller in the access log")
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bank: str | None = None
    branch: str | None = None

    @model_validator(mode="after")
    def _scope(self) -> ApiKey:
        if self.role == "account_manager" and (not self.bank or not self.branch):
            raise ValueError(f"key {self.id!r}: an account manager's key needs its bank and branch")
        if self.role != "account_manager" and (self.bank or self.branch):
            raise ValueError(f"key {self.id!r}: only an account manager's key is limited to a bank and branch")
        return self


class QrTokens(StrictModel):
    key_env: str = Field("WHITELIST_QR_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$",
                         description="environment variable holding the HMAC key of the QR tokens")
    max_days: int = Field(400, ge=1, le=3660, description="a token valid for longer than this from today is refused")
    min_key_bytes: int = Field(32, ge=16)


class AccessLogConfig(StrictModel):
    path: Path = Field(Path("access-log.jsonl"), description="JSON lines, one per request; relative to the working folder")
    key_env: str = Field("WHITELIST_LOG_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$",
                         description="environment variable holding the HMAC key of the codes in the log")
    min_key_bytes: int = Field(32, ge=16)


class ServeConfig(StrictModel):
    version: int = 1
    qr: QrTokens = QrTokens()
    api_keys: tuple[ApiKey, ...] = ()
    access_log: AccessLogConfig = AccessLogConfig()
    max_body_bytes: int = Field(65_536, ge=1_024, le=64 * 1024 * 1024,
                                description="a request body larger than this is refused (413) before it is read")
    plain_http: bool = Field(False, description="true only when browsers reach the server over plain HTTP with no "
                             "TLS proxy in front: the session cookie then goes without its Secure flag")
    session_hours: int = Field(8, ge=1, le=24, description="a review-page login lasts this long unless logged out")

    @model_validator(mode="after")
    def _unique(self) -> ServeConfig:
        ids = [k.id for k in self.api_keys]
        hashes = [k.sha256 for k in self.api_keys]
        if len(set(ids)) != len(ids) or len(set(hashes)) != len(hashes):
            raise ValueError("api_keys: every key needs its own id and its own key")
        return self

    def qr_key(self) -> bytes:
        """The QR signing key from the environment; a missing or short key stops the server at start."""
        return _secret(self.qr.key_env, self.qr.min_key_bytes, "the QR tokens' signing key")

    def log_key(self) -> bytes:
        """The access log's code key from the environment: a code's digest in the log is its HMAC under it.

        A plain hash of a public code is reversed by hashing the registry; a keyed one is not, and
        an auditor holding the key computes a code's digest with `whitelist log-digest`.
        """
        return _secret(self.access_log.key_env, self.access_log.min_key_bytes, "the access log's code key")


def _secret(env: str, min_bytes: int, what: str) -> bytes:
    """A key from the environment; a missing or short one stops the command at start."""
    value = os.environ.get(env, "")
    if len(value.encode()) < min_bytes:
        raise ConfigError(
            f"environment variable {env} must hold {what}, at least {min_bytes} bytes (got {len(value.encode())}); "
            "set it, e.g. to the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return value.encode()


def load_serve_config(path: Path | None = None) -> ServeConfig:
    return load_config(ServeConfig, path or DEFAULT_SERVE)
