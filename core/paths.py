"""Safe paths under the data folder, temporary names, leftovers and disk errors in French.

Everything ecoqpv writes under ``ECOQPV_DATA_DIR`` (raw downloads, API products, territory folders
``primary/<KIND>-<CODE>``, staging folders, indexes) is named through ``safe_path``: its parts may come
from what a server answered (a URL, a file name in an archive), so each part is checked and the
resolved result (symlinks resolved) must stay inside the root. ``url_parts`` turns a download URL into
the parts of its raw-cache path (``<host>/<path>``), keeping data extensions only: a ``.pth``, ``.py``,
``.so`` or ``.sh`` name gets ``.bin`` appended, and no part starts with a dot.

Temporary files and folders carry the process id of their writer (``temp_prefix``), so that
``clean_leftovers`` removes what a killed process left behind, never what a live one is writing.
``storage_error`` turns an ``OSError`` met while writing into a French ``StorageError``
(« espace disque insuffisant dans … »).
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import os
import re
import shutil
import socket
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePath
from urllib.parse import SplitResult, unquote, urlsplit

from core.errors import StorageError, UnsafePathError

#: Extensions a raw file may keep (lower case, without the dot); any other name gets ``.bin`` appended.
DATA_SUFFIXES = frozenset({
    "csv", "tsv", "txt", "json", "geojson", "xml", "gml", "html", "htm", "zip", "gz", "xlsx", "xls", "ods",
    "shp", "dbf", "shx", "prj", "cpg", "parquet", "gpkg", "pdf", "bin",
})
#: Suffix given to a raw file whose extension is not a data extension.
FALLBACK_SUFFIX = "bin"
#: Longest file or folder name written (bytes, UTF-8): most file systems stop at 255.
MAX_NAME_BYTES = 255
#: Longest relative path built from a URL (characters): far below PATH_MAX, with room for the root.
MAX_URL_PATH = 1024
_SEGMENT_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


# ---------------------------------------------------------------------------------------------------
# Checks on text
# ---------------------------------------------------------------------------------------------------


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (NUL, C0/C1 controls, invisible format characters such as
    a right-to-left override, lone surrogates, line separators), if any."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return char
    return None


def _check_text(value: str, shown: str) -> None:
    char = control_character(value)
    if char is not None:
        what = "caractère nul" if char == "\x00" else f"caractère de contrôle U+{ord(char):04X}"
        raise UnsafePathError(shown, what)
    if "\\" in value:
        raise UnsafePathError(shown, "barre oblique inverse")


# ---------------------------------------------------------------------------------------------------
# The one safe path function
# ---------------------------------------------------------------------------------------------------


def safe_path(root: str | os.PathLike, *parts: str) -> Path:
    """``root / parts…`` after checking every part, or ``UnsafePathError``.

    A part may hold several ``/``-separated segments; empty and ``.`` segments are dropped
    (normalisation). Refused: ``..``, absolute parts, drive letters (``C:``), colons, backslashes, NUL
    and other control characters, names longer than 255 bytes, an empty result, and any result whose
    resolved path (symlinks resolved) is not strictly inside the resolved root.
    """
    segments: list[str] = []
    for part in parts:
        if isinstance(part, PurePath):
            part = str(part)
        if not isinstance(part, str):
            raise UnsafePathError(repr(part), "partie de chemin qui n'est pas un texte")
        _check_text(part, part)
        if part.startswith("/"):
            raise UnsafePathError(part, "chemin absolu")
        if _DRIVE.match(part):
            raise UnsafePathError(part, "lettre de lecteur")
        if ":" in part:
            raise UnsafePathError(part, "deux-points dans un nom")
        for segment in part.split("/"):
            if segment in ("", "."):
                continue
            if segment == "..":
                raise UnsafePathError(part, "remontée « .. » hors du dossier")
            if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
                raise UnsafePathError(part, "nom de plus de 255 octets")
            segments.append(segment)
    if not segments:
        raise UnsafePathError("/".join(str(p) for p in parts), "chemin vide")
    base = Path(root)
    candidate = base.joinpath(*segments)
    resolved_root = base.resolve()
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a path the system cannot resolve
        raise UnsafePathError(str(candidate), "chemin impossible à résoudre") from exc
    if resolved == resolved_root or resolved_root not in resolved.parents:
        raise UnsafePathError(str(candidate), f"en dehors du dossier {base}")
    return candidate


# ---------------------------------------------------------------------------------------------------
# Hosts and URLs
# ---------------------------------------------------------------------------------------------------


def shown_under(root: str | os.PathLike, path: str | os.PathLike) -> str:
    """``path`` as a visitor may see it: relative to ``root`` (the data folder), in ``/`` form, or only its last
    name when it lies elsewhere. Why: on a shared server the absolute layout of the machine is nobody's business;
    the operator knows where ``ECOQPV_DATA_DIR`` points."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except (OSError, ValueError):  # outside the root (ValueError) or unreadable
        return path.name


