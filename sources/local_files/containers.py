"""From bytes to a grid of cells: size and signature checks, the XLSX container (ZIP bombs, macros, formulas
without a stored result) read by openpyxl, or the text decoded with charset-normalizer and read by pandas."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Iterable

import pandas as pd

from core.errors import shown
from sources.local_files.common import (
    CONTROL, DAMAGED, ENCODINGS, MAX_BLANK_RUN, MAX_BYTES, MAX_CELL_CHARS, MAX_COLUMNS, MAX_RAW_FIELDS, MAX_ROWS,
    MAX_ZIP_ENTRIES, MAX_ZIP_RATIO, MAX_ZIP_UNCOMPRESSED, MOJIBAKE, REFUSED_EXTENSIONS, SAVE_AS, SEPARATORS,
    SNIFF_RECORDS, ZIP_RATIO_FLOOR, Grid, LocalDataError, as_code, column_letter, count_codes, fr_number, is_filled,
    ordinal,
)

def check_size(data: bytes) -> None:
    """Refuse an empty or oversized file before any parsing (sizes in French, "20 Mo")."""
    if len(data) > MAX_BYTES:
        raise LocalDataError(
            f"Le fichier pèse {fr_number(len(data) / 1024 / 1024, 1, trim=False)} Mo ; la limite est de "
            f"{MAX_BYTES // 1024 // 1024} Mo. Gardez seulement la colonne des codes de QPV et celle des valeurs."
        )
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise LocalDataError("Le fichier est vide.")


def refuse_by_extension(filename: str) -> None:
    """Formats that may hold macros or that the engine does not read: say how to convert them."""
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    if suffix in REFUSED_EXTENSIONS:
        raise LocalDataError(
            f"Le fichier « {shown(filename)} » est {REFUSED_EXTENSIONS[suffix]}, format qui n'est pas lu "
            f"ici. {SAVE_AS}"
        )


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "un document PDF"),
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF87a", "une image GIF"),
    (b"GIF89a", "une image GIF"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"BM", "une image BMP"),
    (b"\x1f\x8b", "une archive compressée (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "une archive 7-Zip"),
    (b"Rar!", "une archive RAR"),
    (b"{\\rtf", "un document RTF"),
    (b"MZ", "un programme Windows"),
    (b"\x7fELF", "un programme"),
)


def refuse_binary_signature(data: bytes) -> None:
    """Name what the file is when its first bytes say it (PDF, image, old .xls…), so the user knows."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise LocalDataError(
            "Le fichier est un classeur Excel 97-2003 (.xls) ou un classeur protégé par un mot de passe, "
            f"qui ne peuvent pas être lus ici. Retirez le mot de passe s'il y en a un. {SAVE_AS}"
        )
    head = data[:16]
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise LocalDataError(f"Le fichier est une image WEBP, pas un tableau. {SAVE_AS}")
    for magic, what in _SIGNATURES:
        if head.startswith(magic) and (len(magic) > 2 or b"\x00" in data[:256] or not data[:256].isascii()):
            raise LocalDataError(f"Le fichier est {what}, pas un tableau. {SAVE_AS}")

