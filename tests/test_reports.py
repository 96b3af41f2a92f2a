"""Annex exports (issue #6): DOCX structure and values, XLSX, CSV, PDF pages, maps.

Each format is generated once per session (fixtures below) for Montpellier Méditerranée Métropole
(QPV 2015 and 2024), plus the same annex for a small territory whose quartiers have no contour.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import docx
import openpyxl
import pandas as pd
import pytest
from docx.oxml.ns import qn
from PIL import Image

import reports
from core import reasons
from core.formats import format_number, format_value
from core.text import markdown_text
from geodata import territories
from indicators import catalogue
from indicators.catalogue import DOMAINS
from assembly.territory_table import reason_column, territory_table
from sources import store
from tests.apptest_tables import page_tables
from reports import map_specs, maps, model, pdf, wording
from reports import csv as rcsv
from reports import xlsx as rxlsx

TERRITORY = "EPCI:243400017"  # Montpellier Méditerranée Métropole
KNOWN_QPV = "QP034014"  # Aiguelongue (QPV 2015, contour available, most values present)
NO_CONTOUR = "COM:93008"  # Bobigny, drawn without any contour (as a territory whose contours are not loaded)
DAY = date(2026, 1, 15)
SHORT_UNITS = ("%", "€", "°C", "oui/non")


@pytest.fixture(scope="session")
def territory():
    return territories.resolve_key(TERRITORY)


@pytest.fixture(scope="session")
def annex(territory):
    return reports.annex_for(territory, generated_on=DAY)


@pytest.fixture(scope="session")
def table(territory):
    return territory_table(territory).set_index("code_qp")


@pytest.fixture(scope="session")
def docx_bytes(annex):
    return reports.render(annex, "docx")


@pytest.fixture(scope="session")
def document(docx_bytes):
    return docx.Document(io.BytesIO(docx_bytes))


@pytest.fixture(scope="session")
def xlsx_book(annex):
    return openpyxl.load_workbook(io.BytesIO(reports.render(annex, "xlsx")))


@pytest.fixture(scope="session")
def csv_bytes(annex):
    return reports.render(annex, "csv")


@pytest.fixture(scope="session")
def no_contour_document():
    """The annex of a territory none of whose quartiers has a contour in the data (the registry says so
    through ``a_contour``; whether the bundle happens to have such a territory does not matter)."""
    from reports import build

    real = build.territory_table

    def without_contours(*args, **kwargs):
        return real(*args, **kwargs).assign(a_contour=False)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "territory_table", without_contours)
        annex = build.build_annex(territories.resolve_key(NO_CONTOUR), generated_on=DAY)
    return annex, docx.Document(io.BytesIO(reports.render(annex, "docx")))


def body_items(document):
    """Paragraphs and tables of the body, in order, as ("p", style, text) or ("t", table)."""
    items = []
    paragraphs = {p._p: p for p in document.paragraphs}
    tables = {t._tbl: t for t in document.tables}
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            p = paragraphs[child]
            items.append(("p", p.style.name, p.text))
        elif child.tag == qn("w:tbl"):
            items.append(("t", tables[child]))
    return items


def domain_sections(document) -> dict[str, list]:
    """Items under each Heading 2 of the domain section, keyed by heading text."""
    sections: dict[str, list] = {}
    inside, current = False, None
    for item in body_items(document):
        if item[0] == "p" and item[1] == "Heading 1":
            inside = item[2] == wording.SECTION_DOMAINS
            current = None
            continue
        if inside and item[0] == "p" and item[1] == "Heading 2":
            current = item[2]
            sections[current] = []
            continue
        if inside and current:
            sections[current].append(item)
    return sections


def expected_cell(value, reason, ind) -> str:
    """The number of a cell (or its missing reason), before what the cell says of the value's nature."""
    if pd.isna(value):
        return reasons.short_label(None if pd.isna(reason) else reason)
    if ind.unit in SHORT_UNITS:
        return format_value(value, ind.unit, ind.decimals)
    return format_number(value, ind.decimals)


def check_value_cell(text: str, row, ind) -> None:
    """A domain-table cell: the number, then what the value is when it is not a published figure."""
    number = expected_cell(row[ind.id], row[reason_column(ind.id)], ind)
    nature = row.get(f"{ind.id}_nature")
    if pd.isna(row[ind.id]) or nature in ("officiel", "calcul_spatial"):
        assert text == number, (ind.id, text)
        return
    assert text.startswith(number + " ("), (ind.id, text)
    if nature == "estimation_calibree":
        low, high = row[f"{ind.id}_ic_bas"], row[f"{ind.id}_ic_haut"]
        assert f"estimation : {format_number(low, ind.decimals)} à {format_number(high, ind.decimals)}" in text
    elif nature == "estimation_iris":
        assert "estimation IRIS" in text
    elif nature == "officiel_qpv2015_meme_perimetre":
        assert "QPV 2015" in text and "même périmètre" in text
    elif nature == "contexte_commune":
        assert text == number + " (commune)"


