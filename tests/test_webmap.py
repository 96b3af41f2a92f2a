"""Web geometries, map classes and the offline choropleth (geodata.webmap, geodata.classes,
geodata.offline_assets)."""

from __future__ import annotations

import filecmp
import json
import math
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

import settings
from geodata import offline_assets
from geodata.classes import (
    MISSING_COLOR,
    class_breaks,
    class_colors,
    class_index,
    class_labels,
    display_breaks,
    palette,
    shown_breaks,
)
from geodata.webmap import choropleth_map, geojson_bytes, simplify_for_web

NNBSP = "\u202f"  # thousands separator (CLDR French)
NBSP = "\u00a0"  # between a number and its unit

# --------------------------------------------------------------------------------------------------
# Fixtures built by code (Lambert-93, around Toulouse)
# --------------------------------------------------------------------------------------------------

X0, Y0 = 574_000.0, 6_279_000.0


def _wiggly_ring(cx: float, cy: float, radius: float, n: int = 400, amplitude: float = 1.5) -> Polygon:
    """A dense, slightly noisy ring: lots of vertices that a few metres of tolerance should remove."""
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    noise = amplitude * np.sin(angles * 37)
    return Polygon(
        [(cx + (radius + d) * math.cos(a), cy + (radius + d) * math.sin(a)) for a, d in zip(angles, noise)]
    )


@pytest.fixture
def shapes_l93() -> gpd.GeoDataFrame:
    bowtie = Polygon([(X0, Y0 + 3000), (X0 + 400, Y0 + 3400), (X0 + 400, Y0 + 3000), (X0, Y0 + 3400)])
    collection = GeometryCollection(
        [box(X0 + 2000, Y0 + 3000, X0 + 2300, Y0 + 3300), LineString([(X0, Y0), (X0 + 10, Y0 + 10)])]
    )
    return gpd.GeoDataFrame(
        {
            "code_qp": ["QPA", "QPB", "QPC", "QPD", "QPE"],
            "extra": [1, 2, 3, 4, 5],
        },
        geometry=[
            _wiggly_ring(X0 + 1000, Y0 + 1000, 300),
            bowtie,  # invalid: self-intersecting
            collection,  # polygon + stray line, as make_valid may return
            Point(X0, Y0).buffer(0).union(Polygon()),  # empty
            MultiPolygon([_wiggly_ring(X0 + 5000, Y0, 200), _wiggly_ring(X0 + 6000, Y0, 150)]),
        ],
        crs=settings.METRIC_CRS,
    ).to_crs(settings.DISPLAY_CRS)