# --------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Grid:
    """Check the ZIP container, then read every sheet with openpyxl and keep the one holding QPV codes."""
    names = _check_zip_container(data)
    _check_workbook_parts(data, names)
    sheets = _load_sheets(data)
    if not sheets:
        raise LocalDataError("Le classeur ne contient aucune feuille de calcul.")
    scores = [count_codes(sheet.rows) for sheet in sheets]
    best = max(range(len(sheets)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:  # no codes anywhere: keep the first non-empty sheet for the message
        best = next((i for i, sheet in enumerate(sheets)
                     if any(any(is_filled(x) for x in row) for row in sheet.rows)), 0)
    chosen = sheets[best]
    name = chosen.name
    if chosen.truncated:
        raise LocalDataError(
            f"La feuille « {shown(name)} » compte plus de {fr_number(MAX_ROWS)} lignes remplies : ce n'est pas un "
            "tableau d'une ligne par quartier.")
    grid = Grid(rows=chosen.rows, file_format="xlsx", sheet=name, percent_cells=chosen.percent)
    if _has_formulas(data):
        grid.uncached_formulas = _uncached_formulas(data, name, chosen.rows)
    if best > 0:
        grid.notes.append(
            f"Les données ont été lues dans la feuille « {shown(name)} » ({ordinal(best + 1)} feuille du "
            "classeur), la seule qui contient des codes de QPV." if sum(1 for s in scores if s) == 1 else
            f"Les données ont été lues dans la feuille « {shown(name)} » ({ordinal(best + 1)} feuille du "
            "classeur), celle qui contient le plus de codes de QPV."
        )
    elif sum(1 for s in scores if s) > 1:
        grid.notes.append(
            f"Plusieurs feuilles contiennent des codes de QPV : seule la feuille « {shown(name)} » est lue."
        )
    return grid


def _check_zip_container(data: bytes) -> list[str]:
    """Read the ZIP directory only (nothing is inflated) and refuse bombs, encryption and damage."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError (unknown version), OSError…: all mean damaged
        raise LocalDataError(
            "Le fichier commence comme une archive ZIP ou un classeur .xlsx mais il est endommagé ou "
            f"incomplet. {SAVE_AS}"
        ) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise LocalDataError(
            f"Le classeur contient {fr_number(len(infos))} éléments internes (un classeur normal en a "
            "quelques dizaines) : il est refusé par sécurité."
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise LocalDataError(
            f"Une fois décompressé, le classeur occuperait {fr_number(total / 1024 / 1024, 0)} Mo : il est "
            "refusé par sécurité (archive piégée possible)."
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise LocalDataError(f"Le classeur est chiffré. Retirez le mot de passe. {SAVE_AS}")
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise LocalDataError(
                f"Un élément du classeur se décompresse {fr_number(info.file_size / max(info.compress_size, 1), 0)}"
                " fois plus gros que sa taille compressée : le fichier est refusé par sécurité (archive piégée "
                "possible)."
            )
    return [info.filename for info in infos]


def _check_workbook_parts(data: bytes, names: list[str]) -> None:
    """Tell an XLSX from the other ZIP formats and refuse macros, DTDs and binary workbooks."""
    lower = {n.lower() for n in names}
    if "mimetype" in lower and any(n.startswith("content.xml") for n in lower):
        raise LocalDataError(
            f"Le fichier est un document OpenDocument (LibreOffice, .ods) qui n'est pas lu ici. {SAVE_AS}")
    if "xl/workbook.bin" in lower:
        raise LocalDataError(f"Le fichier est un classeur Excel binaire (.xlsb) qui n'est pas lu ici. {SAVE_AS}")
    if any(n.endswith("vbaproject.bin") for n in lower):
        raise LocalDataError(
            "Le classeur contient des macros (VBA) : il est refusé par sécurité. Enregistrez-le au format "
            "« Classeur Excel (.xlsx) », sans macros, ou au format .csv, puis réessayez."
        )
    if "word/document.xml" in lower:
        raise LocalDataError("Le fichier est un document Word, pas un tableau. " + SAVE_AS)
    if "ppt/presentation.xml" in lower:
        raise LocalDataError("Le fichier est une présentation PowerPoint, pas un tableau. " + SAVE_AS)
    if "[content_types].xml" not in lower or not any(n.endswith("workbook.xml") for n in lower):
        raise LocalDataError(
            "Le fichier est une archive ZIP qui n'est pas un classeur Excel (.xlsx). Décompressez-la et "
            "importez le fichier .csv ou .xlsx qu'elle contient."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in names:
            if not name.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(name) as part:
                    head = part.read(65_536)
            except Exception as exc:  # any inflate/CRC failure means a damaged or forged archive
                raise LocalDataError(
                    f"Le classeur est endommagé (partie « {shown(name)} » illisible). {SAVE_AS}") from exc
            if name.lower() == "[content_types].xml" and b"macroenabled" in head.lower():
                raise LocalDataError(
                    "Le classeur est déclaré « avec macros » (.xlsm) : il est refusé par sécurité. "
                    "Enregistrez-le au format « Classeur Excel (.xlsx) », sans macros, ou au format .csv, puis "
                    "réessayez.")
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise LocalDataError(
                    "Le classeur contient des déclarations XML inhabituelles (DOCTYPE) : il est refusé par "
                    f"sécurité. {SAVE_AS}")


@dataclass
class _Sheet:
    """One worksheet read with cached values: rows from row 1, percent-formatted numeric cells."""

    name: str
    rows: list[list[Any]]
    percent: set[tuple[int, int]]
    truncated: bool


def _load_sheets(data: bytes) -> list[_Sheet]:
    """Every worksheet as rows of values (cached values of formulas) and its percent-formatted cells.

    openpyxl raises many kinds of exceptions on damaged workbooks (KeyError, ValueError, XML errors…):
    all of them mean "this workbook cannot be read" for the user.
    """
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                              keep_links=False, keep_vba=False)
            try:
                return [_sheet_rows(ws) for ws in workbook.worksheets]
            finally:
                workbook.close()
    except LocalDataError:
        raise
    except Exception as exc:
        raise LocalDataError(DAMAGED) from exc


def _sheet_rows(ws: Any) -> _Sheet:
    """Rows of a read-only worksheet (row 1 first, gaps kept) and the percent-formatted numeric cells.

    Reading stops after ``MAX_ROWS`` filled rows (``truncated``: refused only if this sheet is the one
    read) or after ``MAX_BLANK_RUN`` empty rows (sheets formatted down to the last Excel row).
    """
    ws.reset_dimensions()  # some writers declare a wrong <dimension>, which would cut the data
    rows: list[list[Any]] = []
    percent: set[tuple[int, int]] = set()
    blank_run = 0
    non_blank = 0
    for r, row in enumerate(ws.iter_rows()):
        values = [cell.value for cell in row]
        while values and values[-1] is None:
            values.pop()
        for c, cell in enumerate(row[:len(values)]):
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and "%" in str(
                    getattr(cell, "number_format", "") or ""):
                percent.add((r, c))
        rows.append(values)
        if values:
            blank_run = 0
            non_blank += 1
            if non_blank > MAX_ROWS:
                return _Sheet(ws.title, rows, percent, truncated=True)
        else:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
    while rows and not rows[-1]:
        rows.pop()
    return _Sheet(ws.title, rows, percent, truncated=False)


_FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet part holds a formula element: the second openpyxl pass is needed only then."""
    try:
        return _scan_formulas(data)
    except Exception as exc:  # the first openpyxl pass succeeded, so this is a forged or odd archive
        raise LocalDataError(f"Le classeur est endommagé et ne peut pas être lu. {SAVE_AS}") from exc


def _scan_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.lower().startswith("xl/worksheets/") and name.lower().endswith(".xml")):
                continue
            with archive.open(name) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if _FORMULA_ELEMENT.search(tail + chunk):
                        return True
                    tail = chunk[-32:]
    return False


def _uncached_formulas(data: bytes, sheet: str, cached_rows: list[list[Any]]) -> set[tuple[int, int]]:
    """Cells of ``sheet`` holding a formula for which the file stores no computed value.

    Such cells read as empty with ``data_only=True``; they must be refused, not taken for blanks, and
    never evaluated. A second read-only pass with ``data_only=False`` tells formulas apart.
    """
    import openpyxl

    found: set[tuple[int, int]] = set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                              keep_links=False, keep_vba=False)
            try:
                ws = workbook[sheet]
                ws.reset_dimensions()
                for r, row in enumerate(ws.iter_rows()):
                    if r >= len(cached_rows):
                        break
                    for c, cell in enumerate(row):
                        if cell.data_type == "f" and (c >= len(cached_rows[r]) or cached_rows[r][c] is None):
                            found.add((r, c))
            finally:
                workbook.close()
    except LocalDataError:
        raise
    except Exception as exc:
        raise LocalDataError(DAMAGED) from exc
    return found


