"""The workshop (Mode atelier): its sequences of slides, and what each slide can honestly show here.

Two sequences: **habitants** (residents: heat, cool places, housing, risks, and an open slide — never a poverty
map nor a ranking) and **partenaires** (the partners of the contrat de ville, who may see poverty and energy
precarity maps). Each theme lists the layers that could illustrate it, finest first; :func:`slide` keeps the first
one whose map **differs between the places shown** (at least two classes among the quartiers, or among the zones
around them) and otherwise says, in one sentence, why there is no map (« même valeur pour tous les quartiers du
territoire : 8 km de résolution ») — the question stays.

Frames in, frames out: no Streamlit, no drawing. The pages draw the slide on a Leaflet map
(``geodata.webmap``, ``geodata.workshop_map``, ``geodata.labels``), the posters on paper (``reports.posters``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

import settings
from assembly import layers
from assembly.territory_table import reason_column, territory_table
from core import reasons
from core.errors import BadArgumentError, SourceMissingError
from core.formats import format_number, format_value, plural
from core.workshop import THEMES as NOTE_THEMES
from geodata import classes, territories, webmap, workshop_map
from geodata.territories import COUNTRY, Territory
from indicators import catalogue
from indicators.catalogue import Indicator
from sources import store

#: Sequences of slides (id → French label).
SEQUENCES = {"habitants": "Habitants", "partenaires": "Partenaires"}
#: Slide kinds: a choropleth of the quartiers, zones coloured by class (IRIS, communes), a plain plan.
VALUES, ZONES, PLAN = "valeurs", "zones", "plan"
#: Layer ids besides indicator ids: the heat classes of the local climate zones by IRIS.
LCZ = "lcz"
#: Words that never appear on a residents' slide (checked by the tests on the rendered page).
RESIDENTS_FORBIDDEN = ("rang", "rangs", "classement", "palmarès", "pauvreté", "pauvre", "pauvres", "précarité",
                       "précaire", "précaires", "score", "scores", "centile", "vulnérabilité", "défavorisé", "défavorisés")
#: Contours of the quartiers (both generations).
CONTOUR_PUBLISHER = "ANCT"
#: Margin around the quartiers within which the zones of the local climate zones are drawn (metres).
LCZ_MARGIN_M = 800.0


@dataclass(frozen=True)
class Theme:
    """One slide of a sequence: its question, its prompts, and the layers that could illustrate it."""

    id: str
    title: str
    question: str
    prompts: tuple[str, ...]
    note_theme: str
    #: Candidate layers, finest first: ``LCZ``, an indicator id, ``communes:<id>`` (context of each commune).
    layers: tuple[str, ...] = ()
    #: Said when none of the layers can be shown (no data at all).
    no_data: str = ""
    #: Said whenever the slide has no map (its layers exist but do not differ, or are missing).
    no_map: str = ""
    #: Said under the question whatever the data.
    lead: str = ""


RESIDENTS: tuple[Theme, ...] = (
    Theme("quartier", "Le quartier", "Où se passe votre vie de tous les jours ?",
          ("Montrez sur le plan votre rue, l'école, les commerces, les lieux où vous passez.",
           "Quels chemins prenez-vous à pied, et à quelle heure ?"),
          note_theme="ce_que_vous_vivez",
          lead="Ensuite : la chaleur, les lieux pour se rafraîchir, le logement, les risques, et ce que vous vivez. "
               "Les cartes décrivent des lieux et des bâtiments, pas les personnes qui y vivent."),
    Theme("chaleur", "Chaleur", "Où avez-vous trop chaud l'été, dehors et chez vous ?",
          ("Quelles rues, places ou cours sont brûlantes l'après-midi ?",
           "À quel moment de la journée, ou de la nuit, est-ce le plus dur ?",
           "Qu'est-ce qui aiderait tout de suite : de l'ombre, de l'eau, des lieux ouverts ?"),
          note_theme="chaleur", layers=(LCZ, "part_surface_chaleur_forte", "jours_sup_35"),
          no_map="Aucune carte fine de la chaleur n'est disponible pour ces quartiers dans l'outil."),
    Theme("se_rafraichir", "Se rafraîchir", "Où allez-vous pour vous rafraîchir ?",
          ("Un parc, un arbre, une fontaine, un lieu frais ouvert à tous ?",
           "Qu'est-ce qui manque : des bancs, de l'ombre, des points d'eau, des horaires plus larges ?",
           "Ces lieux sont-ils faciles d'accès pour les enfants et les personnes âgées ?"),
          note_theme="se_rafraichir",
          no_data="Pas de carte des espaces verts, de l'ombre ou des lieux frais dans l'outil hors ligne : c'est au "
                  "groupe de les placer sur le plan."),
    Theme("logement_energie", "Logement et énergie",
          "Votre logement vous protège-t-il du froid l'hiver et de la chaleur l'été ?",
          ("Fenêtres, volets, chauffage, humidité : qu'est-ce qui ne va pas ?",
           "À qui vous adressez-vous quand il y a un problème, et êtes-vous écouté ?",
           "Quelles aides connaissez-vous pour les travaux ou les factures ?"),
          note_theme="logement_energie", layers=("part_dpe_fg", "part_logsoc_avant_1976"),
          no_data="Pas de donnée sur les logements de ces quartiers dans l'outil."),
    Theme("risques", "Risques", "Inondations, orages, accidents : qu'avez-vous déjà vécu ici ?",
          ("Savez-vous quoi faire et où aller en cas d'alerte ?",
           "Qui prévient les habitants, et comment ?",
           "Qu'est-ce qui vous rassurerait ?"),
          note_theme="risques",
          layers=("communes:nb_risques_inondation", "communes:nb_risques_naturels", "communes:nb_risques_technologiques"),
          no_data="Pas de donnée sur les risques de ces communes dans l'outil.",
          lead="Les risques sont recensés commune par commune : c'est le contexte de la commune, pas celui d'une rue."),
    Theme("ce_que_vous_vivez", "Ce que vous vivez", "Et vous, qu'est-ce que vous vivez ici ?",
          ("Qu'est-ce qui est bien dans le quartier, et qu'il faut garder ?",
           "Qu'est-ce qui est difficile au quotidien ?",
           "Qu'est-ce qui pourrait changer, tout de suite et plus tard ?"),
          note_theme="ce_que_vous_vivez",
          lead="Ici, pas de chiffres : la parole est au groupe. Ce qui est dit est noté, tel quel, sans nom."),
)

PARTNERS: tuple[Theme, ...] = (
    Theme("quartier", "Les quartiers", "Quels lieux des quartiers chacun connaît-il ?",
          ("Qui intervient où : bailleurs, services, associations ?",),
          note_theme="autre",
          lead="Cartes de conditions de vie et d'expositions : elles décrivent des lieux, pas des personnes."),
    Theme("chaleur", "Chaleur", "Quels lieux faut-il adapter à la chaleur en premier ?",
          ("Cours d'école, places, arrêts de bus, logements sous les toits : qu'est-ce qui est déjà prévu ?",
           "Qui finance, qui porte, avec quel calendrier ?"),
          note_theme="chaleur", layers=(LCZ, "part_surface_chaleur_forte", "jours_sup_35", "nuits_tropicales"),
          no_data="Aucune donnée de chaleur pour ces quartiers dans l'outil."),
    Theme("logement_energie", "Logement et énergie", "Où les logements protègent-ils mal du froid et du chaud ?",
          ("Quelles rénovations sont engagées, par quels bailleurs ?",
           "Comment repérer les ménages qui se privent de chauffage ?"),
          note_theme="logement_energie",
          layers=("part_precarite_energetique", "part_dpe_fg", "part_logsoc_avant_1976"),
          no_data="Pas de donnée sur les logements de ces quartiers dans l'outil."),
    Theme("revenus", "Revenus", "Comment les dépenses d'énergie et d'eau pèsent-elles sur les budgets ?",
          ("Quelles aides sont connues, lesquelles sont demandées ?",
           "Où orienter les ménages : CCAS, espaces France services, associations ?"),
          note_theme="autre", layers=("taux_pauvrete", "revenu_median", "part_allocataires_apl"),
          no_data="Pas de donnée de revenus pour ces quartiers dans l'outil."),
    Theme("risques", "Risques", "Les habitants savent-ils quoi faire en cas d'alerte ?",
          ("Plan communal de sauvegarde, exercices, information des nouveaux arrivants ?",),
          note_theme="risques",
          layers=("communes:nb_risques_naturels", "communes:nb_risques_inondation", "communes:nb_risques_technologiques",
                  "communes:nb_arretes_catnat"),
          no_data="Pas de donnée sur les risques de ces communes dans l'outil.",
          lead="Données communales (Géorisques) : le contexte de la commune, pas celui du quartier."),
    Theme("ce_que_vous_vivez", "Ce que disent les habitants", "Qu'ont dit les habitants, et qu'en fait-on ?",
          ("Qu'est-ce qui peut changer tout de suite ?", "Qu'est-ce qui relève du contrat de ville ?"),
          note_theme="ce_que_vous_vivez"),
)

SEQUENCE_THEMES: dict[str, tuple[Theme, ...]] = {"habitants": RESIDENTS, "partenaires": PARTNERS}


@dataclass
class Slide:
    """What one slide shows for a territory: a map (or a plan) and the sentences that go with it."""

    theme: Theme
    number: int
    total: int
    sequence: str
    generation: int
    kind: str
    #: Quartiers shown (EPSG:4326): ``code_qp``, ``lib_qp``, ``lib_com``, ``couleur`` (class colour, for print),
    #: plus the indicator's value columns for a ``VALUES`` slide (what ``webmap.choropleth_map`` reads).
    qpv: gpd.GeoDataFrame
    #: Commune outlines (EPSG:4326) and the communes to name (``insee_com``).
    communes: gpd.GeoDataFrame
    named_communes: list[str]
    indicator: Indicator | None = None
    #: ``ZONES``: polygons with ``couleur`` and ``libelle`` (EPSG:4326).
    zones: gpd.GeoDataFrame | None = None
    legend_title: str = ""
    #: (label, colour) of each class, light to dark, then « Non disponible » when some value is missing.
    legend: list[tuple[str, str]] = field(default_factory=list)
    legend_details: str = ""
    #: Sentences about the data (why there is no map, what the map is and is not).
    sentences: list[str] = field(default_factory=list)
    source: str = ""
    vintage: str = ""

    @property
    def counter(self) -> str:
        return f"{self.number} / {self.total}"

    @property
    def has_map(self) -> bool:
        return self.kind in (VALUES, ZONES)

    @property
    def source_line(self) -> str:
        data = f"Données : {self.source}" + (f" ({self.vintage})" if self.vintage else "") + ". " if self.source else ""
        return f"{data}Contours des quartiers : {CONTOUR_PUBLISHER} (QPV {self.generation}). Réalisation : ecoqpv."

    @property
    def texts(self) -> list[str]:
        """Every sentence the slide shows (for the checks of the residents' words)."""
        legend = [label for label, _ in self.legend]
        return [self.theme.title, self.theme.question, *self.theme.prompts, self.theme.lead, *self.sentences,
                self.legend_title, *legend, self.legend_details, self.source_line]


def sequence_themes(sequence: str) -> tuple[Theme, ...]:
    if sequence not in SEQUENCE_THEMES:
        raise BadArgumentError(f"Séquence « {sequence} » inconnue : choisir parmi {', '.join(SEQUENCE_THEMES)}.")
    return SEQUENCE_THEMES[sequence]


# --- scope: which territory and which quartiers a workshop shows ------------------------------------------------


def workshop_scope(territory: Territory) -> tuple[Territory, str | None]:
    """The territory whose quartiers the slides show, and the quartier chosen at first.

    A quartier alone (``QPV:CODE``) is shown among the quartiers of its commune, zoomed on; France as a whole is
    too large for a room (French ``BadArgumentError``).
    """
    if territory.kind == COUNTRY:
        raise BadArgumentError("Un atelier se prépare pour une commune, un EPCI, un département ou une région, pas "
                               "pour la France entière : choisissez un territoire plus petit.")
    if territory.kind == "QPV":
        registry = store.table("qpv").set_index("code_qp")
        commune = str(registry.at[territory.code, "insee_com"])
        return territories.resolve("COM", commune), territory.code
    return territory, None


def _generation(table: pd.DataFrame) -> int:
    generations = layers.contour_generations(table)
    if table.empty or not generations:
        raise BadArgumentError("Aucun quartier de ce territoire n'a de contour disponible pour une carte d'atelier : "
                               "choisissez un autre territoire, ou mettez celui-ci à jour (page Données et sources).")
    return generations[0]


def quartiers(territory: Territory) -> pd.DataFrame:
    """The quartiers a workshop of ``territory`` shows (the most recent generation with contours):
    ``code_qp``, ``lib_qp``, ``lib_com``, in alphabetical order."""
    table = territory_table(territory, with_scores=False)
    generation = _generation(table)
    rows = table[(table["generation"].astype(int) == generation) & table["a_contour"].astype(bool)]
    rows = rows[["code_qp", "lib_qp", "lib_com"]].copy()
    return rows.sort_values(["lib_qp", "code_qp"], key=lambda s: s.astype(str).str.casefold()).reset_index(drop=True)


# --- does a layer differ between the places shown? -------------------------------------------------------------

#: Outcomes of a layer for a slide: drawn, known but alike everywhere, unknown.
SHOWN, SAME, MISSING = "montree", "identique", "absente"
#: Commune context in words (singular, plural), for the sentence of a slide whose communes all have the same value.
COMMUNE_WORDS = {
    "nb_risques_naturels": ("type de risque naturel", "types de risques naturels"),
    "nb_risques_inondation": ("type de risque d'inondation", "types de risques d'inondation"),
    "nb_risques_technologiques": ("type de risque technologique", "types de risques technologiques"),
    "nb_arretes_catnat": ("arrêté de catastrophe naturelle", "arrêtés de catastrophe naturelle"),
}
#: Units read in the singular below 2 (« 1 type », « 1,5 jour »), as French writes them.
_PLURAL_UNITS = ("types", "jours", "nuits", "arrêtés", "habitants", "personnes")


def variation(values: pd.Series | list, decimals: int) -> str:
    """``"aucune"`` (nothing known), ``"une"`` (one class: every value shown alike, or a single place) or
    ``"varie"`` (at least two classes on the legend, with the classes of the interactive map)."""
    series = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").dropna()
    if series.empty:
        return "aucune"
    if len(series) < 2:
        return "une"
    return "varie" if len(classes.shown_breaks(series, decimals)) >= 3 else "une"


def amount(value: object, ind: Indicator) -> str:
    """A value with its unit, the unit in the singular below 2 (« 1 type », « 3 types »)."""
    text = format_value(value, ind.unit, ind.decimals)
    if ind.unit in _PLURAL_UNITS and abs(float(value)) < 2:
        text = text[: -len(ind.unit)] + ind.unit[:-1]
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_SHORT_AFTER_HYPHEN = re.compile(r"(?<=\w)-(?=\w{1,5}\b)")


def typeset(text: str) -> str:
    """French typography for a text shown large: the space before « ? ! : ; » does not break (no lone « ? »
    at the start of a line), nor a hyphen before a short word (« protège-t-il », « après-midi »: a word joiner)."""
    for mark in ("?", "!", ":", ";"):
        text = text.replace(f" {mark}", f"\u00a0{mark}")
    return _SHORT_AFTER_HYPHEN.sub("-\u2060", text)


def commune_words(value: float, ind: Indicator) -> str:
    """« 5 types de risques naturels », « 1 type de risque d'inondation », « aucun arrêté de catastrophe naturelle »."""
    one, many = COMMUNE_WORDS.get(ind.id, (ind.label.lower(), ind.label.lower()))
    if ind.id not in COMMUNE_WORDS:
        return f"{_lower_first(ind.label)} : {amount(value, ind)}"
    if round(float(value)) == 0:
        return f"aucun {one}"
    return f"{format_number(value, ind.decimals)}\u00a0{one if abs(float(value)) < 2 else many}"


def _same_value_sentence(values: pd.Series, ind: Indicator, resolution: str) -> str:
    known = pd.to_numeric(values, errors="coerce").dropna()
    low, high = round(float(known.min()), ind.decimals), round(float(known.max()), ind.decimals)
    if low == high:
        return (f"Même valeur pour tous les quartiers du territoire : {resolution} ({_lower_first(ind.label)} : "
                f"{amount(low, ind)}).")
    spread = f"de {format_number(low, ind.decimals)} à {amount(high, ind)}"
    return (f"Valeurs presque identiques pour tous les quartiers du territoire ({spread}) : {resolution} ; une carte "
            "ne les distinguerait pas.")


def _missing_sentence(rows: pd.DataFrame, ind: Indicator) -> str:
    column = reason_column(ind.id)
    reason = rows[column].dropna().mode() if column in rows else pd.Series(dtype=object)
    why = reasons.missing_label(reason.iloc[0]) if len(reason) else "donnée manquante"
    return f"{ind.label} : pas de valeur pour ces quartiers ({_lower_first(why)})."


# --- the layers --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _lcz_zones(territory_key: str, generation: int, data_version: tuple) -> gpd.GeoDataFrame:
    """IRIS of the bundled local climate zones within ``LCZ_MARGIN_M`` of the quartiers, simplified for the web."""
    territory = territories.resolve_key(territory_key)
    empty = gpd.GeoDataFrame({"heat_score": [], "nom_iris": []}, geometry=[], crs=settings.DISPLAY_CRS)
    try:
        lcz = store.table("lcz_iris")
    except SourceMissingError:
        return empty
    shapes = layers.qpv_layer(territory, generation, catalogue.CATALOGUE[0].id)
    shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty]
    if shapes.empty or lcz.empty:
        return empty
    area = shapes.to_crs(lcz.crs).geometry.buffer(LCZ_MARGIN_M).union_all()
    near = lcz[lcz.geometry.intersects(area) & lcz["heat_score"].notna()]
    if near.empty:
        return empty
    near = gpd.GeoDataFrame(near[["code_iris", "nom_iris", "heat_score"]].reset_index(drop=True),
                            geometry=near.geometry.reset_index(drop=True), crs=lcz.crs)
    return webmap.simplify_for_web(near, tolerance_m=5.0, decimals=5)


