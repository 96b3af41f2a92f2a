"""``python -m indicators table|catalogue`` and territory resolution, on the committed bundle."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from geodata import territories
from indicators import __main__ as cli
from indicators import catalogue
from assembly.territory_table import reason_column, territory_table
from core.errors import BadArgumentError, UnknownTerritoryError
from tests.conftest import ROOT


def run(argv, capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table_csv_has_every_indicator_and_reason(capsys):
    code, out, _ = run(["table", "--territoire", "EPCI:243100518", "--format", "csv"], capsys)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"insee_com": str})
    for column in ("code_qp", "lib_qp", "generation"):
        assert column in frame.columns
    for ind in catalogue.ids():
        assert ind in frame.columns and reason_column(ind) in frame.columns
    assert set(frame["generation"]) == {2015, 2024}
    # Toulouse Métropole: 2015 QPV carry values, 2024 QPV are "non chargé" offline.
    rangueil = frame[frame["code_qp"] == "QP031015"].iloc[0]
    assert rangueil["population"] == 2295
    assert pd.isna(rangueil["part_moins_25"]) and rangueil[reason_column("part_moins_25")] == "secret_statistique"
    q24 = frame[frame["generation"] == 2024]
    assert q24["taux_pauvrete"].notna().all()
    assert set(q24["taux_pauvrete_nature"]) <= {"officiel_qpv2015_meme_perimetre", "estimation_calibree"}
    # Present values have no reason; missing values always have one.
    for ind in catalogue.ids():
        assert frame.loc[frame[ind].notna(), reason_column(ind)].isna().all()
        assert frame.loc[frame[ind].isna(), reason_column(ind)].notna().all()


def test_table_json(capsys):
    code, out, _ = run(["table", "--territoire", "QPV:QP031015", "--format", "json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 1 and rows[0]["lib_qp"] == "Rangueil" and rows[0]["generation"] == 2015


@pytest.mark.parametrize(
    ("key", "expected_generations", "minimum"),
    [("REG:76", {2015, 2024}, 200), ("REG:93", {2015, 2024}, 250), ("DEP:13", {2015, 2024}, 100),
     ("COM:13055", {2015, 2024}, 70)],
)
def test_membership(key, expected_generations, minimum):
    table = territory_table(territories.resolve_key(key))
    assert set(table["generation"]) == expected_generations
    assert len(table) >= minimum
    assert table["code_qp"].is_unique


def test_occitanie_has_its_105_contoured_qpv_2015():
    table = territory_table(territories.resolve_key("REG:76"))
    q15 = table[table["generation"] == 2015]
    assert len(q15) == 105 and q15["a_contour"].all()


def test_arrondissement_resolves_to_commune():
    territory = territories.resolve("COM", "13201")
    assert territory.code == "13055" and territory.label == "Marseille"


def test_unknown_code_suggests_close_matches(capsys):
    code, out, err = run(["table", "--territoire", "EPCI:24310051"], capsys)
    assert code == 2 and out == ""
    assert "Territoire inconnu" in err and "243100518 (Toulouse Métropole)" in err
    assert "Traceback" not in err


def test_unknown_name_suggests_by_name():
    with pytest.raises(UnknownTerritoryError) as info:
        territories.resolve("COM", "Toulous")
    assert any("Toulouse" in s for s in info.value.suggestions)


@pytest.mark.parametrize("key", ["FOO:1", "EPCI", "COM:"])
def test_bad_keys(key, capsys):
    with pytest.raises(BadArgumentError):
        territories.parse_key(key)
    code, _, err = run(["table", "--territoire", key], capsys)
    assert code == 2 and "Erreur" in err


def test_bad_format_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["table", "--territoire", "REG:76", "--format", "xml"])
    assert info.value.code == 2


def test_catalogue_json(capsys):
    code, out, _ = run(["catalogue", "--format", "json"], capsys)
    assert code == 0
    records = json.loads(out)
    assert [r["id"] for r in records] == catalogue.ids()
    for record in records:
        for key in ("id", "label", "unit", "domain", "pillar", "direction", "source", "vintage", "level"):
            assert record[key] not in (None, ""), (record["id"], key)
        assert record["direction"] in (-1, 0, 1)


def test_every_catalogue_indicator_has_an_extraction_rule():
    from indicators.rules import RULES
    from loaders.spatial import GEO_INDICATORS

    online = {i.id for i in catalogue.CATALOGUE if i.online_only}
    produced = {r.indicator for r in RULES} | set(GEO_INDICATORS)
    assert produced | online == set(catalogue.ids())
    assert not produced & online


def test_module_entry_point_runs_without_traceback():
    """The real command line, as a user types it."""
    proc = subprocess.run(
        [sys.executable, "-m", "indicators", "table", "--territoire", "DEP:999"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "Territoire inconnu" in proc.stderr and "Traceback" not in proc.stderr


def test_methode_doc_is_generated_from_the_catalogue(capsys):
    code, out, _ = run(["catalogue", "--format", "md"], capsys)
    assert code == 0
    committed = (ROOT / "docs" / "methode.md").read_text(encoding="utf-8")
    assert out == committed, "docs/methode.md est à régénérer : python -m indicators catalogue --format md"
    import re

    documented = set(re.findall(r"^#### .+ \(`([a-z0-9_]+)`\)$", committed, flags=re.M))
    assert documented == set(catalogue.ids())


def test_unknown_indicator_id_exits_2_with_suggestion(capsys):
    code, out, err = run(["table", "--territoire", "REG:76", "--indicateurs", "taux_pauvret"], capsys)
    assert code == 2 and out == ""
    assert "Indicateur inconnu" in err and "taux_pauvrete" in err


def test_selected_indicators_and_scores(capsys):
    code, out, _ = run(["table", "--territoire", "EPCI:243400017", "--indicateurs", "jours_sup_35",
                        "--format", "csv"], capsys)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert "jours_sup_35" in frame.columns and "taux_pauvrete" not in frame.columns
    for column in ("score_exposition", "score_vulnerabilite", "score_global", "rang", "rang_p05", "rang_p95",
                   "robustesse", "nb_alertes"):
        assert column in frame.columns
    mosson = frame[frame["code_qp"] == "QP034005"].iloc[0]
    assert mosson["statut"] == "complet"
    assert mosson["rang_p05"] <= mosson["rang"] <= mosson["rang_p95"]


def test_region_frame_changes_frame_size(capsys):
    code, out, _ = run(["table", "--territoire", "REG:76", "--cadre", "region", "--format", "json"], capsys)
    assert code == 0
    rows = [r for r in json.loads(out) if r["generation"] == 2015]
    assert {r["taille_cadre"] for r in rows} == {103}
    assert all(r["cadre"] == "QPV 2015 de la région Occitanie" for r in rows)