# --- DOCX -----------------------------------------------------------------------------------------


def test_docx_has_title_and_expected_headings(document, territory):
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", model.TITLE) in styles
    level1 = [text for style, text in styles if style == "Heading 1"]
    assert level1 == list(wording.SECTIONS)
    level2 = [text for style, text in styles if style == "Heading 2"]
    assert "Ce que ces indicateurs ne disent pas" in level2
    assert "Lire ces chiffres sans stigmatiser" in level2
    # One page per QPV: a Heading 2 with its name and code, starting a new page.
    for code in territory_table(territory)["code_qp"]:
        headings = [p for p in document.paragraphs if p.style.name == "Heading 2" and p.text.endswith(f"({code})")]
        assert len(headings) == 1, code
        assert headings[0].paragraph_format.page_break_before
    assert {p.style.name for p in document.paragraphs} >= {"Heading 3", "List Bullet", "Caption"}
    first_page = " ".join(p.text for p in document.paragraphs[:30])
    assert "Montpellier Méditerranée Métropole (EPCI 243400017)" in first_page
    assert "15 janvier 2026" in first_page and "Filosofi 2019" in first_page


def test_docx_one_table_per_domain_with_builtin_style(document):
    sections = domain_sections(document)
    assert len(sections) == len(DOMAINS)
    for heading, items in sections.items():
        tables = [i[1] for i in items if i[0] == "t"]
        assert len(tables) == 1, heading
        assert tables[0].style.name == "Medium Shading 1 Accent 1" and tables[0].style.builtin
        assert tables[0].rows[0].cells[0].text == "Quartier"


def test_docx_one_picture_per_map_at_print_resolution(document, docx_bytes, annex, table):
    # At most one map per domain and generation with contours, each embedded once under its domain.
    generations = set(table.loc[table["a_contour"].astype(bool), "generation"].astype(int))
    assert generations, "Montpellier should have quartiers with contours"
    assert 5 <= len(annex.figures) <= len(DOMAINS) * len(generations)
    assert len(document.inline_shapes) == len(annex.figures)
    sections = domain_sections(document)
    for domain, info in DOMAINS.items():
        heading = next(h for h in sections if h.startswith(info.label))
        captions = [i for i in sections[heading] if i[0] == "p" and i[2].startswith("Carte ")]
        mapped = [f for f in annex.figures if f.spec.domain == domain]
        assert len(captions) == len(mapped) <= len(generations), domain
        assert {f.spec.generation for f in mapped} <= generations, domain
    for figure in annex.figures:
        image = Image.open(io.BytesIO(figure.png))
        assert figure.dpi >= 200
        assert image.width / (maps.FIGSIZE[0]) >= 200  # pixels per inch of the printed width


def test_docx_values_of_a_known_qpv_equal_the_indicator_table(document, table):
    row = table.loc[KNOWN_QPV]
    sections = domain_sections(document)
    checked = 0
    for domain, info in DOMAINS.items():
        heading = next(h for h in sections if h.startswith(info.label))
        grid = next(i[1] for i in sections[heading] if i[0] == "t")
        header = [c.text for c in grid.rows[0].cells]
        line = next(r for r in grid.rows if r.cells[0].text.startswith(f"{row['lib_qp']}\n{KNOWN_QPV}"))
        cells = [c.text for c in line.cells]
        for ind in (i for i in catalogue.CATALOGUE if i.domain == domain):
            column = next(k for k, h in enumerate(header) if h.startswith(ind.label))
            check_value_cell(cells[column], row, ind)
            assert cells[column] != "0" or row[ind.id] == 0
            checked += 1
    assert checked == len(catalogue.CATALOGUE)
    # The fiche of the QPV repeats the values with their unit.
    items = body_items(document)
    start = next(k for k, i in enumerate(items) if i[0] == "p" and i[1] == "Heading 2" and i[2].endswith(f"({KNOWN_QPV})"))
    fiche = next(i[1] for i in items[start:] if i[0] == "t")
    pauvrete = next(r for r in fiche.rows if r.cells[0].text == "Taux de pauvreté")
    assert pauvrete.cells[1].text == format_value(row["taux_pauvrete"], "%", 1)
    header = [c.text for c in fiche.rows[0].cells]
    revenu = next(r for r in fiche.rows if r.cells[0].text.startswith("Revenu disponible médian"))
    assert revenu.cells[header.index("Commune")].text == format_value(18870, "€", 0)  # Montpellier, Filosofi 2019
    # Each line says the nature and vintage of its value (an official value of this QPV 2015 here).
    assert pauvrete.cells[header.index("Nature de la valeur, millésime")].text == "valeur officielle · Filosofi 2019"


