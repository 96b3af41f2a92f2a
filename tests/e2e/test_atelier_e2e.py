"""Mode atelier in a real browser (issue #12), only 127.0.0.1 reachable, at 1920×1080 and 1280×720.

* the presentation mode draws without sidebar nor Streamlit header, the question and the map above the fold; the
  arrow keys (and the on-screen buttons) move the slides and the counter follows; no ranking or poverty word on
  the residents' slides; a screenshot of every slide at both sizes goes to ``tests/artifacts/``;
* choosing a quartier zooms the map on it, with its name (and its commune's) written on the map;
* the normal layout keeps the sidebar and launches the presentation;
* a note holding ``<script>`` is shown as text (no dialog), survives a restart of the server and is in the DOCX
  annex (read back with python-docx).

One server for the module (restarted once, on the same data folder, by the last test).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from assembly import atelier
from tests.e2e.conftest import map_frame, run_streamlit, save_screenshot

TERRITORY = "EPCI:243400017"
MOSSON, MOSSON_LABEL = "QN03405M", "Mosson — Montpellier"
SIZES = ((1920, 1080), (1280, 720))
HOSTILE = "<script>alert(1)</script> Pas un arbre sur la place"
COUNTER = ".st-key-atelier_compteur"
#: A Leaflet map drawn and idle in a frame (as the harness's ``map_frame`` checks).
MAP_READY_JS = """() => !!(window.map && window.map._loaded && !window.map._animatingZoom
    && document.querySelector('.leaflet-container'))"""


class Server:
    """The app on one data folder; ``restart()`` stops it and starts a new process on the same folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(run_streamlit(data_dir, "streamlit_atelier"))

    def restart(self) -> None:
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(run_streamlit(self.data_dir, "streamlit_atelier"))

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("atelier_data"))
    try:
        yield running
    finally:
        running.close()


def _counter(page) -> str:
    return page.locator(COUNTER).inner_text().strip()


def _wait_counter(page, text: str) -> None:
    page.wait_for_function("([selector, text]) => { const e = document.querySelector(selector); "
                           "return !!e && e.innerText.trim() === text; }", arg=[COUNTER, text], timeout=60_000)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\wàâçéèêëîïôûùüÿœ]+", text.lower()))


def _slide_map(page):
    """The frame of the slide's own map once Leaflet has drawn it and fitted it to its projected size (not a
    frame being replaced)."""
    for _ in range(240):
        try:
            handle = page.locator(".st-key-atelier_carte iframe").first.element_handle(timeout=1000)
            frame = handle.content_frame() if handle else None
            if frame is not None and frame.evaluate(MAP_READY_JS) and frame.evaluate("() => !!window.ecoqpvAjuste"):
                return frame
        except PlaywrightError:
            pass
        page.wait_for_timeout(250)
    raise AssertionError("la carte de la diapositive n'est pas dessinée")


def _shown_text(page) -> str:
    """Text of the page and of its map (names, legend): the map's frame may be replaced while it is read."""
    for _ in range(40):
        try:
            return page.locator('[data-testid="stMain"]').inner_text() + " " + _slide_map(page).locator("body").inner_text()
        except PlaywrightError:
            page.wait_for_timeout(250)
    raise AssertionError("la carte n'a pas pu être lue")


