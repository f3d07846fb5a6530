"""The serving API: pre-approval lookups for QR codes, decisions for staff, real-time scores.

    GET  /v1/preapproval/{uscc}   status, limit, rate and valid-until of a pre-approved enterprise
                                  (its QR token, or a staff key); not found otherwise, saying nothing more
    GET  /v1/decisions/{uscc}     the decision with its reasons (staff keys: managers their own branch)
    POST /v1/score                PD, grade, decision and reasons for one feature payload (risk, managers)
    GET  /health                  liveness and the run served; /openapi.json the spec
    /review ...                   the review pages for staff in a browser (pages.py)

Every request is written to the access log, and passes ``guard.Guard`` first (credentials before
bodies, a size limit, security headers). Errors are JSON ``{"detail": ...}``: 401 without valid
credentials, 403 outside the caller's role, 404 not found (an enterprise of another branch answers
exactly as an unknown code does, so a manager's key cannot tell which codes another branch listed),
413 for a body over the limit, 422 for a malformed code or payload, with a message that says what to fix.
"""


from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path as PathParam, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from whitelist import __version__
from whitelist.core.errors import InputDataError
from whitelist.core.uscc import problem
from whitelist.explain.run_folder import RunFolder
from whitelist.serve.access_log import AccessLog
from whitelist.serve.auth import Caller, KeyRing, verify_qr_token
from whitelist.serve.config import ServeConfig
from whitelist.serve.guard import Guard
from whitelist.serve.lookup import RunIndex
from whitelist.serve.pages import add_review_pages, read_names
from whitelist.serve.realtime import RealtimeScorer, Value

USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
NOT_FOUND = "not found"


class ErrorBody(BaseModel):
    detail: str | list[Any]


class Preapproval(BaseModel):
    uscc: str
    status: str = Field(description="pre-approved")
    limit: float | None
    rate: float | None
    valid_until: str | None


class Reason(BaseModel):
    code: str
    value: float | None
    text_zh: str | None
    text_en: str | None


class DecisionOut(BaseModel):
    uscc: str
    decision: str
    visit_focus: bool | None
    pd: float | None
    points: int | None
    grade: str | None
    limit: float | None
    rate: float | None
    segments: list[str]
    rules_hit: list[str]
    reasons: list[Reason]
    repair_zh: str | None
    repair_en: str | None
    entity_type: str | None
    industry: str | None
    region: str | None
    bank: str | None
    branch: str | None
    contact_by: str | None
    process_by: str | None
    valid_until: str | None
    run_date: str | None


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(pattern=USCC_PATTERN, description="the enterprise's unified social credit code")
    features: dict[str, Value] = Field(description="every feature the model and the policy read; null where absent")


class ScoreOut(BaseModel):
    uscc: str
    decision: str
    pd: float | None
    points: int | None
    grade: str | None
    limit: float | None
    rate: float | None
    rules_hit: list[str]
    segments: list[str]
    reasons: list[Reason]
    repair_zh: str | None
    repair_en: str | None
    model: dict[str, str]
    as_of: str
    not_applied: list[str] = Field(description="checks that need the whole population, not applied to one enterprise")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid token or key"},
    403: {"model": ErrorBody, "description": "outside the caller's role"},
    404: {"model": ErrorBody, "description": "not found, or another branch's"},
    413: {"model": ErrorBody, "description": "request body over the configured limit"},
    422: {"model": ErrorBody, "description": "malformed code or payload"},
}


def _checked_code(uscc: str) -> str:
    issue = problem(uscc)
    if issue is not None:
        raise HTTPException(status_code=422, detail=f"uscc {uscc!r}: {issue}")
    return uscc


def create_app(
    run: Path, config: ServeConfig, *, model: Path | None = None, raw: Path | None = None, today: date | None = None
) -> FastAPI:
    """The app for one run folder. ``model``: the run's model folder, for real-time scores; ``raw``: the
    validated folder, whose registry names the review pages search; ``today``: for tests."""
    folder = RunFolder.open(run)  # a folder missing any of a run's files fails here, naming them
    manifest = folder.manifest
    index = RunIndex(run)
    keys = KeyRing(config)
    qr_key = config.qr_key()
    log = AccessLog(config.access_log.path, config.log_key())
    scorer = RealtimeScorer(folder, model) if model is not None else None

    def now() -> date:
        return today or date.today()

    app = FastAPI(
        title="whitelist", version=__version__,
        description="Pre-approval lookups, decisions and real-time scores of one whitelist run.",
    )
    app.state.scorer = scorer

    def staff(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> Caller:
        caller = keys.caller(x_api_key) if x_api_key else None
        if caller is None:
            raise HTTPException(status_code=401, detail="give a valid staff key in the X-API-Key header")
        request.state.caller = caller
        return caller

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "run_date": manifest.run_date.isoformat(), "scanned": index.size,
                "model": manifest.model.ref, "realtime": scorer is not None}

    @app.get("/v1/preapproval/{uscc}", response_model=Preapproval, responses=ERRORS)
    def preapproval(
        request: Request,
        uscc: Annotated[str, PathParam(pattern=USCC_PATTERN)],
        token: Annotated[str | None, Query(max_length=200, description="the QR code's token")] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Any:
        _checked_code(uscc)
        caller = None
        if x_api_key:
            caller = keys.caller(x_api_key)
        elif token and verify_qr_token(qr_key, uscc, token, now(), config.qr.max_days):
            caller = Caller(kind="qr", id="qr", uscc=uscc)
        if caller is None:
            raise HTTPException(status_code=401, detail="scan the enterprise's QR code (its token), or give a staff key")
        request.state.caller = caller
        found = index.get(uscc)
        if found is None or not found.preapproved(now()):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        if caller.kind == "key" and not caller.sees(found.bank, found.branch):
            raise HTTPException(status_code=404, detail=NOT_FOUND)  # another branch's: the same as no such code
        return found.preapproval()

    @app.get("/v1/decisions/{uscc}", response_model=DecisionOut, responses=ERRORS)
    def decision(uscc: Annotated[str, PathParam(pattern=USCC_PATTERN)], caller: Annotated[Caller, Depends(staff)]) -> Any:
        _checked_code(uscc)
        found = index.get(uscc)
        if found is None or not caller.sees(found.bank, found.branch):  # another branch's reads as unknown
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return found.full()

    @app.post("/v1/score", response_model=ScoreOut, responses=ERRORS)
    def score(request: Request, body: ScoreIn, caller: Annotated[Caller, Depends(staff)]) -> Any:
        request.state.uscc = body.uscc
        if caller.role == "compliance":
            raise HTTPException(status_code=403, detail="compliance keys read decisions; scoring is for risk and account managers")
        _checked_code(body.uscc)
        if scorer is None:
            raise HTTPException(status_code=404, detail="real-time scoring is off: start the server with --model")
        try:
            return scorer.score(body.uscc, body.features)
        except InputDataError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    add_review_pages(app, folder, index, keys, read_names(raw, index), config)
    app.add_middleware(Guard, keys=keys, log=log, max_body=config.max_body_bytes)
    return app
