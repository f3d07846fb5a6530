"""What the government sources see: noisy, lagged, partly missing records of the hidden state.

Each function returns one source's records for a chunk as an Arrow table in contract column
order. Codes are dictionary-encoded (one dictionary per chunk) so millions of rows cost
little memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic.calendar import Calendar
from whitelist.sources.synthetic.config import ProcessParams
from whitelist.sources.synthetic.lifecycle import Fate
from whitelist.sources.synthetic.processes import NEVER, Latent
from whitelist.sources.synthetic.province import ENTERPRISE, INDIVIDUAL, TYPES, Entities, names, person_names
from whitelist.sources.synthetic.reference import GROUPS, industries, regions

DAY = np.timedelta64(1, "D")
BANKS = ("ZJRC", "ICBC", "ABC", "BOC", "CCB", "BOCOM", "PSBC", "NBCB", "HZB", "TZB", "MTB", "CZB")
_BANK_WEIGHTS = np.array([22, 12, 12, 7, 10, 5, 8, 6, 5, 5, 4, 4], dtype=float)


@dataclass
class Chunk:
    """Everything records are drawn from."""

    e: Entities
    latent: Latent
    fate: Fate
    cal: Calendar
    params: ProcessParams
    rng: np.random.Generator

    @property
    def observed(self) -> int:
        return self.cal.observed

    def uscc(self, rows: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(rows.astype(np.int32)), pa.array(self.e.uscc))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32())


def _nullable_dates(days: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=~valid)


def _table(name: str, columns: dict[str, pa.Array | np.ndarray]) -> pa.Table:
    spec = CONTRACT[name]
    arrays = []
    for col in spec.columns:
        value = columns[col.name]
        arrays.append(value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array(value))
    return pa.table(arrays, names=list(spec.column_names))


def _received(c: Chunk, period_end: np.ndarray, name: str) -> np.ndarray:
    lag = CONTRACT[name].lag_days
    return period_end + c.rng.integers(int(lag * 0.3), lag + 1, size=len(period_end)) * DAY


def _monthly_rows(c: Chunk, mask: np.ndarray, missing: float, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Entity and month of each record kept: observed months only, some months missing."""
    mask = mask[:, : c.observed]
    keep = c.rng.random(mask.shape) >= missing
    return np.nonzero(mask & keep)


def _sales(c: Chunk) -> np.ndarray:
    """True monthly sales, collapsing after default."""
    t = np.arange(c.cal.total)[None, :]
    since = t - c.fate.default_t[:, None]
    factor = np.where(since >= 0, 0.4 * 0.75 ** np.clip(since, 0, 60), 1.0)
    return c.latent.sales * factor


def registry(c: Chunk) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    n = len(e)
    exit_t = c.fate.exit_t
    exited = exit_t < c.observed
    exit_day = cal.month_starts[np.minimum(exit_t, cal.total - 1)] + rng.integers(0, 28, size=n) * DAY
    exit_day = np.maximum(exit_day, e.established_day + DAY)
    status = np.where(exited, np.where(c.fate.revoked, "revoked", "cancelled"), "active")
    capital = np.round(
        np.where(
            e.kind == ENTERPRISE,
            np.maximum(e.annual_sales / 1e4 * rng.lognormal(-1.0, 0.8, size=n), 1.0),
            np.where(e.kind == INDIVIDUAL, rng.lognormal(1.5, 1.0, size=n), rng.lognormal(4.0, 0.8, size=n)),
        ),
        1,
    )
    capital_known = (e.kind != INDIVIDUAL) | (rng.random(n) < 0.6)
    phone = np.char.add("1", (rng.integers(3_000_000_000, 9_999_999_999, size=n)).astype(str))
    return _table(
        "registry",
        {
            "uscc": c.uscc(np.arange(n)),
            "name": names(e, rng),
            "entity_type": np.array(TYPES)[e.kind],
            "industry": industries().code[e.industry],
            "region": regions().code[e.region].astype(str),
            "registered_capital": pa.array(capital, mask=~capital_known),
            "established": _dates(e.established_day),
            "status": status,
            "status_date": _nullable_dates(exit_day, exited),
            "address_id": np.char.add("A", e.address.astype(str)),
            "legal_rep_id": np.char.add("P", e.legal_rep.astype(str)),
            "legal_rep_name": person_names(n, rng),
            "phone": phone,
        },
    )


