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

# --- online update (``python -m loaders update``) ----------------------------------------------------

#: Base URL of a mirror of the official hosts (``ECOQPV_MIRROR``; ``--mirror`` overrides it). Every
#: official URL ``https://host/path?query`` is then fetched as ``MIRROR/host/path?query``: the host stays
#: the first path segment so that one base URL can serve several hosts (tests, offline workshops).
MIRROR: str | None = os.environ.get("ECOQPV_MIRROR") or None

#: Raw downloads (official files as received, never modified) live in ``DATA_DIR / "raw"`` and the
#: persistent cache of API answers in ``DATA_DIR / "http_cache.sqlite"`` (see ``raw_dir()``): both follow
#: ``DATA_DIR`` (``ECOQPV_DATA_DIR``).

#: Seconds to wait for a connection and between two bytes of an answer (every call has both).
HTTP_CONNECT_TIMEOUT: float = float(os.environ.get("ECOQPV_HTTP_CONNECT_TIMEOUT", "10"))
HTTP_READ_TIMEOUT: float = float(os.environ.get("ECOQPV_HTTP_TIMEOUT", "60"))

#: Retries on 429, 5xx and connection errors (never on other 4xx), with exponential backoff: the n-th
#: retry waits ``HTTP_BACKOFF × 2^(n-1)`` seconds, or what ``Retry-After`` asks, capped by
#: ``HTTP_RETRY_AFTER_MAX`` (a longer wait gives up with a "trop de requêtes" message).
HTTP_RETRIES: int = int(os.environ.get("ECOQPV_HTTP_RETRIES", "4"))
HTTP_BACKOFF: float = float(os.environ.get("ECOQPV_HTTP_BACKOFF", "1.0"))
HTTP_RETRY_AFTER_MAX: float = float(os.environ.get("ECOQPV_HTTP_RETRY_AFTER_MAX", "120"))

#: How long answers of the APIs (JSON, WFS) are reused from the cache before asking again (hours).
HTTP_CACHE_HOURS: float = float(os.environ.get("ECOQPV_HTTP_CACHE_HOURS", "168"))

#: Contact sent in the User-Agent so that publishers can reach the operator of a misbehaving client
#: (ASCII only: HTTP headers). Each deployment should set its own address.
CONTACT: str = os.environ.get("ECOQPV_CONTACT", "a definir via ECOQPV_CONTACT")
USER_AGENT: str = f"ecoqpv/0.1 (+tableau de bord QPV; contact: {CONTACT})"

#: Politeness towards each official host: at most this many requests per minute (documented limits
#: where they exist: INSEE Melodi 30/min, ADEME Data Fair 600/min, IGN Géoplateforme 50/s). The limit
#: follows the official host, also through a mirror. ``ECOQPV_RATE_LIMIT=0`` disables it (local tests).
RATE_LIMIT: bool = os.environ.get("ECOQPV_RATE_LIMIT", "1") not in {"0", "false", "non", "no"}
RATE_LIMITS_PER_MINUTE: dict[str, float] = {
    "api.insee.fr": 30,
    "data.ademe.fr": 300,
    "www.georisques.gouv.fr": 120,
    "files.georisques.fr": 60,
    "data.geopf.fr": 600,
    "geo.api.gouv.fr": 600,
    "www.data.gouv.fr": 300,
    "static.data.gouv.fr": 300,
    "www.insee.fr": 60,
}


def raw_dir() -> Path:
    """Folder of the raw downloads (follows ``DATA_DIR``, also when a test changes it)."""
    return Path(DATA_DIR) / "raw"


def http_cache_path() -> Path:
    """SQLite file of the cache of API answers."""
    return Path(DATA_DIR) / "http_cache.sqlite"


def metric_crs_for_dep(insee_dep: str | None) -> str:
    """Metric CRS for a département code: local UTM overseas, Lambert-93 elsewhere."""
    return OVERSEAS_METRIC_CRS.get(str(insee_dep or ""), METRIC_CRS)
