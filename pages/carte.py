"""Carte: choropleth of one indicator over the QPV of the chosen territory, with the same data as a table."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import settings
from geodata import layers, webmap
from indicators import catalogue
from indicators.formatting import format_value, missing_label
from indicators.table import reason_column, territory_table
from pages.components import ensure_map_assets, territory_selector

territory = territory_selector()
ensure_map_assets()
st.title("Carte des quartiers")
st.caption(territory.title)

pick_indicator, pick_generation = st.columns([3, 2])
indicator_id = pick_indicator.selectbox(
    "Indicateur",
    catalogue.ids(),
    format_func=lambda i: f"{catalogue.get(i).label} ({catalogue.get(i).unit})",
    key="carte_indicateur",
)
indicator = catalogue.get(indicator_id)

table = territory_table(territory)
generations = layers.contour_generations(territory)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire dans les données chargées.")
    st.stop()

if not generations:
    st.warning(
        "Les contours des quartiers de ce territoire ne sont pas disponibles hors ligne : le jeu embarqué "
        "contient les contours des QPV 2024 de Provence-Alpes-Côte d'Azur et des QPV 2015 d'Occitanie. "
        "La mise à jour en ligne du territoire (page *Données*, prochaine version) téléchargera les "
        "contours officiels de l'ANCT. Le tableau ci-dessous liste déjà les quartiers du territoire."
    )
    generation = None
else:
    labels = {2024: "QPV 2024 (génération actuelle)", 2015: "QPV 2015 (génération précédente)"}
    generation = pick_generation.radio(
        "Génération de quartiers", generations, format_func=labels.get, horizontal=True, key="carte_generation"
    )

shown = table if generation is None else table[table["generation"] == generation]

if generation is not None:
    left, right = st.columns([3, 2], gap="medium")
    qpv = layers.qpv_layer(territory, generation, indicator_id)
    fmap = webmap.choropleth_map(
        qpv,
        indicator_id,
        label=indicator.label,
        unit=indicator.unit,
        vintage=indicator.vintage,
        decimals=indicator.decimals,
        communes=layers.commune_outlines(territory),
        tiles=settings.MAP_TILES,
    )
    with left:
        result = st_folium(
            fmap, height=560, use_container_width=True, returned_objects=["last_active_drawing"],
            key=f"carte_{territory.key}_{generation}",
        )
        clicked = (result or {}).get("last_active_drawing") or {}
        props = clicked.get("properties") or {}
        if props.get("lib_qp"):
            st.info(f"Quartier sélectionné : **{props['lib_qp']}** ({props.get('code_qp', '')})")
        st.caption(
            f"Source : {indicator.source} — millésime {indicator.vintage}. Classes : quantiles des valeurs "
            "des quartiers affichés ; en gris à contour pointillé, valeur non disponible."
        )
        if qpv[indicator_id].isna().all():
            st.info(
                "Cet indicateur n'est disponible pour aucun quartier affiché : voir la colonne « Donnée » "
                "du tableau pour la raison."
            )
        without = shown[~shown["a_contour"].astype(bool)]
        if len(without):
            st.caption(f"{len(without)} quartier(s) de cette génération sans contour hors ligne : listés dans le tableau.")
    container = right
else:
    container = st.container()

with container:
    st.markdown(f"**{indicator.label}** — {indicator.vintage}")
    view = pd.DataFrame(
        {
            "Quartier": shown["lib_qp"],
            "Code": shown["code_qp"],
            "Commune": shown["lib_com"],
            "Génération": shown["generation"].astype(int).astype(str),
            "Valeur": [format_value(v, indicator.unit, indicator.decimals) for v in shown[indicator_id]],
            "Donnée": [
                "disponible" if pd.notna(v) else missing_label(r)
                for v, r in zip(shown[indicator_id], shown[reason_column(indicator_id)], strict=True)
            ],
        }
    ).sort_values("Quartier", key=lambda s: s.str.lower())
    st.dataframe(view, hide_index=True, width="stretch", height=520)