def tax(c: Chunk, missing: float) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    n, t = c.fate.alive.shape
    sales = _sales(c)
    declared = sales * e.report_factor[:, None] * rng.lognormal(0, c.params.reporting_noise_sd, size=(n, t))
    dormant = (e.zombie | e.shell)[:, None]
    files = c.fate.alive & e.files_tax[:, None]
    # Dormant entities often keep filing zero declarations; others file every period.
    files &= ~dormant | (rng.random((n, 1)) < 0.6)
    quarter_end = np.isin(cal.month_of_year, (3, 6, 9, 12))[None, :]
    quarterly = e.quarterly_filer[:, None]
    mask = files & (~quarterly | quarter_end)
    i, m = _monthly_rows(c, mask, missing, "tax")
    months = np.where(e.quarterly_filer[i], 3, 1)
    q_sales = declared[i, m]
    q_sales = np.where(months == 3, q_sales + declared[i, np.maximum(m - 1, 0)] + declared[i, np.maximum(m - 2, 0)], q_sales)
    q_sales = np.round(np.where(dormant[i, 0], 0.0, q_sales), 2)
    margin = industries().margin[e.industry[i]]
    general = ~e.quarterly_filer[i]
    rate = np.where(general, 0.13 * margin * 1.6, np.where(q_sales > 300_000, 0.01, 0.0))
    paid = np.round(q_sales * rate * rng.lognormal(0, 0.1, size=len(i)), 2)
    owes = c.latent.arrears[i, m] & (rng.random(len(i)) < 0.6)
    arrears = np.where(owes, np.round(np.maximum(paid, 800.0) * rng.uniform(1, 4, size=len(i)), 2), 0.0)
    period = cal.month_ends[m]
    return _table(
        "tax",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "period_months": months,
            "sales": q_sales,
            "tax_paid": paid,
            "arrears": arrears,
            "tax_grade": _tax_grades(c, i, m),
            "received_date": _dates(_received(c, period, "tax")),
        },
    )


def _tax_grades(c: Chunk, i: np.ndarray, m: np.ndarray) -> pa.Array:
    """The annual grade in force: year Y's grade is published in April of Y+1."""
    e, cal, rng = c.e, c.cal, c.rng
    n = len(e)
    years = (cal.first + np.arange(cal.total)) // 12
    y0 = int(years[0]) - 2
    n_years = int(years[-1]) - y0 + 1
    arrears_by_year = np.zeros((n, n_years))
    np.add.at(arrears_by_year, (slice(None), years - y0), c.latent.arrears.astype(float))
    score = e.quality[:, None] + rng.normal(0, 0.6, size=(n, n_years)) - 0.6 * arrears_by_year
    grade = np.select([score > 1.1, score > -1.2, score > -2.2], ["A", "B", "C"], "D").astype(object)
    grade[(e.kind != ENTERPRISE)[:, None] & (grade == "A")] = "B"
    row_year = (cal.first + m) // 12
    in_force = row_year - np.where((cal.first + m) % 12 >= 3, 1, 2)
    g = grade[i, np.clip(in_force - y0, 0, n_years - 1)]
    established_year = e.established_day[i].astype("datetime64[Y]").astype(int) + 1970
    g = np.where(established_year >= in_force + 1970, "M", g)
    no_grade = (e.kind[i] == INDIVIDUAL) & (e.index[i] % 10 < 7)
    return pa.array(g.astype(str), mask=no_grade)


