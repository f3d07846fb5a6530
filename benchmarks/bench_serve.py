"""Benchmark (issue 8): `whitelist serve` under load from a second process, on loopback, at fixed rates.

Goal: pre-approval lookups p99 within 20 ms at 200 requests/s, and real-time scores with reasons p99
within 50 ms at 20 requests/s; report the highest rate each sustains.

The server is `whitelist serve` (one uvicorn process, as a bank would start it) on the 200,000
province's run (``bench_score.py``'s data and default model; the run is scored once into
OUT/serve-200000/run) with ``--model``. This script is the second process: an open-loop load
generator (asyncio, httpx, keep-alive connections) that sends request i at start + i / rate whatever
the answers do, and measures each latency from that scheduled time, so a stalled server is charged
for the requests that queue behind it (no coordinated omission).

* lookups: ``GET /v1/preapproval/{uscc}?token=...`` for a pre-approved enterprise drawn at random
  (seeded), with its QR token; one in ten is a code that was not pre-approved (404);
* scores: ``POST /v1/score`` with a scored enterprise's feature row from the run's inputs.parquet
  (every feature the model and policy read), risk key.

Each rate runs ``--seconds`` after a warm-up; a rate is sustained when its p99 is within the target,
no request failed and the server answered at least 95% of the requested rate. Rates double until
one is not sustained (or ``--max-rate``). Both processes share the machine's 2 cores.

    .venv/bin/python benchmarks/bench_serve.py              # about 5 minutes after the data
    .venv/bin/python benchmarks/bench_serve.py --report benchmarks/out/bench-serve.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_score import EXE, default_model, git, scoring_set  # noqa: E402
from bench_shap_shapes import machine  # noqa: E402

OUT = HERE / "out"
QR_KEY = "benchmark-qr-signing-key-0123456789-abcdefgh"
RISK_KEY = "benchmark-risk-key-0123456789"
TARGETS = {"lookup": (200, 20.0), "score": (20, 50.0)}
STALLED = 4
"""A rate whose requests are not all answered within this many times its seconds is not sustained."""
"""Per kind: the goal's rate (requests/s) and p99 (ms)."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


async def drive(url: str, requests: list[dict[str, Any]], rate: float, seconds: float) -> dict[str, Any]:
    import httpx

    n = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        start = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            nonlocal failures
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            req = requests[i % len(requests)]
            try:
                answer = await client.request(req["method"], req["path"], params=req.get("params"),
                                              json=req.get("json"), headers=req.get("headers"))
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code not in req["expect"]:
                    failures += 1
            except httpx.HTTPError:
                failures += 1
            latencies.append((time.perf_counter() - scheduled) * 1000)

        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - start
    return {"rate": rate, "requests": n, "seconds": round(elapsed, 2), "answered_per_s": round(n / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50), 2), "p90_ms": round(percentile(latencies, 90), 2),
            "p99_ms": round(percentile(latencies, 99), 2), "max_ms": round(max(latencies), 2),
            "failures": failures, "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "load_1min": round(os.getloadavg()[0], 2)}


def prepare(out: Path) -> tuple[Path, Path, Path]:
    validated, features = scoring_set(200_000, 0, out)
    model, _ = default_model(200_000, None, out)
    run = out / "serve-200000" / "run"
    if not (run / "manifest.json").is_file():
        run.parent.mkdir(parents=True, exist_ok=True)
        print("scoring the run to serve ...", flush=True)
        subprocess.run([str(EXE), "score", "--model", str(model), "--features", str(features), "--raw", str(validated),
                        "--out", str(run)], check=True, capture_output=True)
    return run, model, validated


