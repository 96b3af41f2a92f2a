"""Benchmark (not a test): the Carte page of France and of regions, in headless Chromium (issue #10).

For each view, three ways of opening the Carte page, on a warm server (each view opened once before the
measured runs):

* ``neuf``: a new browser profile (empty cache) types the page's address — Streamlit's own interface is
  downloaded, compiled and started before anything of ours;
* ``cache``: a new tab of a browser that has used the app before (its HTTP cache holds Streamlit's files);
* ``menu``: the app is open on the home page with the territory chosen; the user clicks « Carte » in the menu
  (no reload: what happens at each change of page in a session).

Measured: the time from the address typed (or the click) to every QPV of the map drawn (SVG paths in the
page, polled at each animation frame), and the bytes the browser received over the WebSocket for it (every
frame: map, table, widgets). Targets of issue #10: France ≤ 3 s and ≤ 1.5 MB; a region ≤ 2.0 s and ≤ 200 KB.

Only 127.0.0.1 is reachable (``LOCAL_ONLY_ARGS``: Chromium's proxy settings, not Playwright's routing, which
would disable the HTTP cache). Each scenario starts after ``SETTLE_S`` seconds of quiet.

Run: ``python bench/bench_maps.py [--repeat 5] [--ouvertures neuf] [--ralenti 2]`` (needs /usr/bin/chromium and an
idle machine; ``--ralenti`` slows the browser's processor, not the server's, for a visitor's slower computer). Prints a
Markdown table for bench/RESULTS.md and saves a screenshot of each view under
``tests/artifacts/bench_carte_<vue>.png``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assembly import layers  # noqa: E402
from assembly.territory_table import territory_table  # noqa: E402
from geodata import territories  # noqa: E402
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LOCAL_ONLY_ARGS, run_streamlit  # noqa: E402

#: (label, territory key, zone of the national map or "") — the regions span small to large.
VIEWS = [
    ("France métropolitaine (QPV 2024)", "FR", layers.METROPOLE),
    ("Occitanie (QPV 2024)", "REG:76", ""),
    ("Provence-Alpes-Côte d'Azur (QPV 2024)", "REG:93", ""),
    ("Hauts-de-France (QPV 2024)", "REG:32", ""),
    ("Île-de-France (QPV 2024)", "REG:11", ""),
]


def expected_polygons(key: str, zone: str) -> int:
    """QPV 2024 with a contour that the map of this view draws (the default generation is 2024)."""
    table = territory_table(territories.resolve_key(key), with_scores=False)
    if zone:
        table = table[layers.in_zone(table, zone).to_numpy()]
    return int((table["a_contour"].astype(bool) & (table["generation"] == 2024)).sum())


#: Every QPV of the view drawn: SVG paths of the Carte page's map (drawn in the page itself).
_DRAWN_JS = "n => document.querySelectorAll('.ecoqpv-carte path.leaflet-interactive').length >= n"
SCENARIOS = ("neuf", "cache", "menu")
#: Seconds of quiet before each scenario (see ``main``).
SETTLE_S = 5


def _count_bytes(page, received: list[int]) -> None:
    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: received.__setitem__(
            0, received[0] + (len(payload) if isinstance(payload, bytes) else len(str(payload).encode()))))

    page.on("websocket", on_socket)


def open_view(context, url: str, key: str, expected: int, scenario: str,
              screenshot: str | None = None, slowdown: float = 1.0) -> tuple[float, int]:
    """Seconds from the address typed (or the menu click) to ``expected`` QPV drawn, and bytes received.

    ``slowdown`` > 1: the page's processor slowed that many times (Chromium's CPU throttling, as its developer
    tools do), to see what a visitor's slower computer would wait; the server is not slowed."""
    page = context.new_page()
    if slowdown > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    received = [0]
    _count_bytes(page, received)
    if scenario == "menu":
        page.goto(f"{url}/?territoire={key}")
        page.get_by_role("heading", name="ecoqpv", exact=False).first.wait_for()
        page.wait_for_timeout(2000)  # the home page settled: its frames are not counted
        received[0] = 0
        link = page.locator("[data-testid='stSidebarNav'] a[href$='/carte']")
        start = time.perf_counter()
        link.click()
    else:
        start = time.perf_counter()
        page.goto(f"{url}/carte?territoire={key}")
    page.wait_for_function(_DRAWN_JS, arg=expected, polling="raf", timeout=120_000)
    elapsed = time.perf_counter() - start
    page.wait_for_timeout(1500)  # frames still arriving after the map (the table below it) are counted too
    if screenshot:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"bench_carte_{screenshot}.png"))
    page.close()
    return elapsed, received[0]


