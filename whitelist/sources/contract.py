"""The data contract: every government source declared once, as data.

These declarations drive loading, validation, the quality report, the generator's schemas
and ``docs/data-contract.md`` (generated from them; a test keeps the page in sync). A
column's dtype decides how raw text is coerced; its bounds, categories and pattern decide
which rows go to quarantine and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dtype = Literal["uscc", "string", "category", "date", "int", "float"]
Grain = Literal["entity", "event", "month", "month_per_loan", "year"]

MIN_DATE = "1949-10-01"
"""No record of the People's Republic's registries predates this."""


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a source: how to coerce it and what values are possible."""

    name: str
    dtype: Dtype
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    pattern: str | None = None
    pii: bool = False
    mask: Literal["first_char", "phone"] = "first_char"
    """How a personal value is shown where it must be (extracts for the bank's own staff): its first
    character, or for a phone the carrier prefix and the last four digits. Only for ``pii`` columns."""
    unit: str | None = None
    not_before: str | None = None
    """For a date: the column it may not precede (e.g. removed_date >= listed_date)."""


@dataclass(frozen=True, kw_only=True)
class Source:
    """One government source: origin, grain, key, date column and availability lag."""

    name: str
    origin: str
    grain: Grain
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    date_column: str | None
    lag_days: int
    """Days after the end of a record's period (or its event date) before the platform has it."""
    received_column: str | None = None
    """Optional column holding the date a record actually reached the platform."""
    period_end: bool = False
    """True when ``date_column`` holds period end dates (month or year ends)."""
    end_column: str | None = None
    """For events that last (listings, cases, recognitions): the column that ends them."""
    entity_table: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"source {self.name!r} declares no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def clears(self, column: str) -> bool:
        """True when a defect in ``column`` clears the value instead of rejecting the row.

        A value the record may lack (a nullable column outside the key) is not worth the
        record: a negative capital or an unknown tax grade becomes missing, and the quarantine
        file keeps the original. A defect in a key or a required value rejects the row.
        """
        return self.column(column).nullable and column not in self.key


def _uscc() -> Column:
    return Column(name="uscc", dtype="uscc", description="unified social credit code (GB 32100-2015)")


def _period(what: str) -> Column:
    return Column(name="period", dtype="date", description=f"last day of the {what} the record covers")


def _received() -> Column:
    return Column(
        name="received_date",
        dtype="date",
        required=False,
        nullable=True,
        not_before="period",
        description="date the record reached the platform; later than period + lag when it arrived late",
    )


def _amount(name: str, description: str, unit: str = "CNY", nullable: bool = False) -> Column:
    return Column(
        name=name,
        dtype="float",
        description=description,
        minimum=0.0,
        maximum=1e13,
        unit=unit,
        nullable=nullable,
    )


def _count(name: str, description: str, maximum: float = 1e6) -> Column:
    return Column(name=name, dtype="int", description=description, minimum=0, maximum=maximum)


ENTITY_TYPES = ("enterprise", "individual_business", "farmer_cooperative", "family_farm")

REGISTRY = Source(
    name="registry",
    origin="market supervision",
    grain="entity",
    description="Every registered market entity, with its current status.",
    key=("uscc",),
    date_column="established",
    lag_days=1,
    entity_table=True,
    columns=(
        _uscc(),
        Column(name="name", dtype="string", description="registered name"),
        Column(name="entity_type", dtype="category", categories=ENTITY_TYPES, description="legal form"),
        Column(
            name="industry",
            dtype="string",
            pattern=r"^[A-T][0-9]{4}$",
            description="GB/T 4754-2017 industry class: section letter and four digits",
        ),
        Column(
            name="region",
            dtype="string",
            pattern=r"^[1-8][0-9]{5}$",
            description="6-digit administrative division code (county level)",
        ),
        _amount("registered_capital", "registered capital", unit="10k CNY", nullable=True),
        Column(name="established", dtype="date", description="date of establishment"),
        Column(
            name="status",
            dtype="category",
            categories=("active", "revoked", "cancelled"),
            description="current status: active, licence revoked, or cancelled (deregistered)",
        ),
        Column(
            name="status_date",
            dtype="date",
            required=False,
            nullable=True,
            not_before="established",
            description="date the entity was revoked or cancelled; empty while active",
        ),
        Column(name="address_id", dtype="string", description="registered address, as an opaque id"),
        Column(name="legal_rep_id", dtype="string", pii=True, description="legal representative, as an opaque id"),
        Column(
            name="legal_rep_name",
            dtype="string",
            required=False,
            nullable=True,
            pii=True,
            description="legal representative's name",
        ),
        Column(
            name="phone", dtype="string", required=False, nullable=True, pii=True, mask="phone", description="contact phone"
        ),
    ),
)

