"""A served run of the shared province: keys for each role, a QR key, the app under test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.cases import ScoringCase
from whitelist.scoring.run import RunResult, run_scoring
from whitelist.serve.app import create_app
from whitelist.serve.auth import key_hash
from whitelist.serve.config import AccessLogConfig, ApiKey, ServeConfig

QR_KEY = "test-qr-signing-key-of-at-least-32-bytes!"
LOG_KEY = "test-access-log-key-of-at-least-32-bytes"
KEYS = {"risk": "risk-key-0123456789", "compliance": "compliance-key-0123456789"}


@dataclass(frozen=True)
class Served:
    run: RunResult
    model: Path
    client: TestClient
    table: pd.DataFrame
    config: ServeConfig
    manager_key: str
    manager_branch: tuple[str, str]
    today: date

    def staff(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.manager_key if role == "account_manager" else KEYS[role]}

    def log_lines(self) -> list[str]:
        return self.config.access_log.path.read_text(encoding="utf-8").splitlines()


@contextmanager
def on_loopback(app: FastAPI) -> Iterator[int]:
    """Run ``app`` behind a real uvicorn server on a free loopback port (yielded) until the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def secrets(config: ServeConfig) -> Iterator[None]:
    """The server's two keys in the environment while an app is made (they are read once, at start)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(config.qr.key_env, QR_KEY)
    mp.setenv(config.access_log.key_env, LOG_KEY)
    try:
        yield
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def served_run(scoring_case: ScoringCase, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_scoring(scoring_case.request(tmp_path_factory.mktemp("serve") / "run"))


@pytest.fixture(scope="session")
def served(
    served_run: RunResult, scoring_case: ScoringCase, tmp_path_factory: pytest.TempPathFactory
) -> Served:
    table = pd.read_parquet(served_run.folder / "whitelist.parquet")
    listed = table[table["decision"] == "whitelist"]
    bank, branch = listed["bank"].iloc[0], listed["branch"].iloc[0]
    manager_key = "manager-key-0123456789"
    config = ServeConfig(
        api_keys=(
            ApiKey(id="risk-1", role="risk", sha256=key_hash(KEYS["risk"])),
            ApiKey(id="compliance-1", role="compliance", sha256=key_hash(KEYS["compliance"])),
            ApiKey(id="am-1", role="account_manager", sha256=key_hash(manager_key), bank=bank, branch=branch),
        ),
        access_log=AccessLogConfig(path=tmp_path_factory.mktemp("serve-log") / "access.jsonl"),
    )
    today = pd.Timestamp(listed["run_date"].iloc[0]).date()
    with secrets(config):
        app = create_app(served_run.folder, config, model=scoring_case.model, today=today)
    # The session cookie is Secure: the test client talks HTTPS, as a browser to a bank's server.
    return Served(run=served_run, model=scoring_case.model, client=TestClient(app, base_url="https://testserver"),
                  table=table, config=config,
                  manager_key=manager_key, manager_branch=(bank, branch), today=today)
