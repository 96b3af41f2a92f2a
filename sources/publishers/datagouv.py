"""data.gouv.fr — the current address of a dataset's resource, read in the dataset API.

Resource URLs are date-stamped and change with each upload: they are never hard-coded but resolved by
stable id (or title pattern) in the dataset answer, and a resource whose published checksum has not
changed is not downloaded again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source


from pathlib import Path
from sources import http
import re
from sources.fetching import Context, Fetched
from core.errors import SourceFormatError



def datagouv_resource(payload: dict, *, name: str, resource_id: str | None = None,
                      title: str | None = None, prefer: str | None = None, fmt: str | None = None) -> dict:
    """The resource of a data.gouv.fr dataset answer: by title pattern ``prefer`` when one matches (a newer
    twin, e.g. the COG 2025 list), else by stable id, else by title pattern; ``fmt`` (``csv``) keeps only
    resources of that format (a dataset may hold an xlsx twin matching the same title).

    Returns ``id, title, url, latest, format, last_modified, filesize, checksum`` where ``checksum`` is
    ``(type, value)`` or None. Several resources matching a title: the most recently modified wins.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("resources"), list):
        raise SourceFormatError(name, "réponse de l'API data.gouv.fr sans liste « resources » (format changé ?).")
    resources = [r for r in payload["resources"] if isinstance(r, dict)]
    if fmt:
        resources = [r for r in resources if _format_of(r) == fmt.lower()]

    def by_title(pattern: str) -> dict | None:
        regex = re.compile(pattern, re.I)
        matches = [r for r in resources if regex.search(str(r.get("title", ""))) or
                   regex.search(str(r.get("url", "")).rsplit("/", 1)[-1])]
        return max(matches, key=lambda r: str(r.get("last_modified") or "")) if matches else None

    chosen = by_title(prefer) if prefer else None
    if chosen is None and resource_id:
        chosen = next((r for r in resources if str(r.get("id", "")).lower() == resource_id.lower()), None)
    if chosen is None and title:
        chosen = by_title(title)
    if chosen is None:
        wanted = resource_id or title
        raise SourceFormatError(name, f"ressource « {wanted} » absente du jeu de données "
                                      f"« {payload.get('slug') or payload.get('id')} » (renommée ou retirée ?).")
    if not chosen.get("url"):
        raise SourceFormatError(name, f"ressource « {chosen.get('title')} » sans adresse de téléchargement.")
    checksum = chosen.get("checksum")
    pair = None
    if isinstance(checksum, dict) and checksum.get("type") and checksum.get("value"):
        pair = (str(checksum["type"]), str(checksum["value"]))
    return {
        "id": chosen.get("id"),
        "title": chosen.get("title"),
        "url": chosen["url"],
        "latest": chosen.get("latest"),
        "format": chosen.get("format"),
        "last_modified": chosen.get("last_modified"),
        "filesize": chosen.get("filesize"),
        "checksum": pair,
    }


def _format_of(resource: dict) -> str:
    """A resource's format (``csv``, ``xlsx``…), from its ``format`` field or the extension of its URL."""
    declared = str(resource.get("format") or "").strip().lower()
    if declared:
        return declared
    return str(resource.get("url", "")).split("?", 1)[0].rsplit(".", 1)[-1].lower()


def _resolve_resource(ctx: Context, src: Source) -> dict:
    holder: dict = {}

    def check(payload: object) -> None:
        holder["resource"] = datagouv_resource(
            payload, name=src.label, resource_id=src.resource_id, title=src.resource_title,
            prefer=src.params.get("prefer"), fmt=src.params.get("format"))

    ctx.json(src.url, source=src.label, validate=check)
    return holder["resource"]


def fetch_datagouv_resource(ctx: Context, src: Source) -> Fetched:
    """Dataset API → current resource URL (never hard-coded) → download checked by the source's parser;
    skipped when the published checksum has not changed."""
    resource = _resolve_resource(ctx, src)

    def validate(path: Path) -> None:
        src.parse(path, name=src.label)

    url = ctx.found(resource["url"], source=src.label)
    dest = http.raw_path(url, source=src.label)
    result = ctx.download(url, dest, source=src.label, expect="csv", checksum=resource["checksum"],
                          validate=validate, extra_meta={"ressource": resource["id"],
                                                         "derniere_modification": resource["last_modified"]})
    title = str(resource.get("title") or "").strip()
    dated = f"du {str(resource['last_modified'])[:10]}" if resource.get("last_modified") else ""
    vintage = " ".join(filter(None, ["ressource", f"« {title} »" if title else "", dated]))
    return Fetched({src.stage[0]: result.path}, result.nbytes, reused=result.reused, vintage=vintage)
