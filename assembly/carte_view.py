"""What the Carte page's map shows for one choice, built once for every visitor who makes the same choice.

A choice is a territory, a zone of the national map, a generation of quartiers, a layer (indicator or score)
and, for scores, the method and reference frame. Everything the map needs from it (the JSON the browser
draws, the legend, the sources by nature of value, the count of estimated values) is computed here once per
data version and kept (``functools.lru_cache``), so that a visitor who opens the page does not wait for the
server to rebuild a map another visitor already asked for (issue #10: the first drawing of the page).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pandas as pd

import settings
from assembly import indicator_list, layers
from assembly.territory_table import method_key, territory_table
from geodata import carte_data, webmap
from geodata.territories import COUNTRY, Territory
from indicators.scores import Method


@dataclass(frozen=True)
class MapView:
    """The map of one choice, ready to send."""

    #: ``carte_data.map_data`` as compact JSON (what ``assets/ui/carte_qpv.js`` draws).
    data: bytes
    #: The legend beside the map (``webmap.map_legend_html``: every text escaped).
    legend_html: str
    #: ``webmap.sources_by_nature``: (nature, number of values, source and vintage) of the values shown.
    by_nature: tuple[tuple[str, int, str], ...]
    #: Quartiers whose value is an estimate (drawn with a dashed outline).
    estimated: int
    #: No quartier drawn has a value for this layer.
    all_missing: bool


def map_view(territory: Territory, generation: int, column: str, *, zone: str, method: Method, frame: str,
             label: str, unit: str, vintage: str, decimals: int) -> MapView:
    """The map of ``column`` for the quartiers of ``generation`` of ``territory`` (in ``zone`` for France)."""
    return _map_view(territory, generation, column, zone, method_key(method), frame, label, unit, vintage,
                     decimals, settings.MAP_TILES, indicator_list.data_version())


@functools.lru_cache(maxsize=64)
def _map_view(territory: Territory, generation: int, column: str, zone: str, method_json: str, frame: str,
              label: str, unit: str, vintage: str, decimals: int, tiles: bool, data_version: tuple) -> MapView:
    table = territory_table(territory, Method(**json.loads(method_json)), frame)
    if territory.kind == COUNTRY:
        table = table[layers.in_zone(table, zone).to_numpy()]
    qpv = layers.qpv_layer(territory, generation, column, table, zone=zone)
    data = carte_data.map_data(
        qpv, column, label=label, unit=unit, vintage=vintage, decimals=decimals,
        communes=layers.commune_outlines(territory, zone), tiles=tiles, view=f"{territory.key}|{zone}|{generation}",
    )
    estimated_col = f"{column}{webmap.ESTIMATED_SUFFIX}"
    return MapView(
        data=carte_data.map_json(data),
        legend_html=webmap.map_legend_html(qpv, column, label=label, unit=unit, vintage=vintage, decimals=decimals),
        by_nature=tuple(tuple(item) for item in webmap.sources_by_nature(qpv, column)),
        estimated=int(qpv[estimated_col].sum()) if estimated_col in qpv else 0,
        all_missing=bool(pd.isna(qpv[column]).all()),
    )
