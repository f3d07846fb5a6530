"""The contact plan: the visit list's branch, a daily capacity, overflow by priority, dates from the run date."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from whitelist.scoring.config import Assignment
from whitelist.scoring.policy.assignment import UNASSIGNED, fill_branches, schedule

RUN = date(2025, 1, 6)


def _plan(decisions: list[str], branch: list[str], priority: list[int], pd_: list[float], capacity: int = 2):
    n = len(decisions)
    return schedule(
        decision=np.array(decisions, dtype=object), visit_focus=np.ones(n, bool), branch=np.array(branch, dtype=object),
        priority=np.array(priority), pd_=np.array(pd_), uscc=np.array([f"E{i}" for i in range(n)], dtype=object),
        assignment=Assignment(daily_contact_capacity=capacity), run_date=RUN,
    )


def test_capacity_sends_the_overflow_to_later_days_in_priority_order() -> None:
    plan = _plan(["whitelist"] * 8 + ["review", "decline"], ["B1"] * 10, [0, 5, 0, 0, 0, 0, 0, 0, 9, 0],
                 [0.01, 0.02, 0.005, 0.011, 0.012, 0.013, 0.014, 0.015, 0.001, 0.3])
    # Whitelist first (priority, then PD), reviews after; capacity 2 a day, 3 days promised.
    assert plan.priority_rank.tolist() == [3, 1, 2, 4, 5, 6, 7, 8, 9, 0]
    contact = pd.to_datetime(plan.contact_by).strftime("%Y-%m-%d").tolist()
    assert contact[:7] == ["2025-01-09"] * 6 + ["2025-01-10"]
    assert contact[8] == "2025-01-11" and pd.isna(plan.contact_by[9])
    assert plan.overflow.tolist() == [False] * 6 + [True, True, True, False]
    assert (plan.process_by[:9] - plan.contact_by[:9] == np.timedelta64(4, "D")).all()
    assert pd.isna(plan.valid_until[8]) and str(plan.valid_until[0]) == "2025-04-06"


@given(st.lists(st.sampled_from(["B1", "B2", "B3"]), min_size=1, max_size=40), st.integers(1, 5))
def test_no_branch_is_given_more_contacts_a_day_than_it_can_make(branches: list[str], capacity: int) -> None:
    n = len(branches)
    plan = _plan(["whitelist"] * n, branches, [0] * n, list(np.linspace(0.001, 0.02, n)), capacity)
    frame = pd.DataFrame({"branch": branches, "rank": plan.priority_rank, "day": pd.to_datetime(plan.contact_by)})
    for _, group in frame.groupby("branch"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
        due = group["day"].value_counts()
        promised = pd.Timestamp("2025-01-09")
        assert due.get(promised, 0) <= 3 * capacity
        assert (due.drop(promised, errors="ignore") <= capacity).all()


def test_enterprises_off_the_visit_list_are_assigned_by_region() -> None:
    assignment = Assignment(by_region={"3301": ("HZB", "HZB-3301"), "330106": ("CZB", "CZB-330106")})
    bank, branch = fill_branches(
        pd.Series(["ICBC", None, None, None]), pd.Series(["ICBC-330102", None, None, None]),
        pd.Series(["330102", "330106", "330108", "330200"]), assignment,
    )
    assert bank.tolist() == ["ICBC", "CZB", "HZB", UNASSIGNED]
    assert branch.tolist() == ["ICBC-330102", "CZB-330106", "HZB-3301", UNASSIGNED]
