"""Segments the coordination mechanism prioritises, and the priority points they give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from whitelist.scoring.config import Segment
from whitelist.scoring.policy.expr import evaluate
from whitelist.scoring.policy.patterns import joined_names


def segment_flags(frame: pd.DataFrame, segments: tuple[Segment, ...]) -> pd.DataFrame:
    """One boolean column per segment, ``seg_<id>``, in declared order."""
    return pd.DataFrame(
        {f"seg_{s.id}": evaluate(s.when, frame).hit for s in segments}, index=frame.index
    )


def segment_text(flags: pd.DataFrame, segments: tuple[Segment, ...]) -> np.ndarray:
    """Comma-joined ids of the segments each enterprise is in ('' when none)."""
    return joined_names([s.id for s in segments], [flags[f"seg_{s.id}"].to_numpy() for s in segments], len(flags))


def priority_points(flags: pd.DataFrame, segments: tuple[Segment, ...]) -> np.ndarray:
    points = np.zeros(len(flags), dtype=np.int64)
    for s in segments:
        points += flags[f"seg_{s.id}"].to_numpy().astype(np.int64) * s.priority
    return points
