"""The one HTTP layer of ecoqpv: every online loader goes through here.

* Shared sessions configured once (a ``requests-cache`` ``CachedSession`` for API answers, a plain
  ``requests.Session`` for streamed files) with a descriptive User-Agent, proxies from the environment
  (``HTTPS_PROXY``/``NO_PROXY``: requests' default ``trust_env``), a timeout on every call and urllib3
  ``Retry`` on 429 (honouring ``Retry-After``, capped), 5xx and connection errors, with exponential
  backoff — never on other 4xx, which cannot get better by asking again.
* Politeness: at most ``settings.RATE_LIMITS_PER_MINUTE[host]`` requests per minute per official host
  (INSEE Melodi: 30), counted when a request really leaves (answers from the cache are free).
* API answers (JSON, GeoJSON from WFS, HTML pages used to discover file names) are cached in SQLite
  under the user data directory for ``settings.HTTP_CACHE_HOURS``; errors, empty bodies and HTML
  error pages are never cached, and an answer that a parser refuses is removed from the cache.
* ``download`` streams files to a temporary file in the destination folder, checks it (size, HTML
  error page served with 200, empty body, truncated ZIP, JSON syntax, published checksum, and the
  source's own parser) and only then renames it over the previous copy: the last good copy is never
  replaced by a bad one, and an interrupted download leaves only a ``.part`` file that no reader uses.
* Mirror: with a base URL ``M``, ``https://host/path?query`` is fetched as ``M/host/path?query``;
  redirects are followed by hand and mapped through the mirror too, so nothing leaks to the real host.

Every failure is a ``loaders.errors.SourceError`` subclass whose French message names the source and
the fault (délai dépassé, connexion interrompue, erreur serveur 500, trop de requêtes, page HTML…).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import settings
from loaders.errors import (
    ChecksumError,
    RateLimitedError,
    SourceError,
    SourceFormatError,
    SourceMissingError,
    SourceUnavailableError,
)

Progress = Callable[[int, "int | None"], None]

RETRY_STATUSES = (429, 500, 502, 503, 504)
_HTML_HEADS = (b"<!doctype html", b"<html", b"<head", b"<body")
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16
_MAX_REDIRECTS = 5


# ---------------------------------------------------------------------------------------------------
# Mirror
# ---------------------------------------------------------------------------------------------------


def mirror_url(url: str, mirror: str | None) -> str:
    """``https://host/path?q`` → ``MIRROR/host/path?q``; unchanged without a mirror or if already mirrored."""
    if not mirror:
        return url
    base = mirror.rstrip("/")
    if url.startswith(base + "/"):
        return url
    parts = urlsplit(url)
    out = f"{base}/{parts.netloc}{parts.path or '/'}"
    return out + (f"?{parts.query}" if parts.query else "")


def official_host(url: str, mirror: str | None = None) -> str:
    """The official host a (possibly mirrored) URL stands for: the rate limits follow it."""
    for base in filter(None, (mirror, *_MIRRORS)):
        base = base.rstrip("/")
        if url.startswith(base + "/"):
            return url[len(base) + 1:].split("/", 1)[0].split("?", 1)[0]
    return urlsplit(url).hostname or ""


_MIRRORS: set[str] = set()


# ---------------------------------------------------------------------------------------------------
# Politeness
# ---------------------------------------------------------------------------------------------------


class _HostLimiter:
    """Evenly spaced requests per official host (no bursts): simple and predictable for small APIs."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        per_minute = settings.RATE_LIMITS_PER_MINUTE.get(host)
        if not settings.RATE_LIMIT or not per_minute:
            return
        interval = 60.0 / per_minute
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + interval
        if start > now:
            time.sleep(start - now)


LIMITER = _HostLimiter()


class _Retry(Retry):
    """urllib3 ``Retry`` whose ``Retry-After`` waits are capped by ``settings.HTTP_RETRY_AFTER_MAX``."""

    def get_retry_after(self, response):  # noqa: ANN001 - urllib3 signature
        seconds = super().get_retry_after(response)
        if seconds is None:
            return None
        return min(seconds, settings.HTTP_RETRY_AFTER_MAX)


class _PoliteAdapter(HTTPAdapter):
    """Waits for the host's rate limit when a request really leaves; applies the default timeouts."""

    def send(self, request, **kwargs):  # noqa: ANN001 - requests signature
        LIMITER.wait(official_host(request.url))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        return super().send(request, **kwargs)


