"""Calibration of IRIS estimates of QPV values on the QPV 2015 whose official value is known — pure.

Why: a plain IRIS average is not a QPV value. QPV are the poorest part of their IRIS, so averaging IRIS
dilutes them (about −10 points of poverty rate). Where INSEE publishes the official value (QPV 2015), the
correction ``official ≈ f(raw IRIS estimate, covariates) + region term`` is learnt and its error measured
by leaving whole départements out — which is how it is used on the QPV 2024 (new perimeters, no official
value). Frames in, frames out: no file, no geometry (the covariates are computed by the pipeline, see
``loaders.calibration_features``).

The model of each indicator is fixed here (``SPECS``; the research that chose it is summarised in
``docs/methode.md``): ordinary least squares on a transformed scale (identity for rates, log for incomes),
region terms shrunk towards 0 by a ridge penalty of 5 pseudo-QPV. Fitting uses the normal equations;
cross-validation subtracts one département's sums from the totals, so that the **nested**
leave-one-département-out (for each held-out département, the interval quantiles come from a
leave-one-département-out run *inside* the other départements: the held-out département never informs
its own interval) costs a few thousand 26 × 26 solves.

Two simplifications against a textbook refit, both without effect on the predictions' honesty:

* inputs are standardised once with the means and standard deviations of the whole training table (the
  model has an intercept and only the region terms are penalised, so this reparametrisation does not
  change any prediction);
* a missing covariate is replaced by its median over the whole training table (covariates only, never
  a target: a held-out QPV's own covariates are known at prediction time anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Transform = Literal["identity", "log"]

#: Cross-validation groups (whole départements are left out) and region terms.
GROUP = "insee_dep"
REGION = "insee_reg"
#: Prediction interval level and the issue's acceptance targets on held-out départements.
LEVEL = 0.90
MAX_ABS_BIAS = 1.0  # points (rates) or % of the official value (incomes)
COVERAGE_RANGE = (0.85, 0.95)
#: A region gets its own interval quantiles with at least this many cross-validated residuals.
MIN_QPV_FOR_REGIONAL_INTERVAL = 80
#: Pseudo-QPV pulling each region term towards 0 (a region with 5 QPV gets a shrunk correction).
REGION_RIDGE = 5.0
#: The researcher's extra check: départements set aside by a seeded draw, never used to choose a model.
FINAL_CHECK_SEED = 20261206
FINAL_CHECK_SHARE = 0.2
#: Classes used to publish where the intervals are too narrow (conditional coverage).
SMALL_QPV_POPULATION = 1500
PROXY_SHARE_LIMIT = 0.5


@dataclass(frozen=True)
class ModelSpec:
    """What to fit for one indicator: target (= indicator id), raw IRIS estimate, covariates, scale."""

    name: str
    indicator: str
    raw: str
    covariates: tuple[str, ...]
    transform: Transform
    relative_errors: bool  # incomes: bias and MAE in % of the official value
    coverage: str  # share of the QPV covered by IRIS with a value (the 50 % rule of every IRIS estimate)
    description: str  # the model in plain French words (docs/methode.md)


_DILUTION = ("log_pop_concentration",)
SPECS: dict[str, ModelSpec] = {
    s.indicator: s
    for s in (
        ModelSpec(
            "lineaire_etendu", "taux_pauvrete", "raw_taux_pauvrete",
            ("iris_social_housing_pct", "iris_max_pov", "coverage_pov", "iris_inside_share", "raw_revenu_median",
             "commune_pov_rate", "log_area_ha", "log_n_iris", *_DILUTION, "pov_dilution_corrected",
             "pov_proxy_share"),
            "identity", False, "coverage_pov",
            "régression linéaire en points de pourcentage : le taux moyen des IRIS, corrigé par la part de "
            "logements sociaux des IRIS, le taux le plus élevé parmi les IRIS du quartier, le revenu médian des "
            "IRIS, le taux de pauvreté de la commune, la surface du quartier, le nombre d'IRIS qui le composent, "
            "la part de ces IRIS située dans le quartier, la concentration de la population dans le quartier, "
            "un taux des IRIS corrigé de la dilution et la part des valeurs prises à la commune, plus un terme "
            "par région",
        ),
        ModelSpec(
            "log_etendu", "revenu_median", "raw_revenu_median",
            ("iris_social_housing_pct", "iris_min_median_income", "coverage_pov", "iris_inside_share",
             "raw_taux_pauvrete", "commune_median_income", "log_area_ha", "log_n_iris", *_DILUTION,
             "income_dilution_corrected", "pov_proxy_share"),
            "log", True, "coverage_pov",
            "régression sur le logarithme du revenu (effets proportionnels) : le revenu médian moyen des IRIS, "
            "corrigé par leur taux de pauvreté, leur part de logements sociaux, le revenu médian le plus bas "
            "parmi les IRIS du quartier, le revenu médian de la commune, la surface du quartier, le nombre "
            "d'IRIS, la part de ces IRIS située dans le quartier, la concentration de la population, un revenu "
            "des IRIS corrigé de la dilution et la part des valeurs prises à la commune, plus un terme par "
            "région",
        ),
        ModelSpec(
            "lineaire_etendu", "part_allocataires_rsa", "raw_part_allocataires_rsa",
            ("iris_social_housing_pct", "iris_max_rsa", "coverage_rsa", "iris_inside_share", "raw_taux_pauvrete",
             "commune_pov_rate", "log_area_ha", "log_n_iris", *_DILUTION, "rsa_dilution_corrected",
             "pov_dilution_corrected"),
            "identity", False, "coverage_rsa",
            "régression linéaire en points de pourcentage : la part des allocataires au RSA socle calculée sur "
            "les effectifs Caf des IRIS, corrigée par la part la plus élevée parmi les IRIS du quartier, le "
            "taux de pauvreté des IRIS, leur part de logements sociaux, le taux de pauvreté de la commune, la "
            "surface du quartier, le nombre d'IRIS, la part de ces IRIS située dans le quartier, la "
            "concentration de la population et des valeurs des IRIS corrigées de la dilution, plus un terme "
            "par région",
        ),
    )
}
#: An IRIS estimate rests on IRIS covering at least this share of the quartier (as every IRIS estimate).
MIN_COVERAGE = 0.5


# --------------------------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------------------------


def to_scale(x, transform: Transform) -> np.ndarray:
    """Values (rates in %, incomes in €) on the scale where the model is linear."""
    x = np.asarray(x, dtype="float64")
    if transform == "identity":
        return x
    if transform == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.where(x > 0, x, np.nan))
    raise ValueError(f"transformation inconnue : {transform}")


def from_scale(z, transform: Transform) -> np.ndarray:
    z = np.asarray(z, dtype="float64")
    return z if transform == "identity" else np.exp(z)


# --------------------------------------------------------------------------------------------------------
# Design and fitting
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standardisation:
    """Fill values, means and scales of the inputs (from the training table), and the region terms."""

    inputs: tuple[str, ...]
    fill: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    regions: tuple[str, ...]


def usable_rows(frame: pd.DataFrame, spec: ModelSpec) -> pd.Series:
    """Rows that can be estimated: a raw IRIS estimate resting on IRIS covering ≥ 50 % of the QPV."""
    raw = pd.to_numeric(frame[spec.raw], errors="coerce")
    coverage = pd.to_numeric(frame[spec.coverage], errors="coerce").fillna(0.0)
    ok = raw.notna() & (coverage >= MIN_COVERAGE)
    if spec.transform == "log":
        ok &= raw > 0
    return ok


def _inputs(frame: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    columns = [to_scale(frame[spec.raw], spec.transform)]
    columns += [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64") for c in spec.covariates]
    return np.column_stack(columns)


def standardisation(training: pd.DataFrame, spec: ModelSpec) -> Standardisation:
    """Fill values (medians), means and standard deviations of the inputs over the usable training rows."""
    rows = training[usable_rows(training, spec) & training[spec.indicator].notna()]
    x = _inputs(rows, spec)
    fill = np.array([np.nanmedian(col) if np.isfinite(col).any() else 0.0 for col in x.T])
    filled = np.where(np.isfinite(x), x, fill)
    scales = filled.std(axis=0)
    regions = tuple(sorted(set(rows[REGION].dropna().astype(str))))
    return Standardisation(("raw", *spec.covariates), fill, filled.mean(axis=0), np.where(scales > 0, scales, 1.0),
                           regions)


def design(frame: pd.DataFrame, spec: ModelSpec, std: Standardisation) -> np.ndarray:
    """[1, standardised inputs, region one-hot] for every row of ``frame``."""
    x = _inputs(frame, spec)
    x = (np.where(np.isfinite(x), x, std.fill) - std.means) / std.scales
    region = frame[REGION].astype("string").fillna("").to_numpy(dtype=object)
    onehot = (region[:, None] == np.array(std.regions, dtype=object)[None, :]).astype("float64")
    return np.hstack([np.ones((len(frame), 1)), x, onehot])


def _penalty(std: Standardisation) -> np.ndarray:
    k = 1 + len(std.inputs)
    return np.diag(np.r_[np.zeros(k), np.full(len(std.regions), REGION_RIDGE)])


def _solve(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Batched solve of the normal equations; least squares where a system happens to be singular."""
    try:
        return np.linalg.solve(gram, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        if gram.ndim == 2:
            return np.linalg.lstsq(gram, rhs, rcond=None)[0]
        return np.stack([_solve(g, r) for g, r in zip(gram, rhs, strict=True)])


@dataclass
class _Sums:
    """Per-group sums of the normal equations of one spec on one table (rows with a target)."""

    z: np.ndarray          # design of the rows
    y: np.ndarray          # target on the model scale
    group_of_row: np.ndarray
    groups: np.ndarray     # group labels
    gram: np.ndarray       # (groups, p, p)
    rhs: np.ndarray        # (groups, p)
    penalty: np.ndarray
    region: np.ndarray
    index: pd.Index


def _sums(frame: pd.DataFrame, spec: ModelSpec, std: Standardisation) -> _Sums:
    rows = frame[usable_rows(frame, spec) & frame[spec.indicator].notna()]
    z = design(rows, spec, std)
    y = to_scale(rows[spec.indicator], spec.transform)
    groups, group_of_row = np.unique(rows[GROUP].astype(str).to_numpy(), return_inverse=True)
    p = z.shape[1]
    gram = np.zeros((len(groups), p, p))
    rhs = np.zeros((len(groups), p))
    np.add.at(gram, group_of_row, z[:, :, None] * z[:, None, :])
    np.add.at(rhs, group_of_row, z * y[:, None])
    return _Sums(z, y, group_of_row, groups, gram, rhs, _penalty(std),
                 rows[REGION].astype("string").fillna("").to_numpy(dtype=object), rows.index)


def _quantile_levels(n: int, level: float) -> tuple[float, float]:
    """Residual quantile levels with the (n + 1) / n finite-sample correction of split conformal intervals."""
    alpha = 1.0 - level
    return max(0.0, (alpha / 2) * (n + 1) / n - 1.0 / n), min(1.0, (1 - alpha / 2) * (n + 1) / n)


def residual_quantiles(residuals: np.ndarray, regions: np.ndarray, level: float = LEVEL,
                       min_per_region: int = MIN_QPV_FOR_REGIONAL_INTERVAL) -> pd.DataFrame:
    """Lower/upper residual quantiles per region (own quantiles with ≥ ``min_per_region`` residuals, else the
    pooled ones, row ``*``). Residuals are official − prediction on the model scale."""
    ok = np.isfinite(residuals)
    residuals, regions = residuals[ok], regions[ok]
    lo, hi = _quantile_levels(len(residuals), level)
    pooled = (float(np.quantile(residuals, lo)), float(np.quantile(residuals, hi)))
    rows = {"*": (*pooled, len(residuals), "ensemble")}
    for region in sorted(set(regions)):
        part = residuals[regions == region]
        if len(part) >= min_per_region:
            a, b = _quantile_levels(len(part), level)
            rows[region] = (float(np.quantile(part, a)), float(np.quantile(part, b)), len(part), "region")
        else:
            rows[region] = (*pooled, len(part), "ensemble")
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["q_bas", "q_haut", "n_residus", "regle"])
    out.index.name = "region"
    return out


