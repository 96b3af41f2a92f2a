"""``docs/methode.md``, written from the catalogue and the default method (never by hand).

The document is what a chef de projet cites in the annex: every indicator with its definition,
source, vintage and how it reaches the QPV; how scores are built; what they do not say. A test
regenerates it and compares with the committed file, so the two cannot drift apart.
"""

from __future__ import annotations

import math

import pandas as pd

from core import natures, reasons
from core.formats import format_number
from indicators import calibration, catalogue
from indicators.scores import AGGREGATIONS, MIN_FRAME, MIN_VALUES, NORMALISATIONS, Method

NORMALISATION_LABELS = {"percentile": "rangs centiles", "minmax": "min-max", "zscore": "scores z écrêtés"}
AGGREGATION_LABELS = {"arithmetique": "moyenne arithmétique", "geometrique": "moyenne géométrique"}
_DIRECTION = {1: "plus la valeur est élevée, moins la situation est favorable",
              -1: "plus la valeur est élevée, plus la situation est favorable",
              0: "descriptif (hors scores)"}


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def _num(value: object, decimals: int = 1) -> str:
    """A French number, or « — » when unknown."""
    try:
        if value is None or math.isnan(float(value)):
            return "—"
    except (TypeError, ValueError):
        return "—"
    return format_number(float(value), decimals)


def _measure(value: object, unit: str, decimals: int = 2) -> str:
    """« 0,11 point », « 3,58 points », « 0,05 % »: a French number with its unit."""
    text = _num(value, decimals)
    if unit != "points" or text == "—":
        return f"{text} {unit}"
    return f"{text} {'point' if abs(float(value)) < 2 else 'points'}"


def _share(value: object) -> str:
    return "—" if _num(value) == "—" else f"{_num(100 * float(value), 1)} %"


def natures_section() -> list[str]:
    """What kind of number a value is, and which ones enter the scores (``core.natures``)."""
    lines = ["## Nature des valeurs", "",
             "Chaque valeur dit ce qu'elle est : publiée pour le quartier, reprise d'un QPV 2015 de même "
             "périmètre, estimée (avec ou sans calibration), calculée par superposition du contour du "
             "quartier à une grille ou à des IRIS, ou simple contexte communal. Une valeur manquante n'a pas "
             "de nature : elle a une raison.", "",
             "| nature | ce que c'est | dans les scores |", "|---|---|---|"]
    scored = {natures.OFFICIAL: "oui", natures.OFFICIAL_2015_SAME_PERIMETER: "oui", natures.CALIBRATED: "oui",
              natures.IRIS_ESTIMATE: "oui pour les DPE F ou G et l'APL (aucune valeur officielle pour les corriger) ; "
              "non pour un indicateur dont la calibration n'atteint pas ses objectifs",
              natures.COMMUNE_CONTEXT: "non", natures.SPATIAL: "oui", natures.LOCAL: "seulement si la personne le demande, indicateur par indicateur"}
    for nature in natures.NATURES:
        lines.append(f"| `{nature}` — {natures.label(nature)} | {natures.description(nature)} | {scored[nature]} |")
    lines += ["", "La table des valeurs dit pour chacune si elle peut entrer dans les scores (colonne "
              "`score_autorise`) : un indicateur descriptif ou communal n'y entre jamais ; une estimation par IRIS "
              "d'un indicateur calibrable n'y entre pas, car elle n'est là que parce que sa calibration a manqué "
              "ses objectifs.", "",
              "### Les QPV 2024 : d'où vient chaque valeur", "",
              "Pour chaque QPV 2024 et chaque indicateur, la première valeur disponible dans cet ordre :", "",
              "1. `officiel` — publiée pour ce quartier (population et ménages d'une personne : recensement 2020, "
              "d'après une copie non officielle du fichier Insee, « à vérifier » ; les fichiers Insee des QPV 2024 "
              "apportés par la mise à jour en ligne la remplacent) ;",
              "2. `officiel_qpv2015_meme_perimetre` — la valeur officielle du QPV 2015 dont le contour recouvre "
              "celui du QPV 2024 avec un indice d'au moins 0,9 (surface commune divisée par la surface réunie des "
              "deux contours), avec son millésime et sa source ; le code, le nom du QPV 2015 et l'indice sont "
              "donnés avec la valeur ;",
              "3. `estimation_calibree` — taux de pauvreté, revenu médian, part des allocataires du RSA : "
              "estimation calibrée avec son intervalle à 90 % (section suivante) ;",
              "4. `estimation_iris` — la moyenne des IRIS sans calibration, avec son biais mesuré, hors scores ;",
              "5. sinon la valeur manque, avec sa raison.", ""]
    return lines


