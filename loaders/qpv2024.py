"""Values of the QPV 2024, each with its nature, in the order of preference of ``core.natures``.

For every QPV 2024 and every indicator published per QPV (INSEE, Cnaf, RPLS…), the first available of:

1. ``officiel`` — published for this QPV: population and share of one-person households from the RP 2020
   population file (third-party copy, labelled « copie non officielle, à vérifier »); the INSEE QPV 2024
   files fetched online replace them later (``loaders.online_values``);
2. ``officiel_qpv2015_meme_perimetre`` — the official value of the QPV 2015 whose perimeter is the same
   (IoU ≥ 0.9 in the 2024 ↔ 2015 overlap table), with its own vintage and source, the 2015 code, name and
   IoU in ``detail``;
3. ``estimation_calibree`` — poverty rate, median income, RSA share: the IRIS estimate calibrated on the
   QPV 2015 (``indicators.calibration``), with its 90 % interval — only for an indicator whose nested
   leave-one-département-out metrics meet the targets;
4. ``estimation_iris`` — otherwise the plain IRIS estimate, with the bias measured on the QPV 2015 in
   ``detail`` (never scored: ``core.natures.allowed_in_scores``);
5. missing, with its reason.

The tables that let a test (or the online update) check all this without geometry are returned too:
the overlap table, the calibration data (features and official values), coefficients, interval
quantiles and metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import natures, reasons
from core.formats import format_number
from geodata import attribution
from indicators import calibration, catalogue
from indicators.rules import RULES

#: Two contours are "the same perimeter" from this intersection over union on.
SAME_PERIMETER_MIN_IOU = 0.9
POPULATION_SOURCE = "Insee, RP 2020 — copie non officielle, à vérifier"
POPULATION_VINTAGE = "RP 2020"
#: Source and vintage of a calibrated estimate (what it is made of).
CALIBRATED_SOURCES = {
    "taux_pauvrete": ("Estimation ecoqpv : Insee, Filosofi 2019 par IRIS, calibrée sur les QPV 2015 (Filosofi 2019)",
                      "Filosofi 2019 (périmètre 2024)"),
    "revenu_median": ("Estimation ecoqpv : Insee, Filosofi 2019 par IRIS, calibrée sur les QPV 2015 (Filosofi 2019)",
                      "Filosofi 2019 (périmètre 2024)"),
    "part_allocataires_rsa": ("Estimation ecoqpv : Cnaf, allocataires par IRIS, calibrée sur les QPV 2015 (Cnaf via "
                              "Insee, édition 2022)", "31/12/2020 (périmètre 2024)"),
}
#: Attribution rule of the plain IRIS estimate of each calibrated indicator (the fallback).
IRIS_RULES = {"taux_pauvrete": "iris_population", "revenu_median": "iris_population",
              "part_allocataires_rsa": "iris_effectifs"}
ROW_COLUMNS = ["code_qp", "indicateur", "valeur", "raison_manquante", "methode", "detail", "nature", "ic_bas",
               "ic_haut", "millesime", "source"]
#: Columns of the calibration data kept in the bundle (both generations; official values for 2015 only).
FEATURE_COLUMNS = sorted({c for spec in calibration.SPECS.values() for c in (spec.raw, spec.coverage, *spec.covariates)}
                         | {"qpv_population", "area_ha", "n_iris", "pov_proxy_share"})


def per_qpv_indicators() -> list[str]:
    """Indicators published per QPV 2015 (rules of ``indicators.rules``): those a QPV 2024 can carry."""
    return list(dict.fromkeys(rule.indicator for rule in RULES))


def training_table(features15: pd.DataFrame, features24: pd.DataFrame, rows15: pd.DataFrame,
                   registry: pd.DataFrame) -> pd.DataFrame:
    """The calibration data: one row per QPV with features (both generations), official values of the
    calibrated indicators for the QPV 2015 (NaN for 2024). Index ``code_qp``."""
    official = rows15[rows15["indicateur"].isin(list(calibration.SPECS))].pivot(
        index="code_qp", columns="indicateur", values="valeur")
    geo = registry.set_index("code_qp")[["insee_dep", "insee_reg", "generation"]]
    parts = []
    for frame in (features15, features24):
        part = frame.reindex(columns=FEATURE_COLUMNS).astype("float64")
        part = geo.reindex(part.index).join(part)
        parts.append(part)
    out = pd.concat(parts)
    for indicator in calibration.SPECS:
        out[indicator] = official[indicator].reindex(out.index) if indicator in official else np.nan
    out.loc[out["generation"] == 2024, list(calibration.SPECS)] = np.nan
    out.index.name = "code_qp"
    return out


def run_calibrations(data: pd.DataFrame, log=print) -> dict[str, calibration.Calibration]:
    """Nested cross-validation, research check and production fit of every calibrated indicator."""
    training = data[data["generation"] == 2015]
    deps = sorted(training.loc[training["taux_pauvrete"].notna() & training["raw_taux_pauvrete"].notna(),
                               "insee_dep"].astype(str).unique())
    _, final = calibration.split_groups(deps)
    out = {}
    for indicator, spec in calibration.SPECS.items():
        result = calibration.calibrate(training, spec, final)
        out[indicator] = result
        overall = result.metrics[(result.metrics["evaluation"] == "lodo_imbrique")
                                 & (result.metrics["portee"] == "ensemble")].iloc[0]
        log(f"Calibration {indicator} : biais {format_number(overall['biais'], 2)}, couverture "
            f"{format_number(100 * overall['couverture_90'], 1)} % — "
            f"{'retenue' if result.retained else 'non retenue (estimation IRIS non calibrée)'}.")
    return out


def calibration_tables(results: dict[str, calibration.Calibration]) -> dict[str, pd.DataFrame]:
    """Coefficients, interval quantiles and metrics of every calibrated indicator (bundle tables)."""
    coefficients, quantiles = [], []
    for indicator, result in results.items():
        coefficients.append(result.fitted.coefficients.assign(
            indicateur=indicator, modele=result.spec.name, transformation=result.spec.transform))
        quantiles.append(result.fitted.quantiles.reset_index().assign(indicateur=indicator,
                                                                      transformation=result.spec.transform))
    metrics = pd.concat([r.metrics for r in results.values()], ignore_index=True)
    return {
        "calibration_coefficients": pd.concat(coefficients, ignore_index=True),
        "calibration_quantiles": pd.concat(quantiles, ignore_index=True),
        "calibration_metriques": metrics,
    }


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=ROW_COLUMNS)


def _rows(codes, indicator: str, values, nature, rule: str, details=None, low=None, high=None, vintage=None,
          source=None, why=None) -> pd.DataFrame:
    n = len(codes)

    def column(value, default=pd.NA):
        if value is None:
            return [default] * n
        if np.ndim(value) == 0:
            return [value] * n
        return list(value)

    return pd.DataFrame({
        "code_qp": list(codes), "indicateur": indicator,
        "valeur": np.asarray(column(values, np.nan), dtype="float64"),
        "raison_manquante": column(why), "methode": rule, "detail": column(details), "nature": column(nature),
        "ic_bas": np.asarray(column(low, np.nan), dtype="float64"),
        "ic_haut": np.asarray(column(high, np.nan), dtype="float64"),
        "millesime": column(vintage), "source": column(source),
    })


def _alerts(features: pd.DataFrame) -> pd.Series:
    """Where the measured interval coverage is below 85 %: said next to the estimate."""
    texts = pd.Series("", index=features.index)
    small = features["qpv_population"] < calibration.SMALL_QPV_POPULATION
    proxy = features["pov_proxy_share"] > calibration.PROXY_SHARE_LIMIT
    texts[small.fillna(False)] += " ; intervalle probablement trop étroit : petit quartier (moins de 1 500 habitants)"
    texts[proxy.fillna(False)] += (" ; intervalle probablement trop étroit : valeurs d'IRIS remplacées par celles de "
                                   "petites communes")
    return texts


def carried_rows(matches: pd.DataFrame, rows15: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Official QPV 2015 values carried to the QPV 2024 of the same perimeter (present values, and the
    reason of a missing one), with the 2015 code, name and IoU in ``detail``."""
    if matches.empty:
        return _empty_rows()
    link = matches[["code_qp_2015", "iou"]].reset_index()
    wanted = rows15[rows15["indicateur"].isin(per_qpv_indicators())]
    carried = link.merge(wanted, left_on="code_qp_2015", right_on="code_qp", suffixes=("", "_15"))
    carried = carried.drop(columns="code_qp").rename(columns={"code_qp_2024": "code_qp"})
    names = carried["code_qp_2015"].map(labels).fillna("")
    iou = carried["iou"].map(lambda v: format_number(v, 2))
    carried["detail"] = ("valeur du QPV 2015 " + carried["code_qp_2015"] + " « " + names + " », de même périmètre "
                         "(recouvrement des contours " + iou + ")")
    present = carried["valeur"].notna()
    carried["nature"] = np.where(present, natures.OFFICIAL_2015_SAME_PERIMETER, pd.NA)
    carried["methode"] = "qpv2015_meme_perimetre"
    return carried.reindex(columns=ROW_COLUMNS)


