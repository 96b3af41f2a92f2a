"""Names on the workshop maps, and the zoom on one quartier.

A group in a room reads the map from a distance: the quartiers and communes must be named on the map itself,
not in a tooltip. :func:`label_points` chooses where each name goes (a point inside the shape) and in which
order names are kept when they would overlap (the chosen quartier first, then the larger quartiers, then the
communes); :func:`add_labels` draws them on a folium map as permanent labels, hiding in the browser, after each
zoom, those that would overlap one already drawn or stick out of the map. :func:`add_focus` outlines one quartier
and zooms on it.

Names come from downloaded files: they are put in the page with ``textContent`` (never as HTML), and their JSON
goes through Jinja's ``tojson`` (``<``, ``>``, ``&`` and quotes escaped), so a name can never become markup.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

import settings

#: Label kinds (CSS classes ``ecoqpv-nom-<kind>``).
QPV, COMMUNE = "qpv", "commune"


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        frame = frame.set_crs(settings.DISPLAY_CRS)
    return frame.to_crs(settings.METRIC_CRS)


def label_points(qpv: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None = None,
                 commune_codes: list[str] | None = None, selected: str | None = None) -> list[dict[str, Any]]:
    """Where to write each name, in order of priority (first kept when two overlap).

    ``qpv``: shapes with ``code_qp`` and ``lib_qp``; ``communes``: outlines with ``insee_com`` and ``lib_com``
    (only those in ``commune_codes`` are named; all when None). Each point is a dict ``lat``, ``lon``, ``texte``,
    ``type`` (``qpv`` or ``commune``), ``code`` and ``choisi`` (the selected quartier, which also carries its
    ``commune``: written under its name, since the commune's own label is out of view). A quartier's point is on
    its northern edge, above a point inside it (the label is drawn just above: it never hides the quartier); a
    commune's point is inside it, near its quartiers but clear of them. The chosen quartier's name is written
    inside it (the map is zoomed on it).
    """
    points: list[dict[str, Any]] = []
    if qpv is not None and len(qpv):
        shapes = qpv[qpv.geometry.notna() & ~qpv.geometry.is_empty]
        metric = _metric(shapes)
        area = metric.geometry.area.to_numpy()
        inside = gpd.GeoSeries(metric.geometry.representative_point(), crs=metric.crs).to_crs(settings.DISPLAY_CRS)
        # A quartier's name sits just above its northern edge, so that the label never hides a small quartier.
        display = shapes.to_crs(settings.DISPLAY_CRS) if shapes.crs is not None else shapes
        north = display.geometry.bounds["maxy"].to_numpy()
        communes_of = shapes["lib_com"] if "lib_com" in shapes else pd.Series("", index=shapes.index)
        rows = pd.DataFrame({"code": shapes["code_qp"].astype(str).to_numpy(),
                             "texte": shapes["lib_qp"].astype("string").fillna("").to_numpy(),
                             "commune": communes_of.astype("string").fillna("").to_numpy(),
                             "aire": area, "lat": north, "lon": inside.x.to_numpy(), "dedans": inside.y.to_numpy()})
        rows["choisi"] = rows["code"] == (selected or "")
        # The map is zoomed on the chosen quartier: its northern edge is at the top of the view, where a name
        # above it would be cut off; its name goes inside it (it fills the view, so the name hides little of it).
        rows.loc[rows["choisi"], "lat"] = rows.loc[rows["choisi"], "dedans"]
        rows = rows.sort_values(["choisi", "aire"], ascending=[False, False], kind="stable")
        for row in rows.itertuples(index=False):
            if row.texte:
                point = {"lat": round(float(row.lat), 6), "lon": round(float(row.lon), 6), "texte": str(row.texte),
                         "type": QPV, "code": row.code, "choisi": bool(row.choisi)}
                if row.choisi and row.commune:  # zoomed on it: its commune is named with it, always in view
                    point["commune"] = str(row.commune)
                points.append(point)
    if communes is not None and len(communes) and {"insee_com", "lib_com"} <= set(communes.columns):
        chosen = communes if commune_codes is None else communes[communes["insee_com"].isin(set(commune_codes))]
        chosen = chosen[chosen.geometry.notna() & ~chosen.geometry.is_empty]
        if len(chosen):
            metric = _metric(chosen)
            inside = gpd.GeoSeries(commune_points(metric, qpv), index=metric.index, crs=metric.crs).to_crs(
                settings.DISPLAY_CRS)
            order = metric.geometry.area.sort_values(ascending=False, kind="stable").index
            for index in order:
                name = chosen.at[index, "lib_com"]
                if pd.isna(name) or not str(name):
                    continue
                points.append({"lat": round(float(inside[index].y), 6), "lon": round(float(inside[index].x), 6),
                               "texte": str(name), "type": COMMUNE, "code": str(chosen.at[index, "insee_com"]),
                               "choisi": False})
    return points


def commune_points(communes_metric: gpd.GeoDataFrame, qpv: gpd.GeoDataFrame | None) -> list:
    """Where each commune's name goes: inside the commune, near its quartiers (the map is fitted on them, so a
    point at the far end of a large commune would be out of view) but clear of them and of their names, which
    sit just above each quartier. Falls back to the commune's own inside point. ``communes_metric``: in a metric
    CRS (the points are in that CRS); also used by the posters (``reports.posters``)."""
    points = list(communes_metric.geometry.representative_point())
    if qpv is None or not len(qpv):
        return points
    shapes = qpv[qpv.geometry.notna() & ~qpv.geometry.is_empty]
    shapes = shapes.to_crs(communes_metric.crs) if shapes.crs is not None else _metric(shapes)
    if shapes.empty:
        return points
    for position, commune in enumerate(communes_metric.geometry):
        if commune is None or commune.is_empty:
            continue
        own = shapes[shapes.geometry.intersects(commune)]
        if own.empty:
            continue
        minx, miny, maxx, maxy = own.total_bounds
        span = max(maxx - minx, maxy - miny, 1000.0)
        view = shapely.box(minx, miny, maxx, maxy)
        # Clear of the quartiers and of the band above each one, where its name is written.
        keep_out = shapely.union_all([shapely.box(x0 - span * 0.04, y0 - span * 0.04, x1 + span * 0.04,
                                                  y1 + span * 0.09) for x0, y0, x1, y1 in own.geometry.bounds.to_numpy()])
        free = commune.intersection(view).difference(keep_out)
        if free.is_empty or free.area < (span * 0.05) ** 2:
            continue
        parts = getattr(free, "geoms", [free])
        largest = max(parts, key=lambda part: part.area)
        points[position] = largest.representative_point()
    return points


_LABEL_CSS = """
.ecoqpv-etiquette { background: none; border: none; }
.ecoqpv-etiquette span { position: absolute; transform: translate(-50%, -50%); width: max-content;
    max-width: 13em; text-align: center; pointer-events: none; line-height: 1.15; }
