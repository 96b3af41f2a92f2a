"""The indicator table of a territory: one row per QPV, raw values, missing-value reasons and scores.

This is the single function behind ``python -m indicators table``, the pages and (later) the exports,
so that every view shows the same numbers. Scores are computed over the **reference frame** (all QPV
of the same generation by default, or those of the same region) and then filtered to the territory.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict

import pandas as pd

from geodata import territories
from geodata.territories import Territory
from core import natures, reasons
from assembly import indicator_list
from indicators import catalogue
from indicators.scores import MIN_FRAME, Method, Structure, Uncertainty, compute_scores
from sources import store
from core.errors import BadArgumentError
from core.formats import format_number

ID_COLUMNS = ["code_qp", "lib_qp", "generation", "lib_com", "insee_com", "siren_epci", "insee_dep",
              "insee_reg", "a_contour"]
SCORE_COLUMNS = ["score_exposition", "score_vulnerabilite", "score_global", "rang", "rang_p05", "rang_p95",
                 "robustesse", "fiabilite", "fiabilite_texte", "nb_alertes", "nb_indicateurs", "statut", "cadre",
                 "taille_cadre", "cadre_classes", "indicateurs_hors_cadre"]
FRAMES = {"generation": "tous les QPV de la même génération, en France entière (métropole et outre-mer)",
          "region": "QPV de la même génération et de la même région"}


def reason_column(indicator_id: str) -> str:
    return f"{indicator_id}_missing_reason"


def nature_column(indicator_id: str) -> str:
    """Column of the value's nature (``core.natures``: officiel, estimation_calibree…; empty when missing)."""
    return f"{indicator_id}_nature"


def interval_columns(indicator_id: str) -> list[str]:
    """``<id>_ic_bas``, ``<id>_ic_haut`` (90 % interval) for an indicator whose values may be calibrated
    estimates; no interval columns for the others."""
    if not indicator_list.get(indicator_id).calibratable:
        return []
    return [f"{indicator_id}_ic_bas", f"{indicator_id}_ic_haut"]


def indicator_columns(indicator_id: str) -> list[str]:
    """Every column of one indicator in the territory table, in order: value, missing reason, nature,
    interval bounds (estimable indicators only)."""
    return [indicator_id, reason_column(indicator_id), nature_column(indicator_id), *interval_columns(indicator_id)]


def wide_values(codes: list[str]) -> pd.DataFrame:
    """Indicators as columns (values, ``<id>_missing_reason``, ``<id>_nature``, ``<id>_ic_bas``/``_ic_haut``)
    for the given QPV codes."""
    ids = indicator_list.ids()
    values = indicator_list.values()
    values = values[values["code_qp"].isin(codes) & values["indicateur"].isin(ids)]
    for column in ("nature", "ic_bas", "ic_haut"):  # a territory updated before natures existed
        if column not in values.columns:
            values[column] = pd.NA
    wide = values.pivot(index="code_qp", columns="indicateur", values="valeur")
    why = values.pivot(index="code_qp", columns="indicateur", values="raison_manquante")
    kind = values.pivot(index="code_qp", columns="indicateur", values="nature")
    low = values.pivot(index="code_qp", columns="indicateur", values="ic_bas")
    high = values.pivot(index="code_qp", columns="indicateur", values="ic_haut")
    out = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
    empty = pd.Series(pd.NA, index=out.index)
    for ind in ids:
        out[ind] = wide[ind].reindex(out.index).astype("float64") if ind in wide else float("nan")
        reason = why[ind].reindex(out.index) if ind in why else empty
        reason = reason.astype("string").where(out[ind].isna())
        reason[out[ind].isna() & reason.isna()] = reasons.NOT_LOADED  # never loaded for this QPV
        out[reason_column(ind)] = reason.astype("string")
        nature = kind[ind].reindex(out.index) if ind in kind else empty
        out[nature_column(ind)] = nature.astype("string").where(out[ind].notna())
        for column, table in zip(interval_columns(ind), (low, high), strict=False):
            bound = table[ind].reindex(out.index) if ind in table else empty
            out[column] = pd.to_numeric(bound, errors="coerce").astype("float64").where(out[ind].notna())
    return out.reset_index()


def scored_values(wide: pd.DataFrame) -> pd.DataFrame:
    """``wide`` (index ``code_qp``) with every value that may not enter the scores set to missing, by the one
    rule of ``core.natures.allowed_in_scores`` (a calibratable indicator's uncalibrated IRIS estimate,
    commune context…): the table still shows these values, the scores never use them."""
    out = wide.copy()
    for ind in indicator_list.all_indicators():
        column = nature_column(ind.id)
        if not ind.scored or ind.id not in out or column not in out:
            continue  # descriptive indicators are never scored: left as they are
        allowed = [natures.allowed_in_scores(n, ind.scored, ind.calibratable) for n in out[column].tolist()]
        out[ind.id] = out[ind.id].where(pd.Series(allowed, index=out.index, dtype=bool) | out[ind.id].isna())
    return out


