"""Spatial indicators: from grids, IRIS and commune tables to the QPV, with method and reason.

Each function returns long rows ``code_qp, indicateur, valeur, raison_manquante, methode, detail``
(``methode`` = attribution rule id of the catalogue; ``detail`` = what happened for that QPV, e.g.
"maille la plus proche" or the share of the QPV covered by IRIS with a value). QPV without an offline
contour get ``non_charge`` for contour-based indicators: the online update brings their contours.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from core import reasons
from geodata import attribution
from indicators import catalogue
from indicators import rules
from sources.publishers import cerema, meteofrance, sdes
from sources.registry import COPIES

MIN_COVERAGE = 0.5
LCZ_KEYS = tuple(k for k in COPIES if k.startswith("lcz_"))

#: Indicators computed here (the others come from ``indicators.rules.RULES``, ``loaders.qpv2024`` or are online only).
GEO_INDICATORS = (
    "jours_sup_35", "nuits_tropicales", "jours_vague_chaleur", "jours_sup_35_2050", "nuits_tropicales_2050",
    "hausse_tmax_ete_2085", "part_dpe_fg", "part_allocataires_apl", "part_allocataires_rsa", "taux_pauvrete",
    "revenu_median", "part_surface_chaleur_forte", "reseau_chaleur", "nb_risques_naturels",
    "nb_risques_inondation", "nb_risques_technologiques",
)

COLUMNS = ["code_qp", "indicateur", "valeur", "raison_manquante", "methode", "detail"]


def _path(source_dir: Path, key: str) -> Path:
    return source_dir / COPIES[key].path


def value_rows(indicator: str, codes: list[str], values, reasons, rule: str, details=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "code_qp": codes,
            "indicateur": indicator,
            "valeur": np.asarray(values, dtype="float64"),
            "raison_manquante": pd.array(reasons, dtype="string"),
            "methode": rule,
            "detail": pd.array(details if details is not None else [pd.NA] * len(codes), dtype="string"),
        }
    )
    return check_range(frame)


def check_range(frame: pd.DataFrame) -> pd.DataFrame:
    """Flag and drop values outside the indicator's physical range (never clipped)."""
    if frame.empty:
        return frame
    indicator = catalogue.get(frame["indicateur"].iloc[0])
    bad = rules.out_of_range(frame["valeur"], indicator.valid_range)
    frame.loc[bad, "valeur"] = np.nan
    frame.loc[bad, "raison_manquante"] = reasons.INVALID
    return frame


# --- DRIAS grid --------------------------------------------------------------------------------

DRIAS_REF = {"jours_sup_35": "NORTX35", "nuits_tropicales": "NORTR", "jours_vague_chaleur": "NORTXHWD"}
DRIAS_H1 = {"jours_sup_35_2050": "NORTX35", "nuits_tropicales_2050": "NORTR"}


def drias_grid(source_dir: Path) -> pd.DataFrame:
    """The DRIAS values used by the heat indicators, one row per SAFRAN point (``drias_grille`` table).

    Columns: ``Point``, ``Latitude``, ``Longitude`` and one column per indicator id (reference period,
    RCP4.5 near term, RCP8.5 summer Tmax rise recomputed from absolute values). DRIAS has no API: this
    national table is embedded in the bundle so that any territory gets its heat values offline.
    """
    ref = meteofrance.read_drias(_path(source_dir, "drias_ref"), name=COPIES["drias_ref"].path)
    rcp45 = meteofrance.read_drias(_path(source_dir, "drias_rcp45"), name=COPIES["drias_rcp45"].path)
    ete_ref = meteofrance.read_drias(_path(source_dir, "drias_ete_ref"), name=COPIES["drias_ete_ref"].path)
    ete_85 = meteofrance.read_drias(_path(source_dir, "drias_ete_85"), name=COPIES["drias_ete_85"].path)
    grid = ref.drop_duplicates("Point")[["Point", "Latitude", "Longitude", *DRIAS_REF.values()]]
    grid = grid.rename(columns={v: k for k, v in DRIAS_REF.items()})
    h1 = rcp45[rcp45["Période"] == "H1"].drop_duplicates("Point")[["Point", *DRIAS_H1.values()]]
    grid = grid.merge(h1.rename(columns={v: k for k, v in DRIAS_H1.items()}), on="Point", how="left")
    h3 = meteofrance.drias_anomalies(ete_85[ete_85["Période"] == "H3"], ete_ref, ["NORTXAV"])
    h3 = h3.drop_duplicates("Point")[["Point", "ATXAV"]].rename(columns={"ATXAV": "hausse_tmax_ete_2085"})
    grid = grid.merge(h3, on="Point", how="left")
    return grid.reset_index(drop=True)


