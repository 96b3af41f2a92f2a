"""Parsers for the formats the official hosts answer in, where they differ from the shared copies.

Same contract as every publisher module (``sources.publishers.common``): bytes or a path in (plus a display name), typed frames out, codes
kept as text, missing values kept missing with a reason, and ``SourceFormatError`` with a French
message naming the source and the fault (renamed column, envelope changed, HTML instead of data…).

Formats (``shared/docs/data-sources.md``):

* data.gouv.fr dataset JSON (§1.1) → the resource to download (by stable id or by title);
* QPV 2024 contours (§2.1): the same stable URL serves a ZIP or a GeoJSON — sniffed, never assumed;
* WFS GeoJSON pages from the Géoplateforme (§1.3, §2.2, §2.4), including the XML exception reports
  some servers send with status 200;
* geo.api.gouv.fr communes (§2.3), JSON list or GeoJSON, with nested ``departement``/``region``/``epci``;
* INSEE: file links discovered on a publication page (§3.1), CSV possibly inside a ZIP, Melodi
  observations (§1.2) where ``{}`` means a masked value (secret), never 0;
* ADEME Data Fair ``/lines`` pages followed through ``next`` and ``/values_agg`` (§5.1);
* Géorisques GASPAR archive members with dated names (``catnat_gaspar_2025-01-31.csv``) **and**
  legacy names (``catnat_gaspar.csv``) and their two schemas, and the Géorisques API envelope (§6);
* the QPV 2024 ↔ 2015 correspondence CSV (§2.1) and CEREMA LCZ city archives (§4.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from sources import http
import settings
from sources.fetching import Context, Fetched, chunks, product_path
from core.errors import SourceMissingError
from core.formats import plural
from sources.publishers.ign import dedupe, feature_collection, wfs_pages
from sources.geometry import polygonal_only, repair
from sources.publishers.common import read_delimited

from sources.publishers.common import ZIP_MAGIC, read_bytes, read_csv_text, require_columns, sniff_text

import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from core.errors import SourceFormatError


# ---------------------------------------------------------------------------------------------------
# data.gouv.fr
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# QPV 2024 contours: ZIP or GeoJSON at the same URL
# ---------------------------------------------------------------------------------------------------


def _zip_geojson_member(archive: zipfile.ZipFile, name: str) -> str | None:
    members = [m for m in archive.namelist() if not m.endswith("/")]
    geojson = [m for m in members if m.lower().endswith((".geojson", ".json"))]
    if geojson:
        preferred = [m for m in geojson if "wgs84" in m.lower()]
        return sorted(preferred or geojson, key=len)[0]
    return None


def _zip_shapefile_member(archive: zipfile.ZipFile) -> str | None:
    shapes = [m for m in archive.namelist() if m.lower().endswith(".shp")]
    if not shapes:
        return None
    preferred = [m for m in shapes if "wgs84" in m.lower() and "outre" in m.lower()] or \
        [m for m in shapes if "wgs84" in m.lower()] or shapes
    return sorted(preferred, key=len)[0]


def read_qpv2024_contours(source: Path, *, name: str, codes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """QPV 2024 polygons from the ANCT stable URL, whatever it serves today (sniffed on magic bytes).

    * ZIP (current): the WGS84 GeoJSON member (``GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson``),
      or the WGS84 shapefile when no GeoJSON is inside;
    * plain GeoJSON (older scripts, and the compact PACA copy whose code property is ``q``).

    ``codes`` keeps only those QPV (a territory). Geometry is repaired and dissolved per QPV by
    ``sources.geometry.repair`` exactly as for the bundle; the result is ``code_qp, generation, geometry``.
    """

    path = Path(source)
    if not path.is_file():
        raise SourceFormatError(name, "fichier introuvable.")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head == ZIP_MAGIC:
        try:
            with zipfile.ZipFile(path) as archive:
                member = _zip_geojson_member(archive, name)
                if member is not None:
                    frame = gpd.read_file(io.BytesIO(archive.read(member)))
                else:
                    shape = _zip_shapefile_member(archive)
                    if shape is None:
                        raise SourceFormatError(name, "archive sans fichier GeoJSON ni shapefile de contours.")
                    frame = gpd.read_file(f"/vsizip/{{{path}}}/{shape}")  # braces: any archive name
        except zipfile.BadZipFile as exc:
            raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc
        except SourceFormatError:
            raise
        except Exception as exc:  # pyogrio raises several types for a damaged member
            raise SourceFormatError(name, f"contours illisibles dans l'archive ({exc}).") from exc
    else:
        text_head = path.read_bytes()[:64].lstrip()
        if not text_head.startswith(b"{"):
            raise SourceFormatError(name, "ni archive ZIP ni GeoJSON : contenu inattendu pour les contours.")
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio
            raise SourceFormatError(name, f"GeoJSON illisible ({exc}).") from exc
    if "code_qp" not in frame.columns:
        if "q" in frame.columns:  # compact copy (PACA)
            frame = frame.rename(columns={"q": "code_qp"})
        else:
            raise SourceFormatError(name, "propriété « code_qp » absente des contours (colonne renommée ?).")
    if codes is not None:
        frame = frame[frame["code_qp"].isin(set(codes))]
    if frame.empty:
        return gpd.GeoDataFrame({"code_qp": [], "generation": pd.array([], dtype="int16")},
                                geometry=[], crs="EPSG:4326")
    return finish_contours(frame, 2024, name)


# ---------------------------------------------------------------------------------------------------
# WFS (Géoplateforme)
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# geo.api.gouv.fr communes
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# INSEE
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# INSEE QPV 2024 files [format not confirmed: INSEE QPV conventions assumed]
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# ADEME Data Fair
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# Géorisques: GASPAR archive and API
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# QPV 2024 ↔ 2015 correspondence
# ---------------------------------------------------------------------------------------------------


def read_qpv_correspondance(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``liste-correspondance-qp2024-qp2015.csv`` → long table ``code_qp_2024, lib_qp_2024, statut,
    code_qp_2015, lib_qp_2015`` (the ``Label_QP2015_n`` columns, when present, give the 2015 names).

    One row per (QPV 2024, QPV 2015) pair; a new QPV (no 2015 ancestor) keeps one row with an empty
    ``code_qp_2015``. Approximate by nature: perimeters changed between the generations.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") >= header.count(",") else ","
    frame = read_csv_text(text, name, sep=sep)
    require_columns(frame, ["QP2024", "QP2015_1"], name)
    olds = [c for c in frame.columns if re.fullmatch(r"QP2015_\d+", c)]
    rows = []
    for _, row in frame.iterrows():
        code = str(row["QP2024"]).strip()
        if not re.fullmatch(r"Q[NP][0-9A-Z]{6}", code):
            raise SourceFormatError(name, f"code QPV 2024 invalide « {code} ».")
        previous = [(str(row[c]).strip(), row.get(f"Label_{c}")) for c in olds
                    if isinstance(row[c], str) and row[c].strip()]
        for old, label in previous or [(None, None)]:
            rows.append({"code_qp_2024": code, "lib_qp_2024": row.get("Label_QP2024"),
                         "statut": row.get("Statut"), "code_qp_2015": old,
                         "lib_qp_2015": label if isinstance(label, str) else None})
    return pd.DataFrame(rows, columns=["code_qp_2024", "lib_qp_2024", "statut", "code_qp_2015",
                                       "lib_qp_2015"]).astype("string")


# ---------------------------------------------------------------------------------------------------
# CEREMA LCZ
# ---------------------------------------------------------------------------------------------------




def unprotect_excel_code(cell: object) -> list[str]:
    """``="13055;13070"`` (Excel-protected list in the ANCT QPV CSV) → ``["13055", "13070"]``."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)) or cell is pd.NA:
        return []
    text = str(cell).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return [part.strip() for part in text.split(";") if part.strip()]


