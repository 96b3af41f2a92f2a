"""Every tunable of ecoqpv, in one place.

Values come from environment variables so that a workshop laptop, CI and a developer machine can differ
without code changes. Each setting is documented here and nowhere else (a test checks that the README
lists every ``ECOQPV_*`` variable defined below).

The variables are read once, at import, through a pydantic model (``_Environment``): a value that cannot
be used (``ECOQPV_HTTP_TIMEOUT=abc``, ``ECOQPV_MAP_CLASSES=-3``) never breaks the import; it is replaced
by its default and described in French in ``PROBLEMS``. Every entry point refuses to run with such a
value: the command lines call :func:`exit_if_invalid` (French message on stderr, exit code 2), the app
shows the sentences in an error box. An empty variable counts as unset. The module-level names below
(``settings.DATA_DIR``, ``settings.HTTP_RETRIES``…) are plain values that code and tests read or
monkeypatch.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.settings_model import Decimal, Flag, Whole, read_environment

#: Root of the repository (where ``app.py`` lives).
PROJECT_ROOT: Path = Path(__file__).resolve().parent

_OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _tile_template(url: str) -> str:
    if not re.fullmatch(r"https?://[^\s\"'<>\\]+", url) or not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise ValueError("not a tile URL template")
    return url


def _ascii_line(text: str) -> str:
    if not re.fullmatch(r"[\x20-\x7e]{1,200}", text):
        raise ValueError("not one line of printable ASCII")
    return text


class _Environment(BaseModel):
    """The ``ECOQPV_*`` variables; each ``description`` says in French what is expected."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    bundle_dir: Path = Field(PROJECT_ROOT / "data" / "bundle", alias="ECOQPV_BUNDLE_DIR",
                             description="un chemin de dossier est attendu")
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("ecoqpv", appauthor=False)),
                           alias="ECOQPV_DATA_DIR", description="un chemin de dossier est attendu")
    tiles: Flag = Field(True, alias="ECOQPV_TILES", description="1 (oui) ou 0 (non) est attendu")
    tile_url: Annotated[str, AfterValidator(_tile_template)] = Field(
        _OSM_TILES, alias="ECOQPV_TILE_URL",
        description="une adresse http(s) contenant {z}, {x} et {y} est attendue (par exemple " + _OSM_TILES + ")")
    web_simplify_m: Decimal = Field(8.0, ge=0, le=10_000, alias="ECOQPV_WEB_SIMPLIFY_M",
                                    description="un nombre de mètres entre 0 et 10 000 est attendu (par exemple 8)")
    web_coord_decimals: Whole = Field(5, ge=0, le=15, alias="ECOQPV_WEB_COORD_DECIMALS",
                                      description="un nombre entier de décimales entre 0 et 15 est attendu (par exemple 5)")
    map_classes: Whole = Field(5, ge=1, le=9, alias="ECOQPV_MAP_CLASSES",
                               description="un nombre entier de classes entre 1 et 9 est attendu (par exemple 5)")
    mirror: str | None = Field(None, alias="ECOQPV_MIRROR", description="une adresse de miroir est attendue")
    http_connect_timeout: Decimal = Field(
        10.0, gt=0, le=3600, alias="ECOQPV_HTTP_CONNECT_TIMEOUT",
        description="un nombre de secondes strictement positif, au plus 3 600, est attendu (par exemple 10)")
    http_read_timeout: Decimal = Field(
        60.0, gt=0, le=3600, alias="ECOQPV_HTTP_TIMEOUT",
        description="un nombre de secondes strictement positif, au plus 3 600, est attendu (par exemple 60)")
    http_retries: Whole = Field(4, ge=0, le=20, alias="ECOQPV_HTTP_RETRIES",
                                description="un nombre entier de tentatives entre 0 et 20 est attendu (par exemple 4)")
    http_backoff: Decimal = Field(1.0, ge=0, le=600, alias="ECOQPV_HTTP_BACKOFF",
                                  description="un nombre de secondes entre 0 et 600 est attendu (par exemple 1)")
    http_retry_after_max: Decimal = Field(
        120.0, ge=0, le=86_400, alias="ECOQPV_HTTP_RETRY_AFTER_MAX",
        description="un nombre de secondes entre 0 et 86 400 est attendu (par exemple 120)")
    update_budget_s: Decimal = Field(
        45.0, ge=0, le=86_400, alias="ECOQPV_UPDATE_BUDGET_S",
        description="un nombre de secondes entre 0 (aucune limite) et 86 400 est attendu (par exemple 45)")
    http_cache_hours: Decimal = Field(168.0, ge=0, le=87_600, alias="ECOQPV_HTTP_CACHE_HOURS",
                                      description="un nombre d'heures entre 0 et 87 600 est attendu (par exemple 168)")
    rate_limit: Flag = Field(True, alias="ECOQPV_RATE_LIMIT", description="1 (oui) ou 0 (non) est attendu")
    contact: Annotated[str, AfterValidator(_ascii_line)] = Field(
        "a definir via ECOQPV_CONTACT", alias="ECOQPV_CONTACT",
        description="une adresse électronique ou une page web sur une ligne, en caractères ASCII, est attendue "
                    "(elle est envoyée dans un en-tête HTTP)")


