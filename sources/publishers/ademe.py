"""ADEME Data Fair — energy precarity per IRIS, air quality per commune, DPE labels per commune.

``/lines`` pages are followed through their ``next`` link; ``/values_agg`` answers may be nested.
A missing or null field is missing (never 0); a field absent from every row stops the load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from sources import http
import pandas as pd
from sources.fetching import Context, Fetched, chunks, csv_bytes, follow_pages, product_path
from core.errors import SourceFormatError
from core.formats import plural
from sources.publishers.common import check_numeric, require_columns, to_number



def ademe_page(payload: object, *, name: str) -> tuple[list[dict], str | None]:
    """One ``/lines`` page → its rows and the ``next`` URL (absent on the last page)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise SourceFormatError(name, "réponse Data Fair sans liste « results » (format changé ?).")
    nxt = payload.get("next")
    return payload["results"], nxt if isinstance(nxt, str) and nxt else None


def read_ademe_lines(rows: list[dict], *, name: str, key: str, numeric: list[str]) -> pd.DataFrame:
    """Rows of a Data Fair dataset → frame keyed by ``key`` (text) with ``numeric`` columns as floats.

    A missing or null field is missing (NaN), never 0; a field absent from every row means the
    dataset changed (renamed column) and stops the load.
    """
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame({key: pd.array([], dtype="string"), **{c: pd.array([], dtype="float64") for c in numeric}})
    require_columns(frame, [key], name)
    absent = [c for c in numeric if c not in frame.columns]
    if absent:
        raise SourceFormatError(name, plural(len(absent), "colonne attendue absente", "colonnes attendues absentes") + " : " + ", ".join(absent)
                                      + " (jeu de données modifié ?).")
    out = pd.DataFrame({key: frame[key].astype("string").str.strip()})
    for column in numeric:
        raw = frame[column].astype("string")
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out.drop_duplicates(key).reset_index(drop=True)


def read_ademe_values_agg(payload: object, *, name: str) -> pd.DataFrame:
    """``/values_agg`` (optionally nested, e.g. ``code_insee_ban;etiquette_dpe``) → long counts.

    Columns ``niveau1`` (and ``niveau2`` when nested) and ``nombre``.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("aggs"), list):
        raise SourceFormatError(name, "réponse values_agg sans liste « aggs » (format changé ?).")
    rows = []
    for agg in payload["aggs"]:
        if "value" not in agg or "total" not in agg:
            raise SourceFormatError(name, "élément d'agrégation sans « value » ou « total ».")
        inner = agg.get("aggs")
        if isinstance(inner, list) and inner:
            for sub in inner:
                rows.append({"niveau1": str(agg["value"]), "niveau2": str(sub.get("value")),
                             "nombre": int(sub.get("total", 0))})
        else:
            rows.append({"niveau1": str(agg["value"]), "nombre": int(agg["total"])})
    return pd.DataFrame(rows)


def _ademe_rows(ctx: Context, src: Source, params: dict) -> list[dict]:
    return follow_pages(ctx, src, src.url, {**src.params, **params}, ademe_page, 1000)


def _fetch_lines(ctx: Context, src: Source, key: str, numeric: list[str],
                 query: Callable[[list[str]], dict]) -> Fetched:
    """Rows of the territory's communes (``query(chunk)`` filters one page series), kept as a CSV product."""
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    rows: list[dict] = []
    for chunk in chunks(communes, 20):
        rows.extend(_ademe_rows(ctx, src, query(chunk)))
    frame = read_ademe_lines(rows, name=src.label, key=key, numeric=numeric)
    result = http.save_product(product_path(src, ctx, ".csv"), csv_bytes(frame), source=src.label,
                               extra_meta={"url": src.url})
    return Fetched({src.stage[0]: result.path}, notes=[f"{len(frame)} lignes"])


def fetch_data_iris(ctx: Context, src: Source) -> Fetched:
    """Energy precarity (GÉODIP) of the IRIS of the quartiers' communes (IRIS codes start with the commune's)."""
    return _fetch_lines(ctx, src, "iris", ["share_nrj_preca_log", "men_total_weight"],
                        lambda chunk: {"qs": "iris:(" + " OR ".join(f"{c}*" for c in chunk) + ")"})


def fetch_data_communes(ctx: Context, src: Source) -> Fetched:
    """Background air concentrations of the quartiers' communes."""
    return _fetch_lines(ctx, src, "code_commune_insee", ["moyenne_annuelle_de_concentration_de_no2_ugm3",
                                                         "moyenne_annuelle_de_concentration_de_pm25_ugm3"],
                        lambda chunk: {"code_commune_insee_in": ",".join(chunk)})


def fetch_dpe_communes(ctx: Context, src: Source) -> Fetched:
    """DPE labels counted per commune (``values_agg`` nested on commune and label)."""
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    if not communes:
        return Fetched(notes=["aucune commune de quartier"])
    frames = []
    for chunk in chunks(communes, 20):
        holder: dict = {}

        def check(payload: object) -> None:
            holder["frame"] = read_ademe_values_agg(payload, name=src.label)

        params = {**src.params, "qs": "code_insee_ban:(" + " OR ".join(chunk) + ")",
                  "agg_size": max(len(chunk), 1)}
        ctx.json(src.url, source=src.label, params=params, validate=check)
        frames.append(holder["frame"])
    table = pd.concat(frames, ignore_index=True)
    if not table.empty and "niveau2" not in table.columns:
        raise SourceFormatError(src.label, "agrégation non imbriquée : étiquettes DPE absentes.")
    out = table.rename(columns={"niveau1": "insee_com", "niveau2": "etiquette_dpe"}) if not table.empty else \
        pd.DataFrame(columns=["insee_com", "etiquette_dpe", "nombre"])
    result = http.save_product(product_path(src, ctx, ".csv"), csv_bytes(out), source=src.label,
                               extra_meta={"url": src.url})
    return Fetched({src.stage[0]: result.path})


def read_data_iris(source: Path, *, name: str | None = None) -> pd.DataFrame:
    """The staged ``data_iris`` product (IRIS code as text)."""
    return pd.read_csv(source, dtype={"iris": str})


def read_data_communes(source: Path, *, name: str | None = None) -> pd.DataFrame:
    """The staged ``data_communes`` product (commune code as text)."""
    return pd.read_csv(source, dtype={"code_commune_insee": str})


def read_dpe_communes(source: Path, *, name: str | None = None) -> pd.DataFrame:
    """The staged DPE label counts per commune."""
    return pd.read_csv(source, dtype={"insee_com": str, "etiquette_dpe": str})
