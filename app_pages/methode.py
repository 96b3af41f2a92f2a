"""Méthode et pondérations: the user's weights, frame and normalisation, their effect on the ranking,
and the method in plain French. Settings export/import as a small JSON file an annex can cite."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core import natures, reasons
from core.text import html_text, markdown_text, plain_method
from indicators import catalogue
from core.formats import format_number, plural, rank_change_text
from indicators.methode import AGGREGATION_LABELS, NORMALISATION_LABELS, render_markdown
from assembly.ranking import rank_shifts
from indicators.scores import COVERAGE_RULE, DATA_DRAW_RULE, ROBUST_RULE, Method
from indicators.method_settings import (WEIGHT_STEPS, from_json, nearest_step, non_default_weights, on_weight_steps,
                                        to_json)
from assembly.territory_table import FRAMES
from core.errors import EcoqpvError
from app_pages.components import (CHART_CONFIG, current_method, french_chart, method_notices, set_method,
                                   territory_selector, visitor_text)
from app_pages.donnees_locales import local_indicators_block, local_indicators_present



def method_glossary() -> dict[str, str]:
    """Words for the codes of the method document: reasons, natures, attribution rules, table columns."""
    rules = {code: f"« {text[0].lower()}{text[1:].rstrip('.')} »" for code, text in catalogue.ATTRIBUTION_RULES.items()}
    return {**{c: f"« {t} »" for c, t in reasons.LABELS.items()}, **{c: f"« {t} »" for c, t in natures.LABELS.items()},
            **rules, "score_autorise": "« peut entrer dans les scores »"}


territory = territory_selector()
method, frame = current_method()
st.title("Méthode et pondérations")
st.markdown(
    "Les scores résument plusieurs indicateurs ; leur classement dépend de choix de méthode. Modifiez les "
    "poids des domaines, le cadre de comparaison ou la normalisation : la carte, les fiches et le classement "
    "suivent. Le graphique montre combien chaque quartier monte ou descend par rapport à la méthode par défaut."
)

uploaded = st.file_uploader("Importer des réglages (fichier JSON exporté par ecoqpv)", type=["json"],
                            key="methode_import")
if uploaded is not None and st.session_state.get("_methode_importee") != uploaded.file_id:
    try:
        # The sliders hold steps only: a weight between two steps is rounded here, and said (not on the slider).
        imported = on_weight_steps(from_json(uploaded.getvalue(), source=uploaded.name))
    except EcoqpvError as exc:
        # The message quotes the file's content: plain text, never markdown.
        st.error(visitor_text(exc))
    else:
        set_method(imported.method, imported.frame, imported.notices)
        st.session_state["_methode_importee"] = uploaded.file_id
        for key in [k for k in st.session_state if str(k).startswith("poids_")]:
            del st.session_state[key]
        st.success("Réglages importés.")
        method, frame = imported.method, imported.frame

# Values of the imported file that were changed on reading (a weight above the sliders' range), said
# under the upload for as long as the imported method is the one in use (filled once the sliders are read).
notices_box = st.container()

domains = list(dict.fromkeys(catalogue.get(i).domain for i in catalogue.scored_ids()))
left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Poids des domaines")
    weights = {}
    for pillar in ("Exposition", "Vulnérabilité"):
        st.markdown(f"**{pillar}**")
        for domain in [d for d in domains if catalogue.DOMAINS[d].pillar == pillar]:
            current = nearest_step(float(method.domain_weights.get(domain, 1.0)))
            weights[domain] = st.select_slider(
                catalogue.DOMAINS[domain].label, list(WEIGHT_STEPS), value=current, key=f"poids_{domain}",
                format_func=lambda w: f"× {format_number(w, 2)}", help=catalogue.DOMAINS[domain].description,
            )
    new_frame = st.radio("Cadre de référence", list(FRAMES), index=list(FRAMES).index(frame),
                         format_func=lambda f: FRAMES[f].capitalize(), key="methode_cadre")
    normalisation = st.selectbox("Normalisation", list(NORMALISATION_LABELS),
                                 index=list(NORMALISATION_LABELS).index(method.normalisation),
                                 format_func=NORMALISATION_LABELS.get, key="methode_normalisation")
    aggregation = st.selectbox("Agrégation des domaines", list(AGGREGATION_LABELS),
                               index=list(AGGREGATION_LABELS).index(method.aggregation),
                               format_func=AGGREGATION_LABELS.get, key="methode_agregation")
    if st.button("Revenir à la méthode par défaut", key="methode_reset"):
        for key in [k for k in st.session_state if str(k).startswith(("poids_", "methode_"))]:
            del st.session_state[key]
        set_method(Method(), "generation")
        st.rerun()

chosen = Method(domain_weights=non_default_weights(weights), normalisation=normalisation,
                aggregation=aggregation, draws=method.draws, seed=method.seed)
try:
    chosen.validate(domains, catalogue.domain_pillars())
except EcoqpvError as exc:
    with right:
        st.error(visitor_text(exc))
    st.stop()
set_method(chosen, new_frame)
with notices_box:
    for notice in method_notices():
        st.warning(markdown_text(notice))

with right:
    st.subheader("Effet sur le classement du territoire")
    try:
        shifts = rank_shifts(territory, chosen, new_frame)
    except EcoqpvError as exc:
        st.error(visitor_text(exc))
        st.stop()
    ranked = shifts.dropna(subset=["rang_choisi"]).sort_values("rang_choisi")
    if ranked.empty:
        st.info("Aucun quartier de ce territoire n'a de score global avec les données disponibles : les rangs ne "
                "peuvent pas être comparés. Les quartiers restent visibles sur la carte et dans les fiches.")
    else:
        moved = int((ranked["ecart"].abs() > 0).sum())
        st.markdown(f"{plural(moved, 'quartier')} sur {format_number(len(ranked))} "
                    f"{'changent' if moved >= 2 else 'change'} de rang par rapport à la méthode par défaut.")
        top = ranked.head(25)
        fig = go.Figure()
        # A QPV 2015 and a QPV 2024 often share a name: the generation tells them apart. Plotly reads a few
        # HTML tags in labels: names are escaped.
        names = (top["lib_qp"] + " (QPV " + top["generation"].astype(int).astype(str) + ")").map(html_text)
        fig.add_trace(go.Scatter(x=top["rang_defaut"], y=names, mode="markers", name="Méthode par défaut",
                                 marker={"symbol": "circle-open", "size": 10, "color": "#6b6b6b"},
                                 hovertemplate="%{y} : rang %{x} selon la méthode par défaut<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=top["rang_choisi"], y=names, mode="markers", name="Méthode choisie",
            marker={"size": 10, "color": "#1f5fa8"},
            hovertemplate="%{y} : rang %{x} selon la méthode choisie<extra></extra>",
            error_x={"type": "data", "symmetric": False, "array": top["rang_p95"] - top["rang_choisi"],
                     "arrayminus": top["rang_choisi"] - top["rang_p05"], "color": "#9bb7d9"},
        ))
        french_chart(fig, axes=("xaxis",))
        fig.update_layout(height=max(320, 22 * len(top) + 80), margin={"l": 10, "r": 10, "t": 30, "b": 30},
                          xaxis_title="Rang (1 = exposition cumulée la plus forte du cadre)", yaxis_title=None,
                          yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": 1.08})
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
        st.caption("Barres : intervalle de 90 % des rangs obtenus en faisant varier poids, normalisation et "
                   "agrégation (robustesse). Les 25 premiers quartiers du territoire selon la méthode choisie.")
        table = ranked.assign(
            Quartier=ranked["lib_qp"], Génération=ranked["generation"].astype(str),
            **{"Rang (défaut)": ranked["rang_defaut"].map(lambda v: format_number(v)),
               "Rang (choisi)": ranked["rang_choisi"].map(lambda v: format_number(v)),
               "Changement de rang": ranked["ecart"].map(rank_change_text)},
        )[["Quartier", "Génération", "Rang (défaut)", "Rang (choisi)", "Changement de rang"]]
        st.dataframe(table, hide_index=True, width="stretch", height=300)

    st.download_button("Exporter ces réglages (JSON)", to_json(chosen, new_frame), file_name="ecoqpv-methode.json",
                       mime="application/json", key="methode_export")

# Local indicators (issue #13): the person decides, per indicator, whether it enters the scores.
if local_indicators_present():
    st.subheader("Données locales dans les scores", anchor=False)
    local_indicators_block("methode", with_remove=False)

with st.expander("La méthode en clair", expanded=False):
    # How the rank interval carries the uncertainty of the estimates, when a rank is called robust, which
    # indicators a frame ranks: the same sentences as the annex.
    st.markdown("\n".join(f"- {rule[0].upper()}{rule[1:]}" for rule in (
        "L'intervalle de rang vient de tirages qui font varier les choix de méthode et, dans les mêmes tirages, "
        "les valeurs estimées : " + DATA_DRAW_RULE, ROBUST_RULE, COVERAGE_RULE)))
    st.markdown(plain_method(render_markdown(chosen), method_glossary()))
    st.caption("Le même texte, avec les codes utilisés par les fichiers et la ligne de commande, est dans "
               "docs/methode.md et dans l'annexe diagnostic.")
