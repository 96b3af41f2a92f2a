"""Parsers for the official file formats, with their real traps.

Every parser takes the raw bytes (or a path) and returns typed pandas frames. Codes stay strings; a
blank cell stays missing (secret statistique), never zero. Each parser raises ``SourceFormatError``
naming the source and the problem instead of letting pandas fail deep inside.

Traps handled (see ``shared/docs/data-sources.md`` §3.0): ``;`` separator and decimal comma; thousands
separators U+202F (DEMO/REVN/IPRO) and U+00A0 (data_filo18/19); UTF-8 with or without BOM; header
padded with hundreds of ``;``; column names with trailing spaces; ``Ensemble`` rows; lower-case older
names in data_filo16/17; RPLS with ``,`` separator and mixed decimal marks; Excel-protected codes
``="13055;13070"`` in the ANCT QPV list.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from core.errors import SourceFormatError, SourceMissingError

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
            name, f"valeur non numérique « {example} » dans la colonne {column} ({int(bad.sum())} cellule(s))."
        )


def read_csv_text(text: str, name: str, sep: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(name, f"lecture CSV impossible ({exc}).") from exc
    frame = frame.loc[:, ~frame.columns.str.startswith("Unnamed")]
    frame.columns = frame.columns.str.strip()
    return frame.replace("", pd.NA)


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
            name, "colonne(s) attendue(s) absente(s) : " + ", ".join(missing) + " (fichier renommé ou modifié ?)."
        )


def read_insee_qpv(
    source: Path | bytes,
    columns: list[str],
    *,
    name: str | None = None,
    text_columns: tuple[str, ...] = ("LIBGEO", "LIB_COM"),
) -> pd.DataFrame:
    """INSEE per-QPV file (DEMO/REVN/IPRO/data_filo) → frame indexed by QPV code.

    Only ``columns`` are converted and returned (plus the text columns present); they must exist.
    The ``Ensemble`` row (all QPV together) is returned separately by ``read_insee_qpv_ensemble``.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    return _qpv_values(frame, columns, name, text_columns)


def _qpv_values(
    frame: pd.DataFrame, columns: list[str], name: str, text_columns: tuple[str, ...]
) -> pd.DataFrame:
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    key = frame.columns[0]
    if key.upper() != "CODGEO":
        raise SourceFormatError(name, f"première colonne « {key} » au lieu de CODGEO.")
    require_columns(frame, columns, name)
    frame = frame[frame[key].str.strip() != "Ensemble"].copy()
    frame[key] = frame[key].str.strip()
    if frame[key].duplicated().any():
        dup = frame.loc[frame[key].duplicated(), key].iloc[0]
        raise SourceFormatError(name, f"code QPV en double : {dup}.")
    out = pd.DataFrame(index=pd.Index(frame[key].to_numpy(), name="code_qp"))
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    for column in text_columns:
        if column in frame.columns and column not in out.columns:
            out[column] = frame[column].to_numpy()
    return out


def read_insee_qpv_ensemble(source: Path | bytes, columns: list[str], *, name: str | None = None) -> pd.Series:
    """The ``Ensemble`` row (value for all QPV together) of an INSEE per-QPV file, or an empty Series."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    require_columns(frame, columns, name)
    rows = frame[frame[frame.columns[0]].str.strip() == "Ensemble"]
    if rows.empty:
        return pd.Series(dtype="float64")
    return pd.Series({c: to_number(rows[c]).iloc[0] for c in columns}, dtype="float64")


#: Older (2016, 2017) → newer (2018+) Filosofi QPV names, per concept.
def filosofi_qpv_columns(year: int) -> dict[str, str]:
    """Column names of ``data_filoYY_qp_revdis`` for a year, keyed by our concept names."""
    yy = f"{year % 100:02d}"
    if year <= 2017:
        return {"revenu_median": f"disp_q2_a{yy}", "taux_pauvrete": f"tp60_a{yy}", "note": "note"}
    return {
        "revenu_median": f"DISP_MED_A{yy}",
        "taux_pauvrete": f"DISP_TP60_A{yy}",
        "note": f"DISP_NOTE_A{yy}",
    }


def read_filosofi_qpv(source: Path | bytes, year: int, *, name: str | None = None) -> pd.DataFrame:
    """``data_filoYY_qp_revdis`` → ``revenu_median``, ``taux_pauvrete``, ``note`` per QPV code."""
    mapping = filosofi_qpv_columns(year)
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    # data_filo16/17 use a lower-case key: normalise before the shared checks.
    if frame.shape[1] >= 1 and frame.columns[0].upper() == "CODGEO":
        frame = frame.rename(columns={frame.columns[0]: "CODGEO"})
    values = _qpv_values(frame, list(mapping.values()), name, ())
    return values.rename(columns={v: k for k, v in mapping.items()})


def read_rpls_qpv(source: Path | bytes, columns: list[str], *, name: str | None = None) -> pd.DataFrame:
    """RPLS per QPV: ``,`` separator and mixed decimal marks (``2493.0`` next to ``"4,8"``)."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, ["CodGeo", *columns], name)
    out = pd.DataFrame(index=pd.Index(frame["CodGeo"].str.strip().to_numpy(), name="code_qp"))
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out


def read_filosofi_territory(
    source: Path | bytes, columns: list[str], *, name: str | None = None
) -> pd.DataFrame:
    """``FILOyyyy_DISP_{COM,EPCI,DEP,REG,METROPOLE}``: one row per territory code."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    require_columns(frame, ["CODGEO", "LIBGEO", *columns], name)
    out = pd.DataFrame(
        {"code": frame["CODGEO"].str.strip().to_numpy(), "libelle": frame["LIBGEO"].to_numpy()}
    )
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out


def unprotect_excel_code(cell: object) -> list[str]:
    """``="13055;13070"`` (Excel-protected list in the ANCT QPV CSV) → ``["13055", "13070"]``."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)) or cell is pd.NA:
        return []
    text = str(cell).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return [part.strip() for part in text.split(";") if part.strip()]


QPV2024_LIST_COLUMNS = ["code_qp", "lib_qp", "insee_com", "lib_com", "insee_dep", "insee_reg", "siren_epci"]


def read_qpv2024_list(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """QPV 2024 list → long table, one row per QPV × commune.

    Accepts both the official ANCT ``listeqp2024`` CSV (``;``, BOM, Excel-protected commune lists)
    and the derived ``qpv2024_communes_epci_dep_reg.csv`` (``,``, already long).
    """
    frame, name = read_delimited(source, name)
    require_columns(frame, ["code_qp", "lib_qp", "insee_com"], name)
    frame["insee_com"] = frame["insee_com"].map(unprotect_excel_code)
    frame = frame.explode("insee_com").dropna(subset=["insee_com"])
    bad = ~frame["code_qp"].str.fullmatch(r"Q[NP][0-9A-Z]{6}")
    if bad.any():
        raise SourceFormatError(name, f"code QPV invalide : « {frame.loc[bad, 'code_qp'].iloc[0]} ».")
    return frame.reset_index(drop=True)


def read_qpv2015_commune(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """TAG_QPV_2015 extraction: ``code, nom_qp, insee_com`` → ``code_qp, lib_qp, insee_com``."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, ["code", "nom_qp", "insee_com"], name)
    return frame.rename(columns={"code": "code_qp", "nom_qp": "lib_qp"})[["code_qp", "lib_qp", "insee_com"]]