def drias_indicators(grid: pd.DataFrame, contours: gpd.GeoDataFrame) -> pd.DataFrame:
    """Heat indicators on the SAFRAN 8 km grid (reference period, RCP4.5 near term, RCP8.5 summer)."""
    cells = attribution.drias_cells(grid)
    codes = contours["code_qp"].tolist()
    frames = []
    for group in (tuple(DRIAS_REF), tuple(DRIAS_H1), ("hausse_tmax_ete_2085",)):
        values = grid[["Point", *group]]
        table = attribution.attribute_grid(contours, cells, values, list(group))
        for indicator in group:
            present = table[indicator].notna()
            detail = table["methode"].where(present, "hors de la grille SAFRAN de métropole")
            frames.append(value_rows(indicator, table["code_qp"].tolist(), table[indicator],
                                     np.where(present, pd.NA, reasons.OUTSIDE), "grille_drias", detail))
    out = pd.concat(frames, ignore_index=True)
    assert set(out["code_qp"]) <= set(codes)
    return out


# --- IRIS-based estimates ---------------------------------------------------------------------------


def read_lcz_cities(source_dir: Path) -> list[gpd.GeoDataFrame]:
    """The nine LCZ-per-IRIS city files of the open-data folder, in registry order."""
    return [cerema.read_lcz_iris(_path(source_dir, k), name=COPIES[k].path) for k in LCZ_KEYS]


def iris_zones(zones: gpd.GeoDataFrame, lcz_cities: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """IRIS contours, replaced by the exact IGN ones where the LCZ city files have them.

    A commune's IRIS are swapped only when the exact file lists exactly the same IRIS codes, so that
    approximate and exact shapes never cover the same ground twice. ``exact`` tells which is which.
    """
    zones = zones[["zone_id", "geometry"]].copy()
    zones["exact"] = False
    for city in lcz_cities:
        communes = set(city["code_iris"].str[:5])
        current = zones["zone_id"].str[:5].isin(communes)
        if set(zones.loc[current, "zone_id"]) != set(city["code_iris"]):
            continue
        exact = city[["code_iris", "geometry"]].rename(columns={"code_iris": "zone_id"}).to_crs(zones.crs)
        exact["exact"] = True
        zones = pd.concat([zones[~current], exact], ignore_index=True)
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=zones.crs)


def iris_estimate(result: pd.DataFrame, exact: pd.Series,
                 value_col: str = "value") -> tuple[pd.Series, pd.Series, pd.Series]:
    refused = attribution.missing_reason(result, value_col, min_coverage=MIN_COVERAGE)
    kind = pd.Series(np.where(exact.reindex(result.index, fill_value=False), "exacts", "approchés"),
                     index=result.index)
    detail = ("IRIS (contours " + kind + ") couvrant "
              + (100 * result["coverage"]).round().astype("Int64").astype("string") + " % du quartier")
    return refused[value_col], refused["raison"], detail


def iris_weights(zones: gpd.GeoDataFrame, contours: gpd.GeoDataFrame) -> pd.DataFrame:
    """QPV × IRIS weights (``geodata.attribution.areal_weights``) with ``exact`` telling the exact IGN IRIS
    (LCZ cities) from the approximate ones. Kept in the bundle (``qpv_iris_poids``): every IRIS estimate and
    the calibration features can be recomputed from it without geometry."""
    weights = attribution.areal_weights(contours[["code_qp", "geometry"]], zones.drop(columns="exact"))
    weights["exact"] = weights["zone_id"].isin(set(zones.loc[zones["exact"], "zone_id"]))
    return weights


