"""Parsers for the environmental and IRIS-level source files, with their real traps.

Same contract as ``loaders.parsers``: each function takes a path or the raw bytes (plus an optional
display name), returns typed frames with codes kept as strings, keeps blanks as missing (never zero)
and raises ``SourceFormatError`` with a French message naming the source instead of letting pandas or
GDAL fail deep inside. Text decoding and the HTML/empty/non-UTF-8 checks are those of
``parsers.sniff_text``, so every source is refused for the same reasons with the same words.

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

Missing-value reasons use the codes of ``loaders.extract`` / ``indicators.formatting``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from core.errors import SourceFormatError
from core.reasons import NOT_FILLED, SECRET

# The two private helpers are shared on purpose: one CSV reading policy for every INSEE-like file.
from loaders.parsers import (
    check_numeric,
    read_bytes,
    read_csv_text,
    read_delimited,
    require_columns,
    sniff_text,
    to_number,
)


# ---------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------


def _numeric(frame: pd.DataFrame, column: str, name: str, masked: Iterable[str] = ()) -> tuple[pd.Series, pd.Series]:
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


def _unique_key(frame: pd.DataFrame, columns: list[str], name: str, what: str) -> None:
    """Refuse duplicated keys: a duplicate would silently double a count after a merge."""
    dup = frame.duplicated(columns)
    if dup.any():
        example = " / ".join(str(v) for v in frame.loc[dup, columns].iloc[0])
        raise SourceFormatError(name, f"{what} en double : {example}.")


def _iris_codes(series: pd.Series, name: str, *, fictive: bool = False) -> pd.Series:
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
    _unique_key(out, key, name, "point DRIAS")

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
        raise ValueError("indice(s) absent(s) du fichier horizon ou de la référence : " + ", ".join(missing))
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

BDNB_NUMERIC = [
    "P22_POP",
    "men_tot_stock_22",
    "logd_dpe_total_24",
    "logd_dpe_fg_pct_24",
    "logd_dpe_abc_pct_24",
    "rev_disp_med_21",
    "rev_txpauv_21",
    "log_lochlm_pct_22",
]
BDNB_REQUIRED = ["code_iris", "code_commune", "P22_POP", "logd_dpe_total_24", "logd_dpe_fg_pct_24"]


def read_bdnb_iris(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """BDNB-derived DPE table per IRIS → one row per IRIS, codes as text, NaN kept.

    ``logd_dpe_total_24`` counts **DPE**, not dwellings, and ``logd_dpe_fg_pct_24`` is the % of those
    DPE in class F or G; ``nb_dpe_fg`` (= total × % / 100) is added so that the count and its
    denominator can be interpolated separately (never average a rate across IRIS). NaN means no DPE
    recorded, or secret for the Filosofi 2021 columns.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « , » attendu : une seule colonne lue.")
    require_columns(frame, BDNB_REQUIRED, name)
    out = pd.DataFrame({"code_iris": _iris_codes(frame["code_iris"], name).to_numpy()})
    for column in ["code_commune", "lib_iris", "lib_commune", "typ_iris", "dep"]:
        if column in frame.columns:
            out[column] = frame[column].astype("string").str.strip().to_numpy()
    for column in BDNB_NUMERIC:
        if column not in frame.columns:
            continue
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    _unique_key(out, ["code_iris"], name, "code IRIS")
    out["nb_dpe_fg"] = out["logd_dpe_total_24"] * out["logd_dpe_fg_pct_24"] / 100.0
    return out


FILOSOFI_IRIS_TOKENS = ("nd", "ns", "s")


def read_filosofi_iris(source: Path | bytes, year: int, *, name: str | None = None) -> pd.DataFrame:
    """Filosofi disposable income per IRIS → ``code_iris, insee_com, taux_pauvrete, revenu_median``.

    ``taux_pauvrete`` is ``DISP_TP60yy`` (%), ``revenu_median`` is ``DISP_MEDyy`` (€ per consumption
    unit). Blank cells (2019) and the tokens ``nd``/``ns``/``s`` (2021) are secret: NaN with reason
    ``secret_statistique`` in ``taux_pauvrete_raison`` / ``revenu_median_raison``. ``note`` is the
    INSEE quality flag when the file has one (``DISP_NOTEyy``).
    """
    yy = f"{year % 100:02d}"
    mapping = {"taux_pauvrete": f"DISP_TP60{yy}", "revenu_median": f"DISP_MED{yy}"}
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["IRIS", *mapping.values()], name)
    out = pd.DataFrame({"code_iris": _iris_codes(frame["IRIS"], name).to_numpy()})
    if "COM" in frame.columns:
        out["insee_com"] = frame["COM"].astype("string").str.strip().to_numpy()
    for ours, theirs in mapping.items():
        values, reason = _numeric(frame, theirs, name, FILOSOFI_IRIS_TOKENS)
        out[ours] = values.to_numpy()
        out[f"{ours}_raison"] = reason.to_numpy()
    note = f"DISP_NOTE{yy}"
    if note in frame.columns:
        out["note"] = _numeric(frame, note, name, FILOSOFI_IRIS_TOKENS)[0].to_numpy()
    _unique_key(out, ["code_iris"], name, "code IRIS")
    return out


