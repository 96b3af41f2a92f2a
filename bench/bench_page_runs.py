"""Benchmark (not a test): the server's time for one run of each page, for a new visitor, warm process.

Every visitor's action re-runs the page's script in the single server process (and, while it runs, the
browser's script downloads and other visitors wait for the same interpreter): a page that takes 0.8 s to
compute makes every choice on it feel slow. Measured with Streamlit's ``AppTest`` (no browser): one warm-up
round, then ``--repeat`` rounds; each round opens every page in a new session (home page first, as a visitor
following a link does), and the time of the page's run alone is kept.

Run: ``python bench/bench_page_runs.py [--territoire REG:93] [--repeat 5]``. Prints a Markdown table for
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_maps import cpu_model  # noqa: E402

#: Page scripts, in the menu's order (the home page is app.py's default page).
PAGES = ["accueil", "carte", "fiche", "comparer", "methode", "annexe", "atelier", "donnees"]


def page_run(page: str, territory: str) -> float:
    """Seconds of one run of ``page`` in a new session opened on ``territory``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["territoire"] = territory
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if page != "accueil":
        at.switch_page(f"app_pages/{page}.py")
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"{page} : {at.exception[0].value}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territoire", default="REG:93")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("ECOQPV_TILES", "0")
    for page in PAGES:  # warm-up: tables, caches and imports of every page
        page_run(page, args.territoire)
    runs: dict[str, list[float]] = {page: [] for page in PAGES}
    for _ in range(args.repeat):
        for page in PAGES:
            runs[page].append(page_run(page, args.territoire))
    print(f"Machine : {platform.machine()} ({cpu_model()}), {os.cpu_count()} cœurs, "
          f"Python {platform.python_version()} ; territoire {args.territoire}, {args.repeat} exécutions par page")
    print()
    print("| page | durée médiane (s) | min – max (s) |")
    print("|---|---|---|")
    for page, seconds in runs.items():
        print(f"| {page} | {statistics.median(seconds):.2f} | {min(seconds):.2f} – {max(seconds):.2f} |"
              .replace(".", ","))


if __name__ == "__main__":
    main()