def test_docx_missing_values_are_words_never_zero(document, table):
    sections = domain_sections(document)
    heading = next(h for h in sections if h.startswith(DOMAINS[catalogue.get("part_moins_25").domain].label))
    grid = next(i[1] for i in sections[heading] if i[0] == "t")
    header = [c.text for c in grid.rows[0].cells]
    column = next(k for k, h in enumerate(header) if h.startswith(catalogue.get("part_moins_25").label))
    secret = table[table["part_moins_25"].isna() & (table[reason_column("part_moins_25")] == "secret_statistique")]
    assert len(secret), "the bundle should have a secret statistique case in Montpellier"
    for code, row in secret.iterrows():
        line = next(r for r in grid.rows if r.cells[0].text.startswith(f"{row['lib_qp']}\n{code}"))
        assert line.cells[column].text == "secret statistique"
    notes = [i[2] for i in sections[heading] if i[0] == "p"]
    assert any("jamais remplacées par zéro" in n and "secret statistique" in n for n in notes)


def test_docx_compares_with_commune_epci_and_france(document):
    refs = store.table("references")
    median = refs[(refs["indicateur"] == "revenu_median")].set_index(["niveau", "code"])["valeur"]
    sections = domain_sections(document)
    heading = next(h for h in sections if h.startswith(DOMAINS["pauvrete_revenus"].label))
    grid = next(i[1] for i in sections[heading] if i[0] == "t")
    header = [c.text for c in grid.rows[0].cells]
    column = next(k for k, h in enumerate(header) if h.startswith("Revenu disponible médian"))
    rows = {r.cells[0].text: r.cells[column].text for r in grid.rows}
    assert rows["Commune : Montpellier"] == format_value(median[("COM", "34172")], "€", 0)
    assert rows["EPCI : Montpellier Méditerranée Métropole"] == format_value(median[("EPCI", "243400017")], "€", 0)
    assert rows["France métropolitaine"] == format_value(median[("FRANCE", "1")], "€", 0)


def test_docx_fiche_has_scores_drivers_and_rank_interval(document, table):
    text = "\n".join(p.text for p in document.paragraphs)
    row = table.loc[KNOWN_QPV]
    assert f"{format_number(row['score_exposition'], 1)} / 10" in text
    assert "Ce qui tire le score vers le haut" in text
    assert "intervalle de 90 %" in text


def fiche_items(document, code: str) -> list:
    """Paragraphs and tables of the fiche of one QPV (from its Heading 2 to the next heading 1 or 2)."""
    items = body_items(document)
    start = next(k for k, i in enumerate(items) if i[0] == "p" and i[1] == "Heading 2" and i[2].endswith(f"({code})"))
    end = next((k for k in range(start + 1, len(items))
                if items[k][0] == "p" and items[k][1] in ("Heading 1", "Heading 2")), len(items))
    return items[start:end]


def test_docx_fiche_shows_the_evolution_series_with_the_insee_caution(document):
    """The series the Fiche page draws (Filosofi 2012-2021, population 2013/2018) are in the annex too."""
    series = store.table("evolutions")
    mine = series[series["code_qp"] == KNOWN_QPV]
    assert mine["indicateur"].nunique() == 3, "the bundle should have the three series for this QPV 2015"
    items = fiche_items(document, KNOWN_QPV)
    heading = next(k for k, i in enumerate(items) if i[0] == "p" and i[1] == "Heading 3" and i[2] == "Évolution")
    grid = next(i[1] for i in items[heading:] if i[0] == "t")
    header = [c.text for c in grid.rows[0].cells]
    assert header[1:] == [str(y) for y in sorted(mine["annee"].unique())]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in grid.rows[1:]}
    assert len(rows) == 3
    for indicator, label in (("taux_pauvrete", "Taux de pauvreté"), ("revenu_median", "Revenu médian"),
                             ("population", "Population")):
        cells = next(v for k, v in rows.items() if k.startswith(label))
        ind = catalogue.get(indicator)
        points = mine[mine["indicateur"] == indicator]
        assert len(points) >= 2, indicator
        for year, value in zip(points["annee"], points["valeur"], strict=True):
            assert cells[header.index(str(year))] == format_number(value, ind.decimals), (indicator, year)
        for year in set(header[1:]) - {str(y) for y in points["annee"]}:
            assert cells[header.index(year)] == "—"  # no value that year: never a zero
    after = " ".join(i[2] for i in items[heading:] if i[0] == "p").lower()
    assert "évolutions à interpréter avec prudence" in after


def test_no_annex_fiche_says_there_is_no_series_when_there_is_one(document, table):
    text = "\n".join(p.text for p in document.paragraphs)
    assert "pas encore de série temporelle" not in text
    series = store.table("evolutions")
    for code, row in table.iterrows():
        said = " ".join(i[2] for i in fiche_items(document, code) if i[0] == "p")
        has_series = bool((series["code_qp"] == code).any())
        assert ("Aucune série temporelle" in said) != has_series, code
        if int(row["generation"]) == 2024:
            assert "ne se comparent pas directement" in said, code