def _qpv_shapes(territory: Territory, generation: int, table: pd.DataFrame, indicator_id: str) -> gpd.GeoDataFrame:
    shapes = layers.qpv_layer(territory, generation, indicator_id, table)
    shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty].reset_index(drop=True)
    codes = table.drop_duplicates("code_qp").set_index("code_qp")["insee_com"]
    shapes["insee_com"] = shapes["code_qp"].map(codes)
    return shapes


def _value_colours(values: pd.Series, decimals: int) -> tuple[list[str], list[float]]:
    """Class colour of each value, with the breaks and palette of the interactive map (``geodata.classes``)."""
    breaks = classes.shown_breaks(values, decimals)
    palette = classes.palette(breaks)
    colours = []
    for value in values:
        index = classes.class_index(value, breaks)
        colours.append(classes.MISSING_COLOR if index is None else palette[min(index, len(palette) - 1)])
    return colours, breaks


def _legend(breaks: list[float], ind: Indicator, any_missing: bool) -> list[tuple[str, str]]:
    entries = list(zip(classes.class_labels(breaks, ind.unit, ind.decimals), classes.palette(breaks), strict=True))
    if any_missing:
        entries.append(("Non disponible", classes.MISSING_COLOR))
    return entries


def _sources(rows: pd.DataFrame, ind: Indicator) -> tuple[str, str]:
    """(source, vintage) of the values shown, as the value table gives them (the catalogue's when absent)."""
    source_col, vintage_col = f"{ind.id}{webmap.SOURCE_SUFFIX}", f"{ind.id}{webmap.VINTAGE_SUFFIX}"
    known = rows[rows[ind.id].notna()] if ind.id in rows else rows.iloc[0:0]
    sources = list(dict.fromkeys(str(s) for s in known.get(source_col, pd.Series(dtype=object)).dropna() if str(s)))
    vintages = list(dict.fromkeys(str(v) for v in known.get(vintage_col, pd.Series(dtype=object)).dropna() if str(v)))
    return (" ; ".join(sources) or ind.source), (" ; ".join(vintages) or ind.vintage)


