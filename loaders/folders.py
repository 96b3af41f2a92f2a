"""Writing a folder of tables atomically: the bundle and each updated territory.

Tables are written as Parquet into a temporary sibling folder, ``manifest.json`` last, then swapped in
place of the target with renames only: a reader (the app, another process) never sees a half-written
folder, and a failure (disk full…) leaves the previous folder untouched and nothing partial behind.
"""

from __future__ import annotations

from pathlib import Path
import json
import os
from core import paths
import pandas as pd
import shutil
import tempfile
from core.checksums import sha256_file



def _write_outputs(folder: Path, tables: dict[str, pd.DataFrame]) -> list[dict]:
    rows = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        table.to_parquet(path, index=False, compression="zstd")  # GeoParquet for GeoDataFrames
        rows.append({"fichier": path.name, "lignes": int(len(table)), "sha256": sha256_file(path),
                     "octets": path.stat().st_size})
    return rows


def write_folder(out_dir: Path, tables: dict[str, pd.DataFrame], manifest) -> dict:
    """Write ``tables`` as Parquet into a temporary sibling folder, then ``manifest.json`` (last), then
    swap it in place of ``out_dir`` with renames only; ``manifest(outputs)`` builds the manifest from
    the list of written files. A failure leaves ``out_dir`` untouched and nothing partial behind; a
    disk full (or another error while writing) is a French ``StorageError`` naming the folder.

    The temporary folder (``.bundle-<pid>-…``) and the backup (``<name>.<pid>.old``) carry the process
    id, so that ``core.paths.clean_leftovers`` removes them after a kill, never during a live write."""
    out_dir = Path(out_dir)
    kept = f"le dossier {out_dir} n'a pas été modifié."
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=paths.temp_prefix("bundle"), dir=out_dir.parent))
    except OSError as exc:
        raise paths.storage_error(exc, out_dir.parent, kept) from exc
    try:
        outputs = _write_outputs(tmp, tables)
        content = manifest(outputs)
        (tmp / "manifest.json").write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp creates 0700; the bundle is meant to be readable by all
        _swap_in(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise paths.storage_error(exc, out_dir.parent, kept) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return content


def _swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with renames only, so a reader never sees a half-written folder; if
    the second rename fails, the previous ``target`` is put back."""
    backup = target.with_name(f"{target.name}.{os.getpid()}.old")
    if backup.exists():
        shutil.rmtree(backup)
    if target.exists():
        target.rename(backup)
    try:
        new.rename(target)
    except BaseException:
        if backup.exists() and not target.exists():
            backup.rename(target)
        raise
    if backup.exists():
        shutil.rmtree(backup, ignore_errors=True)
