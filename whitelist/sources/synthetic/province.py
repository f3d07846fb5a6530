"""Who is in the province: the static attributes of each entity, drawn in one vectorised pass.

Each chunk of entities gets its own random stream, derived from the seed and the chunk's
index, so a province is the same whatever machine draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whitelist.core import uscc
from whitelist.sources.synthetic.calendar import Calendar
from whitelist.sources.synthetic.config import SyntheticConfig
from whitelist.sources.synthetic.reference import GROUPS, industries, regions

TYPES = ("enterprise", "individual_business", "farmer_cooperative", "family_farm")
ENTERPRISE, INDIVIDUAL, COOPERATIVE, FAMILY_FARM = range(4)
_CATEGORY = np.array(["1", "2", "3", "2"])  # USCC entity category under authority 9
_SERIAL_SPACE = 31**8

_BRAND = list("鑫源华兴盛达宏丰瑞利恒泰德隆昌顺祥福嘉诚永新荣佳康明辉远航博通安信宇晨鼎天成海越锦优创卓伟凯润星美")
_SURNAME = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢金")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌波辉宁峰")


@dataclass
class Entities:
    """Static attributes of a chunk of entities (arrays of equal length)."""

    index: np.ndarray  # global entity number
    uscc: np.ndarray
    kind: np.ndarray  # 0..3, see TYPES
    region: np.ndarray  # index into regions()
    industry: np.ndarray  # index into industries()
    group: np.ndarray  # index into GROUPS
    established_day: np.ndarray  # datetime64[D]
    established_t: np.ndarray  # simulation month of establishment (negative: before window)
    annual_sales: np.ndarray  # true yearly sales at health 0, CNY
    employees: np.ndarray
    quality: np.ndarray
    idiosyncratic: np.ndarray
    leverage: np.ndarray
    zombie: np.ndarray
    shell: np.ndarray
    borrower: np.ndarray
    banks: np.ndarray  # number of lending banks (0 for non-borrowers)
    loan_start_t: np.ndarray
    exporter: np.ndarray
    export_share: np.ndarray
    quarterly_filer: np.ndarray
    files_tax: np.ndarray
    report_factor: np.ndarray
    insured_share: np.ndarray
    fund_share: np.ndarray
    has_utilities: np.ndarray
    reports_financials: np.ndarray
    innovative: np.ndarray  # propensity to patents and recognitions
    address: np.ndarray
    legal_rep: np.ndarray
    group_id: np.ndarray  # related-party group (shared legal representative), -1 if none
    distress_onset: np.ndarray  # simulation month a distress episode begins, large if never
    distress_length: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


def draw_entities(cfg: SyntheticConfig, cal: Calendar, start: int, n: int, rng: np.random.Generator) -> Entities:
    """Draw ``n`` entities numbered from ``start``."""
    reg, ind = regions(), industries()
    index = np.arange(start, start + n, dtype=np.int64)

    shares = np.array(
        [
            cfg.share_enterprise,
            1.0 - cfg.share_enterprise - cfg.share_farmer_cooperative - cfg.share_family_farm,
            cfg.share_farmer_cooperative,
            cfg.share_family_farm,
        ]
    )
    kind = rng.choice(4, size=n, p=shares)
    region = rng.choice(len(reg.code), size=n, p=reg.weight)
    industry = np.empty(n, dtype=np.int64)
    for k, key in ((ENTERPRISE, "enterprise"), (INDIVIDUAL, "individual")):
        mask = kind == k
        industry[mask] = rng.choice(len(ind.code), size=mask.sum(), p=ind.weights[key])
    agri = (kind == COOPERATIVE) | (kind == FAMILY_FARM)
    industry[agri] = rng.choice(len(ind.code), size=agri.sum(), p=ind.weights["agri"])
    group = ind.group_index[industry]

    # Age: a third of enterprises and nearly half of individual businesses were set up inside
    # the window (individual businesses churn fast); the rest have lognormal ages.
    born_inside = rng.random(n) < np.where(kind == INDIVIDUAL, 0.45, 0.30)
    age_years = np.clip(rng.lognormal(np.log(np.where(kind == INDIVIDUAL, 4.0, 6.0)), 0.7), 0.1, 40.0)
    day_before = cal.start - (age_years * 365.25).astype("timedelta64[D]")
    day_inside = cal.start + rng.integers(0, cal.observed * 30.4, size=n).astype("timedelta64[D]")
    established_day = np.where(born_inside, day_inside, day_before).astype("datetime64[D]")
    established_t = cal.index_of(established_day)

    mu = np.array([np.log(3.0e6), np.log(4.0e5), np.log(1.5e6), np.log(8.0e5)])[kind]
    sigma = np.array([1.2, 0.9, 1.0, 0.9])[kind]
    annual_sales = np.minimum(rng.lognormal(mu, sigma), 1.5e8)
    employees = np.where(
        kind == INDIVIDUAL,
        rng.poisson(1.2, size=n),
        np.clip(np.round(annual_sales / (4.0e5 * rng.lognormal(0, 0.5, size=n))), 1, 300),
    ).astype(np.int64)

    quality = rng.standard_normal(n)
    idiosyncratic = rng.standard_normal(n) * cfg.process.idiosyncratic_sd
    leverage = np.clip(0.52 + 0.14 * rng.standard_normal(n) - 0.05 * quality, 0.03, 1.4)

    pre_existing = established_t < 6
    zombie = pre_existing & (rng.random(n) < cfg.share_zombie)
    shell_p = cfg.share_shell / max(cfg.share_enterprise, 1e-9)
    shell = (kind == ENTERPRISE) & ~zombie & (rng.random(n) < shell_p)
    inactive = zombie | shell

    size_rank = (np.log(annual_sales) - mu) / sigma
    borrow_p = np.array([0.50, 0.25, 0.35, 0.40])[kind] * np.clip(1.0 + 0.25 * size_rank, 0.3, 1.8)
    borrower = ~inactive & (rng.random(n) < np.clip(borrow_p, 0, 0.95))
    banks = np.where(borrower, 1 + np.searchsorted([0.62, 0.86, 0.95], rng.random(n)), 0)
    already = pre_existing & (rng.random(n) < 0.7)
    loan_start_t = np.where(
        already,
        0,
        np.maximum(np.maximum(established_t, 0) + rng.integers(0, 36, size=n), 0),
    )

    exporter = (kind == ENTERPRISE) & ~inactive & (rng.random(n) < ind.export_prob[industry])
    export_share = np.where(exporter, rng.uniform(0.2, 0.9, size=n), 0.0)

    quarterly_filer = (kind != ENTERPRISE) | ((annual_sales < 5.0e6) & (rng.random(n) < 0.6))
    files_tax = rng.random(n) < np.where(kind == INDIVIDUAL, 0.85, 0.97)
    under = cfg.process.underreporting_individual
    report_factor = np.where(kind == INDIVIDUAL, rng.uniform(1.0 - under, 1.0, size=n), rng.uniform(0.9, 1.0, size=n))
    insured = rng.random(n) < np.array([0.88, 0.12, 0.40, 0.15])[kind]
    insured_share = np.where(insured, rng.uniform(0.5, 1.0, size=n), 0.0)
    fund_share = np.where(
        insured & (rng.random(n) < np.where(kind == ENTERPRISE, 0.28, 0.03)), rng.uniform(0.3, 1.0, size=n), 0.0
    )
    has_utilities = ~shell & (rng.random(n) < 0.93)
    reports_financials = rng.random(n) < np.array([0.85, 0.08, 0.60, 0.20])[kind]
    tech_like = np.isin(group, [GROUPS.index("tech"), GROUPS.index("manufacturing")])
    innovative = np.where(tech_like & (kind == ENTERPRISE) & ~inactive, np.exp(0.8 * quality - 1.0), 0.0)

    # Addresses: most unique; business parks put a few together; shells pile up at a
    # handful of registered-agent addresses.
    address = index.copy()
    park = ~shell & (rng.random(n) < 0.06)
    address[park] = start + rng.integers(0, max(n // 40, 1), size=park.sum())
    agent_pool = max(int(shell.sum() // 60), 1)
    address[shell] = start + n + rng.integers(0, agent_pool, size=shell.sum())

    # Related parties: some legal representatives run two to four entities.
    legal_rep = index.copy()
    group_id = np.full(n, -1, dtype=np.int64)
    related = np.flatnonzero((kind == ENTERPRISE) & (rng.random(n) < 0.08))
    if len(related) >= 2:
        sizes = rng.integers(2, 5, size=len(related))
        owners = np.repeat(related, sizes)[: len(related)]
        legal_rep[related] = index[owners]
        group_id[related] = index[owners]

    onset = rng.integers(0, cal.total, size=n)
    episode = ~inactive & (rng.random(n) < 0.22 * np.exp(-0.45 * quality))
    distress_onset = np.where(episode, onset, 10**6)
    distress_length = rng.integers(6, 19, size=n)

    serial = (index * 2_654_435_761 + cfg.seed * 97_531 + 12_345) % _SERIAL_SPACE
    codes = uscc.make_codes(np.full(n, "9"), _CATEGORY[kind], reg.code[region], serial)

    return Entities(
        index=index,
        uscc=codes,
        kind=kind,
        region=region,
        industry=industry,
        group=group,
        established_day=established_day,
        established_t=established_t,
        annual_sales=annual_sales,
        employees=employees,
        quality=quality,
        idiosyncratic=idiosyncratic,
        leverage=leverage,
        zombie=zombie,
        shell=shell,
        borrower=borrower,
        banks=banks,
        loan_start_t=loan_start_t,
        exporter=exporter,
        export_share=export_share,
        quarterly_filer=quarterly_filer,
        files_tax=files_tax,
        report_factor=report_factor,
        insured_share=insured_share,
        fund_share=fund_share,
        has_utilities=has_utilities,
        reports_financials=reports_financials,
        innovative=innovative,
        address=address,
        legal_rep=legal_rep,
        group_id=group_id,
        distress_onset=distress_onset,
        distress_length=distress_length,
    )


def names(e: Entities, rng: np.random.Generator) -> np.ndarray:
    """Registered names in the usual Chinese patterns: place + brand + trade + legal form."""
    reg, ind = regions(), industries()
    brand = np.array(_BRAND)[rng.integers(0, len(_BRAND), size=(len(e), 2))]
    brand = np.char.add(brand[:, 0], brand[:, 1])
    city = np.char.replace(reg.city[e.region], "市", "")
    trade = ind.name[e.industry]
    county = reg.county[e.region]
    suffix = np.array(["有限公司", "店", "专业合作社", "家庭农场"])[e.kind]
    place = np.where(e.kind == ENTERPRISE, city, county)
    trade = np.where(e.kind == FAMILY_FARM, "", trade)
    return np.char.add(np.char.add(np.char.add(place, brand), trade), suffix)


def person_names(n: int, rng: np.random.Generator) -> np.ndarray:
    surname = np.array(_SURNAME)[rng.integers(0, len(_SURNAME), size=n)]
    given = np.array(_GIVEN)[rng.integers(0, len(_GIVEN), size=(n, 2))]
    two = rng.random(n) < 0.6
    return np.char.add(surname, np.where(two, np.char.add(given[:, 0], given[:, 1]), given[:, 0]))
