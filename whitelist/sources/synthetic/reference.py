"""Reference tables of the province: Zhejiang's counties and the industry mix (CSV data)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

GROUPS = (
    "agriculture",
    "manufacturing",
    "construction",
    "trade",
    "transport",
    "consumer_service",
    "tech",
    "business_service",
)

SEASONALITY: dict[str, tuple[float, ...]] = {
    # Jan..Dec multipliers of monthly sales. Factories stop for the Spring Festival (Feb);
    # shops and restaurants peak around it; tourism in summer and the October golden week;
    # harvest in autumn; building slows in the rains and the festival.
    "agriculture": (0.7, 0.6, 0.8, 0.9, 1.0, 1.0, 1.0, 1.1, 1.3, 1.4, 1.3, 0.9),
    "manufacturing": (1.0, 0.55, 1.0, 1.05, 1.05, 1.05, 1.0, 1.0, 1.05, 1.05, 1.1, 1.15),
    "construction": (0.8, 0.5, 0.9, 1.05, 1.1, 1.0, 0.95, 1.0, 1.1, 1.15, 1.15, 1.25),
    "trade": (1.15, 0.85, 0.95, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.1, 1.25),
    "transport": (1.0, 0.6, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15, 1.15),
    "consumer_service": (1.2, 1.25, 0.9, 0.95, 1.05, 0.95, 1.05, 1.05, 0.95, 1.15, 0.85, 1.0),
    "tech": (1.0, 0.8, 0.95, 0.95, 0.95, 1.05, 0.95, 0.95, 1.0, 0.95, 1.0, 1.45),
    "business_service": (1.0, 0.75, 1.0, 1.0, 1.0, 1.05, 1.0, 1.0, 1.05, 1.0, 1.0, 1.15),
}


@dataclass(frozen=True)
class Regions:
    code: np.ndarray
    city: np.ndarray
    county: np.ndarray
    city_index: np.ndarray
    weight: np.ndarray
    cities: tuple[str, ...]


@dataclass(frozen=True)
class Industries:
    code: np.ndarray
    name: np.ndarray
    group_index: np.ndarray
    weights: dict[str, np.ndarray]
    kwh_per_10k: np.ndarray
    export_prob: np.ndarray
    margin: np.ndarray


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("whitelist.sources.synthetic").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def regions() -> Regions:
    rows = _rows("regions.csv")
    cities = tuple(dict.fromkeys(r["city"] for r in rows))
    weight = np.array([float(r["weight"]) for r in rows])
    return Regions(
        code=np.array([int(r["code"]) for r in rows]),
        city=np.array([r["city"] for r in rows]),
        county=np.array([r["county"] for r in rows]),
        city_index=np.array([cities.index(r["city"]) for r in rows]),
        weight=weight / weight.sum(),
        cities=cities,
    )


@cache
def industries() -> Industries:
    rows = _rows("industries.csv")

    def norm(col: str) -> np.ndarray:
        w = np.array([float(r[col]) for r in rows])
        return w / w.sum()

    return Industries(
        code=np.array([r["code"] for r in rows]),
        name=np.array([r["name"] for r in rows]),
        group_index=np.array([GROUPS.index(r["group"]) for r in rows]),
        weights={"enterprise": norm("w_enterprise"), "individual": norm("w_individual"), "agri": norm("w_agri")},
        kwh_per_10k=np.array([float(r["kwh_per_10k"]) for r in rows]),
        export_prob=np.array([float(r["export_prob"]) for r in rows]),
        margin=np.array([float(r["margin"]) for r in rows]),
    )


def seasonality() -> np.ndarray:
    """(groups, 12) sales multipliers."""
    return np.array([SEASONALITY[g] for g in GROUPS])
