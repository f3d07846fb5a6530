"""The few SQL spellings that differ between engines; everything else is common SQL.

The compiler writes one plan in functions DuckDB and Spark SQL share (SUM, COUNT, CASE,
MAX_BY, YEAR, MONTH, CAST ... AS DECIMAL); a dialect renders what they spell differently.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str

    def days_between(self, start: str, end: str) -> str:
        """Whole days from ``start`` to ``end`` (both DATE expressions)."""
        if self.name == "spark":
            return f"DATEDIFF({end}, {start})"
        return f"DATE_DIFF('day', {start}, {end})"

    def date_literal(self, iso: str) -> str:
        return f"DATE '{iso}'"

    def quote(self, ident: str) -> str:
        return f"`{ident}`" if self.name == "spark" else f'"{ident}"'


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")
