"""Benchmark (not a test): the same opening of the Carte page in two checkouts of ecoqpv, alternated (issue #10).

On a shared machine whose speed changes from one minute to the next, two runs of ``bench_maps.py`` an hour
apart cannot tell a 0.1 s gain. Here the two versions are measured in turns, in the same minutes: block after
block (A then B, then B then A…), each block starts a fresh server of one checkout, opens the view once to warm
it, then opens it ``--repeat`` times in a new browser profile (``neuf`` in ``bench_maps.py``).

Run: ``git worktree add ../ecoqpv-avant <commit>`` then
``python bench/bench_ab.py ../ecoqpv-avant --vue REG:93 [--repeat 5] [--blocs 2]``:
A is the other checkout, B this one. Prints each version's median, mean and every opening.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_maps import expected_polygons, open_view  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LOCAL_ONLY_ARGS, run_streamlit  # noqa: E402

from assembly import layers  # noqa: E402


def _block(browser, root: Path, key: str, expected: int, repeat: int) -> list[float]:
    with tempfile.TemporaryDirectory() as data_dir, run_streamlit(Path(data_dir), "bench_ab", root=root) as url:
        warm = browser.new_context()
        open_view(warm, url, key, expected, "neuf")
        warm.close()
        times = []
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
            times.append(open_view(context, url, key, expected, "neuf")[0])
            context.close()
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autre", type=Path, help="l'autre copie du projet (A)")
    parser.add_argument("--vue", default="REG:93", help="territoire ouvert (REG:93, FR…)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--blocs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    roots = {"A": args.autre.resolve(), "B": ROOT}
    zone = layers.METROPOLE if args.vue == "FR" else ""
    expected = expected_polygons(args.vue, zone)
    times: dict[str, list[float]] = {"A": [], "B": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + LOCAL_ONLY_ARGS)
        for block in range(args.blocs):
            for version in ("AB" if block % 2 == 0 else "BA"):
                times[version] += _block(browser, roots[version], args.vue, expected, args.repeat)
        browser.close()
    for version, root in roots.items():
        found = times[version]
        print(f"{version} {root} : médiane {statistics.median(found):.3f} s, moyenne {statistics.mean(found):.3f} s, "
              f"ouvertures {[round(t, 2) for t in found]}")


if __name__ == "__main__":
    main()