def _retry() -> Retry:
    return _Retry(
        total=settings.HTTP_RETRIES,
        connect=settings.HTTP_RETRIES,
        read=settings.HTTP_RETRIES,
        status=settings.HTTP_RETRIES,
        other=0,
        backoff_factor=settings.HTTP_BACKOFF,
        backoff_max=max(settings.HTTP_RETRY_AFTER_MAX, settings.HTTP_BACKOFF),
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        redirect=0,
    )


def _cacheable(response: requests.Response) -> bool:
    """Never cache an error page: empty bodies and HTML served to a JSON request stay out of the cache."""
    body = response.content or b""
    if not body.strip():
        return False
    accept = response.request.headers.get("Accept", "") if response.request is not None else ""
    return "text/html" in accept or not _looks_like_html(body)


_SESSION: requests_cache.CachedSession | None = None
_FILES: requests.Session | None = None
_SESSION_KEY: tuple | None = None
_SESSION_LOCK = threading.Lock()


def _session_key() -> tuple:
    return (str(settings.http_cache_path()), settings.HTTP_RETRIES, settings.HTTP_BACKOFF,
            settings.HTTP_CACHE_HOURS, settings.USER_AGENT)


def _configure(sess: requests.Session) -> None:
    """Same politeness for both sessions: retries, rate limit, default timeouts, User-Agent."""
    adapter = _PoliteAdapter(max_retries=_retry())
    sess.mount("http://", adapter)
    sess.mount("https://", adapter)
    sess.headers["User-Agent"] = settings.USER_AGENT


def _build() -> None:
    global _SESSION, _FILES, _SESSION_KEY
    key = _session_key()
    if _SESSION is not None and _SESSION_KEY == key:
        return
    for old in (_SESSION, _FILES):
        if old is not None:
            old.close()
    settings.http_cache_path().parent.mkdir(parents=True, exist_ok=True)
    _SESSION = requests_cache.CachedSession(
        cache_name=str(settings.http_cache_path()),
        backend="sqlite",
        expire_after=dt.timedelta(hours=settings.HTTP_CACHE_HOURS),
        allowable_codes=(200,),
        allowable_methods=("GET",),
        filter_fn=_cacheable,
        stale_if_error=False,
    )
    _configure(_SESSION)
    # Files are streamed to disk and checked there: they never go through the answer cache (whose
    # filter would read the whole body into memory before the download even starts).
    _FILES = requests.Session()
    _configure(_FILES)
    _SESSION_KEY = key


def session() -> requests_cache.CachedSession:
    """The shared session for API answers, cached (rebuilt when its settings change, e.g. in tests)."""
    with _SESSION_LOCK:
        _build()
        return _SESSION


def file_session() -> requests.Session:
    """The shared session for file downloads (same retries, limits and User-Agent, no answer cache)."""
    with _SESSION_LOCK:
        _build()
        return _FILES


#: Hosts found unreachable (refused connection, unknown name) during the current update.
_UNREACHABLE: dict[str, str] = {}


def forget_unreachable() -> None:
    """A new update starts: give every host a new chance (the network may be back)."""
    _UNREACHABLE.clear()


def reset() -> None:
    """Forget the shared sessions (tests changing settings, or after fork)."""
    global _SESSION, _FILES, _SESSION_KEY
    forget_unreachable()
    with _SESSION_LOCK:
        for old in (_SESSION, _FILES):
            if old is not None:
                old.close()
        _SESSION, _FILES, _SESSION_KEY = None, None, None


# ---------------------------------------------------------------------------------------------------
# Errors in French
# ---------------------------------------------------------------------------------------------------


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip(_BOM).lstrip().lower()
    return head.startswith(_HTML_HEADS) or (head.startswith(b"<?xml") and b"<html" in head)


def _host(url: str) -> str:
    """Host of a URL, with the official host when it goes through a mirror."""
    netloc = urlsplit(url).netloc or url
    official = official_host(url)
    return netloc if official in ("", netloc.split(":")[0]) else f"{official} (via le miroir {netloc})"


