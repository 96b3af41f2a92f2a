"""The annex as a document: built once from the data (``reports.build``), rendered as DOCX, PDF, XLSX or CSV.

* ``Annex.blocks``: the document in reading order (headings, paragraphs, bullet lists, notes, tables,
  figures), which the Word renderer walks as is;
* ``domain_tables``, ``summary``, ``sources``, ``files`` and ``settings_rows``: the same tables, typed (each
  cell keeps its raw number next to its French text), which the spreadsheet renderers reuse;
* ``flat``: one row per QPV with every value, missing-value reason and score (the CSV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from geodata.territories import Territory
from reports.maps import MapSpec
from reports.options import AnnexOptions

TITLE = "Annexe diagnostic du contrat de ville"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str = ""
    decimals: int = 0
    numeric: bool = False
    in_docx: bool = True
    in_sheet: bool = True
    #: Relative width in Word.
    width: float = 1.0


@dataclass
class Cell:
    text: str
    value: float | None = None
    #: Missing-value reason code, when the cell stands for a missing value.
    reason: str | None = None
    strong: bool = False


@dataclass
class Row:
    cells: list[Cell]
    #: "data", "reference" (enclosing territory) or "group" (a label spanning the table; Word only).
    kind: str = "data"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@dataclass
class Heading:
    """Level 0 is the document title, 1-3 the section headings."""

    level: int
    text: str
    new_page: bool = False


@dataclass
class Paragraph:
    text: str
    lead: str = ""  # bold words before the text
    subtitle: bool = False


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Note:
    """A paragraph set apart (missing maps, reading warnings)."""

    text: str


@dataclass
class Figure:
    spec: MapSpec
    png: bytes
    caption: str
    dpi: int


@dataclass
class TableBlock:
    table: Table


Block = Heading | Paragraph | Bullets | Note | Figure | TableBlock


@dataclass
class Annex:
    territory: Territory
    options: AnnexOptions
    generated_on: date
    data_built_on: str
    table: pd.DataFrame
    blocks: list[Block]
    summary: Table
    domain_tables: dict[str, Table]
    sources: Table
    files: Table
    settings_rows: list[tuple[str, str]]
    flat: pd.DataFrame
    vintages: list[str]

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    @property
    def title(self) -> str:
        return f"{TITLE} — {self.territory.label}"
