"""Sessions and politeness: how requests leave, and the read-only transport of a ``file:`` mirror.

* Shared sessions configured once (a ``requests-cache`` ``CachedSession`` for API answers, a plain
  ``requests.Session`` for streamed files) with a descriptive User-Agent, proxies from the environment
  (``HTTPS_PROXY``/``NO_PROXY``: requests' default ``trust_env``) and a timeout on every call. Their
  adapters make no retry of their own: ``answers.send`` retries 429 (honouring ``Retry-After``), 5xx
  and network failures itself — never other 4xx, which cannot get better by asking again — so that
  each attempt is counted, bounded by the update's time budget and stopped for a host found down
  (``health``).
* Politeness: at most ``settings.RATE_LIMITS_PER_MINUTE[host]`` requests per minute per official host
  (INSEE Melodi: 30), counted when a request really leaves (answers from the cache are free).
* API answers are cached in SQLite under the user data directory for ``settings.HTTP_CACHE_HOURS``;
  errors, empty bodies and HTML error pages are never cached.
* Hosts found down during an update are not asked again in that update (``health``).
* ``FileMirrorAdapter`` serves a ``file:`` mirror (``https://host/path?query`` →
  ``FOLDER/host/path__<sha1(query)[:12]>``, the layout of the raw cache; the query may also be spelt
  with its parameters sorted), read-only.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests_cache
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

import settings
from core import paths
from core.errors import UnsafePathError
from sources.http import health
from sources.http.urls import canonical_url, mirror_folder, official_host, seen_mirrors

RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Byte-order mark some publishers put before a text file.
BOM = b"\xef\xbb\xbf"
_HTML_HEADS = (b"<!doctype html", b"<html", b"<head", b"<body")


def looks_like_html(data: bytes) -> bool:
    """The start of a body is an HTML page (an error or maintenance page served instead of data)."""
    head = data[:512].lstrip(BOM).lstrip().lower()
    return head.startswith(_HTML_HEADS) or (head.startswith(b"<?xml") and b"<html" in head)


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


class _PoliteAdapter(HTTPAdapter):
    """Waits for the host's rate limit when a request really leaves; applies the default timeouts."""

    def send(self, request, **kwargs):  # noqa: ANN001 - requests signature
        LIMITER.wait(official_host(request.url))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        return super().send(request, **kwargs)


def _retry() -> Retry:
    """No retry inside urllib3 (``answers.send`` retries, counts and bounds them); no redirect either."""
    return Retry(total=0, connect=0, read=0, status=0, other=0, redirect=0, raise_on_status=False,
                 raise_on_redirect=False, respect_retry_after_header=False)


# ---------------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------------


def _cacheable(response: requests.Response) -> bool:
    """Never cache an error page: empty bodies and HTML served to a JSON request stay out of the cache."""
    body = response.content or b""
    if not body.strip():
        return False
    accept = response.request.headers.get("Accept", "") if response.request is not None else ""
    return "text/html" in accept or not looks_like_html(body)


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


def forget_unreachable() -> None:
    """A new update starts: give every host a new chance (the network may be back)."""
    health.forget()


def reset() -> None:
    """Forget the shared sessions (tests changing settings, or after fork)."""
    global _SESSION, _FILES, _SESSION_KEY
    health.end_run()
    forget_unreachable()
    with _SESSION_LOCK:
        for old in (_SESSION, _FILES):
            if old is not None:
                old.close()
        _SESSION, _FILES, _SESSION_KEY = None, None, None


# ---------------------------------------------------------------------------------------------------
# The read-only transport of a file: mirror
# ---------------------------------------------------------------------------------------------------


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
        self.folder = mirror_folder(base)

    def candidates(self, url: str) -> list[Path]:
        """The files that may serve ``url``, in the order they are looked for: the name of the query as
        sent, then (a folder filled by ``python -m loaders fill-mirror``) of its parameters sorted."""
        official = "https://" + url[len(self.base) + 1:]
        found: list[Path] = []
        for spelling in dict.fromkeys((official, canonical_url(official))):
            parts = paths.url_parts(spelling)
            found.append(paths.safe_path(self.folder, *parts))
            last = parts[-1]
            if last.endswith("." + paths.FALLBACK_SUFFIX) and not urlsplit(spelling).path.endswith(
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
                path = next((c for c in self.candidates(request.url) if c.is_file()), None)
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


def mirror_file_hint(url: str) -> str:
    """The file a ``file:`` mirror was asked for (first candidate), for the French 404 message."""
    for base in seen_mirrors():
        if base.startswith("file:") and url.startswith(base + "/"):
            try:
                return str(FileMirrorAdapter(base).candidates(url)[0])
            except UnsafePathError:
                break
    return url


def mount_file_mirror(sess: requests.Session, base: str) -> None:
    """Serve ``base`` (a ``file:`` mirror) through ``FileMirrorAdapter`` in ``sess``."""
    prefix = base + "/"
    if not isinstance(sess.adapters.get(prefix), FileMirrorAdapter):
        sess.mount(prefix, FileMirrorAdapter(base))