ABNORMAL = Source(
    name="abnormal",
    origin="market supervision",
    grain="event",
    description="Listings in the abnormal-operation and serious-violation lists, and their removal.",
    key=("uscc", "listed_date", "reason"),
    date_column="listed_date",
    end_column="removed_date",
    lag_days=1,
    columns=(
        _uscc(),
        Column(name="listed_date", dtype="date", description="date the entity was listed"),
        Column(
            name="removed_date",
            dtype="date",
            nullable=True,
            not_before="listed_date",
            description="date the listing was removed after repair; empty while listed",
        ),
        Column(
            name="reason",
            dtype="category",
            categories=("abnormal_operation", "serious_violation"),
            description="which list",
        ),
    ),
)

TAX = Source(
    name="tax",
    origin="tax bureau",
    grain="month",
    description="Declared sales, tax paid and arrears; small-scale taxpayers file quarterly.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=45,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month or quarter"),
        Column(
            name="period_months",
            dtype="int",
            minimum=1,
            maximum=3,
            description="months the declaration covers: 1 (monthly filer) or 3 (quarterly filer)",
        ),
        _amount("sales", "invoiced and declared sales in the period"),
        _amount("tax_paid", "tax paid for the period"),
        _amount("arrears", "tax overdue at the end of the period"),
        Column(
            name="tax_grade",
            dtype="category",
            categories=("A", "B", "M", "C", "D"),
            required=False,
            nullable=True,
            description="annual tax credit grade in force (published each April for the year before)",
        ),
        _received(),
    ),
)

SOCIAL_INSURANCE = Source(
    name="social_insurance",
    origin="human resources and social security",
    grain="month",
    description="Employees insured and contribution arrears.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=30,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month"),
        _count("insured_employees", "employees with paid social insurance"),
        _amount("arrears", "contributions overdue at the end of the month"),
        _received(),
    ),
)

PROVIDENT_FUND = Source(
    name="provident_fund",
    origin="housing provident fund centre",
    grain="month",
    description="Employees contributing to the housing provident fund.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=30,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month"),
        _count("contributors", "employees with provident fund contributions"),
        _received(),
    ),
)

UTILITIES = Source(
    name="utilities",
    origin="power and water companies",
    grain="month",
    description="Electricity and water use, and unpaid bills.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=20,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month"),
        Column(name="electricity_kwh", dtype="float", minimum=0.0, maximum=1e10, unit="kWh", description="power used"),
        Column(name="water_m3", dtype="float", minimum=0.0, maximum=1e9, unit="m3", description="water used"),
        _amount("arrears", "unpaid utility bills at the end of the month"),
        _received(),
    ),
)

CUSTOMS = Source(
    name="customs",
    origin="customs",
    grain="month",
    description="Declared exports and imports of traders.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=30,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month"),
        _amount("export_value", "exports declared in the month"),
        _amount("import_value", "imports declared in the month"),
        _received(),
    ),
)

JUDICIAL = Source(
    name="judicial",
    origin="courts",
    grain="event",
    description="Court cases: civil suits, enforcement, and the dishonest judgment debtor list.",
    key=("case_id", "uscc", "role"),
    date_column="case_date",
    end_column="closed_date",
    lag_days=7,
    columns=(
        _uscc(),
        Column(name="case_id", dtype="string", description="court case number"),
        Column(name="case_date", dtype="date", description="date the case was filed or the listing made"),
        Column(
            name="case_type",
            dtype="category",
            categories=("civil", "enforcement", "dishonest_debtor"),
            description="civil suit, enforcement of a judgment, or listing as a dishonest judgment debtor",
        ),
        Column(name="role", dtype="category", categories=("defendant", "plaintiff"), description="the entity's side"),
        _amount("amount", "amount at stake"),
        Column(
            name="closed_date",
            dtype="date",
            nullable=True,
            not_before="case_date",
            description="date the case closed or the listing was lifted; empty while open",
        ),
    ),
)

PENALTIES = Source(
    name="penalties",
    origin="market, environment, safety and other regulators",
    grain="event",
    description="Administrative penalties.",
    key=("penalty_id",),
    date_column="date",
    lag_days=14,
    columns=(
        _uscc(),
        Column(name="penalty_id", dtype="string", description="penalty decision number"),
        Column(name="date", dtype="date", description="date of the decision"),
        Column(
            name="authority",
            dtype="category",
            categories=("market", "environment", "safety", "tax", "fire", "health"),
            description="the regulator",
        ),
        Column(name="severity", dtype="category", categories=("minor", "serious"), description="severity"),
        _amount("amount", "fine"),
    ),
)

