"""Storage of the indicators imported from the users' own files (« données locales », issue #13).

Each imported indicator is two files under ``<ECOQPV_DATA_DIR>/local/indicateurs/``: ``<id>.parquet`` (one row
per quartier: ``code_qp``, ``valeur``, ``raison``) and ``<id>.json`` (what the person declared: label, unit,
direction, domain, vintage, source, whether it enters the scores, and how the file was read). They live outside
the bundle and the updated territories, so that neither a new version of the data nor ``python -m loaders
update`` touches them, and they survive restarts.

Writes are atomic: each file is written under a temporary name in the same folder, then renamed over the old
one; the JSON is written last and removed first, so that a reader sees an indicator only when both files are
complete. Every path goes through ``core.paths.safe_path``. The import itself (reading and checking a file,
validating what the person typed) is the pipeline's, in ``loaders.local.indicateurs``; this module only reads
and writes what was already checked.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

import settings
from core.errors import SourceFormatError, StorageError
from core.paths import safe_path, storage_error, temp_prefix

#: Folder under ``ECOQPV_DATA_DIR``.
FOLDER = "local/indicateurs"
#: Prefix of every local indicator id: never the id of a catalogue indicator.
PREFIX = "local_"
SCHEMA_VERSION = 1
#: An id: the prefix, then lower-case ASCII letters, digits and underscores.
ID_PATTERN = re.compile(r"local_[a-z0-9_]{1,60}")
#: Columns of the values file.
VALUE_COLUMNS = ("code_qp", "valeur", "raison")
#: Keys every metadata file holds (``loaders.local.indicateurs`` writes them).
METADATA_KEYS = ("id", "libelle", "unite", "sens", "domaine", "millesime", "source", "dans_les_scores",
                 "generation", "fichier", "importe_le")


def folder() -> Path:
    """The folder of the local indicators (it may not exist yet)."""
    return Path(settings.DATA_DIR) / FOLDER


def _paths(indicator_id: str) -> tuple[Path, Path]:
    if not ID_PATTERN.fullmatch(indicator_id or ""):
        raise SourceFormatError(str(indicator_id), "identifiant d'indicateur local invalide.")
    root = Path(settings.DATA_DIR)
    return (safe_path(root, FOLDER, f"{indicator_id}.parquet"), safe_path(root, FOLDER, f"{indicator_id}.json"))


def _valid_metadata(data: object, indicator_id: str) -> bool:
    return (isinstance(data, dict) and data.get("id") == indicator_id and all(k in data for k in METADATA_KEYS)
            and all(isinstance(data[k], str) for k in ("libelle", "unite", "sens", "domaine", "millesime", "source"))
            and isinstance(data["dans_les_scores"], bool) and data["generation"] in (2015, 2024))


def list_metadata() -> list[dict]:
    """The metadata of every complete local indicator, in id order. A file that cannot be read (edited by hand,
    damaged) is left aside: it never stops the application."""
    root = folder()
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("local_*.json")):
        indicator_id = path.stem
        if not ID_PATTERN.fullmatch(indicator_id) or not path.with_suffix(".parquet").is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _valid_metadata(data, indicator_id):
            found.append(data)
    return found


def metadata(indicator_id: str) -> dict | None:
    """Metadata of one local indicator, or None when it does not exist."""
    return next((m for m in list_metadata() if m["id"] == indicator_id), None)


def values(indicator_id: str) -> pd.DataFrame:
    """The values of one local indicator: ``code_qp``, ``valeur`` (NaN when missing), ``raison``."""
    path, _ = _paths(indicator_id)
    try:
        frame = pd.read_parquet(path)
    except FileNotFoundError as exc:
        raise SourceFormatError(str(path), "valeurs de l'indicateur local introuvables.") from exc
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceFormatError(str(path), "valeurs de l'indicateur local illisibles.") from exc
    if list(frame.columns) != list(VALUE_COLUMNS):
        raise SourceFormatError(str(path), "valeurs de l'indicateur local mal formées.")
    return frame


def version() -> tuple:
    """Hashable signature of the local indicators, for caches keyed on the data (changes after every write)."""
    root = folder()
    if not root.is_dir():
        return ()
    stamps = []
    for path in sorted(root.glob("local_*.*")):
        if path.suffix in (".json", ".parquet"):
            try:
                stat = path.stat()
            except OSError:
                continue
            stamps.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def _replace(target: Path, write) -> None:
    """Write through a temporary file of the same folder, then rename it over ``target`` (atomic)."""
    temporary = target.with_name(f"{temp_prefix('local')}{target.name}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise storage_error(exc, target.parent, "l'indicateur local n'a pas été enregistré.") from exc


def _write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    _replace(path, lambda p: p.write_text(text + "\n", encoding="utf-8"))


def write(data: dict, frame: pd.DataFrame) -> None:
    """Store one indicator (values first, metadata last); replaces an indicator of the same id."""
    if not _valid_metadata(data, data.get("id", "")):
        raise StorageError(str(folder()), "Métadonnées incomplètes : l'indicateur local n'a pas été enregistré.")
    values_path, meta_path = _paths(data["id"])
    frame = frame.loc[:, list(VALUE_COLUMNS)].reset_index(drop=True)
    frame = frame.astype({"code_qp": "string", "valeur": "float64", "raison": "string"})
    _replace(values_path, lambda p: frame.to_parquet(p, index=False))
    _write_json(meta_path, {**data, "schema": SCHEMA_VERSION})


def update_metadata(indicator_id: str, **changes: object) -> dict:
    """Change metadata fields of a stored indicator (the opt-in to the scores); returns the new metadata."""
    current = metadata(indicator_id)
    if current is None:
        raise StorageError(str(folder()), f"Indicateur local inconnu : « {indicator_id} ».")
    updated = {**current, **changes}
    if not _valid_metadata(updated, indicator_id):
        raise StorageError(str(folder()), "Métadonnées invalides : rien n'a été changé.")
    _write_json(_paths(indicator_id)[1], updated)
    return updated


def remove(indicator_id: str) -> bool:
    """Delete one indicator (metadata first, so that it disappears at once); False when it did not exist."""
    values_path, meta_path = _paths(indicator_id)
    existed = meta_path.is_file()
    try:
        meta_path.unlink(missing_ok=True)
        values_path.unlink(missing_ok=True)
    except OSError as exc:
        raise storage_error(exc, meta_path.parent, "l'indicateur local n'a pas été supprimé.") from exc
    return existed
