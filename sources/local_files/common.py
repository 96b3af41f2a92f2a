"""What the modules of ``sources.local_files`` share: limits, the refusal, the table read, small text helpers.

See the package docstring for what the reader does and why.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from core.errors import EcoqpvError, shown
from core.formats import format_number

# --------------------------------------------------------------------------------------------------
# Limits. They bound memory and time on a laptop; the real files (one row per quartier, at most a
# few thousand quartiers) are far below each of them.
# --------------------------------------------------------------------------------------------------

#: Largest file accepted (issue #13: 20 MB).
MAX_BYTES = 20 * 1024 * 1024
#: Largest number of filled columns (issue #13).
MAX_COLUMNS = 200
#: Longest cell, in characters (issue #13).
MAX_CELL_CHARS = 10_000
#: Largest number of rows: there are about 1 500 QPV per generation, a file one hundred times as long
#: is not a table of quartiers and would only cost time.
MAX_ROWS = 100_000
#: Fields in one CSV record beyond which the text is not a table (Excel's own column limit).
MAX_RAW_FIELDS = 16_384
#: ZIP directory limits for an XLSX, checked before decompressing anything. A workbook has a few
#: dozen parts; its XML compresses 5 to 20 times. zipfile never inflates an entry beyond the size
#: the directory declares, so checking the declared sizes is enough.
MAX_ZIP_ENTRIES = 1_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR = 1024 * 1024  # small parts may compress better than the ratio: only big ones count
#: Consecutive empty rows after which an XLSX sheet is considered finished (sheets formatted down to
#: row 1 048 576 would otherwise cost minutes in read-only mode).
MAX_BLANK_RUN = 20_000

#: Largest absolute value kept: no count, amount or rate of a quartier comes near it, and larger numbers
#: cannot be formatted for display.
MAX_ABS_VALUE = 1e12

#: Missing-value reasons, as in the project's ``MISSING_REASON_LABELS``.
MISSING_REASONS = ("secret_statistique", "non_renseigne")

#: Encodings tried by charset-normalizer: what French office files are written in. Restricting the
#: list makes detection reliable on short files (unrestricted, cp1252 text comes back as cp1250 or
#: mac_latin2). :func:`detection_plan` narrows it further for each file.
ENCODINGS = ["utf_8", "utf_16", "utf_16_le", "utf_16_be", "cp1252", "latin_1"]
SEPARATORS = (";", "\t", ",", "|")
_SEPARATOR_LABELS = {";": "« ; »", ",": "« , »", "\t": "tabulation", "|": "« | »"}
SNIFF_RECORDS = 400
#: Rows looked at to tell which columns are numeric (evenly spread over the data rows).
KIND_SAMPLE = 2_000

_NNBSP = "\u202f"
_QPV2024 = re.compile(r"QN(?:\d{3}|02[AB])\d{2}[A-Z]")
_QPV2015 = re.compile(r"QP(?:\d{3}|02[AB])\d{3}")
#: Something meant to be a QPV code but malformed (too short, letter missing…): said, not guessed.
_MAYBE_CODE = re.compile(r"[qQ]\s*[nNpP]")  # cheap pre-filter before normalising a cell
CODE_LIKE = re.compile(r"(?!Q[NP](?:19|20)\d\d$)Q[NP]\d[0-9A-Z]{3,8}")
WHITESPACE = re.compile(r"[\s\u00a0\u202f\u2007\u2009\u200b\ufeff]+")
_EXCEL_WRAP = re.compile(r'^="(.*)"$', re.S)
SPACE_CLASS = "[ \u00a0\u202f\u2007\u2009]"
SPACE_GROUPED = re.compile(rf"[+-]?\d{{1,3}}(?:{SPACE_CLASS}\d{{3}})+(?:[.,]\d+)?")
SIMPLE_NUMBER = re.compile(r"[+-]?(?:\d+[.,]?|\d*[.,]\d+)(?:[eE][+-]?\d{1,3})?")
CENSORED = re.compile(r"<\s*=?\s*\d+(?:[.,]\d+)?")
EXCEL_ERROR = re.compile(r"#[A-Za-z0-9/_]+[!?]?|#N/A", re.I)
_UNCLEAN_START = frozenset(" \t\r\n\u00a0\u202f\u2007\u2009\u200b\ufeff='\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_UNCLEAN_END = frozenset("\u00a0\u202f\u2007\u2009\u200b\ufeff\"")
#: UTF-8 read as cp1252: "é" becomes "Ã©", "’" becomes "â€™".
MOJIBAKE = re.compile("Ã[\u00a0-\u00bf]|â€")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")

SECRET_TOKENS = frozenset({
    "s", "secret", "secret stat", "secret stat.", "secret statistique", "nd", "n.d.", "n.d", "n/d",
    "nc", "n.c.", "n.c", "confidentiel",
})
BLANK_TOKENS = frozenset({"", "-", "--", "–", "—", "na", "n/a", "#n/a", "null", "vide", "nan"})
#: Header words of identifier or date columns: numeric, but never the value to import by default.
IDENTIFIER_WORDS = frozenset({
    "code", "codes", "insee", "siren", "siret", "cog", "id", "identifiant", "annee", "millesime",
    "date", "year", "postal", "cp", "numero", "num", "no", "n°", "iris", "epci", "dep", "departement",
})

REFUSED_EXTENSIONS = {
    ".xls": "un classeur Excel 97-2003 (.xls)",
    ".xlt": "un modèle Excel 97-2003 (.xlt)",
    ".xlsm": "un classeur Excel avec macros (.xlsm)",
    ".xltm": "un modèle Excel avec macros (.xltm)",
    ".xlsb": "un classeur Excel binaire (.xlsb)",
    ".xlam": "une macro complémentaire Excel (.xlam)",
    ".ods": "un classeur LibreOffice/OpenOffice (.ods)",
    ".ots": "un modèle LibreOffice/OpenOffice (.ots)",
    ".fods": "un classeur LibreOffice à plat (.fods)",
    ".numbers": "un classeur Apple Numbers (.numbers)",
}
SAVE_AS = "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx ou .csv, puis réessayez."
DAMAGED = f"Le classeur est endommagé ou d'un type inattendu et ne peut pas être lu. {SAVE_AS}"


# --------------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------------


class LocalDataError(EcoqpvError):
    """A file that must be refused; ``str()`` is a complete French sentence naming where the problem is.

    ``row`` is the row number as a spreadsheet shows it (1-based, title rows included), ``column`` the
    column letter, ``column_name`` its header and ``sheet`` the XLSX sheet. Pages and the command line show
    it as is, like every ``EcoqpvError``.
    """

    def __init__(self, problem: str, *, row: int | None = None, column: str | None = None,
                 column_name: str | None = None, sheet: str | None = None) -> None:
        self.problem = problem
        self.row = row
        self.column = column
        self.column_name = column_name
        self.sheet = sheet
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        place = []
        if self.sheet:
            place.append(f"feuille « {shown(self.sheet)} »")
        if self.row is not None:
            place.append(f"ligne {self.row}")
        if self.column:
            name = f" (« {shown(self.column_name, 60)} »)" if self.column_name else ""
            place.append(f"colonne {self.column}{name}")
        if not place:
            return self.problem
        prefix = ", ".join(place)
        problem = self.problem
        if len(problem) > 1 and problem[1].islower():
            problem = problem[0].lower() + problem[1:]
        return f"{prefix[0].upper()}{prefix[1:]} : {problem}"


@dataclass(frozen=True, eq=False)
class LocalTable:
    """What a user's file holds, ready to become an indicator, and how it was read.

    ``frame`` has one row per quartier: ``code_qp`` (str), ``valeur`` (float, NaN when missing) and
    ``raison`` (``secret_statistique`` / ``non_renseigne`` for a missing value, else NA). Codes of the
    other generation and codes absent from the known lists are not in it: they are listed in
    ``other_generation_codes`` / ``unknown_codes`` and said in ``warnings``.
    """

    frame: pd.DataFrame
    filename: str
    generation: int
    code_column: str
    code_column_letter: str
    value_column: str
    value_column_letter: str
    unit_hints: tuple[str, ...]
    file_format: str
    encoding: str | None
    separator: str | None
    sheet: str | None
    header_row: int | None
    warnings: tuple[str, ...]
    unknown_codes: tuple[str, ...] = ()
    other_generation_codes: tuple[str, ...] = ()
    codes_checked: bool = True
    rows_read: int = 0

    def summary_fr(self) -> str:
        """One French paragraph saying what would be imported, then the warnings one per line."""
        lines = [" ".join([self._source_sentence(), self._columns_sentence(), self._values_sentence()])]
        if not self.codes_checked:
            lines[0] += (f" Les codes n'ont pas été comparés à la liste des QPV {self.generation} "
                         "(liste non fournie).")
        if self.warnings:
            lines.append("Avertissements :")
            lines.extend(f"- {w}" for w in self.warnings)
        return "\n".join(lines)

    def _source_sentence(self) -> str:
        if self.file_format == "xlsx":
            how = f"classeur Excel, feuille « {shown(self.sheet)} »"
        else:
            how = f"CSV, encodage {self.encoding}, séparateur {_SEPARATOR_LABELS.get(self.separator or '', '?')}"
        header = f"en-tête en ligne {self.header_row}" if self.header_row else "sans ligne d'en-tête"
        return f"Fichier « {shown(self.filename)} » lu comme {how}, {header}."

    def _columns_sentence(self) -> str:
        unit = f", unité probable : {' ou '.join(self.unit_hints)}" if self.unit_hints else ""
        return (f"Codes de QPV {self.generation} en colonne {self.code_column_letter} "
                f"(« {shown(self.code_column, 60)} »), valeurs en colonne {self.value_column_letter} "
                f"(« {shown(self.value_column, 60)} »{unit}).")

    def _values_sentence(self) -> str:
        frame = self.frame
        values = frame["valeur"].dropna()
        n = len(frame)
        parts = [count_fr(len(values), "valeur", "valeurs")]
        if len(values) == 1:
            parts[0] += f" ({fr_number(values.iloc[0])})"
        elif len(values):
            parts[0] += (f" (de {fr_number(values.min())} à {fr_number(values.max())})"
                         if values.min() != values.max() else f" (toutes égales à {fr_number(values.min())})")
        reasons = frame["raison"].value_counts()
        if reasons.get("secret_statistique", 0):
            parts.append(f"{count_fr(int(reasons['secret_statistique']), 'valeur', 'valeurs')} en secret statistique")
        if reasons.get("non_renseigne", 0):
            parts.append(count_fr(int(reasons["non_renseigne"]), "valeur non renseignée", "valeurs non renseignées"))
        quartiers = count_fr(n, "quartier serait importé", "quartiers seraient importés")
        return f"{quartiers} : {_join_fr(parts)}."



# --------------------------------------------------------------------------------------------------
# Grid: the cells of the chosen sheet or of the CSV, before any interpretation
# --------------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """Rows of raw cells (``str`` for CSV; ``str``/number/date/None for XLSX), plus how they were read."""

    rows: list[list[Any]]
    file_format: str
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def cell(self, r: int, c: int) -> Any:
        row = self.rows[r]
        return row[c] if c < len(row) else None

@dataclass
class Layout:
    """Where the table is: first data row, code column, header row (0-based indexes) and column names."""

    first_row: int
    code_col: int
    header_row: int | None
    names: dict[int, str]

    def name(self, c: int) -> str:
        return self.names.get(c) or f"colonne {column_letter(c)}"

    def header(self, c: int) -> str | None:
        return self.names.get(c)

@dataclass
class Parsed:
    """One data row: its code, value (NaN when missing), missing reason, source row and raw text."""

    row: int
    code: str
    value: float
    reason: str | None
    raw: str

# --------------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Trim spaces (including no-break ones), unwrap Excel's ``="…"`` protection and a leading apostrophe."""
    if value and value[0] not in _UNCLEAN_START and not value[-1].isspace() and value[-1] not in _UNCLEAN_END:
        return value  # the common case, checked cheaply: files have up to 100 000 rows
    text = value.strip().strip("\u00a0\u202f\u2007\u2009\u200b\ufeff").strip()
    wrapped = _EXCEL_WRAP.match(text)
    if wrapped:
        text = wrapped.group(1).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def code_text(value: Any) -> str:
    return WHITESPACE.sub("", clean_text(value)).upper() if isinstance(value, str) else ""


