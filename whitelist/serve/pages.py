"""The review pages: staff log in with their key, find a decision by code or name, read its page
and, for compliance and risk, the run's compliance report. Server-rendered, no script needed.

The decision page and the report are the ones `whitelist explain` and `whitelist report` write,
rendered from the run folder's files; account managers find and open their own branch's
enterprises only.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pyarrow.parquet as pq
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from whitelist.explain.page import render_decision
from whitelist.explain.report import render_report
from whitelist.explain.run_folder import RunFolder
from whitelist.serve.auth import Caller, KeyRing, key_hash
from whitelist.serve.config import ServeConfig
from whitelist.serve.lookup import RunIndex
from whitelist.serve.sessions import COOKIE, FORM_COOKIE, Sessions

MAX_RESULTS = 100


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("whitelist.serve", "templates"), autoescape=select_autoescape(["html", "j2"]))


def read_names(raw: Path | None, index: RunIndex) -> dict[str, str]:
    """Enterprise names from a validated folder's registry, for the codes the run scanned."""
    if raw is None:
        return {}
    table = pq.read_table(raw / "registry.parquet", columns=["uscc", "name"])
    return {c: n for c, n in zip(table.column("uscc").to_pylist(), table.column("name").to_pylist(), strict=True)
            if n and index.get(c) is not None}


def add_review_pages(
    app: FastAPI, folder: RunFolder, index: RunIndex, keys: KeyRing, names: dict[str, str], config: ServeConfig
) -> None:
    env = _env()
    sessions = Sessions(config.session_hours)
    report_lock = threading.Lock()
    report: list[str] = []

    def caller_of(request: Request) -> Caller | None:
        sha = sessions.key_of(request.cookies.get(COOKIE))
        caller = keys.caller_by_hash(sha) if sha else None
        if caller is not None:
            request.state.caller = caller
        return caller

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page; a logged-in one carries the logout form's token, bound to this browser's session."""
        token = sessions.form_token(request.cookies.get(COOKIE) or "") if context.get("caller") else None
        return HTMLResponse(env.get_template(name).render(form_token=token, **context), status_code=status)

    def login_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
        """The login form, its token bound to a fresh pre-login cookie (only this browser can post it)."""
        bound = secrets.token_urlsafe(32)
        response = page(request, "login.html.j2", status=status, caller=None, error=error,
                        login_token=sessions.form_token(bound))
        response.set_cookie(FORM_COOKIE, bound, max_age=3600, httponly=True, samesite="strict", path="/review",
                            secure=not config.plain_http)
        return response

    async def posted(request: Request) -> dict[str, str]:
        """A form's fields (the first value of each), read from the body the guard has size-checked."""
        return {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}

    def to_login() -> RedirectResponse:
        return RedirectResponse("/review/login", status_code=303)

    @app.get("/review/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        return login_page(request)

    @app.post("/review/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await posted(request)
        if not sessions.form_ok(request.cookies.get(FORM_COOKIE), form.get("form_token")):
            return login_page(request, status=403, error="登录表单已过期，请重新登录 / This form has expired: log in again.")
        presented = form.get("key", "")
        caller = keys.caller(presented) if presented else None
        if caller is None:
            return login_page(request, status=401, error="密钥无效 / This key is not valid.")
        request.state.caller = caller
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(COOKIE, sessions.issue(key_hash(presented)), max_age=sessions.seconds, httponly=True,
                            samesite="strict", path="/review", secure=not config.plain_http)
        return response

    @app.post("/review/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        session = request.cookies.get(COOKIE)
        if not sessions.form_ok(session, (await posted(request)).get("form_token")):
            return RedirectResponse("/review", status_code=303)  # not this browser's form: nothing changes
        sessions.end(session)  # every copy of the cookie stops working, not only this one
        response = to_login()
        response.delete_cookie(COOKIE, path="/review", secure=not config.plain_http, httponly=True, samesite="strict")
        return response

    @app.get("/review", include_in_schema=False)
    def search(request: Request, q: str = "") -> Response:
        caller = caller_of(request)
        if caller is None:
            return to_login()
        text = q.strip()
        results, truncated = [], False
        if text:
            code = text.upper()
            wanted = [c for c in index.codes() if c.startswith(code)]
            if names:
                wanted += [c for c, n in names.items() if text in n and not c.startswith(code)]
            for c in sorted(set(wanted)):
                d = index.get(c)
                if d is None or not caller.sees(d.bank, d.branch):
                    continue
                if len(results) == MAX_RESULTS:
                    truncated = True
                    break
                results.append({**d.row, "name": names.get(c)})
        return page(request, "search.html.j2", caller=caller, q=text, results=results, truncated=truncated, names=bool(names),
                    run_date=folder.manifest.run_date.isoformat(), scanned=f"{index.size:,}")

    @app.get("/review/decisions/{uscc}", include_in_schema=False)
    def decision(request: Request, uscc: str) -> Response:
        caller = caller_of(request)
        if caller is None:
            return to_login()
        found = index.get(uscc)
        if found is None or not caller.sees(found.bank, found.branch):  # another branch's reads as unknown
            return page(request, "message.html.j2", status=404, caller=caller, message=f"{uscc}: 未找到 / not in this run")
        return HTMLResponse(render_decision(folder, uscc))

    @app.get("/review/report", include_in_schema=False)
    def compliance_report(request: Request) -> Response:
        caller = caller_of(request)
        if caller is None:
            return to_login()
        if caller.role == "account_manager":
            return page(request, "message.html.j2", status=403, caller=caller,
                        message="合规报告仅限合规与风险 / compliance and risk only")
        with report_lock:
            if not report:
                report.append(render_report(folder))
        return HTMLResponse(report[0])
