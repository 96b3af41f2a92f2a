"""Streamlit pieces shared by several pages (the territory selector, data-status notes).

The territory chosen in the sidebar is kept in ``st.session_state`` and mirrored in the URL
(``?territoire=EPCI:243100518``) so a link opens the same view.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import settings
from core.territory_kinds import code_column
from core.paths import hide_server_paths
from core.text import fold, markdown_lines, markdown_text
from geodata import territories
from geodata.offline_assets import install_leaflet_assets
from geodata.territories import Territory
from sources import store
from core.errors import EcoqpvError

DEFAULT_REGION = "76"  # Occitanie: QPV contours are embedded offline
ALL = "__tous__"
STATE_KEY = "territoire"


def _options(frame) -> dict[str, str]:
    return dict(zip(frame["code"], frame["label"], strict=True))


def _persisted(kind: str) -> str | None:
    return st.session_state.get(f"terr_{kind}")


def _initial_from_url() -> None:
    """Seed the selection from ``?territoire=KIND:CODE`` once per session."""
    if st.session_state.get("_url_seeded"):
        return
    st.session_state["_url_seeded"] = True
    key = st.query_params.get("territoire")
    if not key:
        return
    try:
        territory = territories.resolve_key(key)
    except EcoqpvError as exc:
        st.session_state["_url_error"] = _unknown_link_text(key, exc)
        return
    if territory.kind == "QPV":
        _seed_from_quartier(territory.code)
        return
    if territory.kind == territories.COUNTRY:
        st.session_state["terr_REG"] = territories.COUNTRY
        return
    if not territories.qpv_codes(territory):
        st.session_state["_url_info"] = (
            f"{territory.title} ne compte aucun quartier prioritaire : le territoire englobant le plus proche "
            "qui en compte est affiché."
        )
    communes = store.table("communes")
    row = communes[communes[code_column(territory.kind)] == territory.code].iloc[0]
    values = {"REG": row["insee_reg"], "DEP": row["insee_dep"], "EPCI": row["siren_epci"], "COM": territory.code}
    for kind in ("REG", "DEP", "EPCI", "COM"):
        st.session_state[f"terr_{kind}"] = values[kind]
        if kind == territory.kind:
            break


def _unknown_link_text(key: str, exc: EcoqpvError) -> str:
    """French sentence for a link whose territory does not exist: what was asked, close matches (as the command
    line gives them, ``geodata.territories.suggestions``), and what is shown instead."""
    try:
        kind, code = territories.parse_key(key)
        close = territories.suggestions(kind, code) if kind != territories.COUNTRY else []
        asked = f"Le lien demande le territoire « {key} », qui n'existe pas dans les données."
    except EcoqpvError:
        close, asked = [], f"Le lien demande un territoire mal écrit (« {key} ») : {exc}"
    said = (" Territoires proches : " + " ; ".join(close) + ".") if close else " Aucun territoire proche n'a été trouvé."
    return (asked + said + " La page montre à la place le territoire par défaut : choisissez le bon dans le panneau "
            "de gauche.")


def _seed_from_quartier(code_qp: str) -> None:
    """A ``QPV:`` link: the quartier's EPCI (or département) in the selectors, the quartier chosen, its fiche open."""
    qpv = store.table("qpv")
    row = qpv[qpv["code_qp"] == code_qp].iloc[0]
    values = {"REG": row["insee_reg"], "DEP": row["insee_dep"], "EPCI": row["siren_epci"]}
    for kind in ("REG", "DEP", "EPCI"):
        if not isinstance(values[kind], str) or not values[kind]:
            break
        st.session_state[f"terr_{kind}"] = values[kind]
    st.session_state[QPV_KEY] = code_qp
    st.session_state["_url_open_fiche"] = code_qp


