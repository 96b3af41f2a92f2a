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


def compare(table: pd.DataFrame, references: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Columns ``<id>_ratio_<level>`` (x / ref) and ``<id>_ecart_<level>`` (x − ref) per QPV row.

    ``table`` has ``code_qp``, the registry codes (``insee_com``, ``siren_epci``, ``insee_dep``) and the
    indicator values; ``references`` is the bundle's long table (``niveau, code, indicateur, valeur``).
    """
    columns: dict[str, np.ndarray] = {}
    refs = references.set_index(["niveau", "code", "indicateur"])["valeur"]
    refs = refs[~refs.index.duplicated()]
    for level, suffix in LEVELS.items():
        column = {"COM": "insee_com", "EPCI": "siren_epci", "DEP": "insee_dep"}.get(level)
        codes = table[column] if column else pd.Series("1", index=table.index)
        for ind in indicators:
            keys = list(zip([level] * len(table), codes.astype(str), [ind] * len(table), strict=True))
            ref = refs.reindex(keys).to_numpy(dtype=float)
            value = table[ind].to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):
                columns[f"{ind}_ratio_{suffix}"] = np.where(ref != 0, value / ref, np.nan)
            columns[f"{ind}_ecart_{suffix}"] = value - ref
            columns[f"{ind}_ref_{suffix}"] = ref
    return pd.DataFrame(columns, index=table.index)
