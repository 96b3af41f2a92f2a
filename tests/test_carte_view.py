"""``assembly.carte_view.map_view``: the Carte page's map of a choice, built once and shared by visitors.

The cached view must be what the page built before (layer → map data → JSON, legend, sources), follow the
method for scores, and never be one choice's map given for another.
"""

from __future__ import annotations

import json

import pytest

from assembly import carte_view, indicator_list, layers
from assembly.territory_table import territory_table
from geodata import carte_data, territories, webmap
from indicators.scores import Method

REGION = territories.resolve("REG", "76")
INDICATOR = "taux_pauvrete"


def _direct(territory, generation, column, method, *, label, unit, vintage, decimals, zone=""):
    """The map as the page built it before the cache, step by step."""
    table = territory_table(territory, method, "generation")
    if territory.kind == territories.COUNTRY:
        table = table[layers.in_zone(table, zone).to_numpy()]
    qpv = layers.qpv_layer(territory, generation, column, table, zone=zone)
    data = carte_data.map_data(qpv, column, label=label, unit=unit, vintage=vintage, decimals=decimals,
                               communes=layers.commune_outlines(territory, zone), tiles=carte_view.settings.MAP_TILES,
                               view=f"{territory.key}|{zone}|{generation}")
    return qpv, carte_data.map_json(data)


def _indicator_view(territory=REGION, generation=2024, method=None, zone=""):
    indicator = indicator_list.get(INDICATOR)
    return carte_view.map_view(territory, generation, INDICATOR, zone=zone, method=method or Method(),
                               frame="generation", label=indicator.label, unit=indicator.unit,
                               vintage=indicator.vintage, decimals=indicator.decimals)


def test_the_view_is_the_map_the_page_built_and_is_built_once():
    indicator = indicator_list.get(INDICATOR)
    view = _indicator_view()
    qpv, data = _direct(REGION, 2024, INDICATOR, Method(), label=indicator.label, unit=indicator.unit,
                        vintage=indicator.vintage, decimals=indicator.decimals)
    assert view.data == data
    assert view.legend_html == webmap.map_legend_html(qpv, INDICATOR, label=indicator.label, unit=indicator.unit,
                                                      vintage=indicator.vintage, decimals=indicator.decimals)
    assert list(view.by_nature) == webmap.sources_by_nature(qpv, INDICATOR)
    assert view.estimated == int(qpv[f"{INDICATOR}{webmap.ESTIMATED_SUFFIX}"].sum())
    assert view.estimated > 0  # QPV 2024 of Occitanie: calibrated estimates, drawn dashed
    assert view.all_missing is False
    assert _indicator_view() is view  # the second visitor gets the same object, nothing rebuilt


def test_each_choice_has_its_own_map():
    views = {(gen, terr.key): _indicator_view(terr, gen)
             for gen in (2024, 2015) for terr in (REGION, territories.resolve("REG", "93"))}
    assert len({view.data for view in views.values()}) == 4
    for (gen, key), view in views.items():
        assert json.loads(view.data)["view"] == f"{key}||{gen}"


def test_a_score_follows_the_method():
    label = "Score global"
    equal = carte_view.map_view(REGION, 2024, "score_global", zone="", method=Method(), frame="generation",
                                label=label, unit="", vintage="", decimals=1)
    poverty_first = Method(domain_weights={"pauvrete_revenus": 4.0})
    weighted = carte_view.map_view(REGION, 2024, "score_global", zone="", method=poverty_first, frame="generation",
                                   label=label, unit="", vintage="", decimals=1)
    assert weighted.data != equal.data
    _, direct = _direct(REGION, 2024, "score_global", poverty_first, label=label, unit="", vintage="", decimals=1)
    assert weighted.data == direct


@pytest.mark.parametrize("zone", [layers.METROPOLE])
def test_the_national_map_keeps_its_zone(zone):
    view = _indicator_view(territories.resolve(territories.COUNTRY, territories.COUNTRY), 2024, zone=zone)
    indicator = indicator_list.get(INDICATOR)
    _, direct = _direct(territories.resolve(territories.COUNTRY, territories.COUNTRY), 2024, INDICATOR, Method(),
                        label=indicator.label, unit=indicator.unit, vintage=indicator.vintage,
                        decimals=indicator.decimals, zone=zone)
    assert view.data == direct
