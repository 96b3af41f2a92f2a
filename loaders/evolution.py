"""Time series per QPV 2015 for the fiche's small charts: Filosofi 2012-2021 and population 2013/2018.

Both files are third-party extractions of INSEE files, checked by sampling (data-sources.md §3.3).
Series are kept as published: no interpolation, no smoothing. INSEE warns that consecutive
infra-communal vintages do not measure an evolution: the page says so next to the charts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders import parsers

COLUMNS = ["code_qp", "indicateur", "annee", "valeur"]


def read_filosofi_panel(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``code, revenu_median, taux_pauvrete, gini, s80s20, annee`` (``,``, decimal point) → long rows."""
    data, name = parsers.read_bytes(source, name)
    frame = pd.read_csv(pd.io.common.StringIO(parsers.sniff_text(data, name)), dtype=str, keep_default_na=False)
    parsers.require_columns(frame, ["code", "revenu_median", "taux_pauvrete", "annee"], name)
    long = frame.melt(id_vars=["code", "annee"], value_vars=["revenu_median", "taux_pauvrete"],
                      var_name="indicateur", value_name="valeur")
    long["valeur"] = pd.to_numeric(long["valeur"].replace("", pd.NA), errors="raise")
    long["annee"] = pd.to_numeric(long["annee"], errors="raise").astype("int16")
    long = long.rename(columns={"code": "code_qp"}).dropna(subset=["valeur"])
    return long[COLUMNS]


def read_population_evolution(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``code, pop_2013, pop_2018, evol_pop_pct`` → long rows for 2013 and 2018."""
    data, name = parsers.read_bytes(source, name)
    frame = pd.read_csv(pd.io.common.StringIO(parsers.sniff_text(data, name)), dtype=str, keep_default_na=False)
    parsers.require_columns(frame, ["code", "pop_2013", "pop_2018"], name)
    long = frame.melt(id_vars=["code"], value_vars=["pop_2013", "pop_2018"], var_name="annee", value_name="valeur")
    long["annee"] = long["annee"].str[-4:].astype("int16")
    long["valeur"] = pd.to_numeric(long["valeur"].replace("", pd.NA), errors="raise")
    long["indicateur"] = "population"
    return long.rename(columns={"code": "code_qp"}).dropna(subset=["valeur"])[COLUMNS]


def build_evolutions(panel: Path, population: Path, codes: set[str]) -> pd.DataFrame:
    frames = [read_filosofi_panel(panel, name=panel.name), read_population_evolution(population, name=population.name)]
    out = pd.concat(frames, ignore_index=True)
    out = out[out["code_qp"].isin(codes)].sort_values(["code_qp", "indicateur", "annee"])
    return out.reset_index(drop=True)
