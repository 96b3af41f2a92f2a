"""How many QPV have each indicator, per generation, and why the others do not (the Données page)."""

from __future__ import annotations

import pandas as pd

from assembly import indicator_list
from core.reasons import missing_label
from sources import store


def coverage_table(codes: list[str] | None = None) -> pd.DataFrame:
    """One row per indicator: counts of QPV with a value per generation and the main missing reason.

    ``codes``: only these QPV (a territory's, ``geodata.territories.qpv_codes``); every QPV of the data otherwise.
    The totals count the quartiers of the registry, so a quartier without any line for an indicator counts as
    missing, never as absent from the total.
    """
    registry = store.table("qpv")[["code_qp", "generation"]]
    if codes is not None:
        registry = registry[registry["code_qp"].isin(set(codes))]
    values = indicator_list.values().merge(registry, on="code_qp")
    totals = registry["generation"].value_counts()
    rows = []
    for ind in indicator_list.all_indicators():
        part = values[values["indicateur"] == ind.id]
        row = {"indicateur": ind.id, "libelle": ind.label, "millesime": ind.vintage, "source": ind.publisher}
        for generation in (2015, 2024):
            gen = part[part["generation"] == generation]
            row[f"qpv_{generation}"] = int(gen["valeur"].notna().sum())
            row[f"total_{generation}"] = int(totals.get(generation, 0))
        reasons = part["raison_manquante"].dropna()
        row["raison_principale"] = missing_label(reasons.mode().iloc[0]) if len(reasons) else ""
        rows.append(row)
    return pd.DataFrame(rows)