def _coords(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(np.asarray(gdf.geometry.values, dtype=object))


# --------------------------------------------------------------------------------------------------
# simplify_for_web
# --------------------------------------------------------------------------------------------------


def test_simplify_removes_vertices_and_bytes(shapes_l93):
    out = simplify_for_web(shapes_l93, tolerance_m=8, decimals=5)
    assert len(_coords(out)) < len(_coords(shapes_l93)) / 3
    assert geojson_bytes(out) < geojson_bytes(shapes_l93) / 2


def test_simplify_returns_only_valid_polygons_in_wgs84(shapes_l93):
    out = simplify_for_web(shapes_l93)
    assert out.crs.to_epsg() == 4326
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert "GeometryCollection" not in set(out.geom_type)
    assert out.is_valid.all()
    assert not out.geometry.is_empty.any()
    # the empty row is dropped, the others (incl. the invalid and the collection) are kept
    assert list(out["code_qp"]) == ["QPA", "QPB", "QPC", "QPE"]
    assert list(out["extra"]) == [1, 2, 3, 5]
    assert list(out.index) == [0, 1, 2, 4]
    # the stray line of the collection is gone, its square remains (about 0.09 km²)
    square = out.loc[out["code_qp"] == "QPC"].to_crs(settings.METRIC_CRS).geometry.iloc[0]
    assert square.geom_type == "Polygon"
    assert square.area == pytest.approx(300 * 300, rel=0.02)


def test_simplify_rounds_coordinates(shapes_l93):
    out = simplify_for_web(shapes_l93, decimals=5)
    scaled = _coords(out) * 1e5
    assert np.abs(scaled - np.round(scaled)).max() < 1e-6
    # what the browser receives has at most 5 decimals
    text = out.to_json()
    assert re.search(r"\d\.\d{6,}", text) is None
    assert re.search(r"\d\.\d{5}\b", text)


def test_simplify_keeps_shapes_in_place(shapes_l93):
    out = simplify_for_web(shapes_l93).to_crs(settings.METRIC_CRS)
    original = shapes_l93.to_crs(settings.METRIC_CRS).set_index("code_qp")
    for code, geom in zip(out["code_qp"], out.geometry):
        if code == "QPB":  # the bowtie is repaired: its area and centroid legitimately change
            assert geom.within(original.loc[code, "geometry"].envelope.buffer(5))
            continue
        before = original.loc[code, "geometry"]
        assert geom.area == pytest.approx(before.area, rel=0.03)
        assert geom.centroid.distance(before.centroid) < 10


def _neighbours_with_wavy_border() -> gpd.GeoDataFrame:
    """Two squares sharing a wavy border (same vertices on both sides): a valid coverage that
    independent simplification would tear (gaps/overlaps along the border)."""
    rng = np.random.default_rng(7)
    xs = np.linspace(X0, X0 + 1000, 250)
    ys = Y0 + np.cumsum(rng.normal(0, 3, len(xs)))
    ys[0] = ys[-1] = Y0
    border = list(zip(xs, ys))
    north_ring = border + [(X0 + 1000, Y0 + 500), (X0, Y0 + 500)]
    north = Polygon(north_ring[100:] + north_ring[:100])  # ring starts mid-border
    south = Polygon([(X0, Y0 - 500), (X0 + 1000, Y0 - 500)] + border[::-1])
    return gpd.GeoDataFrame({"code_qp": ["N", "S"]}, geometry=[north, south], crs=settings.METRIC_CRS)


def test_adjacent_shapes_stay_edge_matched():
    pair = _neighbours_with_wavy_border()
    assert shapely.coverage_is_valid(np.asarray(pair.geometry.values, dtype=object))
    out = simplify_for_web(pair.to_crs(settings.DISPLAY_CRS), tolerance_m=8)
    assert len(_coords(out)) < len(_coords(pair)) / 2
    # shared border simplified once: still edge-matched, so no gap and no overlap
    assert shapely.coverage_is_valid(np.asarray(out.geometry.values, dtype=object))
    metric = np.asarray(out.to_crs(settings.METRIC_CRS).geometry.values, dtype=object)
    union = shapely.union_all(metric)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(sum(g.area for g in metric), abs=1.0)


def test_overseas_rows_use_their_own_metric_crs():
    reunion = gpd.GeoDataFrame(
        {"code_qp": ["QN97401"], "insee_dep": ["974"]},
        geometry=[_wiggly_ring(341_000, 7_690_000, 250)],
        crs="EPSG:2975",
    ).to_crs(settings.DISPLAY_CRS)
    out = simplify_for_web(reunion)
    assert len(out) == 1 and out.is_valid.all()
    assert out.geometry.iloc[0].centroid.distance(reunion.geometry.iloc[0].centroid) < 1e-4
    assert len(_coords(out)) < len(_coords(reunion))


def test_simplify_needs_a_crs():
    with pytest.raises(ValueError, match="CRS"):
        simplify_for_web(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))


def test_geojson_bytes_is_the_size_of_the_text(shapes_l93):
    expected = len(shapes_l93.to_json(na="null", drop_id=True).encode("utf-8"))
    assert geojson_bytes(shapes_l93) == expected > 1000