def _region_table(metrics: pd.DataFrame, region_names: dict[str, str], unit: str) -> list[str]:
    rows = metrics[(metrics["evaluation"] == "lodo_imbrique") & (metrics["portee"] != "ensemble")]
    lines = [f"| région | QPV 2015 | biais ({unit}) | erreur absolue moyenne ({unit}) | intervalle à 90 % : "
             f"couverture | largeur moyenne ({unit}) |", "|---|---|---|---|---|---|"]
    for row in rows.itertuples():
        name = region_names.get(str(row.portee), str(row.portee))
        lines.append(f"| {name} | {_num(row.n, 0)} | {_num(row.biais, 2)} | {_num(row.erreur_absolue_moyenne, 2)} | "
                     f"{_share(row.couverture_90)} | {_num(row.largeur_intervalle, 1)} |")
    return lines


def _beyond_target(check: pd.Series) -> str:
    """Say it when the extra check alone misses a target (it does not decide the verdict)."""
    missed = []
    if abs(float(check.get("biais", 0.0))) > calibration.MAX_ABS_BIAS:
        missed.append("le biais")
    coverage = float(check.get("couverture_90", 0.9))
    if not calibration.COVERAGE_RANGE[0] <= coverage <= calibration.COVERAGE_RANGE[1]:
        missed.append("la couverture")
    return f" : sur ces seuls départements, {' et '.join(missed)} dépasse{'nt' if len(missed) > 1 else ''} l'objectif" \
        if missed else ""


