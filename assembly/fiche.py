"""The one model of a "fiche quartier": everything the Fiche page and the annex show for one QPV.

``fiches(table)`` builds the fiche of every row of a territory table (the annex), ``profile(code)`` the
fiche of one QPV (the Fiche page): values and missing reasons, percentiles, the enclosing territories'
values with ratio and gap, the domain indices and scores, what drives them, the evolution series and
what the indicators do not say. The page (``app_pages/fiche.py``) and the annex
(``reports/sections/fiches.py``) only render it, so both always show the same facts. Each line carries
the value's nature, its 90 % interval, its own vintage and source (``Line.info``), and its text
(``Line.value_text``, worded by ``assembly.value_text``: an estimate always says it is one).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import SourceMissingError, UnknownTerritoryError
from core.formats import format_value, is_missing
from core.reasons import missing_label
from core.text import in_sentence
from geodata.territories import Territory, territory_notes
from assembly import indicator_list
from indicators import catalogue
from indicators.comparison import LEVEL_LABELS, compare_to_grids, reference_grids
from indicators.scores import RELIABILITY_DATA, RELIABILITY_METHOD, ROBUST, Method
from assembly.territory_table import rank_phrase, reason_column, territory_table
from assembly.value_text import Provenance, nature_label, provenances, sources_text, value_text
from sources import store

ESTIMATION_RULES = {"iris_population", "iris_dpe", "iris_effectifs"}
#: Enclosing territories compared in a fiche: key of ``Line.references`` → level of the reference table.
REFERENCE_LEVELS = {"commune": "COM", "epci": "EPCI", "departement": "DEP", "france": "FRANCE"}
#: The national benchmark of the QPV 2015 (INSEE publishes it for Filosofi): key of ``Line.references``.
QPV_ENSEMBLE = "qpv_ensemble"
#: Below the alert threshold, the indicators above this percentile say what leans the scores upwards.
MEDIAN = 50.0
#: How many indicators above the median are named when none reaches the alert threshold.
LEANING_COUNT = 3

#: Titles of the evolution series (short: they head small charts and table rows).
SERIES_LABELS = {"revenu_median": "Revenu médian (€ par UC)", "taux_pauvrete": "Taux de pauvreté (%)",
                 "population": "Population (habitants)"}
EVOLUTION_SOURCE = "Insee, Filosofi par QPV 2015 (2012-2021) et recensement (2013, 2018)"
#: INSEE's warning about infra-communal series, shown wherever the series are.
EVOLUTION_CAUTION = ("Évolutions à interpréter avec prudence : deux millésimes consécutifs ne mesurent pas une "
                     "évolution fiable.")
NO_SERIES = ("Aucune série temporelle n'est disponible pour ce quartier dans les données chargées (les séries "
             "Filosofi 2012-2021 existent pour les QPV 2015 de métropole).")
NO_SERIES_2024 = " QPV 2015 et QPV 2024 n'ont pas les mêmes contours et ne se comparent pas directement."
#: The one sentence of a fiche when no value at all is known for the quartier (page and annex).
NO_DATA = ("Aucune valeur n'est disponible hors ligne pour ce quartier : la mise à jour en ligne de son "
           "territoire (page « Données et sources ») peut apporter ses statistiques.")
#: Said instead of the indicators above the median when none of the quartier's indicators is ranked.
NOTHING_RANKED = ("Aucun indicateur de ce quartier n'est classé dans le cadre de comparaison : les données "
                  "disponibles ne suffisent pas pour dire ce qui tire le score vers le haut.")

#: What the indicators do not say: (lead words, rest of the sentence), for the fiche and the annex.
UNSAID: tuple[tuple[str, str], ...] = (
    ("Le vécu des habitants", ", leurs ressources et leurs initiatives : parcs, jardins partagés, équipements, "
     "associations et usages du quartier ne figurent pas dans ces données. Ils se recueillent en atelier et se "
     "présentent à côté des chiffres, jamais dans les scores."),
    ("La chaleur ressentie", " dans une rue ou un logement : la grille climatique a des mailles de 8 km et les "
     "zones climatiques locales ne couvrent que quelques villes."),
    ("L'intensité d'un risque", " dans le quartier : un risque recensé dans la commune ne touche pas forcément "
     "tout son territoire."),
    ("L'état de tout le parc de logements", " : les DPE ne portent que sur les logements diagnostiqués, l'âge du "
     "parc seulement sur le logement social."),
    ("La situation d'aujourd'hui", " : les millésimes vont de 2017 à 2024 selon les sources, et les statistiques "
     "Insee des QPV 2024 ne sont disponibles qu'en ligne (estimations par IRIS hors ligne)."),
    ("Une tendance fiable", " : les séries (Filosofi 2012-2021, population 2013 et 2018) ne portent que sur les "
     "QPV 2015, et deux millésimes consécutifs ne mesurent pas une évolution fiable."),
    ("Un verdict", " : un rang dépend du cadre de comparaison et des choix de méthode."),
)


@dataclass(frozen=True)
class Reference:
    """The value of an enclosing territory for one indicator, and how the QPV compares with it."""

    level: str
    label: str
    value: float
    value_text: str
    #: QPV value / reference value, and QPV value − reference value (NaN when not computable).
    ratio: float = math.nan
    gap: float = math.nan


@dataclass
class Line:
    """One indicator of the fiche: its value (or why it is missing), its percentile and comparisons."""

    id: str
    label: str
    unit: str
    decimals: int
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
    references: dict[str, Reference] = field(default_factory=dict)
    #: Nature, 90 % interval, vintage and source of this very value (empty nature when missing).
    info: Provenance = field(default_factory=Provenance)

    @property
    def missing(self) -> bool:
        return math.isnan(self.value)

    @property
    def nature(self) -> str | None:
        return self.info.nature

    @property
    def nature_text(self) -> str:
        """« estimation calibrée (avec intervalle) », « valeur officielle »…; "" for a missing value."""
        return "" if self.missing else nature_label(self.info.nature)

    @property
    def origin_text(self) -> str:
        """Vintage and source of the value: « Filosofi 2019 (périmètre 2024) — Estimation ecoqpv : … »."""
        return sources_text(self.info)


@dataclass
class Domain:
    id: str
    label: str
    pillar: str
    #: Domain index (mean percentile of its indicators, 0-100); NaN when not computed or not scored.
    score: float
    lines: list[Line]


@dataclass(frozen=True)
class Scores:
    """The scores of the QPV in its reference frame, as the territory table gives them."""

    #: ``complet``, ``partiel`` (a pillar cannot be computed), ``cadre_insuffisant``, or None (not scored).
    status: str | None
    exposition: float
    vulnerability: float
    overall: float
    alerts: float
    rank: float
    #: Rank interval over the method draws (90 %): whole ranks, the low end at least 1; None without one.
    rank_low: int | None
    rank_high: int | None
    frame_size: int
    frame: str
    robustness: str
    robust: bool
    #: Reliability code (``indicators.scores``: robuste, pilier_un_indicateur…) and its French sentence.
    reliability: str = ""
    reliability_text: str = ""
    #: « rang 72 parmi les 1 362 QPV 2024 de métropole classés » ("" when not ranked).
    rank_text: str = ""
    #: Indicators ranked for this quartier (0: nothing known to rank).
    ranked_indicators: int = 0
    #: Scored indicators the frame leaves out of its scores (known for too few of its quartiers).
    out_of_frame: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.status == "complet"

    @property
    def interval_in_reliability(self) -> bool:
        """The reliability sentence already gives the rank interval (a rank sensitive to the method or to
        the estimates): the interval is then not said twice."""
        return self.reliability in (RELIABILITY_METHOD, RELIABILITY_DATA)


@dataclass
class Series:
    """A time series of the QPV (years ascending), as published: no interpolation, no smoothing."""

    id: str
    label: str
    unit: str
    decimals: int
    years: list[int]
    values: list[float]


@dataclass
class Fiche:
    row: pd.Series
    lines: dict[str, Line]
    domains: list[Domain]
    scores: Scores
    #: Percentile at or above which an indicator drives the scores (the method's alert threshold).
    threshold: float
    #: Indicators at or above the threshold, highest percentile first.
    drivers: list[Line]
    #: When no indicator reaches the threshold: up to three above the median, highest first.
    leaning: list[Line]
    series: list[Series]
    #: What to read next to the series (INSEE's caution), or why there is none.
    evolution_note: str
    unsaid: tuple[tuple[str, str], ...] = UNSAID
    #: What to say with this quartier's data whatever its values (the Mayotte codes, for one): page and annex.
    notes: list[str] = field(default_factory=list)

    @property
    def no_data(self) -> bool:
        """No value at all is known for this quartier (the fiche then says ``NO_DATA`` and nothing else)."""
        return all(line.missing for line in self.lines.values())

    @property
    def out_of_frame_text(self) -> str:
        """Which values of the quartier are shown without percentile because its frame does not rank them
        ("" when none)."""
        shown = [self.lines[i].label for i in self.scores.out_of_frame if i in self.lines and not self.lines[i].missing]
        if not shown:
            return ""
        listed = ", ".join(in_sentence(label) for label in shown)
        return (f"Valeurs affichées sans rang centile : {listed}. Ces indicateurs ne sont connus que pour moins d'un "
                "tiers des quartiers du cadre de comparaison : ils n'entrent pas dans ses scores.")

    @property
    def drivers_text(self) -> str:
        """What drives the scores, in one sentence, never a reassurance when nothing is known."""
        def listed(lines: list[Line]) -> str:
            return " ; ".join(f"{line.label} (rang centile {format_value(line.percentile, '', 0)})" for line in lines)

        ranked = self._scored_lines(ranked=True)
        if not ranked:
            return NOTHING_RANKED
        if self.drivers:
            said = (f"Ce qui tire le score vers le haut — indicateurs au-delà du {format_value(self.threshold, '', 0)}e "
                    f"centile : {listed(self.drivers)}")
        elif self.leaning:
            said = ("Ce qui tire le score vers le haut — indicateurs au-dessus de la médiane du cadre (aucun au-delà "
                    f"du seuil d'alerte) : {listed(self.leaning)}")
        elif len(ranked) == 1:
            said = (f"Le seul indicateur classé de ce quartier ({in_sentence(ranked[0].label)}, rang centile "
                    f"{format_value(ranked[0].percentile, '', 0)}) n'est pas au-dessus de la médiane du cadre de "
                    "comparaison")
        else:
            said = (f"Aucun des {format_value(len(ranked), '', 0)} indicateurs classés de ce quartier n'est "
                    "au-dessus de la médiane du cadre de comparaison")
        return f"{said}. {self.basis_text}".rstrip()

    def _scored_lines(self, ranked: bool) -> list[Line]:
        """The lines of the scores' indicators that have a percentile (``ranked``) or not."""
        return [line for line in self.lines.values() if line.scored and math.isnan(line.percentile) != ranked]

    @property
    def basis_text(self) -> str:
        """On how many of the scores' indicators what drives the scores rests, when some have no rank ("" when
        all do): « none above the median » from 1 indicator of 15 is not a finding."""
        ranked, unranked = len(self._scored_lines(ranked=True)), len(self._scored_lines(ranked=False))
        if not ranked or not unranked:
            return ""
        rest = ("l'autre n'a pas de valeur ou n'est pas classé" if unranked == 1 else
                f"les {format_value(unranked, '', 0)} autres n'ont pas de valeur ou ne sont pas classés")
        return (f"Constat établi sur {format_value(ranked, '', 0)} des {format_value(ranked + unranked, '', 0)} "
                f"indicateurs des scores : {rest} pour ce quartier (voir les tableaux).")

    @property
    def code(self) -> str:
        return str(self.row["code_qp"])

    @property
    def generation(self) -> int:
        return int(self.row["generation"])


