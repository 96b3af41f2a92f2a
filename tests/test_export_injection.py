"""No formula from exports: names starting like a formula stay text in every tabular export.

Each export is produced from a data folder whose updated territory (Carcassonne) has quartiers named
``=HYPERLINK(…)``, ``+1``, ``-1+1``, ``@SUM(1)`` and names starting with a tab or a carriage return,
and a commune named like a formula too. CSV files are read back as text: a cell may start like a
formula only behind the neutralising apostrophe. XLSX files are read back with openpyxl: no cell is a
formula, and cells that look like one carry Excel's quote prefix.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import reports
import settings
from core.text import clean_text
from core.exports import neutralise, neutralise_frame, set_cell
from assembly import layers
from geodata import territories
from assembly.comparer import comparison_table
from assembly.territory_table import territory_table
from reports.csv import comparison_csv_bytes, to_csv_bytes
from tests.conftest import ROOT
from tests.hostile import FORMULA_PAYLOADS, TERRITORY, build_hostile_overlay

#: What spreadsheets read as a formula, written here independently of the code under test.
LIVE_STARTS = ("=", "+", "-", "@", "\t", "\r")
COMMUNE = "@SUM(1)+commune"
EPCI = "=1+1 agglo"


@pytest.fixture
def formula_data(tmp_path, monkeypatch):
    """Carcassonne's quartiers named like formulas (every payload, twice over the ten quartiers)."""
    data_dir = tmp_path / "donnees"
    names = build_hostile_overlay(data_dir, names=list(FORMULA_PAYLOADS), commune=COMMUNE, epci=EPCI)
    monkeypatch.setattr(settings, "DATA_DIR", data_dir)
    layers.clear_cache()
    reports._cached_annex.cache_clear()
    yield {"data_dir": data_dir, "names": names}
    layers.clear_cache()
    reports._cached_annex.cache_clear()


def _live(value: object) -> bool:
    return isinstance(value, str) and value.startswith(LIVE_STARTS)