def _indicator_calibration(indicator: str, metrics: pd.DataFrame, region_names: dict[str, str],
                           counts: dict[str, int]) -> list[str]:
    spec = calibration.SPECS[indicator]
    ind = catalogue.get(indicator)
    unit = "%" if spec.relative_errors else "points"

    def row(evaluation: str, scope: str = "ensemble") -> pd.Series:
        found = metrics[(metrics["evaluation"] == evaluation) & (metrics["portee"] == scope)]
        return found.iloc[0] if len(found) else pd.Series(dtype=object)

    cv, raw, check = row("lodo_imbrique"), row("brut_iris"), row("controle_departements_reserves")
    retained = bool(metrics["retenu"].iloc[0])
    lines = [f"### {ind.label} (`{indicator}`) — "
             f"{'estimation calibrée retenue' if retained else 'calibration non retenue'}", "",
             f"- **Modèle** (`{spec.name}`) : {spec.description}. Il est ajusté sur les {_num(cv.get('n'), 0)} QPV "
             "2015 de métropole dont la valeur officielle est connue et dont les IRIS qui ont une valeur couvrent au "
             "moins la moitié du quartier ; il n'est appliqué qu'aux QPV 2024 dans le même cas."]
    lines.append(f"- **Validation** (chaque département laissé de côté à son tour ; l'intervalle d'un département "
                 f"est appris sans lui) : biais {_measure(cv.get('biais'), unit, 2)}, erreur absolue moyenne "
                 f"{_measure(cv.get('erreur_absolue_moyenne'), unit, 2)}, {_share(cv.get('part_a_2'))} des estimations à "
                 f"moins de 2 {unit} et {_share(cv.get('part_a_5'))} à moins de 5 {unit} de la valeur officielle ; "
                 f"l'intervalle à 90 % contient la valeur officielle dans {_share(cv.get('couverture_90'))} des cas, "
                 f"pour une largeur moyenne de {_measure(cv.get('largeur_intervalle'), unit, 1)}. Sans calibration, la "
                 f"moyenne des IRIS a un biais de {_measure(raw.get('biais'), unit, 2)} (erreur absolue moyenne "
                 f"{_measure(raw.get('erreur_absolue_moyenne'), unit, 2)}).")
    if retained:
        lines.append(f"- **Verdict** : objectifs atteints (biais d'au plus 1 {'%' if spec.relative_errors else 'point'}, "
                     "couverture des intervalles à 90 % entre 85 et 95 %) : les QPV 2024 reçoivent l'estimation "
                     "calibrée, comptée dans les scores.")
    else:
        lines.append(f"- **Verdict** : objectifs non atteints : les QPV 2024 reçoivent la moyenne des IRIS non "
                     f"calibrée (`estimation_iris`), avec son biais mesuré ({_measure(raw.get('biais'), unit, 1)}), et "
                     "elle n'entre pas dans les scores.")
    if len(check):
        lines.append(f"- **Contrôle supplémentaire** sur {_num(len(str(check.get('departements', '')).split(', ')), 0)} "
                     f"départements tirés au sort et jamais utilisés pour choisir le modèle "
                     f"({check.get('departements', '')}) : biais {_measure(check.get('biais'), unit, 2)}, erreur "
                     f"absolue moyenne {_measure(check.get('erreur_absolue_moyenne'), unit, 2)}, couverture "
                     f"{_share(check.get('couverture_90'))} ({_num(check.get('n'), 0)} QPV)"
                     f"{_beyond_target(check)}. Les erreurs sont "
                     "partagées au sein d'un département : d'un département à l'autre, l'erreur moyenne varie avec "
                     f"un écart type d'environ {_measure(cv.get('ecart_type_departements'), unit, 1)} (départements "
                     "d'au moins 10 QPV). Un contrôle sur une vingtaine de départements est donc lui-même imprécis : "
                     "il est publié tel quel, à côté de la validation sur tous les départements qui fonde le verdict.")
    top, bottom = cv.get("biais_decile_haut"), cv.get("biais_decile_bas")
    if spec.relative_errors:
        lines.append(f"- **Estimations tirées vers la moyenne** : les quartiers au revenu médian le plus bas sont "
                     f"surestimés d'environ {_num(bottom, 0)} % (les 10 % de QPV 2015 au revenu officiel le plus "
                     f"bas) et les plus aisés sous-estimés d'environ {_num(-top, 0)} %.")
    else:
        worst = "les quartiers les plus pauvres" if indicator == "taux_pauvrete" else "les quartiers aux parts les plus élevées"
        lines.append(f"- **Estimations tirées vers la moyenne** : {worst} sont sous-estimés d'environ "
                     f"{_num(-top, 0)} points (les 10 % de QPV 2015 à la valeur officielle la plus élevée) et les "
                     f"plus bas surestimés d'environ {_num(bottom, 0)} points. Un rang calculé sur une estimation "
                     "calibrée est donc resserré : il ne vaut pas un rang calculé sur une valeur officielle.")
    small, proxy = row("lodo_imbrique_par_classe", "petit_qpv"), row("lodo_imbrique_par_classe", "valeurs_communales")
    large = row("lodo_imbrique_par_classe", "grand_qpv")
    lines.append(f"- **Où les intervalles sont trop étroits** : pour les petits quartiers (moins de "
                 f"{format_number(calibration.SMALL_QPV_POPULATION)} habitants), l'intervalle ne contient la valeur "
                 f"officielle que dans {_share(small.get('couverture_90'))} des cas ({_num(small.get('n'), 0)} QPV), "
                 f"contre {_share(large.get('couverture_90'))} pour les autres ; là où les valeurs d'IRIS sont "
                 f"remplacées par celles de petites communes (plus de la moitié de l'estimation), dans "
                 f"{_share(proxy.get('couverture_90'))} des cas ({_num(proxy.get('n'), 0)} QPV). Ces estimations le "
                 "disent dans leur détail (« intervalle probablement trop étroit »).")
    if counts:
        said = " ; ".join(f"{natures.label(k) or 'valeur manquante'} : {format_number(v)}" for k, v in counts.items())
        lines.append(f"- **QPV 2024 (jeu embarqué)** : {said}.")
    lines += ["", "Par région (validation en laissant de côté un département à la fois) :", "",
              *_region_table(metrics, region_names, unit), ""]
    return lines


def _raw_gap(metrics: pd.DataFrame | None) -> str:
    """« (le taux de pauvreté des QPV 2015 est sous-estimé de 10,2 points en moyenne) », from the metrics."""
    if metrics is None or metrics.empty:
        return ""
    raw = metrics[(metrics["indicateur"] == "taux_pauvrete") & (metrics["evaluation"] == "brut_iris")
                  & (metrics["portee"] == "ensemble")]
    if raw.empty:
        return ""
    return (f" (sur les QPV 2015, le taux de pauvreté est sous-estimé de {_num(-raw['biais'].iloc[0], 1)} points "
            "en moyenne)")


