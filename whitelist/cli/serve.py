"""``whitelist serve``: the lookup API for one run; ``serve-key`` and ``qr-tokens`` make its credentials,
``log-digest`` finds a code in its access log."""

from __future__ import annotations

import csv
import gc
import io
from pathlib import Path

import typer

from whitelist.cli.ui import console, option_date, summary_table, written


def serve(
    run: Path = typer.Option(..., "--run", help="Run folder written by `whitelist score`."),
    model: str | None = typer.Option(
        None, "--model", help="The run's model (folder or models:/ URI), for POST /v1/score; checked against the run."
    ),
    config: Path | None = typer.Option(None, "--config", help="Serving config (default: the embedded configs/serve.yaml)."),
    raw: Path | None = typer.Option(None, "--raw", help="The validated folder: its registry's names make the review pages' name search."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    today: str | None = typer.Option(
        None, "--today", help="YYYY-MM-DD that tokens and pre-approvals are checked against (default: the system date); "
        "for replaying a past run, such as the synthetic demo's."
    ),
) -> None:
    """Serve a run: pre-approval lookups for QR codes, decisions for staff, real-time scores."""
    import uvicorn

    from whitelist.serve.app import create_app
    from whitelist.serve.config import load_serve_config
    from whitelist.training.registry import resolve_model

    settings = load_serve_config(config)
    app = create_app(run, settings, model=resolve_model(model) if model else None, raw=raw,
                     today=option_date(today, "--today"))
    roles = sorted({k.role for k in settings.api_keys})
    summary_table("Serving", ["", ""], [
        ("run", str(run)), ("address", f"http://{host}:{port}"), ("staff keys", len(settings.api_keys)),
        ("roles", ", ".join(roles) or "none (QR lookups only)"), ("real-time scores", "on" if model else "off"),
        ("access log", str(settings.access_log.path)), ("API spec", f"http://{host}:{port}/docs"),
        ("review pages", f"http://{host}:{port}/review"),
        ("session cookie", "plain HTTP (plain_http: true)" if settings.plain_http else "Secure (HTTPS only)"),
        ("validity checked on", today or "the system date"),
    ], text=True)
    # The run's decisions stay in memory for the server's life: moved out of the collector's reach, its
    # millions of values are not re-scanned at every full collection (pauses of 100 ms and more otherwise).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def serve_key(
    key_id: str = typer.Option(..., "--id", help="Names the caller in the access log, e.g. am-330102-zhang."),
    role: str = typer.Option(..., "--role", help="account_manager, compliance or risk."),
    bank: str | None = typer.Option(None, "--bank", help="An account manager's bank."),
    branch: str | None = typer.Option(None, "--branch", help="An account manager's branch."),
) -> None:
    """Make a staff key: print the key once (give it to the caller) and the entry for serve.yaml's api_keys."""
    import yaml

    from whitelist.core.config import parse_config
    from whitelist.serve.auth import key_hash, new_api_key
    from whitelist.serve.config import ApiKey

    key = new_api_key()
    entry = parse_config(ApiKey, {"id": key_id, "role": role, "sha256": key_hash(key), "bank": bank, "branch": branch},
                         source="command line")
    console.print(f"[bold]key[/bold] (shown once; the config keeps only its hash): {key}", highlight=False)
    console.print("[bold]add under api_keys:[/bold]")
    console.print(yaml.safe_dump([entry.model_dump(exclude_none=True)], sort_keys=False, allow_unicode=True), highlight=False)


def qr_tokens(
    run: Path = typer.Option(..., "--run", help="Run folder written by `whitelist score`."),
    out: Path = typer.Option(..., "--out", help="CSV to write: uscc, valid_until, token, url."),
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", help="Where `whitelist serve` is reached."),
    config: Path | None = typer.Option(None, "--config", help="Serving config (default: the embedded one)."),
) -> None:
    """The QR tokens of a run's pre-approved enterprises, each valid until its pre-approval ends."""
    import pandas as pd

    from whitelist.core.io import write_bytes
    from whitelist.explain.run_folder import RunFolder
    from whitelist.serve.auth import qr_token
    from whitelist.serve.config import load_serve_config

    folder = RunFolder.open(run)
    key = load_serve_config(config).qr_key()
    table = folder.whitelist
    listed = table[table["decision"] == "whitelist"].sort_values("uscc")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["uscc", "valid_until", "token", "url"])
    for uscc, valid in zip(listed["uscc"], listed["valid_until"], strict=True):
        expires = pd.Timestamp(valid).date()
        token = qr_token(key, uscc, expires)
        writer.writerow([uscc, expires.isoformat(), token, f"{base_url.rstrip('/')}/v1/preapproval/{uscc}?token={token}"])
    path = write_bytes(out, buffer.getvalue().encode("utf-8-sig"))
    summary_table("QR tokens", ["measure", "value"], [("pre-approved enterprises", len(listed))])
    written([path])


def log_digest(
    codes: list[str] = typer.Option(..., "--code", help="An enterprise's USCC (repeatable)."),
    config: Path | None = typer.Option(None, "--config", help="Serving config (default: the embedded one)."),
) -> None:
    """What the access log records for each code: its keyed digest (needs the server's log key in the environment)."""
    from whitelist.serve.access_log import code_digest
    from whitelist.serve.config import load_serve_config

    settings = load_serve_config(config)
    key = settings.log_key()
    summary_table("Access log digests", ["uscc", "uscc_hmac16"], [(c, code_digest(key, c)) for c in codes], text=True)
