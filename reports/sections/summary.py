"""Title page and « Synthèse du territoire »: the quartiers, communes, population, contours, scores and
the domains where quartiers are at or beyond the alert threshold, then the table of the quartiers."""

from __future__ import annotations

from datetime import date

import pandas as pd

from assembly.territory_table import reason_column
from assembly.value_text import population_totals
from core import natures, reasons
from core.formats import format_number, french_date, is_missing, plural
from core.text import fold, in_sentence
from geodata.territories import Territory
from indicators import catalogue
from indicators.catalogue import DOMAINS
from indicators.scores import RELIABILITY_SHORT, RELIABILITY_UNRANKED
from reports.model import TITLE, Block, Bullets, Cell, Column, Heading, Note, Paragraph, Row, Table
from reports.options import AnnexOptions
from reports.wording import (
    GENERATION_LABELS,
    GENERATION_SHORT,
    SECTION_SUMMARY,
    SECTIONS,
    SUBTITLE,
    elide,
    french_list,
    missing_note,
    number_cell,
    territory_title,
    text_cell,
    value_cell,
)


def vintages(table: pd.DataFrame) -> list[str]:
    """Vintages of the indicators that have at least one value in the territory, with their indicators."""
    seen: dict[str, list[str]] = {}
    for ind in catalogue.CATALOGUE:
        if table[ind.id].notna().any():
            seen.setdefault(ind.vintage, []).append(ind.label)
    return [f"{vintage} : {french_list([in_sentence(label) for label in labels])}"
            for vintage, labels in seen.items()]


def cover_blocks(territory: Territory, generated_on: date, built_on: str, used_vintages: list[str]) -> list[Block]:
    """The title page: territory, date, data, vintages, contents and how to read the document."""
    return [
        Heading(0, TITLE),
        Paragraph(SUBTITLE, subtitle=True),
        Paragraph(territory_title(territory), lead="Territoire : "),
        Paragraph(f"{french_date(generated_on)}, avec ecoqpv", lead="Document produit le "),
        Paragraph(f"jeu de données embarqué construit le {french_date(date.fromisoformat(built_on))}"
                  if built_on else "jeu de données embarqué", lead="Données : "),
        Paragraph("Millésimes des données utilisées :"),
        Bullets(used_vintages or ["aucune valeur disponible pour ce territoire"]),
        Paragraph("Contenu :"),
        Bullets(list(SECTIONS)),
        Paragraph(
            "Ce document décrit des expositions environnementales et des conditions de vie, pas les habitants. "
            "Chaque chiffre est donné avec sa source et son millésime ; une valeur manquante est signalée avec sa "
            "raison, jamais remplacée par zéro. Le texte peut être modifié librement : les styles sont ceux de Word "
            "(Titre 1, Titre 2, tableaux)."),
    ]


def contour_coverage(regions: dict[int, list[str]]) -> str:
    """Which QPV have contours offline, in words: « QPV 2024 de Provence-Alpes-Côte d'Azur »."""
    parts = [f"QPV {generation} " + " et ".join(elide("de", r) for r in names) for generation, names in regions.items()]
    return " ; ".join(parts) if parts else "aucun"


