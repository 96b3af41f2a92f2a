"""The table under the Carte page's map (``assembly.carte_table``) and what the browser receives for it
(``geodata.carte_data.table_data``): pure functions on small frames."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest

from assembly import carte_table
from assembly.territory_table import reason_column
from core import reasons
from geodata import carte_data, webmap
from reports.csv import to_csv_bytes

HOSTILE = "=HYPERLINK(\"http://x\";\"<img src=x onerror=alert(1)>\")"


def _shown() -> pd.DataFrame:
    return pd.DataFrame({
        "code_qp": ["QN00003M", "QN00001M", "QN00002M"],
        "lib_qp": ["écluses", "Bellevue", HOSTILE],
        "lib_com": ["Nantes", "Nantes", "Rezé"],
        "generation": [2024, 2024, 2024],
        "taux": [9.5, 10.25, None],
        reason_column("taux"): [pd.NA, pd.NA, reasons.SECRET],
    })


def _words() -> pd.DataFrame:
    return pd.DataFrame({
        f"taux{webmap.TEXT_SUFFIX}": ["9,5 %", "10,3 % (estimation, intervalle à 90 % : 8,0 à 12,5 %)", ""],
        f"taux{webmap.NATURE_SUFFIX}": ["officiel", "estimation calibrée (avec intervalle)", "officiel"],
        f"taux{webmap.VINTAGE_SUFFIX}": ["2021", "2021 (estimé)", "2021"],
        f"taux{webmap.SOURCE_SUFFIX}": ["Insee, Filosofi", "ecoqpv, calibration", "Insee, Filosofi"],
    })


def _rows() -> pd.DataFrame:
    return carte_table.carte_rows(_shown(), "taux", _words(), unit="%", decimals=1, vintage="2021",
                                  source="Insee")


def test_rows_are_sorted_by_name_as_read_and_keep_the_number():
    rows = _rows()
    # "écluses" sorts among the E, not after the Z (as a plain sort of the accented text would put it).
    assert rows["Quartier"].tolist() == [HOSTILE, "Bellevue", "écluses"]
    assert rows.set_index("Code")["nombre"].to_dict() == pytest.approx(
        {"QN00001M": 10.25, "QN00003M": 9.5, "QN00002M": float("nan")}, nan_ok=True)


def test_each_value_says_its_nature_and_a_missing_one_its_reason():
    rows = _rows().set_index("Code")
    assert rows.loc["QN00001M", "Donnée"] == "estimation calibrée (avec intervalle)"
    assert rows.loc["QN00001M", "Valeur"].startswith("10,3 % (estimation")
    # Missing: the reason in words, never the nature of values that exist, never a zero.
    assert rows.loc["QN00002M", "Valeur"] == ""
    assert "secret" in rows.loc["QN00002M", "Donnée"]
    assert math.isnan(rows.loc["QN00002M", "nombre"])


def test_a_score_is_said_computed_and_its_missing_value_partial():
    shown = _shown().assign(score=[50.0, None, 12.0])
    shown[reason_column("score")] = [pd.NA, reasons.PARTIAL, pd.NA]
    rows = carte_table.carte_rows(shown, "score", None, unit="", decimals=1, vintage="selon les indicateurs",
                                  source="calcul ecoqpv").set_index("Code")
    assert rows.loc["QN00003M", "Valeur"] == "50,0" and rows.loc["QN00003M", "Donnée"] == carte_table.COMPUTED
    assert "partiel" in rows.loc["QN00001M", "Donnée"]
    assert set(rows["millesime"]) == {"selon les indicateurs"}


def test_generation_column_only_when_two_generations_are_listed():
    rows = _rows()
    assert "Génération" not in carte_table.shown_columns(rows)
    rows.loc[0, "Génération"] = "2015"
    assert carte_table.shown_columns(rows) == carte_table.SHOWN


def test_csv_export_has_numbers_provenance_and_no_formula():
    frame = carte_table.export_frame(_rows(), label="Taux de pauvreté", unit="%", decimals=1)
    assert list(frame.columns[-3:]) == ["Nature de la valeur ou raison de l'absence", "Millésime", "Source"]
    by_code = frame.set_index("Code")
    assert by_code.loc["QN00001M", "Valeur"] == pytest.approx(10.2)  # rounded as shown (10,25 → 10,2)
    assert pd.isna(by_code.loc["QN00002M", "Valeur"])  # missing stays empty, never 0
    assert by_code.loc["QN00001M", "Source"] == "ecoqpv, calibration"
    text = to_csv_bytes(frame).decode("utf-8-sig")
    read = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert read.loc[read["Code"] == "QN00002M", "Quartier"].iloc[0] == "'" + HOSTILE  # a text, not a formula
    assert read.loc[read["Code"] == "QN00002M", "Valeur"].iloc[0] == ""
    assert read.loc[read["Code"] == "QN00001M", "Valeur"].iloc[0] == "10,2"


def test_yes_no_layer_exports_words():
    shown = _shown().assign(zone=[1.0, 0.0, None])
    rows = carte_table.carte_rows(shown, "zone", None, unit="oui/non", decimals=0, vintage="2024", source="x")
    frame = carte_table.export_frame(rows, label="En zone inondable", unit="oui/non", decimals=0)
    assert frame.set_index("Code")["Valeur"].to_dict() == {"QN00003M": "oui", "QN00001M": "non", "QN00002M": ""}


def test_table_data_sends_repeated_texts_once_and_sorts_numbers():
    rows = _rows().astype({"Commune": "category", "Donnée": "category"})
    columns = carte_table.shown_columns(rows)
    data = carte_data.table_data(rows, columns, caption="Taux : 3 quartiers", headers=carte_table.HEADERS,
                                 numbers={"Valeur": "nombre"}, link=("Quartier", "Code"))
    assert data["kind"] == "tableau"
    assert data["columns"] == ["Quartier", "Code", "Commune", "Valeur", "Donnée (nature ou raison de l'absence)"]
    assert data["coded"] == [False, False, True, False, True]
    communes = [data["shared"][row[2]] for row in data["rows"]]
    assert communes == rows["Commune"].astype(str).tolist() and data["shared"].count("Nantes") == 1
    value_column = str(columns.index("Valeur"))
    assert data["numbers"] == {value_column: [None, 10.25, 9.5]}  # missing is null: sorted last by the script
    assert data["link"] == {"column": 0, "codes": ["QN00002M", "QN00001M", "QN00003M"]}
    # Texts travel raw (the script writes them with textContent), as strict JSON.
    decoded = json.loads(carte_data.map_json(data))
    assert decoded["rows"][0][0] == HOSTILE


def test_table_data_never_sends_an_infinite_number():
    rows = _rows().assign(nombre=[float("inf"), 1.0, float("nan")])
    data = carte_data.table_data(rows, ["Quartier", "Valeur"], caption="", numbers={"Valeur": "nombre"})
    assert data["numbers"]["1"] == [None, 1.0, None]
    carte_data.map_json(data)  # allow_nan=False: raises on a stray NaN or infinity
