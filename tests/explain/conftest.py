"""A scoring run of the shared province, for the pages and the report."""

from __future__ import annotations

import pytest

from tests.cases import ScoringCase
from whitelist.scoring.run import RunResult, run_scoring


@pytest.fixture(scope="session")
def scored_run(scoring_case: ScoringCase, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_scoring(scoring_case.request(tmp_path_factory.mktemp("explain") / "run"))
