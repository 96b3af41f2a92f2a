"""Why a value is missing: the reason codes stored next to every missing value, and their French words.

A missing value is never a zero: the long value table keeps a code in ``raison_manquante`` and every
view says it in French. Parsers, value rules, spatial attribution, scores and exports all use the
constants below, so that a code is written once and worded once.
"""

from __future__ import annotations

from core.formats import is_missing

#: Present in the source, but the cell is blank or masked (small counts, publisher's secrecy).
SECRET = "secret_statistique"
#: The source does not list this quartier (or too small a part of it).
NOT_COVERED = "non_couvert"
#: No source giving this value has been loaded for this territory yet (an online update may bring it).
NOT_LOADED = "non_charge"
#: Outside the area a spatial source covers (DRIAS grid, LCZ cities).
OUTSIDE = "hors_zone"
#: Outside the indicator's physical range (a share above 100 %): flagged and left out, never clipped.
INVALID = "valeur_invalide"
#: A cell left empty by the publisher without a masking token (SDES 2018 ``PDL``).
NOT_FILLED = "non_renseigne"
#: The source records nothing there: a blank BDNB DPE cell means no DPE was recorded in the IRIS (not a secret).
NO_DPE = "aucun_dpe"
#: A score that cannot be computed for a quartier with too few values.
PARTIAL = "donnees_partielles"

#: Full French sentence of each code (fiches, notes under tables, map tooltips, the method document).
LABELS: dict[str, str] = {
    SECRET: "secret statistique (effectif trop faible, donnée non diffusée par la source)",
    NOT_COVERED: "non couvert par la source",
    NOT_LOADED: "source non chargée pour ce territoire (disponible en ligne)",
    OUTSIDE: "hors de la zone couverte par la source",
    INVALID: "valeur hors de l'intervalle possible, écartée",
    NOT_FILLED: "case laissée vide par la source, sans motif indiqué",
    NO_DPE: "aucun DPE enregistré dans les IRIS qui recoupent le quartier (case vide de la BDNB, pas un secret "
    "statistique)",
    PARTIAL: "données insuffisantes pour calculer ce score (quartier partiel)",
}

#: A few words for a table cell; the full sentence goes in the note below the table.
SHORT_LABELS: dict[str, str] = {
    SECRET: "secret statistique",
    NOT_COVERED: "non couvert",
    NOT_LOADED: "source non chargée",
    OUTSIDE: "hors zone couverte",
    INVALID: "valeur écartée",
    NO_DPE: "aucun DPE enregistré",
}


def missing_label(reason: object) -> str:
    """French sentence for a missing-value reason code; generic when the code is unknown."""
    if is_missing(reason) or not reason:
        return "donnée manquante"
    return LABELS.get(str(reason), f"donnée manquante ({reason})")


def short_label(code: str | None) -> str:
    """A few words for a missing-value reason, for table cells (the full sentence goes in the note)."""
    if not code:
        return "donnée manquante"
    return SHORT_LABELS.get(code) or LABELS.get(code, code).split(" (")[0]
