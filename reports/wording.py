"""How the annex says things in French: titles, generation names, ordinals, lists, and how a value reads
in a table cell.

Wording follows the project's framing (method-anchors §6.8): indicators describe exposures and living
conditions, never people; a missing value is shown with its reason in words, never as zero. Every cell
of a value goes through ``value_cell`` / ``reference_cell`` / ``number_cell``: a value cell reads through
``assembly.value_text`` (an estimate always says it is one, with its interval), and its nature, interval
bounds, vintage and source have their own cells (``nature_cell``, ``bound_cell``) in the spreadsheets.
"""

from __future__ import annotations

from assembly.value_text import Provenance, nature_label, value_text
from core import reasons, territory_kinds
from core.formats import format_number, format_value, is_missing
from core.text import fold
from core.workshop import NOTES_TITLE
from geodata.territories import Territory
from indicators.catalogue import Indicator
from reports.model import Cell

SUBTITLE = "Expositions environnementales et conditions de vie dans les quartiers prioritaires"
GENERATION_LABELS = {2024: "QPV 2024 (contrats de ville 2024-2030)", 2015: "QPV 2015 (génération précédente)"}
GENERATION_SHORT = {2024: "QPV 2024", 2015: "QPV 2015"}

NO_REFERENCE = "—"
#: Units short enough to repeat in every cell of a multi-QPV table (others are in the column header).
INLINE_UNITS = ("%", "€", "°C", "oui/non")

#: Headings of level 1, in order (tests and the XLSX rely on them).
SECTION_SUMMARY = "Synthèse du territoire"
SECTION_DOMAINS = "Expositions et conditions de vie par domaine"
SECTION_FICHES = "Fiches par quartier"
SECTION_NOTES = NOTES_TITLE  # what workshop groups said (reports/sections/remontees.py): never scored
SECTION_ACTION = "Du constat à l'action : pistes à discuter"
SECTION_METHOD = "Méthode"
SECTION_LIMITS = "Limites et notes de lecture"
SECTION_SOURCES = "Sources"
SECTIONS = (SECTION_SUMMARY, SECTION_DOMAINS, SECTION_FICHES, SECTION_NOTES, SECTION_ACTION, SECTION_METHOD,
            SECTION_LIMITS, SECTION_SOURCES)

_LEVEL_PREFIX = {"COM": "Commune", "EPCI": "EPCI", "DEP": "Département", "FRANCE": "", "QPV_ENSEMBLE": ""}


def ordinal(rank: float) -> str:
    """French ordinal of a rank: ``1er``, ``12e``, ``1 085e``, ``12,5e`` (average rank of a tie)."""
    if float(rank).is_integer():
        number = int(rank)
        return "1er" if number == 1 else f"{format_number(number, 0)}e"
    return f"{format_number(rank, 1)}e"


def territory_title(territory: Territory) -> str:
    """« Montpellier Méditerranée Métropole (EPCI 243400017) »."""
    return f"{territory.label} ({territory_kinds.WORDS.get(territory.kind, territory.kind)} {territory.code})"


def french_list(items: list[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def elide(prefix: str, name: str) -> str:
    """``de`` + name with French elision before a vowel: « d'Occitanie », « de Provence »."""
    return f"{prefix[:-1]}'{name}" if fold(name)[:1] in "aeiouyh" else f"{prefix} {name}"


def reference_label(level: str, label: str) -> str:
    """Name of an enclosing territory in a table: « Commune : Montpellier », « France métropolitaine »."""
    prefix = _LEVEL_PREFIX.get(level, "")
    return f"{prefix} : {label}" if prefix else label


def weight_text(weight: float) -> str:
    """``2`` → « 2 », ``2.5`` → « 2,5 », ``0.25`` → « 0,25 »: as many decimals as the value needs (≤ 3)."""
    for decimals in range(4):
        if abs(round(weight, decimals) - weight) < 1e-9:
            return format_number(weight, decimals)
    return format_number(weight, 3)


def missing_note(found: set[str]) -> str | None:
    """The note under a table explaining the missing-value words its cells use (None when none)."""
    known = [r for r in reasons.LABELS if r in found]
    if not known:
        return None
    parts = [f"« {reasons.short_label(r)} » : {reasons.LABELS[r]}" for r in known]
    return "Valeurs manquantes (jamais remplacées par zéro) — " + " ; ".join(parts) + "."


# --- cells ------------------------------------------------------------------------------------------


def cell_text(value: object, ind: Indicator, with_unit: bool = True) -> str:
    """French text of a value; in multi-QPV tables long units stay in the column header."""
    if with_unit or ind.unit in INLINE_UNITS:
        return format_value(value, ind.unit, ind.decimals)
    return format_number(value, ind.decimals)


def value_cell(value: object, reason: object, ind: Indicator, with_unit: bool = True,
               info: Provenance | None = None) -> Cell:
    """A QPV's value, or the short words of its missing reason (kept as ``Cell.reason``).

    With ``info``, a value that is not a published figure says what it is in the cell
    (« 41,3 % (estimation : 34,6 à 48,4) », « 45,3 % (QPV 2015 QP034005, même périmètre) »); the spreadsheet
    keeps the number (``Cell.value``) and says the nature in its own column."""
    if is_missing(value):
        code = None if is_missing(reason) else str(reason)
        return Cell(reasons.short_label(code), reason=code or "inconnue")
    inline = with_unit or ind.unit in INLINE_UNITS
    return Cell(value_text(value, ind.unit, ind.decimals, info, compact=True, with_unit=inline), value=float(value))


def nature_cell(value: object, info: Provenance | None) -> Cell:
    """The nature of a value in words (« estimation calibrée (avec intervalle) »), empty for a missing one."""
    return Cell("" if is_missing(value) or info is None else nature_label(info.nature))


def bound_cell(bound: float, ind: Indicator) -> Cell:
    """One bound of a value's 90 % interval (a number in the spreadsheet), empty when it has none."""
    return Cell("") if is_missing(bound) else Cell(format_number(bound, ind.decimals), value=float(bound))


def reference_cell(value: object, text: str) -> Cell:
    """An enclosing territory's value (already worded), or « — » when none is published."""
    return Cell(NO_REFERENCE) if is_missing(value) else Cell(text, value=float(value))


def number_cell(value: object, decimals: int, unit: str = "", missing: str = "non calculé") -> Cell:
    if is_missing(value):
        return Cell(missing)
    return Cell(format_value(value, unit, decimals) if unit else format_number(value, decimals), value=float(value))


def text_cell(text: object, strong: bool = False) -> Cell:
    return Cell("" if is_missing(text) else str(text), strong=strong)
