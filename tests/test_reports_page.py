"""The « Annexe diagnostic » page through AppTest (no browser), reached through ``app.py``'s navigation."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from assembly.territory_table import territory_table
from geodata import territories
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def start(territory: str, method=None, frame: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = territory
    at.run()
    if method is not None:
        at.session_state["methode"] = method
        at.session_state["cadre"] = frame or "generation"
    return at.switch_page("app_pages/annexe.py").run()


def settings_shown(at: AppTest) -> dict:
    return json.loads(at.code[0].value)


def test_page_offers_every_format_and_the_method_settings():
    at = start("EPCI:243400017")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Annexe diagnostic"
    buttons = {b.key: b for b in at.get("download_button")}
    assert {"annexe_docx", "annexe_pdf", "annexe_xlsx", "annexe_csv", "annexe_cartes", "annexe_reglages"} <= set(buttons)
    assert not buttons["annexe_cartes"].proto.disabled
    assert buttons["annexe_docx"].proto.label == "Word (DOCX)"
    assert settings_shown(at)["cadre"] == "generation"
    metrics = {m.label: m.value for m in at.metric}
    table = territory_table(territories.resolve_key("EPCI:243400017"), with_scores=False)
    assert metrics["Quartiers"] == "22" == str(len(table))
    assert metrics["Quartiers cartographiés"] == str(int(table["a_contour"].astype(bool).sum()))


def test_page_cites_the_method_chosen_on_the_methode_page():
    from indicators.scores import Method

    at = start("EPCI:243400017", Method(domain_weights={"chaleur": 2.5}), "region")
    assert not at.exception
    shown = settings_shown(at)
    assert shown["poids_domaines"]["chaleur"] == 2.5 and shown["cadre"] == "region"
    assert any("pondérations personnalisées" in m.value for m in at.markdown)


def test_page_without_contours_warns_and_disables_maps(monkeypatch):
    """A territory whose quartiers have no contour in the data (``a_contour`` false in the registry)."""
    from assembly import territory_table as table_module

    real = table_module.territory_table
    monkeypatch.setattr(table_module, "territory_table", lambda *a, **k: real(*a, **k).assign(a_contour=False))
    at = start("EPCI:200054781")  # Métropole du Grand Paris
    assert not at.exception
    assert any("Cartes non disponibles" in w.value for w in at.warning)
    buttons = {b.key: b for b in at.get("download_button")}
    assert buttons["annexe_cartes"].proto.disabled
    assert not buttons["annexe_docx"].proto.disabled
