"""Shared by the benchmarks: run a command under /usr/bin/time, return wall seconds and peak GB."""

from __future__ import annotations

import os
import re
import subprocess
import time


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall time of ``cmd`` and the peak resident memory of its whole process tree's largest process."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"}
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    wall = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    assert match is not None, proc.stderr
    return wall, int(match.group(1)) / 1024 / 1024