def _retries() -> str:
    n = settings.HTTP_RETRIES
    return f"après {n} nouvelle tentative" if n == 1 else f"après {n} nouvelles tentatives"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _status_error(source: str, response: requests.Response, url: str) -> SourceError:
    status = response.status_code
    where = f"(adresse {url})"
    if status == 404 or status == 410:
        return SourceMissingError(source, f"ressource introuvable (erreur {status}) {where} : l'adresse a "
                                          "peut-être changé chez l'éditeur.")
    if status == 429:
        wait = response.headers.get("Retry-After")
        hint = f" ; le serveur demande d'attendre {wait} s" if wait else ""
        return RateLimitedError(source, f"trop de requêtes (erreur 429) {_retries()}{hint} {where}. "
                                        "Réessayez plus tard.")
    if status >= 500:
        label = {503: "service indisponible (erreur serveur 503)", 502: "passerelle en erreur (erreur serveur 502)",
                 504: "passerelle hors délai (erreur serveur 504)"}.get(status, f"erreur serveur {status} persistante")
        return SourceUnavailableError(source, f"{label} {_retries()} {where}.")
    if status in (401, 403):
        return SourceUnavailableError(source, f"accès refusé (erreur {status}) {where}.")
    return SourceUnavailableError(source, f"requête refusée par le serveur (erreur {status}) {where}.")


def _exception_error(source: str, exc: Exception, url: str) -> SourceError:
    """Timeouts, resets and refused connections → a French sentence (never the raw traceback)."""
    text = repr(exc)
    host = _host(url)
    if isinstance(exc, requests.exceptions.Timeout) or "Timeout" in text or "timed out" in text:
        return SourceUnavailableError(
            source, f"délai dépassé : le serveur {host} n'a pas répondu dans les "
                    f"{_seconds(settings.HTTP_READ_TIMEOUT)} s ({_retries()}).")
    if "ConnectionRefused" in text or "Connection refused" in text or "NewConnectionError" in text \
            or "NameResolution" in text or "getaddrinfo" in text:
        return SourceUnavailableError(source, f"connexion impossible au serveur {host} (hors ligne, adresse "
                                              "inconnue ou pare-feu/proxy).")
    if isinstance(exc, requests.exceptions.SSLError):
        return SourceUnavailableError(source, f"échec de la connexion sécurisée (TLS) avec {host}.")
    return SourceUnavailableError(source, f"connexion interrompue par le serveur {host} ({_retries()}).")


# ---------------------------------------------------------------------------------------------------
# Requests with manual, mirrored redirects
# ---------------------------------------------------------------------------------------------------


def build_url(url: str, params: dict[str, Any] | None = None) -> str:
    """The URL with its query string, encoded as requests would send it."""
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url


def _get(url: str, *, source: str, mirror: str | None, accept: str, stream: bool = False,
         headers: dict[str, str] | None = None, cached: bool = True) -> tuple[requests.Response, str]:
    """GET ``url`` through the mirror, following redirects by hand; returns the response and final URL.

    A redirect is resolved against the *official* URL it answers for, then mapped through the mirror,
    so a relative or absolute ``Location`` never sends the request to the real host.
    """
    base = mirror.rstrip("/") if mirror else None
    if base:
        _MIRRORS.add(base)
    official = url
    first = mirror_url(official, mirror)
    if urlsplit(first).netloc in _UNREACHABLE:  # already unreachable in this update: no new retries
        raise SourceUnavailableError(source, f"connexion impossible au serveur {_host(first)} (hors ligne, "
                                             "adresse inconnue ou pare-feu/proxy ; constaté plus tôt pendant "
                                             "cette mise à jour).")
    sess = session() if cached else file_session()
    all_headers = {"Accept": accept, **(headers or {})}
    for _ in range(_MAX_REDIRECTS + 1):
        target = mirror_url(official, mirror)
        try:
            response = sess.get(target, headers=all_headers, stream=stream, allow_redirects=False,
                                timeout=(settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT))
        except requests.RequestException as exc:
            error = _exception_error(source, exc, target)
            if error.problem.startswith("connexion impossible"):
                _UNREACHABLE[urlsplit(target).netloc] = error.problem
            raise error from exc
        if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("Location"):
            location = response.headers["Location"]
            response.close()
            if base and location.startswith(base + "/"):
                official = "https://" + location[len(base) + 1:]
            elif base and location.startswith("/") and not location.startswith("//"):
                # A mirror answering with its own absolute path: /host/path…
                official = "https://" + location.lstrip("/")
            else:
                official = urljoin(official, location)
            continue
        return response, target
    raise SourceUnavailableError(source, f"trop de redirections à partir de {url}.")