def estimate_rows(results: dict[str, calibration.Calibration], data: pd.DataFrame, codes24: list[str]
                  ) -> pd.DataFrame:
    """Calibrated estimates (retained indicators) or plain IRIS estimates with their measured bias (the
    others), and missing values with their reason, for the QPV 2024 ``codes24``."""
    features = data.reindex(codes24)
    frames = []
    for indicator, result in results.items():
        spec = result.spec
        usable = calibration.usable_rows(features, spec)
        ind = catalogue.get(indicator)
        unit = "%" if spec.relative_errors else "points"
        if result.retained:
            pred = calibration.predict(result.fitted, features, ind.valid_range if ind.unit == "%" else None)
            pred = pred.round(ind.decimals + 1)  # a model's digits beyond this are noise
            ok = usable & pred["estimate"].notna()
            source, vintage = CALIBRATED_SOURCES[indicator]
            detail = ("estimation calibrée sur les QPV 2015 (modèle « " + spec.name + " »)" + _alerts(features))
            frames.append(_rows(pred.index[ok], indicator, pred.loc[ok, "estimate"], natures.CALIBRATED, "calibration",
                                detail[ok], pred.loc[ok, "ic_bas"], pred.loc[ok, "ic_haut"], vintage, source))
        else:
            ok = usable
            bias = format_number(result.raw_bias, 1)
            frames.append(_rows(features.index[ok], indicator, features.loc[ok, spec.raw], natures.IRIS_ESTIMATE,
                                IRIS_RULES[indicator], f"estimation par IRIS non calibrée : biais mesuré sur les QPV "
                                f"2015 de {bias} {unit} ; hors scores", vintage=ind.vintage, source=ind.source))
        touched = features[spec.raw].notna() | features[spec.coverage].notna()
        missing = ~ok
        no_iris = missing & ~touched
        low_cover = missing & touched
        frames.append(_rows(features.index[no_iris], indicator, np.nan, pd.NA, ind.rule_for(2024),
                            "aucun contour IRIS hors ligne pour ce quartier (outre-mer)", why=reasons.NOT_COVERED))
        frames.append(_rows(features.index[low_cover], indicator, np.nan, pd.NA, ind.rule_for(2024),
                            "les IRIS qui ont une valeur couvrent moins de la moitié du quartier",
                            why=reasons.NOT_COVERED))
    return pd.concat(frames, ignore_index=True)


