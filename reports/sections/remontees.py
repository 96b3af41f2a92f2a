"""« Ce que disent les habitants et les équipes »: what workshop groups said about the annex's quartiers, as it
was noted (``loaders.local.remontees``), in a section of its own — never mixed with the statistics, never scored,
never ranked. Quartiers in the order of the annex's tables (QPV 2024 first, then alphabetical)."""

from __future__ import annotations

import pandas as pd

from core.errors import EcoqpvError
from core.workshop import NOTES_TITLE
from loaders.local import remontees
from reports.model import Block, Cell, Column, Heading, Note, Paragraph, Row, Table, TableBlock

INTRO = ("Ce que les groupes ont dit en atelier, noté tel quel, sans nom de personne : des paroles d'habitants, "
         "d'équipes de quartier, d'associations et de partenaires. Ce ne sont pas des statistiques : elles ne sont "
         "comptées dans aucun score ni aucun classement, et complètent les constats chiffrés des sections précédentes.")
EMPTY = ("Aucune remontée d'atelier n'a été notée pour les quartiers de ce territoire. Elles se notent sur la page "
         "Mode atelier, ou avec la commande « python -m loaders.local remontees add ».")
COLUMNS = [Column("date", "Date", width=0.9), Column("theme", "Thème", width=1.2), Column("qui", "Qui parle", width=1.2),
           Column("texte", "Ce qui a été dit", width=4.7)]


def remontees_blocks(table: pd.DataFrame) -> list[Block]:
    """The section: a heading, what the notes are, then one table per quartier that has notes."""
    order = table.drop_duplicates("code_qp")
    try:
        found = remontees.notes(order["code_qp"].astype(str).tolist())
    except EcoqpvError as exc:  # the annex is still produced; the section says why it is empty
        return [Heading(1, NOTES_TITLE), Note(f"Les remontées d'atelier n'ont pas pu être lues : {exc}")]
    if not found:
        return [Heading(1, NOTES_TITLE), Paragraph(EMPTY)]
    blocks: list[Block] = [Heading(1, NOTES_TITLE, new_page=True), Paragraph(INTRO)]
    by_code: dict[str, list[remontees.Remontee]] = {}
    for note in found:
        by_code.setdefault(note.code_qp, []).append(note)
    for row in order.itertuples(index=False):
        notes = by_code.get(str(row.code_qp))
        if not notes:
            continue
        title = f"{row.lib_qp} ({row.code_qp}, {row.lib_com}, QPV {int(row.generation)})"
        blocks.append(Heading(2, title))
        rows = [Row([Cell(n.jour_text), Cell(n.theme_label), Cell(n.qui_label), Cell(n.texte)]) for n in notes]
        blocks.append(TableBlock(Table(key=f"remontees_{row.code_qp}", title=title, columns=COLUMNS, rows=rows)))
    return blocks
