"""Home page: what the tool is for, the chosen territory at a glance, and the data status."""

from __future__ import annotations

import streamlit as st

from indicators.formatting import format_number
from indicators.table import territory_table
from loaders import store
from pages.components import territory_selector

territory = territory_selector()
st.title("ecoqpv — expositions et conditions de vie dans les quartiers prioritaires")
st.markdown(
    "Cet outil rassemble des **données publiques** sur les quartiers prioritaires de la politique de la "
    "ville (QPV) pour préparer le diagnostic des contrats de ville : cartes, comparaisons avec la "
    "commune, l'EPCI et la France, sources et millésimes de chaque chiffre. Les indicateurs décrivent "
    "des situations et des expositions, jamais les habitants."
)

table = territory_table(territory)
st.subheader(territory.title)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire dans les données chargées.")
else:
    q24 = table[table["generation"] == 2024]
    q15 = table[table["generation"] == 2015]
    c1, c2, c3 = st.columns(3)
    c1.metric("QPV 2024 (génération actuelle)", format_number(len(q24)))
    c2.metric("QPV 2015 (génération précédente)", format_number(len(q15)))
    c3.metric("Quartiers avec contour disponible", format_number(int(table["a_contour"].sum())))
    population = q15["population"].sum(min_count=1)
    if len(q15):
        st.caption(
            f"Population des QPV 2015 du territoire (recensement 2018) : {format_number(population)} habitants"
            " — les statistiques des QPV 2024 ne sont pas encore embarquées hors ligne."
        )

manifest = store.manifest()
st.subheader("État des données")
st.markdown(
    f"Jeu de données **embarqué** (construit le {manifest['construit_le'][:10]} à partir des fichiers "
    "officiels) : aucune connexion n'est nécessaire. Le détail des sources, éditeurs, licences et "
    "millésimes figure sur la page *Données et sources*."
)
st.caption(manifest["credits"])
