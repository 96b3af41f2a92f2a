"""Parsers for the formats the official hosts answer in, where they differ from the shared copies.

Same contract as ``loaders.parsers``: bytes or a path in (plus a display name), typed frames out, codes
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

import io
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin

import geopandas as gpd
import numpy as np
import pandas as pd

from core.errors import SourceFormatError
from core.reasons import SECRET
from loaders.parsers import (
    check_numeric,
    read_bytes,
    read_csv_text,
    read_delimited,
    require_columns,
    sniff_text,
    to_number,
)

ZIP_MAGIC = b"PK\x03\x04"


def _json(source: Path | bytes | dict | list, name: str | None) -> tuple[object, str]:
    if isinstance(source, (dict, list)):
        return source, name or "réponse JSON"
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    try:
        return json.loads(text), name
    except ValueError as exc:
        raise SourceFormatError(name, f"contenu JSON illisible ({exc.msg}).") from exc


# ---------------------------------------------------------------------------------------------------
# data.gouv.fr
# ---------------------------------------------------------------------------------------------------


def datagouv_resource(payload: dict, *, name: str, resource_id: str | None = None,
                      title: str | None = None) -> dict:
    """The resource of a data.gouv.fr dataset answer, by stable id (preferred) or title pattern.

    Returns ``id, title, url, latest, format, last_modified, filesize, checksum`` where ``checksum`` is
    ``(type, value)`` or None. Several resources matching the title: the most recently modified wins.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("resources"), list):
        raise SourceFormatError(name, "réponse de l'API data.gouv.fr sans liste « resources » (format changé ?).")
    resources = [r for r in payload["resources"] if isinstance(r, dict)]
    chosen = None
    if resource_id:
        chosen = next((r for r in resources if str(r.get("id", "")).lower() == resource_id.lower()), None)
    if chosen is None and title:
        pattern = re.compile(title, re.I)
        matches = [r for r in resources if pattern.search(str(r.get("title", ""))) or
                   pattern.search(str(r.get("url", "")).rsplit("/", 1)[-1])]
        if matches:
            chosen = max(matches, key=lambda r: str(r.get("last_modified") or ""))
    if chosen is None:
        wanted = resource_id or title
        raise SourceFormatError(name, f"ressource « {wanted} » absente du jeu de données "
                                      f"« {payload.get('slug') or payload.get('id')} » (renommée ou retirée ?).")
    if not chosen.get("url"):
        raise SourceFormatError(name, f"ressource « {chosen.get('title')} » sans adresse de téléchargement.")
    checksum = chosen.get("checksum")
    pair = None
    if isinstance(checksum, dict) and checksum.get("type") and checksum.get("value"):
        pair = (str(checksum["type"]), str(checksum["value"]))
    return {
        "id": chosen.get("id"),
        "title": chosen.get("title"),
        "url": chosen["url"],
        "latest": chosen.get("latest"),
        "format": chosen.get("format"),
        "last_modified": chosen.get("last_modified"),
        "filesize": chosen.get("filesize"),
        "checksum": pair,
    }


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
    ``geodata.contours`` exactly as for the bundle; the result is ``code_qp, generation, geometry``.
    """
    from geodata import contours

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
    return contours._finish(frame, 2024, name)


# ---------------------------------------------------------------------------------------------------
# WFS (Géoplateforme)
# ---------------------------------------------------------------------------------------------------


def wfs_features(payload: object, *, name: str, required: Iterable[str] = ()) -> list[dict]:
    """Features of one WFS GeoJSON page; refuses other answers and renamed properties."""
    if not isinstance(payload, dict) or payload.get("type") != "FeatureCollection":
        raise SourceFormatError(name, "réponse WFS inattendue : une collection GeoJSON (FeatureCollection) "
                                      "était attendue.")
    features = payload.get("features")
    if not isinstance(features, list):
        raise SourceFormatError(name, "réponse WFS sans liste « features ».")
    required = list(required)
    for feature in features[:1]:
        props = feature.get("properties") or {}
        missing = [c for c in required if c not in props]
        if missing:
            raise SourceFormatError(name, "propriété(s) attendue(s) absente(s) : " + ", ".join(missing)
                                          + " (couche WFS modifiée ?).")
    return features


def feature_collection(features: list[dict], crs: str | None = None) -> bytes:
    """A GeoJSON FeatureCollection (bytes) from raw feature dicts: coordinates kept exactly as received."""
    collection: dict = {"type": "FeatureCollection"}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    collection["features"] = features
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def geojson_crs(payload: dict) -> str | None:
    """The CRS named in a GeoJSON ``crs`` member (GeoServer WFS answers carry one), or None (= WGS84)."""
    crs = payload.get("crs") if isinstance(payload, dict) else None
    if isinstance(crs, dict):
        name = (crs.get("properties") or {}).get("name")
        if isinstance(name, str):
            return name
    return None


# ---------------------------------------------------------------------------------------------------
# geo.api.gouv.fr communes
# ---------------------------------------------------------------------------------------------------

COMMUNE_COLUMNS = ["insee_com", "lib_com", "type_com", "insee_com_parent", "population_municipale", "insee_dep",
                   "lib_dep", "insee_reg", "lib_reg", "siren_epci", "lib_epci", "nature_epci"]


def _nested(record: dict, key: str, flat_code: str) -> tuple[object, object]:
    value = record.get(key)
    if isinstance(value, dict):
        return value.get("code"), value.get("nom")
    return record.get(flat_code), None


def read_geoapi_communes(source: Path | bytes | dict | list, *, name: str | None = None
                         ) -> tuple[pd.DataFrame, list[dict]]:
    """geo.api.gouv.fr ``/communes`` answer → (communes table, GeoJSON features of their contours).

    The table has the columns of the bundle's ``communes`` table (``insee_com, lib_com, type_com``…);
    labels of département/région/EPCI come from the nested ``departement``/``region``/``epci`` fields
    when requested, else stay missing. Features keep ``insee_com, lib_com, type_com, insee_dep``.
    """
    payload, name = _json(source, name)
    if isinstance(payload, dict) and payload.get("type") == "FeatureCollection":
        items = [(f.get("properties") or {}, f.get("geometry")) for f in payload.get("features") or []]
    elif isinstance(payload, dict) and "code" in payload:
        items = [(payload, payload.get("contour"))]
    elif isinstance(payload, list):
        items = [(r, r.get("contour")) for r in payload if isinstance(r, dict)]
    else:
        raise SourceFormatError(name, "réponse de geo.api.gouv.fr inattendue (ni liste ni FeatureCollection).")
    rows, features = [], []
    for props, geometry in items:
        if "code" not in props or "nom" not in props:
            raise SourceFormatError(name, "champ « code » ou « nom » absent d'une commune (API modifiée ?).")
        dep, lib_dep = _nested(props, "departement", "codeDepartement")
        reg, lib_reg = _nested(props, "region", "codeRegion")
        epci, lib_epci = _nested(props, "epci", "codeEpci")
        code = str(props["code"])
        kind = "ARM" if props.get("type") == "arrondissement-municipal" else "COM"
        rows.append({
            "insee_com": code, "lib_com": props["nom"], "type_com": kind,
            "insee_com_parent": props.get("codeParent"), "population_municipale": props.get("population"),
            "insee_dep": dep, "lib_dep": lib_dep, "insee_reg": reg, "lib_reg": lib_reg,
            "siren_epci": epci, "lib_epci": lib_epci, "nature_epci": None,
        })
        if isinstance(geometry, dict) and geometry.get("type"):
            features.append({"type": "Feature", "properties": {"insee_com": code, "lib_com": props["nom"],
                                                               "type_com": kind, "insee_dep": dep},
                             "geometry": geometry})
    frame = pd.DataFrame(rows, columns=COMMUNE_COLUMNS)
    bad = ~frame["insee_com"].str.fullmatch(r"[0-9][0-9AB][0-9]{3}")
    if bad.any():
        raise SourceFormatError(name, f"code commune invalide « {frame.loc[bad, 'insee_com'].iloc[0]} ».")
    for column in COMMUNE_COLUMNS:
        if column != "population_municipale":
            frame[column] = frame[column].astype("string")
    frame["population_municipale"] = pd.to_numeric(frame["population_municipale"], errors="coerce")
    return frame, features


# ---------------------------------------------------------------------------------------------------
# INSEE
# ---------------------------------------------------------------------------------------------------


def find_file_links(html: str, page_url: str, pattern: str, *, name: str) -> list[str]:
    """Absolute URLs of the links of an INSEE page whose file name matches ``pattern`` (case-insensitive).

    INSEE renames files with each edition, so the registry gives the page and a pattern, never the
    file URL; CSV links come first, then ZIP, then the rest.
    """
    regex = re.compile(pattern, re.I)
    links = []
    for href in re.findall(r"""href\s*=\s*["']([^"']+)["']""", html, flags=re.I):
        filename = href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if regex.search(filename):
            try:
                links.append(urljoin(page_url, href))
            except ValueError:  # a malformed link (``http://[``): not a file of the page
                continue
    if not links:
        raise SourceFormatError(name, f"aucun lien vers un fichier « {pattern} » sur la page {page_url} "
                                      "(page réorganisée ou fichier renommé ?).")
    order = {".csv": 0, ".zip": 1}
    unique = list(dict.fromkeys(links))
    return sorted(unique, key=lambda u: order.get(Path(u.split("?", 1)[0]).suffix.lower(), 2))


def zip_member(source: Path, pattern: str, *, name: str) -> tuple[str, bytes]:
    """The (last, by name) member of a ZIP whose file name matches ``pattern``: dated names sort by date."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
            regex = re.compile(pattern, re.I)
            matches = sorted(m for m in names if regex.search(m.rsplit("/", 1)[-1]))
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