# --------------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "n", "expected"),
    [
        ([], 5, []),
        ([None, float("nan"), pd.NA], 5, []),
        ([7.5], 5, [7.5]),
        ([3, 3, 3, None], 5, [3.0]),
        ([10, 20, 30, 40, 50, 60, float("nan")], 5, [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]),
        ([0, 100], 4, [0.0, 25.0, 50.0, 75.0, 100.0]),
        ([1, 1, 1, 1, 2], 4, [1.0, 2.0]),  # duplicated quantiles collapse
        (["12.5", "x", 2.5], 1, [2.5, 12.5]),  # non-numbers are missing
    ],
)
def test_class_breaks(values, n, expected):
    assert class_breaks(values, n) == expected  # exact: interpolation noise is rounded away


def test_class_breaks_accepts_a_series_with_na():
    series = pd.Series([1.0, None, 3.0, np.inf], dtype="Float64")
    assert class_breaks(series, 2) == [1.0, 2.0, 3.0]


def test_class_breaks_rejects_zero_classes():
    with pytest.raises(ValueError):
        class_breaks([1, 2], 0)


def test_class_index_and_labels():
    breaks = [10.0, 20.0, 30.0]
    assert [class_index(v, breaks) for v in (10, 19.9, 20, 30, float("nan"), None)] == [0, 0, 1, 1, None, None]
    assert class_index(5, [5.0]) == 0
    assert class_index(5, []) is None
    assert class_labels(breaks, "%", 1) == [f"de 10,0 à 20,0{NBSP}%", f"de 20,0 à 30,0{NBSP}%"]
    assert class_labels([1500.0], "€", 0) == [f"1{NNBSP}500{NBSP}€"]
    assert class_labels([], "%", 1) == []


def test_display_breaks_never_show_an_empty_interval(qpv_values):
    assert display_breaks([1.83, 1.866, 1.9, 1.934, 1.96], 1) == [1.8, 1.9, 2.0]
    assert display_breaks([1.83, 1.84], 1) == [1.8]
    qpv = qpv_values.copy()
    qpv["taux"] = [1.83, 1.85, 1.87, 1.88, 1.91, 1.93, float("nan")]
    legend = _legend(_map(qpv, unit="jours").get_root().render())
    assert f"de 1,8 à 1,9{NBSP}jour" in legend  # singular below 2, as French writes it (issue #15)
    assert "de 1,9 à 1,9" not in legend and "de 1,8 à 1,8" not in legend


def test_class_colors_are_sequential_and_distinct():
    # ColorBrewer YlGnBu (6 classes) without its near-white first colour
    assert class_colors(5) == ["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]
    assert "#ffffcc" not in class_colors(3) + class_colors(4) + class_colors(5)
    assert len(set(class_colors(2))) == 2 and len(class_colors(1)) == 1
    assert class_colors(0) == []
    assert MISSING_COLOR not in class_colors(9)


def test_palette_has_one_colour_per_shown_class():
    assert palette([]) == []
    assert palette([4.0]) == class_colors(1)  # all values equal: one class
    assert palette([1.0, 2.0, 3.0]) == class_colors(2)
    # Quantile edges rounded to the shown precision: 1,83 and 1,84 read as one class « 1,8 ».
    assert shown_breaks([1.83, 1.84], 1, 4) == [1.8]
    assert shown_breaks([0, 25, 50, 75, 100], 0, 4) == [0.0, 25.0, 50.0, 75.0, 100.0]


def test_print_map_legend_matches_the_web_legend(qpv_values):
    """The annex's print maps and the web map show the same classes, texts and colours."""
    from datetime import date

    from indicators import catalogue
    from reports import maps

    indicator = catalogue.get("taux_pauvrete")
    shapes = gpd.GeoDataFrame({"value": qpv_values["taux"]}, geometry=qpv_values.geometry, crs=qpv_values.crs)
    spec = maps.MapSpec(key="k", domain=indicator.domain, indicator=indicator, generation=2015,
                        territory_label="T", shapes=shapes, communes=shapes.iloc[0:0], labelled_communes=(),
                        crs=str(qpv_values.crs), contour_publisher="ANCT", commune_publisher="IGN",
                        made_on=date(2026, 1, 15))
    printed = maps.legend_entries(spec)
    legend = _legend(_map(qpv_values, unit=indicator.unit).get_root().render())
    assert len(printed) >= 2
    for label, colour in printed:
        assert label in legend, label
        assert colour in legend, colour


# --------------------------------------------------------------------------------------------------
# choropleth_map
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def qpv_values() -> gpd.GeoDataFrame:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, float("nan")]
    frame = gpd.GeoDataFrame(
        {
            "code_qp": [f"QP0310{i:02d}" for i in range(7)],
            "lib_qp": ["Bagatelle – La Faourette", "Empalot", "Izards", "Mirail", "Reynerie",
                       "Bellefontaine", "Rangueil"],
            "lib_com": ["Toulouse"] * 7,
            "taux": values,
            "taux_missing_reason": [""] * 6 + ["secret_statistique"],
        },
        geometry=[box(X0 + 600 * i, Y0, X0 + 600 * i + 400, Y0 + 400) for i in range(7)],
        crs=settings.METRIC_CRS,
    )
    return frame.to_crs(settings.DISPLAY_CRS)


