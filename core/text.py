"""Text that comes from data or from a person, made inert before it reaches a page.

Names of quartiers and communes come from downloaded files, settings files come from uploads, territory
codes from the address bar: none of them may become markup. Two helpers, one per destination:

* :func:`html_text` — for anything inserted into HTML (map tooltips, legends, ``unsafe_allow_html``
  blocks, Plotly labels, which understand a few tags);
* :func:`markdown_text` — for anything shown through Streamlit's markdown (``st.markdown``,
  ``st.caption``, ``st.info``, ``st.error``, headers, widget labels): every character that markdown or
  Streamlit's extensions (``:red[…]`` directives, ``$`` maths) would interpret is escaped, so the text
  reads exactly as it is in the data; :func:`markdown_lines` is the same for a text of several lines
  (a report whose lines quote what a server answered), keeping its line breaks and its ``- `` list
  markers.

Text is also cleaned once where it enters (:func:`clean_text`, :func:`clean_frame`: the common reading
policy of the parsers and the read path of updated territories): a control character in a name would
make Word, the PDF and the spreadsheet exports fail, so it becomes a space. :func:`fold` gives the
accent-free, case-free form used to sort and match French names.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

#: Characters that CommonMark, GitHub-flavoured markdown or Streamlit's extensions interpret; a
#: backslash before any ASCII punctuation makes it literal (CommonMark, "Backslash escapes").
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'^%])")
#: Line breaks and other control characters: a name is one line of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
#: A list item of a multi-line report: spaces, then ``- `` (kept as markup by :func:`markdown_lines`).
_LIST_MARKER = re.compile(r"^( *- )?(.*)$", re.S)
#: Control characters no data text keeps: C0 except tab and line feed, DEL, C1.
_CONTROL_IN_DATA = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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


def markdown_lines(value: object) -> str:
    """``value`` as literal markdown text, line by line: each line escaped like :func:`markdown_text`, the
    line breaks kept, and a leading ``- `` list marker (after spaces) kept so that a list stays a list."""
    lines = []
    for line in _plain(value).split("\n"):
        marker, rest = _LIST_MARKER.match(line).groups()
        lines.append((marker or "") + markdown_text(rest))
    return "\n".join(lines)


def clean_text(value: str) -> str:
    """Text read from a file with its control characters (other than tab and line feed) as spaces."""
    return _CONTROL_IN_DATA.sub(" ", value)


def clean_frame(frame):
    """``frame`` with :func:`clean_text` applied to every text cell and column name (numbers untouched).

    Returns the frame itself when nothing needs cleaning (the common case: no copy)."""
    import pandas as pd

    dirty = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if hasattr(column, "geom_type") or isinstance(column.dtype, pd.DatetimeTZDtype):
            continue
        texts = column[column.map(lambda v: isinstance(v, str))]
        if len(texts) and texts.str.contains(_CONTROL_IN_DATA).any():
            dirty.append(position)
    names = [clean_text(c) if isinstance(c, str) else c for c in frame.columns]
    if not dirty and names == list(frame.columns):
        return frame
    frame = frame.copy()
    for position in dirty:
        column = frame.iloc[:, position]
        frame.isetitem(position, column.map(lambda v: clean_text(v) if isinstance(v, str) else v).astype(column.dtype))
    frame.columns = names
    return frame


def in_sentence(label: str) -> str:
    """An indicator's label inside a sentence: « part des ménages… » for « Part des ménages… », but an acronym
    keeps its capitals (« DPE … »)."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def fold(text: object) -> str:
    """Lower-case, accent-free form of a name, to sort and match French names (« Écully » ~ « ecully »)."""
    norm = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in norm if not unicodedata.combining(c)).casefold()


_CODE = re.compile(r"`([a-z0-9_]+)`")
_ONLY_CODE_CELL = re.compile(r"^\s*`[a-z0-9_.]+`\s*$")


def _drop_code_column(block: list[str]) -> list[str]:
    """A markdown table whose first column holds only codes (``| `non_charge` | … |``), without that column."""
    cells = [line.strip().strip("|").split("|") for line in block]
    data = cells[2:]
    if len(block) < 3 or not data or not all(len(row) > 1 and _ONLY_CODE_CELL.match(row[0]) for row in data):
        return block
    return ["|" + "|".join(row[1:]) + "|" for row in cells]


def plain_method(markdown: str, glossary: dict[str, str]) -> str:
    """The method document for a person rather than a maintainer: no "generated, do not edit" note, no code
    column in tables, ``(`jours_sup_35`)`` after a title removed, and any other `code` replaced by its words from
    ``glossary`` (a code missing from it loses its underscores: ``score autorise``)."""
    lines = [line for line in markdown.splitlines()
             if "Ne pas modifier à la main" not in line and "Document généré" not in line]
    out: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if block:
            out += _drop_code_column(block)
            block = []
        out.append(line)
    text = "\n".join(out[:-1])
    text = re.sub(r"\s*\(`[a-z0-9_]+`\)", "", text)  # "Nuits tropicales (`nuits_tropicales`)"
    text = re.sub(r"`[a-z0-9_]+` — ", "", text)  # "`officiel` — valeur officielle"
    text = re.sub(r"`python -m [^`]+`", "la commande du projet", text)
    return _CODE.sub(lambda m: glossary.get(m.group(1), m.group(1).replace("_", " ")), text)
