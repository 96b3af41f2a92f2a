"""Fiche quartier: what one QPV faces, compared with its commune, its EPCI and France."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.text import markdown_text
from assembly.fiche import NO_DATA, profile
from core.formats import format_number, format_value
from assembly.territory_table import territory_table
from core.errors import EcoqpvError
from app_pages.components import (CHART_CONFIG, QPV_KEY, current_method, french_chart, method_caption,
                                   quartier_choices, territory_selector, text_table, visitor_text)
from app_pages.remontees import fiche_block

territory = territory_selector()
method, frame = current_method()
st.title("Fiche quartier")

table = territory_table(territory, method, frame)
if table.empty:
    st.info("Aucun quartier prioritaire n'est rattaché à ce territoire : choisissez un autre territoire.")
    st.stop()

options = quartier_choices(table)  # alphabetical: the list is read, or typed into
chosen = st.session_state.get(QPV_KEY)
if chosen not in options:  # default: the first QPV with complete scores, else the first one
    complete = set(table.loc[table["statut"] == "complet", "code_qp"])
    chosen = next((code for code in options if code in complete), next(iter(options)))
code = st.selectbox("Quartier", list(options), index=list(options).index(chosen), format_func=options.get,
                    key="fiche_qpv")
st.session_state[QPV_KEY] = code

try:
    fiche = profile(code, method, frame)
except EcoqpvError as exc:
    st.error(visitor_text(exc))
    st.stop()
row = fiche.row
scores = fiche.scores

# Names come from downloaded files: shown as plain text, never as markdown.
st.header(markdown_text(row["lib_qp"]))
st.caption(f"{markdown_text(row['lib_com'])} · QPV {int(row['generation'])} · code {markdown_text(row['code_qp'])}")

for note in fiche.notes:  # said whatever the values (the Mayotte codes, for one)
    st.info(markdown_text(note))

if fiche.no_data:  # one sentence, and where to get the data
    st.info(NO_DATA)
    st.page_link("app_pages/donnees.py", label="Ouvrir la page Données et sources")
    st.stop()

# --- scores -------------------------------------------------------------------------------------
st.subheader("Exposition cumulée et conditions de vie")
if scores.complete:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Exposition (0-10)", format_number(scores.exposition, 1))
    c2.metric("Vulnérabilité (0-10)", format_number(scores.vulnerability, 1))
    c3.metric("Score global (0-100)", format_number(scores.overall, 1))
    c4.metric("Indicateurs en alerte", format_number(scores.alerts))
    interval = ""
    if scores.rank_low is not None and scores.rank_high is not None and not scores.interval_in_reliability:
        interval = (f" ; selon les choix de méthode et l'incertitude des valeurs estimées, entre le rang "
                    f"**{format_number(scores.rank_low)}** et le rang **{format_number(scores.rank_high)}**")
    st.markdown(
        f"**{markdown_text(scores.rank_text[0].upper() + scores.rank_text[1:])}** (cadre de comparaison : "
        f"{markdown_text(scores.frame)} ; le rang 1 cumule le plus d'expositions et de fragilités){interval}."
    )
    if scores.reliability_text:
        reliability = markdown_text(scores.reliability_text[0].upper() + scores.reliability_text[1:])
        (st.success if scores.robust else st.warning)(f"**Fiabilité du classement** — {reliability}")
else:
    st.info(
        "Ce quartier n'a pas de score global : l'exposition ou la vulnérabilité ne peuvent pas être calculées "
        "avec les données disponibles (voir les raisons ci-dessous). Les indicateurs disponibles restent affichés."
    )
st.caption(method_caption())
if fiche.drivers:
    st.markdown(f"**Ce qui pèse le plus** (indicateurs au-delà du {format_number(fiche.threshold)}e centile) : "
                + " ; ".join(f"{d.label} ({d.value_text}, centile {format_number(d.percentile)})"
                             for d in fiche.drivers[:6]) + ".")
elif fiche.leaning:
    st.markdown(f"**Ce qui pèse le plus** : aucun indicateur au-delà du {format_number(fiche.threshold)}e centile ; "
                "au-dessus de la médiane du cadre : "
                + " ; ".join(f"{d.label} ({d.value_text}, centile {format_number(d.percentile)})"
                             for d in fiche.leaning) + ".")
else:
    st.markdown(markdown_text(fiche.drivers_text))
if fiche.basis_text and (fiche.drivers or fiche.leaning):  # drivers_text already says it
    st.caption(markdown_text(fiche.basis_text))
if fiche.out_of_frame_text:
    st.caption(fiche.out_of_frame_text)

# --- indicators by domain ------------------------------------------------------------------------
st.subheader("Indicateurs par domaine")
st.caption("Centile : rang centile du quartier dans son cadre de comparaison (100 = la situation la moins "
           "favorable) ; vide quand l'indicateur n'est pas classé. Commune, EPCI, France : la valeur du territoire "
           "et, entre parenthèses, le rapport quartier / territoire ; une colonne est omise quand aucun indicateur "
           "du domaine n'est publié à cette échelle.")


def _ref_text(line, level: str) -> str:
    """The enclosing territory's value, with the QPV/territory ratio when there is one."""
    ref = line.references.get(level)
    if ref is None:
        return ""
    return ref.value_text + ("" if math.isnan(ref.ratio) else f" (× {format_number(ref.ratio, 2)})")


