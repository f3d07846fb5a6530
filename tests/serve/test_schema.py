"""Schemathesis against the served OpenAPI spec: any request the spec allows gets a documented answer, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.serve.conftest import KEYS, Served

OPERATIONS = [("/v1/preapproval/{uscc}", "GET"), ("/v1/decisions/{uscc}", "GET"), ("/v1/score", "POST"), ("/health", "GET")]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
@pytest.mark.parametrize("key", ["risk", "compliance", None])
def test_every_operation_answers_as_documented(served: Served, path: str, method: str, key: str | None) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.client.app)
    headers = {"X-API-Key": KEYS[key]} if key else {}

    @given(case=schema[path][method].as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        # The spec's pattern cannot say a code's check character is wrong, nor which features a payload
        # lacks, so a request it allows may rightly get 422; every other check stays on.
        case.call_and_validate(headers=headers, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()
