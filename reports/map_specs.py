"""Which maps the annex draws: for each domain, its lead indicator over the QPV of each generation that has
contours offline, on the commune outlines, in the territory's metric projection (drawn by ``reports.maps``).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd

import settings
from assembly import layers
from assembly.value_text import provenances
from core import natures
from geodata.territories import Territory
from indicators import catalogue
from indicators.catalogue import DOMAINS, Indicator
from reports import maps

#: Publisher of the QPV contours (ANCT, both generations).
CONTOUR_PUBLISHER = "ANCT"


def lead_indicator(domain: str, values: pd.DataFrame) -> Indicator | None:
    """The indicator mapped for a domain: the most complete rate or level among the mapped QPV.

    Scored indicators first, then the one with the most values, then catalogue order. Absolute
    counts are never mapped (a choropleth of counts reads larger areas as "more").
    """
    candidates = []
    for order, ind in enumerate(i for i in catalogue.CATALOGUE if i.domain == domain):
        if ind.unit in maps.COUNT_UNITS:
            continue
        known = int(values[ind.id].notna().sum())
        if known:
            candidates.append((-int(ind.scored), -known, order, ind))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def value_sources(rows: pd.DataFrame, indicator_id: str) -> tuple[tuple[str, str], ...]:
    """(vintage, source) of the values of one indicator among ``rows`` (the map's legend and source line)."""
    rows = rows[rows[indicator_id].notna()]
    if rows.empty:
        return ()
    known = provenances(pd.DataFrame(rows), [indicator_id])
    return tuple(dict.fromkeys((p.vintage, p.source) for p in known.values()))


def map_specs(territory: Territory, table: pd.DataFrame, generated_on: date,
              commune_publisher: str) -> dict[str, list[maps.MapSpec]]:
    """Map specifications per domain (one per generation with contours)."""
    out: dict[str, list[maps.MapSpec]] = {d: [] for d in DOMAINS}
    generations = sorted(table.loc[table["a_contour"].astype(bool), "generation"].astype(int).unique(), reverse=True)
    if not generations:
        return out
    communes_all = layers.commune_outlines(territory)
    first = catalogue.CATALOGUE[0].id
    for generation in generations:
        rows = table[table["generation"].astype(int) == generation]
        shapes = layers.qpv_layer(territory, generation, first)[["code_qp", "geometry"]]
        shapes = shapes.merge(rows, on="code_qp", how="inner")
        if shapes.empty:
            continue
        dep = str(rows["insee_dep"].dropna().iloc[0]) if rows["insee_dep"].notna().any() else None
        crs = settings.metric_crs_for_dep(dep)
        shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=settings.DISPLAY_CRS).to_crs(crs)
        communes = communes_all.to_crs(crs) if len(communes_all) else communes_all
        without = int((~rows["a_contour"].astype(bool)).sum())
        labelled = tuple(sorted(set(shapes["lib_com"].dropna())))
        for domain in DOMAINS:
            ind = lead_indicator(domain, shapes)
            if ind is None:
                continue
            nature = shapes[f"{ind.id}_nature"] if f"{ind.id}_nature" in shapes else pd.Series(pd.NA, index=shapes.index)
            estimated = nature.isin(list(natures.ESTIMATES)).fillna(False).astype(bool) & shapes[ind.id].notna()
            layer = gpd.GeoDataFrame({"code_qp": shapes["code_qp"], "lib_qp": shapes["lib_qp"],
                                      "lib_com": shapes["lib_com"], "value": shapes[ind.id].astype(float),
                                      "estimated": estimated.to_numpy()},
                                     geometry=shapes.geometry, crs=crs)
            out[domain].append(maps.MapSpec(
                key=f"{domain}:{generation}", domain=domain, indicator=ind, generation=generation,
                territory_label=territory.label, shapes=layer, communes=communes, labelled_communes=labelled,
                crs=crs, contour_publisher=CONTOUR_PUBLISHER, commune_publisher=commune_publisher,
                made_on=generated_on, without_contour=without,
                value_sources=value_sources(shapes, ind.id)))
    return out
