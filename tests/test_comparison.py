"""Ratios and gaps to enclosing territories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import territories
from indicators.comparison import compare
from assembly.territory_table import territory_table
from sources import store


def test_hand_computed_ratios_and_gaps():
    table = pd.DataFrame({"code_qp": ["A", "B"], "insee_com": ["31555", "99999"], "siren_epci": ["E1", "E1"],
                          "insee_dep": ["31", "31"], "revenu_median": [12000.0, np.nan]})
    refs = pd.DataFrame({"niveau": ["COM", "EPCI", "FRANCE"], "code": ["31555", "E1", "1"],
                         "indicateur": ["revenu_median"] * 3, "valeur": [20000.0, 24000.0, 21930.0]})
    out = compare(table, refs, ["revenu_median"])
    assert out.loc[0, "revenu_median_ratio_commune"] == pytest.approx(0.6)
    assert out.loc[0, "revenu_median_ecart_commune"] == pytest.approx(-8000)
    assert out.loc[0, "revenu_median_ratio_epci"] == pytest.approx(0.5)
    assert out.loc[0, "revenu_median_ratio_france"] == pytest.approx(12000 / 21930)
    # No departmental reference and a missing QPV value: missing, never 0 or 1.
    assert np.isnan(out.loc[0, "revenu_median_ratio_departement"])
    assert np.isnan(out.loc[1, "revenu_median_ratio_commune"])


def test_real_bundle_toulouse():
    table = territory_table(territories.resolve_key("QPV:QP031015"), with_scores=False)
    out = compare(table, store.table("references"), ["revenu_median", "part_dpe_fg"])
    assert 0.3 < out.loc[0, "revenu_median_ratio_commune"] < 1.2
    assert out.loc[0, "revenu_median_ref_france"] == 21930
    assert not np.isnan(out.loc[0, "part_dpe_fg_ref_commune"])


def test_first_of_duplicated_references_counts_and_codes_match_as_text():
    table = pd.DataFrame({"code_qp": ["A"], "insee_com": ["01001"], "siren_epci": ["200000172"],
                          "insee_dep": ["01"], "x": [10.0]})
    refs = pd.DataFrame({"niveau": ["COM", "COM", "DEP", "FRANCE"], "code": ["01001", "01001", "01", "1"],
                         "indicateur": ["x", "x", "x", "x"], "valeur": [5.0, 50.0, 0.0, np.nan]})
    out = compare(table, refs, ["x", "absent"])
    assert out.loc[0, "x_ref_commune"] == 5.0 and out.loc[0, "x_ratio_commune"] == 2.0
    assert np.isnan(out.loc[0, "x_ratio_departement"]) and out.loc[0, "x_ecart_departement"] == 10.0  # ref 0
    assert np.isnan(out.loc[0, "x_ratio_france"]) and np.isnan(out.loc[0, "x_ref_epci"])
    assert out.filter(like="absent_").isna().all().all()  # an indicator without any reference


def test_grids_give_what_a_lookup_of_each_reference_gives_on_the_real_bundle():
    """The grids (one per level, built once per data version by the fiche) against a plain dictionary of the
    long table's first values, on quartiers of every level present."""
    from indicators.comparison import LEVELS, compare_to_grids, reference_grids

    references = store.table("references")
    first: dict[tuple[str, str, str], float] = {}
    for level, code, indicator, value in zip(references["niveau"], references["code"].astype(str),
                                             references["indicateur"], references["valeur"], strict=True):
        first.setdefault((level, code, indicator), float(value))
    table = territory_table(territories.resolve_key("REG:32"), with_scores=False).head(40)
    indicators = sorted(set(references["indicateur"]) & set(table.columns))
    out = compare_to_grids(table, reference_grids(references), indicators)
    codes = {"COM": "insee_com", "EPCI": "siren_epci", "DEP": "insee_dep"}
    checked = 0
    for index, row in table.iterrows():
        for level, suffix in LEVELS.items():
            code = str(row[codes[level]]) if level in codes else "1"
            for indicator in indicators:
                expected = first.get((level, code, indicator), np.nan)
                got = out.loc[index, f"{indicator}_ref_{suffix}"]
                assert (np.isnan(expected) and np.isnan(got)) or got == expected, (level, code, indicator)
                checked += not np.isnan(expected)
    assert checked > 500  # the check met real references, not only missing ones
