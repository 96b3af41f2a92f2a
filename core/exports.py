"""Tabular exports that never execute anything when opened in a spreadsheet.

Names of quartiers and communes come from outside files: a cell ``=HYPERLINK(…)``, ``+1``, ``-1+1`` or
``@SUM(1)`` would be run as a formula by Excel, LibreOffice or Google Sheets (CSV/formula injection).
Every tabular export goes through this module:

* delimited text (CSV): :func:`neutralise` puts an apostrophe before such a text, the convention every
  spreadsheet understands ("this is text"), and :func:`neutralise_frame` applies it to a whole table,
  headers included. It also writes a carriage return inside a text as a line feed: Python's CSV writer
  quotes a field holding a line feed, but not one holding a lone carriage return when lines end with
  ``\n``, and a reader would then start a new row there (``"abc\r=1+1"`` → a row starting ``=1+1``);
* XLSX: :func:`set_cell` writes a text as a text cell, never as a formula; a text that would read as a
  formula also gets Excel's "quote prefix" style, so that editing the cell keeps it text. Control
  characters that XML forbids (``\x00``-``\x08``, ``\x0b``, ``\x0c``, ``\x0e``-``\x1f``) become
  spaces: openpyxl refuses them and the whole workbook would fail.

Numbers are never touched: ``-1.5`` stored as a number stays a number.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters that an XML document (XLSX) cannot hold.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_formula_like(value: object) -> bool:
    """True for a text that a spreadsheet would read as a formula (numbers never are)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """``=SOMME(A1)`` → ``'=SOMME(A1)``; numbers and harmless texts are returned unchanged."""
    if is_formula_like(value):
        return "'" + str(value)
    return value


def _delimited(value: object) -> object:
    """One text cell of a delimited file: neutralised, carriage returns written as line feeds."""
    value = neutralise(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are safe in a delimited file (numbers untouched)."""
    safe = frame.copy()
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        safe.isetitem(position, column.map(_delimited).astype(object))
    safe.columns = [_delimited(str(c)) for c in safe.columns]
    return safe


def xml_safe(text: str) -> str:
    """``text`` without the control characters that XML cannot hold (each becomes a space)."""
    return _NOT_XML.sub(" ", text)


def set_cell(cell: Any, value: object) -> Any:
    """Write ``value`` into an openpyxl cell: numbers as numbers, every text as a text cell, never a formula.

    openpyxl turns any text starting with ``=`` into a formula; here the type is forced back to text.
    Texts starting like a formula (``= + - @``, tab, carriage return) also get the quote-prefix style,
    what Excel itself stores when a person types ``'=…``.
    """
    if isinstance(value, str):
        value = xml_safe(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def write_cell(ws: Any, row: int, column: int, value: object) -> Any:
    """``ws.cell(row, column)`` with ``value`` written by :func:`set_cell`; returns the cell."""
    return set_cell(ws.cell(row=row, column=column), value)
