"""Render ``docs/data-contract.md`` from the contract, so the page never drifts from the code.

    python -m whitelist.sources.contract_doc docs/data-contract.md

A test compares the page with ``render()`` and fails, naming this command, when they differ.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from whitelist.core.io import write_text
from whitelist.core.uscc import ALPHABET
from whitelist.sources.contract import MIN_DATE, REASONS, SOURCES, Column, Source
from whitelist.sources.load import ENCODINGS, REQUIRED_SOURCES, SUFFIXES
from whitelist.sources.parse import DATE_FORMATS, MISSING_TOKENS, SQL_TYPES, TIMEZONE
from whitelist.sources.window import MIN_SHARE, MONTHLY_GRAINS

_EXAMPLE = datetime(2024, 3, 31, 8, 0, 0)
COMMAND = "python -m whitelist.sources.contract_doc docs/data-contract.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(x: float) -> str:
    return f"{x:g}"


def _rule(col: Column) -> str:
    rules = []
    if col.dtype == "uscc":
        rules.append("GB 32100-2015: 18 characters, check character")
    if col.minimum is not None and col.maximum is not None:
        rules.append(f"{_num(col.minimum)} to {_num(col.maximum)}")
    elif col.minimum is not None:
        rules.append(f"at least {_num(col.minimum)}")
    elif col.maximum is not None:
        rules.append(f"at most {_num(col.maximum)}")
    if col.categories:
        rules.append("one of " + ", ".join(f"`{c}`" for c in col.categories))
    if col.pattern:
        rules.append(f"matches `{col.pattern}`")
    if col.not_before:
        rules.append(f"not before `{col.not_before}`")
    return "; ".join(rules)


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _source_section(src: Source) -> list[str]:
    facts = [
        f"- origin: {src.origin}",
        f"- grain: {src.grain}; key: {', '.join(f'`{k}`' for k in src.key)}",
        f"- date column: {f'`{src.date_column}`' if src.date_column else 'none'}"
        + (" (period ends)" if src.period_end else ""),
        f"- availability lag: {src.lag_days} day{'' if src.lag_days == 1 else 's'}"
        + (f"; received date in `{src.received_column}`" if src.received_column else ""),
        f"- file: `{src.name}.parquet` or `{src.name}.csv`"
        + (" (required)" if src.name in REQUIRED_SOURCES else " (optional)"),
    ]
    rows = [
        "| column | type | required | may be empty | rule | unit | PII | description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for col in src.columns:
        rows.append(
            "| "
            + " | ".join(
                [
                    f"`{col.name}`",
                    f"{col.dtype} ({SQL_TYPES[col.dtype]})",
                    _yes(col.required),
                    "yes, cleared if bad" if src.clears(col.name) else _yes(col.nullable),
                    _cell(_rule(col)),
                    col.unit or "",
                    _yes(col.pii),
                    _cell(col.description),
                ]
            )
            + " |"
        )
    return [f"### {src.name}", "", src.description, "", *facts, "", *rows, ""]


def render() -> str:
    """The whole page, as Markdown."""
    lines = [
        "<!-- Generated from whitelist/sources/contract.py; do not edit. Regenerate with:",
        f"     {COMMAND} -->",
        "",
        "# The data contract",
        "",
        "Every government source the engine reads, declared once in `whitelist/sources/contract.py`.",
        "`whitelist validate --raw DIR --out DIR` checks a folder of sources against it: valid rows go",
        "to `OUT/<source>.parquet` with the declared types (same layout as the raw folder, so every later",
        "stage reads either), rejected rows to `OUT/quarantine/<source>.parquet` with the reason, and",
        "`OUT/quality.json` reports each source (rows read = valid + quarantined).",
        "",
        "## Folder layout",
        "",
        f"One file per source, named after it: `<source>{'` or `<source>'.join(SUFFIXES)}`. "
        f"Required: {', '.join(f'`{s}`' for s in REQUIRED_SOURCES)}; "
        "a missing optional source is reported as missing.",
        "A file must hold the source's required columns (names match ignoring case and spaces);",
        "other columns are ignored and listed in the report. CSV encoding is detected "
        f"({' then '.join(ENCODINGS)}) or given with `--encoding` (utf-8, utf-8-sig, gb18030 or gbk, the",
        "encodings government exports use; any other, UTF-16 included, is refused).",
        "",
        "| source | origin | grain | key | date column | lag (days) |",
        "|---|---|---|---|---|---|",
    ]
    for src in SOURCES:
        lines.append(
            f"| [{src.name}](#{src.name}) | {src.origin} | {src.grain} | "
            f"{', '.join(src.key)} | {src.date_column or ''} | {src.lag_days} |"
        )
    lines += [
        "",
        "## Reading raw values",
        "",
        "- Text is trimmed (spaces, tabs, line breaks, the full-width space); "
        + "an empty cell or one of "
        + ", ".join(f"`{t}`" for t in MISSING_TOKENS if t)
        + " is empty.",
        "- Dates: `2024-03-31`, `2024/3/31`, timestamps such as `2024-03-31 08:00:00` "
        "(time zones read in "
        + TIMEZONE
        + "), and "
        + ", ".join(f"`{_EXAMPLE.strftime(f)}`" for f in DATE_FORMATS)
        + ".",
        "- A period column (period ends) given as any day of a month means that month's last day.",
        "- Numbers: plain decimals or exponents, no thousands separators or units; an integer column",
        "  accepts `3.0` but not `3.5`. NaN is empty; infinities are not numbers.",
        f"- USCC: 18 characters of `{ALPHABET}` with the GB 32100-2015 check character.",
        "",
        "## History window",
        "",
        f"From {MIN_DATE} to the window end: `--end`, or else the latest month end whose row count in",
        f"the {' and '.join(MONTHLY_GRAINS)} sources reaches {MIN_SHARE:.0%} of the median month's.",
        "A source's date column must lie in the window; its other dates must not precede the start.",
        "Valid rows received later than their period plus the source's lag count as late arrivals.",
        "",
        "## Quarantine",
        "",
        "A row is quarantined for the first check it fails, reason by reason in the order below and",
        "column by column in contract order. Duplicates are looked for among the rows passing every",
        "other check. A value the record may lack (a column outside the key that *may be empty*,",
        "marked *cleared if bad* below) does not cost the record: a defect there clears the value (it becomes missing,",
        "as if the source had not sent it) and keeps the row, so one negative capital figure never",
        "loses an enterprise. `OUT/quarantine/<source>.parquet` holds one record per rejected row",
        "(`_action` `reject_row`, its first failure) and one per cleared value (`clear_field`), with",
        "`_row` (1-based data row of the input",
        "file: the header is not counted, so in a CSV it is on line `_row + 1`), `_reason`, `_column`,",
        "`_detail`, and the row's original values as text, personal data (columns marked PII) masked",
        "but for its first character. `quality.json` counts rejected rows (`rows_quarantined`, so read",
        "= valid + quarantined) and cleared values (`fields_cleared`) apart. A CSV line with the",
        "wrong number of fields is `bad_format` on column `*` with its `_row` (later rows keep their own",
        "numbers), the line in `_detail` with every field masked but its first character (a valid code",
        "is shown whole).",
        "",
        "| order | reason | meaning | what to do |",
        "|---|---|---|---|",
    ]
    for i, r in enumerate(REASONS, start=1):
        lines.append(f"| {i} | `{r.code}` | {_cell(r.meaning)} | {_cell(r.fix)} |")
    lines += ["", "## Sources", ""]
    for src in SOURCES:
        lines += _source_section(src)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    write_text(Path(args[0] if args else "docs/data-contract.md"), render())


if __name__ == "__main__":
    main()