def read_melodi(source: Path | bytes | dict, *, name: str | None = None,
                measure: str = "OBS_VALUE_NIVEAU") -> pd.DataFrame:
    """INSEE Melodi ``/data/{DS}`` answer → ``niveau, code, geo_millesime, periode, valeur, raison`` + dims.

    ``GEO`` embeds the COG vintage (``2025-COM-44215``): split into level, code and vintage. A value
    answered as ``{}`` is not published (secret): NaN with reason ``secret_statistique``, never 0.
    """
    payload, name = _json(source, name)
    if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
        raise SourceFormatError(name, "réponse Melodi sans liste « observations » (format changé ?).")
    rows = []
    for obs in payload["observations"]:
        dims = obs.get("dimensions") or {}
        measures = obs.get("measures") or {}
        if "GEO" not in dims:
            raise SourceFormatError(name, "dimension « GEO » absente d'une observation Melodi.")
        if measure not in measures:
            raise SourceFormatError(name, f"mesure « {measure} » absente d'une observation Melodi.")
        parts = str(dims["GEO"]).split("-")
        vintage = parts.pop(0) if len(parts) >= 3 and parts[0].isdigit() else None
        level, code = (parts[0], "-".join(parts[1:])) if len(parts) >= 2 else ("", parts[0])
        cell = measures[measure]
        value = cell.get("value") if isinstance(cell, dict) else cell
        number = pd.to_numeric(value, errors="coerce") if value is not None else np.nan
        rows.append({"niveau": level, "code": code, "geo_millesime": vintage,
                     "periode": dims.get("TIME_PERIOD"), "valeur": float(number) if pd.notna(number) else np.nan,
                     "raison": pd.NA if pd.notna(number) else SECRET,
                     **{k: v for k, v in dims.items() if k not in ("GEO", "TIME_PERIOD")}})
    frame = pd.DataFrame(rows, columns=None if rows else ["niveau", "code", "geo_millesime", "periode",
                                                          "valeur", "raison"])
    frame["raison"] = frame["raison"].astype("string")
    return frame


