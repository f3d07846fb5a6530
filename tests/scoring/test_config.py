"""configs/policy.yaml and configs/reasons.yaml are the embedded defaults, and typos fail with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from whitelist.core.errors import ConfigError
from whitelist.models.reasons import DEFAULT_REASONS, load_reasons
from whitelist.core.config import parse_config
from whitelist.scoring.config import DEFAULT_POLICY, PolicyConfig, load_policy

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("shipped", "embedded"), [("policy.yaml", DEFAULT_POLICY), ("reasons.yaml", DEFAULT_REASONS)])
def test_configs_folder_holds_the_embedded_defaults(shipped: str, embedded: Path) -> None:
    assert (ROOT / "configs" / shipped).read_text(encoding="utf-8") == embedded.read_text(encoding="utf-8")


def test_default_policy_declares_every_required_rule_in_order() -> None:
    policy = load_policy()
    stages = [r.stage for r in policy.rules]
    assert stages == sorted(stages, key=["exclusion", "standard", "focus"].index)
    names = {r.name for r in policy.rules}
    assert {"not_active", "abnormal_operation", "serious_violation", "dishonest_debtor", "zombie", "shell",
            "current_delinquency", "compliant", "continuing_operation", "fixed_place", "real_need", "good_credit",
            "lawful_use", "leverage", "multi_bank"} <= names
    multi = next(r for r in policy.rules if r.name == "multi_bank")
    assert multi.outcome == "review" and multi.visit_focus is False
    assert {s.id for s in policy.segments} == {
        "foreign_trade", "tech", "consumer_services", "new_agri", "first_time_borrower", "declining_financing"}


BASE = DEFAULT_POLICY.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  whitelist_max_pd: 0.02", "  whitelist_max_pd: 0.02\n  whitelsit: 1"),
         r"policy.yaml:\d+: unknown key 'decision.whitelsit'; expected one of: .*whitelist_max_pd"),
        (("review_max_pd: 0.05", "review_max_pd: 0.01"), r"review_max_pd must be at least whitelist_max_pd"),
        (("  - id: EX02", "  - id: EX2"), r"rules.1.id: String should match pattern"),
        (("  - id: EX03", "  - id: EX02"), r"rule ids must be unique, repeated: \['EX02'\]"),
        (("op: gt, value: 0.85}", "op: gt}"), r"leverage: op 'gt' needs a value"),
        (("op: startswith, value: [K70", "op: eq, value: [K70"), r"op 'eq' needs a single value"),
        (("cap: 0.0800", "cap: 0.0200"), r"cap must be at least floor"),
        (("method: cutoffs ", "method: target_volume "), r"target_volume is given exactly when method is target_volume"),
        (("policy: limits.product.min_limit}", "policy: limits.product.min_limt}"),
         r"policy: 'limits.product.min_limt' is not a number of this policy"),
        (("policy: limits.product.min_limit}", "policy: product.min_limit}"), r"policy: 'product.min_limit' names no part"),
    ],
)
def test_policy_mistakes_fail_with_file_line_and_fix(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in BASE, old
    path = tmp_path / "policy.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_policy(path)


def test_reason_mistakes_fail_with_their_line(tmp_path: Path) -> None:
    text = DEFAULT_REASONS.read_text(encoding="utf-8")
    for old, new, message in (
        ("code: AGE", "code: age", r"reasons.yaml:\d+: groups.1.code: String should match pattern"),
        ("({source},{period})", "({source},{periode})", r"ABNORMAL.risk_zh: unknown placeholder\(s\) \['periode'\]"),
        ("    unit: months\n", "    unit: years\n", r"groups.1.unit: Input should be"),
        ("未移出的记录{value}条", "未移出的记录{value}条({value})", r"ABNORMAL.risk_zh: quote \{value\} at most once"),
    ):
        path = tmp_path / "reasons.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_reasons(path)


def test_a_rule_reads_the_product_minimum_the_policy_declares_once(tmp_path: Path) -> None:
    """FS04 compares the need with ``limits.product.min_limit``: change the minimum, and the rule follows."""
    assert next(r for r in load_policy().rules if r.id == "FS04").when.value == 50_000
    path = tmp_path / "policy.yaml"
    path.write_text(BASE.replace("min_limit: 50000", "min_limit: 80000", 1), encoding="utf-8")
    policy = load_policy(path)
    assert policy.limits.product.min_limit == 80_000
    assert next(r for r in policy.rules if r.id == "FS04").when.value == 80_000
    recorded = policy.model_dump(mode="json")  # as a run's manifest keeps it: the value beside its reference
    assert parse_config(PolicyConfig, recorded) == policy
