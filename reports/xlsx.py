"""XLSX of the annex (openpyxl): a summary sheet, one sheet per domain, a metadata sheet.

Numbers stay numbers: each value cell holds the float and a display format with the unit
(``#,##0.0 "%"``). OOXML stores number formats in an invariant syntax; Excel and LibreOffice show
them with the reader's separators, so a French installation reads ``12,3 %`` and ``1 234 €``. The
unit is a literal (the value 12.3 is not divided by 100). A missing value is the reason in words
(italic), never a zero and never an empty cell that a sum would silently skip without saying so.
Every cell goes through ``core.exports.write_cell``: a text is a text cell, never a formula, whatever
its first character (names of quartiers come from outside files).
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import reasons
from core.exports import write_cell, xml_safe
from indicators.catalogue import DOMAINS
from reports.model import Annex, Table
from reports.wording import territory_title

SUMMARY_SHEET = "Synthèse"
METADATA_SHEET = "Métadonnées"
NBSP = "\u00a0"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_MISSING = Font(italic=True, color="595959")
_NOTE = Font(italic=True, color="404040", size=9)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def number_format(unit: str, decimals: int) -> str:
    """Excel display format: thousands separator, fixed decimals, unit as a literal after a space."""
    if unit == "oui/non":
        return '"oui";"oui";"non"'
    base = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    if not unit:
        return base
    return f'{base}{NBSP}"{unit}"'


def sheet_name(label: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, no ``[]:*?/\\``), cut at « et » when too long."""
    name = re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", label).strip().strip("'").strip()
    if len(name) > 31 and " et " in name:
        name = name.split(" et ")[0]
    name = name[:31].rstrip()
    base, counter = name, 2
    while name in taken:
        suffix = f" ({counter})"
        name = base[: 31 - len(suffix)] + suffix
        counter += 1
    taken.add(name)
    return name


def write_table(ws, table: Table, start_row: int, freeze: bool = False) -> int:
    """Write a content table from ``start_row``; returns the next free row."""
    columns = [(i, c) for i, c in enumerate(table.columns) if c.in_sheet]
    for offset, (_, column) in enumerate(columns, start=1):
        cell = write_cell(ws, start_row, offset, column.label)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP_TOP
    if freeze:
        ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    row_number = start_row + 1
    last_data = None
    for row in table.rows:
        if row.kind == "group":
            label = row.cells[0].text
            if label.startswith("Quartiers "):
                continue  # the generation is a column in the sheet
            row_number += 1  # a blank line before the comparison block
            cell = write_cell(ws, row_number, 1, label)
            cell.font = _BOLD
            cell.fill = _GROUP_FILL
            row_number += 1
            continue
        for offset, (index, column) in enumerate(columns, start=1):
            content = row.cells[index]
            if content.value is not None:
                value = content.value
                if isinstance(value, float) and column.unit != "oui/non":  # the value shown, not its float noise
                    value = round(value, column.decimals)
                cell = write_cell(ws, row_number, offset, value)
                cell.number_format = number_format(column.unit, column.decimals)
            else:
                cell = write_cell(ws, row_number, offset, content.text or None)
                if content.reason:
                    cell.font = _MISSING
            if row.kind == "reference" and offset == 1:
                cell.font = Font(italic=True)
        if row.kind == "data":
            last_data = row_number
        row_number += 1
    if freeze and last_data:
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{last_data}"
    row_number += 1
    for note in table.notes:
        write_cell(ws, row_number, 1, note).font = _NOTE
        row_number += 1
    return row_number + 1


def _widths(ws, table: Table, minimum: int = 9, maximum: int = 45) -> None:
    columns = [c for c in table.columns if c.in_sheet]
    for offset, column in enumerate(columns, start=1):
        longest = max([len(column.label) // 2 + 2] + [
            len(r.cells[table.columns.index(column)].text) + 1 for r in table.rows if r.kind != "group"])
        ws.column_dimensions[get_column_letter(offset)].width = max(minimum, min(maximum, longest))


def _header(ws, annex: Annex, subtitle: str) -> int:
    write_cell(ws, 1, 1, annex.title).font = _TITLE
    write_cell(ws, 2, 1, subtitle).font = _BOLD
    write_cell(ws, 3, 1, f"Territoire : {territory_title(annex.territory)} — produit le "
               f"{annex.generated_on.strftime('%d/%m/%Y')} avec ecoqpv ; données construites le {annex.data_built_on}.")
    return 5


def render(annex: Annex) -> bytes:
    workbook = Workbook()
    taken: set[str] = set()
    summary = workbook.active
    summary.title = sheet_name(SUMMARY_SHEET, taken)
    start = _header(summary, annex, "Quartiers du territoire et scores")
    write_table(summary, annex.summary, start, freeze=True)
    _widths(summary, annex.summary)

    for domain, table in annex.domain_tables.items():
        ws = workbook.create_sheet(sheet_name(DOMAINS[domain].label, taken))
        info = DOMAINS[domain]
        start = _header(ws, annex, f"{info.label} — pilier {info.pillar} : {info.description}")
        write_table(ws, table, start, freeze=True)
        _widths(ws, table)

    meta = workbook.create_sheet(sheet_name(METADATA_SHEET, taken))
    row = _header(meta, annex, "Définitions, sources, millésimes, licences et méthode")
    write_cell(meta, row, 1, "Indicateurs").font = _TITLE
    row = write_table(meta, annex.sources, row + 1)
    write_cell(meta, row, 1, "Méthode : réglages utilisés").font = _TITLE
    row += 1
    for label, value in annex.settings_rows:
        write_cell(meta, row, 1, label).font = _BOLD
        write_cell(meta, row, 2, value)
        row += 1
    row += 1
    write_cell(meta, row, 1, "Valeurs manquantes").font = _TITLE
    row += 1
    for code, label in reasons.LABELS.items():
        write_cell(meta, row, 1, code)
        write_cell(meta, row, 2, label)
        row += 1
    row += 1
    write_cell(meta, row, 1, "Fichiers sources du jeu de données").font = _TITLE
    write_table(meta, annex.files, row + 1)
    _widths(meta, annex.sources, maximum=60)
    for column in ("E", "H", "L", "M"):
        for cell in meta[column]:
            if cell.row > 6:
                cell.alignment = _WRAP_TOP

    workbook.properties.title = xml_safe(annex.title)
    workbook.properties.creator = "ecoqpv"
    workbook.properties.language = "fr-FR"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
