"""Données locales (issue #13): the part of the Données page where a team brings its own figures, and the opt-in
to the scores (also shown on the Méthode page).

A CSV or XLSX keyed by QPV code is uploaded, read by ``loaders.local.indicateurs`` (``sources.local_files``), and
what would be read is shown before anything is stored: the French summary, its warnings and the first rows. The
person then declares label, unit, direction, domain, vintage and source, and adds the indicator; it becomes an
indicator like the others (map, fiche, Comparer, annex), marked « donnée locale ». Everything that comes from the
file or from the person is shown as text (``core.text``), never as markdown or HTML.

This module is imported by ``app_pages/donnees.py`` and ``app_pages/methode.py``; it draws nothing by itself.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assembly import indicator_list
from core import reasons
from core.errors import EcoqpvError
from core.formats import format_number, plural
from core.text import markdown_lines, markdown_text
from app_pages.components import visitor_text
from indicators.catalogue import DOMAINS
from indicators.local import DIRECTION_LABELS
from loaders.local import indicateurs
from sources import local_indicators
from sources.local_files import LocalDataError

#: Session key of the last indicator added (said once after the page reruns).
_ADDED = "_locales_ajoute"
SCORES_HELP = ("Une donnée locale n'entre dans les scores que si vous le demandez, indicateur par indicateur. Elle "
               "compte alors comme les autres indicateurs de son domaine, seulement dans un cadre de comparaison "
               "où elle est connue pour au moins un tiers des quartiers.")


def local_data_section() -> None:
    """The « Données locales » part of the Données page: import, then the list of local indicators."""
    st.subheader("Données locales", anchor=False)
    st.markdown(
        "Ajoutez vos propres chiffres par quartier (impayés d'énergie d'un bailleur, demandes d'aide du CCAS, "
        "relevés de terrain…) : un fichier .csv ou .xlsx avec une colonne de codes de QPV (QN… pour les QPV "
        "2024, QP… pour les QPV 2015) et une colonne de valeurs. Le fichier est vérifié avant tout import ; rien "
        "de ce qu'il contient n'est exécuté. L'indicateur importé apparaît sur la carte, dans les fiches, le "
        "Comparer et l'annexe, marqué « donnée locale », avec la source et le millésime que vous déclarez.")
    st.caption(f"Les indicateurs locaux sont gardés sur cette machine, dans {visitor_text(local_indicators.folder())} "
               "(dans le dossier de données de l'application) : une mise à jour des données ne les touche pas.")
    added = st.session_state.pop(_ADDED, None)
    if added:
        st.success(f"Indicateur ajouté : {markdown_text(added)}. Il est maintenant proposé sur la carte.")
    _import_block()
    local_indicators_block("donnees")


def _import_block() -> None:
    uploaded = st.file_uploader("Fichier de données locales (.csv ou .xlsx, une ligne par quartier)",
                                key="locales_fichier",
                                help="Limite : 20 Mo, 200 colonnes. Les valeurs vides, « s », « nd » ou « NC » sont "
                                "lues comme manquantes, avec leur raison.")
    if uploaded is None:
        return
    with st.expander("Choisir les colonnes (si le fichier en a plusieurs)"):
        value_column = st.text_input("Colonne des valeurs (titre ou lettre, par exemple C)", key="locales_colonne")
        code_column = st.text_input("Colonne des codes de QPV (titre ou lettre)", key="locales_colonne_code")
    try:
        table = indicateurs.read_bytes(uploaded.getvalue(), uploaded.name, value_column.strip() or None,
                                       code_column.strip() or None)
    except LocalDataError as exc:
        st.error("Ce fichier ne peut pas être importé. " + visitor_text(exc))
        return
    except EcoqpvError as exc:
        st.error(visitor_text(exc))
        return
    st.markdown("**Ce qui sera lu**")
    st.markdown(markdown_lines(table.summary_fr()))
    preview = table.frame.head(20)
    st.dataframe(pd.DataFrame({
        "Code du quartier": preview["code_qp"],
        "Valeur": [format_number(v, 3).rstrip("0").rstrip(",") if pd.notna(v) else "" for v in preview["valeur"]],
        "Si manquante": [reasons.missing_label(r) if pd.notna(r) else "" for r in preview["raison"]],
    }), hide_index=True, width="stretch")
    if len(table.frame) > len(preview):
        st.caption(f"Les 20 premiers quartiers sur {format_number(len(table.frame))}.")
    _metadata_form(table)


def _metadata_form(table) -> None:
    with st.form("locales_formulaire"):
        st.markdown("**Décrire l'indicateur**")
        label = st.text_input("Libellé", max_chars=indicateurs.MAX_LABEL, key="locales_libelle",
                              help="Le nom affiché sur la carte, les fiches et l'annexe.")
        unit = st.text_input("Unité", value=table.unit_hints[0] if table.unit_hints else "", max_chars=indicateurs.MAX_UNIT,
                             key="locales_unite", help="Par exemple %, €, logements, demandes.")
        direction = st.selectbox("Sens", list(DIRECTION_LABELS), format_func=DIRECTION_LABELS.get, key="locales_sens")
        domain = st.selectbox("Domaine", list(DOMAINS), format_func=lambda d: DOMAINS[d].label, key="locales_domaine")
        vintage = st.text_input("Millésime", max_chars=indicateurs.MAX_VINTAGE, key="locales_millesime",
                                help="L'année ou la période des données, par exemple 2023.")
        source = st.text_input("Source", max_chars=indicateurs.MAX_SOURCE, key="locales_source",
                               help="Qui a produit la donnée, par exemple « Bailleur Habitat Sud, impayés 2023 ».")
        scored = st.checkbox("Faire entrer cet indicateur dans les scores", value=False, key="locales_dans_scores",
                             help=SCORES_HELP)
        submitted = st.form_submit_button("Ajouter")
    if not submitted:
        return
    try:
        data = indicateurs.add_table(table, libelle=label, unite=unit, sens=direction, domaine=domain,
                                     millesime=vintage, source=source, dans_les_scores=scored)
    except EcoqpvError as exc:
        st.error(visitor_text(exc))
        return
    st.session_state[_ADDED] = data["libelle"]
    st.rerun()


def _set_scored(indicator_id: str, key: str) -> None:
    try:
        indicateurs.set_scored(indicator_id, bool(st.session_state.get(key)))
    except EcoqpvError as exc:
        st.session_state["_locales_erreur"] = str(exc)


def local_indicators_block(prefix: str, with_remove: bool = True) -> None:
    """The local indicators with their opt-in to the scores (``prefix`` keeps each page's widgets apart)."""
    stored = local_indicators.list_metadata()
    error = st.session_state.pop("_locales_erreur", None)
    if error:
        st.error(visitor_text(error))
    if not stored:
        if with_remove:
            st.caption("Aucun indicateur local pour l'instant.")
        return
    st.markdown("**Indicateurs locaux**")
    st.caption(SCORES_HELP)
    for data in stored:
        indicator_id = data["id"]
        ind = indicator_list.get(indicator_id) if indicator_id in indicator_list.ids() else None
        details = (f"{markdown_text(data['libelle'])} — {markdown_text(data['unite'] or 'sans unité')}, "
                   f"{markdown_text(DOMAINS[data['domaine']].label if data['domaine'] in DOMAINS else data['domaine'])}"
                   f", QPV {data['generation']}, {plural(int(data.get('nb_quartiers', 0)), 'quartier')} ; "
                   f"source : {markdown_text(data['source'])}, millésime {markdown_text(data['millesime'])} "
                   f"(donnée locale, `{indicator_id}`).")
        st.markdown(details)
        key = f"{prefix}_locales_scores_{indicator_id}"
        could = ind is None or getattr(ind, "could_be_scored", True)
        st.checkbox(f"Faire entrer « {markdown_text(data['libelle'])} » dans les scores", value=bool(data["dans_les_scores"]), key=key, disabled=not could,
                    on_change=_set_scored, args=(indicator_id, key),
                    help=SCORES_HELP if could else "Un indicateur descriptif ou du domaine Contexte n'entre jamais "
                    "dans les scores.")
        if with_remove and st.button("Supprimer", key=f"{prefix}_locales_suppr_{indicator_id}"):
            indicateurs.remove(indicator_id)
            st.rerun()


def local_indicators_present() -> bool:
    """Whether any local indicator is stored (the Méthode page shows its block only then)."""
    return bool(local_indicators.list_metadata())
