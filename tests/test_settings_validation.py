"""Malformed settings never give a traceback: method files, environment values and output paths.

The same corpus goes through the functions, the command lines (exit code 2, a French sentence on
stderr, nothing written) and the Méthode page's upload (``AppTest``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

import settings
from core.settings_model import read_environment
from core.text import markdown_text
from indicators import method_settings
from indicators.method_settings import MAX_BYTES, from_json
from reports.options import read_method_file as read
from core.errors import BadArgumentError
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TERRITORY = "COM:11069"  # Carcassonne: five QPV, quick to export

DEEP_LIST = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
HUGE = " " * (MAX_BYTES + 10) + '{"cadre": "generation"}'
HUGE_WEIGHT = '{"poids_domaines": {"chaleur": 1e308}}'
SEVEN = '{"poids_domaines": {"chaleur": 7}}'

#: (file text, words the French refusal must contain)
REFUSED = [
    (DEEP_LIST, ["imbriqué", "8 niveaux"]),
    (DEEP_OBJECT, ["imbriqué"]),
    (HUGE, ["trop volumineux", "64 Ko"]),
    (HUGE_WEIGHT, ["« Chaleur »", "1e+308", "entre 0 et 3"]),
    ('{"poids_domaines": {"chaleur": NaN}}', ["« Chaleur »", "nombre fini", "NaN"]),
    ('{"poids_domaines": {"chaleur": Infinity}}', ["« Chaleur »", "nombre fini"]),
    ('{"poids_domaines": {"chaleur": 1e400}}', ["« Chaleur »", "nombre fini"]),
    ('{"poids_domaines": {"chaleur": "2"}}', ["« Chaleur »", "un nombre est attendu", '"2"']),
    ('{"poids_domaines": {"chaleur": "beaucoup"}}', ["un nombre est attendu", '"beaucoup"']),
    ('{"poids_domaines": {"chaleur": true}}', ["un nombre est attendu", "true"]),
    ('{"poids_domaines": {"chaleur": null}}', ["un nombre est attendu", "null"]),
    ('{"poids_domaines": {"chaleur": -1}}', ["négatif", "positifs ou nuls"]),
    ('{"couleur": "bleu", "taille": 3}', ["2 réglages inconnus : couleur, taille", "poids_domaines"]),
    ('{"poids_domaines": {"inconnu": 1, "autre": 2}}', ["2 domaines inconnus", "inconnu, autre"]),
    ('{"poids_domaines": [1, 2]}', ["poids_domaines", "objet"]),
    ('{"tirages": "300"}', ["tirages", '"300"']),
    ('{"tirages": 2.5}', ["tirages", "entre 0 et 10000"]),
    ('{"graine": -4}', ["Graine", "entier"]),
    ('{"cadre": "region", "frame": "generation"}', ["deux fois", "cadre, frame"]),
    ('{"tirages": ' + "9" * 5000 + "}", ["valeur illisible"]),
    ("[1, 2]", ["objet JSON"]),
    ("{pas du json", ["pas un JSON valide", "ligne 1"]),
]


# --------------------------------------------------------------------------------------------------
# Method settings: the functions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), REFUSED, ids=[f"refus-{i}" for i in range(len(REFUSED))])
def test_malformed_settings_are_refused_in_french(text, words):
    with pytest.raises(BadArgumentError) as caught:
        from_json(text)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    assert len(message) < 600  # a sentence, not a dump of the file


def test_weight_above_the_sliders_is_clamped_and_said():
    read_back = from_json(SEVEN)
    assert read_back.method.domain_weights["chaleur"] == method_settings.WEIGHT_MAX == 3.0
    assert read_back.notices == ("Poids de « Chaleur » ramené de 7 à 3, le maximum de l'échelle des poids.",)
    decimal = from_json('{"poids_domaines": {"chaleur": 2, "pauvrete_revenus": 3.5}}')
    assert decimal.method.domain_weights == {"chaleur": 2.0, "pauvrete_revenus": 3.0}
    assert decimal.notices == ("Poids de « Pauvreté et revenus » ramené de 3,5 à 3, le maximum de l'échelle des "
                               "poids.",)
    assert from_json('{"poids_domaines": {"chaleur": 3}}').notices == ()


def test_valid_files_still_read():
    read_back = from_json(b'\xef\xbb\xbf{"domain_weights": {"chaleur": 2.5}, "tirages": 300.0, "frame": "region"}')
    assert read_back.method.domain_weights == {"chaleur": 2.5} and read_back.method.draws == 300
    assert read_back.frame == "region" and read_back.notices == ()


def test_a_huge_file_is_refused_without_being_read(tmp_path):
    path = tmp_path / "enorme.json"
    with path.open("wb") as stream:
        stream.truncate(2 * 1024**3)  # 2 GB, sparse: reading it would take seconds and memory
    with pytest.raises(BadArgumentError, match="trop volumineux"):
        read(path)
    with pytest.raises(BadArgumentError, match="dossier"):
        read(tmp_path)
    with pytest.raises(BadArgumentError, match="UTF-8"):
        from_json(b'{"cadre": "r\xe9gion"}')


# --------------------------------------------------------------------------------------------------
# Method settings and output paths: the command line
# --------------------------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=300)


def _assert_refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.startswith("Erreur : "), done.stderr
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.mark.parametrize(("text", "words"), [(DEEP_LIST, ["imbriqué"]), (HUGE_WEIGHT, ["« Chaleur »"]),
                                             ('{"couleur": 1}', ["couleur"]), (HUGE, ["volumineux"])])
def test_annexe_command_refuses_bad_settings_files(tmp_path, text, words):
    settings_file = tmp_path / "reglages.json"
    settings_file.write_text(text, encoding="utf-8")
    out = tmp_path / "sortie"
    out.mkdir()
    done = _run(["reports", "annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(out / "a.csv"),
                 "--methode", str(settings_file)])
    _assert_refused(done, *words)
    assert list(out.iterdir()) == []


def test_annexe_command_says_when_a_weight_is_clamped_and_cites_it(tmp_path):
    settings_file = tmp_path / "reglages.json"
    settings_file.write_text(SEVEN, encoding="utf-8")
    out = tmp_path / "annexe.xlsx"
    done = _run(["reports", "annexe", "--territoire", TERRITORY, "--format", "xlsx", "--out", str(out),
                 "--methode", str(settings_file)])
    assert done.returncode == 0, done.stderr
    notice = "Poids de « Chaleur » ramené de 7 à 3, le maximum de l'échelle des poids."
    assert f"Attention : {notice}" in done.stderr
    sheet = openpyxl.load_workbook(out)["Métadonnées"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_col=1, max_col=2, values_only=True) if r[0]}
    assert rows["Remarque sur le fichier de réglages"] == notice
    weight = next(v for k, v in rows.items() if str(k).startswith("Poids du domaine « Chaleur »"))
    assert weight == "3"


LONG_NAME = "a" * 300


@pytest.mark.parametrize(("where", "words"), [
    (lambda tmp: tmp / f"{LONG_NAME}.csv", ["nom de fichier trop long"]),
    (lambda tmp: tmp / LONG_NAME / "annexe.csv", ["nom de fichier trop long"]),
    (lambda tmp: tmp / "absent" / "annexe.csv", ["n'existe pas"]),
    (lambda tmp: tmp / "fichier.txt" / "annexe.csv", ["est un fichier, pas un dossier"]),
    (lambda tmp: tmp, ["est un dossier"]),
], ids=["nom-300", "dossier-300", "dossier-absent", "fichier-comme-dossier", "dossier-comme-fichier"])
def test_annexe_out_errors(tmp_path, where, words):
    (tmp_path / "fichier.txt").write_text("déjà là", encoding="utf-8")
    done = _run(["reports", "annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(where(tmp_path))])
    _assert_refused(done, "Aucun fichier n'a été créé" if "dossier" not in words[0] else "", *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fichier.txt"]


@pytest.mark.parametrize(("folder", "words"), [
    (lambda tmp: tmp / "absent", ["introuvable"]),
    (lambda tmp: tmp / "fichier.txt", ["est un fichier, pas un dossier"]),
    (lambda tmp: tmp / LONG_NAME, ["nom de fichier trop long"]),
], ids=["absent", "fichier", "nom-300"])
def test_cartes_folder_errors(tmp_path, folder, words):
    (tmp_path / "fichier.txt").write_text("déjà là", encoding="utf-8")
    done = _run(["reports", "cartes", "--territoire", TERRITORY, "--dossier", str(folder(tmp_path))])
    _assert_refused(done, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fichier.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root écrit même dans un dossier en lecture seule")
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "lecture_seule"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = _run(["reports", "annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(folder / "a.csv")])
        _assert_refused(done, "pas le droit d'écrire")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_write_refused_by_the_system_leaves_nothing(tmp_path, monkeypatch, capsys):
    """A read-only file system (EROFS) or missing rights (EACCES) at the write itself: French, exit 2."""
    import errno
    import tempfile

    from reports.__main__ import main

    for code, words in ((errno.EROFS, "support en lecture seule"), (errno.EACCES, "droits insuffisants")):
        def refuse(*args, _code=code, **kwargs):
            raise OSError(_code, os.strerror(_code))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
        assert main(["annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 2
        err = capsys.readouterr().err
        assert words in err and "Aucun fichier n'a été créé" in err and "Traceback" not in err
        monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_cartes_writes_all_or_nothing(tmp_path, monkeypatch):
    from reports.output import OutputError, write_files

    real = __import__("reports.output", fromlist=["write_atomic"]).write_atomic
    calls = []

    def fail_third(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OutputError("Impossible d'écrire : disque plein.")
        return real(path, data)

    (tmp_path / "b.png").write_bytes(b"ancienne")
    monkeypatch.setattr("reports.output.write_atomic", fail_third)
    with pytest.raises(OutputError):
        write_files(tmp_path, {"a.png": b"1", "b.png": b"2", "c.png": b"3"})
    # The file created by this call is removed again; the one that existed is complete (new or old).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png"]


# --------------------------------------------------------------------------------------------------
# Environment values
# --------------------------------------------------------------------------------------------------

#: (variable, unusable value, words of what is expected) — one or more per kind of setting.
BAD_ENVIRONMENT = [
    ("ECOQPV_HTTP_TIMEOUT", "abc", "nombre de secondes"),
    ("ECOQPV_HTTP_TIMEOUT", "0", "strictement positif"),
    ("ECOQPV_HTTP_CONNECT_TIMEOUT", "-1", "strictement positif"),
    ("ECOQPV_HTTP_BACKOFF", "inf", "entre 0 et 600"),
    ("ECOQPV_HTTP_RETRY_AFTER_MAX", "nan", "entre 0 et 86 400"),
    ("ECOQPV_HTTP_CACHE_HOURS", "1e400", "nombre d'heures"),
    ("ECOQPV_WEB_SIMPLIFY_M", "huit", "nombre de mètres"),
    ("ECOQPV_HTTP_RETRIES", "2.5", "nombre entier"),
    ("ECOQPV_HTTP_RETRIES", "100", "entre 0 et 20"),
    ("ECOQPV_MAP_CLASSES", "-3", "entre 1 et 9"),
    ("ECOQPV_WEB_COORD_DECIMALS", "cinq", "nombre entier"),
    ("ECOQPV_TILES", "peut-être", "1 (oui) ou 0 (non)"),
    ("ECOQPV_RATE_LIMIT", "2", "1 (oui) ou 0 (non)"),
    ("ECOQPV_TILE_URL", "javascript:alert(1)", "{z}, {x} et {y}"),
    ("ECOQPV_TILE_URL", "https://tuiles.exemple.fr/carte.png", "{z}, {x} et {y}"),
    ("ECOQPV_CONTACT", "équipe@mairie.fr", "ASCII"),
    ("ECOQPV_CONTACT", "a\nb", "sur une ligne"),
]


@pytest.mark.parametrize(("variable", "value", "expected"), BAD_ENVIRONMENT,
                         ids=[f"{v}={x!r}" for v, x, _ in BAD_ENVIRONMENT])
def test_unusable_environment_values_are_named_in_french(variable, value, expected):
    mirror = "http://127.0.0.1:9/miroir"
    values, problems = read_environment(settings._Environment, {variable: value, "ECOQPV_MIRROR": mirror})
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"La variable d'environnement {variable} vaut « ")
    assert expected in problems[0]
    default = settings._Environment.model_fields
    field = next(name for name, f in default.items() if f.alias == variable)
    assert values.mirror == mirror  # the other values are kept
    assert getattr(values, field) == getattr(settings._Environment(), field)  # the bad one: its default


def test_usable_environment_values_are_read():
    values, problems = read_environment(settings._Environment, {
        "ECOQPV_HTTP_TIMEOUT": " 1,5 ", "ECOQPV_TILES": "NON", "ECOQPV_RATE_LIMIT": "oui", "ECOQPV_MAP_CLASSES": " 7",
        "ECOQPV_DATA_DIR": "/tmp/ecoqpv", "ECOQPV_HTTP_CACHE_HOURS": "", "ECOQPV_MIRROR": ""})
    assert problems == []
    assert values.http_read_timeout == 1.5 and values.tiles is False and values.rate_limit is True
    assert values.map_classes == 7 and values.data_dir == Path("/tmp/ecoqpv")
    assert values.http_cache_hours == 168.0 and values.mirror is None  # empty = unset


def test_every_documented_variable_is_validated():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    aliases = {f.alias for f in settings._Environment.model_fields.values()}
    for alias in aliases:
        assert f"`{alias}`" in readme, alias


@pytest.mark.parametrize("command", [
    ["indicators", "table", "--territoire", TERRITORY],
    ["reports", "annexe", "--territoire", TERRITORY, "--format", "csv", "--out", "annexe.csv"],
    ["loaders", "update", "--territoire", TERRITORY, "--sans-barre"],
], ids=["indicators", "reports", "loaders"])
def test_command_lines_stop_on_unusable_environment_values(tmp_path, command):
    done = _run(command, env={"ECOQPV_HTTP_TIMEOUT": "abc", "ECOQPV_MAP_CLASSES": "-3",
                              "ECOQPV_DATA_DIR": str(tmp_path)}, cwd=ROOT)
    _assert_refused(done, "ECOQPV_HTTP_TIMEOUT vaut « abc »", "ECOQPV_MAP_CLASSES vaut « -3 »",
                    "Corrigez ou supprimez ces variables d'environnement")
    assert done.stdout == "" and list(tmp_path.iterdir()) == []
    assert not (ROOT / "annexe.csv").exists()


def test_importing_settings_never_fails():
    done = subprocess.run([sys.executable, "-c", "import settings; print(len(settings.PROBLEMS), settings.HTTP_RETRIES)"],
                          cwd=ROOT, env={**os.environ, "ECOQPV_HTTP_RETRIES": "beaucoup"}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "4"]


def test_app_shows_one_error_box_instead_of_a_traceback(monkeypatch):
    sentence = "La variable d'environnement ECOQPV_HTTP_TIMEOUT vaut « abc » : un nombre est attendu."
    monkeypatch.setattr(settings, "PROBLEMS", [sentence])
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert len(at.error) == 1 and "ECOQPV\\_HTTP\\_TIMEOUT" in at.error[0].value and "abc" in at.error[0].value
    assert not at.title  # no page drawn with unusable settings
    at.switch_page("app_pages/carte.py").run()
    assert not at.exception and len(at.error) == 1 and not at.title


# --------------------------------------------------------------------------------------------------
# The Méthode page's upload
# --------------------------------------------------------------------------------------------------


def _methode() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = TERRITORY
    at.run()
    return at.switch_page("app_pages/methode.py").run()


def _upload(at: AppTest, text: str, name: str = "reglages.json") -> AppTest:
    return at.file_uploader(key="methode_import").set_value((name, text.encode("utf-8"), "application/json")).run()


@pytest.mark.parametrize(("text", "words"), [
    (DEEP_LIST, ["imbriqué"]), (HUGE, ["volumineux"]), (HUGE_WEIGHT, ["Chaleur"]),
    ('{"poids_domaines": {"chaleur": NaN}}', ["nombre fini"]), ('{"poids_domaines": {"chaleur": "2"}}', ["nombre"]),
    ('{"couleur": 1, "[clic](javascript:alert(1))": 2}', ["inconnu", "couleur"]),
], ids=["profond", "volumineux", "1e308", "nan", "texte", "cles-inconnues"])
def test_methode_upload_refuses_in_french(text, words):
    at = _upload(_methode(), text)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    for word in words:
        assert word in message, message
    assert "](" not in message  # quoted file content is escaped, never a link
    assert at.session_state["methode"].domain_weights == {}  # the method in use did not change


def test_methode_upload_clamps_and_says_so_then_the_annex_cites_it():
    at = _upload(_methode(), SEVEN)
    assert not at.exception
    assert [s.value for s in at.success] == ["Réglages importés."]
    notice = markdown_text("Poids de « Chaleur » ramené de 7 à 3, le maximum de l'échelle des poids.")
    assert any(notice == w.value for w in at.warning), [w.value for w in at.warning]
    assert at.session_state["methode"].domain_weights["chaleur"] == 3.0
    assert at.select_slider(key="poids_chaleur").value == 3.0
    at.switch_page("app_pages/annexe.py").run()
    assert not at.exception
    assert any(notice == w.value for w in at.warning)
    # Moving a slider away from the imported method ends the notice.
    at.switch_page("app_pages/methode.py").run()
    at.select_slider(key="poids_chaleur").set_value(2.0).run()
    assert not any(notice == w.value for w in at.warning)


@pytest.mark.parametrize(("weight", "step", "notice"), [
    (1.1, None, "Poids de « Chaleur » arrondi de 1,1 à 1, le cran le plus proche de l'échelle des poids de la page."),
    (2.2, 2.0, "Poids de « Chaleur » arrondi de 2,2 à 2, le cran le plus proche de l'échelle des poids de la page."),
    (0.1, 0.0, "Poids de « Chaleur » arrondi de 0,1 à 0, le cran le plus proche de l'échelle des poids de la page."),
    (1.125, None, "Poids de « Chaleur » arrondi de 1,125 à 1, le cran le plus proche de l'échelle des poids de la "
                  "page."),  # a tie goes to the lower step
    (2.5, 2.5, None), (0.25, 0.25, None),
])
def test_weights_between_slider_steps_are_rounded_and_said(weight, step, notice):
    read = method_settings.on_weight_steps(from_json(json.dumps({"poids_domaines": {"chaleur": weight}}),
                                                      source="reglages.json"))
    assert read.method.domain_weights.get("chaleur") == step  # None: back to the default weight, left out
    assert read.notices == ((notice,) if notice else ())


def test_rounding_keeps_the_clamping_notice_and_the_other_settings():
    text = json.dumps({"poids_domaines": {"chaleur": 7, "pauvrete_revenus": 1.3}, "agregation": "geometrique",
                       "cadre": "region"})
    read = method_settings.on_weight_steps(from_json(text, source="reglages.json"))
    assert read.method.domain_weights == {"chaleur": 3.0, "pauvrete_revenus": 1.25}
    assert read.method.aggregation == "geometrique" and read.frame == "region"
    assert read.notices[0].startswith("Poids de « Chaleur » ramené de 7 à 3")
    assert read.notices[1].startswith("Poids de « Pauvreté et revenus » arrondi de 1,3 à 1,25")


def test_the_command_line_keeps_a_weight_between_steps():
    assert from_json('{"poids_domaines": {"chaleur": 1.1}}', source="x.json").method.domain_weights == {"chaleur": 1.1}


def test_methode_upload_says_when_a_weight_is_rounded_to_a_slider_step():
    at = _upload(_methode(), '{"poids_domaines": {"chaleur": 2.2}}')
    assert not at.exception
    notice = markdown_text("Poids de « Chaleur » arrondi de 2,2 à 2, le cran le plus proche de l'échelle des poids "
                           "de la page.")
    assert any(notice == w.value for w in at.warning), [w.value for w in at.warning]
    assert at.session_state["methode"].domain_weights == {"chaleur": 2.0}
    assert at.select_slider(key="poids_chaleur").value == 2.0


def test_written_settings_files_read_back_without_notice(tmp_path):
    """What the page exports is what the command line reads, unchanged."""
    from indicators.scores import Method

    text = method_settings.to_json(Method(domain_weights={"chaleur": 3.0, "pauvrete_revenus": 0.25}), "region")
    path = tmp_path / "reglages.json"
    path.write_text(text, encoding="utf-8")
    read_back = read(path)
    assert read_back.notices == () and read_back.frame == "region"
    assert json.loads(text)["poids_domaines"]["chaleur"] == 3
