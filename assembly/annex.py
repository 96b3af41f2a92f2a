"""What the annex reads besides the territory table and the fiches: reference values of the enclosing
territories, the offline contour coverage, the bundle's manifest and the data version.

The annex (``reports.build``) reads the data only through ``assembly``: this module, the territory
table (``assembly.territory_table``), the fiche model (``assembly.fiche``) and the map layers
(``assembly.layers``).
"""

from __future__ import annotations

import pandas as pd

from core.text import fold
from assembly import indicator_list
from sources import store

#: Reference levels shown under the domain tables, in reading order.
LEVEL_ORDER = {"COM": 0, "EPCI": 1, "DEP": 2, "FRANCE": 3, "QPV_ENSEMBLE": 4}


def enclosing_references(table: pd.DataFrame) -> pd.DataFrame:
    """Reference rows (``niveau, code, libelle, indicateur, valeur``) of the territories enclosing the QPV
    of ``table``: their communes, EPCI and départements, France, and the whole of the QPV 2015 when the
    table has some."""
    refs = store.table("references")
    wanted = {
        "COM": set(table["insee_com"].dropna().astype(str)),
        "EPCI": set(table["siren_epci"].dropna().astype(str)),
        "DEP": set(table["insee_dep"].dropna().astype(str)),
        "FRANCE": {"1"},
        "QPV_ENSEMBLE": {"QPV2015"} if (table["generation"].astype(int) == 2015).any() else set(),
    }
    mask = pd.Series(False, index=refs.index)
    for level, codes in wanted.items():
        mask |= (refs["niveau"] == level) & refs["code"].astype(str).isin(codes)
    return refs[mask].drop_duplicates(["niveau", "code", "indicateur"])


def contour_regions() -> dict[int, list[str]]:
    """Regions whose QPV have contours offline, per generation (newest first, names in French order)."""
    registry = store.table("qpv")
    with_contour = registry[registry["a_contour"].astype(bool)]
    out = {}
    for generation in sorted(with_contour["generation"].astype(int).unique(), reverse=True):
        names = with_contour.loc[with_contour["generation"].astype(int) == generation, "lib_reg"].dropna().unique()
        out[int(generation)] = sorted(names, key=fold)
    return out


def manifest() -> dict:
    """The bundle's manifest: build date, source files with publisher, licence, vintage and sha256."""
    return store.manifest()


def data_version() -> tuple:
    """Signature of the active data (changes after an update), for caches of annexes."""
    return indicator_list.data_version()
