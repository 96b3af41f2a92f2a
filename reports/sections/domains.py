"""« Expositions et conditions de vie par domaine »: per domain, its description, the map of its lead
indicator when the quartiers have contours, and the table of all its indicators per quartier with the
values of the enclosing territories. Each value says what it is (an estimate with its interval, a value
carried from a QPV 2015…): in the cell for Word, in nature and interval columns in the spreadsheet; the
notes give the vintages and sources of the values shown."""

from __future__ import annotations

import pandas as pd

from assembly.annex import LEVEL_ORDER
from assembly.territory_table import reason_column
from assembly.value_text import Provenance
from core import natures
from core.formats import is_missing, plural
from core.text import fold
from assembly import indicator_list
from indicators import catalogue
from indicators.catalogue import DOMAINS
from reports import maps
from reports.model import Block, Cell, Column, Figure, Heading, Note, Paragraph, Row, Table, TableBlock
from reports.sections.summary import group_row, id_cells, id_columns
from reports.wording import (
    GENERATION_SHORT,
    NO_REFERENCE,
    SECTION_DOMAINS,
    bound_cell,
    cell_text,
    missing_note,
    nature_cell,
    number_cell,
    reference_label,
    text_cell,
    value_cell,
)

#: How a cell says what a value is, explained under the tables where such cells appear.
NATURE_NOTES = {
    natures.CALIBRATED: "« estimation : a à b » : estimation calibrée sur les QPV 2015 et son intervalle à 90 % "
    "(la vraie valeur s'y trouve 9 fois sur 10)",
    natures.IRIS_ESTIMATE: "« estimation IRIS » : moyenne des IRIS qui recoupent le quartier, non calibrée",
    natures.OFFICIAL_2015_SAME_PERIMETER: "« QPV 2015 …, même périmètre » : valeur officielle du QPV 2015 dont "
    "le contour est presque le même, avec son millésime",
    natures.COMMUNE_CONTEXT: "« commune » : valeur de la commune du quartier, affichée comme contexte",
    natures.LOCAL: "« donnée locale » : donnée apportée par l'équipe locale (fichier importé), avec la source et le "
    "millésime déclarés à l'import",
}


def value_columns(ind: catalogue.Indicator) -> list[Column]:
    """The columns of one indicator: its value (Word and spreadsheet), then, in the spreadsheet only, the
    nature of the value and, for an indicator that may be estimated with an interval, its bounds."""
    unit = f" ({ind.unit})" if ind.unit and ind.unit != "oui/non" else ""
    local = " — donnée locale" if indicator_list.is_local(ind) else ""
    columns = [Column(ind.id, f"{ind.label}{unit}{local}", unit=ind.unit, decimals=ind.decimals, numeric=True),
               Column(f"{ind.id}_nature", f"{ind.label} — nature de la valeur", in_docx=False)]
    if ind.calibratable:
        columns += [Column(f"{ind.id}_ic_bas", f"{ind.label} — borne basse de l'intervalle à 90 %", unit=ind.unit,
                           decimals=ind.decimals, numeric=True, in_docx=False),
                    Column(f"{ind.id}_ic_haut", f"{ind.label} — borne haute de l'intervalle à 90 %", unit=ind.unit,
                           decimals=ind.decimals, numeric=True, in_docx=False)]
    return columns


def value_cells(row: pd.Series, ind: catalogue.Indicator, info: Provenance | None) -> list[Cell]:
    """The cells of ``value_columns`` for one quartier."""
    cells = [value_cell(row[ind.id], row[reason_column(ind.id)], ind, with_unit=False, info=info),
             nature_cell(row[ind.id], info)]
    if ind.calibratable:
        cells += [bound_cell(info.low if info else float("nan"), ind),
                  bound_cell(info.high if info else float("nan"), ind)]
    return cells


