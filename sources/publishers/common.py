"""The one reading policy for every file a publisher serves, so that every source is refused for the
same reasons with the same French words.

Every parser takes a path or the raw bytes (plus a display name for messages) and returns typed pandas
frames: codes stay text, a blank cell stays missing (never zero), and a problem raises
``SourceFormatError`` naming the source instead of letting pandas or GDAL fail deep inside. Text is
decoded here once (UTF-8 with or without BOM; an HTML page, an empty body, a ZIP or a cp1252 file are
refused), and control characters in cells become spaces (``core.text.clean_frame``): a name holding
one would make the Word and PDF annex fail.

Traps handled (``shared/docs/data-sources.md`` §3.0): ``;`` or ``,`` separators, decimal comma,
thousands separators U+202F and U+00A0, header padded with hundreds of ``;``, column names with
trailing spaces.
"""

from __future__ import annotations

from core.text import clean_frame

from collections.abc import Iterable
from pathlib import Path
import io
import json
import pandas as pd
import re
import zipfile
from core.reasons import SECRET
from core.errors import SourceFormatError, SourceMissingError
from core.formats import plural



_THOUSANDS = re.compile(r"[\u202f\u00a0 ]")


_BOM = b"\xef\xbb\xbf"


def read_bytes(source: Path | bytes, name: str | None = None) -> tuple[bytes, str]:
    """Bytes of a path or of an in-memory payload, with a display name for messages."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "contenu téléchargé"
    path = Path(source)
    if not path.is_file():
        raise SourceMissingError(name or str(path), "fichier introuvable.")
    return path.read_bytes(), name or path.name


def sniff_text(data: bytes, name: str) -> str:
    """Decode a text payload, refusing what is obviously not a data file.

    An HTML error page served with status 200 and an empty body are the two failures seen from
    official hosts; both must stop here with a clear message. Files in cp1252 instead of UTF-8 are
    refused too: guessing would silently corrupt names.
    """
    if not data.strip():
        raise SourceFormatError(name, "le fichier est vide.")
    head = data[:512].lstrip(_BOM).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise SourceFormatError(name, "une page HTML a été reçue à la place d'un fichier de données.")
    if data[:4] == b"PK\x03\x04":
        raise SourceFormatError(name, "une archive ZIP a été reçue à la place d'un fichier CSV.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            name, "le fichier n'est pas encodé en UTF-8 (encodage Windows/cp1252 probable)."
        ) from exc


def to_number(series: pd.Series) -> pd.Series:
    """French-formatted text → float. Blank → NaN. Anything else unparsable → error upstream."""
    text = series.astype("string").str.strip()
    text = text.str.replace(_THOUSANDS, "", regex=True).str.replace(",", ".", regex=False)
    text = text.mask(text == "")
    return pd.to_numeric(text, errors="coerce").astype("float64")


def check_numeric(raw: pd.Series, parsed: pd.Series, name: str, column: str) -> None:
    """Refuse a column where a non-blank cell did not parse (a shifted or renamed column)."""
    bad = raw.notna() & (raw.astype("string").str.strip() != "") & parsed.isna()
    if bad.any():
        example = raw[bad].iloc[0]
        raise SourceFormatError(
            name, f"valeur non numérique « {example} » dans la colonne {column} ({plural(int(bad.sum()), 'cellule')})."
        )


def read_csv_text(text: str, name: str, sep: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(name, f"lecture CSV impossible ({exc}).") from exc
    frame = frame.loc[:, ~frame.columns.str.startswith("Unnamed")]
    frame.columns = frame.columns.str.strip()
    return clean_frame(frame.replace("", pd.NA))


def read_delimited(source: Path | bytes, name: str | None = None) -> tuple[pd.DataFrame, str]:
    """A ``;`` or ``,`` separated file, the separator taken from its header line; returns (frame, name).

    Several sources exist in both an official (``;``) and a derived (``,``) layout.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") >= header.count(",") else ","
    frame = read_csv_text(text, name, sep=sep)
    if frame.shape[1] < 2:
        raise SourceFormatError(name, f"séparateur « {sep} » attendu : une seule colonne lue.")
    return frame, name


