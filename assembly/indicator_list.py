"""The indicator list every view uses: the static catalogue, then the indicators imported by the local team.

``indicators.catalogue`` is static and pure; local indicators are files under ``ECOQPV_DATA_DIR`` read by
``sources.local_indicators``. This module joins the two for the pure code (scores, comparisons), the pages and the
annex: ``all_indicators()``, ``get()``, ``ids()``, the value table with the local values appended (``values()``),
and ``data_version()``, the cache key that changes after an update of the data *or* an import. Local ids are
prefixed (``local_…``), so they never collide with a catalogue id.
"""

from __future__ import annotations

import functools

import pandas as pd

from core import natures
from core.errors import BadArgumentError
from indicators import catalogue
from indicators.catalogue import Indicator
from indicators.local import RULE, LocalIndicator, from_metadata, is_local
from sources import local_indicators, store

__all__ = ["LocalIndicator", "all_indicators", "data_version", "get", "ids", "is_local", "local", "require",
           "values"]


@functools.lru_cache(maxsize=4)
def _local(version: tuple) -> tuple[LocalIndicator, ...]:
    found = []
    for data in local_indicators.list_metadata():
        if data["id"] in catalogue.BY_ID:  # cannot happen with the prefix; never shadow a catalogue entry
            continue
        try:
            found.append(from_metadata(data))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(found)


def local() -> tuple[LocalIndicator, ...]:
    """The local indicators, in id order."""
    return _local(local_indicators.version())


def all_indicators() -> tuple[Indicator, ...]:
    """The catalogue, then the local indicators."""
    return catalogue.CATALOGUE + local()


def by_id() -> dict[str, Indicator]:
    return {ind.id: ind for ind in all_indicators()}


def get(indicator_id: str) -> Indicator:
    """Indicator by id (catalogue or local); ``KeyError`` when unknown."""
    if indicator_id in catalogue.BY_ID:
        return catalogue.BY_ID[indicator_id]
    return {ind.id: ind for ind in local()}[indicator_id]


def require(indicator_id: str) -> Indicator:
    """Indicator by id, or a French ``BadArgumentError``."""
    try:
        return get(indicator_id)
    except KeyError:
        if is_local(indicator_id):
            raise BadArgumentError(f"Indicateur local inconnu : « {indicator_id} ». Liste : python -m loaders.local "
                                   "list.") from None
        return catalogue.require(indicator_id)


def ids() -> list[str]:
    return [ind.id for ind in all_indicators()]


def data_version() -> tuple:
    """Signature of the data the views show: the bundle and its updates, and the local indicators."""
    return (store.version(), local_indicators.version())


@functools.lru_cache(maxsize=2)
def _local_rows(version: tuple) -> pd.DataFrame:
    frames = []
    for ind in _local(version):
        try:
            frame = local_indicators.values(ind.id)
        except Exception:  # a damaged values file: the indicator shows no value rather than stopping the app
            continue
        frames.append(pd.DataFrame({
            "code_qp": frame["code_qp"].astype(str), "indicateur": ind.id, "valeur": frame["valeur"].astype("float64"),
            "raison_manquante": frame["raison"].astype("string"), "methode": RULE, "detail": pd.NA,
            "nature": pd.Series(natures.LOCAL, index=frame.index, dtype="string").where(frame["valeur"].notna()),
            "ic_bas": float("nan"), "ic_haut": float("nan"), "millesime": ind.vintage, "source": ind.source,
            "score_autorise": ind.scored,
        }))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def values() -> pd.DataFrame:
    """The long value table (``sources.store.table("valeurs")``) with the values of the local indicators."""
    table = store.table("valeurs")
    extra = _local_rows(local_indicators.version())
    if extra.empty:
        return table
    extra = extra.astype({c: table[c].dtype for c in extra.columns if c in table.columns}, errors="ignore")
    return pd.concat([table, extra], ignore_index=True)


def option_label(indicator_id: str) -> str:
    """An indicator as a choice in a list: « Libellé (unité) », and « — donnée locale » for a local one."""
    ind = get(indicator_id)
    text = f"{ind.label} ({ind.unit})" if ind.unit else ind.label
    return f"{text} — donnée locale" if is_local(ind) else text


def display_label(indicator_id: str) -> str:
    """An indicator's label, followed by « (donnée locale) » for a local one (tables listing indicators)."""
    ind = get(indicator_id)
    return f"{ind.label} (donnée locale)" if is_local(ind) else ind.label
