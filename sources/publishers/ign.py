"""IGN Géoplateforme — the WFS (paged GeoJSON) and the IRIS contours of the quartiers' communes.

WFS answers are refused when they are not a GeoJSON FeatureCollection (some servers send an XML
exception report with status 200) or when a required property was renamed; pages follow
``COUNT``/``STARTINDEX`` and stop when a server ignores ``STARTINDEX``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from collections.abc import Iterable
from pathlib import Path
import geopandas as gpd
import gzip
from sources import http
import io
import json
import settings
import shapely
from sources.fetching import Context, Fetched, chunks, product_path
from core.errors import SourceFormatError
from core.formats import plural
from sources.publishers.common import iris_codes



def wfs_features(payload: object, *, name: str, required: Iterable[str] = ()) -> list[dict]:
    """Features of one WFS GeoJSON page; refuses other answers and renamed properties."""
    if not isinstance(payload, dict) or payload.get("type") != "FeatureCollection":
        raise SourceFormatError(name, "réponse WFS inattendue : une collection GeoJSON (FeatureCollection) "
                                      "était attendue.")
    features = payload.get("features")
    if not isinstance(features, list):
        raise SourceFormatError(name, "réponse WFS sans liste « features ».")
    required = list(required)
    for feature in features[:1]:
        props = feature.get("properties") or {}
        missing = [c for c in required if c not in props]
        if missing:
            raise SourceFormatError(name, plural(len(missing), "propriété attendue absente", "propriétés attendues absentes") + " : " + ", ".join(missing)
                                          + " (couche WFS modifiée ?).")
    return features


def feature_collection(features: list[dict], crs: str | None = None) -> bytes:
    """A GeoJSON FeatureCollection (bytes) from raw feature dicts: coordinates kept exactly as received."""
    collection: dict = {"type": "FeatureCollection"}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    collection["features"] = features
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def geojson_crs(payload: dict) -> str | None:
    """The CRS named in a GeoJSON ``crs`` member (GeoServer WFS answers carry one), or None (= WGS84)."""
    crs = payload.get("crs") if isinstance(payload, dict) else None
    if isinstance(crs, dict):
        name = (crs.get("properties") or {}).get("name")
        if isinstance(name, str):
            return name
    return None


def wfs_pages(ctx: Context, src: Source, extra: dict, required: list[str]) -> tuple[list[dict], str | None]:
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
            holder["features"] = wfs_features(payload, name=src.label, required=required)

        answer = ctx.json(src.url, source=src.label, params=params, validate=check)
        page = holder["features"]
        crs = crs or geojson_crs(answer.data)
        first = json.dumps(page[0], sort_keys=True)[:500] if page else None
        if page and first == previous_first:  # a server ignoring STARTINDEX: stop instead of looping
            break
        features.extend(page)
        if len(page) < page_size:
            break
        previous_first = first
        start += page_size
    return features, crs


def dedupe(features: list[dict], key: str) -> list[dict]:
    seen, out = set(), []
    for feature in features:
        props = feature.get("properties") or {}
        ident = (props.get(key), json.dumps(feature.get("geometry"), sort_keys=True)[:200])
        if ident in seen:
            continue
        seen.add(ident)
        out.append(feature)
    return out


def fetch_iris(ctx: Context, src: Source) -> Fetched:
    """IRIS of the QPV communes (by commune), plus those around QPV lying near a commune edge (by BBOX)."""
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    features: list[dict] = []
    crs = None
    for chunk in chunks(communes, 20):
        quoted = ",".join(f"'{c}'" for c in chunk)
        page, page_crs = wfs_pages(ctx, src, {"CQL_FILTER": f"code_insee IN ({quoted})"}, ["code_iris"])
        crs = crs or page_crs
        features.extend(page)
    features = dedupe(features, "code_iris")
    # QPV near a commune edge: neighbouring IRIS may overlap them (areal weights need all of them).
    contours = ctx.contours()
    if not contours.empty and features:
        fetched = _features_frame(features, crs)
        for box in _uncovered_boxes(contours, fetched):
            page, page_crs = wfs_pages(ctx, src, {"BBOX": ",".join(f"{v:.2f}" for v in box) + ",EPSG:3857"},
                                        ["code_iris"])
            crs = crs or page_crs
            features.extend(page)
        features = dedupe(features, "code_iris")
    if not features:
        raise SourceFormatError(src.label, "aucun IRIS renvoyé pour les communes des quartiers.")
    slim = [{"type": "Feature", "properties": {"code_iris": (f.get("properties") or {}).get("code_iris"),
                                               "code_insee": (f.get("properties") or {}).get("code_insee")},
             "geometry": f.get("geometry")} for f in features]
    data = gzip.compress(feature_collection(slim, crs), mtime=0)

    def validate(path: Path) -> None:
        frame = gpd.read_file(f"/vsigzip/{path}", columns=["code_iris"])
        iris_codes(frame["code_iris"], src.label)

    result = http.save_product(product_path(src, ctx, ".geojson.gz"), data, source=src.label, validate=validate,
                               extra_meta={"url": src.url})
    ctx.state["iris"] = gpd.read_file(f"/vsigzip/{result.path}")
    return Fetched({src.stage[0]: result.path}, notes=[f"{len(slim)} IRIS"])


def _features_frame(features: list[dict], crs: str | None) -> gpd.GeoDataFrame:
    frame = gpd.read_file(io.BytesIO(feature_collection(features, crs)))
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


def read_iris_contours(path: Path, *, name: str | None = None) -> gpd.GeoDataFrame:
    """IRIS contours (gzipped GeoJSON with a ``code_iris`` property) → ``zone_id, geometry``.

    A damaged archive or a file without ``code_iris`` is a ``SourceFormatError`` naming the file."""
    name = name or Path(path).name
    try:
        zones = gpd.read_file(f"/vsigzip/{path}", columns=["code_iris"])
    except Exception as exc:  # pyogrio raises several types for a truncated or foreign file
        raise SourceFormatError(name, f"contours IRIS illisibles ({exc}).") from exc
    if "code_iris" not in zones.columns or zones.empty:
        raise SourceFormatError(name, "aucun contour IRIS avec une propriété « code_iris ».")
    return zones.rename(columns={"code_iris": "zone_id"})


def after_iris(ctx: Context, src: Source, staged: dict[str, Path]) -> None:
    """IRIS contours of a previous good copy: the LCZ of a city are attributed to them."""
    if "iris" not in ctx.state and src.stage[0] in staged:
        ctx.state["iris"] = gpd.read_file(f"/vsigzip/{staged[src.stage[0]]}")
