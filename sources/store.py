"""Read access to the active data: the committed bundle, overlaid by territories updated online.

``python -m loaders update`` writes each updated territory as a ``primary/<KIND>-<CODE>/`` folder in
the user data directory, with the same tables as the bundle. Readers see one dataset: bundle rows,
replaced by the rows of updated territories for the same keys (the most recent update wins). Tables
are read once per process and per file version and returned as copies, so callers can never alter
the cached frames. Pages and CLIs go through here, never through file paths.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

import settings
from core.text import clean_frame
from core.errors import SourceFormatError, SourceMissingError

_TERRITORY_FOLDER = re.compile(r"[A-Z]+-[0-9A-Z]+")

TABLES = ("qpv", "qpv_communes", "communes", "valeurs", "references")
GEO_TABLES = ("qpv_contours", "communes_contours", "departements_contours", "lcz_iris")
#: Row identity per table, used to let an updated territory replace bundle rows.
KEYS: dict[str, list[str]] = {
    "qpv": ["code_qp"],
    "qpv_communes": ["code_qp", "insee_com"],
    "qpv_contours": ["code_qp"],
    "valeurs": ["code_qp", "indicateur"],
    "references": ["niveau", "code", "indicateur"],
    "communes_contours": ["insee_com"],
    "communes": ["insee_com"],
    "evolutions": ["code_qp", "indicateur", "annee"],
}


def bundle_dir() -> Path:
    return Path(settings.BUNDLE_DIR)


def primary_dir() -> Path:
    return Path(settings.DATA_DIR) / "primary"


def updated_territories() -> list[Path]:
    """Folders of updated territories (complete ones only: a manifest is written last), oldest first."""
    root = primary_dir()
    if not root.is_dir():
        return []
    # Only finished folders named KIND-CODE: the temporary (".bundle-…") and backup ("….old") folders
    # of an update in progress are never read.
    folders = [p for p in root.iterdir()
               if p.is_dir() and _TERRITORY_FOLDER.fullmatch(p.name) and (p / "manifest.json").is_file()]
    return sorted(folders, key=lambda p: (p / "manifest.json").stat().st_mtime)


@functools.lru_cache(maxsize=64)
def _read(path: str, mtime: float) -> pd.DataFrame:
    name = Path(path).stem
    try:
        if name in GEO_TABLES:
            return gpd.read_parquet(path)
        return pd.read_parquet(path)
    except FileNotFoundError as exc:
        raise SourceMissingError(path, "table du jeu de données introuvable.") from exc
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceFormatError(path, f"table illisible ({exc}).") from exc


def _version(path: Path) -> float:
    return path.stat().st_mtime


@functools.lru_cache(maxsize=64)
def _merged(name: str, versions: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    frames = [_read(path, mtime) for path, mtime in versions]
    # Updated territories were written from downloaded files: their texts are cleaned like every parsed file.
    frames = frames[:1] + [clean_frame(frame) for frame in frames[1:]]
    if len(frames) == 1:
        return frames[0]
    merged = pd.concat(frames, ignore_index=True)
    merged = merged.drop_duplicates(KEYS.get(name, list(merged.columns[:1])), keep="last")
    if name in GEO_TABLES:
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=frames[0].crs)
    return merged.reset_index(drop=True)


def table(name: str, folder: Path | None = None) -> pd.DataFrame:
    """A table by name (``qpv``, ``valeurs``, ``qpv_contours``…), bundle + updates, as a fresh copy.

    With ``folder``, only that folder is read (no overlay): used by tests and by the bundle tools.
    """
    base = Path(folder or bundle_dir()) / f"{name}.parquet"
    if not base.is_file():
        raise SourceMissingError(str(base), "table du jeu de données introuvable. Lancez "
                                 "« python -m loaders build-bundle » pour reconstruire le jeu embarqué.")
    paths = [base]
    if folder is None:
        paths += [p / f"{name}.parquet" for p in updated_territories() if (p / f"{name}.parquet").is_file()]
    return _merged(name, tuple((str(p), _version(p)) for p in paths)).copy()


def version() -> tuple:
    """Hashable signature of the active data, for caches keyed on it (changes after an update)."""
    manifest_path = bundle_dir() / "manifest.json"
    stamp = manifest_path.stat().st_mtime if manifest_path.is_file() else 0.0
    return (str(bundle_dir()), stamp, str(primary_dir()),
            tuple((p.name, (p / "manifest.json").stat().st_mtime) for p in updated_territories()))


def manifest(folder: Path | None = None) -> dict:
    path = Path(folder or bundle_dir()) / "manifest.json"
    if not path.is_file():
        raise SourceMissingError(str(path), "manifeste du jeu de données introuvable.")
    return json.loads(path.read_text(encoding="utf-8"))


def status() -> dict:
    """What the app is running on: the bundle, plus the territories updated online (with dates)."""
    updates = []
    for folder in updated_territories():
        data = manifest(folder)
        updates.append({"territoire": data.get("territoire", folder.name), "mis_a_jour_le": data.get("construit_le"),
                        "dossier": str(folder), "sources": data.get("sources", [])})
    return {"bundle": manifest(), "mises_a_jour": updates}


def bundled_lcz_communes() -> set[str]:
    """Communes whose LCZ per IRIS the bundle embeds (the nine cities): the update does not fetch them again."""
    path = bundle_dir() / "lcz_iris.parquet"
    if not path.is_file():
        return set()
    return set(pd.read_parquet(path, columns=["code_iris"])["code_iris"].str[:5])