def _try_lcz(slide: Slide, territory: Territory) -> tuple[str, list[str]]:
    zones = _lcz_zones(territory.key, slide.generation, store.version())
    if zones.empty:
        return MISSING, ["Pas de carte des zones climatiques locales pour ces quartiers dans l'outil."]
    present = [c for c in workshop_map.HEAT_CLASSES if c in set(zones["heat_score"])]
    if len(present) < 2:
        return SAME, ["Même classe de chaleur pour tous les quartiers du territoire et leurs abords : une carte ne les "
                      "distinguerait pas."]
    zones = zones.copy()
    zones["couleur"] = zones["heat_score"].map(lambda c: workshop_map.HEAT_CLASSES[c][1])
    zones["libelle"] = zones["nom_iris"].fillna("").astype(str) + " : chaleur " + zones["heat_score"].map(
        lambda c: workshop_map.HEAT_CLASSES[c][0].split(" :")[0].lower())
    slide.kind, slide.zones = ZONES, zones
    slide.legend_title = "Chaleur à attendre l'été, selon la forme de la ville"
    slide.legend = [(workshop_map.HEAT_CLASSES[c][0], workshop_map.HEAT_CLASSES[c][1]) for c in present]
    slide.legend_details = "Par IRIS, autour des quartiers."
    slide.source = ("Cerema, zones climatiques locales (LCZ), regroupées en trois niveaux par IRIS (copie d'un "
                    "tiers) ; IGN, contours IRIS")
    slide.vintage = "LCZ 2022 ; IRIS 2025"
    return SHOWN, ["Ce n'est pas une température mesurée : c'est ce que le bâti, les sols et la végétation laissent "
                   "attendre par forte chaleur, îlot par îlot."]


