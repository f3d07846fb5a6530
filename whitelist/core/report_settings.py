"""The compliance report's settings: one declaration read by the policy (scoring) and the report (explain).

They live in the policy file (``report:``), are recorded whole in every run's manifest, and the
report reads them back from there; explain/ cannot import scoring/, so the model is declared
here, below both, and has its defaults once.
"""

from __future__ import annotations

from pydantic import Field

from whitelist.core.config import StrictModel


class ReportSettings(StrictModel):
    """Tolerances of the compliance report's segment checks (fair lending, concentration of price)."""

    approval_tolerance: float = Field(0.10, gt=0, le=1, description="flag a group whose approval rate differs by more")
    rate_tolerance: float = Field(0.005, gt=0, lt=1, description="flag a group whose average rate differs by more")
    min_group: int = Field(30, ge=1, description="groups smaller than this are shown but never flagged")
    sales_bands: tuple[float, ...] = Field(
        (1_000_000, 5_000_000, 20_000_000), description="declared-sales bounds of the size segments (CNY a year)"
    )
    sales_feature: str = Field("tax_sales_sum_12m", description="the input whose value places an enterprise in a size band")
    first_time_segment: str = Field(
        "first_time_borrower", description="the policy segment whose members the report compares as first-time borrowers"
    )
