"""Fit a WoE scorecard: optimal bins by optbinning, WoE measured here, a logistic regression on them.

optbinning finds each characteristic's cut points (numbers, with a monotonic event-rate trend:
the config's direction for a constrained feature, else the better of ascending and descending)
or groups of levels (categories). The counts, defaults and WoE of every bin are then measured
here, on the same rows, with the very function scoring uses, so the binning table in the model
card is what the model computes. Characteristics below the information-value cut are left out,
and so is any whose coefficient comes out with the wrong sign (more evidence of good raising the
PD, an artefact of collinear characteristics a reviewer would reject), one at a time.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from whitelist.models.artefact import as_array
from whitelist.models.woe import WoeBins, WoeScorecard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WoeSettings:
    """How the scorecard is fitted; ``configs/train.yaml`` ``woe:`` sets them."""

    min_iv: float = 0.02
    """The usual scorecard rule: a characteristic with less information value is left out."""
    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    special_codes: tuple[float, ...] = ()
    """Numeric codes that mean "not a value" (e.g. -999): they get their own bin."""
    c: float = 1.0
    """Inverse L2 strength of the logistic regression."""
    time_limit: int = 30
    """Seconds optbinning's solver may spend on one characteristic."""


def _cut(values: pd.Series, y: np.ndarray, dtype: str, trend: str, settings: WoeSettings) -> WoeBins:
    """The cut points (or level groups) optbinning finds; one regular bin when it finds none."""
    from optbinning import OptimalBinning

    feature = str(values.name)
    x = values.astype(object).where(values.notna(), np.nan).to_numpy() if dtype == "categorical" else values.to_numpy(float)
    observed = pd.Series(x).dropna()
    if observed.nunique() < 2:
        return WoeBins(feature=feature, dtype=dtype)  # type: ignore[arg-type]
    binning = OptimalBinning(
        name=feature, dtype=dtype, solver="cp", monotonic_trend=trend if dtype == "numerical" else None,
        max_n_prebins=settings.max_n_prebins, min_prebin_size=settings.min_prebin_size,
        special_codes=list(settings.special_codes) or None, time_limit=settings.time_limit,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            binning.fit(x, y)
    except Exception as error:  # optbinning refuses some degenerate columns; they get one bin
        log.info("characteristic %s: optbinning found no bins (%s)", feature, error)
        return WoeBins(feature=feature, dtype=dtype)  # type: ignore[arg-type]
    if dtype == "numerical":
        return WoeBins(feature=feature, dtype="numerical", splits=tuple(float(s) for s in binning.splits),
                       special_codes=settings.special_codes)
    groups = tuple(tuple(sorted(str(level) for level in group)) for group in binning.splits)
    return WoeBins(feature=feature, dtype="categorical", groups=groups)


def _trend(direction: int | None) -> str:
    return {1: "ascending", -1: "descending"}.get(direction or 0, "auto_asc_desc")


def fit_scorecard(
    x: pd.DataFrame,
    y: np.ndarray,
    rows: np.ndarray,
    *,
    categories: dict[str, list[str]],
    monotone: dict[str, int] | None = None,
    settings: WoeSettings | None = None,
) -> WoeScorecard:
    """A scorecard fitted on ``rows`` of the model matrix ``x`` (every column a model feature)."""
    settings = settings or WoeSettings()
    monotone = monotone or {}
    features = tuple(map(str, x.columns))
    part = x.iloc[rows]
    target = np.asarray(y, dtype=float)[rows]
    array = as_array(part)
    measured: list[WoeBins] = []
    dropped: dict[str, str] = {}
    for j, f in enumerate(features):
        dtype = "categorical" if f in categories else "numerical"
        template = _cut(part[f], target.astype(int), dtype, _trend(monotone.get(f)), settings)
        bins = WoeBins.with_counts(template, template.index(array[:, j], categories.get(f)), target)
        iv = bins.iv()
        if iv < settings.min_iv:
            dropped[f] = f"information value {iv:.4f} below {settings.min_iv}"
            continue
        measured.append(bins)
    return _regression(features, categories, measured, array, target, dropped, settings)


def refit_scorecard(model: WoeScorecard, x: pd.DataFrame, y: np.ndarray, rows: np.ndarray) -> WoeScorecard:
    """The same bins and characteristics, WoE and coefficients measured again on ``rows`` (reason stability)."""
    array = as_array(x.iloc[rows])
    place = {f: j for j, f in enumerate(model.features)}
    target = np.asarray(y, dtype=float)[rows]
    bins = [
        WoeBins.with_counts(b, b.index(array[:, place[b.feature]], model.categories.get(b.feature)), target)
        for b in model.bins
    ]
    return _regression(model.features, model.categories, bins, array, target, dict(model.dropped), WoeSettings(),
                       drop_wrong_sign=False)


def _regression(
    features: tuple[str, ...],
    categories: dict[str, list[str]],
    bins: list[WoeBins],
    array: np.ndarray,
    y: np.ndarray,
    dropped: dict[str, str],
    settings: WoeSettings,
    *,
    drop_wrong_sign: bool = True,
) -> WoeScorecard:
    """Logistic regression of default on the WoE of ``bins``, dropping wrong-signed characteristics one by one."""
    place = {f: j for j, f in enumerate(features)}
    kept = list(bins)
    while True:
        woe = np.column_stack(
            [b.transform(array[:, place[b.feature]], categories.get(b.feature)) for b in kept]
        ) if kept else np.zeros((y.size, 0))
        if not kept:
            rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
            return WoeScorecard(features=features, categories=categories, bins=(), coefficients=(),
                                intercept=float(np.log(rate / (1 - rate))), means=(), dropped=dropped)
        regression = LogisticRegression(C=settings.c, max_iter=2000)
        regression.fit(woe, y.astype(int))
        coef = regression.coef_[0]
        # WoE measures evidence of good: a positive coefficient would make that evidence raise the PD.
        worst = int(np.argmax(coef))
        if drop_wrong_sign and coef[worst] > 0:
            dropped[kept[worst].feature] = f"coefficient {coef[worst]:+.4f} of the wrong sign beside the others"
            kept.pop(worst)
            continue
        return WoeScorecard(
            features=features, categories=categories, bins=tuple(kept),
            coefficients=tuple(float(c) for c in coef), intercept=float(regression.intercept_[0]),
            means=tuple(float(m) for m in woe.mean(axis=0)), dropped=dict(sorted(dropped.items())),
        )
