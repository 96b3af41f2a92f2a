"""Geometry repair: valid, strictly polygonal shapes — one definition for contours, attribution and web maps.

Official contours carry invalid rings (32 of the Occitanie QPV 2015), and ``make_valid`` may return a
GeometryCollection with stray points or lines next to the polygons: areas of such shapes are wrong and
web maps fail on them (streamlit-folium's bounds need polygons). Everything that reads or sends shapes
keeps only their polygonal parts through these functions.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def polygonal_part(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygonal parts of one geometry (a Polygon or MultiPolygon), or None when it has none."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def polygonal_only(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Keep only the polygonal parts of each geometry (an empty MultiPolygon when there is none)."""
    kept = [polygonal_part(g) for g in geoms]
    return gpd.GeoSeries([shapely.MultiPolygon() if g is None else g for g in kept], index=geoms.index, crs=geoms.crs)


def repair(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """``make_valid`` (structure method, collapsed parts dropped) then polygonal parts only."""
    fixed = geoms.make_valid(method="structure", keep_collapsed=False)
    return polygonal_only(fixed)


def repair_invalid(geoms: np.ndarray) -> np.ndarray:
    """Like :func:`repair` on an array, touching only invalid shapes; None where no polygon is left."""
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return np.array([polygonal_part(g) for g in geoms], dtype=object)
