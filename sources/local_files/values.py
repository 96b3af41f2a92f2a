"""Values of the chosen column (French and English numbers, signs, placeholders for a missing value with its
reason) and the codes (duplicates, generation, known lists)."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pandas as pd

from core.errors import shown
from sources.local_files.common import (
    BLANK_TOKENS, CENSORED, EXCEL_ERROR, MAX_ABS_VALUE, SECRET_TOKENS, SIMPLE_NUMBER, SPACE_CLASS, SPACE_GROUPED, WHITESPACE, Grid,
    Layout, LocalDataError, Parsed, as_code, clean_text, column_letter, count_fr, fold_text, fr_number, french_date,
    list_fr, raw_text,
)

# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------



class _CellProblem(Exception):
    """A cell that cannot be read as a value; the caller adds row and column."""


def cell_kind(value: Any, percent: bool = False) -> str:
    """``number``, ``missing`` (secret or placeholder), ``blank`` or ``text``: used to spot numeric columns."""
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return "blank"
    if isinstance(value, str) and EXCEL_ERROR.fullmatch(clean_text(value)) and fold_text(clean_text(value)) != "#n/a":
        return "error"
    for thousands in (None, ".", ","):
        try:
            _, reason, _ = _parse_cell(value, thousands, percent)
        except _CellProblem:
            continue
        return "missing" if reason else "number"
    return "text"


def parse_column(grid: Grid, layout: Layout, data_rows: list[int],
                  col: int) -> tuple[list[Parsed], list[str], list[str]]:
    """Parse the value column strictly: any cell that is neither a number nor a known placeholder is refused."""
    thousands = _thousands_mark(grid, layout, data_rows, col)
    parsed: list[Parsed] = []
    units: Counter[str] = Counter()
    censored: list[int] = []
    for r in data_rows:
        raw = grid.cell(r, col)
        try:
            value, reason, unit = _parse_cell(raw, thousands, (r, col) in grid.percent_cells)
        except _CellProblem as problem:
            raise LocalDataError(str(problem), row=r + 1, column=column_letter(col), column_name=layout.header(col),
                                 sheet=grid.sheet) from None
        if value is not None and abs(value) > MAX_ABS_VALUE:
            raise LocalDataError(
                f"la valeur « {shown(raw_text(raw), 30)} » dépasse mille milliards en valeur absolue : ce n'est pas "
                "une valeur de quartier (cellule mal saisie ?).", row=r + 1, column=column_letter(col),
                column_name=layout.header(col), sheet=grid.sheet)
        if unit:
            units[unit] += 1
        if reason == "secret_statistique" and isinstance(raw, str) and CENSORED.fullmatch(clean_text(raw)):
            censored.append(r)
        parsed.append(Parsed(row=r, code=as_code(grid.cell(r, layout.code_col)) or "",
                              value=math.nan if value is None else value, reason=reason, raw=raw_text(raw)))
    excel_percent = sum(1 for r in data_rows if (r, col) in grid.percent_cells)
    return parsed, sorted(units), _unit_notes(units, len(data_rows), excel_percent, censored)


def _unit_notes(units: Counter[str], total: int, excel_percent: int, censored: list[int]) -> list[str]:
    """Warnings on how signs and placeholders were read, so the person can declare the right unit."""
    notes = []
    typed = units.get("%", 0) - excel_percent
    if excel_percent:
        notes.append(f"{count_fr(excel_percent, 'valeur', 'valeurs')} sur {fr_number(total)} "
                     f"{'est' if excel_percent == 1 else 'sont'} au format pourcentage d'Excel : 0,125 (affiché "
                     "12,5 %) est lu 12,5 ; indiquez l'unité « % » à l'import.")
    if typed:
        notes.append(f"{count_fr(typed, 'valeur porte', 'valeurs portent')} le signe % (sur {fr_number(total)}) : "
                     "« 12,5 % » est lu 12,5 ; indiquez l'unité « % » à l'import.")
    if units.get("€"):
        notes.append(f"{count_fr(units['€'], 'valeur porte', 'valeurs portent')} le signe € : indiquez l'unité "
                     "« € » à l'import.")
    if censored:
        notes.append(f"{count_fr(len(censored), 'valeur notée', 'valeurs notées')} « < N » (effectif trop faible) "
                     f"{'est lue' if len(censored) == 1 else 'sont lues'} comme secret statistique : "
                     + list_fr([f"ligne {r + 1}" for r in censored]) + ".")
    return notes


def _thousands_mark(grid: Grid, layout: Layout, data_rows: list[int], col: int) -> str | None:
    """The column's thousands mark (``.`` or ``,``) when some cell shows it; refuse columns mixing both.

    Without evidence, ``.`` and ``,`` are both decimal marks: real files mix ``12.5`` and ``12,5``
    (RPLS extracts), while ``1.234,5`` or ``1,234,567`` settle the question for the whole column.
    """
    seen: dict[str, int] = {}
    for r in data_rows:
        raw = grid.cell(r, col)
        if not isinstance(raw, str):
            continue
        text = _strip_units(clean_text(raw))[0]
        mark = None
        if "." in text and "," in text:
            mark = "." if text.index(".") < text.index(",") else ","
        elif text.count(",") > 1:
            mark = ","
        elif text.count(".") > 1:
            mark = "."
        if mark:
            seen.setdefault(mark, r)
    if len(seen) > 1:
        r = max(seen.values())
        raise LocalDataError(
            "la colonne mélange deux façons d'écrire les nombres (1.234,5 et 1,234.5) ; écrivez-les tous de la "
            "même façon, de préférence sans séparateur de milliers et avec une virgule décimale.",
            row=r + 1, column=column_letter(col), column_name=layout.header(col), sheet=grid.sheet)
    return next(iter(seen), None)


def _parse_cell(raw: Any, thousands: str | None, percent_format: bool) -> tuple[float | None, str | None, str | None]:
    """``(value, missing_reason, unit)`` of one cell, or :class:`_CellProblem` with a French explanation."""
    if raw is None:
        return None, "non_renseigne", None
    if isinstance(raw, bool):
        raise _CellProblem("la cellule contient VRAI ou FAUX, pas un nombre.")
    if isinstance(raw, (int, float)):
        value = float(raw)
        if not math.isfinite(value):
            raise _CellProblem("la cellule ne contient pas un nombre fini.")
        if percent_format:
            return float(f"{value * 100:.12g}"), None, "%"
        return value, None, None
    if not isinstance(raw, str):  # datetime, date, time, timedelta from XLSX
        raise _CellProblem(f"la cellule contient une date ou une durée ({french_date(raw)}), pas un nombre.")
    text = clean_text(raw)
    token = WHITESPACE.sub(" ", text).strip().lower()
    if token in BLANK_TOKENS:
        return None, "non_renseigne", None
    if token in SECRET_TOKENS or CENSORED.fullmatch(token):
        return None, "secret_statistique", None
    if EXCEL_ERROR.fullmatch(text):
        raise _CellProblem(f"la cellule contient une erreur de formule Excel ({shown(text, 20)}). Corrigez la formule "
                           "ou videz la cellule.")
    number_text, unit = _strip_units(text)
    value = _to_float(number_text, thousands)
    if value is None and thousands and thousands in number_text:
        raise _CellProblem(
            f"« {shown(text, 40)} » n'est pas écrit comme les autres nombres de la colonne, où « {thousands} » "
            "sépare les milliers. Écrivez tous les nombres de la même façon.")
    if value is None:
        raise _CellProblem(
            f"« {shown(text, 40)} » n'est pas un nombre. Corrigez la cellule ou videz-la (une case vide est lue "
            "comme non renseignée ; « s », « nd » ou « NC » comme secret statistique).")
    return value, None, unit


def _strip_units(text: str) -> tuple[str, str | None]:
    """Remove a ``%`` or ``€`` sign around a number; the sign becomes a unit hint."""
    for unit in ("%", "€"):
        stripped = text.strip()
        if stripped.endswith(unit):
            return stripped[:-1].strip(" \u00a0\u202f\u2009"), unit
        if unit == "€" and stripped.startswith(unit):
            return stripped[1:].strip(" \u00a0\u202f\u2009"), unit
    return text.strip(), None


def _to_float(text: str, thousands: str | None) -> float | None:
    """French or English number text to float; None when it is not a plain number.

    Accepts ``12,5``, ``12.5``, ``1 234,5`` (space, U+00A0 or U+202F between groups of three),
    ``1.234,5`` / ``1,234.5`` when the column's thousands mark is known, ``-3``, ``−3``, ``1,5E3``.
    Refuses anything else (``12 abc``, ``1 23``, ``=1+2``), and ``inf``/``nan``.
    """
    t = text.replace("\u2212", "-").strip()
    if re.search(SPACE_CLASS, t):
        if not SPACE_GROUPED.fullmatch(t):
            return None
        t = re.sub(SPACE_CLASS, "", t)
    if thousands and thousands in t:
        decimal = "," if thousands == "." else "."
        pattern = rf"([+-]?)(\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+)((?:{re.escape(decimal)}\d+)?)"
        grouped = re.fullmatch(pattern, t)
        if not grouped:
            return None
        t = grouped.group(1) + grouped.group(2).replace(thousands, "") + grouped.group(3)
    if not SIMPLE_NUMBER.fullmatch(t):
        return None
    value = float(t.replace(",", "."))
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------------------------------
# Codes: duplicates, generation, known lists
# --------------------------------------------------------------------------------------------------


def _same(a: Parsed, b: Parsed) -> bool:
    if math.isnan(a.value) and math.isnan(b.value):
        return a.reason == b.reason
    return a.value == b.value


def deduplicate(grid: Grid, layout: Layout, col: int, parsed: list[Parsed]) -> tuple[list[Parsed], list[str]]:
    """Keep a code repeated with the same value once (said); refuse one repeated with different values."""
    first: dict[str, Parsed] = {}
    repeats: list[tuple[Parsed, Parsed]] = []
    for item in parsed:
        seen = first.get(item.code)
        if seen is None:
            first[item.code] = item
            continue
        if not _same(seen, item):
            before, after = (shown(p.raw, 20) or "vide" for p in (seen, item))
            raise LocalDataError(
                f"le code {item.code} apparaît deux fois avec des valeurs différentes : ligne {seen.row + 1} "
                f"(« {before} ») et ligne {item.row + 1} (« {after} »). "
                "Gardez une seule ligne par quartier (une seule année, une seule source).",
                row=item.row + 1, column=column_letter(col), column_name=layout.header(col), sheet=grid.sheet)
        repeats.append((seen, item))
    notes = []
    if repeats:
        notes.append(
            f"{count_fr(len(repeats), 'code apparaît', 'codes apparaissent')} plusieurs fois avec la même valeur et "
            f"{'est gardé' if len(repeats) == 1 else 'sont gardés'} une seule fois : "
            + list_fr([f"{b.code} (lignes {a.row + 1} et {b.row + 1})" for a, b in repeats]) + ".")
    return list(first.values()), notes


def split_generation(records: list[Parsed]) -> tuple[int, list[Parsed], list[str], list[str]]:
    """The file's generation is the majority one; codes of the other generation are set aside and said."""
    n2024 = sum(1 for p in records if p.code.startswith("QN"))
    n2015 = len(records) - n2024
    if n2024 == n2015:
        raise LocalDataError(
            f"Le fichier contient autant de codes de QPV 2024 (QN…) que de QPV 2015 (QP…) ({fr_number(n2024)} "
            "de chaque) : gardez une seule génération de quartiers par fichier.")
    generation, prefix, other_gen = (2024, "QN", 2015) if n2024 > n2015 else (2015, "QP", 2024)
    kept = [p for p in records if p.code.startswith(prefix)]
    other = [p for p in records if not p.code.startswith(prefix)]
    notes = []
    if other:
        notes.append(
            f"{count_fr(len(other), f'code de QPV {other_gen}', f'codes de QPV {other_gen}')} dans un fichier de QPV "
            f"{generation} {'est écarté' if len(other) == 1 else 'sont écartés'} : "
            + list_fr([f"{p.code} (ligne {p.row + 1})" for p in other]) + ". Les deux générations de quartiers ne "
            "se comparent pas.")
    return generation, kept, [p.code for p in other], notes


