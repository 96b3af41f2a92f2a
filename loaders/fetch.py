"""How each access kind of the registry is fetched for one territory (all HTTP through ``loaders.http``).

A fetcher gets the ``Context`` of the update (territory, its communes and QPV, mirror, progress) and
its ``OnlineSource``; it downloads into the raw cache, checks what it got with the source's parser
*before* anything replaces the last good copy, and returns the files to stage for the pipeline
(``Fetched.files``: staging path → raw file). It raises a ``SourceError`` (French message naming the
source and the fault) when the source cannot be used; the caller then keeps the previous good data.

URLs found in answers (data.gouv.fr resource URLs, INSEE page links, ``next`` links) are checked by
``Context.found`` before use (``http`` only, no ``..``, no internal address without a mirror), and every
file is written under a path built by ``core.paths`` (``http.raw_path``, ``product_path``).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import settings
from core import paths
from core.errors import SourceError, SourceFormatError, SourceUnavailableError, UnsafePathError, shown
from loaders import http, parsers, parsers_env, parsers_online
from loaders.registry import OnlineSource

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
        self.report(self.nbytes - self.source_start, None, f"{self.nrequests - self.source_requests} requête(s)")
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


def product_path(source: OnlineSource, ctx: Context, suffix: str) -> Path:
    """Raw file holding what an API answered for this territory (one per source and territory)."""
    try:
        return paths.safe_path(settings.raw_dir(), "territoires", ctx.key, paths.data_name(f"{source.key}{suffix}"))
    except UnsafePathError as exc:
        raise SourceError(source.label, f"chemin refusé par sécurité ({exc.problem}).") from exc


def _beside(path: Path, name: str, source: str) -> Path:
    """A raw file next to ``path`` named after ``name`` (e.g. a ZIP member): checked, data extension only."""
    try:
        relative = Path(path).parent.relative_to(settings.raw_dir())
        return paths.safe_path(settings.raw_dir(), *relative.parts, paths.data_name(name))
    except (UnsafePathError, ValueError) as exc:
        raise SourceError(source, f"nom de fichier refusé par sécurité : « {shown(name)} ».") from exc


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _slug(text: str) -> str:
    norm = unicodedata.normalize("NFKD", str(text))
    ascii_text = "".join(c for c in norm if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# data.gouv.fr resources and plain files
# ---------------------------------------------------------------------------------------------------


def _resolve_resource(ctx: Context, src: OnlineSource) -> dict:
    holder: dict = {}

    def check(payload: object) -> None:
        holder["resource"] = parsers_online.datagouv_resource(
            payload, name=src.label, resource_id=src.resource_id, title=src.resource_title)

    ctx.json(src.url, source=src.label, validate=check)
    return holder["resource"]


def fetch_datagouv_resource(ctx: Context, src: OnlineSource) -> Fetched:
    """Dataset API → current resource URL (never hard-coded) → checked download; skipped if unchanged."""
    resource = _resolve_resource(ctx, src)

    def validate(path: Path) -> None:
        if src.key == "qpv2024_liste":
            frame = parsers.read_qpv2024_list(path, name=src.label)
            if frame.empty:
                raise SourceFormatError(src.label, "liste de QPV vide.")
        else:
            parsers_online.read_qpv_correspondance(path, name=src.label)

    url = ctx.found(resource["url"], source=src.label)
    dest = http.raw_path(url, source=src.label)
    result = ctx.download(url, dest, source=src.label, expect="csv", checksum=resource["checksum"],
                          validate=validate, extra_meta={"ressource": resource["id"],
                                                         "derniere_modification": resource["last_modified"]})
    vintage = f"ressource du {str(resource['last_modified'])[:10]}" if resource.get("last_modified") else None
    return Fetched({src.stage[0]: result.path}, result.nbytes, reused=result.reused, vintage=vintage)


def fetch_file(ctx: Context, src: OnlineSource) -> Fetched:
    """A stable URL (QPV 2024 contours): ZIP or GeoJSON, told apart by content."""
    parsed: dict = {}

    def validate(path: Path) -> None:
        parsed["contours"] = parsers_online.read_qpv2024_contours(path, name=src.label, codes=ctx.qpv24)

    result = ctx.download(src.url, http.raw_path(src.url, source=src.label), source=src.label,
                          expect="zip_or_json", validate=validate)
    if "contours" not in parsed:  # unchanged copy: not read during the download
        parsed["contours"] = parsers_online.read_qpv2024_contours(result.path, name=src.label, codes=ctx.qpv24)
    ctx.state["contours2024"] = parsed["contours"]
    note = f"{len(parsed['contours'])} contour(s) pour les {len(ctx.qpv24)} QPV 2024 du territoire"
    return Fetched({src.stage[0]: result.path}, result.nbytes, reused=result.reused, notes=[note])


# ---------------------------------------------------------------------------------------------------
# WFS (Géoplateforme)
# ---------------------------------------------------------------------------------------------------


def _wfs_pages(ctx: Context, src: OnlineSource, extra: dict, required: list[str]) -> tuple[list[dict], str | None]:
    """Every feature of a WFS query, page after page (``COUNT``/``STARTINDEX``)."""
    features: list[dict] = []
    crs = None
    start, page_size = 0, 1000
    previous_first = None
    for _ in range(200):
        params = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature",
                  "TYPENAMES": src.params["TYPENAMES"], "OUTPUTFORMAT": "application/json",
                  "SRSNAME": "EPSG:3857", "COUNT": page_size, "STARTINDEX": start, **extra}
        holder: dict = {}

        def check(payload: object) -> None:
            holder["features"] = parsers_online.wfs_features(payload, name=src.label, required=required)

        answer = ctx.json(src.url, source=src.label, params=params, validate=check)
        page = holder["features"]
        crs = crs or parsers_online.geojson_crs(answer.data)
        first = json.dumps(page[0], sort_keys=True)[:500] if page else None
        if page and first == previous_first:  # a server ignoring STARTINDEX: stop instead of looping
            break
        features.extend(page)
        if len(page) < page_size:
            break
        previous_first = first
        start += page_size
    return features, crs


def _dedupe(features: list[dict], key: str) -> list[dict]:
    seen, out = set(), []
    for feature in features:
        props = feature.get("properties") or {}
        ident = (props.get(key), json.dumps(feature.get("geometry"), sort_keys=True)[:200])
        if ident in seen:
            continue
        seen.add(ident)
        out.append(feature)
    return out


def fetch_qpv2015_contours(ctx: Context, src: OnlineSource) -> Fetched:
    codes = list(ctx.qpv15)
    if not codes:
        return Fetched(notes=["aucun QPV 2015 dans le territoire"])
    features: list[dict] = []
    crs = None
    for chunk in _chunks(codes, 40):
        quoted = ",".join(f"'{c}'" for c in chunk)
        page, page_crs = _wfs_pages(ctx, src, {"CQL_FILTER": f"code_qp IN ({quoted})"}, ["code_qp"])
        crs = crs or page_crs
        features.extend(f for f in page if (f.get("properties") or {}).get("code_qp") in set(codes))
    features = _dedupe(features, "code_qp")
    if not features:
        raise SourceFormatError(src.label, "aucun contour renvoyé pour les QPV 2015 du territoire.")
    data = parsers_online.feature_collection(features, crs)

    def validate(path: Path) -> None:
        from geodata import contours

        contours.read_qpv2015_hackaviz(path, name=src.label)

    result = http.save_product(product_path(src, ctx, ".geojson"), data, source=src.label, validate=validate,
                               extra_meta={"url": src.url, "requetes": ctx.nrequests})
    from geodata import contours

    ctx.state["contours2015"] = contours.read_qpv2015_hackaviz(result.path, name=src.label)
    return Fetched({src.stage[0]: result.path})


def fetch_iris(ctx: Context, src: OnlineSource) -> Fetched:
    """IRIS of the QPV communes (by commune), plus those around QPV lying near a commune edge (by BBOX)."""
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    features: list[dict] = []
    crs = None
    for chunk in _chunks(communes, 20):
        quoted = ",".join(f"'{c}'" for c in chunk)
        page, page_crs = _wfs_pages(ctx, src, {"CQL_FILTER": f"code_insee IN ({quoted})"}, ["code_iris"])
        crs = crs or page_crs
        features.extend(page)
    features = _dedupe(features, "code_iris")
    # QPV near a commune edge: neighbouring IRIS may overlap them (areal weights need all of them).
    contours = ctx.contours()
    if not contours.empty and features:
        fetched = _features_frame(features, crs)
        for box in _uncovered_boxes(contours, fetched):
            page, page_crs = _wfs_pages(ctx, src, {"BBOX": ",".join(f"{v:.2f}" for v in box) + ",EPSG:3857"},
                                        ["code_iris"])
            crs = crs or page_crs
            features.extend(page)
        features = _dedupe(features, "code_iris")
    if not features:
        raise SourceFormatError(src.label, "aucun IRIS renvoyé pour les communes des quartiers.")
    slim = [{"type": "Feature", "properties": {"code_iris": (f.get("properties") or {}).get("code_iris"),
                                               "code_insee": (f.get("properties") or {}).get("code_insee")},
             "geometry": f.get("geometry")} for f in features]
    data = gzip.compress(parsers_online.feature_collection(slim, crs), mtime=0)

    def validate(path: Path) -> None:
        frame = gpd.read_file(f"/vsigzip/{path}", columns=["code_iris"])
        parsers_env._iris_codes(frame["code_iris"], src.label)

    result = http.save_product(product_path(src, ctx, ".geojson.gz"), data, source=src.label, validate=validate,
                               extra_meta={"url": src.url})
    ctx.state["iris"] = gpd.read_file(f"/vsigzip/{result.path}")
    return Fetched({src.stage[0]: result.path}, notes=[f"{len(slim)} IRIS"])


def _features_frame(features: list[dict], crs: str | None) -> gpd.GeoDataFrame:
    frame = gpd.read_file(io.BytesIO(parsers_online.feature_collection(features, crs)))
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    return frame


def _uncovered_boxes(contours: gpd.GeoDataFrame, iris: gpd.GeoDataFrame, margin: float = 200.0) -> list[tuple]:
    """Web-Mercator boxes around QPV whose ``margin``-metre surroundings the fetched IRIS do not cover.

    Distances are measured in the metric CRS of the QPV's département (Lambert-93, local UTM overseas).
    """
    deps = contours["code_qp"].str[2:5].where(contours["code_qp"].str[2:4] == "97", "")
    boxes = []
    for crs, part in contours.groupby(deps.map(settings.metric_crs_for_dep)):
        metric = part.to_crs(crs)
        covered = shapely.union_all(iris.to_crs(crs).geometry.make_valid().to_numpy())
        found = [geom.buffer(margin) for geom in metric.geometry
                 if geom.buffer(margin).difference(covered).area > 1.0]
        if not found:
            continue
        merged = shapely.get_parts(shapely.union_all([shapely.box(*g.bounds) for g in found]))
        boxes += [tuple(g.bounds) for g in gpd.GeoSeries(list(merged), crs=crs).envelope.to_crs("EPSG:3857")]
    return boxes


# ---------------------------------------------------------------------------------------------------
# geo.api.gouv.fr
# ---------------------------------------------------------------------------------------------------


def fetch_communes(ctx: Context, src: OnlineSource) -> Fetched:
    """Communes of the territory (and of its QPV) with their EPCI, département, région and contour."""
    with_contour = dict(src.params)
    without = {"fields": with_contour["fields"].replace(",contour", "")}
    frames, features = [], []

    def ask(params: dict) -> None:
        holder: dict = {}

        def check(payload: object) -> None:
            holder["parsed"] = parsers_online.read_geoapi_communes(payload, name=src.label)

        ctx.json(src.url, source=src.label, params=params, validate=check)
        frame, feats = holder["parsed"]
        frames.append(frame)
        features.extend(feats)

    filters = {"EPCI": "codeEpci", "DEP": "codeDepartement", "REG": "codeRegion"}
    if ctx.kind in ("EPCI",):
        ask({filters[ctx.kind]: ctx.code, **with_contour})
    elif ctx.kind in ("DEP", "REG"):
        ask({filters[ctx.kind]: ctx.code, **without})
    outlined = {f["properties"]["insee_com"] for f in features}
    wanted = list(dict.fromkeys([*ctx.qpv_communes, *(ctx.communes if ctx.kind in ("COM", "QPV") else [])]))
    for code in wanted:
        if code in outlined or not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code):
            continue
        ask({"code": code, **with_contour})
    table = pd.concat(frames, ignore_index=True).drop_duplicates("insee_com") if frames else pd.DataFrame(
        columns=parsers_online.COMMUNE_COLUMNS)
    if table.empty:
        raise SourceFormatError(src.label, "aucune commune renvoyée pour le territoire.")
    # Labels the API did not give (fields not served) are taken from the communes already known.
    base = ctx.base_communes.set_index("insee_com")
    for column in ("lib_dep", "lib_reg", "lib_epci", "insee_com_parent", "nature_epci"):
        if column in base.columns:
            known = table["insee_com"].map(base[column])
            table[column] = table[column].fillna(known) if column in table else known
    columns = ["insee_com", "lib_com", "type_com", "insee_com_parent", "population_municipale", "insee_dep",
               "lib_dep", "insee_reg", "lib_reg", "siren_epci", "lib_epci", "nature_epci"]

    def validate_csv(path: Path) -> None:
        frame = pd.read_csv(path, dtype=str)
        parsers.require_columns(frame, columns, src.label)

    csv_file = http.save_product(product_path(src, ctx, ".csv"), _csv_bytes(table[columns]), source=src.label,
                                 validate=validate_csv, extra_meta={"url": src.url})
    files = {src.stage[0]: csv_file.path}
    features = _dedupe(features, "insee_com")
    if features:
        data = gzip.compress(parsers_online.feature_collection(features), mtime=0)
        geo = http.save_product(product_path(src, ctx, ".geojson.gz"), data, source=src.label,
                                extra_meta={"url": src.url})
        files[src.stage[1]] = geo.path
        ctx.state["outlines"] = gpd.read_file(f"/vsigzip/{geo.path}")
    return Fetched(files, notes=[f"{len(table)} communes"])


# ---------------------------------------------------------------------------------------------------
# INSEE
# ---------------------------------------------------------------------------------------------------


def fetch_insee_page(ctx: Context, src: OnlineSource) -> Fetched:
    """Publication page → link of the file (its name changes with each edition) → checked CSV."""
    found: dict = {}

    def check(html: str) -> None:
        found["links"] = parsers_online.find_file_links(html, src.url, src.params["link"], name=src.label)

    page = http.get_text(src.url, source=src.label, mirror=ctx.mirror, validate=check)
    if not page.from_cache:
        ctx.nrequests += 1
        ctx.nbytes += page.nbytes
    url = ctx.found(found["links"][0], source=src.label)
    member = src.params["member"]

    def parse(data: bytes) -> None:
        if "columns" in src.params:
            if src.key == "insee_filosofi_qpv_2019":
                parsers.read_filosofi_qpv(data, 2019, name=src.label)
            else:
                parsers.read_insee_qpv(data, src.params["columns"], name=src.label)
        else:
            parsers_online.read_insee_qpv2024(data, src.params["concepts"], name=src.label)

    def validate(path: Path) -> None:
        parse(parsers_online.csv_or_zip_member(path, member, name=src.label))

    result = ctx.download(url, http.raw_path(url, source=src.label), source=src.label, expect="any",
                          validate=validate, extra_meta={"page": src.url})
    staged = result.path
    if result.path.read_bytes()[:4] == parsers_online.ZIP_MAGIC:
        name, data = parsers_online.zip_member(result.path, member, name=src.label)
        staged = http.save_product(_beside(result.path, result.path.name + "__" + name.rsplit("/", 1)[-1], src.label),
                                   data,
                                   source=src.label, extra_meta={"url": url, "membre": name}).path
    return Fetched({src.stage[0]: staged}, result.nbytes, reused=result.reused,
                   vintage=f"fichier {Path(url.split('?', 1)[0]).name}")


def fetch_melodi(ctx: Context, src: OnlineSource) -> Fetched:
    """Population of the communes of interest, one Melodi request per département (30 per minute)."""
    wanted = set(ctx.communes) | set(ctx.qpv_communes)
    frames = []
    for dep in ctx.departements(wanted):
        url: str | None = src.url
        params: dict | None = {"GEO": f"DEP-{dep}*COM", **src.params}
        for _ in range(50):
            holder: dict = {}

            def check(payload: object) -> None:
                holder["frame"] = parsers_online.read_melodi(payload, name=src.label)

            answer = ctx.json(url, source=src.label, params=params, validate=check)
            frames.append(holder["frame"])
            nxt = parsers_online.melodi_next(answer.data)
            url = http.resolve_found(nxt, answer.url, source=src.label, mirror=ctx.mirror) if nxt else None
            params = None
            if url is None:
                break
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if table.empty:
        raise SourceFormatError(src.label, "aucune observation renvoyée.")
    table = table[(table["niveau"].isin(["COM", "ARM"])) & table["code"].isin(wanted)]
    table = table.sort_values("periode").drop_duplicates("code", keep="last")
    out = table[["code", "periode", "valeur", "raison", "geo_millesime"]].reset_index(drop=True)
    result = http.save_product(product_path(src, ctx, ".csv"), _csv_bytes(out), source=src.label,
                               extra_meta={"url": src.url})
    periods = sorted(out["periode"].dropna().unique())
    return Fetched({src.stage[0]: result.path}, vintage=f"population {periods[-1]}" if periods else None)


# ---------------------------------------------------------------------------------------------------
# ADEME Data Fair
# ---------------------------------------------------------------------------------------------------

_ADEME_NUMERIC = {
    "ademe_data_iris": ("iris", ["share_nrj_preca_log", "men_total_weight"]),
    "ademe_data_communes": ("code_commune_insee", ["moyenne_annuelle_de_concentration_de_no2_ugm3",
                                                   "moyenne_annuelle_de_concentration_de_pm25_ugm3"]),
}


def _follow_pages(ctx: Context, src: OnlineSource, url: str, params: dict | None, parse, limit: int) -> list[dict]:
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


def _ademe_rows(ctx: Context, src: OnlineSource, params: dict) -> list[dict]:
    return _follow_pages(ctx, src, src.url, {**src.params, **params}, parsers_online.ademe_page, 1000)


def fetch_ademe_lines(ctx: Context, src: OnlineSource) -> Fetched:
    key, numeric = _ADEME_NUMERIC[src.key]
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    rows: list[dict] = []
    for chunk in _chunks(communes, 20):
        if src.key == "ademe_data_iris":
            params = {"qs": "iris:(" + " OR ".join(f"{c}*" for c in chunk) + ")"}
        else:
            params = {"code_commune_insee_in": ",".join(chunk)}
        rows.extend(_ademe_rows(ctx, src, params))
    frame = parsers_online.read_ademe_lines(rows, name=src.label, key=key, numeric=numeric)
    result = http.save_product(product_path(src, ctx, ".csv"), _csv_bytes(frame), source=src.label,
                               extra_meta={"url": src.url})
    return Fetched({src.stage[0]: result.path}, notes=[f"{len(frame)} lignes"])


def fetch_ademe_values_agg(ctx: Context, src: OnlineSource) -> Fetched:
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    frames = []
    for chunk in _chunks(communes, 20):
        holder: dict = {}

        def check(payload: object) -> None:
            holder["frame"] = parsers_online.read_ademe_values_agg(payload, name=src.label)

        params = {**src.params, "qs": "code_insee_ban:(" + " OR ".join(chunk) + ")",
                  "agg_size": max(len(chunk), 1)}
        ctx.json(src.url, source=src.label, params=params, validate=check)
        frames.append(holder["frame"])
    table = pd.concat(frames, ignore_index=True)
    if not table.empty and "niveau2" not in table.columns:
        raise SourceFormatError(src.label, "agrégation non imbriquée : étiquettes DPE absentes.")
    out = table.rename(columns={"niveau1": "insee_com", "niveau2": "etiquette_dpe"}) if not table.empty else \
        pd.DataFrame(columns=["insee_com", "etiquette_dpe", "nombre"])
    result = http.save_product(product_path(src, ctx, ".csv"), _csv_bytes(out), source=src.label,
                               extra_meta={"url": src.url})
    return Fetched({src.stage[0]: result.path})


# ---------------------------------------------------------------------------------------------------
# Géorisques
# ---------------------------------------------------------------------------------------------------


def _gaspar_product(ctx: Context, src: OnlineSource, data: bytes, name: str) -> bytes:
    """The member restricted to the communes of the territory's QPV (the national file is large)."""
    wanted = set(ctx.with_arrondissements(ctx.qpv_communes))
    if src.params["member"] == "ddrm":
        table = parsers_env.read_gaspar_ddrm(data, name=name)
        table = table[table["insee_com"].isin(wanted)]
        rows = [f"{c};;;{r}" for c, risks in zip(table["insee_com"], table["risques"], strict=True) for r in risks]
        return ("cod_commune;lib_commune;lib_risque;num_risque\n" + "\n".join(rows) + "\n").encode("utf-8")
    table = parsers_online.read_catnat(data, name=name)
    return _csv_bytes(table[table["insee_com"].isin(wanted)])