def origins_note(members: list[catalogue.Indicator], table: pd.DataFrame,
                 provenances: dict[tuple[str, str], Provenance]) -> str | None:
    """« Millésimes et sources des valeurs : taux de pauvreté — Filosofi 2019 (Insee…) ; … »."""
    parts = []
    for ind in members:
        seen = dict.fromkeys(
            " — ".join(p for p in (info.vintage, info.source) if p)
            for code, value in zip(table["code_qp"].astype(str), table[ind.id], strict=True)
            if not is_missing(value) and (info := provenances.get((code, ind.id))) is not None)
        seen.pop("", None)
        if seen:
            parts.append(f"{ind.label} : " + " ; ".join(seen))
    return ("Millésimes et sources des valeurs du tableau — " + " | ".join(parts) + ".") if parts else None


def domain_table(domain: str, table: pd.DataFrame, refs: pd.DataFrame,
                 provenances: dict[tuple[str, str], Provenance] | None = None) -> Table:
    """Every indicator of ``domain`` per quartier, the domain index, then the enclosing territories."""
    provenances = provenances or {}
    members = [i for i in indicator_list.all_indicators() if i.domain == domain]
    scored_domain = f"dom_{domain}" in table.columns
    columns = id_columns() + [c for i in members for c in value_columns(i)]
    if scored_domain:
        columns.append(Column(f"dom_{domain}", "Indice du domaine (0-100)", decimals=0, numeric=True, width=0.8))
    rows: list[Row] = []
    found: set[str] = set()
    shown_natures: set[str] = set()
    current = None
    for _, row in table.iterrows():
        generation = int(row["generation"])
        if generation != current:
            rows.append(group_row(generation, len(columns)))
            current = generation
        cells = id_cells(row)
        for ind in members:
            info = provenances.get((str(row["code_qp"]), ind.id))
            mine = value_cells(row, ind, info)
            if mine[0].reason:
                found.add(mine[0].reason)
            elif info is not None and info.nature:
                shown_natures.add(info.nature)
            cells.extend(mine)
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
            cells.append(Cell("" if is_missing(value) else "valeur publiée pour le territoire"))
            if ind.calibratable:
                cells += [Cell(""), Cell("")]
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
    said = [text for nature, text in NATURE_NOTES.items() if nature in shown_natures]
    if said:
        notes.append("Valeurs qui ne sont pas des chiffres publiés pour le quartier — " + " ; ".join(said) + ".")
    origins = origins_note(members, table, provenances)
    if origins:
        notes.append(origins)
    missing = missing_note(found)
    if missing:
        notes.append(missing)
    return Table(key=f"domaine:{domain}", title=DOMAINS[domain].label, columns=columns, rows=rows, notes=notes)


def domain_blocks(table: pd.DataFrame, refs: pd.DataFrame, specs: dict[str, list[maps.MapSpec]],
                  with_maps: bool, provenances: dict[tuple[str, str], Provenance] | None = None,
                  ) -> tuple[list[Block], dict[str, Table]]:
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
                estimated = spec.estimated_count
                caption = (f"Carte {number} – {spec.indicator.label} "
                           f"({GENERATION_SHORT.get(spec.generation, spec.generation)}) ; millésime : "
                           f"{spec.indicator.vintage} ; source : {spec.indicator.publisher}"
                           + (f" ; {plural(estimated, 'valeur estimée, hachurée', 'valeurs estimées, hachurées')} (intervalle dans le tableau)"
                              if estimated else "") + ".")
                blocks.append(Figure(spec=spec, png=maps.render(spec, "png", maps.DOCX_DPI), caption=caption,
                                     dpi=maps.DOCX_DPI))
        elif not with_contour:
            blocks.append(Note("Carte non disponible : aucun quartier de ce territoire n'a de contour dans les données "
                               "embarquées. Les valeurs disponibles figurent dans le tableau ci-dessous, avec la "
                               "raison de chaque valeur manquante."))
        tables[domain] = domain_table(domain, table, refs, provenances)
        blocks.append(TableBlock(tables[domain]))
    return blocks, tables
