"""Calibration inputs computed by the pipeline: the IRIS table and, per QPV, raw IRIS estimates and covariates.

The same functions serve the QPV 2015 (where INSEE's official value is known and the calibration is
fitted, ``indicators.calibration``) and the QPV 2024 (where it is applied), so that the covariates of the
two generations are computed identically — a calibration is only valid if its inputs are built the same
way at fit and at prediction time. They start from the QPV × IRIS weights (``geodata.attribution.
areal_weights``: ``share_of_zone`` = part of the IRIS inside the QPV, ``share_of_qpv`` = part of the QPV
in the IRIS), which the bundle keeps (``qpv_iris_poids``) so the features can be recomputed without
geometry. Raw estimates and covariates are never shown as QPV values: only the calibrated estimate (or,
when the calibration misses its targets, the raw estimate labelled ``estimation_iris``) is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.rules import poverty_rate_from_deciles

DECILES = [f"dec_{k}" for k in range(1, 10)]
#: An IRIS counts as one of the QPV's IRIS (max/min/count covariates) above this share of the QPV area…
MAIN_IRIS_MIN_SHARE_OF_QPV = 0.05
#: … or when at least half of the IRIS lies inside the QPV (large QPV made of many IRIS).
MAIN_IRIS_MIN_SHARE_OF_ZONE = 0.5
#: Paris, Lyon and Marseille arrondissements → their commune (commune Filosofi values of the parent).
PLM_PARENT = {**{f"751{i:02d}": "75056" for i in range(1, 21)}, **{f"132{i:02d}": "13055" for i in range(1, 17)},
              **{f"6938{i}": "69123" for i in range(1, 10)}}


def commune_table(communes: pd.DataFrame, departements: pd.DataFrame) -> pd.DataFrame:
    """Filosofi 2019 per commune (index = code) and per département (index ``DEP<code>``): poverty rate
    recomputed from the published deciles (no rate is published offline), median, deciles.

    ``communes`` and ``departements`` are ``read_filosofi_territory`` frames with ``D119…D919`` and ``Q219``.
    """
    frames = []
    for prefix, table in (("", communes), ("DEP", departements)):
        deciles = table[["D119", "D219", "D319", "D419", "Q219", "D619", "D719", "D819", "D919"]].to_numpy(float)
        out = pd.DataFrame(index=pd.Index(prefix + table["code"].astype(str), name="code"))
        out["pov_rate"] = poverty_rate_from_deciles(deciles)
        out["median_income"] = table["Q219"].to_numpy(dtype="float64")
        for k, column in enumerate(DECILES):
            out[column] = deciles[:, k]
        frames.append(out)
    return pd.concat(frames)


def iris_table(filo: pd.DataFrame, caf: pd.DataFrame, bdnb: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """One row per IRIS code with every statistic the interpolation needs (index ``code_iris``).

    * ``pov_rate``: the published Filosofi 2019 rate, else the rate recomputed from the IRIS deciles
      (secret rates: INSEE always publishes the deciles), ``pov_source`` saying which;
    * an IRIS of a commune not split into IRIS (``XXXXX0000``) is the commune: commune values
      (``commune_non_irisee``);
    * IRIS of split communes absent from the Filosofi IRIS file (communes under 5,000 inhabitants) get
      their commune's value as a flagged proxy (``commune_petite_proxy``);
    * ``population``: RP 2022 (BDNB), missing → median of the commune's IRIS; ``social_housing_pct``;
    * CAF counts ``caf_a`` (allocataires), ``caf_arsas`` (RSA socle).
    """
    f = filo.drop_duplicates("code_iris").set_index("code_iris")
    c = caf.drop_duplicates("code_iris").set_index("code_iris")
    b = bdnb.drop_duplicates("code_iris").set_index("code_iris")
    codes = f.index.union(c.index).union(b.index)
    t = pd.DataFrame(index=pd.Index(codes, name="code_iris"))
    t["pov_published"] = f["taux_pauvrete"].reindex(codes)
    deciles = f[DECILES].reindex(codes).to_numpy(dtype="float64")
    t["pov_from_deciles"] = poverty_rate_from_deciles(deciles)
    t["median_income"] = f["revenu_median"].reindex(codes)
    for k, column in enumerate(DECILES):
        t[column] = deciles[:, k]
    t["pov_rate"] = t["pov_published"].fillna(t["pov_from_deciles"])
    t["pov_source"] = np.where(t["pov_published"].notna(), "publie",
                               np.where(t["pov_from_deciles"].notna(), "deciles", None))
    commune_of = pd.Series(t.index.str[:5], index=t.index)
    whole = t.index.str.endswith("0000") & t["pov_rate"].isna()
    small = (~whole) & t["pov_rate"].isna() & ~commune_of.isin(set(f.index.str[:5])).to_numpy()
    for mask, label in ((whole, "commune_non_irisee"), (small, "commune_petite_proxy")):
        codes_com = commune_of[mask]
        t.loc[mask, "pov_rate"] = communes["pov_rate"].reindex(codes_com).to_numpy()
        t.loc[mask, "median_income"] = communes["median_income"].reindex(codes_com).to_numpy()
        t.loc[mask, DECILES] = communes[DECILES].reindex(codes_com).to_numpy()
        t.loc[mask & t["pov_rate"].notna(), "pov_source"] = label
    t["caf_a"] = c["A"].reindex(codes)
    t["caf_arsas"] = c["ARSAS"].reindex(codes)
    t["population"] = b["P22_POP"].reindex(codes)
    t["social_housing_pct"] = b["log_lochlm_pct_22"].reindex(codes) if "log_lochlm_pct_22" in b else np.nan
    by_commune = t["population"].groupby(commune_of).transform("median")
    t["population"] = t["population"].fillna(by_commune).fillna(t["population"].median())
    return t


def _weighted_mean(values: pd.Series, weights: pd.Series, groups: pd.Series) -> pd.Series:
    """Σ w·x / Σ w per group over rows where both are known (NaN when no weight)."""
    ok = values.notna() & weights.notna() & (weights > 0)
    num = (values.where(ok, 0.0) * weights.where(ok, 0.0)).groupby(groups).sum()
    den = weights.where(ok, 0.0).groupby(groups).sum()
    return (num / den.where(den > 0)).astype("float64")


def _quantile_from_deciles(deciles: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Income at quantile ``level`` (0.1–0.9) by linear interpolation between deciles."""
    grid = np.arange(0.1, 1.0, 0.1)
    out = np.full(len(level), np.nan)
    for i, (row, q) in enumerate(zip(deciles, level, strict=True)):
        if np.isfinite(row).all() and np.isfinite(q):
            out[i] = np.interp(q, grid, row)
    return out