def test_fiche_page_and_annex_show_the_same_fiche(document):
    """One model (assembly.fiche) rendered twice: the Fiche page and the annex name the same drivers, the same
    key values and the same series."""
    from streamlit.testing.v1 import AppTest

    from assembly.fiche import profile
    from tests.conftest import ROOT

    fiche = profile(KNOWN_QPV)
    assert fiche.drivers and fiche.series
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.session_state["qpv_selectionne"] = KNOWN_QPV
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    page_drivers = next(m.value for m in at.markdown if m.value.startswith("**Ce qui pèse le plus**"))
    items = fiche_items(document, KNOWN_QPV)
    annex_drivers = next(i[2] for i in items if i[0] == "p" and i[2].startswith("Ce qui tire le score"))
    for line in fiche.drivers:
        assert line.label in page_drivers and line.label in annex_drivers, line.label
        assert f"centile {format_number(line.percentile)}" in page_drivers
        assert f"rang centile {format_number(line.percentile, 0)})" in annex_drivers
    # What the drivers rest on (some of the scores' indicators have no rank for this quartier), said on both.
    assert fiche.basis_text.startswith("Constat établi sur ")
    assert annex_drivers.endswith(fiche.basis_text)
    assert markdown_text(fiche.basis_text) in [c.value for c in at.caption]  # shown as text, not Markdown
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    grid = next(i[1] for i in items[next(k for k, i in enumerate(items) if i[0] == "p" and i[2] == "Évolution"):]
                if i[0] == "t")
    assert titles == [r.cells[0].text for r in grid.rows[1:]] == [s.label for s in fiche.series]
    key_figures = next(i[1] for i in items if i[0] == "t")
    value = next(r.cells[1].text for r in key_figures.rows if r.cells[0].text == "Taux de pauvreté")
    tables = page_tables(at)
    page_value = next(t.loc[t["Indicateur"] == "Taux de pauvreté", "Valeur"].iloc[0] for t in tables
                      if "Indicateur" in t and "Taux de pauvreté" in set(t["Indicateur"]))
    assert value == page_value == fiche.lines["taux_pauvrete"].value_text


def test_docx_sources_give_publisher_licence_and_vintage_for_every_indicator(document):
    grid = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Indicateur", "Source et éditeur"])
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in grid.rows[1:]}
    for ind in catalogue.CATALOGUE:
        assert ind.publisher in rows[ind.label][1]
        assert rows[ind.label][2] == ind.licence
        assert rows[ind.label][3] == ind.vintage


def test_docx_method_cites_the_settings_used(territory):
    options = reports.options.options_from_text('{"poids_domaines": {"chaleur": 2.5}, "cadre": "region"}',
                                                source="reglages_comite.json")
    annex = reports.annex_for(territory, options, generated_on=DAY, with_maps=False)
    document = docx.Document(io.BytesIO(reports.render(annex, "docx")))
    grid = next(t for t in document.tables if t.rows[0].cells[0].text == "Réglage")
    rows = {r.cells[0].text: r.cells[1].text for r in grid.rows[1:]}
    assert rows["Réglages"] == "fichier « reglages_comite.json »"
    assert rows["Poids du domaine « Chaleur » (pilier Exposition)"] == "2,5"
    assert rows["Cadre de comparaison"] == "QPV de la même génération et de la même région"


def test_territory_without_contours_gets_tables_and_a_clear_note(no_contour_document):
    annex, document = no_contour_document
    assert annex.figures == [] and len(document.inline_shapes) == 0
    sections = domain_sections(document)
    assert len(sections) == len(DOMAINS)
    for heading, items in sections.items():
        assert sum(1 for i in items if i[0] == "t") == 1, heading
        notes = [i[2] for i in items if i[0] == "p" and i[1] == "Intense Quote"]
        assert any(n.startswith("Carte non disponible") for n in notes), heading
    summary = " ".join(p.text for p in document.paragraphs)
    assert "Cartes non disponibles" in summary and "contours" in summary


# --- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_sheets_numbers_and_french_formats(xlsx_book, table):
    expected = ["Synthèse"] + [rxlsx.sheet_name(d.label, set()) for d in DOMAINS.values()] + ["Métadonnées"]
    assert xlsx_book.sheetnames == expected
    assert all(len(name) <= 31 for name in xlsx_book.sheetnames)
    ws = xlsx_book[rxlsx.sheet_name(DOMAINS["pauvrete_revenus"].label, set())]
    header_row = next(r for r in ws.iter_rows() if r[0].value == "Code du quartier")
    header = [c.value for c in header_row]
    line = next(r for r in ws.iter_rows(min_row=header_row[0].row + 1) if r[0].value == KNOWN_QPV)
    row = table.loc[KNOWN_QPV]
    pauvrete = line[header.index("Taux de pauvreté (%)")]
    assert pauvrete.data_type == "n" and isinstance(pauvrete.value, float)
    assert pauvrete.value == pytest.approx(row["taux_pauvrete"])
    assert pauvrete.number_format == '#,##0.0\u00a0"%"'
    revenu = line[header.index("Revenu disponible médian par unité de consommation (€)")]
    assert revenu.data_type == "n" and revenu.value == pytest.approx(row["revenu_median"])
    assert revenu.number_format == '#,##0\u00a0"€"'
    # A missing value is its reason in words (italic), never a zero.
    checked = 0
    for ind in (i for i in catalogue.CATALOGUE if i.domain == "pauvrete_revenus"):
        unit = f" ({ind.unit})" if ind.unit and ind.unit != "oui/non" else ""
        for code, reason in table.loc[table[ind.id].isna(), reason_column(ind.id)].items():
            line = next(r for r in ws.iter_rows(min_row=header_row[0].row + 1) if r[0].value == code)
            cell = line[header.index(f"{ind.label}{unit}")]
            assert cell.value == reasons.short_label(None if pd.isna(reason) else reason), (code, ind.id)
            assert cell.font.italic
            checked += 1
    assert checked, "the bundle should have a missing value in this domain for Montpellier"


