"""Data page: every source of the embedded bundle with publisher, licence, vintage and checksum."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import catalogue
from loaders import store
from pages.components import territory_selector

territory_selector()
st.title("Données et sources")
manifest = store.manifest()
st.markdown(
    f"Le jeu de données embarqué a été construit le **{manifest['construit_le'][:10]}** par la commande "
    f"`{manifest['commande']}`. Chaque fichier source est listé ci-dessous avec son empreinte sha256."
)

st.subheader("Indicateurs")
indicators = pd.DataFrame(
    [
        {
            "Indicateur": ind.label,
            "Unité": ind.unit,
            "Millésime": ind.vintage,
            "Source": ind.source,
            "Échelle": ind.level,
            "Définition": ind.definition,
        }
        for ind in catalogue.CATALOGUE
    ]
)
st.dataframe(indicators, hide_index=True, width="stretch")

st.subheader("Fichiers sources")
inputs = pd.DataFrame(manifest["entrees"]).rename(
    columns={"fichier": "Fichier", "description": "Contenu", "editeur": "Éditeur", "licence": "Licence",
             "millesime": "Millésime", "sha256": "Empreinte sha256"}
)
st.dataframe(inputs[["Contenu", "Éditeur", "Licence", "Millésime", "Fichier", "Empreinte sha256"]],
             hide_index=True, width="stretch")
st.caption(manifest["credits"])
