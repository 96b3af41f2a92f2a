"""How one value of a quartier reads, wherever it is shown: its number, its nature, its interval, its origin.

The one place that puts a value into words (the fiche model, the map's tooltips and table, the Comparer
page and its CSV, the annex's cells): an estimate always says it is one, with its 90 % interval when it
has one ("38,2 % (estimation, intervalle à 90 % : 31,0 à 46,0 %)"), a value carried from a QPV 2015 of
the same perimeter names it ("valeur officielle Filosofi 2019 du QPV 2015 QP034005 « Mosson », même
périmètre"), and a published figure reads as a plain number. The natures and their French labels are
defined once in ``core.natures``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from core import natures
from core.formats import format_number, format_value, is_missing
from assembly import indicator_list

#: The code and name of the QPV 2015 a carried value comes from, as the pipeline writes them in ``detail``
#: ("valeur du QPV 2015 QP001007 « Pré Des Saules », de même périmètre (recouvrement des contours 0,93)").
_CARRIED_CODE = re.compile(r"\b(QP\d{6})\b")
_CARRIED_NAME = re.compile(r"«\s*([^»]+?)\s*»")
_CARRIED_OVERLAP = re.compile(r"recouvrement[^0-9]*([0-9]+,[0-9]+)")


@dataclass(frozen=True)
class Provenance:
    """What is known of a value besides its number (a row of the value table)."""

    nature: str | None = None
    low: float = math.nan
    high: float = math.nan
    vintage: str = ""
    source: str = ""
    detail: str = ""

    @property
    def estimated(self) -> bool:
        return self.nature in natures.ESTIMATES

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def _float(value: object) -> float:
    return math.nan if is_missing(value) else float(value)


def provenance(nature: object = None, low: object = None, high: object = None, vintage: object = "",
               source: object = "", detail: object = "") -> Provenance:
    """A ``Provenance`` from raw cells (missing cells become empty texts and NaN bounds)."""
    return Provenance(nature=_text(nature) or None, low=_float(low), high=_float(high), vintage=_text(vintage),
                      source=_text(source), detail=_text(detail))


def nature_label(nature: object) -> str:
    """The few French words of a nature (``core.natures.label``), "" for a missing value."""
    return natures.label(nature)


def interval_text(low: float, high: float, unit: str, decimals: int) -> str:
    """« 31,0 à 46,0 % » (the unit once, after the upper bound)."""
    return f"{format_number(low, decimals)} à {format_value(high, unit, decimals)}"


def carried_from(detail: str) -> tuple[str, str, str]:
    """(code, name, overlap) of the QPV 2015 a carried value comes from, read in its detail ("" when absent)."""
    code = _CARRIED_CODE.search(detail or "")
    name = _CARRIED_NAME.search(detail or "")
    overlap = _CARRIED_OVERLAP.search(detail or "")
    return (code.group(1) if code else "", name.group(1) if name else "", overlap.group(1) if overlap else "")


def origin_text(info: Provenance, unit: str = "", decimals: int = 1, named: bool = True) -> str:
    """What the value is, in words, "" for a published figure or a spatial computation:
    « estimation, intervalle à 90 % : 31,0 à 46,0 % », « valeur officielle Filosofi 2019 du QPV 2015 QP… »."""
    nature = info.nature
    if nature == natures.CALIBRATED:
        if info.has_interval:
            return f"estimation, intervalle à 90 % : {interval_text(info.low, info.high, unit, decimals)}"
        return "estimation calibrée"
    if nature == natures.IRIS_ESTIMATE:
        return "estimation par IRIS, non calibrée"
    if nature == natures.OFFICIAL_2015_SAME_PERIMETER:
        code, name, _ = carried_from(info.detail)
        vintage = f" {info.vintage}" if info.vintage else ""
        if not code:
            return f"valeur officielle{vintage} d'un QPV 2015 de même périmètre"
        name = f" « {name} »" if name and named else ""
        return f"valeur officielle{vintage} du QPV 2015 {code}{name}, même périmètre"
    if nature == natures.COMMUNE_CONTEXT:
        return "valeur de la commune"
    if nature == natures.LOCAL:
        return "donnée locale"
    return ""


def compact_origin(info: Provenance, decimals: int = 1) -> str:
    """The same in a few words for a table cell with many quartiers (the unit is in the column header)."""
    nature = info.nature
    if nature == natures.CALIBRATED:
        if info.has_interval:
            return f"estimation : {format_number(info.low, decimals)} à {format_number(info.high, decimals)}"
        return "estimation"
    if nature == natures.IRIS_ESTIMATE:
        return "estimation IRIS"
    if nature == natures.OFFICIAL_2015_SAME_PERIMETER:
        code, _, _ = carried_from(info.detail)
        return f"QPV 2015 {code}, même périmètre" if code else "QPV 2015 de même périmètre"
    if nature == natures.COMMUNE_CONTEXT:
        return "commune"
    if nature == natures.LOCAL:
        return "donnée locale"
    return ""


def value_text(value: object, unit: str, decimals: int, info: Provenance | None = None,
               compact: bool = False, with_unit: bool = True, named: bool = True) -> str:
    """A value as it reads: the number, then what it is when it is not a published figure.

    ``compact``: the short form for a cell among many quartiers (« 41,3 (estimation : 34,6 à 48,4) »);
    ``with_unit`` False leaves the unit to the column header; ``named`` False leaves out the name of the QPV
    2015 a value is carried from (its code stays). "" for a missing value (its reason is said elsewhere,
    ``core.reasons``).
    """
    if is_missing(value):
        return ""
    number = format_value(value, unit, decimals) if with_unit else format_number(value, decimals)
    if info is None:
        return number
    origin = compact_origin(info, decimals) if compact else origin_text(info, unit, decimals, named)
    return f"{number} ({origin})" if origin else number


def sources_text(info: Provenance) -> str:
    """« Filosofi 2019 — Insee, … » : the value's vintage and source, as the value table gives them."""
    return " — ".join(part for part in (info.vintage, info.source) if part)


