"""Reference frames (issue #10): every rank says what it is counted among, true to the data.

The default frame is every QPV of the same generation of France (metropole and overseas); a rank reads
« rang 72 parmi les 1 362 QPV 2024 de métropole classés », counting the quartiers actually ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assembly.territory_table import (
    frame_scores,
    is_metropole,
    rank_phrase,
    ranked_label,
    scored_values,
    uncertainty_of,
)
from core.formats import format_number
from sources import store


def test_metropole_and_overseas_codes():
    assert is_metropole("75") and is_metropole("2A") and is_metropole("13")
    for overseas in ("971", "972", "973", "974", "976", "975", "977", "978", "987", "988"):
        assert not is_metropole(overseas), overseas


def test_ranked_label_counts_what_is_ranked_and_where():
    members = pd.DataFrame({"insee_dep": ["13", "13", "974", "31", "976"], "lib_reg": ["X"] * 5})
    all_ranked = pd.Series([True, True, False, True, False])
    assert ranked_label(members, all_ranked, 2024, "generation") == "les 3 QPV 2024 de métropole classés"
    mixed = pd.Series([True, False, True, True, True])
    assert ranked_label(members, mixed, 2024, "generation") == "les 4 QPV 2024 classés (2 de métropole, 2 d'outre-mer)"
    overseas = pd.Series([False, False, True, False, True])
    assert ranked_label(members, overseas, 2015, "generation") == "les 2 QPV 2015 d'outre-mer classés"
    assert ranked_label(members, all_ranked, 2024, "region") == "les 3 QPV 2024 classés de la région X"


@pytest.mark.parametrize("generation", [2015, 2024])
def test_the_default_frame_is_france_and_ranks_say_the_true_count(generation):
    scores = frame_scores()
    registry = store.table("qpv").set_index("code_qp")
    mine = scores[registry.loc[scores.index, "generation"].to_numpy() == generation]
    assert set(mine["cadre"]) == {f"tous les QPV {generation} de France (métropole et outre-mer)"}
    ranked = mine[mine["rang"].notna()]
    assert len(ranked), "some QPV of this generation should be ranked"
    metro = int(registry.loc[ranked.index, "insee_dep"].map(is_metropole).sum())
    overseas = len(ranked) - metro
    assert (mine["taille_cadre"] == len(ranked)).all()
    assert ranked["rang"].max() <= len(ranked)
    expected = (f"les {format_number(len(ranked))} QPV {generation} de métropole classés" if overseas == 0 else
                f"les {format_number(len(ranked))} QPV {generation} classés ({format_number(metro)} de métropole, "
                f"{format_number(overseas)} d'outre-mer)" if metro else
                f"les {format_number(len(ranked))} QPV {generation} d'outre-mer classés")
    assert set(ranked["cadre_classes"]) == {expected}
    first = ranked.sort_values("rang").iloc[0]
    assert rank_phrase(first) == f"rang 1 parmi {expected}"
    # A quartier without rank has no rank phrase, and is never counted.
    unranked = mine[mine["rang"].isna()]
    if len(unranked):
        assert rank_phrase(unranked.iloc[0]) == ""


def test_region_frame_names_the_region():
    scores = frame_scores(frame="region")
    registry = store.table("qpv").set_index("code_qp")
    occitanie = scores[(registry.loc[scores.index, "insee_reg"] == "76").to_numpy()
                       & (registry.loc[scores.index, "generation"] == 2015).to_numpy()]
    ranked = occitanie["rang"].notna()
    assert set(occitanie["cadre"]) == {"QPV 2015 de la région Occitanie"}
    assert set(occitanie.loc[ranked, "cadre_classes"]) == {
        f"les {format_number(int(ranked.sum()))} QPV 2015 classés de la région Occitanie"}


def test_values_not_allowed_in_scores_never_reach_them():
    """``score_autorise`` false (here: an uncalibrated IRIS estimate of a calibratable indicator, commune
    context) → missing to the scores; a calibrated estimate or a spatial computation stays."""
    wide = pd.DataFrame({
        "taux_pauvrete": [40.0, 41.0], "taux_pauvrete_nature": ["estimation_iris", "estimation_calibree"],
        "taux_pauvrete_ic_bas": [np.nan, 35.0], "taux_pauvrete_ic_haut": [np.nan, 48.0],
        "part_dpe_fg": [12.0, 13.0], "part_dpe_fg_nature": ["estimation_iris", "estimation_iris"],
        "jours_sup_35": [3.0, 4.0], "jours_sup_35_nature": ["calcul_spatial", "calcul_spatial"],
    }, index=pd.Index(["Q1", "Q2"], name="code_qp"))
    scored = scored_values(wide)
    assert np.isnan(scored.loc["Q1", "taux_pauvrete"]) and scored.loc["Q2", "taux_pauvrete"] == 41.0
    assert scored["part_dpe_fg"].tolist() == [12.0, 13.0]  # no official value to calibrate DPE on
    assert scored["jours_sup_35"].tolist() == [3.0, 4.0]
    uncertainty = uncertainty_of(scored)
    assert np.isnan(uncertainty.low.loc["Q1", "taux_pauvrete"])  # not scored: not drawn either
    assert uncertainty.low.loc["Q2", "taux_pauvrete"] == 35.0 and uncertainty.high.loc["Q2", "taux_pauvrete"] == 48.0
    assert bool(uncertainty.estimated.loc["Q2", "taux_pauvrete"]) and bool(uncertainty.estimated.loc["Q1", "part_dpe_fg"])
    assert not bool(uncertainty.estimated.loc["Q1", "jours_sup_35"])

