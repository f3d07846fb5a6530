"""Writers for a generated source: Parquet (the default) or CSV as government exports arrive."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from whitelist.core.io import ParquetSink

_ALT_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日")


class Sink(Protocol):
    rows: int

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> Path: ...

    def abort(self) -> None: ...


class CsvSink:
    """CSV in a given encoding, a share of dates in other formats; atomic like ParquetSink."""

    def __init__(self, target: Path, encoding: str, mixed_dates: float, rng: np.random.Generator) -> None:
        self.target = target
        self.encoding = encoding
        self.mixed_dates = mixed_dates
        self.rng = rng
        self.rows = 0
        target.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._header = True

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0 and not self._header:
            return
        table = pa.table([self._text(table.column(i)) for i in range(table.num_columns)], names=table.column_names)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=self._header, quoting_style="needed"))
        data = buf.getvalue()
        if self.encoding.lower().replace("-", "") not in ("utf8",):
            data = data.decode("utf-8").encode(self.encoding)
        self._fh.write(data)
        self._header = False
        self.rows += table.num_rows

    def _text(self, col: pa.ChunkedArray) -> pa.Array:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if not pa.types.is_date(col.type):
            return col
        text = pc.strftime(col, format="%Y-%m-%d").combine_chunks()
        n = len(text)
        pick = self.rng.random(n)
        mixed = np.flatnonzero(pick < self.mixed_dates)
        if mixed.size == 0:
            return text
        values = np.asarray(text.to_pylist(), dtype=object)
        days = col.combine_chunks().to_numpy(zero_copy_only=False)
        fmt = self.rng.integers(0, len(_ALT_FORMATS), size=mixed.size)
        for row, f in zip(mixed, fmt, strict=True):
            if values[row] is not None:
                d = days[row].astype("datetime64[D]").item()
                values[row] = d.strftime(_ALT_FORMATS[f]) if f != 2 else f"{d.year}年{d.month}月{d.day}日"
        return pa.array(values, type=pa.string())

    def close(self) -> Path:
        self._fh.close()
        os.replace(self._tmp, self.target)
        return self.target

    def abort(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


def open_sink(
    out: Path, name: str, schema: pa.Schema, fmt: str, encoding: str, mixed_dates: float, rng: np.random.Generator
) -> Sink:
    if fmt == "csv":
        return CsvSink(out / f"{name}.csv", encoding, mixed_dates, rng)
    return ParquetSink(out / f"{name}.parquet", schema)
