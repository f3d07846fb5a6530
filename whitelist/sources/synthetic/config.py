"""Parameters of the synthetic province, as one typed config.

The defaults are the documented province (docs/synthetic.md): a Zhejiang-like mix of entity
types, regions and industries, and a hidden default process whose noise parameters keep the
problem as hard as real SME credit (the true PD ranks defaults with an AUC near 0.84, not 0.99).
Every number a risk team might question lives here rather than in the code.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from whitelist.core.config import StrictModel


class DefectRates(StrictModel):
    """Share of rows (per source) given each data-quality defect, as real exports have."""

    duplicate_rows: float = Field(0.002, ge=0, le=0.5, description="exact copies of rows")
    invalid_uscc: float = Field(0.0005, ge=0, le=0.5, description="rows whose code has a wrong check character")
    missing_months: float = Field(0.02, ge=0, le=0.9, description="monthly records dropped at random")
    negative_amounts: float = Field(0.0005, ge=0, le=0.5, description="amounts with a flipped sign")
    late_periods: float = Field(0.01, ge=0, le=0.5, description="records that reach the platform 1-6 months late")
    out_of_window_dates: float = Field(0.0002, ge=0, le=0.5, description="dates typed into a far year")
    mixed_date_formats: float = Field(0.05, ge=0, le=1, description="CSV dates written as 2024/03/31, 20240331 or 2024年3月31日")

    def none(self) -> DefectRates:
        """The same config with every defect switched off (clean data for tests and studies)."""
        return DefectRates(**{name: 0.0 for name in type(self).model_fields})


class ProcessParams(StrictModel):
    """The hidden default process: log-odds weights of the true 12-month PD and its noise."""

    pilot_mean_pd: float = Field(
        0.034, gt=0, lt=0.5, description="mean true PD of borrowers over a pilot population; sets the intercept"
    )
    w_health: float = Field(-1.3, description="latent business health (sales and power trend level)")
    w_momentum: float = Field(-1.2, description="change of health over the last 6 months")
    w_leverage: float = Field(2.5, description="liabilities / assets above 0.55")
    w_arrears: float = Field(1.1, description="in arrears on tax, insurance or utilities")
    w_open_cases: float = Field(0.5, description="per open court case as defendant (capped at 3)")
    w_penalty: float = Field(0.35, description="serious penalty in the last 12 months")
    w_young: float = Field(0.4, description="younger than 2 years")
    w_multibank: float = Field(0.25, description="per lending bank beyond the first")
    w_quality: float = Field(-0.6, description="persistent firm quality (partly visible through tax grade, honours)")
    w_shock: float = Field(1.0, description="industry and regional shocks")
    idiosyncratic_sd: float = Field(1.1, ge=0, description="unobservable firm risk: no source shows it")
    health_persistence: float = Field(0.92, gt=0, lt=1, description="AR(1) coefficient of monthly health")
    health_noise_sd: float = Field(0.22, ge=0, description="monthly innovation of health")
    reporting_noise_sd: float = Field(0.18, ge=0, description="log noise between true and declared sales")
    underreporting_individual: float = Field(0.45, ge=0, le=1, description="largest share of sales individuals leave undeclared")


class SyntheticConfig(StrictModel):
    """Everything that decides a synthetic province; the same config gives the same bytes."""

    enterprises: int = Field(20_000, ge=1, le=5_000_000)
    seed: int = Field(0, ge=0)
    months: int = Field(60, ge=13, le=240)
    end: date = date(2024, 12, 31)
    format: Literal["parquet", "csv"] = "parquet"
    encoding: str = "utf-8"
    chunk_size: int = Field(50_000, ge=1_000, description="entities generated together; part of the seed's meaning")
    share_enterprise: float = Field(0.37, ge=0, le=1)
    share_farmer_cooperative: float = Field(0.015, ge=0, le=1)
    share_family_farm: float = Field(0.01, ge=0, le=1)
    share_zombie: float = Field(0.08, ge=0, le=0.5, description="registered but dormant for a year or more")
    share_shell: float = Field(0.015, ge=0, le=0.5, description="no activity, address shared with many others")
    defects: DefectRates = DefectRates()
    process: ProcessParams = ProcessParams()

    @field_validator("end")
    @classmethod
    def _month_end(cls, value: date) -> date:
        nxt = date(value.year + (value.month == 12), value.month % 12 + 1, 1)
        if (nxt - value).days != 1:
            raise ValueError(f"end must be the last day of a month, got {value.isoformat()}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; use utf-8, gb18030 or gbk") from None
        return value
