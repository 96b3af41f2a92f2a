"""The national values of the bundle: every QPV 2015 and 2024 of France, from the open-data copies.

``national_values`` runs the same rules as a territory update (``loaders.values``) on the 3,120 contoured
QPV, then adds what only the national build can do: the QPV × IRIS weights of every QPV, the calibration
features of both generations, the calibration itself (``indicators.calibration``) and the QPV 2024 values
in their order of preference (``loaders.qpv2024``). IRIS contours are read here and never stored: the
weights table stands for them in the bundle.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from loaders import calibration_features as cf
from loaders import qpv2024, spatial
from loaders.contours import with_area
from loaders.values import extract_qpv2015, merge_values, spatial_rows
from sources.publishers import insee
from sources.registry import COPIES

DECILE_COLUMNS = ["D119", "D219", "D319", "D419", "Q219", "D619", "D719", "D819", "D919"]


def commune_filosofi(inputs) -> pd.DataFrame:
    """Filosofi 2019 of communes and départements with poverty rates recomputed from deciles
    (``loaders.calibration_features.commune_table``)."""
    tables = []
    for key in ("filo_com_2019", "filo_dep_2019"):
        item = COPIES[key]
        tables.append(insee.read_filosofi_territory(inputs.path(key), DECILE_COLUMNS, name=item.path))
    return cf.commune_table(*tables)


def _features(weights: pd.DataFrame, iris: pd.DataFrame, communes: pd.DataFrame, contours: gpd.GeoDataFrame,
              registry: pd.DataFrame, population: pd.Series, generation: int) -> pd.DataFrame:
    part = contours[contours["generation"] == generation]
    zones = registry.set_index("code_qp").loc[part["code_qp"], ["insee_dep", "insee_reg"]].reset_index()
    zones["area_ha"] = with_area(part).reindex(zones["code_qp"]).to_numpy()
    own = weights[weights["code_qp"].isin(set(part["code_qp"]))]
    return cf.features(own, iris, communes, zones, population)


def national_values(inputs, registry: pd.DataFrame, links: pd.DataFrame, contours: gpd.GeoDataFrame,
                    population: pd.DataFrame, log=print) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Long value table of every QPV × indicator, and the documenting tables (weights, overlap, calibration).

    ``contours``: QPV shapes as read (``code_qp``, ``generation``, ``insee_dep``, EPSG:4326; QPV without
    area left out); ``population``: the RP 2020 copy per QPV 2024 (``insee.read_qpv2024_population``).
    """
    codes15 = pd.Index(registry.loc[registry["generation"] == 2015, "code_qp"])
    rows15 = extract_qpv2015(inputs.source_dir, codes15)
    log("IRIS de métropole : lecture et superposition aux quartiers…")
    zones = inputs.iris_zones()
    weights = spatial.iris_weights(zones, contours)
    computed = [rows15, *spatial_rows(inputs, registry, links, contours, weights, log)]

    log("Calibration : variables des QPV 2015 et 2024…")
    communes = commune_filosofi(inputs)
    iris = cf.iris_table(inputs.filo_iris(), inputs.caf(), inputs.bdnb(), communes)
    pop15 = rows15[rows15["indicateur"] == "population"].set_index("code_qp")["valeur"]
    f15 = _features(weights, iris, communes, contours, registry, pop15, 2015)
    f24 = _features(weights, iris, communes, contours, registry, population["population"], 2024)
    data = qpv2024.training_table(f15, f24, rows15, registry)
    rows24, tables = qpv2024.qpv2024_rows(registry, contours, rows15, population, data, log=log)
    computed.append(rows24)
    values = merge_values(registry, computed)
    tables["qpv_iris_poids"] = weights.rename(columns={"zone_id": "code_iris", "w_area": "surface_commune_m2"})
    return values, tables