def _select(label: str, kind: str, options: dict[str, str], default: str) -> str:
    """A selectbox whose value survives page changes.

    Streamlit forgets a widget's state when another page is shown; the choice is therefore kept under
    a separate key (``terr_<KIND>``) and given back to the widget on every page.
    """
    widget_key = f"sel_{kind}"
    value = _persisted(kind)
    if value not in options:
        value = default
    st.session_state[widget_key] = value
    chosen = st.sidebar.selectbox(label, list(options), format_func=options.get, key=widget_key,
                                  on_change=_remember, args=(kind,))
    st.session_state[f"terr_{kind}"] = chosen
    return chosen


def _remember(kind: str) -> None:
    st.session_state[f"terr_{kind}"] = st.session_state[f"sel_{kind}"]


def _server_folders() -> dict[Path, str]:
    return {Path(settings.DATA_DIR): "ECOQPV_DATA_DIR", Path(settings.BUNDLE_DIR): "ECOQPV_BUNDLE_DIR",
            settings.PROJECT_ROOT: "dossier de l'application"}


def visitor_text(value: object) -> str:
    """A message (often an error built for the command line) as literal markdown for the web page, with the
    server's paths named by their setting (``ECOQPV_DATA_DIR/raw``) or reduced to their last name: a visitor of a
    shared server does not learn its layout, the operator still knows which folder is meant (SECURITY.md)."""
    return markdown_text(hide_server_paths(str(value), _server_folders()))


def visitor_lines(value: object) -> str:
    """:func:`visitor_text` line by line (line breaks and ``- `` list markers kept, like ``markdown_lines``)."""
    return markdown_lines(hide_server_paths(str(value), _server_folders()))


def text_table(frame) -> None:
    """``st.table`` of ``frame`` with every header, index label and cell shown as written: ``st.table`` reads
    Markdown in all of them, and they carry names from the data (a quartier called ``[clic](…)`` or
    ``![x](https://…)`` would become a link or load an outside image)."""
    shown = frame.copy()
    shown.index = shown.index.map(markdown_text)
    shown.index.name = markdown_text(frame.index.name) if frame.index.name is not None else None
    shown.columns = [markdown_text(column) for column in frame.columns]
    st.table(shown.map(lambda cell: markdown_text(cell) if isinstance(cell, str) else cell))


def stop_if_settings_invalid() -> None:
    """An error box instead of the page when an ``ECOQPV_*`` environment value cannot be used."""
    if settings.PROBLEMS:
        st.error(visitor_text(settings.problems_text()))
        st.stop()


def territory_selector() -> Territory:
    """Cascading selectors in the sidebar; returns the most precise territory chosen."""
    stop_if_settings_invalid()
    _initial_from_url()
    # Both messages quote the address bar or territory names: shown as plain text, never as markdown.
    if "_url_error" in st.session_state:
        st.warning(markdown_text(st.session_state.pop("_url_error")))
    if "_url_info" in st.session_state:
        st.sidebar.info(markdown_text(st.session_state.pop("_url_info")))
    st.sidebar.markdown("### Territoire")
    regions = _options(territories.children("REG"))
    default_region = DEFAULT_REGION if DEFAULT_REGION in regions else next(iter(regions))
    # France entière first: every QPV of France (metropole and overseas), with the map drawn by zone.
    choices = {territories.COUNTRY: territories.COUNTRY_LABEL, **regions}
    region = _select("Région", "REG", choices, default_region)
    if region == territories.COUNTRY:
        chosen = territories.resolve(territories.COUNTRY, territories.COUNTRY)
        st.session_state[STATE_KEY] = chosen
        st.query_params["territoire"] = territories.COUNTRY
        return chosen
    chosen = Territory("REG", region, regions[region])
    for kind, label, all_label in (("DEP", "Département", "Tous les départements"),
                                   ("EPCI", "EPCI", "Tous les EPCI"),
                                   ("COM", "Commune", "Toutes les communes")):
        options = {ALL: all_label, **_options(territories.children(kind, chosen))}
        value = _select(label, kind, options, ALL)
        if value == ALL:
            break
        chosen = Territory(kind, value, options[value])
    st.session_state[STATE_KEY] = chosen
    st.query_params["territoire"] = chosen.key
    if st.session_state.pop("_url_open_fiche", None):  # a QPV: link opens that quartier's fiche
        st.switch_page(FICHE_PAGE)
    return chosen