def _try_values(slide: Slide, territory: Territory, table: pd.DataFrame, ind: Indicator) -> tuple[str, list[str]]:
    shapes = _qpv_shapes(territory, slide.generation, table, ind.id)
    state = variation(shapes[ind.id], ind.decimals)
    if state == "aucune":
        return MISSING, [_missing_sentence(shapes, ind)]
    if state == "une":
        if len(shapes) < 2:
            value = shapes[ind.id].dropna().iloc[0]
            return SAME, [f"Un seul quartier dans ce territoire : une carte ne compare rien ici "
                          f"({_lower_first(ind.label)} : {amount(value, ind)})."]
        return SAME, [_same_value_sentence(shapes[ind.id], ind, "pas d'écart à montrer sur une carte")]
    colours, breaks = _value_colours(shapes[ind.id], ind.decimals)
    shapes["couleur"] = colours
    slide.kind, slide.qpv, slide.indicator = VALUES, shapes, ind
    slide.legend_title = ind.label + (f" ({ind.unit})" if ind.unit and ind.unit != "oui/non" else "")
    slide.legend = _legend(breaks, ind, bool(shapes[ind.id].isna().any()))
    slide.legend_details = "Teinte plus foncée = valeur plus élevée."
    slide.source, slide.vintage = _sources(shapes, ind)
    said = []
    estimated = shapes.get(f"{ind.id}{webmap.ESTIMATED_SUFFIX}", pd.Series(False, index=shapes.index))
    count = int((estimated.fillna(False).astype(bool) & shapes[ind.id].notna()).sum())
    known = int(shapes[ind.id].notna().sum())
    if count == known and count:
        said.append("Valeurs estimées à partir des IRIS qui recouvrent chaque quartier : un ordre de grandeur.")
    elif count:
        said.append(f"{plural(count, 'valeur')} sur {format_number(known)} {'est estimée' if count == 1 else 'sont estimées'} "
                    "à partir des IRIS qui recouvrent le quartier : un ordre de grandeur.")
    return SHOWN, said


