"""Rank shifts between two methods, for the Méthode page and the annex.

Shows how much a ranking owes to method choices: for each QPV, its rank under the default method and
under the chosen one, and the shift. Only QPV ranked under both are compared.
"""

from __future__ import annotations

import pandas as pd

from geodata.territories import Territory
from indicators.scores import Method
from assembly.territory_table import territory_table


def rank_shifts(territory: Territory, chosen: Method, frame: str = "generation",
                baseline: Method | None = None) -> pd.DataFrame:
    """``code_qp, lib_qp, generation, rang_defaut, rang_choisi, ecart, score_global`` for the territory.

    ``ecart`` > 0 means the QPV moves up (towards rank 1, more cumulative exposure) with the chosen method.
    """
    base = territory_table(territory, baseline or Method(), "generation")
    new = territory_table(territory, chosen, frame)
    out = pd.DataFrame({
        "code_qp": new["code_qp"], "lib_qp": new["lib_qp"], "generation": new["generation"],
        "rang_defaut": base["rang"].to_numpy(), "rang_choisi": new["rang"],
        "rang_p05": new["rang_p05"], "rang_p95": new["rang_p95"], "score_global": new["score_global"],
    })
    out["ecart"] = out["rang_defaut"] - out["rang_choisi"]
    return out[out["rang_choisi"].notna() | out["rang_defaut"].notna()].reset_index(drop=True)
