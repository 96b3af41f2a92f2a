"""The corpus of the users' own data files (issue #13): every file generated here, good ones with the traps of real
files and malformed ones, each with its expected outcome. Used by ``test_local_data_reader`` (reader and command
line) and ``test_local_data_product`` (page and annex)."""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import openpyxl
import pandas as pd

from sources.local_files import MAX_BYTES, LocalTable, read_local_table

KNOWN_2024 = {"QN00101M", "QN00102M", "QN00103M", "QN00104M", "QN00105I", "QN02A01M", "QN97611N", "QN13055M"}
KNOWN_2015 = {"QP001001", "QP001002", "QP001003", "QP02A001", "QP971001"}
NNBSP, NBSP = "\u202f", "\u00a0"


def read(data: bytes, name: str = "donnees.csv", **options: Any) -> LocalTable:
    return read_local_table(data, name, known_2024=KNOWN_2024, known_2015=KNOWN_2015, **options)


# --------------------------------------------------------------------------------------------------
# File builders
# --------------------------------------------------------------------------------------------------


def text_file(lines: list[str], sep: str = ";", encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """Lines whose ``;`` are replaced by ``sep``, encoded as asked (``utf-8-sig``, ``cp1252``, ``utf-16``…)."""
    body = newline.join(line.replace(";", sep) for line in lines) + newline
    return body.encode(encoding)


def xlsx(sheets: dict[str, list[list[Any]]], formats: dict[str, str] | None = None) -> bytes:
    """A workbook written by openpyxl; ``formats`` maps ``"Sheet!B2"`` to a number format."""
    workbook = openpyxl.Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    for ref, number_format in (formats or {}).items():
        title, cell = ref.split("!")
        workbook[title][cell].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, Callable[[bytes], bytes]] | None = None,
          add: dict[str, bytes] | None = None) -> bytes:
    """Rewrite a ZIP, transforming some parts and adding others (macros, cached formula values…)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if replace and info.filename in replace:
                content = replace[info.filename](content)
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def zip_bomb() -> bytes:
    """An XLSX whose sheet would inflate to 30 MB of zeros from about 30 KB."""
    return rezip(xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", 1]]}),
                 add={"xl/worksheets/bourrage.xml": b"\0" * (30 * 1024 * 1024)})


def many_entries() -> bytes:
    return rezip(xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", 1]]}),
                 add={f"xl/media/image{i}.xml": b"<a/>" for i in range(1_200)})


def with_cached_formula(value: str, error: bool = False) -> bytes:
    """A workbook whose B2 formula has a cached result, as Excel or LibreOffice save it."""
    base = xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", "=10/4"], ["QN00102M", 3]]})
    kind = ' t="e"' if error else ""

    def patch(xml: bytes) -> bytes:
        return xml.replace(b'<c r="B2"><f>10/4</f><v></v></c>',
                           f'<c r="B2"{kind}><f>10/4</f><v>{value}</v></c>'.encode())

    patched = rezip(base, replace={"xl/worksheets/sheet1.xml": patch})
    assert patched != rezip(base), "the cached-value patch must apply"
    return patched


_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def excel_style_xlsx() -> bytes:
    """A workbook laid out as Excel writes it (openpyxl writes differently): shared strings, the built-in
    percent style 10 with no format code, a formula with its cached value, and a ``<dimension>`` too
    small for the data, which would cut rows 3 to 5 if it were trusted."""
    overrides = [("/xl/workbook.xml", "sheet.main+xml"), ("/xl/worksheets/sheet1.xml", "worksheet+xml"),
                 ("/xl/sharedStrings.xml", "sharedStrings+xml"), ("/xl/styles.xml", "styles+xml")]
    content_types = (
        f'{_DECL}<Types xmlns="{_PKG}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{part}" ContentType="{_SML}{kind}"/>' for part, kind in overrides)
        + "</Types>")
    root_rels = (f'{_DECL}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
                 f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (f'{_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                '<sheets><sheet name="Taux 2023" sheetId="1" r:id="rId1"/></sheets></workbook>')
    targets = [("worksheet", "worksheets/sheet1.xml"), ("sharedStrings", "sharedStrings.xml"), ("styles", "styles.xml")]
    workbook_rels = (f'{_DECL}<Relationships xmlns="{_PKG}/relationships">'
                     + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/{kind}" Target="{target}"/>'
                               for i, (kind, target) in enumerate(targets, 1))
                     + "</Relationships>")
    strings = ["Taux de pauvreté", "Code QPV", "Taux", "QN00101M", "qn00102m "]
    shared = (f'{_DECL}<sst xmlns="{_MAIN}" count="5" uniqueCount="5">'
              + "".join(f"<si><t xml:space=\"preserve\">{text}</t></si>" for text in strings) + "</sst>")
    styles = (f'{_DECL}<styleSheet xmlns="{_MAIN}">'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
              '<borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
              "</styleSheet>")
    sheet = (f'{_DECL}<worksheet xmlns="{_MAIN}"><dimension ref="A1:B2"/><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
             '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c></row>'
             '<row r="4"><c r="A4" t="s"><v>3</v></c><c r="B4" s="1"><v>0.125</v></c></row>'
             '<row r="5"><c r="A5" t="s"><v>4</v></c><c r="B5" s="1"><f>B4*2</f><v>0.25</v></c></row>'
             "</sheetData></worksheet>")
    parts = {"[Content_Types].xml": content_types, "_rels/.rels": root_rels, "xl/workbook.xml": workbook,
             "xl/_rels/workbook.xml.rels": workbook_rels, "xl/sharedStrings.xml": shared,
             "xl/styles.xml": styles, "xl/worksheets/sheet1.xml": sheet}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def macro_workbook() -> bytes:
    return rezip(xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", 1]]}),
                 add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})


def macro_content_type() -> bytes:
    def patch(xml: bytes) -> bytes:
        return xml.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")

    return rezip(xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", 1]]}), replace={"[Content_Types].xml": patch})


def doctype_workbook() -> bytes:
    def patch(xml: bytes) -> bytes:
        doctype = b'<!DOCTYPE lol [<!ENTITY a "aaaaaaaa">]>'
        return xml.replace(b"?>", b"?>" + doctype, 1) if xml.startswith(b"<?xml") else doctype + xml

    return rezip(xlsx({"Feuille1": [["code", "valeur"], ["QN00101M", 1]]}), replace={"xl/workbook.xml": patch})


def ods_like() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("donnees.csv", "code;valeur\nQN00101M;1\n")
    return out.getvalue()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JUNK = random.Random(13).randbytes(4_000)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


# --------------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One file and what must come out of it.

    For a good file: ``values`` (code → value, or code → reason for a missing one) and substrings of
    the warnings; for a refused one: a substring of the message and the row / column it must name.
    """

    id: str
    name: str
    make: Callable[[], bytes]
    values: dict[str, float | str] | None = None
    generation: int = 2024
    warns: tuple[str, ...] = ()
    refused: str | None = None
    row: int | None = None
    column: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    check: Callable[[LocalTable], None] | None = None