def check_known(records: list[Parsed], generation: int, known_2024: set[str],
                 known_2015: set[str]) -> tuple[list[Parsed], list[str], bool, list[str]]:
    """Codes absent from the known list of the file's generation are listed and set aside (not fatal)."""
    known = known_2024 if generation == 2024 else known_2015
    if not known:
        return records, [], False, []
    unknown = [p for p in records if p.code not in known]
    kept = [p for p in records if p.code in known]
    if unknown and not kept:
        raise LocalDataError(
            f"Aucun des {fr_number(len(unknown))} codes du fichier n'est un QPV {generation} connu ("
            + list_fr([p.code for p in unknown], limit=5) + "). Vérifiez que le fichier porte bien sur des QPV "
            f"{generation} et que les codes sont exacts.")
    notes = []
    if unknown:
        lead = count_fr(len(unknown), f"code inconnu de la liste des QPV {generation} est écarté",
                      f"codes inconnus de la liste des QPV {generation} sont écartés")
        notes.append(
            f"{lead} : "
            + list_fr([f"{p.code} (ligne {p.row + 1})" for p in unknown]) + ". Vérifiez ces codes.")
    return kept, [p.code for p in unknown], True, notes


def records_frame(records: list[Parsed]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "code_qp": pd.Series([p.code for p in records], dtype=str),
        "valeur": pd.Series([p.value for p in records], dtype="float64"),
        "raison": pd.Series([p.reason for p in records], dtype="string"),
    })
    return frame.sort_values("code_qp", kind="stable").reset_index(drop=True)


def refuse_without_values(frame: pd.DataFrame, grid: Grid, layout: Layout, col: int) -> None:
    if frame["valeur"].notna().any():
        return
    raise LocalDataError(
        "aucune valeur utilisable : " + ("le seul quartier du fichier a" if len(frame) == 1 else
                                          f"les {fr_number(len(frame))} quartiers du fichier ont")
        + " une case vide ou en secret statistique.",
        column=column_letter(col), column_name=layout.header(col), sheet=grid.sheet)
