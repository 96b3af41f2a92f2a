"""Text that comes from data or from a person, made inert before it reaches a page.

Names of quartiers and communes come from downloaded files, settings files come from uploads, territory
codes from the address bar: none of them may become markup. Two helpers, one per destination:

* :func:`html_text` — for anything inserted into HTML (map tooltips, legends, ``unsafe_allow_html``
  blocks, Plotly labels, which understand a few tags);
* :func:`markdown_text` — for anything shown through Streamlit's markdown (``st.markdown``,
  ``st.caption``, ``st.info``, ``st.error``, headers, widget labels): every character that markdown or
  Streamlit's extensions (``:red[…]`` directives, ``$`` maths) would interpret is escaped, so the text
  reads exactly as it is in the data.
"""

from __future__ import annotations

import html
import math
import re

#: Characters that CommonMark, GitHub-flavoured markdown or Streamlit's extensions interpret; a
#: backslash before any ASCII punctuation makes it literal (CommonMark, "Backslash escapes").
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'^%])")
#: Line breaks and other control characters: a name is one line of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _plain(value: object) -> str:
    """``str(value)`` with missing values (None, NaN, pandas NA) as an empty text."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover - pandas is a dependency of the app
        pass
    return str(value)


def html_text(value: object) -> str:
    """``value`` as HTML text: ``<``, ``>``, ``&`` and both quotes escaped (safe in elements and attributes)."""
    return html.escape(_plain(value), quote=True)


def markdown_text(value: object) -> str:
    """``value`` as literal markdown text: markup characters escaped, line breaks turned into spaces."""
    flat = _CONTROL.sub(" ", _plain(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
