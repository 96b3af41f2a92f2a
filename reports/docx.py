"""Word rendering of the annex (python-docx), with Word's built-in styles so users can restyle it.

Headings use 'Title' and 'Heading 1..3' (« Titre », « Titre 1..3 » in a French Word), bullets
'List Bullet', figure captions 'Caption', notes 'Intense Quote', tables the built-in table style
``TABLE_STYLE``. Only two things are formatted directly: table cell widths and the italics of missing
values. Tables repeat their header row on each page and rows never split across pages.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reports.model import Annex, Bullets, Figure, Heading, Note, Paragraph, Table, TableBlock

TABLE_STYLE = "Medium Shading 1 Accent 1"
TABLE_TEXT_STYLE = "Texte de tableau"
#: Arial: present in every Word; LibreOffice substitutes the metric-compatible Liberation Sans.
FONT = "Arial"
TEXT_WIDTH_CM = 17.0
_MUTED = RGBColor(0x59, 0x59, 0x59)


def _set_font(style, name: str = FONT, size: float | None = None) -> None:
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        if fonts.get(qn(theme)) is not None:
            del fonts.attrib[qn(theme)]
    if size:
        style.font.size = Pt(size)


def _set_language(style, lang: str = "fr-FR") -> None:
    rpr = style.element.get_or_add_rPr()
    element = rpr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rpr.append(element)
    element.set(qn("w:val"), lang)
    element.set(qn("w:eastAsia"), lang)


def _prepare(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(1.8)
    styles = document.styles
    _set_font(styles["Normal"], size=10)
    _set_language(styles["Normal"])
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption", "Intense Quote"):
        _set_font(styles[name])
    styles["Heading 1"].font.size = Pt(16)
    styles["Heading 2"].font.size = Pt(13)
    styles["Heading 3"].font.size = Pt(11)
    styles["Title"].font.size = Pt(24)
    caption = styles["Caption"]
    caption.font.size = Pt(8)
    caption.font.bold = False
    caption.font.italic = True
    caption.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    caption.paragraph_format.space_before = Pt(2)
    caption.paragraph_format.space_after = Pt(2)
    if TABLE_TEXT_STYLE not in [s.name for s in styles]:
        table_text = styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        table_text.base_style = styles["Normal"]
        table_text.font.size = Pt(8)
        table_text.paragraph_format.space_before = Pt(0)
        table_text.paragraph_format.space_after = Pt(0)
        table_text.paragraph_format.line_spacing = 1.0
        table_text.quick_style = True


def _footer(document, text: str) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.style = document.styles["Footer"]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(f"{text} — page ")
    run.font.size = Pt(8)
    for field, tail in (("PAGE", " sur "), ("NUMPAGES", "")):
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), field)
        inner = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "16")
        props.append(size)
        inner.append(props)
        value = OxmlElement("w:t")
        value.text = "1"
        inner.append(value)
        simple.append(inner)
        paragraph._p.append(simple)
        if tail:
            paragraph.add_run(tail).font.size = Pt(8)


def _row_props(row, header: bool = False) -> None:
    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement("w:cantSplit"))
    if header:
        props.append(OxmlElement("w:tblHeader"))


def _shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _write(cell, text: str, style_id: str, bold: bool = False, italic: bool = False, muted: bool = False,
           right: bool = False, size: float | None = None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style_id  # the style id directly: python-docx's name lookup is slow on big tables
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if muted:
        run.font.color.rgb = _MUTED
    if size:
        run.font.size = Pt(size)


def add_table(document, table: Table) -> None:
    columns = [c for c in table.columns if c.in_docx]
    positions = [i for i, c in enumerate(table.columns) if c.in_docx]
    total = sum(c.width for c in columns)
    widths = [Cm(TEXT_WIDTH_CM * c.width / total) for c in columns]
    grid = document.add_table(rows=len(table.rows) + 1, cols=len(columns))
    grid.style = document.styles[TABLE_STYLE]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    text_style = document.styles[TABLE_TEXT_STYLE].style_id
    rows = grid.rows
    header = rows[0]
    _row_props(header, header=True)
    for cell, column, width in zip(header.cells, columns, widths, strict=True):
        cell.width = width
        _write(cell, column.label, text_style, bold=True, size=7.5)
    for grid_row, row in zip(rows[1:], table.rows, strict=True):
        _row_props(grid_row)
        cells = grid_row.cells
        for cell, width in zip(cells, widths, strict=True):
            cell.width = width
        if row.kind == "group":
            merged = cells[0].merge(cells[-1]) if len(cells) > 1 else cells[0]
            _write(merged, row.cells[0].text, text_style, bold=True)
            _shade(merged, "E8EEF4")
            continue
        for cell, column, index in zip(cells, columns, positions, strict=True):
            content = row.cells[index]
            _write(cell, content.text, text_style, bold=content.strong,
                   italic=bool(content.reason) or row.kind == "reference", muted=bool(content.reason),
                   right=column.numeric and content.reason is None)
    caption = document.styles["Caption"]
    for note in table.notes:
        document.add_paragraph(note, style=caption)


def _heading(document, block: Heading) -> None:
    if block.level == 0:
        paragraph = document.add_paragraph(block.text, style=document.styles["Title"])
    else:
        paragraph = document.add_paragraph(block.text, style=document.styles[f"Heading {block.level}"])
    if block.new_page:
        paragraph.paragraph_format.page_break_before = True


def _paragraph(document, block: Paragraph) -> None:
    style = document.styles["Subtitle" if block.subtitle else "Normal"]
    paragraph = document.add_paragraph(style=style)
    if block.lead:
        paragraph.add_run(block.lead).bold = True
    paragraph.add_run(block.text)


def _figure(document, block: Figure) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run().add_picture(io.BytesIO(block.png), width=Cm(TEXT_WIDTH_CM))
    document.add_paragraph(block.caption, style=document.styles["Caption"])


def render(annex: Annex) -> bytes:
    """The annex as a .docx file (bytes)."""
    document = Document()
    _prepare(document)
    _footer(document, f"Annexe diagnostic — {annex.territory.label} — {annex.generated_on.strftime('%d/%m/%Y')}")
    properties = document.core_properties
    properties.title = annex.title
    properties.subject = "Annexe diagnostic du contrat de ville — expositions environnementales et conditions de vie"
    properties.author = "ecoqpv"
    properties.language = "fr-FR"
    properties.keywords = "contrat de ville ; QPV ; diagnostic ; précarité écologique"
    for block in annex.blocks:
        if isinstance(block, Heading):
            _heading(document, block)
        elif isinstance(block, Paragraph):
            _paragraph(document, block)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style=document.styles["List Bullet"])
        elif isinstance(block, Note):
            document.add_paragraph(block.text, style=document.styles["Intense Quote"])
        elif isinstance(block, Figure):
            _figure(document, block)
        elif isinstance(block, TableBlock):
            add_table(document, block.table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
