"""The report as an Excel workbook (XlsxWriter).

One sheet per report table (named after its section), each with a bold
header row, number formats, an autofilter, a frozen header and column
widths fitted to the content; a ``contents`` sheet first, and the full long
summary of the reported run in ``summary_long``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from leptomarket import __version__

if TYPE_CHECKING:
    from leptomarket.report.build import ReportData, ReportTable, Section

#: Report format kind -> Excel number format.
NUMBER_FORMATS = {
    "int": "#,##0",
    "dec1": "#,##0.0",
    "dec2": "#,##0.00",
    "pct": "0.0%",
    "year": "0",
}
MAX_WIDTH = 60
SUMMARY_SHEET = "summary_long"


class _Formats:
    """Cell formats of one workbook, created once."""

    def __init__(self, book: Workbook) -> None:
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.link = book.add_format({"font_color": "#0563C1", "underline": 1})
        self.number = {
            kind: book.add_format({"num_format": f}) for kind, f in NUMBER_FORMATS.items()
        }

    def of(self, kind: str) -> Any:
        return self.number.get(kind)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _width(frame: pd.DataFrame, column: str, header: str) -> float:
    sample = frame[column].head(500).map(lambda v: "" if _is_blank(v) else str(v))
    longest = max([len(header), *(len(s) for s in sample)]) if len(sample) else len(header)
    return min(MAX_WIDTH, max(8, longest + 2))


def _write_value(sheet: Worksheet, row: int, col: int, value: object, kind: str, fmt: _Formats):
    if _is_blank(value):
        sheet.write_blank(row, col, None)
    elif kind == "bool" or isinstance(value, bool):
        sheet.write_boolean(row, col, bool(value))
    elif isinstance(value, int | float):
        sheet.write_number(row, col, float(value), fmt.of(kind))
    elif kind == "url" and str(value).startswith(("http://", "https://")) and len(str(value)) < 255:
        sheet.write_url(row, col, str(value), fmt.link, string=str(value))
    else:
        sheet.write_string(row, col, str(value))


def write_table(book: Workbook, table: ReportTable, fmt: _Formats) -> None:
    """One formatted sheet: header in row 1, data below, autofilter and frozen header."""
    sheet = book.add_worksheet(table.sheet)
    columns = table.columns
    frame = table.frame
    for col, column in enumerate(columns):
        header = table.header(column)
        sheet.write_string(0, col, header, fmt.header)
        width = _width(frame, column, header)
        wrap = fmt.wrap if width >= MAX_WIDTH else None
        sheet.set_column(col, col, width, wrap)
    for i in range(len(frame)):
        for col, column in enumerate(columns):
            kind = table.format_of(column, i)
            _write_value(sheet, i + 1, col, frame[column].iloc[i], kind, fmt)
    if columns:
        sheet.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)
    sheet.freeze_panes(1, 0)


def write_summary(book: Workbook, summary: pd.DataFrame, fmt: _Formats) -> None:
    """The full long summary of the reported run (units as stored: cases, patients, USD)."""
    sheet = book.add_worksheet(SUMMARY_SHEET)
    columns = list(summary.columns)
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column, fmt.header)
    numeric = {"mean", "p05", "p50", "p95"}
    for col, column in enumerate(columns):
        values = summary[column].tolist()
        if column in numeric:
            sheet.set_column(col, col, 16, fmt.of("dec1"))
            for row, value in enumerate(values, start=1):
                if _is_blank(value):
                    sheet.write_blank(row, col, None)
                else:
                    sheet.write_number(row, col, float(value))
        elif column == "year":
            sheet.set_column(col, col, 8)
            sheet.write_column(1, col, [int(v) for v in values])
        else:
            sheet.set_column(col, col, 22 if column in {"metric", "key"} else 12)
            sheet.write_column(1, col, [str(v) for v in values])
    sheet.autofilter(0, 0, max(len(summary), 1), len(columns) - 1)
    sheet.freeze_panes(1, 0)


def write_contents(
    book: Workbook, sections: list[Section], data: ReportData, fmt: _Formats
) -> None:
    """First sheet: title, run facts and the list of sheets."""
    sheet = book.add_worksheet("contents")
    record = data.record
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 70)
    sheet.set_column(2, 2, 60)
    sheet.write_string(0, 0, f"{data.knowledge.indication.title}: market report", fmt.title)
    facts = [
        ("Scenario", record.scenario),
        ("Draws", f"{record.n_draws:,} ({record.method}, seed {record.seed})"),
        ("Run id", record.run_id),
        ("Inputs hash", record.inputs_hash),
        ("Built", f"{data.created_at:%Y-%m-%d %H:%M} UTC, leptomarket {__version__}"),
        ("Units", "Money in USD millions per year unless stated (summary_long: USD per year)"),
        ("Intervals", "5th–95th percentiles of the Monte Carlo draws"),
    ]
    for row, (label, value) in enumerate(facts, start=2):
        sheet.write_string(row, 0, label, fmt.header)
        sheet.write_string(row, 1, value)
    start = len(facts) + 3
    for col, header in enumerate(("Sheet", "Table", "Section")):
        sheet.write_string(start, col, header, fmt.header)
    row = start + 1
    for section in sections:
        for table in section.tables:
            sheet.write_url(row, 0, f"internal:'{table.sheet}'!A1", string=table.sheet)
            sheet.write_string(row, 1, table.title)
            sheet.write_string(row, 2, section.title)
            row += 1
    sheet.write_url(row, 0, f"internal:'{SUMMARY_SHEET}'!A1", string=SUMMARY_SHEET)
    sheet.write_string(row, 1, "Full long summary of the reported run (USD, cases per year)")
    sheet.write_string(row, 2, "Data")


def write_workbook(path: str | Path, sections: list[Section], data: ReportData) -> Path:
    """Write the workbook to ``path`` and return its absolute path."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    try:
        fmt = _Formats(book)
        write_contents(book, sections, data, fmt)
        for section in sections:
            for table in section.tables:
                write_table(book, table, fmt)
        write_summary(book, data.summary, fmt)
    finally:
        book.close()
    return path