def melodi_next(payload: dict) -> str | None:
    """``paging.next`` as given (the caller resolves and checks it: another scheme fails the source)."""
    paging = payload.get("paging") if isinstance(payload, dict) else None
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, str) and nxt.strip() else None


# ---------------------------------------------------------------------------------------------------
# INSEE QPV 2024 files [format not confirmed: INSEE QPV conventions assumed]
# ---------------------------------------------------------------------------------------------------

QPV2024_COLUMNS = {
    "revenu_median": r"^(DISP_MED|DISP_Q2)(_A)?21$",
    "taux_pauvrete": r"^(DISP_)?TP60(_A)?21$",
    "population": r"^(POP(_MUN)?(_RP)?(20)?|POP_?MUN_?20)$",
}


def read_insee_qpv2024(source: Path | bytes, concepts: list[str], *, name: str | None = None) -> pd.DataFrame:
    """INSEE file per QPV 2024 (Filosofi 2021 or RP 2020) → frame indexed by ``code_qp`` with ``concepts``.

    The 2024-generation files are assumed to follow the INSEE QPV conventions (``;``, BOM, decimal
    comma, narrow no-break thousands separators, blank = secret, a ``CODGEO`` key); column names are
    matched by pattern (``DISP_MED21``/``DISP_MED_A21``…) because they are not documented offline.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    key = next((c for c in frame.columns if c.upper() in ("CODGEO", "CODE_QP", "QP", "CODE")), None)
    if key is None:
        raise SourceFormatError(name, "colonne du code QPV (CODGEO) absente.")
    frame = frame[frame[key].astype(str).str.strip().str.fullmatch(r"Q[NP][0-9A-Z]{6}")].copy()
    out = pd.DataFrame(index=pd.Index(frame[key].str.strip().to_numpy(), name="code_qp"))
    for concept in concepts:
        regex = re.compile(QPV2024_COLUMNS[concept], re.I)
        column = next((c for c in frame.columns if regex.match(c)), None)
        if column is None:
            raise SourceFormatError(name, f"colonne de « {concept} » absente (attendue : {QPV2024_COLUMNS[concept]}).")
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[concept] = parsed.to_numpy()
    if out.index.duplicated().any():
        raise SourceFormatError(name, f"code QPV en double : {out.index[out.index.duplicated()][0]}.")
    return out


# ---------------------------------------------------------------------------------------------------
# ADEME Data Fair
# ---------------------------------------------------------------------------------------------------


def ademe_page(payload: object, *, name: str) -> tuple[list[dict], str | None]:
    """One ``/lines`` page → its rows and the ``next`` URL (absent on the last page)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise SourceFormatError(name, "réponse Data Fair sans liste « results » (format changé ?).")
    nxt = payload.get("next")
    return payload["results"], nxt if isinstance(nxt, str) and nxt else None


