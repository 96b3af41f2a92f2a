"""The one HTTP layer of ecoqpv: every online source is fetched through here.

Callers use the package itself (``from sources import http``; ``http.get_json(...)``,
``http.download(...)``); its five modules are:

* ``urls`` — what may be requested: only ``http(s)``, a sound host, no ``..``; URLs found in answers
  (redirects, resource URLs, page links, ``next`` links) aiming at a loopback, private or link-local
  address are refused without a mirror (SSRF). The mirror: with a base URL ``M``,
  ``https://host/path?query`` is fetched as ``M/host/path?query``; ``M`` is ``http(s)://host[:port][/path]``
  or ``file:///absolute/folder``, anything else is refused by ``check_mirror`` before any request.
* ``sessions`` — shared sessions (an answer cache for APIs, a plain session for files) with a
  descriptive User-Agent, proxies from the environment, timeouts; at most
  ``settings.RATE_LIMITS_PER_MINUTE[host]`` requests per minute per official host; the read-only
  transport of a ``file:`` mirror.
* ``health`` — fail fast: hosts found down during an update (refused, unknown name, resets, 5xx after
  the retries, 429 asking too long a wait) get no further request and fail at once with the same
  French reason; the update's time budget (``begin_run``) bounds every timeout, pause and download.
* ``answers`` — GET with retries (429 honouring ``Retry-After``, 5xx, network failures; never other
  4xx) and redirects followed by hand and mapped through the mirror (nothing leaks to the real host);
  JSON and text answers, cached (never those of a ``file:`` mirror), never caching an error, an empty
  body or an HTML error page; every failure as a French ``core.errors.SourceError`` naming the source
  and the fault.
* ``downloads`` — files streamed to a temporary file, checked (size, HTML page served with 200, truncated
  ZIP, JSON syntax, published checksum, the source's own parser), then renamed over the last good copy,
  which a bad file never replaces; raw copies named by ``core.paths`` inside the data folder.
"""

from sources.http.answers import Answer, build_url, get_json, get_text
from sources.http.health import (
    BudgetExceededError,
    HostDownError,
    begin_run,
    end_run,
    exhausted,
    is_offline,
    remaining,
    requests_sent,
)
from sources.http.downloads import (
    Download,
    Progress,
    check_content,
    download,
    raw_path,
    read_meta,
    save_product,
    write_atomic,
)
from sources.http.sessions import (
    LIMITER,
    RETRY_STATUSES,
    FileMirrorAdapter,
    file_session,
    forget_unreachable,
    reset,
    session,
)
from sources.http.urls import (
    MIRROR_ACCEPTED,
    canonical_url,
    check_mirror,
    check_url,
    mirror_url,
    official_host,
    official_url,
    refused,
    resolve_found,
)

__all__ = [
    "LIMITER",
    "MIRROR_ACCEPTED",
    "RETRY_STATUSES",
    "Answer",
    "BudgetExceededError",
    "Download",
    "FileMirrorAdapter",
    "HostDownError",
    "Progress",
    "begin_run",
    "build_url",
    "canonical_url",
    "check_content",
    "check_mirror",
    "check_url",
    "download",
    "end_run",
    "exhausted",
    "file_session",
    "forget_unreachable",
    "get_json",
    "get_text",
    "is_offline",
    "mirror_url",
    "official_host",
    "official_url",
    "raw_path",
    "read_meta",
    "refused",
    "remaining",
    "requests_sent",
    "reset",
    "resolve_found",
    "save_product",
    "session",
    "write_atomic",
]
