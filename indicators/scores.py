"""Transparent composite scores: percentiles → domains → pillars → Exposition × Vulnérabilité.

Method (``shared/docs/method-anchors.md`` §6, summarised in ``docs/methode.md``):

* each indicator is turned into a direction-aware percentile rank within a **reference frame**
  (by default all QPV of the same generation: 2015 and 2024 QPV are never ranked together);
  ties take the average rank; a missing value stays missing and is never ranked best or worst;
* a domain is the weighted mean of its available indicator percentiles, computed only when the
  available indicators carry at least ``quorum`` of the domain's weight;
* a pillar (Exposition, Vulnérabilité) is the weighted mean of its computed domains, when at least
  half of its domains are computed; both are rescaled to 0–10 by the frame's maximum;
* ``score_global`` = Exposition* × Vulnérabilité* (0–100): high only when both are high;
* ``nb_alertes`` counts indicators at or above the 80th percentile;
* robustness: a seeded Monte Carlo over domain weights (Dirichlet around the chosen ones),
  normalisation (percentile / min-max / z-score) and aggregation (arithmetic / geometric) gives
  each QPV a 90 % rank interval and a badge.

Everything is vectorised with numpy over (QPV × indicators) and (draws × QPV) arrays.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import BadArgumentError

NORMALISATIONS = ("percentile", "minmax", "zscore")
AGGREGATIONS = ("arithmetique", "geometrique")
MIN_FRAME = 5
#: An indicator enters a frame's scores when at least this many QPV of the frame have a value.
MIN_VALUES = 3
ROBUST = "robuste"
SENSITIVE = "sensible aux choix de méthode"


@dataclass(frozen=True)
class Method:
    """Every choice that shapes a score; printed in exports so an annex can cite it."""

    domain_weights: dict[str, float] = field(default_factory=dict)  # empty → equal weights
    normalisation: str = "percentile"
    aggregation: str = "arithmetique"
    alert_threshold: float = 80.0
    quorum: float = 2 / 3
    pillar_quorum: float = 0.5
    draws: int = 1000
    seed: int = 2024
    concentration: float = 20.0
    #: Robust when the 90 % rank interval spans at most this share of the frame.
    narrow_share: float = 0.10

    def validate(self, domains: list[str], pillar_of: dict[str, str] | None = None) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise BadArgumentError(
                f"Normalisation « {self.normalisation} » inconnue : choisir parmi {', '.join(NORMALISATIONS)}."
            )
        if self.aggregation not in AGGREGATIONS:
            raise BadArgumentError(
                f"Agrégation « {self.aggregation} » inconnue : choisir parmi {', '.join(AGGREGATIONS)}."
            )
        unknown = sorted(set(self.domain_weights) - set(domains))
        if unknown:
            raise BadArgumentError(f"Domaine(s) inconnu(s) dans les pondérations : {', '.join(unknown)}.")
        weights = np.array(list(self.domain_weights.values()), dtype=float)
        if len(weights) and (np.any(~np.isfinite(weights)) or np.any(weights < 0)):
            raise BadArgumentError("Les pondérations doivent être des nombres positifs ou nuls.")
        for pillar in sorted(set((pillar_of or {}).values())):
            members = [d for d in domains if (pillar_of or {}).get(d) == pillar]
            if members and sum(float(self.domain_weights.get(d, 1.0)) for d in members) <= 0:
                raise BadArgumentError(
                    f"Les pondérations des domaines du pilier {pillar} sont toutes nulles : leur somme doit "
                    "être strictement positive."
                )
        if self.draws < 0:
            raise BadArgumentError("Le nombre de tirages doit être positif.")


@dataclass(frozen=True)
class Structure:
    """The catalogue as arrays: which indicator feeds which domain, which domain which pillar."""

    indicators: list[str]
    directions: np.ndarray  # (k,) +1 / -1
    domains: list[str]
    domain_of: np.ndarray  # (k,) index into domains
    pillars: list[str]  # ["Exposition", "Vulnérabilité"]
    pillar_of: np.ndarray  # (d,) index into pillars

    def restricted(self, keep: np.ndarray) -> Structure:
        """The structure without the indicators not kept (and without the domains left empty)."""
        indicators = [i for i, k in zip(self.indicators, keep, strict=True) if k]
        used = sorted({int(self.domain_of[j]) for j in np.flatnonzero(keep)})
        domains = [self.domains[j] for j in used]
        return Structure(
            indicators=indicators,
            directions=self.directions[keep],
            domains=domains,
            domain_of=np.array([used.index(int(self.domain_of[j])) for j in np.flatnonzero(keep)], dtype=int),
            pillars=self.pillars,
            pillar_of=self.pillar_of[used],
        )

    def domain_pillars(self) -> dict[str, str]:
        return {d: self.pillars[self.pillar_of[j]] for j, d in enumerate(self.domains)}

    @classmethod
    def from_catalogue(cls, items, domain_pillars: dict[str, str]) -> Structure:
        scored = [i for i in items if getattr(i, "scored", i.direction != 0 and i.pillar in ("Exposition", "Vulnérabilité"))]
        domains = list(dict.fromkeys(i.domain for i in scored))
        pillars = ["Exposition", "Vulnérabilité"]
        return cls(
            indicators=[i.id for i in scored],
            directions=np.array([i.direction for i in scored], dtype=float),
            domains=domains,
            domain_of=np.array([domains.index(i.domain) for i in scored]),
            pillars=pillars,
            pillar_of=np.array([pillars.index(domain_pillars[d]) for d in domains]),
        )


# --- normalisation ------------------------------------------------------------------------------


def percentile_ranks(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Column-wise percentile ranks in [0, 100], ``100·(rank−1)/(n−1)``, ties → average rank.

    ``direction`` −1 flips the order so that 100 is always the least favourable situation. Missing
    values stay NaN; a column with fewer than two values has no percentile.
    """
    oriented = x * directions
    ranks = pd.DataFrame(oriented).rank(method="average", axis=0).to_numpy()
    n_valid = np.sum(~np.isnan(oriented), axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * (ranks - 1.0) / (n_valid - 1.0)
    pct[:, n_valid < 2] = np.nan
    return pct


def minmax_scores(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    oriented = x * directions
    with warnings.catch_warnings():  # an all-missing column is expected: it stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(oriented, axis=0), np.nanmax(oriented, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 100.0 * (oriented - low) / (high - low)
    out[:, ~(high > low)] = np.nan
    return out


def zscore_scores(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Winsorised (1st–99th percentile) z-scores mapped to 0–100 through min–max, for comparability."""
    oriented = x * directions
    with warnings.catch_warnings():  # an all-missing column is expected: it stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        q1, q99 = np.nanpercentile(oriented, [1, 99], axis=0)
        clipped = np.clip(oriented, q1, q99)
        mean, std = np.nanmean(clipped, axis=0), np.nanstd(clipped, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (clipped - mean) / std
    z[:, ~(std > 0)] = np.nan
    return minmax_scores(z, np.ones_like(directions))


def normalise(x: np.ndarray, directions: np.ndarray, method: str) -> np.ndarray:
    if x.shape[1] == 0:  # a frame where no indicator has enough values
        return x.copy()
    if method == "percentile":
        return percentile_ranks(x, directions)
    if method == "minmax":
        return minmax_scores(x, directions)
    if method == "zscore":
        return zscore_scores(x, directions)
    raise BadArgumentError(f"Normalisation « {method} » inconnue.")


# --- aggregation --------------------------------------------------------------------------------


def domain_scores(p: np.ndarray, structure: Structure, quorum: float) -> np.ndarray:
    """(n, d) domain means of available indicator scores; NaN below the quorum of available weight."""
    n, d = p.shape[0], len(structure.domains)
    member = np.zeros((p.shape[1], d))
    member[np.arange(p.shape[1]), structure.domain_of] = 1.0
    available = ~np.isnan(p)
    total = available.astype(float) @ member
    sums = np.where(available, p, 0.0) @ member
    size = member.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / total
    out[(total < 1) | (total / size < quorum - 1e-9)] = np.nan
    return out.reshape(n, d)


def _pillar(values: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """Weighted mean of ``values`` (n, d) over available domains, ignoring NaN.

    ``weights`` is (d,) for one method or (S, d) for S Monte Carlo draws (result (S, n)); matrix
    products keep the draws vectorised without materialising (S, n, d) arrays.
    """
    available = ~np.isnan(values)
    if aggregation == "geometrique":
        terms = np.where(available, np.log(np.clip(np.where(available, values, 1.0), 1.0, None)), 0.0)
    else:
        terms = np.where(available, values, 0.0)
    num = weights @ terms.T
    den = weights @ available.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / den
    return np.exp(mean) if aggregation == "geometrique" else mean


def _scaled(pillar: np.ndarray) -> np.ndarray:
    """Rescale to 0–10 by the maximum over the QPV (last axis)."""
    top = np.nanmax(np.where(np.isnan(pillar), -np.inf, pillar), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(top > 0, 10.0 * pillar / top, np.nan)


def rank_desc(values: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = highest value; NaN stays NaN. Ties share the average rank."""
    frame = pd.DataFrame(np.atleast_2d(values).T)
    ranks = frame.rank(method="average", ascending=False, axis=0).to_numpy().T
    return ranks.reshape(values.shape)


def _draw_ranks(scores: np.ndarray) -> np.ndarray:
    """Ordinal ranks per row of (S, n) Monte Carlo scores (1 = highest); NaN stays NaN.

    One argsort per call instead of pandas' average ranks: ties between continuous scores of
    different draws are negligible, and this is the hot loop of the robustness analysis.
    """
    missing = np.isnan(scores)
    order = np.argsort(np.where(missing, np.inf, -scores), axis=1)
    ranks = np.empty(scores.shape)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1, dtype=float)[None, :]
    ranks[missing] = np.nan
    return ranks


def _weights_vector(structure: Structure, method: Method) -> np.ndarray:
    return np.array([float(method.domain_weights.get(d, 1.0)) for d in structure.domains])


def _pillars(dom: np.ndarray, structure: Structure, weights: np.ndarray, method: Method,
             aggregation: str) -> tuple[np.ndarray, np.ndarray]:
    """Exposition and Vulnérabilité (raw 0–100) for weights of shape (d,) or (S, d)."""
    out = []
    for index in range(len(structure.pillars)):
        cols = structure.pillar_of == index
        sub = dom[:, cols]
        pillar = _pillar(sub, weights[..., cols], aggregation)
        computed = (~np.isnan(sub)).sum(axis=-1) / max(cols.sum(), 1)
        pillar = np.where(computed >= method.pillar_quorum - 1e-9, pillar, np.nan)
        out.append(pillar)
    return out[0], out[1]


def _headline(dom: np.ndarray, structure: Structure, weights: np.ndarray, method: Method,
              aggregation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    expo, vuln = _pillars(dom, structure, weights, method, aggregation)
    e_star, v_star = _scaled(expo), _scaled(vuln)
    return e_star, v_star, e_star * v_star


# --- public API ---------------------------------------------------------------------------------


def compute_scores(x: pd.DataFrame, structure: Structure, method: Method) -> pd.DataFrame:
    """Scores for one reference frame. ``x``: raw values, index = QPV codes, columns ⊇ indicators.

    Returns percentiles (``<id>_pct``), domains (``dom_<domain>``), ``score_exposition``,
    ``score_vulnerabilite``, ``score_global``, ``rang``, ``rang_p05``, ``rang_p95``, ``robustesse``,
    ``nb_alertes`` and ``statut`` (``complet`` / ``partiel``).
    """
    method.validate(structure.domains, structure.domain_pillars())
    if len(x) < MIN_FRAME:
        raise BadArgumentError(
            f"Cadre de référence trop petit : {len(x)} quartier(s), il en faut au moins {MIN_FRAME} pour "
            "calculer des rangs centiles."
        )
    full = structure
    values = x.reindex(columns=full.indicators).to_numpy(dtype=float)
    # Indicators without enough values in this frame cannot rank anything: they leave the frame's
    # structure (and so do domains left empty) instead of counting against every QPV's quorum.
    keep = np.sum(~np.isnan(values), axis=0) >= MIN_VALUES
    structure = full.restricted(keep)
    values = values[:, keep]
    pct = normalise(values, structure.directions, "percentile")
    chosen = pct if method.normalisation == "percentile" else normalise(values, structure.directions,
                                                                         method.normalisation)
    dom = domain_scores(chosen, structure, method.quorum)
    weights = _weights_vector(structure, method)
    e_star, v_star, score = _headline(dom, structure, weights, method, method.aggregation)
    rank = rank_desc(score)

    out = pd.DataFrame(index=x.index)
    pct_all = np.full((len(x), len(full.indicators)), np.nan)
    pct_all[:, keep] = pct
    for j, ind in enumerate(full.indicators):
        out[f"{ind}_pct"] = pct_all[:, j]
    for name in full.domains:
        out[f"dom_{name}"] = dom[:, structure.domains.index(name)] if name in structure.domains else np.nan
    out["score_exposition"] = e_star
    out["score_vulnerabilite"] = v_star
    out["score_global"] = score
    out["rang"] = rank
    out["nb_alertes"] = np.sum(pct >= method.alert_threshold, axis=1)
    out["statut"] = np.where(np.isnan(score), "partiel", "complet")
    interval = robustness(values, structure, method, dom_base=dom)
    interval.index = x.index
    out.attrs["indicateurs_utilises"] = list(structure.indicators)
    # The interval always contains the rank under the chosen method (the base case is one draw).
    interval["rang_p05"] = np.fmin(interval["rang_p05"].to_numpy(dtype=float), rank)
    interval["rang_p95"] = np.fmax(interval["rang_p95"].to_numpy(dtype=float), rank)
    interval.loc[np.isnan(rank), ["rang_p05", "rang_p95"]] = np.nan
    return out.join(interval)


def _rank_quantiles(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5th and 95th percentiles per column; the fast path skips NaN handling when there is none."""
    complete = ~np.isnan(ranks).any(axis=0)
    p05, p95 = np.empty(ranks.shape[1]), np.empty(ranks.shape[1])
    if complete.any():
        p05[complete], p95[complete] = np.percentile(ranks[:, complete], [5, 95], axis=0)
    if (~complete).any():
        with np.errstate(invalid="ignore"):
            p05[~complete], p95[~complete] = np.nanpercentile(ranks[:, ~complete], [5, 95], axis=0)
    return p05, p95


def robustness(values: np.ndarray, structure: Structure, method: Method,
               dom_base: np.ndarray | None = None) -> pd.DataFrame:
    """Monte Carlo rank interval: ``rang_p05``, ``rang_p95``, ``p_top20`` and the ``robustesse`` badge."""
    n = values.shape[0]
    rng = np.random.default_rng(method.seed)
    draws = int(method.draws)
    empty = pd.DataFrame({"rang_p05": np.nan, "rang_p95": np.nan, "p_top20": np.nan,
                          "robustesse": pd.Series([pd.NA] * n, dtype="string")})
    if draws == 0:
        return empty
    base = _weights_vector(structure, method)
    d = len(structure.domains)
    # Dirichlet around the chosen weights, drawn per pillar so each pillar keeps its own balance.
    weights = np.empty((draws, d))
    for index in range(len(structure.pillars)):
        cols = np.flatnonzero(structure.pillar_of == index)
        if len(cols) == 0:
            continue
        alpha = method.concentration * base[cols] / max(base[cols].sum(), 1e-12) * len(cols)
        alpha = np.where(alpha > 0, alpha, 1e-3)
        weights[:, cols] = rng.dirichlet(alpha, size=draws) * base[cols].sum()
    norm_choice = rng.integers(0, len(NORMALISATIONS), size=draws)
    agg_choice = rng.integers(0, len(AGGREGATIONS), size=draws)

    ranks = np.full((draws, n), np.nan)
    for ni, norm in enumerate(NORMALISATIONS):
        dom = dom_base if (norm == method.normalisation and dom_base is not None) else domain_scores(
            normalise(values, structure.directions, norm), structure, method.quorum)
        for ai, agg in enumerate(AGGREGATIONS):
            sel = (norm_choice == ni) & (agg_choice == ai)
            if not sel.any():
                continue
            _, _, score = _headline(dom, structure, weights[sel], method, agg)
            ranks[sel] = _draw_ranks(score)
    scored = ~np.isnan(ranks).all(axis=0)
    out = empty.copy()
    if not scored.any():
        return out
    p05, p95 = _rank_quantiles(ranks[:, scored])
    n_scored = np.sum(~np.isnan(ranks), axis=1)  # frame size per draw
    top = np.nanmean(ranks <= 0.2 * n_scored[:, None], axis=0)
    out.loc[scored, "rang_p05"] = p05
    out.loc[scored, "rang_p95"] = p95
    out.loc[scored, "p_top20"] = top[scored]
    narrow = (p95 - p05) <= method.narrow_share * scored.sum()
    decided = (top[scored] > 0.9) | (top[scored] < 0.1)
    out.loc[scored, "robustesse"] = np.where(narrow & decided, ROBUST, SENSITIVE)
    return out
