"""French numbers and dates, applied at display time only.

Stored values stay floats; only what a person reads is formatted (``12,3 %``, ``1 234``, ``14 190 €``,
``6 décembre 2026``). Babel gives the CLDR French conventions (narrow no-break space U+202F as thousands
separator, decimal comma, month names) so that no module hand-rolls locale rules.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "fr_FR"
NBSP = "\u00a0"

#: Default number of decimals per unit when the catalogue does not say otherwise.
_UNIT_DECIMALS = {"%": 1, "€": 0, "habitants": 0, "personnes": 0, "jours": 1, "nuits": 1, "types": 0}
#: Units written in the singular below 2, as French does (« 1 jour », « 0 type », « 1,5 jour », « 2 jours »).
_SINGULAR_UNITS = {"jours": "jour", "nuits": "nuit", "types": "type", "habitants": "habitant",
                   "personnes": "personne", "logements": "logement", "points": "point", "arrêtés": "arrêté",
                   "quartiers": "quartier", "allocataires": "allocataire", "ménages": "ménage"}
YES, NO = "oui", "non"


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


def unit_for(value: float, unit: str) -> str:
    """``unit`` agreed with ``value``: singular when the absolute value is below 2 (« 1 jour », « 0 type »)."""
    return _SINGULAR_UNITS.get(unit, unit) if abs(value) < 2 else unit


def format_value(value: object, unit: str = "", decimals: int | None = None) -> str:
    """Number with its unit, French style: ``12,3 %``, ``14 190 €``, ``6 490 habitants``, ``1 jour``.

    A yes/no value (unit ``oui/non``) reads ``oui`` or ``non``; the unit agrees with the number as shown.
    """
    if is_missing(value):
        return ""
    if unit == "oui/non":
        return yes_no(value)
    if decimals is None:
        decimals = _UNIT_DECIMALS.get(unit, 1)
    text = format_number(value, decimals)
    return f"{text}{NBSP}{unit_for(round(float(value), decimals), unit)}" if unit else text


def yes_no(value: object) -> str:
    """``1`` / ``True`` → ``oui``, ``0`` / ``False`` → ``non``; missing → empty string."""
    if is_missing(value):
        return ""
    return YES if float(value) >= 0.5 else NO


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun in French: ``0 quartier``, ``1 quartier``, ``1 234 quartiers``.

    French takes the singular for 0 and 1; the plural form defaults to the singular with an ``s``.
    """
    noun = singular if abs(count) < 2 else (plural_form or f"{singular}s")
    return f"{format_number(count)} {noun}"


def french_date(day: object) -> str:
    """``date(2026, 12, 6)``, a datetime or an ISO text (``2026-12-06``, ``2026-12-06T10:00:00+00:00``) →
    ``6 décembre 2026``. A text that is not a date is returned as it is; missing → empty string."""
    if is_missing(day) or day == "":
        return ""
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        text = str(day).strip()
        try:
            day = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            try:
                day = date.fromisoformat(text[:10])
            except ValueError:
                return text
    return format_date(day, format="long", locale=LOCALE)


def french_datetime(moment: object) -> str:
    """``2026-12-06T14:05:00+00:00`` → ``6 décembre 2026 à 14 h 05``; a date alone → ``6 décembre 2026``."""
    if is_missing(moment) or moment == "":
        return ""
    if not isinstance(moment, datetime):
        text = str(moment).strip()
        if len(text) <= 10:
            return french_date(moment)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return french_date(moment)
    return f"{french_date(moment)} à {moment.hour} h {moment.minute:02d}"


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?\b")


def french_dates_in(text: str) -> str:
    """Every ISO date inside ``text`` written in French (« extraction du 2025-03-31 » → « … du 31 mars 2025 »)."""
    return _ISO_DATE.sub(lambda m: french_date(m.group(0)[:10]), text)


def rank_change_text(gap: object) -> str:
    """Rank change in words (``gap`` = default rank − chosen rank): ``monte de 14 places`` (closer to rank 1,
    the most exposed), ``descend de 1 place``, ``inchangé``; missing → empty string."""
    if is_missing(gap):
        return ""
    places = int(round(abs(float(gap))))
    if places == 0:
        return "inchangé"
    return f"{'monte' if float(gap) > 0 else 'descend'} de {plural(places, 'place')}"
