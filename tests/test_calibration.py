"""Calibration of the QPV 2024 IRIS estimates (``indicators.calibration``): synthetic data where the truth is
known, the verdict rule both ways, and the bundle's metrics recomputed from its own training table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators import calibration as cal
from indicators.rules import POVERTY_THRESHOLD_2019, poverty_rate_from_deciles
from loaders import qpv2024
from loaders.values import finish
from tests.conftest import OPENDATA, ROOT, needs_opendata

BUNDLE = ROOT / "data" / "bundle"
SPEC = cal.ModelSpec("test", "taux_pauvrete", "raw_taux_pauvrete", ("x1", "x2"), "identity", False, "coverage_pov",
                     "modèle de test")


def synthetic(n_groups: int = 60, per_group: int = 20, noise: float = 2.0, seed: int = 0) -> pd.DataFrame:
    """QPV-like rows: official = 5 + 0.8·raw + 3·x1 − 2·x2 + region effect + noise."""
    rng = np.random.default_rng(seed)
    n = n_groups * per_group
    group = np.repeat([f"{g:02d}" for g in range(n_groups)], per_group)
    region = np.array([f"r{int(g) % 4}" for g in group])
    region_effect = pd.Series({"r0": -2.0, "r1": 0.0, "r2": 1.0, "r3": 1.0})
    raw = rng.uniform(15, 50, n)
    x1, x2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    y = (5 + 0.8 * raw + 3 * x1 - 2 * x2 + region_effect[region].to_numpy() + rng.normal(0, noise, n))
    return pd.DataFrame({"insee_dep": group, "insee_reg": region, "raw_taux_pauvrete": raw, "x1": x1, "x2": x2,
                         "coverage_pov": 1.0, "taux_pauvrete": y, "qpv_population": 2000.0,
                         "pov_proxy_share": 0.0, "generation": 2015}, index=[f"QP{i:06d}" for i in range(n)])


def one_big_shifted_department() -> pd.DataFrame:
    """Half of the QPV in one département whose official values sit 12 points above what the inputs say (a
    local effect no input sees): held out, it is missed by 12 points and its intervals, learnt on the other
    départements, do not cover it."""
    data = synthetic(n_groups=20, per_group=20, noise=1.0, seed=5)
    big = synthetic(n_groups=1, per_group=400, noise=1.0, seed=6)
    big["insee_dep"], big["insee_reg"] = "99", "r3"
    big["taux_pauvrete"] += 12.0
    big.index = [f"QP9{i:05d}" for i in range(len(big))]
    return pd.concat([data, big])


def test_fit_recovers_known_coefficients():
    data = synthetic(noise=0.5)
    fitted = cal.fit(data, SPEC)
    coef = fitted.coefficients.set_index("terme")
    per_unit = coef["coefficient"] / coef["ecart_type"]
    assert per_unit["raw"] == pytest.approx(0.8, abs=0.02)
    assert per_unit["x1"] == pytest.approx(3.0, abs=0.05)
    assert per_unit["x2"] == pytest.approx(-2.0, abs=0.05)
    # Region terms are identified up to a constant: their differences are recovered (shrunk a little).
    assert coef.loc["region_r2", "coefficient"] - coef.loc["region_r0", "coefficient"] == pytest.approx(3.0, abs=0.2)


def test_nested_cv_equals_a_plain_refit_without_the_held_out_department():
    data = synthetic(n_groups=12, per_group=15, noise=1.0, seed=3)
    cv = cal.nested_cv(data, SPEC)
    held_out = "05"
    fitted = cal.fit(data[data["insee_dep"] != held_out], SPEC)
    refit = cal.predict(fitted, data[data["insee_dep"] == held_out])["estimate"]
    # Same model family, same data: only the standardisation (global vs training) differs, which
    # changes no prediction of a least-squares model with an intercept.
    assert cv.loc[refit.index, "estimate"].to_numpy() == pytest.approx(refit.to_numpy(), abs=1e-6)


def test_intervals_cover_about_90_percent_on_held_out_departments():
    data = synthetic(n_groups=60, per_group=25, noise=3.0, seed=1)
    cv = cal.nested_cv(data, SPEC)
    metrics = cal.error_metrics(cv, relative=False)
    assert 0.86 <= metrics["couverture_90"] <= 0.94
    assert abs(metrics["biais"]) < 0.3
    assert metrics["largeur_intervalle"] == pytest.approx(2 * 1.645 * 3.0, rel=0.15)


def test_regional_quantiles_only_with_enough_residuals():
    rng = np.random.default_rng(0)
    residuals = np.r_[rng.normal(0, 1, 200), rng.normal(0, 5, 30)]
    regions = np.array(["big"] * 200 + ["small"] * 30, dtype=object)
    table = cal.residual_quantiles(residuals, regions)
    assert table.loc["big", "regle"] == "region" and table.loc["small", "regle"] == "ensemble"
    assert table.loc["small", "q_haut"] == table.loc["*", "q_haut"]
    assert table.loc["big", "q_haut"] < table.loc["*", "q_haut"]


def test_verdict_both_ways_on_synthetic_data():
    good = cal.calibrate(synthetic(noise=2.0, seed=4), SPEC)
    assert good.retained and cal.meets_targets(good.metrics.iloc[0])
    bad = cal.calibrate(one_big_shifted_department(), SPEC)
    assert not bad.retained
    assert not cal.meets_targets(bad.metrics.iloc[0])


def test_a_missed_target_falls_back_to_an_unscored_iris_estimate():
    data = one_big_shifted_department()
    result = cal.calibrate(data, SPEC)
    assert not result.retained
    new = data.head(30).assign(generation=2024, taux_pauvrete=np.nan)
    new.index = [f"QN{i:06d}" for i in range(30)]
    rows = finish(qpv2024.estimate_rows({"taux_pauvrete": result}, new, list(new.index)))
    assert (rows["nature"] == "estimation_iris").all()
    assert not rows["score_autorise"].any() and rows["ic_bas"].isna().all()
    assert rows["valeur"].to_numpy() == pytest.approx(new["raw_taux_pauvrete"].to_numpy())
    assert rows["detail"].str.contains("biais mesuré").all()
    kept = cal.calibrate(synthetic(noise=2.0, seed=4), SPEC)
    rows = finish(qpv2024.estimate_rows({"taux_pauvrete": kept}, new, list(new.index)))
    assert (rows["nature"] == "estimation_calibree").all() and rows["score_autorise"].all()
    assert rows[["ic_bas", "ic_haut"]].notna().all().all()


def test_poverty_rate_from_deciles_exact_on_a_known_distribution():
    # Uniform incomes on [0, 30 000]: deciles every 3 000 €, share below 13 158 € = 43.86 %.
    deciles = np.arange(3000.0, 30000.0, 3000.0)[None, :]
    assert poverty_rate_from_deciles(deciles)[0] == pytest.approx(100 * POVERTY_THRESHOLD_2019 / 30000)
    assert np.isnan(poverty_rate_from_deciles(np.r_[deciles[0, :8], np.nan][None, :])[0])
    rich = (deciles + 20000.0)  # everyone above the threshold: extrapolated below D1, floored at 0
    assert poverty_rate_from_deciles(rich)[0] == 0.0


@needs_opendata
def test_poverty_rate_from_deciles_reproduces_published_iris_rates():
    from sources.publishers import insee

    filo = insee.read_filosofi_iris(OPENDATA / "stats/reference_iris/BASE_TD_FILO_DISP_IRIS_2019.csv", 2019)
    both = filo.dropna(subset=["taux_pauvrete", *[f"dec_{k}" for k in range(1, 10)]])
    recomputed = poverty_rate_from_deciles(both[[f"dec_{k}" for k in range(1, 10)]].to_numpy())
    error = recomputed - both["taux_pauvrete"].to_numpy()
    assert len(both) > 9000
    assert abs(error.mean()) < 0.15 and np.abs(error).mean() < 0.6


# --------------------------------------------------------------------------------------------------------
# The bundle: metrics recomputed from its training table, the verdict and the values agree
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_tables():
    names = ("calibration_donnees", "calibration_metriques", "calibration_coefficients", "calibration_quantiles",
             "valeurs")
    return {name: pd.read_parquet(BUNDLE / f"{name}.parquet") for name in names}


@pytest.mark.parametrize("indicator", list(cal.SPECS))
def test_bundle_metrics_are_recomputed_from_its_training_table(bundle_tables, indicator):
    data = bundle_tables["calibration_donnees"].set_index("code_qp")
    training = data[data["generation"] == 2015]
    spec = cal.SPECS[indicator]
    cv = cal.nested_cv(training, spec)
    metrics = cal.error_metrics(cv, spec.relative_errors)
    stored = bundle_tables["calibration_metriques"]
    stored = stored[(stored["indicateur"] == indicator) & (stored["evaluation"] == "lodo_imbrique")
                    & (stored["portee"] == "ensemble")].iloc[0]
    for key in ("n", "biais", "erreur_absolue_moyenne", "couverture_90", "largeur_intervalle"):
        assert metrics[key] == pytest.approx(stored[key], rel=1e-9, abs=1e-9), key
    assert metrics["n"] > 900
    # The verdict is the rule applied to these recomputed metrics, never a constant.
    retained = cal.meets_targets(metrics)
    assert bool(stored["retenu"]) == retained
    values = bundle_tables["valeurs"]
    q24 = values[values["code_qp"].str.startswith("QN") & (values["indicateur"] == indicator)]
    natures = set(q24["nature"].dropna())
    if retained:
        assert abs(metrics["biais"]) <= 1.0 and 0.85 <= metrics["couverture_90"] <= 0.95
        assert "estimation_calibree" in natures and "estimation_iris" not in natures
    else:
        assert "estimation_calibree" not in natures
        assert not q24.loc[q24["nature"] == "estimation_iris", "score_autorise"].any()


@pytest.mark.parametrize("indicator", list(cal.SPECS))
def test_calibrated_values_are_recomputed_from_the_stored_model(bundle_tables, indicator):
    data = bundle_tables["calibration_donnees"].set_index("code_qp")
    coefficients = bundle_tables["calibration_coefficients"]
    quantiles = bundle_tables["calibration_quantiles"]
    spec = cal.SPECS[indicator]
    fitted = cal.Fitted(spec, coefficients[coefficients["indicateur"] == indicator].reset_index(drop=True),
                        quantiles[quantiles["indicateur"] == indicator].set_index("region")
                        [["q_bas", "q_haut", "n_residus", "regle"]])
    values = bundle_tables["valeurs"]
    shown = values[(values["indicateur"] == indicator) & (values["nature"] == "estimation_calibree")]
    if shown.empty:
        pytest.skip(f"{indicator} n'est pas calibré dans le jeu embarqué")
    pred = cal.predict(fitted, data.loc[shown["code_qp"]], (0.0, 100.0) if spec.transform == "identity" else None)
    decimals = 1 if spec.transform == "identity" else 0
    for column, bundle_column in (("estimate", "valeur"), ("ic_bas", "ic_bas"), ("ic_haut", "ic_haut")):
        assert pred[column].round(decimals + 1).to_numpy() == pytest.approx(shown[bundle_column].to_numpy(),
                                                                            abs=10 ** -(decimals + 1)), column
    # A refit on the training table gives the same coefficients (nothing else went into them).
    refit = cal.fit(data[data["generation"] == 2015], spec)
    assert refit.coefficients["coefficient"].to_numpy() == pytest.approx(
        fitted.coefficients["coefficient"].to_numpy(), rel=1e-9)


def test_model_specifications_are_the_catalogue_s():
    from indicators import catalogue

    for indicator, spec in cal.SPECS.items():
        assert catalogue.get(indicator).calibration == spec.name
    assert {i.id for i in catalogue.CATALOGUE if i.calibratable} == set(cal.SPECS)
