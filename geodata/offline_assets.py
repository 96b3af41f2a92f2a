"""Leaflet served by the app itself, so that maps draw without any CDN.

Folium points the browser at jsdelivr/cdnjs for Leaflet; on a workshop laptop without internet the map
stays blank. The PyPI package ``django-js-lib-leaflet`` ships Leaflet's static files (no Django needed
to read them): we copy them into the app's ``static/`` folder, which Streamlit serves under
``/app/static/`` when ``[server] enableStaticServing = true``. The folder is resolved next to the main
script (``app.py``), which is why ``settings.STATIC_DIR`` sits at the project root.
"""

from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import settings

#: URL path under which Streamlit serves ``settings.STATIC_DIR`` (absolute, so it also resolves from
#: inside component iframes such as streamlit-folium's).
STATIC_URL_PREFIX: str = "/app/static"
LEAFLET_JS_URL: str = f"{STATIC_URL_PREFIX}/leaflet.js"
LEAFLET_CSS_URL: str = f"{STATIC_URL_PREFIX}/leaflet.css"

#: The Carte page's map script (``assets/ui/carte_qpv.js``, read by ``app_pages/carte_map.py``), served from the
#: same folder so that the browser caches it like Leaflet instead of receiving it with every map.
MAP_SCRIPT_SOURCE: Path = Path(__file__).resolve().parent.parent / "assets" / "ui" / "carte_qpv.js"
MAP_SCRIPT_NAME: str = "carte_qpv.js"

#: Leaflet files copied from the package (``images/`` holds the layer/marker icons the CSS refers to).
_LEAFLET_FILES: tuple[str, ...] = ("leaflet.js", "leaflet.css")
_LEAFLET_IMAGES_DIR = "images"


class LeafletAssetsNotFound(RuntimeError):
    """The ``django-js-lib-leaflet`` package (our offline copy of Leaflet) is not installed."""


def leaflet_source_dir() -> Path:
    """Folder of the installed package's Leaflet files (found without importing Django)."""
    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise LeafletAssetsNotFound(
            "Le paquet « django-js-lib-leaflet » est introuvable : la carte ne peut pas s'afficher "
            "sans connexion. Installez-le avec « pip install django-js-lib-leaflet »."
        )
    source = Path(next(iter(spec.submodule_search_locations))) / "static" / "js_lib_leaflet"
    missing = [name for name in _LEAFLET_FILES if not (source / name).is_file()]
    if missing:
        raise LeafletAssetsNotFound(
            f"Fichiers Leaflet absents du paquet « django-js-lib-leaflet » : {', '.join(missing)}."
        )
    return source


def _copy_if_different(source: Path, target: Path) -> bool:
    """Copy through a temporary file + rename, so a concurrent reader never sees half a file."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def install_leaflet_assets(static_dir: Path = settings.STATIC_DIR) -> None:
    """Put leaflet.js, leaflet.css and images/ into ``static_dir``; copies only what is missing/stale.

    Cheap enough to call on every app start: unchanged files are compared, not rewritten.
    """
    source = leaflet_source_dir()
    static_dir = Path(static_dir)
    for name in _LEAFLET_FILES:
        _copy_if_different(source / name, static_dir / name)
    images = source / _LEAFLET_IMAGES_DIR
    if images.is_dir():
        for image in sorted(images.iterdir()):
            if image.is_file():
                _copy_if_different(image, static_dir / _LEAFLET_IMAGES_DIR / image.name)


def install_map_script(static_dir: Path = settings.STATIC_DIR) -> str:
    """Put the Carte page's map script into ``static_dir``; its URL, versioned by its content (a new version
    of the app is never drawn by a script the browser kept from the previous one)."""
    _copy_if_different(MAP_SCRIPT_SOURCE, Path(static_dir) / MAP_SCRIPT_NAME)
    version = hashlib.sha256(MAP_SCRIPT_SOURCE.read_bytes()).hexdigest()[:12]
    return f"{STATIC_URL_PREFIX}/{MAP_SCRIPT_NAME}?v={version}"
