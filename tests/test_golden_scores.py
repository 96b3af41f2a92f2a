"""Golden test of the score table of the embedded bundle (every QPV with a contour: 3,120 of France).

A change to the method, the catalogue or the bundle that moves any score shows up here. When the
change is intended, regenerate the file and review its diff:
``ECOQPV_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_scores.py``.
"""

from __future__ import annotations

import os

import pandas as pd

from assembly.territory_table import frame_scores
from sources import store
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "scores_qpv_avec_contour.csv"
COLUMNS = ["score_exposition", "score_vulnerabilite", "score_global", "rang", "rang_p05", "rang_p95",
           "robustesse", "fiabilite", "nb_alertes", "statut"]
TEXT_COLUMNS = ("robustesse", "fiabilite", "statut")


def current() -> pd.DataFrame:
    registry = store.table("qpv")
    codes = registry.loc[registry["a_contour"], "code_qp"]
    scores = frame_scores().loc[codes, COLUMNS]
    scores.index.name = "code_qp"
    for column in ("robustesse", "fiabilite"):
        scores[column] = scores[column].astype(object).fillna("")
    return scores.round(6).reset_index()


def test_scores_match_golden_file():
    table = current()
    if os.environ.get("ECOQPV_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(GOLDEN, index=False)
    golden = pd.read_csv(GOLDEN, dtype={"code_qp": str, **{c: str for c in TEXT_COLUMNS}}, keep_default_na=False,
                         na_values={c: [""] for c in COLUMNS if c not in TEXT_COLUMNS})
    assert len(golden) == int(store.table("qpv")["a_contour"].sum())
    pd.testing.assert_frame_equal(
        table.astype({c: object for c in TEXT_COLUMNS}).reset_index(drop=True),
        golden.astype({c: object for c in TEXT_COLUMNS}),
        check_dtype=False, atol=1e-6,
    )


def test_scores_are_complete_for_contoured_qpv():
    table = current()
    registry = store.table("qpv").set_index("code_qp")
    metro15 = table[table["code_qp"].map(registry["generation"]).eq(2015)
                    & table["code_qp"].map(registry["insee_dep"]).str.len().eq(2)]
    # Metropolitan QPV 2015 have every source; overseas ones lack the climate grid (one pillar), and most
    # QPV 2024 have their ages, employment and social housing only through a QPV 2015 of the same perimeter.
    assert (metro15["statut"] == "complet").mean() > 0.95
    assert table["score_global"].dropna().between(0, 100).all()