def _interval(z: np.ndarray, regions: np.ndarray, quantiles: pd.DataFrame, transform: Transform
              ) -> tuple[np.ndarray, np.ndarray]:
    table = quantiles.reindex(pd.Index(regions.astype(str)))
    q_lo = table["q_bas"].fillna(quantiles.loc["*", "q_bas"]).to_numpy(dtype="float64")
    q_hi = table["q_haut"].fillna(quantiles.loc["*", "q_haut"]).to_numpy(dtype="float64")
    return from_scale(z + q_lo, transform), from_scale(z + q_hi, transform)


def _logo(s: _Sums, keep: np.ndarray) -> np.ndarray:
    """Leave-one-group-out predictions (model scale) for the rows of the groups in ``keep`` (bool per group),
    each from a model fitted on the other groups of ``keep``."""
    total_gram = s.gram[keep].sum(axis=0) + s.penalty
    total_rhs = s.rhs[keep].sum(axis=0)
    betas = _solve(total_gram[None] - s.gram[keep], total_rhs[None] - s.rhs[keep])
    position = np.full(len(s.groups), -1)
    position[keep] = np.arange(keep.sum())
    rows = keep[s.group_of_row]
    z = np.full(len(s.y), np.nan)
    z[rows] = np.einsum("ij,ij->i", s.z[rows], betas[position[s.group_of_row[rows]]])
    return z


