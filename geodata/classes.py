"""Map classes: quantile breaks, their French labels and their colours.

Pure functions shared by the interactive map (``geodata.webmap``) and the print maps of the annex
(``reports.maps``), so that a chef de projet sees the same classes, colours and legend texts on screen
and on paper. No geometry and no drawing here.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

import branca.utilities
import numpy as np
import pandas as pd

import settings
from core.formats import format_number, format_value, is_missing

#: Fill of QPV without a value (with a dashed or hatched outline, so it is not read as the lowest class).
MISSING_COLOR = "#a6a6a6"
#: Colour-blind-safe sequential palette (ColorBrewer YlGnBu), light = low values.
PALETTE_NAME = "YlGnBu"


def class_breaks(values: Iterable[Any], n: int = settings.MAP_CLASSES) -> list[float]:
    """Quantile class edges ``[min, …, max]`` over the non-missing values, duplicates removed.

    Quantiles give classes of similar size whatever the distribution. ``[]`` when nothing is known,
    a single edge when all known values are equal (one class).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1 (got {n})")
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    numbers = numbers[np.isfinite(numbers)]
    if numbers.size == 0:
        return []
    edges = np.quantile(numbers, np.linspace(0.0, 1.0, n + 1))
    # 12 significant digits: drop interpolation noise (40.00000000000001) so that a value equal to
    # an edge falls in a predictable class and equal edges deduplicate.
    return sorted({float(f"{edge:.12g}") for edge in edges})


def display_breaks(breaks: list[float], decimals: int) -> list[float]:
    """Edges rounded to the shown precision, deduplicated: no legend line "de 1,9 à 1,9 jours".

    Values are displayed with ``decimals`` too, so a value always reads within its class interval.
    """
    return sorted({round(edge, decimals) for edge in breaks})


#: Unit of yes/no layers (``1`` yes, ``0`` no): two classes, "non" and "oui", never quantiles.
YES_NO = "oui/non"
_YES_NO_BREAKS = [0.0, 0.5, 1.0]


def shown_breaks(values: Iterable[Any], decimals: int, n: int = settings.MAP_CLASSES, unit: str = "") -> list[float]:
    """The edges a legend shows: quantile breaks of ``values`` rounded to ``decimals``; a yes/no layer
    (``unit="oui/non"``) always has its two classes when something is known."""
    if unit == YES_NO:
        return list(_YES_NO_BREAKS) if class_breaks(values, 1) else []
    return display_breaks(class_breaks(values, n), decimals)


def class_index(value: object, breaks: list[float]) -> int | None:
    """Class of ``value`` (0 = lowest) for edges from :func:`class_breaks`; None when missing."""
    if is_missing(value) or not breaks:
        return None
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return None
    if len(breaks) == 1:
        return 0
    return bisect_right(breaks[1:-1], number)


def class_colors(k: int) -> list[str]:
    """``k`` colours of the sequential palette, light to dark.

    Taken from the (k+1)-class ColorBrewer scale without its near-white first colour, so that the
    lowest class stays visible on a white background (no tiles offline) and at low zoom.
    """
    if k <= 0:
        return []
    if k == 1:  # all values equal: a mid-scale colour
        return [branca.utilities.color_brewer(PALETTE_NAME, n=5)[2]]
    return list(branca.utilities.color_brewer(PALETTE_NAME, n=max(k + 1, 3))[1 : k + 1])


def palette(breaks: list[float]) -> list[str]:
    """One colour per class of ``breaks`` (one class when all values are equal, none when unknown)."""
    return class_colors(max(len(breaks) - 1, 1) if breaks else 0)


def class_labels(breaks: list[float], unit: str, decimals: int) -> list[str]:
    """French interval texts of the legend: ``de 10,0 à 12,5 %``; ``non`` / ``oui`` for a yes/no layer."""
    if not breaks:
        return []
    if unit == YES_NO and breaks == _YES_NO_BREAKS:
        return ["non", "oui"]
    if len(breaks) == 1:
        return [format_value(breaks[0], unit, decimals)]
    return [
        f"de {format_number(low, decimals)} à {format_value(high, unit, decimals)}"
        for low, high in zip(breaks[:-1], breaks[1:], strict=True)
    ]
