"""URL checks and mirror mapping: what may be requested, and where a mirror serves it.

* Only ``http(s)`` is fetched. Every URL is checked before it is requested (``check_url``): sound host,
  no ``..``; URLs found in answers (redirects, resource URLs, page links, ``next`` links) aiming at a
  loopback, private or link-local address are refused without a mirror (SSRF).
* Mirror: with a base URL ``M``, ``https://host/path?query`` is fetched as ``M/host/path?query``
  (``mirror_url``); a redirect's ``Location`` is mapped back to the official URL it stands for
  (``next_official``), so nothing leaks to the real host, and every mapped URL must stay under the
  mirror's base (``inside_mirror``). ``M`` is ``http(s)://host[:port][/path]`` or
  ``file:///absolute/folder``; anything else is refused by ``check_mirror`` before any request.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit
from urllib.request import url2pathname

from core import paths
from core.errors import BadArgumentError, SourceError, SourceFormatError, UnsafePathError, shown

MIRROR_ACCEPTED = ("une adresse http://hôte[:port][/chemin] ou https://hôte[:port][/chemin], ou "
                   "file:///dossier/absolu vers un dossier existant")

#: Mirror bases used in this process: a mirrored URL is traced back to its official host through them.
_MIRRORS: set[str] = set()


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


def remember_mirror(base: str) -> None:
    """Note a (checked) mirror base: its URLs are traced back to their official hosts from now on."""
    _MIRRORS.add(base)


def seen_mirrors() -> tuple[str, ...]:
    """The mirror bases used in this process."""
    return tuple(_MIRRORS)


def mirror_folder(base: str) -> Path:
    """The folder of a ``file:`` mirror base."""
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


def inside_mirror(target: str, base: str) -> bool:
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


def next_official(official: str, target: str, location: str, base: str | None) -> str:
    """The official URL a redirect's ``Location`` stands for (mirrored answers mapped back)."""
    if base and location.startswith(base + "/"):
        return "https://" + location[len(base) + 1:]
    if base and location.startswith("/") and not location.startswith("//"):
        resolved = urljoin(target, location)
        if resolved.startswith(base + "/"):  # the mirror's own path: BASE_PATH/host/path…
            return "https://" + resolved[len(base) + 1:]
        return "https://" + location.lstrip("/")  # a mirror answering /host/path…
    return urljoin(official, location)


def canonical_url(url: str) -> str:
    """``url`` with its query parameters sorted and re-encoded: one spelling of a request whatever the order
    its parameters were sent in (the answer cache keeps them sorted; a ``file:`` mirror filled from it
    names its files after this form, and is also read under it)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts._replace(query=query).geturl()
