"""Territoire (home): what the tool is for, the chosen territory's QPV at a glance, and the data status."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.text import markdown_text
from core.formats import format_number, french_date, plural
from assembly.territory_table import territory_table
from assembly.value_text import population_totals
from sources import store
from app_pages.components import current_method, open_fiche, reading_order, territory_selector, text_table

territory = territory_selector()
method, frame = current_method()
st.title("ecoqpv — expositions et conditions de vie dans les quartiers prioritaires")
st.markdown(
    "Cet outil rassemble des **données publiques** sur les quartiers prioritaires de la politique de la "
    "ville (QPV) pour préparer le diagnostic des contrats de ville : cartes, fiches par quartier, comparaisons "
    "avec la commune, l'EPCI et la France, sources et millésimes de chaque chiffre. Les indicateurs décrivent "
    "des situations et des expositions, jamais les habitants."
)

table = territory_table(territory, method, frame)
st.subheader(markdown_text(territory.title))
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire dans les données chargées. Choisissez un "
            "autre territoire dans le panneau de gauche.")
else:
    q24 = table[table["generation"] == 2024]
    q15 = table[table["generation"] == 2015]
    c1, c2, c3, c4 = st.columns(4)
    # Short labels (a metric label is cut at the column's width); the help says the rest.
    c1.metric("QPV 2024", format_number(len(q24)), help="Quartiers de la génération actuelle (contrats 2024-2030).")
    c2.metric("QPV 2015", format_number(len(q15)), help="Quartiers de la génération précédente.")
    c3.metric("Avec contour", format_number(int(table["a_contour"].sum())),
              help="Quartiers dont le contour est disponible : ils sont dessinés sur la carte.")
    c4.metric("Scores complets", format_number(int((table["statut"] == "complet").sum())),
              help="Quartiers dont les scores d'exposition et de vulnérabilité peuvent être calculés.")
    for pop in population_totals(table):  # per generation, known values only, with their source and vintage
        st.caption(f"Population des QPV {pop.generation} du territoire : {format_number(pop.total)} "
                   f"habitants, d'après {plural(pop.known, 'quartier renseigné', 'quartiers renseignés')} sur "
                   f"{format_number(pop.count)} ({markdown_text('; '.join(pop.sources))}).")
    st.markdown("**Quartiers du territoire** — choisissez-en un pour ouvrir sa fiche.")
    # Current generation first, then by commune and name in French order, so that a quartier is found by reading
    # down the list.
    listing = reading_order(table, by=("generation", "commune", "nom")).assign(
        Quartier=table["lib_qp"], Commune=table["lib_com"], Génération=table["generation"].astype(str),
        Contour=table["a_contour"].map({True: "oui", False: "non"}),
        Scores=table["statut"].map({"complet": "complets", "partiel": "partiels (données manquantes)"}),
    )[["code_qp", "Quartier", "Commune", "Génération", "Contour", "Scores"]]
    event = st.dataframe(listing.drop(columns="code_qp"), hide_index=True, width="stretch", height=320,
                         on_select="rerun", selection_mode="single-row", key="accueil_liste")
    selected = event.selection.rows if event and event.selection else []
    if selected:
        open_fiche(str(listing.iloc[selected[0]]["code_qp"]))

st.subheader("État des données")
status = store.status()
bundle = status["bundle"]
# Manifests are data files: their texts are shown as plain text, never as markdown.
st.markdown(
    f"Jeu de données **embarqué**, construit le {markdown_text(french_date(bundle['construit_le']))} à partir des "
    "fichiers officiels : l'outil fonctionne sans connexion."
)
if status["mises_a_jour"]:
    st.markdown("Territoires **mis à jour en ligne** : " + ", ".join(
        f"{markdown_text(u['territoire'])} (le {markdown_text(french_date(u['mis_a_jour_le']))})"
        for u in status["mises_a_jour"]) + ".")
# Each vintage with what it dates (one row per content and vintage, never a bare list with repeats).
vintages = pd.DataFrame([{"Contenu": str(row.get("description") or row.get("fichier") or ""),
                          "Millésime": str(row["millesime"]).strip()} for row in bundle["entrees"]]).drop_duplicates()
with st.expander(f"Millésimes des {plural(len(vintages), 'contenu')} du jeu de données"):
    text_table(vintages.set_index("Contenu"))
    st.caption("Éditeurs, licences et fichiers : page Données et sources.")
st.caption(markdown_text(bundle["credits"]))
