"""Map layers of a territory, ready for the browser: only its shapes, simplified in metres, rounded.

Simplification is the expensive step, so simplified shapes are memoised per territory and
generation; values are joined afterwards (changing the indicator does not re-simplify anything). The
larger the territory, the coarser the shapes (``QPV_DETAIL``): a quartier is a few pixels wide on a map
of a region, a dot on a map of France. Each value comes with what it is (``assembly.value_text``): its
text with the interval of an estimate, its nature, vintage and source, for the tooltips.

France (``FR``) is drawn by zone: metropolitan France, or one overseas territory (``ZONES``).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd

import settings
from core import natures, reasons
from core.errors import SourceMissingError
from core.territory_kinds import code_column
from geodata import territories, webmap
from geodata.territories import COUNTRY, Territory
from assembly.territory_table import is_metropole, reason_column, territory_table
from assembly.value_text import nature_label, provenances, value_text
from assembly import indicator_list
from sources import store

#: The zone of France drawn on the national map: metropolitan France, or an overseas region (its code).
METROPOLE = "metropole"


def contour_generations(table: pd.DataFrame) -> list[int]:
    """Generations (2015, 2024) for which a territory table has at least one QPV contour offline."""
    gens = table.loc[table["a_contour"].astype(bool), "generation"].astype(int)
    return sorted(set(gens), reverse=True)


#: QPV shapes get coarser as the territory grows (tolerance in metres, decimals in degrees): at France
#: scale 1,362 full outlines would weigh megabytes for dots a few pixels wide; zoomed in, the shapes of a
#: smaller territory are the precise ones.
QPV_DETAIL = {COUNTRY: (150.0, 3), "REG": (100.0, 3), "DEP": (15.0, 4)}


def zones() -> dict[str, str]:
    """The zones of the national map: metropolitan France first, then each overseas region with QPV."""
    registry = store.table("qpv")
    overseas = registry[~registry["insee_dep"].map(is_metropole)].drop_duplicates("insee_reg")
    named = sorted(zip(overseas["insee_reg"].astype(str), overseas["lib_reg"].astype(str), strict=True),
                   key=lambda item: item[1])
    return {METROPOLE: "France métropolitaine", **dict(named)}


def in_zone(table: pd.DataFrame, zone: str) -> pd.Series:
    """Rows of a table (with ``insee_dep``, ``insee_reg``) in a zone of the national map."""
    if zone == METROPOLE:
        return table["insee_dep"].map(is_metropole)
    return table["insee_reg"].astype(str) == str(zone)


@functools.lru_cache(maxsize=64)
def _simplified_qpv(territory_key: str, generation: int, data_version: tuple, zone: str = "") -> gpd.GeoDataFrame:
    territory = territories.resolve_key(territory_key)
    registry = store.table("qpv")[["code_qp", "insee_dep", "insee_reg"]]
    if zone:
        codes = set(registry.loc[in_zone(registry, zone), "code_qp"])
    else:
        codes = set(territories.qpv_codes(territory))
    contours = store.table("qpv_contours")
    shapes = contours[contours["code_qp"].isin(codes) & (contours["generation"] == generation)]
    shapes = shapes.merge(registry[["code_qp", "insee_dep"]], on="code_qp", how="left")
    tolerance, decimals = QPV_DETAIL.get(territory.kind if zone in ("", METROPOLE) else "REG",
                                         (settings.WEB_SIMPLIFY_M, settings.WEB_COORD_DECIMALS))
    return webmap.simplify_for_web(gpd.GeoDataFrame(shapes, geometry="geometry", crs=contours.crs),
                                   tolerance_m=tolerance, decimals=decimals)


#: Background outlines get coarser as the territory grows: at region scale a commune is a few pixels
#: wide, and 4,500 full outlines would weigh megabytes (tolerance in metres, decimals in degrees).
OUTLINE_DETAIL = {COUNTRY: (1500.0, 2), "REG": (1000.0, 3), "DEP": (120.0, 4), "EPCI": (30.0, 4), "COM": (10.0, 5),
                  "QPV": (10.0, 5)}


def _departements(zone: str) -> gpd.GeoDataFrame:
    """Département outlines of a zone of the national map (none when the data has no such table)."""
    try:
        outlines = store.table("departements_contours")
    except SourceMissingError:
        return gpd.GeoDataFrame({"insee_dep": []}, geometry=[], crs=settings.DISPLAY_CRS)
    if zone == METROPOLE:
        chosen = outlines[outlines["insee_dep"].map(is_metropole)]
    else:
        communes = store.table("communes")
        deps = set(communes.loc[communes["insee_reg"].astype(str) == str(zone), "insee_dep"])
        chosen = outlines[outlines["insee_dep"].isin(deps)]
    return gpd.GeoDataFrame(chosen.reset_index(drop=True), geometry="geometry", crs=outlines.crs)


@functools.lru_cache(maxsize=64)
def _simplified_communes(territory_key: str, data_version: tuple, zone: str = "") -> gpd.GeoDataFrame:
    territory = territories.resolve_key(territory_key)
    if zone or territory.kind == "REG":
        # France and region scale: département borders only. A quartier is a few pixels wide there; commune
        # outlines would weigh more than the quartiers themselves (the tooltip names the commune).
        kind = COUNTRY if zone == METROPOLE else "REG"
        borders = _departements(zone or territory.code)
        if len(borders):
            tolerance, decimals = OUTLINE_DETAIL[kind]
            return webmap.simplify_for_web(borders, tolerance_m=tolerance, decimals=decimals)
    outlines = store.table("communes_contours")
    if territory.kind == "QPV":
        registry = store.table("qpv").set_index("code_qp")
        wanted = set(str(registry.loc[territory.code, "communes"]).split(";"))
    else:
        communes = store.table("communes")
        column = code_column(territory.kind)
        wanted = set(communes.loc[communes[column] == territory.code, "insee_com"])
    chosen = outlines[outlines["insee_com"].isin(wanted)].reset_index(drop=True)
    if territory.kind == "REG":  # data without département outlines: borders dissolved from the communes
        # plus the communes that have a QPV (4,000+ communes would weigh megabytes and draw an unreadable mesh).
        with_qpv = set(store.table("qpv_communes")["insee_com"])
        borders = chosen.dissolve(by="insee_dep", as_index=False)[["insee_com", "lib_com", "insee_dep", "geometry"]]
        chosen = pd.concat([borders, chosen[chosen["insee_com"].isin(with_qpv)]], ignore_index=True)
        chosen = gpd.GeoDataFrame(chosen, geometry="geometry", crs=outlines.crs)
    tolerance, decimals = OUTLINE_DETAIL[territory.kind]
    return webmap.simplify_for_web(chosen, tolerance_m=tolerance, decimals=decimals)


def described(table: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """The columns that say what each value of an indicator is (``geodata.webmap``'s optional columns): its
    text (an estimate with its interval), nature, vintage and source, and whether it is an estimate."""
    ind = indicator_list.get(indicator_id)
    known = provenances(table, [indicator_id])
    infos = [known.get((str(code), indicator_id)) for code in table["code_qp"]]
    values = table[indicator_id].tolist()
    return pd.DataFrame({
        f"{indicator_id}{webmap.TEXT_SUFFIX}": [value_text(v, ind.unit, ind.decimals, i, named=False)
                                                for v, i in zip(values, infos, strict=True)],
        f"{indicator_id}{webmap.NATURE_SUFFIX}": [nature_label(i.nature) if i else "" for i in infos],
        f"{indicator_id}{webmap.VINTAGE_SUFFIX}": [i.vintage if i else ind.vintage for i in infos],
        f"{indicator_id}{webmap.SOURCE_SUFFIX}": [i.source if i else ind.source for i in infos],
        f"{indicator_id}{webmap.ESTIMATED_SUFFIX}": [bool(i and i.nature in natures.ESTIMATES) for i in infos],
    }, index=table.index)


#: Words of an indicator's values per (territory, indicator, data version): the map and the table beside it
#: ask for the same, and the values and their natures do not depend on the scoring method.
_WORDS: dict[tuple[str, str, tuple], pd.DataFrame] = {}
_WORDS_MAX = 64


def value_words(territory: Territory, indicator_id: str, table: pd.DataFrame) -> pd.DataFrame:
    """``described`` for the rows of ``table`` (a table of the territory), in that order (index reset), worded
    once per territory, indicator and data version."""
    key = (territory.key, indicator_id, indicator_list.data_version())
    codes = pd.Index(table["code_qp"].astype(str))
    words = _WORDS.get(key)
    if words is None or not codes.isin(words.index).all():
        words = described(table, indicator_id).set_axis(pd.Index(codes, name="code_qp"))
        if len(_WORDS) >= _WORDS_MAX:
            _WORDS.pop(next(iter(_WORDS)))
        _WORDS[key] = words
    return words.reindex(codes).reset_index(drop=True)


def qpv_layer(territory: Territory, generation: int, indicator_id: str,
              table: pd.DataFrame | None = None, zone: str = "") -> gpd.GeoDataFrame:
    """QPV shapes of one generation with a value column and its missing reason.

    ``indicator_id`` is an indicator id or a score column of ``table`` (the territory table, with
    scores computed by the caller's method); scores missing for a partial QPV get the reason
    ``donnees_partielles``. An indicator's values come with the columns of ``described``. ``zone``: for
    France, the zone drawn (``METROPOLE`` or an overseas region code).
    """
    shapes = _simplified_qpv(territory.key, generation, store.version(), zone).copy()
    table = territory_table(territory, with_scores=False) if table is None else table.copy()
    table = table[table["code_qp"].isin(set(shapes["code_qp"]))]
    if reason_column(indicator_id) not in table:
        reason = pd.Series(pd.NA, index=table.index, dtype="string")
        reason[table[indicator_id].isna()] = reasons.PARTIAL
        table[reason_column(indicator_id)] = reason
    columns = ["code_qp", "lib_qp", "lib_com", indicator_id, reason_column(indicator_id)]
    if indicator_id in indicator_list.ids():
        words = value_words(territory, indicator_id, table)
        table = pd.concat([table.reset_index(drop=True), words], axis=1)
        columns += list(words.columns)
    joined = shapes[["code_qp", "geometry"]].merge(table[columns], on="code_qp", how="left")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=settings.DISPLAY_CRS)


def commune_outlines(territory: Territory, zone: str = "") -> gpd.GeoDataFrame:
    """Background outlines: communes of the territory (départements and communes with QPV for a region),
    départements for a zone of the national map."""
    return _simplified_communes(territory.key, store.version(), zone).copy()


def clear_cache() -> None:
    _simplified_qpv.cache_clear()
    _simplified_communes.cache_clear()
    _WORDS.clear()

