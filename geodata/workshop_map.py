"""Workshop maps (Mode atelier): a plan of the quartiers, zones drawn by class, a legend, and the presentation
behaviour (large legend, arrow keys that move the slides even when the map has the focus).

Maps of one indicator over the quartiers come from ``geodata.webmap.choropleth_map``; this module adds what the
workshop needs beside it: a background map for the slides that are not a choropleth of the quartiers (the heat
classes of the local climate zones by IRIS, the context of each commune, or a plain plan with the names), drawn
with the same offline rules as ``webmap`` (Leaflet from ``/app/static``, commune outlines always drawn, tiles
optional and removed as soon as one fails to load). Every text is escaped or set as text.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from folium.template import Template

import settings
from core.text import html_text
from geodata.offline_assets import LEAFLET_CSS_URL, LEAFLET_JS_URL
from geodata.webmap import COMMUNE_OUTLINE_COLOR, LegendControl

#: Heat classes of the local climate zones as the bundle groups them by IRIS (``High``/``Medium``/``Low``):
#: id → (French label, colour). A warm sequential scale (ColorBrewer OrRd), dark = more heat.
HEAT_CLASSES: dict[str, tuple[str, str]] = {
    "High": ("Forte : bâti dense, sols minéraux", "#d7301f"),
    "Medium": ("Moyenne : bâti plus ouvert, un peu de végétation", "#fc8d59"),
    "Low": ("Faible : végétation, eau, sols naturels", "#fdd49e"),
}
#: Fill of the quartiers on a plan (no data: a light tint so that they stand out from the communes).
PLAN_FILL = "#9ecae1"
QPV_OUTLINE = "#1a1a1a"
ZONE_OPACITY = 0.75

#: Leaflet's credit without its default flag image, with a French title (the same on every workshop map).
ATTRIBUTION_PREFIX = '<a href="https://leafletjs.com" title="Bibliothèque de cartes Leaflet">Leaflet</a>'

_LEGEND_STYLE = ("background:rgba(255,255,255,0.95);color:#1a1a1a;font:13px/1.35 system-ui,-apple-system,"
                 "'Segoe UI',Roboto,sans-serif;padding:6px 8px;border-radius:4px;"
                 "box-shadow:0 1px 4px rgba(0,0,0,0.35);max-width:260px")


class _Setup(MacroElement):
    """French zoom titles, metric scale, white background, tiles removed at the first failure."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.getContainer().style.background = "#ffffff";
            if (map.attributionControl) { map.attributionControl.setPrefix({{ this.prefix|tojson }}); }
            L.control.zoom({position: "topleft", zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"}).addTo(map);
            L.control.scale({position: "bottomleft", imperial: false}).addTo(map);
            {%- if this.tile_layer %}
            var tiles = {{ this.tile_layer.get_name() }};
            tiles.once("tileerror", function () { if (map.hasLayer(tiles)) { map.removeLayer(tiles); } });
            {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tile_layer: folium.TileLayer | None) -> None:
        super().__init__()
        self._name = "WorkshopSetup"
        self.tile_layer = tile_layer
        self.prefix = ATTRIBUTION_PREFIX


def _collection(frame: gpd.GeoDataFrame, properties: list[str]) -> dict[str, Any]:
    if frame.crs is not None and frame.crs != settings.DISPLAY_CRS:
        frame = frame.to_crs(settings.DISPLAY_CRS)
    features = []
    for geom, record in zip(frame.geometry, frame[properties].to_dict("records"), strict=True):
        if geom is None or geom.is_empty:
            continue
        props = {key: (html_text(value) if isinstance(value, str) else value) for key, value in record.items()}
        features.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def base_map(bounds: list[list[float]] | None, tiles: bool = settings.MAP_TILES) -> folium.Map:
    """An empty map fitted on ``bounds`` ([[lat_min, lon_min], [lat_max, lon_max]]), Leaflet served locally."""
    if bounds:
        center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    else:
        center = [46.6, 2.4]
    fmap = folium.Map(location=center, zoom_start=12 if bounds else 5, tiles=None, zoom_control=False,
                      prefer_canvas=False)
    fmap.default_js = [("leaflet", LEAFLET_JS_URL)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    tile_layer = None
    if tiles:
        tile_layer = folium.TileLayer(tiles=settings.TILE_URL, attr=settings.TILE_ATTRIBUTION,
                                      name="Fond OpenStreetMap", max_zoom=19, control=False)
        tile_layer.add_to(fmap)
    _Setup(tile_layer).add_to(fmap)
    if bounds:
        fmap.fit_bounds(bounds, padding=(20, 20))
    return fmap


def add_commune_outlines(fmap: folium.Map, communes: gpd.GeoDataFrame | None) -> None:
    if communes is None or not len(communes):
        return
    folium.GeoJson(_collection(communes, []), name="Communes", control=False, interactive=False,
                   style_function=lambda _f: {"color": COMMUNE_OUTLINE_COLOR, "weight": 1.0, "fill": False,
                                              "opacity": 0.9}).add_to(fmap)


def add_zones(fmap: folium.Map, zones: gpd.GeoDataFrame, name: str) -> None:
    """Polygons filled with their own ``couleur``, named in a tooltip by ``libelle`` (IRIS, communes)."""
    if zones is None or not len(zones):
        return
    folium.GeoJson(
        _collection(zones, ["couleur", "libelle"]), name=name, control=False,
        style_function=lambda f: {"fillColor": f["properties"]["couleur"], "fillOpacity": ZONE_OPACITY,
                                  "color": "#ffffff", "weight": 0.6, "opacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["libelle"], labels=False, sticky=True),
    ).add_to(fmap)


def add_quartiers(fmap: folium.Map, qpv: gpd.GeoDataFrame, filled: bool) -> None:
    """The quartiers as thick outlines (``filled``: a light tint, for a plan without data); each keeps its code
    and name in its properties, and its name and commune in a tooltip."""
    if qpv is None or not len(qpv):
        return
    style = {"color": QPV_OUTLINE, "weight": 2.5, "opacity": 1,
             "fillColor": PLAN_FILL, "fillOpacity": 0.45 if filled else 0.0}
    fields = ["lib_qp", "lib_com"] if "lib_com" in qpv else ["lib_qp"]
    folium.GeoJson(_collection(qpv, ["code_qp", *fields]), name="Quartiers prioritaires", control=False,
                   style_function=lambda _f: dict(style),
                   highlight_function=lambda _f: {"weight": 4},
                   tooltip=folium.GeoJsonTooltip(fields=fields, aliases=["Quartier", "Commune"][:len(fields)],
                                                 sticky=True),
                   ).add_to(fmap)


def legend_html(title: str, entries: list[tuple[str, str]], details: str = "", large: bool = False) -> str:
    """Legend box: a title, one line per (label, colour), an optional line of details; every text escaped.

    ``large``: for a projector, beside the map (type that grows with the screen, bigger colour boxes)."""
    box = "width:1.6em;height:1.05em" if large else "width:18px;height:12px"
    rows = "".join(
        f'<div style="margin:2px 0"><span aria-hidden="true" style="display:inline-block;{box};margin-right:0.45em;'
        f'vertical-align:-0.15em;background:{colour};opacity:{ZONE_OPACITY};border:1px solid #3d3d3d"></span>'
        f"{html_text(label)}</div>"
        for label, colour in entries)
    more = f'<div style="color:#404040;margin-top:3px">{html_text(details)}</div>' if details else ""
    style = (_LEGEND_STYLE if not large else
             "color:#1a1a1a;font:clamp(17px, 1.2vw, 26px)/1.3 'Source Sans', system-ui, sans-serif;"
             "padding:0.2em 0 0.4em 0")
    return (f'<div role="group" aria-label="Légende" style="{style}">'
            f'<div style="font-weight:700;margin-bottom:3px">{html_text(title)}</div>{rows}{more}</div>')


def add_legend(fmap: folium.Map, title: str, entries: list[tuple[str, str]], details: str = "") -> None:
    LegendControl(legend_html(title, entries, details)).add_to(fmap)


_PRESENTATION_CSS = """
.ecoqpv-legende { display: none !important; }
.ecoqpv-legende > div { font-size: 17px !important; line-height: 1.35 !important; max-width: 340px !important;
    padding: 8px 11px !important; }
.ecoqpv-legende span[aria-hidden] { width: 24px !important; height: 16px !important; }
.leaflet-control-scale-line { font-size: 14px; padding: 2px 6px; }
.leaflet-control-zoom a { width: 38px !important; height: 38px !important; line-height: 38px !important;
    font-size: 24px !important; }
.leaflet-tooltip.foliumtooltip, .leaflet-tooltip { font-size: 16px; }
#map_div { height: calc(100vh - 4px) !important; }
"""


class _Presentation(MacroElement):
    """Projector layout: larger legend and controls, the map as tall as its frame, and ← → sent to the page.

    Leaflet pans with the arrow keys when the map has the focus (after a click on it): in presentation mode the
    arrows move the slides instead, by clicking the page's own « précédent » / « suivant » buttons (found by
    their Streamlit key; the component's frame is served by the same server, so the page is reachable).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var keys = {{ this.keys|tojson }};
            if (map.keyboard) { map.keyboard.disable(); }
            if (map.attributionControl) { map.attributionControl.setPrefix({{ this.prefix|tojson }}); }
            document.addEventListener("keydown", function (event) {
                var key = keys[event.key];
                if (!key || event.altKey || event.ctrlKey || event.metaKey) { return; }
                try {
                    var button = window.parent.document.querySelector(".st-key-" + key + " button");
                    if (button && !button.disabled) { event.preventDefault(); button.click(); }
                } catch (error) { /* another origin: the page keeps its own keys */ }
            });
            var bounds = {{ this.bounds|tojson }};
            var touched = false;  // once the person moves the map, it is never re-fitted under their hand
            ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (name) {
                map.getContainer().addEventListener(name, function () { touched = true; }, {passive: true});
            });
            function fit() {
                map.invalidateSize();
                if (bounds && !touched) {
                    map.options.zoomSnap = 0.25;  // the territory fills the projected map, not half of it
                    map.fitBounds(bounds, {padding: [36, 36], maxZoom: {{ this.max_zoom }}, animate: false});
                }
            }
            window.addEventListener("resize", fit);
            // The frame takes its projected size in steps (width from the page, height from its style): fit again.
            // ``window.ecoqpvAjuste``: the last of these fits is done (what a browser test waits for).
            map.whenReady(function () { [0, 250, 800].forEach(function (ms) {
                setTimeout(function () { fit(); if (ms === 800) { window.ecoqpvAjuste = true; } }, ms);
            }); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, previous_key: str, next_key: str, bounds: list[list[float]] | None, max_zoom: int) -> None:
        super().__init__()
        self._name = "WorkshopPresentation"
        self.bounds = bounds
        self.max_zoom = int(max_zoom)
        self.keys = {"ArrowLeft": previous_key, "ArrowRight": next_key}
        self.prefix = ATTRIBUTION_PREFIX
        self.css = _PRESENTATION_CSS


def add_presentation(fmap: folium.Map, previous_key: str, next_key: str, bounds: list[list[float]] | None = None,
                     max_zoom: int = 16) -> None:
    """Projector layout and arrow keys (see ``_Presentation``); the keys are Streamlit widget keys. ``bounds``
    ([[lat_min, lon_min], [lat_max, lon_max]]) are fitted once the map has its projected size, to a quarter of a
    zoom level, so that the quartiers (or the chosen one) fill the screen."""
    _Presentation(previous_key, next_key, bounds, max_zoom).add_to(fmap)
