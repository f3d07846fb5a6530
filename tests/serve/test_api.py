"""The serving API as its callers use it: QR lookups, staff roles, real-time scores, errors, the access log."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cases import ScoringCase
from tests.serve.conftest import KEYS, LOG_KEY, QR_KEY, Served, secrets
from whitelist.core.errors import ConfigError
from whitelist.core.uscc import check_character
from whitelist.serve.access_log import code_digest
from whitelist.serve.app import create_app
from whitelist.serve.auth import qr_token, verify_qr_token
from whitelist.serve.config import ApiKey, ServeConfig, load_serve_config


def _first(served: Served, decision: str) -> pd.Series:
    return served.table[served.table["decision"] == decision].iloc[0]


def _token(served: Served, uscc: str, days: int = 30) -> str:
    return qr_token(QR_KEY.encode(), uscc, served.today + timedelta(days=days))


def test_a_qr_token_opens_its_enterprises_preapproval(served: Served) -> None:
    row = _first(served, "whitelist")
    answer = served.client.get(f"/v1/preapproval/{row.uscc}", params={"token": _token(served, row.uscc)})
    assert answer.status_code == 200
    body = answer.json()
    assert body == {"uscc": row.uscc, "status": "pre-approved", "limit": row["limit"], "rate": row["rate"],
                    "valid_until": pd.Timestamp(row["valid_until"]).date().isoformat()}


def test_a_code_alone_or_another_codes_token_opens_nothing(served: Served) -> None:
    listed = served.table[served.table["decision"] == "whitelist"]
    a, b = listed.uscc.iloc[0], listed.uscc.iloc[1]
    assert served.client.get(f"/v1/preapproval/{a}").status_code == 401
    assert served.client.get(f"/v1/preapproval/{a}", params={"token": _token(served, b)}).status_code == 401
    expired = qr_token(QR_KEY.encode(), a, served.today - timedelta(days=1))
    assert served.client.get(f"/v1/preapproval/{a}", params={"token": expired}).status_code == 401
    forged = qr_token(b"another bank's key, 32 bytes or more", a, served.today + timedelta(days=30))
    assert served.client.get(f"/v1/preapproval/{a}", params={"token": forged}).status_code == 401


def test_not_preapproved_and_unknown_codes_look_the_same(served: Served) -> None:
    declined = _first(served, "decline").uscc
    unknown = "91330000000000000"
    unknown += check_character(unknown)
    assert unknown not in set(served.table.uscc)
    answers = [served.client.get(f"/v1/preapproval/{c}", params={"token": _token(served, c)}) for c in (declined, unknown)]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].content == answers[1].content == b'{"detail":"not found"}'


def test_malformed_codes_get_422_with_the_reason(served: Served) -> None:
    good = _first(served, "whitelist").uscc
    wrong_check = good[:17] + next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != good[17])
    answer = served.client.get(f"/v1/preapproval/{wrong_check}", params={"token": "x"})
    assert answer.status_code == 422 and "check character" in answer.json()["detail"]
    short = served.client.get("/v1/decisions/123", headers=served.staff("risk"))
    assert short.status_code == 422 and "pattern" in json.dumps(short.json()["detail"])


def test_account_managers_see_their_own_branch_only(served: Served) -> None:
    bank, branch = served.manager_branch
    valid = served.table[served.table.decision != "invalid"]
    own = valid[(valid.bank == bank) & (valid.branch == branch)].iloc[0]
    other = valid[(valid.bank != bank) | (valid.branch != branch)].iloc[0]
    assert served.client.get(f"/v1/decisions/{own.uscc}", headers=served.staff("account_manager")).status_code == 200
    answer = served.client.get(f"/v1/decisions/{other.uscc}", headers=served.staff("account_manager"))
    assert answer.status_code == 404 and answer.json() == {"detail": "not found"}
    for role in ("compliance", "risk"):
        assert served.client.get(f"/v1/decisions/{other.uscc}", headers=served.staff(role)).status_code == 200


def test_decisions_need_a_staff_key(served: Served) -> None:
    code = _first(served, "whitelist").uscc
    assert served.client.get(f"/v1/decisions/{code}").status_code == 401
    assert served.client.get(f"/v1/decisions/{code}", headers={"X-API-Key": "guess"}).status_code == 401
    assert served.client.get(f"/v1/decisions/{code}", params={"token": _token(served, code)}).status_code == 401


def test_a_decision_carries_the_runs_reasons(served: Served) -> None:
    row = _first(served, "decline")
    body = served.client.get(f"/v1/decisions/{row.uscc}", headers=served.staff("compliance")).json()
    assert body["decision"] == "decline"
    assert body["rules_hit"] == [r for r in row.rules_hit.split(",") if r]
    assert [r["code"] for r in body["reasons"]] == [row[f"reason_{k}"] for k in range(1, 5) if pd.notna(row[f"reason_{k}"])]
    assert body["reasons"][0]["text_en"] == row.reason_1_text_en


def _payload(served: Served, uscc: str) -> dict[str, object]:
    scorer_required = served.client.app.state.scorer.required  # type: ignore[attr-defined]
    inputs = pd.read_parquet(served.run.folder / "inputs.parquet")
    row = inputs[inputs.uscc == uscc].iloc[0]
    features = {f: (None if pd.isna(row[f]) else row[f].item() if hasattr(row[f], "item") else row[f]) for f in scorer_required}
    return {"uscc": uscc, "features": features}


def test_realtime_scores_repeat_the_batch_decisions_of_scored_enterprises(served: Served) -> None:
    contributions = pd.read_parquet(served.run.folder / "contributions.parquet")
    alone = ~served.table.rules_hit.fillna("").str.contains("RP|CC")  # checks one row cannot make
    rows = served.table[served.table.uscc.isin(contributions.uscc) & alone]
    for decision in ("whitelist", "review", "decline"):
        sample = rows[rows.decision == decision].head(8)
        assert len(sample) > 0, f"the shared province has no scored {decision} to compare"
        for _, row in sample.iterrows():
            answer = served.client.post("/v1/score", json=_payload(served, row.uscc), headers=served.staff("risk"))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["pd"] == row.pd  # the same float: PD is rounded to 1e-9 on both paths
            assert (body["decision"], body["grade"], body["points"]) == (row.decision, row.grade, row.points)
            assert body["rules_hit"] == [r for r in row.rules_hit.split(",") if r]
            assert [r["code"] for r in body["reasons"]] == [
                row[f"reason_{k}"] for k in range(1, 5) if pd.notna(row[f"reason_{k}"])]
            assert [r["text_en"] for r in body["reasons"]] == [
                row[f"reason_{k}_text_en"] for k in range(1, 5) if pd.notna(row[f"reason_{k}"])]
            assert body["not_applied"] == ["RP01", "RP02", "CC01", "CC02"]


def test_realtime_score_names_missing_and_unknown_features(served: Served) -> None:
    row = _first(served, "whitelist")
    payload = _payload(served, row.uscc)
    features = dict(payload["features"])  # type: ignore[arg-type]
    dropped = sorted(features)[0]
    del features[dropped]
    features["no_such_feature"] = 1
    answer = served.client.post("/v1/score", json={"uscc": row.uscc, "features": features}, headers=served.staff("risk"))
    assert answer.status_code == 422
    assert dropped in answer.json()["detail"] and "no_such_feature" in answer.json()["detail"]
    bad = served.client.post("/v1/score", json={"uscc": row.uscc, "features": "x"}, headers=served.staff("risk"))
    assert bad.status_code == 422


def test_compliance_reads_but_does_not_score(served: Served) -> None:
    row = _first(served, "whitelist")
    answer = served.client.post("/v1/score", json=_payload(served, row.uscc), headers=served.staff("compliance"))
    assert answer.status_code == 403


def test_every_request_is_logged_without_codes_tokens_keys_or_names(served: Served) -> None:
    row = _first(served, "whitelist")
    token = _token(served, row.uscc)
    before = len(served.log_lines())
    served.client.get(f"/v1/preapproval/{row.uscc}", params={"token": token})
    served.client.get(f"/v1/decisions/{row.uscc}", headers=served.staff("risk"))
    lines = served.log_lines()[before:]
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [(r["status"], r["role"], r["route"]) for r in records] == [
        (200, None, "/v1/preapproval/{uscc}"), (200, "risk", "/v1/decisions/{uscc}")]
    text = "\n".join(lines)
    for secret in (row.uscc, token, KEYS["risk"]):
        assert secret not in text
    assert records[0]["uscc_hmac16"] == records[1]["uscc_hmac16"] == code_digest(LOG_KEY.encode(), row.uscc)


def test_health_and_the_openapi_spec(served: Served) -> None:
    health = served.client.get("/health").json()
    assert health["status"] == "ok" and health["scanned"] == len(served.table) and health["realtime"] is True
    spec = served.client.get("/openapi.json").json()
    assert {"/v1/preapproval/{uscc}", "/v1/decisions/{uscc}", "/v1/score", "/health"} <= set(spec["paths"])


def test_a_model_other_than_the_runs_is_refused(served: Served, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "model"
    other.mkdir()
    for f in served.model.iterdir():
        if f.is_file():
            (other / f.name).write_bytes(f.read_bytes())
    (other / "model.txt").write_text((served.model / "model.txt").read_text() + "\n")
    with secrets(served.config), pytest.raises(ConfigError, match="not the model of run"):
        create_app(served.run.folder, served.config, model=other)


def test_the_server_refuses_to_start_without_its_keys(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(served.config.qr.key_env, "short")
    monkeypatch.setenv(served.config.access_log.key_env, LOG_KEY)
    with pytest.raises(ConfigError, match="WHITELIST_QR_KEY must hold the QR tokens' signing key, at least 32 bytes"):
        create_app(served.run.folder, served.config)
    monkeypatch.setenv(served.config.qr.key_env, QR_KEY)
    monkeypatch.delenv(served.config.access_log.key_env)
    with pytest.raises(ConfigError, match="WHITELIST_LOG_KEY must hold the access log's code key"):
        create_app(served.run.folder, served.config)


def test_config_rules_on_keys() -> None:
    with pytest.raises(ValueError, match="needs its bank and branch"):
        ApiKey(id="am", role="account_manager", sha256="0" * 64)
    with pytest.raises(ValueError, match="only an account manager"):
        ApiKey(id="r", role="risk", sha256="0" * 64, bank="B01")
    with pytest.raises(ValueError, match="its own id"):
        ServeConfig(api_keys=(ApiKey(id="r", role="risk", sha256="0" * 64), ApiKey(id="r", role="risk", sha256="1" * 64)))


def test_packaged_serve_config_matches_configs() -> None:
    from pathlib import Path

    from whitelist.serve.config import DEFAULT_SERVE

    assert (Path(__file__).parents[2] / "configs" / "serve.yaml").read_text() == DEFAULT_SERVE.read_text()
    assert load_serve_config().api_keys == ()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_random_tokens_never_verify_and_signed_ones_do(token: str, expires: date) -> None:
    key, code, today = QR_KEY.encode(), "91330102436Q7TCD50", date(2025, 1, 6)
    assert not verify_qr_token(key, code, token, today, 400)
    signed = qr_token(key, code, expires)
    assert verify_qr_token(key, code, signed, today, 400) == (today <= expires <= today + timedelta(days=400))
    assert not verify_qr_token(key, code[:-1] + "1", signed, today, 400)
    np.testing.assert_equal(len(signed.split(".")), 2)


def test_a_target_volume_policy_is_applied_as_the_runs_realised_cutoff(
    scoring_case: ScoringCase, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    """One enterprise is always among "the N lowest PDs": real-time scores use the cutoff the run realised."""
    from whitelist.explain.run_folder import RunFolder
    from whitelist.scoring.run import run_scoring
    from whitelist.serve.realtime import RealtimeScorer

    policy = scoring_case.policy
    volume = policy.model_copy(update={"decision": policy.decision.model_copy(
        update={"method": "target_volume", "target_volume": 25})})
    run = run_scoring(scoring_case.request(tmp_path / "run", policy=volume))
    table = pd.read_parquet(run.folder / "whitelist.parquet")
    assert (table.decision == "whitelist").sum() <= 25
    scorer = RealtimeScorer(RunFolder.open(run.folder), scoring_case.model)
    inputs = pd.read_parquet(run.folder / "inputs.parquet")
    alone = ~table.rules_hit.fillna("").str.contains("RP|CC")
    scored = table[table.pd.notna() & alone]
    sample = pd.concat([scored[scored.decision == d].head(6) for d in ("whitelist", "review", "decline")])
    assert set(sample.decision) == {"whitelist", "review", "decline"}
    for _, row in sample.iterrows():
        values = inputs[inputs.uscc == row.uscc].iloc[0]
        features = {f: (None if pd.isna(values[f]) else values[f].item() if hasattr(values[f], "item") else values[f])
                    for f in scorer.required}
        assert scorer.score(row.uscc, features)["decision"] == row.decision, row.uscc