def nested_cv(training: pd.DataFrame, spec: ModelSpec, groups: list[str] | None = None,
              level: float = LEVEL) -> pd.DataFrame:
    """Honest held-out estimates and intervals, one held-out département at a time (over ``groups``, all
    by default): the model is fitted on the other départements, and the interval quantiles come from a
    leave-one-département-out run inside those other départements.

    Returns one row per QPV 2015 with ``group``, ``region``, ``official``, ``raw``, ``estimate``, ``ic_bas``,
    ``ic_haut`` (index = ``code_qp`` of ``training``)."""
    std = standardisation(training if groups is None else training[training[GROUP].astype(str).isin(groups)],
                          spec)
    s = _sums(training, spec, std)
    chosen = np.ones(len(s.groups), dtype=bool) if groups is None else np.isin(s.groups, list(groups))
    est = np.full(len(s.y), np.nan)
    low = np.full(len(s.y), np.nan)
    high = np.full(len(s.y), np.nan)
    outer = _logo(s, chosen)
    for g in np.flatnonzero(chosen):
        inner_keep = chosen.copy()
        inner_keep[g] = False
        inner = _logo(s, inner_keep)
        inner_rows = inner_keep[s.group_of_row]
        quantiles = residual_quantiles(s.y[inner_rows] - inner[inner_rows], s.region[inner_rows], level)
        rows = s.group_of_row == g
        est[rows] = outer[rows]
        low[rows], high[rows] = _interval(outer[rows], s.region[rows], quantiles, spec.transform)
    return _cv_frame(training, spec, s, est, low, high)


