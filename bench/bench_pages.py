"""Benchmark (not a test): what a user waits for, measured in headless Chromium.

* page open → polygons drawn, for the Occitanie and Provence-Alpes-Côte d'Azur maps (issue #2; France and
  more regions: ``bench/bench_maps.py``),
  with the bytes sent to the browser (the GeoJSON of the map and the whole WebSocket traffic);
* page open → fiche displayed, and a weight change on Méthode → updated ranking (issue #5).

Run: ``python bench/bench_pages.py`` (needs /usr/bin/chromium). Prints a Markdown table for
bench/RESULTS.md. Each figure is the median of ``REPEAT`` cold page loads on one warm server.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assembly import layers
from assembly.territory_table import territory_table

from geodata import territories, webmap  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LOCAL_ONLY_ARGS, count_polygons, map_frame, run_streamlit  # noqa: E402

REPEAT = 3


def map_payload_bytes(key: str) -> int:
    territory = territories.resolve_key(key)
    generation = layers.contour_generations(territory_table(territory, with_scores=False))[0]
    return webmap.geojson_bytes(layers.qpv_layer(territory, generation, "jours_sup_35")) + webmap.geojson_bytes(
        layers.commune_outlines(territory))


def measure(browser, url: str, action) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    received = [0]
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.__setitem__(
        0, received[0] + (len(payload) if isinstance(payload, (bytes, str)) else 0))))
    start = time.perf_counter()
    action(page, url)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed, received[0]


def open_map(key: str, expected: int):
    def action(page, url):
        page.goto(f"{url}/carte?territoire={key}")
        frame = map_frame(page)
        drawn = count_polygons(frame)
        assert drawn >= expected, drawn
    return action


def open_fiche(page, url):
    page.goto(f"{url}/fiche?territoire=EPCI:243400017")
    page.get_by_text("Exposition cumulée et conditions de vie").wait_for(timeout=60_000)


def change_weight(page, url):
    page.goto(f"{url}/methode?territoire=REG:93")
    page.get_by_text("changent de rang").wait_for(timeout=60_000)
    slider = page.get_by_role("slider", name="Pauvreté et revenus")
    slider.focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => [...document.querySelectorAll('p')].some(p => /changent de rang/.test(p.innerText)"
                           " && !/^0 quartier/.test(p.innerText))", timeout=60_000)
    change_weight.last = time.perf_counter() - start


def main() -> None:
    from playwright.sync_api import sync_playwright

    rows = []
    with (tempfile.TemporaryDirectory(prefix="ecoqpv-bench-") as data_dir,
          run_streamlit(Path(data_dir), log_name="bench") as url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + LOCAL_ONLY_ARGS)
            from bench.bench_maps import expected_polygons

            measure(browser, url, open_map("REG:76", expected_polygons("REG:76", "")))  # warm the server caches
            for label, key in (("Carte Occitanie (QPV 2024)", "REG:76"),
                               ("Carte Provence-Alpes-Côte d'Azur (QPV 2024)", "REG:93")):
                expected = expected_polygons(key, "")
                runs = [measure(browser, url, open_map(key, expected)) for _ in range(REPEAT)]
                rows.append((label, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                             map_payload_bytes(key)))
            runs = [measure(browser, url, open_fiche) for _ in range(REPEAT)]
            rows.append(("Ouverture d'une fiche quartier", statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs), None))
            weights = []
            for _ in range(REPEAT):
                measure(browser, url, change_weight)
                weights.append(change_weight.last)
            rows.append(("Changement de poids → classement mis à jour", statistics.median(weights), None, None))
            browser.close()
    print("| mesure | durée médiane (s) | octets reçus par le navigateur (WebSocket) | GeoJSON de la carte (octets) |")
    print("|---|---|---|---|")
    for label, seconds, ws_bytes, geo in rows:
        print(f"| {label} | {seconds:.2f} | {'' if ws_bytes is None else f'{ws_bytes:,}'.replace(',', ' ')} | "
              f"{'' if geo is None else f'{geo:,}'.replace(',', ' ')} |")


if __name__ == "__main__":
    main()
