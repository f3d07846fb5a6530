"""Prepare (cache) the province's scoring set for bench_reasons_province.py: scoring_set(2080000, 0, OUT)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_score as b  # noqa: E402

out = (Path(__file__).resolve().parent / "out")
print(b.scoring_set(2_080_000, 0, out), flush=True)