def population_rows(population: pd.DataFrame, codes24: list[str]) -> pd.DataFrame:
    """Population and share of one-person households of the QPV 2024 from the RP 2020 copy (``officiel``)."""
    frames = []
    listed = population.index.intersection(codes24)
    for indicator in ("population", "part_menages_1pers"):
        series = population.loc[listed, indicator]
        present = series.dropna()
        frames.append(_rows(present.index, indicator, present, natures.OFFICIAL, "direct",
                            "population des QPV 2024, recensement 2020 (copie non officielle du fichier Insee)",
                            vintage=POPULATION_VINTAGE, source=POPULATION_SOURCE))
        blank = series.index[series.isna()]  # a blank INSEE cell is a masked value
        frames.append(_rows(blank, indicator, np.nan, pd.NA, "direct", "case vide du fichier de population des QPV "
                            "2024 (copie non officielle)", why=reasons.SECRET))
    return pd.concat(frames, ignore_index=True)


def first_available(candidates: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per (code_qp, indicateur): the first candidate frame (in order of preference) that has a value
    for it; when none has, the first one that gives a missing reason."""
    stacked = pd.concat([c.assign(_rank=k) for k, c in enumerate(candidates) if not c.empty], ignore_index=True)
    if stacked.empty:
        return _empty_rows()
    stacked["_missing"] = stacked["valeur"].isna()
    stacked = stacked.sort_values(["code_qp", "indicateur", "_missing", "_rank"], kind="stable")
    return stacked.drop_duplicates(["code_qp", "indicateur"]).drop(columns=["_rank", "_missing"]).reset_index(drop=True)


def qpv2024_rows(registry: pd.DataFrame, contours: pd.DataFrame, rows15: pd.DataFrame, population: pd.DataFrame,
                 data: pd.DataFrame, log=print) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every QPV 2024 value of the per-QPV and calibrated indicators, and the tables that document them.

    ``contours``: QPV shapes as read (``code_qp``, ``generation``, EPSG:4326); ``rows15``: the long rows of
    the QPV 2015 official values; ``data``: :func:`training_table`."""
    codes24 = registry.loc[registry["generation"] == 2024, "code_qp"].tolist()
    new = contours[contours["generation"] == 2024]
    old = contours[contours["generation"] == 2015]
    overlaps = attribution.overlap_table(new, old)
    matches = attribution.best_matches(overlaps, SAME_PERIMETER_MIN_IOU)
    log(f"Recouvrement 2024 ↔ 2015 : {len(matches)} QPV 2024 de même périmètre qu'un QPV 2015.")
    results = run_calibrations(data, log=log)
    labels = registry.set_index("code_qp")["lib_qp"]
    rows = first_available([population_rows(population, codes24), carried_rows(matches, rows15, labels),
                            estimate_rows(results, data, codes24)])
    tables = {"qpv_recouvrement": overlaps, "calibration_donnees": data.reset_index(),
              **calibration_tables(results)}
    return rows, tables
