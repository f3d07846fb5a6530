"""A scoring run's ``manifest.json`` and the files every run folder holds.

Scoring writes it; the pages, the compliance report, the served API and real-time scoring read
it. It lives here, below all of them, because explain/ never imports scoring/ (a reviewer sees
what the run wrote, not what today's code would compute). The policy is kept whole as the YAML's
data (``policy.config``): its one typed reading is the scoring layer's ``PolicyConfig``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from whitelist.core.artefact_file import Artefact, parse_artefact
from whitelist.core.decisions import DECISIONS
from whitelist.core.report_settings import ReportSettings

WHITELIST_FILE = "whitelist.parquet"
CONTRIBUTIONS_FILE = "contributions.parquet"
INPUTS_FILE = "inputs.parquet"
DECISION_LOG_FILE = "decision_log.parquet"
MANIFEST_FILE = "manifest.json"
RUN_FILES: tuple[str, ...] = (WHITELIST_FILE, CONTRIBUTIONS_FILE, INPUTS_FILE, DECISION_LOG_FILE, MANIFEST_FILE)
"""What every run folder holds; a folder missing one was not written by ``whitelist score``."""


class ModelRef(Artefact):
    ref: str
    """How the model was named on the command line (a folder or ``models:/...``)."""
    model_sha256: str
    artefact_sha256: str
    kind: str
    trees: int | None
    features: int
    git_commit: str | None


class PolicyRef(Artefact):
    path: str
    version: str
    sha256: str
    config: dict[str, Any]
    """The whole policy as loaded; ``scoring.config.PolicyConfig`` parses it."""

    def rules(self) -> tuple[CheckRecord, ...]:
        """The policy's declared rules, as the run applied them: id, name, stage, outcome and texts."""
        keep = CheckRecord.model_fields
        return tuple(CheckRecord(**{k: v for k, v in rule.items() if k in keep}) for rule in self.config.get("rules", []))

    def report_settings(self) -> ReportSettings:
        """The compliance report's settings of this run's policy (their defaults where it had none)."""
        return parse_artefact(ReportSettings, self.config.get("report", {}), f"the run's policy {self.path}, report")


class FileRef(Artefact):
    path: str
    sha256: str | None
    """None for a file the run was given but that no longer existed when it was hashed."""


class Contributions(Artefact):
    method: str | None
    requested: str | None
    fallback: str | None


class CheckRecord(Artefact):
    """One of the engine's own checks as the run applied it (``scoring.policy.checks``)."""

    id: str
    name: str
    stage: str
    outcome: str
    text_zh: str
    text_en: str


class Counts(Artefact):
    """Enterprises per decision; ``scanned`` is their sum, ``reconciles`` says it was."""

    whitelist: int
    review: int
    decline: int
    excluded: int
    invalid: int
    scanned: int
    reconciles: bool
    visit_focus: int
    contact_overflow: int

    def of(self, decision: str) -> int:
        """Enterprises with ``decision`` (one of ``core.decisions.DECISIONS``)."""
        if decision not in DECISIONS:
            raise KeyError(f"{decision!r} is not a decision; expected one of {', '.join(DECISIONS)}")
        return int(getattr(self, decision))


class VisitList(Artefact):
    """Where every raw visit-list row went: rows read = scanned + duplicates + invalid codes."""

    rows_read: int
    scanned: int
    rejected_scanned: int
    duplicates: int
    invalid_codes: int
    reconciles: bool


class WhitelistSummary(Artefact):
    total_limit: float
    average_rate: float | None
    limit_weighted_rate: float | None
    mean_pd: float | None
    expected_bad_rate: float | None
    lpr: float


class DriftRecord(Artefact):
    name: str
    psi: float
    status: Literal["ok", "warn", "fail"]


class RunInfo(Artefact):
    """When and where: the only block that differs between two runs of the same inputs."""

    created_at: str
    host: str
    seconds: dict[str, float]


class RunManifest(Artefact):
    engine_version: str
    as_of: date
    run_date: date
    model: ModelRef
    policy: PolicyRef
    reasons: FileRef
    contributions: Contributions
    engine: str
    checks: tuple[CheckRecord, ...]
    inputs: dict[str, FileRef]
    counts: Counts
    visit_list: VisitList | None = None
    """Absent from runs written before the visit list was reconciled (issue 20)."""
    rules_hit: dict[str, int]
    whitelist: WhitelistSummary
    drift: tuple[DriftRecord, ...]
    files: dict[str, str]
    """Every other file of the run folder (relative path) and its SHA-256."""
    run: RunInfo
