"""Benchmark: generate a synthetic province, report wall time, peak memory and rows/s.

Runs `whitelist generate` in a child process under /usr/bin/time so the peak resident memory
of the whole run is measured, then prints one Markdown row per size for docs/benchmarks.md.

    python benchmarks/bench_generate.py --enterprises 100000 2000000 --out benchmarks/out
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import date
from pathlib import Path

from timing import timed


def run(n: int, out: Path, seed: int) -> dict[str, float]:
    target = out / f"province-{n}"
    shutil.rmtree(target, ignore_errors=True)
    exe = Path(sys.executable).with_name("whitelist")
    wall, peak_gb = timed([str(exe), "generate", "--enterprises", str(n), "--seed", str(seed), "--out", str(target)])
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in target.glob("*.parquet"))
    size = sum(p.stat().st_size for p in target.iterdir())
    truth = json.loads((target / "generation.json").read_text())["truth"]
    return {
        "enterprises": n,
        "seconds": round(wall, 1),
        "peak_gb": round(peak_gb, 2),
        "rows": rows,
        "rows_per_s": round(rows / wall),
        "disk_gb": round(size / 1e9, 2),
        "default_rate": truth["default_rate_12m_borrowers"],
        "auc_true_pd": truth["auc_true_pd"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--keep", action="store_true", help="Keep the generated provinces.")
    args = parser.parse_args()
    import numpy
    import pyarrow

    print(f"# {date.today()} {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {numpy.__version__}, pyarrow {pyarrow.__version__}")
    print("| enterprises | seconds | peak GB | rows | rows/s | disk GB | default rate | AUC true PD |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.enterprises:
        r = run(n, args.out, args.seed)
        print(f"| {r['enterprises']:,} | {r['seconds']} | {r['peak_gb']} | {r['rows']:,} | {r['rows_per_s']:,} | "
              f"{r['disk_gb']} | {r['default_rate']} | {r['auc_true_pd']} |", flush=True)
        if not args.keep:
            shutil.rmtree(args.out / f"province-{n}", ignore_errors=True)


if __name__ == "__main__":
    main()