def interpolate(weights: pd.DataFrame, iris: pd.DataFrame) -> pd.DataFrame:
    """Raw IRIS interpolation and overlay covariates, one row per QPV (index ``code_qp``).

    Rates (poverty, median income, social housing) are averaged with weights ``share_of_zone × IRIS
    population`` (areal estimate of the IRIS population inside the QPV), falling back on area weights for
    QPV touching only IRIS without population; CAF counts are split by ``share_of_zone`` and the RSA share
    is the ratio of the split counts; coverage = part of the QPV covered by IRIS with a value.
    """
    w = weights.rename(columns={"zone_id": "code_iris"}).join(iris, on="code_iris")
    g = w["code_qp"]
    pop_w = w["share_of_zone"] * w["population"].clip(lower=0)
    out = pd.DataFrame(index=pd.Index(sorted(g.unique()), name="code_qp"))
    for name, column in (("raw_taux_pauvrete", "pov_rate"), ("raw_revenu_median", "median_income"),
                         ("iris_social_housing_pct", "social_housing_pct")):
        out[name] = _weighted_mean(w[column], pop_w, g).fillna(_weighted_mean(w[column], w["w_area"], g))
    has_caf = w["caf_a"].notna() & w["caf_arsas"].notna()
    a_split = (w["caf_a"] * w["share_of_zone"]).where(has_caf, 0.0).groupby(g).sum()
    rsa_split = (w["caf_arsas"] * w["share_of_zone"]).where(has_caf, 0.0).groupby(g).sum()
    out["raw_part_allocataires_rsa"] = 100.0 * rsa_split / a_split.where(a_split > 0)
    p = w["share_of_qpv"]
    out["coverage_pov"] = p.where(w["pov_rate"].notna(), 0.0).groupby(g).sum().clip(upper=1.0)
    out["coverage_rsa"] = p.where(has_caf, 0.0).groupby(g).sum().clip(upper=1.0)
    # 1 = the QPV is made of whole IRIS; small = its IRIS reach far beyond it (dilution).
    out["iris_inside_share"] = (p * w["share_of_zone"]).groupby(g).sum() / p.groupby(g).sum()
    proxy = w["pov_source"].eq("commune_petite_proxy").astype("float64").where(w["pov_rate"].notna())
    out["pov_proxy_share"] = _weighted_mean(proxy, pop_w, g)
    main = w[(w["share_of_qpv"] >= MAIN_IRIS_MIN_SHARE_OF_QPV) | (w["share_of_zone"] >= MAIN_IRIS_MIN_SHARE_OF_ZONE)]
    gm = main["code_qp"]
    out["n_iris"] = gm.value_counts().reindex(out.index).fillna(0).astype(int)
    out["iris_max_pov"] = main["pov_rate"].groupby(gm).max()
    out["iris_min_median_income"] = main["median_income"].groupby(gm).min()
    out["iris_max_rsa"] = (100.0 * main["caf_arsas"] / main["caf_a"].where(main["caf_a"] > 0)).groupby(gm).max()
    out["iris_pop_in_qpv"] = pop_w.groupby(g).sum()
    # Main commune (arrondissement in Paris, Lyon, Marseille) = the commune of the largest overlap.
    biggest = w.sort_values("w_area", ascending=False).drop_duplicates("code_qp").set_index("code_qp")
    out["main_commune"] = biggest["code_iris"].str[:5]
    return out


