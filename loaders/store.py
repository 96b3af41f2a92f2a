"""Read access to the active data: the committed bundle (``data/bundle``) by default.

Tables are read once per process and per folder (they are small) and returned as copies so callers
can never alter the cached frames. Pages and CLIs go through here, never through file paths.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

import settings
from loaders.errors import SourceFormatError, SourceMissingError

TABLES = ("qpv", "qpv_communes", "communes", "valeurs", "references")
GEO_TABLES = ("qpv_contours", "communes_contours")


def bundle_dir() -> Path:
    return Path(settings.BUNDLE_DIR)


@functools.lru_cache(maxsize=32)
def _read(folder: str, name: str, mtime: float) -> pd.DataFrame:
    path = Path(folder) / f"{name}.parquet"
    try:
        if name in GEO_TABLES:
            return gpd.read_parquet(path)
        return pd.read_parquet(path)
    except FileNotFoundError as exc:
        raise SourceMissingError(str(path), "table du jeu de données introuvable.") from exc
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceFormatError(str(path), f"table illisible ({exc}).") from exc


def table(name: str, folder: Path | None = None) -> pd.DataFrame:
    """A bundle table by name (``qpv``, ``valeurs``, ``qpv_contours``…), as a fresh copy."""
    folder = Path(folder or bundle_dir())
    path = folder / f"{name}.parquet"
    if not path.is_file():
        raise SourceMissingError(str(path), "table du jeu de données introuvable. Lancez "
                                 "« python -m loaders build-bundle » pour reconstruire le jeu embarqué.")
    return _read(str(folder), name, path.stat().st_mtime).copy()


def manifest(folder: Path | None = None) -> dict:
    path = Path(folder or bundle_dir()) / "manifest.json"
    if not path.is_file():
        raise SourceMissingError(str(path), "manifeste du jeu de données introuvable.")
    return json.loads(path.read_text(encoding="utf-8"))
