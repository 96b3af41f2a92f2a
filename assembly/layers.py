"""Map layers of a territory, ready for the browser: only its shapes, simplified in metres, rounded.

Simplification is the expensive step, so simplified shapes are memoised per territory and
generation; values are joined afterwards (changing the indicator does not re-simplify anything).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd

import settings
from core import reasons
from core.territory_kinds import code_column
from geodata import territories, webmap
from geodata.territories import Territory
from assembly.territory_table import reason_column, territory_table
from sources import store


def contour_generations(table: pd.DataFrame) -> list[int]:
    """Generations (2015, 2024) for which a territory table has at least one QPV contour offline."""
    gens = table.loc[table["a_contour"].astype(bool), "generation"].astype(int)
    return sorted(set(gens), reverse=True)


@functools.lru_cache(maxsize=64)
def _simplified_qpv(territory_key: str, generation: int, data_version: tuple) -> gpd.GeoDataFrame:
    territory = territories.resolve_key(territory_key)
    codes = set(territories.qpv_codes(territory))
    contours = store.table("qpv_contours")
    shapes = contours[contours["code_qp"].isin(codes) & (contours["generation"] == generation)]
    registry = store.table("qpv")[["code_qp", "insee_dep"]]
    shapes = shapes.merge(registry, on="code_qp", how="left")
    return webmap.simplify_for_web(gpd.GeoDataFrame(shapes, geometry="geometry", crs=contours.crs))


#: Background outlines get coarser as the territory grows: at region scale a commune is a few pixels
#: wide, and 4,500 full outlines would weigh megabytes (tolerance in metres, decimals in degrees).
OUTLINE_DETAIL = {"REG": (400.0, 3), "DEP": (120.0, 4), "EPCI": (30.0, 4), "COM": (10.0, 5), "QPV": (10.0, 5)}


@functools.lru_cache(maxsize=64)
def _simplified_communes(territory_key: str, data_version: tuple) -> gpd.GeoDataFrame:
    territory = territories.resolve_key(territory_key)
    outlines = store.table("communes_contours")
    if territory.kind == "QPV":
        registry = store.table("qpv").set_index("code_qp")
        wanted = set(str(registry.loc[territory.code, "communes"]).split(";"))
    else:
        communes = store.table("communes")
        column = code_column(territory.kind)
        wanted = set(communes.loc[communes[column] == territory.code, "insee_com"])
    chosen = outlines[outlines["insee_com"].isin(wanted)].reset_index(drop=True)
    if territory.kind == "REG":
        # Region scale: département borders plus the communes that have a QPV (4,000+ communes would
        # weigh megabytes and draw an unreadable mesh).
        with_qpv = set(store.table("qpv_communes")["insee_com"])
        borders = chosen.dissolve(by="insee_dep", as_index=False)[["insee_com", "lib_com", "insee_dep", "geometry"]]
        chosen = pd.concat([borders, chosen[chosen["insee_com"].isin(with_qpv)]], ignore_index=True)
        chosen = gpd.GeoDataFrame(chosen, geometry="geometry", crs=outlines.crs)
    tolerance, decimals = OUTLINE_DETAIL[territory.kind]
    return webmap.simplify_for_web(chosen, tolerance_m=tolerance, decimals=decimals)


def qpv_layer(territory: Territory, generation: int, indicator_id: str,
              table: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """QPV shapes of one generation with a value column and its missing reason.

    ``indicator_id`` is an indicator id or a score column of ``table`` (the territory table, with
    scores computed by the caller's method); scores missing for a partial QPV get the reason
    ``donnees_partielles``.
    """
    shapes = _simplified_qpv(territory.key, generation, store.version()).copy()
    table = territory_table(territory, with_scores=False) if table is None else table.copy()
    if reason_column(indicator_id) not in table:
        reason = pd.Series(pd.NA, index=table.index, dtype="string")
        reason[table[indicator_id].isna()] = reasons.PARTIAL
        table[reason_column(indicator_id)] = reason
    columns = ["code_qp", "lib_qp", "lib_com", indicator_id, reason_column(indicator_id)]
    joined = shapes[["code_qp", "geometry"]].merge(table[columns], on="code_qp", how="left")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=settings.DISPLAY_CRS)


def commune_outlines(territory: Territory) -> gpd.GeoDataFrame:
    return _simplified_communes(territory.key, store.version()).copy()


def clear_cache() -> None:
    _simplified_qpv.cache_clear()
    _simplified_communes.cache_clear()

