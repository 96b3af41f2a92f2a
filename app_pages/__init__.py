"""Streamlit pages, routed by ``app.py`` (``st.navigation`` with explicit ``st.Page`` paths); nothing imports them
but the app. A package only so that ``lint-imports`` can check them."""