def _origin(line) -> str:
    """Why a value is missing, or how it reached the quartier (the detail the data gives)."""
    if line.missing:
        return line.missing_text
    return line.detail


for domain in fiche.domains:
    # "Chaleur — pilier Exposition"; the context domain says it is outside the scores.
    title = (f"{domain.label} (hors scores)" if domain.pillar == "Contexte" or domain.label == domain.pillar
             else f"{domain.label} — pilier {domain.pillar}")
    if not math.isnan(domain.score):
        title += f" · centile moyen {format_number(domain.score)}"
    with st.expander(title, expanded=domain.pillar != "Contexte"):
        frame_rows = pd.DataFrame(
            {
                "Indicateur": [line.label for line in domain.lines],
                "Valeur": [line.value_text or "—" for line in domain.lines],
                "Nature": [line.nature_text for line in domain.lines],
                "Centile": ["" if math.isnan(line.percentile) else format_number(line.percentile, 0)
                            for line in domain.lines],
                "Commune": [_ref_text(line, "commune") for line in domain.lines],
                "EPCI": [_ref_text(line, "epci") for line in domain.lines],
                "France": [_ref_text(line, "france") for line in domain.lines],
                "Millésime": [line.vintage for line in domain.lines],
                "Donnée": [_origin(line) for line in domain.lines],
                "Source": [line.source for line in domain.lines],
            }
        )
        # A real table: every column visible at 1280 px (long texts wrap), copied as a table into a document,
        # read as a table by screen readers; names and labels as text (text_table).
        # A territory column with no value at all for this domain is left out (said in the caption above).
        empty = [level for level in ("Commune", "EPCI", "France") if not frame_rows[level].astype(bool).any()]
        text_table(frame_rows.drop(columns=empty).set_index("Indicateur"))

if any(line.estimation for line in fiche.lines.values() if not line.missing):
    st.caption("Une estimation n'est pas un chiffre publié : une estimation calibrée est donnée avec son "
               "intervalle à 90 % (la vraie valeur s'y trouve 9 fois sur 10), une estimation par IRIS avec sa méthode. "
               "Millésime et source : ceux de chaque valeur (une valeur reprise d'un QPV 2015 garde les siens).")

# --- evolution ----------------------------------------------------------------------------------
st.subheader("Évolution")
if not fiche.series:
    st.info(fiche.evolution_note)
else:
    cols = st.columns(min(3, len(fiche.series)))
    for col, series in zip(cols, fiche.series, strict=False):
        # Hover: « 2014 : 45,3 % », the value written as everywhere else (never plotly's column names).
        fig = go.Figure(go.Scatter(
            x=series.years, y=series.values, mode="lines+markers", line={"color": "#1f5fa8"},
            text=[format_value(v, series.unit, series.decimals) for v in series.values],
            hovertemplate="%{x} : %{text}<extra></extra>",
        ))
        french_chart(fig, axes=("yaxis",))  # years on x stay "2014"
        fig.update_layout(title=series.label, height=260, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                          xaxis_title=None, yaxis_title=None, showlegend=False)
        col.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
    st.caption(fiche.evolution_note)

# --- what the indicators do not say -------------------------------------------------------------------
st.subheader("Ce que ces indicateurs ne disent pas")
st.markdown("\n".join(f"- **{lead}**{rest}" for lead, rest in fiche.unsaid))

# --- what workshop groups said: apart from the statistics, never scored (app_pages/remontees.py) ----------------
fiche_block(code)
