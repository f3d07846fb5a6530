"""Who visits whom and by when: the visit list's bank and branch, then a dated contact plan.

Each branch can contact ``daily_contact_capacity`` enterprises a day. Its whitelisted
enterprises come first, then those for review, each by priority points, then PD, then code;
the first ``capacity x contact_days`` are due within ``contact_days`` of the run date, and the
overflow gets one later day per further ``capacity``, so nobody is promised a visit the branch
cannot make. Dates derive from the run date only: no wall-clock time enters a data file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from whitelist.scoring.config import Assignment

UNASSIGNED = "UNASSIGNED"


def fill_branches(bank: pd.Series, branch: pd.Series, region: pd.Series, assignment: Assignment) -> tuple[np.ndarray, np.ndarray]:
    """Bank and branch from the visit list; otherwise by the longest matching region prefix."""
    bank_out = bank.astype("object").to_numpy(copy=True)
    branch_out = branch.astype("object").to_numpy(copy=True)
    todo = pd.isna(bank_out) | pd.isna(branch_out)
    prefixes = sorted(assignment.by_region, key=len, reverse=True)
    regions = region.astype("string").fillna("").to_numpy(dtype=object)
    for i in np.flatnonzero(todo):
        match = next((p for p in prefixes if str(regions[i]).startswith(p)), None)
        bank_out[i], branch_out[i] = assignment.by_region[match] if match else (UNASSIGNED, UNASSIGNED)
    return bank_out, branch_out


@dataclass(frozen=True)
class Schedule:
    priority_rank: np.ndarray
    """1 = first to contact within the branch; 0 for enterprises not in the contact plan."""
    contact_by: np.ndarray
    process_by: np.ndarray
    valid_until: np.ndarray
    overflow: np.ndarray


def schedule(
    *,
    decision: np.ndarray,
    visit_focus: np.ndarray,
    branch: np.ndarray,
    priority: np.ndarray,
    pd_: np.ndarray,
    uscc: np.ndarray,
    assignment: Assignment,
    run_date: date,
) -> Schedule:
    n = len(decision)
    planned = ((decision == "whitelist") | (decision == "review")) & visit_focus
    rank = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(planned)
    if idx.size:
        # lexsort: the last key is the primary one.
        keys = (uscc[idx], np.nan_to_num(pd_[idx], nan=1.0), -priority[idx], decision[idx] != "whitelist", branch[idx])
        ordered = idx[np.lexsort(keys)]
        branches = branch[ordered]
        starts = np.r_[True, branches[1:] != branches[:-1]]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
        rank[ordered] = np.arange(len(ordered)) - group_start + 1
    capacity = np.array([assignment.branch_capacity.get(str(b), assignment.daily_contact_capacity) for b in branch])
    day = np.where(planned, -(-rank // np.maximum(capacity, 1)), 0)
    contact_in = np.maximum(day, assignment.contact_days)
    start = np.datetime64(run_date, "D")
    contact = start + contact_in.astype("timedelta64[D]")
    process = contact + np.timedelta64(assignment.process_days - assignment.contact_days, "D")
    nat = np.datetime64("NaT", "D")
    valid = np.where(decision == "whitelist", start + np.timedelta64(assignment.validity_days, "D"), nat)
    return Schedule(
        priority_rank=rank,
        contact_by=np.where(planned, contact, nat),
        process_by=np.where(planned, process, nat),
        valid_until=valid,
        overflow=planned & (day > assignment.contact_days),
    )