def test_xlsx_metadata_sheet_has_definitions_sources_licences_and_method(xlsx_book):
    ws = xlsx_book["Métadonnées"]
    values = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    for ind in catalogue.CATALOGUE:
        assert {ind.label, ind.definition, ind.licence, ind.vintage} <= values, ind.id
    assert "Normalisation" in values and "rangs centiles" in values
    assert "Méthode : réglages utilisés" in values


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_round_trips_with_french_excel_conventions(csv_bytes, table):
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    first_line = csv_bytes.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("Code du quartier;Quartier;Commune;")
    frame = pd.read_csv(io.BytesIO(csv_bytes), sep=";", decimal=",", encoding="utf-8-sig",
                        dtype={"Code commune": str, "EPCI (SIREN)": str})
    assert len(frame) == len(table)
    row = frame.set_index("Code du quartier").loc[KNOWN_QPV]
    for ind in catalogue.CATALOGUE:
        unit = f" ({ind.unit})" if ind.unit else ""
        value = table.loc[KNOWN_QPV, ind.id]
        if pd.isna(value):
            assert pd.isna(row[f"{ind.label}{unit}"])
            assert row[f"{ind.label} — raison si manquante"]  # words, not empty
        elif ind.unit == "oui/non":  # as the interface shows it (issue #15)
            assert row[f"{ind.label}{unit}"] == ("oui" if value >= 0.5 else "non"), ind.id
        else:  # rounded to the indicator's decimals, as the interface shows it (issue #15)
            assert row[f"{ind.label}{unit}"] == pytest.approx(round(float(value), ind.decimals)), ind.id
    assert "," in csv_bytes.decode("utf-8-sig").splitlines()[1]  # decimal comma on the wire


def test_csv_injection_is_neutralised(annex):
    assert rcsv.neutralise("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for text in ("+33 1 00", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert rcsv.neutralise(text) == "'" + text
    assert rcsv.neutralise("Les Izards") == "Les Izards"
    assert rcsv.neutralise(-1.5) == -1.5
    flat = annex.flat.copy()
    flat.loc[0, "Quartier"] = '=WEBSERVICE("http://exemple.invalid")'
    flat.loc[1, "Commune"] = "@SOMME(A1:A9)"
    data = rcsv.to_csv_bytes(flat)
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert back.loc[0, "Quartier"] == "'" + '=WEBSERVICE("http://exemple.invalid")'
    assert back.loc[1, "Commune"] == "'@SOMME(A1:A9)"
    # Negative numbers stay numbers (not neutralised).
    numbers = rcsv.to_csv_bytes(pd.DataFrame({"écart": [-1.5, 2.0]})).decode("utf-8-sig")
    assert "-1,5" in numbers and "'-1,5" not in numbers


# --- PDF ------------------------------------------------------------------------------------------


@pytest.mark.skipif(not pdf.available(), reason="LibreOffice absent (apt-get install libreoffice-writer-nogui) : "
                    "la conversion DOCX → PDF n'est pas testée")
@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None,
                    reason="pdftoppm/pdfinfo absents (apt-get install poppler-utils)")
def test_pdf_converts_to_png_pages(annex, table, tmp_path):
    data = reports.render(annex, "pdf")
    assert data.startswith(b"%PDF")
    source = tmp_path / "annexe.pdf"
    source.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(source)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= len(table) + len(DOMAINS)  # a page per QPV, at least a page per domain
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "4", str(source), str(tmp_path / "page")],
                   check=True, timeout=120)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 4
    for path in images:
        image = Image.open(path).convert("L")
        assert image.getextrema()[0] < 100, f"{path.name} looks blank"


# --- maps -----------------------------------------------------------------------------------------


def test_map_files_print_resolution_and_editable_svg(annex):
    figure = annex.figures[0]
    png = maps.render(figure.spec, "png", maps.PRINT_DPI)
    image = Image.open(io.BytesIO(png))
    assert round(image.info["dpi"][0]) >= 300
    svg = maps.render(figure.spec, "svg").decode("utf-8")
    assert "<svg" in svg
    for text in ("Millésime", figure.spec.indicator.vintage.split(" ")[0], "Réalisation :", "ecoqpv", ">N<"):
        assert text in svg
    legend = maps.legend_entries(figure.spec)
    assert legend and all(label.startswith(("de ", "oui", "non")) or label[0].isdigit() for label, _ in legend)


