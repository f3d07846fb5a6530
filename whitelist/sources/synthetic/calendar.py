"""The month axis of a synthetic province: observed months plus a hidden future year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

HORIZON = 12
"""Months simulated after the end date, so the last month-ends have a true outcome too."""


@dataclass(frozen=True)
class Calendar:
    """Month ``t`` of the simulation is calendar month ``first + t`` (months since 1970-01)."""

    first: int
    observed: int

    @classmethod
    def ending(cls, end: date, months: int) -> Calendar:
        last = (end.year - 1970) * 12 + end.month - 1
        return cls(first=last - months + 1, observed=months)

    @property
    def total(self) -> int:
        return self.observed + HORIZON

    @property
    def month_ends(self) -> np.ndarray:
        """Month-end dates of all simulated months, ``datetime64[D]``."""
        m = np.arange(self.first, self.first + self.total)
        return (np.datetime64("1970-01", "M") + m + 1).astype("datetime64[D]") - np.timedelta64(1, "D")

    @property
    def month_starts(self) -> np.ndarray:
        m = np.arange(self.first, self.first + self.total)
        return (np.datetime64("1970-01", "M") + m).astype("datetime64[D]")

    @property
    def month_of_year(self) -> np.ndarray:
        """1..12 for every simulated month."""
        return (np.arange(self.first, self.first + self.total) % 12) + 1

    @property
    def start(self) -> np.datetime64:
        return self.month_starts[0]

    @property
    def end(self) -> np.datetime64:
        return self.month_ends[self.observed - 1]

    def index_of(self, days: np.ndarray) -> np.ndarray:
        """Simulation month of each ``datetime64[D]`` (negative before the window)."""
        months = days.astype("datetime64[M]").astype(np.int64)
        return months - self.first