def provenances(table: pd.DataFrame, indicator_ids: list[str] | None = None) -> dict[tuple[str, str], Provenance]:
    """(code_qp, indicator) → ``Provenance`` of every value of a territory table's quartiers (of the
    indicators ``indicator_ids`` only, when given).

    Nature and interval come from the table; vintage, source and detail from the value table (a carried
    value keeps those of its QPV 2015). A territory updated before these columns existed falls back on the
    catalogue's vintage and source and on the nature of the attribution rule.
    """
    if table.empty:
        return {}
    codes = set(table["code_qp"].astype(str))
    wanted = [ind for ind in indicator_list.all_indicators() if indicator_ids is None or ind.id in indicator_ids]
    values = indicator_list.values()
    values = values[values["code_qp"].isin(codes) & values["indicateur"].isin([ind.id for ind in wanted])]
    extra = {}
    for column in ("methode", "detail", "millesime", "source"):
        cells = values[column] if column in values else pd.Series(pd.NA, index=values.index)
        extra[column] = dict(zip(zip(values["code_qp"], values["indicateur"], strict=True), cells, strict=True))
    out = {}
    for ind in wanted:
        nature_col, bounds = f"{ind.id}_nature", [f"{ind.id}_ic_bas", f"{ind.id}_ic_haut"]
        for code, generation, value, nature, low, high in zip(
                table["code_qp"].astype(str), table["generation"], table[ind.id],
                table[nature_col] if nature_col in table else [None] * len(table),
                table[bounds[0]] if bounds[0] in table else [None] * len(table),
                table[bounds[1]] if bounds[1] in table else [None] * len(table), strict=True):
            key = (code, ind.id)
            if is_missing(value):
                nature = None
            elif is_missing(nature):  # a territory updated before natures existed
                rule = extra["methode"].get(key)
                nature = natures.nature_of_rule(ind.rule_for(int(generation)) if is_missing(rule) else rule)
            vintage, source = extra["millesime"].get(key), extra["source"].get(key)
            out[key] = provenance(nature, low, high, vintage=ind.vintage if is_missing(vintage) else vintage,
                                  source=ind.source if is_missing(source) else source,
                                  detail=extra["detail"].get(key))
    return out


@dataclass(frozen=True)
class PopulationTotal:
    """The population of one generation's QPV of a territory: QPV 2015 and 2024 overlap, never summed together."""

    generation: int
    total: float
    #: Quartiers whose population is known, and all the quartiers of that generation.
    known: int
    count: int
    #: The distinct "source, vintage" texts of the values summed.
    sources: list[str]


def population_totals(table: pd.DataFrame) -> list[PopulationTotal]:
    """Per generation (2024 first) with at least one known value: the sum of the known populations only (never a
    sum of unknowns), how many quartiers it covers, and where the values come from. Home page and annex."""
    origins = provenances(table, ["population"])
    generations = table["generation"].astype(int)
    out = []
    for generation in sorted(set(generations), reverse=True):
        rows = table[generations == generation]
        known = rows[rows["population"].notna()]
        if known.empty:
            continue
        sources = list(dict.fromkeys(sources_text(origins[(str(c), "population")]) for c in known["code_qp"]
                                     if (str(c), "population") in origins))
        out.append(PopulationTotal(generation, float(known["population"].sum()), len(known), len(rows), sources))
    return out
