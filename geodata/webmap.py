"""Geometries and choropleth maps for the browser, drawn without any internet access.

Pure functions (no Streamlit import), unit-tested. The classes, their labels and colours come from
``geodata.classes``, shared with the print maps of the annex.
Three constraints shape this module (see design.md, "Known traps"):

* Leaflet must come from the app's own ``/app/static`` (folium defaults to CDNs: blank map offline);
* geometries must be light (simplified in metres, rounded) and strictly polygonal
  (streamlit-folium's ``get_bounds`` fails on GeometryCollections);
* the background must work offline: commune outlines are always drawn, tiles are optional and removed
  as soon as one fails to load.

Every text that Leaflet inserts as HTML (folium's tooltip and our legend use ``innerHTML``) is escaped
here with ``core.text.html_text``, before folium sees it: names of quartiers and communes come from
downloaded files, and a name such as ``<img src=x onerror=…>`` must read as text, never run.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

import settings
from core.text import html_text
from sources.geometry import polygonal_part, repair_invalid
from geodata.classes import MISSING_COLOR, class_index, class_labels, palette, shown_breaks
from geodata.offline_assets import LEAFLET_CSS_URL, LEAFLET_JS_URL
from core.formats import format_value, is_missing, plural
from core.reasons import missing_label

#: Fill opacity of classes / missing values (the legend swatches use the same, so colours match).
CLASS_FILL_OPACITY = 0.8
MISSING_FILL_OPACITY = 0.55
#: Outline of communes (background that always works offline).
COMMUNE_OUTLINE_COLOR = "#8c8c8c"

_MISSING_LEGEND = "Non disponible"
#: Styles of the map, shared by the folium map (``choropleth_map``) and the Carte page's own map
#: (``map_data``, drawn by ``assets/ui/carte_qpv.js``). Tooltip: a bit smaller than folium's 1rem map font, fixed width so long texts wrap (the tooltip
#: pane has no width, so without it a wrapping tooltip shrinks to one word per line). Clicked paths
#: get no focus rectangle (Chrome draws it around the path's bounding box, which reads as a shape).
MAP_CSS = """
.leaflet-tooltip.ecoqpv-infobulle { font-size: 13px; line-height: 1.3; color: #1a1a1a; }
.ecoqpv-infobulle table { width: 16em; border-collapse: collapse; table-layout: fixed; }
.ecoqpv-infobulle th { width: 42%; text-align: left; font-weight: 600; white-space: normal;
                       vertical-align: top; padding: 1px 8px 1px 0; }
.ecoqpv-infobulle td { white-space: normal; vertical-align: top; padding: 1px 0; overflow-wrap: anywhere; }
.leaflet-container path.leaflet-interactive:focus { outline: none; }
.leaflet-container:focus-visible { outline: 3px solid #1f5fa8; outline-offset: -3px; }
.ecoqpv-astuce { background: rgba(255,255,255,0.92); color: #1a1a1a; padding: 2px 6px; border-radius: 3px;
                 font: 12px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
.ecoqpv-limites { display: block; background: rgba(255,255,255,0.92); color: #1a1a1a; padding: 3px 8px;
                  border-radius: 3px; font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
                  cursor: pointer; box-shadow: 0 1px 3px rgba(0,0,0,0.25); }
.ecoqpv-limites input { margin: 0 4px 0 0; vertical-align: middle; cursor: pointer; }
"""
_DISPLAY_CRS = settings.DISPLAY_CRS
FRANCE_CENTER = (46.6, 2.4)

# Folium writes the GeoJSON through Jinja's ``tojson``: keep accented names and labels as UTF-8 instead of
# ``\u00e9`` escapes (a map of France carries thousands of them; the page is UTF-8). Jinja still escapes
# ``<``, ``>``, ``&`` and ``'`` in that JSON, so nothing from the data can close the script.
folium.Map._template.environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}


# --------------------------------------------------------------------------------------------------
# Geometries
# --------------------------------------------------------------------------------------------------


def _has_adjacent_shapes(geoms: np.ndarray) -> bool:
    """True when at least two shapes touch or overlap (only then is coverage simplification useful)."""
    if len(geoms) < 2:
        return False
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return bool((left != right).any())


def _simplify_metric(geoms: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Simplify in metres; shared edges of adjacent shapes are simplified once (no gaps/overlaps)."""
    if tolerance_m <= 0 or len(geoms) == 0:
        return geoms
    if _has_adjacent_shapes(geoms) and bool(shapely.coverage_is_valid(geoms)):
        simplified = shapely.coverage_simplify(geoms, tolerance_m)
    else:
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    return repair_invalid(simplified)


def _metric_crs_per_row(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Metric CRS of each row: local UTM overseas (``insee_dep``), Lambert-93 otherwise."""
    if "insee_dep" in gdf.columns:
        return np.array([settings.metric_crs_for_dep(dep) for dep in gdf["insee_dep"]], dtype=object)
    return np.full(len(gdf), settings.METRIC_CRS, dtype=object)


def simplify_for_web(
    gdf: gpd.GeoDataFrame,
    tolerance_m: float = settings.WEB_SIMPLIFY_M,
    decimals: int = settings.WEB_COORD_DECIMALS,
) -> gpd.GeoDataFrame:
    """Light, valid, strictly polygonal copy of ``gdf`` in EPSG:4326, ready to be sent to a browser.

    Simplification happens in metres (the tolerance means the same thing everywhere), coordinates are
    then rounded to ``decimals`` in degrees. Rows without any polygonal part are dropped; other columns
    and the index are kept.
    """
    if gdf.crs is None:
        raise ValueError("simplify_for_web needs a GeoDataFrame with a CRS (got crs=None)")
    geom_col = gdf.geometry.name
    out = gdf.copy()
    geoms = repair_invalid(np.asarray(out.geometry.values, dtype=object))
    keep = np.array([g is not None for g in geoms], dtype=bool)
    out = out.iloc[np.flatnonzero(keep)]
    geoms = geoms[keep]

    result = np.empty(len(out), dtype=object)
    crs_per_row = _metric_crs_per_row(out)
    for metric_crs in dict.fromkeys(crs_per_row):
        positions = np.flatnonzero(crs_per_row == metric_crs)
        metric = gpd.GeoSeries(geoms[positions], crs=gdf.crs).to_crs(metric_crs)
        simplified = _simplify_metric(np.asarray(metric.values, dtype=object), tolerance_m)
        back = gpd.GeoSeries(simplified, crs=metric_crs).to_crs(_DISPLAY_CRS)
        result[positions] = np.asarray(back.values, dtype=object)

    rounded = _round_coordinates(result, decimals)
    keep = np.array([g is not None for g in rounded], dtype=bool)
    out = out.iloc[np.flatnonzero(keep)].copy()
    out[geom_col] = gpd.GeoSeries(rounded[keep], index=out.index, crs=_DISPLAY_CRS)
    return out.set_geometry(geom_col, crs=_DISPLAY_CRS)


def _round_coordinates(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Snap to a 10^-decimals grid (GEOS keeps the result valid); keep a shape that would vanish."""
    if decimals is None or decimals < 0:
        return geoms
    snapped = shapely.set_precision(geoms, 10.0**-decimals)
    out = np.empty(len(geoms), dtype=object)
    for i, (before, after) in enumerate(zip(geoms, snapped, strict=True)):
        kept = polygonal_part(after)
        # A sliver narrower than the grid collapses: better unrounded than missing from the map.
        out[i] = kept if kept is not None else polygonal_part(before)
    return out


def geojson_bytes(gdf: gpd.GeoDataFrame) -> int:
    """Size in bytes of the GeoJSON text of ``gdf`` (what the browser receives), for the benchmark."""
    return len(gdf.to_json(na="null", drop_id=True).encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# Styles (one definition for both maps)
# --------------------------------------------------------------------------------------------------

#: A QPV under the mouse; commune and département outlines (background, not interactive).
HIGHLIGHT_STYLE: dict[str, Any] = {"weight": 3, "color": "#000000", "fillOpacity": 0.9}
OUTLINE_STYLE: dict[str, Any] = {"color": COMMUNE_OUTLINE_COLOR, "weight": 0.8, "fill": False, "opacity": 0.9}
_ESTIMATED_DASH = "3 2"
#: Below this zoom a QPV (a few hundred metres wide) is outlined thick in its class colour (``_LowZoomEmphasis``).
LOW_ZOOM = 11


def qpv_style(fill: str | None, estimated: bool) -> dict[str, Any]:
    """Leaflet path style of a QPV: its class colour (``fill``), grey with a dashed outline when its value is
    missing (``fill`` None), a fine dashed black outline when its value is an estimate."""
    if fill is None:
        return {"fillColor": MISSING_COLOR, "fillOpacity": MISSING_FILL_OPACITY, "color": "#3d3d3d",
                "weight": 1.2, "dashArray": "4 3"}
    if estimated:
        return {"fillColor": fill, "fillOpacity": CLASS_FILL_OPACITY, "color": "#000000", "weight": 1.2,
                "dashArray": _ESTIMATED_DASH}
    return {"fillColor": fill, "fillOpacity": CLASS_FILL_OPACITY, "color": "#3d3d3d", "weight": 0.8}


# --------------------------------------------------------------------------------------------------
# Map
# --------------------------------------------------------------------------------------------------


class _KnownBounds(folium.GeoJson):
    """A GeoJSON layer whose bounds are given (from the shapes) instead of recomputed by folium, which walks
    every coordinate in Python at each render and each ``get_bounds`` (streamlit-folium asks several times:
    a fifth of a second for the map of France)."""

    def __init__(self, data: Any, bounds: list[list[float]] | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self._known_bounds = bounds

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self._known_bounds is None:
            return super()._get_self_bounds()
        return self._known_bounds


def shape_bounds(shapes: gpd.GeoSeries) -> list[list[float]] | None:
    """[[lat_min, lon_min], [lat_max, lon_max]] of shapes in EPSG:4326 (None when there is none)."""
    shapes = shapes[~shapes.is_empty] if len(shapes) else shapes
    if not len(shapes):
        return None
    minx, miny, maxx, maxy = shapes.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


class _MapSetup(MacroElement):
    """French zoom/scale controls, white background, removal of tiles that cannot load, and a map that
    behaves inside a page (issue #15):

    * the page scroll is not captured: wheel zoom only while the map has the focus (a click or Tab gives
      it, leaving the map or the focus takes it back), with a hint saying so;
    * a click is never lost: Leaflet 1.9.4's keyboard handler focuses the map on mousedown with a plain
      ``focus()``, which inside streamlit-folium's iframe scrolls the *page* to show the whole iframe, so
      the mouseup lands elsewhere and Leaflet sees no click. The same handler with
      ``focus({preventScroll: true})`` keeps keyboard navigation without the scroll;
    * the iframe's own document says it is French, has a French title, and the map is a named region.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.getContainer().style.background = "#ffffff";
            document.documentElement.lang = "fr";
            document.title = "Carte des quartiers";
            map.getContainer().setAttribute("role", "region");
            map.getContainer().setAttribute("aria-label", "Carte des quartiers (cliquer sur la carte pour zoomer à la molette)");
            map.attributionControl.setPrefix("Leaflet");  // Leaflet's own prefix has an English title
            L.control.zoom({position: "topleft", zoomInTitle: "Zoom avant",
                            zoomOutTitle: "Zoom arrière"}).addTo(map);
            L.control.scale({position: "bottomleft", imperial: false}).addTo(map);
            if (map.keyboard) {
                map.keyboard.disable();
                map.keyboard._onMouseDown = function () {
                    if (this._focused) { return; }
                    this._map._container.focus({preventScroll: true});
                };
                map.keyboard.enable();
            }
            map.scrollWheelZoom.disable();
            var hint = L.control({position: "topright"});
            hint.onAdd = function () {
                var div = L.DomUtil.create("div", "ecoqpv-astuce");
                div.textContent = "Cliquez sur la carte pour zoomer à la molette";
                return div;
            };
            hint.addTo(map);
            function wheelOn() { map.scrollWheelZoom.enable(); hint.getContainer().style.display = "none"; }
            function wheelOff() { map.scrollWheelZoom.disable(); hint.getContainer().style.display = ""; }
            map.on("focus click", wheelOn);
            map.on("blur", wheelOff);
            map.getContainer().addEventListener("mouseleave", wheelOff);
            {%- if this.tile_layer %}
            var tiles = {{ this.tile_layer.get_name() }};
            tiles.once("tileerror", function () {
                if (map.hasLayer(tiles)) { map.removeLayer(tiles); }
            });
            {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tile_layer: folium.TileLayer | None = None) -> None:
        super().__init__()
        self._name = "MapSetup"
        self.tile_layer = tile_layer
        self.css = MAP_CSS


class _LowZoomEmphasis(MacroElement):
    """Below ``min_zoom``, outline each QPV in its own class colour, thick: a neighbourhood is a
    few hundred metres wide, a speck at region scale. Restyling goes through the layer's ``style``
    option so that the hover reset (``resetStyle``) keeps it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            var base = layer.options.style;
            layer.options.style = function (feature) {
                var style = Object.assign({}, base(feature));
                var zoom = map.getZoom();
                if (zoom < {{ this.min_zoom }}) {
                    style.color = style.fillColor;
                    style.weight = zoom < {{ this.min_zoom - 2 }} ? 6 : 4;
                    style.opacity = 1;
                }
                return style;
            };
            map.on("zoomend", function () { layer.setStyle(layer.options.style); });
            layer.setStyle(layer.options.style);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.GeoJson, min_zoom: int = LOW_ZOOM) -> None:
        super().__init__()
        self._name = "LowZoomEmphasis"
        self.layer = layer
        self.min_zoom = min_zoom


class LegendControl(MacroElement):
    """Legend as a Leaflet control: inside the map, so it survives iframes and exports alike (its HTML is
    built by the caller, every text escaped; also used by ``geodata.workshop_map``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "ecoqpv-legende");
                div.innerHTML = {{ this.legend_html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.legend_html = legend_html


def _swatch(fill: str, opacity: float, border: str) -> str:
    """Legend colour box drawn like the map's polygons (same fill opacity, same outline)."""
    return (
        '<span aria-hidden="true" style="position:relative;display:inline-block;width:18px;'
        'height:12px;margin-right:6px;vertical-align:-1px">'
        f'<span style="position:absolute;inset:0;background:{fill};opacity:{opacity}"></span>'
        f'<span style="position:absolute;inset:0;border:{border};box-sizing:border-box"></span>'
        "</span>"
    )


def legend_html(
    label: str, unit: str, vintage: str, breaks: list[float], decimals: int, estimated: int = 0
) -> str:
    """HTML of the legend box (French text; every text escaped); ``estimated``: how many values shown are
    estimates (they get their own entry: fine dashed outline, interval in the tooltip)."""
    rows = [
        f"<div>{_swatch(color, CLASS_FILL_OPACITY, '1px solid #3d3d3d')}{html_text(text)}</div>"
        for color, text in zip(
            palette(breaks),
            class_labels(breaks, unit, decimals),
            strict=True,
        )
    ]
    if estimated:
        said = f"Estimation ({plural(estimated, 'valeur')} : contour en tirets fins, intervalle dans l’infobulle)"
        rows.append(f"<div>{_swatch('#ffffff', 0.0, '1.5px dotted #000000')}{html_text(said)}</div>")
    rows.append(
        f"<div>{_swatch(MISSING_COLOR, MISSING_FILL_OPACITY, '1.5px dashed #3d3d3d')}"
        f"{html_text(_MISSING_LEGEND)}</div>"
    )
    details = []
    if unit:
        details.append(f"Unité : {html_text(unit)}")
    if vintage:
        details.append(f"Millésime : {html_text(vintage)}")
    note = "Classes : quantiles (effectifs égaux)" if len(breaks) > 2 else ""
    return (
        '<div role="group" aria-label="Légende" style="background:rgba(255,255,255,0.95);'
        "color:#1a1a1a;font:12px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "padding:6px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.35);"
        'max-width:210px">'
        f'<div style="font-weight:700;margin-bottom:2px">{html_text(label)}</div>'
        + (f'<div style="color:#404040;margin-bottom:4px">{" · ".join(details)}</div>' if details else "")
        + "".join(rows)
        + (f'<div style="color:#404040;font-size:11px;margin-top:3px">{note}</div>' if note else "")
        + "</div>"
    )


def map_legend_html(qpv: gpd.GeoDataFrame, value_col: str, *, label: str, unit: str, vintage: str,
                    decimals: int) -> str:
    """The legend of ``choropleth_map(qpv, value_col, …)`` for the page to draw beside the map (same classes)."""
    breaks = shown_breaks(qpv[value_col] if value_col in qpv else [], decimals, unit=unit)
    estimated_col = f"{value_col}{ESTIMATED_SUFFIX}"
    estimated = 0
    if estimated_col in qpv and value_col in qpv:
        known = pd.to_numeric(qpv[value_col], errors="coerce").notna()
        estimated = int((qpv[estimated_col].fillna(False).astype(bool) & known).sum())
    return legend_html(label, unit, vintage, breaks, decimals, estimated)


def _json_value(value: object) -> object:
    """JSON-safe scalar: NaN/NA → None (NaN is not valid JSON for the component's round-trip)."""
    if is_missing(value):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


#: Optional columns of the QPV frame that say what each value is (``assembly.layers`` fills them from the
#: data): the value as it reads (an estimate with its interval), the nature of the value in words, its own
#: vintage and source, and whether it is an estimate (drawn with a fine dashed outline). The tooltip shows
#: all but the source, which the page says under the map (``sources_by_nature``): a long text repeated on
#: 1,362 quartiers would weigh on the map of France.
TEXT_SUFFIX, NATURE_SUFFIX, VINTAGE_SUFFIX, SOURCE_SUFFIX, ESTIMATED_SUFFIX = (
    "_texte", "_nature_texte", "_millesime", "_source", "_estime")


def _optional(qpv: gpd.GeoDataFrame, column: str) -> pd.Series:
    return qpv[column] if column in qpv else pd.Series(pd.NA, index=qpv.index, dtype="object")


def feature_records(
    qpv: gpd.GeoDataFrame, value_col: str, unit: str, vintage: str, decimals: int
) -> list[dict[str, Any]]:
    """One record per QPV with what its tooltip and its click need, texts **not** escaped (each map escapes
    them for its own way of inserting them).

    ``code_qp`` is the key (what a click returns). With the optional columns (``TEXT_SUFFIX``…), a value says
    what it is: « 41,3 % (estimation, intervalle à 90 % : 34,6 à 48,4 %) », its nature and vintage.
    """
    reason_col = f"{value_col}_missing_reason"
    described = f"{value_col}{NATURE_SUFFIX}" in qpv
    props = pd.DataFrame(
        {
            "code_qp": qpv["code_qp"].astype("string"),
            "lib_qp": qpv["lib_qp"].astype("string"),
            "lib_com": qpv["lib_com"].astype("string") if "lib_com" in qpv else pd.NA,
            value_col: pd.to_numeric(qpv[value_col], errors="coerce"),
            reason_col: qpv[reason_col] if reason_col in qpv else pd.NA,
            "texte": _optional(qpv, f"{value_col}{TEXT_SUFFIX}"),
            "nature": _optional(qpv, f"{value_col}{NATURE_SUFFIX}"),
            "millesime": _optional(qpv, f"{value_col}{VINTAGE_SUFFIX}"),
            "estime": _optional(qpv, f"{value_col}{ESTIMATED_SUFFIX}"),
        },
        index=qpv.index,
    )
    records = []
    for record in props.to_dict("records"):
        value = _json_value(record[value_col])
        reason = _json_value(record[reason_col]) or None
        if value is None:
            shown = f"non disponible : {missing_label(reason)}"
        else:
            shown = _json_value(record["texte"]) or format_value(value, unit, decimals)
        out = {
            "code_qp": _json_value(record["code_qp"]),
            "lib_qp": _json_value(record["lib_qp"]),
            "lib_com": _json_value(record["lib_com"]),
            # Two decimals more than shown: enough to class it again, not 16 digits per quartier.
            value_col: value if value is None else round(float(value), decimals + 2),
            "valeur_affichee": shown,
            "millesime": _json_value(record["millesime"]) or vintage,
        }
        if reason is not None:  # only missing values have one (fewer bytes for a map of France)
            out[reason_col] = reason
        if described:
            out["nature"] = _json_value(record["nature"]) or "—"
            if value is not None and bool(_json_value(record["estime"]) or False):
                out["estime"] = True
        records.append(out)
    return records


#: Texts of a feature record that come from the data (names from downloaded files) or are shown as text.
_TEXT_FIELDS = ("lib_qp", "lib_com", "valeur_affichee", "millesime", "nature")


def _qpv_features(
    qpv: gpd.GeoDataFrame, value_col: str, unit: str, vintage: str, decimals: int
) -> dict[str, Any]:
    """FeatureCollection for folium: every text property is HTML-escaped, since folium's tooltip inserts
    them with ``innerHTML``."""
    records = feature_records(qpv, value_col, unit, vintage, decimals)
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    for geom, record in zip(qpv.geometry, records, strict=True):
        properties = {k: (html_text(v) if k in _TEXT_FIELDS else v) for k, v in record.items()}
        collection["features"].append(
            {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geom)}
        )
    return collection


def sources_by_nature(qpv: gpd.GeoDataFrame, value_col: str) -> list[tuple[str, int, str]]:
    """(nature in words, number of values, vintage — source) of the values of a layer, for the line under the
    map; empty when the layer has no such columns."""
    nature, vintage, source = (f"{value_col}{NATURE_SUFFIX}", f"{value_col}{VINTAGE_SUFFIX}",
                               f"{value_col}{SOURCE_SUFFIX}")
    if nature not in qpv or value_col not in qpv:
        return []
    shown = qpv[qpv[value_col].notna()]
    groups = shown.groupby([shown[nature].fillna(""), shown[vintage].fillna(""), shown[source].fillna("")], sort=False)
    return [(str(n), int(len(g)), " — ".join(x for x in (str(v), str(src)) if x)) for (n, v, src), g in groups]


def outline_features(communes: gpd.GeoDataFrame) -> dict[str, Any]:
    """Commune outlines without properties: only the lines are needed, so send only them."""
    shapes = communes.to_crs(_DISPLAY_CRS).geometry if communes.crs else communes.geometry
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(geom)}
            for geom in shapes
            if geom is not None and not geom.is_empty
        ],
    }