def read_ademe_lines(rows: list[dict], *, name: str, key: str, numeric: list[str]) -> pd.DataFrame:
    """Rows of a Data Fair dataset → frame keyed by ``key`` (text) with ``numeric`` columns as floats.

    A missing or null field is missing (NaN), never 0; a field absent from every row means the
    dataset changed (renamed column) and stops the load.
    """
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame({key: pd.array([], dtype="string"), **{c: pd.array([], dtype="float64") for c in numeric}})
    require_columns(frame, [key], name)
    absent = [c for c in numeric if c not in frame.columns]
    if absent:
        raise SourceFormatError(name, "colonne(s) attendue(s) absente(s) : " + ", ".join(absent)
                                      + " (jeu de données modifié ?).")
    out = pd.DataFrame({key: frame[key].astype("string").str.strip()})
    for column in numeric:
        raw = frame[column].astype("string")
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out.drop_duplicates(key).reset_index(drop=True)


def read_ademe_values_agg(payload: object, *, name: str) -> pd.DataFrame:
    """``/values_agg`` (optionally nested, e.g. ``code_insee_ban;etiquette_dpe``) → long counts.

    Columns ``niveau1`` (and ``niveau2`` when nested) and ``nombre``.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("aggs"), list):
        raise SourceFormatError(name, "réponse values_agg sans liste « aggs » (format changé ?).")
    rows = []
    for agg in payload["aggs"]:
        if "value" not in agg or "total" not in agg:
            raise SourceFormatError(name, "élément d'agrégation sans « value » ou « total ».")
        inner = agg.get("aggs")
        if isinstance(inner, list) and inner:
            for sub in inner:
                rows.append({"niveau1": str(agg["value"]), "niveau2": str(sub.get("value")),
                             "nombre": int(sub.get("total", 0))})
        else:
            rows.append({"niveau1": str(agg["value"]), "nombre": int(agg["total"])})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# Géorisques: GASPAR archive and API
# ---------------------------------------------------------------------------------------------------

#: Member name patterns: dated (current) and legacy names.
GASPAR_MEMBERS = {
    "ddrm": r"^(ddrm_risq_gaspar(_\d{4}-\d{2}-\d{2})?|risq_gaspar)\.csv$",
    "catnat": r"^catnat_gaspar(_\d{4}-\d{2}-\d{2})?\.csv$",
}


def gaspar_member(source: Path, kind: str, *, name: str) -> tuple[str, bytes]:
    """The newest member of ``kind`` (``ddrm`` or ``catnat``) in the GASPAR archive: dated names sort by date,
    and a dated name is preferred over a legacy one."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc
    regex = re.compile(GASPAR_MEMBERS[kind], re.I)
    matches = [m for m in names if regex.match(m.rsplit("/", 1)[-1])]
    if not matches:
        raise SourceFormatError(name, f"fichier « {kind} » absent de l'archive GASPAR (noms lus : "
                                      f"{', '.join(n.rsplit('/', 1)[-1] for n in names[:8])}).")
    dated = sorted(m for m in matches if re.search(r"\d{4}-\d{2}-\d{2}", m))
    member = dated[-1] if dated else sorted(matches)[-1]
    with zipfile.ZipFile(source) as archive:
        return member, archive.read(member)


