"""The policy, step by step, in its documented order.

1. input checks (IN): a code that fails its check, a duplicate, no registry or feature row
2. exclusions (EX): decided before the model; no PD, no contributions
3. the five standards and leverage (FS), 4. visit focus (VF): declared rules, always checked
5. the model's grade (PD): cutoffs, or a target volume lowest PD first
6. the limit (LM): below the product minimum, a decline
7. related parties (RP): a member excluded sends the others to review; the group cap is shared
8. concentration (CC): an industry's or a city's share of the whitelist's limits is capped

Every enterprise ends with the most severe outcome of all steps; ``rules_hit`` lists the ids
of every step that changed or confirmed it, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from whitelist.core.decisions import DECISIONS, SEVERITY
from whitelist.scoring.config import PolicyConfig
from whitelist.scoring.policy.limits import allocate_group_cap, base_limit, need_and_capacity
from whitelist.scoring.policy.pricing import lpr_at, price
from whitelist.scoring.policy.rules import OUTCOME_DECISION, RuleResults, evaluate_rules
from whitelist.scoring.policy.patterns import as_text, joined_names, per_distinct
from whitelist.scoring.policy.segments import priority_points, segment_flags, segment_text

POLICY_INPUTS = ("policy_need", "policy_capacity")
"""Inputs the policy computes itself from ``limits``, readable by rules like any feature."""


@dataclass
class CheckLog:
    """One engine check over the enterprises it applied to: where checked, where hit, what it read."""

    checked: np.ndarray
    hit: np.ndarray
    inputs: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Screen:
    """What is known before the model: input validity, declared rules, need and capacity."""

    invalid: np.ndarray
    """Check id (IN..) of an invalid enterprise, '' for a valid one."""
    rules: RuleResults
    excluded: np.ndarray
    need: np.ndarray
    capacity: np.ndarray

    @property
    def to_score(self) -> np.ndarray:
        return (self.invalid == "") & ~self.excluded


def screen(frame: pd.DataFrame, invalid: np.ndarray, policy: PolicyConfig) -> Screen:
    """Compute the policy's own inputs and apply the declared rules to the valid enterprises."""
    need, capacity = need_and_capacity(frame, policy.limits)
    frame = frame.assign(policy_need=need, policy_capacity=capacity)
    rules = evaluate_rules(frame, policy.rules)
    valid = invalid == ""
    rules = RuleResults(rules=rules.rules, hit=rules.hit & valid[:, None], missing=rules.missing & valid[:, None])
    return Screen(invalid=invalid, rules=rules, excluded=rules.outcome_hit("exclude"), need=need, capacity=capacity)


@dataclass
class Decisions:
    decision: np.ndarray
    visit_focus: np.ndarray
    rules_hit: np.ndarray
    limit: np.ndarray
    rate: np.ndarray
    segments: np.ndarray
    segment_flags: pd.DataFrame
    priority: np.ndarray
    checks: dict[str, CheckLog]
    lpr: float
    expected_bad_rate: float | None


