"""What workshop groups say (``loaders.local.remontees``): the SQLite store, its command line, its CSV, its place in
the annex (a section of its own, read back from the DOCX) and on the Fiche quartier page."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
from docx import Document

import settings
from core.workshop import MAX_NOTE_CHARS, NOTES_TITLE, SPEAKERS, THEMES
from core.errors import BadArgumentError, StorageError
from loaders.local import remontees
from sources import store
from tests.conftest import ROOT

MOSSON = "QN03405M"  # a QPV 2024 of Montpellier (registry)
TERRITORY = "COM:34172"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path)
    return tmp_path


def _cli(data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ECOQPV_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "loaders.local", "remontees", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


# --- the store --------------------------------------------------------------------------------------------------


def test_add_list_edit_remove_round_trip(data_dir):
    assert remontees.notes() == [] and remontees.version() == 0
    assert not remontees.database_path().exists()  # reading creates nothing
    first = remontees.add(MOSSON, "chaleur", "  La place est brûlante\r\nl'après-midi.  ", "habitants")
    second = remontees.add(MOSSON, "logement_energie", "Moisissures dans les chambres.", "equipe_quartier",
                           jour="01/12/2025")
    assert remontees.database_path() == data_dir / "local" / "remontees.sqlite"
    assert first.texte == "La place est brûlante\nl'après-midi." and first.jour == date.today()
    assert second.jour == date(2025, 12, 1) and second.qui_label == SPEAKERS["equipe_quartier"]
    assert [n.id for n in remontees.notes([MOSSON])] == [second.id, first.id]  # by date
    assert remontees.notes(["QN03404M"]) == []
    assert [n.id for n in remontees.notes(theme="chaleur")] == [first.id]
    changed = remontees.edit(first.id, texte="Plus d'ombre, s'il vous plaît.", theme="se_rafraichir")
    assert changed.texte == "Plus d'ombre, s'il vous plaît." and changed.theme_label == THEMES["se_rafraichir"]
    assert changed.qui == "habitants"  # what was not given is kept
    before = remontees.version()
    removed = remontees.remove(second.id)
    assert removed.id == second.id and remontees.version() == before + 1
    assert [n.id for n in remontees.notes()] == [first.id]


@pytest.mark.parametrize(("field", "value", "words"), [
    ("code_qp", "QN99999Z", "Quartier inconnu"),
    ("code_qp", "", "Code de quartier vide"),
    ("theme", "froid", "Thème inconnu"),
    ("qui", "Mme Dupont", "Valeur de « qui » inconnue"),
    ("texte", "   ", "Texte vide"),
    ("texte", "x" * (MAX_NOTE_CHARS + 1), "Texte trop long"),
    ("texte", "Écrire à jean.dupont@example.org", "adresse électronique"),
    ("texte", "Appeler le 06 12 34 56 78 le soir", "numéro de téléphone"),
    ("jour", "31/02/2025", "illisible"),
    ("jour", (date.today() + timedelta(days=2)).isoformat(), "dans le futur"),
])
def test_bad_input_is_refused_in_french_and_nothing_is_written(data_dir, field, value, words):
    arguments = {"code_qp": MOSSON, "theme": "chaleur", "texte": "Il fait chaud.", "qui": "habitants", "jour": None}
    arguments[field] = value
    with pytest.raises(BadArgumentError, match=words):
        remontees.add(**arguments)
    assert remontees.notes() == []


def test_longest_text_is_kept_whole(data_dir):
    text = "é" * MAX_NOTE_CHARS
    assert remontees.add(MOSSON, "autre", text).texte == text


def test_unknown_numbers_are_said(data_dir):
    remontees.add(MOSSON, "chaleur", "Il fait chaud.")
    for action in (lambda: remontees.remove(42), lambda: remontees.edit(42, texte="x"), lambda: remontees.get(42)):
        with pytest.raises(BadArgumentError, match="Aucune remontée numéro 42"):
            action()
    with pytest.raises(BadArgumentError, match="invalide"):
        remontees.remove("abc")


def test_two_sessions_writing_at_once_lose_nothing(data_dir):
    """Two browser sessions are two threads of one server: every note of both is kept."""
    errors: list[Exception] = []

    def write(who: str) -> None:
        try:
            for i in range(25):
                remontees.add(MOSSON, "chaleur", f"{who} {i}", who)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(who,)) for who in ("habitants", "association")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    texts = sorted(n.texte for n in remontees.notes())
    assert texts == sorted(f"{who} {i}" for who in ("habitants", "association") for i in range(25))
    assert remontees.version() == 50


def test_a_damaged_file_is_said_and_left_alone(data_dir):
    path = data_dir / "local" / "remontees.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    with pytest.raises(StorageError, match="abîmé"):
        remontees.notes()
    with pytest.raises(StorageError, match="abîmé"):
        remontees.add(MOSSON, "chaleur", "x")
    assert path.read_bytes().startswith(b"ceci n'est pas")


def test_store_is_outside_the_bundle_and_the_updated_territories(data_dir):
    """An update writes ``primary/`` and the bundle is ``data/bundle``: neither is where the notes live, and the
    clean-up of interrupted updates leaves them alone."""
    from core.paths import clean_leftovers

    remontees.add(MOSSON, "chaleur", "Il fait chaud.")
    path = remontees.database_path()
    assert store.primary_dir() not in path.parents and store.bundle_dir().resolve() not in path.resolve().parents
    clean_leftovers(data_dir)
    assert [n.texte for n in remontees.notes()] == ["Il fait chaud."]


def test_csv_is_neutralised_and_readable_by_french_excel(data_dir):
    remontees.add(MOSSON, "chaleur", "=HYPERLINK(\"http://x\";\"clic\")", "habitants")
    remontees.add(MOSSON, "risques", "Deux lignes\n+ une formule", "partenaire")
    data = remontees.csv_bytes(remontees.notes())
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [r["texte"] for r in rows] == ["'=HYPERLINK(\"http://x\";\"clic\")", "Deux lignes\n+ une formule"]
    assert {r["quartier"] for r in rows} == {"Mosson"} and {r["commune"] for r in rows} == {"Montpellier"}
    assert list(rows[0]) == list(remontees.CSV_COLUMNS.values())


# --- command line -------------------------------------------------------------------------------------------------


def test_cli_every_subcommand(data_dir, tmp_path):
    added = _cli(data_dir, "add", "--qpv", MOSSON.lower(), "--theme", "chaleur", "--texte", "Pas d'ombre.",
                 "--qui", "association", "--date", "02/12/2025")
    assert added.returncode == 0, added.stderr
    assert "Remontée n° 1 enregistrée pour QN03405M" in added.stderr
    listed = _cli(data_dir, "list", "--qpv", MOSSON)
    assert listed.returncode == 0 and "Pas d'ombre." in listed.stdout and "Mosson" in listed.stdout
    assert "02/12/2025" in listed.stdout and "Association" in listed.stdout
    edited = _cli(data_dir, "edit", "1", "--texte", "Pas d'ombre du tout.")
    assert edited.returncode == 0, edited.stderr
    out = tmp_path / "remontees.csv"
    exported = _cli(data_dir, "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "Pas d'ombre du tout." in out.read_text(encoding="utf-8-sig")
    removed = _cli(data_dir, "remove", "1")
    assert removed.returncode == 0 and "supprimée" in removed.stderr
    empty = _cli(data_dir, "list")
    assert empty.returncode == 0 and "Aucune remontée" in empty.stderr


@pytest.mark.parametrize(("args", "code", "words"), [
    (["add", "--qpv", "QN00000X", "--theme", "chaleur", "--texte", "x"], 2, "Quartier inconnu"),
    (["add", "--qpv", MOSSON, "--theme", "froid", "--texte", "x"], 2, "non reconnue"),
    (["add", "--qpv", MOSSON, "--theme", "chaleur", "--texte", "x" * 2001], 2, "Texte trop long"),
    (["add", "--qpv", MOSSON, "--theme", "chaleur", "--texte", "x", "--qui", "Jean"], 2, "non reconnue"),
    (["add", "--qpv", MOSSON, "--theme", "chaleur"], 2, "obligatoire"),
    (["list", "--qpv", "ZZZ"], 2, "Quartier inconnu"),
    (["export", "--out", "/dossier/absent/r.csv"], 2, "n'existe pas"),
    (["remove", "7"], 2, "Aucune remontée numéro 7"),
    (["remove", "sept"], 2, "invalide"),
    (["edit", "1"], 2, "Rien à modifier"),
    ([], 2, "obligatoire"),
])
def test_cli_bad_input_french_message_and_exit_code(data_dir, args, code, words):
    result = _cli(data_dir, *args)
    assert result.returncode == code, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (data_dir / "local" / "remontees.sqlite").exists() or remontees.notes() == []


def test_cli_damaged_file_exit_code_1(data_dir):
    path = data_dir / "local" / "remontees.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"pas une base" * 200)
    result = _cli(data_dir, "list")
    assert result.returncode == 1 and "abîmé" in result.stderr and "Traceback" not in result.stderr


def test_cli_export_refuses_a_folder(data_dir, tmp_path):
    result = _cli(data_dir, "export", "--out", str(tmp_path))
    assert result.returncode == 2 and "est un dossier" in result.stderr


# --- the annex and the Fiche quartier ------------------------------------------------------------------------------


def _docx_texts(data: bytes) -> tuple[list[str], list[list[str]]]:
    document = Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    return paragraphs, cells


def test_annex_has_its_own_section_with_the_notes(data_dir):
    import reports
    from geodata import territories

    territory = territories.resolve_key(TERRITORY)
    hostile = "<script>alert(1)</script> =SOMME(A1)"
    remontees.add(MOSSON, "chaleur", "La place du marché est brûlante.", "habitants")
    remontees.add(MOSSON, "risques", hostile, "association")
    paragraphs, cells = _docx_texts(reports.export(territory, "docx"))
    assert NOTES_TITLE in paragraphs
    start = paragraphs.index(NOTES_TITLE)
    section = paragraphs[start:]
    assert any(p.startswith("Mosson (QN03405M") for p in section)
    rows = [row for row in cells if row[-1] in ("La place du marché est brûlante.", hostile)]
    assert len(rows) == 2 and {row[2] for row in rows} == {"Habitants", "Association"}
    # Never among the statistics: the notes' texts appear in no table before the section's own tables.
    assert ["Date", "Thème", "Qui parle", "Ce qui a été dit"] in cells


def test_annex_follows_a_note_added_after_it_was_made(data_dir):
    import reports
    from geodata import territories

    territory = territories.resolve_key(TERRITORY)
    paragraphs, _ = _docx_texts(reports.export(territory, "docx"))
    assert any(p.startswith("Aucune remontée d'atelier") for p in paragraphs)
    remontees.add(MOSSON, "chaleur", "Ajoutée après la première annexe.")
    _, cells = _docx_texts(reports.export(territory, "docx"))
    assert any(row[-1] == "Ajoutée après la première annexe." for row in cells)


def _mosson_fiche():
    """The Fiche page of Mosson, run without an exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.session_state["qpv_selectionne"] = MOSSON
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_fiche_page_lists_the_notes_apart_and_as_text(data_dir):
    remontees.add(MOSSON, "chaleur", "<script>alert(1)</script> *pas de gras*", "habitants")
    at = _mosson_fiche()
    headers = [h.value for h in at.subheader]
    assert headers[-1] == NOTES_TITLE  # its own block, after the statistics
    bodies = [m.proto.body for m in at.markdown]
    assert r"\<script\>alert\(1\)\</script\> \*pas de gras\*" in bodies
    assert not any(m.proto.allow_html and "script" in m.proto.body for m in at.markdown)


def test_fiche_page_says_a_damaged_notes_file_without_the_server_path(data_dir):
    path = data_dir / "local" / "remontees.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    at = _mosson_fiche()
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert any(w.startswith("Le fichier des remontées ECOQPV_DATA_DIR/local/remontees.sqlite est abîmé")
               for w in warnings), warnings
    assert not any(str(data_dir) in w for w in warnings)
    assert path.read_bytes().startswith(b"ceci n'est pas")