def fetch_gaspar(ctx: Context, src: OnlineSource) -> Fetched:
    """National GASPAR archive (dated member names), or the Géorisques API per commune if it fails."""
    kind = src.params["member"]
    try:
        def validate(path: Path) -> None:
            member, data = parsers_online.gaspar_member(path, kind, name=src.label)
            _gaspar_product(ctx, src, data, f"{src.label} ({member})")

        result = ctx.download(src.url, http.raw_path(src.url, source=src.label), source=src.label, expect="zip",
                              validate=validate)
        member, data = parsers_online.gaspar_member(result.path, kind, name=src.label)
        product = _gaspar_product(ctx, src, data, f"{src.label} ({member})")
        dated = re.search(r"\d{4}-\d{2}-\d{2}", member)
        vintage = f"extraction du {dated.group(0)}" if dated else f"archive ({member})"
        nbytes, reused = result.nbytes, result.reused
    except SourceError as bulk_error:
        try:
            product = _gaspar_api(ctx, src)
        except SourceError as api_error:
            raise SourceUnavailableError(src.label, f"archive : {bulk_error.problem} Repli sur l'API Géorisques "
                                                    f"impossible : {api_error.problem}") from api_error
        vintage, nbytes, reused = "API Géorisques (repli)", 0, False
    stored = http.save_product(product_path(src, ctx, ".csv"), product, source=src.label,
                               extra_meta={"url": src.url, "millesime": vintage})
    return Fetched({src.stage[0]: stored.path}, nbytes, reused=reused, vintage=vintage)


