"""The served API and pages as an attacker and a careless caller would try them (issue 20).

Cross-branch answers compared byte for byte, bodies refused before they are read, malformed
credentials, a logged-out cookie replayed, forms posted from another site, the headers, payload
values no source could produce, and the keyed digest in the access log.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.serve.conftest import KEYS, LOG_KEY, QR_KEY, Served, on_loopback, secrets
from whitelist.cli.main import app as cli
from whitelist.core.uscc import check_character
from whitelist.serve.access_log import code_digest
from whitelist.serve.app import create_app
from whitelist.serve.auth import qr_token, verify_qr_token
from whitelist.serve.lookup import RunIndex
from whitelist.serve.sessions import COOKIE, FORM_COOKIE

HTTPS = "https://testserver"


def _unknown_code(served: Served) -> str:
    body = "91330000000000001"
    code = body + check_character(body)
    assert code not in set(served.table.uscc)
    return code


def _other_branch(served: Served) -> pd.DataFrame:
    bank, branch = served.manager_branch
    t = served.table
    return t[(t.bank != bank) | (t.branch != branch)]


def _login(client: TestClient, key: str) -> str:
    """Log in as a browser does (login page, then its form); the session cookie's value."""
    form = client.get("/review/login")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post("/review/login", data={"key": key, "form_token": token.group(1)},
                         headers={"Origin": HTTPS}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client.cookies[COOKIE]


@pytest.fixture
def browser_like(served: Served) -> TestClient:
    """A fresh client (its own cookies) on the served app."""
    return TestClient(served.client.app, base_url=HTTPS)


# ---------------------------------------------------------------- another branch reads as unknown


def test_another_branchs_enterprises_answer_exactly_as_unknown_codes(served: Served, browser_like: TestClient) -> None:
    other = _other_branch(served)
    listed = other[other.decision == "whitelist"].uscc.iloc[0]
    declined = other[other.decision == "decline"].uscc.iloc[0]
    unknown = _unknown_code(served)
    key = served.staff("account_manager")
    for route in ("/v1/preapproval/{}", "/v1/decisions/{}"):
        answers = [served.client.get(route.format(c), headers=key) for c in (listed, declined, unknown)]
        assert {(a.status_code, a.content) for a in answers} == {(404, b'{"detail":"not found"}')}, route
    _login(browser_like, served.manager_key)
    pages = [browser_like.get(f"/review/decisions/{c}") for c in (listed, unknown)]
    assert [p.status_code for p in pages] == [404, 404]
    assert pages[0].content.replace(listed.encode(), b"CODE") == pages[1].content.replace(unknown.encode(), b"CODE")
    own = served.table[(served.table.bank == served.manager_branch[0]) & (served.table.branch == served.manager_branch[1])]
    assert browser_like.get(f"/review/decisions/{own.uscc.iloc[0]}").status_code == 200


# ---------------------------------------------------------------- bodies and credentials


@pytest.fixture(scope="module")
def live(served: Served) -> Iterator[tuple[str, int]]:
    """The app behind a real server on loopback, for requests a test client cannot make (a body never sent)."""
    with secrets(served.config):
        app = create_app(served.run.folder, served.config, model=served.model, today=served.today)
    with on_loopback(app) as port:
        yield "127.0.0.1", port


def _head_only(address: tuple[str, int], headers: str) -> tuple[int, bytes]:
    """Send a POST's head announcing 100 MB, none of the body, and read the answer (within 10 s)."""
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {100 * 1024 * 1024}\r\n{headers}\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_a_body_is_never_read_without_a_key_nor_over_the_limit(served: Served, live: tuple[str, int]) -> None:
    status, body = _head_only(live, "")
    assert status == 401 and b"X-API-Key" in body  # answered while the 100 MB were never sent
    status, body = _head_only(live, "X-API-Key: not-a-key\r\n")
    assert status == 401
    status, body = _head_only(live, f"X-API-Key: {KEYS['risk']}\r\n")
    assert status == 413 and b"65536 bytes" in body


def test_a_body_without_a_length_is_cut_at_the_limit(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"uscc": "' + b"9" * 70_000 + b'"}'

    answer = served.client.post("/v1/score", content=chunks(), headers={**served.staff("risk"), "Content-Type": "application/json"})
    assert answer.status_code == 413


def test_malformed_credentials_are_401_and_logged(served: Served, browser_like: TestClient) -> None:
    code = served.table[served.table.decision == "whitelist"].uscc.iloc[0]
    before = len(served.log_lines())
    for token in ("20250331.%C3%A9", "20250331.\u00e9\u00e9", "２０２５０３３１.abc", "20250331."):
        answer = served.client.get(f"/v1/preapproval/{code}?token={token}")
        assert answer.status_code == 401, token
    cookie = f"{COOKIE}=".encode() + "\u00e9".encode() * 20
    answer = browser_like.get("/review", headers={"Cookie": cookie}, follow_redirects=False)  # type: ignore[dict-item]
    assert answer.status_code == 303  # to the login page, not a 500
    key = {"X-API-Key": "cl\u00e9".encode()}
    assert served.client.get(f"/v1/decisions/{code}", headers=key).status_code == 401  # type: ignore[arg-type]
    assert len(served.log_lines()) - before == 6


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_token_with_any_signature_never_verifies_nor_raises(signature: str) -> None:
    today = pd.Timestamp("2025-01-06").date()
    stamp = (today + timedelta(days=30)).strftime("%Y%m%d")
    assert not verify_qr_token(QR_KEY.encode(), "91330102436Q7TCD50", f"{stamp}.{signature}", today, 400)


def test_a_request_that_fails_inside_is_logged_as_500(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    with secrets(served.config):
        app = create_app(served.run.folder, served.config, today=served.today)
    client = TestClient(app, base_url=HTTPS, raise_server_exceptions=False)

    def broken(self: RunIndex, uscc: str) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(RunIndex, "get", broken)
    code = served.table.uscc.iloc[0]
    before = len(served.log_lines())
    assert client.get(f"/v1/decisions/{code}", headers=served.staff("risk")).status_code == 500
    record = json.loads(served.log_lines()[before])
    assert (record["status"], record["route"], record["role"]) == (500, "/v1/decisions/{uscc}", "risk")


# ---------------------------------------------------------------- sessions and forms


def test_logout_ends_the_session_for_every_copy_of_the_cookie(served: Served, browser_like: TestClient) -> None:
    cookie = _login(browser_like, KEYS["compliance"])
    copy = TestClient(served.client.app, base_url=HTTPS, headers={"Cookie": f"{COOKIE}={cookie}"})  # copied elsewhere
    assert copy.get("/review", follow_redirects=False).status_code == 200
    page = browser_like.get("/review").text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    out = browser_like.post("/review/logout", data={"form_token": token.group(1)}, headers={"Origin": HTTPS},
                            follow_redirects=False)
    assert out.status_code == 303
    assert copy.get("/review", follow_redirects=False).headers["location"] == "/review/login"


def test_cookies_are_secure_httponly_and_strict_unless_plain_http(served: Served) -> None:
    client = TestClient(served.client.app, base_url=HTTPS)
    _login(client, KEYS["risk"])
    login = client.get("/review/login")
    set_cookie = login.headers["set-cookie"]
    assert FORM_COOKIE in set_cookie and "Secure" in set_cookie and "HttpOnly" in set_cookie
    plain = served.config.model_copy(update={"plain_http": True})
    with secrets(plain):
        app = create_app(served.run.folder, plain, today=served.today)
    answer = TestClient(app).get("/review/login")
    assert "Secure" not in answer.headers["set-cookie"]


def test_forms_posted_from_another_site_are_refused(served: Served, browser_like: TestClient) -> None:
    browser_like.get("/review/login")
    evil = browser_like.post("/review/login", data={"key": KEYS["risk"]}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "another site" in evil.json()["detail"]
    # A browser under no-referrer sends Origin: null; the form's token, which another site cannot read, decides.
    no_token = browser_like.post("/review/login", data={"key": KEYS["risk"]}, headers={"Origin": "null"},
                                 follow_redirects=False)
    assert no_token.status_code == 403 and "expired" in no_token.text
    assert COOKIE not in browser_like.cookies
    stranger = TestClient(served.client.app, base_url=HTTPS)
    _login(stranger, KEYS["risk"])
    token = re.search(r'name="form_token" value="([^"]+)"', stranger.get("/review").text)
    assert token is not None
    _login(browser_like, KEYS["compliance"])  # another browser's token does not log this one out
    browser_like.post("/review/logout", data={"form_token": token.group(1)}, headers={"Origin": HTTPS})
    assert browser_like.get("/review", follow_redirects=False).status_code == 200


def test_every_answer_carries_the_security_headers(served: Served, browser_like: TestClient) -> None:
    _login(browser_like, KEYS["risk"])
    code = served.table.uscc.iloc[0]
    for answer in (browser_like.get(f"/review/decisions/{code}"), browser_like.get("/review/login"),
                   served.client.get(f"/v1/decisions/{code}", headers=served.staff("risk")), served.client.get("/health")):
        h = answer.headers
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store" and h["x-content-type-options"] == "nosniff"
        csp = h["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


# ---------------------------------------------------------------- payloads and the log


def _payload(served: Served) -> tuple[str, dict[str, object]]:
    row = served.table[served.table.decision == "whitelist"].iloc[0]
    inputs = pd.read_parquet(served.run.folder / "inputs.parquet")
    values = inputs[inputs.uscc == row.uscc].iloc[0]
    required = served.client.app.state.scorer.required  # type: ignore[attr-defined]
    return row.uscc, {f: (None if pd.isna(values[f]) else values[f].item() if hasattr(values[f], "item") else values[f])
                      for f in required}


@pytest.mark.parametrize(
    ("feature", "raw", "says"),
    [
        ("tax_sales_sum_12m", "1e308", "outside the values its sources allow"),
        ("tax_sales_sum_12m", "Infinity", "finite number"),
        ("tax_sales_sum_12m", "NaN", "finite number"),
        ("tax_sales_sum_12m", "-5", "outside the values its sources allow"),
        ("tax_filings_count_12m", "13", "[0, 12]"),
    ],
)
def test_payload_values_no_source_could_produce_are_422_naming_the_feature(
    served: Served, feature: str, raw: str, says: str
) -> None:
    uscc, features = _payload(served)
    assert feature in features
    features[feature] = 0
    body = json.dumps({"uscc": uscc, "features": features}).replace(f'"{feature}": 0', f'"{feature}": {raw}')
    answer = served.client.post("/v1/score", content=body,
                                headers={**served.staff("risk"), "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert feature in answer.json()["detail"] and says in answer.json()["detail"]


def test_the_log_digest_is_keyed_and_auditors_can_compute_it(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    code = served.table.uscc.iloc[0]
    before = len(served.log_lines())
    served.client.get(f"/v1/decisions/{code}", headers=served.staff("risk"))
    record = json.loads(served.log_lines()[before])
    assert record["uscc_hmac16"] == code_digest(LOG_KEY.encode(), code)
    assert record["uscc_hmac16"] != hashlib.sha256(code.encode()).hexdigest()[:16]  # a registry hash finds nothing
    monkeypatch.setenv("WHITELIST_LOG_KEY", LOG_KEY)
    result = CliRunner().invoke(cli, ["log-digest", "--code", code])
    assert result.exit_code == 0 and record["uscc_hmac16"] in result.output
    monkeypatch.setenv("WHITELIST_LOG_KEY", "short")
    refused = CliRunner().invoke(cli, ["log-digest", "--code", code])
    assert refused.exit_code == 1 and "WHITELIST_LOG_KEY" in refused.output


def test_a_qr_token_still_opens_only_its_own_code(served: Served) -> None:
    row = served.table[served.table.decision == "whitelist"].iloc[0]
    token = qr_token(QR_KEY.encode(), row.uscc, served.today + timedelta(days=30))
    assert served.client.get(f"/v1/preapproval/{row.uscc}", params={"token": token}).status_code == 200
    assert served.client.get(f"/v1/decisions/{row.uscc}", params={"token": token}).status_code == 401
