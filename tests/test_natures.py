"""Natures of values (``core.natures``) and their way to the value table and ``python -m indicators table``."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from assembly.territory_table import indicator_columns, interval_columns, nature_column, reason_column
from core import natures
from indicators import __main__ as cli
from indicators import catalogue
from loaders.values import finish


def test_every_rule_of_the_catalogue_has_a_nature():
    for rule in catalogue.ATTRIBUTION_RULES:
        assert natures.nature_of_rule(rule) in natures.NATURES, rule
    assert natures.nature_of_rule(None) is None
    assert natures.nature_of_rule("regle_inconnue") is None


def test_every_nature_is_worded_in_french():
    for nature in natures.NATURES:
        assert natures.label(nature) and natures.description(nature).endswith((".", ")")), nature
    assert natures.label(None) == "" and natures.description(float("nan")) == ""


@pytest.mark.parametrize(
    ("nature", "scored", "calibratable", "expected"),
    [
        ("officiel", True, True, True),
        ("officiel_qpv2015_meme_perimetre", True, True, True),
        ("estimation_calibree", True, True, True),
        ("estimation_iris", True, False, True),   # DPE, APL: nothing to calibrate against
        ("estimation_iris", True, True, False),   # a calibration that missed its targets
        ("calcul_spatial", True, False, True),
        ("contexte_commune", True, False, False),
        ("donnee_locale", True, False, True),     # a local indicator the person opted in
        ("donnee_locale", False, False, False),   # not opted in (the default)
        ("officiel", False, False, False),        # descriptive indicator (population)
        (None, True, False, False),               # missing value
    ],
)
def test_allowed_in_scores(nature, scored, calibratable, expected):
    assert natures.allowed_in_scores(nature, scored, calibratable) is expected


def test_finish_derives_nature_and_drops_what_a_missing_value_cannot_have():
    rows = pd.DataFrame({
        "code_qp": ["QN00001M", "QN00001M", "QN00001M", "QP000001"],
        "indicateur": ["part_dpe_fg", "jours_sup_35", "taux_pauvrete", "taux_pauvrete"],
        "valeur": [31.0, 4.5, np.nan, 40.0],
        "raison_manquante": [pd.NA, pd.NA, "non_couvert", "secret_statistique"],
        "methode": ["iris_dpe", "grille_drias", "iris_population", "direct"],
        "nature": [pd.NA, pd.NA, "estimation_calibree", pd.NA],
        "ic_bas": [20.0, np.nan, 30.0, np.nan],
        "ic_haut": [40.0, np.nan, 50.0, np.nan],
    })
    out = finish(rows).set_index(["code_qp", "indicateur"])
    assert out.loc[("QN00001M", "part_dpe_fg"), "nature"] == "estimation_iris"
    # An IRIS estimate has no interval: only calibrated estimates do.
    assert pd.isna(out.loc[("QN00001M", "part_dpe_fg"), "ic_bas"])
    assert out.loc[("QN00001M", "jours_sup_35"), "nature"] == "calcul_spatial"
    missing = out.loc[("QN00001M", "taux_pauvrete")]
    assert pd.isna(missing["nature"]) and pd.isna(missing["ic_bas"]) and pd.isna(missing["millesime"])
    official = out.loc[("QP000001", "taux_pauvrete")]
    assert official["nature"] == "officiel" and pd.isna(official["raison_manquante"])
    assert official["millesime"] == catalogue.get("taux_pauvrete").vintage
    assert bool(official["score_autorise"]) and not bool(out.loc[("QN00001M", "taux_pauvrete"), "score_autorise"])


def test_table_csv_and_json_carry_natures_and_intervals(capsys):
    assert cli.main(["table", "--territoire", "REG:93", "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"insee_com": str})
    for ind in catalogue.ids():
        for column in indicator_columns(ind):
            assert column in frame.columns, column
        present = frame[ind].notna()
        assert frame.loc[present, nature_column(ind)].isin(natures.NATURES).all(), ind
        assert frame.loc[~present, nature_column(ind)].isna().all(), ind
        assert frame.loc[~present, reason_column(ind)].notna().all(), ind
    assert (frame.loc[frame["jours_sup_35"].notna(), nature_column("jours_sup_35")] == "calcul_spatial").all()
    assert not interval_columns("jours_sup_35")
    assert cli.main(["table", "--territoire", "QPV:QP031015", "--format", "json",
                     "--indicateurs", "taux_pauvrete,part_dpe_fg"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["taux_pauvrete_nature"] == "officiel"
    assert "taux_pauvrete_ic_bas" in row and row["taux_pauvrete_ic_bas"] is None
    assert "part_dpe_fg_nature" in row and "part_dpe_fg_ic_bas" not in row


def test_whole_country_table_carries_calibrated_estimates_with_intervals(capsys):
    assert cli.main(["table", "--territoire", "FR", "--format", "json", "--indicateurs", "taux_pauvrete"]) == 0
    rows = pd.DataFrame(json.loads(capsys.readouterr().out))
    from sources import store

    assert len(rows) == len(store.table("qpv")) and rows["code_qp"].is_unique
    assert set(rows["generation"]) == {2015, 2024}
    calibrated = rows[rows["taux_pauvrete_nature"] == "estimation_calibree"]
    assert len(calibrated) > 500 and (calibrated["generation"] == 2024).all()
    assert ((calibrated["taux_pauvrete_ic_bas"] <= calibrated["taux_pauvrete"])
            & (calibrated["taux_pauvrete"] <= calibrated["taux_pauvrete_ic_haut"])).all()
    others = rows[rows["taux_pauvrete_nature"] != "estimation_calibree"]
    assert others["taux_pauvrete_ic_bas"].isna().all() and others["taux_pauvrete_ic_haut"].isna().all()
    carried = rows[rows["taux_pauvrete_nature"] == "officiel_qpv2015_meme_perimetre"]
    assert len(carried) > 400 and (carried["generation"] == 2024).all()


def test_mayotte_note_is_given_where_mayotte_is_shown():
    from geodata import territories

    for key in ("FR", "DEP:976", "REG:06", "QPV:QN97601M"):
        notes = territories.territory_notes(territories.resolve_key(key))
        assert notes == [territories.MAYOTTE_NOTE], key
    assert territories.territory_notes(territories.resolve_key("REG:76")) == []
    assert "QN97651C" in territories.MAYOTTE_NOTE and "jamais rapprochées" in territories.MAYOTTE_NOTE
    # The fiche says it (page and annex), a quartier elsewhere has no such note.
    from assembly.fiche import profile
    from reports.sections.fiches import fiche_blocks

    mayotte = profile("QN97601M")
    assert mayotte.notes == [territories.MAYOTTE_NOTE]
    assert any(getattr(block, "text", None) == territories.MAYOTTE_NOTE for block in fiche_blocks(mayotte))
    assert profile("QP034005").notes == []
    # The kinds of territory and their French error messages stay as they were for the others.
    assert territories.resolve_key("fr").title == territories.COUNTRY_LABEL
    with pytest.raises(Exception, match="FR pour toute la France"):
        territories.parse_key("France")


def test_uncalibrated_estimates_of_calibratable_indicators_never_reach_the_scores():
    from assembly.territory_table import scored_values

    wide = pd.DataFrame({
        "taux_pauvrete": [40.0, 35.0, 50.0], "taux_pauvrete_nature": ["estimation_calibree", "estimation_iris",
                                                                      "officiel"],
        "part_dpe_fg": [20.0, 30.0, np.nan], "part_dpe_fg_nature": ["estimation_iris", "estimation_iris", pd.NA],
        "population": [1000.0, 2000.0, 3000.0], "population_nature": ["officiel"] * 3,
    }, index=pd.Index(["A", "B", "C"], name="code_qp"))
    out = scored_values(wide)
    assert out.loc["A", "taux_pauvrete"] == 40.0 and pd.isna(out.loc["B", "taux_pauvrete"])
    assert out.loc["C", "taux_pauvrete"] == 50.0
    assert out["part_dpe_fg"].tolist()[:2] == [20.0, 30.0]  # nothing to calibrate against: scored
    assert out["population"].tolist() == [1000.0, 2000.0, 3000.0]  # descriptive: left as it is
