"""Build time and size of the national bundle (``python -m loaders build-bundle``), step by step.

    python bench/bench_bundle.py [--source ../shared/opendata] [--runs 2]

Each run builds into a temporary folder; the time of each step is the time between two messages of the
build's log. Prints a Markdown table for ``bench/RESULTS.md``. Never run by the tests.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the CLI: tiny solves, threads only cost

import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loaders.bundle import build_bundle  # noqa: E402


def one_run(source: Path) -> tuple[float, list[tuple[str, float]], dict[str, int]]:
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()

    def log(message: str) -> None:
        marks.append((message, time.perf_counter() - start))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle"
        build_bundle(source, out, log=log)
        total = time.perf_counter() - start
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    steps = []
    previous = 0.0
    for message, at in marks:
        steps.append((message.split(" :")[0].split("…")[0][:60], at - previous))
        previous = at
    return total, steps, sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "opendata")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    totals, all_steps, sizes = [], [], {}
    for _ in range(args.runs):
        total, steps, sizes = one_run(args.source)
        totals.append(total)
        all_steps.append(steps)
    print(f"| exécutions | durée médiane (s) | min | max |\n|---|---|---|---|\n| {args.runs} | "
          f"{statistics.median(totals):.1f} | {min(totals):.1f} | {max(totals):.1f} |\n")
    print("| étape (message qui la termine) | durée (s), première exécution |\n|---|---|")
    for label, seconds in all_steps[0]:
        print(f"| {label} | {seconds:.1f} |")
    print(f"\nTaille : {sum(sizes.values()) / 1e6:.1f} Mo")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:8]:
        print(f"| {name} | {size / 1e6:.2f} Mo |")


if __name__ == "__main__":
    main()
