"""The Comparer's CSV (issue #15): values as the interface shows them, checked against a golden file.

Eight quartiers of Montpellier Méditerranée Métropole (the page's maximum), their communes, EPCI and France.
Regenerate after a wanted change with ``ECOQPV_UPDATE_GOLDEN=1 python -m pytest tests/test_comparer_csv.py``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from assembly.comparer import MAX_QPV, comparison_provenances, comparison_table
from assembly.territory_table import territory_table
from geodata import territories
from reports.csv import comparison_csv_bytes

GOLDEN = Path(__file__).resolve().parent / "golden" / "comparer_montpellier_8_qpv.csv"


@pytest.fixture(scope="module")
def exported() -> tuple[bytes, pd.DataFrame, dict[str, str]]:
    table = territory_table(territories.resolve_key("EPCI:243400017"))
    codes = sorted(table["code_qp"])[:MAX_QPV]
    values, headers = comparison_table(table, codes)
    return comparison_csv_bytes(values, headers, comparison_provenances(table, codes)), values, headers


def test_comparer_csv_matches_golden(exported):
    data = exported[0]
    if os.environ.get("ECOQPV_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes(), "CSV du Comparer différent du fichier de référence (voir la docstring)"


def test_comparer_csv_values_read_as_in_the_interface(exported):
    data, values, headers = exported
    text = data.decode("utf-8-sig")
    assert not re.search(r"\d,\d{4,}", text), "bruit de virgule flottante (13,999999999999998)"
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    heat = frame[frame["Indicateur"] == "Réseau de chaleur présent"].iloc[0]
    quartiers = [h for k, h in headers.items() if ":" not in k]
    assert len(quartiers) == MAX_QPV
    assert {heat[h] for h in quartiers} <= {"oui", "non", ""} and {heat[h] for h in quartiers} & {"oui", "non"}
    # A whole-number indicator reads as a whole number, a 1-decimal one with exactly one decimal.
    risks = frame[frame["Indicateur"].str.startswith("Types de risques naturels")].iloc[0]
    assert all(re.fullmatch(r"\d+", risks[h]) for h in quartiers if risks[h])
    poverty = frame[frame["Indicateur"] == "Taux de pauvreté"].iloc[0]
    assert all(re.fullmatch(r"\d+,\d", poverty[h]) for h in quartiers if poverty[h])
    # Column headers: distinct, and France named once ("France métropolitaine", not "… : France métropolitaine").
    assert len(set(frame.columns)) == len(frame.columns)
    assert "France métropolitaine" in frame.columns
    assert not any(c.startswith("France métropolitaine :") for c in frame.columns)