@dataclass
class Answer:
    """A decoded API answer and how it was obtained (for progress, reports and the benchmark)."""

    data: Any
    url: str
    from_cache: bool
    nbytes: int
    cache_key: str | None = None


def _forget(response: requests.Response) -> None:
    key = getattr(response, "cache_key", None)
    if key:
        try:
            session().cache.delete(key)
        except Exception:  # noqa: BLE001 - a cache that cannot delete must not hide the real error
            pass


def get_json(url: str, *, source: str, params: dict[str, Any] | None = None, mirror: str | None = None,
             validate: Callable[[Any], None] | None = None, refresh: bool = False) -> Answer:
    """JSON (or GeoJSON) from an API, cached; ``validate(data)`` may refuse it (then it is uncached)."""
    full = build_url(url, params)
    if refresh:
        _drop_cached(full, mirror)
    response, final = _get(full, source=source, mirror=mirror, accept="application/json, application/geo+json")
    if response.status_code != 200:
        raise _status_error(source, response, final)
    body = response.content or b""
    try:
        if not body.strip():
            raise SourceFormatError(source, f"réponse vide (statut 200 sans contenu) à l'adresse {final}.")
        if _looks_like_html(body):
            raise SourceFormatError(source, f"une page HTML a été reçue à la place des données JSON "
                                            f"(page d'erreur ou de maintenance) à l'adresse {final}.")
        stripped = body.lstrip(_BOM).lstrip()
        if stripped.startswith(b"<"):
            raise SourceFormatError(source, "le service a renvoyé un message XML au lieu de données JSON : "
                                            + _xml_message(stripped) + ".")
        try:
            data = json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceFormatError(source, f"réponse JSON illisible ({type(exc).__name__}) à l'adresse "
                                            f"{final}.") from exc
        if validate is not None:
            validate(data)
    except SourceError:
        _forget(response)
        raise
    return Answer(data, final, bool(getattr(response, "from_cache", False)), len(body),
                  getattr(response, "cache_key", None))


def get_text(url: str, *, source: str, mirror: str | None = None,
             validate: Callable[[str], None] | None = None) -> Answer:
    """An HTML/text page (cached), e.g. an INSEE page listing the files of a publication; a page that
    ``validate`` refuses (a maintenance page without the expected links) leaves the cache."""
    response, final = _get(url, source=source, mirror=mirror, accept="text/html, text/plain")
    if response.status_code != 200:
        raise _status_error(source, response, final)
    body = response.content or b""
    try:
        if not body.strip():
            raise SourceFormatError(source, f"page vide à l'adresse {final}.")
        declared = "charset=" in response.headers.get("Content-Type", "").lower()
        text = body.decode(response.encoding if declared and response.encoding else "utf-8", errors="replace")
        if validate is not None:
            validate(text)
    except SourceError:
        _forget(response)
        raise
    return Answer(text, final, bool(getattr(response, "from_cache", False)), len(body),
                  getattr(response, "cache_key", None))


def _drop_cached(url: str, mirror: str | None) -> None:
    try:
        session().cache.delete(urls=[mirror_url(url, mirror)])
    except Exception:  # noqa: BLE001
        pass


def _xml_message(body: bytes) -> str:
    text = body[:2000].decode("utf-8", errors="replace")
    match = re.search(r"<(?:\w+:)?ExceptionText>(.*?)</", text, flags=re.S)
    if match:
        return " ".join(match.group(1).split())[:200]
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:200] or "message vide"


# ---------------------------------------------------------------------------------------------------
# File downloads
# ---------------------------------------------------------------------------------------------------


