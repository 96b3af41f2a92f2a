"""Hostile names in Chromium: the app on a data folder whose updated territory names its quartiers
``<img src=x onerror=alert(1)>``, ``"><script>alert(1)</script>``… (issue #14: 28 dialogs opened).

Every polygon is hovered on Carte and on the Atelier map; no ``dialog`` event may fire, no injected
element may exist in the map frame, and the tooltip must show the name as text. A click then opens the
fiche, whose title is the name as text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import click_polygon, hover_polygon, map_frame, polygon_codes, run_streamlit, save_screenshot
from tests.hostile import HOSTILE_COMMUNE, HTML_PAYLOADS, TERRITORY, build_hostile_overlay

pytestmark = pytest.mark.e2e

#: Elements or attributes that only an injection could put into the map frame.
_INJECTED_JS = """() => {
    const found = [];
    const allowed = new Set(['TABLE', 'TBODY', 'TR', 'TH', 'TD', 'DIV', 'SPAN']);
    for (const el of document.querySelectorAll('.leaflet-tooltip *, .ecoqpv-legende *')) {
        if (!allowed.has(el.tagName)) found.push('dans une infobulle : ' + el.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('img, iframe, object, embed')) {  // tiles are off: no image
        found.push(el.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.getAttributeNames()) {
            if (/^on/i.test(attr)) found.push(el.tagName + ' ' + attr);
        }
    }
    for (const s of document.querySelectorAll('script')) {
        if (/alert\\(/.test(s.textContent) && !/geo_json_/.test(s.textContent)) found.push(s.textContent.slice(0, 120));
    }
    return found;
}"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("ecoqpv_hostile")
    names = build_hostile_overlay(data_dir)
    with run_streamlit(data_dir, log_name="streamlit_hostile") as base_url:
        yield base_url, names


@pytest.fixture
def dialogs(browser_page) -> list[str]:
    """Messages of every alert/confirm/prompt the page (or one of its frames) opened; each is dismissed."""
    opened: list[str] = []

    def _record(dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    browser_page.on("dialog", _record)
    return opened


def _hover_all(page, frame, names: dict[str, str], dialogs: list[str]) -> int:
    codes = polygon_codes(frame)
    assert len(codes) >= 5, codes
    for code in codes:
        text = hover_polygon(page, frame, code)
        page.wait_for_timeout(200)  # an injected handler (onerror, onload) would have run by now
        assert dialogs == [], f"boîte de dialogue ouverte en survolant {code} : {dialogs}"
        # The tooltip shows the name exactly as in the data, as text.
        assert names[code] in text, (code, text)
        assert HOSTILE_COMMUNE in text
    return len(codes)


def test_carte_hover_and_click_run_no_script(hostile_server, browser_page, dialogs):
    base_url, names = hostile_server
    page = browser_page
    page.goto(f"{base_url}/carte?territoire={TERRITORY}")
    page.get_by_role("heading", name="Carte des quartiers").wait_for()
    frame = map_frame(page)
    hovered = _hover_all(page, frame, names, dialogs)
    save_screenshot(page, "hostile_carte_infobulle")
    assert dialogs == [], dialogs
    assert frame.evaluate(_INJECTED_JS) == []
    # The page around the map shows the commune's name as text (caption), never as an image.
    assert HOSTILE_COMMUNE in page.locator("[data-testid='stMain']").first.inner_text()
    assert page.locator("[data-testid='stMain'] img[src='y']").count() == 0
    assert hovered == len(polygon_codes(frame))
    # The table under the map lists every name as text (sorted, clickable), and holds nothing else.
    listed = page.locator(".ecoqpv-tableau tbody")
    listed.wait_for()
    assert all(names[code] in listed.inner_text() for code in polygon_codes(frame))
    assert page.locator(".ecoqpv-tableau *").evaluate_all(
        "els => els.filter(e => !['TABLE', 'CAPTION', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'BUTTON', 'SPAN']"
        ".includes(e.tagName)).map(e => e.outerHTML.slice(0, 120))") == []
    # Sorting redraws the rows (clicked from the script: the page must not scroll away from the map).
    page.locator(".ecoqpv-tableau th button").first.evaluate("button => button.click()")
    page.wait_for_timeout(200)
    assert dialogs == [], dialogs

    code = click_polygon(page, frame, next(c for c, n in names.items() if n == HTML_PAYLOADS[0]))
    page.get_by_role("heading", name="Fiche quartier").wait_for(timeout=30_000)
    page.get_by_role("heading", name=names[code], exact=True).wait_for(timeout=30_000)
    save_screenshot(page, "hostile_fiche")
    assert dialogs == [], dialogs
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    assert page.blocked_requests == []


def test_atelier_map_runs_no_script(hostile_server, browser_page, dialogs):
    base_url, names = hostile_server
    page = browser_page
    page.goto(f"{base_url}/atelier?territoire={TERRITORY}")
    page.get_by_role("heading", name="Mode atelier").wait_for()
    frame = map_frame(page)
    _hover_all(page, frame, names, dialogs)
    save_screenshot(page, "hostile_atelier_infobulle")
    assert dialogs == [], dialogs
    assert frame.evaluate(_INJECTED_JS) == []
    assert page.blocked_requests == []