def _gaspar_api(ctx: Context, src: OnlineSource) -> bytes:
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    records: list[dict] = []
    for chunk in _chunks(communes, 20):  # « pas plus de 20 codes Insee » per request
        params = {"code_insee": ",".join(chunk), "page_size": 100}
        records.extend(_follow_pages(ctx, src, src.params["api"], params, parsers_online.georisques_page, 500))
    if src.params["member"] == "ddrm":
        return parsers_online.ddrm_from_api(records, name=src.label)
    return _csv_bytes(parsers_online.catnat_from_api(records, name=src.label))


# ---------------------------------------------------------------------------------------------------
# CEREMA LCZ
# ---------------------------------------------------------------------------------------------------


def fetch_lcz(ctx: Context, src: OnlineSource, bundled_communes: set[str]) -> Fetched:
    """LCZ of the urban areas of QPV communes not covered by the nine bundled cities, per IRIS."""
    todo = [c for c in ctx.qpv_communes if c not in bundled_communes]
    if not todo:
        return Fetched(notes=["communes couvertes par le jeu embarqué"])
    coverage_url = src.params["coverage"]

    def check_coverage(path: Path) -> None:
        _lcz_coverage(path, src.label)

    cov = ctx.download(coverage_url, http.raw_path(coverage_url, source=src.label), source=src.label,
                       expect="csv", validate=check_coverage)
    covered = _lcz_coverage(cov.path, src.label)
    todo = [c for c in todo if covered.get(c, 0) > 0]
    if not todo:
        return Fetched(cov.nbytes, notes=["aucune commune des quartiers dans une aire urbaine LCZ"])
    iris = ctx.state.get("iris")
    if iris is None or iris.empty:
        raise SourceFormatError(src.label, "contours IRIS indisponibles : impossible de rapporter les LCZ aux IRIS.")
    resources: dict = {}

    def check(payload: object) -> None:
        resources["list"] = [r for r in payload.get("resources", []) if isinstance(r, dict)] \
            if isinstance(payload, dict) else []
        if not resources["list"]:
            raise SourceFormatError(src.label, "jeu de données LCZ sans ressources.")

    ctx.json(src.url, source=src.label, validate=check)
    labels = ctx.base_communes.set_index("insee_com")
    files: dict[str, Path] = {}
    for commune in todo:
        names = [labels["lib_com"].get(commune), labels["lib_epci"].get(commune) if "lib_epci" in labels else None]
        slugs = [_slug(n) for n in names if isinstance(n, str)]
        resource = _lcz_resource(resources["list"], slugs)
        if resource is None:
            raise SourceFormatError(src.label, f"archive LCZ introuvable pour la commune {commune} "
                                               f"({', '.join(slugs)}) dans le jeu data.gouv.fr.")
        city = _slug(str(resource.get("title", "")).removesuffix(".zip")).removeprefix("lcz-spot-2022-")
        stage = f"env/lcz_heat_iris_{city}.geojson"
        if stage in files:
            continue
        lcz_url = ctx.found(str(resource["url"]), source=src.label)
        zipped = ctx.download(lcz_url, http.raw_path(lcz_url, source=src.label), source=src.label, expect="zip",
                              validate=lambda p: parsers_online.read_lcz_archive(p, name=src.label))
        lcz = parsers_online.read_lcz_archive(zipped.path, name=src.label)
        per_iris = parsers_online.lcz_to_iris(lcz, iris)
        data = per_iris.to_json(drop_id=True).encode("utf-8")
        data = data.replace(b'{"type": "FeatureCollection"',
                            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                            b'{"name": "urn:ogc:def:crs:EPSG::2154"}}', 1)
        stored = http.save_product(product_path(src, ctx, f"_{city}.geojson"), data, source=src.label,
                                   validate=lambda p: parsers_env.read_lcz_iris(p, name=src.label),
                                   extra_meta={"url": resource["url"]})
        files[stage] = stored.path
    return Fetched(files, vintage="LCZ 2022")