def _csv_cells(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _assert_neutralised(cells: list[list[str]], names: dict[str, str]) -> None:
    flat = [cell for row in cells for cell in row]
    live = [cell for cell in flat if _live(cell)]
    assert not live, live
    for name in [*names.values(), COMMUNE]:
        # Names are cleaned where they enter (a control character other than tab or line feed becomes a
        # space); what still reads as a formula is written behind an apostrophe.
        expected = neutralise(clean_text(name))
        assert expected in flat, f"{name!r} should be in the export as {expected!r}"
    assert all("\r" not in cell for cell in flat)


# --------------------------------------------------------------------------------------------------
# The neutralising functions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", FORMULA_PAYLOADS)
def test_every_formula_start_is_neutralised(payload):
    assert _live(payload)
    assert neutralise(payload) == "'" + payload
    assert not _live(neutralise(payload))


def test_numbers_and_plain_texts_are_left_alone():
    assert neutralise(-1.5) == -1.5 and neutralise(3) == 3 and neutralise(None) is None
    assert neutralise("Les Izards") == "Les Izards" and neutralise("1-2") == "1-2"
    frame = pd.DataFrame({"=titre": ["=1+1", "ok"], "écart": [-1.5, 2.0], "rang": pd.array([1, None], "Int64")})
    safe = neutralise_frame(frame)
    assert list(safe.columns) == ["'=titre", "écart", "rang"]
    assert list(safe["'=titre"]) == ["'=1+1", "ok"]
    assert list(safe["écart"]) == [-1.5, 2.0] and safe["rang"].dtype == "Int64"
    assert list(frame["=titre"]) == ["=1+1", "ok"]  # the caller's frame is not modified
    # A carriage return inside a text would start a new row in a CSV whose lines end with "\n".
    inner = neutralise_frame(pd.DataFrame({"nom": ["abc\r=1+1", "x\r\ny"]}))
    assert list(inner["nom"]) == ["abc\n=1+1", "x\ny"]
    assert pd.read_csv(io.StringIO(inner.to_csv(index=False)), dtype=str)["nom"].tolist() == list(inner["nom"])


def test_set_cell_never_writes_a_formula():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row, value in enumerate([*FORMULA_PAYLOADS, "texte", 12.5], start=1):
        set_cell(sheet.cell(row=row, column=1), value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    back = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    values = [back.cell(row=r, column=1) for r in range(1, len(FORMULA_PAYLOADS) + 3)]
    assert [c.value for c in values] == [*FORMULA_PAYLOADS, "texte", 12.5]
    assert [c.data_type for c in values] == ["s"] * (len(FORMULA_PAYLOADS) + 1) + ["n"]
    assert all(c.quotePrefix for c in values[: len(FORMULA_PAYLOADS)]) and not values[-2].quotePrefix


# --------------------------------------------------------------------------------------------------
# Every export
# --------------------------------------------------------------------------------------------------


def test_annex_csv(formula_data):
    data = reports.export(territories.resolve_key(TERRITORY), "csv")
    cells = _csv_cells(data.decode("utf-8-sig"), ";")
    assert len(cells) == 1 + len(formula_data["names"])
    _assert_neutralised(cells, formula_data["names"])


def test_annex_xlsx(formula_data):
    data = reports.export(territories.resolve_key(TERRITORY), "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert not [name for name in workbook.sheetnames if _live(name) or name.startswith("'")]
    seen: set[str] = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if _live(cell.value):
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    # The names are written as read (control characters other than tab and line feed cleaned where they
    # enter), as text: nothing lost, nothing run.
    formulas = {clean_text(n) for n in [*formula_data["names"].values(), COMMUNE]}
    assert {n for n in formulas if _live(n)} <= seen


def test_comparer_csv(formula_data):
    table = territory_table(territories.resolve_key(TERRITORY))
    codes = list(table["code_qp"])[:8]
    values, headers = comparison_table(table, codes)
    cells = _csv_cells(comparison_csv_bytes(values, headers).decode("utf-8-sig"), ";")
    header = cells[0]
    assert not [h for h in header if _live(h)], header
    shown = {table.set_index("code_qp").loc[c, "lib_qp"] for c in codes}
    for name in shown:
        assert any(h.startswith(neutralise(clean_text(name))) for h in header), (name, header)
    assert not [cell for row in cells for cell in row if _live(cell)]


def test_carte_table_csv(formula_data):
    """The CSV under the Carte page's map, for both generations of quartiers."""
    from assembly import carte_table

    territory = territories.resolve_key(TERRITORY)
    table = territory_table(territory)
    words = layers.value_words(territory, "jours_sup_35", table)
    rows = carte_table.carte_rows(table, "jours_sup_35", words, unit="jours", decimals=1, vintage="", source="")
    frame = carte_table.export_frame(rows, label="Jours de forte chaleur", unit="jours", decimals=1)
    cells = _csv_cells(to_csv_bytes(frame).decode("utf-8-sig"), ";")
    assert len(cells) == 1 + len(formula_data["names"])
    _assert_neutralised(cells, formula_data["names"])


def test_data_grids_offer_no_export_of_their_own():
    """Streamlit's data grids (st.dataframe) write their CSV download and their copied cells as they are: the
    app turns both off, and offers its own neutralised downloads instead (Comparer, Carte, annex)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


def test_indicators_table_csv_on_the_command_line(formula_data):
    env = {**os.environ, "ECOQPV_DATA_DIR": str(formula_data["data_dir"])}
    done = subprocess.run([sys.executable, "-m", "indicators", "table", "--territoire", TERRITORY, "--format", "csv"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    cells = _csv_cells(done.stdout, ",")
    assert cells[0][:2] == ["code_qp", "lib_qp"]
    _assert_neutralised(cells, formula_data["names"])


def test_indicators_json_keeps_names_as_they_are(formula_data, capsys):
    """JSON is not read by spreadsheets: names stay as read there (nothing neutralised; only the control
    characters other than tab and line feed were turned into spaces where the data entered)."""
    from indicators.__main__ import main

    assert main(["table", "--territoire", TERRITORY, "--format", "json"]) == 0
    import json

    records = json.loads(capsys.readouterr().out)
    assert {r["lib_qp"] for r in records} == {clean_text(n) for n in formula_data["names"].values()}


def test_annex_maps_draw_dollar_names_as_text(tmp_path, monkeypatch):
    """matplotlib reads "$…$" as mathematics: a commune named like that made the annex maps fail."""
    data_dir = tmp_path / "donnees"
    build_hostile_overlay(data_dir, commune="Ville $\\frac{x}$", epci="Agglo $x^$")
    monkeypatch.setattr(settings, "DATA_DIR", data_dir)
    layers.clear_cache()
    reports._cached_annex.cache_clear()
    try:
        files = reports.maps_files(reports.annex_for(territories.resolve_key(TERRITORY)), "svg")
    finally:
        layers.clear_cache()
        reports._cached_annex.cache_clear()
    assert files
    assert any("Ville $\\frac{x}$" in data.decode("utf-8") for data in files.values())


def test_control_characters_in_names_do_not_break_the_xlsx(tmp_path, monkeypatch):
    """openpyxl refuses characters that XML cannot hold: the whole workbook failed on one name."""
    data_dir = tmp_path / "donnees"
    build_hostile_overlay(data_dir, names=["Cité\x0bdes\x01Fleurs", "=1+1\x00"], commune="Ville\x1fnouvelle")
    monkeypatch.setattr(settings, "DATA_DIR", data_dir)
    reports._cached_annex.cache_clear()
    try:
        data = reports.export(territories.resolve_key(TERRITORY), "xlsx")
    finally:
        reports._cached_annex.cache_clear()
    values = {cell.value for sheet in openpyxl.load_workbook(io.BytesIO(data)).worksheets
              for row in sheet.iter_rows() for cell in row}
    assert {"Cité des Fleurs", "=1+1 ", "Ville nouvelle"} <= values
