"""The table under the Carte page's map: one row per quartier shown, its value as the map says it, and what
that value is (its nature) or why it is missing; plus the same rows for a CSV download, with the number, the
vintage and the source of each value.

Pure functions, frames in and frames out: the page draws the table (``app_pages/carte_map.qpv_table``) and
offers the CSV (``reports.csv.to_csv_bytes``, neutralised).
"""

from __future__ import annotations

import pandas as pd

from assembly.territory_table import reason_column
from core.formats import format_value, yes_no
from core.reasons import missing_label
from geodata import webmap

#: Columns the page shows, in this order (``Génération`` only when two generations are listed).
SHOWN = ["Quartier", "Code", "Commune", "Génération", "Valeur", "Donnée"]

#: Headers of the shown columns when they differ from the column's name.
HEADERS = {"Donnée": "Donnée (nature ou raison de l'absence)"}

#: Text of the « Donnée » column for a value ecoqpv computed itself (a score).
COMPUTED = "calculé par ecoqpv"


def carte_rows(shown: pd.DataFrame, column: str, words: pd.DataFrame | None, *, unit: str, decimals: int,
               vintage: str, source: str) -> pd.DataFrame:
    """One row per quartier of ``shown`` (rows of the territory table), sorted by name as a person reads.

    ``words``: ``assembly.layers.value_words`` of an indicator for these rows (text with the interval of an
    estimate, nature, vintage and source of each value), or ``None`` for a score (``vintage`` and ``source``
    then say how it is computed). Besides ``SHOWN``, the rows keep ``nombre`` (the value, to sort by and to
    export; missing stays missing), ``millesime`` and ``source``.
    """
    values = pd.to_numeric(shown[column], errors="coerce").astype(float).to_numpy()
    reasons = shown[reason_column(column)].tolist() if reason_column(column) in shown else [pd.NA] * len(shown)
    if words is not None:
        texts = words[f"{column}{webmap.TEXT_SUFFIX}"].tolist()
        natures = [n or "disponible" for n in words[f"{column}{webmap.NATURE_SUFFIX}"]]
        vintages = words[f"{column}{webmap.VINTAGE_SUFFIX}"].tolist()
        sources = words[f"{column}{webmap.SOURCE_SUFFIX}"].tolist()
    else:
        texts = [format_value(v, unit, decimals) for v in values]
        natures = [COMPUTED] * len(shown)
        vintages, sources = [vintage] * len(shown), [source] * len(shown)
    rows = pd.DataFrame({
        "Quartier": shown["lib_qp"].astype(str).to_numpy(),
        "Code": shown["code_qp"].astype(str).to_numpy(),
        "Commune": shown["lib_com"].to_numpy(),
        "Génération": shown["generation"].astype(int).astype(str).to_numpy(),
        "Valeur": texts,
        "Donnée": [nature if pd.notna(v) else missing_label(r)
                   for v, r, nature in zip(values, reasons, natures, strict=True)],
        "nombre": values,
        "millesime": vintages,
        "source": sources,
    })
    order = sorted(range(len(rows)), key=lambda i: (rows["Quartier"].iat[i].casefold(), rows["Code"].iat[i]))
    return rows.iloc[order].reset_index(drop=True)


def shown_columns(rows: pd.DataFrame) -> list[str]:
    """The columns the page shows: no « Génération » when one generation is listed (the radio says which)."""
    return [c for c in SHOWN if c != "Génération" or rows["Génération"].nunique() > 1]


def export_frame(rows: pd.DataFrame, *, label: str, unit: str, decimals: int) -> pd.DataFrame:
    """The rows as a CSV for a spreadsheet: the value as a number (rounded as shown) beside its text, and
    each value's nature or missing reason, vintage and source (every export says what each value is)."""
    number = rows["nombre"].round(decimals)
    if unit == "oui/non":
        value = rows["nombre"].map(yes_no)
    else:
        value = number.astype("Int64") if decimals <= 0 else number
    return pd.DataFrame({
        "Quartier": rows["Quartier"],
        "Code": rows["Code"],
        "Commune": rows["Commune"],
        "Génération": rows["Génération"],
        "Indicateur": label,
        "Unité": unit,
        "Valeur": value,
        "Valeur affichée": rows["Valeur"],
        "Nature de la valeur ou raison de l'absence": rows["Donnée"],
        "Millésime": rows["millesime"],
        "Source": rows["source"],
    })
