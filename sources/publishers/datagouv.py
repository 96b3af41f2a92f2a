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
                      title: str | None = None) -> dict:
    """The resource of a data.gouv.fr dataset answer, by stable id (preferred) or title pattern.

    Returns ``id, title, url, latest, format, last_modified, filesize, checksum`` where ``checksum`` is
    ``(type, value)`` or None. Several resources matching the title: the most recently modified wins.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("resources"), list):
        raise SourceFormatError(name, "réponse de l'API data.gouv.fr sans liste « resources » (format changé ?).")
    resources = [r for r in payload["resources"] if isinstance(r, dict)]
    chosen = None
    if resource_id:
        chosen = next((r for r in resources if str(r.get("id", "")).lower() == resource_id.lower()), None)
    if chosen is None and title:
        pattern = re.compile(title, re.I)
        matches = [r for r in resources if pattern.search(str(r.get("title", ""))) or
                   pattern.search(str(r.get("url", "")).rsplit("/", 1)[-1])]
        if matches:
            chosen = max(matches, key=lambda r: str(r.get("last_modified") or ""))
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


def _resolve_resource(ctx: Context, src: Source) -> dict:
    holder: dict = {}

    def check(payload: object) -> None:
        holder["resource"] = datagouv_resource(
            payload, name=src.label, resource_id=src.resource_id, title=src.resource_title)

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
    vintage = f"ressource du {str(resource['last_modified'])[:10]}" if resource.get("last_modified") else None
    return Fetched({src.stage[0]: result.path}, result.nbytes, reused=result.reused, vintage=vintage)
