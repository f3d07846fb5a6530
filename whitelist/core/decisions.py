"""The decisions a whitelist run can reach, in order of severity, with their Chinese names.

Scoring decides, extracts and pages show, the report counts: one vocabulary serves them all,
so a new decision cannot reach one output and not another.
"""

from __future__ import annotations

from collections.abc import Mapping

DECISIONS: tuple[str, ...] = ("whitelist", "review", "decline", "excluded", "invalid")
"""Least to most severe: an enterprise ends with the most severe outcome of every step."""
SEVERITY: Mapping[str, int] = {d: i for i, d in enumerate(DECISIONS)}
DECISION_ZH: Mapping[str, str] = {
    "whitelist": "白名单",
    "review": "复核",
    "decline": "拒绝",
    "excluded": "排除",
    "invalid": "无效",
}