_CATNAT_SCHEMAS = (
    # current dated members
    {"code_commune": "insee_com", "id_gaspar": "id", "num_risque_jo": "risque", "lib_risque_jo": "libelle_risque",
     "date_debut": "date_debut", "date_fin": "date_fin", "date_signature_arrete": "date_arrete",
     "date_publication_jo": "date_jo"},
    # legacy catnat_gaspar.csv
    {"cod_commune": "insee_com", "cod_nat_catnat": "id", "num_risque_jo": "risque", "lib_risque_jo": "libelle_risque",
     "dat_deb": "date_debut", "dat_fin": "date_fin", "dat_pub_arrete": "date_arrete", "dat_pub_jo": "date_jo"},
    # Géorisques API /gaspar/catnat
    {"code_insee": "insee_com", "code_national_catnat": "id", "libelle_risque_jo": "libelle_risque",
     "date_debut_evt": "date_debut", "date_fin_evt": "date_fin", "date_publication_arrete": "date_arrete",
     "date_publication_jo": "date_jo"},
    # our own normalised copy (what the update stages)
    {"insee_com": "insee_com", "id": "id", "date_arrete": "date_arrete", "date_jo": "date_jo"},
)
CATNAT_COLUMNS = ["insee_com", "id", "risque", "libelle_risque", "date_debut", "date_fin", "date_arrete", "date_jo"]


def _catnat_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for schema in _CATNAT_SCHEMAS:
        key = next(iter(schema))
        if key in frame.columns:
            required = [c for c in schema if c not in ("num_risque_jo", "lib_risque_jo", "dat_fin", "date_fin",
                                                        "date_fin_evt")]
            require_columns(frame, required, name)
            out = frame.rename(columns=schema)
            for column in CATNAT_COLUMNS:
                if column not in out.columns:
                    out[column] = pd.NA
            out = out[CATNAT_COLUMNS].astype("string")
            out["insee_com"] = out["insee_com"].str.strip().str.zfill(5)
            bad = ~out["insee_com"].str.fullmatch(r"[0-9][0-9AB][0-9]{3}").fillna(False)
            if bad.any():
                raise SourceFormatError(name, f"code commune invalide « {out.loc[bad, 'insee_com'].iloc[0]} ».")
            return out.reset_index(drop=True)
    raise SourceFormatError(name, "colonne du code commune absente (code_commune, cod_commune ou code_insee) : "
                                  "fichier CatNat renommé ou modifié ?")


