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
  ``M`` is ``http(s)://host[:port][/path]`` or ``file:///absolute/folder`` (read through a read-only
  transport adapter: ``https://host/path?query`` → ``FOLDER/host/path__<sha1(query)[:12]>``, the layout
  of the raw cache); anything else is refused by ``check_mirror`` before any request.
* Only ``http(s)`` is fetched. Every URL is checked before it is requested (``check_url``): sound host,
  no ``..``; URLs found in answers (redirects, resource URLs, page links, ``next`` links) aiming at a
  loopback, private or link-local address are refused without a mirror (SSRF); through a mirror every
  mapped URL stays under the mirror's base. Raw copies are named by ``core.paths`` (inside the data
  folder, data extensions only).

Every failure is a ``core.errors.SourceError`` subclass whose French message names the source and
the fault (délai dépassé, connexion interrompue, erreur serveur 500, trop de requêtes, page HTML, adresse
refusée, espace disque insuffisant…).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import mimetypes
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
from urllib.request import url2pathname

import requests
import requests_cache
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

import settings
from core import paths
from core.checksums import file_digest, sha256_file
from core.errors import (
    BadArgumentError,
    ChecksumError,
    RateLimitedError,
    SourceError,
    SourceFormatError,
    SourceMissingError,
    SourceUnavailableError,
    UnsafePathError,
    shown,
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


MIRROR_ACCEPTED = ("une adresse http://hôte[:port][/chemin] ou https://hôte[:port][/chemin], ou "
                   "file:///dossier/absolu vers un dossier existant")


def check_mirror(value: str | None) -> str | None:
    """The mirror base without its trailing ``/``, or ``BadArgumentError`` (French, says what is accepted).

    Accepted: ``http(s)://host[:port][/path]`` (no user name, query or fragment, no ``..``) and
    ``file:///absolute/folder`` naming an existing folder. ``None`` or blank: no mirror.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()

    def refuse(reason: str) -> BadArgumentError:
        return BadArgumentError(f"Miroir refusé : « {shown(text)} » ({reason}). Valeurs acceptées : "
                                f"{MIRROR_ACCEPTED}.")

    if paths.control_character(text) is not None:
        raise refuse("caractère de contrôle")
    try:
        parts = paths.split_url(text)
    except UnsafePathError as exc:
        raise refuse(exc.problem) from exc
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        try:
            paths.split_host(parts.netloc)
            paths.url_segments(parts.path, text)
        except UnsafePathError as exc:
            raise refuse(exc.problem) from exc
        if parts.query or parts.fragment or text.endswith(("?", "#")):
            raise refuse("requête ou fragment dans l'adresse")
        return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise refuse("un miroir file: désigne un dossier de cette machine : file:///dossier")
        folder = Path(url2pathname(parts.path))
        if not parts.path or not folder.is_absolute():
            raise refuse("chemin de dossier absolu attendu")
        if ".." in folder.parts:
            raise refuse("remontée « .. » dans le chemin")
        if not folder.is_dir():
            raise refuse("dossier introuvable" if not folder.exists() else "ce n'est pas un dossier")
        return "file://" + parts.path.rstrip("/")
    raise refuse(f"schéma « {parts.scheme} » non accepté" if parts.scheme else "ce n'est pas une adresse")


def _mirror_folder(base: str) -> Path:
    return Path(url2pathname(urlsplit(base).path))


def check_url(url: str, *, source: str, mirror: str | None = None, found: bool = True) -> str:
    """``url`` if it may be requested, else a French ``SourceError`` for ``source``.

    Only ``http(s)``; a sound host (DNS name or IP, optional port); no ``..`` segment, backslash or
    control character. ``found``: the URL came from an answer (resource URL, page link, ``next`` link,
    redirect); without a mirror, one aiming at a loopback, private or link-local address is refused.
    """
    try:
        if paths.control_character(url) is not None or "\\" in url:
            raise UnsafePathError(url, "caractère interdit dans l'adresse")
        parts = paths.split_url(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise UnsafePathError(url, f"schéma « {parts.scheme or 'aucun'} » : seules les adresses http et "
                                       "https sont téléchargées")
        host, _port = paths.split_host(parts.netloc)
        paths.url_segments(parts.path, url)
        if found and not mirror and paths.is_internal_ip(host):
            raise UnsafePathError(url, "adresse interne (boucle locale, réseau privé ou lien local) donnée "
                                       "par une réponse")
    except UnsafePathError as exc:
        raise refused(source, url, exc) from exc
    return url


def resolve_found(link: str, answered_by: str, *, source: str, mirror: str | None = None) -> str:
    """A link read in an answer (``next`` of an API page…), resolved against the official URL of that
    answer and checked like ``check_url(found=True)``."""
    try:
        url = urljoin(official_url(answered_by, mirror), str(link))
    except ValueError as exc:
        raise refused(source, str(link), UnsafePathError(str(link), "adresse mal formée")) from exc
    return check_url(url, source=source, mirror=mirror, found=True)


def refused(source: str, url: str, exc: UnsafePathError) -> SourceError:
    """The French error of a URL refused for safety (the source fails, the others go on)."""
    return SourceFormatError(source, f"adresse refusée par sécurité ({exc.problem}) : « {shown(url)} ». "
                                     "Rien n'a été téléchargé ni écrit pour cette adresse.")


def _inside_mirror(target: str, base: str) -> bool:
    """``target`` lies under the mirror base, without any ``..`` once mapped."""
    if not target.startswith(base + "/"):
        return False
    try:
        paths.url_segments(paths.split_url(target[len(base):]).path, target)
    except UnsafePathError:
        return False
    return True


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


def official_url(url: str, mirror: str | None) -> str:
    """The official URL a mirrored one stands for (``MIRROR/host/path`` → ``https://host/path``)."""
    base = mirror.rstrip("/") if mirror else None
    if base and url.startswith(base + "/"):
        return "https://" + url[len(base) + 1:]
    return url


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
    if status == 404 and url.startswith("file:"):
        return SourceMissingError(source, f"fichier absent du miroir local (attendu : {_mirror_file_hint(url)}). "
                                          "Voir dans le README l'organisation d'un dossier miroir.")
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


class FileMirrorAdapter(BaseAdapter):
    """Read-only transport for a ``file:`` mirror: ``BASE/host/path?query`` → a file of the folder.

    The file is looked up where the raw cache would store the official URL (``core.paths.url_parts``:
    ``host/path``, a query adding ``__<sha1(query)[:12]>``, ``.bin`` appended to names without a data
    extension), then under the plain name without the appended ``.bin`` (a folder made with ``wget
    --force-directories``). Paths go through ``core.paths.safe_path``: nothing outside the folder is ever
    read. Absent → 404; a refused path → 400. Never writes.
    """

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.folder = _mirror_folder(base)

    def _candidates(self, url: str) -> list[Path]:
        official = "https://" + url[len(self.base) + 1:]
        parts = paths.url_parts(official)
        found = [paths.safe_path(self.folder, *parts)]
        last = parts[-1]
        if last.endswith("." + paths.FALLBACK_SUFFIX) and not urlsplit(official).path.endswith(
                "." + paths.FALLBACK_SUFFIX):
            found.append(paths.safe_path(self.folder, *parts[:-1], last[: -len(paths.FALLBACK_SUFFIX) - 1]))
        return found

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # noqa: ANN001
        response = requests.Response()
        response.request = request
        response.url = request.url
        response.connection = self
        response.encoding = None
        response.headers = CaseInsensitiveDict()
        status, path = 404, None
        if request.method not in ("GET", "HEAD") or not request.url.startswith(self.base + "/"):
            status = 405 if request.method not in ("GET", "HEAD") else 400
        else:
            try:
                path = next((c for c in self._candidates(request.url) if c.is_file()), None)
            except UnsafePathError:
                status = 400
            else:
                status = 200 if path is not None else 404
        response.status_code = status
        response.reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
        body: Any = io.BytesIO(b"")
        if status == 200 and path is not None:
            response.headers["Content-Length"] = str(path.stat().st_size)
            kind = mimetypes.guess_type(path.name)[0]
            response.headers["Content-Type"] = kind or "application/octet-stream"
            if request.method == "GET":
                body = path.open("rb")
        # A urllib3 response as ``raw``, like the HTTP adapter's: streaming and the answer cache work alike.
        response.raw = HTTPResponse(body=body, headers=dict(response.headers), status=status, reason=response.reason,
                                    preload_content=False, decode_content=False, request_url=request.url)
        return response

    def close(self) -> None:
        pass


def _mirror_file_hint(url: str) -> str:
    """The file a ``file:`` mirror was asked for (first candidate), for the French 404 message."""
    for base in _MIRRORS:
        if base.startswith("file:") and url.startswith(base + "/"):
            try:
                return str(FileMirrorAdapter(base)._candidates(url)[0])
            except UnsafePathError:
                break
    return url


def _mount_file_mirror(sess: requests.Session, base: str) -> None:
    prefix = base + "/"
    if not isinstance(sess.adapters.get(prefix), FileMirrorAdapter):
        sess.mount(prefix, FileMirrorAdapter(base))


def _next_official(official: str, target: str, location: str, base: str | None) -> str:
    """The official URL a redirect's ``Location`` stands for (mirrored answers mapped back)."""
    if base and location.startswith(base + "/"):
        return "https://" + location[len(base) + 1:]
    if base and location.startswith("/") and not location.startswith("//"):
        resolved = urljoin(target, location)
        if resolved.startswith(base + "/"):  # the mirror's own path: BASE_PATH/host/path…
            return "https://" + resolved[len(base) + 1:]
        return "https://" + location.lstrip("/")  # a mirror answering /host/path…
    return urljoin(official, location)


def _get(url: str, *, source: str, mirror: str | None, accept: str, stream: bool = False,
         headers: dict[str, str] | None = None, cached: bool = True) -> tuple[requests.Response, str]:
    """GET ``url`` through the mirror, following redirects by hand; returns the response and final URL.

    A redirect is resolved against the *official* URL it answers for, then mapped through the mirror,
    so a relative or absolute ``Location`` never sends the request to the real host. Every URL is
    checked first (``check_url``): a redirect to another scheme, to ``..`` or (without a mirror) to an
    internal address fails the source, and a mapped URL must stay under the mirror's base.
    """
    base = check_mirror(mirror) if mirror else None
    if base:
        _MIRRORS.add(base)
    official = check_url(url, source=source, mirror=base, found=False)
    first = mirror_url(official, base)
    if urlsplit(first).netloc in _UNREACHABLE:  # already unreachable in this update: no new retries
        raise SourceUnavailableError(source, f"connexion impossible au serveur {_host(first)} (hors ligne, "
                                             "adresse inconnue ou pare-feu/proxy ; constaté plus tôt pendant "
                                             "cette mise à jour).")
    sess = session() if cached else file_session()
    if base and base.startswith("file:"):
        _mount_file_mirror(sess, base)
    all_headers = {"Accept": accept, **(headers or {})}
    for _ in range(_MAX_REDIRECTS + 1):
        target = mirror_url(official, base)
        if base and not _inside_mirror(target, base):
            raise refused(source, target, UnsafePathError(target, "adresse hors du miroir"))
        try:
            response = sess.get(target, headers=all_headers, stream=stream, allow_redirects=False,
                                timeout=(settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT))
        except ValueError as exc:  # requests parses a Location even when not following it: ``http://[x``
            if isinstance(exc, requests.RequestException):
                raise _exception_error(source, exc, target) from exc
            raise refused(source, target, UnsafePathError(target, "adresse mal formée dans la réponse")) from exc
        except requests.RequestException as exc:
            error = _exception_error(source, exc, target)
            if error.problem.startswith("connexion impossible"):
                _UNREACHABLE[urlsplit(target).netloc] = error.problem
            raise error from exc
        if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("Location"):
            location = response.headers["Location"]
            response.close()
            try:
                paths.url_segments(paths.split_url(location).path, location)  # no ``..``, even relative
                following = _next_official(official, target, location, base)
            except ValueError as exc:
                raise refused(source, location, UnsafePathError(location, "adresse mal formée")) from exc
            except UnsafePathError as exc:
                raise refused(source, location, exc) from exc
            official = check_url(following, source=source, mirror=base)
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
