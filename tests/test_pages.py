"""Streamlit pages through ``AppTest`` (no browser): every page runs, widgets change what is shown."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sources import store
from tests.apptest_tables import carte_table, page_tables, text_table
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
PAGES = ["app_pages/accueil.py", "app_pages/carte.py", "app_pages/fiche.py", "app_pages/comparer.py", "app_pages/methode.py",
         "app_pages/annexe.py", "app_pages/atelier.py", "app_pages/donnees.py"]


def start(territory: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if territory:
        at.query_params["territoire"] = territory
    return at.run()


def carte(territory: str | None = None) -> AppTest:
    at = start(territory)
    return at.switch_page("app_pages/carte.py").run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(page):
    at = start()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, page


def test_default_territory_is_occitanie_and_home_counts():
    from assembly.territory_table import territory_table
    from geodata import territories

    at = start()
    assert at.sidebar.selectbox(key="sel_REG").value == "76"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["QPV 2015"] == "105"
    table = territory_table(territories.resolve_key("REG:76"), with_scores=False)
    assert metrics["Avec contour"] == str(int(table["a_contour"].astype(bool).sum()))


def test_carte_table_shows_french_values_and_missing_reason():
    at = carte("EPCI:243100518")
    assert not at.exception
    at.radio(key="carte_generation").set_value(2015).run()
    at.selectbox(key="carte_indicateur").set_value("part_moins_25").run()
    table = carte_table(at)
    rangueil = table[table["Code"] == "QP031015"].iloc[0]
    assert rangueil["Valeur"] == ""
    assert "secret statistique" in rangueil["Donnée"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Télécharger ce tableau (CSV pour Excel)" in labels  # its CSV: tests/test_export_injection.py
    at.selectbox(key="carte_indicateur").set_value("population").run()
    table = carte_table(at)
    assert table[table["Code"] == "QP031015"].iloc[0]["Valeur"] == "2\u202f295\u00a0habitants"


def test_carte_generation_choice_for_paca():
    at = carte("REG:93")
    assert not at.exception
    radio = at.radio(key="carte_generation")
    assert radio.options == ["QPV 2024", "QPV 2015"]
    radio.set_value(2024).run()
    at.selectbox(key="carte_indicateur").set_value("jours_sup_35").run()
    table = carte_table(at)
    assert len(table) == 135
    assert set(table["Code"]) <= set(store.table("qpv").query("generation == 2024")["code_qp"])
    assert "Génération" not in table  # one generation drawn, said by the radio above the map
    assert table["Valeur"].str.match(r"^[\d,\u202f]+\u00a0jours?$").all()  # "1,0 jour", "2,8 jours"
    # Ages of QPV 2024 are known offline only through a QPV 2015 of the same perimeter; elsewhere the
    # value is missing with its reason, never zero.
    at.selectbox(key="carte_indicateur").set_value("part_moins_25").run()
    table = carte_table(at)
    values = store.table("valeurs")
    carried = set(values.loc[(values["indicateur"] == "part_moins_25")
                             & (values["nature"] == "officiel_qpv2015_meme_perimetre"), "code_qp"])
    assert set(table.loc[table["Valeur"] != "", "Code"]) <= carried
    assert (table["Valeur"] == "").any() and table.loc[table["Valeur"] == "", "Donnée"].str.len().gt(0).all()


def test_territory_without_contours_says_so(monkeypatch):
    """A territory whose quartiers have no contour in the data (``a_contour`` false in the registry)."""
    from assembly import territory_table as table_module

    real = table_module.territory_table
    monkeypatch.setattr(table_module, "territory_table", lambda *a, **k: real(*a, **k).assign(a_contour=False))
    at = carte("EPCI:200054781")  # Métropole du Grand Paris
    assert not at.exception
    assert any("ne sont pas disponibles hors ligne" in w.value for w in at.warning)
    assert len(carte_table(at)) > 50


def test_cascading_selector_narrows_territory():
    at = carte()
    at.sidebar.selectbox(key="sel_DEP").set_value("34").run()
    at.sidebar.selectbox(key="sel_EPCI").set_value("243400017").run()  # Montpellier Méditerranée Métropole
    assert not at.exception
    table = carte_table(at)
    assert set(table["Commune"]) >= {"Montpellier"}
    assert at.query_params["territoire"] == ["EPCI:243400017"] or at.query_params["territoire"] == "EPCI:243400017"


def test_unknown_territory_in_url_is_explained():
    at = start("EPCI:999")
    assert not at.exception
    # Said in the page, with what is shown instead (issue #15); close matches when there are some.
    said = [w.value.replace("\\", "") for w in at.warning]  # markdown-escaped text
    assert any("EPCI:999" in w and "n'existe pas" in w and "territoire par défaut" in w for w in said), said
    at = start("QPV:QN0000")
    assert any("Territoires proches" in w and "QPV:QP009003" in w for w in (v.value.replace("\\", "") for v in at.warning))


def test_home_list_reads_down_current_generation_commune_then_name():
    """The home page's list of quartiers: QPV 2024 first, then by commune and name in French order (« Écully »
    between « Dardilly » and « Feyzin »), not in the registry's order."""
    from core.text import fold

    at = start("EPCI:200054807")  # Aix-Marseille-Provence: many communes, both generations
    assert not at.exception
    listing = at.dataframe[0].value
    generations = listing["Génération"].astype(int).tolist()
    assert generations == sorted(generations, reverse=True) and {2015, 2024} <= set(generations)
    for _, part in listing.groupby("Génération"):
        keys = [(fold(c), fold(q)) for c, q in zip(part["Commune"].fillna(""), part["Quartier"], strict=True)]
        assert keys == sorted(keys)


