"""Cerema — local climate zones (LCZ): the per-IRIS heat classes of nine cities (embedded) and the city
archives fetched for the other urban areas.

Traps handled (``shared/docs/data-sources.md`` §4.3): GeoJSON in EPSG:2154 (a copy without ``crs``
member is read by GDAL as WGS84); class labels written ``LCZ 2``, ``2``, ``2.0``, ``A`` or ``11``.
"""

from __future__ import annotations

from sources import store

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from pathlib import Path
import geopandas as gpd
from sources import http
import io
import numpy as np
import pandas as pd
import re
import zipfile
from sources.fetching import Context, Fetched, product_path, slug
from core.errors import SourceFormatError
from sources.publishers.common import iris_codes, read_bytes, read_csv_text, require_columns, sniff_text, to_number, unique_key
from sources.geometry import repair



LCZ_CLASSES = ("High", "Medium", "Low")


def read_lcz_iris(source: Path | bytes, *, name: str | None = None) -> gpd.GeoDataFrame:
    """LCZ heat class per IRIS (one city file) → ``code_iris, nom_iris, nom_com, heat_score`` in EPSG:2154.

    ``heat_score`` is ``High``/``Medium``/``Low`` (a third party's 3-level mapping of the CEREMA LCZ,
    not CEREMA's sensitivity classes) or missing (5 Paris IRIS). The files are in Lambert-93; a copy
    stripped of its ``crs`` member is read by GDAL as WGS84 although its coordinates are metres, so
    projected-looking coordinates are re-labelled EPSG:2154 instead of being reprojected.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    if not text.lstrip().startswith("{"):
        raise SourceFormatError(name, "contenu GeoJSON attendu (le fichier ne commence pas par « { »).")
    try:
        frame = gpd.read_file(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise SourceFormatError(name, f"GeoJSON illisible ({exc}).") from exc
    require_columns(frame, ["code_iris", "heat_score"], name)
    if frame.empty:
        raise SourceFormatError(name, "aucun IRIS dans le fichier LCZ.")
    minx, miny, maxx, maxy = frame.total_bounds
    projected_coords = max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90
    if frame.crs is None or (frame.crs.is_geographic and projected_coords):
        frame = frame.set_crs("EPSG:2154", allow_override=True)
    frame = frame.to_crs("EPSG:2154")
    score = frame["heat_score"].astype("string").str.strip()
    bad = score.notna() & ~score.isin(LCZ_CLASSES)
    if bad.any():
        raise SourceFormatError(
            name, f"classe de chaleur inconnue « {score[bad].iloc[0]} » (High, Medium ou Low attendu)."
        )

    invalid = ~frame.geometry.is_valid
    if invalid.any():
        frame.loc[invalid, "geometry"] = repair(frame.geometry[invalid])
    out = gpd.GeoDataFrame(
        {
            "code_iris": iris_codes(frame["code_iris"], name).to_numpy(),
            "nom_iris": frame["nom_iris"].astype("string").to_numpy() if "nom_iris" in frame else pd.NA,
            "nom_com": frame["nom_com"].astype("string").to_numpy() if "nom_com" in frame else pd.NA,
            "heat_score": score.to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:2154",
    )
    unique_key(out, ["code_iris"], name, "code IRIS")
    return out


#: Third-party three-level heat mapping of the LCZ classes, as in the shared per-IRIS copies.
LCZ_HEAT = {**{c: "High" for c in ("1", "2", "3", "8", "10")},
            **{c: "Medium" for c in ("4", "5", "6", "7", "E")},
            **{c: "Low" for c in ("9", "A", "B", "C", "D", "F", "G")}}


_LCZ_LETTERS = {"11": "A", "12": "B", "13": "C", "14": "D", "15": "E", "16": "F", "17": "G"}


def lcz_class(value: object) -> str | None:
    """``'LCZ 2'``/``2``/``'2.0'``/``'A'``/``11`` → the class label used by ``LCZ_HEAT`` (None if unknown)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper().replace("LCZ", "").strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        text = str(int(float(text)))
        text = _LCZ_LETTERS.get(text, text)
    return text if text in LCZ_HEAT else None


