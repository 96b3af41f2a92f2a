"""The Carte page's map and the table under it: a Streamlit custom component (``st.components.v2``) drawn in
the page itself.

Both are drawn by ``assets/ui/carte_qpv.js`` (the map with Leaflet), served from the app's own ``/app/static``
(cached by the browser); the component itself is a three-line loader. It receives
``geodata.carte_data.map_data`` or ``table_data`` as compact UTF-8 JSON bytes and sends back the code of a
quartier clicked on the map or in the table. Why not streamlit-folium, as the workshop page still does: its
iframe, its own script bundle and the folium page added about a second to each opening of the map, and its
tooltips travelled as HTML. Why not ``st.dataframe`` for the table: its scripts (the data grid, 1.5 MB), parsed
as the page opens, delayed the map by a third of a second, and its CSV download does not neutralise formulas
(issue #10, ``bench/RESULTS.md``). Here the tooltips and the table are built in the browser from text.
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
.ecoqpv-tableau { overflow: auto; border: 1px solid #d5dae2; border-radius: 0.5rem; }
.ecoqpv-tableau:focus-visible { outline: 2px solid #1f5fa8; outline-offset: 2px; }
.ecoqpv-tableau table { border-collapse: collapse; width: 100%; font-size: 0.875rem; margin: 0; }
.ecoqpv-tableau caption { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.ecoqpv-tableau th, .ecoqpv-tableau td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e6e9ef;
  text-align: left; vertical-align: top; }
.ecoqpv-tableau th { position: sticky; top: 0; z-index: 1; background: #f1f4f8; white-space: nowrap; }
.ecoqpv-tableau th button { background: none; border: none; padding: 0; font: inherit; font-weight: 600;
  color: #1a1a1a; cursor: pointer; }
.ecoqpv-tableau td.ecoqpv-nombre { text-align: right; white-space: nowrap; }
.ecoqpv-tableau tbody tr:nth-child(even) { background: #f8f9fb; }
.ecoqpv-lien { background: none; border: none; padding: 0; font: inherit; text-align: left; color: #1f5fa8;
  text-decoration: underline; cursor: pointer; }
.ecoqpv-tableau button:focus-visible { outline: 2px solid #1f5fa8; outline-offset: 1px; }
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
    # Leaflet is fetched at once, beside the map script (not after it, as its import would): the browser
    # keeps the responses and the map script's own <script>/<link> for Leaflet reuse them.
    fetches = [[carte_data.LEAFLET_URLS["js"], "script"], [carte_data.LEAFLET_URLS["css"], "style"]]
    call = (f"for (const [href, kind] of {json.dumps(fetches)}) {{ const link = document.createElement('link'); "
            "link.rel = 'preload'; link.as = kind; link.href = href; document.head.appendChild(link); }; "
            f"import({json.dumps(_script_url())}).then((m) => m.preload({json.dumps(carte_data.LEAFLET_URLS)}));")
    with st.container(key="carte_prechargement"):
        st.html(f"<style>.st-key-carte_prechargement {{ display: none; }}</style><script>{call}</script>",
                unsafe_allow_javascript=True)


def qpv_map(data: bytes, *, height: int, key: str) -> str | None:
    """Draw the map of ``data`` (``carte_data.map_data`` as ``map_json``: ``assembly.carte_view.MapView.data``);
    the code of the quartier clicked in this run, if any."""
    return _clicked(_component()(key=key, data=data, height=height, on_qpv_change=lambda: None))


def qpv_table(data: bytes, *, key: str) -> str | None:
    """Draw the table of ``data`` (``carte_data.table_data`` as ``map_json``: ``assembly.carte_view.TableView.data``)
    as tall as its rows (at most its ``max_height``, then it scrolls); the code of the quartier whose name was
    clicked in this run, if any."""
    return _clicked(_component()(key=key, data=data, on_qpv_change=lambda: None))


def _clicked(result: Any) -> str | None:
    code = getattr(result, "qpv", None)
    return code if isinstance(code, str) else None