def test_quartier_lists_of_fiche_and_comparer_are_alphabetical():
    """The fiche's and the Comparer's lists of quartiers: French alphabetical order of the name (then commune,
    QPV 2024 first), the same labels on both pages."""
    from core.text import fold

    at = start("EPCI:200054807")
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception
    fiche_options = list(at.selectbox(key="fiche_qpv").options)
    names = [fold(option.split(" — ")[0]) for option in fiche_options]
    assert names == sorted(names) and len(names) > 100
    at.switch_page("app_pages/comparer.py").run()
    assert not at.exception
    assert list(at.multiselect(key="comparer_qpv").options) == fiche_options
    at.switch_page("app_pages/atelier.py").run()  # the workshop's zoom list too (one generation, not said)
    assert not at.exception
    zoom = list(at.selectbox(key="atelier_quartier").options)[1:]  # after « Tous les quartiers »
    assert [fold(o.split(" — ")[0]) for o in zoom] == sorted(fold(o.split(" — ")[0]) for o in zoom) and zoom
    assert not any("(QPV" in o for o in zoom)


def test_qpv_link_opens_its_fiche():
    at = start("QPV:QP031007")  # Grand Mirail, Toulouse
    assert not at.exception
    assert at.session_state["qpv_selectionne"] == "QP031007"
    assert any(h.value == "Grand Mirail" for h in at.header)


def test_donnees_lists_sources_with_licence():
    at = start()
    at.switch_page("app_pages/donnees.py").run()
    sources = next(d.value for d in at.dataframe if "Empreinte sha256" in d.value.columns)
    assert {"Éditeur", "Licence", "Millésime"} <= set(sources.columns)
    assert sources["Licence"].str.len().min() > 0
    # Every indicator of the catalogue in a real table of its domain, with its definition and licence.
    from indicators import catalogue

    indicators = pd.concat([text_table(t) for t in at.table if "Définition" in t.value.columns])
    assert sorted(indicators["Indicateur (unité)"]) == sorted(f"{i.label} ({i.unit})" for i in catalogue.CATALOGUE)
    assert (indicators["Définition"].str.len() > 20).all()
    licences = {i.label: i.licence for i in catalogue.CATALOGUE}
    for name, source in zip(indicators["Indicateur (unité)"], indicators["Source — licence"], strict=True):
        assert source.endswith(" — " + licences[name.rsplit(" (", 1)[0]]), source
    assert {e.label.split(" — ")[0] for e in at.expander} >= {catalogue.DOMAINS[i.domain].label
                                                              for i in catalogue.CATALOGUE}


def test_carte_labels_iris_estimations():
    at = carte("REG:93")
    at.selectbox(key="carte_indicateur").set_value("part_dpe_fg").run()  # DPE: IRIS estimates everywhere
    assert not at.exception
    table = carte_table(at)
    with_value = table[table["Valeur"] != ""]
    assert len(with_value) > 100
    assert (with_value["Donnée"] == "estimation par IRIS, non calibrée").all()  # the nature of each value
    assert with_value["Valeur"].str.endswith("(estimation par IRIS, non calibrée)").all()  # never a plain figure


