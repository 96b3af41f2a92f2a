"""Local indicators in the product (issue #13): the page, the map, the fiche, the annex, the scores, persistence.

Every test works in its own data folder (``ECOQPV_DATA_DIR``): nothing is left for the other tests, and the
golden scores (default data folder) never see a local indicator.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import docx
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import reports
import settings
from assembly import indicator_list
from assembly.territory_table import frame_scores, structure, territory_table
from geodata import territories
from loaders.local import indicateurs
from sources import local_indicators, store
from tests.apptest_tables import carte_table, page_tables
from tests.conftest import ROOT
from tests.local_data_corpus import CORPUS, KNOWN_2015, KNOWN_2024

APP = str(ROOT / "app.py")
HOSTILE_LABEL = "<img src=x onerror=alert(1)> Impayés"
FORMULA_LABEL = '=HYPERLINK("http://exemple.invalid","clic")'
FORMULA_SOURCE = "@SUM(1+1) Bailleur"
#: Quartiers of Bourg-en-Bresse (Ain), in the bundle.
BOURG = ["QN00101M", "QN00102M", "QN00103M"]


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    folder = tmp_path / "donnees"
    monkeypatch.setattr(settings, "DATA_DIR", folder)
    return folder


def csv_bytes(values: dict[str, object]) -> bytes:
    lines = ["Code QPV;Valeur"] + [f"{code};{str(v).replace('.', ',')}" for code, v in values.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def add_local(values: dict[str, object], label: str = "Impayés d'énergie", scored: bool = False,
              domain: str = "logement_energie", source: str = "Bailleur Habitat Sud", vintage: str = "2023") -> str:
    table = indicateurs.read_bytes(csv_bytes(values), "impayes.csv")
    data = indicateurs.add_table(table, libelle=label, unite="€", sens="plus_defavorable", domaine=domain,
                                 millesime=vintage, source=source, dans_les_scores=scored)
    return data["id"]


def texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("markdown", "caption", "success", "error", "info", "warning")
            for e in at.get(kind)]


def assert_no_live_html(values: list[str]) -> None:
    """The hostile label may be shown only escaped (``\\<img``), never as an HTML tag."""
    for value in values:
        assert "<img" not in value.replace("\\<img", ""), value


# --- the page --------------------------------------------------------------------------------------------------


def test_page_upload_summary_add_then_map_and_fiche(data_dir):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = "DEP:01"
    at.run()
    at.switch_page("app_pages/donnees.py").run()
    assert not at.exception
    at.file_uploader(key="locales_fichier").set_value(
        ("impayes.csv", csv_bytes({"QN00101M": 12.5, "QN00102M": "s", "QN00103M": 3}), "text/csv")).run()
    assert not at.exception
    shown = texts(at)
    assert any("2 valeurs" in t and "seraient importés" in t for t in shown), shown
    assert any("secret statistique" in t for t in shown)
    at.text_input(key="locales_libelle").set_value(HOSTILE_LABEL)
    at.text_input(key="locales_unite").set_value("€")
    at.text_input(key="locales_millesime").set_value("2023")
    at.text_input(key="locales_source").set_value("Bailleur Habitat Sud")
    next(b for b in at.button if b.label == "Ajouter").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stored = local_indicators.list_metadata()
    assert [m["libelle"] for m in stored] == [HOSTILE_LABEL] and stored[0]["dans_les_scores"] is False
    local_id = stored[0]["id"]
    assert any("Indicateur ajouté" in t for t in texts(at))
    assert_no_live_html(texts(at))

    at.switch_page("app_pages/carte.py").run()
    assert not at.exception
    choice = at.selectbox(key="carte_indicateur")
    assert any("onerror" in str(o) and "donnée locale" in str(o) for o in choice.options), choice.options
    choice.set_value(local_id).run()
    assert not at.exception, [e.value for e in at.exception]
    table = carte_table(at)
    row = table[table["Code"] == "QN00101M"].iloc[0]
    assert "12,5" in row["Valeur"] and "donnée locale" in row["Valeur"]
    assert_no_live_html(texts(at))

    at.session_state["qpv_selectionne"] = "QN00101M"
    at.switch_page("app_pages/fiche.py").run()
    assert not at.exception, [e.value for e in at.exception]
    frames = page_tables(at)
    lines = [f[f["Indicateur"].astype(str).str.contains("onerror")] for f in frames if "Indicateur" in f]
    line = next(part for part in lines if len(part)).iloc[0]
    assert "donnée locale" in " ".join(str(v) for v in line.to_numpy())
    assert_no_live_html(texts(at))


def test_opt_in_from_the_methode_page(data_dir):
    local_id = add_local({"QN00101M": 12.5, "QN00102M": 4})
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = "COM:01053"
    at.run()
    at.switch_page("app_pages/methode.py").run()
    assert not at.exception, [e.value for e in at.exception]
    box = at.checkbox(key=f"methode_locales_scores_{local_id}")
    assert box.value is False
    box.check().run()
    assert not at.exception
    assert local_indicators.metadata(local_id)["dans_les_scores"] is True
    assert local_id in structure().indicators
    at.checkbox(key=f"methode_locales_scores_{local_id}").uncheck().run()
    assert local_indicators.metadata(local_id)["dans_les_scores"] is False


def _local_section_script() -> None:
    from app_pages.donnees_locales import local_data_section

    local_data_section()


def test_corpus_through_the_page(data_dir, monkeypatch):
    """Every file of the corpus uploaded on the Données locales part: the French summary and the form, or the
    French refusal naming the row and column."""
    monkeypatch.setattr(indicateurs, "known_codes", lambda: (frozenset(KNOWN_2024), frozenset(KNOWN_2015)))
    at = AppTest.from_function(_local_section_script, default_timeout=120)
    at.run()
    for index, case in enumerate(CORPUS):
        at.file_uploader(key="locales_fichier").set_value((case.name, case.make(), "application/octet-stream"))
        if index == 0:
            at.run()  # the column choices appear once a file is uploaded
        at.text_input(key="locales_colonne").set_value(case.options.get("value_column", ""))
        at.text_input(key="locales_colonne_code").set_value(case.options.get("code_column", ""))
        at.run()
        assert not at.exception, (case.id, [e.value for e in at.exception])
        errors = [str(e.value) for e in at.error]
        if case.refused is None:
            assert not errors, (case.id, errors)
            assert any("serait importé" in t or "seraient importés" in t for t in texts(at)), case.id
            assert any(b.label == "Ajouter" for b in at.button), case.id
        else:
            assert len(errors) == 1, (case.id, errors)
            # The message is shown as markdown text: its characters are escaped, the words are the same.
            plain = errors[0].replace("\\", "")
            assert case.refused.replace("\\", "") in plain, (case.id, plain)
            if case.row is not None:
                assert f"ligne {case.row}" in plain.lower(), (case.id, plain)
            assert not any(b.label == "Ajouter" for b in at.button), case.id


# --- the annex -------------------------------------------------------------------------------------------------


def test_annex_marks_the_local_indicator_with_its_source_and_vintage(data_dir):
    add_local({"QN00101M": 12.5, "QN00102M": 7, "QN00103M": "nd"}, label=FORMULA_LABEL, source=FORMULA_SOURCE,
              vintage="2023")
    territory = territories.resolve_key("COM:01053")
    annex = reports.annex_for(territory, with_maps=False)

    document = docx.Document(io.BytesIO(reports.render(annex, "docx")))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for t in document.tables for r in t.rows for c in r.cells]).replace("\u00a0", " ")
    assert f"{FORMULA_LABEL} (donnée locale)" in words  # the sources table
    assert FORMULA_SOURCE in words and "2023" in words
    assert "12,5 € (donnée locale)" in words and "donnée locale · 2023" in words  # domain table, fiche

    book = openpyxl.load_workbook(io.BytesIO(reports.render(annex, "xlsx")))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula reached the spreadsheet"
    values = [str(c.value) for c in cells]
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)  # text, kept text
    assert any(FORMULA_LABEL in v and "donnée locale" in v for v in values)
    assert any(v == "donnée locale" for v in values)  # the nature column
    assert any(FORMULA_SOURCE in v for v in values) and "2023" in values

    raw = reports.render(annex, "csv")
    text = raw.decode("utf-8-sig") if not raw.startswith(b"PK") else "\n".join(
        zipfile.ZipFile(io.BytesIO(raw)).read(n).decode("utf-8-sig") for n in zipfile.ZipFile(io.BytesIO(raw)).namelist())
    assert "donnée locale" in text and "2023" in text
    fields = [f.strip('"') for line in text.splitlines() for f in line.split(";")]
    assert FORMULA_LABEL not in fields and not any(f.startswith(("=HYPERLINK", "@SUM")) for f in fields)
    assert any(FORMULA_SOURCE in f for f in fields)


# --- the scores ------------------------------------------------------------------------------------------------


def _values_for_all_qpv_2024() -> dict[str, float]:
    codes = sorted(c for c in store.table("qpv")["code_qp"].astype(str) if c.startswith("QN"))
    return {code: float((i * 37) % 101) for i, code in enumerate(codes)}


def test_scores_change_only_when_the_person_opts_in(data_dir):
    before = frame_scores()
    local_id = add_local(_values_for_all_qpv_2024(), label="Demandes d'aide énergie")
    assert local_id in indicator_list.ids() and local_id not in structure().indicators
    pd.testing.assert_frame_equal(frame_scores(), before)  # not scored by default

    indicateurs.set_scored(local_id, True)
    assert local_id in structure().indicators
    opted = frame_scores()
    q24 = [c for c in before.index if str(c).startswith("QN")]
    changed = (opted.loc[q24, "score_global"] - before.loc[q24, "score_global"]).abs() > 1e-9
    assert changed.sum() > len(q24) // 2
    q15 = [c for c in before.index if str(c).startswith("QP")]
    pd.testing.assert_series_equal(opted.loc[q15, "score_global"], before.loc[q15, "score_global"])

    indicateurs.set_scored(local_id, False)
    pd.testing.assert_frame_equal(frame_scores(), before)


def test_a_local_indicator_never_takes_a_catalogue_id(data_dir):
    local_id = add_local({"QN00101M": 1}, label="Taux de pauvreté")
    assert local_id.startswith("local_") and local_id not in [i.id for i in indicator_list.all_indicators()[:-1]]
    again = add_local({"QN00101M": 2}, label="Taux de pauvreté")
    assert again != local_id and {local_id, again} <= set(indicator_list.ids())


# --- persistence -----------------------------------------------------------------------------------------------


def test_survives_a_restart(data_dir):
    local_id = add_local({"QN00101M": 12.5, "QN00102M": 4})
    env = {**os.environ, "ECOQPV_DATA_DIR": str(data_dir)}
    script = ("from assembly.territory_table import territory_table\nfrom geodata import territories\n"
              "t = territory_table(territories.resolve_key('COM:01053'), with_scores=False).set_index('code_qp')\n"
              f"print(t.loc['QN00101M', '{local_id}'], t.loc['QN00101M', '{local_id}_nature'])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["12.5", "donnee_locale"]


def test_survives_a_rebuild_of_the_bundle(data_dir, monkeypatch, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(settings.BUNDLE_DIR, bundle)
    monkeypatch.setattr(settings, "BUNDLE_DIR", bundle)
    local_id = add_local({"QN00101M": 12.5, "QN00102M": 4})
    version = indicator_list.data_version()
    # A new bundle replaces the old one (python -m loaders build-bundle): tables and manifest rewritten.
    fresh = tmp_path / "nouveau"
    shutil.copytree(bundle, fresh)
    values = pd.read_parquet(fresh / "valeurs.parquet")
    values.to_parquet(fresh / "valeurs.parquet", index=False)
    manifest = json.loads((fresh / "manifest.json").read_text(encoding="utf-8"))
    manifest["construit_le"] = "2099-01-01T00:00:00"
    (fresh / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.rmtree(bundle)
    fresh.rename(bundle)
    os.utime(bundle / "manifest.json", (2**31, 2**31))
    assert indicator_list.data_version() != version
    assert local_id in indicator_list.ids()
    table = territory_table(territories.resolve_key("COM:01053"), with_scores=False).set_index("code_qp")
    assert table.loc["QN00101M", local_id] == 12.5


def test_cli_add_list_scores_remove(data_dir, tmp_path, capsys):
    from loaders.local.__main__ import main

    path = tmp_path / "arbres.csv"
    path.write_bytes("Code;Arbres plantés\nQN00101M;12\nQN00102M;8\n".encode("cp1252"))
    code = main(["add", str(path), "--libelle", "Arbres plantés", "--unite", "arbres", "--sens", "moins_defavorable",
                 "--domaine", "Chaleur", "--millesime", "2024", "--source", "Ville, service des espaces verts"])
    out = capsys.readouterr().out
    assert code == 0 and "Indicateur ajouté : local_arbres_plantes" in out and "hors scores" in out
    assert main(["list"]) == 0 and "local_arbres_plantes — Arbres plantés (arbres) — Chaleur" in capsys.readouterr().out
    assert main(["scores", "local_arbres_plantes", "oui"]) == 0
    assert local_indicators.metadata("local_arbres_plantes")["dans_les_scores"] is True
    assert main(["remove", "local_arbres_plantes"]) == 0 and local_indicators.list_metadata() == []
    assert main(["remove", "local_arbres_plantes"]) == 2 and "inconnu" in capsys.readouterr().err
    bad = main(["add", str(path), "--libelle", "X", "--unite", "u", "--sens", "descriptif", "--domaine", "inconnu",
                "--millesime", "2024", "--source", "S"])
    assert bad == 2 and "Domaine inconnu" in capsys.readouterr().err and local_indicators.list_metadata() == []
    assert main(["remontees", "list"]) == 0  # the other subcommands still register


PAGES = ["app_pages/accueil.py", "app_pages/carte.py", "app_pages/fiche.py", "app_pages/comparer.py", "app_pages/methode.py",
         "app_pages/annexe.py", "app_pages/donnees.py"]


def test_every_page_runs_with_a_local_indicator_in_the_scores(data_dir):
    """An opted-in local indicator (known for all QPV 2024, so that it counts) changes nothing in how pages run."""
    local_id = add_local(_values_for_all_qpv_2024(), label=HOSTILE_LABEL, scored=True)
    assert local_id in structure().indicators
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["territoire"] = "DEP:01"
    at.run()
    at.session_state["qpv_selectionne"] = "QN00101M"
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert_no_live_html(texts(at))
