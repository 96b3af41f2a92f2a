"""Indicator values that only the online update can compute (sources with no offline copy).

Same contract as ``loaders.spatial``: long rows ``code_qp, indicateur, valeur, raison_manquante,
methode, detail``, values outside the physical range flagged (never clipped), missing never zero.

* ``nb_arretes_catnat`` — distinct CatNat decrees of the QPV's commune(s) (GASPAR, or the Géorisques
  API): a commune of the national register without any decree has 0 decrees, a real zero;
* ``no2_moyenne``, ``pm25_moyenne`` — ADEME ``data_communes`` (Ineris background concentrations), the
  mean of the QPV's communes when it spans several (said in ``detail``);
* ``part_precarite_energetique`` — ADEME ``data_iris`` (GÉODIP 2017) interpolated from the IRIS that
  overlap the QPV, weighted by households (``men_total_weight``);
* QPV 2024 values published by INSEE for the 2024 generation (Filosofi 2021, RP 2020) replace the
  carried and estimated values when present, with nature ``officiel``, their own vintage and source.

The indicators here are declared ``online_only`` in the catalogue (or, for QPV 2024 INSEE values,
override estimates), so they are not listed in ``indicators.rules.RULES`` / ``spatial.GEO_INDICATORS``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from core import natures, reasons
from geodata import attribution
from indicators import catalogue
from loaders import spatial
from sources.publishers import georisques
from sources.registry import SOURCES

AIR = {"no2_moyenne": "moyenne_annuelle_de_concentration_de_no2_ugm3",
       "pm25_moyenne": "moyenne_annuelle_de_concentration_de_pm25_ugm3"}


def staged(staging: Path, key: str) -> Path | None:
    path = Path(staging) / SOURCES[key].stage[0]
    return path if path.is_file() else None


def _qpv_communes(links: pd.DataFrame, codes: list[str], parent: dict[str, str]) -> dict[str, list[str]]:
    grouped = links.groupby("code_qp")["insee_com"].apply(lambda s: list(dict.fromkeys(parent.get(c, c) for c in s)))
    return {c: grouped.get(c, []) for c in codes}


def catnat_rows(path: Path, registry: pd.DataFrame, links: pd.DataFrame, parent: dict[str, str]) -> pd.DataFrame:
    table = SOURCES["georisques_catnat"].parse(path, name=SOURCES["georisques_catnat"].label)
    decree = georisques.decree_keys(table)  # the date part: one decree at several clock times counts once
    communes = table["insee_com"].map(lambda c: parent.get(c, c))
    by_commune = pd.DataFrame({"insee_com": communes, "arrete": decree}).drop_duplicates()
    decrees = by_commune.groupby("insee_com")["arrete"].apply(set).to_dict()
    codes = registry["code_qp"].tolist()
    per_qpv = _qpv_communes(links, codes, parent)
    values, details = [], []
    for code in codes:
        union: set = set()
        for commune in per_qpv[code]:
            union |= decrees.get(commune, set())
        values.append(float(len(union)))
        details.append(("arrêtés des communes " if len(per_qpv[code]) > 1 else "arrêtés de la commune ")
                       + ", ".join(per_qpv[code]))
    return spatial.value_rows("nb_arretes_catnat", codes, values, [pd.NA] * len(codes), "commune_contexte", details)


def air_rows(path: Path, registry: pd.DataFrame, links: pd.DataFrame, parent: dict[str, str]) -> pd.DataFrame:
    table = SOURCES["ademe_data_communes"].parse(path)
    table["insee_com"] = table["code_commune_insee"].map(lambda c: parent.get(c, c))
    means = table.groupby("insee_com")[list(AIR.values())].mean()
    codes = registry["code_qp"].tolist()
    per_qpv = _qpv_communes(links, codes, parent)
    frames = []
    for indicator, column in AIR.items():
        values, why, details = [], [], []
        for code in codes:
            found = [means.at[c, column] for c in per_qpv[code] if c in means.index and pd.notna(means.at[c, column])]
            values.append(float(np.mean(found)) if found else np.nan)
            why.append(pd.NA if found else reasons.NOT_COVERED)
            details.append(f"moyenne de {len(found)} communes" if len(found) > 1 else pd.NA)
        frames.append(spatial.value_rows(indicator, codes, values, why, "commune_contexte", details))
    return pd.concat(frames, ignore_index=True)


def precarity_rows(path: Path, zones: gpd.GeoDataFrame | None, contours: gpd.GeoDataFrame) -> pd.DataFrame | None:
    if zones is None or contours.empty:
        return None
    table = SOURCES["ademe_data_iris"].parse(path).drop_duplicates("iris").set_index("iris")
    weights = attribution.areal_weights(contours[["code_qp", "geometry"]], zones.drop(columns="exact"))
    is_exact = weights["zone_id"].isin(set(zones.loc[zones["exact"], "zone_id"]))
    exact = is_exact.groupby(weights["code_qp"]).all()
    codes = contours["code_qp"].tolist()
    result = attribution.interpolate_rates(weights, table, "share_nrj_preca_log", "men_total_weight", codes=codes)
    value, reason, detail = spatial.iris_estimate(result, exact)
    rule = catalogue.get("part_precarite_energetique").attribution
    return spatial.value_rows("part_precarite_energetique", codes, value.reindex(codes), reason.reindex(codes), rule,
                             detail.reindex(codes))


#: The official INSEE files published for the QPV 2024 generation: source key → (detail of the rows,
#: vintage of the values). Their values replace carried and estimated ones (nature ``officiel``) and the
#: update measures how far those were (``loaders.update_report.calibration_check``).
OFFICIAL_2024 = {
    "insee_qpv2024_filosofi": ("Insee, Filosofi 2021 (QPV 2024)", "Filosofi 2021"),
    "insee_qpv2024_population": ("Insee, recensement 2020 (QPV 2024)", "RP 2020"),
}
OFFICIAL_2024_DETAILS = tuple(detail for detail, _ in OFFICIAL_2024.values())


def qpv2024_rows(staging: Path, registry: pd.DataFrame) -> list[pd.DataFrame]:
    """INSEE values published for QPV 2024 (nature ``officiel``): only where a value is published — a
    masked value (``nd``, ``s``…) leaves the estimate or carried value in place."""
    codes24 = registry.loc[registry["generation"] == 2024, "code_qp"].tolist()
    frames = []
    for key, (detail, vintage) in OFFICIAL_2024.items():
        path = staged(staging, key)
        if path is None or not codes24:
            continue
        source = SOURCES[key]
        concepts = source.params["columns"]
        table = source.parse(path, concepts, name=source.label)
        for concept in concepts:
            series = table[concept].reindex(codes24)
            present = series.dropna()
            if present.empty:
                continue
            rows = spatial.value_rows(concept, present.index.tolist(), present.to_numpy(),
                                      [pd.NA] * len(present), "direct", [detail] * len(present))
            rows["nature"] = natures.OFFICIAL
            rows["millesime"] = vintage
            rows["source"] = f"{source.publisher} — {source.label}"
            frames.append(rows)
    return frames


def online_rows(staging: Path, registry: pd.DataFrame, links: pd.DataFrame, contours: gpd.GeoDataFrame,
                zones: gpd.GeoDataFrame | None, parent: dict[str, str]) -> list[pd.DataFrame]:
    """Every row computable from the online-only sources staged for this update."""
    frames = []
    path = staged(staging, "georisques_catnat")
    if path is not None:
        frames.append(catnat_rows(path, registry, links, parent))
    path = staged(staging, "ademe_data_communes")
    if path is not None:
        frames.append(air_rows(path, registry, links, parent))
    path = staged(staging, "ademe_data_iris")
    if path is not None:
        rows = precarity_rows(path, zones, contours)
        if rows is not None:
            frames.append(rows)
    frames.extend(qpv2024_rows(staging, registry))
    return frames


def references(staging: Path, communes: pd.DataFrame) -> pd.DataFrame | None:
    """Comparison values fetched online: population of the communes (Melodi)."""
    path = staged(staging, "insee_melodi_population")
    if path is None:
        return None
    table = SOURCES["insee_melodi_population"].parse(path)
    table = table[table["valeur"].notna()]
    if table.empty:
        return None
    labels = communes.drop_duplicates("insee_com").set_index("insee_com")["lib_com"]
    return pd.DataFrame({
        "niveau": "COM", "code": table["code"].to_numpy(), "libelle": table["code"].map(labels).to_numpy(),
        "indicateur": "population", "valeur": table["valeur"].astype("float64").to_numpy(),
        "millesime": ("population municipale " + table["periode"].astype(str)).to_numpy(),
        "source": SOURCES["insee_melodi_population"].label,
    })


def extra_tables(staging: Path, codes: list[str]) -> dict[str, pd.DataFrame]:
    """Tables kept with the territory for later use (not indicators): QPV 2024↔2015, DPE labels."""
    out = {}
    path = staged(staging, "qpv2024_correspondance")
    if path is not None:
        table = SOURCES["qpv2024_correspondance"].parse(path, name=SOURCES["qpv2024_correspondance"].label)
        keep = table["code_qp_2024"].isin(codes) | table["code_qp_2015"].isin(codes)
        out["qpv_correspondance"] = table[keep].reset_index(drop=True)
    path = staged(staging, "ademe_dpe_communes")
    if path is not None:
        out["dpe_communes"] = SOURCES["ademe_dpe_communes"].parse(path)
    return out