def choropleth_map(
    qpv: gpd.GeoDataFrame,
    value_col: str,
    *,
    label: str,
    unit: str,
    vintage: str,
    decimals: int,
    communes: gpd.GeoDataFrame | None,
    tiles: bool = settings.MAP_TILES,
    legend: bool = True,
) -> folium.Map:
    """Choropleth of one indicator over the QPV, loading Leaflet only from ``/app/static``.

    ``qpv`` (EPSG:4326, already simplified) has ``code_qp``, ``lib_qp``, ``lib_com``, ``value_col`` and
    ``<value_col>_missing_reason``. Each feature keeps ``code_qp``/``lib_qp`` in its properties for
    ``st_folium(...)["last_active_drawing"]``. Tooltip values are inserted as HTML by folium: every
    text (names included: they come from downloaded files) is escaped before it reaches folium.
    ``legend=False``: no legend on the map (the page draws ``map_legend_html`` beside it, hiding nothing).
    """
    if qpv.crs is not None and qpv.crs != _DISPLAY_CRS:
        qpv = qpv.to_crs(_DISPLAY_CRS)
    has_shapes = len(qpv) > 0 and not qpv.geometry.is_empty.all()
    if has_shapes:
        minx, miny, maxx, maxy = qpv.total_bounds
        center = [(miny + maxy) / 2, (minx + maxx) / 2]
    else:
        center = list(FRANCE_CENTER)

    fmap = folium.Map(
        location=center,
        zoom_start=11 if has_shapes else 5,
        tiles=None,
        zoom_control=False,  # re-added with French titles by _MapSetup
        scroll_wheel_zoom=False,  # turned on while the map has the focus (_MapSetup)
        prefer_canvas=False,  # SVG paths: clickable, and countable by the browser tests
    )
    # Only Leaflet, from our own server: no jQuery/Bootstrap/awesome-markers from CDNs.
    fmap.default_js = [("leaflet", LEAFLET_JS_URL)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS_URL)]

    tile_layer = None
    if tiles:
        tile_layer = folium.TileLayer(
            tiles=settings.TILE_URL,
            attr=settings.TILE_ATTRIBUTION,
            name="Fond OpenStreetMap",
            max_zoom=19,
            control=False,
        )
        tile_layer.add_to(fmap)
    _MapSetup(tile_layer).add_to(fmap)

    if communes is not None and len(communes) > 0:
        _KnownBounds(
            outline_features(communes),
            bounds=shape_bounds(communes.to_crs(_DISPLAY_CRS).geometry if communes.crs else communes.geometry),
            name="Communes",
            control=False,
            style_function=lambda _feature: OUTLINE_STYLE,
            interactive=False,
        ).add_to(fmap)

    breaks = shown_breaks(qpv[value_col] if value_col in qpv else [], decimals, unit=unit)
    features = _qpv_features(qpv, value_col, unit, vintage, decimals)
    estimated = sum(1 for f in features["features"] if f["properties"].get("estime"))
    if features["features"]:  # folium's tooltip cannot be bound to an empty layer
        layer = _qpv_layer(features, value_col, label, breaks, shape_bounds(qpv.geometry))
        layer.add_to(fmap)
        _LowZoomEmphasis(layer).add_to(fmap)

    if legend:
        LegendControl(legend_html(label, unit, vintage, breaks, decimals, estimated)).add_to(fmap)
    if has_shapes:
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _qpv_layer(
    features: dict[str, Any], value_col: str, label: str, breaks: list[float],
    bounds: list[list[float]] | None = None,
) -> folium.GeoJson:
    """QPV polygons: class colour, grey dashed when missing, French tooltip, hover highlight."""
    colors = palette(breaks)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        index = class_index(feature["properties"].get(value_col), breaks)
        return qpv_style(None if index is None else colors[index], bool(feature["properties"].get("estime")))

    described = bool(features["features"]) and "nature" in features["features"][0]["properties"]
    fields = ["lib_qp", "lib_com", "valeur_affichee"] + (["nature"] if described else []) + ["millesime"]
    aliases = ["Quartier", "Commune", html_text(label)] + (["Nature de la valeur"] if described else []) + ["Millésime"]
    return _KnownBounds(
        features,
        bounds=bounds,
        name="Quartiers prioritaires",
        control=False,
        style_function=style,
        highlight_function=lambda _feature: HIGHLIGHT_STYLE,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True, class_name="ecoqpv-infobulle"),
    )
