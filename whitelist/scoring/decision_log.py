"""The decision log: one row per enterprise and check, with the inputs it read and its outcome.

A compliance reviewer must be able to replay any decision: which rules were checked, in
which order, on which values, and which of them hit. Built column-wise with Arrow, so a
province's tens of millions of rows cost seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from whitelist.scoring.policy.checks import BY_ID, INPUT_CHECKS
from whitelist.scoring.policy.engine import Decisions, Screen

OUTCOMES = ("pass", "hit", "missing")
"""missing: not hit, but an input the rule reads was empty (and had no ``missing_as``)."""
SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("step", pa.int16()),
        ("rule_id", pa.string()),
        ("stage", pa.string()),
        ("outcome", pa.string()),
        ("effect", pa.string()),
        ("inputs", pa.string()),
    ]
)


@dataclass(frozen=True)
class _Step:
    rule_id: str
    stage: str
    effect: str


@dataclass
class _Block:
    step: int
    rows: np.ndarray
    outcome: np.ndarray
    inputs: pa.Array


def _format(values: pd.Series | np.ndarray) -> pa.Array:
    arr = pa.array(values, from_pandas=True) if not isinstance(values, pa.Array) else values
    if isinstance(arr, pa.ChunkedArray):  # pandas' Arrow-backed text columns come chunked
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_floating(arr.type):
        arr = pc.round(arr, 6)
    return pc.fill_null(pc.cast(arr, pa.string()), "null")


def _inputs(columns: dict[str, pd.Series | np.ndarray], rows: np.ndarray) -> pa.Array:
    if not columns:
        return pa.nulls(len(rows), pa.string())
    parts: list[pa.Array | str] = []
    for name, values in columns.items():
        sub = values.iloc[rows] if isinstance(values, pd.Series) else values[rows]
        parts.append(pc.binary_join_element_wise(f"{name}=", _format(sub), ""))
    return pc.binary_join_element_wise(*parts, "; ") if len(parts) > 1 else parts[0]  # type: ignore[arg-type]


def build_decision_log(frame: pd.DataFrame, scr: Screen, dec: Decisions) -> pa.Table:
    """The log for every scanned enterprise, sorted by code, then by step of the policy."""
    steps: list[_Step] = []
    blocks: list[_Block] = []
    n = len(frame)
    everyone = np.arange(n)
    valid = scr.invalid == ""

    def add(step: _Step, rows: np.ndarray, outcome: np.ndarray, inputs: pa.Array) -> None:
        steps.append(step)
        blocks.append(_Block(step=len(steps) - 1, rows=rows, outcome=outcome, inputs=inputs))

    uscc_only = {"uscc": frame["uscc"]}
    for i, check in enumerate(INPUT_CHECKS):
        hit = scr.invalid == check.id
        # A code is checked until one check fails it; later checks are not run on it.
        reached = ~pd.Series(scr.invalid).isin([c.id for c in INPUT_CHECKS[:i]]).to_numpy()
        rows = everyone[reached]
        add(_Step(check.id, check.stage, check.outcome), rows, hit[rows].astype(np.int8), _inputs(uscc_only, rows))

    policy_inputs = frame.assign(policy_need=scr.need, policy_capacity=scr.capacity)
    rows = everyone[valid]
    for j, rule in enumerate(scr.rules.rules):
        outcome = np.where(scr.rules.hit[rows, j], 1, np.where(scr.rules.missing[rows, j], 2, 0)).astype(np.int8)
        columns = {f: policy_inputs[f] for f in rule.when.inputs()}
        add(_Step(rule.id, rule.stage, rule.outcome), rows, outcome, _inputs(columns, rows))

    for check_id, log in dec.checks.items():
        check = BY_ID[check_id]
        rows = everyone[log.checked]
        add(_Step(check_id, check.stage, check.outcome), rows, log.hit[rows].astype(np.int8), _inputs(log.inputs, rows))

    all_rows = np.concatenate([b.rows for b in blocks])
    all_steps = np.concatenate([np.full(len(b.rows), b.step, dtype=np.int16) for b in blocks])
    outcomes = np.concatenate([b.outcome for b in blocks])
    inputs = pa.chunked_array([b.inputs.cast(pa.string()) for b in blocks], pa.string()).combine_chunks()
    order = np.lexsort((all_steps, all_rows))
    take = pa.array(order)
    step_ids = all_steps[order]
    uscc = pa.array(frame["uscc"].astype(object).to_numpy(), pa.string())
    return pa.table(
        {
            "uscc": uscc.take(pa.array(all_rows[order])),
            "step": pa.array(step_ids + 1, pa.int16()),
            "rule_id": pa.array([s.rule_id for s in steps], pa.string()).take(pa.array(step_ids)),
            "stage": pa.array([s.stage for s in steps], pa.string()).take(pa.array(step_ids)),
            "outcome": pa.array(OUTCOMES, pa.string()).take(pa.array(outcomes[order])),
            "effect": pa.array([s.effect for s in steps], pa.string()).take(pa.array(step_ids)),
            "inputs": inputs.take(take),
        },
        schema=SCHEMA,
    )