def _number(value: object) -> float:
    return math.nan if is_missing(value) else float(value)


def _scores(row: pd.Series) -> Scores:
    status = row.get("statut")
    low, high = _number(row.get("rang_p05")), _number(row.get("rang_p95"))
    size = row.get("taille_cadre")
    ranked = row.get("nb_indicateurs")
    return Scores(
        status=None if is_missing(status) else str(status),
        exposition=_number(row.get("score_exposition")), vulnerability=_number(row.get("score_vulnerabilite")),
        overall=_number(row.get("score_global")), alerts=_number(row.get("nb_alertes")),
        rank=_number(row.get("rang")),
        rank_low=None if math.isnan(low) else max(math.floor(low), 1),
        rank_high=None if math.isnan(high) else math.ceil(high),
        frame_size=0 if is_missing(size) else int(size),
        frame="" if is_missing(row.get("cadre")) else str(row.get("cadre")),
        robustness="" if is_missing(row.get("robustesse")) else str(row.get("robustesse")),
        robust=not is_missing(row.get("robustesse")) and row.get("robustesse") == ROBUST,
        reliability="" if is_missing(row.get("fiabilite")) else str(row.get("fiabilite")),
        reliability_text="" if is_missing(row.get("fiabilite_texte")) else str(row.get("fiabilite_texte")),
        rank_text=rank_phrase(row),
        ranked_indicators=0 if is_missing(ranked) else int(ranked),
        out_of_frame=tuple(i for i in str(row.get("indicateurs_hors_cadre") or "").split(",") if i),
    )


