"""The policy config (``configs/policy.yaml``): rules, decisions, limits, pricing, segments, assignment.

Everything a risk committee signs off lives here as data, so a threshold changes without a
code change and every run records the exact policy it applied (its hash is in the manifest).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from whitelist.core.report_settings import ReportSettings
from whitelist.core.config import StrictModel, load_config
from whitelist.models.stability import PSI_SHIFT, PSI_STABLE
from whitelist.scoring.policy.expr import Expr

DEFAULT_POLICY = Path(__file__).with_name("policy.yaml")
"""The packaged default, identical to ``configs/policy.yaml`` (a test keeps them in sync)."""

RULE_ID = r"^[A-Z]{2}[0-9]{2}$"


class Rule(StrictModel):
    """A declared rule: when ``when`` matches, the enterprise gets ``outcome`` with this rule's id."""

    id: str = Field(pattern=RULE_ID, description="two letters and two digits, e.g. EX01; appears in every output")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    stage: Literal["exclusion", "standard", "focus"]
    outcome: Literal["exclude", "decline", "review"]
    visit_focus: bool = Field(True, description="false: a hit takes the enterprise out of the visit focus")
    when: Expr
    text_zh: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    repair_zh: str | None = Field(None, description="what the enterprise can do about it, shown with the decision")
    repair_en: str | None = None

    @model_validator(mode="after")
    def _repair_pair(self) -> Rule:
        if (self.repair_zh is None) != (self.repair_en is None):
            raise ValueError(f"{self.id}: give repair_zh and repair_en together")
        return self


class Decision(StrictModel):
    """How PD becomes a decision: fixed cutoffs, or a target number of enterprises to whitelist."""

    method: Literal["cutoffs", "target_volume"] = "cutoffs"
    whitelist_max_pd: float = Field(0.02, gt=0, lt=1)
    review_max_pd: float = Field(0.05, gt=0, lt=1)
    target_volume: int | None = Field(None, ge=1, description="with method target_volume: enterprises to whitelist")

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if self.review_max_pd < self.whitelist_max_pd:
            raise ValueError("review_max_pd must be at least whitelist_max_pd")
        if (self.method == "target_volume") != (self.target_volume is not None):
            raise ValueError("target_volume is given exactly when method is target_volume")
        return self


class Concentration(StrictModel):
    """Largest share of the whitelist's total limit one industry section or city may take."""

    industry_max_share: float | None = Field(0.35, gt=0, le=1)
    industry_level: Literal["section", "class"] = "section"
    region_max_share: float | None = Field(0.35, gt=0, le=1)
    region_level: Literal["city", "county"] = "city"
    min_whitelist: int = Field(
        100, ge=1, description="caps apply once the whitelist holds this many enterprises: a handful has no shares to cap"
    )


class Product(StrictModel):
    name: str = Field(min_length=1)
    min_limit: float = Field(gt=0)
    max_limit: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> Product:
        if self.max_limit < self.min_limit:
            raise ValueError("max_limit must be at least min_limit")
        return self


class Limits(StrictModel):
    """Limit = min(real need, capacity, product cap, entity-type cap), rounded down; then the group cap."""

    sales_feature: str = "tax_sales_sum_12m"
    tax_paid_feature: str = "tax_paid_sum_12m"
    employees_feature: str = "si_employees_mean_12m"
    debt_feature: str = "credit_balance_sum_1m"
    need_sales_share: float = Field(0.25, gt=0, le=1, description="working capital: this share of a year's sales")
    capacity_sales_share: float = Field(0.10, ge=0, le=1)
    capacity_tax_multiple: float = Field(10.0, ge=0)
    capacity_per_employee: float = Field(100_000.0, ge=0)
    product: Product = Product(name="no_touch_credit", min_limit=50_000, max_limit=3_000_000)
    entity_type_caps: dict[str, float] = Field(default_factory=dict)
    group_cap: float | None = Field(5_000_000, gt=0, description="total limit of a related-party group")
    round_to: float = Field(10_000, gt=0, description="limits are rounded down to a multiple of this")


class LprQuote(StrictModel):
    effective: date
    rate: float = Field(gt=0, lt=1)


