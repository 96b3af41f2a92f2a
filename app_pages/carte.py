"""Carte: choropleth of an indicator or a score over the QPV of the chosen territory, with the same
data as a table beside it. Clicking a quartier opens its fiche."""

from __future__ import annotations

import streamlit as st

from core.text import markdown_text
from assembly import carte_table, indicator_list, layers
from indicators import catalogue
from core.formats import plural
from assembly.carte_view import map_view, shown_rows, table_view, zone_rows
from assembly.territory_table import territory_table
from geodata.territories import COUNTRY, territory_notes
from reports.csv import to_csv_bytes
from app_pages.carte_map import preload_map, qpv_map, qpv_table
from app_pages.components import QPV_KEY, current_method, method_caption, open_fiche, territory_selector

preload_map()  # first: the map script and Leaflet load in the browser while the page is computed
territory = territory_selector()
method, frame = current_method()
st.title("Carte des quartiers", anchor=False)  # compact titles (app_pages/french.py): the map fits 1280×720
st.caption(markdown_text(territory.title))
for note in territory_notes(territory):  # said wherever these quartiers are shown (Mayotte)
    st.caption(markdown_text(note))

#: Height of the map in pixels: with the compact top, the whole map shows in a 1280×720 window.
MAP_HEIGHT = 430
#: The table under the map scrolls inside this height (pixels).
TABLE_HEIGHT = 420

#: Score layers: column → (French label, unit, decimals).
SCORES = {
    "score_global": ("Score global (exposition × vulnérabilité)", "", 1),
    "score_exposition": ("Exposition cumulée", "", 1),
    "score_vulnerabilite": ("Vulnérabilité", "", 1),
    "nb_alertes": ("Nombre d'indicateurs en alerte (≥ 80e centile)", "", 0),
    **{f"dom_{d.id}": (f"Domaine « {d.label} » (centile moyen)", "", 0)
       for d in catalogue.DOMAINS.values() if d.pillar != "Contexte"},
}

pick_kind, pick_layer, pick_generation = st.columns([3, 5, 3])
kind = pick_kind.radio("Afficher", ["Indicateur", "Score"], key="carte_type", horizontal=True)
if kind == "Indicateur":
    column = pick_layer.selectbox(
        "Indicateur", indicator_list.ids(), format_func=indicator_list.option_label,
        key="carte_indicateur",
    )
    indicator = indicator_list.get(column)
    label, unit, decimals = indicator.label, indicator.unit, indicator.decimals
    vintage, source = indicator.vintage, indicator.source
else:
    column = pick_layer.selectbox("Score", list(SCORES), format_func=lambda c: SCORES[c][0], key="carte_score")
    label, unit, decimals = SCORES[column]
    vintage, source = "selon les indicateurs", "calcul ecoqpv à partir des indicateurs du catalogue (page Méthode)"

table = territory_table(territory, method, frame)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire dans les données chargées.")
    st.stop()
zone = ""
if territory.kind == COUNTRY:
    # France entière: one map per zone (metropolitan France, or one overseas territory), shapes simplified for
    # that scale; choosing a region or an EPCI in the panel gives the precise contours.
    zone_names = layers.zones()
    zone = st.sidebar.selectbox("Zone de la carte", list(zone_names), format_func=zone_names.get, key="carte_zone",
                                help="La France entière se cartographie par zone : la métropole, ou un territoire "
                                "d'outre-mer.")
    table = zone_rows(table, territory, zone)
generations = layers.contour_generations(table)

if not generations:
    st.warning(
        "Les contours des quartiers de ce territoire ne sont pas disponibles hors ligne. La mise à jour en "
        "ligne du territoire (page *Données et sources*) télécharge les contours officiels de l'ANCT. Le "
        "tableau ci-dessous liste déjà les quartiers du territoire."
    )
    generation = None
else:
    labels = {2024: "QPV 2024", 2015: "QPV 2015"}
    generation = pick_generation.radio(
        "Génération de quartiers", generations, format_func=labels.get, horizontal=True, key="carte_generation",
        help="QPV 2024 : la génération actuelle (contrats de ville 2024-2030). QPV 2015 : la génération "
        "précédente. Les deux ne sont jamais classées ensemble.",
    )

