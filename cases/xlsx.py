"""Rows for the workbooks the system writes (openpyxl) whose text stays text.

openpyxl stores any text that begins with "=" as a formula. Names, addresses, bank names,
notes and conclusions are typed by people, so a value such as `=HYPERLINK("http://…")` in the
bank's payment roster or a verification report would be evaluated by the spreadsheet that
opens it (formula injection). `text_row` turns such values into cells of type text, shown
exactly as typed; every other value is left as it is (numbers stay numbers).
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


def text_row(ws, row: Iterable) -> list:
    """`row` for `ws.append`, with every string that starts with "=" as a text cell."""
    return [_text_cell(ws, value) if isinstance(value, str) and value.startswith("=")
            else value for value in row]


def _text_cell(ws, value: str):
    cell = WriteOnlyCell(ws, value=value) if isinstance(ws, WriteOnlyWorksheet) else \
        Cell(ws, value=value)
    cell.data_type = "s"
    return cell
