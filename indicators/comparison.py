"""Comparison of a QPV with its enclosing territories: ratio and gap to commune, EPCI, France.

INSEE publishes QPV figures next to their "environnements urbains voisins"; practitioners asked for
the same reading here. Ratios and gaps are computed only where the reference exists for the same
indicator and vintage family; nothing is imputed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVELS = {"COM": "commune", "EPCI": "epci", "DEP": "departement", "FRANCE": "france"}
LEVEL_LABELS = {"COM": "Commune", "EPCI": "EPCI", "DEP": "Département", "FRANCE": "France métropolitaine",
                "QPV_ENSEMBLE": "Ensemble des QPV"}


def reference_grids(references: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The bundle's long reference table (``niveau, code, indicateur, valeur``) as one grid per level of
    ``LEVELS``: territory code × indicator. Where it holds the same reference twice, the first one counts.

    Built once per data version by the caller (the table has ≈ 75,000 rows; a fiche is built at every run of
    its page), then read by ``compare_to_grids``.
    """
    firsts = references.drop_duplicates(["niveau", "code", "indicateur"], keep="first")
    grids = {}
    for level in LEVELS:
        part = firsts[firsts["niveau"] == level]
        grids[level] = (part.assign(code=part["code"].astype(str))
                        .pivot(index="code", columns="indicateur", values="valeur").astype(float))
    return grids


def compare_to_grids(table: pd.DataFrame, grids: dict[str, pd.DataFrame], indicators: list[str]) -> pd.DataFrame:
    """Columns ``<id>_ratio_<level>`` (x / ref), ``<id>_ecart_<level>`` (x − ref) and ``<id>_ref_<level>`` per QPV
    row, from ``reference_grids``; a missing value or reference gives a missing ratio and gap, never 0 or 1.

    ``table`` has ``code_qp``, the registry codes (``insee_com``, ``siren_epci``, ``insee_dep``) and the
    indicator values.
    """
    values = table.reindex(columns=indicators).to_numpy(dtype=float)
    columns: dict[str, np.ndarray] = {}
    for level, suffix in LEVELS.items():
        column = {"COM": "insee_com", "EPCI": "siren_epci", "DEP": "insee_dep"}.get(level)
        codes = table[column].astype(str) if column else pd.Series("1", index=table.index)
        grid = grids[level].reindex(index=codes.to_numpy(), columns=indicators).to_numpy(dtype=float)
        for position, ind in enumerate(indicators):
            value, ref = values[:, position], grid[:, position]
            with np.errstate(invalid="ignore", divide="ignore"):
                columns[f"{ind}_ratio_{suffix}"] = np.where(ref != 0, value / ref, np.nan)
            columns[f"{ind}_ecart_{suffix}"] = value - ref
            columns[f"{ind}_ref_{suffix}"] = ref
    return pd.DataFrame(columns, index=table.index)


def compare(table: pd.DataFrame, references: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """``compare_to_grids`` straight from the long reference table (``niveau, code, indicateur, valeur``)."""
    return compare_to_grids(table, reference_grids(references), indicators)