def require_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceFormatError(
            name, f"{plural(len(missing), 'colonne attendue absente', 'colonnes attendues absentes')} : "
            + ", ".join(missing) + " (fichier renommé ou modifié ?)."
        )


def numeric_with_reason(frame: pd.DataFrame, column: str, name: str, masked: Iterable[str] = ()) -> tuple[pd.Series, pd.Series]:
    """Convert one text column to float and say why each missing cell is missing.

    Masking tokens (``secret``, ``nd``…) and blanks both become NaN with reason ``secret_statistique``;
    any other text is a shifted or renamed column and stops the load (``check_numeric``).
    """
    raw = frame[column].astype("string").str.strip().reset_index(drop=True)
    tokens = {t.lower() for t in masked}
    is_token = raw.str.lower().isin(tokens).fillna(False) if tokens else pd.Series(False, index=raw.index)
    cleaned = raw.mask(is_token)
    parsed = to_number(cleaned)
    check_numeric(cleaned, parsed, name, column)
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    reason[parsed.isna().to_numpy()] = SECRET
    return parsed, reason


def unique_key(frame: pd.DataFrame, columns: list[str], name: str, what: str) -> None:
    """Refuse duplicated keys: a duplicate would silently double a count after a merge."""
    dup = frame.duplicated(columns)
    if dup.any():
        example = " / ".join(str(v) for v in frame.loc[dup, columns].iloc[0])
        raise SourceFormatError(name, f"{what} en double : {example}.")


def iris_codes(series: pd.Series, name: str, *, fictive: bool = False) -> pd.Series:
    """Nine-character IRIS codes (``2A004…`` allowed); anything else means a wrong column or a cast.

    ``fictive`` also accepts SDES's ``<commune>XXXX`` ("IRIS fictif de la commune …": a delivery
    located only at commune level).
    """
    codes = series.astype("string").str.strip()
    pattern = r"[0-9][0-9AB][0-9]{3}(?:[0-9]{4}|XXXX)" if fictive else r"[0-9][0-9AB][0-9]{7}"
    bad = ~codes.str.fullmatch(pattern).fillna(False)
    if bad.any():
        raise SourceFormatError(
            name, f"code IRIS invalide « {codes[bad].iloc[0]} » (9 caractères attendus, lus comme du texte)."
        )
    return codes


def commune_codes(series: pd.Series, name: str) -> pd.Series:
    codes = series.astype("string").str.strip().str.zfill(5)
    bad = ~codes.str.fullmatch(r"[0-9][0-9AB][0-9]{3}").fillna(False)
    if bad.any():
        raise SourceFormatError(name, f"code commune invalide « {codes[bad].iloc[0]} ».")
    return codes


ZIP_MAGIC = b"PK\x03\x04"


def read_json(source: Path | bytes | dict | list, name: str | None) -> tuple[object, str]:
    if isinstance(source, (dict, list)):
        return source, name or "réponse JSON"
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    try:
        return json.loads(text), name
    except ValueError as exc:
        raise SourceFormatError(name, f"contenu JSON illisible ({exc.msg}).") from exc


#: Members of an archive that are never data: INSEE puts a ``meta_…csv`` (variable list) next to its data.
METADATA_MEMBER = re.compile(r"^meta_", re.I)


def zip_member(source: Path, pattern: str, *, name: str) -> tuple[str, bytes]:
    """The (last, by name) member of a ZIP whose file name matches ``pattern``: dated names sort by date.
    Metadata members (``meta_…``) are skipped even when they match."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
            regex = re.compile(pattern, re.I)
            matches = sorted(m for m in names if regex.search(m.rsplit("/", 1)[-1])
                             and not METADATA_MEMBER.search(m.rsplit("/", 1)[-1]))
            if not matches:
                raise SourceFormatError(name, f"aucun fichier « {pattern} » dans l'archive (contenu : "
                                              f"{', '.join(n.rsplit('/', 1)[-1] for n in names[:6])}).")
            return matches[-1], archive.read(matches[-1])
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc


def csv_or_zip_member(source: Path, pattern: str, *, name: str) -> bytes:
    """A CSV file as downloaded, or its member when INSEE ships it zipped."""
    data = Path(source).read_bytes()
    if data[:4] == ZIP_MAGIC:
        return zip_member(Path(source), pattern, name=name)[1]
    return data
