"""Which month ends a labelled panel can use: full feature windows behind them, a whole label ahead.

More month ends give a fit more distinct default events (a 20,000-entity demo on 18 month ends
trains on about 80 defaulting enterprises), but a month end whose 36-month windows reach back
before the data would describe every firm as quieter than it was. So the panel starts at the
first month end at which every declared window lies inside the data, and ends at the last one
whose 12-month label the data can show.
"""

from __future__ import annotations

from datetime import date, timedelta

from whitelist.features.compile import LABEL_HORIZON, bound, month_index
from whitelist.features.spec import Feature, FeatureSet
from whitelist.sources.contract import CONTRACT


def span(feature: Feature) -> int:
    """Months of records before the window's end that a feature reads (0 for all-history and registry ones)."""
    if feature.window is None or feature.aggregation.kind != "window":
        return 0
    if feature.agg == "growth_yoy":
        return feature.window + 12
    if feature.agg == "growth_2y":
        return feature.window + 24
    if feature.agg == "vs_36m":
        return max(feature.window, 36)
    if feature.agg == "ratio_recent":
        return 2 * feature.window
    return feature.window


def month_end(index: int) -> date:
    """The last day of month ``index`` (months since year 0, as ``month_index`` counts)."""
    year, month = divmod(index + 1, 12)
    return date(year, month + 1, 1) - timedelta(days=1)


def labelled_month_ends(first: date, last: date, features: FeatureSet) -> tuple[date, ...]:
    """Month ends from the first with every window inside data starting in ``first``'s month, to the
    last whose label the data ending in ``last``'s month can show."""
    start, end = month_index(first), month_index(last) - LABEL_HORIZON
    out = []
    for index in range(start, end + 1):
        as_of = month_end(index)
        if all(bound(CONTRACT[f.source], as_of).anchor - span(f) + 1 >= start for f in features.features if span(f)):
            out.append(as_of)
    return tuple(out)
