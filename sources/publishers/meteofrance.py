"""Parsers for the environmental and IRIS-level source files, with their real traps.

Same contract as every publisher module (``sources.publishers.common``): each function takes a path or the raw bytes (plus an optional
display name), returns typed frames with codes kept as strings, keeps blanks as missing (never zero)
and raises ``SourceFormatError`` with a French message naming the source instead of letting pandas or
GDAL fail deep inside. Text decoding and the HTML/empty/non-UTF-8 checks are those of
``sniff_text``, so every source is refused for the same reasons with the same words.

Traps handled (see ``shared/docs/data-sources.md`` §2.4, §3.7, §4.1, §4.3, §5.2, §5.3, §6.2, §6.4):

* DRIAS exports: ``#`` comment header, column line ``# Point;…``, legend lines without ``#``, trailing
  ``;``, double-encoded UTF-8 header (``PÃ©riode``), a truncated last line (RCP4.5 annual copy) and
  anomaly rows that are all zero although the absolute values moved (recomputed, never trusted);
* Filosofi IRIS: ``;``, BOM, decimal comma, blank or ``nd``/``ns``/``s`` (2021) = secret;
* CNAF IRIS: ``;``, CRLF, blank = secret;
* SDES heat/cold networks: two header lines, ``secret``/``nd`` tokens, the IRIS column renamed ``IRIS``
  in 2023, another column order in 2018, ``NA`` energy type in 2022 (recovered from the network id);
* LCZ per IRIS: GeoJSON in EPSG:2154 (a copy without ``crs`` member is read by GDAL as WGS84);
* GASPAR/DDRM: one row per commune with a list of risk codes (derived file) or one row per commune ×
  risk (official member ``ddrm_risq_gaspar_<date>.csv``).

Missing-value reasons use the codes of ``core.reasons``.
"""

from __future__ import annotations

from sources.publishers.common import check_numeric, read_bytes, require_columns, sniff_text, unique_key

import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import SourceFormatError
from core.formats import plural



# ---------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------


