"""How each access kind of the registry is fetched for one territory (all HTTP through ``sources.http``).

A fetcher gets the ``Context`` of the update (territory, its communes and QPV, mirror, progress) and
its ``Source``; it downloads into the raw cache, checks what it got with the source's parser
*before* anything replaces the last good copy, and returns the files to stage for the pipeline
(``Fetched.files``: staging path → raw file). It raises a ``SourceError`` (French message naming the
source and the fault) when the source cannot be used; the caller then keeps the previous good data.

URLs found in answers (data.gouv.fr resource URLs, INSEE page links, ``next`` links) are checked by
``Context.found`` before use (``http`` only, no ``..``, no internal address without a mirror), and every
file is written under a path built by ``core.paths`` (``http.raw_path``, ``product_path``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

import settings
from core import paths
from core.formats import plural
from core.errors import SourceError, UnsafePathError, shown
from sources import http

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

Report = Callable[[int, "int | None", str], None]


@dataclass
class Fetched:
    """What a fetcher obtained: files to stage, how much crossed the network, and the vintage found."""

    files: dict[str, Path] = field(default_factory=dict)
    nbytes: int = 0
    requests: int = 0
    reused: bool = False
    vintage: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    """Facts about the territory being updated, shared by the fetchers of one run."""

    key: str
    kind: str
    code: str
    label: str
    mirror: str | None
    communes: list[str]
    qpv15: list[str]
    qpv24: list[str]
    qpv_communes: list[str]
    base_communes: pd.DataFrame
    base_contours: gpd.GeoDataFrame
    report: Report = lambda done, total, message: None  # noqa: E731
    state: dict = field(default_factory=dict)
    #: Sentences for the update's report learnt on the way (e.g. the Mayotte list mismatch).
    notes: list[str] = field(default_factory=list)
    _downloads: dict = field(default_factory=dict)
    nbytes: int = 0
    nrequests: int = 0
    source_start: int = 0
    source_requests: int = 0

    def begin(self) -> None:
        """A new source starts: progress is reported per source."""
        self.source_start, self.source_requests = self.nbytes, self.nrequests

    # --- territory facts ----------------------------------------------------------------------

    def with_arrondissements(self, communes: Iterable[str]) -> list[str]:
        """Commune codes plus the arrondissements of Paris, Lyon, Marseille (IRIS and DPE use them)."""
        base = self.base_communes
        arm = base[(base["type_com"] == "ARM") & base["insee_com_parent"].isin(set(communes))]
        return sorted(set(communes) | set(arm["insee_com"]))

    def parent_of(self) -> dict[str, str]:
        base = self.base_communes
        arm = base[(base["type_com"] == "ARM") & base["insee_com_parent"].notna()]
        return dict(zip(arm["insee_com"], arm["insee_com_parent"], strict=True))

    def departements(self, communes: Iterable[str]) -> list[str]:
        deps = self.base_communes.set_index("insee_com")["insee_dep"]
        found = {deps.get(c) for c in communes}
        found |= {(c[:3] if c.startswith("97") else c[:2]) for c in communes}
        return sorted(d for d in found if isinstance(d, str))

    def contours(self) -> gpd.GeoDataFrame:
        """QPV contours of the territory: those fetched in this run, else the ones already loaded."""
        fetched = [f for f in (self.state.get("contours2024"), self.state.get("contours2015")) if f is not None]
        codes = set(self.qpv15) | set(self.qpv24)
        have = set().union(*(set(f["code_qp"]) for f in fetched)) if fetched else set()
        base = self.base_contours[self.base_contours["code_qp"].isin(codes - have)]
        parts = [f[f["code_qp"].isin(codes)] for f in fetched] + [base]
        frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
            not p.empty for p in parts) else base
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")

    # --- HTTP with bookkeeping ------------------------------------------------------------------

    def json(self, url: str, *, source: str, params: dict | None = None,
             validate: Callable[[object], None] | None = None) -> http.Answer:
        answer = http.get_json(url, source=source, params=params, mirror=self.mirror, validate=validate)
        if not answer.from_cache:
            self.nbytes += answer.nbytes
            self.nrequests += 1
        self.report(self.nbytes - self.source_start, None, plural(self.nrequests - self.source_requests, "requête"))
        return answer

    def text(self, url: str, *, source: str, validate: Callable[[str], None] | None = None) -> http.Answer:
        """An HTML page (e.g. an INSEE publication listing its files), counted like an API answer."""
        answer = http.get_text(url, source=source, mirror=self.mirror, validate=validate)
        if not answer.from_cache:
            self.nbytes += answer.nbytes
            self.nrequests += 1
        return answer

    def found(self, url: str, *, source: str) -> str:
        """A URL read in an answer, checked before use (French ``SourceError`` for ``source`` if refused)."""
        return http.check_url(str(url), source=source, mirror=self.mirror, found=True)

    def download(self, url: str, dest: Path, *, source: str, expect: str, validate=None, checksum=None,
                 extra_meta: dict | None = None) -> http.Download:
        """One download per URL and run (the GASPAR archive serves two sources)."""
        if url in self._downloads:
            return self._downloads[url]
        start = self.nbytes - self.source_start

        def progress(done: int, total: int | None) -> None:
            self.report(start + done, None if total is None else start + total, "téléchargement")

        result = http.download(url, dest, source=source, expect=expect, mirror=self.mirror, checksum=checksum,
                               validate=validate, progress=progress, extra_meta=extra_meta)
        self.nbytes += result.nbytes
        self.nrequests += int(result.requested)
        self._downloads[url] = result
        return result


def product_path(source: Source, ctx: Context, suffix: str) -> Path:
    """Raw file holding what an API answered for this territory (one per source and territory)."""
    try:
        return paths.safe_path(settings.raw_dir(), "territoires", ctx.key, paths.data_name(f"{source.key}{suffix}"))
    except UnsafePathError as exc:
        raise SourceError(source.label, f"chemin refusé par sécurité ({exc.problem}).") from exc


def beside(path: Path, name: str, source: str) -> Path:
    """A raw file next to ``path`` named after ``name`` (e.g. a ZIP member): checked, data extension only."""
    try:
        relative = Path(path).parent.relative_to(settings.raw_dir())
        return paths.safe_path(settings.raw_dir(), *relative.parts, paths.data_name(name))
    except (UnsafePathError, ValueError) as exc:
        raise SourceError(source, f"nom de fichier refusé par sécurité : « {shown(name)} ».") from exc


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def slug(text: str) -> str:
    norm = unicodedata.normalize("NFKD", str(text))
    ascii_text = "".join(c for c in norm if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# data.gouv.fr resources and plain files
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# WFS (Géoplateforme)
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# geo.api.gouv.fr
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# INSEE
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# ADEME Data Fair
# ---------------------------------------------------------------------------------------------------


def follow_pages(ctx: Context, src: Source, url: str, params: dict | None, parse, limit: int) -> list[dict]:
    """Rows of every page of a paginated JSON API, following the ``next`` link each page gives.

    ``parse(payload, name=…)`` returns ``(rows, next_url)``; it runs as the cache's validator so that a
    malformed page is never stored. A ``next`` seen twice ends the loop (a server repeating itself).
    """
    rows: list[dict] = []
    seen: set[str] = set()
    for _ in range(limit):
        holder: dict = {}

        def check(payload: object) -> None:
            holder["page"] = parse(payload, name=src.label)

        answer = ctx.json(url, source=src.label, params=params, validate=check)
        page, nxt = holder["page"]
        rows.extend(page)
        if not nxt or nxt in seen:
            break
        seen.add(nxt)
        url, params = http.resolve_found(nxt, answer.url, source=src.label, mirror=ctx.mirror), None
    return rows


# ---------------------------------------------------------------------------------------------------
# Géorisques
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# CEREMA LCZ
# ---------------------------------------------------------------------------------------------------