# --------------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------------


def read_text(data: bytes) -> Grid:
    """Decode, find the separator, check the shape, then let pandas read the cells as text."""
    text, encoding, notes = _decode(data)
    if not text.strip():
        raise LocalDataError("Le fichier est vide.")
    lowered = text.lstrip()[:200].lower()
    if lowered.startswith(("<!doctype html", "<html", "<table", "<head", "<body")):
        raise LocalDataError(
            "Le fichier est une page web (HTML), souvent produite par un export « Excel » d'un logiciel. "
            + SAVE_AS)
    if lowered.startswith("<?xml"):
        raise LocalDataError(
            "Le fichier est un document XML (par exemple « Feuille de calcul XML 2003 »), format qui n'est pas "
            "lu ici. " + SAVE_AS)
    separator = _choose_separator(text)
    width, used = _scan_shape(text, separator)
    rows = _pandas_rows(text, separator, width, used)
    return Grid(rows=rows, file_format="csv", encoding=encoding, separator=separator, notes=notes)


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    """Text of ``data``, the encoding's French label and warnings.

    Hard facts narrow the candidates first (a BOM, the zero bytes of UTF-16, valid UTF-8); then
    charset-normalizer decides among them, asked again accepting any "chaos" when it finds the text
    too odd at its default threshold (capitals with accents side by side, as in "ÉTAT PRÉVU"). When it
    still gives up on a single-byte file, Windows' code page cp1252 (what French office tools write)
    is applied with Python's codec. Whether the result is text or binary is then decided by counting
    control characters, which junk always has.
    """
    decoded = None
    for candidates, threshold in detection_plan(data):
        decoded = _detect(data, candidates, threshold)
        if decoded:
            break
    if decoded is None:
        decoded = _codec_fallback(data)
    if decoded is None:
        raise LocalDataError(
            "Le contenu du fichier est binaire ou dans un encodage inconnu : ce n'est ni un classeur .xlsx ni "
            f"un fichier texte CSV lisible. {SAVE_AS}")
    text, encoding, bom = decoded
    text = text.lstrip("\ufeff")
    bad = len(CONTROL.findall(text))
    if "\x00" in text or bad > max(3, len(text) // 1000):
        raise LocalDataError(
            "Le contenu du fichier est binaire (caractères de contrôle) : ce n'est ni un classeur .xlsx ni un "
            f"fichier texte CSV. {SAVE_AS}")
    notes = []
    if encoding != "utf_8" and MOJIBAKE.search(text):
        notes.append("Certains caractères accentués semblent mal codés (« Ã© » au lieu de « é ») : le fichier "
                     "mélange peut-être deux encodages. Les codes et les nombres sont lus normalement ; vérifiez "
                     "les titres de colonnes.")
    return text, _encoding_label(encoding, bom, data), notes


def detection_plan(data: bytes) -> list[tuple[list[str], float]]:
    """Candidate encodings for charset-normalizer, narrowed by facts that short files blur.

    Valid UTF-8 is UTF-8 (the detector may call "Coût €" cp1252). UTF-16 is offered only with a BOM
    or with the zero bytes that French text in UTF-16 always has: otherwise a short cp1252 file of
    even length ("Code;Œuvre…") is taken for UTF-16 BE and read as Chinese characters. Among single-byte
    encodings cp1252 comes first: latin-1 differs only by control characters where cp1252 has « € »,
    « œ » or « ’ ».
    """
    sample = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or sample.count(0) >= len(sample) // 4:
        return [(ENCODINGS, 0.2), (ENCODINGS, 1.0)]
    try:
        data.decode("utf_8")
    except UnicodeDecodeError:
        return [(["cp1252"], 0.2), (["cp1252"], 1.0), (["latin_1"], 0.2)]
    return [(["utf_8"], 0.2), (["utf_8"], 1.0)]


def _detect(data: bytes, candidates: list[str], threshold: float) -> tuple[str, str, bool] | None:
    """charset-normalizer's best match as ``(text, encoding, bom)``; it must never decide by crashing."""
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(data, cp_isolation=candidates, threshold=threshold).best()
        return None if best is None else (str(best), best.encoding, bool(best.bom))
    except Exception:
        return None


def _codec_fallback(data: bytes) -> tuple[str, str, bool] | None:
    """Python's codecs when the detector gives up: UTF-16 (BOM or zero bytes), else UTF-8, cp1252, latin-1.

    latin-1 accepts any byte: the control-character check that follows refuses junk.
    """
    sample = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = [("utf_16", "utf_16", True)]
    elif sample.count(0) >= len(sample) // 4:  # French text in UTF-16: a zero byte beside each ASCII letter
        little = sample[1::2].count(0) >= sample[0::2].count(0)
        attempts = [("utf_16_le", "utf_16_le", False) if little else ("utf_16_be", "utf_16_be", False)]
    else:
        attempts = [("utf_8_sig", "utf_8", data.startswith(b"\xef\xbb\xbf")), ("cp1252", "cp1252", False),
                    ("latin_1", "latin_1", False)]
    for codec, name, bom in attempts:
        try:
            return data.decode(codec), name, bom
        except UnicodeDecodeError:
            continue
    return None


def _encoding_label(name: str, bom: bool, data: bytes) -> str:
    """French label of the detected encoding for the summary ("UTF-8 avec BOM", "Windows-1252"…)."""
    if name == "utf_16":
        name = "utf_16_be" if data.startswith(b"\xfe\xff") else "utf_16_le"
    label = {
        "utf_8": "UTF-8", "ascii": "UTF-8", "utf_16_le": "UTF-16 LE", "utf_16_be": "UTF-16 BE",
        "cp1252": "Windows-1252", "latin_1": "ISO-8859-1 (latin-1)",
    }.get(name, name)
    if label.startswith("UTF"):
        label += " avec BOM" if bom else " sans BOM"
    return label


def _choose_separator(text: str) -> str:
    """The separator under which the sample shows the most QPV codes, then the most regular columns.

    Counting codes first settles the classic ambiguity ``QN00101M;12,5``: split on ``,`` the first
    cell is ``QN00101M;12``, not a code.
    """
    sample = _head_records(text, SNIFF_RECORDS + 1)
    scores = []
    for order, sep in enumerate(SEPARATORS):
        if sep not in sample:
            continue
        try:
            records = list(_limited(csv.reader(io.StringIO(sample, newline=""), delimiter=sep), SNIFF_RECORDS))
        except csv.Error:
            continue
        codes = sum(1 for rec in records for cell in rec if as_code(cell))
        widths = [len(rec) for rec in records if any(cell.strip() for cell in rec)]
        modal, freq = Counter(widths).most_common(1)[0] if widths else (1, 0)
        regular = freq / len(widths) if widths and modal > 1 else 0.0
        scores.append(((codes, regular, modal > 1, -order), sep))
    if not scores:
        return ";"
    return max(scores)[1]


def _head_records(text: str, lines: int) -> str:
    """The first ``lines`` physical lines of ``text`` (enough to sniff the separator)."""
    end = 0
    for _ in range(lines):
        nxt = text.find("\n", end)
        if nxt < 0:
            return text
        end = nxt + 1
    return text[:end]


def _limited(records: Iterable[list[str]], count: int) -> Iterable[list[str]]:
    for i, rec in enumerate(records):
        if i >= count:
            return
        yield rec


def _scan_shape(text: str, sep: str) -> tuple[int, int]:
    """Widest record and last filled column, with the size limits checked before pandas allocates.

    Returns ``(width, used)``: pandas needs ``width`` names so that no record is "too long", and only
    the first ``used`` columns hold anything (INSEE files pad their header with hundreds of ``;``).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    width = used = records = 0
    try:
        for rec in reader:
            records += 1
            if records > MAX_ROWS + 1000:
                raise LocalDataError(
                    f"Le fichier compte plus de {fr_number(MAX_ROWS)} lignes : ce n'est pas un tableau d'une "
                    "ligne par quartier.")
            if len(rec) > MAX_RAW_FIELDS:
                raise LocalDataError(
                    f"La ligne compte {fr_number(len(rec))} champs : ce n'est pas un tableau lisible.", row=records)
            width = max(width, len(rec))
            for c in range(len(rec) - 1, -1, -1):
                if rec[c].strip():
                    if c + 1 > MAX_COLUMNS:
                        raise LocalDataError(
                            f"le fichier a plus de {MAX_COLUMNS} colonnes remplies (la {fr_number(MAX_COLUMNS + 1)}e "
                            "est la première de trop). Gardez seulement la colonne des codes de QPV et celle des "
                            "valeurs.", row=records, column=column_letter(MAX_COLUMNS))
                    used = max(used, c + 1)
                    break
            for c, cell in enumerate(rec):
                if len(cell) > MAX_CELL_CHARS:
                    raise LocalDataError(long_cell(len(cell)), row=records, column=column_letter(c))
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise LocalDataError(long_cell(None), row=reader.line_num) from exc
        raise LocalDataError(f"Le fichier CSV est mal formé ({shown(exc, 80)}).", row=reader.line_num) from exc
    return max(width, 1), max(used, 1)


def long_cell(length: int | None) -> str:
    size = f"{fr_number(length)} caractères" if length else "un texte très long"
    return (f"la cellule contient {size} ; la limite est de {fr_number(MAX_CELL_CHARS)} caractères. "
            "Ce n'est pas une valeur de tableau (guillemet non fermé ?).")


def _pandas_rows(text: str, sep: str, width: int, used: int) -> list[list[str]]:
    """All records as lists of strings, read by pandas with explicit options (no type guessing, no NA)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, header=None, names=list(range(width)), usecols=list(range(used)),
                dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False, quotechar='"',
                doublequote=True, escapechar=None, comment=None, index_col=False, engine="c",
            )
    except pd.errors.ParserError as exc:
        match = re.search(r"(?:row|line) (\d+)", str(exc))
        row = int(match.group(1)) + (1 if "row" in str(exc) else 0) if match else None
        raise LocalDataError(
            "le fichier CSV est mal formé à partir de cette ligne (guillemet ouvert mais jamais fermé, ou nombre "
            "de champs incohérent).", row=row) from exc
    except (ValueError, MemoryError, csv.Error) as exc:
        raise LocalDataError("Le fichier CSV est mal formé et ne peut pas être lu.") from exc
    return [[cell if isinstance(cell, str) else "" for cell in row] for row in frame.itertuples(index=False, name=None)]
