"""QPV contours: reading the offline files, repairing geometry, one row per QPV.

Geometries leave this module valid, polygonal (Polygon/MultiPolygon only: ``make_valid`` may return
GeometryCollections with stray lines that break web map bounds) and in EPSG:4326, tagged with their
generation (2015 or 2024) because the two generations are never mixed in a ranking.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import settings
from core.errors import SourceFormatError, SourceMissingError


def polygonal_only(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Keep only the polygonal parts of each geometry (empty when none)."""
    def keep(geom):
        if geom is None or geom.is_empty:
            return shapely.MultiPolygon()
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            return geom
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            return shapely.MultiPolygon()
        return shapely.union_all(parts)

    return gpd.GeoSeries([keep(g) for g in geoms], index=geoms.index, crs=geoms.crs)


def repair(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """``make_valid`` (structure method, collapsed parts dropped) then polygonal parts only."""
    fixed = geoms.make_valid(method="structure", keep_collapsed=False)
    return polygonal_only(fixed)


def _read_geojson(path: Path, name: str) -> gpd.GeoDataFrame:
    if not Path(path).is_file():
        raise SourceMissingError(name, "fichier introuvable.")
    head = Path(path).read_bytes()[:64].lstrip()
    if not head.startswith(b"{"):
        raise SourceFormatError(name, "contenu GeoJSON attendu (le fichier ne commence pas par « { »).")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise SourceFormatError(name, f"GeoJSON illisible ({exc}).") from exc


def _finish(frame: gpd.GeoDataFrame, generation: int, name: str) -> gpd.GeoDataFrame:
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


def read_qpv2024_paca(path: Path, name: str = "qpv2024_paca_contours.geojson") -> gpd.GeoDataFrame:
    """Compact-property PACA file (``q`` code, ``n`` name, ``com`` commune list)."""
    frame = _read_geojson(path, name)
    if "q" not in frame.columns:
        raise SourceFormatError(name, "propriété « q » (code QPV) absente.")
    frame = frame.rename(columns={"q": "code_qp"})
    return _finish(frame, 2024, name)


def read_qpv2015_hackaviz(path: Path, name: str = "qpv2015_occitanie_hackaviz2021.geojson") -> gpd.GeoDataFrame:
    """Occitanie QPV 2015 contours (32 invalid geometries in the file: repaired here)."""
    frame = _read_geojson(path, name)
    if "code_qp" not in frame.columns:
        raise SourceFormatError(name, "propriété « code_qp » absente.")
    return _finish(frame, 2015, name)


def read_anct_qpv2024(path: Path, name: str = "QP2024 GeoJSON") -> gpd.GeoDataFrame:
    """National ANCT GeoJSON (``code_qp`` property); ``insee_com`` may hold lists — ignored here."""
    frame = _read_geojson(path, name)
    if "code_qp" not in frame.columns:
        raise SourceFormatError(name, "propriété « code_qp » absente.")
    return _finish(frame, 2024, name)


def feature_count(path: Path) -> int:
    """Number of features of a GeoJSON file without building geometries (for quick checks)."""
    return len(json.loads(Path(path).read_text(encoding="utf-8"))["features"])