def social_insurance(c: Chunk, missing: float) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    insured = np.floor(c.latent.employees * e.insured_share[:, None] + 0.5)
    owner_insured = (e.insured_share > 0) & (e.kind != ENTERPRISE) & ~(e.zombie | e.shell)
    insured = np.where(owner_insured[:, None], np.maximum(insured, 1), insured)
    after_default = np.arange(cal.total)[None, :] > c.fate.default_t[:, None] + 2
    insured = np.where(after_default, np.floor(insured * 0.5), insured)
    mask = c.fate.alive & (insured >= 1)
    i, m = _monthly_rows(c, mask, missing, "social_insurance")
    owes = c.latent.arrears[i, m] & (rng.random(len(i)) < 0.5)
    count = insured[i, m].astype(np.int64)
    period = cal.month_ends[m]
    return _table(
        "social_insurance",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "insured_employees": count,
            "arrears": np.where(owes, np.round(count * 1150.0 * rng.uniform(1, 3, size=len(i)), 2), 0.0),
            "received_date": _dates(_received(c, period, "social_insurance")),
        },
    )


def provident_fund(c: Chunk, missing: float) -> pa.Table:
    e, cal = c.e, c.cal
    insured = np.floor(c.latent.employees * e.insured_share[:, None] + 0.5)
    contributors = np.floor(insured * e.fund_share[:, None])
    mask = c.fate.alive & (contributors >= 1)
    i, m = _monthly_rows(c, mask, missing, "provident_fund")
    period = cal.month_ends[m]
    return _table(
        "provident_fund",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "contributors": contributors[i, m].astype(np.int64),
            "received_date": _dates(_received(c, period, "provident_fund")),
        },
    )


def utilities(c: Chunk, missing: float) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    dormant = e.zombie | e.shell
    mask = c.fate.alive & e.has_utilities[:, None] & (~dormant | (e.index % 2 == 0))[:, None]
    i, m = _monthly_rows(c, mask, missing, "utilities")
    intensity = industries().kwh_per_10k[e.industry[i]]
    summer = np.where(np.isin(cal.month_of_year[m], (7, 8)), 1.2, 1.0)
    kwh = _sales(c)[i, m] / 1e4 * intensity * summer * rng.lognormal(0, 0.22, size=len(i))
    kwh = np.where(dormant[i], 0.0, np.maximum(kwh, 20.0 * rng.random(len(i))))
    kwh = np.round(kwh, 1)
    water = np.round(kwh * 0.08 * rng.lognormal(0, 0.4, size=len(i)), 1)
    owes = c.latent.arrears[i, m] & (rng.random(len(i)) < 0.35)
    period = cal.month_ends[m]
    return _table(
        "utilities",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "electricity_kwh": kwh,
            "water_m3": water,
            "arrears": np.where(owes, np.round(np.maximum(kwh, 100) * 0.75 * rng.uniform(1, 3, size=len(i)), 2), 0.0),
            "received_date": _dates(_received(c, period, "utilities")),
        },
    )


def customs(c: Chunk, missing: float) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    mask = c.fate.alive & e.exporter[:, None] & (rng.random(c.fate.alive.shape) > 0.15)
    i, m = _monthly_rows(c, mask, missing, "customs")
    exports = np.round(_sales(c)[i, m] * e.export_share[i] * rng.lognormal(0, 0.35, size=len(i)), 2)
    import_share = (e.index[i] % 7) / 20.0
    period = cal.month_ends[m]
    return _table(
        "customs",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "export_value": exports,
            "import_value": np.round(exports * import_share, 2),
            "received_date": _dates(_received(c, period, "customs")),
        },
    )


