"""``assembly.carte_view.map_view``: the Carte page's map of a choice, built once and shared by visitors.

The cached view must be what the page built before (layer → map data → JSON, legend, sources), follow the
method for scores, and never be one choice's map given for another.
"""

from __future__ import annotations

import json

import pytest

from assembly import carte_view, indicator_list, layers
from assembly.territory_table import reason_column, territory_table
from core import reasons
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


def _direct_table(territory, generation, column, method, *, label, unit, vintage, source, decimals, max_height):
    """The table as the page built it before the cache, step by step."""
    from assembly import carte_table
    from core.formats import plural

    shown = carte_view.shown_rows(territory_table(territory, method, "generation"), generation, column)
    words = layers.value_words(territory, column, shown) if column in indicator_list.ids() else None
    rows = carte_table.carte_rows(shown, column, words, unit=unit, decimals=decimals, vintage=vintage, source=source)
    rows = rows.astype({"Commune": "category", "Génération": "category", "Donnée": "category"})
    data = carte_data.table_data(rows, carte_table.shown_columns(rows), caption=f"{label} : {plural(len(rows), 'quartier')}",
                                 headers=carte_table.HEADERS, numbers={"Valeur": "nombre"}, link=("Quartier", "Code"),
                                 max_height=max_height)
    return rows, carte_data.map_json(data)


@pytest.mark.parametrize("column", [INDICATOR, "score_global"])
def test_the_table_view_is_the_table_the_page_built_and_is_built_once(column):
    indicator = indicator_list.get(INDICATOR)
    words = (dict(label=indicator.label, unit=indicator.unit, vintage=indicator.vintage, source=indicator.source,
                  decimals=indicator.decimals) if column == INDICATOR else
             dict(label="Score global", unit="", vintage="selon les indicateurs", source="calcul ecoqpv", decimals=1))
    view = carte_view.table_view(REGION, 2024, column, zone="", method=Method(), frame="generation", max_height=420,
                                 **words)
    rows, data = _direct_table(REGION, 2024, column, Method(), max_height=420, **words)
    assert view.data == data
    assert view.rows.equals(rows)
    again = carte_view.table_view(REGION, 2024, column, zone="", method=Method(), frame="generation", max_height=420,
                                  **words)
    assert again is view


def test_shown_rows_keep_the_generation_and_give_a_missing_score_its_reason():
    table = territory_table(REGION, Method(), "generation")
    shown = carte_view.shown_rows(table, 2015, "score_global")
    assert set(shown["generation"]) == {2015}
    missing = shown["score_global"].isna()
    assert missing.any()
    reason = reason_column("score_global")
    assert (shown.loc[missing, reason] == reasons.PARTIAL).all()
    assert shown.loc[~missing, reason].isna().all()
    assert len(carte_view.shown_rows(table, None, INDICATOR)) == len(table)  # no contour: every generation listed
