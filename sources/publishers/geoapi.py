"""geo.api.gouv.fr — the communes of a territory with their EPCI, département, région and contour.

The answer is a JSON list or a GeoJSON FeatureCollection, with nested ``departement``/``region``/``epci``
fields when requested; the communes table it gives has the columns of the bundle's ``communes`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from pathlib import Path
import geopandas as gpd
import gzip
from sources import http
import pandas as pd
import re
from sources.fetching import Context, Fetched, csv_bytes, product_path
from core.errors import SourceFormatError
from sources.publishers.ign import dedupe, feature_collection
from sources.publishers.common import read_json, require_columns



COMMUNE_COLUMNS = ["insee_com", "lib_com", "type_com", "insee_com_parent", "population_municipale", "insee_dep",
                   "lib_dep", "insee_reg", "lib_reg", "siren_epci", "lib_epci", "nature_epci"]


def _nested(record: dict, key: str, flat_code: str) -> tuple[object, object]:
    value = record.get(key)
    if isinstance(value, dict):
        return value.get("code"), value.get("nom")
    return record.get(flat_code), None


def read_geoapi_communes(source: Path | bytes | dict | list, *, name: str | None = None
                         ) -> tuple[pd.DataFrame, list[dict]]:
    """geo.api.gouv.fr ``/communes`` answer → (communes table, GeoJSON features of their contours).

    The table has the columns of the bundle's ``communes`` table (``insee_com, lib_com, type_com``…);
    labels of département/région/EPCI come from the nested ``departement``/``region``/``epci`` fields
    when requested, else stay missing. Features keep ``insee_com, lib_com, type_com, insee_dep``.
    """
    payload, name = read_json(source, name)
    if isinstance(payload, dict) and payload.get("type") == "FeatureCollection":
        items = [(f.get("properties") or {}, f.get("geometry")) for f in payload.get("features") or []]
    elif isinstance(payload, dict) and "code" in payload:
        items = [(payload, payload.get("contour"))]
    elif isinstance(payload, list):
        items = [(r, r.get("contour")) for r in payload if isinstance(r, dict)]
    else:
        raise SourceFormatError(name, "réponse de geo.api.gouv.fr inattendue (ni liste ni FeatureCollection).")
    rows, features = [], []
    for props, geometry in items:
        if "code" not in props or "nom" not in props:
            raise SourceFormatError(name, "champ « code » ou « nom » absent d'une commune (API modifiée ?).")
        dep, lib_dep = _nested(props, "departement", "codeDepartement")
        reg, lib_reg = _nested(props, "region", "codeRegion")
        epci, lib_epci = _nested(props, "epci", "codeEpci")
        code = str(props["code"])
        kind = "ARM" if props.get("type") == "arrondissement-municipal" else "COM"
        rows.append({
            "insee_com": code, "lib_com": props["nom"], "type_com": kind,
            "insee_com_parent": props.get("codeParent"), "population_municipale": props.get("population"),
            "insee_dep": dep, "lib_dep": lib_dep, "insee_reg": reg, "lib_reg": lib_reg,
            "siren_epci": epci, "lib_epci": lib_epci, "nature_epci": None,
        })
        if isinstance(geometry, dict) and geometry.get("type"):
            features.append({"type": "Feature", "properties": {"insee_com": code, "lib_com": props["nom"],
                                                               "type_com": kind, "insee_dep": dep},
                             "geometry": geometry})
    frame = pd.DataFrame(rows, columns=COMMUNE_COLUMNS)
    bad = ~frame["insee_com"].str.fullmatch(r"[0-9][0-9AB][0-9]{3}")
    if bad.any():
        raise SourceFormatError(name, f"code commune invalide « {frame.loc[bad, 'insee_com'].iloc[0]} ».")
    for column in COMMUNE_COLUMNS:
        if column != "population_municipale":
            frame[column] = frame[column].astype("string")
    frame["population_municipale"] = pd.to_numeric(frame["population_municipale"], errors="coerce")
    return frame, features


def fetch_communes(ctx: Context, src: Source) -> Fetched:
    """Communes of the territory (and of its QPV) with their EPCI, département, région and contour."""
    with_contour = dict(src.params)
    without = {"fields": with_contour["fields"].replace(",contour", "")}
    frames, features = [], []

    def ask(params: dict) -> None:
        holder: dict = {}

        def check(payload: object) -> None:
            holder["parsed"] = read_geoapi_communes(payload, name=src.label)

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
        columns=COMMUNE_COLUMNS)
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
        require_columns(frame, columns, src.label)

    csv_file = http.save_product(product_path(src, ctx, ".csv"), csv_bytes(table[columns]), source=src.label,
                                 validate=validate_csv, extra_meta={"url": src.url})
    files = {src.stage[0]: csv_file.path}
    features = dedupe(features, "insee_com")
    if features:
        data = gzip.compress(feature_collection(features), mtime=0)
        geo = http.save_product(product_path(src, ctx, ".geojson.gz"), data, source=src.label,
                                extra_meta={"url": src.url})
        files[src.stage[1]] = geo.path
        ctx.state["outlines"] = gpd.read_file(f"/vsigzip/{geo.path}")
    return Fetched(files, notes=[f"{len(table)} communes"])
