"""Which period of which source a feature describes, at an as-of date.

A reason that says "sales fell 30%" must say over which months and from which source, so a
reviewer can check it against the tax bureau's own records. The period follows the same
point-in-time rule as the feature itself (``compile.bound``), so the text and the number agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from whitelist.features.compile import bound
from whitelist.features.spec import FeatureSet
from whitelist.sources.contract import CONTRACT


@dataclass(frozen=True)
class Period:
    source: str
    """Contract source name, e.g. ``tax``."""
    origin: str
    """Who supplies it, e.g. ``tax bureau``."""
    first_month: str | None
    """YYYY-MM of the window's first month; None for features over all history or the registry."""
    last_month: str | None
    as_of: date
    """The last day a record may date from (the as-of date minus the source's lag)."""

    def text(self, lang: str) -> str:
        if self.first_month and self.last_month:
            if self.first_month == self.last_month:
                return f"{self.last_month}"
            return f"{self.first_month}至{self.last_month}" if lang == "zh" else f"{self.first_month} to {self.last_month}"
        return f"截至{self.as_of.isoformat()}" if lang == "zh" else f"as of {self.as_of.isoformat()}"


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def feature_period(features: FeatureSet, name: str, as_of: date) -> Period | None:
    """The period of feature ``name`` (a derived or peer feature takes its first operand's); None if unknown."""
    derived = {d.name: d.numerator for d in features.derived} | {p.name: p.operand for p in features.peers}
    seen = 0
    while name in derived and seen < 10:
        name, seen = derived[name], seen + 1
    feature = next((f for f in features.features if f.name == name), None)
    if feature is None:
        return None
    src = CONTRACT[feature.source]
    b = bound(src, as_of)
    if feature.window:
        first, last = _month(b.anchor - feature.window + 1), _month(b.anchor)
    else:
        first = last = None
    return Period(source=feature.source, origin=src.origin, first_month=first, last_month=last, as_of=b.cutoff)
