"""The one CSV/XLSX writer: organisers' registration lists and the indicator reports.

What every download gets, whoever asks:
- text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
  return first) is prefixed with an apostrophe in CSV and stored as text in XLSX;
- control characters, which make an XLSX file that Excel refuses, are removed from XLSX text;
- numbers stay numbers and dates stay dates (real cell types in XLSX, ISO text in CSV; a
  ``datetime`` is already in the event's timezone and is written to the minute);
- CSV is UTF-8 with a byte order mark (spreadsheet applications then read the letters
  right), comma separated, CRLF line ends;
- XLSX sheets have a bold, frozen header row and an auto filter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

MONTH = "yyyy-mm"
DAY = "yyyy-mm-dd"
MINUTE = "yyyy-mm-dd hh:mm"
PERCENT = "0.0%"

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    """One table: a sheet of an XLSX workbook, or one CSV file."""

    key: str  # used in URLs: ?sheet=<key>
    title: str  # the sheet's name (Excel allows 31 characters)
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    formats: dict[int, str] = field(default_factory=dict)  # column index -> number format
    cell_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column)


def _plain(value: Any) -> Any:
    """Numbers, dates and None as they are; anything else (lazy translations) as text."""
    if value is None or isinstance(value, int | float | date | str):
        return value
    return str(value)


def _csv_value(value: Any, fmt: str | None) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m") if fmt == MONTH else value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_value(h, None) for h in sheet.header])
    for row in sheet.rows:
        writer.writerow([_csv_value(v, sheet.formats.get(i)) for i, v in enumerate(row)])
    return out.getvalue().encode("utf-8-sig")


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters make an invalid file


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in sheets:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        for col, header in enumerate(table.header, start=1):
            cell = sheet.cell(row=1, column=col, value=_text(str(header)))
            cell.data_type = "s"
            cell.font = bold
        for row_no, values in enumerate(table.rows, start=2):
            for col, raw in enumerate(values, start=1):
                value = _plain(raw)
                fmt = table.cell_formats.get((row_no - 2, col - 1)) or table.formats.get(col - 1)
                if isinstance(value, datetime):
                    cell = sheet.cell(
                        row=row_no, column=col, value=value.replace(tzinfo=None, microsecond=0)
                    )
                    cell.number_format = MINUTE
                elif isinstance(value, date):
                    cell = sheet.cell(row=row_no, column=col, value=value)
                    cell.number_format = fmt if fmt == MONTH else DAY
                elif isinstance(value, str):
                    cell = sheet.cell(row=row_no, column=col, value=_text(value))
                    cell.data_type = "s"  # "=..." stays text, not a formula
                else:
                    cell = sheet.cell(row=row_no, column=col, value=value)
                    if fmt and isinstance(value, int | float):
                        cell.number_format = fmt
        for col, header in enumerate(table.header, start=1):
            longest = max(
                [len(str(header))]
                + [
                    len(str(r[col - 1]))
                    for r in table.rows[:200]
                    if col - 1 < len(r) and r[col - 1]
                ]
            )
            sheet.column_dimensions[get_column_letter(col)].width = min(max(longest, 8) + 2, 60)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    """A name Excel accepts (no []:*?/\\, at most 31 characters, not quoted), unique in the
    workbook."""
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    base = title.strip().strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def safe_name(text: str) -> str:
    """``text`` as part of a download's file name: letters, digits, ``-``, ``_`` and ``.``."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def xlsx_download(sheets: Sequence[Sheet], filename: str) -> Response:
    """The sheets as one XLSX workbook to download as ``filename``.xlsx."""
    return _download(to_xlsx(sheets), XLSX_TYPE, f"{filename}.xlsx")


def csv_download(sheet: Sheet, filename: str) -> Response:
    """One sheet as a CSV file to download as ``filename``.csv."""
    return _download(to_csv(sheet), CSV_TYPE, f"{filename}.csv")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    """An attachment; what organisers download may name people, so no cache keeps it."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
