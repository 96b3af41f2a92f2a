"""What the Carte page's map and the table under it draw, as plain JSON data (issue #10): the browser side is
``assets/ui/carte_qpv.js``, mounted by ``app_pages/carte_map.py``.

Same classes, styles, tooltip rows and outlines as the folium map of ``geodata.webmap`` (the workshop page's),
from the same definitions; pure functions, unit-tested.
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

import settings
from geodata.classes import class_index, palette, shown_breaks
from geodata.offline_assets import LEAFLET_CSS_URL, LEAFLET_JS_URL
from geodata.webmap import (
    FRANCE_CENTER,
    HIGHLIGHT_STYLE,
    LOW_ZOOM,
    OUTLINE_STYLE,
    feature_records,
    outline_features,
    qpv_style,
    shape_bounds,
)

#: Where the Carte page's map script loads Leaflet from (the app's own static folder).
LEAFLET_URLS = {"js": LEAFLET_JS_URL, "css": LEAFLET_CSS_URL}

#: Texts of the Carte page's map that Leaflet would otherwise show in English.
MAP_TEXTS = {
    "aria_label": "Carte des quartiers (cliquer sur la carte pour zoomer à la molette)",
    "hint": "Cliquez sur la carte pour zoomer à la molette",
    "zoom_in": "Zoom avant",
    "zoom_out": "Zoom arrière",
    "outlines": "Limites communales",
    "outlines_help": "Limites des départements et des communes, dessinées sous les quartiers.",
    "failed": "La carte n'a pas pu s'afficher : la bibliothèque Leaflet n'a pas pu être chargée depuis le "
              "serveur de l'application. Le tableau sous la carte donne les mêmes valeurs.",
}


def map_data(
    qpv: gpd.GeoDataFrame,
    value_col: str,
    *,
    label: str,
    unit: str,
    vintage: str,
    decimals: int,
    communes: gpd.GeoDataFrame | None,
    tiles: bool = settings.MAP_TILES,
    view: str = "",
) -> dict[str, Any]:
    """What the Carte page's map draws (``assets/ui/carte_qpv.js``, in the page itself: no iframe, no folium):
    the same classes, styles, tooltip rows and outlines as ``choropleth_map``, as plain JSON data.

    Texts are **not** escaped here: the script inserts them with ``textContent`` only, so a name such as
    ``<img onerror=…>`` reads as text. Each distinct style is sent once (a feature refers to it by its
    position in ``styles``); ``view`` names what is shown (territory, zone, generation) so that the map keeps
    the user's zoom when only the layer changes. Texts repeated on many quartiers (vintage, nature) are sent
    once, in ``texts_shared``, and a quartier gives their position.
    """
    if qpv.crs is not None and qpv.crs != settings.DISPLAY_CRS:
        qpv = qpv.to_crs(settings.DISPLAY_CRS)
    breaks = shown_breaks(qpv[value_col] if value_col in qpv else [], decimals, unit=unit)
    colors = palette(breaks)
    records = feature_records(qpv, value_col, unit, vintage, decimals) if len(qpv) else []
    styles: list[dict[str, Any]] = []
    style_index: dict[tuple[str | None, bool], int] = {}
    texts: list[str] = []  # texts repeated on many quartiers (vintage, nature), sent once
    text_index: dict[str, int] = {}

    def shared(text: str) -> int:
        if text not in text_index:
            text_index[text] = len(texts)
            texts.append(text)
        return text_index[text]

    features = []
    for geom, record in zip(qpv.geometry, records, strict=True):
        index = class_index(record[value_col], breaks)
        key = (None if index is None else colors[index], bool(record.get("estime")))
        if key not in style_index:
            style_index[key] = len(styles)
            styles.append(qpv_style(*key))
        properties = {"code_qp": record["code_qp"], "nom": record["lib_qp"], "commune": record["lib_com"],
                      "valeur": record["valeur_affichee"], "millesime": shared(record["millesime"]),
                      "style": style_index[key]}
        if "nature" in record:
            properties["nature"] = shared(record["nature"])
        features.append({"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geom)})
    described = any("nature" in f["properties"] for f in features)
    # [property, label in the tooltip, whether the property is a position in ``texts``]
    fields = [["nom", "Quartier", False], ["commune", "Commune", False], ["valeur", label, False]]
    fields += [["nature", "Nature de la valeur", True]] if described else []
    fields += [["millesime", "Millésime", True]]
    with_outlines = communes is not None and len(communes) > 0
    return {
        "view": view,
        "leaflet": LEAFLET_URLS,
        "tiles": {"url": settings.TILE_URL, "attribution": settings.TILE_ATTRIBUTION} if tiles else None,
        "outlines": outline_features(communes) if with_outlines else None,
        "outline_style": OUTLINE_STYLE,
        "qpv": {"type": "FeatureCollection", "features": features},
        "styles": styles,
        "highlight": HIGHLIGHT_STYLE,
        "low_zoom": LOW_ZOOM,
        "fields": fields,
        "texts_shared": texts,
        "bounds": shape_bounds(qpv.geometry) if len(qpv) else None,
        "center": list(FRANCE_CENTER),
        "texts": MAP_TEXTS,
    }


def map_json(data: dict[str, Any]) -> bytes:
    """``map_data`` (or ``table_data``) as compact UTF-8 JSON (no ``\\u00e9`` escapes, no spaces: the map of France is ~1 MB)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