def _lcz_coverage(path: Path, name: str) -> dict[str, float]:
    data, _ = parsers.read_bytes(path, name)
    text = parsers.sniff_text(data, name)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    frame = parsers.read_csv_text(text, name, sep=sep)
    parsers.require_columns(frame, ["insee_commune", "couverture_lcz"], name)
    values = parsers.to_number(frame["couverture_lcz"])
    return dict(zip(frame["insee_commune"].astype(str).str.zfill(5), values.fillna(0.0), strict=True))


def _lcz_resource(resources: list[dict], slugs: list[str]) -> dict | None:
    for slug in slugs:
        for resource in resources:
            title = _slug(str(resource.get("title", "")) + " " + str(resource.get("url", "")).rsplit("/", 1)[-1])
            if f"lcz-spot-2022-{slug}" in title and resource.get("url"):
                return resource
        for word in slug.split("-"):
            if len(word) < 4:
                continue
            for resource in resources:
                title = _slug(str(resource.get("title", "")))
                if title.startswith("lcz-spot-2022-") and title.removeprefix("lcz-spot-2022-").startswith(word):
                    return resource
    return None


FETCHERS: dict[str, Callable[[Context, OnlineSource], Fetched]] = {
    "qpv2024_liste": fetch_datagouv_resource,
    "qpv2024_correspondance": fetch_datagouv_resource,
    "qpv2024_contours": fetch_file,
    "qpv2015_contours": fetch_qpv2015_contours,
    "communes": fetch_communes,
    "iris_contours": fetch_iris,
    "insee_demo_2022": fetch_insee_page,
    "insee_revn_2022": fetch_insee_page,
    "insee_ipro_2022": fetch_insee_page,
    "insee_filosofi_qpv_2019": fetch_insee_page,
    "insee_qpv2024_filosofi": fetch_insee_page,
    "insee_qpv2024_population": fetch_insee_page,
    "insee_melodi_population": fetch_melodi,
    "ademe_data_iris": fetch_ademe_lines,
    "ademe_data_communes": fetch_ademe_lines,
    "ademe_dpe_communes": fetch_ademe_values_agg,
    "georisques_risques": fetch_gaspar,
    "georisques_catnat": fetch_gaspar,
}