def zone_covariates(features: pd.DataFrame, zones: pd.DataFrame, communes: pd.DataFrame,
                    population: pd.Series) -> pd.DataFrame:
    """Covariates that do not come from the IRIS overlay: area, population, commune context.

    ``zones``: one row per QPV (``code_qp, insee_dep, insee_reg, area_ha``). ``commune_pov_rate`` is the
    poverty rate of the main commune (from its deciles), else of its parent commune (Paris, Lyon,
    Marseille), else of its département; ``log_pop_concentration`` = log(QPV population / areal estimate
    of the IRIS population inside the QPV), > 0 when people concentrate in the QPV.
    """
    z = zones.set_index("code_qp")
    out = z[["insee_dep", "insee_reg", "area_ha"]].join(features, how="inner")
    com = out["main_commune"]
    levels = (com, com.map(PLM_PARENT), "DEP" + out["insee_dep"].astype(str))
    out["commune_pov_rate"] = np.nan
    for codes in levels:
        values = communes["pov_rate"].reindex(codes).to_numpy()
        fill = out["commune_pov_rate"].isna().to_numpy() & np.isfinite(values)
        out.loc[fill, "commune_pov_rate"] = values[fill]
    out["commune_median_income"] = communes["median_income"].reindex(com).to_numpy()
    out["qpv_population"] = population.reindex(out.index)
    out["log_area_ha"] = np.log(out["area_ha"].where(out["area_ha"] > 0))
    ratio = out["qpv_population"] / out["iris_pop_in_qpv"]
    out["log_pop_concentration"] = np.log(ratio.where(ratio > 0)).clip(-3, 3)
    out["log_n_iris"] = np.log(out["n_iris"].where(out["n_iris"] > 0))
    return out


def dilution_covariates(weights: pd.DataFrame, iris: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """IRIS values corrected for the dilution of the QPV inside its IRIS (covariates, never shown).

    For IRIS i, ``f_i`` = estimated share of its population living in the QPV (share_of_zone × population
    concentration, within [0.01, 1]). Perfect sorting by income would make the QPV the poorest ``f_i`` of
    the IRIS (poverty rate r/f, median at the f/2 quantile); no sorting, the IRIS itself. The covariate sits
    half-way on the log scale (√f); the regression decides how much to trust it.
    """
    w = weights.rename(columns={"zone_id": "code_iris"}).join(iris, on="code_iris")
    concentration = (features["qpv_population"] / features["iris_pop_in_qpv"]).fillna(1.0)
    f = np.clip(w["code_qp"].map(concentration).fillna(1.0) * w["share_of_zone"], 0.01, 1.0)
    soft = np.sqrt(f)
    g = w["code_qp"]
    pop_w = w["share_of_zone"] * w["population"].clip(lower=0)
    out = pd.DataFrame(index=features.index)
    out["pov_dilution_corrected"] = _weighted_mean(np.minimum(100.0, w["pov_rate"] / soft), pop_w, g)
    rsa = 100.0 * w["caf_arsas"] / w["caf_a"].where(w["caf_a"] > 0)
    out["rsa_dilution_corrected"] = _weighted_mean(np.minimum(100.0, rsa / soft), w["share_of_zone"] * w["caf_a"], g)
    level = np.clip(0.5 * soft.to_numpy(), 0.1, 0.5)
    quantile = pd.Series(_quantile_from_deciles(w[DECILES].to_numpy(dtype="float64"), level), index=w.index)
    out["income_dilution_corrected"] = _weighted_mean(quantile, pop_w, g)
    return out


def features(weights: pd.DataFrame, iris: pd.DataFrame, communes: pd.DataFrame, zones: pd.DataFrame,
             population: pd.Series) -> pd.DataFrame:
    """Every calibration input per QPV of ``zones`` touching at least one IRIS (index ``code_qp``)."""
    if weights.empty:
        return pd.DataFrame(index=pd.Index([], name="code_qp"))
    feat = zone_covariates(interpolate(weights, iris), zones, communes, population)
    return feat.join(dilution_covariates(weights, iris, feat))