def _references(ind: catalogue.Indicator, comparison: pd.Series, ensemble: dict[str, float],
                generation: int) -> dict[str, Reference]:
    out = {}
    for key, level in REFERENCE_LEVELS.items():
        value = comparison.get(f"{ind.id}_ref_{key}")
        if value is not None and not is_missing(value):
            out[key] = Reference(key, LEVEL_LABELS[level], float(value), format_value(value, ind.unit, ind.decimals),
                                 _number(comparison.get(f"{ind.id}_ratio_{key}")),
                                 _number(comparison.get(f"{ind.id}_ecart_{key}")))
    if generation == 2015 and ind.id in ensemble:
        value = ensemble[ind.id]
        out[QPV_ENSEMBLE] = Reference(QPV_ENSEMBLE, "Ensemble des QPV 2015", value,
                                      format_value(value, ind.unit, ind.decimals))
    return out


def _series(code_qp: str, evolutions: pd.DataFrame) -> list[Series]:
    rows = evolutions[evolutions["code_qp"] == code_qp].sort_values(["indicateur", "annee"])
    out = []
    for indicator, part in rows.groupby("indicateur", sort=True):
        ind = catalogue.BY_ID.get(indicator)
        unit, decimals = (ind.unit, ind.decimals) if ind else ("", 1)
        label = SERIES_LABELS.get(indicator) or (f"{ind.label} ({unit})" if ind and unit else str(indicator))
        out.append(Series(str(indicator), label, unit, decimals, [int(y) for y in part["annee"]],
                          [float(v) for v in part["valeur"]]))
    return out


