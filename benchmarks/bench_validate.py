"""Benchmark: validate a synthetic province, report wall time, peak memory and rows/s.

Runs `whitelist validate` in a child process under /usr/bin/time (peak resident memory of the
whole run) on a province made by `whitelist generate` (made here when --raw is not given),
and prints one Markdown row per run for docs/benchmarks.md.

    python benchmarks/bench_validate.py --enterprises 200000
    python benchmarks/bench_validate.py --raw benchmarks/out/province-2000000 --memory-limit 4GB
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from timing import timed

EXE = Path(sys.executable).with_name("whitelist")




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=Path, help="A generated province; made here when absent.")
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    raw = args.raw
    if raw is None:
        raw = args.out / f"province-{args.enterprises}-{args.format}"
        shutil.rmtree(raw, ignore_errors=True)
        gen = [str(EXE), "generate", "-n", str(args.enterprises), "--out", str(raw), "--format", args.format]
        if args.format == "csv":
            gen += ["--encoding", "gb18030"]
        subprocess.run(gen, capture_output=True, check=True)
    target = args.out / f"validated-{raw.name}"
    shutil.rmtree(target, ignore_errors=True)
    wall, peak = timed(
        [str(EXE), "validate", "--raw", str(raw), "--out", str(target), "--memory-limit", args.memory_limit]
    )
    report = json.loads((target / "quality.json").read_text())
    sources = report["sources"]
    rows = sum(s.get("rows_read") or 0 for s in (sources.values() if isinstance(sources, dict) else sources))
    import duckdb

    print(f"# {date.today()} {os.cpu_count()} cores, Python {platform.python_version()}, duckdb {duckdb.__version__}")
    print("| input | memory limit | rows | seconds | rows/s | peak GB |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| {raw.name} | {args.memory_limit} | {rows:,} | {wall:.1f} | {rows / wall:,.0f} | {peak:.2f} |")
    shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()
