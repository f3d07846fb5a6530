"""Comma-joined names of the flags each row has, built once per distinct pattern of flags."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def joined_names(names: Sequence[str], flags: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Per row, the ``names`` whose flag is set, comma-joined in the order given ('' when none).

    A province's rows share a few hundred patterns at most, so each pattern is joined once
    and spread, instead of a Python loop over rows.
    """
    if not names or n == 0:
        return np.full(n, "", dtype=object)
    packed = np.packbits(np.column_stack([np.asarray(f, dtype=bool) for f in flags]), axis=1)
    patterns, inverse = np.unique(packed, axis=0, return_inverse=True)
    on = np.unpackbits(patterns, axis=1, count=len(names)).astype(bool)
    joined = np.array([",".join(name for name, hit in zip(names, row, strict=True) if hit) for row in on], dtype=object)
    return joined[inverse.reshape(-1)]
