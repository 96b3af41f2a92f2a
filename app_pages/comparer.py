"""Comparer: up to 8 QPV and their reference territories side by side, with charts and a CSV export."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
import streamlit as st

from core.text import html_text, markdown_text
from assembly import indicator_list
from assembly.comparer import MAX_QPV, comparison_provenances, comparison_table, percentile_long
from assembly.value_text import value_text
from core.formats import format_number
from assembly.territory_table import rank_phrase, territory_table
from app_pages.components import (CHART_CONFIG, QPV_KEY, current_method, french_chart, method_caption,
                                   quartier_choices, territory_selector, text_table)
from reports.csv import comparison_csv_bytes

territory = territory_selector()
method, frame = current_method()
st.title("Comparer des quartiers")

table = territory_table(territory, method, frame)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire : choisissez un autre territoire.")
    st.stop()

labels = quartier_choices(table)  # « Nom — Commune (QPV 2024) », alphabetical, as on the fiche
# Default: the quartier opened last in a fiche, then the first ranked ones of the territory.
selected = st.session_state.get(QPV_KEY)
default = ([selected] if selected in labels else []) + [
    c for c in table.loc[table["statut"] == "complet"].sort_values("rang")["code_qp"] if c != selected][:3]
codes = st.multiselect(f"Quartiers à comparer ({MAX_QPV} au plus)", list(labels), default=default or list(labels)[:2],
                       format_func=labels.get, max_selections=MAX_QPV, key="comparer_qpv")
if not codes:
    st.info("Choisissez au moins un quartier.")
    st.stop()
if table.set_index("code_qp").loc[codes, "generation"].nunique() > 1:
    st.warning("Vous comparez des QPV 2015 et des QPV 2024 : leurs périmètres diffèrent et leurs rangs sont "
               "calculés dans des cadres séparés. Comparez les valeurs avec prudence.")

values, headers = comparison_table(table, codes)
origins = comparison_provenances(table, codes)
shown = pd.DataFrame({"Indicateur": [indicator_list.display_label(i) for i in values.index]})
for key, header in headers.items():
    # An estimate says it is one, with its interval; a value carried from a QPV 2015 names it.
    shown[header] = [value_text(v, indicator_list.get(i).unit, indicator_list.get(i).decimals, origins.get(key, {}).get(i),
                                compact=True) or "—" for i, v in values[key].items()]
shown["Millésime"] = [indicator_list.get(i).vintage for i in values.index]
# A real HTML table: its headers wrap, so eight quartiers and their territories stay readable (a data grid
# cuts them), and a screen reader reads it as a table.
text_table(shown.set_index("Indicateur"))  # names and labels as text, never Markdown
st.caption("« — » : valeur non disponible (voir la fiche du quartier pour la raison). « estimation : a à b » : "
           "estimation calibrée et son intervalle à 90 % (la vraie valeur s'y trouve 9 fois sur 10) ; « estimation "
           "IRIS » : moyenne des IRIS, non calibrée ; « QPV 2015 …, même périmètre » : valeur officielle du QPV 2015 "
           "de même contour, avec son millésime. Millésime : celui des valeurs publiées pour les QPV 2015 ; le "
           "millésime et la source de chaque valeur sont dans la fiche du quartier et dans le fichier CSV. Les "
           "territoires de référence n'ont de valeur que pour les indicateurs publiés à leur échelle.")

st.download_button("Télécharger ce tableau (CSV pour Excel)", comparison_csv_bytes(values, headers, origins),
                   file_name=f"ecoqpv-comparaison-{territory.code}.csv", mime="text/csv", key="comparer_csv")

st.subheader("Rangs centiles par domaine")
long = percentile_long(table, codes)
# Plotly reads a few HTML tags in labels: names and labels are escaped (they come from downloaded or imported files).
long["lib_qp"] = long["lib_qp"].map(html_text)
long["libelle"] = long["libelle"].map(html_text)
#: One colour per quartier, the same in every domain's chart (the order of the choice).
colours = {code: qualitative.Safe[position % len(qualitative.Safe)] for position, code in enumerate(codes)}
if long.empty:
    st.info("Aucun rang centile disponible pour ces quartiers.")
else:
    for domain, part in long.groupby("domaine", sort=False):
        fig = go.Figure()
        for code in codes:  # the legend in the order of the choice, in every chart
            points = part[part["code_qp"] == code]
            if points.empty:
                continue
            fig.add_trace(go.Scatter(
                x=points["centile"], y=points["libelle"], mode="markers", name=points["lib_qp"].iloc[0],
                marker={"size": 11, "color": colours[code], "line": {"width": 1, "color": "#333"}},
                hovertemplate="%{y} : rang centile %{x:.0f}<extra>%{fullData.name}</extra>",  # whole, as in the fiche
            ))
        french_chart(fig, axes=("xaxis",))
        fig.update_layout(title=domain, height=120 + 38 * part["libelle"].nunique(), legend_title_text="",
                          margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_title=None, xaxis_range=[-2, 102],
                          xaxis_title="Rang centile (100 = situation la moins favorable du cadre)")
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)

st.subheader("Classement et incertitude")
# Only what the ranks need: a row of the territory table has hundreds of columns (iterrows copies them all).
ranked = (table.set_index("code_qp").loc[codes, ["rang", "rang_p05", "rang_p95", "cadre_classes", "fiabilite_texte"]]
          .dropna(subset=["rang"]).sort_values("rang"))
if ranked.empty:
    st.info("Aucun des quartiers choisis n'a de score global (données partielles).")
else:
    fig = go.Figure(go.Scatter(
        x=ranked["rang"], y=[html_text(labels[c]) for c in ranked.index], mode="markers", marker={"size": 11, "color": "#1f5fa8"},
        error_x={"type": "data", "symmetric": False, "array": ranked["rang_p95"] - ranked["rang"],
                 "arrayminus": ranked["rang"] - ranked["rang_p05"], "color": "#9bb7d9"},
        hovertext=[html_text(f"{rank_phrase(row)} (de {format_number(row['rang_p05'])} à "
                             f"{format_number(row['rang_p95'])}) — {row.get('fiabilite_texte') or ''}")
                   for _, row in ranked.iterrows()],
        hovertemplate="%{y}<br>%{hovertext}<extra></extra>",  # not plotly's bare « (12, Mosson) »
    ))
    french_chart(fig, axes=("xaxis",))
    fig.update_layout(height=120 + 40 * len(ranked), margin={"l": 10, "r": 10, "t": 20, "b": 10},
                      xaxis_title="Rang (1 = exposition cumulée la plus forte du cadre)", yaxis={"autorange": "reversed"})
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
    st.caption("Point : rang selon la méthode choisie ; barre : 90 % des rangs obtenus en faisant varier les choix "
               "de méthode et en tirant les valeurs estimées dans leur intervalle. " + method_caption())
    frames = " ; ".join(dict.fromkeys(ranked["cadre_classes"].dropna().astype(str)))
    if frames:
        st.caption(f"Rangs comptés parmi {markdown_text(frames)}.")
    # A real table: the rank sentences and their reliability wrap in view and copy into a diagnostic
    # (the data grid cut them at its column width and cannot be copied since disableDataExport).
    text_table(pd.DataFrame({
        "Quartier": [labels[code] for code in ranked.index], "Rang": [rank_phrase(row) for _, row in ranked.iterrows()],
        "Fiabilité du classement": ranked["fiabilite_texte"].fillna("")}).set_index("Quartier"))
