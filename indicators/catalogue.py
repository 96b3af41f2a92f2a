"""The indicator catalogue: the one declarative place every other module reads.

Adding an indicator means adding one ``Indicator`` here (metadata shown to users, exported in the
annex, printed by ``python -m indicators catalogue`` and written to ``docs/methode.md``) and the rule
that computes its value in ``indicators/rules.py`` or ``loaders/spatial.py``. Nothing else
hard-codes indicator ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Pillar = Literal["Exposition", "Vulnérabilité", "Contexte"]


@dataclass(frozen=True)
class Domain:
    id: str
    label: str
    pillar: Pillar
    description: str


DOMAINS: dict[str, Domain] = {
    d.id: d
    for d in (
        Domain("chaleur", "Chaleur", "Exposition",
               "Fortes chaleurs du climat de référence et îlots de chaleur urbains."),
        Domain("risques", "Risques naturels et technologiques", "Exposition",
               "Risques majeurs recensés, arrêtés de catastrophe naturelle, conditions propices aux feux de forêt."),
        Domain("air", "Qualité de l'air", "Exposition", "Concentrations moyennes annuelles de polluants."),
        Domain("logement_energie", "Logement et énergie", "Vulnérabilité",
               "Qualité énergétique et âge du parc de logements, précarité énergétique."),
        Domain("pauvrete_revenus", "Pauvreté et revenus", "Vulnérabilité",
               "Niveau de vie, pauvreté et minima sociaux."),
        Domain("emploi_insertion", "Emploi et insertion", "Vulnérabilité", "Accès à l'emploi."),
        Domain("sensibilite_age", "Personnes âgées et personnes seules", "Vulnérabilité",
               "Personnes plus sensibles aux fortes chaleurs et à l'isolement : habitants de 60 ans ou plus, "
               "ménages d'une personne. Une population jeune n'est pas une fragilité en soi : la part des moins "
               "de 25 ans est un repère de contexte, hors scores."),
        Domain("contexte", "Contexte", "Contexte", "Repères descriptifs, hors calcul des scores."),
    )
}

#: Attribution rule id → French explanation of how a source value reaches the QPV.
ATTRIBUTION_RULES: dict[str, str] = {
    "direct": "Valeur publiée par la source pour le quartier (jointure sur le code QPV).",
    "ratio_direct": "Rapport calculé à partir de deux effectifs publiés pour le quartier (jointure sur le code QPV).",
    "iris_population": "Estimation : moyenne des valeurs des IRIS qui recoupent le quartier, pondérée par la "
    "population de chaque IRIS au prorata de la surface recoupée (contours IRIS approchés IGN 2020, ou exacts IGN 2025 à Toulouse, Montpellier et Nice).",
    "iris_dpe": "Estimation : part recalculée à partir des IRIS qui recoupent le quartier, pondérée par le "
    "nombre de DPE de chaque IRIS au prorata de la surface recoupée (contours IRIS approchés IGN 2020, ou exacts IGN 2025 à Toulouse, Montpellier et Nice).",
    "iris_effectifs": "Estimation : effectifs des IRIS répartis au prorata de la surface recoupée, puis rapport "
    "des effectifs estimés (contours IRIS approchés IGN 2020, ou exacts IGN 2025 à Toulouse, Montpellier et Nice).",
    "grille_drias": "Moyenne des mailles de 8 km de la grille SAFRAN pondérée par la surface recoupée ; maille "
    "la plus proche quand le quartier tient dans une seule maille. Échelle régionale : ne distingue pas "
    "deux quartiers voisins.",
    "lcz_surface": "Part de la surface du quartier située dans des IRIS classés en forte sensibilité à la "
    "chaleur (classe LCZ la plus fréquente parmi les zones dont le centre tombe dans l'IRIS : 1, 2, 3, 8 ou 10 ; "
    "IRIS exacts IGN 2025), rapportée à la partie du quartier couverte par des IRIS classés ; seulement pour "
    "les villes couvertes.",
    "calibration": "Estimation calibrée : moyenne des IRIS qui recoupent le quartier (pondérée par la population "
    "de chaque IRIS au prorata de la surface recoupée), corrigée par un modèle ajusté sur les QPV 2015 dont la "
    "valeur officielle est connue, avec un intervalle à 90 % (voir « Estimations calibrées »).",
    "qpv2015_meme_perimetre": "Valeur officielle du QPV 2015 dont le contour est presque le même (indice de "
    "recouvrement d'au moins 0,9), reprise avec son millésime et sa source.",
    "commune_contexte": "Valeur de la commune du quartier, affichée comme contexte faute de donnée plus fine "
    "(un quartier d'une commune concernée n'est pas forcément exposé partout).",
    "iris_reseau": "Présence de points de livraison d'un réseau de chaleur dans au moins un IRIS recoupant "
    "le quartier.",
}


@dataclass(frozen=True)
class Indicator:
    """Metadata of one indicator. ``direction``: +1 higher is less favourable, -1 higher is more
    favourable, 0 descriptive (never scored)."""

    id: str
    label: str
    definition: str
    unit: str
    decimals: int
    domain: str
    direction: int
    source: str
    publisher: str
    licence: str
    vintage: str
    level: str
    attribution: str
    attribution_2024: str | None = None
    valid_range: tuple[float | None, float | None] = (None, None)
    caveats: str = ""
    online_only: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    #: Model specification of the calibration of its QPV 2024 IRIS estimate on the QPV 2015 whose
    #: official value is known (``indicators.calibration``); None when there is nothing to calibrate on.
    calibration: str | None = None

    @property
    def pillar(self) -> Pillar:
        return DOMAINS[self.domain].pillar

    @property
    def scored(self) -> bool:
        """Enters the scores: oriented, in a pillar, and finer than the commune.

        Commune values are shown as context but never ranked: they would erase the contrast between
        neighbourhoods of one commune that the QPV geography exists to show (method-anchors §6.6).
        """
        return (self.direction != 0 and self.pillar in ("Exposition", "Vulnérabilité")
                and self.attribution != "commune_contexte")

    @property
    def calibratable(self) -> bool:
        """Has an official QPV value to calibrate its IRIS estimate against (poverty, income, RSA)."""
        return self.calibration is not None

    def rule_for(self, generation: int) -> str:
        return (self.attribution_2024 or self.attribution) if generation == 2024 else self.attribution

    def to_dict(self) -> dict:
        data = asdict(self)
        data["pillar"] = self.pillar
        data["domain_label"] = DOMAINS[self.domain].label
        data["scored"] = self.scored
        data["calibratable"] = self.calibratable
        data["attribution_label"] = ATTRIBUTION_RULES[self.attribution]
        data["attribution_2024"] = self.attribution_2024 or self.attribution
        data["attribution_2024_label"] = ATTRIBUTION_RULES[self.attribution_2024 or self.attribution]
        data["valid_range"] = list(self.valid_range)
        data["tags"] = list(self.tags)
        return data


_INSEE = "Insee"
_INSEE_TERMS = "Conditions de réutilisation Insee (mention de la source ; compatible Licence Ouverte 2.0)"
_LO = "Licence Ouverte 2.0"
_DRIAS = "Conditions d'utilisation DRIAS (mention Météo-France / DRIAS)"
_SHARE = (0.0, 100.0)
_POSITIVE = (0.0, None)
_DEMO = "Insee, recensement de la population (fichier QPV « Démographie », édition 2022)"
_DRIAS_REF = ("Météo-France, DRIAS-2020 (modèle CNRM-CM5 / ALADIN63), indices annuels, période de "
              "référence, grille SAFRAN 8 km")
_DRIAS_H1 = ("Météo-France, DRIAS-2020 (modèle CNRM-CM5 / ALADIN63), indices annuels, scénario RCP4.5, "
             "horizon proche, grille SAFRAN 8 km")
_GASPAR = "Géorisques, base GASPAR — dossiers départementaux des risques majeurs (DDRM)"
_IRIS_NOTE = ("Pour les QPV 2024 : valeur officielle du QPV 2015 de même périmètre quand il en existe un ; "
              "sinon estimation calibrée (moyenne des IRIS corrigée par un modèle ajusté sur les QPV 2015), "
              "donnée avec son intervalle à 90 %. Les quartiers les plus pauvres y sont sous-estimés (voir la "
              "méthode). Pas d'estimation outre-mer (pas de contours IRIS hors ligne).")
_CARRIED_NOTE = ("Pour les QPV 2024 : valeur officielle du QPV 2015 de même périmètre quand il en existe un "
                 "(millésime et source de 2015) ; sinon, valeur non disponible hors ligne.")

_POP_2024_NOTE = ("Pour les QPV 2024 : recensement 2020, d'après une copie non officielle du fichier Insee de "
                  "population des QPV 2024 (« Insee, RP 2020 — copie non officielle, à vérifier »), remplacée par "
                  "le fichier officiel lors de la mise à jour en ligne.")

CATALOGUE: tuple[Indicator, ...] = (
    # --- Exposition: chaleur ------------------------------------------------------------------
    Indicator(
        id="jours_sup_35", label="Jours de forte chaleur (plus de 35 °C)",
        definition="Nombre moyen de jours par an où la température maximale dépasse 35 °C, climat de "
        "référence 1976-2005.",
        unit="jours", decimals=1, domain="chaleur", direction=1, source=_DRIAS_REF,
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="1976-2005 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(0.0, 366.0),
        caveats="Un seul modèle climatique ; échelle régionale (8 km).",
    ),
    Indicator(
        id="nuits_tropicales", label="Nuits tropicales",
        definition="Nombre moyen de nuits par an où la température minimale reste au-dessus de 20 °C, climat "
        "de référence 1976-2005.",
        unit="nuits", decimals=1, domain="chaleur", direction=1, source=_DRIAS_REF,
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="1976-2005 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(0.0, 366.0),
        caveats="Sous-estime l'îlot de chaleur urbain (modèle à 8 km).",
    ),
    Indicator(
        id="jours_vague_chaleur", label="Jours de vague de chaleur",
        definition="Nombre moyen de jours par an appartenant à une vague de chaleur, climat de référence "
        "1976-2005.",
        unit="jours", decimals=1, domain="chaleur", direction=1, source=_DRIAS_REF,
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="1976-2005 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(0.0, 366.0),
    ),
    Indicator(
        id="part_surface_chaleur_forte", label="Surface en îlot de chaleur potentiel",
        definition="Part de la surface du quartier située dans des IRIS classés en forte sensibilité à la "
        "chaleur : parmi les zones climatiques locales (LCZ) dont le centre tombe dans l'IRIS, la classe la plus "
        "fréquente est très minérale ou dense (LCZ 1, 2, 3, 8 ou 10). La part est calculée sur la partie du "
        "quartier couverte par des IRIS classés, et seulement si ces IRIS couvrent au moins la moitié du "
        "quartier.",
        unit="%", decimals=1, domain="chaleur", direction=1,
        source="Cerema, zones climatiques locales (LCZ) agrégées par IRIS (classement en 3 niveaux d'un tiers)",
        publisher="Cerema ; IGN (IRIS)", licence=_LO, vintage="LCZ 2022 ; IRIS 2025",
        level="IRIS (9 villes-centres)", attribution="lcz_surface", valid_range=_SHARE,
        caveats="Disponible seulement dans 9 villes-centres (dont Toulouse, Montpellier, Nice) ; le classement "
        "en 3 niveaux n'est pas celui du Cerema.",
    ),
    Indicator(
        id="jours_sup_35_2050", label="Jours de forte chaleur vers 2021-2050 (RCP4.5)",
        definition="Nombre moyen de jours par an au-dessus de 35 °C projeté pour 2021-2050, scénario "
        "d'émissions intermédiaire RCP4.5.",
        unit="jours", decimals=1, domain="contexte", direction=1, source=_DRIAS_H1,
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="horizon 2021-2050 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(0.0, 366.0),
        caveats="Projection d'un seul modèle : ordre de grandeur, hors calcul des scores.",
    ),
    Indicator(
        id="nuits_tropicales_2050", label="Nuits tropicales vers 2021-2050 (RCP4.5)",
        definition="Nombre moyen de nuits tropicales par an projeté pour 2021-2050, scénario RCP4.5.",
        unit="nuits", decimals=1, domain="contexte", direction=1, source=_DRIAS_H1,
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="horizon 2021-2050 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(0.0, 366.0),
        caveats="Projection d'un seul modèle : ordre de grandeur, hors calcul des scores.",
    ),
    Indicator(
        id="hausse_tmax_ete_2085", label="Hausse des températures maximales d'été vers 2071-2100 (RCP8.5)",
        definition="Écart de la moyenne estivale des températures maximales entre 2071-2100 (scénario RCP8.5) "
        "et 1976-2005.",
        unit="°C", decimals=1, domain="contexte", direction=1,
        source="Météo-France, DRIAS-2020 (CNRM-CM5 / ALADIN63), indices d'été, RCP8.5, horizon lointain",
        publisher="Météo-France (DRIAS)", licence=_DRIAS, vintage="horizon 2071-2100 (extraction 2025)",
        level="grille 8 km", attribution="grille_drias", valid_range=(-10.0, 15.0),
        caveats="Scénario d'émissions élevées, un seul modèle : hors calcul des scores.",
    ),
    # --- Exposition: risques -------------------------------------------------------------------
    Indicator(
        id="nb_risques_naturels", label="Types de risques naturels recensés dans la commune",
        definition="Nombre de familles de risques naturels (inondation, mouvement de terrain, séisme, feu de "
        "forêt, radon…) recensées pour la commune dans le dossier départemental des risques majeurs.",
        unit="types", decimals=0, domain="risques", direction=1, source=_GASPAR,
        publisher="Ministère de la Transition écologique (DGPR), Géorisques", licence=_LO,
        vintage="extraction du 05/10/2026", level="commune", attribution="commune_contexte",
        valid_range=(0.0, 20.0), caveats="Présence d'un risque dans la commune, pas son intensité dans le quartier.",
    ),
    Indicator(
        id="nb_risques_inondation", label="Types de risques d'inondation recensés dans la commune",
        definition="Nombre de sous-types de risque d'inondation (débordement, ruissellement, submersion "
        "marine, remontée de nappe…) recensés pour la commune.",
        unit="types", decimals=0, domain="risques", direction=1, source=_GASPAR,
        publisher="Ministère de la Transition écologique (DGPR), Géorisques", licence=_LO,
        vintage="extraction du 05/10/2026", level="commune", attribution="commune_contexte",
        valid_range=(0.0, 20.0), caveats="Présence d'un risque dans la commune, pas son intensité dans le quartier.",
    ),
    Indicator(
        id="nb_risques_technologiques", label="Types de risques technologiques recensés dans la commune",
        definition="Nombre de familles de risques technologiques (industriel, nucléaire, rupture de barrage, "
        "transport de matières dangereuses…) recensées pour la commune.",
        unit="types", decimals=0, domain="risques", direction=1, source=_GASPAR,
        publisher="Ministère de la Transition écologique (DGPR), Géorisques", licence=_LO,
        vintage="extraction du 05/10/2026", level="commune", attribution="commune_contexte",
        valid_range=(0.0, 20.0),
    ),
    Indicator(
        id="nb_arretes_catnat", label="Arrêtés de catastrophe naturelle",
        definition="Nombre d'arrêtés de reconnaissance de l'état de catastrophe naturelle pris pour la commune "
        "depuis 1982 (dédoublonnés par arrêté).",
        unit="arrêtés", decimals=0, domain="risques", direction=1,
        source="Géorisques, base GASPAR (arrêtés CatNat) ou API Géorisques",
        publisher="Ministère de la Transition écologique, Géorisques", licence=_LO, vintage="en ligne",
        level="commune", attribution="commune_contexte", valid_range=_POSITIVE, online_only=True,
        caveats="Disponible après mise à jour en ligne du territoire.",
    ),
    # --- Exposition: air ----------------------------------------------------------------------
    Indicator(
        id="no2_moyenne", label="Dioxyde d'azote (moyenne annuelle)",
        definition="Concentration moyenne annuelle de fond en NO₂ dans la commune (µg/m³).",
        unit="µg/m³", decimals=1, domain="air", direction=1,
        source="ADEME, jeu « data_communes » (concentrations Ineris)", publisher="ADEME, Ineris", licence=_LO,
        vintage="en ligne", level="commune", attribution="commune_contexte", valid_range=(0.0, 200.0),
        online_only=True, caveats="Échelle communale ; disponible après mise à jour en ligne du territoire.",
    ),
    Indicator(
        id="pm25_moyenne", label="Particules fines PM2,5 (moyenne annuelle)",
        definition="Concentration moyenne annuelle de fond en particules PM2,5 dans la commune (µg/m³).",
        unit="µg/m³", decimals=1, domain="air", direction=1,
        source="ADEME, jeu « data_communes » (concentrations Ineris)", publisher="ADEME, Ineris", licence=_LO,
        vintage="en ligne", level="commune", attribution="commune_contexte", valid_range=(0.0, 200.0),
        online_only=True, caveats="Échelle communale ; disponible après mise à jour en ligne du territoire.",
    ),
    # --- Vulnérabilité: logement et énergie ------------------------------------------------------
    Indicator(
        id="part_dpe_fg", label="Logements diagnostiqués classés F ou G",
        definition="Part des diagnostics de performance énergétique (DPE) classés F ou G parmi les logements "
        "diagnostiqués depuis juillet 2021.",
        unit="%", decimals=1, domain="logement_energie", direction=1,
        source="CSTB, Base de données nationale des bâtiments (BDNB) — DPE ADEME agrégés par IRIS",
        publisher="CSTB, ADEME", licence=_LO, vintage="DPE 2024", level="IRIS", attribution="iris_dpe",
        valid_range=_SHARE,
        caveats="Parmi les logements diagnostiqués seulement (biais de sélection) ; estimation par IRIS non "
        "calibrée (aucune valeur officielle par quartier). Une case vide de la BDNB signifie qu'aucun DPE n'est "
        "enregistré dans l'IRIS (ce n'est pas un secret statistique). Métropole seulement.",
    ),
    Indicator(
        id="part_logsoc_avant_1976", label="Logements sociaux construits avant 1976",
        definition="Logements sociaux achevés avant 1976 (avant 1949 et de 1949 à 1975), en % du parc social "
        "du quartier. La valeur est donnée quand les deux périodes d'avant 1976 sont publiées, ou quand les "
        "périodes couvertes par le secret statistique ne cachent pas plus de 5 points à elles toutes (100 moins "
        "la somme des périodes publiées) : elles comptent alors pour zéro. Sinon elle reste manquante.",
        unit="%", decimals=1, domain="logement_energie", direction=1,
        source="SDES, répertoire des logements locatifs des bailleurs sociaux (RPLS), agrégé par QPV (ANCT-ONPV)",
        publisher="SDES, ANCT-ONPV", licence=_LO, vintage="RPLS au 1er janvier 2022", level="QPV 2015",
        attribution="direct", valid_range=_SHARE,
        caveats="Parc social seulement : l'âge du parc privé n'est pas publié par quartier. " + _CARRIED_NOTE,
    ),
    Indicator(
        id="part_precarite_energetique", label="Ménages en précarité énergétique (logement)",
        definition="Part des ménages dont les dépenses d'énergie du logement dépassent 8 % des revenus, parmi "
        "les 30 % de ménages les plus modestes (estimation GÉODIP 2017 par IRIS).",
        unit="%", decimals=1, domain="logement_energie", direction=1,
        source="ADEME, jeu « data_iris » (estimation ONPE / GÉODIP)", publisher="ADEME, ONPE", licence=_LO,
        vintage="2017 (en ligne)", level="IRIS", attribution="iris_population", valid_range=_SHARE,
        online_only=True, caveats="Disponible après mise à jour en ligne ; les extraits GÉODIP récents sont à "
        "fournir par la collectivité.",
    ),
    Indicator(
        id="reseau_chaleur", label="Réseau de chaleur présent",
        definition="1 si au moins un IRIS recoupant le quartier compte des points de livraison d'un réseau de "
        "chaleur, 0 sinon (ressource du quartier, hors calcul des scores).",
        unit="oui/non", decimals=0, domain="contexte", direction=0,
        source="SDES, données locales de l'énergie — réseaux de chaleur et de froid par IRIS",
        publisher="SDES", licence=_LO, vintage="données 2023", level="IRIS", attribution="iris_reseau",
        valid_range=(0.0, 1.0),
    ),
    # --- Vulnérabilité: pauvreté et revenus --------------------------------------------------------
    Indicator(
        id="taux_pauvrete", label="Taux de pauvreté",
        definition="Part des personnes vivant sous le seuil de pauvreté (60 % du niveau de vie médian "
        "national), en %.",
        unit="%", decimals=1, domain="pauvrete_revenus", direction=1,
        source="Insee, Filosofi — revenus disponibles des QPV 2015 (data_filo19) ; IRIS (Filosofi 2019) pour "
        "les QPV 2024",
        publisher=_INSEE, licence=_INSEE_TERMS, vintage="Filosofi 2019", level="QPV 2015 ; IRIS",
        attribution="direct", attribution_2024="calibration", valid_range=_SHARE, calibration="lineaire_etendu",
        caveats="Indicateur non additif : ne jamais faire la moyenne de plusieurs quartiers. " + _IRIS_NOTE,
    ),
    Indicator(
        id="revenu_median", label="Revenu disponible médian par unité de consommation",
        definition="Niveau de vie médian : la moitié des habitants dispose de moins, l'autre moitié de plus "
        "(euros par an et par unité de consommation).",
        unit="€", decimals=0, domain="pauvrete_revenus", direction=-1,
        source="Insee, Filosofi — revenus disponibles des QPV 2015 (data_filo19) ; IRIS (Filosofi 2019) pour "
        "les QPV 2024 ; communes, EPCI, départements, régions, France (Filosofi 2019)",
        publisher=_INSEE, licence=_INSEE_TERMS, vintage="Filosofi 2019", level="QPV 2015 ; IRIS",
        attribution="direct", attribution_2024="calibration", valid_range=_POSITIVE, calibration="log_etendu",
        caveats=_IRIS_NOTE,
    ),
    Indicator(
        id="part_allocataires_rsa", label="Allocataires percevant le RSA socle",
        definition="Allocataires de la Caf percevant le RSA socle, en % de l'ensemble des allocataires.",
        unit="%", decimals=1, domain="pauvrete_revenus", direction=1,
        source="Cnaf, via Insee (fichier QPV « Revenus », édition 2022) ; IRIS au 31/12/2020 pour les QPV 2024",
        publisher="Cnaf, Insee", licence=_INSEE_TERMS,
        vintage="édition 2022 (données ≈ 2020-2021) ; IRIS 31/12/2020", level="QPV 2015 ; IRIS",
        attribution="ratio_direct", attribution_2024="calibration", valid_range=_SHARE, caveats=_IRIS_NOTE,
        calibration="lineaire_etendu",
    ),
    Indicator(
        id="part_allocataires_apl", label="Allocataires percevant une aide au logement (APL)",
        definition="Allocataires de la Caf percevant l'aide personnalisée au logement, en % de l'ensemble des "
        "allocataires.",
        unit="%", decimals=1, domain="pauvrete_revenus", direction=1,
        source="Cnaf, données par IRIS au 31/12/2020", publisher="Cnaf, Insee", licence=_INSEE_TERMS,
        vintage="31/12/2020", level="IRIS", attribution="iris_effectifs", valid_range=_SHARE,
        caveats="Estimation par IRIS non calibrée (aucune valeur officielle par quartier pour la corriger) : "
        "seuls les IRIS dont les effectifs d'allocataires et d'allocataires APL sont tous deux publiés comptent "
        "(un IRIS en secret statistique n'est compté ni au numérateur ni au dénominateur), et la part n'est "
        "donnée que si ces IRIS couvrent au moins la moitié du quartier. Métropole seulement.",
    ),
    Indicator(
        id="part_c2s", label="Assurés couverts par la Complémentaire santé solidaire",
        definition="Bénéficiaires de la C2S (participative ou non), en % des assurés du régime général.",
        unit="%", decimals=1, domain="pauvrete_revenus", direction=1,
        source="Cnam, via Insee (fichier QPV « Revenus », édition 2022)", publisher="Cnam, Insee",
        licence=_INSEE_TERMS, vintage="édition 2022 (données ≈ 2020-2021)", level="QPV 2015",
        attribution="ratio_direct", valid_range=_SHARE,
        caveats=_CARRIED_NOTE,
    ),
    # --- Vulnérabilité: emploi -------------------------------------------------------------------
    Indicator(
        id="taux_emploi", label="Taux d'emploi des 15-64 ans",
        definition="Part des personnes de 15 à 64 ans ayant un emploi, en %.",
        unit="%", decimals=1, domain="emploi_insertion", direction=-1,
        source="Insee, recensement de la population (fichier QPV « Insertion professionnelle », édition 2022)",
        publisher=_INSEE, licence=_INSEE_TERMS, vintage="RP 2018", level="QPV 2015", attribution="direct",
        valid_range=_SHARE,
        caveats=_CARRIED_NOTE,
    ),
    # --- Contexte: a young population is not a fragility by itself (issue #15) ----------------------------
    Indicator(
        id="part_moins_25", label="Part des moins de 25 ans",
        definition="Part des habitants âgés de moins de 25 ans, en % de la population. Repère de contexte, hors "
        "scores : une population jeune n'est ni une exposition ni une fragilité en soi ; elle dit des besoins "
        "(lieux frais, activités d'été, équipements) à prendre en compte dans les actions.",
        unit="%", decimals=1, domain="contexte", direction=0, source=_DEMO, publisher=_INSEE,
        licence=_INSEE_TERMS, vintage="RP 2018", level="QPV 2015", attribution="direct", valid_range=_SHARE,
        caveats=_CARRIED_NOTE,
    ),
    # --- Vulnérabilité: personnes âgées et personnes seules -----------------------------------------------
    Indicator(
        id="part_60_plus", label="Part des 60 ans ou plus",
        definition="Part des habitants âgés de 60 ans ou plus, en % de la population (la part des 75 ans ou "
        "plus n'est pas publiée à l'échelle des quartiers).",
        unit="%", decimals=1, domain="sensibilite_age", direction=1, source=_DEMO, publisher=_INSEE,
        licence=_INSEE_TERMS, vintage="RP 2018", level="QPV 2015", attribution="direct", valid_range=_SHARE,
        caveats=_CARRIED_NOTE,
    ),
    Indicator(
        id="part_menages_1pers", label="Part des ménages d'une personne",
        definition="Part des ménages composés d'une seule personne, en % des ménages.",
        unit="%", decimals=1, domain="sensibilite_age", direction=1, source=_DEMO, publisher=_INSEE,
        licence=_INSEE_TERMS, vintage="RP 2018", level="QPV 2015", attribution="direct", valid_range=_SHARE,
        caveats=_POP_2024_NOTE,
    ),
    # --- Contexte -------------------------------------------------------------------------------------
    Indicator(
        id="population", label="Population municipale",
        definition="Nombre d'habitants du quartier (population municipale du recensement).",
        unit="habitants", decimals=0, domain="contexte", direction=0, source=_DEMO, publisher=_INSEE,
        licence=_INSEE_TERMS, vintage="RP 2018", level="QPV 2015", attribution="direct",
        valid_range=_POSITIVE, caveats=_POP_2024_NOTE,
    ),
    Indicator(
        id="nb_demandeurs_emploi", label="Demandeurs d'emploi (catégories A à E)",
        definition="Nombre de demandeurs d'emploi inscrits à Pôle emploi / France Travail, catégories A à E.",
        unit="personnes", decimals=0, domain="contexte", direction=0,
        source="Pôle emploi / France Travail, via Insee (fichier QPV « Insertion professionnelle », édition 2022)",
        publisher="Pôle emploi / France Travail, Insee", licence=_INSEE_TERMS,
        vintage="fin 2021 (édition 2022, année exacte non précisée par la source)", level="QPV 2015",
        attribution="direct", valid_range=_POSITIVE,
        caveats="Effectif, pas un taux : sert de contexte et n'entre pas dans les scores. " + _CARRIED_NOTE,
    ),
)

BY_ID: dict[str, Indicator] = {ind.id: ind for ind in CATALOGUE}


def get(indicator_id: str) -> Indicator:
    """Indicator by id; unknown ids raise ``KeyError`` (callers turn it into a French message)."""
    return BY_ID[indicator_id]


def require(indicator_id: str) -> Indicator:
    """Indicator by id, or a French ``BadArgumentError`` naming close ids."""
    import difflib

    from core.errors import BadArgumentError

    if indicator_id in BY_ID:
        return BY_ID[indicator_id]
    close = difflib.get_close_matches(indicator_id, list(BY_ID), n=3, cutoff=0.5)
    hint = f" Indicateurs proches : {', '.join(close)}." if close else ""
    raise BadArgumentError(f"Indicateur inconnu : « {indicator_id} ».{hint} Liste complète : "
                           "python -m indicators catalogue.")


def ids() -> list[str]:
    return [ind.id for ind in CATALOGUE]


def scored_ids() -> list[str]:
    return [ind.id for ind in CATALOGUE if ind.scored]


def domain_pillars() -> dict[str, str]:
    return {d.id: d.pillar for d in DOMAINS.values()}


def as_records() -> list[dict]:
    """The catalogue as plain dicts (for JSON output and exports)."""
    return [ind.to_dict() for ind in CATALOGUE]