def _below_fold(page, selector: str) -> float:
    return float(page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().bottom", selector))


def test_presentation_at_both_sizes(server, browser_page):
    page = browser_page
    themes = atelier.sequence_themes("habitants")
    forbidden = set(atelier.RESIDENTS_FORBIDDEN)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{server.url}/atelier?territoire={TERRITORY}&presentation=1")
        map_frame(page)
        _wait_counter(page, f"1 / {len(themes)}")
        assert page.locator('[data-testid="stSidebar"]').is_hidden()
        assert page.locator('header[data-testid="stHeader"]').is_hidden()
        for number, theme in enumerate(themes, start=1):
            _wait_counter(page, f"{number} / {len(themes)}")
            word = max(re.findall(r"\w+", theme.question), key=len)  # a word of this question (not of the last)
            page.wait_for_function("([s, w]) => { const e = document.querySelector(s); return !!e && "
                                   "e.innerText.includes(w); }", arg=[".st-key-atelier_question", word], timeout=60_000)
            _slide_map(page)
            question = page.locator(".st-key-atelier_question")
            # Readable from the back of the room: the question and the whole map without scrolling.
            assert _below_fold(page, ".st-key-atelier_question") <= height
            assert _below_fold(page, ".st-key-atelier_carte iframe") <= height
            size = float(question.locator("p").first.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)"))
            assert size >= 30, f"question en {size} px à {width}×{height}"
            shown = _shown_text(page)
            assert not _words(shown) & forbidden, (number, _words(shown) & forbidden)
            save_screenshot(page, f"atelier_{width}x{height}_diapo{number}")
            if number < len(themes):
                if number == 1:  # the on-screen button once, the keyboard afterwards
                    page.locator(".st-key-atelier_suivant button").first.click()
                    page.mouse.move(width // 2, height - 2)  # no tooltip of the button on the screenshots
                else:
                    page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        _wait_counter(page, f"{len(themes) - 1} / {len(themes)}")
    assert page.blocked_requests == []


def test_choosing_a_quartier_zooms_on_it_with_its_name(server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server.url}/atelier?territoire={TERRITORY}&presentation=1&diapo=2")
    frame = map_frame(page)
    _wait_counter(page, "2 / 6")
    before = float(frame.evaluate("() => window.map.getZoom()"))
    page.locator(".st-key-atelier_quartier").click()
    page.get_by_role("option", name=MOSSON_LABEL).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('quartier') === 'QN03405M'")
    # The map is drawn again, zoomed (Streamlit may replace its frame more than once while it settles): wait for
    # the frame that shows the chosen name, taking a fresh frame whenever the one in hand is detached.
    for _ in range(30):  # at most about a minute
        frame = map_frame(page)
        try:
            frame.wait_for_function("() => { const e = document.querySelector('.ecoqpv-nom-choisi'); return !!e && "
                                    "getComputedStyle(e.parentElement).visibility === 'visible'; }", timeout=2_000)
            label = frame.locator(".ecoqpv-nom-choisi")
            break
        except PlaywrightError:
            continue
    else:
        pytest.fail("pas de nom du quartier choisi sur la carte")
    text = label.inner_text()
    assert "Mosson" in text and "montpellier" in text.lower()
    assert float(frame.evaluate("() => window.map.getZoom()")) > before
    box, frame_box = label.bounding_box(), frame.frame_element().bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= frame_box["width"] + 1
    assert 0 <= box["y"] and box["y"] + box["height"] <= frame_box["height"] + 1
    save_screenshot(page, "atelier_1280x720_zoom_mosson")


def test_normal_layout_launches_the_presentation(server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server.url}/atelier?territoire={TERRITORY}")
    map_frame(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    page.get_by_role("button", name="Lancer la présentation").click()
    _wait_counter(page, "1 / 6")
    page.wait_for_function("() => new URLSearchParams(location.search).get('presentation') === '1'")
    assert page.locator('[data-testid="stSidebar"]').is_hidden()


def test_a_note_is_text_survives_a_restart_and_is_in_the_annex(server, browser_page, monkeypatch):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server.url}/atelier?territoire={TERRITORY}")
    map_frame(page)
    form = page.locator(".st-key-atelier_remontee_formulaire, [data-testid='stForm']").first
    form.get_by_role("textbox", name="Ce que dit le groupe", exact=True).fill(HOSTILE)
    form.get_by_role("button", name="Enregistrer la remontée").click()
    page.get_by_text("Remontée n° 1 enregistrée").wait_for(timeout=60_000)
    page.get_by_text(HOSTILE).first.wait_for(timeout=30_000)  # shown as its own characters, not as markup
    assert dialogs == []

    server.restart()
    page.goto(f"{server.url}/atelier?territoire={TERRITORY}")
    map_frame(page)
    page.get_by_text(HOSTILE).first.wait_for(timeout=60_000)
    assert dialogs == []
    save_screenshot(page, "atelier_remontee_apres_redemarrage", full_page=True)

    # The annex of the same data folder carries the note in its own section.
    import reports
    import settings
    from docx import Document
    from geodata import territories

    monkeypatch.setattr(settings, "DATA_DIR", server.data_dir)
    document = Document(io.BytesIO(reports.export(territories.resolve_key(TERRITORY), "docx")))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Ce que disent les habitants et les équipes" in paragraphs
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert HOSTILE in cells