def _cv_frame(training: pd.DataFrame, spec: ModelSpec, s: _Sums, z: np.ndarray, low: np.ndarray,
              high: np.ndarray) -> pd.DataFrame:
    rows = training.loc[s.index]
    out = pd.DataFrame({
        "group": rows[GROUP].astype(str).to_numpy(), "region": s.region.astype(str),
        "official": from_scale(s.y, spec.transform), "raw": pd.to_numeric(rows[spec.raw]).to_numpy(),
        "estimate": from_scale(z, spec.transform), "ic_bas": low, "ic_haut": high,
    }, index=s.index)
    return out[np.isfinite(out["estimate"].to_numpy())]


# --------------------------------------------------------------------------------------------------------
# Production fit: coefficients and interval quantiles, then estimates for new QPV
# --------------------------------------------------------------------------------------------------------


@dataclass
class Fitted:
    """The production model of one indicator: a long coefficient table and the interval quantiles."""

    spec: ModelSpec
    coefficients: pd.DataFrame  # terme, coefficient, moyenne, ecart_type, valeur_si_manquante
    quantiles: pd.DataFrame     # index region (``*`` pooled): q_bas, q_haut, n_residus, regle


def fit(training: pd.DataFrame, spec: ModelSpec, level: float = LEVEL) -> Fitted:
    """Fit on every usable training row; interval quantiles from its leave-one-département-out residuals."""
    std = standardisation(training, spec)
    s = _sums(training, spec, std)
    beta = _solve(s.gram.sum(axis=0) + s.penalty, s.rhs.sum(axis=0))
    logo = _logo(s, np.ones(len(s.groups), dtype=bool))
    quantiles = residual_quantiles(s.y - logo, s.region, level)
    names = ["constante", *std.inputs, *[f"region_{r}" for r in std.regions]]
    k = len(std.inputs)
    coefficients = pd.DataFrame({
        "terme": names, "coefficient": beta,
        "moyenne": np.r_[np.nan, std.means, np.full(len(std.regions), np.nan)],
        "ecart_type": np.r_[np.nan, std.scales, np.full(len(std.regions), np.nan)],
        "valeur_si_manquante": np.r_[np.nan, std.fill, np.full(len(std.regions), np.nan)],
    })
    assert len(coefficients) == 1 + k + len(std.regions)
    return Fitted(spec, coefficients, quantiles)


