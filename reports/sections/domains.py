"""« Expositions et conditions de vie par domaine »: per domain, its description, the map of its lead
indicator when the quartiers have contours, and the table of all its indicators per quartier with the
values of the enclosing territories."""

from __future__ import annotations

import pandas as pd

from assembly.annex import LEVEL_ORDER
from assembly.territory_table import reason_column
from core.formats import is_missing
from core.text import fold
from indicators import catalogue
from indicators.catalogue import DOMAINS
from reports import maps
from reports.model import Block, Cell, Column, Figure, Heading, Note, Paragraph, Row, Table, TableBlock
from reports.sections.summary import group_row, id_cells, id_columns
from reports.wording import (
    GENERATION_SHORT,
    NO_REFERENCE,
    SECTION_DOMAINS,
    cell_text,
    missing_note,
    number_cell,
    reference_label,
    text_cell,
    value_cell,
)


def domain_table(domain: str, table: pd.DataFrame, refs: pd.DataFrame) -> Table:
    """Every indicator of ``domain`` per quartier, the domain index, then the enclosing territories."""
    members = [i for i in catalogue.CATALOGUE if i.domain == domain]
    scored_domain = f"dom_{domain}" in table.columns
    columns = id_columns() + [
        Column(i.id, f"{i.label}" + (f" ({i.unit})" if i.unit and i.unit != "oui/non" else ""), unit=i.unit,
               decimals=i.decimals, numeric=True) for i in members]
    if scored_domain:
        columns.append(Column(f"dom_{domain}", "Indice du domaine (0-100)", decimals=0, numeric=True, width=0.8))
    rows: list[Row] = []
    found: set[str] = set()
    current = None
    for _, row in table.iterrows():
        generation = int(row["generation"])
        if generation != current:
            rows.append(group_row(generation, len(columns)))
            current = generation
        cells = id_cells(row)
        for ind in members:
            cell = value_cell(row[ind.id], row[reason_column(ind.id)], ind, with_unit=False)
            if cell.reason:
                found.add(cell.reason)
            cells.append(cell)
        if scored_domain:
            cells.append(number_cell(row[f"dom_{domain}"], 0))
        rows.append(Row(cells))
    # Enclosing territories, for the indicators that have a published reference value.
    ids = [i.id for i in members]
    mine = refs[refs["indicateur"].isin(ids)]
    ref_rows = []
    for (level, code), group in mine.groupby(["niveau", "code"], sort=False):
        label = reference_label(level, str(group["libelle"].iloc[0]))
        values = dict(zip(group["indicateur"], group["valeur"], strict=True))
        cells = [text_cell(label), text_cell(code), text_cell(label), text_cell(""), text_cell("")]
        for ind in members:
            value = values.get(ind.id)
            cells.append(Cell(NO_REFERENCE) if is_missing(value) else
                         Cell(cell_text(value, ind, with_unit=False), value=float(value)))
        if scored_domain:
            cells.append(Cell(NO_REFERENCE))
        ref_rows.append(((LEVEL_ORDER.get(level, 9), fold(label)), Row(cells, kind="reference")))
    if ref_rows:
        rows.append(Row([Cell("Territoires de comparaison", strong=True)] + [Cell("") for _ in columns[1:]],
                        kind="group"))
        rows.extend(r for _, r in sorted(ref_rows, key=lambda item: item[0]))
    notes = []
    if ref_rows:
        notes.append(f"Territoires de comparaison : valeurs publiées pour la commune, l'EPCI, le département ou la "
                     f"France ; « {NO_REFERENCE} » : pas de valeur de référence dans les données pour cet "
                     "indicateur.")
    else:
        notes.append("Aucune valeur de référence (commune, EPCI, France) n'est publiée dans les données pour les "
                     "indicateurs de ce domaine.")
    if scored_domain:
        notes.append("Indice du domaine : moyenne des rangs centiles des indicateurs du domaine dans le cadre de "
                     "comparaison (100 = situation la moins favorable du cadre) ; « non calculé » quand trop "
                     "d'indicateurs manquent.")
    missing = missing_note(found)
    if missing:
        notes.append(missing)
    return Table(key=f"domaine:{domain}", title=DOMAINS[domain].label, columns=columns, rows=rows, notes=notes)


def domain_blocks(table: pd.DataFrame, refs: pd.DataFrame, specs: dict[str, list[maps.MapSpec]],
                  with_maps: bool) -> tuple[list[Block], dict[str, Table]]:
    """The section's blocks (maps drawn here, numbered in reading order) and its tables by domain."""
    with_contour = bool(table["a_contour"].astype(bool).any())
    blocks: list[Block] = [Heading(1, SECTION_DOMAINS, new_page=True), Paragraph(
        "Pour chaque domaine : une carte d'un indicateur représentatif (le plus renseigné du domaine) quand les "
        "contours des quartiers sont disponibles, puis le tableau de tous les indicateurs du domaine par "
        "quartier, avec les valeurs de la commune, de l'EPCI, du département et de la France quand elles sont "
        "publiées.")]
    tables: dict[str, Table] = {}
    number = 0
    for domain, info in DOMAINS.items():
        blocks.append(Heading(2, f"{info.label} (pilier {info.pillar})" if info.pillar != "Contexte" else info.label,
                              new_page=domain != next(iter(DOMAINS))))
        blocks.append(Paragraph(info.description))
        if with_contour and with_maps:
            if not specs.get(domain):
                blocks.append(Note("Pas de carte pour ce domaine : aucun de ses indicateurs n'a de valeur pour les "
                                   "quartiers cartographiables."))
            for spec in specs.get(domain, []):
                number += 1
                caption = (f"Carte {number} – {spec.indicator.label} "
                           f"({GENERATION_SHORT.get(spec.generation, spec.generation)}) ; millésime : "
                           f"{spec.indicator.vintage} ; source : {spec.indicator.publisher}.")
                blocks.append(Figure(spec=spec, png=maps.render(spec, "png", maps.DOCX_DPI), caption=caption,
                                     dpi=maps.DOCX_DPI))
        elif not with_contour:
            blocks.append(Note("Carte non disponible : aucun quartier de ce territoire n'a de contour dans les données "
                               "embarquées. Les valeurs sont complètes dans le tableau ci-dessous."))
        tables[domain] = domain_table(domain, table, refs)
        blocks.append(TableBlock(tables[domain]))
    return blocks, tables
