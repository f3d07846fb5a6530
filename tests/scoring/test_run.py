"""A whole scoring run on a generated province: every enterprise once, reproducible, reconciled."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.cases import SCORING_DATE, ScoringCase
from whitelist.cli.main import app
from whitelist.core.errors import ConfigError, GateFailedError, InputDataError
from whitelist.models.artefact import ModelArtefact
from whitelist.models.reasons import load_reasons
from whitelist.scoring.config import load_policy
from whitelist.core.decisions import DECISIONS
from whitelist.scoring.inputs import Prefetch
from whitelist.core.run_manifest import RunManifest
from whitelist.scoring.run import RunResult, run_scoring


@pytest.fixture(scope="module")
def run(scoring_case: ScoringCase, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_scoring(scoring_case.request(tmp_path_factory.mktemp("runs") / "run"))


def _read(run: RunResult, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.folder / name)


def test_every_scanned_enterprise_appears_once_and_counts_reconcile(run: RunResult, scoring_case: ScoringCase) -> None:
    wl = _read(run, "whitelist.parquet")
    visit = pd.read_parquet(scoring_case.validated / "visit_list.parquet")
    features = pd.read_parquet(scoring_case.features, columns=["uscc"])
    scanned = set(visit["uscc"].astype(str)) | set(features["uscc"].astype(str))
    assert wl["uscc"].is_unique and set(wl["uscc"]) == scanned
    manifest = json.loads((run.folder / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert counts["scanned"] == len(wl) == sum(counts[d] for d in DECISIONS)
    assert counts["reconciles"] is True
    assert wl["decision"].value_counts().to_dict() == {d: counts[d] for d in DECISIONS if counts[d]}
    assert counts["whitelist"] > 0 and counts["excluded"] > 0 and counts["decline"] > 0


def test_decisions_carry_what_the_policy_promises(run: RunResult, scoring_case: ScoringCase) -> None:
    wl = _read(run, "whitelist.parquet")
    white = wl[wl["decision"] == "whitelist"]
    policy = scoring_case.policy
    assert (white["pd"] <= policy.decision.whitelist_max_pd).all()
    assert white["limit"].between(policy.limits.product.min_limit, policy.limits.product.max_limit).all()
    assert (white["limit"] % policy.limits.round_to == 0).all()
    assert white["rate"].between(policy.pricing.floor, policy.pricing.cap).all()
    assert white["valid_until"].notna().all() and white["contact_by"].notna().all()
    assert (white["rules_hit"] == "").all()
    # Excluded enterprises were never scored and carry the exclusion's id as their first reason.
    excluded = wl[wl["decision"] == "excluded"]
    assert excluded["pd"].isna().all() and excluded["limit"].isna().all()
    assert excluded["reason_1"].str.match(r"^EX\d\d$").all()
    assert (excluded["rules_hit"].str.split(",").str[0] == excluded["reason_1"]).all()
    # Whitelisted enterprises show supporting groups (negative contributions), declines by PD risk-raising ones.
    assert (white["reason_1_value"] < 0).all()
    by_model = wl[wl["rules_hit"] == "PD01"]
    assert (by_model["reason_1_value"] > 0).all()


def test_limits_never_exceed_the_real_need(run: RunResult) -> None:
    wl = _read(run, "whitelist.parquet")
    inputs = _read(run, "inputs.parquet").set_index("uscc")
    offered = wl[wl["decision"].isin(["whitelist", "review"])].set_index("uscc")
    need = inputs.loc[offered.index, "policy_need"]
    assert (offered["limit"] <= need + 1e-6).all()


def test_contributions_add_up_to_the_raw_score_and_rank_the_reasons(run: RunResult, scoring_case: ScoringCase) -> None:
    contrib = _read(run, "contributions.parquet")
    codes = [c for c in contrib.columns if c not in ("uscc", "raw_score", "base_value")]
    total = contrib[codes].sum(axis=1) + contrib["base_value"]
    assert np.allclose(total, contrib["raw_score"], atol=1e-6 * (len(codes) + 2))
    artefact = ModelArtefact.load(scoring_case.model)
    features = pd.read_parquet(scoring_case.features).set_index("uscc").loc[contrib["uscc"]]
    raw = artefact.raw_score(features.reset_index())
    assert np.allclose(contrib["raw_score"], raw, atol=1e-6)
    wl = _read(run, "whitelist.parquet").set_index("uscc").loc[contrib["uscc"]]
    white = (wl["decision"] == "whitelist").to_numpy() & (wl["rules_hit"] == "").to_numpy()
    values = contrib[codes].to_numpy()[white]
    strongest = np.array(codes)[np.argmin(values, axis=1)]
    assert (wl["reason_1"].to_numpy()[white] == strongest).all()


def test_a_scorecard_model_gives_a_run_whose_reasons_are_its_characteristics(
    scoring_case: ScoringCase, tmp_path: Path
) -> None:
    result = run_scoring(scoring_case.request(tmp_path / "run", model_dir=scoring_case.scorecard))
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["kind"] == "scorecard" and manifest["contributions"]["method"] == "woe_linear"
    assert manifest["counts"]["reconciles"]
    contrib = _read(result, "contributions.parquet")
    codes = [c for c in contrib.columns if c not in ("uscc", "raw_score", "base_value")]
    assert np.allclose(contrib[codes].sum(axis=1) + contrib["base_value"], contrib["raw_score"], atol=1e-5)
    artefact = ModelArtefact.load(scoring_case.scorecard)
    features = pd.read_parquet(scoring_case.features).set_index("uscc").loc[contrib["uscc"]]
    assert np.allclose(contrib["raw_score"], artefact.raw_score(features.reset_index()), atol=1e-6)
    # a reason group moves only if one of its features is a characteristic the scorecard kept
    kept = {b.feature for b in artefact.model.bins}  # type: ignore[attr-defined]
    groups = load_reasons().group_map(artefact.features)
    silent = [code for code, members in zip(groups.codes, groups.members, strict=True) if not kept & set(members)]
    assert silent and (contrib[silent].abs().to_numpy() == 0).all()


def test_decision_log_has_every_rule_for_every_valid_enterprise(run: RunResult) -> None:
    log = _read(run, "decision_log.parquet")
    wl = _read(run, "whitelist.parquet")
    assert set(log["uscc"]) == set(wl["uscc"])
    valid = wl.loc[wl["decision"] != "invalid", "uscc"]
    declared = [r.id for r in load_policy().rules]
    per = log[log["rule_id"].isin(declared)].groupby("uscc")["rule_id"].nunique()
    assert (per.reindex(valid).fillna(0) == len(declared)).all()
    hits = log[log["outcome"] == "hit"].groupby("uscc")["rule_id"].apply(lambda s: ",".join(s))
    assert (hits.reindex(wl["uscc"]).fillna("").to_numpy() == wl["rules_hit"].to_numpy()).all()
    assert log["inputs"].notna().all()


def test_rerun_gives_byte_identical_data_files(run: RunResult, scoring_case: ScoringCase, tmp_path: Path) -> None:
    again = run_scoring(scoring_case.request(tmp_path / "again"))
    first = {p.relative_to(run.folder): p.read_bytes() for p in run.folder.rglob("*") if p.is_file()}
    second = {p.relative_to(again.folder): p.read_bytes() for p in again.folder.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    differ = sorted(str(k) for k in first if first[k] != second[k])
    assert differ == ["manifest.json"]
    m1 = json.loads(first[Path("manifest.json")])
    m2 = json.loads(second[Path("manifest.json")])
    m1.pop("run"), m2.pop("run")
    assert m1 == m2


def test_pred_contrib_and_the_compiled_treeshap_write_the_same_run(run: RunResult, scoring_case: ScoringCase, tmp_path: Path) -> None:
    args = ["score", "--model", str(scoring_case.model), "--features", str(scoring_case.features),
            "--raw", str(scoring_case.validated), "--policy", str(scoring_case.policy_path),
            "--contributions", "pred_contrib", "--out", str(tmp_path / "lgb")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "pred_contrib" in result.output
    slow = tmp_path / "lgb"
    first = {p.relative_to(run.folder): p.read_bytes() for p in run.folder.rglob("*") if p.is_file()}
    second = {p.relative_to(slow): p.read_bytes() for p in slow.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert sorted(str(k) for k in first if first[k] != second[k]) == ["manifest.json"]
    fast_manifest, slow_manifest = (json.loads(m[Path("manifest.json")]) for m in (first, second))
    assert fast_manifest["contributions"] == {"method": "treeshap", "requested": "treeshap", "fallback": None}
    assert slow_manifest["contributions"] == {"method": "pred_contrib", "requested": "pred_contrib", "fallback": None}
    assert fast_manifest["files"] == slow_manifest["files"]
    bad = CliRunner().invoke(app, [*args[:-4], "--contributions", "shap", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "--contributions: expected treeshap or pred_contrib, got 'shap'" in bad.output
    assert not (tmp_path / "x").exists()


def test_an_existing_run_folder_is_never_overwritten(run: RunResult, scoring_case: ScoringCase) -> None:
    before = (run.folder / "whitelist.parquet").read_bytes()
    with pytest.raises(InputDataError, match="already exists; a run folder is never overwritten"):
        run_scoring(scoring_case.request(run.folder))
    assert (run.folder / "whitelist.parquet").read_bytes() == before


def test_a_failed_run_leaves_no_folder(scoring_case: ScoringCase, tmp_path: Path) -> None:
    policy = load_policy()
    strict = policy.model_copy(update={"drift": policy.drift.model_copy(update={"fail_psi": 0.0001, "on_fail": "stop"})})
    with pytest.raises(GateFailedError, match="drift: PSI at or above fail_psi"):
        run_scoring(scoring_case.request(tmp_path / "run", policy=strict))
    assert list(tmp_path.iterdir()) == []


def test_enterprises_without_features_or_registry_rows_are_invalid_not_dropped(
    scoring_case: ScoringCase, tmp_path: Path
) -> None:
    features = pd.read_parquet(scoring_case.features)
    missing_one = features["uscc"].iloc[0]
    bad = features.iloc[1:].copy()
    bad = pd.concat([bad, bad.iloc[[0]]])  # a duplicated row
    bad.to_parquet(tmp_path / "score.parquet", index=False)
    result = run_scoring(scoring_case.request(tmp_path / "run", features=tmp_path / "score.parquet"))
    wl = _read(result, "whitelist.parquet").set_index("uscc")
    assert wl.loc[missing_one, "decision"] == "invalid" and wl.loc[missing_one, "reason_1"] == "IN04"
    assert wl.loc[bad["uscc"].iloc[0], "reason_1"] == "IN02"
    assert len(wl) == len(features)


def test_text_in_a_number_column_names_the_column_and_row(scoring_case: ScoringCase, tmp_path: Path) -> None:
    features = pd.read_parquet(scoring_case.features)
    artefact = ModelArtefact.load(scoring_case.model)
    column = next(f for f in artefact.features if f not in artefact.categories)
    features[column] = features[column].astype("string")
    features.loc[features.index[3], column] = "12,000"
    features.to_parquet(tmp_path / "score.parquet", index=False)
    with pytest.raises(InputDataError, match=rf"column '{column}' row 4 holds '12,000'"):
        run_scoring(scoring_case.request(tmp_path / "run", features=tmp_path / "score.parquet"))
    assert not (tmp_path / "run").exists()


def test_a_feature_table_with_two_dates_is_refused(scoring_case: ScoringCase, tmp_path: Path) -> None:
    features = pd.read_parquet(scoring_case.features)
    other = features.assign(as_of=pd.Timestamp("2024-11-30").date())
    pd.concat([features, other]).to_parquet(tmp_path / "two.parquet", index=False)
    with pytest.raises(InputDataError, match="a scoring set has one as-of date, this one has 2"):
        run_scoring(scoring_case.request(tmp_path / "run", features=tmp_path / "two.parquet"))


def test_extracts_hold_only_their_branch_and_mask_personal_data(run: RunResult, scoring_case: ScoringCase) -> None:
    wl = _read(run, "whitelist.parquet")
    registry = pd.read_parquet(scoring_case.validated / "registry.parquet").set_index("uscc")
    offered = wl[wl["decision"].isin(["whitelist", "review"])]
    csvs = sorted((run.folder / "extracts").rglob("*.csv"))
    assert len(csvs) == offered.groupby(["bank", "branch"]).ngroups
    sample = csvs[0]
    text = sample.read_text(encoding="utf-8-sig")
    bank, branch = sample.parent.name, sample.stem
    mine = offered[(offered["bank"] == bank) & (offered["branch"] == branch)]
    for code in mine["uscc"]:
        assert code in text
        phone = registry.loc[code, "phone"]
        if isinstance(phone, str) and len(phone) >= 8:
            assert phone not in text
    others = offered[offered["branch"] != branch]["uscc"]
    assert not any(code in text for code in others)


def test_run_date_sets_contact_and_validity_dates(scoring_case: ScoringCase, tmp_path: Path) -> None:
    result = run_scoring(scoring_case.request(tmp_path / "run", run_date=SCORING_DATE.replace(year=2025, month=1, day=6)))
    wl = _read(result, "whitelist.parquet")
    planned = wl[wl["contact_by"].notna()]
    on_time = planned[~planned["contact_overflow"]]
    assert (pd.to_datetime(on_time["contact_by"]) == pd.Timestamp("2025-01-09")).all()
    assert (pd.to_datetime(on_time["process_by"]) == pd.Timestamp("2025-01-13")).all()
    white = wl[wl["decision"] == "whitelist"]
    assert (pd.to_datetime(white["valid_until"]) == pd.Timestamp("2025-04-06")).all()


def test_score_command_prints_the_summary_and_paths(scoring_case: ScoringCase, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["score", "--model", str(scoring_case.model), "--features", str(scoring_case.features),
            "--raw", str(scoring_case.validated), "--out", str(out), "--run-date", "2025-01-02"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Whitelist run" in result.output and "Drift" in result.output
    assert "whitelist.parquet" in result.output
    assert pq.read_metadata(out / "whitelist.parquet").num_rows > 0
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = CliRunner().invoke(app, [*args[:-2], "--run-date", "02/01/2025", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "--run-date: expected a date as YYYY-MM-DD, got '02/01/2025'" in bad.output


def test_score_validates_a_raw_folder_first(scoring_case: ScoringCase, province: tuple[Path, Path], tmp_path: Path) -> None:
    raw, _ = province
    out = tmp_path / "run"
    args = ["score", "--model", str(scoring_case.model), "--features", str(scoring_case.features),
            "--raw", str(raw), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run.validated" / "quality.json").is_file()
    assert "was not validated" in result.output


def test_a_rule_reading_an_unknown_input_fails_before_any_decision(scoring_case: ScoringCase, tmp_path: Path) -> None:
    from whitelist.scoring.config import Rule
    from whitelist.scoring.policy.expr import Expr

    policy = load_policy()
    typo = Rule(id="EX99", name="typo", stage="exclusion", outcome="exclude", text_zh="x", text_en="x",
                when=Expr(feature="abnormal_operation_opn_count", op="gt", value=0.0))
    bad = policy.model_copy(update={"rules": (*policy.rules, typo)})
    with pytest.raises(ConfigError, match=r"rules read inputs the feature table does not have: 'EX99: abnormal_operation_opn_count'"):
        run_scoring(scoring_case.request(tmp_path / "run", policy=bad))
    assert not (tmp_path / "run").exists()


def test_a_run_from_prefetched_inputs_writes_the_same_files(run: RunResult, scoring_case: ScoringCase, tmp_path: Path) -> None:
    prefetch = Prefetch(scoring_case.features, scoring_case.validated)
    again = run_scoring(scoring_case.request(tmp_path / "prefetched", prefetch=prefetch))
    assert prefetch.take(scoring_case.features) is None  # each prefetched file was used, and only once
    first = {p.relative_to(run.folder): p.read_bytes() for p in run.folder.rglob("*") if p.is_file()}
    second = {p.relative_to(again.folder): p.read_bytes() for p in again.folder.rglob("*") if p.is_file()}
    assert sorted(str(k) for k in first if first[k] != second.get(k)) == ["manifest.json"]


def test_a_prefetch_that_failed_leaves_the_loader_to_report_the_file(scoring_case: ScoringCase, tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    prefetch = Prefetch(broken, scoring_case.validated)
    with pytest.raises(InputDataError, match="broken.parquet: not a readable Parquet feature table"):
        run_scoring(scoring_case.request(tmp_path / "out", features=broken, prefetch=prefetch))
    assert not (tmp_path / "out").exists()


def test_a_folder_another_run_created_meanwhile_is_not_overwritten(
    scoring_case: ScoringCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import whitelist.scoring.run as run_module

    out = tmp_path / "contested"
    write_artefact = run_module.write_artefact

    def another_run_finishes_first(target: Path, payload: RunManifest) -> Path:
        if Path(target).name == "manifest.json":  # this run's last file: the other run renamed its folder just now
            out.mkdir()
            (out / "manifest.json").write_text("{}")
        return write_artefact(target, payload)

    monkeypatch.setattr(run_module, "write_artefact", another_run_finishes_first)
    with pytest.raises(InputDataError, match="created by another run while this one ran"):
        run_scoring(scoring_case.request(out))
    assert (out / "manifest.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["contested"]  # this run's temporary folder is gone