def read_lcz_archive(source: Path, *, name: str) -> gpd.GeoDataFrame:
    """CEREMA ``LCZ_SPOT_2022_<Ville>.shp`` inside the city ZIP → ``lcz`` class and polygon (EPSG:2154); the
    class is read from ``lcz`` or, in older files, ``lcz_int``."""
    try:
        with zipfile.ZipFile(source) as archive:
            shapes = [m for m in archive.namelist() if m.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc
    if not shapes:
        raise SourceFormatError(name, "aucun shapefile LCZ dans l'archive.")
    shape = sorted(shapes, key=lambda m: ("lcz" not in m.lower(), len(m)))[0]
    try:
        frame = gpd.read_file(f"/vsizip/{{{Path(source)}}}/{shape}")  # braces: any archive name
    except Exception as exc:  # pyogrio
        raise SourceFormatError(name, f"shapefile LCZ illisible ({exc}).") from exc
    # The class column is ``lcz`` (``LCZ 2``, ``2``, ``A``…), ``lcz_int`` (1…17) in older files (§10).
    columns = {c.lower(): c for c in frame.columns}
    column = columns.get("lcz") or columns.get("lcz_int")
    if column is None:
        raise SourceFormatError(name, "colonne de classe « lcz » ou « lcz_int » absente du shapefile (renommée ?).")
    if frame.crs is None:
        frame = frame.set_crs("EPSG:2154")
    out = gpd.GeoDataFrame({"lcz": frame[column].map(lcz_class).astype("string")},
                           geometry=frame.geometry.to_numpy(), crs=frame.crs).to_crs("EPSG:2154")
    return out[out["lcz"].notna()].reset_index(drop=True)


def lcz_to_iris(lcz: gpd.GeoDataFrame, iris: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per IRIS, the modal LCZ class of the polygons whose centroid falls in it, mapped to High/Medium/Low.

    This reproduces the method of the shared per-IRIS copies (a third party's), so that a city fetched
    online is treated like the nine bundled ones. IRIS without any LCZ centroid get no class.
    """
    zones = iris[["code_iris", "geometry"]].to_crs("EPSG:2154")
    points = gpd.GeoDataFrame({"lcz": lcz["lcz"].to_numpy()}, geometry=lcz.geometry.representative_point(),
                              crs=lcz.crs).to_crs("EPSG:2154")
    joined = gpd.sjoin(points, zones, how="inner", predicate="within")
    modal = joined.groupby("code_iris")["lcz"].agg(lambda s: s.value_counts().idxmax())
    out = zones.copy()
    out["heat_score"] = out["code_iris"].map(modal).map(LCZ_HEAT).astype("string")
    out = out[out["heat_score"].notna()]
    return gpd.GeoDataFrame(out[["code_iris", "heat_score", "geometry"]], geometry="geometry", crs="EPSG:2154")


def fetch_lcz(ctx: Context, src: Source, bundled_communes: set[str] | None = None) -> Fetched:
    """LCZ of the urban areas of QPV communes not covered by the nine bundled cities, per IRIS.

    ``bundled_communes``: communes whose LCZ the bundle already holds (read from it by default).
    """
    if bundled_communes is None:
        bundled_communes = store.bundled_lcz_communes()
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

    ctx.json(src.url, source=src.label, validate=check)  # the dataset by its stable id, never by its slug
    labels = ctx.base_communes.set_index("insee_com")
    files: dict[str, Path] = {}
    for commune in todo:
        names = [labels["lib_com"].get(commune), labels["lib_epci"].get(commune) if "lib_epci" in labels else None]
        slugs = [slug(n) for n in names if isinstance(n, str)]
        resource = _lcz_resource(resources["list"], slugs)
        if resource is None:
            raise SourceFormatError(src.label, f"archive LCZ introuvable pour la commune {commune} "
                                               f"({', '.join(slugs)}) dans le jeu data.gouv.fr.")
        city = slug(str(resource.get("title", "")).removesuffix(".zip")).removeprefix("lcz-spot-2022-")
        stage = f"env/lcz_heat_iris_{city}.geojson"
        if stage in files:
            continue
        lcz_url = ctx.found(str(resource["url"]), source=src.label)
        zipped = ctx.download(lcz_url, http.raw_path(lcz_url, source=src.label), source=src.label, expect="zip",
                              validate=lambda p: read_lcz_archive(p, name=src.label))
        lcz = read_lcz_archive(zipped.path, name=src.label)
        per_iris = lcz_to_iris(lcz, iris)
        data = per_iris.to_json(drop_id=True).encode("utf-8")
        data = data.replace(b'{"type": "FeatureCollection"',
                            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                            b'{"name": "urn:ogc:def:crs:EPSG::2154"}}', 1)
        stored = http.save_product(product_path(src, ctx, f"_{city}.geojson"), data, source=src.label,
                                   validate=lambda p: read_lcz_iris(p, name=src.label),
                                   extra_meta={"url": resource["url"]})
        files[stage] = stored.path
    return Fetched(files, vintage="LCZ 2022")


def _lcz_coverage(path: Path, name: str) -> dict[str, float]:
    data, _ = read_bytes(path, name)
    text = sniff_text(data, name)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    frame = read_csv_text(text, name, sep=sep)
    require_columns(frame, ["insee_commune", "couverture_lcz"], name)
    values = to_number(frame["couverture_lcz"])
    return dict(zip(frame["insee_commune"].astype(str).str.zfill(5), values.fillna(0.0), strict=True))


def _lcz_resource(resources: list[dict], slugs: list[str]) -> dict | None:
    for wanted in slugs:
        for resource in resources:
            title = slug(str(resource.get("title", "")) + " " + str(resource.get("url", "")).rsplit("/", 1)[-1])
            if f"lcz-spot-2022-{wanted}" in title and resource.get("url"):
                return resource
        for word in wanted.split("-"):
            if len(word) < 4:
                continue
            for resource in resources:
                title = slug(str(resource.get("title", "")))
                if title.startswith("lcz-spot-2022-") and title.removeprefix("lcz-spot-2022-").startswith(word):
                    return resource
    return None
