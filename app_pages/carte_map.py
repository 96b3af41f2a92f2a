"""The Carte page's map: a Streamlit custom component (``st.components.v2``) drawn in the page itself.

The map is drawn by ``assets/ui/carte_qpv.js`` with Leaflet, both served from the app's own ``/app/static``
(cached by the browser); the component itself is a three-line loader. It receives
``geodata.carte_data.map_data`` as compact UTF-8 JSON bytes and sends back the code of a clicked quartier.
Why not streamlit-folium, as the workshop page still does: its iframe, its own script bundle and the folium
page added about a second to each opening of the map, and its tooltips travelled as HTML (issue #10,
``bench/RESULTS.md``). Here the tooltips are built in the browser from text.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from geodata import carte_data, webmap
from geodata.offline_assets import install_map_script

#: Leaflet's own CSS is loaded by the script; this is ours (tooltip, hint, the map's box).
_CSS = webmap.MAP_CSS + """
.ecoqpv-carte { width: 100%; height: 100%; }
.ecoqpv-carte-erreur { margin: 0; padding: 1rem; background: #fff4e5; color: #1a1a1a; border-radius: 4px; }
"""

#: The component's module: imports the map script (its URL is ours, versioned) and hands it the component.
_LOADER = """
const SCRIPT = %s;
export default function (component) {
  return import(new URL(SCRIPT, document.baseURI).href).then((module) => module.default(component));
}
"""


@st.cache_resource(show_spinner=False)
def _script_url() -> str:
    """The map script copied to the static folder once per server process; its versioned URL."""
    return install_map_script()


@st.cache_resource(show_spinner=False)
def _component() -> Any:
    """Registered once per server process."""
    loader = _LOADER % json.dumps(_script_url())
    return st.components.v2.component("ecoqpv_carte", js=loader, css=_CSS, isolate_styles=False)


def preload_map() -> None:
    """Start loading the map script and Leaflet as the page opens, while the server still computes the map
    (issue #10: the browser no longer fetches them after the map's data has arrived, behind Streamlit's own
    component machinery). A hidden ``st.html`` script, like the French interface's (``app_pages/french.py``)."""
    call = f"import({json.dumps(_script_url())}).then((m) => m.preload({json.dumps(carte_data.LEAFLET_URLS)}))"
    with st.container(key="carte_prechargement"):
        st.html(f"<style>.st-key-carte_prechargement {{ display: none; }}</style><script>{call};</script>",
                unsafe_allow_javascript=True)


def qpv_map(data: dict[str, Any], *, height: int, key: str) -> str | None:
    """Draw the map of ``data`` (``carte_data.map_data``); the code of the quartier clicked in this run, if any."""
    result = _component()(key=key, data=carte_data.map_json(data), height=height, on_qpv_change=lambda: None)
    code = getattr(result, "qpv", None)
    return code if isinstance(code, str) else None
