"""The indicator table of a territory: one row per QPV, raw values and missing-value reasons.

This is the single function behind ``python -m indicators table``, the Carte page and (later) the
exports, so that every view shows the same numbers.
"""

from __future__ import annotations

import pandas as pd

from geodata import territories
from geodata.territories import Territory
from indicators import catalogue
from loaders import store

ID_COLUMNS = ["code_qp", "lib_qp", "generation", "lib_com", "insee_com", "siren_epci", "insee_dep",
              "insee_reg", "a_contour"]


def reason_column(indicator_id: str) -> str:
    return f"{indicator_id}_missing_reason"


def wide_values(codes: list[str]) -> pd.DataFrame:
    """Indicators as columns (values + ``<id>_missing_reason``) for the given QPV codes."""
    ids = catalogue.ids()
    values = store.table("valeurs")
    values = values[values["code_qp"].isin(codes) & values["indicateur"].isin(ids)]
    wide = values.pivot(index="code_qp", columns="indicateur", values="valeur")
    reasons = values.pivot(index="code_qp", columns="indicateur", values="raison_manquante")
    out = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
    for ind in ids:
        out[ind] = wide[ind].reindex(out.index).astype("float64") if ind in wide else float("nan")
        reason = reasons[ind].reindex(out.index) if ind in reasons else pd.Series(pd.NA, index=out.index)
        # A QPV absent from the values table was never loaded for this indicator.
        reason = reason.astype("string").where(out[ind].isna() | reason.notna())
        reason[out[ind].isna() & reason.isna()] = "non_charge"
        out[reason_column(ind)] = reason.astype("string")
    return out.reset_index()


def territory_table(territory: Territory) -> pd.DataFrame:
    """One row per QPV of the territory (both generations, registry order)."""
    codes = territories.qpv_codes(territory)
    registry = store.table("qpv").set_index("code_qp")
    ids = registry.loc[codes].reset_index()[ID_COLUMNS] if codes else pd.DataFrame(columns=ID_COLUMNS)
    table = ids.merge(wide_values(codes), on="code_qp", how="left")
    ordered = ID_COLUMNS + [c for ind in catalogue.ids() for c in (ind, reason_column(ind))]
    return table[ordered]


def references_for(qpv_row: pd.Series) -> pd.DataFrame:
    """Reference values (commune, EPCI, département, région, France, ensemble des QPV) for one QPV."""
    refs = store.table("references")
    wanted = {
        "COM": qpv_row.get("insee_com"),
        "EPCI": qpv_row.get("siren_epci"),
        "DEP": qpv_row.get("insee_dep"),
        "REG": qpv_row.get("insee_reg"),
        "FRANCE": "1",
        "QPV_ENSEMBLE": "QPV2015" if int(qpv_row.get("generation", 0)) == 2015 else None,
    }
    mask = pd.Series(False, index=refs.index)
    for level, code in wanted.items():
        if isinstance(code, str):
            mask |= (refs["niveau"] == level) & (refs["code"] == code)
    return refs[mask].reset_index(drop=True)
