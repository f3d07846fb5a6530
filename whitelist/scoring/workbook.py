"""A minimal XLSX (Office Open XML) workbook: what the branch extracts need, fast and byte-stable.

xlsxwriter builds every cell through several Python calls. A branch extract is thousands of
rows of cells that are already formatted, so extracts.py renders the rows as XML in bulk with
Arrow's string kernels, and this module only wraps them: the styles, the sheet around the rows,
the workbook, the zip. Text cells are inline strings (no shared-string table) and every cell
carries its reference. Every zip entry has the fixed 1980-01-01 time and the creation date is
the caller's, so equal rows give equal bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

HEADER_STYLE, MONEY_STYLE, PERCENT_STYLE, DATE_STYLE = 1, 2, 3, 4
"""Cell style ids (``s=``) of styles.xml below; 0 is the default."""
NUMBER_FORMATS = {MONEY_STYLE: "#,##0", PERCENT_STYLE: "0.00%", DATE_STYLE: "yyyy-mm-dd"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel's date serials (1900 system, with its leap-year quirk already folded in)."""

TEXT_CELL = ' t="inlineStr"><is><t xml:space="preserve">'
"""What follows a text cell's reference and style up to its text, which ends with ``TEXT_END``."""
TEXT_END = "</t></is></c>"
UNSAFE_TEXT = r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]|_x[0-9A-Fa-f]{4}_"
"""Text needing Excel's ``_xHHHH_`` escapes (RE2 syntax, for Arrow): XML 1.0 has no control
characters but tab and newline (a carriage return would be normalised away), and a literal
``_xHHHH_`` must itself be escaped to survive."""
CELL_CHARS = 32_767
"""Excel's limit on a cell's text; a longer text makes Excel report the workbook as damaged."""
TRUNCATED = "…[截断 truncated]"
"""Ends a text cut to ``CELL_CHARS``, so a reader knows it is not whole (the CSV extract keeps it whole)."""


def fit_cell(text: str) -> str:
    """``text`` within Excel's cell limit: cut, with the marker, when longer."""
    if len(text) <= CELL_CHARS:
        return text
    return text[: CELL_CHARS - len(TRUNCATED)] + TRUNCATED


_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")


def escape_text(text: str) -> str:
    """Text as the content of an XML element, in Excel's escapes for what XML cannot hold."""
    text = _LITERAL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), escape(text))
    return _UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def text_cell(col: int, row: int, text: str, style: int = 0) -> str:
    styled = f' s="{style}"' if style else ""
    return f'<c r="{column_letter(col)}{row}"{styled}{TEXT_CELL}{escape_text(fit_cell(text))}{TEXT_END}'


def number_cell(col: int, row: int, value: int | float, style: int = 0) -> str:
    styled = f' s="{style}"' if style else ""
    return f'<c r="{column_letter(col)}{row}"{styled}><v>{value!r}</v></c>'


def row_xml(row: int, cells: Sequence[str]) -> str:
    return f'<row r="{row}">{"".join(cells)}</row>'


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, its ``<row>`` elements as UTF-8 bytes, its size and column widths."""

    name: str
    rows: bytes
    n_rows: int
    n_cols: int
    widths: Sequence[float]
    frozen_header: bool = False
    autofilter: bool = False

    @property
    def extent(self) -> str:
        return f"A1:{column_letter(max(self.n_cols, 1) - 1)}{max(self.n_rows, 1)}"


def _sheet_xml(sheet: Sheet, selected: bool) -> bytes:
    tab = ' tabSelected="1"' if selected else ""
    if sheet.frozen_header:
        view = (f'<sheetView{tab} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>')
    else:
        view = f'<sheetView{tab} workbookViewId="0"/>'
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(sheet.widths, start=1)
    )
    head = (f'{XML_HEAD}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="{sheet.extent}"/>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'{f"<cols>{cols}</cols>" if cols else ""}<sheetData>')
    tail = "</sheetData>"
    if sheet.autofilter:
        tail += f'<autoFilter ref="{sheet.extent}"/>'
    tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    return b"".join((head.encode(), sheet.rows, tail.encode()))


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook_xml(sheets: Sequence[Sheet]) -> str:
    listed = "".join(
        f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted_sheet(s.name))}!{_absolute(s.extent)}</definedName>"
        for i, s in enumerate(sheets)
        if s.autofilter
    )
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return (f'{XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{listed}</sheets>{defined}</workbook>")


def _absolute(extent: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in extent.split(":"))


def _styles_xml() -> str:
    formats = "".join(f'<numFmt numFmtId="{163 + s}" formatCode="{escape(code)}"/>' for s, code in
                      sorted(NUMBER_FORMATS.items()))
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    thin = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>' \
           '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
    numbered = "".join(
        f'<xf numFmtId="{163 + s}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for s in sorted(NUMBER_FORMATS)
    )
    return (
        f'{XML_HEAD}<styleSheet xmlns="{MAIN_NS}"><numFmts count="{len(NUMBER_FORMATS)}">{formats}</numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
        "</patternFill></fill></fills>"
        f'<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>{thin}</border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{2 + len(NUMBER_FORMATS)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
        f"{numbered}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )


def _content_types(n_sheets: int) -> str:
    ct = "application/vnd.openxmlformats-officedocument"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n_sheets + 1)
    )
    return (
        f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>{sheets}'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/></Types>'
    )


def _relationships(targets: Sequence[tuple[str, str]]) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                   for i, (kind, target) in enumerate(targets, start=1))
    return f'{XML_HEAD}<Relationships xmlns="{PKG_REL_NS}">{rels}</Relationships>'


def _core(title: str, author: str, created: dt.datetime) -> str:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape_text(title)}</dc:title><dc:creator>{escape_text(author)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
    )


def workbook_bytes(
    sheets: Sequence[Sheet], *, title: str, author: str, created: dt.datetime, compresslevel: int = 1
) -> bytes:
    """The .xlsx file of ``sheets`` (the first one selected), every entry stamped 1980-01-01.

    Level 1 deflate: at 200,000 enterprises the workbooks are 15 MB instead of 13 MB at level 6,
    written in 2.8 s instead of 4.3 s.
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts: list[tuple[str, str | bytes]] = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", _relationships([
            (f"{office}/officeDocument", "xl/workbook.xml"),
            ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
             "docProps/core.xml"),
            (f"{office}/extended-properties", "docProps/app.xml"),
        ])),
        ("docProps/app.xml", f'{XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                             f'extended-properties"><Application>{escape_text(author)}</Application></Properties>'),
        ("docProps/core.xml", _core(title, author, created)),
        ("xl/workbook.xml", _workbook_xml(sheets)),
        ("xl/_rels/workbook.xml.rels", _relationships([
            *((f"{office}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, len(sheets) + 1)),
            (f"{office}/styles", "styles.xml"),
        ])),
        ("xl/styles.xml", _styles_xml()),
        *((f"xl/worksheets/sheet{i}.xml", _sheet_xml(s, i == 1)) for i, s in enumerate(sheets, start=1)),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data, compresslevel=compresslevel)
    return buffer.getvalue()
