"""The quality report's pieces: reasons ranked, totals reconciled."""

from __future__ import annotations

from whitelist.sources.quality import SourceReport, totals


def test_top_reason_is_the_most_frequent_then_the_earliest() -> None:
    report = SourceReport(
        name="tax", present=True, by_reason=(("missing_value", 3), ("negative_value", 3), ("bad_type", 1))
    )
    assert report.top_reason == "missing_value"
    assert SourceReport(name="tax", present=True).top_reason is None


def test_totals_add_up_and_name_missing_sources() -> None:
    reports = (
        SourceReport(
            name="registry",
            present=True,
            rows_read=10,
            rows_valid=9,
            rows_quarantined=1,
            by_reason=(("invalid_uscc", 1),),
        ),
        SourceReport(
            name="tax",
            present=True,
            rows_read=5,
            rows_valid=3,
            rows_quarantined=2,
            by_reason=(("invalid_uscc", 2),),
            fields_cleared=2,
            cleared_by_reason=(("unknown_category", 1), ("negative_value", 1)),
            late_arrivals=1,
        ),
        SourceReport(name="customs", present=False),
    )
    assert totals(reports) == {
        "rows_read": 15,
        "rows_valid": 12,
        "rows_quarantined": 3,
        "quarantined_by_reason": {"invalid_uscc": 3},
        "fields_cleared": 2,
        "cleared_by_reason": {"unknown_category": 1, "negative_value": 1},
        "late_arrivals": 1,
        "sources_present": ["registry", "tax"],
        "sources_missing": ["customs"],
    }
