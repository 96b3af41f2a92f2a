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