def test_lead_indicator_never_maps_absolute_counts():
    frame = pd.DataFrame({i.id: [1.0, 2.0] for i in catalogue.CATALOGUE})
    assert map_specs.lead_indicator("contexte", frame).unit not in maps.COUNT_UNITS
    empty = pd.DataFrame({i.id: [float("nan")] for i in catalogue.CATALOGUE})
    assert map_specs.lead_indicator("air", empty) is None


def test_reports_package_is_pure_python_without_streamlit():
    import re

    from tests.conftest import ROOT

    for path in (ROOT / "reports").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import streamlit|from streamlit)", text, re.M), path.name


# --- natures of values and missing data (issue #10) -------------------------------------------------


@pytest.fixture(scope="session")
def calibrated(table):
    """A quartier of the territory whose poverty rate is a calibrated estimate, with its interval."""
    rows = table[table["taux_pauvrete_nature"] == "estimation_calibree"]
    assert len(rows), "the bundle should have a calibrated poverty estimate in Montpellier (QPV 2024)"
    code = rows.index[0]
    row = rows.loc[code]
    assert row["taux_pauvrete_ic_bas"] < row["taux_pauvrete"] < row["taux_pauvrete_ic_haut"]
    return code, row


def test_docx_shows_a_calibrated_estimate_with_its_interval_never_as_a_published_figure(document, calibrated):
    code, row = calibrated
    low, high = (format_number(row[f"taux_pauvrete_ic_{b}"], 1) for b in ("bas", "haut"))
    # The fiche of the quartier: the value, the word "estimation", the 90 % interval, the nature.
    items = fiche_items(document, code)
    key_figures = next(i[1] for i in items if i[0] == "t")
    header = [c.text for c in key_figures.rows[0].cells]
    line = next(r for r in key_figures.rows if r.cells[0].text == "Taux de pauvreté")
    value = line.cells[header.index("Quartier")].text
    assert value == (f"{format_value(row['taux_pauvrete'], '%', 1)} (estimation, intervalle à 90 % : {low} à "
                     f"{format_value(row['taux_pauvrete_ic_haut'], '%', 1)})")
    assert line.cells[header.index("Nature de la valeur, millésime")].text.startswith("estimation calibrée")
    # The domain table: the cell says it is an estimate, with its interval; the note explains it.
    sections = domain_sections(document)
    heading = next(h for h in sections if h.startswith(DOMAINS["pauvrete_revenus"].label))
    grid = next(i[1] for i in sections[heading] if i[0] == "t")
    columns = [c.text for c in grid.rows[0].cells]
    column = next(k for k, h in enumerate(columns) if h.startswith("Taux de pauvreté"))
    cell = next(r for r in grid.rows if r.cells[0].text.startswith(f"{row['lib_qp']}\n{code}")).cells[column].text
    assert cell == f"{format_value(row['taux_pauvrete'], '%', 1)} (estimation : {low} à {high})"
    notes = " ".join(i[2] for i in sections[heading] if i[0] == "p")
    assert "intervalle à 90 %" in notes and "Millésimes et sources des valeurs" in notes


