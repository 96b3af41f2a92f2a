"""Pages (AppTest) and issue #10: each value says what it is, a quartier without data says so, France entière.

The calibrated estimate is found in the data (a QPV 2024 of Montpellier), never copied from the output.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from assembly.territory_table import territory_table
from core.formats import format_number, format_value
from geodata import territories
from tests.apptest_tables import page_tables
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TERRITORY = "EPCI:243400017"  # Montpellier Méditerranée Métropole


def start(territory: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = territory
    return at.run()


@pytest.fixture(scope="module")
def calibrated() -> pd.Series:
    table = territory_table(territories.resolve_key(TERRITORY)).set_index("code_qp")
    rows = table[table["taux_pauvrete_nature"] == "estimation_calibree"]
    assert len(rows), "the bundle should have a calibrated poverty estimate in Montpellier (QPV 2024)"
    return rows.iloc[0]


def test_fiche_shows_a_calibrated_estimate_with_its_interval(calibrated):
    at = start(TERRITORY)
    at.session_state["qpv_selectionne"] = calibrated.name
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(t for t in page_tables(at) if "Taux de pauvreté" in set(t["Indicateur"]))
    line = table[table["Indicateur"] == "Taux de pauvreté"].iloc[0]
    low, high = calibrated["taux_pauvrete_ic_bas"], calibrated["taux_pauvrete_ic_haut"]
    assert line["Valeur"] == (f"{format_value(calibrated['taux_pauvrete'], '%', 1)} (estimation, intervalle à 90 % : "
                              f"{format_number(low, 1)} à {format_value(high, '%', 1)})")
    assert line["Nature"] == "estimation calibrée (avec intervalle)"
    assert "périmètre 2024" in line["Millésime"]  # the value's own vintage, not the catalogue's
    assert any("n'est pas un chiffre publié" in c.value for c in at.caption)


def test_fiche_rank_names_its_frame_and_reliability():
    table = territory_table(territories.resolve_key(TERRITORY)).set_index("code_qp")
    ranked = table[table["rang"].notna()]
    assert len(ranked)
    code = ranked.index[0]
    at = start(TERRITORY)
    at.session_state["qpv_selectionne"] = code
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    row = ranked.loc[code]
    rank = format_number(row["rang"], 0 if float(row["rang"]).is_integer() else 1)
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Rang "))
    assert sentence.startswith(f"**Rang {rank} parmi {row['cadre_classes']}**")
    assert "cadre de comparaison : tous les QPV" in sentence and "France" in sentence
    boxes = [b.value for b in at.warning] + [b.value for b in at.success]
    assert any(b.startswith("**Fiabilité du classement**") for b in boxes)


def test_fiche_of_a_quartier_without_any_value_says_so_in_one_sentence(monkeypatch):
    """A quartier whose sources are not loaded: one sentence and the way to the online update."""
    import assembly.fiche as fiche_module
    from assembly.fiche import NO_DATA
    from indicators import catalogue

    real = fiche_module.territory_table
    table = territory_table(territories.resolve_key(TERRITORY))
    code = str(table["code_qp"].iloc[0])

    def emptied(*args, **kwargs):
        out = real(*args, **kwargs)
        mask = out["code_qp"] == code
        for ind in catalogue.CATALOGUE:
            out.loc[mask, ind.id] = math.nan
            out.loc[mask, f"{ind.id}_missing_reason"] = "non_charge"
        return out

    monkeypatch.setattr(fiche_module, "territory_table", emptied)
    at = start(TERRITORY)
    at.session_state["qpv_selectionne"] = code
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] == [NO_DATA]
    assert not at.metric and not page_tables(at)  # no empty table, no score, no "0 alertes"
    assert not any("médiane" in m.value for m in at.markdown)


def test_carte_of_france_draws_the_chosen_zone_with_natures():
    at = start("FR")
    at.switch_page("app_pages/carte.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="sel_REG").value == territories.COUNTRY
    zones = at.sidebar.selectbox(key="carte_zone")
    assert zones.value == "metropole" and len(zones.options) >= 5  # metropole and the overseas regions
    at.radio(key="carte_generation").set_value(2024).run()
    at.selectbox(key="carte_indicateur").set_value("taux_pauvrete").run()
    assert not at.exception, [e.value for e in at.exception]
    listed = page_tables(at)[0]
    registry = territory_table(territories.resolve_key("FR"), with_scores=False)
    metro24 = registry[(registry["generation"] == 2024) & registry["insee_dep"].map(
        lambda d: not str(d).startswith(("97", "98")))]
    assert set(listed["Code"]) == set(metro24["code_qp"])
    estimated = listed[listed["Donnée"] == "estimation calibrée (avec intervalle)"]
    assert len(estimated) and estimated["Valeur"].str.contains("estimation, intervalle à 90 %").all()
    assert any(c.value.startswith("Valeurs de la carte :") for c in at.caption)
    # An overseas zone: its own QPV only.
    at.sidebar.selectbox(key="carte_zone").set_value("04").run()  # La Réunion
    assert not at.exception, [e.value for e in at.exception]
    reunion = page_tables(at)[0]
    assert len(reunion) and set(reunion["Code"]) <= set(registry.loc[registry["insee_reg"] == "04", "code_qp"])


def test_comparer_cells_say_what_each_value_is(calibrated):
    import io

    at = start(TERRITORY)
    at.switch_page("app_pages/comparer.py").run()
    at.multiselect(key="comparer_qpv").set_value([calibrated.name, "QP034005"]).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(t for t in page_tables(at) if "Indicateur" in t.columns)
    column = next(c for c in table.columns if c.startswith(str(calibrated["lib_qp"])))
    cell = table.loc[table["Indicateur"].str.startswith("Taux de pauvreté"), column].iloc[0]
    assert cell == (f"{format_value(calibrated['taux_pauvrete'], '%', 1)} (estimation : "
                    f"{format_number(calibrated['taux_pauvrete_ic_bas'], 1)} à "
                    f"{format_number(calibrated['taux_pauvrete_ic_haut'], 1)})")
    from assembly.comparer import comparison_provenances, comparison_table
    from reports.csv import comparison_csv_bytes

    full = territory_table(territories.resolve_key(TERRITORY))
    values, headers = comparison_table(full, [calibrated.name, "QP034005"])
    data = comparison_csv_bytes(values, headers, comparison_provenances(full, [calibrated.name, "QP034005"]))
    frame = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig").set_index("Indicateur")
    header = headers[calibrated.name]
    assert frame.loc["Taux de pauvreté", f"{header} — nature de la valeur"] == "estimation calibrée (avec intervalle)"
    assert frame.loc["Taux de pauvreté", f"{header} — borne basse de l'intervalle à 90 %"] == pytest.approx(
        round(calibrated["taux_pauvrete_ic_bas"], 1))  # as the interface shows it (issue #15)
    assert frame.loc["Taux de pauvreté", f"{headers['QP034005']} — nature de la valeur"] == "valeur officielle"
