"""Time ``validate_folder`` on a utilities-like folder of a few million rows.

    python benchmarks/bench_validate.py [--entities 100000] [--months 50] [--folder /tmp/wl-bench] [--csv]

Builds the raw folder once (registry, visit list, utilities with a sprinkle of defects), then
validates it and prints rows per second. Run under ``/usr/bin/time -v`` for peak memory.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from whitelist.core.uscc import corrupt_check, make_codes
from whitelist.sources.validate import validate_folder


def build(folder: Path, entities: int, months: int, csv: bool, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = make_codes(
        np.full(entities, "9"), np.full(entities, "1"), np.full(entities, 330102), np.arange(entities)
    )
    registry = pa.table(
        {
            "uscc": ids,
            "name": [f"企业{i}" for i in range(entities)],
            "entity_type": np.full(entities, "enterprise"),
            "industry": np.full(entities, "C1711"),
            "region": np.full(entities, "330102"),
            "registered_capital": rng.gamma(2.0, 100.0, entities),
            "established": pa.array(np.full(entities, np.datetime64("2012-05-01", "D"))),
            "status": np.full(entities, "active"),
            "address_id": np.char.add("A", np.arange(entities).astype(str)),
            "legal_rep_id": np.char.add("P", np.arange(entities).astype(str)),
        }
    )
    pq.write_table(registry, folder / "registry.parquet")
    visit = ids[rng.random(entities) < 0.5]
    pq.write_table(
        pa.table(
            {
                "uscc": visit,
                "region": np.full(len(visit), "330102"),
                "town": np.full(len(visit), "330102001"),
                "bank_id": np.full(len(visit), "B1"),
                "branch_id": np.full(len(visit), "B1-01"),
            }
        ),
        folder / "visit_list.parquet",
    )
    periods = (np.datetime64("2024-12", "M") - np.arange(months)[::-1]).astype("datetime64[D]")
    periods = (periods.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    n = entities * months
    uscc = np.repeat(ids, months)
    period = np.tile(periods, entities)
    bad = rng.random(n) < 0.0005
    uscc[bad] = corrupt_check(uscc[bad], rng)
    kwh = rng.gamma(2.0, 5000.0, n)
    kwh[rng.random(n) < 0.0005] *= -1
    received = period + rng.integers(5, 60, n).astype("timedelta64[D]")
    dup = rng.random(n) < 0.002
    table = pa.table(
        {
            "uscc": np.concatenate([uscc, uscc[dup]]),
            "period": pa.array(np.concatenate([period, period[dup]])),
            "electricity_kwh": np.concatenate([kwh, kwh[dup]]),
            "water_m3": np.concatenate([rng.gamma(2.0, 50.0, n), rng.gamma(2.0, 50.0, int(dup.sum()))]),
            "arrears": np.zeros(n + int(dup.sum())),
            "received_date": pa.array(np.concatenate([received, received[dup]])),
        }
    )
    if csv:
        pacsv.write_csv(table, folder / "utilities.csv")
    else:
        pq.write_table(table, folder / "utilities.parquet", row_group_size=1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=50)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/wl-bench"))
    parser.add_argument("--csv", action="store_true", help="Write utilities as CSV (all text).")
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    raw = args.folder / ("raw-csv" if args.csv else "raw")
    if not raw.exists():
        started = time.perf_counter()
        build(raw, args.entities, args.months, args.csv)
        print(f"built {raw} in {time.perf_counter() - started:.1f}s")
    out = args.folder / "validated"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    result = validate_folder(raw, out, memory_limit=args.memory_limit)
    seconds = time.perf_counter() - started
    rows = sum(r.rows_read for r in result.sources)
    print(f"validated {rows:,} rows in {seconds:.1f}s: {rows / seconds:,.0f} rows/s")
    for r in result.sources:
        if r.present:
            print(f"  {r.name}: read {r.rows_read:,} valid {r.rows_valid:,} quarantined {dict(r.by_reason)}")


if __name__ == "__main__":
    main()