def iris_indicators(weights: pd.DataFrame, bdnb: pd.DataFrame, caf: pd.DataFrame,
                    contours: gpd.GeoDataFrame) -> pd.DataFrame:
    """DPE F/G and APL share of every contoured QPV (both generations), as plain IRIS estimates.

    ``weights`` comes from :func:`iris_weights`; ``bdnb`` and ``caf`` are the parsed IRIS tables
    (``sources.publishers.cstb.read_bdnb_iris``, ``insee.read_caf_iris``, or the same columns embedded in
    the bundle). An APL share rests only on IRIS whose allocataire **and** APL counts are published: a
    secret IRIS cell is left out of both the numerator and the denominator (never counted as 0), and the
    share is refused when those IRIS cover less than half of the QPV. Poverty, income and RSA of the QPV
    2024 are calibrated estimates (``loaders.qpv2024``), not computed here.
    """
    exact = weights["exact"].groupby(weights["code_qp"]).all()
    codes = contours["code_qp"].tolist()
    frames = []

    bdnb = bdnb.drop_duplicates("code_iris").set_index("code_iris")
    dpe = attribution.interpolate_rates(weights, bdnb, "logd_dpe_fg_pct_24", "logd_dpe_total_24", codes=codes)
    value, reason, detail = iris_estimate(dpe, exact)
    reason = reason.replace({reasons.SECRET: reasons.NO_DPE})  # a blank BDNB cell: no DPE recorded
    frames.append(value_rows("part_dpe_fg", codes, value.reindex(codes), reason.reindex(codes), "iris_dpe",
                             detail.reindex(codes)))

    caf = caf.drop_duplicates("code_iris").set_index("code_iris")
    both = caf[["A", "AAPL"]].dropna()  # an IRIS counts only with both counts published
    counts = attribution.interpolate_counts(weights, both, ["A", "AAPL"], codes=codes)
    share = 100 * counts["AAPL"] / counts["A"].where(counts["A"] > 0)
    result = pd.DataFrame({"value": share, "coverage": counts["A_coverage"],
                           "zone_coverage": _listed_share(weights, caf.index, codes)})
    value, reason, detail = iris_estimate(result, exact)
    frames.append(value_rows("part_allocataires_apl", codes, value.reindex(codes), reason.reindex(codes),
                             "iris_effectifs", detail.reindex(codes)))
    return pd.concat(frames, ignore_index=True)


def _listed_share(weights: pd.DataFrame, listed: pd.Index, codes: list[str]) -> pd.Series:
    """Share of each QPV lying in zones that the source lists (to tell 'not covered' from 'secret')."""
    share = weights["share_of_qpv"].where(weights["zone_id"].isin(listed), 0.0)
    return share.groupby(weights["code_qp"]).sum().clip(upper=1.0).reindex(codes, fill_value=0.0)


# --- LCZ and heat networks -----------------------------------------------------------------------


def lcz_indicator(lcz_cities: list[gpd.GeoDataFrame], contours: gpd.GeoDataFrame) -> pd.DataFrame:
    lcz = gpd.GeoDataFrame(pd.concat(lcz_cities, ignore_index=True), crs=lcz_cities[0].crs)
    share = attribution.lcz_share(contours[["code_qp", "geometry"]], lcz)
    refused = attribution.missing_reason(share, "part_surface_chaleur_forte", min_coverage=MIN_COVERAGE)
    # IRIS outside the nine cities, or without a class in the city file: outside the covered area (an
    # unclassified IRIS is absent from the source, not masked).
    reason = refused["raison"].replace({reasons.NOT_COVERED: reasons.OUTSIDE, reasons.SECRET: reasons.OUTSIDE})
    detail = ("IRIS classés couvrant " + (100 * share["coverage"]).round().astype("Int64").astype("string")
              + " % du quartier")
    return value_rows("part_surface_chaleur_forte", share["code_qp"].tolist(), refused["part_surface_chaleur_forte"],
                 reason, "lcz_surface", detail)


