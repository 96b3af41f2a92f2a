"""CSV for French Excel (the annex, the Comparer page): ``;`` separator, UTF-8 with BOM, decimal comma.

One row per QPV with every value, the reason of each missing value in words, the percentiles,
domains and scores (``content.flat_table``). Text cells that a spreadsheet would run as a formula
are neutralised by ``core.exports`` (the one function shared by every tabular export): place names
come from outside files, and a CSV must never execute anything when opened.
"""

from __future__ import annotations

import pandas as pd

from core.exports import neutralise, neutralise_frame

__all__ = ["comparison_csv_bytes", "neutralise", "render", "to_csv_bytes"]

MIME = "text/csv"
SEPARATOR = ";"
DECIMAL = ","
ENCODING = "utf-8-sig"


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A data frame as French-Excel CSV bytes, text cells and headers neutralised."""
    text = neutralise_frame(frame).to_csv(sep=SEPARATOR, decimal=DECIMAL, index=False, lineterminator="\r\n")
    return text.encode(ENCODING)


def comparison_csv_bytes(values: pd.DataFrame, headers: dict[str, str]) -> bytes:
    """The Comparer page's table as French-Excel CSV: one row per indicator, its label and unit, then one
    column per quartier or reference territory (``assembly.comparer.comparison_table``'s output)."""
    from indicators import catalogue

    export = values.copy()
    export.columns = [headers[c] for c in export.columns]
    export.insert(0, "Unité", [catalogue.get(i).unit for i in export.index])
    export.insert(0, "Indicateur", [catalogue.get(i).label for i in export.index])
    return to_csv_bytes(export.reset_index(drop=True))


def render(annex) -> bytes:
    return to_csv_bytes(annex.flat)