# An absolute path written in a sentence: POSIX with at least two parts, or a Windows drive path. It must start
# the text, follow a space or an opening mark, or follow ``file://``; URLs (``https://…/a/b``) and fractions are
# left alone.
_STOP = r"\s«»\"'()\[\],;"
_PATH_START = r"(?:(?<=file://)|(?<![\w:/.~\\-]))"
_ABSOLUTE_PATH = re.compile(rf"{_PATH_START}(?:/[^/{_STOP}]+){{2,}}/?"
                            rf"|(?<!\w)[A-Za-z]:\\(?:[^\\{_STOP}]+\\?)+")


def hide_server_paths(text: str, named: Mapping[str | os.PathLike, str]) -> str:
    """``text`` with the server's paths taken out, for a message shown in the web page.

    A path under one of the ``named`` folders (the data folder → ``ECOQPV_DATA_DIR``) is written from that name,
    the deepest folder first; any other absolute path keeps only its last name, after ``…/``. Why: error messages
    built for the operator's command line name the folder that is full or read-only; on a shared server a visitor
    must not learn the machine's layout (SECURITY.md), while the operator still recognises the folder from the
    variable's name."""
    roots: set[tuple[str, str]] = set()
    for folder, name in named.items():
        for form in (str(Path(folder)), _resolved(folder)):
            form = form.rstrip("/\\")
            if form:  # never the file system's root itself
                roots.add((form, name))
    for form, name in sorted(roots, key=lambda item: len(item[0]), reverse=True):
        # the folder itself, or followed by a separator or a full stop; never a longer name that starts the same way
        end = r"(?=[/\\]|$|\.(?!\S)|[^\w.-])"
        text = re.sub(_PATH_START + re.escape(form) + end, lambda _m, name=name: name, text)
    return _ABSOLUTE_PATH.sub(lambda match: _last_name(match.group(0)), text)


def _resolved(folder: str | os.PathLike) -> str:
    try:
        return str(Path(folder).resolve())
    except (OSError, RuntimeError):
        return ""


def _last_name(path: str) -> str:
    parts = [part for part in re.split(r"[/\\]", path) if part]
    return "…/" + parts[-1] if parts else path


