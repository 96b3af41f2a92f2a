"""``python -m reports``: settings files, bad inputs, all-or-nothing writes (issue #6)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from core.errors import BadArgumentError
from reports import __main__ as cli
from reports import output
from reports.options import AnnexOptions, load_options, options_from_text
from tests.conftest import ROOT

TERRITORY = "EPCI:243400017"


def run(argv, capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- settings file --------------------------------------------------------------------------------


def test_settings_round_trip_and_defaults(tmp_path):
    assert load_options(None).is_default()
    options = options_from_text('{"poids_domaines": {"chaleur": 2, "pauvrete_revenus": 1}, '
                                '"normalisation": "minmax", "agregation": "geometrique", "cadre": "region"}')
    assert options.weight("chaleur") == 2.0 and options.weight("pauvrete_revenus") == 1.0
    assert options.method.normalisation == "minmax" and options.frame == "region"
    path = tmp_path / "reglages.json"
    path.write_text(options.to_json(), encoding="utf-8")
    again = load_options(path)
    assert again.method == options.method and again.frame == options.frame and again.source == "reglages.json"
    # English aliases are accepted; a weight of 1 is the default and leaves the method unchanged.
    assert options_from_text('{"domain_weights": {"chaleur": 1}, "frame": "generation"}').is_default()


@pytest.mark.parametrize("text, words", [
    ("{poids: 2}", "n'est pas un JSON valide"),
    ("[1, 2]", "objet JSON"),
    ('{"couleur": "bleu"}', "1 réglage inconnu : couleur"),
    ('{"poids_domaines": {"risques": 2}}', "1 domaine inconnu"),
    ('{"poids_domaines": {"chaleur": "fort"}}', "un nombre est attendu"),
    ('{"poids_domaines": {"chaleur": -1}}', "positifs ou nuls"),
    ('{"poids_domaines": {"chaleur": 0}}', "toutes nulles"),
    ('{"normalisation": "rang"}', "Normalisation : valeur « rang » inconnue"),
    ('{"cadre": "monde"}', "Cadre : valeur « monde » inconnue"),
    ('{"tirages": 2.5}', "un entier"),
])
def test_bad_settings_are_refused_in_french(text, words):
    with pytest.raises(BadArgumentError) as error:
        options_from_text(text)
    assert words in str(error.value)


# --- command line: bad inputs ------------------------------------------------------------------------


def test_invalid_json_settings_exit_2_without_traceback_or_file(tmp_path):
    settings = tmp_path / "reglages.json"
    settings.write_text("{ceci n'est pas du JSON", encoding="utf-8")
    out = tmp_path / "annexe.docx"
    done = subprocess.run([sys.executable, "-m", "reports", "annexe", "--territoire", TERRITORY, "--format", "docx",
                           "--out", str(out), "--methode", str(settings)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Erreur : Le fichier de réglages « reglages.json » n'est pas un JSON valide" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reglages.json"]


def test_missing_settings_file_and_unknown_territory(tmp_path, capsys):
    out = tmp_path / "annexe.csv"
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(out),
                        "--methode", str(tmp_path / "absent.json")], capsys)
    assert code == 2 and "Fichier de réglages introuvable" in err
    code, _, err = run(["annexe", "--territoire", "EPCI:999", "--format", "csv", "--out", str(out)], capsys)
    assert code == 2 and "Territoire inconnu" in err
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "odt", "--out", str(out)], capsys)
    assert code == 2 and "--format : valeur « odt » non reconnue ; choisir parmi docx, pdf, xlsx, csv" in err
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv"], capsys)
    assert code == 2 and "argument obligatoire manquant : --out" in err
    assert not out.exists()


def test_unwritable_output_paths_exit_2_in_french(tmp_path, capsys):
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv",
                        "--out", str(tmp_path / "absent" / "annexe.csv")], capsys)
    assert code == 2 and "le dossier" in err and "n'existe pas" in err
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(tmp_path)], capsys)
    assert code == 2 and "est un dossier" in err
    # /proc refuses new files even to root: the failure happens at the write itself.
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv", "--out", "/proc/annexe.csv"], capsys)
    assert code == 2 and "Impossible d'écrire « /proc/annexe.csv »" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "annexe.csv"
    target.write_bytes(b"ancienne version")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(output.OutputError) as error:
        output.write_atomic(target, b"nouvelle version")
    assert "disque plein" in str(error.value) and "No space" not in str(error.value)
    assert target.read_bytes() == b"ancienne version"
    assert [p.name for p in tmp_path.iterdir()] == ["annexe.csv"]


def test_cli_writes_a_csv_and_reads_back(tmp_path, capsys):
    settings = tmp_path / "reglages.json"
    settings.write_text(json.dumps({"poids_domaines": {"chaleur": 2}, "cadre": "generation"}), encoding="utf-8")
    out = tmp_path / "annexe.csv"
    code, _, err = run(["annexe", "--territoire", TERRITORY, "--format", "csv", "--out", str(out),
                        "--methode", str(settings)], capsys)
    assert code == 0, err
    assert "Annexe écrite" in err
    frame = pd.read_csv(io.BytesIO(out.read_bytes()), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(frame) == 22 and frame["Score global (0-100)"].notna().any()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annexe.csv", "reglages.json"]


def test_cartes_command_needs_an_existing_folder(tmp_path, capsys):
    code, _, err = run(["cartes", "--territoire", TERRITORY, "--dossier", str(tmp_path / "absent")], capsys)
    assert code == 2 and "introuvable" in err


def test_default_options_are_what_the_page_sends():
    page = options_from_text('{"poids_domaines": {"chaleur": 1.0, "logement_energie": 1.0}, "normalisation": '
                             '"percentile", "agregation": "arithmetique", "cadre": "generation"}')
    assert page.method == AnnexOptions().method
