"""French, accessible pages that work at 1280×720 and 1920×1080 (issue #15), in Chromium with only 127.0.0.1.

One server for the module; one visit per page and window size does the English/ISO-date scan, axe-core and
the screenshot (``tests/artifacts/ui_<page>_<size>.png``, to be looked at). The pages are the ones ``app.py``
declares (every ``url_path``), so a new page is checked without editing this file.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, click_polygon, map_element, map_frame, map_zoom, run_streamlit, save_screenshot
from tests.e2e.ui_checks import blocking, english_in, run_axe

pytestmark = pytest.mark.e2e

SIZES = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
#: A metropolis with QPV 2015 and 2024, every page has something to show.
TERRITORY = "EPCI:243400017"  # Montpellier Méditerranée Métropole
#: Pages whose state needs a quartier: the link opens its fiche.
QUARTIER = "QPV:QP034005"  # Mosson (Montpellier)


def documented_paths() -> list[str]:
    """Every page address of ``app.py``, read from its ``st.Page(... url_path=...)``. The home page ("") is
    visited through its documented alias ``/accueil``, which opens it (one visit checks both)."""
    paths = dict.fromkeys(re.findall(r'url_path="([^"]*)"', (ROOT / "app.py").read_text(encoding="utf-8")))
    return [p for p in paths if p or "accueil" not in paths]


#: Settled: Streamlit's "running" widget gone, no stale or skeleton element, for 500 ms in a row.
_SETTLED_JS = """() => {
    const busy = document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"], [data-testid="stSkeleton"]');
    const now = performance.now();
    if (busy || !document.querySelector('[data-testid="stMain"] h1, [data-testid="stMain"] h2')) {
        window.__ecoqpvCalm = null; return false;
    }
    if (!window.__ecoqpvCalm) { window.__ecoqpvCalm = now; }
    return now - window.__ecoqpvCalm > 500;
}"""


#: How far the page is scrolled (Streamlit scrolls its main element, not the window).
_SCROLL_JS = """() => document.querySelector('[data-testid="stMain"]').scrollTop + window.scrollY"""


def settle(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_function(_SETTLED_JS, polling=100, timeout=timeout_ms)
    if page.locator("iframe[title='streamlit_folium.st_folium'], .ecoqpv-carte").count():
        map_frame(page)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Not under /tmp/pytest-of-root: the Données page shows the data folder, and "of" is an English word.
    data_dir = Path(tempfile.mkdtemp(prefix="ecoqpv_donnees_"))
    try:
        with run_streamlit(data_dir, log_name="streamlit_ui") as base_url:
            yield base_url
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def open_page(_browser):
    contexts = []

    def _open(url: str, size: str):
        context = _browser.new_context(viewport=SIZES[size], locale="fr-FR")
        contexts.append(context)
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if re.match(r"https?://(127\.0\.0\.1|localhost)[:/]",
                                                                       route.request.url) else route.abort())
        page.goto(url)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", documented_paths())
def test_page_is_french_accessible_and_looked_at(server, open_page, path, size):
    """English words, ISO dates, "13,5k", Streamlit's "Page not found" modal, ``lang``, axe-core (serious and
    critical), and a screenshot — in one visit."""
    query = QUARTIER if path == "fiche" else TERRITORY
    page = open_page(f"{server}/{path}?territoire={query}", size)
    settle(page)
    name = path or "accueil_racine"
    shot = save_screenshot(page, f"ui_{name}_{size}")
    problems = []
    if path == "accueil" and not re.match(r"^[^?]*/(\?|$)", page.url.replace(server, "")):
        problems.append(f"/accueil n'a pas ouvert la page d'accueil : {page.url}")
    if page.get_by_role("dialog").count():
        problems.append("fenêtre modale : " + page.get_by_role("dialog").first.inner_text()[:200])
    lang = page.evaluate("() => document.documentElement.lang")
    if lang != "fr":
        problems.append(f'<html lang="{lang}">')
    # Real tables show every column in the window: nothing hidden behind a horizontal scroll (the fiche's domain
    # tables were data grids whose vintage, origin and source columns were out of sight at 1280 px).
    wide = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stTable"]')]
        .filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.innerText.slice(0, 80))""")
    problems += [f"tableau plus large que la page : {text!r}" for text in wide]
    if path == "fiche" and not page.locator('[data-testid="stTable"]').count():
        problems.append("aucun tableau d'indicateurs sur la fiche")
    problems += english_in(page)
    problems += blocking(run_axe(page))
    assert not problems, f"{len(problems)} problème(s) sur /{path} (capture : {shot}) :\n" + "\n".join(problems)


@pytest.mark.parametrize("size", list(SIZES))
def test_map_click_opens_fiche_without_scrolling(server, open_page, size):
    """The map is in the window as the page opens; a click on a quartier, with no scroll first, opens its fiche;
    the wheel over the map scrolls the page (no zoom) until the map is clicked."""
    from sources import store

    page = open_page(f"{server}/carte?territoire={TERRITORY}", size)
    settle(page)
    frame = map_frame(page)
    box = map_element(frame).bounding_box()
    height = SIZES[size]["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"carte hors de la fenêtre : {box}"
    assert page.evaluate(_SCROLL_JS) == 0
    zoom = map_zoom(frame)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)
    page.wait_for_function(f"() => ({_SCROLL_JS})() > 0", timeout=10_000)  # the page scrolled
    assert map_zoom(frame) == zoom, "la molette a zoomé la carte sans clic"
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.wait_for_function(f"() => ({_SCROLL_JS})() === 0")
    code = click_polygon(page, frame)  # no scroll: the map is where the page opened it
    name = store.table("qpv").set_index("code_qp").loc[code, "lib_qp"]
    page.get_by_role("heading", name="Fiche quartier").wait_for(timeout=30_000)
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)
    save_screenshot(page, f"ui_clic_fiche_{size}")