_ENV, _PROBLEMS = read_environment(_Environment, os.environ)
#: French sentences, one per ``ECOQPV_*`` value that could not be used (empty when all is well).
PROBLEMS: list[str] = _PROBLEMS


def problems_text() -> str:
    """All problems of the environment in one French message (empty when there is none)."""
    if not PROBLEMS:
        return ""
    which = "cette variable d'environnement" if len(PROBLEMS) == 1 else "ces variables d'environnement"
    return " ".join(PROBLEMS) + f" Corrigez ou supprimez {which}, puis relancez."


def exit_if_invalid() -> None:
    """For command lines: on an unusable ``ECOQPV_*`` value, a French message on stderr and exit code 2."""
    if PROBLEMS:
        print(f"Erreur : {problems_text()}", file=sys.stderr)
        raise SystemExit(2)


#: Embedded default bundle, built by ``python -m loaders build-bundle`` and committed.
BUNDLE_DIR: Path = _ENV.bundle_dir

#: User data/cache directory (raw downloads, updated territories). ``ECOQPV_DATA_DIR`` overrides it.
DATA_DIR: Path = _ENV.data_dir

#: Folder served by Streamlit as ``/app/static`` (``enableStaticServing``); filled at start-up with
#: the Leaflet files so that maps draw without any CDN. Not committed.
STATIC_DIR: Path = PROJECT_ROOT / "static"

#: Whether the map tries to load OpenStreetMap tiles. When tiles cannot load, the map keeps the
#: commune outlines as its only background. Set ``ECOQPV_TILES=0`` for fully offline workshops.
MAP_TILES: bool = _ENV.tiles

#: Tile URL template and attribution (only used when ``MAP_TILES`` is true).
TILE_URL: str = _ENV.tile_url
TILE_ATTRIBUTION: str = "© contributeurs OpenStreetMap"

#: Simplification tolerance (metres, Lambert-93 / local UTM) and coordinate precision (decimals in
#: WGS84) for geometries sent to the browser. 5 decimals ≈ 1 m, below the simplification error.
WEB_SIMPLIFY_M: float = _ENV.web_simplify_m
WEB_COORD_DECIMALS: int = _ENV.web_coord_decimals

#: Number of classes of the choropleth legend (quantiles of the territory's values).
MAP_CLASSES: int = _ENV.map_classes

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
MIRROR: str | None = _ENV.mirror

#: Raw downloads (official files as received, never modified) live in ``DATA_DIR / "raw"`` and the
#: persistent cache of API answers in ``DATA_DIR / "http_cache.sqlite"`` (see ``raw_dir()``): both follow
#: ``DATA_DIR`` (``ECOQPV_DATA_DIR``).

#: Seconds to wait for a connection and between two bytes of an answer (every call has both).
HTTP_CONNECT_TIMEOUT: float = _ENV.http_connect_timeout
HTTP_READ_TIMEOUT: float = _ENV.http_read_timeout

#: Retries on 429, 5xx, resets and timeouts (never on other 4xx, nor on a refused connection or an
#: unknown name), with exponential backoff: the n-th retry waits ``HTTP_BACKOFF × 2^(n-1)`` seconds
#: (capped by ``HTTP_RETRY_AFTER_MAX``), or what ``Retry-After`` asks — a longer wait than
#: ``HTTP_RETRY_AFTER_MAX`` or than the time left in the update's budget gives up at once with a "trop
#: de requêtes" message. A host that still fails is not asked again during that update.
HTTP_RETRIES: int = _ENV.http_retries
HTTP_BACKOFF: float = _ENV.http_backoff
HTTP_RETRY_AFTER_MAX: float = _ENV.http_retry_after_max

#: Time budget of the downloads of one update, in seconds (``ECOQPV_UPDATE_BUDGET_S``; ``--delai-max``
#: overrides it; 0 = no limit). Every timeout, retry pause and download is cut to the time left; once
#: it is spent, the remaining sources are not tried ("non tentée : délai maximal atteint") and keep their
#: previous good copies, then the territory is rebuilt. The default keeps an update through a dead or
#: hanging mirror under a minute; raise it for a first complete update over a slow connection.
UPDATE_BUDGET_S: float = _ENV.update_budget_s

#: How long answers of the APIs (JSON, WFS) are reused from the cache before asking again (hours).
HTTP_CACHE_HOURS: float = _ENV.http_cache_hours

#: Contact sent in the User-Agent so that publishers can reach the operator of a misbehaving client
#: (ASCII only: HTTP headers). Each deployment should set its own address.
CONTACT: str = _ENV.contact
USER_AGENT: str = f"ecoqpv/0.1 (+tableau de bord QPV; contact: {CONTACT})"

#: Politeness towards each official host: at most this many requests per minute (documented limits
#: where they exist: INSEE Melodi 30/min, ADEME Data Fair 600/min, IGN Géoplateforme 50/s). The limit
#: follows the official host, also through a mirror. ``ECOQPV_RATE_LIMIT=0`` disables it (local tests).
RATE_LIMIT: bool = _ENV.rate_limit
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