BASIC = ["Code QPV;Quartier;Impayés (€)", "QN00101M;Grande Reyssouze;1234,5", "QN00102M;Croix Blanche;87"]
BASIC_VALUES = {"QN00101M": 1234.5, "QN00102M": 87.0}


def _expect(**attributes: Any) -> Callable[[LocalTable], None]:
    def check(table: LocalTable) -> None:
        for key, expected in attributes.items():
            assert getattr(table, key) == expected, (key, getattr(table, key))
    return check


GOOD = [
    Case("csv_point_virgule_utf8_bom", "impayes.csv", lambda: text_file(BASIC, encoding="utf-8-sig"), BASIC_VALUES,
         check=_expect(encoding="UTF-8 avec BOM", separator=";", header_row=1)),
    Case("csv_virgule_point_decimal", "export.csv",
         lambda: text_file(["code_qp,valeur", "QN00101M,12.5", "QN00102M,3"], sep=","),
         {"QN00101M": 12.5, "QN00102M": 3.0}, check=_expect(separator=",")),
    Case("tabulation_cp1252", "ccas.txt",
         lambda: text_file(["Quartier\tCode\tDemandes d'aide énergie", "Pré-Fleuri\tQN00101M\t42",
                            "Cité œillets\tQN00103M\t7"], sep="\t", encoding="cp1252"),
         {"QN00101M": 42.0, "QN00103M": 7.0},
         check=_expect(encoding="Windows-1252", separator="\t", value_column="Demandes d'aide énergie")),
    Case("latin1", "arbres.csv", lambda: text_file(["Code;Arbres plantés", "QN00101M;12", "QN00102M;8"],
                                                   encoding="latin-1"),
         {"QN00101M": 12.0, "QN00102M": 8.0}, check=_expect(value_column="Arbres plantés")),
    Case("utf16_le_bom", "unicode.csv", lambda: text_file(BASIC, sep="\t", encoding="utf-16"), BASIC_VALUES,
         check=_expect(encoding="UTF-16 LE avec BOM")),
    Case("utf16_be_bom", "unicode_be.csv", lambda: b"\xfe\xff" + "\n".join(BASIC).encode("utf-16-be"),
         BASIC_VALUES, check=_expect(encoding="UTF-16 BE avec BOM")),
    Case("milliers_u202f", "bailleur.csv",
         lambda: text_file(["code;montant", f"QN00101M;1{NNBSP}234{NNBSP}567,5", f"QN00102M;12{NNBSP}000"]),
         {"QN00101M": 1234567.5, "QN00102M": 12000.0}),
    Case("milliers_u00a0_cp1252", "bailleur2.csv",
         lambda: text_file(["code;montant", f"QN00101M;1{NBSP}234,5", "QN00102M;999"], encoding="cp1252"),
         {"QN00101M": 1234.5, "QN00102M": 999.0}),
    Case("milliers_espace", "comptage.csv",
         lambda: text_file(["code;habitants", "QN00101M;1 234 567", "QN00102M;2 000"]),
         {"QN00101M": 1234567.0, "QN00102M": 2000.0}),
    Case("milliers_point_virgule_decimale", "compta.csv",
         lambda: text_file(["code;montant", "QN00101M;1.234,5", "QN00102M;12,5", "QN00103M;1.000"]),
         {"QN00101M": 1234.5, "QN00102M": 12.5, "QN00103M": 1000.0}),
    Case("signe_pourcent", "taux.csv",
         lambda: text_file(["code;taux", "QN00101M;12,5 %", "QN00102M;3%", "QN00103M;0,5"]),
         {"QN00101M": 12.5, "QN00102M": 3.0, "QN00103M": 0.5}, warns=("2 valeurs portent le signe % (sur 3)",),
         check=_expect(unit_hints=("%",))),
    Case("codes_proteges_excel", "protege.csv",
         lambda: text_file(['code;valeur', '="QN00101M";1', '="qn00102m";2']),
         {"QN00101M": 1.0, "QN00102M": 2.0}),
    Case("lignes_de_titre", "titre.csv",
         lambda: text_file(["Impayés d'énergie 2023;;", "Bailleur Habitat Sud;;", ";;", "Code QPV;Libellé;Montant",
                            "QN00101M;A;10", "QN00102M;B;20"]),
         {"QN00101M": 10.0, "QN00102M": 20.0}, check=_expect(header_row=4, value_column="Montant")),
    Case("manquants_avec_raison", "secret.csv",
         lambda: text_file(["code;valeur", "QN00101M;", "QN00102M;s", "QN00103M;nd", "QN00104M;NC",
                            "QN00105I;secret", "QN02A01M;4,5"]),
         {"QN00101M": "non_renseigne", "QN00102M": "secret_statistique", "QN00103M": "secret_statistique",
          "QN00104M": "secret_statistique", "QN00105I": "secret_statistique", "QN02A01M": 4.5}),
    Case("doublon_meme_valeur", "doublon.csv",
         lambda: text_file(["code;valeur", "QN00101M;5", "QN00102M;6", "QN00101M;5,0"]),
         {"QN00101M": 5.0, "QN00102M": 6.0}, warns=("QN00101M (lignes 2 et 4)",)),
    Case("code_inconnu", "inconnu.csv", lambda: text_file(["code;valeur", "QN00101M;5", "QN99901Z;6"]),
         {"QN00101M": 5.0}, warns=("1 code inconnu de la liste des QPV 2024 est écarté : QN99901Z (ligne 3)",),
         check=_expect(unknown_codes=("QN99901Z",))),
    Case("autre_generation", "mixte.csv",
         lambda: text_file(["code;valeur", "QN00101M;5", "QN00102M;6", "QP001001;7", "QN00103M;8"]),
         {"QN00101M": 5.0, "QN00102M": 6.0, "QN00103M": 8.0},
         warns=("1 code de QPV 2015 dans un fichier de QPV 2024",),
         check=_expect(other_generation_codes=("QP001001",))),
    Case("trois_codes_2015", "mixte3.csv",
         lambda: text_file(["code;valeur"] + [f"QN0010{i}M;{i}" for i in range(1, 5)]
                           + ["QP001001;1", "QP001002;2", "QP001003;3"]),
         {f"QN0010{i}M": float(i) for i in range(1, 5)}, warns=("3 codes de QPV 2015 dans un fichier de QPV 2024",)),
    Case("minuscules_et_espaces", "saisie.csv",
         lambda: text_file(["code ;valeur", "  qn00101m ; 5 ", "Qn 001 02 m;6", "\tQN00103M\t;7"], sep=";"),
         {"QN00101M": 5.0, "QN00102M": 6.0, "QN00103M": 7.0}),
    Case("qpv_2015", "ancien.csv", lambda: text_file(["CODE_QP;POP", "QP001001;1200", "qp001002;800"]),
         {"QP001001": 1200.0, "QP001002": 800.0}, generation=2015),
    Case("corse_outre_mer", "dom.csv", lambda: text_file(["code;valeur", "QN02A01M;1", "QN97611N;2"]),
         {"QN02A01M": 1.0, "QN97611N": 2.0}),
    Case("colonne_choisie_par_nom", "multi.csv",
         lambda: text_file(["code;Logements;Impayés", "QN00101M;120;12", "QN00102M;80;4"]),
         {"QN00101M": 12.0, "QN00102M": 4.0}, options={"value_column": "impayes"}),
    Case("colonne_choisie_par_lettre", "multi2.csv",
         lambda: text_file(["code;Logements;Impayés", "QN00101M;120;12", "QN00102M;80;4"]),
         {"QN00101M": 120.0, "QN00102M": 80.0}, options={"value_column": "B"}),
    Case("colonne_identifiant_ecartee", "communes.csv",
         lambda: text_file(["Code commune;Code QPV;Année;Nombre", "13055;QN13055M;2023;17", "01053;QN00101M;2023;4"]),
         {"QN13055M": 17.0, "QN00101M": 4.0}, check=_expect(value_column="Nombre")),
    Case("lignes_total_et_notes", "total.csv",
         lambda: text_file(["code;valeur", "QN00101M;5", "QN00102M;6", "Total;11", "", "Source : bailleur X;"]),
         {"QN00101M": 5.0, "QN00102M": 6.0},
         warns=("2 lignes sans code de QPV sont ignorées", "ligne 4 (« Total »)")),
    Case("entete_insee_bourre_crlf", "insee.csv",
         lambda: text_file(["CODGEO;LIBGEO;TX_POV" + ";" * 300, "QN00101M;Q1;21,4", "QN00102M;Q2;33"], newline="\r\n"),
         {"QN00101M": 21.4, "QN00102M": 33.0}),
    Case("virgule_decimale_entre_guillemets", "guillemets.csv",
         lambda: b'code,valeur\nQN00101M,"12,5"\nQN00102M,"3"\n', {"QN00101M": 12.5, "QN00102M": 3.0}),
    Case("effectif_censure", "caf.csv", lambda: text_file(["code;allocataires", "QN00101M;<5", "QN00102M;12"]),
         {"QN00101M": "secret_statistique", "QN00102M": 12.0}, warns=("« < N »",)),
    Case("marques_decimales_melangees", "rpls.csv", lambda: text_file(["code;part", "QN00101M;12.5", "QN00102M;7,25"]),
         {"QN00101M": 12.5, "QN00102M": 7.25}),
    Case("negatifs", "evolution.csv", lambda: text_file(["code;évolution", "QN00101M;-1,5", "QN00102M;\u22122"]),
         {"QN00101M": -1.5, "QN00102M": -2.0}),
    Case("sans_entete", "brut.csv", lambda: text_file(["QN00101M;5", "QN00102M;6"]),
         {"QN00101M": 5.0, "QN00102M": 6.0}, check=_expect(header_row=None, value_column="colonne B")),
    Case("xlsx_simple", "simple.xlsx",
         lambda: xlsx({"Feuille1": [["Code QPV", "Valeur"], ["QN00101M", 12.5], ["QN00102M", 3]]}),
         {"QN00101M": 12.5, "QN00102M": 3.0}, check=_expect(file_format="xlsx", sheet="Feuille1")),
    Case("xlsx_deuxieme_feuille", "classeur.xlsx",
         lambda: xlsx({"Notes": [["Lisez-moi"], ["Données 2023 du CCAS"]],
                       "Données": [["Impayés 2023"], [], ["Code", "Nombre"], ["QN00101M", 4], ["QN00103M", 9]]}),
         {"QN00101M": 4.0, "QN00103M": 9.0}, warns=("feuille « Données » (2e feuille",),
         check=_expect(sheet="Données", header_row=3)),
    Case("xlsx_format_pourcentage", "pct.xlsx",
         lambda: xlsx({"T": [["code", "taux"], ["QN00101M", 0.125], ["QN00102M", 0.07]]},
                      formats={"T!B2": "0.0%", "T!B3": "0%"}),
         {"QN00101M": 12.5, "QN00102M": 7.0}, warns=("2 valeurs sur 2 sont au format pourcentage",),
         check=_expect(unit_hints=("%",))),
    Case("xlsx_texte_et_secret", "mix.xlsx",
         lambda: xlsx({"F": [["code", "valeur"], ["qn00101m ", "1 234,5"], ["QN00102M", "s"], ["QN00103M", None]]}),
         {"QN00101M": 1234.5, "QN00102M": "secret_statistique", "QN00103M": "non_renseigne"}),
    Case("xlsx_formule_avec_valeur", "formule.xlsx", lambda: with_cached_formula("2.5"),
         {"QN00101M": 2.5, "QN00102M": 3.0}),
    Case("ligne_total_avant_les_donnees", "total_haut.csv",
         lambda: text_file(["Code;Valeur", "Total commune;1234", "QN00101M;5", "QN00102M;6"]),
         {"QN00101M": 5.0, "QN00102M": 6.0}, warns=("ligne 2 (« Total commune »)",), check=_expect(header_row=1)),
    Case("premiere_ligne_sans_code", "trou.csv",
         lambda: text_file(["Quartier;Code;Valeur", "Les Pins;;5", "Cité;QN00101M;7"]),
         {"QN00101M": 7.0}, warns=("ligne 2 (« Les Pins »)",), check=_expect(header_row=1, value_column="Valeur")),
    Case("ligne_sep_excel", "sep.csv", lambda: text_file(["sep=;", "Code;Valeur", "QN00101M;5"]),
         {"QN00101M": 5.0}, check=_expect(header_row=2)),
    Case("annees_en_entete", "annees.csv", lambda: text_file(["Code;2022;2023", "QN00101M;5;6", "QN00102M;7;8"]),
         {"QN00101M": 6.0, "QN00102M": 8.0}, options={"value_column": "2023"}),
    Case("deux_colonnes_de_codes", "correspondance.csv",
         lambda: text_file(["QP2024;QP2015;Valeur", "QN00101M;QP001001;5", "QN00102M;QP001002;6"]),
         {"QN00101M": 5.0, "QN00102M": 6.0}, warns=("La colonne B (« QP2015 ») contient aussi des codes de QPV",)),
    Case("deux_colonnes_de_codes_choix_2015", "correspondance2.csv",
         lambda: text_file(["QP2024;QP2015;Valeur", "QN00101M;QP001001;5", "QN00102M;QP001002;6"]),
         {"QP001001": 5.0, "QP001002": 6.0}, generation=2015, options={"code_column": "QP2015"}),
    Case("na_excel_non_renseigne", "na.csv", lambda: text_file(["code;valeur", "QN00101M;#N/A", "QN00102M;2"]),
         {"QN00101M": "non_renseigne", "QN00102M": 2.0}),
    Case("xlsx_comme_excel", "excel.xlsx", excel_style_xlsx, {"QN00101M": 12.5, "QN00102M": 25.0},
         warns=("2 valeurs sur 2 sont au format pourcentage d'Excel",),
         check=_expect(sheet="Taux 2023", header_row=3, unit_hints=("%",))),
    Case("xlsx_nomme_csv", "vraiment.csv",
         lambda: xlsx({"F": [["code", "valeur"], ["QN00101M", 1], ["QN00102M", 2]]}),
         {"QN00101M": 1.0, "QN00102M": 2.0}, check=_expect(file_format="xlsx")),
]


