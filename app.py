"""ecoqpv — Streamlit entry point: ``streamlit run app.py``.

Copies Leaflet next to the app (so maps draw offline), turns Nagle's algorithm off on the server's sockets
(``core/tcp.py``) and hands over to the page chosen in the
navigation; each page draws the shared territory selector itself (``app_pages/components.py``).
Pages only read widgets, call pure functions and display results.
"""

from __future__ import annotations

import streamlit as st

import settings
from core.paths import clean_leftovers
from core.tcp import disable_nagle
from app_pages.components import ensure_map_assets, stop_if_settings_invalid
from app_pages.french import install as install_french

st.set_page_config(page_title="ecoqpv — précarité écologique des quartiers", layout="wide")
install_french()  # lang="fr", Streamlit's own texts and plotly in French (app_pages/french.py)
stop_if_settings_invalid()  # an unusable ECOQPV_* value: a French error box, no traceback


@st.cache_resource(show_spinner=False)
def _clean_data_dir_once(data_dir: str) -> int:
    """Once per process and data folder: remove what killed updates left there (never a live one's)."""
    return len(clean_leftovers(data_dir))


_clean_data_dir_once(str(settings.DATA_DIR))


@st.cache_resource(show_spinner=False)
def _server_without_nagle_once() -> int:
    """Once per process: answers and messages leave without waiting ≈ 40 ms each for the browser's
    acknowledgement (Streamlit 1.67's listening socket leaves Nagle's algorithm on: core/tcp.py)."""
    return disable_nagle()


_server_without_nagle_once()
ensure_map_assets()

pages = [
    # The default page is served at "/" whatever its url_path (Streamlit 1.67): "/accueil" is an alias below.
    st.Page("app_pages/accueil.py", title="Accueil", default=True, url_path=""),
    st.Page("app_pages/carte.py", title="Carte", url_path="carte"),
    st.Page("app_pages/fiche.py", title="Fiche quartier", url_path="fiche"),
    st.Page("app_pages/comparer.py", title="Comparer", url_path="comparer"),
    st.Page("app_pages/methode.py", title="Méthode et pondérations", url_path="methode"),
    st.Page("app_pages/annexe.py", title="Annexe diagnostic", url_path="annexe"),
    st.Page("app_pages/atelier.py", title="Mode atelier", url_path="atelier"),
    st.Page("app_pages/donnees.py", title="Données et sources", url_path="donnees"),
]


def _old_home_address() -> None:
    """``/accueil`` (the home page's documented address) opens the home page, with the link's parameters."""
    st.switch_page(pages[0], query_params=dict(st.query_params))


# Without it, "/accueil" shows Streamlit's English "Page not found" modal before the home page.
aliases = [st.Page(_old_home_address, title="Accueil", url_path="accueil", visibility="hidden")]
st.navigation(pages + aliases).run()
