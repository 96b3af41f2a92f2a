"""Answers and errors: GET with mirrored redirects, API answers (JSON, text pages), failures in French.

* ``get`` follows redirects by hand: each ``Location`` is resolved against the *official* URL it
  answers for, checked (``urls.check_url``) and mapped through the mirror, so nothing reaches the real
  host behind a mirror's back.
* ``get_json`` / ``get_text`` return an ``Answer`` from the answer cache or the network; an empty body,
  an HTML page served instead of JSON, an XML error message or an answer that the caller's ``validate``
  refuses is an error, and is removed from the cache.
* Every failure is a ``core.errors.SourceError`` subclass whose French message names the source and
  the fault (délai dépassé, connexion interrompue, erreur serveur 500, trop de requêtes, page HTML,
  adresse refusée…): ``status_error`` for an HTTP status, ``exception_error`` for a network failure.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

import settings
from core import paths
from core.errors import (
    RateLimitedError,
    SourceError,
    SourceFormatError,
    SourceMissingError,
    SourceUnavailableError,
    UnsafePathError,
)
from sources.http import health
from sources.http.sessions import (
    BOM,
    RETRY_STATUSES,
    file_session,
    looks_like_html,
    mirror_file_hint,
    mount_file_mirror,
    session,
)
from sources.http.urls import (
    check_mirror,
    check_url,
    inside_mirror,
    mirror_url,
    next_official,
    official_host,
    refused,
    remember_mirror,
)

_MAX_REDIRECTS = 5


# ---------------------------------------------------------------------------------------------------
# Errors in French
# ---------------------------------------------------------------------------------------------------


def host_words(url: str) -> str:
    """Host of a URL, with the official host when it goes through a mirror."""
    netloc = urlsplit(url).netloc or url
    official = official_host(url)
    return netloc if official in ("", netloc.split(":")[0]) else f"{official} (via le miroir {netloc})"


def _retries(n: int | None = None) -> str:
    n = settings.HTTP_RETRIES if n is None else n
    if n == 0:
        return "sans nouvelle tentative"
    return f"après {n} nouvelle tentative" if n == 1 else f"après {n} nouvelles tentatives"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def status_error(source: str, response: requests.Response, url: str) -> SourceError:
    """The French error of an HTTP status other than 200 (304 is handled by the download)."""
    status = response.status_code
    where = f"(adresse {url})"
    if status == 404 and url.startswith("file:"):
        return SourceMissingError(source, f"fichier absent du miroir local (attendu : {mirror_file_hint(url)}). "
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


def exception_error(source: str, exc: Exception, url: str, attempts: int | None = None) -> SourceError:
    """Timeouts, resets and refused connections → a French sentence (never the raw traceback);
    ``attempts``: how many retries were made (default: all those allowed)."""
    text = repr(exc)
    host = host_words(url)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return SourceUnavailableError(source, f"connexion impossible au serveur {host} : pas de réponse dans les "
                                              f"{_seconds(settings.HTTP_CONNECT_TIMEOUT)} s (hors ligne ou "
                                              "pare-feu/proxy).")
    if isinstance(exc, requests.exceptions.Timeout) or "Timeout" in text or "timed out" in text:
        return SourceUnavailableError(
            source, f"délai dépassé : le serveur {host} n'a pas répondu dans les "
                    f"{_seconds(settings.HTTP_READ_TIMEOUT)} s ({_retries(attempts)}).")
    if "ConnectionRefused" in text or "Connection refused" in text or "NewConnectionError" in text \
            or "NameResolution" in text or "getaddrinfo" in text:
        return SourceUnavailableError(source, f"connexion impossible au serveur {host} (hors ligne, adresse "
                                              "inconnue ou pare-feu/proxy).")
    if isinstance(exc, requests.exceptions.SSLError):
        return SourceUnavailableError(source, f"échec de la connexion sécurisée (TLS) avec {host}.")
    return SourceUnavailableError(source, f"connexion interrompue par le serveur {host} ({_retries(attempts)}).")


# ---------------------------------------------------------------------------------------------------
# Requests with manual, mirrored redirects
# ---------------------------------------------------------------------------------------------------


def build_url(url: str, params: dict[str, Any] | None = None) -> str:
    """The URL with its query string, encoded as requests would send it."""
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url


def get(url: str, *, source: str, mirror: str | None, accept: str, stream: bool = False,
        headers: dict[str, str] | None = None, cached: bool = True) -> tuple[requests.Response, str]:
    """GET ``url`` through the mirror, following redirects by hand; returns the response and final URL.

    A redirect is resolved against the *official* URL it answers for, then mapped through the mirror,
    so a relative or absolute ``Location`` never sends the request to the real host. Every URL is
    checked first (``check_url``): a redirect to another scheme, to ``..`` or (without a mirror) to an
    internal address fails the source, and a mapped URL must stay under the mirror's base.

    Answers of a ``file:`` mirror are never put in the answer cache (a new USB stick at the same place
    must be read as it is). Retries, hosts found down and the time budget: ``send``.
    """
    base = check_mirror(mirror) if mirror else None
    if base:
        remember_mirror(base)
    official = check_url(url, source=source, mirror=base, found=False)
    file_mirror = bool(base and base.startswith("file:"))
    sess = session() if cached and not file_mirror else file_session()
    if file_mirror:
        mount_file_mirror(sess, base)
    all_headers = {"Accept": accept, **(headers or {})}
    for _ in range(_MAX_REDIRECTS + 1):
        target = mirror_url(official, base)
        if base and not inside_mirror(target, base):
            raise refused(source, target, UnsafePathError(target, "adresse hors du miroir"))
        response = send(sess, target, source=source, headers=all_headers, stream=stream)
        if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("Location"):
            location = response.headers["Location"]
            response.close()
            try:
                paths.url_segments(paths.split_url(location).path, location)  # no ``..``, even relative
                following = next_official(official, target, location, base)
            except ValueError as exc:
                raise refused(source, location, UnsafePathError(location, "adresse mal formée")) from exc
            except UnsafePathError as exc:
                raise refused(source, location, exc) from exc
            official = check_url(following, source=source, mirror=base)
            continue
        return response, target
    raise SourceUnavailableError(source, f"trop de redirections à partir de {url}.")


def _failure_kind(exc: Exception) -> str:
    """What a network failure says about its host: ``connexion`` (cannot connect: refused, unknown name,
    connection not opened in time), ``tls``, ``delai`` (no answer in time) or ``coupure`` (reset, cut)."""
    text = repr(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connexion"
    if isinstance(exc, requests.exceptions.Timeout) or "Timeout" in text or "timed out" in text:
        return "delai"
    if "ConnectionRefused" in text or "Connection refused" in text or "NewConnectionError" in text \
            or "NameResolution" in text or "getaddrinfo" in text:
        return "connexion"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    return "coupure"


def _backoff(attempt: int) -> float:
    """Pause before retry number ``attempt + 1``: ``HTTP_BACKOFF × 2^attempt``, capped."""
    return min(settings.HTTP_BACKOFF * (2 ** attempt), settings.HTTP_RETRY_AFTER_MAX)


def _retry_after(response: requests.Response) -> float | None:
    """Seconds asked by ``Retry-After`` (a number or an HTTP date), or None."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def send(sess: requests.Session, target: str, *, source: str, headers: dict[str, str],
         stream: bool) -> requests.Response:
    """One GET of ``target`` with retries on 429, 5xx and network failures (never on other 4xx).

    Before each attempt, a host already found down in this update fails at once (``health``) and the
    timeouts are cut to the time left. A refused connection or an unknown name is not retried; a reset
    or a timeout is, with exponential backoff; a 429 waits what ``Retry-After`` asks if that fits in
    the budget and under ``HTTP_RETRY_AFTER_MAX``, else stops at once. A host that still fails once the
    retries are spent is down for the rest of the update. The answer of a 200, 3xx or other 4xx is
    returned; the failures are French ``SourceError``.
    """
    official = official_host(target)
    host = host_words(target)
    attempts = max(settings.HTTP_RETRIES, 0) + 1
    for attempt in range(attempts):
        health.refuse_if_down(target, official, host, source)
        timeout = health.timeouts(settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT, source)
        health.sent()
        try:
            response = sess.get(target, headers=headers, stream=stream, allow_redirects=False, timeout=timeout)
        except ValueError as exc:  # requests parses a Location even when not following it: ``http://[x``
            if isinstance(exc, requests.RequestException):
                raise exception_error(source, exc, target) from exc
            raise refused(source, target, UnsafePathError(target, "adresse mal formée dans la réponse")) from exc
        except requests.RequestException as exc:
            kind = _failure_kind(exc)
            if kind in ("connexion", "tls") or attempt + 1 >= attempts:
                health.mark_down(target, official, kind)
                raise exception_error(source, exc, target, attempts=attempt) from exc
            health.pause(_backoff(attempt), source)
            continue
        health.answered(target)
        status = response.status_code
        if status not in RETRY_STATUSES:
            return response
        wait = _retry_after(response) if status == 429 else None
        if status == 429 and wait is not None and (wait > settings.HTTP_RETRY_AFTER_MAX or not health.fits(wait)):
            response.close()
            health.mark_down(target, official, "trop_de_requetes", f"{_seconds(round(wait))} s")
            raise RateLimitedError(source, f"trop de requêtes (erreur 429) : le serveur demande d'attendre "
                                           f"{_seconds(round(wait))} s, plus que la mise à jour ne peut attendre "
                                           f"(adresse {target}). Réessayez plus tard.")
        if attempt + 1 >= attempts:
            error = status_error(source, response, target)
            response.close()
            if status == 429:
                health.mark_down(target, official, "trop_de_requetes", response.headers.get("Retry-After", "?") + " s")
            else:
                health.mark_down(target, official, "serveur", f"erreur {status}")
            raise error
        response.close()
        health.pause(wait if wait is not None else _backoff(attempt), source)
    raise SourceUnavailableError(source, f"aucune réponse de {host}.")  # pragma: no cover - loop always returns


# ---------------------------------------------------------------------------------------------------
# API answers
# ---------------------------------------------------------------------------------------------------


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
    response, final = get(full, source=source, mirror=mirror, accept="application/json, application/geo+json")
    if response.status_code != 200:
        raise status_error(source, response, final)
    body = response.content or b""
    try:
        if not body.strip():
            raise SourceFormatError(source, f"réponse vide (statut 200 sans contenu) à l'adresse {final}.")
        if looks_like_html(body):
            raise SourceFormatError(source, f"une page HTML a été reçue à la place des données JSON "
                                            f"(page d'erreur ou de maintenance) à l'adresse {final}.")
        stripped = body.lstrip(BOM).lstrip()
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
    response, final = get(url, source=source, mirror=mirror, accept="text/html, text/plain")
    if response.status_code != 200:
        raise status_error(source, response, final)
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
