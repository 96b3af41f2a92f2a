"""Browser-test harness: the real app (``streamlit run app.py``) driven by headless Chromium.

* ``streamlit_server`` (session): the app on a free port, from the repository root (so
  ``.streamlit/config.toml`` applies: static serving of Leaflet), tiles off, its own empty data dir
  (the app runs on the committed bundle); waited for on ``/_stcore/health``.
* ``browser_page``: a 1280×720 page in Debian's Chromium where every request to another host than
  127.0.0.1/localhost is aborted and recorded in ``page.blocked_requests`` — a map that needs a CDN
  shows up as a failing test, not as a blank map at a workshop.
* ``map_frame(page)`` / ``count_polygons(frame)`` / ``click_polygon(page, frame)`` /
  ``hover_polygon(page, frame, code)``: find the frame that holds the Leaflet map (the page itself for the
  Carte page, streamlit-folium's iframe for the workshop page), count the QPV drawn, click one of them,
  hover one and read its tooltip.
* ``run_streamlit(data_dir)``: another server on its own data folder (e.g. an updated territory).
* ``save_screenshot(page, name)``: PNG under ``tests/artifacts/`` (git-ignored) for a human to look at.

Trap: with ``page.route`` in Playwright's sync API, never ``time.sleep`` — requests are only routed
while Playwright runs, so a sleeping test starves the page. Wait with ``page.wait_for_timeout``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: For benchmarks: only 127.0.0.1 and localhost are reachable (every other address goes to a closed proxy
#: port), without ``page.route``: routing sends each request through Playwright and disables the browser's
#: HTTP cache, which a benchmark must not measure. Tests keep ``page.route`` (it records what was blocked).
LOCAL_ONLY_ARGS = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost"]
VIEWPORT = {"width": 1280, "height": 720}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
HEALTH_TIMEOUT_S = 60.0
MAP_TIMEOUT_S = 60.0

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an ``e2e`` test (so ``-m "not e2e"`` skips the browser)."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Poll ``/_stcore/health`` until 200; fail early with the server log if the process died."""
    deadline = time.monotonic() + timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"streamlit s'est arrêté (code {process.returncode}) avant d'être prêt :\n"
                + log.read_text(encoding="utf-8", errors="replace")[-3000:]
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.25)
    pytest.fail(
        f"streamlit ne répond pas sur {url} après {timeout_s:.0f} s ({last_error}) :\n"
        + log.read_text(encoding="utf-8", errors="replace")[-3000:]
    )