def _evolutions() -> pd.DataFrame:
    try:
        return store.table("evolutions")
    except SourceMissingError:  # a bundle without series: the fiche says there is none
        return pd.DataFrame(columns=["code_qp", "indicateur", "annee", "valeur"])


def fiches(table: pd.DataFrame, threshold: float | None = None) -> list[Fiche]:
    """The fiche of every row of a territory table, in its order.

    ``threshold``: percentile from which an indicator drives the scores (default: the method's alert
    threshold, 80).
    """
    threshold = Method().alert_threshold if threshold is None else float(threshold)
    if table.empty:
        return []
    codes = set(table["code_qp"].astype(str))
    values = indicator_list.values()
    values = values[values["code_qp"].isin(codes)]
    rules = dict(zip(zip(values["code_qp"], values["indicateur"], strict=True), values["methode"], strict=True))
    how = {"rules": rules, "provenances": provenances(table)}
    grids, ensemble = _reference_lookup(store.version())
    comparisons = compare_to_grids(table, grids, indicator_list.ids())
    evolutions = _evolutions()
    out = []
    for index, row in table.iterrows():
        out.append(_fiche(row, comparisons.loc[index], how, ensemble, evolutions, threshold))
    return out


@functools.lru_cache(maxsize=2)
def _reference_lookup(data_version: tuple) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """The enclosing territories' values as grids (``indicators.comparison.reference_grids``) and the values of
    all QPV 2015 together, read once per data version: the fiche page builds a fiche at every run. Not to be
    modified by callers (shared)."""
    references = store.table("references")
    national = references[(references["niveau"] == "QPV_ENSEMBLE") & (references["code"].astype(str) == "QPV2015")]
    ensemble = {str(i): float(v) for i, v in zip(national["indicateur"], national["valeur"], strict=True)
                if not is_missing(v)}
    return reference_grids(references), ensemble


