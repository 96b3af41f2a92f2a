"""Tables shown by a page run with ``AppTest``: Streamlit's data grids and tables, and the Carte page's table.

The Carte page draws its table with its own component (``app_pages/carte_map.qpv_table``): AppTest sees an
element it does not know, whose data is what the page sends to the browser (``geodata.carte_data.table_data``).
Reading that data back gives the rows exactly as the browser receives them.
"""

from __future__ import annotations

import json
import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from assembly.carte_table import HEADERS


def component_tables(at: AppTest) -> list[pd.DataFrame]:
    """Each table drawn by the Carte page's component, with the shown columns (« Donnée » under that name)."""
    names = {header: name for name, header in HEADERS.items()}
    tables = []
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.bytes or b"{}")
        if data.get("kind") != "tableau":
            continue
        rows = [[data["shared"][v] if coded else v for v, coded in zip(row, data["coded"], strict=True)]
                for row in data["rows"]]
        tables.append(pd.DataFrame(rows, columns=[names.get(c, c) for c in data["columns"]]))
    return tables


def carte_table(at: AppTest) -> pd.DataFrame:
    """The table under the Carte page's map (there is exactly one)."""
    tables = component_tables(at)
    assert len(tables) == 1, f"{len(tables)} tableaux de la page Carte"
    return tables[0]


_ESCAPED = re.compile(r"\\(.)")


def _read(text: object) -> object:
    return _ESCAPED.sub(r"\1", text) if isinstance(text, str) else text


def text_table(element) -> pd.DataFrame:
    """A real table (``st.table``, through ``app_pages.components.text_table``) as the reader sees it: its
    texts are sent as escaped Markdown (``\\(`` for ``(``), read back here without the escapes, and its index
    is a column."""
    frame = element.value.reset_index()
    frame.columns = [_read(column) for column in frame.columns]
    return frame.map(_read)


def page_tables(at: AppTest) -> list[pd.DataFrame]:
    """Data grids, then real tables (the Comparer's, issue #15) with their index as a column, then the Carte
    page's table."""
    return [d.value for d in at.dataframe] + [text_table(t) for t in at.table] + component_tables(at)