def credit(c: Chunk, missing: float) -> pa.Table:
    e, rng, cal, fate = c.e, c.rng, c.cal, c.fate
    owner = np.repeat(np.arange(len(e)), e.banks)
    if owner.size == 0:
        return _empty("credit")
    slot = np.arange(owner.size) - np.repeat(np.cumsum(e.banks) - e.banks, e.banks)
    first_bank = rng.choice(len(BANKS), size=len(e), p=_BANK_WEIGHTS / _BANK_WEIGHTS.sum())
    bank = (first_bank[owner] + slot * 5) % len(BANKS)
    start = e.loan_start_t[owner] + slot * rng.integers(0, 9, size=owner.size)
    t = np.arange(cal.total)[None, :]
    written_off = fate.default_t[owner] + 12
    active = (t >= start[:, None]) & (t < np.minimum(fate.exit_t[owner], written_off)[:, None])
    active &= t >= np.maximum(e.established_t[owner], 0)[:, None]
    keep = rng.random(active[:, : c.observed].shape) >= missing
    li, m = np.nonzero(active[:, : c.observed] & keep)
    i = owner[li]
    line = np.maximum(np.round(e.annual_sales * rng.uniform(0.05, 0.25, size=len(e)) / 1e4) * 1e4, 3e4)
    line = np.round(line[owner] / np.sqrt(e.banks[owner]) / 1e4) * 1e4
    health = c.latent.health[i, m]
    util = np.clip(0.55 - 0.15 * health + rng.normal(0, 0.12, size=len(i)), 0.0, 1.0)
    since = m - fate.default_t[i]
    util = np.where(since >= -2, 1.0, util)
    dpd = np.zeros(len(i), dtype=np.int64)
    minor = rng.random(len(i)) < 1 / (1 + np.exp(5.0 + 1.5 * health))
    dpd[minor] = rng.integers(1, 30, size=minor.sum())
    cured = rng.random(len(i)) < 1 / (1 + np.exp(6.3 + 1.5 * health))
    dpd[cured] = rng.integers(30, 60, size=cured.sum())
    for k, lo in ((-2, 30), (-1, 60)):
        hit = since == k
        dpd[hit] = rng.integers(lo, lo + 30, size=hit.sum())
    late = since >= 0
    dpd[late] = 90 + 30 * since[late] + rng.integers(0, 30, size=late.sum())
    loan_ids = np.char.add(np.char.add("L", e.index[owner].astype(str)), np.char.add("-", slot.astype(str)))
    period = cal.month_ends[m]
    return _table(
        "credit",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "loan_id": pa.DictionaryArray.from_arrays(pa.array(li.astype(np.int32)), pa.array(loan_ids)),
            "bank_id": pa.DictionaryArray.from_arrays(pa.array(bank[li].astype(np.int32)), pa.array(BANKS)),
            "credit_line": line[li],
            "balance": np.round(line[li] * util, 2),
            "days_past_due": dpd,
            "received_date": _dates(_received(c, period, "credit")),
        },
    )


def financials(c: Chunk) -> pa.Table:
    e, rng, cal, fate = c.e, c.rng, c.cal, c.fate
    december = np.flatnonzero(cal.month_of_year[: c.observed] == 12)
    if december.size == 0:
        return _empty("financials")
    sales = _sales(c)
    n = len(e)
    rows_i, rows_m = [], []
    for m in december:
        distressed = c.latent.health[:, m] < -1.0
        files = fate.alive[:, m] & e.reports_financials & ~(e.zombie | e.shell)
        files &= ~(distressed & (rng.random(n) < 0.3))
        idx = np.flatnonzero(files)
        rows_i.append(idx)
        rows_m.append(np.full(idx.size, m))
    i, m = np.concatenate(rows_i), np.concatenate(rows_m)
    revenue = np.zeros(len(i))
    for k in range(12):
        revenue += sales[i, np.maximum(m - k, 0)]
    revenue = np.round(revenue * rng.lognormal(0, 0.08, size=len(i)), 2)
    assets = np.round(np.maximum(revenue, 1e4) * rng.uniform(0.6, 1.5, size=len(i)), 2)
    liabilities = np.round(assets * c.latent.leverage[i, m], 2)
    blank = (e.kind[i] != ENTERPRISE) & (rng.random(len(i)) < 0.3)
    period = cal.month_ends[m]
    return _table(
        "financials",
        {
            "uscc": c.uscc(i),
            "period": _dates(period),
            "total_assets": pa.array(assets, mask=blank),
            "total_liabilities": pa.array(liabilities, mask=blank),
            "revenue": revenue,
            "received_date": _dates(period + rng.integers(30, 182, size=len(i)) * DAY),
        },
    )


