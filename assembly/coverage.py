"""How many QPV have each indicator, per generation, and why the others do not (the Données page)."""

from __future__ import annotations

import pandas as pd

from assembly import indicator_list
from core.reasons import missing_label
from sources import store


def coverage_table() -> pd.DataFrame:
    """One row per indicator: counts of QPV with a value per generation and the main missing reason."""
    values = indicator_list.values().merge(store.table("qpv")[["code_qp", "generation"]], on="code_qp")
    rows = []
    for ind in indicator_list.all_indicators():
        part = values[values["indicateur"] == ind.id]
        row = {"indicateur": ind.id, "libelle": ind.label, "millesime": ind.vintage, "source": ind.publisher}
        for generation in (2015, 2024):
            gen = part[part["generation"] == generation]
            row[f"qpv_{generation}"] = int(gen["valeur"].notna().sum())
            row[f"total_{generation}"] = int(len(gen))
        reasons = part["raison_manquante"].dropna()
        row["raison_principale"] = missing_label(reasons.mode().iloc[0]) if len(reasons) else ""
        rows.append(row)
    return pd.DataFrame(rows)