def decide(
    frame: pd.DataFrame, scr: Screen, pd_: np.ndarray, policy: PolicyConfig, run_date: date, group: np.ndarray
) -> Decisions:
    """Turn the screen and the model's PD into decisions, limits, rates and priorities.

    ``pd_`` is NaN where the enterprise was not scored; ``group`` is the related-party key
    (the legal representative), '' where unknown.
    """
    n = len(frame)
    valid = scr.invalid == ""
    scored = scr.to_score
    applied: list[tuple[str, np.ndarray]] = []
    severity = np.zeros(n, dtype=np.int64)

    def apply(check_id: str, where: np.ndarray, outcome: str) -> None:
        nonlocal severity
        applied.append((check_id, np.asarray(where, dtype=bool)))
        severity = np.where(where, np.maximum(severity, SEVERITY[OUTCOME_DECISION.get(outcome, outcome)]), severity)

    checks: dict[str, CheckLog] = {}
    # 1. input checks
    for check_id in sorted({c for c in scr.invalid if c}):
        apply(check_id, scr.invalid == check_id, "invalid")
    # 2-4. declared rules
    for j, rule in enumerate(scr.rules.rules):
        apply(rule.id, scr.rules.hit[:, j], rule.outcome)
    visit_focus = valid & ~scr.rules.off_focus()

    # 5. the model's grade
    d = policy.decision
    pd_round = np.round(pd_, 9)
    if d.method == "cutoffs":
        wl = scored & (pd_round <= d.whitelist_max_pd)
        expected = None
    else:
        eligible = scored & (severity < SEVERITY["decline"])
        order = np.flatnonzero(eligible)[np.lexsort((frame["uscc"].to_numpy()[eligible], pd_round[eligible]))]
        wl = np.zeros(n, bool)
        wl[order[: d.target_volume]] = True
        expected = float(pd_round[wl].mean()) if wl.any() else None
    review_band = scored & ~wl & (pd_round <= d.review_max_pd)
    above = scored & ~wl & ~review_band
    apply("PD02", review_band, "review")
    apply("PD01", above, "decline")
    checks["PD01"] = CheckLog(checked=scored, hit=above, inputs={"pd": pd_round})
    checks["PD02"] = CheckLog(checked=scored, hit=review_band, inputs={"pd": pd_round})
    if expected is None and (scored & (severity == 0)).any():
        expected = float(pd_round[scored & (severity == 0)].mean())

    # 6. the limit
    limit = base_limit(scr.need, scr.capacity, frame["entity_type"], policy.limits)
    offered = scored & (severity <= SEVERITY["review"])
    below = offered & (limit < policy.limits.product.min_limit)
    apply("LM01", below, "decline")
    checks["LM01"] = CheckLog(
        checked=offered, hit=below, inputs={"policy_need": scr.need, "policy_capacity": scr.capacity, "limit": limit}
    )

    # segments and priority, needed to order the shares below
    flags = segment_flags(frame, policy.segments)
    priority = priority_points(flags, policy.segments)
    uscc = frame["uscc"].to_numpy()
    serve_order = np.lexsort((uscc, np.nan_to_num(pd_round, nan=1.0), -priority))

    # 7. related parties
    known = group != ""
    group_code, _ = pd.factorize(group)
    excluded_groups = np.zeros(group_code.max(initial=-1) + 1, dtype=bool)
    excluded_groups[group_code[scr.excluded & known]] = True
    candidates = (severity <= SEVERITY["review"]) & scored
    related = candidates & known & excluded_groups[group_code]
    apply("RP01", related, "review")
    members = np.bincount(group_code[known], minlength=len(excluded_groups))
    group_size = np.where(known, members[group_code], 1).astype(np.float64)
    checks["RP01"] = CheckLog(checked=candidates & known & (group_size > 1), hit=related, inputs={"group_size": group_size})
    whitelisted = candidates & (severity == 0)
    granted = np.where(whitelisted | candidates, limit, np.nan)
    if policy.limits.group_cap is not None:
        order = serve_order[whitelisted[serve_order] & known[serve_order]]
        capped, short = allocate_group_cap(
            np.nan_to_num(granted), group, order, policy.limits.group_cap,
            policy.limits.product.min_limit, policy.limits.round_to,
        )
        in_groups = whitelisted & known
        granted = np.where(in_groups & ~short, capped, granted)
        apply("RP02", short, "review")
        checks["RP02"] = CheckLog(checked=in_groups & (group_size > 1), hit=short, inputs={"group_size": group_size})

    # 8. concentration, on the whitelist's limits before the caps
    conc = policy.concentration
    whitelisted = candidates & (severity == 0)
    total = float(np.nansum(np.where(whitelisted, granted, 0.0)))
    for check_id, share, key in (
        ("CC01", conc.industry_max_share, _industry_key(frame, conc.industry_level)),
        ("CC02", conc.region_max_share, _region_key(frame, conc.region_level)),
    ):
        if share is None or whitelisted.sum() < conc.min_whitelist:
            continue
        over = _over_share(whitelisted, granted, key, serve_order, share * total)
        apply(check_id, over, "review")
        checks[check_id] = CheckLog(checked=whitelisted.copy(), hit=over, inputs={"segment_key": key})
        whitelisted = whitelisted & ~over

    decision = np.array(DECISIONS, dtype=object)[severity]
    offered = severity <= SEVERITY["review"]
    limit_out = np.where(offered, granted, np.nan)
    rate = np.where(offered, price(np.nan_to_num(pd_round), policy.pricing, run_date), np.nan)
    return Decisions(
        decision=decision,
        visit_focus=visit_focus & offered,
        rules_hit=joined_names([i for i, _ in applied], [w for _, w in applied], n),
        limit=limit_out,
        rate=rate,
        segments=segment_text(flags, policy.segments),
        segment_flags=flags,
        priority=priority,
        checks=checks,
        lpr=lpr_at(policy.pricing, run_date),
        expected_bad_rate=expected,
    )


def _industry_key(frame: pd.DataFrame, level: str) -> np.ndarray:
    return _text_key(frame["industry"], 1 if level == "section" else None)


def _region_key(frame: pd.DataFrame, level: str) -> np.ndarray:
    return _text_key(frame["region"], 4 if level == "city" else None)


def _text_key(column: pd.Series, length: int | None) -> np.ndarray:
    """The column as text ('' when empty), cut to ``length`` characters."""
    return per_distinct(column, lambda u: as_text(u)[:length], "", object)


def _over_share(
    whitelisted: np.ndarray, limit: np.ndarray, key: np.ndarray, order: np.ndarray, allowed: float
) -> np.ndarray:
    """Members of a key beyond ``allowed`` total limit, served in ``order`` (priority first)."""
    ordered = order[whitelisted[order]]
    amounts = pd.Series(np.nan_to_num(limit[ordered]), index=ordered)
    running = amounts.groupby(key[ordered], sort=False).cumsum()
    over = np.zeros(len(whitelisted), bool)
    over[running.index[running.to_numpy() > allowed + 1e-6]] = True
    return over