class Pricing(StrictModel):
    """Rate = LPR in force at the run date + funding + operating cost + PD x LGD + capital charge."""

    lpr: tuple[LprQuote, ...] = Field(min_length=1)
    funding_cost: float = Field(ge=0, lt=1)
    operating_cost: float = Field(ge=0, lt=1)
    lgd: float = Field(gt=0, le=1)
    risk_weight: float = Field(gt=0, le=2.5)
    capital_ratio: float = Field(gt=0, lt=1)
    cost_of_capital: float = Field(ge=0, lt=1)
    floor: float = Field(gt=0, lt=1)
    cap: float = Field(gt=0, lt=1)
    round_to: float = Field(0.0001, gt=0, description="rates are rounded to this (1 basis point)")

    @model_validator(mode="after")
    def _order(self) -> Pricing:
        if self.cap < self.floor:
            raise ValueError("cap must be at least floor")
        days = [q.effective for q in self.lpr]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("lpr quotes must be listed oldest first, one per effective date")
        return self


class Segment(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text_zh: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    priority: int = Field(0, ge=0, description="added to the priority of an enterprise in the segment")
    when: Expr


class Assignment(StrictModel):
    contact_days: int = Field(3, ge=1)
    process_days: int = Field(7, ge=1)
    validity_days: int = Field(90, ge=1)
    daily_contact_capacity: int = Field(20, ge=1, description="enterprises a branch can contact a day")
    branch_capacity: dict[str, int] = Field(default_factory=dict, description="per-branch override of the above")
    by_region: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="region code prefix -> [bank, branch] for enterprises not on the visit list"
    )

    @model_validator(mode="after")
    def _order(self) -> Assignment:
        if self.process_days < self.contact_days:
            raise ValueError("process_days must be at least contact_days")
        return self


class Drift(StrictModel):
    population: Expr | None = Field(
        None, description="the enterprises comparable with the training reference (the labelled population)"
    )
    top_features: int = Field(10, ge=0, description="features with the most gain whose PSI is checked")
    warn_psi: float = Field(PSI_STABLE, gt=0)
    fail_psi: float = Field(PSI_SHIFT, gt=0)
    on_fail: Literal["stop", "warn"] = "warn"


class PolicyConfig(StrictModel):
    version: str = Field(min_length=1, description="the policy's version, recorded in every run")
    rules: tuple[Rule, ...]
    decision: Decision = Decision()
    concentration: Concentration = Concentration()
    limits: Limits = Limits()
    pricing: Pricing
    segments: tuple[Segment, ...] = ()
    assignment: Assignment = Assignment()
    drift: Drift = Drift()
    report: ReportSettings = ReportSettings()

    @model_validator(mode="before")
    @classmethod
    def _policy_values(cls, data: Any) -> Any:
        """Fill each condition's ``value`` from the number its ``policy`` names (the YAML's or the default)."""
        if not isinstance(data, dict):
            return data

        def number(path: str) -> float:
            node: Any = data
            parts = path.split(".")
            field = cls.model_fields.get(parts[0])
            if field is None:
                raise ValueError(f"policy: {path!r} names no part of the policy; e.g. limits.product.min_limit")
            fallback: Any = field.get_default(call_default_factory=True)
            for part in parts:
                node = node.get(part) if isinstance(node, dict) else None
                if fallback is not None and part != parts[0]:
                    fallback = getattr(fallback, part, None)
            value = node if node is not None else fallback
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"policy: {path!r} is not a number of this policy; e.g. limits.product.min_limit")
            return value

        def resolve(expr: Any) -> Any:
            if not isinstance(expr, dict):
                return expr
            out = {k: [resolve(e) for e in v] if k in ("all", "any") and isinstance(v, list) else v for k, v in expr.items()}
            if out.get("policy") is not None:
                found = number(str(out["policy"]))
                if out.get("value") is not None and out["value"] != found:
                    raise ValueError(f"{out.get('feature')}: value {out['value']} and policy {out['policy']} "
                                     f"(= {found}) disagree; give one")
                out["value"] = found
            return out

        data = dict(data)
        for key in ("rules", "segments"):
            if isinstance(data.get(key), list):
                data[key] = [{**item, "when": resolve(item.get("when"))} if isinstance(item, dict) else item
                             for item in data[key]]
        return data

    @model_validator(mode="after")
    def _unique(self) -> PolicyConfig:
        for what, ids in (("rule ids", [r.id for r in self.rules]), ("segment ids", [s.id for s in self.segments])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{what} must be unique, repeated: {dupes}")
        return self


def load_policy(path: Path | str | None = None) -> PolicyConfig:
    """The policy at ``path``, or the packaged default."""
    return load_config(PolicyConfig, path or DEFAULT_POLICY)
