"""Side-by-side comparison of a few QPV and their reference territories (the Comparer page's table).

Values stay numbers here; the page formats them with ``assembly.value_text`` and the provenance of each
value (``comparison_provenances``: nature, 90 % interval, vintage, source). Reference columns are added
only where the bundle has a value for that territory and indicator: nothing is imputed.
"""

from __future__ import annotations

import pandas as pd

from assembly.value_text import Provenance, provenance, provenances
from core import natures
from assembly import indicator_list
from indicators import catalogue
from indicators.comparison import LEVEL_LABELS
from sources import store

MAX_QPV = 8


def comparison_table(table: pd.DataFrame, codes: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Indicators as rows; one column per selected QPV, then per reference territory.

    Returns the numeric table (index = indicator id) and the French header of each column.
    """
    chosen = table.set_index("code_qp").loc[codes]
    refs = store.table("references")
    columns: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    ids = indicator_list.ids()
    for code, row in chosen.iterrows():
        columns[code] = pd.Series({i: row[i] for i in ids}, dtype="float64")
        headers[code] = f"{row['lib_qp']} ({row['lib_com']}, QPV {int(row['generation'])})"
    wanted: list[tuple[str, str]] = []
    for level, column in (("COM", "insee_com"), ("EPCI", "siren_epci")):
        for code in dict.fromkeys(chosen[column].dropna()):
            wanted.append((level, str(code)))
    wanted.append(("FRANCE", "1"))
    for level, code in wanted:
        rows = refs[(refs["niveau"] == level) & (refs["code"] == code)]
        if rows.empty:
            continue
        key = f"{level}:{code}"
        columns[key] = rows.set_index("indicateur")["valeur"].reindex(ids).astype("float64")
        name = str(rows["libelle"].iloc[0])
        # "Commune : Montpellier", "EPCI : Montpellier Méditerranée Métropole"; France's name says it all.
        headers[key] = name if name == LEVEL_LABELS[level] or level == "FRANCE" else f"{LEVEL_LABELS[level]} : {name}"
    return pd.DataFrame(columns, index=pd.Index(ids, name="indicateur")), headers


def comparison_provenances(table: pd.DataFrame, codes: list[str]) -> dict[str, dict[str, Provenance]]:
    """Column key of ``comparison_table`` → indicator → provenance of the value shown (quartiers: nature,
    interval, vintage and source of their value; reference territories: a published value with its
    vintage and source)."""
    chosen = table.set_index("code_qp").loc[codes].reset_index()
    known = provenances(chosen)
    out: dict[str, dict[str, Provenance]] = {code: {i: p for (c, i), p in known.items() if c == code}
                                             for code in codes}
    refs = store.table("references")
    for key in comparison_table(table, codes)[1]:
        if key in out:
            continue
        level, code = key.split(":", 1)
        rows = refs[(refs["niveau"] == level) & (refs["code"] == code)]
        out[key] = {str(r["indicateur"]): provenance(natures.OFFICIAL, vintage=r.get("millesime"), source=r.get("source"))
                    for _, r in rows.iterrows()}
    return out


def percentile_long(table: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Long table ``code_qp, lib_qp, indicateur, libelle, domaine, centile`` for the dot charts."""
    chosen = table.set_index("code_qp").loc[codes]
    rows = []
    for ind in indicator_list.all_indicators():
        column = f"{ind.id}_pct"
        if not ind.scored or column not in chosen:
            continue
        # Column by column: a row of the territory table has hundreds of columns of mixed types.
        for code, name, value in zip(chosen.index, chosen["lib_qp"], chosen[column], strict=True):
            if pd.notna(value):
                rows.append({"code_qp": code, "lib_qp": name, "indicateur": ind.id, "libelle": ind.label,
                             "domaine": catalogue.DOMAINS[ind.domain].label, "centile": float(value)})
    return pd.DataFrame(rows, columns=["code_qp", "lib_qp", "indicateur", "libelle", "domaine", "centile"])