def heat_served_iris(source_dir: Path) -> pd.DataFrame:
    """IRIS with delivery points of a heat network (SDES 2023), one row per ``code_iris``."""
    heat = sdes.read_sdes_heat(_path(source_dir, "sdes_2023"), name=COPIES["sdes_2023"].path)
    served = sorted(set(heat.loc[(heat["filiere"] == "C"), "code_iris"]))
    return pd.DataFrame({"code_iris": pd.array(served, dtype="string")})


def heat_network_indicator(served: set[str], weights: pd.DataFrame, contours: gpd.GeoDataFrame) -> pd.DataFrame:
    """1 when an IRIS overlapping at least 5 % of the QPV has heat-network delivery points, else 0; a QPV
    that no IRIS contour reaches (overseas: no IRIS offline) is ``non_couvert``, never 0."""
    weights = weights[weights["share_of_qpv"] >= 0.05]  # ignore slivers from approximate contours
    hit = weights.assign(served=weights["zone_id"].isin(served)).groupby("code_qp")["served"].any()
    codes = contours["code_qp"].tolist()
    values = hit.reindex(codes).astype(float)
    why = np.where(values.isna(), reasons.NOT_COVERED, pd.NA)
    return value_rows("reseau_chaleur", codes, values, why, "iris_reseau")


# --- commune context: GASPAR ----------------------------------------------------------------------


def _families(codes: list[str], first_digits: tuple[str, ...]) -> int:
    return len({c[:2] for c in codes if c[:1] in first_digits and c[:2].isdigit()})


def _flood_types(codes: list[str]) -> int:
    subtypes = {c for c in codes if c.startswith("11") and len(c) == 3}
    return len(subtypes) if subtypes else int("11" in codes)


#: Regions covered by the offline GASPAR extract (the national archive fetched online covers all).
OFFLINE_GASPAR_REGIONS = frozenset({"76", "93"})


def gaspar_indicators(ddrm: pd.DataFrame, registry: pd.DataFrame, links: pd.DataFrame,
                      covered_regions: frozenset[str] | None = OFFLINE_GASPAR_REGIONS) -> pd.DataFrame:
    """Risk counts of the QPV's commune(s) (union of listed risks when a QPV spans several communes).

    ``ddrm`` is ``sources.publishers.georisques.read_gaspar_ddrm``'s table. The offline extract covers Occitanie and
    Provence-Alpes-Côte d'Azur: elsewhere the values are "not loaded"; with the national archive
    (``covered_regions=None``) a commune absent from the file is "not covered".
    """
    risks = dict(zip(ddrm["insee_com"], ddrm["risques"], strict=True))
    codes = registry["code_qp"].tolist()
    region = registry.set_index("code_qp")["insee_reg"]
    communes = links.groupby("code_qp")["insee_com"].apply(list)
    out = {"nb_risques_naturels": [], "nb_risques_inondation": [], "nb_risques_technologiques": []}
    why = []
    for code in codes:
        listed = [risks[c] for c in communes.get(code, []) if c in risks]
        if listed:
            union = sorted({r for item in listed for r in item})
            out["nb_risques_naturels"].append(_families(union, ("1",)))
            out["nb_risques_inondation"].append(_flood_types(union))
            out["nb_risques_technologiques"].append(_families(union, ("2", "3")))
            why.append(pd.NA)
        else:
            for values in out.values():
                values.append(np.nan)
            covered = covered_regions is None or region.get(code) in covered_regions
            why.append(reasons.NOT_COVERED if covered else reasons.NOT_LOADED)
    return pd.concat([value_rows(ind, codes, vals, why, "commune_contexte") for ind, vals in out.items()],
                     ignore_index=True)