#: Texts of the table under the map (the script's own words: sorting, opening a fiche).
TABLE_TEXTS = {
    "sort": "Trier par",
    "ascending": "croissant",
    "descending": "décroissant",
    "open": "Ouvrir la fiche du quartier",
}


def table_data(rows: pd.DataFrame, columns: list[str], *, caption: str, headers: dict[str, str] | None = None,
               numbers: dict[str, str] | None = None, link: tuple[str, str] | None = None,
               max_height: int = 420) -> dict[str, Any]:
    """The table under the Carte page's map, as plain JSON data for ``assets/ui/carte_qpv.js``: a real HTML
    table drawn in the page after the map (readable by screen readers, searchable, copied into a document as a
    table), sortable by each column.

    ``columns`` of ``rows`` are shown under ``headers`` (default: their names); a column whose texts repeat
    (a category column: commune, nature) sends each text once in ``shared``. ``numbers`` maps a shown column
    to the column of ``rows`` holding its number, so that « 9,5 % » sorts before « 10,2 % » (missing values
    last). ``link`` = (shown column, code column): that column's text is a button that sends the code back
    (opens the quartier's fiche). Texts are not escaped: the script writes them with ``textContent``.
    """
    headers = headers or {}
    numbers = numbers or {}
    shared: list[str] = []
    shared_index: dict[str, int] = {}
    coded = [isinstance(rows[c].dtype, pd.CategoricalDtype) for c in columns]

    def cell(value: object, is_coded: bool) -> str | int:
        text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        if not is_coded:
            return text
        if text not in shared_index:
            shared_index[text] = len(shared)
            shared.append(text)
        return shared_index[text]

    data_rows = [[cell(value, is_coded) for value, is_coded in zip(row, coded, strict=True)]
                 for row in rows[columns].itertuples(index=False, name=None)]
    return {
        "kind": "tableau",
        "caption": caption,
        "columns": [headers.get(c, c) for c in columns],
        "coded": coded,
        "shared": shared,
        "rows": data_rows,
        "numbers": {str(columns.index(shown)): [float(v) if pd.notna(v) and math.isfinite(v) else None
                                                for v in rows[source]]
                    for shown, source in numbers.items()},
        "link": None if link is None else {"column": columns.index(link[0]),
                                           "codes": rows[link[1]].astype(str).tolist()},
        "sort": {"column": 0, "descending": False},  # the rows come sorted by their first column
        "max_height": max_height,
        "texts": TABLE_TEXTS,
    }