def calibration_section(metrics: pd.DataFrame | None, region_names: dict[str, str] | None = None,
                        counts: dict[str, dict[str, int]] | None = None) -> list[str]:
    """The calibrated estimates, from the metrics the bundle keeps (``calibration_metriques``)."""
    lines = ["## Estimations calibrées des QPV 2024", "",
             "Un IRIS est plus grand que le quartier prioritaire et souvent moins pauvre : la moyenne des IRIS "
             f"qui le recoupent dilue sa situation{_raw_gap(metrics)}. Là où "
             "l'Insee publie la valeur officielle (QPV 2015), on apprend la correction : valeur officielle ≈ "
             "moyenne des IRIS corrigée par des caractéristiques du quartier et de ses IRIS, plus un terme par "
             "région (réduit vers zéro pour une région qui compte peu de quartiers). L'erreur est mesurée comme "
             "elle se produira sur un QPV 2024 : en laissant de côté un **département entier** à la fois. "
             "L'intervalle à 90 % ajoute à l'estimation les quantiles 5 % et 95 % des erreurs des autres "
             f"départements, propres à la région quand elle en compte au moins "
             f"{calibration.MIN_QPV_FOR_REGIONAL_INTERVAL} (sinon ceux de l'ensemble).", "",
             "**Objectifs**, sur les départements laissés de côté : biais d'au plus 1 point (1 % de la valeur "
             "officielle pour le revenu médian) et intervalles à 90 % contenant la valeur officielle dans 85 à 95 % "
             "des cas. Le verdict est calculé à chaque construction du jeu de données à partir de ces mesures ; un "
             "indicateur qui les manque est affiché comme estimation par IRIS non calibrée, avec son biais mesuré, "
             "et n'entre pas dans les scores.", "",
             "Les estimations gardent les millésimes de leurs sources (Filosofi 2019, Caf au 31/12/2020) sur le "
             "périmètre 2024 : ce ne sont pas les valeurs 2021 que l'Insee publie pour les QPV 2024 (en ligne).", ""]
    if metrics is None or metrics.empty:
        return lines + ["*Mesures non disponibles : le jeu de données ne contient pas de table de calibration.*", ""]
    for indicator, part in metrics.groupby("indicateur", sort=False):
        lines += _indicator_calibration(str(indicator), part, region_names or {}, (counts or {}).get(indicator, {}))
    return lines


def coverage_section() -> list[str]:
    """Where the national files reach, and what is said about Mayotte."""
    return ["## Couverture du territoire", "",
            "- **Contours** : les 1 609 QPV 2024 et les 1 514 QPV 2015 de France (métropole et outre-mer) ; trois "
            "QPV 2024 (QN09105I, QN09113I, QN09503I) n'ont pas de surface dans la copie simplifiée des contours : "
            "leurs valeurs calculées sur le contour attendent la mise à jour en ligne.",
            "- **Outre-mer** : pas de contours IRIS hors ligne, donc ni DPE, ni APL, ni estimation calibrée "
            "(`non_couvert`) ; la grille climatique DRIAS couvre la métropole seulement (`hors_zone`).",
            "- **Zones climatiques locales** : neuf villes-centres seulement (`hors_zone` ailleurs) ; **risques "
            "recensés** : Occitanie et Provence-Alpes-Côte d'Azur hors ligne (`non_charge` ailleurs).",
            "- **Mayotte** : les 42 quartiers du fichier national des contours (codes QN976..M) ; la liste des QPV "
            "publiée avec les communes en donne 17 autres (QN97651C à QN97667C), d'une autre génération. Les deux "
            "listes ne sont jamais rapprochées.",
            "- **Territoires de comparaison** : les fichiers Filosofi 2019 des communes, EPCI, départements, régions "
            "et de la France métropolitaine donnent les déciles mais pas le taux de pauvreté : il est **recalculé à "
            "partir des déciles publiés** (seuil de 13 158 €, 60 % du niveau de vie médian de 21 930 €), comme pour "
            "les IRIS dont le taux est en secret statistique. Les parts d'allocataires Caf ne sont données que pour "
            "les communes découpées en IRIS (seules présentes dans le fichier par IRIS).", ""]


def render_markdown(method: Method | None = None, calibration_metrics: pd.DataFrame | None = None,
                    region_names: dict[str, str] | None = None,
                    nature_counts: dict[str, dict[str, int]] | None = None) -> str:
    """The method document. The calibration metrics, region names and QPV 2024 nature counts come from the
    bundle (``python -m indicators catalogue --format md`` reads them); without them the calibration section
    says it has no measures."""
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
    lines.extend(natures_section())
    lines.extend(calibration_section(calibration_metrics, region_names, nature_counts))
    lines.extend(coverage_section())
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
                text += f" (QPV 2015) ; `{ind.attribution_2024}` (QPV 2024)"
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
    add("- La situation actuelle : les millésimes vont de 2018 à 2024 selon les sources ; hors ligne, les QPV "
        "2024 n'ont que leur population (recensement 2020), les valeurs des QPV 2015 de même périmètre et des "
        "estimations calibrées.")
    add("- Un rang n'est pas un verdict : il dépend du cadre de comparaison et des choix de méthode, d'où "
        "l'intervalle de rangs affiché.")
    add("")
    return "\n".join(lines)
