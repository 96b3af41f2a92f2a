"""Mode atelier: one large map and a few open questions, for workshops with residents and partners.

No score, no ranking, no table: one theme per screen, neutral wording, and no basemap by default so
that it works on a poor connection (the administrative outlines are the background).
"""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from core.text import html_text
from assembly import layers
from geodata import webmap
from indicators import catalogue
from assembly.territory_table import territory_table
from pages.components import ensure_map_assets, territory_selector

territory = territory_selector()
ensure_map_assets()

#: Theme → (indicator shown, question that opens the discussion, prompts for the group).
THEMES = {
    "Chaleur": ("jours_sup_35", "Où fait-il très chaud l'été dans le quartier ?",
                ["Où avez-vous chaud, dehors et chez vous ?", "Où allez-vous pour vous rafraîchir ?",
                 "Quels lieux manquent d'ombre, d'eau, de bancs ?"]),
    "Îlots de chaleur": ("part_surface_chaleur_forte", "Quelles parties du quartier sont très minérales ?",
                         ["Quelles rues, places ou cours pourraient être plus végétalisées ?",
                          "Quels espaces verts utilisez-vous l'été ?"]),
    "Logement et énergie": ("part_dpe_fg", "Les logements protègent-ils bien du froid et du chaud ?",
                            ["Avez-vous du mal à chauffer ou à rafraîchir votre logement ?",
                             "À qui vous adressez-vous quand il y a un problème dans le logement ?"]),
    "Revenus": ("taux_pauvrete", "Comment les dépenses d'énergie pèsent-elles sur les budgets ?",
                ["Quelles aides connaissez-vous ?", "Qu'est-ce qui aiderait à réduire les factures ?"]),
}

st.title("Mode atelier")
theme = st.radio("Thème", list(THEMES), horizontal=True, key="atelier_theme")
indicator_id, question, prompts = THEMES[theme]
indicator = catalogue.get(indicator_id)

# Large texts need HTML; every text put into it is escaped (no markup from anywhere reaches the page).
st.markdown(f"<p style='font-size:2rem; font-weight:600; line-height:1.2'>{html_text(question)}</p>",
            unsafe_allow_html=True)

table = territory_table(territory, with_scores=False)
generations = layers.contour_generations(table)
if table.empty or not generations:
    st.info("Aucun quartier de ce territoire n'a de contour disponible pour une carte d'atelier : choisissez un "
            "autre territoire, ou mettez ce territoire à jour sur la page *Données et sources*.")
    st.stop()

generation = generations[0]
qpv = layers.qpv_layer(territory, generation, indicator_id, table)
fmap = webmap.choropleth_map(qpv, indicator_id, label=indicator.label, unit=indicator.unit,
                             vintage=indicator.vintage, decimals=indicator.decimals,
                             communes=layers.commune_outlines(territory), tiles=False)
st_folium(fmap, height=640, use_container_width=True, returned_objects=[], key=f"atelier_{territory.key}_{theme}")
st.caption(f"{indicator.definition} Source : {indicator.source} ({indicator.vintage}). Carte des quartiers "
           f"prioritaires {generation} ; en gris, donnée non disponible.")

st.markdown(f"<p style='font-size:1.5rem; font-weight:600'>{html_text('Pour en parler')}</p>", unsafe_allow_html=True)
for prompt in prompts:
    st.markdown(f"<p style='font-size:1.35rem'>• {html_text(prompt)}</p>", unsafe_allow_html=True)
st.caption("Les cartes montrent des conditions et des expositions, pas les habitants. Ce que le groupe dit "
           "en atelier complète les données : il ne se mesure pas ici.")
