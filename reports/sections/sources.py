"""« Sources »: each indicator with its publisher, licence and vintage, then the files of the embedded
dataset (with their sha256) and the credit to cite."""

from __future__ import annotations

from assembly import indicator_list
from indicators import catalogue
from indicators.local import attribution_label
from indicators.catalogue import DOMAINS
from reports.model import Block, Column, Heading, Paragraph, Row, Table, TableBlock
from reports.wording import SECTION_SOURCES, text_cell

_DIRECTION_TEXT = {1: "valeur élevée = situation moins favorable", -1: "valeur élevée = situation plus favorable",
                   0: "descriptif, hors scores"}


def sources_table() -> Table:
    columns = [
        Column("id", "Identifiant", in_docx=False),
        Column("label", "Indicateur", width=1.6),
        Column("domaine", "Domaine", in_docx=False),
        Column("pilier", "Pilier", in_docx=False),
        Column("definition", "Définition", in_docx=False),
        Column("unite", "Unité", in_docx=False),
        Column("sens", "Sens de lecture", in_docx=False),
        Column("source", "Source et éditeur", width=2.6),
        Column("licence", "Licence", width=1.6),
        Column("millesime", "Millésime", width=1.1),
        Column("echelle", "Échelle de la source", in_docx=False),
        Column("rattachement", "Rattachement au quartier", in_docx=False),
        Column("limites", "Limites", in_docx=False),
    ]
    rows = []
    for ind in indicator_list.all_indicators():
        rule = attribution_label(ind.attribution)
        if ind.attribution_2024 and ind.attribution_2024 != ind.attribution:
            rule = f"QPV 2015 : {rule} QPV 2024 : {catalogue.ATTRIBUTION_RULES[ind.attribution_2024]}"
        rows.append(Row([
            text_cell(ind.id), text_cell(f"{ind.label} (donnée locale)" if indicator_list.is_local(ind) else ind.label),
            text_cell(DOMAINS[ind.domain].label), text_cell(ind.pillar),
            text_cell(ind.definition), text_cell(ind.unit), text_cell(_DIRECTION_TEXT[ind.direction]),
            text_cell(f"{ind.publisher} — {ind.source}"), text_cell(ind.licence), text_cell(ind.vintage),
            text_cell(ind.level), text_cell(rule), text_cell(ind.caveats),
        ]))
    return Table(key="sources", title="Sources des indicateurs", columns=columns, rows=rows)


def files_table(manifest: dict) -> Table:
    columns = [Column("contenu", "Fichier source", width=2.4), Column("editeur", "Éditeur", width=1.6),
               Column("licence", "Licence", width=1.6), Column("millesime", "Millésime", width=1.1),
               Column("sha256", "Empreinte sha256", in_docx=False)]
    rows = [Row([text_cell(e.get("description") or e.get("fichier")), text_cell(e.get("editeur")),
                 text_cell(e.get("licence")), text_cell(e.get("millesime")), text_cell(e.get("sha256"))])
            for e in manifest.get("entrees", [])]
    return Table(key="fichiers", title="Fichiers sources du jeu de données embarqué", columns=columns, rows=rows)


def sources_blocks(sources: Table, files: Table, manifest: dict) -> list[Block]:
    blocks: list[Block] = [
        Heading(1, SECTION_SOURCES, new_page=True),
        Paragraph("Chaque indicateur avec son éditeur, sa licence et son millésime. Les données restent la propriété "
                  "de leurs éditeurs ; la mention de la source est obligatoire lors de toute réutilisation."),
        TableBlock(sources),
        Heading(2, "Fichiers du jeu de données et fonds de carte"),
        TableBlock(files),
    ]
    if manifest.get("credits"):
        blocks.append(Paragraph(str(manifest["credits"]), lead="Crédit à citer : "))
    return blocks


def manifest_publisher(manifest: dict, key: str, default: str) -> str:
    """Publisher of one file of the manifest (``cle``), e.g. of the commune outlines under the maps."""
    for entry in manifest.get("entrees", []):
        if entry.get("cle") == key:
            return str(entry.get("editeur") or default)
    return default
