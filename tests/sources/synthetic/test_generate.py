"""The synthetic province: deterministic, shaped like the contract, and carrying real signal."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from whitelist.core import uscc
from whitelist.sources.contract import CONTRACT
from whitelist.sources.synthetic import SyntheticConfig, generate_province

ARROW_TYPE = {"uscc": "string", "string": "string", "category": "string", "date": "date32[day]", "int": "int64", "float": "double"}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province")
    generate_province(SyntheticConfig(enterprises=20_000, seed=11), out)
    return out


def _sql(folder: Path, query: str) -> list[tuple]:
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{folder}'")
    return con.execute(query).fetchall()


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    cfg = SyntheticConfig(enterprises=2_500, seed=5, chunk_size=1_000)
    a, b = tmp_path / "a", tmp_path / "b"
    generate_province(cfg, a)
    generate_province(cfg, b)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_another_seed_gives_another_province(tmp_path: Path) -> None:
    generate_province(SyntheticConfig(enterprises=1_000, seed=1), tmp_path / "a")
    generate_province(SyntheticConfig(enterprises=1_000, seed=2), tmp_path / "b")
    assert (tmp_path / "a" / "registry.parquet").read_bytes() != (tmp_path / "b" / "registry.parquet").read_bytes()


def test_every_source_matches_the_contract(province: Path) -> None:
    for name, spec in CONTRACT.items():
        schema = pq.read_schema(province / f"{name}.parquet")
        assert schema.names == list(spec.column_names), name
        for col in spec.columns:
            assert str(schema.field(col.name).type) == ARROW_TYPE[col.dtype], (name, col.name)


def test_zhejiang_mix_of_entities_regions_and_industries(province: Path) -> None:
    shares = dict(
        _sql(
            province,
            "select entity_type, count(*) / sum(count(*)) over () from 'visit_list.parquet' v "
            "join 'registry.parquet' r using (uscc) group by 1",
        )
    )
    assert 0.30 < shares["enterprise"] < 0.42
    assert 0.55 < shares["individual_business"] < 0.68
    assert shares["farmer_cooperative"] > 0 and shares["family_farm"] > 0
    cities = _sql(province, "select count(distinct left(region, 4)) from 'registry.parquet'")[0][0]
    assert cities == 11
    sections = {r[0] for r in _sql(province, "select distinct left(industry, 1) from 'registry.parquet'")}
    assert {"C", "F", "H", "I"} <= sections


def test_default_process_is_as_hard_as_real_sme_credit(province: Path) -> None:
    rate, auc_inputs = _sql(
        province,
        "select avg(default_12m::int), count(*) from 'truth_panel.parquet' where borrower",
    )[0]
    assert 0.02 <= rate <= 0.04
    pd, y = zip(*_sql(province, "select pd_12m, default_12m from 'truth_panel.parquet' where borrower"), strict=True)
    pd_arr, y_arr = np.array(pd), np.array(y)
    pos, neg = pd_arr[y_arr], pd_arr[~y_arr]
    sample = np.random.default_rng(0).choice(neg, size=min(neg.size, 50_000), replace=False)
    auc = (pos[:, None] > sample[None, :]).mean() + 0.5 * (pos[:, None] == sample[None, :]).mean()
    assert 0.80 <= auc <= 0.88


def test_the_observable_ceiling_sits_below_the_true_pd_and_is_calibrated(province: Path) -> None:
    """Without the unobservable firm risk the best PD ranks worse than the true one, but above chance, and on average agrees."""
    rows = _sql(province, "select pd_12m, pd_12m_observable, default_12m from 'truth_panel.parquet' where borrower")
    true_pd, observable, y = (np.array(c) for c in zip(*rows, strict=True))

    def auc(score: np.ndarray) -> float:
        pos, neg = score[y], score[~y]
        sample = np.random.default_rng(0).choice(neg, size=min(neg.size, 50_000), replace=False)
        return float((pos[:, None] > sample[None, :]).mean() + 0.5 * (pos[:, None] == sample[None, :]).mean())

    assert 0.70 < auc(observable) < auc(true_pd) - 0.02
    # Averaged over the unseen term, so calibrated to outcomes (survivors' own draws run low, so the
    # true PD's mean sits a little under it).
    assert abs(observable.mean() - y.mean()) < 0.2 * y.mean()


def test_signals_reach_the_sources(province: Path) -> None:
    """Tax arrears in the year before a month-end go with more defaults in the year after."""
    rows = dict(
        _sql(
            province,
            """
            with arrears as (
                select distinct p.uscc, p.as_of from 'truth_panel.parquet' p
                join 'tax.parquet' t on t.uscc = p.uscc
                 and t.period between p.as_of - interval 12 month and p.as_of and t.arrears > 0
                where p.borrower and p.as_of = date '2022-12-31'
            )
            select a.uscc is not null, avg(p.default_12m::int) from 'truth_panel.parquet' p
            left join arrears a using (uscc, as_of)
            where p.borrower and p.as_of = date '2022-12-31' group by 1
            """,
        )
    )
    assert rows[True] > 1.5 * rows[False]


def test_zombies_show_no_activity(province: Path) -> None:
    (active_zombies,) = _sql(
        province,
        """
        select count(*) from 'truth.parquet' z
        where z.zombie and (
            exists (select 1 from 'tax.parquet' t where t.uscc = z.uscc and t.sales > 0)
            or exists (select 1 from 'social_insurance.parquet' s where s.uscc = z.uscc)
            or exists (select 1 from 'utilities.parquet' u where u.uscc = z.uscc and u.electricity_kwh > 0))
        """,
    )[0]
    assert active_zombies == 0


def test_defects_are_injected_and_can_be_switched_off(tmp_path: Path) -> None:
    dirty = SyntheticConfig(enterprises=3_000, seed=3)
    dirty = dirty.model_copy(update={"defects": dirty.defects.model_copy(update={"invalid_uscc": 0.01, "duplicate_rows": 0.01, "negative_amounts": 0.01, "out_of_window_dates": 0.01})})
    generate_province(dirty, tmp_path / "dirty")
    clean = SyntheticConfig(enterprises=3_000, seed=3)
    generate_province(clean.model_copy(update={"defects": clean.defects.none()}), tmp_path / "clean")

    def problems(folder: Path) -> tuple[int, int, int, int]:
        codes = pq.read_table(folder / "tax.parquet").column("uscc").to_pylist()
        bad = sum(not uscc.is_valid(c) for c in codes)
        dup = _sql(folder, "select count(*) - count(distinct (uscc, period)) from 'tax.parquet'")[0][0]
        neg = _sql(folder, "select count(*) from 'tax.parquet' where sales < 0 or tax_paid < 0 or arrears < 0")[0][0]
        far = _sql(folder, "select count(*) from 'tax.parquet' where year(period) in (1900, 2099)")[0][0]
        return bad, dup, neg, far

    assert all(n > 0 for n in problems(tmp_path / "dirty"))
    assert problems(tmp_path / "clean") == (0, 0, 0, 0)


def test_csv_export_in_gb18030_with_mixed_dates(tmp_path: Path) -> None:
    cfg = SyntheticConfig(enterprises=1_000, seed=4, format="csv", encoding="gb18030")
    generate_province(cfg, tmp_path)
    raw = (tmp_path / "registry.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert "有限公司" in text
    table = pacsv.read_csv(
        tmp_path / "tax.csv",
        read_options=pacsv.ReadOptions(encoding="gb18030"),
        convert_options=pacsv.ConvertOptions(column_types={"period": "string", "received_date": "string"}),
    )
    periods = table.column("period").to_pylist()
    assert any("年" in p for p in periods) and any("/" in p for p in periods)
    assert any(len(p) == 8 and p.isdigit() for p in periods)
    assert (tmp_path / "visit_list.parquet").exists()
