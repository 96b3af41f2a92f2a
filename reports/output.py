"""Writing an export to disk: all or nothing.

The bytes are produced in memory first, then written to a temporary file in the destination folder
and moved over the target with ``os.replace`` (atomic on one file system). A failure at any step
leaves no partial file; an existing file is replaced only by a complete one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from loaders.errors import BadArgumentError


class OutputError(BadArgumentError):
    """The output path cannot be written (French message)."""


def check_destination(path: str | Path) -> Path:
    """Fail early, before a long generation, when the file obviously cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"« {target} » est un dossier : indiquer un nom de fichier (par exemple "
                          f"{target / 'annexe.docx'}).")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"Impossible d'écrire « {target} » : le dossier « {folder} » n'existe pas.")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"Impossible d'écrire « {target} » : pas le droit d'écrire dans le dossier « {folder} ».")
    return target


_ERRNO_WORDS = {
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "opération non permise",
    errno.EROFS: "support en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.ENOENT: "dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "le chemin désigne un dossier",
    errno.ENAMETOOLONG: "nom de fichier trop long",
}


def system_reason(exc: OSError) -> str:
    """French words for an operating-system error (never the English ``strerror``)."""
    if exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    name = errno.errorcode.get(exc.errno or 0)
    return f"erreur du système ({name})" if name else "erreur du système"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file of the same folder; French error on failure."""
    target = check_destination(path)
    folder = target.parent if str(target.parent) else Path(".")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partiel", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        reason = system_reason(exc)
        raise OutputError(f"Impossible d'écrire « {target} » : {reason}. Aucun fichier n'a été créé.") from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return target
