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
from core.formats import format_number
from geodata import territories
from sources import store

from tests.apptest_tables import text_table
from tests.conftest import OPENDATA, ROOT, needs_opendata
from tests.mirror import OfficialMirror, serve
from tests.online_support import use_data_dir

APP = str(ROOT / "app.py")


def donnees(territory: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = territory
    at.run()
    return at.switch_page("app_pages/donnees.py").run()


def test_coverage_and_sources_are_listed(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    at = donnees("REG:76")
    assert not at.exception
    coverage = text_table(at.table[0])  # a real table (copyable), read back without its Markdown escapes
    heat = coverage[coverage["Indicateur"] == "Jours de forte chaleur (plus de 35 °C)"].iloc[0]
    # The chosen territory's quartiers (Occitanie), not all of France's.
    codes = set(territories.qpv_codes(territories.resolve_key("REG:76")))
    registry = store.table("qpv")
    values = store.table("valeurs").merge(registry[["code_qp", "generation"]], on="code_qp")
    heat15 = values[(values["indicateur"] == "jours_sup_35") & (values["generation"] == 2015)
                    & values["code_qp"].isin(codes)]
    total15 = int(((registry["generation"] == 2015) & registry["code_qp"].isin(codes)).sum())
    assert 0 < total15 < int((registry["generation"] == 2015).sum())
    assert heat["QPV 2015 renseignés"] == f"{format_number(heat15['valeur'].notna().sum())} / {format_number(total15)}"
    assert any("Occitanie" in c.value and "France entière" in c.value for c in at.caption)
    reasons = coverage["Raison la plus fréquente d'une valeur manquante"]
    assert "" not in set(reasons)  # a cell says why, or that nothing is missing
    complete = coverage["QPV 2015 renseignés"].map(lambda t: len(set(t.split(" / "))) == 1) & coverage[
        "QPV 2024 renseignés"].map(lambda t: len(set(t.split(" / "))) == 1)
    assert (reasons[complete] == "aucune valeur manquante").all() and complete.any()
    # France entière: every quartier of the data.
    at = donnees("FR")
    national = text_table(at.table[0])
    heat = national[national["Indicateur"] == "Jours de forte chaleur (plus de 35 °C)"].iloc[0]
    assert heat["QPV 2024 renseignés"].endswith(f" / {format_number(int((registry['generation'] == 2024).sum()))}")
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
    assert "Miroir configuré par l'exploitant : http://192.168.1.10:8000/miroir " in _texts(at).replace("\\", "")
    assert not [t for t in at.text_input if "iroir" in str(t.label)]


def test_the_mirror_can_come_from_the_secrets_file(monkeypatch, tmp_path):
    use_data_dir(monkeypatch, tmp_path / "vide")
    folder = tmp_path / "cle-usb"
    folder.mkdir()
    at = AppTest.from_file(APP, default_timeout=300)
    at.secrets["ECOQPV_MIRROR"] = folder.as_uri()
    at.query_params["territoire"] = "EPCI:243400017"
    at.run()
    at.switch_page("app_pages/donnees.py").run()
    assert not at.exception
    # A folder of the server: named by its last name only, the machine's layout is not shown to visitors.
    assert "Miroir configuré par l'exploitant : file://…/cle-usb " in _texts(at).replace("\\", "")
    assert str(tmp_path) not in _texts(at).replace("\\", "")


@pytest.mark.parametrize("value", ["ftp://miroir.local", "javascript:alert(1)", "file:///etc/passwd"])
def test_a_bad_configured_mirror_disables_the_update_with_a_french_message(monkeypatch, tmp_path, value):
    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(settings, "MIRROR", value)
    at = donnees("EPCI:243400017")
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    shown = "file://…/passwd" if value.startswith("file:") else value  # a server path: its last name only
    assert any(e.startswith(f"Miroir refusé : « {shown} »") and "mise à jour est désactivée" in e for e in errors)
    assert at.button(key="donnees_maj").disabled


def _report(failed_message: str):
    from loaders.update_report import SourceOutcome, UpdateReport

    report = UpdateReport("COM:34172", "Montpellier", qpv=22)
    report.outcomes = [SourceOutcome("qpv2024_contours", "Contours des QPV 2024", "mis_a_jour", "QPV 2024"),
                       SourceOutcome("qpv2024_liste", "Liste des QPV 2024 et de leurs communes", "echec",
                                     message=failed_message)]
    return report


def test_what_a_server_answered_is_shown_as_text_not_as_markdown(monkeypatch, tmp_path):
    from loaders import update

    report = _report("Source « Liste » : adresse refusée : « [Cliquez ici](https://piege.example) `x` *y* $z$ ».")
    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(update, "update_territory", lambda *args, **kwargs: report)
    at = donnees("COM:34172")
    at.button(key="donnees_maj").click().run()
    assert not at.exception
    shown = next(m.value for m in at.markdown if m.value.startswith("Territoire"))
    rendered = MarkdownIt("commonmark").render(shown)  # what the reader sees: the list stays, the rest is text
    assert "<li>Source « Liste » : adresse refusée : « [Cliquez ici](https://piege.example) `x` *y* $z$ ».</li>" \
        in rendered, rendered
    assert not any(tag in rendered for tag in ("<a ", "<code>", "<em>")), rendered


def test_the_result_is_open_in_french_and_a_failure_is_shown_as_failure(monkeypatch, tmp_path):
    from loaders import update

    report = _report("Source « Liste des QPV 2024 et de leurs communes » : erreur serveur 500 persistante.")
    use_data_dir(monkeypatch, tmp_path / "vide")
    monkeypatch.setattr(update, "update_territory", lambda *args, **kwargs: report)
    at = donnees("COM:34172")
    at.button(key="donnees_maj").click().run()
    assert not at.exception
    # Headed by the verdict, in a red box that took the place of the progress bar (no "Terminé").
    errors = [e.value.replace("\\", "") for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Échec : Mise à jour de Montpellier (COM:34172) terminée "
                                                     "avec des échecs"), errors
    assert "1 source à jour, 1 source en échec" in errors[0]
    assert not [p for p in at.progress if "Terminé" in str(p.value) or p.value == 100]
    # The body is open (not in a collapsed box), by French names; the ids only in the detail block.
    body = next(m.value for m in at.markdown if m.value.startswith("Territoire"))
    assert "Ce qui a changé" in body and "Ce qui a échoué" in body and "Contours des QPV 2024" in body
    assert "qpv2024_liste" not in body and "qpv2024_contours" not in body
    assert not at.status
    detail = at.expander[0]
    assert detail.label.startswith("Détail technique") and not detail.proto.expanded
    assert "qpv2024_liste — Liste des QPV 2024" in "\n".join(m.value for m in detail.markdown).replace("\\", "")


def test_offline_the_button_gives_up_at_once_with_one_sentence(monkeypatch, tmp_path):
    """No network: every official site is unreachable (here through a proxy that refuses connections, so
    that no real name is looked up). After two sites, the update stops trying and says so in one sentence."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(variable, closed)
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    data = use_data_dir(monkeypatch, tmp_path / "donnees")
    at = donnees("COM:34172")
    at.button(key="donnees_maj").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "pas de connexion aux sites officiels" in errors[0], errors
    # One sentence; the full report only in the folded detail block.
    bodies = [m for m in at.markdown if m.value.startswith("Territoire")]
    folded = [m for m in at.expander[0].markdown if m.value.startswith("Territoire")]
    assert len(bodies) == len(folded) == 1 and not at.expander[0].proto.expanded
    assert not (data / "primary").exists()


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
    # Sources that exist only online answer 404 on the mirror: reported as failures, the rest is kept.
    assert at.error[0].value.startswith("Échec : Mise à jour de Montpellier Méditerranée Métropole")
    report = "\n".join(m.value for m in at.markdown)
    assert "Ce qui a changé" in report and "Ce qui a échoué" in report and "ADEME" in report
    assert (tmp_path / "donnees" / "primary" / "EPCI-243400017" / "rapport.md").is_file()
    at.switch_page("app_pages/donnees.py").run()
    assert not at.exception
    assert at.dataframe[0].value["Territoire"].str.contains("243400017").any()


def test_the_page_shows_no_server_path(monkeypatch, tmp_path):
    """On a shared server, visitors see the updated territories' folders relative to the data folder."""
    data_dir = tmp_path / "donnees"
    use_data_dir(monkeypatch, data_dir)
    real_status = store.status

    def with_an_update() -> dict:
        status = real_status()
        status["mises_a_jour"] = [{"territoire": "EPCI:243400017", "mis_a_jour_le": "2026-12-07T10:00:00",
                                   "dossier": str(data_dir / "primary" / "EPCI-243400017"), "sources": []}]
        return status

    monkeypatch.setattr(store, "status", with_an_update)
    at = donnees("EPCI:243400017")
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[0].value
    assert list(shown["Dossier"]) == ["primary/EPCI-243400017"]
    texts = _texts(at) + "\n" + "\n".join(str(e.value) for e in at.dataframe)
    assert str(tmp_path) not in texts
    assert any("dossier de données de l'application" in c.value for c in at.caption)


def test_a_disk_error_names_the_data_folder_by_its_setting_not_by_its_path(monkeypatch, tmp_path):
    import errno

    from core.paths import storage_error
    from loaders import update

    data_dir = tmp_path / "donnees"
    use_data_dir(monkeypatch, data_dir)

    def full_disk(*args, **kwargs):
        raise storage_error(OSError(errno.ENOSPC, "No space left on device"), data_dir / "raw" / "insee",
                            "le fichier précédent est conservé.")

    monkeypatch.setattr(update, "update_territory", full_disk)
    at = donnees("COM:34172")
    at.button(key="donnees_maj").click().run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors == ["Échec de la mise à jour : Espace disque insuffisant dans ECOQPV_DATA_DIR/raw/insee : le "
                      "fichier précédent est conservé."], errors
    assert str(tmp_path) not in _texts(at).replace("\\", "")


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