def split_host(netloc: str) -> tuple[str, int | None]:
    """``host[:port]`` of a URL → ``(host in lower case, port)``, or ``UnsafePathError`` when the host is
    empty or odd: anything but a DNS name or an IP address (IPv6 in brackets), with an optional port
    between 1 and 65535. User names, ``.`` and ``..``, legacy IPv4 forms (``0x7f000001``, ``127.1``) and
    a trailing dot are refused."""
    _check_text(netloc, netloc)
    if not netloc:
        raise UnsafePathError(netloc, "hôte vide")
    if "@" in netloc:
        raise UnsafePathError(netloc, "identifiants dans l'adresse")
    port_text = None
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise UnsafePathError(netloc, "hôte IPv6 mal formé")
        host, rest = netloc[1:end], netloc[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise UnsafePathError(netloc, "hôte IPv6 mal formé")
            port_text = rest[1:]
        try:
            if ipaddress.ip_address(host).version != 6:
                raise ValueError(host)
        except ValueError as exc:
            raise UnsafePathError(netloc, "hôte IPv6 mal formé") from exc
    else:
        host, sep, port_text = netloc.partition(":")
        port_text = port_text if sep else None
        host = host.lower()
        if not host:
            raise UnsafePathError(netloc, "hôte vide")
        if host in (".", ".."):
            raise UnsafePathError(netloc, f"hôte « {host} »")
        if not _is_ipv4(host):
            if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
                raise UnsafePathError(netloc, "hôte qui n'est ni un nom de domaine ni une adresse IP")
            if host.rsplit(".", 1)[-1].isdigit() or _legacy_ipv4(host):
                raise UnsafePathError(netloc, "adresse IP écrite sous une forme inhabituelle")
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UnsafePathError(netloc, "port invalide")
        port = int(port_text)
    return host.lower(), port


def _is_ipv4(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 4
    except ValueError:
        return False


def _legacy_ipv4(host: str) -> bool:
    """``0x7f000001``, ``2130706433``, ``0177.0.0.1``: what the C resolver still reads as IPv4."""
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def host_folder(netloc: str) -> str:
    """Folder name of a checked host: ``www.insee.fr``, ``127.0.0.1_8000`` (port after ``_``)."""
    host, port = split_host(netloc)
    name = _SEGMENT_CHARS.sub("_", host) + (f"_{port}" if port else "")
    return name


def is_internal_ip(host: str) -> bool:
    """True for a loopback, private, link-local, unspecified, reserved or multicast IP literal (and
    ``localhost`` names): the addresses a server must never make us fetch (SSRF)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    if getattr(address, "ipv4_mapped", None) is not None:
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified
            or address.is_reserved or address.is_multicast)


def split_url(url: str) -> SplitResult:
    """``urlsplit(url)``, with ``UnsafePathError`` instead of ``ValueError`` for a malformed URL
    (``https://[/x``: unbalanced IPv6 brackets)."""
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise UnsafePathError(url, "adresse mal formée") from exc


def url_segments(path: str, shown: str) -> list[str]:
    """Segments of a URL path, checked: ``..`` (also written ``%2e%2e``) and backslashes are refused,
    empty and ``.`` segments dropped."""
    _check_text(path, shown)
    out = []
    for segment in path.split("/"):
        plain = unquote(segment)
        if plain in ("", "."):
            continue
        if plain == "..":
            raise UnsafePathError(shown, "remontée « .. » dans l'adresse")
        if "\\" in plain or "/" in plain or control_character(plain):
            raise UnsafePathError(shown, "caractère interdit encodé dans l'adresse")
        out.append(segment)
    return out


def _clean_segment(segment: str) -> str:
    """A URL segment as a harmless file name: ``[A-Za-z0-9._-]`` only, no leading dot, no device name."""
    name = _SEGMENT_CHARS.sub("_", segment)[:120] or "_"
    if name.startswith("."):
        name = "_" + name[1:]
    if name.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        name = "_" + name
    return name


def query_digest(query: str) -> str:
    """The stable part of a file name standing for a URL query: ``__`` + 12 hex digits of its SHA-1."""
    return "__" + hashlib.sha1(query.encode("utf-8")).hexdigest()[:12]


def data_name(name: str, query: str = "") -> str:
    """Final file name of a raw copy: a data extension is kept (after the query digest), anything else
    gets ``.bin`` appended: ``DEMO.csv`` → ``DEMO.csv``, ``x.pth`` → ``x.pth.bin``, ``ows?q`` →
    ``ows__<sha1>.bin``."""
    name = _clean_segment(name)
    digest = query_digest(query) if query else ""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.lower() in DATA_SUFFIXES:
        return f"{stem}{digest}.{suffix}"
    return f"{name}{digest}.{FALLBACK_SUFFIX}"


def url_parts(url: str) -> list[str]:
    """Relative path parts of the raw copy of ``url``: ``[<host folder>, *<path segments>, <data name>]``.

    Only ``http(s)`` URLs with a sound host are accepted; ``..`` segments, backslashes and control
    characters are refused (``UnsafePathError``); other characters become ``_``; a path ending with
    ``/`` (or empty) gets the name ``index``; a query adds its digest to the last name.
    """
    _check_text(url, url)
    parts = split_url(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafePathError(url, f"schéma « {parts.scheme or 'aucun'} » au lieu de http ou https")
    folder = host_folder(parts.netloc)
    segments = url_segments(parts.path, url)
    if not segments or parts.path.endswith("/"):
        segments.append("index")
    names = [_clean_segment(s) for s in segments[:-1]] + [data_name(segments[-1], parts.query)]
    if sum(len(n) + 1 for n in names) > MAX_URL_PATH:
        raise UnsafePathError(url[:200], "adresse trop longue")
    return [folder, *names]


# ---------------------------------------------------------------------------------------------------
# Temporary names and leftovers
# ---------------------------------------------------------------------------------------------------


def temp_prefix(kind: str) -> str:
    """Prefix of a temporary file or folder of this process: ``.<kind>-<pid>-``."""
    return f".{kind}-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (a process of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


_TEMP_DIR = re.compile(r"^\.(staging|bundle|ecriture)-(?:(\d+)-)?")
_OLD_DIR = re.compile(r"^(?P<target>.+?)(?:\.(?P<pid>\d+))?\.old$")
_PART = re.compile(r"\.(\d+)(?:\.[^.]*)?\.part$")


def _leftover_pid(name: str, pattern: re.Pattern, group: int | str) -> tuple[bool, int | None]:
    match = pattern.search(name)
    if not match:
        return False, None
    pid = match.group(group)
    return True, int(pid) if pid else None


def _dead(pid: int | None) -> bool:
    """Left by a process that is gone (names without a pid come from older versions: gone too)."""
    return pid is None or (pid != os.getpid() and not pid_alive(pid))


def _remove(path: Path, removed: list[Path]) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return
    except OSError:
        return
    removed.append(path)


def clean_leftovers(data_dir: str | os.PathLike) -> list[Path]:
    """Remove what killed processes left in the data folder; return what was removed.

    ``.staging-<pid>-*`` and ``.ecriture-<pid>-*`` in the folder, ``primary/.bundle-<pid>-*`` and
    ``primary/<name>.<pid>.old`` (restored as ``<name>`` when the swap was cut between its two renames,
    so the last good territory is never lost), and ``.part`` files under ``raw/`` — only when their
    process no longer runs. Never raises: a folder that cannot be read or cleaned is left as is.
    """
    root = Path(data_dir)
    removed: list[Path] = []
    try:
        if not root.is_dir():
            return removed
        for entry in list(root.iterdir()):
            found, pid = _leftover_pid(entry.name, _TEMP_DIR, 2)
            if found and _TEMP_DIR.match(entry.name).group(1) in ("staging", "ecriture") and _dead(pid):
                _remove(entry, removed)
        primary = root / "primary"
        if primary.is_dir():
            for entry in list(primary.iterdir()):
                found, pid = _leftover_pid(entry.name, _TEMP_DIR, 2)
                if found and _dead(pid):
                    _remove(entry, removed)
                    continue
                match = _OLD_DIR.match(entry.name)
                if match and entry.is_dir():
                    pid = int(match.group("pid")) if match.group("pid") else None
                    if not _dead(pid):
                        continue
                    target = primary / match.group("target")
                    if not target.exists():
                        try:
                            entry.rename(target)  # the swap stopped after its first rename: restore
                            continue
                        except OSError:
                            pass
                    _remove(entry, removed)
        raw = root / "raw"
        if raw.is_dir():
            for folder, _dirs, files in os.walk(raw):
                for name in files:
                    if name.startswith(".") and name.endswith(".part"):
                        found, pid = _leftover_pid(name, _PART, 1)
                        if _dead(pid):
                            _remove(Path(folder) / name, removed)
    except OSError:
        pass
    return removed


# ---------------------------------------------------------------------------------------------------
# Disk errors in French
# ---------------------------------------------------------------------------------------------------


def _errno(exc: OSError) -> int | None:
    if exc.errno is not None:
        return exc.errno
    match = re.search(r"errno\s*(\d+)", str(exc), flags=re.I)  # pyarrow puts it in the message
    if match:
        return int(match.group(1))
    if "No space left" in str(exc):
        return errno.ENOSPC
    return None


def describe_os_error(exc: OSError, folder: str | os.PathLike) -> str:
    """A French phrase for an ``OSError`` met while writing in ``folder``."""
    code = _errno(exc)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"espace disque insuffisant dans {folder}"
    if code in (errno.EACCES, errno.EPERM):
        return f"droits insuffisants pour écrire dans {folder}"
    if code == errno.EROFS:
        return f"le dossier {folder} est sur un support en lecture seule"
    if code == errno.ENAMETOOLONG:
        return f"nom de fichier trop long pour le système de fichiers dans {folder}"
    name = errno.errorcode.get(code, str(code)) if code is not None else type(exc).__name__
    return f"erreur d'écriture dans {folder} (code système {name})"


def storage_error(exc: OSError, folder: str | os.PathLike, consequence: str = "") -> StorageError:
    """``StorageError`` whose message is the French phrase of ``exc`` and what it means for the user."""
    phrase = describe_os_error(exc, folder)
    return StorageError(str(folder), phrase + (f" : {consequence}" if consequence else "."))
