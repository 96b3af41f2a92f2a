"""Everything a "fiche quartier" shows, as plain data: values, percentiles, comparisons, drivers.

Pages and exports render this; they never recompute. Each indicator line says where the value comes
from (source, vintage, attribution rule, estimation or not), how it compares with the enclosing
territories and, when missing, why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodata.territories import Territory
from indicators import catalogue
from indicators.comparison import LEVEL_LABELS, compare
from core.formats import format_value
from core.reasons import missing_label
from indicators.scores import Method
from assembly.territory_table import reason_column, territory_table
from sources import store
from core.errors import SourceMissingError, UnknownTerritoryError

ESTIMATION_RULES = {"iris_population", "iris_dpe", "iris_effectifs"}
#: Indicators at or above this percentile are listed as drivers of the scores.
DRIVER_THRESHOLD = 80.0


@dataclass
class Line:
    id: str
    label: str
    unit: str
    value: float
    value_text: str
    percentile: float
    missing_reason: str | None
    missing_text: str
    vintage: str
    source: str
    method: str
    detail: str
    estimation: bool
    scored: bool
    references: list[dict] = field(default_factory=list)


@dataclass
class Profile:
    row: pd.Series
    domains: list[dict]
    drivers: list[Line]
    lines: dict[str, Line]

    @property
    def code(self) -> str:
        return str(self.row["code_qp"])


def _details(code_qp: str) -> pd.DataFrame:
    values = store.table("valeurs")
    return values[values["code_qp"] == code_qp].set_index("indicateur")


def profile(code_qp: str, method: Method | None = None, frame: str = "generation") -> Profile:
    """The fiche of one QPV: unknown codes raise ``UnknownTerritoryError`` with close matches."""
    registry = store.table("qpv").set_index("code_qp")
    if code_qp not in registry.index:
        from geodata.territories import suggestions

        raise UnknownTerritoryError("QPV", code_qp, suggestions("QPV", code_qp))
    territory = Territory("QPV", code_qp, str(registry.loc[code_qp, "lib_qp"]))
    table = territory_table(territory, method, frame)
    row = table.iloc[0]
    details = _details(code_qp)
    ids = catalogue.ids()
    comparison = compare(table, store.table("references"), ids).iloc[0]
    lines: dict[str, Line] = {}
    for ind in catalogue.CATALOGUE:
        value = row[ind.id]
        reason = row[reason_column(ind.id)]
        reason = None if pd.isna(reason) else str(reason)
        rule = str(details.loc[ind.id, "methode"]) if ind.id in details.index and pd.notna(details.loc[ind.id, "methode"]) else ind.rule_for(int(row["generation"]))
        detail = details.loc[ind.id, "detail"] if ind.id in details.index else None
        refs = []
        for suffix, level in (("commune", "COM"), ("epci", "EPCI"), ("departement", "DEP"), ("france", "FRANCE")):
            ref = comparison.get(f"{ind.id}_ref_{suffix}")
            if ref is not None and not np.isnan(ref):
                refs.append({"niveau": LEVEL_LABELS[level], "valeur": float(ref),
                             "valeur_texte": format_value(ref, ind.unit, ind.decimals),
                             "rapport": comparison.get(f"{ind.id}_ratio_{suffix}"),
                             "ecart": comparison.get(f"{ind.id}_ecart_{suffix}")})
        pct = row.get(f"{ind.id}_pct", np.nan)
        lines[ind.id] = Line(
            id=ind.id, label=ind.label, unit=ind.unit, value=float(value) if pd.notna(value) else np.nan,
            value_text=format_value(value, ind.unit, ind.decimals),
            percentile=float(pct) if pd.notna(pct) else np.nan,
            missing_reason=reason, missing_text=missing_label(reason) if reason else "",
            vintage=ind.vintage, source=ind.source, method=rule,
            detail="" if detail is None or pd.isna(detail) else str(detail),
            estimation=rule in ESTIMATION_RULES, scored=ind.scored, references=refs,
        )
    domains = []
    for domain in catalogue.DOMAINS.values():
        members = [lines[i.id] for i in catalogue.CATALOGUE if i.domain == domain.id]
        if members:
            score = row.get(f"dom_{domain.id}", np.nan)
            domains.append({"id": domain.id, "label": domain.label, "pillar": domain.pillar,
                            "score": float(score) if pd.notna(score) else np.nan, "lines": members})
    drivers = sorted((line for line in lines.values() if line.scored and line.percentile >= DRIVER_THRESHOLD),
                     key=lambda line: -line.percentile)
    return Profile(row=row, domains=domains, drivers=drivers, lines=lines)


def evolution(code_qp: str) -> pd.DataFrame:
    """Time series of the QPV (``indicateur, annee, valeur``), empty when none is loaded."""
    try:
        series = store.table("evolutions")
    except SourceMissingError:  # a bundle without series: the page says so
        return pd.DataFrame(columns=["indicateur", "annee", "valeur"])
    return series[series["code_qp"] == code_qp].sort_values(["indicateur", "annee"]).reset_index(drop=True)
