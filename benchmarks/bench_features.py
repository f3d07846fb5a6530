"""Benchmark: features for a whole province, against a plain DuckDB scan of the same files.

Generates (if needed) and validates a province with 36 months of every source, then times
`whitelist features` (the scoring set at the end date, all features) under /usr/bin/time,
and a plain scan that reads every column of every source file once, in the same run, so
the ratio of the two is comparable across machines.

    python benchmarks/bench_features.py --enterprises 2000000 --months 36
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from timing import timed

import duckdb

EXE = Path(sys.executable).with_name("whitelist")




def plain_scan(folder: Path) -> tuple[float, int]:
    """Read every column of every source once (SUM of a hash per row), as DuckDB's floor."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    rows = 0
    start = time.perf_counter()
    for path in sorted(folder.glob("*.parquet")):
        rows += con.execute(f"SELECT COUNT(*), SUM(HASH(COLUMNS(*))) FROM read_parquet('{path}')").fetchone()[0]
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--as-of", default="2024-12-31")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    raw = args.out / f"province-{args.enterprises}-{args.months}m"
    validated = args.out / f"validated-{args.enterprises}-{args.months}m"
    if not (raw / "generation.json").is_file():
        subprocess.run([str(EXE), "generate", "-n", str(args.enterprises), "--months", str(args.months), "--out", str(raw)], check=True, capture_output=True)
    if not (validated / "quality.json").is_file():
        subprocess.run([str(EXE), "validate", "--raw", str(raw), "--out", str(validated)], check=True, capture_output=True)
    out = args.out / f"features-{args.enterprises}.parquet"
    wall, peak = timed([str(EXE), "features", "--raw", str(validated), "--as-of", args.as_of, "--out", str(out), "--memory-limit", args.memory_limit])
    scan, rows = plain_scan(validated)
    feature_rows = duckdb.connect().execute(f"SELECT COUNT(*) FROM read_parquet('{out}')").fetchone()[0]
    print(f"# {date.today()} {os.cpu_count()} cores, Python {platform.python_version()}, duckdb {duckdb.__version__}")
    print("| enterprises | months | source rows | feature rows | features s | peak GB | plain scan s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.enterprises:,} | {args.months} | {rows:,} | {feature_rows:,} | {wall:.1f} | {peak:.2f} | {scan:.1f} | {wall / scan:.1f}x |")


if __name__ == "__main__":
    main()
