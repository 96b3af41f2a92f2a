"""Benchmark (not a test): scores + Monte Carlo robustness on synthetic data.

Issue #3 target: 1,600 QPV × 30 indicators × 1,000 draws ≤ 0.2 s on the project machine. Issue #10: the
same with estimated values drawn in their 90 % interval (3 indicators estimated for 60 % of the QPV, as the
calibrated poverty, income and RSA of the QPV 2024).
Run: ``python bench/bench_scores.py`` (prints a Markdown table to paste into bench/RESULTS.md).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indicators.scores import Method, Structure, Uncertainty, compute_scores  # noqa: E402


@dataclass(frozen=True)
class _Ind:
    id: str
    direction: int
    pillar: str
    domain: str
    scored: bool = True


def synthetic(n: int, k: int = 30, seed: int = 0) -> tuple[pd.DataFrame, Structure]:
    """n QPV × k indicators in 10 domains (4 exposure, 6 vulnerability), 10 % missing values."""
    rng = np.random.default_rng(seed)
    items = [_Ind(f"i{j}", 1 if j % 4 else -1, "Exposition" if j < 12 else "Vulnérabilité", f"d{j // 3}")
             for j in range(k)]
    pillars = {f"d{j}": ("Exposition" if j < 4 else "Vulnérabilité") for j in range(k // 3)}
    values = rng.lognormal(size=(n, k))
    values[rng.random(values.shape) < 0.1] = np.nan
    return pd.DataFrame(values, columns=[i.id for i in items]), Structure.from_catalogue(items, pillars)


def intervals(frame: pd.DataFrame, seed: int = 1) -> Uncertainty:
    """90 % intervals (± 15 %) on three indicators for 60 % of the QPV, the others exact."""
    rng = np.random.default_rng(seed)
    low = pd.DataFrame(np.nan, index=frame.index, columns=frame.columns)
    high = low.copy()
    chosen = rng.random(len(frame)) < 0.6
    for column in frame.columns[12:15]:
        rows = chosen & frame[column].notna().to_numpy()
        low.loc[rows, column] = frame.loc[rows, column] * 0.85
        high.loc[rows, column] = frame.loc[rows, column] * 1.15
    return Uncertainty(low=low, high=high, estimated=low.notna())


def timed(n: int, draws: int, repeat: int = 5, with_data: bool = False) -> float:
    frame, structure = synthetic(n)
    uncertainty = intervals(frame) if with_data else None
    compute_scores(frame, structure, Method(draws=draws), uncertainty)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        compute_scores(frame, structure, Method(draws=draws), uncertainty)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print(f"Machine : {platform.machine()}, {platform.processor() or 'processeur non précisé'}, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    print()
    print("| QPV | tirages | valeurs estimées tirées | durée médiane (s) |")
    print("|---|---|---|---|")
    for n, draws in ((1600, 1000), (1600, 0), (1600, 250), (1600, 4000), (400, 1000), (6400, 1000)):
        print(f"| {n} | {draws} | non | {timed(n, draws):.3f} |")
    for n, draws in ((1600, 1000), (6400, 1000)):
        print(f"| {n} | {draws} | oui | {timed(n, draws, with_data=True):.3f} |")


if __name__ == "__main__":
    main()