def requests_for(run: Path, kind: str, today: date, seed: int) -> list[dict[str, Any]]:
    import pandas as pd

    from whitelist.serve.auth import qr_token

    rng = random.Random(seed)
    table = pd.read_parquet(run / "whitelist.parquet", columns=["uscc", "decision", "valid_until"])
    if kind == "lookup":
        listed = table[table.decision == "whitelist"]
        others = table[(table.decision != "whitelist") & (table.decision != "invalid")].uscc.tolist()
        out = []
        for code, valid in zip(listed.uscc, listed.valid_until, strict=True):
            token = qr_token(QR_KEY.encode(), code, pd.Timestamp(valid).date())
            out.append({"method": "GET", "path": f"/v1/preapproval/{code}", "params": {"token": token}, "expect": {200}})
        for code in rng.sample(others, len(out) // 9):
            token = qr_token(QR_KEY.encode(), code, today + timedelta(days=30))
            out.append({"method": "GET", "path": f"/v1/preapproval/{code}", "params": {"token": token}, "expect": {404}})
        rng.shuffle(out)
        return out
    scored = pd.read_parquet(run / "contributions.parquet", columns=["uscc"]).uscc
    picked = set(rng.sample(scored.tolist(), 2000))
    inputs = pd.read_parquet(run / "inputs.parquet")
    inputs = inputs[inputs.uscc.isin(picked)]
    return [{"method": "POST", "path": "/v1/score", "headers": {"X-API-Key": RISK_KEY}, "expect": {200},
             "json": {"uscc": row.pop("uscc"), "features": row}}
            for row in json.loads(inputs.drop(columns=["policy_need", "policy_capacity"]).to_json(orient="records"))]


def start_server(run: Path, model: Path, work: Path, today: date) -> tuple[subprocess.Popen[bytes], str]:
    import yaml

    from whitelist.serve.auth import key_hash

    config = work / "serve.yaml"
    config.write_text(yaml.safe_dump({"api_keys": [{"id": "bench-risk", "role": "risk", "sha256": key_hash(RISK_KEY)}],
                                      "access_log": {"path": str(work / "access-log.jsonl")}}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(EXE), "serve", "--run", str(run), "--model", str(model), "--config", str(config),
                             "--port", str(port), "--today", today.isoformat()], env={**os.environ, "WHITELIST_QR_KEY": QR_KEY, "WHITELIST_LOG_KEY": QR_KEY},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.2)


def report(res: dict[str, Any]) -> None:
    m = res["machine"]
    print(f"# {res['date']}, {m['cores']} cores ({m['cpu']}, {m['hypervisor']}); whitelist at {res['commit']}; "
          f"run of {res['scanned']:,} enterprises; {res['seconds']} s a rate")
    for kind, rows in res["kinds"].items():
        rate, p99 = TARGETS[kind]
        print(f"## {kind}: goal p99 <= {p99} ms at {rate}/s; highest sustained: {res['sustained'].get(kind)}/s")
        print("| rate/s | requests | answered/s | p50 ms | p90 ms | p99 ms | max ms | failures | statuses | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for r in rows:
            if r.get("stalled"):
                print(f"| {r['rate']:g} | {r['requests']:,} | stalled | | | | | | | |")
                continue
            print(f"| {r['rate']:g} | {r['requests']:,} | {r['answered_per_s']:g} | {r['p50_ms']} | {r['p90_ms']} | "
                  f"{r['p99_ms']} | {r['max_ms']} | {r['failures']} | {r['statuses']} | {r['load_1min']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-rate", type=float, default=6400.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--kinds", nargs="*", choices=list(TARGETS), default=list(TARGETS), help="Measure only these.")
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    run, model, _ = prepare(OUT)
    work = OUT / "serve-200000"
    manifest = json.loads((run / "manifest.json").read_text())
    today = date.fromisoformat(manifest["run_date"])
    proc, url = start_server(run, model, work, today)
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": git("rev-parse", "--short", "HEAD"),
                           "machine": machine(), "scanned": manifest["counts"]["scanned"], "seconds": args.seconds,
                           "kinds": {}, "sustained": {}}
    try:
        for kind, (goal_rate, goal_p99) in TARGETS.items():
            if kind not in args.kinds:
                continue
            reqs = requests_for(run, kind, today, args.seed)
            gc.collect()
            gc.freeze()  # the generator's own prepared requests must not pause it (and bill the server)
            asyncio.run(drive(url, reqs, goal_rate, 3.0))  # warm-up
            rows = []
            rate = float(goal_rate)
            while rate <= args.max_rate:
                try:  # a rate far beyond the server's (or this generator's) reach stops, not stalls
                    r = asyncio.run(asyncio.wait_for(drive(url, reqs, rate, args.seconds), STALLED * args.seconds))
                except TimeoutError:
                    print(f"{kind} {rate:g}/s: not answered within {STALLED * args.seconds:g} s -> not sustained", flush=True)
                    rows.append({"rate": rate, "requests": int(rate * args.seconds), "stalled": True, "sustained": False})
                    break
                ok = r["p99_ms"] <= goal_p99 and r["failures"] == 0 and r["answered_per_s"] >= 0.95 * rate
                r["sustained"] = ok
                rows.append(r)
                print(f"{kind} {rate:g}/s: p99 {r['p99_ms']} ms, answered {r['answered_per_s']}/s, "
                      f"failures {r['failures']} -> {'ok' if ok else 'not sustained'}", flush=True)
                if ok:
                    res["sustained"][kind] = rate
                else:
                    break
                rate *= 2
            res["kinds"][kind] = rows
            (OUT / "bench-serve.json").write_text(json.dumps(res, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    (OUT / "bench-serve.json").write_text(json.dumps(res, indent=2))
    report(res)


if __name__ == "__main__":
    main()
