"""Time series per QPV 2015 for the fiche's small charts: Filosofi 2012-2021 and population 2013/2018.

Both files are third-party extractions of INSEE files, checked by sampling (data-sources.md §3.3).
Series are kept as published: no interpolation, no smoothing. INSEE warns that consecutive
infra-communal vintages do not measure an evolution: the page says so next to the charts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sources.publishers import insee


def build_evolutions(panel: Path, population: Path, codes: set[str]) -> pd.DataFrame:
    frames = [insee.read_filosofi_panel(panel, name=panel.name), insee.read_population_evolution(population, name=population.name)]
    out = pd.concat(frames, ignore_index=True)
    out = out[out["code_qp"].isin(codes)].sort_values(["code_qp", "indicateur", "annee"])
    return out.reset_index(drop=True)