def standardisation_of(fitted: Fitted) -> Standardisation:
    """The standardisation stored in a coefficient table (so estimates can be recomputed from the bundle)."""
    table = fitted.coefficients
    inputs = table[~table["terme"].isin(["constante"]) & ~table["terme"].str.startswith("region_")]
    regions = tuple(t.removeprefix("region_") for t in table["terme"] if t.startswith("region_"))
    return Standardisation(tuple(inputs["terme"]), inputs["valeur_si_manquante"].to_numpy(dtype="float64"),
                           inputs["moyenne"].to_numpy(dtype="float64"), inputs["ecart_type"].to_numpy(dtype="float64"),
                           regions)


def predict(fitted: Fitted, features: pd.DataFrame, level_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """Calibrated estimate and 90 % interval for every usable row of ``features`` (others: NaN).

    ``level_range`` clips estimates and bounds to the indicator's physical range (a rate stays in
    [0, 100])."""
    spec = fitted.spec
    std = standardisation_of(fitted)
    z = design(features, spec, std) @ fitted.coefficients["coefficient"].to_numpy(dtype="float64")
    region = features[REGION].astype("string").fillna("*").to_numpy(dtype=object)
    low, high = _interval(z, region, fitted.quantiles, spec.transform)
    out = pd.DataFrame({"estimate": from_scale(z, spec.transform), "ic_bas": low, "ic_haut": high},
                       index=features.index)
    if level_range is not None:
        out = out.clip(lower=level_range[0], upper=level_range[1])
    return out.where(usable_rows(features, spec), np.nan)


# --------------------------------------------------------------------------------------------------------
# Metrics and verdict
# --------------------------------------------------------------------------------------------------------


def error_metrics(frame: pd.DataFrame, relative: bool, estimate_col: str = "estimate") -> dict[str, float]:
    """Bias, mean absolute error, shares within 2 and 5, interval coverage and width, pull towards the mean.

    ``relative`` (incomes): errors in % of the official value (and in euros alongside)."""
    f = frame.dropna(subset=["official", estimate_col])
    err = (f[estimate_col] - f["official"]).to_numpy(dtype="float64")
    official = f["official"].to_numpy(dtype="float64")
    out: dict[str, float] = {"n": float(len(f))}
    if not len(f):
        return out
    dev = 100.0 * err / official if relative else err
    out.update({"biais": float(dev.mean()), "erreur_absolue_moyenne": float(np.abs(dev).mean()),
                "part_a_2": float((np.abs(dev) <= 2).mean()), "part_a_5": float((np.abs(dev) <= 5).mean())})
    if relative:
        out.update({"biais_euros": float(err.mean()), "erreur_absolue_moyenne_euros": float(np.abs(err).mean())})
    if estimate_col == "estimate" and {"ic_bas", "ic_haut"} <= set(f.columns) and f["ic_bas"].notna().any():
        low, high = f["ic_bas"].to_numpy(dtype="float64"), f["ic_haut"].to_numpy(dtype="float64")
        out["couverture_90"] = float(((official >= low) & (official <= high)).mean())
        width = high - low
        out["largeur_intervalle"] = float((100.0 * width / f[estimate_col].to_numpy() if relative else width).mean())
    top = official >= np.quantile(official, 0.9)
    bottom = official <= np.quantile(official, 0.1)
    out["biais_decile_haut"] = float(dev[top].mean())
    out["biais_decile_bas"] = float(dev[bottom].mean())
    out["p90_officiel"] = float(np.quantile(official, 0.9))
    out["p90_estime"] = float(np.quantile(f[estimate_col].to_numpy(dtype="float64"), 0.9))
    return out


def meets_targets(metrics: dict[str, float] | pd.Series) -> bool:
    """The acceptance rule: |bias| ≤ 1 (point, or % for incomes) and 90 % coverage within 85–95 %."""
    bias, coverage = metrics.get("biais", np.nan), metrics.get("couverture_90", np.nan)
    return bool(np.isfinite(bias) and np.isfinite(coverage) and abs(bias) <= MAX_ABS_BIAS
                and COVERAGE_RANGE[0] <= coverage <= COVERAGE_RANGE[1])


def split_groups(groups, share: float = FINAL_CHECK_SHARE, seed: int = FINAL_CHECK_SEED
                 ) -> tuple[list[str], list[str]]:
    """Deterministic split of département codes into (selection, final check), as in the research."""
    labels = np.array(sorted(set(groups)))
    rng = np.random.default_rng(seed)
    final = sorted(rng.choice(labels, size=int(round(share * len(labels))), replace=False).tolist())
    return [g for g in labels.tolist() if g not in set(final)], final


def final_check(training: pd.DataFrame, spec: ModelSpec, final: list[str]) -> pd.DataFrame:
    """The research's extra check: fitted on the other départements (intervals from their
    leave-one-département-out residuals), evaluated on ``final`` — départements never used to choose."""
    in_final = training[GROUP].astype(str).isin(final)
    fitted = fit(training[~in_final], spec)
    test = training[in_final & training[spec.indicator].notna()]
    pred = predict(fitted, test)
    out = pd.DataFrame({"group": test[GROUP].astype(str), "region": test[REGION].astype(str),
                        "official": test[spec.indicator], "raw": pd.to_numeric(test[spec.raw])}).join(pred)
    return out.dropna(subset=["estimate"])


def metrics_table(frame: pd.DataFrame, spec: ModelSpec, evaluation: str, by: str | None = "region"
                  ) -> pd.DataFrame:
    """:func:`error_metrics` overall (scope ``ensemble``) and per ``by`` value, one row per scope."""
    rows = [{"evaluation": evaluation, "portee": "ensemble", **error_metrics(frame, spec.relative_errors)}]
    if by is not None:
        for key, part in frame.groupby(by, sort=True):
            rows.append({"evaluation": evaluation, "portee": str(key), **error_metrics(part, spec.relative_errors)})
    return pd.DataFrame(rows)


def conditional_metrics(cv: pd.DataFrame, training: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Metrics of the nested cross-validation by class of QPV: where the intervals are too narrow."""
    feats = training.reindex(cv.index)
    classes = {
        "petit_qpv": feats["qpv_population"] < SMALL_QPV_POPULATION,
        "grand_qpv": feats["qpv_population"] >= SMALL_QPV_POPULATION,
        "valeurs_communales": feats["pov_proxy_share"] > PROXY_SHARE_LIMIT,
        "valeurs_iris": feats["pov_proxy_share"].fillna(0) <= PROXY_SHARE_LIMIT,
    }
    rows = [{"evaluation": "lodo_imbrique_par_classe", "portee": name,
             **error_metrics(cv[mask.fillna(False).to_numpy()], spec.relative_errors)}
            for name, mask in classes.items()]
    return pd.DataFrame(rows)


@dataclass
class Calibration:
    """Everything the pipeline keeps about one indicator's calibration."""

    spec: ModelSpec
    fitted: Fitted
    cv: pd.DataFrame
    metrics: pd.DataFrame
    retained: bool  # meets the targets in the nested leave-one-département-out over all départements
    raw_bias: float  # measured bias of the plain IRIS estimate (shown next to a fallback value)


def calibrate(training: pd.DataFrame, spec: ModelSpec, final_groups: list[str] | None = None) -> Calibration:
    """Nested cross-validation over all départements (the verdict), the research's final check on
    ``final_groups`` (published, not part of the verdict), conditional metrics and the production fit."""
    cv = nested_cv(training, spec)
    raw = cv.assign(estimate=cv["raw"], ic_bas=np.nan, ic_haut=np.nan)
    parts = [metrics_table(cv, spec, "lodo_imbrique"), metrics_table(raw, spec, "brut_iris"),
             conditional_metrics(cv, training, spec)]
    parts[0].loc[parts[0]["portee"] == "ensemble", "ecart_type_departements"] = department_spread(
        cv, spec.relative_errors)
    if final_groups:
        check = final_check(training, spec, final_groups)
        reserved = metrics_table(check, spec, "controle_departements_reserves", by=None)
        reserved["ecart_type_departements"] = department_spread(check, spec.relative_errors)
        reserved["departements"] = ", ".join(sorted(final_groups))
        parts.append(reserved)
        parts.append(metrics_table(check.assign(estimate=check["raw"], ic_bas=np.nan, ic_haut=np.nan), spec,
                                   "controle_departements_reserves_brut_iris", by=None))
    metrics = pd.concat(parts, ignore_index=True)
    metrics.insert(0, "indicateur", spec.indicator)
    metrics.insert(1, "modele", spec.name)
    overall = metrics[(metrics["evaluation"] == "lodo_imbrique") & (metrics["portee"] == "ensemble")].iloc[0]
    raw_overall = metrics[(metrics["evaluation"] == "brut_iris") & (metrics["portee"] == "ensemble")].iloc[0]
    retained = meets_targets(overall)
    metrics["retenu"] = retained
    return Calibration(spec, fit(training, spec), cv, metrics, retained, float(raw_overall["biais"]))


def department_spread(cv: pd.DataFrame, relative: bool, min_qpv: int = 10) -> float:
    """Standard deviation of the mean error of départements with at least ``min_qpv`` QPV (shared errors)."""
    err = (cv["estimate"] - cv["official"]) * (100.0 / cv["official"] if relative else 1.0)
    by = err.groupby(cv["group"]).agg(["mean", "size"])
    return float(by.loc[by["size"] >= min_qpv, "mean"].std())