def test_xlsx_and_csv_give_nature_and_interval_columns(xlsx_book, csv_bytes, calibrated):
    code, row = calibrated
    ws = xlsx_book[rxlsx.sheet_name(DOMAINS["pauvrete_revenus"].label, set())]
    header_row = next(r for r in ws.iter_rows() if r[0].value == "Code du quartier")
    header = [c.value for c in header_row]
    line = next(r for r in ws.iter_rows(min_row=header_row[0].row + 1) if r[0].value == code)
    assert line[header.index("Taux de pauvreté — nature de la valeur")].value == "estimation calibrée (avec intervalle)"
    low = line[header.index("Taux de pauvreté — borne basse de l'intervalle à 90 %")]
    high = line[header.index("Taux de pauvreté — borne haute de l'intervalle à 90 %")]
    # Numbers, rounded to the indicator's decimals as the interface shows them (issue #15).
    assert low.data_type == "n" and low.value == pytest.approx(round(row["taux_pauvrete_ic_bas"], 1))
    assert high.value == pytest.approx(round(row["taux_pauvrete_ic_haut"], 1))
    assert line[header.index("Taux de pauvreté (%)")].value == pytest.approx(round(row["taux_pauvrete"], 1))
    frame = pd.read_csv(io.BytesIO(csv_bytes), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code commune": str})
    flat = frame.set_index("Code du quartier").loc[code]
    assert flat["Taux de pauvreté — nature de la valeur"] == "estimation calibrée (avec intervalle)"
    # Rounded to the indicator's decimals, as the interface shows them (issue #15).
    assert flat["Taux de pauvreté — borne basse de l'intervalle à 90 %"] == pytest.approx(round(row["taux_pauvrete_ic_bas"], 1))
    assert flat["Taux de pauvreté — borne haute de l'intervalle à 90 %"] == pytest.approx(round(row["taux_pauvrete_ic_haut"], 1))
    assert "périmètre 2024" in flat["Taux de pauvreté — millésime"] or flat["Taux de pauvreté — millésime"]
    assert flat["Taux de pauvreté — source"]
    # A published value says so too.
    official = frame.set_index("Code du quartier").loc[KNOWN_QPV]
    assert official["Taux de pauvreté — nature de la valeur"] == "valeur officielle"


def test_csv_rank_says_its_frame_and_count(csv_bytes, table):
    frame = pd.read_csv(io.BytesIO(csv_bytes), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code commune": str})
    ranked = frame[frame["Rang dans le cadre"].notna()]
    assert len(ranked)
    for _, line in ranked.iterrows():
        row = table.loc[line["Code du quartier"]]
        assert line["Rang dans le cadre, en mots"] == f"rang {format_number(row['rang'])} parmi {row['cadre_classes']}"
        assert line["Fiabilité du classement"] == row["fiabilite_texte"]


def _without_any_value(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The territory table with one quartier that has no value at all (as a QPV whose sources are not
    loaded), and therefore no percentile, domain, score nor rank."""
    out = table.copy()
    mask = out["code_qp"] == code
    for ind in catalogue.CATALOGUE:
        out.loc[mask, ind.id] = float("nan")
        out.loc[mask, reason_column(ind.id)] = reasons.NOT_LOADED
        out.loc[mask, f"{ind.id}_nature"] = pd.NA
        for bound in ("ic_bas", "ic_haut"):
            if f"{ind.id}_{bound}" in out:
                out.loc[mask, f"{ind.id}_{bound}"] = float("nan")
    numeric = [c for c in out.columns if c.endswith("_pct") or c.startswith("dom_")] + [
        "score_exposition", "score_vulnerabilite", "score_global", "rang", "rang_p05", "rang_p95", "nb_alertes",
        "p_top20"]
    out.loc[mask, [c for c in numeric if c in out]] = float("nan")
    out.loc[mask, "nb_indicateurs"] = 0
    out.loc[mask, "statut"] = "partiel"
    out.loc[mask, ["robustesse", "fiabilite", "fiabilite_texte"]] = pd.NA
    return out


@pytest.fixture(scope="session")
def empty_qpv_annex(territory):
    """Montpellier's annex where one quartier has no value at all."""
    from reports import build

    real = build.territory_table
    code = KNOWN_QPV

    def one_empty(*args, **kwargs):
        return _without_any_value(real(*args, **kwargs), code)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "territory_table", one_empty)
        annex = build.build_annex(territory, generated_on=DAY, with_maps=False)
    return code, annex, docx.Document(io.BytesIO(reports.render(annex, "docx")))


def test_missing_is_never_a_reassurance_or_a_zero(empty_qpv_annex):
    from assembly.fiche import NO_DATA

    code, annex, document = empty_qpv_annex
    text = "\n".join(p.text for p in document.paragraphs)
    # The summary table: no "0" alerts for a quartier about which nothing is known.
    summary = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:1] == ["Quartier"]
                   and "Alertes" in [c.text for c in t.rows[0].cells])
    header = [c.text for c in summary.rows[0].cells]
    line = next(r for r in summary.rows if r.cells[0].text.endswith(f"{code} · Montpellier") or f"\n{code} " in r.cells[0].text)
    assert line.cells[header.index("Alertes")].text == "non calculé : données insuffisantes"
    assert "complet" not in text.lower().replace("score complet", "")
    assert "Tous les tableaux sont complets" not in text
    # Its fiche: one sentence pointing to the online update, nothing that reads as a finding.
    said = [i[2] for i in fiche_items(document, code) if i[0] == "p"]
    assert NO_DATA in said and "Données et sources" in NO_DATA
    assert not any("au-dessus de la médiane" in s for s in said)
    assert not any(t.startswith("Alertes 0") for t in said)
    assert not any(i[0] == "t" for i in fiche_items(document, code))  # no empty table of key figures
    # The summary counts what is missing, and names the quartier without any value.
    assert "Aucune valeur n'est disponible hors ligne pour 1 quartier :" in text
    assert "source non chargée" in text
    # The spreadsheet says it too.
    sheet = openpyxl.load_workbook(io.BytesIO(reports.render(annex, "xlsx")))["Synthèse"]
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "Code du quartier")
    names = [c.value for c in header_row]
    row = next(r for r in sheet.iter_rows(min_row=header_row[0].row + 1) if r[0].value == code)
    assert row[names.index("Alertes")].value == "non calculé : données insuffisantes"


