"""What a user clicks, in headless Chromium against ``streamlit run app.py`` with only 127.0.0.1 reachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import click_polygon, count_polygons, map_frame, run_streamlit, save_screenshot

pytestmark = pytest.mark.e2e


def test_occitanie_map_draws_offline(streamlit_server, browser_page):
    from assembly.territory_table import territory_table
    from geodata import territories

    table = territory_table(territories.resolve_key("REG:76"), with_scores=False)
    expected = int((table["a_contour"].astype(bool) & (table["generation"] == 2024)).sum())  # shown first
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=REG:76")
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page)
    drawn = count_polygons(frame)
    path = save_screenshot(page, "carte_occitanie")
    save_screenshot(page, "carte_occitanie_page_entiere", full_page=True)
    assert drawn == expected, f"{drawn} polygones dessinés au lieu de {expected} (capture : {path})"
    # Legend in French, beside the map (issue #15: it hides no quartier).
    legend = page.get_by_role("group", name="Légende")
    assert "Non disponible" in legend.inner_text()
    # The outlines of communes: the map's own checkbox hides and shows them at once (no page run).
    outlines = "() => document.querySelectorAll('.ecoqpv-carte path:not(.leaflet-interactive)').length"
    shown = page.evaluate(outlines)
    assert shown > 0
    box = page.get_by_role("checkbox", name="Limites communales")
    box.uncheck()
    assert page.evaluate(outlines) == 0 and count_polygons(frame) == expected
    box.check()
    assert page.evaluate(outlines) == shown
    # Nothing outside 127.0.0.1 was needed (tiles are off in the fixture).
    assert page.blocked_requests == []


def test_paca_map_and_click_opens_fiche(streamlit_server, browser_page):
    from sources import store

    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=EPCI:200054807")  # Aix-Marseille-Provence
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page)
    assert count_polygons(frame) > 40
    save_screenshot(page, "carte_aix_marseille")
    code = click_polygon(page, frame)
    name = store.table("qpv").set_index("code_qp").loc[code, "lib_qp"]
    page.get_by_role("heading", name="Fiche quartier").wait_for(timeout=30_000)
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)
    # Streamlit draws the page element by element: wait for the caption that names the code, then read it.
    page.get_by_text(f"code {code}").first.wait_for(timeout=30_000)
    assert code in page.locator("[data-testid='stMain']").first.inner_text()
    save_screenshot(page, "fiche_apres_clic_aix_marseille")


def test_territory_without_contours_says_so(tmp_path, browser_page):
    """A territory whose quartiers have no contour in the data: an updated territory (``primary/``) whose
    registry rows say ``a_contour`` false, since every QPV of the national bundle has one."""
    import json

    import settings
    from sources import store

    folder = tmp_path / "donnees" / "primary" / "EPCI-200054781"
    folder.mkdir(parents=True)
    registry = store.table("qpv", folder=settings.BUNDLE_DIR)
    registry[registry["siren_epci"] == "200054781"].assign(a_contour=False).to_parquet(folder / "qpv.parquet",
                                                                                        index=False)
    (folder / "manifest.json").write_text(json.dumps({"territoire": "EPCI:200054781", "sources": [],
                                                      "construit_le": "2026-12-01T00:00:00+00:00"}), "utf-8")
    with run_streamlit(tmp_path / "donnees", log_name="streamlit_sans_contours") as base_url:
        page = browser_page
        page.goto(f"{base_url}/carte?territoire=EPCI:200054781")
        page.get_by_text("ne sont pas disponibles hors ligne").wait_for(timeout=30_000)
        save_screenshot(page, "carte_sans_contours")


def test_click_opens_fiche_then_weights_change_ranking(streamlit_server, browser_page):
    """Issue #5 journey: map → click → fiche with the right name and values → Méthode weight → ranking."""
    from assembly.fiche import profile

    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=EPCI:243400017")  # Montpellier Méditerranée Métropole
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    page.get_by_text("QPV 2015", exact=True).click()  # the QPV 2024 are shown first
    page.wait_for_timeout(1_000)
    frame = map_frame(page)
    code = click_polygon(page, frame, "QP034005")  # Mosson
    page.get_by_role("heading", name="Fiche quartier").wait_for(timeout=30_000)
    expected = profile(code)
    page.get_by_role("heading", name=str(expected.row["lib_qp"]), exact=True).wait_for(timeout=30_000)
    from core.formats import format_number

    score = format_number(expected.row["score_global"], 1)
    page.get_by_text(score, exact=True).first.wait_for(timeout=30_000)  # the "Score global" metric
    page.get_by_text("Ce qui pèse le plus").first.wait_for(timeout=30_000)  # the drivers, drawn after the metrics
    body = page.locator("[data-testid='stMain']").first.inner_text().replace("\u00a0", " ")
    assert f"code {code}" in body
    assert expected.lines["taux_pauvrete"].value_text.replace("\u00a0", " ") in body  # among the drivers
    save_screenshot(page, "fiche_mosson", full_page=True)

    page.get_by_role("link", name="Comparer").click()
    page.get_by_role("heading", name="Comparer des quartiers").wait_for(timeout=30_000)
    page.get_by_text("Rangs centiles par domaine").wait_for(timeout=30_000)
    # The fiche's quartier is preselected (waited for: the page renders in several passes).
    page.get_by_text(f"{expected.row['lib_qp']} — Montpellier (QPV 2015)").first.wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert page.blocked_requests == []
    save_screenshot(page, "comparer")

    page.get_by_role("link", name="Méthode et pondérations").click()
    page.get_by_role("heading", name="Méthode et pondérations").wait_for(timeout=30_000)
    page.get_by_text("de rang par rapport").wait_for(timeout=30_000)
    assert page.get_by_text("de rang par rapport").inner_text().startswith("0 quartier sur")
    slider = page.get_by_role("slider", name="Pauvreté et revenus")
    slider.focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')].some(p => /de rang par rapport/.test(p.innerText)"
        " && !/^0 quartier/.test(p.innerText))", timeout=30_000)
    save_screenshot(page, "methode_poids_modifie", full_page=True)