def commune_of_arrondissement(code: str) -> str:
    """The commune of a municipal arrondissement (Paris 751xx → 75056, Marseille 132xx → 13055, Lyon 6938x →
    69123); any other code unchanged."""
    if re.fullmatch(r"751(0[1-9]|1[0-9]|20)", code):
        return "75056"
    if re.fullmatch(r"132(0[1-9]|1[0-6])", code):
        return "13055"
    if re.fullmatch(r"6938[1-9]", code):
        return "69123"
    return code


def read_qpv2024_list(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """QPV 2024 list → long table, one row per QPV × commune.

    Accepts both the official ANCT ``listeqp2024`` CSV (``;``, BOM, Excel-protected commune lists,
    trailing empty columns) and the derived ``qpv2024_communes_epci_dep_reg.csv`` (``,``, already long).
    Commune codes that lost their leading zero (``1053`` for ``01053``) are padded to five characters and
    municipal arrondissements (Paris, Lyon, Marseille) become their commune (``shared/docs/data-sources.md``
    §10); a QPV × commune pair is kept once.
    """
    frame, name = read_delimited(source, name)
    require_columns(frame, ["code_qp", "lib_qp", "insee_com"], name)
    frame["insee_com"] = frame["insee_com"].map(unprotect_excel_code)
    frame = frame.explode("insee_com").dropna(subset=["insee_com"])
    if frame.empty:
        raise SourceFormatError(name, "liste de QPV vide.")
    frame["code_qp"] = frame["code_qp"].astype("string").str.strip()
    bad = ~frame["code_qp"].str.fullmatch(r"Q[NP][0-9A-Z]{6}")
    if bad.any():
        raise SourceFormatError(name, f"code QPV invalide : « {frame.loc[bad, 'code_qp'].iloc[0]} ».")
    codes = frame["insee_com"].astype(str).str.strip()
    codes = codes.where(~codes.str.fullmatch(r"[0-9]{4}"), codes.str.zfill(5))
    bad = ~codes.str.fullmatch(r"[0-9][0-9AB][0-9]{3}")
    if bad.any():
        raise SourceFormatError(name, f"code commune invalide : « {codes[bad].iloc[0]} » (QPV "
                                      f"{frame.loc[bad, 'code_qp'].iloc[0]}).")
    frame["insee_com"] = codes.map(commune_of_arrondissement)
    return frame.drop_duplicates(["code_qp", "insee_com"]).reset_index(drop=True)


def read_geojson(path: Path, name: str) -> gpd.GeoDataFrame:
    if not Path(path).is_file():
        raise SourceMissingError(name, "fichier introuvable.")
    head = Path(path).read_bytes()[:64].lstrip()
    if not head.startswith(b"{"):
        raise SourceFormatError(name, "contenu GeoJSON attendu (le fichier ne commence pas par « { »).")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise SourceFormatError(name, f"GeoJSON illisible ({exc}).") from exc


def finish_contours(frame: gpd.GeoDataFrame, generation: int, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        frame = frame.set_crs(settings.DISPLAY_CRS)
    frame = frame.to_crs(settings.DISPLAY_CRS)
    frame["geometry"] = repair(frame.geometry)
    frame = frame.dissolve(by="code_qp", as_index=False)  # defensive: one feature per QPV
    frame["geometry"] = polygonal_only(frame.geometry)
    empty = frame.geometry.is_empty
    if empty.any():
        raise SourceFormatError(name, f"contour vide pour {', '.join(frame.loc[empty, 'code_qp'][:5])}.")
    frame["generation"] = pd.array([generation] * len(frame), dtype="int16")
    return frame[["code_qp", "generation", "geometry"]]


def read_qpv2015_contours(path: Path, name: str = "qpv2015_occitanie_hackaviz2021.geojson") -> gpd.GeoDataFrame:
    """Occitanie QPV 2015 contours (32 invalid geometries in the file: repaired here)."""
    frame = read_geojson(path, name)
    if "code_qp" not in frame.columns:
        raise SourceFormatError(name, "propriété « code_qp » absente.")
    return finish_contours(frame, 2015, name)


#: Properties of the national QPV 2024 contour file (ANCT export, simplified copy) used by the registry.
QPV2024_NATIONAL_COLUMNS = ["code_qp", "lib_qp", "insee_dep", "lib_dep", "insee_reg", "lib_reg", "insee_com", "lib_com",
                            "siren_epci"]


def _read_vector(path: Path, name: str, **kwargs) -> gpd.GeoDataFrame:
    """A vector file read by pyogrio, with a French error naming it (missing, damaged, wrong encoding)."""
    if not Path(path).is_file():
        raise SourceMissingError(name, "fichier introuvable dans le dossier source.")
    try:
        return gpd.read_file(path, **kwargs)
    except Exception as exc:  # pyogrio raises DataSourceError, UnicodeDecodeError…
        raise SourceFormatError(name, f"contours illisibles ({exc}).") from exc


def repaired(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Valid, strictly polygonal shapes dissolved per ``code_qp`` (a code may come in several features).

    Shapes with no area left (collapsed by a simplification) are kept as empty geometries: the caller
    decides what a quartier without a usable contour gets."""
    frame = frame.copy()
    frame["geometry"] = repair(frame.geometry)
    if frame["code_qp"].duplicated().any():
        frame = frame.dissolve(by="code_qp", as_index=False, aggfunc="first")
        frame["geometry"] = polygonal_only(frame.geometry)
    bad = ~frame["code_qp"].astype(str).str.fullmatch(r"Q[NP][0-9A-Z]{6}")
    if bad.any():
        raise SourceFormatError(name, f"code QPV invalide : « {frame.loc[bad, 'code_qp'].iloc[0]} ».")
    return frame


def read_qpv2024_national(path: Path, *, name: str | None = None) -> gpd.GeoDataFrame:
    """The national QPV 2024 contour file (all France, ANCT export): one row per QPV, EPSG:4326.

    Columns ``QPV2024_NATIONAL_COLUMNS`` + geometry. ``insee_com`` holds the file's main commune(s)
    (``"30051, 30132"`` for some QPV): returned as a ``;``-joined text, the list CSV being the reference
    for the communes of a QPV. Invalid geometries are repaired (85 in the simplified copy); the three
    QPV whose simplified shape has no area are returned with an empty geometry. **Mayotte**: the codes of
    this file (``QN976..M``) are not those of the list CSV (``QN976..C``): the two are never joined.
    """
    name = name or Path(path).name
    frame = _read_vector(path, name)
    if frame.empty:
        raise SourceFormatError(name, "aucun contour dans le fichier.")
    missing = [c for c in QPV2024_NATIONAL_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceFormatError(name, f"{plural(len(missing), 'propriété absente', 'propriétés absentes')} des contours : {', '.join(missing)}.")
    if frame.crs is None:
        frame = frame.set_crs(settings.DISPLAY_CRS)
    frame = frame.to_crs(settings.DISPLAY_CRS)[[*QPV2024_NATIONAL_COLUMNS, "geometry"]]
    frame["insee_com"] = frame["insee_com"].map(lambda v: ";".join(p.strip() for p in str(v).replace(",", ";")
                                                                  .split(";") if p.strip() and p.strip() != "None"))
    for column in QPV2024_NATIONAL_COLUMNS:
        frame[column] = frame[column].astype("string").str.strip()
    return repaired(frame, name)


def read_qpv2015_shapefile(path: Path, *, name: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    """An ANCT/CGET QPV 2015 shapefile (``CODE_QP, NOM_QP, COMMUNE_QP``) → ``code_qp, lib_qp, communes_qp``.

    The DBF has no ``.cpg`` and is Windows-1252 (read as such); ``crs`` overrides the ``.prj`` (the
    Lambert-93 file says IGNF:LAMB93, i.e. EPSG:2154). Geometries are repaired and kept polygonal.
    """
    name = name or Path(path).name
    frame = _read_vector(path, name, encoding="cp1252")
    missing = [c for c in ("CODE_QP", "NOM_QP", "COMMUNE_QP") if c not in frame.columns]
    if missing:
        dbf = str(name).removesuffix(".shp") + ".dbf"
        raise SourceFormatError(dbf, f"table attributaire illisible ou incomplète ("
                                     f"{plural(len(missing), 'champ absent', 'champs absents')} : {', '.join(missing)}).")
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    elif frame.crs is None:
        raise SourceFormatError(name, "système de coordonnées absent (fichier .prj manquant).")
    frame = frame.rename(columns={"CODE_QP": "code_qp", "NOM_QP": "lib_qp", "COMMUNE_QP": "communes_qp"})
    frame = frame[["code_qp", "lib_qp", "communes_qp", "geometry"]]
    for column in ("code_qp", "lib_qp", "communes_qp"):
        frame[column] = frame[column].astype("string").str.strip()
    return repaired(frame, name)


def fetch_contours_2024(ctx: Context, src: Source) -> Fetched:
    """A stable URL (QPV 2024 contours): ZIP or GeoJSON, told apart by content."""
    parsed: dict = {}

    def validate(path: Path) -> None:
        parsed["contours"] = read_qpv2024_contours(path, name=src.label, codes=ctx.qpv24)

    result = ctx.download(src.url, http.raw_path(src.url, source=src.label), source=src.label,
                          expect="zip_or_json", validate=validate)
    if "contours" not in parsed:  # unchanged copy: not read during the download
        parsed["contours"] = read_qpv2024_contours(result.path, name=src.label, codes=ctx.qpv24)
    ctx.state["contours2024"] = parsed["contours"]
    note = f"{plural(len(parsed['contours']), 'contour')} pour les {len(ctx.qpv24)} QPV 2024 du territoire"
    return Fetched({src.stage[0]: result.path}, result.nbytes, reused=result.reused, notes=[note])


#: Mayotte in the ANCT list CSV: 17 codes ``QN97651C…QN97667C``, another generation than the 42 codes
#: ``QN97601M…`` of the national contour file, which the tool keeps (``loaders.contours``).
MAYOTTE_LIST_CODE = r"QN976\d\dC"


def other_mayotte_generation(listed: Iterable[str], contour_codes: Iterable[str]) -> set[str]:
    """Mayotte codes of the list CSV that the contour file does not know: never matched to another code,
    never added as new quartiers (the two generations would be counted twice)."""
    known = set(contour_codes)
    return {c for c in listed if re.fullmatch(MAYOTTE_LIST_CODE, str(c)) and c not in known}


def mayotte_sentence(listed: list[str], ours: list[str], contour_codes: Iterable[str]) -> str:
    """The French statement of the Mayotte mismatch, with the counts of both files."""
    contours = sorted(c for c in set(contour_codes) if str(c).startswith("QN976"))
    first = f" ({contours[0]}…)" if contours else ""
    return (f"Mayotte : les contours nationaux des QPV 2024, repris par l'outil, portent {len(contours)} codes de "
            f"quartiers de Mayotte{first} ; la liste de l'ANCT en donne {len(listed)} autres ({listed[0]}…), d'une "
            f"autre génération. Les deux listes ne sont jamais rapprochées : les codes de la liste ne sont pas repris "
            f"(pour ce territoire : {', '.join(ours)}).")


def fetch_qpv2015_contours(ctx: Context, src: Source) -> Fetched:
    codes = list(ctx.qpv15)
    if not codes:
        return Fetched(notes=["aucun QPV 2015 dans le territoire"])
    features: list[dict] = []
    crs = None
    for chunk in chunks(codes, 40):
        quoted = ",".join(f"'{c}'" for c in chunk)
        page, page_crs = wfs_pages(ctx, src, {"CQL_FILTER": f"code_qp IN ({quoted})"}, ["code_qp"])
        crs = crs or page_crs
        features.extend(f for f in page if (f.get("properties") or {}).get("code_qp") in set(codes))
    features = dedupe(features, "code_qp")
    if not features:
        raise SourceFormatError(src.label, "aucun contour renvoyé pour les QPV 2015 du territoire.")
    data = feature_collection(features, crs)

    def validate(path: Path) -> None:

        read_qpv2015_contours(path, name=src.label)

    result = http.save_product(product_path(src, ctx, ".geojson"), data, source=src.label, validate=validate,
                               extra_meta={"url": src.url, "requetes": ctx.nrequests})

    ctx.state["contours2015"] = read_qpv2015_contours(result.path, name=src.label)
    return Fetched({src.stage[0]: result.path})


# ---------------------------------------------------------------------------------------------------
# What the following sources learn from these (``Source.after_stage``)
# ---------------------------------------------------------------------------------------------------


def after_qpv_list(ctx: Context, src: Source, staged: dict[str, Path]) -> None:
    """The fetched QPV 2024 list may name quartiers the bundle does not know: the next sources fetch them too."""
    if src.stage[0] not in staged:
        return
    q24 = read_qpv2024_list(staged[src.stage[0]], name=src.label)
    parent = ctx.parent_of()
    q24["insee_com"] = q24["insee_com"].map(lambda c: parent.get(c, c))
    other = other_mayotte_generation(q24["code_qp"], ctx.base_contours["code_qp"])
    if other:
        inside = set(ctx.communes) | ({ctx.code} if ctx.kind == "COM" else set())
        ours = sorted(set(q24.loc[q24["code_qp"].isin(other) & q24["insee_com"].isin(inside), "code_qp"])
                      | ({ctx.code} & other))
        if ours:
            ctx.notes.append(mayotte_sentence(sorted(other), ours, ctx.base_contours["code_qp"]))
        q24 = q24[~q24["code_qp"].isin(other)]
    ctx.state["qpv2024_links"] = q24[["code_qp", "insee_com"]].drop_duplicates().reset_index(drop=True)
    inside = set(ctx.communes)
    if ctx.kind == "QPV":
        new = {ctx.code} if ctx.code in set(q24["code_qp"]) else set()
    else:
        new = set(q24.loc[q24["insee_com"].isin(inside), "code_qp"])
    ctx.qpv24 = sorted(set(ctx.qpv24) | new)
    ctx.qpv_communes = sorted(set(ctx.qpv_communes) | set(q24.loc[q24["code_qp"].isin(ctx.qpv24), "insee_com"]))


def after_contours_2024(ctx: Context, src: Source, staged: dict[str, Path]) -> None:
    """QPV 2024 contours of a previous good copy, for the IRIS fetched around quartiers near a commune edge."""
    if "contours2024" not in ctx.state and src.stage[0] in staged:
        ctx.state["contours2024"] = read_qpv2024_contours(staged[src.stage[0]], name=src.label, codes=ctx.qpv24)


def after_contours_2015(ctx: Context, src: Source, staged: dict[str, Path]) -> None:
    """QPV 2015 contours of a previous good copy (same use as :func:`after_contours_2024`)."""
    if "contours2015" not in ctx.state and src.stage[0] in staged:
        ctx.state["contours2015"] = read_qpv2015_contours(staged[src.stage[0]], name=src.label)