def read_catnat(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """CatNat decrees per commune from a GASPAR member (dated or legacy schema), ``;`` separated."""
    frame, name = read_delimited(source, name)
    return _catnat_frame(frame, name)


def catnat_from_api(records: list[dict], *, name: str) -> pd.DataFrame:
    """Géorisques API ``/gaspar/catnat`` records → the same frame as ``read_catnat``."""
    if not records:
        return pd.DataFrame({c: pd.array([], dtype="string") for c in CATNAT_COLUMNS})
    return _catnat_frame(pd.DataFrame(records).astype("string"), name)


def count_catnat(catnat: pd.DataFrame) -> pd.Series:
    """Number of distinct decrees per commune (one decree can list several events: deduplicated)."""
    arrete = catnat["date_arrete"].fillna("") + "|" + catnat["date_jo"].fillna("")
    decree = arrete.where(arrete != "|", catnat["id"].fillna(""))
    pairs = pd.DataFrame({"insee_com": catnat["insee_com"], "arrete": decree}).drop_duplicates()
    return pairs.groupby("insee_com").size().astype("float64")


def georisques_page(payload: object, *, name: str) -> tuple[list[dict], str | None]:
    """One Géorisques API v1 page → ``data`` records and the ``next`` URL (None on the last page)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SourceFormatError(name, "réponse de l'API Géorisques sans liste « data » (format changé ?).")
    nxt = payload.get("next")  # as given: the caller resolves and checks it (another scheme fails the source)
    return payload["data"], nxt if isinstance(nxt, str) and nxt.strip() else None


def ddrm_from_api(records: list[dict], *, name: str) -> bytes:
    """Géorisques ``/gaspar/risques`` records → CSV bytes in the official ``ddrm_risq_gaspar`` layout."""
    lines = ["cod_commune;lib_commune;lib_risque;num_risque"]
    for record in records:
        if "code_insee" not in record or not isinstance(record.get("risques_detail"), list):
            raise SourceFormatError(name, "enregistrement sans « code_insee » ou « risques_detail ».")
        for risk in record["risques_detail"]:
            label = str(risk.get("libelle_risque_long", "")).replace(";", ",")
            lines.append(f"{record['code_insee']};{str(record.get('libelle_commune', '')).replace(';', ',')};"
                         f"{label};{risk.get('num_risque', '')}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# QPV 2024 ↔ 2015 correspondence
# ---------------------------------------------------------------------------------------------------


def read_qpv_correspondance(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``liste-correspondance-qp2024-qp2015.csv`` → long table ``code_qp_2024, lib_qp_2024, statut, code_qp_2015``.

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
        previous = [str(row[c]).strip() for c in olds if isinstance(row[c], str) and row[c].strip()]
        for old in previous or [None]:
            rows.append({"code_qp_2024": code, "lib_qp_2024": row.get("Label_QP2024"),
                         "statut": row.get("Statut"), "code_qp_2015": old})
    return pd.DataFrame(rows).astype("string")


# ---------------------------------------------------------------------------------------------------
# CEREMA LCZ
# ---------------------------------------------------------------------------------------------------

#: Third-party three-level heat mapping of the LCZ classes, as in the shared per-IRIS copies.
LCZ_HEAT = {**{c: "High" for c in ("1", "2", "3", "8", "10")},
            **{c: "Medium" for c in ("4", "5", "6", "7", "E")},
            **{c: "Low" for c in ("9", "A", "B", "C", "D", "F", "G")}}
_LCZ_LETTERS = {"11": "A", "12": "B", "13": "C", "14": "D", "15": "E", "16": "F", "17": "G"}


def lcz_class(value: object) -> str | None:
    """``'LCZ 2'``/``2``/``'2.0'``/``'A'``/``11`` → the class label used by ``LCZ_HEAT`` (None if unknown)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper().replace("LCZ", "").strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        text = str(int(float(text)))
        text = _LCZ_LETTERS.get(text, text)
    return text if text in LCZ_HEAT else None


def read_lcz_archive(source: Path, *, name: str) -> gpd.GeoDataFrame:
    """CEREMA ``LCZ_SPOT_2022_<Ville>.shp`` inside the city ZIP → ``lcz`` class and polygon (EPSG:2154)."""
    try:
        with zipfile.ZipFile(source) as archive:
            shapes = [m for m in archive.namelist() if m.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc
    if not shapes:
        raise SourceFormatError(name, "aucun shapefile LCZ dans l'archive.")
    shape = sorted(shapes, key=lambda m: ("lcz" not in m.lower(), len(m)))[0]
    try:
        frame = gpd.read_file(f"/vsizip/{{{Path(source)}}}/{shape}")  # braces: any archive name
    except Exception as exc:  # pyogrio
        raise SourceFormatError(name, f"shapefile LCZ illisible ({exc}).") from exc
    column = next((c for c in frame.columns if c.lower() == "lcz"), None)
    if column is None:
        raise SourceFormatError(name, "colonne « lcz » absente du shapefile (renommée ?).")
    if frame.crs is None:
        frame = frame.set_crs("EPSG:2154")
    out = gpd.GeoDataFrame({"lcz": frame[column].map(lcz_class).astype("string")},
                           geometry=frame.geometry.to_numpy(), crs=frame.crs).to_crs("EPSG:2154")
    return out[out["lcz"].notna()].reset_index(drop=True)


def lcz_to_iris(lcz: gpd.GeoDataFrame, iris: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per IRIS, the modal LCZ class of the polygons whose centroid falls in it, mapped to High/Medium/Low.

    This reproduces the method of the shared per-IRIS copies (a third party's), so that a city fetched
    online is treated like the nine bundled ones. IRIS without any LCZ centroid get no class.
    """
    zones = iris[["code_iris", "geometry"]].to_crs("EPSG:2154")
    points = gpd.GeoDataFrame({"lcz": lcz["lcz"].to_numpy()}, geometry=lcz.geometry.representative_point(),
                              crs=lcz.crs).to_crs("EPSG:2154")
    joined = gpd.sjoin(points, zones, how="inner", predicate="within")
    modal = joined.groupby("code_iris")["lcz"].agg(lambda s: s.value_counts().idxmax())
    out = zones.copy()
    out["heat_score"] = out["code_iris"].map(modal).map(LCZ_HEAT).astype("string")
    out = out[out["heat_score"].notna()]
    return gpd.GeoDataFrame(out[["code_iris", "heat_score", "geometry"]], geometry="geometry", crs="EPSG:2154")
