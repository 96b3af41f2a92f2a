"""Données page: coverage, status, and the "Mettre à jour ce territoire" button through a local mirror."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import OPENDATA, ROOT, needs_opendata
from tests.mirror import OfficialMirror, serve
from tests.online_support import use_data_dir

APP = str(ROOT / "app.py")


def donnees(territory: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = territory
    at.run()
    return at.switch_page("pages/donnees.py").run()


def test_coverage_and_sources_are_listed(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    at = donnees("REG:76")
    assert not at.exception
    coverage = at.dataframe[0].value
    heat = coverage[coverage["Indicateur"] == "Jours de forte chaleur (plus de 35 °C)"].iloc[0]
    assert heat["QPV 2015 renseignés"] == "105 / 1\u202f436"
    assert any("Aucun territoire mis à jour" in m.value for m in at.markdown)


@needs_opendata
def test_update_button_runs_the_loaders_with_a_progress_report(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "donnees")
    server = serve(OfficialMirror(OPENDATA))
    try:
        at = donnees("EPCI:243400017")
        at.text_input(key="donnees_miroir").set_value(server.url).run()
        at.button(key="donnees_maj").click().run()
    finally:
        server.shutdown()
        server.server_close()
    assert not at.exception, [e.value for e in at.exception]
    report = "\n".join(m.value for m in at.markdown)
    assert "Mise à jour de Montpellier Méditerranée Métropole" in report
    # Sources that exist only online answer 404 on the mirror: reported, the rest is kept.
    assert (tmp_path / "donnees" / "primary").is_dir()
    at.switch_page("pages/donnees.py").run()
    assert not at.exception
    assert at.dataframe[0].value["Territoire"].str.contains("243400017").any()


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
