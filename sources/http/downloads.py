"""Downloads: files streamed to disk, checked, and only then put in place of the last good copy.

``download`` streams a file to a temporary ``.part`` file in the destination folder, checks it (size,
HTML error page served with 200, empty body, truncated ZIP, JSON syntax, published checksum, and the
source's own parser) and only then renames it over the previous copy, with its metadata
(``<name>.meta.json``: URL, sha256, ETag, dates): the last good copy is never replaced by a bad one,
and an interrupted download leaves only a ``.part`` file that no reader uses (removed by the next
download of the same file once its process has ended). ``save_product`` stores a file built from API
answers the same way. Raw copies are named by ``core.paths`` (inside the data folder, data extensions
only); a full disk is a French ``SourceError`` that leaves no partial file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

import settings
from core import paths
from core.checksums import file_digest, sha256_file
from core.errors import ChecksumError, SourceError, SourceFormatError, SourceUnavailableError, UnsafePathError
from sources.http.answers import exception_error, get, host_words, status_error
from sources.http.sessions import looks_like_html
from sources.http import health
from sources.http.urls import official_host, refused

#: ``progress(received bytes, announced total or None)``, called as a download goes.
Progress = Callable[[int, "int | None"], None]

_CHUNK = 1 << 16


def raw_path(url: str, *, source: str | None = None) -> Path:
    """Where the raw copy of an official URL lives: ``DATA_DIR/raw/<host>/<path>`` (+ a query digest).

    Built by ``core.paths`` (checked host, no ``..``, data extensions only, inside the data folder): a
    refused URL raises ``UnsafePathError``, or with ``source`` a French ``SourceError`` for that source.
    """
    try:
        return paths.safe_path(settings.raw_dir(), *paths.url_parts(url))
    except UnsafePathError as exc:
        if source is None:
            raise
        raise refused(source, url, exc) from exc


@dataclass
class Download:
    """A raw file on disk, checked; ``nbytes`` is what crossed the network this time (0 when reused)."""

    path: Path
    url: str
    nbytes: int
    reused: bool
    sha256: str
    meta: dict = field(default_factory=dict)
    requested: bool = True  # False when the published checksum made the request unnecessary


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".meta.json")


def read_meta(dest: Path) -> dict | None:
    """Metadata of the last good copy, or None when absent or when the file does not match it."""
    meta_file = _meta_path(dest)
    if not dest.is_file() or not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("sha256") != sha256_file(dest):
        return None
    return meta


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` → ``path`` through a ``.part`` file renamed over it; on any error (disk full…) the
    ``.part`` file is removed, the previous ``path`` is untouched, and the ``OSError`` goes up."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, *, what: str = "") -> None:
    """``_write_atomic`` whose ``OSError`` becomes a French ``StorageError`` naming the folder."""
    try:
        _write_atomic(path, data)
    except OSError as exc:
        raise paths.storage_error(exc, Path(path).parent, what or "le fichier précédent est conservé.") from exc


def _storage_source_error(source: str, exc: OSError, folder: Path) -> SourceError:
    return SourceError(source, paths.describe_os_error(exc, folder) + " : le fichier n'a pas pu être enregistré "
                               "(aucun fichier partiel n'est laissé) ; la copie précédente est conservée.")


def _clean_stale_parts(dest: Path) -> None:
    """Remove ``.part`` files of ``dest`` left by a process that no longer runs (killed download)."""
    for part in dest.parent.glob(f".{dest.name}.*.part"):
        match = re.search(r"\.(\d+)(?:\.[^.]*)?\.part$", part.name)
        pid = int(match.group(1)) if match else None
        if pid is not None and pid != os.getpid() and paths.pid_alive(pid):
            continue
        try:
            part.unlink()
        except OSError:
            pass


def check_content(path: Path, *, source: str, expect: str) -> None:
    """Refuse what is not a usable file: empty, HTML error page, truncated/damaged ZIP, bad JSON."""
    size = path.stat().st_size
    if size == 0:
        raise SourceFormatError(source, "réponse vide : le fichier reçu ne contient aucun octet.")
    with path.open("rb") as handle:
        head = handle.read(2048)
    if not head.strip():
        raise SourceFormatError(source, "réponse vide : le fichier reçu ne contient que des blancs.")
    if expect != "html" and looks_like_html(head):
        raise SourceFormatError(source, "une page HTML a été reçue à la place du fichier de données "
                                        "(page d'erreur ou de maintenance servie avec le statut 200).")
    is_zip = head[:4] == b"PK\x03\x04"
    if expect == "zip" and not is_zip:
        raise SourceFormatError(source, "une archive ZIP était attendue mais le contenu reçu n'en est pas une.")
    if is_zip and expect in ("zip", "zip_or_json", "any"):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise SourceFormatError(source, "archive ZIP tronquée ou abîmée (téléchargement incomplet ?).") from exc
        if bad is not None:
            raise SourceFormatError(source, f"archive ZIP abîmée : le fichier « {bad} » est illisible.")
    if expect in ("json", "zip_or_json") and not is_zip:
        try:
            with path.open("rb") as handle:
                json.loads(handle.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceFormatError(source, f"contenu JSON illisible ou tronqué ({type(exc).__name__}).") from exc


def _verify_checksum(path: Path, checksum: tuple[str, str] | None, source: str) -> None:
    if not checksum:
        return
    algo, expected = checksum[0].lower().replace("-", ""), checksum[1].strip().lower()
    if algo not in {"sha256", "sha1", "md5", "sha512"} or not expected:
        return
    if file_digest(path, algo) != expected:
        raise ChecksumError(source, f"empreinte {algo} différente de celle publiée ({expected[:12]}…) : fichier "
                                    "modifié ou téléchargement abîmé ; l'ancienne copie est conservée.")


def _commit(tmp: Path, dest: Path, meta: dict) -> None:
    """Put a checked ``tmp`` in place of ``dest`` with its metadata. Both files are written first (what
    can fail for lack of space), then renamed: a full disk never leaves a file without its metadata."""
    meta_path = _meta_path(dest)
    meta_tmp = meta_path.with_name(f".{meta_path.name}.{os.getpid()}.part")
    try:
        with meta_tmp.open("wb") as handle:
            handle.write((json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        os.replace(meta_tmp, meta_path)
    except BaseException:
        meta_tmp.unlink(missing_ok=True)
        raise


def _disk_errors(source: str, dest: Path, action: Callable[[], Download]) -> Download:
    """Run ``action``; an ``OSError`` while writing (disk full, no permission…) becomes a French
    ``SourceError`` naming the folder (the temporary files are already removed by then)."""
    try:
        return action()
    except OSError as exc:
        if isinstance(exc, requests.RequestException):
            raise
        raise _storage_source_error(source, exc, dest.parent) from exc


def download(url: str, dest: Path, *, source: str, expect: str = "any", mirror: str | None = None,
             checksum: tuple[str, str] | None = None, validate: Callable[[Path], None] | None = None,
             progress: Progress | None = None, refresh: bool = False, extra_meta: dict | None = None) -> Download:
    """Download ``url`` to ``dest`` atomically, keeping the last good copy when anything is wrong.

    ``expect`` is ``zip``, ``json``, ``zip_or_json``, ``csv``, ``html`` or ``any``; ``checksum`` is the
    publisher's ``(algorithm, hex)`` (sha256, sha1, md5); ``validate(path)`` runs the source's parser on
    the new file before it replaces the old one. When the publisher's checksum equals the one of the
    last good copy, nothing is downloaded; otherwise the request is conditional (ETag/Last-Modified).
    A disk full (or any error while writing) is a French ``SourceError`` and leaves no partial file.
    """
    dest = Path(dest)
    return _disk_errors(source, dest, lambda: _download(url, dest, source=source, expect=expect, mirror=mirror,
                                                        checksum=checksum, validate=validate, progress=progress,
                                                        refresh=refresh, extra_meta=extra_meta))


def _download(url: str, dest: Path, *, source: str, expect: str, mirror: str | None,
              checksum: tuple[str, str] | None, validate: Callable[[Path], None] | None,
              progress: Progress | None, refresh: bool, extra_meta: dict | None) -> Download:
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_parts(dest)
    previous = None if refresh else read_meta(dest)
    if previous and checksum and previous.get("checksum") == list(checksum):
        return Download(dest, url, 0, True, previous["sha256"], previous, requested=False)
    headers = {}
    if previous and previous.get("url") == url:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified_http"):
            headers["If-Modified-Since"] = previous["last_modified_http"]
    accept = "text/html" if expect == "html" else "*/*"

    attempts = max(settings.HTTP_RETRIES, 0) + 1
    for attempt in range(attempts):
        response, final = get(url, source=source, mirror=mirror, accept=accept, stream=True, headers=headers,
                              cached=False)
        if response.status_code == 304 and previous:
            response.close()
            return Download(dest, url, 0, True, previous["sha256"], previous)
        if response.status_code != 200:
            response.close()
            raise status_error(source, response, final)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{attempt}.part")
        try:
            received = _stream(response, tmp, source, final, progress)
        except health.BudgetExceededError:
            tmp.unlink(missing_ok=True)
            raise
        except SourceUnavailableError:
            tmp.unlink(missing_ok=True)
            if attempt + 1 >= attempts:
                health.mark_down(final, official_host(final), "coupure")
                raise
            health.pause(min(settings.HTTP_BACKOFF * (2 ** attempt), settings.HTTP_RETRY_AFTER_MAX), source)
            continue
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        try:
            check_content(tmp, source=source, expect=expect)
            _verify_checksum(tmp, checksum, source)
            if validate is not None:
                validate(tmp)
            digest = sha256_file(tmp)
            if previous and previous.get("sha256") == digest and previous.get("url") == url:
                # Same bytes as the last good copy: leave it (and its metadata) untouched.
                tmp.unlink(missing_ok=True)
                return Download(dest, url, received, True, digest, previous)
            meta = {
                "url": url,
                "url_effective": final,
                "sha256": digest,
                "octets": tmp.stat().st_size,
                "telecharge_le": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                "etag": response.headers.get("ETag"),
                "last_modified_http": response.headers.get("Last-Modified"),
                "checksum": list(checksum) if checksum else None,
                **(extra_meta or {}),
            }
            _commit(tmp, dest, meta)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Download(dest, url, received, False, digest, meta)
    raise SourceUnavailableError(source, f"téléchargement impossible : {url}.")  # pragma: no cover


def save_product(dest: Path, data: bytes, *, source: str, validate: Callable[[Path], None] | None = None,
                 extra_meta: dict | None = None) -> Download:
    """Store a file built from API answers (e.g. the IRIS of a territory) like a download: checked by
    ``validate`` on a temporary file, then renamed over the previous copy, with its metadata. A disk
    full is a French ``SourceError``; the previous copy stays and no partial file is left."""
    dest = Path(dest)
    return _disk_errors(source, dest, lambda: _save_product(dest, data, source=source, validate=validate,
                                                            extra_meta=extra_meta))


def _save_product(dest: Path, data: bytes, *, source: str, validate: Callable[[Path], None] | None,
                  extra_meta: dict | None) -> Download:
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_parts(dest)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.p.part")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if validate is not None:
            validate(tmp)
        digest = sha256_file(tmp)
        meta = {"sha256": digest, "octets": len(data),
                "construit_le": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                **(extra_meta or {})}
        _commit(tmp, dest, meta)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Download(dest, str(extra_meta.get("url", "")) if extra_meta else "", 0, False, digest, meta,
                    requested=False)


def _stream(response: requests.Response, tmp: Path, source: str, url: str, progress: Progress | None) -> int:
    """Body → ``tmp`` (fsynced); a short body or a reset connection is an interrupted download."""
    total = response.headers.get("Content-Length")
    total_bytes = int(total) if total and total.isdigit() else None
    received = 0
    try:
        with tmp.open("wb") as handle:
            for chunk in response.iter_content(_CHUNK):
                health.check(source, f" pendant le téléchargement ({received} octets reçus de {host_words(url)})")
                if not chunk:
                    continue
                handle.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received, total_bytes)
            handle.flush()
            os.fsync(handle.fileno())
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
            requests.exceptions.Timeout) as exc:
        error = exception_error(source, exc, url)
        if not isinstance(exc, requests.exceptions.Timeout) and "timed out" not in repr(exc):
            error = SourceUnavailableError(source, f"connexion interrompue pendant le téléchargement après "
                                                   f"{received} octets ({host_words(url)}).")
        raise error from exc
    finally:
        response.close()
    if total_bytes is not None and received != total_bytes:
        raise SourceUnavailableError(source, f"connexion interrompue : {received} octets reçus sur "
                                             f"{total_bytes} annoncés ({host_words(url)}).")
    return received
