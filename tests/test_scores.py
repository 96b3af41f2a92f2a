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
        (Method(domain_weights={"inconnu": 1.0}), "Domaine"),
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
