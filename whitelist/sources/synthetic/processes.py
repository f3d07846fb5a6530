"""The hidden process: business health month by month, the events it causes, and default.

Health is an AR(1) around each firm's quality, pushed by industry and regional shocks and
by distress episodes. Sales, power use, arrears, court cases and penalties follow from it;
the true 12-month PD is a logistic function of the same state, and defaults are drawn from
the monthly hazard that PD implies. Only noisy, lagged, partly missing views of this state
reach the sources (records.py), so a model must earn its score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whitelist.sources.synthetic.calendar import Calendar
from whitelist.sources.synthetic.config import ProcessParams
from whitelist.sources.synthetic.province import INDIVIDUAL, Entities
from whitelist.sources.synthetic.reference import GROUPS, regions

NEVER = 10**6


@dataclass(frozen=True)
class Shocks:
    """Common factors: (groups, months) for industries and (cities, months) for regions."""

    industry: np.ndarray
    city: np.ndarray


def draw_shocks(cal: Calendar, rng: np.random.Generator) -> Shocks:
    """AR(1) noise plus the episodes the province lived through (dated, so any window works)."""
    t = cal.total
    ind = _ar1(rng, (len(GROUPS), t), phi=0.85, sd=0.06)
    city = _ar1(rng, (len(regions().cities), t), phi=0.85, sd=0.04)
    month = np.arange(cal.first, cal.first + t)

    def span(y0: int, m0: int, y1: int, m1: int) -> np.ndarray:
        return (month >= (y0 - 1970) * 12 + m0 - 1) & (month <= (y1 - 1970) * 12 + m1 - 1)

    ind[GROUPS.index("consumer_service")] -= 0.55 * span(2020, 2, 2020, 5) + 0.45 * span(2022, 3, 2022, 12)
    ind[GROUPS.index("trade")] -= 0.2 * span(2022, 4, 2022, 6)
    ind[GROUPS.index("construction")] -= 0.35 * span(2022, 7, 2025, 12)
    ind[GROUPS.index("manufacturing")] -= 0.25 * span(2020, 2, 2020, 4) + 0.15 * span(2023, 1, 2023, 9)
    return Shocks(industry=ind, city=city)


def _ar1(rng: np.random.Generator, shape: tuple[int, int], phi: float, sd: float) -> np.ndarray:
    eps = rng.standard_normal(shape) * sd
    out = np.empty(shape)
    out[:, 0] = eps[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + eps[:, t]
    return out


@dataclass
class Latent:
    """Monthly hidden state of a chunk: arrays of shape (entities, months)."""

    born: np.ndarray  # established by then (exits are decided later, in lifecycle.py)
    health: np.ndarray
    shock: np.ndarray
    sales: np.ndarray  # true monthly sales, CNY
    employees: np.ndarray
    arrears: np.ndarray  # in arrears somewhere (bool)
    open_cases: np.ndarray  # open court cases as defendant
    serious_penalty_12m: np.ndarray
    leverage: np.ndarray
    logit: np.ndarray  # log-odds of the true 12-month PD, without the intercept
    civil_cases: tuple[np.ndarray, np.ndarray, np.ndarray]  # entity, month, duration
    penalties: tuple[np.ndarray, np.ndarray, np.ndarray]  # entity, month, serious


def simulate(e: Entities, cal: Calendar, shocks: Shocks, p: ProcessParams, rng: np.random.Generator) -> Latent:
    n, t = len(e), cal.total
    months = np.arange(t)
    born = months[None, :] >= e.established_t[:, None]
    active = ~(e.zombie | e.shell)

    shock = shocks.industry[e.group] + shocks.city[regions().city_index[e.region]]
    group_shock = np.zeros((n, t))
    if (e.group_id >= 0).any():
        # Related parties share fortunes: one common factor per group.
        ids, inv = np.unique(e.group_id[e.group_id >= 0], return_inverse=True)
        common = _ar1(rng, (len(ids), t), phi=0.9, sd=0.08)
        group_shock[e.group_id >= 0] = common[inv]

    distress = (months[None, :] >= e.distress_onset[:, None]) & (
        months[None, :] < (e.distress_onset + e.distress_length)[:, None]
    )
    mu = 0.5 * e.quality
    phi, sd = p.health_persistence, p.health_noise_sd
    eps = rng.standard_normal((n, t)) * sd
    drive = (1 - phi) * mu[:, None] + 0.15 * shock + group_shock - 0.09 * distress + eps
    health = np.empty((n, t))
    health[:, 0] = mu + rng.standard_normal(n) * sd / np.sqrt(1 - phi**2)
    for k in range(1, t):
        health[:, k] = phi * health[:, k - 1] + drive[:, k]

    season = _season(e, cal)
    base = e.annual_sales[:, None] / 12.0
    sales = base * season * np.exp(0.45 * health + 0.5 * shock + rng.normal(0, 0.08, (n, t)))
    sales = np.where(born & active[:, None], sales, 0.0)
    lagged = np.concatenate([np.repeat(health[:, :1], 3, axis=1), health[:, :-3]], axis=1)
    employees = np.round(e.employees[:, None] * np.exp(0.3 * np.minimum(lagged, 0.5)))
    employees = np.where(born & active[:, None], employees, 0)
    leverage = np.clip(e.leverage[:, None] - 0.06 * health, 0.02, 1.6)

    arrears = rng.random((n, t)) < _sigmoid(-3.4 - 1.5 * health - 0.8 * shock + 1.2 * (leverage - 0.55))
    arrears &= born & active[:, None]

    # Civil suits against the firm: more when health is poor and the firm is large.
    size = np.log(np.maximum(e.annual_sales, 1e4) / 1e6)
    rate = np.exp(-6.0 - 0.9 * health + 0.25 * size[:, None]) * (born & active[:, None])
    count = rng.poisson(rate)
    ci, cm = np.nonzero(count)
    duration = rng.geometric(1 / 8.0, size=len(ci))
    open_cases = _open_counts(n, t, ci, cm, duration)

    pen_rate = np.exp(-5.3 - 0.4 * health) * (born & active[:, None])
    pcount = rng.poisson(pen_rate)
    pi, pm = np.nonzero(pcount)
    serious = rng.random(len(pi)) < 0.25
    serious_12m = _open_counts(n, t, pi[serious], pm[serious], np.full(serious.sum(), 12)) > 0

    age_months = months[None, :] - e.established_t[:, None]
    momentum = health - np.concatenate([np.repeat(health[:, :1], 6, axis=1), health[:, :-6]], axis=1)
    logit = (
        p.w_health * health
        + p.w_momentum * momentum
        + p.w_leverage * (leverage - 0.55)
        + p.w_arrears * arrears
        + p.w_open_cases * np.minimum(open_cases, 3)
        + p.w_penalty * serious_12m
        + p.w_young * (age_months < 24)
        + p.w_multibank * np.maximum(e.banks - 1, 0)[:, None]
        + p.w_quality * e.quality[:, None]
        + p.w_shock * shock
        + e.idiosyncratic[:, None]
        + np.where(e.kind == INDIVIDUAL, 0.15, 0.0)[:, None]
    )
    return Latent(
        born=born,
        health=health,
        shock=shock,
        sales=sales,
        employees=employees,
        arrears=arrears,
        open_cases=open_cases,
        serious_penalty_12m=serious_12m,
        leverage=leverage,
        logit=logit,
        civil_cases=(ci, cm, duration),
        penalties=(pi, pm, serious),
    )


def _season(e: Entities, cal: Calendar) -> np.ndarray:
    from whitelist.sources.synthetic.reference import seasonality

    return seasonality()[e.group][:, cal.month_of_year - 1]


def _open_counts(n: int, t: int, rows: np.ndarray, start: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """How many intervals [start, start + duration) cover each (row, month)."""
    diff = np.zeros((n, t + 1), dtype=np.int32)
    np.add.at(diff, (rows, start), 1)
    np.add.at(diff, (rows, np.minimum(start + duration, t)), -1)
    return np.cumsum(diff[:, :t], axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def pd_12m(logit: np.ndarray, intercept: float) -> np.ndarray:
    """True 12-month PD of the state: the quantity a perfect model would estimate."""
    return _sigmoid(logit + intercept)


_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(24)


def observable_pd(pd: np.ndarray, idiosyncratic: np.ndarray, sd: float) -> np.ndarray:
    """The PD the sources could tell at best: the true PD averaged over the unobservable firm risk.

    The true log-odds less the firm's own idiosyncratic draw is everything the state shows; a model
    can only know that the draw is N(0, sd^2), so its best PD integrates the logistic over it
    (Gauss-Hermite quadrature). It ranks like the true PD without the term and is calibrated.
    """
    shown = np.log(pd / (1.0 - pd)) - idiosyncratic
    spread = np.sqrt(2.0) * sd * _NODES
    return (_sigmoid(shown[..., None] + spread) @ _WEIGHTS) / np.sqrt(np.pi)


def draw_defaults(
    e: Entities, latent: Latent, in_business: np.ndarray, intercept: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Month of default (first 90+ days past due) per entity, NEVER if none; and the PD panel.

    The monthly hazard is the one that, held constant for a year, gives the state's PD.
    """
    pd = pd_12m(latent.logit, intercept)
    hazard = 1.0 - (1.0 - pd) ** (1.0 / 12.0)
    eligible = in_business & ~(e.zombie | e.shell)[:, None]
    hit = (rng.random(hazard.shape) < hazard) & eligible
    hit[:, :2] = False  # a default needs two months of delinquency before it, inside the window
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), NEVER)
    return first, pd


def calibrate_intercept(
    e: Entities, latent: Latent, target: float, observed: int
) -> float:
    """Intercept that makes the mean 12-month PD of active borrowers equal ``target``."""
    mask = latent.born[:, :observed] & e.borrower[:, None]
    logits = latent.logit[:, :observed][mask]
    if logits.size == 0:
        return float(np.log(target / (1 - target)))
    lo, hi = -15.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _sigmoid(logits + mid).mean() > target:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2
