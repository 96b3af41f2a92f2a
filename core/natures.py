"""What kind of number a value is: its *nature*, one definition for the whole tool, with its French words.

Every value of the long value table (``valeurs``) carries a nature next to its source and vintage, so that
a fiche, a map tooltip, an export or a score can say whether the number is published for this quartier,
carried from the previous generation, estimated (with a 90 % interval), computed by overlaying the
quartier on a coarser or finer grid, or only the commune's context. A missing value has no nature: it
has a reason (``core.reasons``).

The ids are stable (``shared/docs/design.md``): pages, exports and the scores read them from the data,
never guess them from the attribution rule.
"""

from __future__ import annotations

from core.formats import is_missing

#: Published by the source for this quartier (INSEE, Cnaf, SDES…), joined on its code.
OFFICIAL = "officiel"
#: The official value of a QPV 2015 whose perimeter is the same as this QPV 2024 (IoU ≥ 0.9).
OFFICIAL_2015_SAME_PERIMETER = "officiel_qpv2015_meme_perimetre"
#: IRIS interpolation corrected by a model fitted on the QPV 2015 whose official value is known.
CALIBRATED = "estimation_calibree"
#: Plain areal interpolation from the IRIS overlapping the quartier (not calibrated).
IRIS_ESTIMATE = "estimation_iris"
#: The value of the quartier's commune, shown as context (never scored).
COMMUNE_CONTEXT = "contexte_commune"
#: A value brought by the local team: a file imported on the Données page or with ``python -m loaders.local add``.
LOCAL = "donnee_locale"
#: Computed by overlaying the quartier's contour on a source that is not a statistic of people
#: (DRIAS 8 km climate grid, LCZ heat classes per IRIS, heat networks per IRIS).
SPATIAL = "calcul_spatial"

#: Every nature, in the order of preference of a value (the first one available wins for a QPV 2024).
NATURES: tuple[str, ...] = (OFFICIAL, OFFICIAL_2015_SAME_PERIMETER, CALIBRATED, IRIS_ESTIMATE,
                            COMMUNE_CONTEXT, SPATIAL, LOCAL)

#: A few French words for a table cell, a legend or a tooltip.
LABELS: dict[str, str] = {
    OFFICIAL: "valeur officielle",
    OFFICIAL_2015_SAME_PERIMETER: "valeur officielle du QPV 2015 de même périmètre",
    CALIBRATED: "estimation calibrée (avec intervalle)",
    IRIS_ESTIMATE: "estimation par IRIS, non calibrée",
    COMMUNE_CONTEXT: "contexte communal",
    LOCAL: "donnée locale",
    SPATIAL: "calcul spatial",
}

#: The full French explanation (method document, notes under tables, the annex).
DESCRIPTIONS: dict[str, str] = {
    OFFICIAL: "Valeur publiée par la source pour ce quartier (Insee, Cnaf, SDES…), reprise telle quelle.",
    OFFICIAL_2015_SAME_PERIMETER: "Valeur officielle publiée pour un QPV 2015 dont le périmètre est presque "
    "le même que celui de ce QPV 2024 (indice de recouvrement des deux contours d'au moins 0,9) : elle garde "
    "le millésime et la source du QPV 2015, dont le code, le nom et le recouvrement sont indiqués.",
    CALIBRATED: "Estimation : moyenne des IRIS qui recoupent le quartier, corrigée par un modèle ajusté sur les "
    "QPV 2015 dont la valeur officielle est connue. Elle est donnée avec un intervalle qui contient la vraie "
    "valeur 9 fois sur 10 (mesuré sur des départements laissés de côté).",
    IRIS_ESTIMATE: "Estimation : moyenne des IRIS qui recoupent le quartier, sans correction. Un IRIS est plus "
    "grand que le quartier et souvent moins pauvre : cette moyenne dilue la situation du quartier.",
    COMMUNE_CONTEXT: "Valeur de la commune du quartier, affichée comme contexte faute de donnée plus fine ; elle "
    "n'entre pas dans les scores.",
    LOCAL: "Donnée apportée par l'équipe locale (fichier importé), avec la source et le millésime déclarés à "
    "l'import ; elle n'entre dans les scores que si la personne le demande, indicateur par indicateur.",
    SPATIAL: "Calcul spatial : le contour du quartier est superposé à une source qui n'est pas une statistique "
    "d'habitants (grille climatique de 8 km, classes de chaleur des IRIS, IRIS desservis par un réseau de "
    "chaleur).",
}

#: Nature of a value obtained by an attribution rule of the catalogue (``indicators.catalogue``).
RULE_NATURES: dict[str, str] = {
    "direct": OFFICIAL,
    "ratio_direct": OFFICIAL,
    "iris_population": IRIS_ESTIMATE,
    "iris_dpe": IRIS_ESTIMATE,
    "iris_effectifs": IRIS_ESTIMATE,
    "calibration": CALIBRATED,
    "qpv2015_meme_perimetre": OFFICIAL_2015_SAME_PERIMETER,
    "commune_contexte": COMMUNE_CONTEXT,
    "grille_drias": SPATIAL,
    "lcz_surface": SPATIAL,
    "iris_reseau": SPATIAL,
    "donnee_locale": LOCAL,
}

#: Natures whose value carries a 90 % interval (``ic_bas``, ``ic_haut``).
WITH_INTERVAL = frozenset({CALIBRATED})
#: Natures that are estimates (shown as such everywhere, never as a published figure).
ESTIMATES = frozenset({CALIBRATED, IRIS_ESTIMATE})


def nature_of_rule(rule: object) -> str | None:
    """Nature of a value obtained by attribution rule ``rule`` (None for an unknown or missing rule)."""
    if is_missing(rule):
        return None
    return RULE_NATURES.get(str(rule))


def label(nature: object) -> str:
    """A few French words for a nature ("" for a missing value, which has a reason instead)."""
    if is_missing(nature) or not nature:
        return ""
    return LABELS.get(str(nature), str(nature))


def description(nature: object) -> str:
    """The full French sentence explaining a nature ("" for a missing value)."""
    if is_missing(nature) or not nature:
        return ""
    return DESCRIPTIONS.get(str(nature), str(nature))


def allowed_in_scores(nature: object, indicator_scored: bool, calibratable: bool) -> bool:
    """May a value of this nature enter the scores? The one rule, documented in ``docs/methode.md``.

    * the indicator itself must be scored (oriented, in a pillar, finer than the commune);
    * official values (published, or carried from a QPV 2015 of the same perimeter), calibrated
      estimates and spatial computations are scored;
    * a plain IRIS estimate is scored only for an indicator that has no official QPV value to calibrate
      against (DPE F+G, APL): for an indicator that can be calibrated (``calibratable``), it is there
      because the calibration missed its targets, and it is shown with its measured bias, never scored;
    * local data is scored when its indicator is (``indicator_scored`` is then the person's opt-in, per
      indicator: ``indicators.local.LocalIndicator.scored``);
    * commune context and missing values never are.
    """
    if not indicator_scored or is_missing(nature) or not nature:
        return False
    nature = str(nature)
    if nature in (OFFICIAL, OFFICIAL_2015_SAME_PERIMETER, CALIBRATED, SPATIAL, LOCAL):
        return True
    if nature == IRIS_ESTIMATE:
        return not calibratable
    return False
