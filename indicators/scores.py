"""Transparent composite scores: percentiles → domains → pillars → Exposition × Vulnérabilité.

Method (``shared/docs/method-anchors.md`` §6, summarised in ``docs/methode.md``):

* each indicator is turned into a direction-aware percentile rank within a **reference frame**
  (by default all QPV of the same generation: 2015 and 2024 QPV are never ranked together); an
  indicator known for less than ``min_coverage`` (a third) of the frame's QPV stays out of its scores;
  ties take the average rank; a missing value stays missing and is never ranked best or worst;
* a domain is the weighted mean of its available indicator percentiles, computed only when the
  available indicators carry at least ``quorum`` of the domain's weight;
* a pillar (Exposition, Vulnérabilité) is the weighted mean of its computed domains, when at least
  half of its domains are computed; both are rescaled to 0–10 by the frame's maximum;
* ``score_global`` = Exposition* × Vulnérabilité* (0–100): high only when both are high;
* ``nb_alertes`` counts indicators at or above the 80th percentile;
* robustness: a seeded Monte Carlo over domain weights (Dirichlet around the chosen ones),
  normalisation (percentile / min-max / z-score) and aggregation (arithmetic / geometric) **and over
  the estimated values**: each value given with a 90 % interval is drawn inside it (``draw_in_interval``)
  in the same draws, so the 90 % rank interval carries both the method and the data uncertainty;
* reliability (``fiabilite``, a code, and ``fiabilite_texte``, its French sentence): ``robuste`` only when
  that interval is narrow, membership of the top fifth is clear-cut, and each pillar rests on at least
  two indicators; otherwise the sentence says why.

Everything is vectorised with numpy over (QPV × indicators) and (draws × QPV) arrays.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import BadArgumentError
from core.formats import plural

#: The reliability of a rank (codes, sentences, badges and the method texts' rules): ``indicators.reliability``.
from indicators.reliability import (  # re-exported: pages and exports read them from here
    COVERAGE_RULE,
    DATA_DRAW_RULE,
    FRAGILE,
    MIN_PILLAR_INDICATORS,
    RELIABILITY_DATA,
    RELIABILITY_LABELS,
    RELIABILITY_METHOD,
    RELIABILITY_NOT_ASSESSED,
    RELIABILITY_ONE_INDICATOR,
    RELIABILITY_PARTIAL_DOMAIN,
    RELIABILITY_ROBUST,
    RELIABILITY_SHORT,
    RELIABILITY_UNRANKED,
    ROBUST,
    ROBUST_RULE,
    SENSITIVE,
    reliability,
)

__all__ = ["COVERAGE_RULE", "DATA_DRAW_RULE", "FRAGILE", "MIN_PILLAR_INDICATORS", "RELIABILITY_DATA",
           "RELIABILITY_LABELS", "RELIABILITY_METHOD", "RELIABILITY_NOT_ASSESSED", "RELIABILITY_ONE_INDICATOR",
           "RELIABILITY_PARTIAL_DOMAIN", "RELIABILITY_ROBUST", "RELIABILITY_SHORT", "RELIABILITY_UNRANKED", "ROBUST",
           "ROBUST_RULE", "SENSITIVE", "Method", "Structure", "Uncertainty", "compute_scores", "draw_in_interval",
           "reliability", "robustness"]

NORMALISATIONS = ("percentile", "minmax", "zscore")
AGGREGATIONS = ("arithmetique", "geometrique")
MIN_FRAME = 5
#: An indicator enters a frame's scores when at least this many QPV of the frame have a value.
MIN_VALUES = 3

#: z of the 95th percentile of the standard normal: a 90 % interval spans ±Z90 standard deviations.
Z90 = 1.6448536269514722


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
    #: An indicator enters a frame's scores only when known for at least this share of its QPV: otherwise
    #: the QPV of the frame would be compared on different indicators (the others are shown, not ranked).
    min_coverage: float = 1 / 3

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
            raise BadArgumentError(f"{plural(len(unknown), 'domaine inconnu', 'domaines inconnus').capitalize()} dans les pondérations : "
                                   f"{', '.join(unknown)}.")
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
        if not 0 <= self.min_coverage <= 1:
            raise BadArgumentError("La part minimale de quartiers renseignés doit être comprise entre 0 et 1.")


@dataclass(frozen=True)
class Structure:
    """The catalogue as arrays: which indicator feeds which domain, which domain which pillar."""

    indicators: list[str]
    directions: np.ndarray  # (k,) +1 / -1
    domains: list[str]
    domain_of: np.ndarray  # (k,) index into domains
    pillars: list[str]  # ["Exposition", "Vulnérabilité"]
    pillar_of: np.ndarray  # (d,) index into pillars
    #: French labels of the indicators (the reliability sentence names them); ids when unknown.
    labels: tuple[str, ...] = ()
    #: (k, 2) physical range of each indicator (NaN = unbounded): a drawn value never leaves it.
    bounds: np.ndarray | None = None
    #: French labels of the domains (the reliability sentence names them); ids when unknown.
    domain_labels: tuple[str, ...] = ()

    def label(self, j: int) -> str:
        return self.labels[j] if j < len(self.labels) else self.indicators[j]

    def domain_label(self, d: int) -> str:
        return self.domain_labels[d] if d < len(self.domain_labels) else self.domains[d]

    def value_bounds(self) -> np.ndarray:
        if self.bounds is None:
            return np.full((len(self.indicators), 2), np.nan)
        return self.bounds

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
            labels=tuple(self.label(j) for j in np.flatnonzero(keep)),
            bounds=self.value_bounds()[keep],
            domain_labels=tuple(self.domain_label(j) for j in used),
        )

    def domain_pillars(self) -> dict[str, str]:
        return {d: self.pillars[self.pillar_of[j]] for j, d in enumerate(self.domains)}

    @classmethod
    def from_catalogue(cls, items, domain_pillars: dict[str, str],
                       domain_labels: dict[str, str] | None = None) -> Structure:
        scored = [i for i in items if getattr(i, "scored", i.direction != 0 and i.pillar in ("Exposition", "Vulnérabilité"))]
        domains = list(dict.fromkeys(i.domain for i in scored))
        pillars = ["Exposition", "Vulnérabilité"]
        bounds = np.array([[np.nan if b is None else float(b) for b in getattr(i, "valid_range", (None, None))]
                           for i in scored], dtype=float).reshape(len(scored), 2)
        return cls(
            indicators=[i.id for i in scored],
            directions=np.array([i.direction for i in scored], dtype=float),
            domains=domains,
            domain_of=np.array([domains.index(i.domain) for i in scored]),
            pillars=pillars,
            pillar_of=np.array([pillars.index(domain_pillars[d]) for d in domains]),
            labels=tuple(getattr(i, "label", i.id) for i in scored),
            bounds=bounds,
            domain_labels=tuple((domain_labels or {}).get(d, d) for d in domains),
        )


@dataclass(frozen=True)
class Uncertainty:
    """What is known of each value beyond its number, as frames shaped like the values (index = QPV codes,
    columns ⊇ indicators): the bounds of its 90 % interval (NaN when it has none) and whether it is an
    estimate (an estimate without interval, such as a plain IRIS interpolation, is not drawn but is named
    as estimated in the reliability sentence)."""

    low: pd.DataFrame
    high: pd.DataFrame
    estimated: pd.DataFrame

    def arrays(self, index: pd.Index, indicators: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def grid(frame: pd.DataFrame, fill) -> pd.DataFrame:
            return frame.reindex(index=index, columns=indicators).fillna(fill)

        return (grid(self.low, np.nan).to_numpy(dtype=float), grid(self.high, np.nan).to_numpy(dtype=float),
                grid(self.estimated, False).to_numpy(dtype=bool))


def draw_in_interval(value: np.ndarray, low: np.ndarray, high: np.ndarray, z: np.ndarray,
                     bounds: np.ndarray | None = None) -> np.ndarray:
    """Values drawn inside their 90 % interval: ``value + z·σ₋`` below, ``value + z·σ₊`` above, then clipped.

    ``z`` are standard normal draws; σ₋ = (value − low) / 1.645 and σ₊ = (high − value) / 1.645, so the
    estimate stays the median of the draws, 5 % of the draws fall under ``low`` and 5 % above ``high``
    (a normal whose 90 % interval is [low, high] when the interval is centred on the estimate, two half
    normals otherwise). ``bounds`` (…, 2): the physical range (a share stays within 0–100 %), NaN = none.
    """
    below = np.clip(value - low, 0.0, None) / Z90
    above = np.clip(high - value, 0.0, None) / Z90
    out = value + np.where(z < 0, z * below, z * above)
    if bounds is not None:
        lo, hi = bounds[..., 0], bounds[..., 1]
        out = np.where(np.isnan(lo), out, np.maximum(out, lo))
        out = np.where(np.isnan(hi), out, np.minimum(out, hi))
    return out


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


def _column_percentiles(x: np.ndarray, shares: tuple[float, ...]) -> list[np.ndarray]:
    """Per-column percentiles ignoring NaN (numpy's linear method), from one sort: ``nanpercentile`` sorts
    each column again for each call, the hot spot of the z-score draws."""
    ordered = np.sort(x, axis=0)  # NaN last
    count = np.sum(~np.isnan(x), axis=0)
    columns = np.arange(x.shape[1])
    out = []
    for share in shares:
        position = np.clip(share / 100.0 * (count - 1), 0, None)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, np.maximum(count - 1, 0))
        below, above = ordered[low, columns], ordered[high, columns]
        value = below + (above - below) * (position - low)
        out.append(np.where(count > 0, value, np.nan))
    return out


def zscore_scores(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Winsorised (1st–99th percentile) z-scores mapped to 0–100 through min–max, for comparability."""
    oriented = x * directions
    with warnings.catch_warnings():  # an all-missing column is expected: it stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        q1, q99 = _column_percentiles(oriented, (1, 99))
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


def _membership(structure: Structure, k: int) -> np.ndarray:
    """(k, d) 0/1 matrix: indicator j feeds domain d."""
    member = np.zeros((k, len(structure.domains)))
    member[np.arange(k), structure.domain_of] = 1.0
    return member


def _domains_from(sums: np.ndarray, total: np.ndarray, size: np.ndarray, quorum: float) -> np.ndarray:
    """Domain means from the sums and counts of available indicator scores; NaN below the quorum."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / total
    out[(total < 1) | (total / size < quorum - 1e-9)] = np.nan
    return out


def domain_scores(p: np.ndarray, structure: Structure, quorum: float) -> np.ndarray:
    """(n, d) domain means of available indicator scores; NaN below the quorum of available weight."""
    member = _membership(structure, p.shape[1])
    available = ~np.isnan(p)
    return _domains_from(np.where(available, p, 0.0) @ member, available.astype(float) @ member,
                         member.sum(axis=0), quorum)


def _pillar(values: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """Weighted mean of ``values`` over available domains, ignoring NaN.

    ``values`` (n, d) with ``weights`` (d,) for one method or (S, d) for S Monte Carlo draws (result (S, n)):
    matrix products keep the draws vectorised without materialising (S, n, d) arrays. ``values`` (g, n, d),
    one domain table per draw when the data are drawn too, with ``weights`` (g, d): result (g, n).
    """
    available = ~np.isnan(values)
    if aggregation == "geometrique":
        terms = np.where(available, np.log(np.clip(np.where(available, values, 1.0), 1.0, None)), 0.0)
    else:
        terms = np.where(available, values, 0.0)
    if values.ndim == 3:  # batched matrix products: (g, n, d) @ (g, d, 1)
        num = (terms @ weights[:, :, None])[..., 0]
        den = (available.astype(float) @ weights[:, :, None])[..., 0]
    else:
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
        sub = dom[..., cols]
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


def compute_scores(x: pd.DataFrame, structure: Structure, method: Method,
                   uncertainty: Uncertainty | None = None) -> pd.DataFrame:
    """Scores for one reference frame. ``x``: raw values, index = QPV codes, columns ⊇ indicators.

    ``uncertainty``: the 90 % intervals of the estimated values (drawn in the Monte Carlo) and which values
    are estimates; without it every value is taken as exact.

    Returns percentiles (``<id>_pct``), domains (``dom_<domain>``), ``score_exposition``,
    ``score_vulnerabilite``, ``score_global``, ``rang``, ``rang_p05``, ``rang_p95``, ``robustesse``,
    ``fiabilite`` and ``fiabilite_texte``, ``nb_alertes`` (missing when the QPV has no ranked indicator),
    ``nb_indicateurs`` (indicators ranked for this QPV), ``statut`` (``complet`` / ``partiel``) and
    ``indicateurs_hors_cadre`` (scored indicators known for too few QPV of the frame to rank them,
    comma-separated).
    """
    method.validate(structure.domains, structure.domain_pillars())
    if len(x) < MIN_FRAME:
        raise BadArgumentError(
            f"Cadre de référence trop petit : {plural(len(x), 'quartier')}, il en faut au moins {MIN_FRAME} pour "
            "calculer des rangs centiles."
        )
    full = structure
    values = x.reindex(columns=full.indicators).to_numpy(dtype=float)
    # Indicators without enough values in this frame cannot rank anything fairly: they leave the frame's
    # structure (and so do domains left empty) instead of counting against every QPV's quorum, and the QPV
    # of the frame are all compared on the same indicators.
    known = np.sum(~np.isnan(values), axis=0)
    keep = (known >= MIN_VALUES) & (known >= method.min_coverage * len(x) - 1e-9)
    structure = full.restricted(keep)
    values = values[:, keep]
    if uncertainty is None:
        low = high = np.full(values.shape, np.nan)
        estimated = np.zeros(values.shape, dtype=bool)
    else:
        low, high, estimated = (a[:, keep] for a in uncertainty.arrays(x.index, full.indicators))
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
    ranked_count = np.sum(~np.isnan(pct), axis=1)
    out["nb_alertes"] = np.where(ranked_count > 0, np.sum(pct >= method.alert_threshold, axis=1), np.nan)
    out["nb_indicateurs"] = ranked_count
    out["statut"] = np.where(np.isnan(score), "partiel", "complet")
    # Scored indicators left out of this frame (too few QPV known): shown, never ranked.
    out["indicateurs_hors_cadre"] = ",".join(i for i, k in zip(full.indicators, keep, strict=True) if not k)
    interval = robustness(values, structure, method, dom_base=dom, low=low, high=high)
    out.attrs["indicateurs_utilises"] = list(structure.indicators)
    # The interval always contains the rank under the chosen method (the base case is one draw).
    for suffix in ("", "_methode"):
        interval[f"rang_p05{suffix}"] = np.fmin(interval[f"rang_p05{suffix}"].to_numpy(dtype=float), rank)
        interval[f"rang_p95{suffix}"] = np.fmax(interval[f"rang_p95{suffix}"].to_numpy(dtype=float), rank)
        interval.loc[np.isnan(rank), [f"rang_p05{suffix}", f"rang_p95{suffix}"]] = np.nan
    codes, texts, badges = reliability(rank, interval, ~np.isnan(chosen), dom, estimated, structure, method,
                                       (e_star, v_star))
    out["rang_p05"] = interval["rang_p05"].to_numpy()
    out["rang_p95"] = interval["rang_p95"].to_numpy()
    out["p_top20"] = interval["p_top20"].to_numpy()
    out["robustesse"] = pd.array(badges, dtype="string")
    out["fiabilite"] = pd.array(codes, dtype="string")
    out["fiabilite_texte"] = pd.array(texts, dtype="string")
    return out


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


def _method_draws(structure: Structure, method: Method, draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Domain weights (Dirichlet around the chosen ones, per pillar), normalisation and aggregation per draw."""
    rng = np.random.default_rng(method.seed)
    base = _weights_vector(structure, method)
    weights = np.empty((draws, len(structure.domains)))
    for index in range(len(structure.pillars)):
        cols = np.flatnonzero(structure.pillar_of == index)
        if len(cols) == 0:
            continue
        alpha = method.concentration * base[cols] / max(base[cols].sum(), 1e-12) * len(cols)
        alpha = np.where(alpha > 0, alpha, 1e-3)
        weights[:, cols] = rng.dirichlet(alpha, size=draws) * base[cols].sum()
    return weights, rng.integers(0, len(NORMALISATIONS), size=draws), rng.integers(0, len(AGGREGATIONS), size=draws)


#: Draws processed together when the data are drawn: bounds the (draws × QPV × domains) arrays.
DATA_CHUNK = 100


def _normalise_draws(xs: np.ndarray, directions: np.ndarray, norm: str) -> np.ndarray:
    """Normalise each draw's columns separately: (g, n, u) values → (g, n, u) scores."""
    g, n, u = xs.shape
    flat = xs.transpose(1, 0, 2).reshape(n, g * u)
    scores = normalise(flat, np.tile(directions, g), norm)
    return scores.reshape(n, g, u).transpose(1, 0, 2)


def _joint_ranks(values: np.ndarray, structure: Structure, method: Method, low: np.ndarray, high: np.ndarray,
                 choices: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """(S, n) ranks when each draw also draws the values that have an interval (same method draws)."""
    weights, norm_choice, agg_choice = choices
    draws, n = len(norm_choice), values.shape[0]
    rows, cols = np.nonzero(np.isfinite(low) & np.isfinite(high) & ~np.isnan(values))
    uncertain = np.unique(cols)
    position = np.searchsorted(uncertain, cols)
    member = _membership(structure, values.shape[1])
    fixed_member = member.copy()
    fixed_member[uncertain] = 0.0
    size = member.sum(axis=0)
    fixed = {}
    for norm in NORMALISATIONS:
        p = normalise(values, structure.directions, norm)
        available = ~np.isnan(p)
        fixed[norm] = (np.where(available, p, 0.0) @ fixed_member, available.astype(float) @ fixed_member)
    # A stream of its own: the method draws are those of the method-only analysis, draw for draw.
    rng = np.random.default_rng([method.seed, 1])
    bounds = structure.value_bounds()[cols]
    ranks = np.full((draws, n), np.nan)
    for start in range(0, draws, DATA_CHUNK):
        stop = min(start + DATA_CHUNK, draws)
        drawn = draw_in_interval(values[rows, cols], low[rows, cols], high[rows, cols],
                                 rng.standard_normal((stop - start, len(rows))), bounds)
        for ni, norm in enumerate(NORMALISATIONS):
            for ai, agg in enumerate(AGGREGATIONS):
                sel = np.flatnonzero((norm_choice[start:stop] == ni) & (agg_choice[start:stop] == ai))
                if not len(sel):
                    continue
                xs = np.repeat(values[None][:, :, uncertain], len(sel), axis=0)
                xs[:, rows, position] = drawn[sel]
                p = _normalise_draws(xs, structure.directions[uncertain], norm)
                available = ~np.isnan(p)
                sums, total = fixed[norm]
                dom = _domains_from(sums + np.where(available, p, 0.0) @ member[uncertain],
                                    total + available.astype(float) @ member[uncertain], size, method.quorum)
                _, _, score = _headline(dom, structure, weights[start:stop][sel], method, agg)
                ranks[start + sel] = _draw_ranks(score)
    return ranks


def robustness(values: np.ndarray, structure: Structure, method: Method, dom_base: np.ndarray | None = None,
               low: np.ndarray | None = None, high: np.ndarray | None = None) -> pd.DataFrame:
    """Monte Carlo rank intervals: ``rang_p05``, ``rang_p95`` and ``p_top20`` (share of draws in the top
    fifth) when the draws vary the method **and** draw the values given with a 90 % interval (``low``,
    ``high``, (n, k), NaN when none) inside it; the same three with the suffix ``_methode`` for the method
    draws alone (the same draws without the data), which tells a rank fragile because of the method from
    one fragile because of the estimates."""
    n = values.shape[0]
    draws = int(method.draws)
    names = ["rang_p05", "rang_p95", "p_top20"]
    out = pd.DataFrame({f"{c}{s}": np.full(n, np.nan) for s in ("", "_methode") for c in names})
    if draws == 0:
        return out
    choices = _method_draws(structure, method, draws)
    weights, norm_choice, agg_choice = choices
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
    low = np.full(values.shape, np.nan) if low is None else low
    high = np.full(values.shape, np.nan) if high is None else high
    with_data = bool((np.isfinite(low) & np.isfinite(high) & ~np.isnan(values)).any())
    joint = _joint_ranks(values, structure, method, low, high, choices) if with_data else ranks
    for suffix, stacked in (("_methode", ranks), ("", joint)):
        if suffix == "" and not with_data:  # no value drawn: the joint interval is the method's
            for name in names:
                out[name] = out[f"{name}_methode"]
            break
        scored = ~np.isnan(stacked).all(axis=0)
        if not scored.any():
            continue
        p05, p95 = _rank_quantiles(stacked[:, scored])
        n_scored = np.sum(~np.isnan(stacked), axis=1)  # frame size per draw
        top = np.nanmean(stacked[:, scored] <= 0.2 * n_scored[:, None], axis=0)
        out.loc[scored, f"rang_p05{suffix}"] = p05
        out.loc[scored, f"rang_p95{suffix}"] = p95
        out.loc[scored, f"p_top20{suffix}"] = top
    return out
