"""A page that fails the way a bug would, with a server path in its error: run by ``test_errors_e2e.py`` with
the project's ``.streamlit/config.toml`` to check what a visitor sees of an unexpected error."""

import streamlit as st

from app_pages import french

french.install()
st.title("Page qui échoue")
raise KeyError("/srv/ecoqpv/donnees/raw/insee/base-ic-evol-struct-pop-2020.csv")