def measure(browser, url: str, key: str, expected: int, scenario: str, repeat: int,
            slowdown: float = 1.0) -> list[tuple[float, int]]:
    """``repeat`` openings of one view; a new profile per opening for ``neuf``, one shared profile otherwise."""
    shared = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    open_view(shared, url, key, expected, "neuf")  # warm: server caches, and the shared profile's HTTP cache
    runs = []
    for i in range(repeat):
        context = (browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
                   if scenario == "neuf" else shared)
        shot = f"{key.replace(':', '_')}" if i == 0 and scenario == "neuf" else None
        runs.append(open_view(context, url, key, expected, scenario, screenshot=shot, slowdown=slowdown))
        if context is not shared:
            context.close()
    shared.close()
    return runs


def cpu_probe() -> float:
    """Seconds of a fixed pure-Python loop: this shared machine's speed varies by up to two (steal time), so the
    figures are printed with the probe taken before and after them (≈ 0,45 s on a quiet machine)."""
    start = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def cpu_model() -> str:
    """The processor's name (Linux), printed with the figures: the same code on two machines of the same size
    gave 1.2 s and 1.9 s."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "processeur inconnu"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ouvertures", default=",".join(SCENARIOS),
                        help="ouvertures mesurées, parmi " + ", ".join(SCENARIOS))
    parser.add_argument("--ralenti", type=float, default=1.0,
                        help="processeur du navigateur ralenti N fois (ordinateur de visiteur plus lent)")
    args = parser.parse_args()
    scenarios = [s for s in args.ouvertures.split(",") if s]
    if unknown := set(scenarios) - set(SCENARIOS):
        parser.error(f"ouverture inconnue : {', '.join(sorted(unknown))}")
    rows = []
    probe_before = cpu_probe()
    with (tempfile.TemporaryDirectory(prefix="ecoqpv-bench-") as data_dir,
          run_streamlit(Path(data_dir), log_name="bench") as url):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + LOCAL_ONLY_ARGS)
            for label, key, zone in VIEWS:
                expected = expected_polygons(key, zone)
                for scenario in scenarios:
                    # The previous scenario's pages are still being torn down (the browser's processes, the
                    # server's sessions): measured right after the map of France, a region took 0.6 s more.
                    time.sleep(SETTLE_S)
                    runs = measure(browser, url, key, expected, scenario, args.repeat, slowdown=args.ralenti)
                    seconds = [r[0] for r in runs]
                    rows.append((label, expected, scenario, statistics.median(seconds), min(seconds), max(seconds),
                                 statistics.median(r[1] for r in runs)))
            browser.close()
    probe_after = cpu_probe()
    slowed = f" ; navigateur ralenti {args.ralenti:g} fois" if args.ralenti > 1 else ""
    print(f"Machine : {platform.machine()} ({cpu_model()}), {os.cpu_count()} cœurs, Python "
          f"{platform.python_version()} ; sonde CPU {probe_before:.2f} s avant, {probe_after:.2f} s après"
          f"{slowed}".replace(".", ","))
    print()
    print("| vue | QPV dessinés | ouverture | durée médiane (s) | min – max (s) | octets reçus (WebSocket), médiane |")
    print("|---|---|---|---|---|---|")
    for label, expected, scenario, seconds, fastest, slowest, received in rows:
        line = (f"| {label} | {expected} | {scenario} | {seconds:.2f} | {fastest:.2f} – {slowest:.2f} "
                f"| {received:,} |")
        print(line.replace(",", " ").replace(".", ","))


if __name__ == "__main__":
    main()
