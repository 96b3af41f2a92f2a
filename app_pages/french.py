"""French interface where Streamlit 1.67 has no option: ``lang="fr"``, its widgets' own texts, plotly's locale.

``install()`` is called by ``app.py`` on every run, before ``st.navigation(...).run()``, so every page gets it.
It sends one ``st.html(..., unsafe_allow_javascript=True)`` whose script runs in the app's own document (in
1.67 ``st.html`` is not an iframe): ``assets/ui/fr_ui.js`` (``lang="fr"`` kept on ``<html>``, Streamlit's
English texts and accessible names rewritten by a MutationObserver) and ``assets/ui/plotly-locale-fr.js``
(plotly.js' French dictionary, registered before Streamlit's plotly chunk loads). The script guards itself
(``window.__ecoqpvFr``): a rerun or a page change does not install it twice. Its element is hidden.

Why a script rather than rewriting ``index.html`` (an ASGI middleware with ``st.App``): the app keeps its
ordinary launch command (``streamlit run app.py``), and nothing depends on the literal text of Streamlit's
``index.html``. The cost: ``lang`` is ``en`` for the half-second before the first render.

Also a little CSS: a tighter top of page, so that the map of the Carte page fits a 1280×720 window, and no
« Ask Google » / « Ask ChatGPT » links under an unexpected error (English, and they send the error's text to
outside services). And a box where one can still type in a multiselect full of long names (the Comparer's):
without a minimum width its text field shrank to 19 px, under the 24 px a finger or a shaking hand needs
(WCAG 2.2 target size); with it, the field goes to the next line.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "ui"

CSS = """
<style>
.st-key-ecoqpv-fr { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 3.25rem; padding-bottom: 2rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.25rem; padding: 0.5rem 0 0.5rem; }
[data-testid="stException"] a[target="_blank"] { display: none; }
[data-testid="stMultiSelect"] input[role="combobox"] { min-width: 3rem; }
</style>
"""


@st.cache_data(show_spinner=False)
def script() -> str:
    """The ``<script>`` element: French chrome, then plotly's French locale."""
    body = "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in ("fr_ui.js", "plotly-locale-fr.js"))
    # DOMPurify (which st.html runs even with unsafe_allow_javascript) drops, without a word, an element
    # whose text has "<" followed by a letter, "/" or "!" (its mXSS guard): the script would vanish.
    if re.search(r"<[/\w!]", body):
        raise ValueError("assets/ui: « < » suivi d'une lettre, de « / » ou de « ! » : st.html supprimerait le script")
    return f"<script>{body}</script>"


def install() -> None:
    """Put the French script and the CSS on the current page (once per run, before the page itself), in one
    hidden element: every element costs the browser its share of the page's first drawing (issue #10)."""
    with st.container(key="ecoqpv-fr"):
        st.html(CSS + script(), unsafe_allow_javascript=True)