def judicial(c: Chunk) -> pa.Table:
    e, rng, cal, fate = c.e, c.rng, c.cal, c.fate
    ci, cm, duration = c.latent.civil_cases
    n = len(e)
    # Banks sue defaulters; judgments go unpaid and end in enforcement and the dishonest list.
    defaulted = np.flatnonzero((fate.default_t < NEVER) & e.borrower & (rng.random(n) < 0.7))
    bank_suits = fate.default_t[defaulted] + rng.integers(1, 4, size=defaulted.size)
    civil_i = np.concatenate([ci, defaulted])
    civil_m = np.concatenate([cm, bank_suits])
    civil_d = np.concatenate([duration, rng.geometric(1 / 6.0, size=defaulted.size)])
    weak = np.concatenate([c.latent.health[ci, cm] < -0.6, np.ones(defaulted.size, dtype=bool)])
    enforce = weak & (rng.random(civil_i.size) < 0.55)
    enf_i, enf_m = civil_i[enforce], civil_m[enforce] + civil_d[enforce]
    enf_d = rng.geometric(1 / 7.0, size=enf_i.size)
    listed = rng.random(enf_i.size) < 0.45
    dis_i, dis_m = enf_i[listed], enf_m[listed] + 3
    dis_d = np.where(rng.random(dis_i.size) < 0.35, rng.integers(6, 19, size=dis_i.size), NEVER)
    plaintiff = rng.poisson(np.exp(-6.8 + 0.3 * np.log(np.maximum(e.annual_sales, 1e4) / 1e6))[:, None] * c.fate.alive)
    pl_i, pl_m = np.nonzero(plaintiff)
    pl_d = rng.geometric(1 / 5.0, size=pl_i.size)

    i = np.concatenate([civil_i, enf_i, dis_i, pl_i])
    m = np.concatenate([civil_m, enf_m, dis_m, pl_m])
    d = np.concatenate([civil_d, enf_d, dis_d, pl_d])
    kind = np.concatenate(
        [np.zeros(civil_i.size), np.ones(enf_i.size), np.full(dis_i.size, 2), np.zeros(pl_i.size)]
    ).astype(int)
    role = np.concatenate([np.zeros(civil_i.size + enf_i.size + dis_i.size), np.ones(pl_i.size)]).astype(int)
    keep = m < c.observed  # creditors sue dissolved firms too
    i, m, d, kind, role = i[keep], m[keep], d[keep], kind[keep], role[keep]
    order = np.lexsort((kind, m, i))
    i, m, d, kind, role = i[order], m[order], d[order], kind[order], role[order]
    day = cal.month_starts[m] + rng.integers(0, 28, size=i.size) * DAY
    close = np.where(d < NEVER, m + d, NEVER)
    closed = close < c.observed
    closed_day = cal.month_starts[np.minimum(close, cal.total - 1)] + rng.integers(0, 28, size=i.size) * DAY
    closed_day = np.maximum(closed_day, day)
    amount = np.round(np.maximum(e.annual_sales[i], 1e5) * rng.lognormal(-2.5, 1.0, size=i.size), 2)
    year = day.astype("datetime64[Y]").astype(int) + 1970
    letter = np.array(["民初", "执", "失信"])[kind]
    serial = e.index[i] * 64 + np.arange(i.size) % 64
    case_id = _join(["(", year.astype(str), ")浙", regions().code[e.region[i]].astype(str), letter, serial.astype(str), "号"])
    return _table(
        "judicial",
        {
            "uscc": c.uscc(i),
            "case_id": case_id,
            "case_date": _dates(day),
            "case_type": np.array(["civil", "enforcement", "dishonest_debtor"])[kind],
            "role": np.array(["defendant", "plaintiff"])[role],
            "amount": amount,
            "closed_date": _nullable_dates(closed_day, closed),
        },
    )