def raw_path(url: str) -> Path:
    """Where the raw copy of an official URL lives: ``DATA_DIR/raw/<host>/<path>`` (+ a query digest)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s] or ["index"]
    clean = [re.sub(r"[^A-Za-z0-9._-]", "_", s)[:120] or "_" for s in segments]
    if parts.path.endswith("/"):
        clean.append("index")
    if parts.query:
        clean[-1] += "__" + hashlib.sha1(parts.query.encode()).hexdigest()[:12]
    return settings.raw_dir() / re.sub(r"[^A-Za-z0-9._-]", "_", parts.netloc) / Path(*clean)


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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _clean_stale_parts(dest: Path) -> None:
    """Remove ``.part`` files of ``dest`` left by a process that no longer runs (killed download)."""
    for part in dest.parent.glob(f".{dest.name}.*.part"):
        match = re.search(r"\.(\d+)(?:\.[^.]*)?\.part$", part.name)
        pid = int(match.group(1)) if match else None
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        try:
            part.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_content(path: Path, *, source: str, expect: str) -> None:
    """Refuse what is not a usable file: empty, HTML error page, truncated/damaged ZIP, bad JSON."""
    size = path.stat().st_size
    if size == 0:
        raise SourceFormatError(source, "réponse vide : le fichier reçu ne contient aucun octet.")
    with path.open("rb") as handle:
        head = handle.read(2048)
    if not head.strip():
        raise SourceFormatError(source, "réponse vide : le fichier reçu ne contient que des blancs.")
    if expect != "html" and _looks_like_html(head):
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
    digest = hashlib.new(algo)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ChecksumError(source, f"empreinte {algo} différente de celle publiée ({expected[:12]}…) : fichier "
                                    "modifié ou téléchargement abîmé ; l'ancienne copie est conservée.")


def download(url: str, dest: Path, *, source: str, expect: str = "any", mirror: str | None = None,
             checksum: tuple[str, str] | None = None, validate: Callable[[Path], None] | None = None,
             progress: Progress | None = None, refresh: bool = False, extra_meta: dict | None = None) -> Download:
    """Download ``url`` to ``dest`` atomically, keeping the last good copy when anything is wrong.

    ``expect`` is ``zip``, ``json``, ``zip_or_json``, ``csv``, ``html`` or ``any``; ``checksum`` is the
    publisher's ``(algorithm, hex)`` (sha256, sha1, md5); ``validate(path)`` runs the source's parser on
    the new file before it replaces the old one. When the publisher's checksum equals the one of the
    last good copy, nothing is downloaded; otherwise the request is conditional (ETag/Last-Modified).
    """
    dest = Path(dest)
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
        response, final = _get(url, source=source, mirror=mirror, accept=accept, stream=True, headers=headers,
                               cached=False)
        if response.status_code == 304 and previous:
            response.close()
            return Download(dest, url, 0, True, previous["sha256"], previous)
        if response.status_code != 200:
            response.close()
            raise _status_error(source, response, final)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{attempt}.part")
        try:
            received = _stream(response, tmp, source, final, progress)
        except SourceUnavailableError:
            tmp.unlink(missing_ok=True)
            if attempt + 1 >= attempts:
                raise
            time.sleep(min(settings.HTTP_BACKOFF * (2 ** attempt), settings.HTTP_RETRY_AFTER_MAX))
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
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _write_atomic(_meta_path(dest), (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        return Download(dest, url, received, False, digest, meta)
    raise SourceUnavailableError(source, f"téléchargement impossible : {url}.")  # pragma: no cover


def save_product(dest: Path, data: bytes, *, source: str, validate: Callable[[Path], None] | None = None,
                 extra_meta: dict | None = None) -> Download:
    """Store a file built from API answers (e.g. the IRIS of a territory) like a download: checked by
    ``validate`` on a temporary file, then renamed over the previous copy, with its metadata."""
    dest = Path(dest)
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
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_atomic(_meta_path(dest), (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
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
        error = _exception_error(source, exc, url)
        if not isinstance(exc, requests.exceptions.Timeout) and "timed out" not in repr(exc):
            error = SourceUnavailableError(source, f"connexion interrompue pendant le téléchargement après "
                                                   f"{received} octets ({_host(url)}).")
        raise error from exc
    finally:
        response.close()
    if total_bytes is not None and received != total_bytes:
        raise SourceUnavailableError(source, f"connexion interrompue : {received} octets reçus sur "
                                             f"{total_bytes} annoncés ({_host(url)}).")
    return received
