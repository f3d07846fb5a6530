"""The review pages in a real browser: headless Chromium (Debian's, driven by Playwright) against a
real server on loopback. ``make test`` installs the browser; the test fails, not skips, without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.cases import ScoringCase
from tests.serve.conftest import KEYS, Served, on_loopback, secrets
from whitelist.serve.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(served: Served, scoring_case: ScoringCase) -> Iterator[str]:
    with secrets(served.config):
        app = create_app(served.run.folder, served.config, raw=scoring_case.validated, today=served.today)
    with on_loopback(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield launched
        launched.close()


def _login(browser: Browser, site: str, key: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{site}/review")
    expect(page).to_have_url(f"{site}/review/login")
    page.fill("#key", key)
    page.click("#login")
    return page


def test_a_wrong_key_is_refused_and_nothing_opens_without_logging_in(browser: Browser, site: str, served: Served) -> None:
    page = _login(browser, site, "not-a-key")
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    code = served.table.uscc.iloc[0]
    page.goto(f"{site}/review/decisions/{code}")
    expect(page).to_have_url(f"{site}/review/login")


def test_an_account_manager_finds_and_reads_their_own_branch_only(browser: Browser, site: str, served: Served) -> None:
    bank, branch = served.manager_branch
    table = served.table[served.table.decision != "invalid"]
    own = table[(table.bank == bank) & (table.branch == branch)].sort_values("uscc")
    other = table[(table.bank != bank) | (table.branch != branch)].iloc[0]
    page = _login(browser, site, served.manager_key)
    expect(page.locator("header")).to_contain_text("account_manager")
    expect(page.get_by_role("link", name="合规报告 / Compliance report")).to_have_count(0)
    page.fill("#q", own.uscc.iloc[0][:12])
    page.click("#search")
    shown = page.locator("#results tbody tr td:first-child").all_inner_texts()
    assert shown and set(shown) <= set(own.uscc) and own.uscc.iloc[0] in shown
    page.fill("#q", other.uscc)
    page.click("#search")
    expect(page.locator("#results tbody tr")).to_have_count(0)
    page.goto(f"{site}/review?q={own.uscc.iloc[0]}")
    page.get_by_role("link", name=own.uscc.iloc[0]).click()
    expect(page.locator("h1")).to_have_text("授信决定说明 / Decision explanation")
    assert page.title().startswith(f"{own.uscc.iloc[0]}: {own.decision.iloc[0]}")
    response = page.goto(f"{site}/review/decisions/{other.uscc}")
    assert response is not None and response.status == 404  # as for a code the run never scanned
    response = page.goto(f"{site}/review/report")
    assert response is not None and response.status == 403


def test_compliance_searches_by_name_reads_a_waterfall_and_the_report(
    browser: Browser, site: str, served: Served, scoring_case: ScoringCase
) -> None:
    registry = pd.read_parquet(scoring_case.validated / "registry.parquet", columns=["uscc", "name"])
    scored = pd.read_parquet(served.run.folder / "contributions.parquet", columns=["uscc"])
    target = registry[registry.uscc.isin(scored.uscc)].iloc[0]
    page = _login(browser, site, KEYS["compliance"])
    page.fill("#q", target["name"])
    page.click("#search")
    expect(page.locator("#results")).to_contain_text(target["uscc"])
    page.get_by_role("link", name=target["uscc"]).click()
    expect(page.get_by_alt_text("waterfall of reason-group contributions")).to_be_visible()
    page.goto(f"{site}/review")
    page.get_by_role("link", name="合规报告 / Compliance report").click()
    expect(page.locator("h1")).to_have_text("合规报告 / Compliance report")
    page.goto(f"{site}/review")
    page.get_by_role("button", name="退出 / Log out").click()
    expect(page).to_have_url(f"{site}/review/login")
    page.goto(f"{site}/review")
    expect(page).to_have_url(f"{site}/review/login")
