"""``docs/methode.md``, written from the catalogue and the default method (never by hand).

The document is what a chef de projet cites in the annex: every indicator with its definition,
source, vintage and how it reaches the QPV; how scores are built; what they do not say. A test
regenerates it and compares with the committed file, so the two cannot drift apart.
"""

from __future__ import annotations

from indicators import catalogue
from core import reasons
from core.formats import format_number
from indicators.scores import AGGREGATIONS, MIN_FRAME, MIN_VALUES, NORMALISATIONS, Method

NORMALISATION_LABELS = {"percentile": "rangs centiles", "minmax": "min-max", "zscore": "scores z écrêtés"}
AGGREGATION_LABELS = {"arithmetique": "moyenne arithmétique", "geometrique": "moyenne géométrique"}
_DIRECTION = {1: "plus la valeur est élevée, moins la situation est favorable",
              -1: "plus la valeur est élevée, plus la situation est favorable",
              0: "descriptif (hors scores)"}


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def render_markdown(method: Method | None = None) -> str:
    method = method or Method()
    lines: list[str] = []
    add = lines.append
    add("# Méthode ecoqpv — indicateurs et scores")
    add("")
    add("*Document généré à partir du catalogue des indicateurs (`python -m indicators catalogue --format md`)."
        " Ne pas modifier à la main.*")
    add("")
    add("## Principes")
    add("")
    add("- Les indicateurs décrivent des **expositions** (chaleur, risques, air) et des **conditions de vie** "
        "(revenus, logement, emploi, âge) : jamais les habitants eux-mêmes.")
    add("- Chaque valeur garde sa source, son millésime et sa méthode de rattachement au quartier. Une valeur "
        "manquante reste manquante, avec sa raison ; elle n'est jamais remplacée par zéro ni par la valeur de "
        "la commune.")
    add("- Les QPV 2015 et les QPV 2024 ne sont **jamais classés ensemble** : leurs périmètres diffèrent.")
    add("- Les valeurs communales (risques recensés, qualité de l'air) sont affichées comme **contexte** et "
        "n'entrent pas dans les scores : elles effaceraient les écarts entre quartiers d'une même commune.")
    add("")
    add("## Construction des scores")
    add("")
    add(f"1. **Rangs centiles** : pour chaque indicateur, rang du quartier parmi ceux du **cadre de "
        "référence** (par défaut, tous les QPV de la même génération présents dans les données ; au choix, "
        "ceux de la même région), `100 × (rang − 1) / (n − 1)`, ex æquo au rang moyen, dans le sens "
        "défavorable (100 = situation la moins favorable). Un indicateur n'entre dans un cadre que si "
        f"au moins {MIN_VALUES} quartiers du cadre ont une valeur ; un cadre compte au moins {MIN_FRAME} "
        "quartiers.")
    add(f"2. **Domaines** : moyenne des rangs centiles disponibles de leurs indicateurs, calculée seulement "
        f"si les indicateurs disponibles représentent au moins {_pct(method.quorum)} du poids du domaine.")
    add(f"3. **Piliers** *Exposition* et *Vulnérabilité* : moyenne pondérée des domaines calculés (poids "
        f"égaux par défaut), si au moins {_pct(method.pillar_quorum)} des domaines du pilier le sont ; "
        "chaque pilier est ramené sur 0-10 par le maximum du cadre.")
    add("4. **Score global** = Exposition × Vulnérabilité (0-100) : il n'est élevé que si les deux le sont "
        "(« double peine ») ; les deux piliers restent toujours affichés à côté.")
    add(f"5. **Alertes** : nombre d'indicateurs au-delà du {int(method.alert_threshold)}e centile.")
    add("6. **Quartier partiel** : sans l'un des deux piliers, le quartier n'a pas de score global ; il reste "
        "listé avec les domaines disponibles.")
    add(f"7. **Robustesse** : {format_number(method.draws)} tirages Monte-Carlo (graine {method.seed}) font varier les poids "
        f"des domaines (loi de Dirichlet centrée sur les poids choisis, concentration {method.concentration:g}), "
        f"la normalisation ({', '.join(NORMALISATION_LABELS[n] for n in NORMALISATIONS)}) et l'agrégation "
        f"({', '.join(AGGREGATION_LABELS[a] for a in AGGREGATIONS)}). "
        "`rang_p05` et `rang_p95` bornent l'intervalle de 90 % des rangs obtenus (il contient toujours le "
        "rang de la méthode choisie). Le classement est dit **robuste** quand cet intervalle est **étroit** "
        f"— au plus {_pct(method.narrow_share)} du nombre de quartiers classés du cadre — et que la probabilité "
        "d'être dans le premier quintile est inférieure à 10 % ou supérieure à 90 % ; sinon il est "
        "**sensible aux choix de méthode**.")
    add("")
    add("## Valeurs manquantes")
    add("")
    add("| code | signification |")
    add("|---|---|")
    for code, label in reasons.LABELS.items():
        add(f"| `{code}` | {label} |")
    add("")
    add("## Rattachement des données au quartier")
    add("")
    add("| règle | méthode |")
    add("|---|---|")
    for rule, label in catalogue.ATTRIBUTION_RULES.items():
        add(f"| `{rule}` | {label} |")
    add("")
    add("## Indicateurs")
    add("")
    for domain in catalogue.DOMAINS.values():
        members = [i for i in catalogue.CATALOGUE if i.domain == domain.id]
        if not members:
            continue
        add(f"### {domain.label} — pilier {domain.pillar}")
        add("")
        add(domain.description)
        add("")
        for ind in members:
            add(f"#### {ind.label} (`{ind.id}`)")
            add("")
            add(f"- **Définition** : {ind.definition}")
            add(f"- **Unité** : {ind.unit or '—'} ; **sens** : {_DIRECTION[ind.direction]}"
                f"{'' if ind.scored else ' ; affiché comme contexte, hors scores'}.")
            add(f"- **Source** : {ind.source} ({ind.publisher}) — licence : {ind.licence}.")
            add(f"- **Millésime** : {ind.vintage} ; **échelle de la source** : {ind.level}.")
            rule = ind.attribution
            text = f"- **Rattachement** : `{rule}`"
            if ind.attribution_2024 and ind.attribution_2024 != rule:
                text += f" (QPV 2015) ; `{ind.attribution_2024}` (QPV 2024, estimation)"
            add(text + ".")
            if ind.online_only:
                add("- **Disponibilité** : en ligne seulement (mise à jour du territoire).")
            if ind.caveats:
                add(f"- **Limites** : {ind.caveats}")
            add("")
    add("## Ce que ces indicateurs ne disent pas")
    add("")
    add("- Le vécu des habitants, leurs ressources, les initiatives locales et les usages du quartier : à "
        "recueillir en atelier, à côté des données, jamais dans les scores.")
    add("- L'exposition fine à la chaleur dans les rues et les logements : la grille climatique fait 8 km, "
        "les zones climatiques locales ne couvrent que quelques villes.")
    add("- La situation actuelle : les millésimes vont de 2018 à 2024 selon les sources ; les QPV 2024 "
        "n'ont pas encore de statistiques Insee hors ligne (estimations par IRIS).")
    add("- Un rang n'est pas un verdict : il dépend du cadre de comparaison et des choix de méthode, d'où "
        "l'intervalle de rangs affiché.")
    add("")
    return "\n".join(lines)