def test_a_fiche_with_nothing_ranked_never_says_no_indicator_is_above_the_median(empty_qpv_annex, territory):
    from assembly.fiche import NOTHING_RANKED, fiches

    code, _, _ = empty_qpv_annex
    table = _without_any_value(territory_table(territory), code)
    partial = table.copy()
    mask = partial["code_qp"] == code
    partial.loc[mask, "population"] = 1000.0  # one descriptive value, nothing ranked
    fiche = next(f for f in fiches(partial) if f.code == code)
    assert not fiche.no_data
    assert fiche.drivers_text == NOTHING_RANKED


def _ranked_only(table: pd.DataFrame, code: str, kept: dict[str, float]) -> pd.DataFrame:
    """The territory table where quartier ``code`` keeps only the scored indicators of ``kept``, with the
    percentile given (every other value missing, as for a QPV most of whose sources are not loaded)."""
    out = _without_any_value(table, code)
    mask = out["code_qp"] == code
    for indicator, percentile in kept.items():
        out.loc[mask, indicator] = table.loc[table["code_qp"] == code, indicator].iloc[0]
        out.loc[mask, reason_column(indicator)] = pd.NA
        out.loc[mask, f"{indicator}_pct"] = percentile
    return out


def test_a_fiche_resting_on_one_ranked_indicator_says_so_never_a_plain_below_the_median(territory):
    """« No indicator above the median » from one indicator of fifteen is not a finding: the sentence names
    the only one and says how many of the scores' indicators have no rank."""
    from assembly.fiche import fiches

    table = territory_table(territory)
    scored = [ind.id for ind in catalogue.CATALOGUE if ind.scored and f"{ind.id}_pct" in table]
    code = KNOWN_QPV
    kept = next(i for i in scored if not pd.isna(table.loc[table["code_qp"] == code, i].iloc[0]))
    label = catalogue.get(kept).label
    fiche = next(f for f in fiches(_ranked_only(table, code, {kept: 30.0})) if f.code == code)
    said = fiche.drivers_text
    assert said.startswith(f"Le seul indicateur classé de ce quartier ({label[0].lower() + label[1:]}, rang centile 30)")
    assert "Aucun indicateur classé" not in said
    unranked = sum(1 for line in fiche.lines.values() if line.scored and line.id != kept)
    assert fiche.basis_text == (f"Constat établi sur 1 des {unranked + 1} indicateurs des scores : les {unranked} "
                                "autres n'ont pas de valeur ou ne sont pas classés pour ce quartier (voir les tableaux).")
    assert said.endswith(fiche.basis_text)


def test_drivers_say_on_how_many_indicators_they_rest(territory):
    from assembly.fiche import fiches

    table = territory_table(territory)
    code = KNOWN_QPV
    scored = [ind.id for ind in catalogue.CATALOGUE if ind.scored and f"{ind.id}_pct" in table
              and not pd.isna(table.loc[table["code_qp"] == code, ind.id].iloc[0])]
    first, second = scored[:2]
    fiche = next(f for f in fiches(_ranked_only(table, code, {first: 95.0, second: 20.0})) if f.code == code)
    assert [line.id for line in fiche.drivers] == [first]
    assert fiche.drivers_text.startswith("Ce qui tire le score vers le haut")
    assert "Constat établi sur 2 des " in fiche.drivers_text


def test_docx_population_is_given_per_generation_never_summed_across(document, table):
    """QPV 2015 and QPV 2024 overlap: the summary gives each generation's population on its own and says
    they don't add up (a sum over both would count the same residents twice)."""
    text = next(p.text for p in document.paragraphs if p.text.startswith("Population des quartiers"))
    generations = table["generation"].astype(int)
    for generation, short in ((2024, "QPV 2024"), (2015, "QPV 2015")):
        known = table.loc[(generations == generation) & table["population"].notna(), "population"]
        assert f"{short} : {format_number(known.sum(), 0)} habitants" in text
    assert format_number(table["population"].sum(), 0) not in text
    assert "ne s'additionnent pas" in text


@pytest.mark.parametrize("key", ["QPV:QP034014", "DEP:971"])
def test_annex_agrees_in_number_never_writes_s_in_brackets(key, document):
    """« 1 quartier renseigné sur 1 », « situés dans 9 communes » — never « quartier(s) renseigné(s) »: a document
    pasted into a contrat de ville is read as written French. One quartier (singulars) and Guadeloupe (plurals)."""
    import re

    if key == TERRITORY:
        doc = document
    else:
        doc = docx.Document(io.BytesIO(reports.render(reports.annex_for(territories.resolve_key(key),
                                                                           generated_on=DAY), "docx")))
    texts = [p.text for p in doc.paragraphs]
    texts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    bracketed = sorted({m.group(0) for text in texts for m in re.finditer(r"\w+\(s\)", text)})
    assert not bracketed, bracketed
    said = "\n".join(texts)
    if key.startswith("QPV:"):
        assert "pour 1 quartier renseigné sur 1" in said
        assert "situés dans 1 commune :" in said
    else:
        assert re.search(r"situés dans \d+ communes :", said)
