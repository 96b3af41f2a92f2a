"""French numbers and dates, applied at display time only.

Stored values stay floats; only what a person reads is formatted (``12,3 %``, ``1 234``, ``14 190 €``,
``6 décembre 2026``). Babel gives the CLDR French conventions (narrow no-break space U+202F as thousands
separator, decimal comma, month names) so that no module hand-rolls locale rules.
"""

from __future__ import annotations

import math
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "fr_FR"
NBSP = "\u00a0"

#: Default number of decimals per unit when the catalogue does not say otherwise.
_UNIT_DECIMALS = {"%": 1, "€": 0, "habitants": 0, "personnes": 0, "jours": 1, "nuits": 1}


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA (without importing pandas)."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))  # noqa: PLR0124
    except (TypeError, ValueError):
        return True


def format_number(value: object, decimals: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (U+202F thousands separator). Missing → empty string."""
    if is_missing(value):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(float(value), format=pattern, locale=LOCALE)


def format_value(value: object, unit: str = "", decimals: int | None = None) -> str:
    """Number with its unit, French style: ``12,3 %``, ``14 190 €``, ``6 490 habitants``."""
    if is_missing(value):
        return ""
    if unit == "oui/non":
        return "oui" if float(value) >= 0.5 else "non"
    if decimals is None:
        decimals = _UNIT_DECIMALS.get(unit, 1)
    text = format_number(value, decimals)
    return f"{text}{NBSP}{unit}" if unit else text


def french_date(day: date) -> str:
    """``date(2026, 12, 6)`` → ``6 décembre 2026``."""
    return format_date(day, format="long", locale=LOCALE)