def _try_grid(slide: Slide, territory: Territory, table: pd.DataFrame, ind: Indicator) -> tuple[str, list[str]]:
    """8 km grid: a map for the partners only when quartiers differ; a sentence otherwise (and always for the
    residents, for whom a regional grid says nothing about their streets)."""
    shapes = _qpv_shapes(territory, slide.generation, table, ind.id)
    state = variation(shapes[ind.id], ind.decimals)
    if state == "aucune":
        return MISSING, [_missing_sentence(shapes, ind)]
    if state == "une":
        return SAME, [_same_value_sentence(shapes[ind.id], ind, "8 km de résolution")]
    if slide.sequence == "habitants":
        known = shapes[ind.id].dropna()
        return SAME, [f"Projections de Météo-France sur une grille de 8 km : elles ne distinguent ni les rues ni les "
                      f"quartiers voisins ({_lower_first(ind.label)} : de {format_number(known.min(), ind.decimals)} à "
                      f"{amount(known.max(), ind)} selon les quartiers)."]
    outcome, said = _try_values(slide, territory, table, ind)
    if outcome == SHOWN:
        said.insert(0, "Grille de 8 km : deux quartiers voisins ont souvent la même valeur ; les écarts viennent de la "
                       "maille, pas de la rue.")
    return outcome, said