def as_code(value: Any) -> str | None:
    """The normalised QPV code in a cell (upper case, no spaces, Excel wrapping removed), else None."""
    if not isinstance(value, str) or len(value) > 40 or not _MAYBE_CODE.search(value):
        return None
    code = code_text(value)
    if _QPV2024.fullmatch(code) or _QPV2015.fullmatch(code):
        return code
    return None


def count_codes(rows: list[list[Any]]) -> int:
    return sum(1 for row in rows for value in row if as_code(value))


def is_filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def header_text(value: Any) -> str:
    """A cell as one line of text, for column names and messages."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(str(value)) if isinstance(value, str) else str(value)
    return WHITESPACE.sub(" ", text).strip()


def french_date(value: Any) -> str:
    """A date or time cell as a French reader writes it (15/01/2024, 15/01/2024 08:30)."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y" if value.time() == datetime.time() else "%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return shown(value, 30)


def raw_text(value: Any) -> str:
    """A value cell as the person would read it (French number format for XLSX numbers)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fr_number(value)
    return header_text(value)


def fold_text(text: str) -> str:
    """Lower case, no accents, single spaces: to match a column name typed by a person."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return WHITESPACE.sub(" ", plain).strip().casefold()


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column letter a spreadsheet shows."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters




def fr_number(value: float, decimals: int | None = None, *, trim: bool = True) -> str:
    """French number through ``core.formats`` (``1 234,5``, U+202F between thousands, decimal comma), at most 3
    decimals by default; trailing zeros are dropped unless ``trim`` is false ("20,0 Mo" next to a 20 Mo limit)."""
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() else (3 if abs(value) >= 1 else 6)
    if abs(value) >= 1e12:  # beyond Babel's decimal precision with decimals; never a value that is kept
        return f"{value:.6g}".replace(".", ",")
    text = format_number(value, decimals)
    if trim and decimals and "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def count_fr(n: int, singular: str, plural: str) -> str:
    return f"{fr_number(n)} {singular if n == 1 else plural}"


def list_fr(items: Sequence[str], limit: int = 10) -> str:
    """``a, b et c``; beyond ``limit`` items, ``… et 12 autres``."""
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" et {fr_number(len(items) - limit)} autres"
    return _join_fr(items)


def _join_fr(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def ordinal(n: int) -> str:
    return "1re" if n == 1 else f"{n}e"
