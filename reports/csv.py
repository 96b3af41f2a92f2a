"""CSV of the annex for French Excel: ``;`` separator, UTF-8 with BOM, decimal comma.

One row per QPV with every value, the reason of each missing value in words, the percentiles,
domains and scores (``content.flat_table``). Text cells that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe:
place names come from outside files, and a CSV must never execute anything when opened.
"""

from __future__ import annotations

import pandas as pd

MIME = "text/csv"
SEPARATOR = ";"
DECIMAL = ","
ENCODING = "utf-8-sig"
#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``=SOMME(A1)`` → ``'=SOMME(A1)``; numbers and harmless texts are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A data frame as French-Excel CSV bytes, text cells neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]) and not pd.api.types.is_bool_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise).astype(object)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    text = safe.to_csv(sep=SEPARATOR, decimal=DECIMAL, index=False, lineterminator="\r\n")
    return text.encode(ENCODING)


def render(annex) -> bytes:
    return to_csv_bytes(annex.flat)
