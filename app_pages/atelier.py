"""Mode atelier: one question per slide, a map that means something locally, and the words of the group kept.

Two layouts on one page:

* normal (``/atelier``): the sidebar chooses the territory; the page shows the slides one at a time (sequence,
  slide, quartier), a button « Lancer la présentation », the printable posters and the notes of the group;
* presentation (``/atelier?territoire=…&presentation=1``, optionally ``&diapo=N&quartier=CODE&sequence=…``): no
  sidebar nor Streamlit chrome, large type, ← → (or the buttons) to move, a counter « 3 / 6 », the question and
  the map above the fold at 1280×720.

What each slide shows and says comes from ``assembly.atelier`` (no poverty map nor ranking in the residents'
sequence; a sentence instead of a map that would not differ between the places). Every text from the data or
from a person is escaped (``core.text``); notes are shown as text.
"""

from __future__ import annotations

from datetime import date

import folium
import streamlit as st
from streamlit_folium import st_folium

import settings
from assembly import atelier
from assembly.atelier import VALUES, ZONES
from core.errors import EcoqpvError
from core.text import markdown_text
from core.workshop import NOTES_TITLE
from geodata import labels, territories, webmap, workshop_map
from geodata.territories import Territory
from loaders.local import remontees
from app_pages import remontees as notes_ui
from app_pages.components import (STATE_KEY, ensure_map_assets, quartier_choices, stop_if_settings_invalid,
                                   territory_selector, visitor_text)

PREVIOUS_KEY, NEXT_KEY = "atelier_precedent", "atelier_suivant"
SLIDE_KEY, SEQUENCE_KEY, QUARTIER_KEY = "atelier_diapo", "atelier_sequence", "atelier_quartier"
ALL = ""

PRESENTATION = st.query_params.get("presentation") == "1"

_PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 1rem 1.2rem !important; max-width: 100% !important; }
.st-key-atelier_barre { gap: 0.5rem; }
.st-key-atelier_barre button p { font-size: 1.15rem; font-weight: 600; }
.st-key-atelier_compteur p { font-size: 1.35rem; font-weight: 700; margin: 0; white-space: nowrap; }
.st-key-atelier_carte iframe { height: calc(100vh - 92px) !important; min-height: 340px; }
.st-key-atelier_titre p { font-size: clamp(1.05rem, 1.2vw, 1.8rem); font-weight: 600; color: #1f5fa8;
    text-transform: uppercase; letter-spacing: 0.04em; margin: 0; }
.st-key-atelier_question p { font-size: clamp(1.9rem, 2.5vw, 3.6rem); font-weight: 800; line-height: 1.12;
    margin: 0.1rem 0 0.3rem 0; }
