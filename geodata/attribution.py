"""Attribution of source values (IRIS, climate grid cells, LCZ) to QPV polygons.

QPV rarely coincide with the units in which sources publish: IRIS cut across them, DRIAS cells are
8 km wide, LCZ files stop at the central commune. Every function here is a pure, vectorised step of
the method of ``method-anchors.md`` §6.2 and §6.6:

* overlay the QPV with the source zones **in a metric CRS** (Lambert-93 in metropolitan France) and
  keep, for each QPV × zone pair, the share of the zone and the share of the QPV in common;
* counts are *extensive*: a zone's count is split in proportion to its area (uniform density), so
  totals are conserved when QPV cover the zones;
* rates are *intensive*: never summed, but averaged with weights ``share_of_zone × denominator``,
  which is exactly "interpolate the numerator and the denominator, then divide";
* every result carries its **coverage** (share of the QPV area for which a value was known), so that
  callers refuse an estimate resting on too small a part of the QPV and say why (``non_couvert`` when
  the source does not reach the QPV, ``secret_statistique`` when it does but its values are masked).

Values obtained through IRIS contours are estimates and must be labelled as such by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import settings
from core.reasons import NOT_COVERED, SECRET
from sources.geometry import repair

METHOD_WEIGHTED = "moyenne pondérée par la surface des mailles"
METHOD_NEAREST = "maille la plus proche"

WEIGHT_COLUMNS = ["code_qp", "zone_id", "w_area", "share_of_zone", "share_of_qpv"]


# ---------------------------------------------------------------------------------------------------
# Overlay
# ---------------------------------------------------------------------------------------------------


def _metric(frame: gpd.GeoDataFrame, crs: str, what: str) -> gpd.GeoSeries:
    """Geometries in the metric CRS, valid: areas in degrees or of invalid rings are meaningless."""
    if frame.crs is None:
        raise ValueError(f"{what} : système de coordonnées absent (CRS requis pour calculer des surfaces).")
    geoms = frame.geometry.to_crs(crs)
    invalid = ~geoms.is_valid & geoms.notna()
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = repair(geoms[invalid])
    return geoms


def _areas_by_key(keys: pd.Series, geoms: gpd.GeoSeries) -> pd.Series:
    """Total area per key (several features may share a key: parts of one QPV or one IRIS)."""
    return pd.Series(shapely.area(geoms.to_numpy()), index=keys.to_numpy()).groupby(level=0).sum()


#: Metropolitan France (with Corsica) in WGS84: Lambert-93 applies inside, local UTM outside.
_METRO_BOUNDS = (-5.5, 41.0, 10.0, 51.5)


def metric_crs_groups(frame: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Metric CRS → boolean mask of the rows to measure in it (Lambert-93, or each overseas UTM zone)."""
    if frame.empty or frame.crs is None:
        return {settings.METRIC_CRS: np.ones(len(frame), dtype=bool)}
    centres = frame.geometry.to_crs("EPSG:4326").representative_point()
    lon, lat = centres.x.to_numpy(), centres.y.to_numpy()
    west, south, east, north = _METRO_BOUNDS
    metro = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    groups: dict[str, np.ndarray] = {}
    if metro.any():
        groups[settings.METRIC_CRS] = metro
    for index in np.flatnonzero(~metro):
        zone = int((lon[index] + 180) // 6) + 1
        code = f"EPSG:{32600 + zone if lat[index] >= 0 else 32700 + zone}"  # WGS84 / UTM
        groups.setdefault(code, np.zeros(len(frame), dtype=bool))[index] = True
    return groups


def areal_weights(
    qpv: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    weight: str | None = None,
    *,
    qpv_col: str = "code_qp",
    zone_col: str = "zone_id",
    crs: str | None = None,
) -> pd.DataFrame:
    """QPV × zone intersection table, one row per pair with a positive common area.

    Areas are computed in ``crs``; by default Lambert-93 for metropolitan QPV and the local UTM zone
    for overseas ones (a Lambert-93 area in La Réunion would be badly distorted).

    Columns: ``code_qp``, ``zone_id``, ``w_area`` (common area, m²), ``share_of_zone`` (common area /
    zone area) and ``share_of_qpv`` (common area / QPV area). For one QPV, ``share_of_qpv`` sums to the
    share of its area covered by the zones (1 when the zones cover it and do not overlap).

    ``weight`` names an optional zone column (population, households, DPE count…); the zone's weight
    assumed to lie inside the QPV, ``share_of_zone × weight``, is then returned as ``w_weight``
    (uniform density within the zone: the simplest dasymetric assumption, to be said in the method).
    """
    for frame, column, what in ((qpv, qpv_col, "QPV"), (zones, zone_col, "zones")):
        if column not in frame.columns:
            raise ValueError(f"{what} : colonne « {column} » absente.")
    if weight is not None and weight not in zones.columns:
        raise ValueError(f"zones : colonne de pondération « {weight} » absente.")
    if crs is None:
        groups = metric_crs_groups(qpv)
        if len(groups) > 1:
            parts = [areal_weights(qpv.loc[mask], zones, weight, qpv_col=qpv_col, zone_col=zone_col, crs=group_crs)
                     for group_crs, mask in groups.items()]
            return pd.concat(parts, ignore_index=True)
        crs = next(iter(groups), settings.METRIC_CRS)
    qpv_geoms = _metric(qpv, crs, "QPV")
    zone_geoms = _metric(zones, crs, "zones")
    qpv_keys = qpv[qpv_col].astype(str).reset_index(drop=True)
    zone_keys = zones[zone_col].reset_index(drop=True)

    zone_idx, qpv_idx = qpv_geoms.reset_index(drop=True).sindex.query(
        zone_geoms.to_numpy(), predicate="intersects"
    )
    common = shapely.area(shapely.intersection(qpv_geoms.to_numpy()[qpv_idx], zone_geoms.to_numpy()[zone_idx]))
    pairs = pd.DataFrame(
        {"code_qp": qpv_keys.to_numpy()[qpv_idx], "zone_id": zone_keys.to_numpy()[zone_idx], "w_area": common}
    )
    pairs = pairs[pairs["w_area"] > 0]
    pairs = pairs.groupby(["code_qp", "zone_id"], sort=True, as_index=False)["w_area"].sum()

    zone_area = _areas_by_key(zone_keys, zone_geoms)
    qpv_area = _areas_by_key(qpv_keys, qpv_geoms)
    pairs["share_of_zone"] = pairs["w_area"].to_numpy() / zone_area.reindex(pairs["zone_id"]).to_numpy()
    pairs["share_of_qpv"] = pairs["w_area"].to_numpy() / qpv_area.reindex(pairs["code_qp"]).to_numpy()
    # Intersection areas can exceed the parts by a rounding hair; shares are fractions by definition.
    pairs[["share_of_zone", "share_of_qpv"]] = pairs[["share_of_zone", "share_of_qpv"]].clip(upper=1.0)
    if weight is not None:
        totals = pd.Series(zones[weight].to_numpy(), index=zone_keys.to_numpy()).groupby(level=0).sum(min_count=1)
        pairs["w_weight"] = pairs["share_of_zone"].to_numpy() * totals.reindex(pairs["zone_id"]).to_numpy()
    return pairs.reset_index(drop=True)


def overlap_table(new: gpd.GeoDataFrame, old: gpd.GeoDataFrame, *, qpv_col: str = "code_qp") -> pd.DataFrame:
    """Every intersecting pair of two generations of QPV (e.g. 2024 × 2015), with how much they overlap.

    Areas are measured in Lambert-93 in metropolitan France and in the local UTM zone elsewhere; only QPV
    measured in the same system are compared. Columns: ``code_qp_2024``, ``code_qp_2015`` (of ``new`` and ``old``), ``iou`` =
    area(A∩B) / area(A∪B), ``part_2024_couverte`` = area(A∩B) / area(A), ``part_2015_incluse`` =
    area(A∩B) / area(B), ``surface_commune_m2``. One row per pair with a positive common area, sorted by
    new code then decreasing IoU. Shapes without area are ignored.
    """
    parts = []
    old_groups = metric_crs_groups(old)
    for crs, mask in metric_crs_groups(new).items():
        if crs not in old_groups:
            continue
        a = _metric(new.loc[mask], crs, "QPV")
        old_part = old.loc[old_groups[crs]]
        b = _metric(old_part, crs, "QPV")
        keep_a = (~a.is_empty & (a.area > 0)).to_numpy()
        keep_b = (~b.is_empty & (b.area > 0)).to_numpy()
        ga, gb = a.to_numpy()[keep_a], b.to_numpy()[keep_b]
        codes_a = new.loc[mask, qpv_col].astype(str).to_numpy()[keep_a]
        codes_b = old_part[qpv_col].astype(str).to_numpy()[keep_b]
        if not len(ga) or not len(gb):
            continue
        ia, ib = gpd.GeoSeries(gb).sindex.query(ga, predicate="intersects")  # (index in ga, index in gb)
        common = shapely.area(shapely.intersection(ga[ia], gb[ib]))
        area_a, area_b = shapely.area(ga)[ia], shapely.area(gb)[ib]
        union = area_a + area_b - common
        parts.append(pd.DataFrame({
            "code_qp_2024": codes_a[ia], "code_qp_2015": codes_b[ib], "iou": common / union,
            "part_2024_couverte": common / area_a, "part_2015_incluse": common / area_b,
            "surface_commune_m2": common,
        }))
    columns = ["code_qp_2024", "code_qp_2015", "iou", "part_2024_couverte", "part_2015_incluse", "surface_commune_m2"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["surface_commune_m2"] > 0]
    return out.sort_values(["code_qp_2024", "iou"], ascending=[True, False]).reset_index(drop=True)[columns]


def best_matches(overlaps: pd.DataFrame, min_iou: float) -> pd.DataFrame:
    """Per new QPV, its old QPV of highest IoU when that IoU reaches ``min_iou`` (index ``code_qp_2024``).

    With ``min_iou`` > 0.5 the match is one-to-one: an old QPV can be carried to one new QPV at most."""
    best = overlaps.sort_values("iou", ascending=False).drop_duplicates("code_qp_2024")
    return best[best["iou"] >= min_iou].set_index("code_qp_2024").sort_index()


# ---------------------------------------------------------------------------------------------------
# Interpolation of zone values
# ---------------------------------------------------------------------------------------------------


def _zone_column(weights: pd.DataFrame, zone_values: pd.DataFrame, column: str) -> np.ndarray:
    """Values of ``column`` aligned on the rows of ``weights`` (NaN for zones without a row)."""
    if column not in zone_values.columns:
        raise ValueError(f"valeurs des zones : colonne « {column} » absente.")
    if zone_values.index.has_duplicates:
        raise ValueError("valeurs des zones : identifiants de zone en double dans l'index.")
    return zone_values[column].reindex(weights["zone_id"].to_numpy()).to_numpy(dtype="float64")


def _by_qpv(frame: pd.DataFrame, codes: Iterable[str] | None) -> pd.DataFrame:
    """Sum per QPV, then the full list of QPV when given (those without any zone get zeros)."""
    out = frame.groupby("code_qp", sort=True).sum()
    if codes is not None:
        out = out.reindex(pd.Index(list(dict.fromkeys(codes)), name="code_qp"), fill_value=0.0)
    out.index.name = "code_qp"
    return out


def interpolate_counts(
    weights: pd.DataFrame,
    zone_values: pd.DataFrame,
    columns: list[str],
    *,
    codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Extensive interpolation: each zone's counts split in proportion to ``share_of_zone``.

    ``zone_values`` is indexed by zone id. Returns one row per QPV (index ``code_qp``): each column is
    ``Σ share_of_zone × count`` over the zones with a known count, and ``<column>_coverage`` is the
    share of the QPV area lying in those zones, so that a count resting on a masked zone can be refused.
    When QPV cover the zones without overlap, the QPV totals equal the zone totals. ``codes`` lists the
    QPV to return even when no zone touches them (counts NaN, coverage 0).
    """
    parts = {"code_qp": weights["code_qp"].to_numpy()}
    for column in columns:
        values = _zone_column(weights, zone_values, column)
        known = ~np.isnan(values)
        parts[column] = np.where(known, values * weights["share_of_zone"].to_numpy(), 0.0)
        parts[f"{column}_coverage"] = np.where(known, weights["share_of_qpv"].to_numpy(), 0.0)
        parts[f"_{column}_n"] = known.astype("int64")
    out = _by_qpv(pd.DataFrame(parts), codes)
    for column in columns:
        out[column] = out[column].where(out.pop(f"_{column}_n") > 0)
        out[f"{column}_coverage"] = out[f"{column}_coverage"].clip(upper=1.0)
    return out[[c for column in columns for c in (column, f"{column}_coverage")]]


def interpolate_rates(
    weights: pd.DataFrame,
    zone_values: pd.DataFrame,
    rate_col: str,
    denominator_col: str | None = None,
    *,
    codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Intensive interpolation: weighted mean of zone rates, one row per QPV (index ``code_qp``).

    Weights are ``share_of_zone × denominator`` when a denominator is given (population, households,
    DPE count: the result is then exactly ``Σ a·N / Σ a·D``, the rate of the interpolated counts),
    and ``share_of_zone × zone area`` = the common area otherwise (area-weighted mean). Zones whose rate
    or denominator is missing are left out. Returns:

    * ``value`` — the weighted mean (NaN when no zone contributes a positive weight);
    * ``coverage`` — share of the QPV area lying in zones that have a rate (and a denominator);
    * ``zone_coverage`` — share of the QPV area lying in zones that the source lists (a row in
      ``zone_values``), known value or not, which tells ``non_couvert`` (the source has no row there:
      Filosofi IRIS skips communes under 5,000 inhabitants) from ``secret_statistique`` (masked);
    * ``n_zones`` — number of contributing zones.
    """
    rates = _zone_column(weights, zone_values, rate_col)
    if denominator_col is None:
        base = weights["w_area"].to_numpy(dtype="float64")
        known = ~np.isnan(rates)
    else:
        denominators = _zone_column(weights, zone_values, denominator_col)
        base = weights["share_of_zone"].to_numpy(dtype="float64") * denominators
        known = ~np.isnan(rates) & ~np.isnan(denominators)
    w = np.where(known, np.clip(base, 0.0, None), 0.0)
    w = np.nan_to_num(w)
    # A subnormal weight (a sliver of overlap times a near-zero denominator) carries no information and its
    # product with a rate underflows to 0: the mean would read 0 where the only zone says 0.5.
    w = np.where(w < np.finfo("float64").tiny, 0.0, w)
    share = weights["share_of_qpv"].to_numpy(dtype="float64")
    parts = pd.DataFrame(
        {
            "code_qp": weights["code_qp"].to_numpy(),
            "_wx": np.where(known, w * np.nan_to_num(rates), 0.0),
            "_w": w,
            "coverage": np.where(known, share, 0.0),
            "zone_coverage": np.where(weights["zone_id"].isin(zone_values.index).to_numpy(), share, 0.0),
            "n_zones": (known & (w > 0)).astype("int64"),
        }
    )
    out = _by_qpv(parts, codes)
    value = out["_wx"] / out["_w"].where(out["_w"] > 0)
    result = pd.DataFrame(
        {
            "value": value,
            "coverage": out["coverage"].clip(upper=1.0),
            "zone_coverage": out["zone_coverage"].clip(upper=1.0),
            "n_zones": out["n_zones"].astype("int64"),
        },
        index=out.index,
    )
    return result


def missing_reason(
    result: pd.DataFrame,
    value_col: str = "value",
    *,
    min_coverage: float = 0.5,
    coverage_col: str = "coverage",
    zone_coverage_col: str = "zone_coverage",
) -> pd.DataFrame:
    """Refuse values resting on less than ``min_coverage`` of the QPV area, with the reason.

    ``non_couvert`` when the zones listed by the source do not reach ``min_coverage`` of the QPV
    (outside the LCZ cities, IRIS without a row in the source); ``secret_statistique`` when they do
    but too few of them carry a value. Returns a copy with ``value_col`` set to NaN where refused
    and a ``raison`` column.
    """
    out = result.copy()
    reason = pd.Series(pd.NA, index=out.index, dtype="string")
    coverage = out[coverage_col].fillna(0.0)
    zone_coverage = out[zone_coverage_col].fillna(0.0) if zone_coverage_col in out else coverage
    refused = (coverage < min_coverage) | out[value_col].isna()
    reason[refused & (zone_coverage < min_coverage)] = NOT_COVERED
    reason[refused & (zone_coverage >= min_coverage)] = SECRET
    out[value_col] = out[value_col].where(~refused)
    out["raison"] = reason
    return out


# ---------------------------------------------------------------------------------------------------
# DRIAS 8 km grid
# ---------------------------------------------------------------------------------------------------


def drias_cells(
    points: pd.DataFrame, crs_metric: str = settings.METRIC_CRS, half_size: float = 4000.0
) -> gpd.GeoDataFrame:
    """8 km squares around the SAFRAN points (``Point``, ``Latitude``, ``Longitude``, WGS84).

    The points are projected to ``crs_metric`` and each gets a square of side ``2 × half_size``. The
    SAFRAN grid is native to Lambert II étendu (EPSG:27572), where these squares tile exactly; in
    Lambert-93 they are rotated by about half a degree relative to the grid, so neighbours overlap or
    leave gaps of a few tens of metres at their edges — negligible for an area-weighted mean, which is
    normalised by the covered area. One row per point; ``Point`` stays text.
    """
    for column in ("Point", "Latitude", "Longitude"):
        if column not in points.columns:
            raise ValueError(f"points DRIAS : colonne « {column} » absente.")
    unique = points.drop_duplicates("Point")[["Point", "Latitude", "Longitude"]].reset_index(drop=True)
    xy = gpd.GeoSeries(gpd.points_from_xy(unique["Longitude"], unique["Latitude"]), crs="EPSG:4326")
    xy = xy.to_crs(crs_metric)
    x, y = xy.x.to_numpy(), xy.y.to_numpy()
    squares = shapely.box(x - half_size, y - half_size, x + half_size, y + half_size)
    return gpd.GeoDataFrame(
        {"Point": unique["Point"].astype(str).to_numpy(), "x": x, "y": y},
        geometry=squares,
        crs=crs_metric,
    )


def attribute_grid(
    qpv: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    values: pd.DataFrame,
    columns: list[str],
    *,
    qpv_col: str = "code_qp",
    max_nearest_m: float = 15_000.0,
) -> pd.DataFrame:
    """Grid values per QPV, saying for each QPV how they were obtained (``methode``).

    * the QPV intersects several cells → mean of the cells weighted by the area they share with the
      QPV (``moyenne pondérée par la surface des mailles``), NaN cells left out;
    * it lies inside one cell, or intersects none (off the grid edge, a coastal QPV) → the value of
      that cell or of the cell whose point is nearest (``maille la plus proche``), if that point lies
      within ``max_nearest_m``; farther (an overseas QPV and the metropolitan grid), NaN: outside the grid.

    ``values`` has a ``Point`` column (or index) matching ``cells``. Returns ``code_qp``, the columns,
    ``methode`` and ``n_mailles`` (number of intersected cells), one row per QPV, in input order.
    The grid is coarser than most QPV: context for the territory, not a contrast between neighbours.
    """
    if "Point" not in values.columns:
        values = values.rename_axis("Point").reset_index()
    unique = values.drop_duplicates("Point")
    table = unique.set_index(unique["Point"].astype(str))
    zones = cells[["Point", "geometry"]].rename(columns={"Point": "zone_id"})
    weights = areal_weights(qpv, zones, qpv_col=qpv_col, crs=cells.crs)
    codes = list(dict.fromkeys(qpv[qpv_col].astype(str)))
    n_cells = weights.groupby("code_qp").size().reindex(codes, fill_value=0)

    out = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
    for column in columns:
        out[column] = interpolate_rates(weights, table, column, codes=codes)["value"]

    # QPV touching no cell: the nearest SAFRAN point (cell centre), measured in the grid's CRS.
    outside = n_cells[n_cells == 0].index
    if len(outside):
        centres = gpd.GeoDataFrame(
            {"Point": cells["Point"].astype(str).to_numpy()},
            geometry=cells.geometry.centroid.to_numpy(),
            crs=cells.crs,
        )
        lost = qpv.loc[qpv[qpv_col].astype(str).isin(outside), [qpv_col, "geometry"]].to_crs(cells.crs)
        lost = lost.assign(**{qpv_col: lost[qpv_col].astype(str)}).dissolve(by=qpv_col)
        nearest = gpd.sjoin_nearest(lost, centres, how="left", max_distance=max_nearest_m)
        nearest = nearest.dropna(subset=["Point"]).groupby(level=0)["Point"].first()
        for column in columns:
            out.loc[nearest.index, column] = table[column].reindex(nearest.to_numpy()).to_numpy(dtype="float64")
    out["methode"] = np.where(n_cells.to_numpy() >= 2, METHOD_WEIGHTED, METHOD_NEAREST)
    out["n_mailles"] = n_cells.to_numpy()
    return out.reset_index()


# ---------------------------------------------------------------------------------------------------
# LCZ per IRIS
# ---------------------------------------------------------------------------------------------------


def lcz_share(
    qpv: gpd.GeoDataFrame,
    lcz_iris: gpd.GeoDataFrame,
    *,
    qpv_col: str = "code_qp",
    crs: str = settings.METRIC_CRS,
) -> pd.DataFrame:
    """Share (%) of the QPV area lying in IRIS whose LCZ heat class is ``High``.

    ``lcz_iris`` is one or several city files (``code_iris``, ``heat_score``). The share is computed
    over the part of the QPV covered by IRIS with a known class; ``coverage`` is that part (0–1) and
    ``zone_coverage`` the part covered by any LCZ IRIS. A QPV outside the city files (the files stop at
    the central commune) gets NaN, coverage 0 and ``raison`` = ``non_couvert``; so does one covered
    only by IRIS without a class (absent from the source, not masked). Apply ``missing_reason`` with
    ``value_col="part_surface_chaleur_forte"`` to also refuse partly covered QPV. Columns: ``code_qp,
    part_surface_chaleur_forte, coverage, zone_coverage, raison``, one row per QPV in input order.
    """
    zones = lcz_iris[["code_iris", "heat_score", "geometry"]].rename(columns={"code_iris": "zone_id"})
    weights = areal_weights(qpv, zones.drop(columns="heat_score"), qpv_col=qpv_col, crs=crs)
    classes = zones.drop_duplicates("zone_id").set_index("zone_id")["heat_score"]
    score = classes.reindex(weights["zone_id"].to_numpy()).astype("string")
    known = score.notna().to_numpy(dtype=bool)
    high = (score == "High").fillna(False).to_numpy(dtype=bool)
    share = weights["share_of_qpv"].to_numpy()
    parts = pd.DataFrame(
        {
            "code_qp": weights["code_qp"].to_numpy(),
            "high": np.where(high, share, 0.0),
            "coverage": np.where(known, share, 0.0),
            "zone_coverage": share,
        }
    )
    codes = list(dict.fromkeys(qpv[qpv_col].astype(str)))
    out = _by_qpv(parts, codes)
    coverage = out["coverage"].clip(upper=1.0)
    part = 100.0 * out["high"] / out["coverage"].where(out["coverage"] > 0)
    result = pd.DataFrame(
        {
            "part_surface_chaleur_forte": part.clip(upper=100.0),
            "coverage": coverage,
            "zone_coverage": out["zone_coverage"].clip(upper=1.0),
        },
        index=out.index,
    )
    result["raison"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result.loc[result["part_surface_chaleur_forte"].isna(), "raison"] = NOT_COVERED
    return result.reset_index()
