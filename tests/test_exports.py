"""The one CSV/XLSX writer (eventhub.web.exports), read back by csv and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from eventhub.web.exports import MONTH, Sheet, to_csv, to_xlsx


def _sheet() -> Sheet:
    sheet = Sheet(
        "people",
        "People: [all]",
        ["Name", "When", "Month", "Count"],
        [
            ['=HYPERLINK("http://x")', datetime(2026, 11, 26, 18, 5), date(2026, 11, 1), 3],
            ["Bell\x07 and\x1b escape", None, date(2026, 12, 1), 0],
        ],
    )
    sheet.formats[2] = MONTH
    return sheet


def test_csv_guards_formulas_and_keeps_dates_readable():
    data = to_csv(_sheet())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "When", "Month", "Count"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "2026-11-26 18:05", "2026-11", "3"]
    assert rows[2][1] == ""


def test_xlsx_stores_text_as_text_and_drops_control_characters():
    book = load_workbook(io.BytesIO(to_xlsx([_sheet(), _sheet()])))
    first, second = book.worksheets
    assert second.title != first.title  # sheet names stay unique
    assert ":" not in first.title and "[" not in first.title
    assert first["A2"].data_type == "s" and first["A2"].value.startswith("=HYPERLINK")
    assert first["A3"].value == "Bell and escape"
    assert first["B2"].value == datetime(2026, 11, 26, 18, 5)
    assert first["C2"].number_format == MONTH
    assert first["D2"].value == 3
    assert first.freeze_panes == "A2"
    assert first["A1"].font.bold
