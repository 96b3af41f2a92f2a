"""A ``file:`` mirror filled from what the updates downloaded: a USB stick for an offline workshop.

``python -m loaders fill-mirror --out DOSSIER`` copies, under the layout that ``ECOQPV_MIRROR=file:///…``
reads (``sources.http.FileMirrorAdapter``: ``https://host/path?query`` → ``DOSSIER/host/path__<sha1(query)[:12]>``,
``.bin`` after a name without data extension):

* the raw downloads of ``<ECOQPV_DATA_DIR>/raw/<host>/…`` — they already have that layout, being named
  by the same function (``core.paths.url_parts``): they are copied as they are, without their
  ``.meta.json`` and without the per-territory products of ``raw/territoires/``;
* the API answers kept in the answer cache (data.gouv.fr datasets, INSEE pages, WFS, geo.api, Melodi,
  ADEME, Géorisques): each is written under the path of its *official* URL (an answer obtained through a
  mirror ``http://miroir:port[/préfixe]/host/path`` is filed under ``host/path``), its query spelt with
  sorted parameters (the cache keeps no other spelling; the ``file:`` transport also looks there).

A stick filled after a successful update of a territory lets the same update run again with no network
(``--mirror file:///media/cle/miroir`` or ``ECOQPV_MIRROR``). Existing files of the folder are replaced by
newer copies, others are kept; each file is written whole then renamed (a full stick leaves no partial
file and says so in French).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import settings
from core import formats, paths
from core.errors import BadArgumentError, EcoqpvError, StorageError, UnsafePathError
from sources import http
from sources.registry import SOURCES


def official_hosts() -> set[str]:
    """The hosts the sources are fetched from (registry URLs and links, rate-limited hosts)."""
    hosts = set(settings.RATE_LIMITS_PER_MINUTE)
    for src in SOURCES.values():
        for value in (src.url, *src.params.values()):
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                hosts.add(urlsplit(value).hostname or "")
    return hosts - {""}


def official_url(url: str, known: set[str] | None = None) -> str | None:
    """The official URL an answer stands for: the URL itself when its host is an official one; through a
    mirror (``http://miroir:port[/préfixe]/host/path``), ``https://`` + the path from the segment that is
    an official host; an unknown public host is taken as official too. None when nothing fits."""
    known = official_hosts() if known is None else known
    parts = urlsplit(url)
    if (parts.hostname or "") in known:
        return url
    segments = parts.path.lstrip("/").split("/")
    for i, segment in enumerate(segments):
        if segment in known:
            return f"https://{'/'.join(segments[i:])}" + (f"?{parts.query}" if parts.query else "")
    return url if _public_host(parts.hostname or "") else None


def _public_host(name: str) -> bool:
    """A DNS name with a dot (not an IP address, not ``localhost``)."""
    if "." not in name or name.startswith(".") or name.endswith("."):
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name.replace("-", "").replace(".", "").isalnum()
    return False


def _copy_raw(raw: Path, out: Path) -> tuple[int, int]:
    """Raw downloads → ``out`` (same relative paths). Returns (files, bytes)."""
    files = nbytes = 0
    for path in sorted(raw.rglob("*")):
        relative = path.relative_to(raw)
        if not path.is_file() or path.is_symlink() or relative.parts[0] == "territoires" \
                or path.name.endswith(".meta.json") or any(p.startswith(".") for p in relative.parts):
            continue
        target = paths.safe_path(out, *relative.parts)
        data = path.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            files += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        http.write_atomic(target, data, what="le miroir garde ses fichiers précédents.")
        files += 1
        nbytes += len(data)
    return files, nbytes


def _copy_answers(out: Path) -> tuple[int, int]:
    """Cached API answers → ``out``, under the path of their official URL. Returns (answers, bytes)."""
    if not settings.http_cache_path().is_file():
        return 0, 0
    count = nbytes = 0
    seen: set[Path] = set()
    known = official_hosts()
    for response in http.session().cache.responses.values():
        if getattr(response, "status_code", None) != 200 or not response.content:
            continue
        url = official_url(str(response.request.url if response.request is not None else response.url), known)
        if url is None:
            continue
        try:
            target = paths.safe_path(out, *paths.url_parts(http.canonical_url(url)))
        except UnsafePathError:
            continue
        if target in seen:
            continue
        seen.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        http.write_atomic(target, response.content, what="le miroir garde ses fichiers précédents.")
        count += 1
        nbytes += len(response.content)
    return count, nbytes


def fill_mirror(out: Path | str) -> str:
    """Fill the folder ``out`` as a ``file:`` mirror from the downloads of past updates; returns a French
    summary. ``BadArgumentError`` for a folder inside the data folder; ``EcoqpvError`` when nothing was
    ever downloaded; ``StorageError`` (French) when the folder cannot be written."""
    out = Path(out).expanduser().resolve()
    raw = settings.raw_dir().resolve()
    data = Path(settings.DATA_DIR).resolve()
    if out == data or data in out.parents or out in data.parents:
        raise BadArgumentError(f"Dossier de miroir refusé : {out} contient le dossier de données {data} ou se trouve "
                               "dedans ; choisissez un autre dossier (par exemple sur la clé USB).")
    if not raw.is_dir() and not settings.http_cache_path().is_file():
        raise EcoqpvError(f"Aucun téléchargement à copier dans {data} : lancez d'abord une mise à jour "
                          "(python -m loaders update --territoire …) avec une connexion, puis remplissez le miroir.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        files, file_bytes = _copy_raw(raw, out) if raw.is_dir() else (0, 0)
        answers, answer_bytes = _copy_answers(out)
    except OSError as exc:
        raise paths.storage_error(exc, out, "les fichiers déjà copiés restent entiers.") from exc
    except StorageError:
        raise
    total = formats.format_number((file_bytes + answer_bytes) / 1e6, 1)
    return (f"Miroir rempli dans {out} : {formats.plural(files, 'fichier téléchargé', 'fichiers téléchargés')} et "
            f"{formats.plural(answers, 'réponse', 'réponses')} d'API copiés ({total} Mo écrits). Pour l'utiliser sans "
            f"connexion : python -m loaders update --territoire … --mirror {out.as_uri()} (ou la variable "
            f"ECOQPV_MIRROR={out.as_uri()}, aussi lue par l'application).")
