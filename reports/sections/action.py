"""« Du constat à l'action : pistes à discuter »: for each domain where at least one quartier reaches the
alert threshold, levers, partners and follow-up indicators (method-anchors §6.9) — starting points for
the comité de pilotage, not prescriptions."""

from __future__ import annotations

import pandas as pd

from core.formats import format_number
from indicators import catalogue
from indicators.catalogue import DOMAINS
from reports.model import Block, Bullets, Heading, Paragraph
from reports.options import AnnexOptions
from reports.wording import SECTION_ACTION, french_list

#: Levers, partners and follow-up indicators per scored domain (method-anchors §6.9), for domains
#: where at least one QPV is at or above the alert threshold. Starting points for the comité de
#: pilotage, not prescriptions.
ACTION_HINTS: dict[str, tuple[str, str]] = {
    "chaleur": (
        "Rafraîchir les espaces publics et les cours d'école (ombre, végétation, revêtements clairs, eau), "
        "ouvrir des lieux frais accessibles pendant les vagues de chaleur, repérer les logements sous les "
        "toits et les personnes isolées avec le plan canicule.",
        "Services espaces verts et voirie, bailleurs sociaux, CCAS, écoles, programme ANRU « Quartiers "
        "résilients ».",
    ),
    "logement_energie": (
        "Cibler la rénovation énergétique du parc ancien (bailleurs et copropriétés), accompagner les ménages "
        "face aux factures d'énergie, raccorder aux réseaux de chaleur quand ils passent à proximité.",
        "Bailleurs sociaux, Agence locale de l'énergie et du climat (ALEC), France Rénov', CCAS, fournisseurs "
        "d'énergie (chèque énergie).",
    ),
    "pauvrete_revenus": (
        "Faciliter l'accès aux droits (aides au logement, chèque énergie, complémentaire santé), articuler les "
        "actions écologiques avec l'aide alimentaire et l'économie du quotidien.",
        "CAF, CPAM, CCAS, France services, associations d'aide alimentaire.",
    ),
    "emploi_insertion": (
        "Relier la transition écologique à l'emploi local : chantiers de rénovation et d'espaces verts en "
        "insertion, clauses sociales des marchés publics.",
        "France Travail, mission locale, structures d'insertion par l'activité économique, PLIE.",
    ),
    "sensibilite_age": (
        "Repérer et visiter les personnes âgées ou seules pendant les vagues de chaleur (registre canicule), "
        "ouvrir des lieux frais accessibles à pied, rompre l'isolement l'été.",
        "CCAS, services d'aide à domicile, centres sociaux, associations de proximité.",
    ),
}


def action_blocks(table: pd.DataFrame, options: AnnexOptions) -> list[Block]:
    threshold = options.method.alert_threshold
    blocks: list[Block] = [Heading(1, SECTION_ACTION, new_page=True), Paragraph(
        f"Pour chaque domaine où au moins un quartier dépasse le {format_number(threshold, 0)}e centile de son cadre "
        "de comparaison : des leviers et des partenaires à discuter en comité de pilotage, et des indicateurs de "
        "suivi dont la valeur actuelle sert de point de départ (la cible reste à fixer localement). Ces pistes "
        "partent des conditions du quartier (bâti, espaces publics, accès aux droits), pas des comportements "
        "des habitants.")]
    any_domain = False
    for domain, (levers, partners) in ACTION_HINTS.items():
        column = f"dom_{domain}"
        if column not in table:
            continue
        concerned = table[table[column] >= threshold]
        if concerned.empty:
            continue
        any_domain = True
        blocks.append(Heading(2, DOMAINS[domain].label))
        names = [f"{r.lib_qp} ({r.code_qp})" for r in concerned.itertuples()]
        blocks.append(Paragraph(french_list(names) + ".", lead="Quartiers concernés : "))
        followed = [i for i in catalogue.CATALOGUE if i.domain == domain and i.scored and concerned[i.id].notna().any()]
        blocks.append(Bullets([
            f"Leviers : {levers}",
            f"Partenaires : {partners}",
            "Indicateurs de suivi proposés (valeur de départ dans la fiche de chaque quartier) : "
            + (french_list([f"{i.label} ({i.vintage})" for i in followed]) if followed else "à définir localement")
            + ".",
        ]))
    computed = any(table[f"dom_{d}"].notna().any() for d in ACTION_HINTS if f"dom_{d}" in table)
    if not any_domain and not computed:
        blocks.append(Paragraph("Aucun domaine n'a pu être calculé pour les quartiers de ce territoire avec les données "
                                "disponibles : rien ne permet de dire qu'un domaine dépasse ou non le seuil d'alerte. "
                                "La mise à jour en ligne du territoire (page « Données et sources ») peut apporter "
                                "les données manquantes ; les pistes se construisent d'ici là avec les acteurs et "
                                "les habitants."))
    elif not any_domain:
        blocks.append(Paragraph("Aucun domaine calculé ne dépasse le seuil d'alerte dans ce territoire : les pistes se "
                                "construisent à partir des fiches et des échanges avec les habitants."))
    return blocks