def methods_for(codes: list[str], indicator_id: str) -> pd.Series:
    """Attribution rule actually used for each QPV's value (``iris_*`` rules are estimations)."""
    values = indicator_list.values()
    rows = values[(values["indicateur"] == indicator_id) & values["code_qp"].isin(codes)]
    return rows.set_index("code_qp")["methode"].reindex(codes)


def structure() -> Structure:
    return Structure.from_catalogue(indicator_list.all_indicators(), catalogue.domain_pillars(),
                                    {d.id: d.label for d in catalogue.DOMAINS.values()})


def method_key(method: Method) -> str:
    """``method`` as a text that can key a cache (a ``Method`` holds a dict: it cannot be hashed itself);
    ``method_from_key`` gives it back."""
    return json.dumps(asdict(method), sort_keys=True)


def method_from_key(key: str) -> Method:
    """The method a ``method_key`` text stands for."""
    return Method(**json.loads(key))


def uncertainty_of(wide: pd.DataFrame) -> Uncertainty:
    """What the scores' Monte Carlo needs from the value columns of ``wide`` (index ``code_qp``): the 90 %
    interval of each value that has one (drawn inside it) and which values are estimates (named as such
    when a pillar rests on one)."""
    ids = [ind.id for ind in indicator_list.all_indicators() if ind.scored and ind.id in wide]
    low = pd.DataFrame({i: wide[f"{i}_ic_bas"] if f"{i}_ic_bas" in wide else float("nan") for i in ids},
                       index=wide.index, dtype="float64")
    high = pd.DataFrame({i: wide[f"{i}_ic_haut"] if f"{i}_ic_haut" in wide else float("nan") for i in ids},
                        index=wide.index, dtype="float64")
    estimated = pd.DataFrame({i: wide[nature_column(i)].isin(list(natures.ESTIMATES)).fillna(False).astype(bool)
                              if nature_column(i) in wide else False for i in ids}, index=wide.index, dtype=bool)
    return Uncertainty(low=low.where(wide[ids].notna()), high=high.where(wide[ids].notna()), estimated=estimated)


def is_metropole(insee_dep: object) -> bool:
    """Metropolitan France (Corsica included); overseas départements and collectivités have 97x/98x codes."""
    return not str(insee_dep or "").startswith(("97", "98"))


def frame_label(generation: int, frame: str, region: str = "") -> str:
    """The reference frame in words: « tous les QPV 2024 de France (métropole et outre-mer) »."""
    if frame == "region":
        return f"QPV {generation} de la région {region}"
    return f"tous les QPV {generation} de France (métropole et outre-mer)"


def ranked_label(members: pd.DataFrame, ranked: pd.Series, generation: int, frame: str) -> str:
    """What a rank is counted among, true to the data: « les 1 362 QPV 2024 de métropole classés »."""
    count = int(ranked.sum())
    number = format_number(count, 0)
    if frame == "region":
        return f"les {number} QPV {generation} classés de la région {members['lib_reg'].iloc[0]}"
    metro = int(members.loc[ranked.to_numpy(), "insee_dep"].map(is_metropole).sum())
    if metro == count:
        return f"les {number} QPV {generation} de métropole classés"
    if metro == 0:
        return f"les {number} QPV {generation} d'outre-mer classés"
    return (f"les {number} QPV {generation} classés ({format_number(metro, 0)} de métropole, "
            f"{format_number(count - metro, 0)} d'outre-mer)")


def rank_phrase(row: pd.Series) -> str:
    """« rang 72 parmi les 1 362 QPV 2024 de métropole classés » ("" for a QPV without rank)."""
    rank = row.get("rang")
    if rank is None or pd.isna(rank) or not isinstance(row.get("cadre_classes"), str):
        return ""
    return f"rang {format_number(rank, 0 if float(rank).is_integer() else 1)} parmi {row['cadre_classes']}"


@functools.lru_cache(maxsize=2)
def _scoring_inputs(data_version: tuple) -> tuple[pd.DataFrame, Uncertainty]:
    """The values the scores may use and their intervals, for every QPV: the same for every method, built
    once per data version (a weight changed on the Méthode page re-scores, it does not re-read)."""
    registry = store.table("qpv")
    values = scored_values(wide_values(registry["code_qp"].tolist()).set_index("code_qp"))
    return values, uncertainty_of(values)


@functools.lru_cache(maxsize=16)
def _frame_scores(method_json: str, frame: str, data_version: tuple) -> pd.DataFrame:
    method = method_from_key(method_json)
    registry = store.table("qpv")
    values, uncertainty = _scoring_inputs(data_version)
    keys = ["generation"] + (["insee_reg"] if frame == "region" else [])
    results = []
    for group, members in registry.groupby(keys):
        codes = members["code_qp"].tolist()
        generation = int(group[0] if isinstance(group, tuple) else group)
        label = frame_label(generation, frame, str(members["lib_reg"].iloc[0]))
        if len(codes) < MIN_FRAME:
            small = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
            small["statut"] = "cadre_insuffisant"
        else:
            small = compute_scores(values.loc[codes], structure(), method, uncertainty)
        small["cadre"] = label
        # Ranks are "out of N": the QPV of the frame that have a score.
        ranked = small["rang"].notna() if "rang" in small else pd.Series(False, index=small.index)
        small["taille_cadre"] = int(ranked.sum())
        small["cadre_classes"] = ranked_label(members, ranked, generation, frame) if ranked.any() else pd.NA
        results.append(small)
    return pd.concat(results)


