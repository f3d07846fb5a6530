"""The engine's own checks: input validity, the model's grade, related parties, caps, limits.

Declared rules live in the policy YAML; these are the steps every run performs around them.
They are declared here as data, with ids and texts like the YAML's rules, so the decision
log, the whitelist and the extracts name them the same way. Input checks are tried in the
order declared (not the order of their ids, which stay stable across versions): the first that
fails an enterprise is its reason, and the later ones are not run on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str
    name: str
    stage: Literal["input", "grade", "related_party", "concentration", "limit"]
    outcome: Literal["invalid", "decline", "review"]
    text_zh: str
    text_en: str


CHECKS: tuple[Check, ...] = (
    Check(id="IN01", name="invalid_uscc", stage="input", outcome="invalid",
          text_zh="统一社会信用代码校验不通过", text_en="the unified social credit code fails its check character"),
    Check(id="IN02", name="duplicate_row", stage="input", outcome="invalid",
          text_zh="特征表中同一企业有多行", text_en="the feature table holds more than one row for the enterprise"),
    Check(id="IN05", name="visit_row_rejected", stage="input", outcome="invalid",
          text_zh="走访清单记录未通过数据校验", text_en="its visit-list row was rejected by validation (see quarantine/visit_list.parquet)"),
    Check(id="IN03", name="no_registry_row", stage="input", outcome="invalid",
          text_zh="登记信息中无有效记录", text_en="no valid registry row for the enterprise"),
    Check(id="IN04", name="no_feature_row", stage="input", outcome="invalid",
          text_zh="走访清单企业无特征数据", text_en="on the visit list but not in the feature table"),
    Check(id="PD01", name="pd_above_review", stage="grade", outcome="decline",
          text_zh="模型违约概率高于复核上限", text_en="the model's PD is above the review cutoff"),
    Check(id="PD02", name="pd_review_band", stage="grade", outcome="review",
          text_zh="模型违约概率处于复核区间", text_en="the model's PD is in the review band"),
    Check(id="RP01", name="related_party_excluded", stage="related_party", outcome="review",
          text_zh="同一法定代表人的关联企业被排除", text_en="an enterprise with the same legal representative is excluded"),
    Check(id="RP02", name="group_limit_exhausted", stage="related_party", outcome="review",
          text_zh="关联企业组额度已用尽", text_en="the related-party group's limit is used up"),
    Check(id="LM01", name="limit_below_minimum", stage="limit", outcome="decline",
          text_zh="测算额度低于产品最低额度", text_en="the limit the data supports is below the product minimum"),
    Check(id="CC01", name="industry_concentration", stage="concentration", outcome="review",
          text_zh="行业集中度超过上限", text_en="the industry's share of the whitelist is above its cap"),
    Check(id="CC02", name="region_concentration", stage="concentration", outcome="review",
          text_zh="地区集中度超过上限", text_en="the region's share of the whitelist is above its cap"),
)
BY_ID: dict[str, Check] = {c.id: c for c in CHECKS}
INPUT_CHECKS: tuple[Check, ...] = tuple(c for c in CHECKS if c.stage == "input")
"""The input checks in the order they are tried; the first that fails decides."""
