"""Territory lists of the cascading selectors (``geodata.territories``): built once per data version, and
rebuilt when the data changes (an online update of a territory)."""

from __future__ import annotations

import settings
from geodata import territories
from tests.hostile import HOSTILE_EPCI, INSEE_COM, build_hostile_overlay


def _epci_labels() -> set[str]:
    aude = territories.Territory("DEP", "11", "Aude")
    return set(territories.children("EPCI", aude)["label"])


def test_lists_follow_an_update_of_the_data(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "donnees")
    before = _epci_labels()
    assert HOSTILE_EPCI not in before and len(before) >= 2
    assert territories.resolve_key(f"COM:{INSEE_COM}").label != "Carcassonne (mis à jour)"
    build_hostile_overlay(settings.DATA_DIR, commune="Carcassonne (mis à jour)")  # a territory updated online
    assert HOSTILE_EPCI in _epci_labels()
    assert territories.resolve_key(f"COM:{INSEE_COM}").label == "Carcassonne (mis à jour)"


def test_callers_get_their_own_copy():
    first = territories.children("REG")
    first.loc[0, "label"] = "changé"
    assert "changé" not in set(territories.children("REG")["label"])
    codes = territories.qpv_codes(territories.resolve_key("REG:76"))
    codes.clear()
    assert territories.qpv_codes(territories.resolve_key("REG:76"))