def _repair_mojibake(text: str) -> str:
    """Undo one level of double UTF-8 encoding (``PÃ©riode`` → ``Période``); leave clean text alone."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# ---------------------------------------------------------------------------------------------------
# DRIAS
# ---------------------------------------------------------------------------------------------------

DRIAS_ID_COLUMNS = ["Point", "Latitude", "Longitude", "Contexte", "Période"]
_DRIAS_ROW = re.compile(r"^\d+;")
_DRIAS_LABEL = re.compile(r"^#\s+([A-Z][A-Z0-9]*)\s*:\s*(.+?)\s*$")


def read_drias(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """DRIAS text export (annual or seasonal indices) → one row per point × context × period.

    Columns: ``Point`` (str), ``Latitude``/``Longitude`` (float, WGS84), ``Contexte`` and ``Période``
    (str), ``Saison`` (Int64, seasonal files only), then every index as float (``NOR*`` absolute values,
    ``A*`` anomalies as written in the file — see ``drias_anomalies`` before using them).

    A row with fewer fields than the header is accepted only as the very last line (the RCP4.5 annual
    copy is cut mid-line upstream) and is dropped; anywhere else it means a damaged file. The number of
    dropped lines is kept in ``frame.attrs["lignes_tronquees"]`` and the index labels found in the
    comment header in ``frame.attrs["libelles"]``, so callers can show both.
    """
    data, name = read_bytes(source, name)
    lines = sniff_text(data, name).splitlines()
    header = next((line for line in lines if line.startswith("# Point;")), None)
    if header is None:
        raise SourceFormatError(name, "ligne d'en-tête « # Point; » introuvable : export texte DRIAS attendu.")
    columns = [c.strip() for c in _repair_mojibake(header)[1:].split(";")]
    while columns and not columns[-1]:
        columns.pop()
    if len(set(columns)) != len(columns):
        raise SourceFormatError(name, "noms de colonnes en double dans l'en-tête DRIAS.")

    rows = [line for line in lines if _DRIAS_ROW.match(line)]
    if not rows:
        raise SourceFormatError(name, "aucune ligne de données après l'en-tête DRIAS.")
    fields = [row.split(";") for row in rows]
    short = [i for i, parts in enumerate(fields) if len(parts) < len(columns)]
    if any(i != len(fields) - 1 for i in short):
        raise SourceFormatError(
            name, f"ligne de données incomplète au milieu du fichier (point {fields[short[0]][0]})."
        )
    # A cut last line may also keep all its separators but lose the end of its last number: every
    # complete DRIAS row ends with ';', so a last line without it is dropped too.
    ends_with_sep = rows[0].rstrip().endswith(";")
    truncated = len(short)
    if not short and len(rows) > 1 and ends_with_sep and not rows[-1].rstrip().endswith(";"):
        short = [len(rows) - 1]
        truncated = 1
    keep = [parts[: len(columns)] for i, parts in enumerate(fields) if i not in short]
    if not keep:
        raise SourceFormatError(name, "aucune ligne de données complète dans l'export DRIAS.")

    raw = pd.DataFrame(keep, columns=columns, dtype="string")
    require_columns(raw, DRIAS_ID_COLUMNS, name)
    out = pd.DataFrame({"Point": raw["Point"].str.strip().astype(str)})
    for column in columns[1:]:
        if column in ("Contexte", "Période"):
            out[column] = raw[column].str.strip().astype(str)
            continue
        values = raw[column].str.strip()
        parsed = pd.to_numeric(values.mask(values == ""), errors="coerce").astype("float64")
        check_numeric(values, parsed, name, column)
        out[column] = parsed.to_numpy()
    if "Saison" in out.columns:
        out["Saison"] = out["Saison"].astype("Int64")
    key = ["Point", "Contexte", "Période"] + (["Saison"] if "Saison" in out.columns else [])
    unique_key(out, key, name, "point DRIAS")

    labels = {}
    for line in lines:
        match = _DRIAS_LABEL.match(_repair_mojibake(line))
        if match and match.group(1) in out.columns:
            labels[match.group(1)] = match.group(2)
    out.attrs["libelles"] = labels
    out.attrs["lignes_tronquees"] = truncated
    return out


def anomaly_column(index: str) -> str:
    """Name of the anomaly of an absolute index: ``NORTX35`` → ``ATX35`` (DRIAS convention)."""
    if not index.startswith("NOR"):
        raise ValueError(f"indice DRIAS absolu attendu (préfixe NOR) : {index}")
    return "A" + index[3:]


def drias_anomalies(
    horizon_df: pd.DataFrame, ref_df: pd.DataFrame, indices: list[str] | None = None
) -> pd.DataFrame:
    """Anomalies recomputed as ``NOR*(horizon) − NOR*(REF)`` for each point (and season).

    The files carry ``A*`` anomalies, but hundreds of rows have all of them at 0 while the absolute
    values differ from the reference (Point 139: ``NORTX35`` 7.23 vs 2.37): the written anomalies are
    therefore never used. Where they are not all zero they equal the recomputed ones exactly.

    Returns the identifying columns of ``horizon_df``, each index's horizon value, its reference value
    (``<index>_ref``) and its anomaly (``A…``), plus ``anomalie_fichier_nulle`` (the file's anomalies
    were all zero for that row). Points absent from the reference get NaN anomalies.
    """
    if indices is None:
        indices = [c for c in horizon_df.columns if c.startswith("NOR") and c in ref_df.columns]
    missing = [c for c in indices if c not in horizon_df.columns or c not in ref_df.columns]
    if missing:
        raise ValueError(plural(len(missing), "indice absent", "indices absents") + " du fichier horizon ou de la référence : " + ", ".join(missing))
    key = ["Point"] + (["Saison"] if "Saison" in horizon_df.columns and "Saison" in ref_df.columns else [])
    if ref_df.duplicated(key).any():
        raise ValueError("la référence DRIAS doit avoir une seule ligne par point (et saison).")

    ident = [c for c in [*DRIAS_ID_COLUMNS, "Saison"] if c in horizon_df.columns]
    all_written = [c for c in horizon_df.columns if re.fullmatch(r"A[A-Z0-9]+", c)]
    out = horizon_df[ident + indices].reset_index(drop=True)
    reference = ref_df[key + indices].rename(columns={c: f"{c}_ref" for c in indices})
    out = out.merge(reference, on=key, how="left", validate="many_to_one")
    for column in indices:
        out[anomaly_column(column)] = np.round(out[column] - out[f"{column}_ref"], 6)
    if all_written:
        zeros = (horizon_df[all_written].reset_index(drop=True) == 0).all(axis=1)
        out["anomalie_fichier_nulle"] = zeros.to_numpy()
    else:
        out["anomalie_fichier_nulle"] = False
    return out


# ---------------------------------------------------------------------------------------------------
# IRIS statistics: BDNB, Filosofi, CNAF
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# SDES heat and cold networks
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# LCZ per IRIS
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# GASPAR / DDRM
# ---------------------------------------------------------------------------------------------------


