"""Streamlit pieces for what workshop groups say (« remontées »): the form, the list, the Fiche quartier block.

Not a page of its own: the Mode atelier page records, edits and deletes notes with these functions, and the Fiche
quartier page lists a quartier's notes with :func:`fiche_block`. Notes are always shown as text (every character
escaped for markdown), in their own block, never among the statistics.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.errors import EcoqpvError
from core.text import markdown_text
from app_pages.components import visitor_text
from core.workshop import MAX_NOTE_CHARS, NO_PERSONAL_DATA, NOTES_TITLE, SPEAKERS, THEMES
from loaders.local import remontees
from loaders.local.remontees import Remontee

_MESSAGE_KEY = "remontees_message"


def text_markdown(text: str) -> str:
    """A note's text as literal markdown, its line breaks kept (each line escaped, joined by hard breaks)."""
    return "  \n".join(markdown_text(line) for line in str(text).split("\n"))


def _tell(kind: str, text: str) -> None:
    st.session_state[_MESSAGE_KEY] = (kind, text)


def show_message() -> None:
    """The result of the last save, edit or deletion (kept across the rerun that follows a form)."""
    kind, text = st.session_state.pop(_MESSAGE_KEY, (None, None))
    if kind == "ok":
        st.success(markdown_text(text))
    elif kind == "erreur":
        st.error(visitor_text(text))


def _save(key: str) -> None:
    values = st.session_state
    try:
        note = remontees.add(values[f"{key}_qpv"], values[f"{key}_theme"], values[f"{key}_texte"],
                             values[f"{key}_qui"], values.get(f"{key}_jour") or None)
    except EcoqpvError as exc:
        _tell("erreur", f"{exc} La remontée n'a pas été enregistrée : le texte est resté dans le formulaire.")
        return
    values[f"{key}_texte"] = ""
    _tell("ok", f"Remontée n° {note.id} enregistrée ({note.theme_label}, {note.qui_label}).")


def record_form(quartiers: dict[str, str], default_code: str | None, default_theme: str, key: str) -> None:
    """Form to note what the group says about a quartier and a theme (no personal data)."""
    if not quartiers:
        return
    codes = list(quartiers)
    # The form follows the slide (its quartier and theme) when they change; in between, the person's choice stays.
    defaults = (default_code, default_theme)
    if st.session_state.get(f"{key}_defauts") != defaults or st.session_state.get(f"{key}_qpv") not in quartiers:
        st.session_state[f"{key}_defauts"] = defaults
        st.session_state[f"{key}_qpv"] = default_code if default_code in quartiers else codes[0]
        st.session_state[f"{key}_theme"] = default_theme if default_theme in THEMES else next(iter(THEMES))
    with st.form(f"{key}_formulaire", border=True):
        left, middle, right = st.columns([2, 1.3, 1.2])
        left.selectbox("Quartier", codes, format_func=quartiers.get, key=f"{key}_qpv")
        middle.selectbox("Thème", list(THEMES), format_func=THEMES.get, key=f"{key}_theme")
        right.selectbox("Qui parle", list(SPEAKERS), format_func=SPEAKERS.get, key=f"{key}_qui")
        st.text_area("Ce que dit le groupe", key=f"{key}_texte", max_chars=MAX_NOTE_CHARS, height=110,
                     help=NO_PERSONAL_DATA, placeholder="Par exemple : la place du marché est brûlante l'après-midi, "
                     "pas un arbre, les enfants ne peuvent plus y jouer.")
        st.caption(markdown_text(NO_PERSONAL_DATA + " Date : aujourd'hui (modifiable ensuite)."))
        st.form_submit_button("Enregistrer la remontée", type="primary", on_click=_save, args=(key,))


def _edit(note_id: int, key: str) -> None:
    values = st.session_state
    try:
        if values.get(f"{key}_supprimer"):
            note = remontees.remove(note_id)
            _tell("ok", f"Remontée n° {note.id} supprimée.")
            return
        note = remontees.edit(note_id, texte=values[f"{key}_texte"], theme=values[f"{key}_theme"],
                              qui=values[f"{key}_qui"], jour=values[f"{key}_jour"])
    except EcoqpvError as exc:
        _tell("erreur", f"{exc}")
        return
    _tell("ok", f"Remontée n° {note.id} modifiée.")


def _edit_form(note: Remontee, key: str) -> None:
    with st.form(key, border=False):
        st.text_area("Texte", value=note.texte, key=f"{key}_texte", max_chars=MAX_NOTE_CHARS, height=100)
        left, middle, right = st.columns(3)
        left.selectbox("Thème", list(THEMES), index=list(THEMES).index(note.theme) if note.theme in THEMES else 0,
                       format_func=THEMES.get, key=f"{key}_theme")
        middle.selectbox("Qui parle", list(SPEAKERS), index=list(SPEAKERS).index(note.qui) if note.qui in SPEAKERS else 0,
                         format_func=SPEAKERS.get, key=f"{key}_qui")
        right.text_input("Date (JJ/MM/AAAA)", value=note.jour_text, key=f"{key}_jour")
        st.checkbox("Supprimer cette remontée (définitivement)", key=f"{key}_supprimer")
        st.form_submit_button("Enregistrer", on_click=_edit, args=(note.id, key))


def notes_list(found: list[Remontee], names: dict[str, str], editable: bool, key: str) -> None:
    """The notes, each with its date, theme and who spoke, its text as text (and, ``editable``, a form)."""
    for note in found:
        with st.container(border=True, key=f"{key}_{note.id}"):
            where = names.get(note.code_qp, note.code_qp)
            st.caption(markdown_text(f"N° {note.id} · {note.jour_text} · {where} · {note.theme_label} · "
                                     f"{note.qui_label}"))
            st.markdown(text_markdown(note.texte))
            if editable:
                with st.expander("Modifier ou supprimer"):
                    _edit_form(note, f"{key}_edition_{note.id}")


def csv_button(found: list[Remontee], file_name: str, key: str) -> None:
    st.download_button("Télécharger ces remontées (CSV pour Excel)", remontees.csv_bytes(found), file_name=file_name,
                       mime="text/csv", key=key, disabled=not found)


def fiche_block(code_qp: str) -> None:
    """The Fiche quartier's block of notes: apart from the statistics, clearly titled, never scored."""
    st.subheader(NOTES_TITLE)
    st.caption("Remontées notées en atelier (page Mode atelier) : des paroles, pas des statistiques ; elles "
               "n'entrent dans aucun score ni aucune comparaison.")
    try:
        found = remontees.notes([code_qp])
    except EcoqpvError as exc:
        st.warning(visitor_text(exc))
        return
    if not found:
        st.markdown("Aucune remontée n'a encore été notée pour ce quartier.")
        return
    notes_list(found, {code_qp: "ce quartier"}, editable=False, key=f"fiche_remontees_{code_qp}")
    csv_button(found, f"remontees_{code_qp}_{date.today().isoformat()}.csv", key=f"fiche_remontees_csv_{code_qp}")
