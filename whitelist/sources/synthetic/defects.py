"""Data-quality defects, injected at configured rates the way real exports carry them.

Each defect is one that the loader must catch (and quarantine with its reason) or tolerate
(late arrivals, missing months). Missing months are drawn where records are made
(records.py); mixed date formats are applied when writing CSV (write.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from whitelist.core import uscc
from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic.config import DefectRates

DAY = np.timedelta64(1, "D")


def inject(table: pa.Table, name: str, rates: DefectRates, rng: np.random.Generator) -> pa.Table:
    """Return ``table`` with invalid codes, negative amounts, far dates, late and duplicate rows."""
    n = table.num_rows
    if n == 0:
        return table
    spec = CONTRACT[name]
    columns = {f: table.column(f) for f in table.column_names}

    bad = np.flatnonzero(rng.random(n) < rates.invalid_uscc)
    if bad.size:
        columns["uscc"] = _corrupt_codes(columns["uscc"].combine_chunks(), bad, rng)

    amounts = [c.name for c in spec.columns if c.dtype == "float" and c.minimum == 0.0]
    if amounts:
        neg = np.flatnonzero(rng.random(n) < rates.negative_amounts)
        if neg.size:
            target = amounts[int(rng.integers(0, len(amounts)))]
            values = columns[target].to_numpy(zero_copy_only=False).astype(float).copy()
            values[neg] = -np.where(np.isnan(values[neg]), 1.0, np.abs(values[neg]) + 1.0)
            columns[target] = pa.array(values, mask=np.isnan(values))

    if spec.date_column is not None and not spec.entity_table:
        far = np.flatnonzero(rng.random(n) < rates.out_of_window_dates)
        if far.size:
            columns[spec.date_column] = _shift_years(columns[spec.date_column], far, rng)

    if spec.received_column is not None:
        late = np.flatnonzero(rng.random(n) < rates.late_periods)
        if late.size:
            received = columns[spec.received_column].to_numpy(zero_copy_only=False).astype("datetime64[D]").copy()
            received[late] += rng.integers(31, 181, size=late.size) * DAY
            columns[spec.received_column] = pa.array(received, type=pa.date32())

    out = pa.table(list(columns.values()), names=list(columns))
    dup = np.flatnonzero(rng.random(n) < rates.duplicate_rows)
    if dup.size:
        order = np.sort(np.concatenate([np.arange(n), dup]), kind="stable")
        out = out.take(pa.array(order))
    return out


def _corrupt_codes(col: pa.DictionaryArray, rows: np.ndarray, rng: np.random.Generator) -> pa.DictionaryArray:
    indices = col.indices.to_numpy(zero_copy_only=False).copy()
    dictionary = np.asarray(col.dictionary.to_pylist(), dtype=object)
    wrong = uscc.corrupt_check(dictionary[indices[rows]].astype(str), rng)
    indices[rows] = len(dictionary) + np.arange(rows.size)
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(np.int32)), pa.array(np.concatenate([dictionary.astype(str), wrong]))
    )


def _shift_years(col: pa.ChunkedArray, rows: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Typing slips: a date in 2099 or 1900 instead of its real year."""
    days = col.to_numpy(zero_copy_only=False).astype("datetime64[D]").copy()
    years = np.where(rng.random(rows.size) < 0.5, 2099, 1900)
    picked = days[rows]
    month = picked.astype("datetime64[M]")
    month_of_year = month - picked.astype("datetime64[Y]").astype("datetime64[M]")
    day_of_month = picked - month.astype("datetime64[D]")
    new_month = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + month_of_year
    last_day = (new_month + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    days[rows] = np.minimum(new_month.astype("datetime64[D]") + day_of_month, last_day)  # 29 Feb -> 28 Feb
    return pa.array(days, type=pa.date32())