@contextlib.contextmanager
def run_streamlit(data_dir: Path, log_name: str = "streamlit_server", script: str = "app.py",
                  root: Path = ROOT) -> Iterator[str]:
    """``streamlit run app.py`` (or another ``script`` of the repository, run from its root so that
    ``.streamlit/config.toml`` applies) on a free port with ``data_dir`` as ``ECOQPV_DATA_DIR``; yields its base URL.
    ``root``: another checkout of the project (``bench/bench_ab.py`` compares two).

    The server is stopped on exit; its output goes to ``tests/artifacts/<log_name>.log``.
    """
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"{log_name}.log"
    env = {
        **os.environ,
        "ECOQPV_TILES": "0",
        "ECOQPV_DATA_DIR": str(data_dir),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(f"{base_url}/_stcore/health", process, log, HEALTH_TIMEOUT_S)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of ``streamlit run app.py``, stopped after the session."""
    if not (ROOT / "app.py").is_file():
        pytest.skip(f"app.py absent de {ROOT}")
    with run_streamlit(tmp_path_factory.mktemp("ecoqpv_data")) as base_url:
        yield base_url


# --------------------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    """One Chromium for the whole session (start-up is the slow part)."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(f"Chromium introuvable ({CHROMIUM}) : installer le paquet Debian « chromium »")
    sync_api = pytest.importorskip("playwright.sync_api", reason="paquet Python « playwright » absent")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(_browser: Any) -> Iterator[Any]:
    """A fresh 1280×720 page (French locale) that can only talk to the local server.

    ``page.blocked_requests`` lists the URLs that were aborted (tiles, CDNs…), in order.
    """
    context = _browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    blocked: list[str] = []

    def _only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", _only_local)
    page.blocked_requests = blocked
    try:
        yield page
    finally:
        context.close()


def save_screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Viewport (or whole-page) PNG ``tests/artifacts/<name>.png`` (for a human look; never compared)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{Path(name).stem}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --------------------------------------------------------------------------------------------------
# Map helpers
# --------------------------------------------------------------------------------------------------

#: The Leaflet map of a frame: the Carte page's own map (``assets/ui/carte_qpv.js`` keeps it on its
#: ``.ecoqpv-carte`` element, in the page) or streamlit-folium's ``window.map`` (in its iframe: workshop page).
MAP_JS = ("((document.querySelector('.ecoqpv-carte') || {}).ecoqpvMap "
          "|| (window.frameElement ? window.map : null))")

#: True once the frame holds a Leaflet map that has finished its initial zoom animation (a zoom or
#: fitBounds asked for during an animation is silently dropped by Leaflet).
_MAP_READY_JS = """() => { const map = __MAP__; return !!(map && map._loaded && !map._animatingZoom
    && document.querySelector('.leaflet-container')); }""".replace("__MAP__", MAP_JS)

#: Zoom on one QPV (by code, or the largest one drawn) without animation; returns its code.
_ZOOM_TO_JS = """(code) => {
    const map = __MAP__; let target = null, best = -1;
    for (const id in map._layers) {
        const layer = map._layers[id];
        const props = layer.feature && layer.feature.properties;
        if (!layer._path || !props || !props.code_qp) continue;
        if (code != null && props.code_qp !== code) continue;
        const width = layer._path.getBoundingClientRect().width;
        if (width > best) { best = width; target = layer; }
    }
    if (!target) return null;
    map.fitBounds(target.getBounds(), {animate: false, maxZoom: 16, padding: [20, 20]});
    return target.feature.properties.code_qp;
}""".replace("__MAP__", MAP_JS)

#: A point (frame coordinates) where the QPV's own path is the topmost element, near its centre.
_INSIDE_POINT_JS = """(code) => {
    const map = __MAP__;
    for (const id in map._layers) {
        const layer = map._layers[id];
        const props = layer.feature && layer.feature.properties;
        if (!layer._path || !props || props.code_qp !== code) continue;
        const r = layer._path.getBoundingClientRect(), cx = r.left + r.width / 2, cy = r.top + r.height / 2;
        let best = null, bestDistance = Infinity;
        for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
            const x = r.left + r.width * i / 24, y = r.top + r.height * j / 24;
            const d = (x - cx) ** 2 + (y - cy) ** 2;
            if (d < bestDistance && document.elementFromPoint(x, y) === layer._path) { best = [x, y]; bestDistance = d; }
        }
        return best;
    }
    return null;
}""".replace("__MAP__", MAP_JS)


def map_frame(page: Any, timeout_s: float = MAP_TIMEOUT_S) -> Any:
    """The frame holding the Leaflet map, once drawn and idle: the page itself for the Carte page (its map is
    drawn in the page), streamlit-folium's component iframe for the workshop page (``window.map`` there).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(_MAP_READY_JS):
                    return frame
            except Exception:  # noqa: BLE001 — frame navigating or detached: try the next round
                continue
        page.wait_for_timeout(250)  # not time.sleep: keeps page.route answering
    urls = [frame.url for frame in page.frames]
    blocked = getattr(page, "blocked_requests", [])
    raise AssertionError(
        f"aucune carte Leaflet prête après {timeout_s:.0f} s ; cadres : {urls} ; "
        f"requêtes externes bloquées : {blocked[:10]}"
    )


def map_element(frame: Any) -> Any:
    """The element that holds the map in the page: the map's box, or the iframe that holds it."""
    if frame.parent_frame is None:
        return frame.locator(".ecoqpv-carte").element_handle()
    return frame.frame_element()


def map_zoom(frame: Any) -> float:
    """Current zoom level of the frame's map."""
    return float(frame.evaluate(f"() => {MAP_JS}.getZoom()"))


def count_polygons(frame: Any) -> int:
    """Number of interactive SVG paths, i.e. QPV drawn (commune outlines are not interactive)."""
    return int(frame.locator("path.leaflet-interactive").count())


def _polygon_point(page: Any, frame: Any, code_qp: str | None, scroll: bool = False) -> tuple[str, float, float]:
    """Zoom on a QPV (``code_qp`` or the largest drawn); page coordinates of a point inside it, and its code.

    The page is scrolled only when ``scroll`` is asked for: a user clicks the map where it is.
    """
    element = map_element(frame)
    if scroll:
        element.scroll_into_view_if_needed()
    code = frame.evaluate(_ZOOM_TO_JS, code_qp)
    assert code, f"quartier introuvable sur la carte : {code_qp!r}"
    frame.wait_for_function(_MAP_READY_JS)
    page.wait_for_timeout(300)
    point = frame.evaluate(_INSIDE_POINT_JS, code)
    assert point, f"aucun point cliquable dans le quartier {code}"
    x, y = point  # in the frame's viewport
    if frame.parent_frame is not None:
        box = element.bounding_box()
        x, y = box["x"] + x, box["y"] + y
    viewport = page.viewport_size or VIEWPORT
    assert 0 <= x < viewport["width"] and 0 <= y < viewport["height"], (
        f"point de clic hors de la fenêtre ({x:.0f}, {y:.0f}) : carte plus haute que la fenêtre ?"
    )
    return str(code), x, y


def click_polygon(page: Any, frame: Any, code_qp: str | None = None) -> str:
    """Zoom on a QPV (``code_qp`` or the largest drawn), click inside it; returns the clicked code.

    Clicks at a point where the polygon itself is topmost (Playwright's element click aims at the
    bounding-box centre, often outside a concave shape or a sub-pixel path at region scale). The page
    is **not** scrolled first (issue #15): a map that scrolls the page on mousedown loses the click,
    and scrolling it into view beforehand would hide that bug. The point must be in the window.
    """
    code, x, y = _polygon_point(page, frame, code_qp)
    page.mouse.click(x, y)
    return code


def hover_polygon(page: Any, frame: Any, code_qp: str) -> str:
    """Move the mouse inside a QPV (zoomed on it) and return the text of the tooltip Leaflet shows."""
    try:
        code, x, y = _polygon_point(page, frame, code_qp, scroll=True)  # hovering is not what #15 is about
    except Exception:  # noqa: BLE001 — the map's iframe was replaced by a rerun: find it again, once
        frame = map_frame(page)
        code, x, y = _polygon_point(page, frame, code_qp, scroll=True)
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=3)
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(state="visible", timeout=10_000)
    return str(tooltip.first.inner_text())


def polygon_codes(frame: Any) -> list[str]:
    """Codes of the QPV drawn on the map (one per interactive path)."""
    return list(frame.evaluate("""() => {
        const codes = [];
        const map = __MAP__;
        for (const id in map._layers) {
            const layer = map._layers[id];
            const props = layer.feature && layer.feature.properties;
            if (layer._path && props && props.code_qp) codes.push(props.code_qp);
        }
        return codes;
    }""".replace("__MAP__", MAP_JS)))
