"""What the Carte page's map and table show for one choice, built once for every visitor who makes it.

A choice is a territory, a zone of the national map, a generation of quartiers, a layer (indicator or score)
and, for scores, the method and reference frame. Everything the map needs from it (the JSON the browser
draws, the legend, the sources by nature of value, the count of estimated values) and the table under it (its
JSON and its rows, for the CSV) is computed here once per data version and kept (``functools.lru_cache``), so
that a visitor who opens the page does not wait for the server to rebuild what another visitor already asked
for (issue #10: the first drawing of the page; the server's scripts for the browser wait while it computes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

import settings
from assembly import carte_table, indicator_list, layers
from assembly.territory_table import method_from_key, method_key, reason_column, territory_table
from core import reasons
from core.formats import plural
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


@dataclass(frozen=True)
class TableView:
    """The table under the map of one choice, ready to send."""

    #: ``carte_data.table_data`` as compact JSON (what ``assets/ui/carte_qpv.js`` draws).
    data: bytes
    #: ``carte_table.carte_rows``: one row per quartier, shared by every visitor (read it, never change it).
    rows: pd.DataFrame


def zone_rows(table: pd.DataFrame, territory: Territory, zone: str) -> pd.DataFrame:
    """The rows of a territory table in the zone drawn: France is mapped one zone at a time (the metropole or
    one overseas territory); any other territory is drawn whole."""
    return table[layers.in_zone(table, zone).to_numpy()] if territory.kind == COUNTRY else table


def shown_rows(table: pd.DataFrame, generation: int | None, column: str) -> pd.DataFrame:
    """The quartiers the map and its table show: those of the generation drawn (every generation when no
    contour is available), a score missing for a partial quartier with its reason."""
    shown = table if generation is None else table[table["generation"] == generation]
    if column not in indicator_list.ids():
        shown = shown.assign(**{reason_column(column): shown[column].isna().map({True: reasons.PARTIAL,
                                                                                False: pd.NA})})
    return shown


def _table(territory: Territory, method_json: str, frame: str, zone: str) -> pd.DataFrame:
    table = territory_table(territory, method_from_key(method_json), frame)
    return zone_rows(table, territory, zone)


def map_view(territory: Territory, generation: int, column: str, *, zone: str, method: Method, frame: str,
             label: str, unit: str, vintage: str, decimals: int) -> MapView:
    """The map of ``column`` for the quartiers of ``generation`` of ``territory`` (in ``zone`` for France)."""
    return _map_view(territory, generation, column, zone, method_key(method), frame, label, unit, vintage,
                     decimals, settings.MAP_TILES, indicator_list.data_version())


@functools.lru_cache(maxsize=64)
def _map_view(territory: Territory, generation: int, column: str, zone: str, method_json: str, frame: str,
              label: str, unit: str, vintage: str, decimals: int, tiles: bool, data_version: tuple) -> MapView:
    qpv = layers.qpv_layer(territory, generation, column, _table(territory, method_json, frame, zone), zone=zone)
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


def table_view(territory: Territory, generation: int | None, column: str, *, zone: str, method: Method, frame: str,
               label: str, unit: str, vintage: str, source: str, decimals: int, max_height: int) -> TableView:
    """The table of ``column`` for the quartiers shown (``shown_rows``), sorted by name as a person reads."""
    return _table_view(territory, generation, column, zone, method_key(method), frame, label, unit, vintage, source,
                       decimals, max_height, indicator_list.data_version())


@functools.lru_cache(maxsize=64)
def _table_view(territory: Territory, generation: int | None, column: str, zone: str, method_json: str, frame: str,
                label: str, unit: str, vintage: str, source: str, decimals: int, max_height: int,
                data_version: tuple) -> TableView:
    shown = shown_rows(_table(territory, method_json, frame, zone), generation, column)
    words = layers.value_words(territory, column, shown) if column in indicator_list.ids() else None
    rows = carte_table.carte_rows(shown, column, words, unit=unit, decimals=decimals, vintage=vintage, source=source)
    # Repeated texts travel once (the commune, the nature of the values).
    rows = rows.astype({"Commune": "category", "Génération": "category", "Donnée": "category"})
    data = carte_data.table_data(
        rows, carte_table.shown_columns(rows), caption=f"{label} : {plural(len(rows), 'quartier')}",
        headers=carte_table.HEADERS, numbers={"Valeur": "nombre"}, link=("Quartier", "Code"), max_height=max_height,
    )
    return TableView(data=carte_data.map_json(data), rows=rows)
