"""Reading the users' own data files (issue #13): a CSV or XLSX keyed by QPV code.

DSU teams hold figures that no open source has (a housing provider's unpaid energy bills, the CCAS's
energy-aid requests, a tree survey, field counts). Their files are the ones people really have: made
in Excel on Windows, exported by a business application, copied from a PDF. This module turns such a
file into a tidy frame ``code_qp, valeur, raison`` or refuses it with a French sentence naming the
row and the column, so that the person can fix the file without help.

Principles, in the order they matter:

* **Nothing in a file is ever executed.** Formulas are read as the value Excel cached
  (``data_only=True``) or refused when there is none; macros and old binary formats are refused; the
  ZIP directory of an XLSX is checked before openpyxl opens it (ZIP bombs).
* **No silent loss.** A cell that is not a number is refused with its position, a row set aside is
  said in ``warnings``, a missing value keeps its reason (``secret_statistique`` / ``non_renseigne``),
  never a zero.
* **Standard readers with explicit options**: ``pandas.read_csv`` and ``openpyxl.load_workbook`` do
  the parsing, ``charset_normalizer`` finds the encoding; this module only decides *what* to read.

Dependencies: the standard library, pandas, openpyxl, charset-normalizer. Modules: ``containers`` (bytes to a
grid of cells), ``layout`` (where the table is, which column), ``values`` (numbers, missing values, codes),
``common`` (limits, the refusal, the table, helpers).
"""

from __future__ import annotations

from sources.local_files.common import (
    MAX_BYTES, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MISSING_REASONS, Grid, LocalDataError, LocalTable, column_letter,
)
from sources.local_files.containers import (
    check_size, is_zip, read_text, read_xlsx, refuse_binary_signature, refuse_by_extension,
)
from sources.local_files.layout import (
    check_alignment, check_cells, choose_value_column, ignored_notes, locate_table, refuse_uncached, split_rows,
)
from sources.local_files.values import (
    check_known, deduplicate, parse_column, records_frame, refuse_without_values, split_generation,
)

__all__ = [
    "MAX_BYTES", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_ROWS", "MISSING_REASONS",
    "LocalDataError", "LocalTable", "read_local_table",
]


def read_local_table(data: bytes, filename: str, *, known_2024: set[str] | frozenset[str],
                     known_2015: set[str] | frozenset[str], value_column: str | None = None,
                     code_column: str | None = None) -> LocalTable:
    """Read a user's CSV or XLSX keyed by QPV code; raise :class:`LocalDataError` for what must be refused.

    ``known_2024`` / ``known_2015`` are the codes the application knows; an empty set means "not
    checked" (said in the summary). ``value_column`` and ``code_column`` choose a column by header or
    by letter (``"C"``) when the file has several candidates.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes")
    data = bytes(data)
    filename = str(filename or "fichier")
    check_size(data)
    refuse_by_extension(filename)
    if is_zip(data):
        grid = read_xlsx(data)
    else:
        refuse_binary_signature(data)
        grid = read_text(data)
    return build_table(grid, filename, known_2024=set(known_2024), known_2015=set(known_2015),
                        value_column=value_column, code_column=code_column)

def build_table(grid: Grid, filename: str, *, known_2024: set[str], known_2015: set[str],
                 value_column: str | None, code_column: str | None) -> LocalTable:
    """Interpret the grid: locate the table, choose the columns, parse values, check codes."""
    check_cells(grid)
    layout = locate_table(grid, code_column)
    notes = list(grid.notes)
    if grid.file_format == "csv":
        check_alignment(grid, layout)
    data_rows, ignored = split_rows(grid, layout)
    refuse_uncached(grid, layout, data_rows, layout.code_col)
    value_col = choose_value_column(grid, layout, data_rows, value_column)
    refuse_uncached(grid, layout, data_rows, value_col)
    parsed, units, unit_notes = parse_column(grid, layout, data_rows, value_col)
    notes.extend(unit_notes)
    notes.extend(ignored_notes(ignored))
    records, dup_notes = deduplicate(grid, layout, value_col, parsed)
    notes.extend(dup_notes)
    generation, records, other, other_notes = split_generation(records)
    notes.extend(other_notes)
    records, unknown, checked, unknown_notes = check_known(records, generation, known_2024, known_2015)
    notes.extend(unknown_notes)
    frame = records_frame(records)
    refuse_without_values(frame, grid, layout, value_col)
    return LocalTable(
        frame=frame, filename=filename, generation=generation,
        code_column=layout.name(layout.code_col), code_column_letter=column_letter(layout.code_col),
        value_column=layout.name(value_col), value_column_letter=column_letter(value_col),
        unit_hints=tuple(units), file_format=grid.file_format, encoding=grid.encoding,
        separator=grid.separator, sheet=grid.sheet,
        header_row=None if layout.header_row is None else layout.header_row + 1,
        warnings=tuple(notes), unknown_codes=tuple(unknown), other_generation_codes=tuple(other),
        codes_checked=checked, rows_read=len(data_rows),
    )