@pytest.fixture
def communes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"insee_com": ["31555"]}, geometry=[box(X0 - 1000, Y0 - 1000, X0 + 6000, Y0 + 2000)],
        crs=settings.METRIC_CRS,
    ).to_crs(settings.DISPLAY_CRS)


def _map(qpv, communes=None, tiles=False, **kwargs) -> folium.Map:
    options = {"label": "Taux de pauvreté", "unit": "%", "vintage": "2019", "decimals": 1}
    options.update(kwargs)
    return choropleth_map(qpv, "taux", communes=communes, tiles=tiles, **options)


def _legend(html: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", html)
    assert match, "legend script not found"
    return json.loads(match.group(1))


def _qpv_layer(fmap: folium.Map) -> folium.GeoJson:
    layers = [
        child for child in fmap._children.values()
        if isinstance(child, folium.GeoJson)
        and child.data["features"] and "code_qp" in child.data["features"][0]["properties"]
    ]
    assert len(layers) == 1
    return layers[0]


def test_map_loads_leaflet_only_from_app_static(qpv_values, communes):
    html = _map(qpv_values, communes, tiles=True).get_root().render()
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    styles = re.findall(r"<link[^>]*\bhref=\"([^\"]+)\"", html)
    assert scripts == [offline_assets.LEAFLET_JS_URL] == ["/app/static/leaflet.js"]
    assert styles == [offline_assets.LEAFLET_CSS_URL] == ["/app/static/leaflet.css"]
    lowered = html.lower()
    for cdn in ("cdn", "unpkg", "jsdelivr", "bootstrapcdn", "cloudflare", "jquery", "bootstrap"):
        assert cdn not in lowered, cdn
    # the only remote URL is the tile template, with a guard removing it on the first error
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {settings.TILE_URL}
    assert "tileerror" in html


def test_map_without_tiles_has_no_tile_layer(qpv_values, communes):
    html = _map(qpv_values, communes, tiles=False).get_root().render()
    assert "L.tileLayer" not in html
    assert "tileerror" not in html
    assert re.search(r"https?://", html) is None


def test_class_map_does_not_mutate_folium_defaults(qpv_values):
    _map(qpv_values)
    assert any("jsdelivr" in url for _, url in folium.Map.default_js)  # class attribute untouched


def test_legend_is_french_with_breaks_and_missing_entry(qpv_values, communes):
    legend = _legend(_map(qpv_values, communes).get_root().render())
    assert "Taux de pauvreté" in legend
    assert "Millésime : 2019" in legend
    assert "Unité : %" in legend
    for low, high in [("10,0", "20,0"), ("20,0", "30,0"), ("30,0", "40,0"), ("40,0", "50,0"), ("50,0", "60,0")]:
        assert f"de {low} à {high}{NBSP}%" in legend
    assert "Non disponible" in legend
    assert legend.count("background:") >= 6  # 5 classes + missing


def test_legend_formats_thousands_in_french(qpv_values):
    qpv = qpv_values.copy()
    qpv["taux"] = [1000.0, 2500.0, 12000.0, 12000.0, 2500.0, 1000.0, float("nan")]
    legend = _legend(_map(qpv, label="Revenu médian", unit="€", decimals=0).get_root().render())
    assert f"de 1{NNBSP}000 à 2{NNBSP}500{NBSP}€" in legend
    assert f"2{NNBSP}500 à 12{NNBSP}000{NBSP}€" in legend


def test_tooltip_is_french(qpv_values):
    html = _map(qpv_values).get_root().render()
    fields = json.loads(re.search(r"let fields = (\[.*?\]);", html).group(1))
    aliases = json.loads(re.search(r"let aliases = (\[.*?\]);", html).group(1))
    assert aliases == ["Quartier", "Commune", "Taux de pauvreté", "Millésime"]
    assert fields == ["lib_qp", "lib_com", "valeur_affichee", "millesime"]


def test_features_carry_codes_values_and_french_texts(qpv_values):
    features = _qpv_layer(_map(qpv_values)).data["features"]
    assert [f["properties"]["code_qp"] for f in features] == list(qpv_values["code_qp"])
    by_code = {f["properties"]["code_qp"]: f["properties"] for f in features}
    empalot = by_code["QP031001"]
    assert empalot["lib_qp"] == "Empalot"
    assert empalot["lib_com"] == "Toulouse"
    assert empalot["taux"] == 20.0
    assert empalot["valeur_affichee"] == f"20,0{NBSP}%"
    assert empalot["millesime"] == "2019"
    rangueil = by_code["QP031006"]
    assert rangueil["taux"] is None  # NaN never reaches the browser
    assert rangueil["taux_missing_reason"] == "secret_statistique"
    assert rangueil["valeur_affichee"].startswith("non disponible : secret statistique")
    assert {f["geometry"]["type"] for f in features} == {"Polygon"}


def test_styles_grey_dashed_for_missing_and_palette_for_classes(qpv_values):
    layer = _qpv_layer(_map(qpv_values))
    styles = [layer.style_function(f) for f in layer.data["features"]]
    assert [s["fillColor"] for s in styles[:6]] == [
        "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494", "#253494"
    ]
    assert styles[6]["fillColor"] == MISSING_COLOR
    assert styles[6]["dashArray"]
    assert not any("dashArray" in s for s in styles[:6])


def test_communes_are_thin_background_outlines(qpv_values, communes):
    fmap = _map(qpv_values, communes)
    layers = [c for c in fmap._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 2
    outlines, qpv_layer = layers  # outlines first: drawn below the QPV
    assert qpv_layer is _qpv_layer(fmap)
    assert outlines.options.get("interactive") is False
    assert outlines.data["features"][0]["properties"] == {}
    style = outlines.style_function(outlines.data["features"][0])
    assert style["fill"] is False and style["weight"] < 1.5


def test_map_fits_the_qpv(qpv_values):
    html = _map(qpv_values).get_root().render()
    minx, miny, maxx, maxy = qpv_values.total_bounds
    bounds = json.loads(re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", html, re.S).group(1))
    assert np.allclose(bounds, [[miny, minx], [maxy, maxx]])


def test_all_missing_and_empty_maps_still_render(qpv_values):
    qpv = qpv_values.copy()
    qpv["taux"] = float("nan")
    legend = _legend(_map(qpv).get_root().render())
    assert "Non disponible" in legend and " à " not in legend
    empty = _map(qpv_values.iloc[0:0]).get_root().render()
    assert "fitBounds" not in empty and "/app/static/leaflet.js" in empty


def test_user_texts_are_escaped(qpv_values):
    legend = _legend(_map(qpv_values, label="Part <b>x</b> & y").get_root().render())
    assert "Part &lt;b&gt;x&lt;/b&gt; &amp; y" in legend


# --------------------------------------------------------------------------------------------------
# Offline Leaflet
# --------------------------------------------------------------------------------------------------


def test_install_leaflet_assets_copies_and_is_idempotent(tmp_path):
    source = offline_assets.leaflet_source_dir()
    offline_assets.install_leaflet_assets(tmp_path)
    for name in ("leaflet.js", "leaflet.css"):
        assert filecmp.cmp(source / name, tmp_path / name, shallow=False), name
    assert "Leaflet 1.9" in (tmp_path / "leaflet.js").read_text(encoding="utf-8")[:300]
    if (source / "images").is_dir():
        assert (tmp_path / "images" / "layers.png").is_file()
        assert (tmp_path / "images" / "marker-icon.png").is_file()

    stamp = (tmp_path / "leaflet.js").stat().st_mtime_ns
    offline_assets.install_leaflet_assets(tmp_path)
    assert (tmp_path / "leaflet.js").stat().st_mtime_ns == stamp  # unchanged files are not rewritten

    (tmp_path / "leaflet.css").write_text("/* stale */", encoding="utf-8")
    offline_assets.install_leaflet_assets(tmp_path)
    assert filecmp.cmp(source / "leaflet.css", tmp_path / "leaflet.css", shallow=False)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_static_urls_match_streamlit_static_serving():
    assert offline_assets.LEAFLET_JS_URL == "/app/static/leaflet.js"
    assert offline_assets.LEAFLET_CSS_URL == "/app/static/leaflet.css"
    config = (settings.PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert re.search(r"^enableStaticServing\s*=\s*true", config, re.M)
    assert settings.STATIC_DIR == settings.PROJECT_ROOT / "static"


def test_qpv_stay_visible_at_region_scale(qpv_values):
    fmap = _map(qpv_values)
    html = fmap.get_root().render()
    layer_name = _qpv_layer(fmap).get_name()
    assert f"var layer = {layer_name};" in html  # the restyling targets the QPV layer
    assert "if (zoom < 11)" in html and "style.color = style.fillColor;" in html


# --------------------------------------------------------------------------------------------------
# What each value is (issue #10): nature and interval in the tooltip, estimates marked
# --------------------------------------------------------------------------------------------------


def _described(qpv: gpd.GeoDataFrame, nature: str = "estimation calibrée (avec intervalle)") -> gpd.GeoDataFrame:
    from geodata import webmap

    out = qpv.copy()
    out[f"taux{webmap.TEXT_SUFFIX}"] = [
        f"{v:.1f} % (estimation, intervalle à 90 % : {v - 5:.1f} à {v + 5:.1f} %)".replace(".", ",")
        if v == v else "" for v in out["taux"]]
    out[f"taux{webmap.NATURE_SUFFIX}"] = [nature if v == v else "" for v in out["taux"]]
    out[f"taux{webmap.VINTAGE_SUFFIX}"] = "Filosofi 2019 (périmètre 2024)"
    out[f"taux{webmap.SOURCE_SUFFIX}"] = "Estimation ecoqpv : Insee, Filosofi 2019 par IRIS"
    out[f"taux{webmap.ESTIMATED_SUFFIX}"] = [v == v for v in out["taux"]]
    return out


def test_tooltip_carries_nature_and_interval_escaped(qpv_values):
    qpv = _described(qpv_values, nature="estimation <b>calibrée</b> & intervalle")
    fmap = _map(qpv)
    html = fmap.get_root().render()
    fields = json.loads(re.search(r"let fields = (\[.*?\]);", html).group(1))
    aliases = json.loads(re.search(r"let aliases = (\[.*?\]);", html).group(1))
    assert fields == ["lib_qp", "lib_com", "valeur_affichee", "nature", "millesime"]
    assert aliases == ["Quartier", "Commune", "Taux de pauvreté", "Nature de la valeur", "Millésime"]
    by_code = {f["properties"]["code_qp"]: f["properties"] for f in _qpv_layer(fmap).data["features"]}
    empalot = by_code["QP031001"]
    assert empalot["valeur_affichee"] == "20,0 % (estimation, intervalle à 90 % : 15,0 à 25,0 %)"
    assert empalot["nature"] == "estimation &lt;b&gt;calibrée&lt;/b&gt; &amp; intervalle"  # inert HTML
    assert empalot["millesime"] == "Filosofi 2019 (périmètre 2024)"
    assert "<b>calibrée</b>" not in html
    assert by_code["QP031006"]["nature"] == "—"  # a missing value has a reason, not a nature


def test_estimates_are_drawn_apart_and_named_in_the_legend(qpv_values):
    qpv = _described(qpv_values)
    qpv.loc[qpv["code_qp"] == "QP031000", "taux_estime"] = False  # one published value
    fmap = _map(qpv)
    layer = _qpv_layer(fmap)
    styles = {f["properties"]["code_qp"]: layer.style_function(f) for f in layer.data["features"]}
    assert "dashArray" not in styles["QP031000"]
    assert styles["QP031001"]["dashArray"] and styles["QP031001"]["fillColor"] != MISSING_COLOR
    assert styles["QP031006"]["fillColor"] == MISSING_COLOR  # missing stays grey
    legend = _legend(fmap.get_root().render())
    assert "Estimation (5 valeurs" in legend and "intervalle dans l’infobulle" in legend
    plain = _legend(_map(qpv_values).get_root().render())
    assert "Estimation" not in plain


def test_sources_by_nature_count_each_kind_of_value(qpv_values):
    from geodata import webmap

    qpv = _described(qpv_values)
    qpv.loc[qpv["code_qp"] == "QP031000", ["taux_nature_texte", "taux_millesime", "taux_source"]] = [
        "valeur officielle", "Filosofi 2019", "Insee"]
    said = webmap.sources_by_nature(qpv, "taux")
    assert ("valeur officielle", 1, "Filosofi 2019 — Insee") in said
    assert ("estimation calibrée (avec intervalle)", 5,
            "Filosofi 2019 (périmètre 2024) — Estimation ecoqpv : Insee, Filosofi 2019 par IRIS") in said
    assert sum(count for _, count, _ in said) == int(qpv["taux"].notna().sum())


# --------------------------------------------------------------------------------------------------
# The Carte page's own map (issue #10): webmap.map_data drawn by assets/ui/carte_qpv.js
# --------------------------------------------------------------------------------------------------


def _data(qpv, communes=None, tiles=False, **kwargs) -> dict:
    from geodata import carte_data

    options = {"label": "Taux de pauvreté", "unit": "%", "vintage": "2019", "decimals": 1}
    options.update(kwargs)
    return carte_data.map_data(qpv, "taux", communes=communes, tiles=tiles, **options)


def test_map_data_has_every_qpv_with_the_folium_map_classes_and_styles(qpv_values, communes):
    """Same classes and styles as the workshop's folium map (geodata.carte_data), a style sent once per kind of quartier."""
    data = _data(_described(qpv_values), communes)
    features = data["qpv"]["features"]
    assert [f["properties"]["code_qp"] for f in features] == list(qpv_values["code_qp"])
    folium_layer = _qpv_layer(_map(_described(qpv_values)))
    for feature, folium_feature in zip(features, folium_layer.data["features"], strict=True):
        assert data["styles"][feature["properties"]["style"]] == folium_layer.style_function(folium_feature)
    assert len(data["styles"]) == len({json.dumps(s, sort_keys=True) for s in data["styles"]})  # each once
    missing = data["styles"][features[6]["properties"]["style"]]
    assert missing["fillColor"] == MISSING_COLOR and missing["dashArray"]
    assert data["outlines"]["features"] and data["tiles"] is None
    (lat_min, lon_min), (lat_max, lon_max) = data["bounds"]
    assert lat_min < lat_max and lon_min < lon_max and 43 < lat_min < 44 and 1 < lon_min < 2


def test_map_data_tooltip_rows_say_what_each_value_is(qpv_values):
    data = _data(_described(qpv_values))
    assert [f[:2] for f in data["fields"]] == [["nom", "Quartier"], ["commune", "Commune"],
                                               ["valeur", "Taux de pauvreté"], ["nature", "Nature de la valeur"],
                                               ["millesime", "Millésime"]]
    props = {f["properties"]["code_qp"]: f["properties"] for f in data["qpv"]["features"]}
    shared = data["texts_shared"]
    assert props["QP031001"]["valeur"] == "20,0 % (estimation, intervalle à 90 % : 15,0 à 25,0 %)"
    assert shared[props["QP031001"]["nature"]] == "estimation calibrée (avec intervalle)"
    assert shared[props["QP031001"]["millesime"]] == "Filosofi 2019 (périmètre 2024)"
    assert props["QP031006"]["valeur"].startswith("non disponible : secret statistique")  # its reason, never 0
    assert len(shared) == len(set(shared)) == 3  # the vintage and the two natures, once each
    plain = _data(qpv_values)
    assert [f[0] for f in plain["fields"]] == ["nom", "commune", "valeur", "millesime"]


def test_map_data_keeps_texts_raw_for_text_nodes_and_json_is_compact(qpv_values):
    """Names are sent as they are (the script inserts them as text, never as HTML), in UTF-8 JSON."""
    from geodata import carte_data

    hostile = qpv_values.assign(lib_qp='<img src=x onerror="alert(1)"> Les Izards')
    data = _data(hostile, label="Part <b>x</b>")
    assert data["qpv"]["features"][0]["properties"]["nom"] == '<img src=x onerror="alert(1)"> Les Izards'
    raw = carte_data.map_json(data)
    assert json.loads(raw.decode("utf-8")) == json.loads(json.dumps(data))  # (tuples of shapely → lists)
    assert "Bagatelle – La Faourette".encode() in carte_data.map_json(_data(qpv_values))  # UTF-8, not \u2013
    assert not re.search(rb"\d, -?\d|\": |\], \[", raw) and b"NaN" not in raw  # no spaces between items


def test_map_data_of_an_empty_territory_centres_on_france(qpv_values):
    data = _data(qpv_values.iloc[0:0])
    assert data["qpv"]["features"] == [] and data["bounds"] is None and data["center"] == [46.6, 2.4]


def test_carte_script_inserts_data_as_text_only():
    """The map script never turns a text into HTML, loads nothing but the app's own files, and its texts
    that Leaflet would show in English come from the data (French)."""
    from geodata import carte_data, offline_assets

    script = offline_assets.MAP_SCRIPT_SOURCE.read_text(encoding="utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", script)
    assert "textContent" in script
    assert not re.search(r"https?://", script)
    assert set(carte_data.LEAFLET_URLS.values()) == {offline_assets.LEAFLET_JS_URL, offline_assets.LEAFLET_CSS_URL}
    texts = carte_data.map_data(gpd.GeoDataFrame({"code_qp": [], "lib_qp": [], "taux": []}, geometry=[],
                                             crs=settings.DISPLAY_CRS), "taux", label="", unit="", vintage="",
                            decimals=0, communes=None)["texts"]
    assert texts["zoom_in"] == "Zoom avant" and texts["zoom_out"] == "Zoom arrière"
    assert all(re.search(r"[a-z]", t) for t in texts.values())


def test_install_map_script_copies_it_and_versions_its_url(tmp_path):
    url = offline_assets.install_map_script(tmp_path)
    assert filecmp.cmp(offline_assets.MAP_SCRIPT_SOURCE, tmp_path / "carte_qpv.js", shallow=False)
    assert re.fullmatch(r"/app/static/carte_qpv\.js\?v=[0-9a-f]{12}", url)
    assert offline_assets.install_map_script(tmp_path) == url  # same content, same URL
