"""Données page: coverage, status, the mirror shown read-only (never typed by a visitor), the "Mettre à
jour ce territoire" button through a local mirror configured by the operator, and the cleaning of
leftover temporary folders when the app starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

import settings

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


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for group in (at.markdown, at.caption, at.info, at.error) for e in group)


def test_no_visitor_can_type_a_mirror(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    at = donnees("EPCI:243400017")
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "donnees_miroir" or "iroir" in str(t.label)]
    assert "Aucun miroir : sources officielles." in _texts(at)
    assert not at.button(key="donnees_maj").disabled


def test_the_operator_mirror_is_shown_read_only(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(settings, "MIRROR", "http://192.168.1.10:8000/miroir/")
    at = donnees("EPCI:243400017")
    assert not at.exception
    assert "Miroir configuré par l'exploitant : http://192.168.1.10:8000/miroir " in _texts(at)
    assert not [t for t in at.text_input if "iroir" in str(t.label)]


def test_the_mirror_can_come_from_the_secrets_file(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    folder = tmp_path / "cle-usb"
    folder.mkdir()
    at = AppTest.from_file(APP, default_timeout=300)
    at.secrets["ECOQPV_MIRROR"] = folder.as_uri()
    at.query_params["territoire"] = "EPCI:243400017"
    at.run()
    at.switch_page("pages/donnees.py").run()
    assert not at.exception
    assert f"Miroir configuré par l'exploitant : {folder.as_uri()} " in _texts(at)


@pytest.mark.parametrize("value", ["ftp://miroir.local", "javascript:alert(1)", "file:///etc/passwd"])
def test_a_bad_configured_mirror_disables_the_update_with_a_french_message(monkeypatch, tmp_path, value):
    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(settings, "MIRROR", value)
    at = donnees("EPCI:243400017")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith(f"Miroir refusé : « {value} »") and "mise à jour est désactivée" in e for e in errors)
    assert at.button(key="donnees_maj").disabled


def test_what_a_server_answered_is_shown_as_text_not_as_markdown(monkeypatch, tmp_path):
    from loaders import update

    class Report:
        failed = {"qpv2024_liste": "x"}

        def summary_fr(self) -> str:
            return ("Mise à jour de Montpellier (COM:34172) : 22 quartier(s).\n"
                    "Échecs (les données déjà chargées sont conservées) :\n"
                    "  - Source « Liste » : adresse refusée : "
                    "« [Cliquez ici](https://piege.example) `x` *y* $z$ ».")

    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(update, "update_territory", lambda *args, **kwargs: Report())
    at = donnees("COM:34172")
    at.button(key="donnees_maj").click().run()
    assert not at.exception
    shown = next(m.value for m in at.markdown if m.value.startswith("Mise à jour de Montpellier"))
    rendered = MarkdownIt("commonmark").render(shown)  # what the reader sees: the list stays, the rest is text
    assert "<li>Source « Liste » : adresse refusée : « [Cliquez ici](https://piege.example) `x` *y* $z$ ».</li>" \
        in rendered, rendered
    assert not any(tag in rendered for tag in ("<a ", "<code>", "<em>")), rendered


def test_the_app_cleans_leftovers_of_killed_updates_at_start(monkeypatch, tmp_path):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    data = use_data_dir(monkeypatch, tmp_path / "donnees")
    stale = [data / f".staging-{dead}-EPCI-243400017-a", data / "primary" / f".bundle-{dead}-b"]
    live = data / "primary" / f".bundle-{os.getpid()}-c"  # this process is alive: its folder stays
    for folder in (*stale, live):
        folder.mkdir(parents=True)
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception
    assert not any(p.exists() for p in stale) and live.is_dir()


@needs_opendata
def test_update_button_runs_the_loaders_with_a_progress_report(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "donnees")
    server = serve(OfficialMirror(OPENDATA))
    try:
        monkeypatch.setattr(settings, "MIRROR", server.url)  # configured by the operator, not typed
        at = donnees("EPCI:243400017")
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
