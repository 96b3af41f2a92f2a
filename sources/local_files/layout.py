"""Where the table is in the grid (code column, header above title rows, data rows) and which column holds the
values; every refusal names its row and column."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from core.errors import shown
from sources.local_files.common import (
    CODE_LIKE, IDENTIFIER_WORDS, KIND_SAMPLE, MAX_CELL_CHARS, MAX_COLUMNS, Grid, Layout, LocalDataError, as_code,
    code_text, column_letter, count_fr, fold_text, header_text, is_filled, list_fr,
)
from sources.local_files.containers import long_cell
from sources.local_files.values import cell_kind

def check_cells(grid: Grid) -> None:
    """Column count and cell length limits for XLSX (CSV is checked while scanning, before pandas)."""
    if grid.file_format != "xlsx":
        return
    for r, row in enumerate(grid.rows):
        if len(row) > MAX_COLUMNS:
            first = next(c for c in range(MAX_COLUMNS, len(row)) if is_filled(row[c]))
            raise LocalDataError(
                f"la feuille a des cellules remplies au-delà de la colonne {column_letter(MAX_COLUMNS - 1)} (plus de "
                f"{MAX_COLUMNS} colonnes). Gardez seulement la colonne des codes de QPV et celle des valeurs.",
                row=r + 1, column=column_letter(first), sheet=grid.sheet)
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise LocalDataError(long_cell(len(value)), row=r + 1, column=column_letter(c), sheet=grid.sheet)


def locate_table(grid: Grid, code_column: str | None) -> Layout:
    """Find the code column (the one with most QPV codes), the header above it and where data starts.

    Title rows above the header are common ("Impayés d'énergie 2023 — bailleur X"): the header is found
    by walking up from the first row holding a code (see :func:`_header_for`); data starts right below
    it, so that a total or an uncoded row in between is reported, not silently dropped.
    """
    counts: Counter[int] = Counter()
    first_by_col: dict[int, int] = {}
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if as_code(value):
                counts[c] += 1
                first_by_col.setdefault(c, r)
    if not counts:
        raise _no_code_error(grid)
    if code_column is not None:
        provisional = _header_for(grid, min(first_by_col.values()))
        code_col = _resolve_column(code_column, grid, provisional, "--colonne-code")
        if code_col not in counts:
            raise LocalDataError("la colonne choisie ne contient aucun code de QPV (QN… ou QP…).",
                                 column=column_letter(code_col), column_name=provisional[1].get(code_col), sheet=grid.sheet)
    else:
        code_col = max(counts, key=lambda c: (counts[c], -c))
    first = first_by_col[code_col]
    header_row, names = _header_for(grid, first, code_col)
    if header_row is not None:
        first = header_row + 1  # rows between the header and the first code (totals, uncoded rows) are said
    layout = Layout(first_row=first, code_col=code_col, header_row=header_row, names=names)
    others = [c for c in counts if c != code_col and counts[c] >= max(2, counts[code_col] // 2)]
    if others:
        listed = list_fr([f"{column_letter(c)} (« {shown(layout.name(c), 40)} »)" for c in sorted(others)])
        grid.notes.append(
            f"{'La colonne' if len(others) == 1 else 'Les colonnes'} {listed} "
            f"{'contient' if len(others) == 1 else 'contiennent'} aussi des codes de QPV : seule la colonne "
            f"{column_letter(code_col)} (« {shown(layout.name(code_col), 40)} ») est lue (l'option --colonne-code permet "
            "d'en choisir une autre).")
    return layout


def _header_for(grid: Grid, first: int, code_col: int | None = None) -> tuple[int | None, dict[int, str]]:
    """Header row index above ``first`` and its non-empty names by column.

    Walking up from the first coded row, blank rows, "Total" rows and data rows whose code is missing
    (a number but nothing in the code column) are passed over: the header is the first other row.
    """
    r = first - 1
    while r >= 0 and (not any(is_filled(v) for v in grid.rows[r]) or _is_total_row(grid.rows[r])
                      or _is_uncoded_data_row(grid.rows[r], code_col)):
        r -= 1
    if r < 0:
        return None, {}
    names = {c: header_text(v) for c, v in enumerate(grid.rows[r]) if header_text(v)}
    return r, names


_TOTAL_WORDS = ("total", "sous-total", "sous total", "ensemble", "moyenne", "somme")


def _is_total_row(row: list[Any]) -> bool:
    """A "Total"/"Ensemble" row, sometimes placed between the header and the data."""
    first = next((v for v in row if is_filled(v)), None)
    return isinstance(first, str) and fold_text(first).startswith(_TOTAL_WORDS)


def _is_uncoded_data_row(row: list[Any], code_col: int | None) -> bool:
    """A data row whose code cell is empty: it holds a number somewhere else."""
    if code_col is None or (code_col < len(row) and is_filled(row[code_col])):
        return False
    return any(cell_kind(v) == "number" for c, v in enumerate(row) if c != code_col)


def _no_code_error(grid: Grid) -> LocalDataError:
    """The most useful refusal when no cell is a QPV code: empty, header only, not a table, or no code column."""
    non_blank = [r for r, row in enumerate(grid.rows) if any(is_filled(v) for v in row)]
    where = grid.sheet
    if not non_blank:
        return LocalDataError("Le fichier est vide." if grid.file_format == "csv" else "Le classeur est vide.")
    if grid.file_format == "xlsx":
        if grid.uncached_formulas:
            r, c = min(grid.uncached_formulas)
            return LocalDataError(_UNCACHED, row=r + 1, column=column_letter(c), sheet=where)
    widths = [sum(1 for v in grid.rows[r] if is_filled(v)) for r in non_blank]
    malformed = _first_malformed(grid)
    if malformed:
        r, c, value = malformed
        return LocalDataError(
            f"« {shown(value, 40)} » ressemble à un code de QPV mais n'en est pas un ; aucun code valide n'a été "
            "trouvé dans le fichier. Un code de QPV 2024 s'écrit comme QN00101M (8 caractères), un code de QPV "
            "2015 comme QP001001.", row=r + 1, column=column_letter(c), sheet=where)
    if len(non_blank) == 1 and widths[0] > 1:
        cells = " ; ".join(shown(header_text(v), 30) for v in grid.rows[non_blank[0]] if is_filled(v))
        return LocalDataError(
            f"Le fichier ne contient qu'une ligne d'en-tête (« {shown(cells, 120)} ») et aucune ligne de données.")
    modal_share = Counter(widths).most_common(1)[0][1] / len(widths)
    if grid.file_format == "csv" and (max(widths) <= 1 or modal_share < 0.8):
        return LocalDataError(
            "Le fichier ne ressemble pas à un tableau : ses lignes ne sont pas découpées en colonnes (par « ; », "
            "« , » ou une tabulation) et il ne contient aucun code de QPV. Il faut un tableau avec une colonne de "
            "codes de QPV (QN00101M ou QP001001) et une colonne de valeurs.")
    header_row, names = _header_for(grid, non_blank[0] + 1)
    listed = ", ".join(f"« {shown(n, 30)} » ({column_letter(c)})" for c, n in sorted(names.items())[:12])
    found = f" Colonnes trouvées : {listed}." if listed else ""
    return LocalDataError(
        "Aucune colonne ne contient de codes de QPV (QN00101M pour les QPV 2024, QP001001 pour les QPV 2015)."
        f"{found} Le fichier doit avoir une ligne par quartier avec son code de QPV.", sheet=where)


def _first_malformed(grid: Grid) -> tuple[int, int, str] | None:
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and CODE_LIKE.fullmatch(code_text(value)):
                return r, c, value
    return None


_UNCACHED = ("la cellule contient une formule dont le résultat n'est pas enregistré dans le fichier ; les "
             "formules ne sont jamais calculées ici. Ouvrez le classeur dans Excel ou LibreOffice, enregistrez-le "
             "(le résultat sera alors enregistré) ou remplacez les formules par leurs valeurs, puis réessayez.")


def refuse_uncached(grid: Grid, layout: Layout, data_rows: list[int], col: int) -> None:
    """A formula without a stored result in a column we read: refuse rather than read it as blank."""
    if not grid.uncached_formulas:
        return
    rows = range(layout.first_row, len(grid.rows)) if col == layout.code_col else data_rows
    for r in rows:
        if (r, col) in grid.uncached_formulas:
            raise LocalDataError(_UNCACHED, row=r + 1, column=column_letter(col), column_name=layout.header(col),
                                 sheet=grid.sheet)


def check_alignment(grid: Grid, layout: Layout) -> None:
    """In a CSV, a data row with more filled cells than the header is shifted: refuse it.

    The usual cause is a decimal comma in a file separated by commas (``QN00101M,12,5``): reading it
    would import 12 instead of 12,5.
    """
    if layout.header_row is None:
        return
    header_width = max(layout.names) + 1 if layout.names else 0
    for r in range(layout.first_row, len(grid.rows)):
        row = grid.rows[r]
        if not as_code(grid.cell(r, layout.code_col)):
            continue
        for c in range(header_width, len(row)):
            if is_filled(row[c]):
                comma = "" if grid.separator != "," else (
                    " Avec le séparateur « , », les nombres à virgule doivent être entre guillemets : le plus "
                    "simple est d'enregistrer le fichier avec le séparateur « ; ».")
                raise LocalDataError(
                    f"la ligne a une valeur (« {shown(row[c], 30)} ») dans une colonne sans titre : elle compte "
                    f"plus de cellules que la ligne d'en-tête (ligne {layout.header_row + 1}).{comma}",
                    row=r + 1, column=column_letter(c))


def split_rows(grid: Grid, layout: Layout) -> tuple[list[int], list[tuple[int, str]]]:
    """Data rows (a valid code) and ignored non-blank rows below the header (totals, notes, bad codes)."""
    data_rows: list[int] = []
    ignored: list[tuple[int, str]] = []
    for r in range(layout.first_row, len(grid.rows)):
        code_cell = grid.cell(r, layout.code_col)
        if as_code(code_cell):
            data_rows.append(r)
        elif any(is_filled(v) for v in grid.rows[r]):
            shown_value = code_cell if is_filled(code_cell) else next(v for v in grid.rows[r] if is_filled(v))
            ignored.append((r, header_text(shown_value)))
    return data_rows, ignored


def ignored_notes(ignored: list[tuple[int, str]]) -> list[str]:
    """Warnings for the rows set aside: malformed codes first, then other rows (totals, notes)."""
    notes = []
    malformed = [(r, v) for r, v in ignored if CODE_LIKE.fullmatch(code_text(v))]
    others = [(r, v) for r, v in ignored if not CODE_LIKE.fullmatch(code_text(v))]
    if malformed:
        lead = count_fr(len(malformed), "ligne a un code de QPV mal formé et est ignorée",
                      "lignes ont un code de QPV mal formé et sont ignorées")
        notes.append(
            f"{lead} : "
            + list_fr([f"« {shown(v, 30)} » (ligne {r + 1})" for r, v in malformed]) + ".")
    if others:
        notes.append(
            f"{count_fr(len(others), 'ligne sans code de QPV est ignorée', 'lignes sans code de QPV sont ignorées')} : "
            + list_fr([f"ligne {r + 1} (« {shown(v, 30)} »)" for r, v in others]) + ".")
    return notes


# --------------------------------------------------------------------------------------------------
# Value column
# --------------------------------------------------------------------------------------------------


def choose_value_column(grid: Grid, layout: Layout, data_rows: list[int], requested: str | None) -> int:
    """The column asked for, else the only numeric column; several candidates are listed, not guessed."""
    if requested is not None:
        col = _resolve_column(requested, grid, (layout.header_row, layout.names), "--colonne")
        if col == layout.code_col:
            raise LocalDataError("cette colonne est celle des codes de QPV ; choisissez la colonne des valeurs.",
                                 column=column_letter(col), column_name=layout.header(col), sheet=grid.sheet)
        if not any(is_filled(grid.cell(r, col)) for r in data_rows):
            raise LocalDataError("la colonne choisie est vide sur toutes les lignes de quartiers.",
                                 column=column_letter(col), column_name=layout.header(col), sheet=grid.sheet)
        return col
    width = max((len(grid.rows[r]) for r in data_rows), default=0)
    width = max(width, max(layout.names) + 1 if layout.names else 0)
    sample = data_rows[::max(1, len(data_rows) // KIND_SAMPLE)]  # the chosen column is then parsed in full
    numeric, identifiers, missing_only, texts = [], [], [], []
    for c in range(width):
        if c == layout.code_col:
            continue
        kinds = Counter(cell_kind(grid.cell(r, c), (r, c) in grid.percent_cells) for r in sample)
        if kinds["text"] and (kinds["number"] or kinds["missing"]):
            texts.append(c)
        numberish = kinds["number"] + kinds["error"]  # an Excel error is a failed number: still a value column
        if numberish and numberish >= kinds["text"]:
            (identifiers if _looks_like_identifier(layout.header(c)) else numeric).append(c)
        elif not kinds["number"] and not kinds["text"] and (kinds["missing"] or layout.header(c)):
            missing_only.append(c)
    if len(numeric) == 1:
        return numeric[0]
    if len(numeric) > 1:
        listed = list_fr([f"{column_letter(c)} (« {shown(layout.name(c), 40)} »)" for c in numeric], limit=20)
        raise LocalDataError(
            f"Le fichier contient plusieurs colonnes de nombres : {listed}. Indiquez celle à importer "
            "(option --colonne, avec son titre ou sa lettre, par exemple --colonne "
            f"{column_letter(numeric[0])}).", sheet=grid.sheet)
    if identifiers:
        listed = list_fr([f"{column_letter(c)} (« {shown(layout.name(c), 40)} »)" for c in identifiers])
        raise LocalDataError(
            f"Aucune colonne de valeurs n'a été reconnue : les colonnes de nombres {listed} ressemblent à des codes "
            "ou des dates. Si l'une d'elles est bien la valeur à importer, indiquez-la avec l'option --colonne.",
            sheet=grid.sheet)
    if len(texts) == 1 and not missing_only:
        return texts[0]  # the only column with content: its strict reading names the first bad cell
    if missing_only:
        c = missing_only[0]
        raise LocalDataError(
            "il n'y a aucune valeur utilisable (toutes les cases sont vides ou en secret statistique).",
            column=column_letter(c), column_name=layout.header(c), sheet=grid.sheet)
    example = next(((r, c) for c in range(width) if c != layout.code_col for r in data_rows
                    if cell_kind(grid.cell(r, c)) == "text"), None)
    seen = ""
    if example:
        r, c = example
        seen = (f" La colonne {column_letter(c)} (« {shown(layout.name(c), 40)} ») contient du texte, par exemple "
                f"« {shown(header_text(grid.cell(r, c)), 30)} » en ligne {r + 1}.")
    raise LocalDataError(
        "Le fichier contient une colonne de codes de QPV mais aucune colonne de nombres à importer." + seen
        + " Ajoutez une colonne de valeurs (un nombre ou un taux par quartier).", sheet=grid.sheet)


def _looks_like_identifier(header: str | None) -> bool:
    """"Code commune", "Année", "N° de logement": numeric, but never the value to import by default.

    Only the first word counts ("Nombre de logements par année" is a value) and a year in the title
    makes it a value column ("Année 2023").
    """
    if not header:
        return False
    words = re.findall(r"[a-z0-9°]+", fold_text(header))
    return bool(words) and words[0] in IDENTIFIER_WORDS and not any(re.fullmatch(r"(19|20)\d\d", w) for w in words)


def _resolve_column(requested: str, grid: Grid, header: tuple[int | None, dict[int, str]], option: str) -> int:
    """A column given by its header (case, accents and spaces ignored) or by its letter (A, B… AA)."""
    names = header[1]
    wanted = fold_text(requested)
    for c, name in sorted(names.items()):
        if fold_text(name) == wanted:
            return c
    letters = requested.strip().upper()
    if re.fullmatch(r"[A-Z]{1,3}", letters):
        index = 0
        for ch in letters:
            index = index * 26 + (ord(ch) - 64)
        if index - 1 < MAX_COLUMNS:
            return index - 1
    listed = list_fr([f"« {shown(n, 30)} » ({column_letter(c)})" for c, n in sorted(names.items())], limit=20)
    available = (f" Colonnes disponibles : {listed}." if listed
                 else " Le fichier n'a pas de ligne d'en-tête : indiquez une lettre (A, B, C…).")
    raise LocalDataError(
        f"La colonne « {shown(requested, 40)} » ({option}) n'existe pas dans le fichier.{available}",
        sheet=grid.sheet)
