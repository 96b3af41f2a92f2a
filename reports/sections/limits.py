"""« Limites et notes de lecture »: what the indicators do not say (the same statements as the Fiche
page, from ``assembly.fiche``) and how to read the figures without stigmatising anyone."""

from __future__ import annotations

from assembly.fiche import UNSAID
from reports.model import Block, Bullets, Heading
from reports.wording import SECTION_LIMITS


def limits_blocks() -> list[Block]:
    return [
        Heading(1, SECTION_LIMITS, new_page=True),
        Heading(2, "Ce que ces indicateurs ne disent pas"),
        Bullets([lead + rest for lead, rest in UNSAID]),
        Heading(2, "Lire ces chiffres sans stigmatiser"),
        Bullets([
            "Les indicateurs décrivent des expositions et des conditions de vie subies, pas des personnes ni des "
            "comportements. Parler de « quartier exposé à la chaleur », pas de « quartier précaire ».",
            "Les écarts tiennent d'abord à des causes structurelles : forme urbaine, âge et qualité du bâti, choix "
            "d'aménagement passés, proximité des infrastructures.",
            "Un score bas ne signifie pas l'absence de risque ; un score élevé ne dit rien de la capacité des "
            "habitants à agir.",
            "Comparer d'abord le quartier à son environnement (commune, EPCI) ; le rang entre quartiers est "
            "secondaire, dépend des choix de méthode (voir l'intervalle) et ne doit pas être publié comme un "
            "palmarès.",
            "Associer les habitants à la lecture du diagnostic : leurs constats complètent les données et les "
            "corrigent parfois.",
        ]),
    ]
