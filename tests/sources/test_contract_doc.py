"""docs/data-contract.md is generated from the contract and must stay in sync with it."""

from __future__ import annotations

from pathlib import Path

from whitelist.sources.contract import REASON_CODES, SOURCES
from whitelist.sources.contract_doc import COMMAND, render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_page_is_in_sync_with_the_contract() -> None:
    assert PAGE.is_file(), f"docs/data-contract.md is missing; run: {COMMAND}"
    assert PAGE.read_text(encoding="utf-8") == render(), f"docs/data-contract.md is stale; run: {COMMAND}"


def test_page_names_every_source_column_and_reason() -> None:
    page = render()
    for src in SOURCES:
        assert f"### {src.name}\n" in page
        for col in src.columns:
            assert f"| `{col.name}` |" in page
    for code in REASON_CODES:
        assert f"| `{code}` |" in page
