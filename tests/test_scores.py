"""Scores: a hand-computed toy, properties that must always hold, and bad input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from indicators.scores import (
    ROBUST,
    Method,
    Structure,
    compute_scores,
    percentile_ranks,
)
from core.errors import BadArgumentError


@dataclass(frozen=True)
class Ind:
    id: str
    direction: int
    pillar: str
    domain: str


TOY_ITEMS = [
    Ind("chaleur_jours", 1, "Exposition", "chaleur"),
    Ind("inondation", 1, "Exposition", "risques"),
    Ind("pauvrete", 1, "Vulnérabilité", "revenus"),
    Ind("revenu", -1, "Vulnérabilité", "revenus"),
    Ind("age", 1, "Vulnérabilité", "age"),
]
TOY_DOMAINS = {"chaleur": "Exposition", "risques": "Exposition", "revenus": "Vulnérabilité",
               "age": "Vulnérabilité"}
TOY = Structure.from_catalogue(TOY_ITEMS, TOY_DOMAINS)


def toy_values() -> pd.DataFrame:
    """5 QPV; B and C tie on heat; D has no flood value."""
    return pd.DataFrame(
        {
            "chaleur_jours": [1, 2, 2, 4, 5],
            "inondation": [0, 1, 3, np.nan, 2],
            "pauvrete": [10, 20, 30, 40, 50],
            "revenu": [20000, 18000, 15000, 12000, 10000],
            "age": [5, 10, 15, 20, 25],
        },
        index=list("ABCDE"),
    )


def test_toy_hand_computed():
    out = compute_scores(toy_values(), TOY, Method(draws=200))
    # Ties take the average rank: B and C share rank 2.5 → 100·1.5/4.
    assert out["chaleur_jours_pct"].tolist() == pytest.approx([0, 37.5, 37.5, 75, 100])
    # D's missing flood value is not ranked; the 4 others spread over 0–100.
    assert np.isnan(out.loc["D", "inondation_pct"])
    assert out["inondation_pct"].drop("D").tolist() == pytest.approx([0, 100 / 3, 100, 200 / 3])
    # Direction −1: the lowest income is the least favourable (100).
    assert out["revenu_pct"].tolist() == pytest.approx([0, 25, 50, 75, 100])
    # Risks domain missing for D (quorum), Exposition still computed from the heat domain.
    assert np.isnan(out.loc["D", "dom_risques"])
    # E raw = [0, 35.42, 68.75, 75, 83.33] → scaled by the max (83.33).
    assert out["score_exposition"].tolist() == pytest.approx([0, 4.25, 8.25, 9.0, 10.0])
    assert out["score_vulnerabilite"].tolist() == pytest.approx([0, 2.5, 5.0, 7.5, 10.0])
    assert out["score_global"].tolist() == pytest.approx([0, 10.625, 41.25, 67.5, 100.0])
    assert out["rang"].tolist() == [5, 4, 3, 2, 1]
    assert out["nb_alertes"].tolist() == [0, 0, 1, 0, 4]
    assert (out["statut"] == "complet").all()
    assert (out["rang_p05"] <= out["rang"]).all() and (out["rang"] <= out["rang_p95"]).all()


def test_quorum_makes_a_qpv_partial_but_listed():
    values = toy_values()
    values.loc["E", ["pauvrete", "revenu", "age"]] = np.nan
    out = compute_scores(values, TOY, Method(draws=50))
    assert out.loc["E", "statut"] == "partiel"
    assert np.isnan(out.loc["E", "score_global"]) and np.isnan(out.loc["E", "rang"])
    assert out.loc["E", "score_exposition"] == pytest.approx(10.0)
    assert len(out) == 5


def test_seeded_monte_carlo_is_reproducible_and_robust_when_clear():
    a = compute_scores(toy_values(), TOY, Method(draws=300, seed=7))
    b = compute_scores(toy_values(), TOY, Method(draws=300, seed=7))
    pd.testing.assert_frame_equal(a, b)
    assert a.loc["E", "robustesse"] == ROBUST  # first under every method choice


def test_weights_change_the_ranking():
    values = toy_values()
    values["age"] = [25, 20, 15, 10, 5]  # reverse the age domain
    heavy_age = compute_scores(values, TOY, Method(domain_weights={"age": 10.0, "revenus": 0.1}, draws=0))
    heavy_income = compute_scores(values, TOY, Method(domain_weights={"age": 0.1, "revenus": 10.0}, draws=0))
    assert heavy_age["rang"].tolist() != heavy_income["rang"].tolist()


@pytest.mark.parametrize(
    ("method", "message"),
    [
        (Method(normalisation="rang"), "Normalisation"),
        (Method(aggregation="max"), "Agrégation"),
        (Method(domain_weights={"inconnu": 1.0}), "1 domaine inconnu dans les pondérations : inconnu"),
        (Method(domain_weights={"chaleur": -1.0}), "positifs"),
        (Method(domain_weights={"chaleur": 0.0, "risques": 0.0}), "pilier Exposition"),
    ],
)
def test_bad_methods_raise_french_errors(method, message):
    with pytest.raises(BadArgumentError, match=message):
        compute_scores(toy_values(), TOY, method)


def test_frame_smaller_than_five_is_refused():
    with pytest.raises(BadArgumentError, match="au moins 5"):
        compute_scores(toy_values().iloc[:4], TOY, Method())


# --- properties ---------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
matrix = arrays(np.float64, st.tuples(st.integers(5, 30), st.just(5)), elements=finite)
missing_masks = st.integers(0, 2**31 - 1)


def with_missing(x: np.ndarray, seed: int, share: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = x.copy()
    x[rng.random(x.shape) < share] = np.nan
    return pd.DataFrame(x, columns=TOY.indicators, index=[f"Q{i}" for i in range(len(x))])


prop = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@prop
@given(matrix, missing_masks)
def test_percentiles_within_bounds_and_missing_never_extreme(x, seed):
    frame = with_missing(x, seed)
    pct = percentile_ranks(frame.to_numpy(), TOY.directions)
    assert np.all((pct[~np.isnan(pct)] >= 0) & (pct[~np.isnan(pct)] <= 100))
    # A missing value has no percentile: it is neither scored best (0) nor worst (100).
    assert np.all(np.isnan(pct[np.isnan(frame.to_numpy())]))


@prop
@given(matrix, missing_masks, st.floats(min_value=1e-3, max_value=1e3))
def test_unit_scaling_does_not_change_percentiles(x, seed, factor):
    frame = with_missing(np.round(x, 3), seed)
    base = percentile_ranks(frame.to_numpy(), TOY.directions)
    scaled = percentile_ranks(frame.to_numpy() * factor, TOY.directions)
    np.testing.assert_allclose(base, scaled, equal_nan=True)


@prop
@given(matrix, missing_masks, st.integers(0, 29), st.integers(0, 4), st.floats(0.1, 1e5))
def test_worsening_an_indicator_never_lowers_the_score(x, seed, row, col, step):
    frame = with_missing(x, seed)
    row = row % len(frame)
    if np.isnan(frame.iat[row, col]):
        return
    before = compute_scores(frame, TOY, Method(draws=0))
    worse = frame.copy()
    worse.iat[row, col] += step * TOY.directions[col]  # less favourable in the indicator's direction
    after = compute_scores(worse, TOY, Method(draws=0))
    b, a = before["score_global"].iloc[row], after["score_global"].iloc[row]
    if not np.isnan(b):
        assert a >= b - 1e-9


@prop
@given(matrix, missing_masks)
def test_rank_interval_contains_rank(x, seed):
    out = compute_scores(with_missing(x, seed), TOY, Method(draws=40, seed=seed % 1000))
    scored = out["rang"].notna()
    assert (out.loc[scored, "rang_p05"] <= out.loc[scored, "rang"]).all()
    assert (out.loc[scored, "rang"] <= out.loc[scored, "rang_p95"]).all()
    assert out.loc[~scored, "rang_p05"].isna().all()


# --- honest robustness: data draws and pillars resting on one indicator (issue #10) ---------------

from indicators.scores import (  # noqa: E402
    FRAGILE,
    MIN_PILLAR_INDICATORS,
    RELIABILITY_DATA,
    RELIABILITY_ONE_INDICATOR,
    RELIABILITY_ROBUST,
    Uncertainty,
    draw_in_interval,
)


@dataclass(frozen=True)
class LabelledInd:
    id: str
    direction: int
    pillar: str
    domain: str
    label: str
    valid_range: tuple = (None, None)


WIDE_ITEMS = [
    LabelledInd("chaleur", 1, "Exposition", "chaleur", "Jours de forte chaleur"),
    LabelledInd("nuits", 1, "Exposition", "chaleur", "Nuits tropicales"),
    LabelledInd("pauvrete", 1, "Vulnérabilité", "revenus", "Taux de pauvreté", (0.0, 100.0)),
    LabelledInd("dpe", 1, "Vulnérabilité", "logement", "Part des logements classés F ou G", (0.0, 100.0)),
]
WIDE = Structure.from_catalogue(WIDE_ITEMS, {"chaleur": "Exposition", "revenus": "Vulnérabilité",
                                             "logement": "Vulnérabilité"})


def clear_frame(n: int = 40) -> pd.DataFrame:
    """n QPV ordered the same way by every indicator: QPV n-1 is first under any method."""
    base = np.arange(n, dtype=float)
    return pd.DataFrame({"chaleur": base, "nuits": base * 2, "pauvrete": 10 + base, "dpe": 5 + base / 2},
                        index=[f"Q{i:02d}" for i in range(n)])


def no_uncertainty(frame: pd.DataFrame) -> Uncertainty:
    def empty() -> pd.DataFrame:
        return pd.DataFrame(np.nan, index=frame.index, columns=frame.columns)

    return Uncertainty(low=empty(), high=empty(), estimated=empty().notna())


def test_a_pillar_resting_on_one_indicator_is_never_robust():
    frame = clear_frame()
    top = frame.index[-1]
    baseline = compute_scores(frame, WIDE, Method(draws=300), no_uncertainty(frame))
    assert baseline.loc[top, "fiabilite"] == RELIABILITY_ROBUST  # first everywhere, two indicators per pillar
    assert baseline.loc[top, "robustesse"] == ROBUST
    thin = frame.copy()
    thin.loc[top, "dpe"] = np.nan  # its Vulnérabilité now rests on the poverty rate alone
    uncertainty = no_uncertainty(thin)
    uncertainty.estimated.loc[top, "pauvrete"] = True
    out = compute_scores(thin, WIDE, Method(draws=300), uncertainty)
    assert out.loc[top, "statut"] == "complet" and out.loc[top, "rang"] == 1  # still ranked first…
    assert out.loc[top, "fiabilite"] == RELIABILITY_ONE_INDICATOR  # …but never called robust
    assert out.loc[top, "robustesse"] == FRAGILE
    assert out.loc[top, "fiabilite_texte"] == ("classement fragile : le pilier Vulnérabilité ne repose que sur un "
                                               "indicateur (taux de pauvreté), estimé.")
    assert out.loc[frame.index[-2], "fiabilite"] == RELIABILITY_ROBUST  # the others keep two indicators


def test_reliability_sentence_names_every_thin_pillar_and_an_exact_value_is_not_called_estimated():
    frame = clear_frame()
    top = frame.index[-1]
    frame.loc[top, ["nuits", "dpe"]] = np.nan
    # A quorum of one half: the heat domain is computed from one of its two indicators.
    out = compute_scores(frame, WIDE, Method(draws=100, quorum=0.5), no_uncertainty(frame))
    assert out.loc[top, "statut"] == "complet"
    text = out.loc[top, "fiabilite_texte"]
    assert "le pilier Exposition ne repose que sur un indicateur (jours de forte chaleur)" in text
    assert "le pilier Vulnérabilité ne repose que sur un indicateur (taux de pauvreté)" in text
    assert "estimé" not in text


finite_pos = st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False)


@prop
@given(arrays(np.float64, st.tuples(st.integers(6, 25), st.just(4)), elements=finite_pos), missing_masks)
def test_no_qpv_with_a_one_indicator_pillar_is_ever_robust(x, seed):
    rng = np.random.default_rng(seed)
    x = x.copy()
    x[rng.random(x.shape) < 0.3] = np.nan
    frame = pd.DataFrame(x, columns=WIDE.indicators, index=[f"Q{i}" for i in range(len(x))])
    out = compute_scores(frame, WIDE, Method(draws=30, seed=seed % 1000))
    pct = out[[f"{i}_pct" for i in WIDE.indicators]].notna().to_numpy()
    exposure = pct[:, :2].sum(axis=1)
    vulnerability = pct[:, 2:].sum(axis=1)
    thin = (np.minimum(exposure, vulnerability) < MIN_PILLAR_INDICATORS) & out["rang"].notna().to_numpy()
    assert not (out.loc[thin, "robustesse"] == ROBUST).any()
    assert (out.loc[thin, "fiabilite"] == RELIABILITY_ONE_INDICATOR).all()


def test_data_draws_widen_the_rank_interval_of_a_qpv_resting_on_estimates():
    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame({"chaleur": rng.normal(20, 4, n), "nuits": rng.normal(30, 6, n),
                          "pauvrete": rng.normal(40, 8, n), "dpe": rng.normal(15, 3, n)},
                         index=[f"Q{i:02d}" for i in range(n)])
    estimated_qpv = frame.index[10]
    exact = compute_scores(frame, WIDE, Method(draws=400), no_uncertainty(frame))
    uncertainty = no_uncertainty(frame)
    for column, half_width in (("pauvrete", 15.0), ("dpe", 6.0)):
        uncertainty.low.loc[estimated_qpv, column] = frame.loc[estimated_qpv, column] - half_width
        uncertainty.high.loc[estimated_qpv, column] = frame.loc[estimated_qpv, column] + half_width
        uncertainty.estimated.loc[estimated_qpv, column] = True
    drawn = compute_scores(frame, WIDE, Method(draws=400), uncertainty)

    def width(out):
        return out.loc[estimated_qpv, "rang_p95"] - out.loc[estimated_qpv, "rang_p05"]

    assert width(drawn) > width(exact) + 5
    # The point scores do not move: only the interval carries the data uncertainty.
    pd.testing.assert_series_equal(drawn["score_global"], exact["score_global"])
    if exact.loc[estimated_qpv, "fiabilite"] == RELIABILITY_ROBUST:
        assert drawn.loc[estimated_qpv, "fiabilite"] == RELIABILITY_DATA


def test_a_rank_that_only_the_estimates_make_fragile_says_so():
    frame = clear_frame(40)
    target = frame.index[-1]  # first under every method
    uncertainty = no_uncertainty(frame)
    uncertainty.low.loc[target, ["pauvrete", "dpe"]] = 0.0  # intervals spanning the whole range
    uncertainty.high.loc[target, ["pauvrete", "dpe"]] = 100.0
    uncertainty.estimated.loc[target, ["pauvrete", "dpe"]] = True
    out = compute_scores(frame, WIDE, Method(draws=400), uncertainty)
    assert out.loc[target, "fiabilite"] == RELIABILITY_DATA
    assert out.loc[target, "robustesse"] == FRAGILE
    assert out.loc[target, "fiabilite_texte"].startswith("classement fragile : le rang dépend de l'incertitude "
                                                         "des valeurs estimées")


def test_draws_in_an_interval_keep_the_estimate_as_median_and_the_interval_at_90_percent():
    z = np.random.default_rng(0).standard_normal(200_000)
    drawn = draw_in_interval(np.full_like(z, 40.0), np.full_like(z, 31.0), np.full_like(z, 55.0), z)
    assert np.median(drawn) == pytest.approx(40.0, abs=0.1)
    assert np.mean(drawn < 31.0) == pytest.approx(0.05, abs=0.005)
    assert np.mean(drawn > 55.0) == pytest.approx(0.05, abs=0.005)
    # A share never leaves 0-100 %, however wide its interval.
    bounded = draw_in_interval(np.full_like(z, 3.0), np.full_like(z, 0.5), np.full_like(z, 30.0), z,
                               np.tile([0.0, 100.0], (len(z), 1)))
    assert bounded.min() >= 0.0 and bounded.max() <= 100.0
    assert np.mean(bounded == 0.0) > 0.01  # clipped, not redrawn


def test_a_qpv_without_any_value_has_no_alert_count_and_is_not_ranked():
    frame = clear_frame()
    frame.loc["Q05"] = np.nan
    out = compute_scores(frame, WIDE, Method(draws=50))
    row = out.loc["Q05"]
    assert np.isnan(row["nb_alertes"])  # never a reassuring 0
    assert row["nb_indicateurs"] == 0
    assert row["statut"] == "partiel" and np.isnan(row["rang"])
    assert row["fiabilite"] == "non_classe" and pd.isna(row["robustesse"])
    assert row["fiabilite_texte"] == ("non classé : données insuffisantes pour calculer les piliers Exposition et "
                                      "Vulnérabilité.")
    assert out.loc["Q06", "nb_alertes"] == 0  # a QPV with values can have no alert


def test_an_indicator_known_for_too_few_qpv_of_the_frame_stays_out_of_its_scores():
    frame = clear_frame(15)
    sparse = frame.copy()
    sparse.loc[sparse.index[4:], "dpe"] = np.nan  # known for 4 QPV of 15: less than a third
    out = compute_scores(sparse, WIDE, Method(draws=0))
    assert out["dpe_pct"].isna().all()
    assert set(out["indicateurs_hors_cadre"]) == {"dpe"}
    assert out["statut"].eq("complet").all()  # compared on the same indicators, none left partial
    kept = compute_scores(sparse.iloc[:10], WIDE, Method(draws=0))  # 4 of 10: kept
    assert kept["dpe_pct"].notna().sum() == 4 and set(kept["indicateurs_hors_cadre"]) == {""}
    everything = compute_scores(sparse, WIDE, Method(draws=0, min_coverage=0.0))
    assert everything["dpe_pct"].notna().sum() == 4
    with pytest.raises(BadArgumentError, match="part minimale"):
        compute_scores(sparse, WIDE, Method(min_coverage=1.5))


def test_a_domain_left_out_while_some_of_its_values_are_known_is_said():
    items = [LabelledInd("h1", 1, "Exposition", "chaleur", "Jours chauds"),
             LabelledInd("h2", 1, "Exposition", "chaleur", "Nuits chaudes"),
             LabelledInd("p1", 1, "Vulnérabilité", "revenus", "Taux de pauvreté"),
             LabelledInd("p2", -1, "Vulnérabilité", "revenus", "Revenu médian"),
             LabelledInd("p3", 1, "Vulnérabilité", "revenus", "Allocataires du RSA"),
             LabelledInd("l1", 1, "Vulnérabilité", "logement", "Logements F ou G"),
             LabelledInd("l2", 1, "Vulnérabilité", "logement", "Logements anciens"),
             LabelledInd("a1", 1, "Vulnérabilité", "age", "Personnes seules")]
    structure = Structure.from_catalogue(
        items, {"chaleur": "Exposition", "revenus": "Vulnérabilité", "logement": "Vulnérabilité",
                "age": "Vulnérabilité"}, {"revenus": "Pauvreté et revenus"})
    base = np.arange(30, dtype=float)
    frame = pd.DataFrame({i.id: base * (1 if i.direction > 0 else -1) + 100 for i in items},
                         index=[f"Q{i:02d}" for i in range(30)])
    top = frame.index[-1]
    frame.loc[top, ["p2", "p3"]] = np.nan  # one poverty value of three: below the domain's quorum
    out = compute_scores(frame, structure, Method(draws=200))
    assert np.isnan(out.loc[top, "dom_revenus"]) and out.loc[top, "statut"] == "complet"
    assert out.loc[top, "fiabilite"] == "domaine_non_calcule" and out.loc[top, "robustesse"] == FRAGILE
    assert out.loc[top, "fiabilite_texte"] == (
        "classement fragile : le domaine « Pauvreté et revenus » n'est pas calculé (1 de ses 3 indicateurs connus : "
        "taux de pauvreté) ; ces valeurs n'entrent pas dans le score.")
    assert out.loc[frame.index[-2], "fiabilite"] == RELIABILITY_ROBUST
