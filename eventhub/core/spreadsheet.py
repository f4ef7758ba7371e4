"""The one place that writes values into XLSX cells, for every export (registrations,
indicators): text stored as text, never run as a formula, and cleaned of the control
characters that make a workbook invalid (they arrive pasted from word processors)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet


def xlsx_text(text: str) -> str:
    """Text without the control characters XLSX cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def write_cell(
    sheet: Worksheet, row: int, column: int, value: Any, number_format: str | None = None
) -> Cell:
    """Put ``value`` in a cell: numbers and dates as they are (aware datetimes as the wall
    clock time they carry), anything else as cleaned text that is never a formula."""
    cell = sheet.cell(row=row, column=column)
    if value is None or isinstance(value, bool | int | float):
        cell.value = value
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None, microsecond=0)
    elif isinstance(value, date):
        cell.value = value
    else:
        cell.value = xlsx_text(str(value))
        cell.data_type = "s"  # "=..." stays text, not a formula
    if number_format is not None and value is not None:
        cell.number_format = number_format
    return cell


def sheet_title(title: str, used: set[str] | None = None) -> str:
    """A valid, unique (case-insensitively, within ``used``) worksheet title."""
    cleaned = xlsx_text(title)
    for char in "[]:*?/\\":
        cleaned = cleaned.replace(char, " ")
    base = cleaned.strip().strip("'")[:31] or "Sheet1"
    if used is None:
        return base
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate
