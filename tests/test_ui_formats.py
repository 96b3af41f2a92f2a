"""The display rules of issue #15: French plurals and units, whole numbers, yes/no, dates, rank changes, the
method in plain words, classes of a yes/no layer, and exports that show values as the interface does."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.formats import (
    format_value, french_date, french_dates_in, french_datetime, plural, rank_change_text, yes_no,
)
from core.text import plain_method
from geodata.classes import class_labels, palette, shown_breaks

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 quartier"), (1, "1 quartier"), (2, "2 quartiers"), (1234, f"1{NNBSP}234 quartiers"), (-1, "-1 quartier"),
])
def test_plural_is_french_singular_for_zero_and_one(count, expected):
    assert plural(count, "quartier") == expected


def test_plural_with_an_irregular_form():
    assert plural(3, "quartier renseigné", "quartiers renseignés") == "3 quartiers renseignés"
    assert plural(1, "quartier renseigné", "quartiers renseignés") == "1 quartier renseigné"


@pytest.mark.parametrize(("value", "unit", "decimals", "expected"), [
    (0, "types", 0, f"0{NBSP}type"),        # not "0 types"
    (1, "types", 0, f"1{NBSP}type"),        # not "1 types"
    (5, "types", 0, f"5{NBSP}types"),
    (1.0, "jours", 1, f"1,0{NBSP}jour"),    # not "1,0 jours"
    (1.96, "jours", 1, f"2,0{NBSP}jours"),  # the unit agrees with the number as shown
    (36.04, "nuits", 1, f"36,0{NBSP}nuits"),
    (7.0, "arrêtés", 0, f"7{NBSP}arrêtés"),
    (1.0, "arrêtés", 0, f"1{NBSP}arrêté"),
    (12.5, "%", 1, f"12,5{NBSP}%"),         # symbols never take a plural
])
def test_units_agree_with_the_number(value, unit, decimals, expected):
    assert format_value(value, unit, decimals) == expected


@pytest.mark.parametrize(("value", "expected"), [(3.0, "3"), (2.6, "3"), (13.999999999999998, "14")])
def test_integers_are_shown_as_integers(value, expected):
    assert format_value(value, "", 0) == expected
    assert format_value(value, "types", 0).split(NBSP)[0] == expected


@pytest.mark.parametrize(("value", "expected"), [(1, "oui"), (1.0, "oui"), (True, "oui"), (0, "non"), (0.0, "non"),
                                                 (False, "non"), (None, ""), (float("nan"), "")])
def test_booleans_read_oui_non(value, expected):
    assert yes_no(value) == expected
    assert format_value(value, "oui/non", 0) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (date(2026, 11, 26), "26 novembre 2026"),
    ("2026-11-26", "26 novembre 2026"),
    ("2026-11-26T08:30:00+00:00", "26 novembre 2026"),
    (datetime(2026, 1, 1, 23, 59), "1 janvier 2026"),
    ("", ""), (None, ""),
    ("en ligne", "en ligne"),  # not a date: kept as it is
])
def test_dates_are_french(value, expected):
    assert french_date(value) == expected


def test_dates_and_times_inside_texts_are_french():
    assert french_datetime("2026-12-06T14:05:00+00:00") == "6 décembre 2026 à 14 h 05"
    assert french_datetime("2026-12-06") == "6 décembre 2026"
    assert french_dates_in("construit le 2026-12-07T01:02:03+00:00, extraction du 2025-03-31.") == (
        "construit le 7 décembre 2026, extraction du 31 mars 2025.")


@pytest.mark.parametrize(("gap", "expected"), [(14, "monte de 14 places"), (-1, "descend de 1 place"),
                                               (0, "inchangé"), (float("nan"), "")])
def test_rank_change_says_its_direction_and_unit(gap, expected):
    assert rank_change_text(gap) == expected


def test_yes_no_layer_has_two_classes_named_non_and_oui():
    breaks = shown_breaks([0, 1, 1, 0, None], 0, unit="oui/non")
    assert class_labels(breaks, "oui/non", 0) == ["non", "oui"]  # never "de 0 à oui"
    assert len(palette(breaks)) == 2
    assert shown_breaks([None], 0, unit="oui/non") == []


def test_method_in_plain_words_has_no_codes_nor_maintainer_note():
    from core import natures, reasons
    from indicators.catalogue import ATTRIBUTION_RULES
    from indicators.methode import render_markdown

    glossary = {**reasons.LABELS, **natures.LABELS, **ATTRIBUTION_RULES}
    text = plain_method(render_markdown(), glossary)
    for raw in ("non_charge", "grille_drias", "jours_sup_35", "Ne pas modifier", "secret_statistique"):
        assert raw not in text, raw
    assert reasons.LABELS["non_charge"] in text
    assert "Jours de forte chaleur (plus de 35 °C)" in text
    # Tables keep a header per column once the code column is gone.
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            assert len({row.count("|") for row in rows}) == 1, rows[:3]


def test_young_population_is_context_not_vulnerability():
    from indicators import catalogue

    young = catalogue.get("part_moins_25")
    assert not young.scored and young.pillar == "Contexte"
    assert "part_moins_25" not in catalogue.scored_ids()
    assert "jeune" not in catalogue.DOMAINS["sensibilite_age"].label.lower()