def test_national_map_draws_every_metropolitan_qpv_2024_with_natures(streamlit_server, browser_page):
    """France entière (issue #10): the metropolitan zone draws every QPV 2024 with a contour; hovering a
    quartier with a calibrated estimate shows its nature and its interval."""
    from assembly import layers
    from assembly.territory_table import territory_table
    from geodata import territories
    from tests.e2e.conftest import hover_polygon

    table = territory_table(territories.resolve_key("FR"), with_scores=False)
    metro = table[layers.in_zone(table, layers.METROPOLE).to_numpy()]
    expected = int((metro["a_contour"].astype(bool) & (metro["generation"] == 2024)).sum())
    assert expected > 1300
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=FR")
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page, timeout_s=120)
    drawn = count_polygons(frame)
    path = save_screenshot(page, "carte_france")
    assert drawn == expected, f"{drawn} polygones dessinés au lieu de {expected} (capture : {path})"
    assert "France entière (métropole et outre-mer)" in page.locator("[data-testid='stMain']").first.inner_text()
    assert page.blocked_requests == []
    # A calibrated estimate: its tooltip says it is one, with its interval, and names its nature.
    page.get_by_role("combobox", name="Indicateur").click()
    page.keyboard.type("Taux de pauvreté")  # the list is long: filter it as a user would
    page.get_by_role("option", name="Taux de pauvreté (%)").click()
    page.get_by_role("group", name="Légende").filter(has_text="Taux de pauvreté").wait_for()  # the new layer
    estimated = metro[(metro["generation"] == 2024) & (metro["taux_pauvrete_nature"] == "estimation_calibree")
                      & metro["a_contour"].astype(bool)]
    assert len(estimated)
    code = str(estimated["code_qp"].iloc[0])
    page.wait_for_timeout(1000)
    frame = map_frame(page, timeout_s=120)
    tooltip = hover_polygon(page, frame, code).replace("\u00a0", " ")
    save_screenshot(page, "carte_france_infobulle_estimation")
    assert "intervalle à 90 %" in tooltip and "estimation" in tooltip, tooltip
    assert "Nature de la valeur" in tooltip and "estimation calibrée" in tooltip, tooltip


def _value_column(page) -> list[float | None]:
    """The numbers of the « Valeur » column in the order shown (None for an empty cell)."""
    texts = page.locator(".ecoqpv-tableau tbody tr td.ecoqpv-nombre").all_inner_texts()
    numbers = []
    for text in texts:
        head = text.replace("\u202f", "").replace("\u00a0", " ").split(" ")[0].replace(",", ".")
        numbers.append(float(head) if head else None)
    return numbers


def test_table_under_the_map_sorts_and_a_name_opens_the_fiche(streamlit_server, browser_page):
    """The table is a real table: every quartier of the map, sorted by a click on a header (numbers as
    numbers, missing last), and a name opens that quartier's fiche."""
    from assembly.territory_table import territory_table
    from geodata import territories

    registry = territory_table(territories.resolve_key("EPCI:200054807"), with_scores=False)
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=EPCI:200054807")  # Aix-Marseille-Provence
    table = page.get_by_role("region", name="quartiers", exact=False).filter(has=page.locator("table"))
    table.wait_for(timeout=60_000)
    rows = page.locator(".ecoqpv-tableau tbody tr")
    assert rows.count() == int((registry["generation"] == 2024).sum())
    header = page.locator(".ecoqpv-tableau th").filter(has_text="Valeur")
    assert page.locator(".ecoqpv-tableau th").first.get_attribute("aria-sort") == "ascending"  # by name
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    shown = _value_column(page)
    known = [n for n in shown if n is not None]
    assert len(known) > 20 and known == sorted(known)
    assert shown[:len(known)] == known  # missing values last
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    known = [n for n in _value_column(page) if n is not None]
    assert known == sorted(known, reverse=True)
    save_screenshot(page, "carte_tableau_trie")
    # The CSV of the table, made when asked for: one line per quartier, with what each value is.
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Télécharger ce tableau (CSV pour Excel)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Quartier;Code;Commune;Génération;Indicateur;Unité;Valeur;Valeur affichée;")
    assert len(lines) == 1 + rows.count()
    first = rows.first.get_by_role("button")
    name = first.inner_text()
    first.click()
    page.get_by_role("heading", name="Fiche quartier").wait_for(timeout=30_000)
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)
    assert page.blocked_requests == []
