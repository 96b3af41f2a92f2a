"""Method settings JSON: round trip and bad files."""

from __future__ import annotations

import json

import pytest

from indicators.scores import Method
from indicators.method_settings import from_json, to_json
from reports.options import read_method_file as read
from core.errors import BadArgumentError


def test_round_trip():
    method = Method(domain_weights={"chaleur": 2.0, "pauvrete_revenus": 0.5}, normalisation="zscore",
                    aggregation="geometrique", draws=300, seed=11)
    read_back = from_json(to_json(method, "region"))
    back, frame = read_back.method, read_back.frame
    assert frame == "region" and read_back.notices == ()
    assert back.normalisation == "zscore" and back.aggregation == "geometrique"
    assert back.domain_weights["chaleur"] == 2.0 and back.domain_weights["pauvrete_revenus"] == 0.5
    assert back.draws == 300 and back.seed == 11


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{pas du json", "pas un JSON valide"),
        ("[1, 2]", "objet JSON"),
        ('{"cadre": "monde"}', "Cadre"),
        ('{"normalisation": "rang"}', "Normalisation"),
        ('{"poids_domaines": {"chaleur": "beaucoup"}}', "nombre est attendu"),
        ('{"poids_domaines": {"chaleur": -1}}', "positifs"),
        ('{"poids_domaines": {"inconnu": 1}}', "Domaine"),
        ('{"poids_domaines": {"chaleur": 0}}', "pilier Exposition"),
        ('{"tirages": 10000000}', "tirages"),
        ('{"couleur": "bleu"}', "Réglage"),
    ],
)
def test_bad_settings_are_refused_in_french(text, message):
    with pytest.raises(BadArgumentError, match=message):
        from_json(text)


def test_missing_file(tmp_path):
    with pytest.raises(BadArgumentError, match="introuvable"):
        read(tmp_path / "absent.json")


def test_exported_file_is_readable_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(to_json(Method()), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "chaleur" in data["poids_domaines"] and data["cadre"] == "generation"
    assert read(path).frame == "generation"