REFUSED = [
    Case("vide", "vide.csv", lambda: b"", refused="Le fichier est vide."),
    Case("bom_et_blancs", "blanc.csv", lambda: b"\xef\xbb\xbf \r\n\r\n", refused="Le fichier est vide."),
    Case("entete_seule", "entete.csv", lambda: text_file(["Code QPV;Valeur"]), refused="qu'une ligne d'en-tête"),
    Case("texte_libre", "lettre.txt",
         lambda: "Madame, Monsieur,\nVeuillez trouver ci-joint le bilan.\nCordialement.\n".encode("cp1252"),
         refused="ne ressemble pas à un tableau"),
    Case("image_png", "photo.png", lambda: PNG, refused="image PNG"),
    Case("pdf", "rapport.pdf", lambda: PDF, refused="document PDF"),
    Case("octets_aleatoires", "donnees.csv", lambda: JUNK, refused="binaire"),
    Case("pas_de_colonne_de_codes", "communes.csv", lambda: text_file(["commune;valeur", "13055;4", "01053;5"]),
         refused="Aucune colonne ne contient de codes de QPV"),
    Case("bombe_zip", "bombe.xlsx", zip_bomb, refused="refusé par sécurité"),
    Case("trop_d_elements_zip", "elements.xlsx", many_entries, refused=f"1{NNBSP}209 éléments internes"),
    Case("macros_vba", "macro.xlsx", macro_workbook, refused="contient des macros"),
    Case("type_macro_xlsm", "macro2.xlsx", macro_content_type, refused="avec macros"),
    Case("doctype_xml", "entites.xlsx", doctype_workbook, refused="DOCTYPE"),
    Case("extension_xls", "ancien.xls", lambda: text_file(BASIC), refused="enregistrez-le au format .xlsx ou .csv"),
    Case("extension_xlsm", "macro.xlsm", lambda: xlsx({"F": [["code", "v"], ["QN00101M", 1]]}), refused="(.xlsm)"),
    Case("extension_xlsb", "binaire.xlsb", lambda: b"PK\x03\x04", refused="(.xlsb)"),
    Case("extension_ods", "libre.ods", ods_like, refused="(.ods)"),
    Case("contenu_ods", "libre.xlsx", ods_like, refused="OpenDocument"),
    Case("contenu_ole2_xls", "renomme.xlsx", lambda: OLE2, refused="Excel 97-2003"),
    Case("archive_zip_simple", "archive.xlsx", plain_zip, refused="n'est pas un classeur Excel"),
    Case("xlsx_tronque", "casse.xlsx", lambda: xlsx({"F": [["code", "v"], ["QN00101M", 1]]})[:700],
         refused="endommagé"),
    Case("page_html", "export.csv", lambda: b"<!DOCTYPE html><html><body><table><tr><td>QN00101M</td></tr></table>",
         refused="page web"),
    Case("plus_de_20_mo", "gros.csv", lambda: b"code;valeur\n" + b"QN00101M;1\n" * (MAX_BYTES // 11 + 10),
         refused="la limite est de 20 Mo"),
    Case("plus_de_200_colonnes_csv", "large.csv",
         lambda: text_file([";".join(["code"] + [f"c{i}" for i in range(205)]),
                            ";".join(["QN00101M"] + ["1"] * 205)]), refused="plus de 200 colonnes", row=1, column="GS"),
    Case("plus_de_200_colonnes_xlsx", "large.xlsx",
         lambda: xlsx({"F": [["code"] + [f"c{i}" for i in range(205)], ["QN00101M"] + [1] * 205]}),
         refused="plus de 200 colonnes", row=1, column="GS"),
    Case("cellule_trop_longue_csv", "long.csv",
         lambda: text_file(["code;valeur;commentaire", "QN00101M;1;ok", "QN00102M;2;" + "x" * 10_001]),
         refused=f"10{NNBSP}001 caractères", row=3, column="C"),
    Case("cellule_trop_longue_xlsx", "long.xlsx",
         lambda: xlsx({"F": [["code", "valeur"], ["QN00101M", 1], ["QN00102M", "y" * 10_500]]}),
         refused=f"10{NNBSP}500 caractères", row=3, column="B"),
    Case("aucune_valeur_utilisable", "secret.csv", lambda: text_file(["code;valeur", "QN00101M;s", "QN00102M;"]),
         refused="aucune valeur utilisable", column="B"),
    Case("valeur_non_numerique", "faute.csv",
         lambda: text_file(["Titre", "code;valeur", "QN00101M;4", "QN00102M;12 abc", "QN00103M;5"]),
         refused="« 12 abc » n'est pas un nombre", row=4, column="B"),
    Case("doublon_valeurs_differentes", "doublon.csv",
         lambda: text_file(["code;valeur", "QN00101M;5", "QN00102M;6", "QN00101M;7"]),
         refused="ligne 2 (« 5 ») et ligne 4 (« 7 »)", row=4, column="B"),
    Case("plusieurs_colonnes_numeriques", "multi.csv",
         lambda: text_file(["code;Logements;Impayés", "QN00101M;120;12", "QN00102M;80;4"]),
         refused="B (« Logements ») et C (« Impayés »)"),
    Case("xlsx_formule_sans_valeur", "formule.xlsx",
         lambda: xlsx({"F": [["code", "valeur"], ["QN00101M", 1], ["QN00102M", "=B2*2"]]}),
         refused="formule dont le résultat n'est pas enregistré", row=3, column="B"),
    Case("xlsx_erreur_formule", "erreur.xlsx", lambda: with_cached_formula("#DIV/0!", error=True),
         refused="erreur de formule Excel (#DIV/0!)", row=2, column="B"),
    Case("csv_erreur_excel", "erreur.csv", lambda: text_file(["code;valeur", "QN00101M;#VALEUR!"]),
         refused="erreur de formule Excel", row=2, column="B"),
    Case("virgule_decimale_non_protegee", "virgules.csv",
         lambda: text_file(["code,valeur", "QN00101M,12,5", "QN00102M,13"], sep=","),
         refused="dans une colonne sans titre", row=2, column="C"),
    Case("seulement_codes_inconnus", "inconnus.csv", lambda: text_file(["code;valeur", "QN99901Z;1", "QN99902Z;2"]),
         refused="Aucun des 2 codes du fichier n'est un QPV 2024 connu"),
    Case("colonne_demandee_absente", "simple.csv", lambda: text_file(BASIC), options={"value_column": "Montant"},
         refused="La colonne « Montant » (--colonne) n'existe pas"),
    Case("codes_mal_formes", "typo.csv", lambda: text_file(["code;valeur", "QN0010M;1", "QN0020M;2"]),
         refused="« QN0010M » ressemble à un code de QPV", row=2, column="A"),
    Case("guillemet_non_ferme", "guillemet.csv",
         lambda: text_file(["code;libellé;valeur", 'QN00101M;"Les Pins;4', "QN00102M;B;5"]),
         refused="guillemet", row=2),
    Case("xlsx_date_en_valeur", "date.xlsx",
         lambda: xlsx({"F": [["code", "valeur"], ["QN00101M", 3],
                             ["QN00102M", pd.Timestamp("2024-01-15").to_pydatetime()]]}),
         refused="date ou une durée (15/01/2024)", row=3, column="B"),
    Case("generations_a_egalite", "moitie.csv", lambda: text_file(["code;valeur", "QN00101M;1", "QP001001;2"]),
         refused="autant de codes de QPV 2024"),
    Case("conventions_de_nombres_melangees", "conv.csv",
         lambda: text_file(["code;valeur", "QN00101M;1.234,5", "QN00102M;1,234.5"]),
         refused="mélange deux façons d'écrire les nombres", row=3, column="B"),
    Case("que_du_texte_en_valeur", "texte.csv", lambda: text_file(["code;quartier", "QN00101M;Les Pins"]),
         refused="aucune colonne de nombres"),
    Case("classeur_vide", "vide.xlsx", lambda: xlsx({"F": []}), refused="Le classeur est vide."),
    Case("xlsx_codes_par_formule_sans_valeur", "codes.xlsx",
         lambda: xlsx({"F": [["code", "valeur"], ['="QN00"&"101M"', 1], ['="QN00"&"102M"', 2]]}),
         refused="formule dont le résultat n'est pas enregistré", row=2, column="A"),
    Case("trop_de_lignes", "long.csv", lambda: b"code;valeur\n" + b"QN00101M;1\n" * 101_500,
         refused="plus de 100"),
    Case("colonne_demandee_vide", "vide_col.csv", lambda: text_file(["code;valeur;note", "QN00101M;1;"]),
         options={"value_column": "note"}, refused="la colonne choisie est vide", column="C"),
]

CORPUS = GOOD + REFUSED