def test_carte_score_layer():
    at = carte("REG:93")
    at.radio(key="carte_generation").set_value(2015).run()
    at.radio(key="carte_type").set_value("Score").run()
    at.selectbox(key="carte_score").set_value("score_global").run()
    assert not at.exception
    table = carte_table(at)
    assert (table["Valeur"] != "").sum() > 100
    assert table.loc[table["Valeur"] == "", "Donnée"].str.contains("partiel").all()


def test_fiche_shows_scores_and_missing_reason():
    at = start("EPCI:243100518")
    at.session_state["qpv_selectionne"] = "QP031015"  # Rangueil: secret statistique on ages
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception
    assert at.header[0].value == "Rangueil"
    tables = page_tables(at)  # real tables: every column visible at 1280 px
    age = next(t for t in tables if "Part des moins de 25 ans" in set(t["Indicateur"]))
    line = age[age["Indicateur"] == "Part des moins de 25 ans"].iloc[0]
    assert line["Valeur"] == "—" and "secret statistique" in line["Donnée"]
    assert any("ne disent pas" in s.value for s in at.subheader)
    # Filosofi 2012-2021 and population 2013/2018 series drawn as small charts.
    assert len(at.get("plotly_chart")) == 3
    assert any("prudence" in c.value for c in at.caption)
    # Their hover texts give the year and the value written in French, never plotly's column names.
    import json

    for chart in at.get("plotly_chart"):
        (trace,) = json.loads(chart.proto.spec)["data"]
        assert trace["hovertemplate"] == "%{x} : %{text}<extra></extra>"
        assert len(trace["text"]) == len(trace["y"])
        assert all(t.replace("\u202f", "").replace("\u00a0", " ")[0].isdigit() for t in trace["text"]), trace["text"]
        assert any("," in t for t in trace["text"]) or all(float(y).is_integer() for y in trace["y"])


def test_methode_weight_changes_ranking_and_other_pages_follow():
    at = start("REG:93")
    at.switch_page("app_pages/methode.py").run()
    assert not at.exception
    before = at.dataframe[0].value
    assert (before["Changement de rang"].isin(["inchangé", ""])).all()
    at.select_slider(key="poids_pauvrete_revenus").set_value(3.0).run()
    assert not at.exception
    after = at.dataframe[0].value
    assert after["Changement de rang"].str.match(r"^(monte|descend) de \d+ places?$").any()
    assert at.session_state["methode"].domain_weights["pauvrete_revenus"] == 3.0
    import json  # the chart's hover texts say which rank is which, in French

    (chart,) = at.get("plotly_chart")
    hovers = [trace["hovertemplate"] for trace in json.loads(chart.proto.spec)["data"]]
    assert hovers == ["%{y} : rang %{x} selon la méthode par défaut<extra></extra>",
                      "%{y} : rang %{x} selon la méthode choisie<extra></extra>"]
    at.switch_page("app_pages/carte.py").run()
    at.radio(key="carte_type").set_value("Score").run()
    assert not at.exception
    assert any("pondérations personnalisées" in c.value for c in at.caption)


def test_comparer_shows_french_values_references_and_exports_csv():
    import io

    import pandas as pd

    at = start("EPCI:243400017")
    at.switch_page("app_pages/comparer.py").run()
    assert not at.exception
    at.multiselect(key="comparer_qpv").set_value(["QP034005", "QP034004"]).run()
    table = text_table(at.table[0])  # a real table: its headers wrap (issue #15)
    mosson = next(c for c in table.columns if c.startswith("Mosson"))
    poverty = table[table["Indicateur"].str.startswith("Taux de pauvreté")].iloc[0]
    assert poverty[mosson] == "59,0\u00a0%"
    assert any(c.startswith("Commune : Montpellier") for c in table.columns)
    assert any(c.startswith("France") for c in table.columns)
    income_france = table[table["Indicateur"].str.startswith("Revenu disponible")].iloc[0]
    assert income_france[next(c for c in table.columns if c.startswith("France"))] == "21\u202f930\u00a0€"
    button = next(b for b in at.get("download_button") if b.key == "comparer_csv")
    assert button.proto.label.startswith("Télécharger")
    # The ranks: a real table too (copyable), one row per quartier ranked, its frame in words and its reliability.
    assert len(at.table) == 2, "tableau des rangs absent ou en grille"
    ranks = text_table(at.table[1])
    assert list(ranks.columns) == ["Quartier", "Rang", "Fiabilité du classement"]
    assert any(name.startswith("Mosson — Montpellier (QPV") for name in ranks["Quartier"]), list(ranks["Quartier"])
    assert all(rank.startswith("rang ") and " parmi " in rank for rank in ranks["Rang"]), list(ranks["Rang"])
    assert all(ranks["Fiabilité du classement"].str.len() > 0)