def penalties(c: Chunk) -> pa.Table:
    e, rng, cal = c.e, c.rng, c.cal
    pi, pm, serious = c.latent.penalties
    keep = pm < c.observed
    i, m, serious = pi[keep], pm[keep], serious[keep]
    group = e.group[i]
    by_group = {
        GROUPS.index("manufacturing"): ("environment", "safety", "fire", "market"),
        GROUPS.index("consumer_service"): ("health", "fire", "market", "market"),
        GROUPS.index("construction"): ("safety", "safety", "environment", "market"),
    }
    pick = rng.integers(0, 4, size=i.size)
    authority = np.array(["market", "tax", "market", "fire"], dtype=object)[pick]
    for g, options in by_group.items():
        hit = group == g
        authority[hit] = np.array(options)[pick[hit]]
    day = cal.month_starts[m] + rng.integers(0, 28, size=i.size) * DAY
    amount = np.where(serious, rng.uniform(5e4, 5e5, size=i.size), rng.uniform(2e3, 2e4, size=i.size))
    serial = e.index[i] * 32 + np.arange(i.size) % 32
    year = day.astype("datetime64[Y]").astype(int) + 1970
    pid = _join(["浙", regions().code[e.region[i]].astype(str), "罚〔", year.astype(str), "〕", serial.astype(str), "号"])
    return _table(
        "penalties",
        {
            "uscc": c.uscc(i),
            "penalty_id": pid,
            "date": _dates(day),
            "authority": authority,
            "severity": np.where(serious, "serious", "minor"),
            "amount": np.round(amount, -2),
        },
    )


def honors(c: Chunk) -> pa.Table:
    e, rng, cal, fate = c.e, c.rng, c.cal, c.fate
    n = len(e)
    lam = e.innovative[:, None] * 0.06 * fate.alive[:, : c.observed]
    pi, pm = np.nonzero(rng.poisson(lam))
    kinds = [np.zeros(pi.size, dtype=int)]
    rows_i, rows_m = [pi], [pm]
    for k, share in ((1, 0.35), (2, 0.05), (3, 0.15)):
        got = rng.random(n) < np.minimum(share * e.innovative, 0.8)
        idx = np.flatnonzero(got)
        first = np.maximum(e.established_t[idx], 0) + 12
        month = first + rng.integers(0, c.observed, size=idx.size)
        ok = month < c.observed
        rows_i.append(idx[ok])
        rows_m.append(month[ok])
        kinds.append(np.full(ok.sum(), k))
    i, m, kind = np.concatenate(rows_i), np.concatenate(rows_m), np.concatenate(kinds)
    order = np.lexsort((kind, m, i))
    i, m, kind = i[order], m[order], kind[order]
    day = cal.month_starts[m] + rng.integers(0, 28, size=i.size) * DAY
    timed = kind > 0  # recognitions are reviewed every three years; patents do not expire here
    expires = day + 3 * 365 * DAY
    return _table(
        "honors",
        {
            "uscc": c.uscc(i),
            "date": _dates(day),
            "kind": np.array(["patent", "high_tech", "zhuanjingtexin", "innovative_sme"])[kind],
            "expires": _nullable_dates(expires, timed),
        },
    )


