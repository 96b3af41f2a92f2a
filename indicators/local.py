"""Indicators brought by the local team (« données locales »): catalogue entries made from declared metadata.

Pure: the metadata is a plain dict read elsewhere (``sources.local_indicators``, through ``assembly``); this
module only turns it into an :class:`~indicators.catalogue.Indicator` that every view handles like the others.
A local indicator enters the scores only when the person asked for it (``dans_les_scores``), and then like any
scored indicator (oriented, in an Exposition or Vulnérabilité domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators.catalogue import ATTRIBUTION_RULES, DOMAINS, Indicator, Pillar

#: Attribution rule (and nature, ``core.natures.LOCAL``) of every value of a local indicator.
RULE = "donnee_locale"
RULE_LABEL = ("Donnée apportée par l'équipe locale (fichier importé sur la page Données), jointe sur le code du "
              "quartier ; source et millésime déclarés par la personne qui l'a importée.")
#: Declared direction → catalogue direction.
DIRECTIONS = {"plus_defavorable": 1, "moins_defavorable": -1, "descriptif": 0}
DIRECTION_LABELS = {
    "plus_defavorable": "plus la valeur est élevée, moins la situation est favorable",
    "moins_defavorable": "plus la valeur est élevée, plus la situation est favorable",
    "descriptif": "descriptif (ni favorable ni défavorable)",
}


@dataclass(frozen=True)
class LocalIndicator(Indicator):
    """An imported indicator: ``opted_in`` is the person's choice to let it enter the scores."""

    opted_in: bool = False
    generation: int = 2024
    file_name: str = ""
    imported_on: str = ""

    @property
    def pillar(self) -> Pillar:
        return DOMAINS[self.domain].pillar if self.domain in DOMAINS else "Contexte"

    @property
    def scored(self) -> bool:
        """Enters the scores only when asked, and only if it could (oriented, in a pillar)."""
        return self.opted_in and self.could_be_scored

    @property
    def could_be_scored(self) -> bool:
        """Oriented and in an Exposition or Vulnérabilité domain: the opt-in would make it count."""
        return self.direction != 0 and self.pillar in ("Exposition", "Vulnérabilité")

    def to_dict(self) -> dict:
        data = {key: getattr(self, key) for key in (
            "id", "label", "definition", "unit", "decimals", "domain", "direction", "source", "publisher",
            "licence", "vintage", "level", "attribution", "caveats", "generation")}
        data.update(pillar=self.pillar, domain_label=DOMAINS[self.domain].label if self.domain in DOMAINS else
                    self.domain, scored=self.scored, calibratable=False, attribution_label=RULE_LABEL,
                    attribution_2024=RULE, attribution_2024_label=RULE_LABEL, valid_range=[None, None], tags=["local"],
                    dans_les_scores=self.opted_in)
        return data


def is_local(indicator: object) -> bool:
    """Whether an indicator (or an id) is a local one."""
    if isinstance(indicator, str):
        return indicator.startswith("local_")
    return isinstance(indicator, LocalIndicator)


def from_metadata(data: dict) -> LocalIndicator:
    """The catalogue entry of one stored local indicator (metadata already validated by the store)."""
    unit = str(data.get("unite", ""))
    source = str(data.get("source", ""))
    return LocalIndicator(
        id=str(data["id"]), label=str(data["libelle"]),
        definition=f"Donnée locale importée du fichier « {data.get('fichier', '')} ».",
        unit=unit, decimals=int(data.get("decimales", 1)), domain=str(data["domaine"]),
        direction=DIRECTIONS.get(str(data["sens"]), 0), source=source, publisher="Équipe locale",
        licence="données de l'équipe locale (non publiées)", vintage=str(data["millesime"]), level="QPV",
        attribution=RULE, caveats="Donnée locale : source et millésime déclarés à l'import, non vérifiés par "
        "l'outil.", opted_in=bool(data.get("dans_les_scores", False)), generation=int(data.get("generation", 2024)),
        file_name=str(data.get("fichier", "")), imported_on=str(data.get("importe_le", "")),
    )


def attribution_label(rule: str) -> str:
    """The French explanation of an attribution rule, local rule included."""
    return RULE_LABEL if rule == RULE else ATTRIBUTION_RULES.get(rule, rule)