def summary_blocks(table: pd.DataFrame, options: AnnexOptions, contour_regions: dict[int, list[str]]) -> list[Block]:
    """« Synthèse du territoire », ending with the table of the quartiers (``summary_table``)."""
    blocks: list[Block] = [Heading(1, SECTION_SUMMARY, new_page=True)]
    n_by_gen = table["generation"].astype(int).value_counts().to_dict()
    parts = [f"{format_number(n, 0)} {GENERATION_SHORT.get(g, g)}" for g, n in sorted(n_by_gen.items(), reverse=True)]
    # A QPV spanning several communes lists them all (« Bobigny, Drancy »): count each commune once.
    communes = sorted({name.strip() for text in table["lib_com"].dropna() for name in str(text).split(",")
                       if name.strip()}, key=fold)
    blocks.append(Paragraph(
        f"Le territoire compte {format_number(len(table), 0)} quartiers prioritaires ({french_list(parts)}), situés "
        f"dans {plural(len(communes), 'commune')} : {french_list(communes)}. Les QPV 2024 sont ceux des "
        "contrats de ville 2024-2030 ; les QPV 2015 sont présentés parce que la plupart des statistiques publiées "
        "hors ligne portent encore sur eux."))
    # Population per generation (QPV 2015 and 2024 overlap: never summed together), with its source and vintage.
    parts = [f"{GENERATION_SHORT.get(pop.generation, pop.generation)} : {format_number(pop.total, 0)} habitants pour "
             f"{plural(pop.known, 'quartier renseigné', 'quartiers renseignés')} sur {format_number(pop.count, 0)} "
             f"({' ; '.join(pop.sources)})" for pop in population_totals(table)]
    if parts:
        overlap = (" Les deux générations se recouvrent : leurs populations ne s'additionnent pas."
                   if len(parts) > 1 else "")
        blocks.append(Paragraph(" ; ".join(parts) + "." + overlap, lead="Population des quartiers — "))
    with_contour = int(table["a_contour"].astype(bool).sum())
    coverage = contour_coverage(contour_regions)
    if with_contour == len(table):
        blocks.append(Paragraph("Les contours de tous les quartiers sont disponibles : chaque domaine a sa carte."))
    elif with_contour:
        blocks.append(Note(
            f"Contours disponibles hors ligne pour {plural(with_contour, 'quartier')} sur "
            f"{format_number(len(table), 0)} : les autres figurent dans les tableaux mais pas sur les cartes "
            f"(contours embarqués : {coverage})."))
    else:
        blocks.append(Note(
            "Cartes non disponibles : les contours des quartiers de ce territoire ne sont pas dans les données "
            f"embarquées (contours embarqués : {coverage}). Les tableaux présentent toutes les valeurs "
            "disponibles ; la mise à jour en ligne du territoire (page « Données et sources ») apportera les "
            "contours officiels de l'ANCT."))
    blocks.extend(completeness_blocks(table))
    blocks.extend(nature_blocks(table))
    complete = int((table.get("statut") == "complet").sum()) if "statut" in table else 0
    partial = len(table) - complete
    scored_text = (f"{plural(complete, 'quartier a', 'quartiers ont')} un score complet" if complete
                   else "Aucun quartier n'a de score complet")
    partial_text = ("1 est « non classé – données partielles » (il lui manque des données pour l'un des deux "
                    "piliers) : ses valeurs disponibles restent présentées" if partial == 1 else
                    f"{format_number(partial, 0)} sont « non classés – données partielles » (il leur manque des "
                    "données pour l'un des deux piliers) : leurs valeurs disponibles restent présentées")
    blocks.append(Paragraph(f"{scored_text} ; {partial_text}." if partial else f"{scored_text}."))
    flagged = []
    for domain in DOMAINS:
        column = f"dom_{domain}"
        if column in table:
            count = int((table[column] >= options.method.alert_threshold).sum())
            if count:
                flagged.append(f"{DOMAINS[domain].label} : {plural(count, 'quartier')}")
    if flagged:
        blocks.append(Paragraph(
            f"Domaines où des quartiers se situent parmi les {format_number(100 - options.method.alert_threshold, 0)} % "
            "les moins favorables de leur cadre de comparaison :"))
        blocks.append(Bullets(flagged))
    return blocks


def completeness_blocks(table: pd.DataFrame) -> list[Block]:
    """How many values are missing and why, and the quartiers without any value: never « complet » when not."""
    ids = catalogue.ids()
    total = len(table) * len(ids)
    missing = table[ids].isna()
    count = int(missing.to_numpy().sum())
    if count == 0:
        return [Paragraph("Toutes les valeurs des indicateurs sont renseignées pour les quartiers du territoire.")]
    not_loaded = sum(int((table.loc[missing[i], reason_column(i)] == reasons.NOT_LOADED).sum()) for i in ids)
    text = (f"{format_number(count, 0)} valeurs sur {format_number(total, 0)} manquent dans les tableaux, chacune "
            "avec sa raison (jamais remplacée par zéro)")
    if not_loaded:
        text += (f", dont {format_number(not_loaded, 0)} « {reasons.short_label(reasons.NOT_LOADED)} » que la mise à "
                 "jour en ligne du territoire (page « Données et sources ») peut apporter")
    blocks: list[Block] = [Paragraph(text + ".")]
    empty = table.loc[missing.all(axis=1)]
    if len(empty):
        names = [f"{r.lib_qp} ({r.code_qp})" for r in empty.itertuples()]
        blocks.append(Note(f"Aucune valeur n'est disponible hors ligne pour {plural(len(empty), 'quartier')} : "
                           f"{french_list(names)}. La mise à jour en ligne de leur territoire peut apporter leurs "
                           "statistiques."))
    return blocks


