"""How far a rank can be trusted: the reliability code of each ranked QPV, its French sentence and badge.

``robuste`` only when the 90 % rank interval is narrow and membership of the top fifth clear-cut under the
method draws **and** the draws of the estimated values (``indicators.scores.robustness``), and when each
pillar rests on at least two indicators and no domain is left out while some of its values are known;
otherwise the sentence says why (the first cause found). The rules are also said, once, in the sentences
the method texts reuse (``DATA_DRAW_RULE``, ``ROBUST_RULE``, ``COVERAGE_RULE``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.text import in_sentence

if TYPE_CHECKING:  # annotations only: the scores module imports this one
    from indicators.scores import Method, Structure

ROBUST = "robuste"
SENSITIVE = "sensible aux choix de méthode"
#: Badge of a ranked QPV whose rank is fragile for another reason than the method (a pillar resting on one
#: indicator, a rank that moves with the estimated values).
FRAGILE = "fragile"
#: A pillar must rest on at least this many indicators with a value for the rank to be called robust.
MIN_PILLAR_INDICATORS = 2

#: Reliability codes (``fiabilite``), stable ids; the sentence (``fiabilite_texte``) names the cause.
RELIABILITY_ROBUST = "robuste"
RELIABILITY_ONE_INDICATOR = "pilier_un_indicateur"
RELIABILITY_PARTIAL_DOMAIN = "domaine_non_calcule"
RELIABILITY_METHOD = "sensible_methode"
RELIABILITY_DATA = "sensible_estimations"
RELIABILITY_UNRANKED = "non_classe"
RELIABILITY_NOT_ASSESSED = "non_evalue"
#: What each code means, in French (the method text and the exports' notes).
RELIABILITY_LABELS = {
    RELIABILITY_ROBUST: "classement robuste : rang stable selon les choix de méthode et l'incertitude des "
    "valeurs estimées, chaque pilier reposant sur au moins deux indicateurs",
    RELIABILITY_ONE_INDICATOR: "classement fragile : un pilier ne repose que sur un indicateur",
    RELIABILITY_PARTIAL_DOMAIN: "classement fragile : un domaine n'est pas calculé faute d'indicateurs assez "
    "nombreux, et ses valeurs connues n'entrent pas dans le score",
    RELIABILITY_METHOD: "classement sensible aux choix de méthode (poids, normalisation, agrégation)",
    RELIABILITY_DATA: "classement fragile : le rang dépend de l'incertitude des valeurs estimées",
    RELIABILITY_UNRANKED: "non classé : données insuffisantes",
    RELIABILITY_NOT_ASSESSED: "robustesse non évaluée (aucun tirage)",
}
#: How an estimated value is drawn in the Monte Carlo (the one sentence said by the annex, the Méthode page and docs/methode.md).
DATA_DRAW_RULE = ("une estimation calibrée est tirée dans une loi normale dont l'intervalle à 90 % est celui de "
                  "l'estimation (deux demi-lois normales quand l'intervalle n'est pas centré sur elle, qui reste la "
                  "médiane des tirages), puis ramenée dans les bornes possibles de l'indicateur (0 à 100 % pour une "
                  "part) ; les autres valeurs restent fixes.")
#: When a rank is called robust.
ROBUST_RULE = ("Un classement n'est dit robuste que si son intervalle de rang est étroit (au plus 10 % des quartiers "
               "classés du cadre), si l'appartenance au premier quintile est nette (plus de 90 % ou moins de 10 % "
               "des tirages) et si chacun des deux piliers repose sur au moins deux indicateurs ; sinon, la fiche dit "
               "pourquoi (pilier reposant sur un seul indicateur, domaine non calculé alors que certaines de ses "
               "valeurs sont connues, rang sensible aux choix de méthode, rang dépendant des valeurs estimées).")


#: Which indicators a frame ranks (the method texts).
COVERAGE_RULE = ("Un indicateur n'entre dans les scores d'un cadre de comparaison que s'il est connu pour au moins "
                 "un tiers de ses quartiers : sinon les quartiers du cadre seraient classés sur des indicateurs "
                 "différents. Il reste affiché dans les fiches et les tableaux, sans rang centile.")
#: The same in a few words, for a table cell.
RELIABILITY_SHORT = {
    RELIABILITY_ROBUST: "robuste",
    RELIABILITY_ONE_INDICATOR: "fragile : un pilier sur un seul indicateur",
    RELIABILITY_PARTIAL_DOMAIN: "fragile : un domaine non calculé",
    RELIABILITY_METHOD: "sensible aux choix de méthode",
    RELIABILITY_DATA: "fragile : dépend des valeurs estimées",
    RELIABILITY_UNRANKED: "non classé – données insuffisantes",
    RELIABILITY_NOT_ASSESSED: "robustesse non évaluée",
}


def _ordinal(rank: float) -> str:
    """« 1er », « 12e », « 1 362e » (narrow no-break space as thousands separator, as ``core.formats``)."""
    number = int(rank)
    return "1er" if number == 1 else f"{number:,}e".replace(",", "\u202f")


def _one_indicator_sentence(pillars: list[tuple[str, str, bool]]) -> str:
    """« classement fragile : le pilier Vulnérabilité ne repose que sur un indicateur (…), estimé »."""
    parts = [f"le pilier {pillar} ne repose que sur un indicateur ({in_sentence(label)})" + (", estimé" if est else "")
             for pillar, label, est in pillars]
    return "classement fragile : " + " ; ".join(parts) + "."


def _partial_domain_sentence(domains: list[tuple[str, int, int, list[str]]]) -> str:
    """« classement fragile : le domaine « Pauvreté et revenus » n'est pas calculé (2 de ses 4 indicateurs
    connus : taux de pauvreté, …) ; ces valeurs n'entrent pas dans le score. »"""
    parts = [f"le domaine « {label} » n'est pas calculé ({known} de ses {size} indicateurs connus : "
             f"{', '.join(in_sentence(name) for name in names)})" for label, known, size, names in domains]
    return "classement fragile : " + " ; ".join(parts) + " ; ces valeurs n'entrent pas dans le score."


