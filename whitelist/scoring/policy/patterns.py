"""Distinct patterns of per-row values, found by hashing, and names joined once per pattern."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

_KEY_LIMIT = 2**62
"""Mixed-radix keys are refactorized before they could overflow an int64."""
SMALL = 16
"""Up to this many rows, patterns are found in a plain dict."""


def factorize_rows(columns: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the index of its distinct combination of ``columns`` values (codes: integers or
    flags), and each combination's first row.

    Hash-based and linear: ``np.unique(..., axis=0)`` sorts the rows as raw bytes, which takes
    a third of a second at 200,000 rows for what a few hundred patterns need. The order of the
    combinations is that of first appearance.
    """
    if n <= SMALL:  # a real-time score's one row: a dict of tuples beats a hash pass per column
        index: dict[tuple[object, ...], int] = {}
        firsts: list[int] = []
        rows = list(zip(*(np.asarray(c).tolist() for c in columns), strict=True)) if columns else [()] * n
        for i, row in enumerate(rows):
            if row not in index:
                index[row] = len(firsts)
                firsts.append(i)
        return np.array([index[row] for row in rows], dtype=np.int64), np.array(firsts, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for column in columns:
        codes, uniques = pd.factorize(np.asarray(column), use_na_sentinel=False)
        if size * max(len(uniques), 1) >= _KEY_LIMIT:
            key, seen = pd.factorize(key)
            size = len(seen)
        key = key * max(len(uniques), 1) + codes
        size *= max(len(uniques), 1)
    inverse, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)
    return inverse.astype(np.int64, copy=False), first


def as_text(value: object) -> str:
    """A value as pandas' string dtype spells it (1.0 as '1.0', True as 'True')."""
    return value if isinstance(value, str) else str(value)


def per_distinct(column: pd.Series, compute: Callable[[object], Any], empty: Any, dtype: Any) -> np.ndarray:
    """``compute`` once per distinct value of ``column``, spread to its rows; ``empty`` where it has none.

    Codes, industries, regions and entity types repeat a lot: one hashed pass and a handful of
    Python calls, instead of pandas' per-call cost (which dominated one-row real-time scores).
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.array([compute(u) for u in uniques] + [empty], dtype=dtype)[codes]  # code -1 reads ``empty``


def joined_names(names: Sequence[str], flags: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Per row, the ``names`` whose flag is set, comma-joined in the order given ('' when none).

    A province's rows share a few hundred patterns at most, so each pattern is joined once
    and spread, instead of a Python loop over rows.
    """
    if not names or n == 0:
        return np.full(n, "", dtype=object)
    on = [np.asarray(f, dtype=bool) for f in flags]
    inverse, first = factorize_rows(on, n)
    rows = np.column_stack(on)[first]
    joined = np.array([",".join(name for name, hit in zip(names, row, strict=True) if hit) for row in rows], dtype=object)
    return joined[inverse]