def _try_communes(slide: Slide, territory: Territory, table: pd.DataFrame, ind: Indicator) -> tuple[str, list[str]]:
    """Context of each commune: the communes coloured by their value when they differ, a sentence otherwise."""
    per_commune = table.dropna(subset=["insee_com"]).drop_duplicates("insee_com").set_index("insee_com")[ind.id]
    known = per_commune.dropna()
    if known.empty:
        return MISSING, [_missing_sentence(table, ind)]
    names = table.drop_duplicates("insee_com").set_index("insee_com")["lib_com"].astype(str).str.split(",").str[0]
    if known.round(ind.decimals).nunique() < 2:
        where = ", ".join(dict.fromkeys(names.get(code, code) for code in known.index))
        return SAME, [f"{where}|{commune_words(known.iloc[0], ind)}"]
    outlines = slide.communes
    if "insee_com" not in outlines or "lib_com" not in outlines:
        return MISSING, [_missing_sentence(table, ind)]
    zones = outlines[outlines["insee_com"].isin(set(known.index))].copy()
    if zones.empty:
        return MISSING, [_missing_sentence(table, ind)]
    zones["valeur"] = zones["insee_com"].map(known)
    distinct = sorted(set(zones["valeur"].round(ind.decimals)))
    if len(distinct) <= settings.MAP_CLASSES:  # a few counts: one class per value, « 1 type », « 3 types »
        palette = classes.class_colors(len(distinct))
        zones["couleur"] = zones["valeur"].round(ind.decimals).map(dict(zip(distinct, palette, strict=True)))
        legend = [(amount(v, ind), c) for v, c in zip(distinct, palette, strict=True)]
    else:
        colours, breaks = _value_colours(zones["valeur"], ind.decimals)
        zones["couleur"] = colours
        legend = _legend(breaks, ind, False)
    zones["libelle"] = zones["lib_com"].astype(str) + " : " + zones["valeur"].map(lambda v: amount(v, ind))
    slide.kind, slide.zones, slide.indicator = ZONES, zones, ind
    slide.legend_title = ind.label
    slide.legend = legend
    slide.legend_details = "Valeur de la commune, la même pour tous ses quartiers."
    slide.source, slide.vintage = ind.source, ind.vintage
    return SHOWN, ["Valeurs de la commune (Géorisques) : tous les quartiers d'une même commune ont la même."]