def reliability(rank: np.ndarray, interval: pd.DataFrame, known: np.ndarray, dom: np.ndarray,
                estimated: np.ndarray, structure: Structure, method: Method,
                pillars: tuple[np.ndarray, np.ndarray]) -> tuple[list, list, list]:
    """Per QPV: the reliability code, its French sentence and the short badge (``robustesse``).

    ``known`` (n, k): QPV i has a score for indicator j; ``dom`` (n, d): its domain indices (NaN when not
    computed); ``estimated`` (n, k): the value is an estimate. The first cause found is said: not ranked, a
    pillar resting on fewer than ``MIN_PILLAR_INDICATORS`` indicators, a domain left out although some of
    its values are known (below the quorum), a rank interval too wide under the method draws alone, a rank
    interval too wide once the estimated values are drawn too; otherwise robust.
    """
    n = len(rank)
    used = known & ~np.isnan(dom[:, structure.domain_of])  # feeds a computed domain
    pillar_of_indicator = structure.pillar_of[structure.domain_of]
    sizes = np.bincount(structure.domain_of, minlength=len(structure.domains))
    ranked = ~np.isnan(rank)
    frame_size = int(ranked.sum())
    codes, texts, badges = [pd.NA] * n, [pd.NA] * n, [pd.NA] * n
    unclear = {}
    for suffix in ("", "_methode"):
        width = interval[f"rang_p95{suffix}"].to_numpy(dtype=float) - interval[f"rang_p05{suffix}"].to_numpy(dtype=float)
        top = interval[f"p_top20{suffix}"].to_numpy(dtype=float)
        unclear[suffix] = ~((width <= method.narrow_share * frame_size) & ((top > 0.9) | (top < 0.1)))
    lows, highs = interval["rang_p05"].to_numpy(dtype=float), interval["rang_p95"].to_numpy(dtype=float)

    for i in range(n):
        if not ranked[i]:
            missing = [name for name, value in zip(structure.pillars, (p[i] for p in pillars), strict=True)
                       if np.isnan(value)]
            if missing:
                words = " et ".join(missing)
                codes[i] = RELIABILITY_UNRANKED
                texts[i] = (f"non classé : données insuffisantes pour calculer le pilier {words}." if len(missing) == 1
                            else f"non classé : données insuffisantes pour calculer les piliers {words}.")
            continue
        thin = []
        for index, pillar in enumerate(structure.pillars):
            members = np.flatnonzero(used[i] & (pillar_of_indicator == index))
            if len(members) < MIN_PILLAR_INDICATORS and len(members):
                thin.append((pillar, structure.label(int(members[0])), bool(estimated[i, members[0]])))
        partial = []
        for d in np.flatnonzero(np.isnan(dom[i])):
            members = np.flatnonzero((structure.domain_of == d) & known[i])
            if len(members):
                partial.append((structure.domain_label(int(d)), len(members), int(sizes[d]),
                                [structure.label(int(j)) for j in members]))
        low, high = lows[i], highs[i]
        span = ("" if np.isnan(low) or np.isnan(high)
                else f"du {_ordinal(max(math.floor(low), 1))} au {_ordinal(math.ceil(high))} rang")
        if thin:
            codes[i], texts[i], badges[i] = RELIABILITY_ONE_INDICATOR, _one_indicator_sentence(thin), FRAGILE
        elif partial:
            codes[i], texts[i], badges[i] = RELIABILITY_PARTIAL_DOMAIN, _partial_domain_sentence(partial), FRAGILE
        elif np.isnan(low):
            codes[i], texts[i] = RELIABILITY_NOT_ASSESSED, RELIABILITY_LABELS[RELIABILITY_NOT_ASSESSED] + "."
        elif unclear["_methode"][i]:
            codes[i], badges[i] = RELIABILITY_METHOD, SENSITIVE
            texts[i] = ("classement sensible aux choix de méthode : selon les poids, la normalisation et "
                        f"l'agrégation, le rang varie {span}.")
        elif unclear[""][i]:
            codes[i], badges[i] = RELIABILITY_DATA, FRAGILE
            texts[i] = ("classement fragile : le rang dépend de l'incertitude des valeurs estimées ; quand elles "
                        f"sont tirées dans leur intervalle à 90 %, il varie {span}.")
        else:
            codes[i], badges[i] = RELIABILITY_ROBUST, ROBUST
            texts[i] = ("classement robuste : le rang reste proche quels que soient les choix de méthode et "
                        "l'incertitude des valeurs estimées, et chaque pilier repose sur au moins deux "
                        "indicateurs.")
    return codes, texts, badges
