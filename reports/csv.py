"""CSV for French Excel (the annex, the Comparer page): ``;`` separator, UTF-8 with BOM, decimal comma.

The annex's flat table (``flat_table``): one row per QPV with every value, the reason of each missing
value in words, its nature, its 90 % interval when it is a calibrated estimate, its vintage and source,
then the percentiles, domains and scores with the reference frame and the reliability of the rank. Text cells that a spreadsheet would run as a formula
are neutralised by ``core.exports`` (the one function shared by every tabular export): place names
come from outside files, and a CSV must never execute anything when opened.
"""

from __future__ import annotations

import pandas as pd

from assembly.territory_table import rank_phrase, reason_column
from assembly.value_text import Provenance, nature_label
from core.exports import neutralise, neutralise_frame
from core.formats import is_missing, yes_no
from core.reasons import missing_label
from assembly import indicator_list
from indicators.catalogue import DOMAINS

__all__ = ["comparison_csv_bytes", "flat_table", "neutralise", "render", "shown_cell", "shown_values", "to_csv_bytes"]

SEPARATOR = ";"
DECIMAL = ","
ENCODING = "utf-8-sig"


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A data frame as French-Excel CSV bytes, text cells and headers neutralised."""
    text = neutralise_frame(frame).to_csv(sep=SEPARATOR, decimal=DECIMAL, index=False, lineterminator="\r\n")
    return text.encode(ENCODING)


def shown_values(values, unit: str, decimals: int) -> pd.Series:
    """Numbers as the interface shows them: rounded to the indicator's decimals (no float noise such as
    ``13,999999999999998``), whole numbers when it has none, yes/no layers as ``oui`` / ``non``; missing stays
    empty."""
    series = pd.Series(values, dtype="object")
    if unit == "oui/non":
        return series.map(yes_no)
    numbers = pd.to_numeric(series, errors="coerce").astype(float).round(decimals)
    return numbers.astype("Int64") if decimals <= 0 else numbers


def shown_cell(value: object, unit: str, decimals: int) -> str:
    """One value as text for a column that mixes indicators (the Comparer's): ``40,1``, ``5``, ``oui``; the
    decimal comma is written here since such a column is not a number column for pandas."""
    if is_missing(value):
        return ""
    if unit == "oui/non":
        return yes_no(value)
    return f"{round(float(value), decimals):.{max(decimals, 0)}f}".replace(".", DECIMAL)


def comparison_csv_bytes(values: pd.DataFrame, headers: dict[str, str],
                         provenances: dict[str, dict[str, Provenance]] | None = None) -> bytes:
    """The Comparer page's table as French-Excel CSV: one row per indicator, its label and unit, then for each
    quartier or reference territory (``assembly.comparer.comparison_table``'s output) its value and, with
    ``provenances`` (``assembly.comparer.comparison_provenances``), the nature of the value, the bounds of
    its 90 % interval when it is a calibrated estimate, its vintage and its source."""
    provenances = provenances or {}
    export = pd.DataFrame({"Indicateur": [indicator_list.get(i).label for i in values.index],
                           "Unité": [indicator_list.get(i).unit for i in values.index]})
    indicators = [indicator_list.get(i) for i in values.index]
    for key in values.columns:
        header = headers[key]
        export[header] = [shown_cell(v, ind.unit, ind.decimals)
                          for v, ind in zip(values[key].to_numpy(dtype=float), indicators, strict=True)]
        if key not in provenances:
            continue
        infos = [None if is_missing(v) else provenances[key].get(i) for i, v in values[key].items()]
        export[f"{header} — nature de la valeur"] = ["" if p is None else nature_label(p.nature) for p in infos]
        if any(p is not None and p.has_interval for p in infos):
            export[f"{header} — borne basse de l'intervalle à 90 %"] = [
                "" if p is None else shown_cell(p.low, ind.unit, ind.decimals) for p, ind in zip(infos, indicators, strict=True)]
            export[f"{header} — borne haute de l'intervalle à 90 %"] = [
                "" if p is None else shown_cell(p.high, ind.unit, ind.decimals) for p, ind in zip(infos, indicators, strict=True)]
        export[f"{header} — millésime"] = ["" if p is None else p.vintage for p in infos]
        export[f"{header} — source"] = ["" if p is None else p.source for p in infos]
    return to_csv_bytes(export)


def flat_table(table: pd.DataFrame, provenances: dict[tuple[str, str], Provenance] | None = None) -> pd.DataFrame:
    """One row per QPV of a territory table, French column names, numbers as numbers, reasons in words.

    Columns come from the catalogue (value, reason, nature, interval bounds of an estimable indicator,
    vintage and source of each indicator's value, ``provenances`` from ``assembly.value_text``), then the
    percentiles, domain indices and scores present in ``table``: other columns of the territory table are
    not exported."""
    provenances = provenances or {}
    codes = table["code_qp"].astype(str).tolist()
    out = pd.DataFrame({
        "Code du quartier": table["code_qp"],
        "Quartier": table["lib_qp"],
        "Commune": table["lib_com"],
        "Code commune": table["insee_com"],
        "EPCI (SIREN)": table["siren_epci"],
        "Génération": table["generation"].astype(int),
        "Contour disponible": table["a_contour"].map(lambda v: "oui" if bool(v) else "non"),
    })
    for ind in indicator_list.all_indicators():
        unit = f" ({ind.unit})" if ind.unit else ""
        out[f"{ind.label}{unit}"] = shown_values(table[ind.id].astype(float).to_numpy(), ind.unit, ind.decimals).to_numpy()
        out[f"{ind.label} — raison si manquante"] = [
            "" if not is_missing(v) else missing_label(r)
            for v, r in zip(table[ind.id], table[reason_column(ind.id)], strict=True)]
        infos = [None if is_missing(v) else provenances.get((c, ind.id)) for c, v in zip(codes, table[ind.id],
                                                                                       strict=True)]
        out[f"{ind.label} — nature de la valeur"] = ["" if i is None else nature_label(i.nature) for i in infos]
        if ind.calibratable:
            out[f"{ind.label} — borne basse de l'intervalle à 90 %"] = shown_values(
                [float("nan") if i is None else i.low for i in infos], ind.unit, ind.decimals).to_numpy()
            out[f"{ind.label} — borne haute de l'intervalle à 90 %"] = shown_values(
                [float("nan") if i is None else i.high for i in infos], ind.unit, ind.decimals).to_numpy()
        out[f"{ind.label} — millésime"] = ["" if i is None else i.vintage for i in infos]
        out[f"{ind.label} — source"] = ["" if i is None else i.source for i in infos]
    for ind in indicator_list.all_indicators():
        if f"{ind.id}_pct" in table:
            out[f"{ind.label} — rang centile (0-100)"] = shown_values(table[f"{ind.id}_pct"].to_numpy(), "", 0).to_numpy()
    for domain in DOMAINS:
        if f"dom_{domain}" in table:
            out[f"Indice du domaine {DOMAINS[domain].label} (0-100)"] = shown_values(table[f"dom_{domain}"].to_numpy(),
                                                                                     "", 0).to_numpy()
    named = {
        "score_exposition": "Score exposition (0-10)", "score_vulnerabilite": "Score vulnérabilité (0-10)",
        "score_global": "Score global (0-100)", "rang": "Rang dans le cadre",
        "rang_p05": "Rang — borne basse de l'intervalle de 90 %",
        "rang_p95": "Rang — borne haute de l'intervalle de 90 %",
        "nb_alertes": "Indicateurs au-delà du seuil d'alerte", "taille_cadre": "Quartiers classés dans le cadre",
    }
    shown_decimals = {"score_exposition": 1, "score_vulnerabilite": 1, "score_global": 1}  # as the fiche shows them
    for column, label in named.items():
        if column in table:
            out[label] = shown_values(table[column].to_numpy(), "", shown_decimals.get(column, 0)).to_numpy()
    status = {"complet": "classé", "partiel": "non classé – données partielles",
              "cadre_insuffisant": "cadre trop petit"}
    if "statut" in table:
        out["Statut"] = table["statut"].map(lambda s: status.get(s, "") if isinstance(s, str) else "")
        out["Robustesse du classement"] = table["robustesse"].map(lambda s: s if isinstance(s, str) else "")
        if "fiabilite" in table:
            out["Fiabilité du classement (code)"] = table["fiabilite"].map(lambda s: s if isinstance(s, str) else "")
            out["Fiabilité du classement"] = table["fiabilite_texte"].map(lambda s: s if isinstance(s, str) else "")
        out["Cadre de comparaison"] = table["cadre"].map(lambda s: s if isinstance(s, str) else "")
        out["Rang dans le cadre, en mots"] = [rank_phrase(row) for _, row in table.iterrows()]
    return out


def render(annex) -> bytes:
    return to_csv_bytes(annex.flat)