CAF_COUNTS = ["A", "ARSAS", "AAPL"]


def read_caf_iris(
    source: Path | bytes, *, columns: list[str] | None = None, name: str | None = None
) -> pd.DataFrame:
    """CNAF allocataires per IRIS → ``code_iris, note`` and counts (default ``A``, ``ARSAS``, ``AAPL``).

    ``A`` = allocataires, ``ARSAS`` = RSA socle, ``AAPL`` = APL (numbers of allocataires, not rates).
    Blank = secret (NaN, never 0); ``note`` is the file's quality/secrecy flag (0 = published).
    """
    wanted = list(columns or CAF_COUNTS)
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["CODGEO", *wanted], name)
    out = pd.DataFrame({"code_iris": _iris_codes(frame["CODGEO"], name).to_numpy()})
    if "NOTE" in frame.columns:
        out["note"] = _numeric(frame, "NOTE", name)[0].to_numpy()
    for column in wanted:
        out[column] = _numeric(frame, column, name)[0].to_numpy()
    _unique_key(out, ["code_iris"], name, "code IRIS")
    return out


# ---------------------------------------------------------------------------------------------------
# SDES heat and cold networks
# ---------------------------------------------------------------------------------------------------

SDES_REQUIRED = ["OPERATEUR", "ANNEE", "IRIS_CODE", "FILIERE", "CODE_GRAND_SECTEUR", "CONSO", "PDL"]
SDES_TOKENS = ("secret", "nd")