def frame_scores(method: Method | None = None, frame: str = "generation") -> pd.DataFrame:
    """Scores, percentiles and domains of every QPV, each ranked within its reference frame."""
    if frame not in FRAMES:
        raise BadArgumentError(f"Cadre de référence « {frame} » inconnu : choisir parmi {', '.join(FRAMES)}.")
    method = method or Method()
    method.validate(structure().domains, structure().domain_pillars())
    return _frame_scores(method_key(method), frame, indicator_list.data_version()).copy()


def territory_table(territory: Territory, method: Method | None = None, frame: str = "generation",
                    with_scores: bool = True) -> pd.DataFrame:
    """One row per QPV of the territory (both generations, registry order), as a fresh copy.

    Built once per territory, method, reference frame and data version (a page asks for it several
    times: the map, its generations, the table beside it); without ``with_scores`` nothing is scored.
    """
    method_json = method_key(method or Method()) if with_scores else ""
    return _cached_table(territory, method_json, frame, with_scores, indicator_list.data_version()).copy()


@functools.lru_cache(maxsize=32)
def _cached_table(territory: Territory, method_json: str, frame: str, with_scores: bool,
                  data_version: tuple) -> pd.DataFrame:
    return build_table(territory, method_from_key(method_json) if with_scores else None, frame, with_scores)


def build_table(territory: Territory, method: Method | None, frame: str, with_scores: bool) -> pd.DataFrame:
    """The territory table, computed (``territory_table`` caches it)."""
    codes = territories.qpv_codes(territory)
    registry = store.table("qpv").set_index("code_qp")
    ids = registry.loc[codes].reset_index()[ID_COLUMNS] if codes else pd.DataFrame(columns=ID_COLUMNS)
    table = ids.merge(wide_values(codes), on="code_qp", how="left")
    ordered = ID_COLUMNS + [c for ind in indicator_list.ids() for c in indicator_columns(ind)]
    table = table[ordered]
    if not with_scores:
        return table
    scores = frame_scores(method, frame)
    small = scores.loc[scores.index.intersection(codes)]
    if (small["statut"] == "cadre_insuffisant").any():
        raise BadArgumentError(
            f"Cadre de référence trop petit pour {small[small['statut'] == 'cadre_insuffisant'].iloc[0]['cadre']} : "
            f"il faut au moins {MIN_FRAME} quartiers pour calculer des rangs centiles."
        )
    extra = scores.reindex(codes)
    return pd.concat([table.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)


def references_for(qpv_row: pd.Series) -> pd.DataFrame:
    """Reference values (commune, EPCI, département, région, France, ensemble des QPV) for one QPV."""
    refs = store.table("references")
    wanted = {
        "COM": qpv_row.get("insee_com"),
        "EPCI": qpv_row.get("siren_epci"),
        "DEP": qpv_row.get("insee_dep"),
        "REG": qpv_row.get("insee_reg"),
        "FRANCE": "1",
        "QPV_ENSEMBLE": "QPV2015" if int(qpv_row.get("generation", 0)) == 2015 else None,
    }
    mask = pd.Series(False, index=refs.index)
    for level, code in wanted.items():
        if isinstance(code, str):
            mask |= (refs["niveau"] == level) & (refs["code"] == code)
    return refs[mask].reset_index(drop=True)


def method_document_inputs() -> dict:
    """What ``docs/methode.md`` reads from the data: the calibration metrics, region names and, per calibrated
    indicator, how many QPV 2024 values of each nature the bundle holds (``indicators.methode.render_markdown``
    keyword arguments). Empty when the data has no calibration table."""
    from core.errors import SourceMissingError

    try:
        metrics = store.table("calibration_metriques", folder=store.bundle_dir())
    except SourceMissingError:
        return {}
    communes = store.table("communes", folder=store.bundle_dir())
    names = communes.dropna(subset=["insee_reg"]).drop_duplicates("insee_reg").set_index("insee_reg")["lib_reg"]
    values = store.table("valeurs", folder=store.bundle_dir())
    registry = store.table("qpv", folder=store.bundle_dir())
    q24 = values[values["code_qp"].isin(registry.loc[registry["generation"] == 2024, "code_qp"])]
    counts = {}
    for indicator in metrics["indicateur"].unique():
        part = q24[q24["indicateur"] == indicator]
        kinds = part["nature"].fillna("manquante").value_counts()
        counts[str(indicator)] = {str(k): int(v) for k, v in kinds.items() if k != "manquante"}
        counts[str(indicator)]["manquante"] = int(kinds.get("manquante", 0))
    return {"calibration_metrics": metrics, "region_names": {str(k): str(v) for k, v in names.items()},
            "nature_counts": counts}
