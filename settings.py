"""Every tunable of ecoqpv, in one place.

Values come from environment variables so that a workshop laptop, CI and a developer machine can differ
without code changes. Each setting is documented here and nowhere else (a test checks that the README
lists every ``ECOQPV_*`` variable defined below).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: Root of the repository (where ``app.py`` lives).
PROJECT_ROOT: Path = Path(__file__).resolve().parent

#: Embedded default bundle, built by ``python -m loaders build-bundle`` and committed.
BUNDLE_DIR: Path = Path(os.environ.get("ECOQPV_BUNDLE_DIR", PROJECT_ROOT / "data" / "bundle"))

#: User data/cache directory (raw downloads, updated territories). ``ECOQPV_DATA_DIR`` overrides it.
DATA_DIR: Path = Path(
    os.environ.get("ECOQPV_DATA_DIR", platformdirs.user_cache_dir("ecoqpv", appauthor=False))
)

#: Folder served by Streamlit as ``/app/static`` (``enableStaticServing``); filled at start-up with
#: the Leaflet files so that maps draw without any CDN. Not committed.
STATIC_DIR: Path = PROJECT_ROOT / "static"

#: Whether the map tries to load OpenStreetMap tiles. When tiles cannot load, the map keeps the
#: commune outlines as its only background. Set ``ECOQPV_TILES=0`` for fully offline workshops.
MAP_TILES: bool = os.environ.get("ECOQPV_TILES", "1") not in {"0", "false", "non", "no"}

#: Tile URL template and attribution (only used when ``MAP_TILES`` is true).
TILE_URL: str = os.environ.get(
    "ECOQPV_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
TILE_ATTRIBUTION: str = "© contributeurs OpenStreetMap"

#: Simplification tolerance (metres, Lambert-93 / local UTM) and coordinate precision (decimals in
#: WGS84) for geometries sent to the browser. 5 decimals ≈ 1 m, below the simplification error.
WEB_SIMPLIFY_M: float = float(os.environ.get("ECOQPV_WEB_SIMPLIFY_M", "8"))
WEB_COORD_DECIMALS: int = int(os.environ.get("ECOQPV_WEB_COORD_DECIMALS", "5"))

#: Number of classes of the choropleth legend (quantiles of the territory's values).
MAP_CLASSES: int = int(os.environ.get("ECOQPV_MAP_CLASSES", "5"))

#: Metric CRS used for areas, buffers and simplification in metropolitan France.
METRIC_CRS: str = "EPSG:2154"
#: Display CRS.
DISPLAY_CRS: str = "EPSG:4326"

#: Local metric CRS per overseas département (ANCT's own systems).
OVERSEAS_METRIC_CRS: dict[str, str] = {
    "971": "EPSG:5490",  # RGAF09 / UTM 20N (Guadeloupe)
    "972": "EPSG:5490",  # RGAF09 / UTM 20N (Martinique)
    "973": "EPSG:2972",  # RGFG95 / UTM 22N (Guyane)
    "974": "EPSG:2975",  # RGR92 / UTM 40S (La Réunion)
    "976": "EPSG:4471",  # RGM04 / UTM 38S (Mayotte)
}

#: Maximum size of the committed bundle, in bytes (issue #2).
BUNDLE_MAX_BYTES: int = 20 * 1024 * 1024


def metric_crs_for_dep(insee_dep: str | None) -> str:
    """Metric CRS for a département code: local UTM overseas, Lambert-93 elsewhere."""
    return OVERSEAS_METRIC_CRS.get(str(insee_dep or ""), METRIC_CRS)
