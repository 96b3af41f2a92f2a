"""The long value table (one row per QPV × indicator): defaults, computed rows laid over them, merges.

Every QPV × indicator starts "not loaded"; rows computed by the rules (``indicators.rules``), the
spatial attribution (``loaders.spatial``) and the online-only sources (``loaders.online_values``) replace
them, and a territory update keeps what was already loaded for what it could not compute. Bundle and
update share these functions, so a value is computed the same way in both.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from core import natures, reasons
from indicators import catalogue
from indicators.rules import RULES, apply_rule
from loaders import spatial
from sources.registry import COPIES, source_of


def extract_qpv2015(source_dir: Path, codes: pd.Index, optional: bool = False) -> pd.DataFrame:
    """Long table ``code_qp, indicateur, valeur, raison_manquante`` for the QPV 2015 ``codes``.

    With ``optional`` (a territory update), rules whose input file is absent are skipped: their
    indicators keep the values already loaded.
    """
    cache: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}
    needed: dict[str, set[str]] = {}
    for rule in RULES:
        needed.setdefault(rule.input_key, set()).update(rule.columns)
    frames = []
    for rule in RULES:
        key = (rule.input_key, tuple(sorted(needed[rule.input_key])))
        path = source_dir / COPIES[rule.input_key].path
        if optional and not path.is_file():
            continue
        if key not in cache:  # per-QPV tables are read by their source's parser, with the columns needed
            cache[key] = source_of(rule.input_key).parse(path, list(key[1]))
        values, why = apply_rule(rule, cache[key], codes)
        copy = COPIES[rule.input_key]
        frames.append(
            pd.DataFrame(
                {
                    "code_qp": codes.to_numpy(),
                    "indicateur": rule.indicator,
                    "valeur": values.to_numpy(),
                    "raison_manquante": why.to_numpy(),
                    "methode": catalogue.get(rule.indicator).rule_for(2015),
                    # The value's own source and vintage: the file it was read from.
                    "millesime": copy.vintage,
                    "source": f"{copy.publisher} — {copy.description}",
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["code_qp", "indicateur", "valeur", "raison_manquante", "methode", "millesime",
                                     "source"])
    return pd.concat(frames, ignore_index=True)


def defaults(registry: pd.DataFrame) -> pd.DataFrame:
    """Every QPV × indicator, missing with reason ``non_charge``: what is left when no offline source
    gives a value (QPV 2024 INSEE statistics, online-only sources, QPV without an offline contour)."""
    ids = catalogue.ids()
    codes = registry["code_qp"].to_numpy()
    generations = registry["generation"].to_numpy()
    return pd.DataFrame(
        {
            "code_qp": np.repeat(codes, len(ids)),
            "indicateur": np.tile(ids, len(codes)),
            "valeur": np.nan,
            "raison_manquante": reasons.NOT_LOADED,
            "methode": [catalogue.get(i).rule_for(int(g)) for g in generations for i in ids],
        }
    )


#: Columns of the long value table that a computed row may carry (besides ``code_qp, indicateur``).
#: ``nature`` (``core.natures``), ``ic_bas``/``ic_haut`` (90 % interval of a calibrated estimate),
#: ``millesime``/``source`` (the value's own vintage and source: a value carried from a QPV 2015 keeps
#: those of the QPV 2015) are derived from the rule and the catalogue when a row does not give them.
VALUE_COLUMNS = ["valeur", "raison_manquante", "methode", "detail", "nature", "ic_bas", "ic_haut", "millesime",
                 "source"]
TEXT_COLUMNS = ["raison_manquante", "methode", "detail", "nature", "millesime", "source"]
FLOAT_COLUMNS = ["valeur", "ic_bas", "ic_haut"]


def finish(values: pd.DataFrame) -> pd.DataFrame:
    """Typed value table with every column, natures and vintages filled where a value exists.

    A present value never keeps a missing reason; a missing value has no nature, interval, vintage or
    source. ``nature`` defaults to the nature of the value's rule, ``millesime``/``source`` to the
    catalogue's; ``score_autorise`` answers "may this value enter the scores?" with the one rule of
    ``core.natures.allowed_in_scores``.
    """
    out = values.copy()
    for column in VALUE_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan if column in FLOAT_COLUMNS else pd.NA
    for column in FLOAT_COLUMNS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    for column in TEXT_COLUMNS:
        out[column] = out[column].astype("string")
    present = out["valeur"].notna()
    out.loc[present, "raison_manquante"] = pd.NA
    derived = out["methode"].map(natures.nature_of_rule).astype("string")
    out["nature"] = out["nature"].fillna(derived).where(present)
    meta = {ind.id: ind for ind in catalogue.CATALOGUE}
    out["millesime"] = out["millesime"].fillna(out["indicateur"].map({k: v.vintage for k, v in meta.items()})
                                               .astype("string")).where(present)
    out["source"] = out["source"].fillna(out["indicateur"].map({k: v.source for k, v in meta.items()})
                                         .astype("string")).where(present)
    for column in ("ic_bas", "ic_haut"):
        out[column] = out[column].where(present & out["nature"].isin(list(natures.WITH_INTERVAL)))
    scored = out["indicateur"].map({k: v.scored for k, v in meta.items()}).fillna(False).astype(bool)
    calibratable = out["indicateur"].map({k: v.calibratable for k, v in meta.items()}).fillna(False).astype(bool)
    out["score_autorise"] = [natures.allowed_in_scores(n, s, c) for n, s, c in
                             zip(out["nature"].tolist(), scored.tolist(), calibratable.tolist(), strict=True)]
    return out[["code_qp", "indicateur", *VALUE_COLUMNS, "score_autorise"]]


def overlay(values: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """``values`` (the long table) with the rows of ``found`` for the same (code_qp, indicateur) replacing
    theirs; rows of ``found`` for pairs absent from ``values`` are ignored. Columns of ``VALUE_COLUMNS``
    that ``found`` lacks are reset (a new value never keeps the nature or interval of the one it replaces)."""
    out = values.set_index(["code_qp", "indicateur"])
    found = found.set_index(["code_qp", "indicateur"])
    for column in VALUE_COLUMNS:
        if column not in found.columns:
            found = found.assign(**{column: np.nan if column in FLOAT_COLUMNS else pd.NA})
        if column not in out.columns:
            out = out.assign(**{column: np.nan if column in FLOAT_COLUMNS else pd.NA})
    found = found[found.index.isin(out.index)]
    out = out[VALUE_COLUMNS].astype(object)
    if len(found):
        out.loc[found.index, VALUE_COLUMNS] = found[VALUE_COLUMNS].astype(object).to_numpy()
    return finish(out.reset_index())


def spatial_rows(inputs, registry: pd.DataFrame, links: pd.DataFrame, qpv_contours: gpd.GeoDataFrame,
                 weights: pd.DataFrame | None, log=print) -> list[pd.DataFrame]:
    """Rows of the indicators attributed by geometry or by commune: GASPAR risks, DRIAS grid, DPE and APL
    per IRIS (``weights``: ``spatial.iris_weights``), LCZ, heat networks."""
    computed = []
    gaspar = inputs.gaspar()
    if gaspar is not None:
        computed.append(spatial.gaspar_indicators(gaspar[0], registry, links, gaspar[1]))
    if qpv_contours.empty:
        return computed
    log("Indicateurs spatiaux : grille DRIAS, IRIS, LCZ, réseaux de chaleur…")
    grid = inputs.drias_grid()
    if grid is not None:
        computed.append(spatial.drias_indicators(grid, qpv_contours))
    bdnb, caf = inputs.bdnb(), inputs.caf()
    if weights is not None and bdnb is not None and caf is not None:
        computed.append(spatial.iris_indicators(weights, bdnb, caf, qpv_contours))
    cities = inputs.lcz_cities()
    if cities:
        computed.append(spatial.lcz_indicator(cities, qpv_contours))
    served = inputs.heat_served()
    if weights is not None and served is not None:
        computed.append(spatial.heat_network_indicator(served, weights, qpv_contours))
    return computed


def build_values(inputs, registry: pd.DataFrame, links: pd.DataFrame,
                 qpv_contours: gpd.GeoDataFrame, log=print) -> pd.DataFrame:
    """Long table of every QPV × indicator of a territory update: value, or missing with its reason.

    ``inputs`` is a ``loaders.inputs.TerritoryInputs`` (or ``OpenDataInputs``); an input that a territory
    update could not obtain is skipped and its indicators stay "not loaded" (then ``keep_loaded`` keeps
    what the bundle has: the calibrated and carried values of the QPV 2024 come from the bundle build,
    ``loaders.national``).
    """
    codes15 = pd.Index(registry.loc[registry["generation"] == 2015, "code_qp"])
    computed = [extract_qpv2015(inputs.source_dir, codes15, optional=inputs.territory)]
    zones = inputs.iris_zones() if not qpv_contours.empty else None
    weights = spatial.iris_weights(zones, qpv_contours) if zones is not None else None
    computed += spatial_rows(inputs, registry, links, qpv_contours, weights, log)
    return merge_values(registry, computed)


def merge_values(registry: pd.DataFrame, computed: list[pd.DataFrame]) -> pd.DataFrame:
    """Defaults ("not loaded") for every QPV × indicator, overwritten by the computed rows."""
    values = finish(defaults(registry))
    found = pd.concat(computed, ignore_index=True) if computed else values.iloc[0:0]
    if found.duplicated(["code_qp", "indicateur"]).any():
        dup = found[found.duplicated(["code_qp", "indicateur"], keep=False)].iloc[0]
        raise RuntimeError(f"valeur calculée deux fois : {dup['code_qp']} × {dup['indicateur']}")
    return overlay(values, found)


def override(values: pd.DataFrame, rows: list[pd.DataFrame]) -> pd.DataFrame:
    """Replace the (code_qp, indicateur) rows computed by the online-only rules."""
    if not rows:
        return values
    found = pd.concat(rows, ignore_index=True).drop_duplicates(["code_qp", "indicateur"], keep="last")
    return overlay(values, found)


def keep_loaded(values: pd.DataFrame, loaded: pd.DataFrame) -> pd.DataFrame:
    """Indicators no fetched source could compute ("not loaded") keep the values already loaded."""
    missing = values["raison_manquante"] == reasons.NOT_LOADED
    if not missing.any():
        return values
    base = loaded.set_index(["code_qp", "indicateur"])
    base = base[base["raison_manquante"].fillna("") != reasons.NOT_LOADED]
    keys = pd.MultiIndex.from_frame(values.loc[missing, ["code_qp", "indicateur"]])
    usable = keys[keys.isin(base.index)]
    if not len(usable):
        return values
    out = values.set_index(["code_qp", "indicateur"])[VALUE_COLUMNS].astype(object)
    kept = base.loc[usable].reindex(columns=VALUE_COLUMNS)
    out.loc[usable, VALUE_COLUMNS] = kept.astype(object).to_numpy()
    return finish(out.reset_index())