@st.cache_resource
def ensure_map_assets() -> bool:
    """Copy Leaflet into ``static/`` once per server process (maps must draw without a CDN)."""
    install_leaflet_assets()
    return True


# --- method shared by the pages ------------------------------------------------------------------

METHOD_KEY = "methode"
FRAME_KEY = "cadre"
QPV_KEY = "qpv_selectionne"


def current_method():
    """The method and reference frame chosen on the Méthode page (defaults until changed)."""
    from indicators.scores import Method

    return st.session_state.get(METHOD_KEY) or Method(), st.session_state.get(FRAME_KEY, "generation")


NOTICES_KEY = "methode_remarques"


def set_method(method, frame: str, notices: tuple[str, ...] | None = None) -> None:
    """Keep the method in use; ``notices`` (values of an imported file changed on reading) go with it."""
    st.session_state[METHOD_KEY] = method
    st.session_state[FRAME_KEY] = frame
    if notices is not None:
        st.session_state[NOTICES_KEY] = (method, tuple(notices))


def method_notices() -> tuple[str, ...]:
    """Notices of the imported settings file, while the method in use is still the imported one."""
    imported, notices = st.session_state.get(NOTICES_KEY, (None, ()))
    return notices if imported is not None and imported == current_method()[0] else ()


def method_caption() -> str:
    """One French sentence saying which method the scores shown use."""
    from assembly.territory_table import FRAMES

    method, frame = current_method()
    custom = bool(method.domain_weights) or method.normalisation != "percentile" or method.aggregation != "arithmetique"
    kind = "pondérations personnalisées (page Méthode)" if custom else "méthode par défaut"
    return f"Scores : {kind} ; cadre de référence : {FRAMES[frame]}."


#: The fiche page, found next to this module (whatever the folder of the pages is called).
FICHE_PAGE = Path(__file__).resolve().with_name("fiche.py")


def reading_order(table, by: tuple[str, ...] = ("nom", "commune", "generation")):
    """``table``'s rows in French reading order (the territory table follows the registry's order): by quartier
    name (``nom``) and ``commune`` folded (« Écully » between « Dardilly » and « Feyzin »), ``generation`` current
    first; a table without a generation column (the workshop's, one generation) is ordered by the other keys."""
    keys = {"nom": table["lib_qp"].map(fold), "commune": table["lib_com"].fillna("").map(fold),
            "generation": -table["generation"].astype(int) if "generation" in table else 0}
    order = pd.DataFrame({key: keys[key] for key in by}, index=table.index).sort_values(list(by), kind="stable")
    return table.loc[order.index]


def quartier_choices(table) -> dict[str, str]:
    """code → « Nom — Commune (QPV 2024) » for a list to choose quartiers from, alphabetical
    (``reading_order``). A table of one generation without its column (the workshop's) gives « Nom — Commune »."""
    order = reading_order(table)
    labels = order["lib_qp"].astype(str) + " — " + order["lib_com"].fillna("").astype(str)
    if "generation" in order:
        labels = labels + " (QPV " + order["generation"].astype(str) + ")"
    return dict(zip(order["code_qp"], labels, strict=True))


def open_fiche(code_qp: str) -> None:
    st.session_state[QPV_KEY] = code_qp
    st.switch_page(FICHE_PAGE)


# --- charts ---------------------------------------------------------------------------------------

#: Plotly in French: its own strings through the "fr" locale (registered by app_pages/french.py), no mode bar.
CHART_CONFIG = {"displayModeBar": False, "locale": "fr", "displaylogo": False}


def french_chart(fig, axes: tuple[str, ...] = ("xaxis", "yaxis")):
    """French numbers on a plotly figure: decimal comma, narrow no-break space between thousands, and whole
    values on the given numeric axes ("13 500", never plotly's "13,5k"), in ticks and in hover texts."""
    fig.update_layout(separators=",\u202f", **{axis: {"tickformat": ",~f", "hoverformat": ",~f"} for axis in axes})
    return fig