def slide(territory: Territory, sequence: str, index: int) -> Slide:
    """Slide ``index`` (0-based) of a sequence for a territory's quartiers (see the module docstring).

    The first layer that differs between the places is drawn, with only its own sentences. When none does, the
    slide is a plan with the names and says why: the values alike everywhere (commune context: each value,
    once, « Même valeur pour tous les quartiers du territoire : donnée de la commune »), or the theme's sentence
    for no data followed by the reason of the last layer tried.
    """
    themes = sequence_themes(sequence)
    if not 0 <= index < len(themes):
        raise BadArgumentError(f"Diapositive {index + 1} inexistante : la séquence en compte {len(themes)}.")
    theme = themes[index]
    table = territory_table(territory, with_scores=False)
    generation = _generation(table)
    rows = table[(table["generation"].astype(int) == generation) & table["a_contour"].astype(bool)]
    base = _qpv_shapes(territory, generation, rows, catalogue.CATALOGUE[0].id)[
        ["code_qp", "lib_qp", "lib_com", "insee_com", "geometry"]]
    base["couleur"] = workshop_map.PLAN_FILL
    communes = layers.commune_outlines(territory)
    named = sorted(set(rows["insee_com"].dropna().astype(str)))
    current = Slide(theme=theme, number=index + 1, total=len(themes), sequence=sequence, generation=generation,
                    kind=PLAN, qpv=base, communes=communes, named_communes=named)
    same: list[str] = []
    missing: list[str] = []
    commune_context = False
    for layer in theme.layers:
        if layer == LCZ:
            outcome, said = _try_lcz(current, territory)
        elif layer.startswith("communes:"):
            commune_context = True
            outcome, said = _try_communes(current, territory, rows, catalogue.get(layer.split(":", 1)[1]))
        else:
            ind = catalogue.get(layer)
            if ind.attribution == "grille_drias":
                outcome, said = _try_grid(current, territory, rows, ind)
            else:
                outcome, said = _try_values(current, territory, rows, ind)
        if outcome == SHOWN:
            current.sentences = said  # only what the map shown is about
            return current
        (same if outcome == SAME else missing).extend(said)
    prefix = [theme.no_map] if theme.no_map else []
    if same and commune_context:
        places = list(dict.fromkeys(item.split("|", 1)[0] for item in same))
        words = [item.split("|", 1)[1] for item in same]
        listed = ", ".join(words[:-1]) + (" et " if len(words) > 1 else "") + words[-1]
        current.sentences = [f"Même valeur pour tous les quartiers du territoire : donnée de la commune ({', '.join(places)} "
                             f": {listed} recensés)."]
    elif same:
        current.sentences = [*prefix, *same[:1]]
    elif theme.no_data or prefix:
        current.sentences = [*prefix, *([theme.no_data] if theme.no_data else []), *missing[-1:]]
    return current


def slides(territory: Territory, sequence: str) -> list[Slide]:
    """Every slide of a sequence (for the posters)."""
    return [slide(territory, sequence, i) for i in range(len(sequence_themes(sequence)))]


def note_theme_label(theme: Theme) -> str:
    return NOTE_THEMES[theme.note_theme]


def clear_cache() -> None:
    _lcz_zones.cache_clear()
