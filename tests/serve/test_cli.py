"""The serving commands as a risk team runs them: make a key, print QR tokens, start the server."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.serve.conftest import LOG_KEY, QR_KEY, Served
from whitelist.cli.main import app
from whitelist.core.config import parse_config
from whitelist.serve.auth import key_hash, verify_qr_token
from whitelist.serve.config import ServeConfig


def test_serve_key_prints_a_key_and_an_entry_holding_only_its_hash() -> None:
    result = CliRunner().invoke(app, ["serve-key", "--id", "am-1", "--role", "account_manager", "--bank", "B1", "--branch", "BR1"])
    assert result.exit_code == 0, result.output
    key = result.output.split("its hash): ", 1)[1].split()[0]
    entry = yaml.safe_load(result.output.split("add under api_keys:", 1)[1])
    assert entry == [{"id": "am-1", "role": "account_manager", "sha256": key_hash(key), "bank": "B1", "branch": "BR1"}]
    assert key not in result.output.split("add under api_keys:", 1)[1]
    bad = CliRunner().invoke(app, ["serve-key", "--id", "am-2", "--role", "account_manager"])
    assert bad.exit_code == 1 and "needs its bank and branch" in bad.output


def test_qr_tokens_open_exactly_the_preapproved_enterprises(served: Served, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WHITELIST_QR_KEY", QR_KEY)
    out = tmp_path / "tokens.csv"
    result = CliRunner().invoke(app, ["qr-tokens", "--run", str(served.run.folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    listed = sorted(served.table.loc[served.table.decision == "whitelist", "uscc"])
    assert [r["uscc"] for r in rows] == listed
    first = rows[0]
    assert verify_qr_token(QR_KEY.encode(), first["uscc"], first["token"], served.today, 400)
    answer = served.client.get(first["url"].removeprefix("http://127.0.0.1:8000"))
    assert answer.status_code == 200 and answer.json()["valid_until"] == first["valid_until"]
    monkeypatch.setenv("WHITELIST_QR_KEY", "")
    refused = CliRunner().invoke(app, ["qr-tokens", "--run", str(served.run.folder), "--out", str(tmp_path / "x.csv")])
    assert refused.exit_code == 1 and "WHITELIST_QR_KEY" in refused.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_a_real_server_that_answers_over_http(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    settings = served.config.model_dump(mode="json")
    settings["access_log"]["path"] = str(tmp_path / "access.jsonl")
    parse_config(ServeConfig, settings)
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "WHITELIST_QR_KEY": QR_KEY, "WHITELIST_LOG_KEY": LOG_KEY}
    exe = Path(sys.executable).with_name("whitelist")
    proc = subprocess.Popen([str(exe), "serve", "--run", str(served.run.folder), "--config", str(config),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        assert health["status"] == "ok" and health["realtime"] is False
        code = served.table.loc[served.table.decision == "whitelist", "uscc"].iloc[0]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/preapproval/{code}", timeout=5)
            raise AssertionError("a code without its token was answered")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    logged = [json.loads(line) for line in (tmp_path / "access.jsonl").read_text().splitlines()]
    assert [r["status"] for r in logged][-1] == 401
