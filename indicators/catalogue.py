"""The indicator catalogue: the one declarative place every other module reads.

Adding an indicator means adding one ``Indicator`` here (metadata shown to users, exported in the
annex and printed by ``python -m indicators catalogue``) and, in ``loaders/extract.py``, the rule
that computes its value from a source file. Nothing else hard-codes indicator ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Pillar = Literal["Exposition", "Vulnérabilité", "Contexte"]

#: Domain id → French label, in display order.
DOMAINS: dict[str, str] = {
    "population": "Population",
    "pauvrete_revenus": "Pauvreté et revenus",
    "emploi_insertion": "Emploi et insertion",
    "sensibilite_age": "Âge et isolement",
    "logement_energie": "Logement et énergie",
}

#: Attribution rule id → French explanation of how a source value reaches the QPV.
ATTRIBUTION_RULES: dict[str, str] = {
    "direct": "Valeur publiée par la source pour le quartier (jointure sur le code QPV).",
    "ratio_direct": "Rapport calculé à partir de deux effectifs publiés pour le quartier (jointure sur le code QPV).",
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
    pillar: Pillar
    direction: int
    source: str
    publisher: str
    licence: str
    vintage: str
    level: str
    attribution: str
    generations: tuple[int, ...] = (2015,)
    valid_range: tuple[float | None, float | None] = (None, None)
    caveats: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["domain_label"] = DOMAINS[self.domain]
        data["attribution_label"] = ATTRIBUTION_RULES[self.attribution]
        data["generations"] = list(self.generations)
        data["valid_range"] = list(self.valid_range)
        return data


_INSEE = "Insee"
_LO = "Licence Ouverte 2.0 / conditions de réutilisation Insee (mention de la source)"
_SHARE = (0.0, 100.0)

CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        id="population",
        label="Population municipale",
        definition="Nombre d'habitants du quartier (population municipale du recensement).",
        unit="habitants",
        decimals=0,
        domain="population",
        pillar="Contexte",
        direction=0,
        source="Insee, recensement de la population (fichier QPV « Démographie », édition 2022)",
        publisher=_INSEE,
        licence=_LO,
        vintage="RP 2018",
        level="QPV 2015",
        attribution="direct",
        valid_range=(0.0, None),
    ),
    Indicator(
        id="part_moins_25",
        label="Part des moins de 25 ans",
        definition="Part des habitants âgés de moins de 25 ans, en % de la population.",
        unit="%",
        decimals=1,
        domain="sensibilite_age",
        pillar="Vulnérabilité",
        direction=1,
        source="Insee, recensement de la population (fichier QPV « Démographie », édition 2022)",
        publisher=_INSEE,
        licence=_LO,
        vintage="RP 2018",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="part_60_plus",
        label="Part des 60 ans ou plus",
        definition="Part des habitants âgés de 60 ans ou plus, en % de la population "
        "(la part des 75 ans ou plus n'est pas publiée à l'échelle des quartiers).",
        unit="%",
        decimals=1,
        domain="sensibilite_age",
        pillar="Vulnérabilité",
        direction=1,
        source="Insee, recensement de la population (fichier QPV « Démographie », édition 2022)",
        publisher=_INSEE,
        licence=_LO,
        vintage="RP 2018",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="part_menages_1pers",
        label="Part des ménages d'une personne",
        definition="Part des ménages composés d'une seule personne, en % des ménages.",
        unit="%",
        decimals=1,
        domain="sensibilite_age",
        pillar="Vulnérabilité",
        direction=1,
        source="Insee, recensement de la population (fichier QPV « Démographie », édition 2022)",
        publisher=_INSEE,
        licence=_LO,
        vintage="RP 2018",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="taux_pauvrete",
        label="Taux de pauvreté",
        definition="Part des personnes vivant sous le seuil de pauvreté (60 % du niveau de vie médian "
        "national), en %.",
        unit="%",
        decimals=1,
        domain="pauvrete_revenus",
        pillar="Vulnérabilité",
        direction=1,
        source="Insee, Filosofi — revenus disponibles des QPV (data_filo19_qp_revdis)",
        publisher=_INSEE,
        licence=_LO,
        vintage="Filosofi 2019",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
        caveats="Indicateur non additif : ne jamais faire la moyenne de plusieurs quartiers.",
    ),
    Indicator(
        id="revenu_median",
        label="Revenu disponible médian par unité de consommation",
        definition="Niveau de vie médian : la moitié des habitants dispose de moins, l'autre moitié de "
        "plus (euros par an et par unité de consommation).",
        unit="€",
        decimals=0,
        domain="pauvrete_revenus",
        pillar="Vulnérabilité",
        direction=-1,
        source="Insee, Filosofi — revenus disponibles des QPV (data_filo19_qp_revdis) ; "
        "territoires de comparaison : Filosofi 2019 communes, EPCI, départements, régions, France",
        publisher=_INSEE,
        licence=_LO,
        vintage="Filosofi 2019",
        level="QPV 2015",
        attribution="direct",
        valid_range=(0.0, None),
        caveats="Indicateur non additif : ne jamais faire la moyenne de plusieurs quartiers.",
    ),
    Indicator(
        id="taux_emploi",
        label="Taux d'emploi des 15-64 ans",
        definition="Part des personnes de 15 à 64 ans ayant un emploi, en %.",
        unit="%",
        decimals=1,
        domain="emploi_insertion",
        pillar="Vulnérabilité",
        direction=-1,
        source="Insee, recensement de la population (fichier QPV « Insertion professionnelle », édition 2022)",
        publisher=_INSEE,
        licence=_LO,
        vintage="RP 2018",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="nb_demandeurs_emploi",
        label="Demandeurs d'emploi (catégories A à E)",
        definition="Nombre de demandeurs d'emploi inscrits à Pôle emploi / France Travail, catégories A, B, "
        "C, D et E.",
        unit="personnes",
        decimals=0,
        domain="emploi_insertion",
        pillar="Contexte",
        direction=0,
        source="Pôle emploi / France Travail, via Insee (fichier QPV « Insertion professionnelle », édition 2022)",
        publisher="Pôle emploi / France Travail, Insee",
        licence=_LO,
        vintage="fin 2021 (édition 2022, année exacte non précisée par la source)",
        level="QPV 2015",
        attribution="direct",
        valid_range=(0.0, None),
        caveats="Effectif, pas un taux : sert de contexte et n'entre pas dans les comparaisons.",
    ),
    Indicator(
        id="part_allocataires_rsa",
        label="Part des allocataires percevant le RSA socle",
        definition="Allocataires de la Caf percevant le RSA socle, en % de l'ensemble des allocataires "
        "du quartier (rapport des effectifs ARSAS / A).",
        unit="%",
        decimals=1,
        domain="pauvrete_revenus",
        pillar="Vulnérabilité",
        direction=1,
        source="Cnaf, via Insee (fichier QPV « Revenus », édition 2022)",
        publisher="Cnaf, Insee",
        licence=_LO,
        vintage="édition 2022 (données Cnaf ≈ 2020-2021, année exacte non précisée)",
        level="QPV 2015",
        attribution="ratio_direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="part_c2s",
        label="Part des assurés couverts par la Complémentaire santé solidaire",
        definition="Bénéficiaires de la C2S (participative ou non), en % des assurés du régime général "
        "du quartier (rapport (C_C2SNP + C_C2SP) / C).",
        unit="%",
        decimals=1,
        domain="pauvrete_revenus",
        pillar="Vulnérabilité",
        direction=1,
        source="Cnam, via Insee (fichier QPV « Revenus », édition 2022)",
        publisher="Cnam, Insee",
        licence=_LO,
        vintage="édition 2022 (données Cnam ≈ 2020-2021, année exacte non précisée)",
        level="QPV 2015",
        attribution="ratio_direct",
        valid_range=_SHARE,
    ),
    Indicator(
        id="part_logsoc_avant_1976",
        label="Part des logements sociaux construits avant 1976",
        definition="Logements sociaux achevés avant 1976 (avant 1949 et de 1949 à 1975), en % du parc "
        "social du quartier. Les périodes couvertes par le secret statistique comptent pour zéro ; la "
        "valeur est publiée seulement si la part inconnue ne dépasse pas 5 points.",
        unit="%",
        decimals=1,
        domain="logement_energie",
        pillar="Vulnérabilité",
        direction=1,
        source="SDES, répertoire des logements locatifs des bailleurs sociaux (RPLS), agrégé par QPV (ANCT-ONPV)",
        publisher="SDES, ANCT-ONPV",
        licence="Licence Ouverte 2.0",
        vintage="RPLS au 1er janvier 2022",
        level="QPV 2015",
        attribution="direct",
        valid_range=_SHARE,
        caveats="Parc social seulement : l'âge du parc privé n'est pas publié par quartier.",
    ),
)

BY_ID: dict[str, Indicator] = {ind.id: ind for ind in CATALOGUE}


def get(indicator_id: str) -> Indicator:
    """Indicator by id; unknown ids raise ``KeyError`` (callers turn it into a French message)."""
    return BY_ID[indicator_id]


def ids() -> list[str]:
    return [ind.id for ind in CATALOGUE]


def as_records() -> list[dict]:
    """The catalogue as plain dicts (for JSON output and exports)."""
    return [ind.to_dict() for ind in CATALOGUE]