def abnormal(c: Chunk) -> pa.Table:
    e, rng, cal, fate = c.e, c.rng, c.cal, c.fate
    n = len(e)
    # Dormant entities are listed for not filing their annual report (each July) or being
    # unreachable at their address; failing firms drift onto the list too.
    dormant_p = np.where(e.shell, 0.75, np.where(e.zombie, 0.65, 0.0))
    hazard = 1 / (1 + np.exp(7.0 + 1.2 * c.latent.health[:, : c.observed]))
    hit = (rng.random((n, c.observed)) < hazard) & fate.alive[:, : c.observed]
    first_hit = np.where(hit.any(axis=1), hit.argmax(axis=1), NEVER)
    july = np.flatnonzero(cal.month_of_year[: c.observed] == 7)
    dormant_month = july[rng.integers(0, max(july.size, 1), size=n)] if july.size else np.full(n, NEVER)
    month = np.where(rng.random(n) < dormant_p, dormant_month, first_hit)
    listed = month < c.observed
    idx = np.flatnonzero(listed)
    m = month[idx]
    day = cal.month_starts[m] + rng.integers(0, 28, size=idx.size) * DAY
    repaired = rng.random(idx.size) < np.where((e.zombie | e.shell)[idx], 0.08, 0.5)
    removed_m = m + rng.integers(2, 11, size=idx.size)
    removed = repaired & (removed_m < c.observed)
    removed_day = cal.month_starts[np.minimum(removed_m, cal.total - 1)] + rng.integers(0, 28, size=idx.size) * DAY
    # Three years on the abnormal list without repair moves an entity to the serious-violation list.
    serious_m = m + 36
    serious = ~removed & (serious_m < c.observed)
    s_idx = idx[serious]
    s_day = cal.month_starts[serious_m[serious]] + rng.integers(0, 28, size=s_idx.size) * DAY
    i = np.concatenate([idx, s_idx])
    listed_day = np.concatenate([day, s_day])
    removed_all = np.concatenate([removed, np.zeros(s_idx.size, dtype=bool)])
    removed_days = np.concatenate([np.maximum(removed_day, day), s_day])
    reason = np.concatenate([np.zeros(idx.size, dtype=int), np.ones(s_idx.size, dtype=int)])
    order = np.lexsort((reason, i))
    return _table(
        "abnormal",
        {
            "uscc": c.uscc(i[order]),
            "listed_date": _dates(listed_day[order]),
            "removed_date": _nullable_dates(removed_days[order], removed_all[order]),
            "reason": np.array(["abnormal_operation", "serious_violation"])[reason[order]],
        },
    )


def visit_list(c: Chunk) -> pa.Table:
    e, cal, fate = c.e, c.cal, c.fate
    active = np.flatnonzero(fate.alive[:, c.observed - 1] & (e.established_day <= cal.end))
    reg = regions()
    county = e.region[active]
    towns = 4 + np.round(reg.weight[county] * 600).astype(int)
    town = reg.code[county] * 1000 + 1 + (e.index[active] * 7919) % towns
    bank_pick = np.searchsorted(np.cumsum(_BANK_WEIGHTS) / _BANK_WEIGHTS.sum(), ((town * 2_654_435_761) % 10_007) / 10_007)
    bank = np.array(BANKS)[np.minimum(bank_pick, len(BANKS) - 1)]
    branch = _join([bank, "-", (town // 1000).astype(str)])
    return _table(
        "visit_list",
        {
            "uscc": c.uscc(active),
            "region": reg.code[county].astype(str),
            "town": town.astype(str),
            "bank_id": bank,
            "branch_id": branch,
        },
    )


def _join(parts: list[np.ndarray | str]) -> np.ndarray:
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p).astype(str))
    return out


def _empty(name: str) -> pa.Table:
    return CONTRACT_SCHEMAS[name].empty_table()


_DICTIONARY = pa.dictionary(pa.int32(), pa.string())


def _arrow_type(name: str, dtype: str) -> pa.DataType:
    if name in ("loan_id", "bank_id"):
        return _DICTIONARY
    return {
        "uscc": _DICTIONARY,
        "string": pa.string(),
        "category": pa.string(),
        "date": pa.date32(),
        "int": pa.int64(),
        "float": pa.float64(),
    }[dtype]


CONTRACT_SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([(col.name, _arrow_type(col.name, col.dtype)) for col in spec.columns]) for name, spec in CONTRACT.items()
}
"""Arrow schema of each source as the generator writes it."""