def read_sdes_heat_rows(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """SDES heat/cold network file → one row per operator × IRIS × sector, as published.

    Columns: ``operateur, annee, code_iris, libelle_iris, filiere`` (``C`` chaleur / ``F`` froid),
    ``secteur``, ``conso_mwh``, ``pdl`` (delivery points) and ``conso_mwh_raison`` / ``pdl_raison``
    (``secret_statistique`` for ``secret``/``nd``, ``non_renseigne`` for an empty cell). The 2018 file
    has several rows for the same key (one per network): they are kept, not deduplicated.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    first, _, rest = text.partition("\n")
    # Two header lines (labels, then codes): drop the label line unless the codes come first.
    if "OPERATEUR" not in first.upper():
        text = rest
    frame = read_csv_text(text, name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    if "IRIS_CODE" not in frame.columns and "IRIS" in frame.columns:
        frame = frame.rename(columns={"IRIS": "IRIS_CODE"})  # 2023 naming
    require_columns(frame, SDES_REQUIRED, name)
    frame = frame.reset_index(drop=True)

    filiere = frame["FILIERE"].astype("string").str.strip().str.upper()
    filiere = filiere.where(filiere.isin(["C", "F"]))
    if "ID" in frame.columns:
        # The network id ends with the energy letter (``1511C``): it fills the ``NA`` of 2022.
        from_id = frame["ID"].astype("string").str.strip().str[-1].str.upper()
        filiere = filiere.fillna(from_id.where(from_id.isin(["C", "F"])))
    annee = pd.to_numeric(frame["ANNEE"].astype("string").str.strip(), errors="coerce")
    if annee.isna().any():
        raise SourceFormatError(name, f"millésime illisible « {frame.loc[annee.isna(), 'ANNEE'].iloc[0]} ».")

    out = pd.DataFrame(
        {
            "operateur": frame["OPERATEUR"].astype("string").str.strip(),
            "annee": annee.astype("int64"),
            "code_iris": _iris_codes(frame["IRIS_CODE"], name, fictive=True),
            "libelle_iris": frame["IRIS_LIBELLE"].astype("string") if "IRIS_LIBELLE" in frame else pd.NA,
            "filiere": filiere,
            "secteur": frame["CODE_GRAND_SECTEUR"].astype("string").str.strip(),
        }
    )
    out.insert(3, "insee_com", out["code_iris"].str[:5])
    out.insert(4, "iris_fictif", out["code_iris"].str.endswith("XXXX").to_numpy())
    for column, ours in (("CONSO", "conso_mwh"), ("PDL", "pdl")):
        raw = frame[column].astype("string").str.strip()
        values, reason = _numeric(frame, column, name, SDES_TOKENS)
        blank = (raw.isna() | (raw == "")).to_numpy()
        reason[blank] = NOT_FILLED
        out[ours] = values.to_numpy()
        out[f"{ours}_raison"] = reason.to_numpy()
    return out


def read_sdes_heat(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """SDES heat/cold network file → one row per IRIS × year × energy (``C``/``F``).

    Keys: ``code_iris`` (possibly a fictive ``<commune>XXXX``, see ``iris_fictif``), ``annee``,
    ``filiere``, plus ``insee_com``.

    ``conso_mwh`` (MWh) and ``pdl`` are summed over operators and sectors **only when every part is
    published**: one masked part makes the total unknown (NaN, reason in ``conso_mwh_raison`` /
    ``pdl_raison``), because a partial sum would pass for a low value. The sum of the published parts
    is kept as a lower bound (``conso_mwh_publiee``, ``pdl_publies``); ``nb_lignes`` and
    ``nb_lignes_masquees`` say how many source rows were merged and how many were masked.
    """
    rows = read_sdes_heat_rows(source, name=name)
    keys = ["code_iris", "annee", "filiere"]
    fictive = rows.groupby("code_iris")["iris_fictif"].first()
    rows = rows.assign(
        _conso_masked=rows["conso_mwh"].isna(),
        _pdl_masked=rows["pdl"].isna(),
        _conso_secret=rows["conso_mwh_raison"] == SECRET,
        _pdl_secret=rows["pdl_raison"] == SECRET,
    )
    grouped = rows.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        conso_mwh_publiee=("conso_mwh", "sum"),
        pdl_publies=("pdl", "sum"),
        nb_lignes=("conso_mwh", "size"),
        nb_lignes_masquees=("_conso_masked", "sum"),
        _pdl_masked=("_pdl_masked", "sum"),
        _conso_secret=("_conso_secret", "any"),
        _pdl_secret=("_pdl_secret", "any"),
    ).reset_index()
    out["conso_mwh"] = out["conso_mwh_publiee"].where(out["nb_lignes_masquees"] == 0)
    out["pdl"] = out["pdl_publies"].where(out["_pdl_masked"] == 0)
    # A lower bound made of nothing is not 0 MWh: unknown.
    out["conso_mwh_publiee"] = out["conso_mwh_publiee"].where(out["nb_lignes_masquees"] < out["nb_lignes"])
    out["pdl_publies"] = out["pdl_publies"].where(out["_pdl_masked"] < out["nb_lignes"])
    for value, secret in (("conso_mwh", "_conso_secret"), ("pdl", "_pdl_secret")):
        reason = pd.Series(pd.NA, index=out.index, dtype="string")
        reason[out[value].isna()] = NOT_FILLED
        reason[out[value].isna() & out[secret]] = SECRET
        out[f"{value}_raison"] = reason
    out["nb_lignes_masquees"] = out["nb_lignes_masquees"].astype("int64")
    out["insee_com"] = out["code_iris"].str[:5]
    out["iris_fictif"] = out["code_iris"].map(fictive).astype(bool)
    columns = [*keys, "insee_com", "iris_fictif", "conso_mwh", "conso_mwh_raison", "pdl", "pdl_raison",
               "conso_mwh_publiee", "pdl_publies", "nb_lignes", "nb_lignes_masquees"]
    return out[columns]


# ---------------------------------------------------------------------------------------------------
# LCZ per IRIS
# ---------------------------------------------------------------------------------------------------

LCZ_CLASSES = ("High", "Medium", "Low")


def read_lcz_iris(source: Path | bytes, *, name: str | None = None) -> gpd.GeoDataFrame:
    """LCZ heat class per IRIS (one city file) → ``code_iris, nom_iris, nom_com, heat_score`` in EPSG:2154.

    ``heat_score`` is ``High``/``Medium``/``Low`` (a third party's 3-level mapping of the CEREMA LCZ,
    not CEREMA's sensitivity classes) or missing (5 Paris IRIS). The files are in Lambert-93; a copy
    stripped of its ``crs`` member is read by GDAL as WGS84 although its coordinates are metres, so
    projected-looking coordinates are re-labelled EPSG:2154 instead of being reprojected.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    if not text.lstrip().startswith("{"):
        raise SourceFormatError(name, "contenu GeoJSON attendu (le fichier ne commence pas par « { »).")
    try:
        frame = gpd.read_file(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise SourceFormatError(name, f"GeoJSON illisible ({exc}).") from exc
    require_columns(frame, ["code_iris", "heat_score"], name)
    if frame.empty:
        raise SourceFormatError(name, "aucun IRIS dans le fichier LCZ.")
    minx, miny, maxx, maxy = frame.total_bounds
    projected_coords = max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90
    if frame.crs is None or (frame.crs.is_geographic and projected_coords):
        frame = frame.set_crs("EPSG:2154", allow_override=True)
    frame = frame.to_crs("EPSG:2154")
    score = frame["heat_score"].astype("string").str.strip()
    bad = score.notna() & ~score.isin(LCZ_CLASSES)
    if bad.any():
        raise SourceFormatError(
            name, f"classe de chaleur inconnue « {score[bad].iloc[0]} » (High, Medium ou Low attendu)."
        )
    from geodata.contours import repair  # late import: geodata imports settings, loaders must not need it

    invalid = ~frame.geometry.is_valid
    if invalid.any():
        frame.loc[invalid, "geometry"] = repair(frame.geometry[invalid])
    out = gpd.GeoDataFrame(
        {
            "code_iris": _iris_codes(frame["code_iris"], name).to_numpy(),
            "nom_iris": frame["nom_iris"].astype("string").to_numpy() if "nom_iris" in frame else pd.NA,
            "nom_com": frame["nom_com"].astype("string").to_numpy() if "nom_com" in frame else pd.NA,
            "heat_score": score.to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:2154",
    )
    _unique_key(out, ["code_iris"], name, "code IRIS")
    return out


# ---------------------------------------------------------------------------------------------------
# GASPAR / DDRM
# ---------------------------------------------------------------------------------------------------

_CODE_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def _risk_sort_key(code: str) -> tuple[int, int, str]:
    """Numeric order (11 < 112 < 12), then text codes (``AUTRE``) last."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def _commune_codes(series: pd.Series, name: str) -> pd.Series:
    codes = series.astype("string").str.strip().str.zfill(5)
    bad = ~codes.str.fullmatch(r"[0-9][0-9AB][0-9]{3}").fillna(False)
    if bad.any():
        raise SourceFormatError(name, f"code commune invalide « {codes[bad].iloc[0]} ».")
    return codes


def read_gaspar_ddrm(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Major risks listed per commune (GASPAR/DDRM) → ``insee_com`` and ``risques`` (list of codes).

    Two layouts are accepted: the derived regional file (``cod_commune;num_risques``, one row per
    commune, the codes joined by ``,`` inside the second field) and the official member
    ``ddrm_risq_gaspar_<date>.csv`` (``cod_commune;lib_commune;lib_risque;num_risque``, one row per
    commune × risk). Presence only, no severity; a commune absent from the file is *unknown*, not
    risk-free. Codes stay text (``AUTRE`` exists), sorted numerically, without duplicates.
    """
    # The field separator is the one of the header line; the list separator inside ``num_risques``
    # is then whatever non-alphanumeric character joins the codes (a comma in the derived file).
    frame, name = read_delimited(source, name)
    frame.columns = frame.columns.str.lower()
    if "num_risques" in frame.columns:
        require_columns(frame, ["cod_commune", "num_risques"], name)
        lists = frame["num_risques"].fillna("").astype(str).map(
            lambda cell: [c for c in _CODE_SPLIT.split(cell) if c]
        )
        long = pd.DataFrame({"insee_com": _commune_codes(frame["cod_commune"], name), "risque": lists})
        long = long.explode("risque")
    else:
        require_columns(frame, ["cod_commune", "num_risque"], name)
        long = pd.DataFrame(
            {
                "insee_com": _commune_codes(frame["cod_commune"], name),
                "risque": frame["num_risque"].astype("string").str.strip(),
            }
        )
    long["risque"] = long["risque"].astype("string").str.upper()
    bad = long["risque"].notna() & ~long["risque"].str.fullmatch(r"[0-9]{2,3}|AUTRE").fillna(False)
    if bad.any():
        raise SourceFormatError(name, f"code de risque inattendu « {long.loc[bad, 'risque'].iloc[0]} ».")
    codes: dict[str, list[str]] = {}
    for commune, risk in zip(long["insee_com"].tolist(), long["risque"].tolist()):
        bucket = codes.setdefault(str(commune), [])
        if isinstance(risk, str) and risk not in bucket:
            bucket.append(risk)
    communes = sorted(codes)
    return pd.DataFrame(
        {
            "insee_com": pd.array(communes, dtype="string"),
            "risques": [sorted(codes[c], key=_risk_sort_key) for c in communes],
        }
    )


def read_gaspar_labels(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """GASPAR risk code → label (``num_risque`` text, ``libelle``), for legends and fiches."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["num_risque", "lib_risque"], name)
    out = pd.DataFrame(
        {
            "num_risque": frame["num_risque"].astype("string").str.strip().to_numpy(),
            "libelle": frame["lib_risque"].astype("string").str.strip().to_numpy(),
        }
    )
    _unique_key(out, ["num_risque"], name, "code de risque")
    return out