.ecoqpv-etiquette span.ecoqpv-nom-qpv { transform: translate(-50%, calc(-100% - 3px)); }
.ecoqpv-nom-qpv { font: 700 {{ qpv_px }}px/1.15 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: #111111; background: rgba(255, 255, 255, 0.86); border: 1px solid #555555; border-radius: 3px;
    padding: 1px 5px; }
.ecoqpv-nom-choisi { font-size: {{ selected_px }}px; border: 2px solid #111111; background: #ffffff; }
.ecoqpv-etiquette span.ecoqpv-nom-qpv.ecoqpv-nom-choisi { transform: translate(-50%, -50%); }
.ecoqpv-etiquette span.ecoqpv-nom-sous { position: static; transform: none; font-style: italic; font-weight: 600;
    font-size: {{ commune_px }}px; color: #3a3a3a; text-transform: uppercase; letter-spacing: 0.04em; }
.ecoqpv-nom-commune { font: italic 600 {{ commune_px }}px/1.1 system-ui, -apple-system, 'Segoe UI', Roboto,
    sans-serif; color: #3a3a3a; letter-spacing: 0.04em; text-transform: uppercase;
    text-shadow: 0 0 3px #ffffff, 0 0 3px #ffffff, 0 0 4px #ffffff, 0 0 4px #ffffff; }
"""


class _Labels(MacroElement):
    """Permanent name labels in their own pane above the shapes, decluttered after each move."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pane = map.createPane("ecoqpvNoms");
            pane.style.zIndex = 640;
            pane.style.pointerEvents = "none";
            var items = {{ this.points|tojson }};
            var markers = items.map(function (item) {
                var span = document.createElement("span");
                span.className = "ecoqpv-nom ecoqpv-nom-" + item.type + (item.choisi ? " ecoqpv-nom-choisi" : "");
                span.textContent = item.texte;
                span.setAttribute("data-code", item.code);
                if (item.commune) {
                    var commune = document.createElement("span");
                    commune.className = "ecoqpv-nom-sous";
                    commune.textContent = item.commune;
                    span.appendChild(document.createElement("br"));
                    span.appendChild(commune);
                }
                var icon = L.divIcon({className: "ecoqpv-etiquette", html: span, iconSize: null});
                return L.marker([item.lat, item.lon], {icon: icon, interactive: false, keyboard: false,
                                                       pane: "ecoqpvNoms"}).addTo(map);
            });
            function declutter() {
                var box = map.getContainer().getBoundingClientRect();
                var placed = [];
                markers.forEach(function (marker) {
                    var element = marker.getElement();
                    if (!element || !element.firstChild) { return; }
                    element.style.visibility = "visible";
                    var r = element.firstChild.getBoundingClientRect();
                    var inside = r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
                    var clash = placed.some(function (p) {
                        return !(r.right + 2 < p.left || r.left - 2 > p.right || r.bottom + 1 < p.top || r.top - 1 > p.bottom);
                    });
                    if (!inside || clash) {
                        element.style.visibility = "hidden";
                    } else {
                        placed.push(r);
                    }
                });
            }
            map.on("zoomend moveend resize", declutter);
            // Again once the frame has its final size and the fonts are in (a late resize moves no marker event).
            map.whenReady(function () { [0, 300, 1200].forEach(function (ms) { setTimeout(declutter, ms); }); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: list[dict[str, Any]], large: bool) -> None:
        super().__init__()
        self._name = "NameLabels"
        self.points = points
        sizes = {"qpv_px": 18, "selected_px": 23, "commune_px": 16} if large else \
            {"qpv_px": 13, "selected_px": 16, "commune_px": 12}
        css = _LABEL_CSS
        for key, value in sizes.items():
            css = css.replace("{{ " + key + " }}", str(value))
        self.css = css


def add_labels(fmap: folium.Map, points: list[dict[str, Any]], large: bool = False) -> folium.Map:
    """Write the names of :func:`label_points` on ``fmap`` (``large``: for a projector)."""
    if points:
        _Labels(points, large).add_to(fmap)
    return fmap


def focus_bounds(qpv: gpd.GeoDataFrame, code: str | None) -> list[list[float]] | None:
    """[[lat_min, lon_min], [lat_max, lon_max]] of one quartier (None when it is not among the shapes)."""
    if not code or qpv is None or not len(qpv):
        return None
    shapes = qpv[qpv["code_qp"].astype(str) == str(code)]
    shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty]
    if shapes.empty:
        return None
    if shapes.crs is not None and shapes.crs != settings.DISPLAY_CRS:
        shapes = shapes.to_crs(settings.DISPLAY_CRS)
    minx, miny, maxx, maxy = shapes.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def add_focus(fmap: folium.Map, qpv: gpd.GeoDataFrame, code: str | None, padding: int = 60) -> bool:
    """Outline one quartier (white casing under a black line, readable on any colour) and zoom on it.

    The zoom is added after every other element, so it wins over the map's own fit on the territory.
    Returns False when the quartier is not among the shapes (nothing changed).
    """
    bounds = focus_bounds(qpv, code)
    if bounds is None:
        return False
    shape = qpv[qpv["code_qp"].astype(str) == str(code)]
    if shape.crs is not None and shape.crs != settings.DISPLAY_CRS:
        shape = shape.to_crs(settings.DISPLAY_CRS)
    outline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": geom.__geo_interface__}
        for geom in shape.geometry if geom is not None and not geom.is_empty]}
    for colour, weight in (("#ffffff", 9), ("#111111", 4)):
        folium.GeoJson(outline, name="Quartier choisi", control=False, interactive=False,
                       style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "fill": False,
                                                                      "opacity": 1}).add_to(fmap)
    fmap.fit_bounds(bounds, padding=(padding, padding), max_zoom=16)
    return True
