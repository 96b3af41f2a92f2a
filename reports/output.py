"""Writing an export to disk: all or nothing.

The bytes are produced in memory first, then written to a temporary file in the destination folder
and moved over the target with ``os.replace`` (atomic on one file system). A failure at any step
leaves no partial file; an existing file is replaced only by a complete one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from core.errors import BadArgumentError


class OutputError(BadArgumentError):
    """The output path cannot be written (French message)."""


#: Longest file name most file systems accept (bytes).
MAX_NAME_BYTES = 255


def _kind(path: Path) -> str | None:
    """``"dossier"``, ``"fichier"`` or None (absent); raises ``OSError`` for what stat cannot answer."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return "dossier" if stat.S_ISDIR(mode) else "fichier"


def shown_path(path: str | Path, limit: int = 90) -> str:
    """A path as quoted in a message: cut in the middle when very long (a 300-character name stays readable)."""
    text = str(path)
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def _parent(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _folder_problem(folder: Path) -> str | None:
    """Why nothing can be written into ``folder`` (French words), or None when it can."""
    try:
        kind = _kind(folder)
    except OSError as exc:
        return f"dossier « {shown_path(folder)} » inutilisable ({system_reason(exc)})"
    except ValueError:
        return f"chemin de dossier « {shown_path(folder)} » invalide"
    if kind is None:
        return f"le dossier « {shown_path(folder)} » n'existe pas"
    if kind != "dossier":
        return f"« {shown_path(folder)} » est un fichier, pas un dossier"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"pas le droit d'écrire dans le dossier « {shown_path(folder)} »"
    return None


def check_folder(folder: str | Path) -> Path:
    """An existing folder where this process may write; French ``OutputError`` otherwise."""
    folder = Path(folder)
    problem = _folder_problem(folder)
    if problem and problem.endswith("n'existe pas"):
        raise OutputError(f"Dossier « {shown_path(folder)} » introuvable : le créer avant d'y écrire. Aucun fichier "
                          "n'a été créé.")
    if problem:
        raise OutputError(f"Impossible d'écrire dans « {shown_path(folder)} » : {problem}. Aucun fichier n'a été créé.")
    return folder


def check_destination(path: str | Path, example: str = "annexe.docx") -> Path:
    """Fail early, before a long generation, when the file obviously cannot be written (``example``: the file
    name suggested in the messages)."""
    if not str(path).strip():
        raise OutputError(f"Aucun nom de fichier indiqué : préciser le fichier à écrire (par exemple {example}).")
    target = Path(path)
    if len(os.fsencode(target.name)) > MAX_NAME_BYTES:
        raise OutputError(f"Impossible d'écrire « {shown_path(target)} » : nom de fichier trop long "
                          f"({len(target.name)} caractères ; {MAX_NAME_BYTES} octets au plus). Aucun fichier n'a "
                          "été créé.")
    try:
        kind = _kind(target)
    except (OSError, ValueError) as exc:
        reason = system_reason(exc) if isinstance(exc, OSError) else "chemin invalide"
        raise OutputError(f"Impossible d'écrire « {shown_path(target)} » : {reason}. Aucun fichier n'a été créé.") from exc
    if kind == "dossier":
        raise OutputError(f"« {shown_path(target)} » est un dossier : indiquer un nom de fichier (par exemple "
                          f"{target / example}).")
    problem = _folder_problem(_parent(target))
    if problem:
        raise OutputError(f"Impossible d'écrire « {shown_path(target)} » : {problem}. Aucun fichier n'a été créé.")
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
    folder = _parent(target)
    temporary = None
    try:
        # A short prefix: the temporary name must fit even when the target's name is near the limit.
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".partiel", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        reason = system_reason(exc)
        raise OutputError(f"Impossible d'écrire « {shown_path(target)} » : {reason}. Aucun fichier n'a été créé.") from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return target


def write_files(folder: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write several files into ``folder``, all or nothing: on a failure, the files this call created are
    removed again (files that existed before are only ever replaced by complete ones)."""
    folder = check_folder(folder)
    created: list[Path] = []
    written: list[Path] = []
    try:
        for name, data in files.items():
            target = folder / name
            existed = target.exists()
            write_atomic(target, data)
            written.append(target)
            if not existed:
                created.append(target)
    except OutputError:
        for path in created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return written