shown = shown_rows(table, generation, column)

code = None  # the quartier clicked on the map in this run
if generation is not None:
    # The legend and the settings beside the map, outside it: they hide no quartier. The complete table
    # (the map's alternative) is below, full width.
    # The outlines of communes travel with the map: its own checkbox shows or hides them at once.
    left, right = st.columns([3, 1], gap="small")
    # Built once per choice for every visitor (assembly/carte_view.py): a new visitor's map leaves at once.
    view = map_view(territory, generation, column, zone=zone, method=method, frame=frame, label=label, unit=unit,
                    vintage=vintage, decimals=decimals)
    with left:
        code = qpv_map(view.data, height=MAP_HEIGHT, key="carte_qpv")
    with right:
        st.html(view.legend_html)
    # What the map shows, in one element (each element costs the page's first drawing: issue #10).
    notes = []
    if view.by_nature:  # each kind of value with its own vintage and source
        said = " ; ".join(f"{plural(count, 'valeur')} {markdown_text(nature)} — {markdown_text(origin)}"
                          for nature, count, origin in view.by_nature)
        notes.append(f"Valeurs de la carte : {said}.")
    else:
        notes.append(f"Source : {markdown_text(source)} — millésime {markdown_text(vintage)}.")
    notes.append(
        ("Classes : deux classes, oui et non" if unit == "oui/non" else
         "Classes : quantiles des valeurs des quartiers affichés")
        + " ; en gris à contour pointillé, valeur non disponible"
        + (f" ; contour en tirets fins, valeur estimée ({plural(view.estimated, 'quartier')}) : son intervalle "
           "est dans l'infobulle" if view.estimated else "")
        + ". Un clic sur un quartier ouvre sa fiche. La molette fait défiler la page ; après un clic sur la "
        "carte, elle zoome."
        + (" Contours simplifiés à l'échelle de la France : choisissez une région pour les contours précis."
           if zone else "")
    )
    if kind == "Score":
        notes.append(method_caption())
    without = shown[~shown["a_contour"].astype(bool)]
    if len(without):
        notes.append(f"{plural(len(without), 'quartier')} de cette génération sans contour hors ligne : "
                     "listés dans le tableau.")
    st.caption("\n\n".join(notes))
    if view.all_missing:
        st.info("Cette couche n'a de valeur pour aucun quartier affiché : voir la colonne « Donnée » du "
                "tableau pour la raison.")

st.subheader("Tableau des quartiers", anchor=False)
st.markdown(f"**{markdown_text(label)}** — millésime : {markdown_text(vintage)}. Les mêmes valeurs que la carte, "
            "avec ce qu'est chaque valeur (nature) ou la raison de son absence. Un clic sur un en-tête trie le "
            "tableau ; un clic sur un nom ouvre la fiche du quartier.")
# Built once per choice for every visitor, like the map (assembly/carte_view.py).
listing = table_view(territory, generation, column, zone=zone, method=method, frame=frame, label=label, unit=unit,
                     vintage=vintage, source=source, decimals=decimals, max_height=TABLE_HEIGHT)
rows = listing.rows
table_code = qpv_table(listing.data, key="carte_tableau")
st.download_button(
    "Télécharger ce tableau (CSV pour Excel)",
    lambda: to_csv_bytes(carte_table.export_frame(rows, label=label, unit=unit, decimals=decimals)),
    file_name=f"ecoqpv-carte-{territory.code}-{column}.csv", mime="text/csv", key="carte_csv", on_click="ignore",
    help="Une ligne par quartier : la valeur (nombre et texte affiché), sa nature ou la raison de son absence, "
    "son millésime et sa source.",
)

# A click on the map or on a name in the table opens the fiche (a click is an event: the next run of the page
# has no code). The name is read from the table and shown as plain text.
code = code or table_code
if code in set(table["code_qp"]):
    name = table.loc[table["code_qp"] == code, "lib_qp"].iloc[0]
    st.info(f"Quartier sélectionné : **{markdown_text(name)}** ({markdown_text(code)}) — ouverture de sa fiche…")
    st.session_state[QPV_KEY] = code
    open_fiche(code)
