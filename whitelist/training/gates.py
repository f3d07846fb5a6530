"""Validation gates: the figures a model must show before it may become the champion.

Gates read only the evaluation JSON that training writes, so the same check runs at the end
of training (reported in the model card) and again at promotion (with the gates in force
then), and a reviewer can recompute it by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from whitelist.training.config import Gates


@dataclass(frozen=True)
class GateCheck:
    gate: str
    measure: str
    rule: Literal["min", "max"]
    limit: float
    value: float | None
    passed: bool
    detail: str = ""


def _lookup(evaluation: dict[str, Any], path: str) -> float | None:
    node: Any = evaluation
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return None if node is None else float(node)


def _check(gate: str, measure: str, rule: Literal["min", "max"], limit: float, value: float | None, detail: str = "") -> GateCheck:
    if value is None:
        return GateCheck(gate, measure, rule, limit, None, False, "not measured: retrain with this version to record it")
    passed = value >= limit if rule == "min" else value <= limit
    return GateCheck(gate, measure, rule, limit, value, passed, detail)


def _auc_interval(evaluation: dict[str, Any], limit: float) -> str:
    """The test AUC's 95% interval, and whether the test part is large enough to judge the gate at all."""
    interval = evaluation.get("benchmark", {}).get("bootstrap", {})
    auc = interval.get("auc", {}).get("model")
    if not auc:
        return ""
    basis = f"{interval['enterprises']:,} enterprises" if "enterprises" in interval else f"{interval['rows']:,} rows"
    text = f"95% interval {auc['low']:.3f}..{auc['high']:.3f} ({basis} resampled)"
    if auc["low"] < limit < auc["high"]:
        text += ": the limit lies inside it, so this test part cannot tell whether the model clears it"
    return text


def check_gates(evaluation: dict[str, Any], gates: Gates) -> list[GateCheck]:
    """Every configured gate against the evaluation, in a fixed order."""
    checks = [
        _check("min_test_auc", "out-of-time AUC", "min", gates.min_test_auc, _lookup(evaluation, "test.auc"),
               _auc_interval(evaluation, gates.min_test_auc)),
        _check("min_test_ks", "out-of-time KS", "min", gates.min_test_ks, _lookup(evaluation, "test.ks")),
        _check("max_score_psi", "PSI of the PD, train -> out-of-time", "max", gates.max_score_psi, _lookup(evaluation, "psi.score.value")),
        _check(
            "max_calibration_error",
            "out-of-time calibration error",
            "max",
            gates.max_calibration_error,
            _lookup(evaluation, "test.calibration_error"),
        ),
        _check(
            "max_monotonicity_violations",
            "paired rows against a monotone constraint",
            "max",
            gates.max_monotonicity_violations,
            _lookup(evaluation, "monotonicity.violations"),
        ),
    ]
    if gates.max_feature_psi is not None:
        drift = evaluation.get("psi", {}).get("features", {})
        values = {f: v["value"] for f, v in drift.items() if v.get("value") is not None}
        worst = max(values, key=lambda f: (values[f], f)) if values else None
        over = sorted(f for f, v in values.items() if v > gates.max_feature_psi)
        detail = f"worst: {worst}" + (f"; over the limit: {', '.join(over)}" if over else "") if worst else ""
        checks.append(
            _check("max_feature_psi", "largest feature PSI", "max", gates.max_feature_psi, values[worst] if worst else 0.0, detail)
        )
    return checks


def gates_passed(checks: list[GateCheck]) -> bool:
    return all(c.passed for c in checks)


def gates_report(checks: list[GateCheck]) -> dict[str, Any]:
    """JSON form, as stored in the evaluation and the promotion log."""
    return {"passed": gates_passed(checks), "checks": [asdict(c) for c in checks]}


def failed_gates(report: dict[str, Any]) -> list[str]:
    """Names of the gates a stored report (``gates_report``) says failed."""
    return [c["gate"] for c in report["checks"] if not c["passed"]]


def failed_message(checks: list[GateCheck]) -> str:
    lines = []
    for c in checks:
        if c.passed:
            continue
        shown = "not measured" if c.value is None else f"{c.value:.4f}"
        bound = ">=" if c.rule == "min" else "<="
        lines.append(f"  {c.gate}: {c.measure} is {shown}, needs {bound} {c.limit:g}" + (f" ({c.detail})" if c.detail else ""))
    return "\n".join(lines)
