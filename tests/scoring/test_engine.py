"""The policy engine on hand-made enterprises: each rule does what the policy says, in order."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from whitelist.scoring.config import Concentration, Decision, PolicyConfig, load_policy
from whitelist.scoring.policy.engine import Decisions, decide, screen

CLEAN: dict[str, Any] = {
    "reg_status_active": 1, "abnormal_operation_open_count": 0, "abnormal_operation_ever_count": 0,
    "serious_violation_open_count": 0, "court_dishonest_open_count": 0, "tax_sales_months_active_12m": 12,
    "si_employees_max_12m": 5.0, "si_employees_mean_12m": 5.0, "power_months_active_12m": 12,
    "reg_address_shared_count": 1, "credit_dpd_max_1m": np.nan, "penalty_serious_count_36m": 0,
    "court_enforcement_open_count": 0, "reg_established_age_months": 60, "tax_filings_count_12m": 12,
    "credit_dpd_max_24m": np.nan, "tax_grade_last_12m": "A", "tax_arrears_last_3m": 0.0, "tax_arrears_max_24m": 0.0,
    "reg_industry_category": "C3484", "leverage": 0.5, "credit_banks_distinct_count_1m": 0,
    "exports_sum_12m": 0.0, "imports_sum_12m": 0.0, "honor_zhuanjingtexin_open_count": 0,
    "honor_high_tech_open_count": 0, "honor_innovative_sme_open_count": 0, "reg_entity_type_category": "enterprise",
    "credit_records_months_since_first": 40.0, "credit_balance_growth_yoy_12m": 0.0,
    "tax_sales_sum_12m": 2_000_000.0, "tax_paid_sum_12m": 50_000.0, "credit_balance_sum_1m": 0.0,
    "entity_type": "enterprise", "industry": "C3484", "region": "330102", "pd": 0.01, "group": "",
}
RUN_DATE = date(2025, 1, 6)


def _run(rows: list[dict[str, Any]], policy: PolicyConfig | None = None) -> tuple[pd.DataFrame, Decisions]:
    policy = policy or load_policy()
    frame = pd.DataFrame([{**CLEAN, "uscc": f"E{i:03d}", **row} for i, row in enumerate(rows)])
    invalid = np.full(len(frame), "", dtype=object)
    scr = screen(frame, invalid, policy)
    pd_ = np.where(scr.to_score, frame["pd"].to_numpy(dtype=float), np.nan)
    dec = decide(frame, scr, pd_, policy, RUN_DATE, frame["group"].to_numpy(dtype=object))
    return frame, dec


def _one(row: dict[str, Any]) -> tuple[str, str]:
    _, dec = _run([row])
    return str(dec.decision[0]), str(dec.rules_hit[0])


@pytest.mark.parametrize(
    ("row", "decision", "rules"),
    [
        ({}, "whitelist", ""),
        ({"reg_status_active": 0}, "excluded", "EX01"),
        ({"abnormal_operation_open_count": 1, "abnormal_operation_ever_count": 1}, "excluded", "EX02"),
        ({"abnormal_operation_open_count": 0, "abnormal_operation_ever_count": 1}, "whitelist", ""),  # removed: repaired
        ({"serious_violation_open_count": 1}, "excluded", "EX03"),
        ({"court_dishonest_open_count": 1}, "excluded", "EX04"),
        ({"tax_sales_months_active_12m": 0, "si_employees_max_12m": np.nan, "power_months_active_12m": 0,
          "tax_sales_sum_12m": 0.0}, "excluded", "EX05,FS03,FS04"),
        ({"reg_address_shared_count": 40, "tax_sales_months_active_12m": 0, "si_employees_max_12m": 0.0}, "excluded", "EX06"),
        ({"credit_dpd_max_1m": 15.0}, "excluded", "EX07"),
        ({"credit_dpd_max_1m": 0.0}, "whitelist", ""),
        ({"penalty_serious_count_36m": 1}, "decline", "FS01"),
        ({"reg_established_age_months": 6}, "decline", "FS02"),
        ({"power_months_active_12m": 3}, "decline", "FS03"),
        ({"tax_sales_sum_12m": 150_000.0}, "decline", "FS04"),
        ({"credit_dpd_max_24m": 95.0}, "decline", "FS05"),
        ({"tax_arrears_last_3m": 1200.0}, "decline", "FS05"),
        ({"tax_arrears_last_3m": 0.0, "tax_arrears_max_24m": 9000.0}, "whitelist", ""),  # arrears paid: repaired
        ({"reg_industry_category": "K7010"}, "decline", "FS06"),
        ({"leverage": 0.9}, "decline", "FS07"),
        ({"leverage": np.nan}, "whitelist", ""),  # no annual report: not held against the enterprise
        ({"credit_banks_distinct_count_1m": 3}, "review", "VF01"),
        ({"pd": 0.03}, "review", "PD02"),
        ({"pd": 0.2}, "decline", "PD01"),
        ({"tax_sales_sum_12m": 400_000.0, "tax_paid_sum_12m": 0.0, "si_employees_mean_12m": np.nan}, "decline", "LM01"),
    ],
)
def test_each_rule_decides_as_declared(row: dict[str, Any], decision: str, rules: str) -> None:
    assert _one(row) == (decision, rules)


def test_multi_bank_enterprises_are_not_a_visit_focus() -> None:
    _, dec = _run([{}, {"credit_banks_distinct_count_1m": 4}])
    assert dec.visit_focus.tolist() == [True, False]
    assert dec.decision.tolist() == ["whitelist", "review"]


def test_limit_is_the_smallest_of_need_capacity_and_caps_and_the_rate_adds_up() -> None:
    rows = [
        {},  # need 500k, capacity 1.2M
        {"tax_sales_sum_12m": 2_000_000.0, "credit_balance_sum_1m": 123_456.0},  # need 376,544 -> 370k
        {"tax_sales_sum_12m": 40_000_000.0, "tax_paid_sum_12m": 2_000_000.0},  # product cap 3M
        {"entity_type": "individual_business", "tax_sales_sum_12m": 8_000_000.0},  # type cap 500k
        {"tax_sales_sum_12m": 1_000_000.0, "tax_paid_sum_12m": 0.0, "si_employees_mean_12m": np.nan},  # capacity 100k
    ]
    _, dec = _run(rows)
    assert dec.limit.tolist() == [500_000, 370_000, 3_000_000, 500_000, 100_000]
    # LPR 3.10% (effective 2024-10-21) + 0.20% + 0.50% + 0.75 x 10.5% x 10% + 1% x 45%
    assert dec.rate[0] == pytest.approx(0.0504)
    assert dec.lpr == 0.031


def test_an_excluded_related_party_sends_the_others_to_review() -> None:
    _, dec = _run([{"group": "P1", "court_dishonest_open_count": 1}, {"group": "P1"}, {"group": "P2"}])
    assert dec.decision.tolist() == ["excluded", "review", "whitelist"]
    assert dec.rules_hit.tolist() == ["EX04", "RP01", ""]


def test_the_group_cap_is_shared_lowest_pd_first() -> None:
    big = {"tax_sales_sum_12m": 40_000_000.0, "tax_paid_sum_12m": 2_000_000.0, "group": "P9"}
    _, dec = _run([{**big, "pd": 0.015}, {**big, "pd": 0.005}, {**big, "pd": 0.01}])
    assert dec.limit.tolist()[1] == 3_000_000 and dec.limit.tolist()[2] == 2_000_000
    assert dec.decision.tolist() == ["review", "whitelist", "whitelist"]
    assert dec.rules_hit[0] == "RP02"


def test_concentration_caps_send_the_overflow_to_review_by_priority() -> None:
    policy = load_policy()
    policy = policy.model_copy(update={"concentration": Concentration(industry_max_share=0.5, region_max_share=None, min_whitelist=1)})
    rows = [{"pd": 0.011}, {"pd": 0.012}, {"pd": 0.013, "exports_sum_12m": 1.0},
            {"industry": "F5191", "pd": 0.01}]
    _, dec = _run(rows, policy)
    # 4 x 500k: section C may hold 1M. The exporter has priority; then the lowest PD.
    assert dec.decision.tolist() == ["whitelist", "review", "whitelist", "whitelist"]
    assert dec.rules_hit[1] == "CC01"


def test_target_volume_whitelists_the_lowest_pds_and_reports_their_mean() -> None:
    policy = load_policy()
    policy = policy.model_copy(update={"decision": Decision(method="target_volume", target_volume=2, review_max_pd=0.05)})
    _, dec = _run([{"pd": 0.04}, {"pd": 0.002}, {"pd": 0.03}, {"pd": 0.001, "leverage": 0.95}, {"pd": 0.09}], policy)
    assert dec.decision.tolist() == ["review", "whitelist", "whitelist", "decline", "decline"]
    assert dec.expected_bad_rate == pytest.approx((0.002 + 0.03) / 2)


def test_segments_and_priority() -> None:
    _, dec = _run([{"exports_sum_12m": 5.0, "credit_records_months_since_first": np.nan},
                   {"reg_entity_type_category": "family_farm", "industry": "H6210", "reg_industry_category": "H6210"}])
    assert dec.segments.tolist() == ["foreign_trade,first_time_borrower", "consumer_services,new_agri"]
    assert dec.priority.tolist() == [5, 2]