def test_comparer_dot_charts_speak_french_and_keep_one_colour_per_quartier():
    """The percentile charts: hover texts in French (never a column name such as ``lib_qp=``), each quartier
    drawn in the same colour in every domain's chart, the legend in the order of the choice."""
    import json

    at = start("EPCI:243400017")
    at.switch_page("app_pages/comparer.py").run()
    chosen = ["QP034005", "QP034004", "QP034014"]
    at.multiselect(key="comparer_qpv").set_value(chosen).run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    dots = [s for s in specs if "Rang centile" in s["layout"]["xaxis"]["title"]["text"]]
    assert len(dots) >= 3, "un graphique par domaine attendu"
    colours: dict[str, set[str]] = {}
    table = store.table("qpv").set_index("code_qp")
    order = [table.loc[code, "lib_qp"] for code in chosen]
    for spec in dots:
        traces = spec["data"]
        for trace in traces:
            assert trace["hovertemplate"].startswith("%{y} : rang centile %{x:.0f}")  # whole centiles
            assert not any(word in trace["hovertemplate"] for word in ("lib_qp", "libelle", "centile=", "code_qp"))
            colours.setdefault(trace["name"], set()).add(trace["marker"]["color"])
        shown = [t["name"] for t in traces]
        assert shown == [name for name in order if name in shown]  # the order of the choice
    assert set(colours) == set(order)
    (ranks,) = [s for s in specs if s["layout"]["xaxis"]["title"]["text"].startswith("Rang (1 =")]
    assert ranks["data"][0]["hovertemplate"] == "%{y}<br>%{hovertext}<extra></extra>"
    assert all(" parmi " in text for text in ranks["data"][0]["hovertext"])
    assert all(len(c) == 1 for c in colours.values()), colours  # one colour per quartier everywhere
    assert len({next(iter(c)) for c in colours.values()}) == len(order)  # and a different one for each


def test_territory_without_qpv_is_explained():
    at = start("COM:01001")  # L'Abergement-Clémenciat: no QPV
    assert not at.exception
    assert any("ne compte aucun quartier prioritaire" in i.value for i in at.sidebar.info)
    assert at.sidebar.selectbox(key="sel_DEP").value == "01"  # the enclosing département with QPV


def test_empty_table_sentence_on_pages(monkeypatch):
    """A territory left without QPV (e.g. after an update): each page says so in French."""
    import pandas as pd

    import assembly.fiche  # noqa: F401  (imported before patching: it binds territory_table itself)
    import reports  # noqa: F401
    from assembly import territory_table as table_module

    empty = table_module.territory_table(territories_resolve("EPCI:243400017")).iloc[0:0]
    for page in ("app_pages/accueil.py", "app_pages/carte.py", "app_pages/fiche.py", "app_pages/comparer.py", "app_pages/annexe.py"):
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        monkeypatch.setattr(table_module, "territory_table", lambda *a, **k: empty.copy())
        at.switch_page(page).run()
        monkeypatch.undo()
        assert not at.exception, (page, [e.value for e in at.exception])
        texts = [i.value for i in at.info] + [w.value for w in at.warning]
        assert any("aucun quartier" in t.lower() for t in texts), (page, texts)
        assert isinstance(empty, pd.DataFrame)


def territories_resolve(key):
    from geodata import territories

    return territories.resolve_key(key)


@pytest.mark.parametrize("page", ["app_pages/carte.py", "app_pages/fiche.py", "app_pages/comparer.py", "app_pages/methode.py"])
def test_territory_with_one_qpv(page):
    at = start("COM:01004")  # Ambérieu-en-Bugey: one QPV 2024 (and its 2015 predecessor)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]


def test_atelier_shows_one_question_and_no_ranking():
    at = start("EPCI:243400017")
    at.switch_page("app_pages/atelier.py").run()
    assert not at.exception
    slides = at.radio(key="atelier_diapo")
    at.radio(key="atelier_diapo").set_value(slides.options.index("4. Logement et énergie")).run()
    assert not at.exception
    texts = " ".join(m.value for m in at.markdown)
    assert "Votre logement vous protège" in texts
    assert "rang" not in texts.lower() and not at.dataframe and not at.metric
