"""Feature declarations: the shipped file loads, and every mistake fails with the feature's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from whitelist.core.errors import ConfigError
from whitelist.features.spec import AGGREGATIONS, DEFAULT_FEATURES, load_features
from whitelist.sources.contract import CONTRACT

ROOT = Path(__file__).parents[2]


def test_shipped_features_cover_every_source_and_are_under_200() -> None:
    fs = load_features()
    assert 130 <= len(fs.names) <= 200
    assert {f.source for f in fs.features} == set(CONTRACT) - {"visit_list"}
    assert len(set(fs.names)) == len(fs.names)


def test_configs_copy_is_the_embedded_default() -> None:
    assert (ROOT / "configs" / "features.yaml").read_text(encoding="utf-8") == DEFAULT_FEATURES.read_text(
        encoding="utf-8"
    )


def test_every_aggregation_is_documented() -> None:
    doc = (ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    for name in AGGREGATIONS:
        assert f"`{name}`" in doc, name


GROUP = "groups:\n  - {name: x, source: %s, column: %s, aggs: [%s], windows: [%s], description: d}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GROUP % ("taxes", "sales", "sum", "12"), r"feature 'x': unknown source 'taxes'; expected one of: registry"),
        (GROUP % ("tax", "salez", "sum", "12"), r"feature 'x': source 'tax' has no column 'salez'; it has uscc"),
        (GROUP % ("tax", "sales", "median", "12"), r"feature 'x': unknown aggregation 'median'; expected one of: sum"),
        (GROUP % ("tax", "sales", "sum", "0"), r"windows are months from 1 to 120"),
        (GROUP % ("tax", "tax_grade", "sum", "12"), r"feature 'x': aggregation 'sum' needs a number, 'tax_grade' is category"),
        (GROUP % ("judicial", "amount", "slope", "12"), r"aggregation 'slope' does not apply to event source 'judicial'"),
        (GROUP % ("penalties", "amount", "open_count", "12"), r"source 'penalties' has no end date"),
        (
            "groups:\n  - {name: x, source: tax, column: sales, aggs: [sum], description: d}\n",
            r"aggregation 'sum' needs windows",
        ),
        (
            "groups:\n  - {name: x, source: judicial, filter: {case_type: [fraud]}, aggs: [ever_count], description: d}\n",
            r"filter case_type = \['fraud'\] is not among civil, enforcement, dishonest_debtor",
        ),
        (
            GROUP % ("tax", "sales", "sum", "12")
            + "derived:\n  - {name: r, numerator: x_sum_12m, denominator: y_sum_12m, description: d}\n",
            r"derived feature 'r' uses unknown feature 'y_sum_12m'",
        ),
        (
            "groups:\n  - {name: x, source: registry, column: registered_capital, aggs: [band], description: d}\n",
            r"feature 'x': band needs edges",
        ),
        (
            "groups:\n  - {name: x, source: registry, column: registered_capital, aggs: [band], edges: [0, 50, 10], "
            "description: d}\n",
            r"feature 'x': band edges must increase, got \[0.0, 50.0, 10.0\]",
        ),
        (
            "groups:\n  - {name: x, source: registry, column: registered_capital, aggs: [value], edges: [0, 1], "
            "description: d}\n",
            r"feature 'x': edges are for the band aggregation",
        ),
        (
            GROUP % ("tax", "sales", "sum", "12") + "peers:\n  - {name: p, key: legal_rep, of: [x_sum_12m], description: d}\n",
            r"peer group 'p': key 'legal_rep' is not a registry column; use one of: .*legal_rep_id",
        ),
        (
            GROUP % ("tax", "sales", "sum", "12") + "peers:\n  - {name: p, key: address_id, of: [y_sum_12m], description: d}\n",
            r"peer group 'p' uses unknown feature 'y_sum_12m'",
        ),
        (
            "groups:\n  - {name: g, source: tax, column: tax_grade, aggs: [last], windows: [12], description: d}\n"
            "peers:\n  - {name: p, key: address_id, of: [g_last_12m], description: d}\n",
            r"peer group 'p': 'g_last_12m' is not a number",
        ),
        (
            "groups:\n  - {name: x, source: tax, column: sales, aggs: [sum], windows: [3], descripton: d}\n",
            r"features.yaml:2: unknown key 'groups.0.descripton'; expected one of: aggs, column, description",
        ),
    ],
)
def test_bad_definition_fails_at_load_naming_the_feature(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "features.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_features(path)
