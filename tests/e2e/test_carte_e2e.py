"""What a user clicks, in headless Chromium against ``streamlit run app.py`` with only 127.0.0.1 reachable."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import click_polygon, count_polygons, map_frame, save_screenshot

pytestmark = pytest.mark.e2e


def test_occitanie_map_draws_offline(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=REG:76")
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page)
    drawn = count_polygons(frame)
    path = save_screenshot(page, "carte_occitanie")
    save_screenshot(page, "carte_occitanie_page_entiere", full_page=True)
    assert drawn == 105, f"{drawn} polygones dessinés (capture : {path})"
    # Legend in French, inside the map.
    assert "Non disponible" in frame.locator("body").inner_text()
    # Nothing outside 127.0.0.1 was needed (tiles are off in the fixture).
    assert page.blocked_requests == []


def test_paca_map_and_click_shows_quartier(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=EPCI:200054807")  # Aix-Marseille-Provence
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page)
    assert count_polygons(frame) > 40
    name = click_polygon(page, frame)
    page.get_by_text("Quartier sélectionné").wait_for(timeout=20_000)
    assert name in page.get_by_text("Quartier sélectionné").inner_text()
    save_screenshot(page, "carte_aix_marseille_clic")


def test_territory_without_contours_says_so(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/carte?territoire=EPCI:200054781")
    page.get_by_text("ne sont pas disponibles hors ligne").wait_for(timeout=30_000)
    save_screenshot(page, "carte_sans_contours")
