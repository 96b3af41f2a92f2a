"""Fiche quartier: what one QPV faces, compared with its commune, its EPCI and France."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from core.text import markdown_text
from assembly.fiche import evolution, profile
from core.formats import format_number, format_value
from assembly.territory_table import territory_table
from core.errors import EcoqpvError
from pages.components import QPV_KEY, current_method, method_caption, territory_selector

territory = territory_selector()
method, frame = current_method()
st.title("Fiche quartier")

table = territory_table(territory, method, frame)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire : choisissez un autre territoire.")
    st.stop()

options = dict(zip(table["code_qp"], table["lib_qp"] + " — " + table["lib_com"].fillna("") + " (QPV "
                   + table["generation"].astype(str) + ")", strict=True))
chosen = st.session_state.get(QPV_KEY)
if chosen not in options:  # default: the first QPV with complete scores, else the first one
    complete = table.loc[table["statut"] == "complet", "code_qp"]
    chosen = complete.iloc[0] if len(complete) else next(iter(options))
code = st.selectbox("Quartier", list(options), index=list(options).index(chosen), format_func=options.get,
                    key="fiche_qpv")
st.session_state[QPV_KEY] = code

try:
    fiche = profile(code, method, frame)
except EcoqpvError as exc:
    st.error(markdown_text(exc))
    st.stop()
row = fiche.row

# Names come from downloaded files: shown as plain text, never as markdown.
st.header(markdown_text(row["lib_qp"]))
st.caption(f"{markdown_text(row['lib_com'])} · QPV {int(row['generation'])} · code {markdown_text(row['code_qp'])}")

# --- scores -------------------------------------------------------------------------------------
st.subheader("Exposition cumulée et conditions de vie")
if row["statut"] == "complet":
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Exposition (0-10)", format_number(row["score_exposition"], 1))
    c2.metric("Vulnérabilité (0-10)", format_number(row["score_vulnerabilite"], 1))
    c3.metric("Score global (0-100)", format_number(row["score_global"], 1))
    c4.metric("Indicateurs en alerte", format_number(row["nb_alertes"]))
    st.markdown(
        f"Rang **{format_number(row['rang'])}** sur {format_number(row['taille_cadre'])} quartiers classés "
        f"({row['cadre']} ; le rang 1 cumule le plus d'expositions et de fragilités) ; selon les choix de méthode, entre le rang **{format_number(row['rang_p05'])}** et "
        f"le rang **{format_number(row['rang_p95'])}** — classement **{row['robustesse']}**."
    )
else:
    st.info(
        "Ce quartier n'a pas de score global : l'exposition ou la vulnérabilité ne peuvent pas être calculées "
        "avec les données disponibles (voir les raisons ci-dessous). Les indicateurs disponibles restent affichés."
    )
st.caption(method_caption())
if fiche.drivers:
    st.markdown("**Ce qui pèse le plus** (indicateurs au-delà du 80e centile) : "
                + " ; ".join(f"{d.label} ({d.value_text}, centile {format_number(d.percentile)})"
                             for d in fiche.drivers[:6]) + ".")

# --- indicators by domain ------------------------------------------------------------------------
st.subheader("Indicateurs par domaine")


def _ref_text(line, level: str) -> str:
    for ref in line.references:
        if ref["niveau"] == level:
            ratio = ref["rapport"]
            ratio_text = f" (× {format_number(ratio, 2)})" if ratio is not None and not np.isnan(ratio) else ""
            return ref["valeur_texte"] + ratio_text
    return ""


for domain in fiche.domains:
    score = domain["score"]
    title = f"{domain['label']} — {domain['pillar']}"
    if not np.isnan(score):
        title += f" · centile moyen {format_number(score)}"
    with st.expander(title, expanded=domain["pillar"] != "Contexte"):
        frame_rows = pd.DataFrame(
            {
                "Indicateur": [line.label for line in domain["lines"]],
                "Valeur": [line.value_text or "—" for line in domain["lines"]],
                "Centile": [None if np.isnan(line.percentile) else round(line.percentile) for line in domain["lines"]],
                "Commune": [_ref_text(line, "Commune") for line in domain["lines"]],
                "EPCI": [_ref_text(line, "EPCI") for line in domain["lines"]],
                "France": [_ref_text(line, "France métropolitaine") for line in domain["lines"]],
                "Millésime": [line.vintage for line in domain["lines"]],
                "Donnée": [
                    line.missing_text if line.missing_text else
                    ("estimation par IRIS" if line.estimation else "publiée par la source")
                    + (f" — {line.detail}" if line.detail else "")
                    for line in domain["lines"]
                ],
                "Source": [line.source for line in domain["lines"]],
            }
        )
        st.dataframe(
            frame_rows, hide_index=True, width="stretch",
            column_config={"Centile": st.column_config.ProgressColumn(
                "Centile", help="Rang centile dans le cadre de référence (100 = situation la moins favorable)",
                min_value=0, max_value=100, format="%d")},
        )

# --- evolution ----------------------------------------------------------------------------------
st.subheader("Évolution")
series = evolution(code)
if series.empty:
    st.info("Aucune série temporelle n'est disponible pour ce quartier dans les données chargées "
            "(les séries Filosofi 2012-2021 existent pour les QPV 2015 de métropole).")
else:
    labels = {"revenu_median": "Revenu médian (€ par UC)", "taux_pauvrete": "Taux de pauvreté (%)",
              "population": "Population (habitants)"}
    cols = st.columns(min(3, series["indicateur"].nunique()))
    for col, (indicator, part) in zip(cols, series.groupby("indicateur"), strict=False):
        fig = px.line(part, x="annee", y="valeur", markers=True, title=labels.get(indicator, indicator))
        fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 40, "b": 10}, separators=", ",
                          xaxis_title=None, yaxis_title=None)
        fig.update_traces(line_color="#1f5fa8")
        col.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
    st.caption("Source : Insee, Filosofi par QPV 2015 (2012-2021) et recensement (2013, 2018). Évolutions à "
               "interpréter avec prudence : deux millésimes consécutifs ne mesurent pas une évolution fiable.")

# --- what the indicators do not say -------------------------------------------------------------------
st.subheader("Ce que ces indicateurs ne disent pas")
st.markdown(
    "- **Le vécu des habitants**, leurs ressources, les solidarités et les initiatives locales : à recueillir "
    "en atelier, à côté des données.\n"
    "- **L'exposition fine** à la chaleur dans les rues et les logements : la grille climatique fait 8 km.\n"
    "- **La situation d'aujourd'hui** : chaque chiffre a son millésime (de 2018 à 2024 selon les sources).\n"
    "- **Un verdict** : un rang dépend du cadre de comparaison et des choix de méthode."
)