HONORS = Source(
    name="honors",
    origin="science and technology, economy and information technology departments",
    grain="event",
    description="Patents and recognitions: high-tech enterprise, specialised SME (zhuanjingtexin).",
    key=("uscc", "kind", "date"),
    date_column="date",
    end_column="expires",
    lag_days=30,
    columns=(
        _uscc(),
        Column(name="date", dtype="date", description="date granted"),
        Column(
            name="kind",
            dtype="category",
            categories=("patent", "high_tech", "zhuanjingtexin", "innovative_sme"),
            description="what was granted",
        ),
        Column(
            name="expires",
            dtype="date",
            required=False,
            nullable=True,
            not_before="date",
            description="end of validity for time-limited recognitions",
        ),
    ),
)

CREDIT = Source(
    name="credit",
    origin="financing credit platform and banks",
    grain="month_per_loan",
    description="Each loan's line, balance and days past due, month by month.",
    key=("loan_id", "period"),
    date_column="period",
    period_end=True,
    lag_days=30,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("month"),
        Column(name="loan_id", dtype="string", description="loan identifier"),
        Column(name="bank_id", dtype="string", description="lending bank"),
        _amount("credit_line", "credit line"),
        _amount("balance", "outstanding balance at month end"),
        _count("days_past_due", "days past due at month end", maximum=36500),
        _received(),
    ),
)

FINANCIALS = Source(
    name="financials",
    origin="annual reports to market supervision",
    grain="year",
    description="Annual report figures; due by 30 June of the following year.",
    key=("uscc", "period"),
    date_column="period",
    period_end=True,
    lag_days=181,
    received_column="received_date",
    columns=(
        _uscc(),
        _period("year"),
        _amount("total_assets", "total assets at year end", nullable=True),
        _amount("total_liabilities", "total liabilities at year end", nullable=True),
        _amount("revenue", "revenue of the year", nullable=True),
        _received(),
    ),
)

VISIT_LIST = Source(
    name="visit_list",
    origin="the financing coordination mechanism",
    grain="entity",
    description="The entities to scan, each assigned to one bank and branch ('1+1').",
    key=("uscc",),
    date_column=None,
    lag_days=0,
    entity_table=True,
    columns=(
        _uscc(),
        Column(name="region", dtype="string", pattern=r"^[1-8][0-9]{5}$", description="county-level division code"),
        Column(name="town", dtype="string", pattern=r"^[1-8][0-9]{8}$", description="9-digit township code"),
        Column(name="bank_id", dtype="string", description="bank assigned to visit"),
        Column(name="branch_id", dtype="string", description="branch assigned to visit"),
    ),
)

SOURCES: tuple[Source, ...] = (
    REGISTRY,
    ABNORMAL,
    TAX,
    SOCIAL_INSURANCE,
    PROVIDENT_FUND,
    UTILITIES,
    CUSTOMS,
    JUDICIAL,
    PENALTIES,
    HONORS,
    CREDIT,
    FINANCIALS,
    VISIT_LIST,
)
CONTRACT: dict[str, Source] = {s.name: s for s in SOURCES}
"""Every source by name: the registry every stage dispatches through."""


def source(name: str) -> Source:
    """Look a source up by name, naming the known ones when it is not declared."""
    try:
        return CONTRACT[name]
    except KeyError:
        raise KeyError(f"no source named {name!r}; the contract declares {', '.join(CONTRACT)}") from None


@dataclass(frozen=True, kw_only=True)
class Reason:
    """A quarantine reason: a stable code, what it means, and what the data owner can do."""

    code: str
    meaning: str
    fix: str


REASONS: tuple[Reason, ...] = (
    Reason(code="invalid_uscc", meaning="the code fails GB 32100-2015 (length, alphabet or check character)", fix="correct the code at the source system"),
    Reason(code="missing_value", meaning="a required value is empty", fix="fill the value or drop the record at the source"),
    Reason(code="bad_type", meaning="the value cannot be read as the declared type (number, integer)", fix="export numbers without units or separators"),
    Reason(code="bad_date", meaning="the value is not a date in any accepted format", fix="export dates as YYYY-MM-DD"),
    Reason(code="bad_format", meaning="the value does not match the declared pattern", fix="use the coding standard named in the contract"),
    Reason(code="unknown_category", meaning="the value is not one of the declared categories", fix="map the value to a contract category"),
    Reason(code="negative_value", meaning="an amount or count is negative", fix="export reversals as separate records, amounts as non-negative"),
    Reason(code="date_out_of_window", meaning="the date lies outside the history window", fix="check the date; the window is in the quality report"),
    Reason(code="impossible_value", meaning="the value is beyond what is possible (too large, dates out of order)", fix="check the record at the source"),
    Reason(code="unknown_entity", meaning="the code is valid but no registry row carries it", fix="check the registry export is complete"),
    Reason(code="duplicate_row", meaning="the same record appears more than once; the first is kept", fix="deduplicate the export"),
    Reason(code="duplicate_key", meaning="another record has the same key; the one received last (then the later row) is kept", fix="send one record per key"),
)
REASON_CODES: tuple[str, ...] = tuple(r.code for r in REASONS)
