"""French number formatting at display time."""

from __future__ import annotations

import math

import pytest

from core.formats import format_number, format_value
from core.reasons import missing_label

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (12.345, "%", None, f"12,3{NBSP}%"),
        (1234, "habitants", None, f"1{NNBSP}234{NBSP}habitants"),
        (14190, "€", None, f"14{NNBSP}190{NBSP}€"),
        (0.0, "%", 1, f"0,0{NBSP}%"),
        (-3.25, "", 2, "-3,25"),
    ],
)
def test_french_format(value, unit, decimals, expected):
    assert format_value(value, unit, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), math.nan])
def test_missing_is_empty_not_zero(missing):
    assert format_value(missing, "%") == ""
    assert format_number(missing) == ""


def test_missing_reasons_in_words():
    assert "secret statistique" in missing_label("secret_statistique")
    assert "non chargée" in missing_label("non_charge")
    assert missing_label(None) == "donnée manquante"
    assert "inconnu_x" in missing_label("inconnu_x")