def _fiche(row: pd.Series, comparison: pd.Series, how: dict, ensemble: dict[str, float],
           evolutions: pd.DataFrame, threshold: float) -> Fiche:
    code, generation = str(row["code_qp"]), int(row["generation"])
    lines: dict[str, Line] = {}
    for ind in indicator_list.all_indicators():
        value = _number(row[ind.id])
        reason = row[reason_column(ind.id)]
        reason = None if is_missing(reason) else str(reason)
        rule = how["rules"].get((code, ind.id))
        rule = ind.rule_for(generation) if is_missing(rule) else str(rule)
        info = how["provenances"].get((code, ind.id), Provenance(vintage=ind.vintage, source=ind.source))
        lines[ind.id] = Line(
            id=ind.id, label=ind.label, unit=ind.unit, decimals=ind.decimals, value=value,
            value_text=value_text(value, ind.unit, ind.decimals, info),
            percentile=_number(row.get(f"{ind.id}_pct")), missing_reason=reason,
            missing_text=missing_label(reason) if math.isnan(value) else "",
            vintage=info.vintage, source=info.source, method=rule, detail=info.detail,
            estimation=info.estimated or rule in ESTIMATION_RULES, scored=ind.scored,
            references=_references(ind, comparison, ensemble, generation), info=info,
        )
    domains = []
    for domain in catalogue.DOMAINS.values():
        members = [lines[i.id] for i in indicator_list.all_indicators() if i.domain == domain.id]
        if members:
            domains.append(Domain(domain.id, domain.label, domain.pillar, _number(row.get(f"dom_{domain.id}")),
                                  members))
    ranked = sorted((line for line in lines.values() if line.scored and not np.isnan(line.percentile)),
                    key=lambda line: -line.percentile)
    drivers = [line for line in ranked if line.percentile >= threshold]
    leaning = [] if drivers else [line for line in ranked if line.percentile >= MEDIAN][:LEANING_COUNT]
    series = _series(code, evolutions)
    if series:
        note = f"Source : {EVOLUTION_SOURCE}. {EVOLUTION_CAUTION}"
    else:
        note = NO_SERIES + (NO_SERIES_2024 if generation == 2024 else "")
    return Fiche(row=row, lines=lines, domains=domains, scores=_scores(row), threshold=threshold, drivers=drivers,
                 leaning=leaning, series=series, evolution_note=note,
                 notes=territory_notes(Territory("QPV", code, str(row.get("lib_qp", "")))))


def profile(code_qp: str, method: Method | None = None, frame: str = "generation") -> Fiche:
    """The fiche of one QPV: unknown codes raise ``UnknownTerritoryError`` with close matches."""
    registry = store.table("qpv").set_index("code_qp")
    if code_qp not in registry.index:
        from geodata.territories import suggestions

        raise UnknownTerritoryError("QPV", code_qp, suggestions("QPV", code_qp))
    territory = Territory("QPV", code_qp, str(registry.loc[code_qp, "lib_qp"]))
    table = territory_table(territory, method, frame)
    return fiches(table, (method or Method()).alert_threshold)[0]
