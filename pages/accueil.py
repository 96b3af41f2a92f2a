"""Territoire (home): what the tool is for, the chosen territory's QPV at a glance, and the data status."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.text import markdown_text
from core.formats import format_number
from assembly.territory_table import territory_table
from assembly.value_text import provenances, sources_text
from sources import store
from pages.components import current_method, open_fiche, territory_selector

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
    c1.metric("QPV 2024 (génération actuelle)", format_number(len(q24)))
    c2.metric("QPV 2015 (génération précédente)", format_number(len(q15)))
    c3.metric("Quartiers avec contour disponible", format_number(int(table["a_contour"].sum())))
    c4.metric("Quartiers avec scores complets", format_number(int((table["statut"] == "complet").sum())))
    # Population per generation, with the vintage and source of the values summed (never a sum of unknowns).
    origins = provenances(table, ["population"])
    for generation, part in ((2024, q24), (2015, q15)):
        known = part[part["population"].notna()]
        if known.empty:
            continue
        said = "; ".join(dict.fromkeys(sources_text(origins[(str(c), "population")]) for c in known["code_qp"]
                                       if (str(c), "population") in origins))
        st.caption(f"Population des QPV {generation} du territoire : {format_number(known['population'].sum())} "
                   f"habitants pour {format_number(len(known))} quartier(s) renseigné(s) sur {format_number(len(part))}"
                   f" ({markdown_text(said)}).")
    st.markdown("**Quartiers du territoire** — choisissez-en un pour ouvrir sa fiche.")
    listing = table.assign(
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
    f"Jeu de données **embarqué**, construit le {markdown_text(str(bundle['construit_le'])[:10])} à partir des "
    "fichiers officiels : l'outil fonctionne sans connexion."
)
if status["mises_a_jour"]:
    st.markdown("Territoires **mis à jour en ligne** : " + ", ".join(
        f"{markdown_text(u['territoire'])} (le {markdown_text(str(u['mis_a_jour_le'])[:10])})"
        for u in status["mises_a_jour"]) + ".")
vintages = sorted({str(row["millesime"]) for row in bundle["entrees"]})
st.caption("Millésimes des sources : " + " ; ".join(markdown_text(v) for v in vintages)
           + ". Détail par source : page *Données et sources*.")
st.caption(markdown_text(bundle["credits"]))