.st-key-atelier_phrases p { font-size: clamp(1.15rem, 1.2vw, 1.8rem); line-height: 1.3; }
.st-key-atelier_pistes li, .st-key-atelier_pistes p { font-size: clamp(1.3rem, 1.4vw, 2.1rem); line-height: 1.25; }
.st-key-atelier_source p { font-size: clamp(0.85rem, 0.8vw, 1.1rem); color: #404040; }
.st-key-atelier_quartier input, .st-key-atelier_quartier [data-baseweb="select"] * {
    font-size: 1.15rem !important; }
</style>
"""

_NORMAL_CSS = """
<style>
.st-key-atelier_titre p { font-size: 1.05rem; font-weight: 600; color: #1f5fa8; text-transform: uppercase;
    letter-spacing: 0.04em; margin: 0; }
.st-key-atelier_question p { font-size: 2rem; font-weight: 800; line-height: 1.15; }
.st-key-atelier_pistes li, .st-key-atelier_pistes p { font-size: 1.2rem; }
</style>
"""


# --- territory and state ------------------------------------------------------------------------------------


def _presentation_territory() -> Territory | None:
    """The territory of the address (``?territoire=``), or the one chosen before on another page."""
    stop_if_settings_invalid()
    key = st.query_params.get("territoire")
    if key:
        try:
            return territories.resolve_key(key)
        except EcoqpvError as exc:
            st.error(visitor_text(f"{exc} Corrigez l'adresse (?territoire=TYPE:CODE) ou quittez la présentation."))
            return None
    return st.session_state.get(STATE_KEY) or territories.resolve("REG", "76")


def _seed_from_address(count: int, codes: list[str], selected: str | None) -> None:
    """Once per territory and sequence: slide and quartier from the address (``diapo``, ``quartier``)."""
    seed = (st.query_params.get("territoire"), st.query_params.get("sequence"))
    if st.session_state.get("atelier_graine") == seed:
        return
    st.session_state["atelier_graine"] = seed
    try:
        number = int(st.query_params.get("diapo", "1"))
    except ValueError:
        number = 1
    st.session_state[SLIDE_KEY] = min(max(number, 1), count) - 1
    wanted = (st.query_params.get("quartier") or selected or "").upper()
    st.session_state[QUARTIER_KEY] = wanted if wanted in codes else ALL


def _move(step: int, count: int) -> None:
    index = min(max(st.session_state.get(SLIDE_KEY, 0) + step, 0), count - 1)
    st.session_state[SLIDE_KEY] = index
    st.query_params["diapo"] = str(index + 1)


def _choose_slide() -> None:
    st.query_params["diapo"] = str(st.session_state[SLIDE_KEY] + 1)


def _choose_quartier() -> None:
    code = st.session_state.get(QUARTIER_KEY) or ""
    if code:
        st.query_params["quartier"] = code
    elif "quartier" in st.query_params:
        del st.query_params["quartier"]


def _start_presentation(territory: Territory, sequence: str) -> None:
    st.query_params.update({"territoire": territory.key, "presentation": "1", "sequence": sequence,
                            "diapo": str(st.session_state.get(SLIDE_KEY, 0) + 1)})
    st.session_state["atelier_graine"] = (territory.key, sequence)
    if st.session_state.get(QUARTIER_KEY):
        st.query_params["quartier"] = st.session_state[QUARTIER_KEY]


def _leave_presentation() -> None:
    for name in ("presentation",):
        if name in st.query_params:
            del st.query_params[name]


# --- the slide ------------------------------------------------------------------------------------------------


def _bounds(slide: atelier.Slide) -> list[list[float]] | None:
    shapes = slide.qpv
    if not len(shapes):
        return None
    minx, miny, maxx, maxy = shapes.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def slide_map(slide: atelier.Slide, selected: str | None, presentation: bool) -> folium.Map:
    """The Leaflet map of a slide: the indicator's choropleth (``webmap``) or zones or a plan
    (``workshop_map``), the names written on it, the zoom on the chosen quartier."""
    if slide.kind == VALUES:
        ind = slide.indicator
        fmap = webmap.choropleth_map(slide.qpv, ind.id, label=ind.label, unit=ind.unit, vintage=slide.vintage,
                                     decimals=ind.decimals, communes=slide.communes, tiles=settings.MAP_TILES)
    else:
        fmap = workshop_map.base_map(_bounds(slide), tiles=settings.MAP_TILES)
        workshop_map.add_commune_outlines(fmap, slide.communes)
        if slide.kind == ZONES:
            workshop_map.add_zones(fmap, slide.zones, slide.legend_title)
        workshop_map.add_quartiers(fmap, slide.qpv, filled=slide.kind != ZONES)
        if slide.kind == ZONES and not presentation:  # presentation: the legend is beside the map, larger
            workshop_map.add_legend(fmap, slide.legend_title, slide.legend, slide.legend_details)
    points = labels.label_points(slide.qpv, slide.communes, slide.named_communes, selected)
    labels.add_labels(fmap, points, large=presentation)
    if selected:
        labels.add_focus(fmap, slide.qpv, selected)
    if presentation:
        focus = labels.focus_bounds(slide.qpv, selected) if selected else None
        workshop_map.add_presentation(fmap, PREVIOUS_KEY, NEXT_KEY, focus or _bounds(slide), max_zoom=16)
    return fmap


def show_slide(territory: Territory, slide: atelier.Slide, selected: str | None, presentation: bool) -> None:
    """Question, sentences and prompts beside the map (the map on the left, at least 60 % of the width)."""
    left, right = st.columns([0.63, 0.37], gap="medium")
    with left, st.container(key="atelier_carte"):
        fmap = slide_map(slide, selected, presentation)
        st_folium(fmap, height=600 if presentation else 540, use_container_width=True, returned_objects=[],
                  key=f"atelier_{territory.key}_{slide.sequence}_{slide.theme.id}_{selected or 'tout'}", render=False)
    with right:
        with st.container(key="atelier_titre"):
            st.markdown(markdown_text(slide.theme.title))
        with st.container(key="atelier_question"):
            st.markdown(markdown_text(atelier.typeset(slide.theme.question)))
        if presentation and slide.has_map and slide.legend:
            # Beside the map, large (the map's own legend is hidden in presentation): every text escaped.
            with st.container(key="atelier_legende"):
                st.html(workshop_map.legend_html(slide.legend_title, slide.legend, slide.legend_details, large=True))
        if slide.theme.lead or slide.sentences:
            with st.container(key="atelier_phrases", border=True):
                for sentence in [slide.theme.lead, *slide.sentences]:
                    if sentence:
                        st.markdown(markdown_text(atelier.typeset(sentence)))
        with st.container(key="atelier_pistes"):
            st.markdown("\n".join(f"- {markdown_text(atelier.typeset(prompt))}" for prompt in slide.theme.prompts))
        with st.container(key="atelier_source"):
            st.markdown(markdown_text(slide.source_line))


def notes_section(territory: Territory, slide: atelier.Slide, quartiers: dict[str, str], selected: str | None,
                  editable: bool) -> None:
    """Record what the group says (for the slide's quartier and theme) and show what was said."""
    notes_ui.show_message()
    notes_ui.record_form(quartiers, selected, slide.theme.note_theme, key="atelier_remontee")
    try:
        found = remontees.notes(list(quartiers))
    except EcoqpvError as exc:
        st.warning(visitor_text(exc))
        return
    if not editable:
        found = [n for n in found if n.theme == slide.theme.note_theme]
    if not found:
        st.caption("Aucune remontée notée pour ces quartiers" + ("" if editable else " sur ce thème") + ".")
        return
    st.markdown(f"**{markdown_text(NOTES_TITLE)}** ({len(found)})")
    notes_ui.notes_list(found, quartiers, editable=editable, key="atelier_liste")
    if editable:
        notes_ui.csv_button(found, f"remontees_{territory.kind.lower()}_{territory.code}_{date.today().isoformat()}.csv",
                            key="atelier_remontees_csv")


def posters_section(territory: Territory, sequence: str) -> None:
    from reports import posters  # noqa: PLC0415 — matplotlib only when the section is shown

    st.subheader("Affiches à imprimer")
    st.markdown("Une affiche par thème, en PDF : carte avec légende, échelle, nord et noms, la question et les "
                "pistes, les sources. À imprimer en A3 (ou A4) pour les murs de la salle.")
    paper_col, per_col = st.columns([1, 2])
    paper = paper_col.radio("Papier", list(posters.PAPERS), format_func=lambda p: posters.PAPERS[p][0],
                            horizontal=True, key="atelier_papier")
    per_quartier = per_col.checkbox("Aussi une série d'affiches par quartier (zoom sur chacun)",
                                    key="atelier_par_quartier")

    def _data() -> bytes:
        return posters.posters_pdf(territory, sequence, paper=paper, per_quartier=per_quartier)

    st.download_button("Télécharger les affiches (PDF)", data=_data, mime="application/pdf",
                       file_name=posters.file_name(territory, sequence, paper), key="atelier_affiches",
                       on_click="ignore")


# --- the page -------------------------------------------------------------------------------------------------


def main() -> None:
    ensure_map_assets()
    if PRESENTATION:
        st.html(_PRESENTATION_CSS)
        chosen = _presentation_territory()
        if chosen is None:
            st.button("Quitter la présentation", on_click=_leave_presentation)
            st.stop()
        sequence = st.query_params.get("sequence", "habitants")
        if sequence not in atelier.SEQUENCES:
            sequence = "habitants"
    else:
        st.html(_NORMAL_CSS)
        chosen = territory_selector()
        st.title("Mode atelier")
        st.markdown("Une question par écran, une carte qui dit quelque chose du quartier, et ce que dit le groupe "
                    "gardé. Pour les habitants : ni classement, ni carte de revenus. Présentez en plein écran avec "
                    "« Lancer la présentation » (flèches ← → pour avancer).")
        sequence = st.radio("Séquence", list(atelier.SEQUENCES), format_func=atelier.SEQUENCES.get, horizontal=True,
                            key=SEQUENCE_KEY, help="Habitants : chaleur, fraîcheur, logement, risques, vécu. "
                            "Partenaires : les mêmes thèmes et les cartes de revenus.")
    try:
        territory, selected = atelier.workshop_scope(chosen)
        table = atelier.quartiers(territory)
    except EcoqpvError as exc:
        st.info(visitor_text(exc))
        if PRESENTATION:
            st.button("Quitter la présentation", on_click=_leave_presentation)
        st.stop()
    themes = atelier.sequence_themes(sequence)
    names = quartier_choices(table)  # alphabetical, as the fiche's and the Comparer's lists
    codes = list(names)
    if PRESENTATION:
        _seed_from_address(len(themes), codes, selected)
    elif selected and st.session_state.get(QUARTIER_KEY) is None:
        st.session_state[QUARTIER_KEY] = selected
    st.session_state.setdefault(SLIDE_KEY, 0)
    if st.session_state[SLIDE_KEY] >= len(themes):
        st.session_state[SLIDE_KEY] = 0
    if st.session_state.get(QUARTIER_KEY) not in (ALL, *codes):
        st.session_state[QUARTIER_KEY] = ALL
    options = [ALL, *codes]
    quartier_label = {ALL: "Tous les quartiers", **names}

    if PRESENTATION:
        index = st.session_state[SLIDE_KEY]
        with st.container(horizontal=True, key="atelier_barre", vertical_alignment="center"):
            st.button("◀ Précédent", key=PREVIOUS_KEY, shortcut="Left", on_click=_move, args=(-1, len(themes)),
                      disabled=index == 0, help="Diapositive précédente (flèche gauche)")
            with st.container(key="atelier_compteur", width="content"):
                st.markdown(f"{index + 1} / {len(themes)}")
            st.button("Suivant ▶", key=NEXT_KEY, shortcut="Right", on_click=_move, args=(1, len(themes)),
                      disabled=index == len(themes) - 1, help="Diapositive suivante (flèche droite)")
            st.selectbox("Zoomer sur un quartier", options, format_func=quartier_label.get, key=QUARTIER_KEY,
                         on_change=_choose_quartier, label_visibility="collapsed", width=380)
            st.button("Quitter la présentation", key="atelier_quitter", on_click=_leave_presentation, type="tertiary")
    else:
        top_left, top_right = st.columns([2, 1], vertical_alignment="bottom")
        top_left.selectbox("Zoomer sur un quartier", options, format_func=quartier_label.get, key=QUARTIER_KEY)
        top_right.button("Lancer la présentation", type="primary", on_click=_start_presentation,
                         args=(territory, sequence), use_container_width=True)
        st.radio("Diapositive", list(range(len(themes))), key=SLIDE_KEY, horizontal=True, on_change=_choose_slide,
                 format_func=lambda i: f"{i + 1}. {themes[i].title}")
        index = st.session_state[SLIDE_KEY]

    chosen_code = st.session_state.get(QUARTIER_KEY) or None
    try:
        slide = atelier.slide(territory, sequence, index)
    except EcoqpvError as exc:
        st.error(visitor_text(exc))
        st.stop()
    show_slide(territory, slide, chosen_code, PRESENTATION)

    if PRESENTATION:
        with st.expander("Noter ce que dit le groupe", expanded=False):
            notes_section(territory, slide, names, chosen_code, editable=False)
        return
    st.caption("Les cartes montrent des lieux et des bâtiments, pas les habitants. Ce que dit le groupe complète les "
               "données : il est gardé à part, tel quel, et n'entre dans aucun calcul.")
    posters_section(territory, sequence)
    st.subheader(NOTES_TITLE)
    st.markdown("Notez ce que dit le groupe, par quartier et par thème : c'est gardé sur cet ordinateur (dossier de "
                "données), repris dans la fiche du quartier et dans l'annexe diagnostic, jamais dans un score.")
    notes_section(territory, slide, names, chosen_code, editable=True)


main()