def nature_blocks(table: pd.DataFrame) -> list[Block]:
    """What the values of the territory are: how many are published, carried from a QPV 2015, estimated…"""
    counts: dict[str, int] = {}
    for ind in catalogue.CATALOGUE:
        column = f"{ind.id}_nature"
        if column in table:
            for nature, n in table.loc[table[ind.id].notna(), column].dropna().value_counts().items():
                counts[str(nature)] = counts.get(str(nature), 0) + int(n)
    if not counts:
        return []
    parts = [f"{natures.label(n)} : {format_number(counts[n], 0)}" for n in natures.NATURES if counts.get(n)]
    blocks: list[Block] = [Paragraph("Nature des valeurs présentées — " + " ; ".join(parts) + ".")]
    estimated = sum(counts.get(n, 0) for n in natures.ESTIMATES)
    if estimated:
        blocks.append(Paragraph(
            f"{format_number(estimated, 0)} valeurs sont des estimations, jamais présentées comme des chiffres "
            "publiés : chaque tableau les signale, avec l'intervalle à 90 % des estimations calibrées (la vraie "
            "valeur s'y trouve 9 fois sur 10)."))
    return blocks


# --- the table of the quartiers (shared by the domain tables) -----------------------------------------


def qpv_label(row: pd.Series) -> str:
    return f"{row['lib_qp']}\n{row['code_qp']} · {row['lib_com']}"


def id_columns() -> list[Column]:
    """The columns naming a quartier: one in Word, four in the spreadsheet."""
    return [
        Column("quartier_docx", "Quartier", in_sheet=False, width=2.0),
        Column("code_qp", "Code du quartier", in_docx=False),
        Column("lib_qp", "Quartier", in_docx=False),
        Column("lib_com", "Commune", in_docx=False),
        Column("generation", "Génération", in_docx=False),
    ]


def id_cells(row: pd.Series) -> list[Cell]:
    return [text_cell(qpv_label(row)), text_cell(row["code_qp"]), text_cell(row["lib_qp"]),
            text_cell(row["lib_com"]), text_cell(GENERATION_SHORT.get(int(row["generation"]), row["generation"]))]


def group_row(generation: int, width: int) -> Row:
    return Row([Cell(f"Quartiers {GENERATION_LABELS.get(generation, generation)}", strong=True)]
               + [Cell("") for _ in range(width - 1)], kind="group")


def alerts_cell(row: pd.Series) -> Cell:
    """The alert count, never a reassuring « 0 » when nothing is known: « non calculé : données insuffisantes »
    without any ranked indicator, « 1 sur 4 indicateurs classés » for a quartier with partial data."""
    alerts, ranked = row.get("nb_alertes"), row.get("nb_indicateurs")
    if is_missing(alerts) or is_missing(ranked) or int(ranked) == 0:
        return Cell("non calculé : données insuffisantes")
    if row.get("statut") == "complet":
        return number_cell(alerts, 0)
    return Cell(f"{format_number(alerts, 0)} sur {format_number(ranked, 0)} indicateurs classés")


def summary_table(table: pd.DataFrame) -> Table:
    """The quartiers with population, scores, alerts and ranking status, in alphabetical order."""
    columns = id_columns() + [
        Column("population", "Population (habitants)", unit="habitants", decimals=0, numeric=True, width=1.0),
        Column("score_exposition", "Exposition (0-10)", decimals=1, numeric=True, width=1.0),
        Column("score_vulnerabilite", "Vulnérabilité (0-10)", decimals=1, numeric=True, width=1.2),
        Column("score_global", "Score global (0-100)", decimals=1, numeric=True, width=0.9),
        Column("nb_alertes", "Alertes", decimals=0, numeric=True, width=0.75),
        Column("classement", "Classement", width=1.6),
    ]
    rows: list[Row] = []
    current = None
    population = catalogue.get("population")
    for _, row in table.iterrows():
        generation = int(row["generation"])
        if generation != current:
            rows.append(group_row(generation, len(columns)))
            current = generation
        reliability = row.get("fiabilite")
        if row.get("statut") == "complet":
            status = RELIABILITY_SHORT.get(str(reliability), "") if isinstance(reliability, str) else ""
        else:
            status = RELIABILITY_SHORT[RELIABILITY_UNRANKED]
        rows.append(Row(id_cells(row) + [
            value_cell(row["population"], row[reason_column("population")], population, with_unit=False),
            number_cell(row.get("score_exposition"), 1),
            number_cell(row.get("score_vulnerabilite"), 1),
            number_cell(row.get("score_global"), 1),
            alerts_cell(row),
            text_cell(status),
        ]))
    notes = ["Quartiers dans l'ordre alphabétique : ce tableau n'est pas un palmarès. Les scores situent "
             "chaque quartier dans son cadre de comparaison ; leur lecture détaillée figure dans les fiches. "
             "Alertes : nombre d'indicateurs au-delà du seuil d'alerte (voir la méthode), parmi les indicateurs "
             "classés du quartier ; « non calculé » quand aucun indicateur n'est classé."]
    found = {c.reason for r in rows for c in r.cells if c.reason}
    missing = missing_note(found)
    if missing:
        notes.append(missing)
    return Table(key="synthese", title="Quartiers du territoire", columns=columns, rows=rows, notes=notes)
