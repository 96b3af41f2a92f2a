"""Where the pipeline finds its inputs: the open-data folder (bundle) or a territory's staging folder.

The bundle pipeline (``loaders.bundle``) computes every value from parsed frames obtained here, so that
the same rules run in two settings:

* ``OpenDataInputs`` — ``build-bundle``: every file of ``sources.registry.COPIES`` from the shared
  open-data folder, each read once with its parser;
* ``TerritoryInputs`` — ``update``: the official files downloaded for one territory, staged under the
  same relative paths, and, for the national files that have no per-territory access (DRIAS grid, IRIS
  statistics, heat networks, LCZ per IRIS of nine cities), the small derived tables that the bundle
  embeds for that purpose (``REFERENCE_TABLES``). A missing input gives ``None``: its indicators keep the
  values already loaded (bundle or previous update).
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import pandas as pd

from loaders import spatial
from sources.publishers import cerema, cstb, georisques, ign, insee
from sources.registry import COPIES

#: Derived national tables embedded in the bundle for the online update (name → description).
REFERENCE_TABLES: dict[str, str] = {
    "drias_grille": "Grille SAFRAN 8 km (DRIAS-2020) : points et valeurs des indicateurs de chaleur utilisés",
    "iris_dpe": "DPE par IRIS (BDNB) : nombre de DPE, part F+G, population — colonnes utilisées",
    "iris_caf": "Allocataires Caf par IRIS au 31/12/2020 (A, RSA socle, APL)",
    "iris_filosofi": "Filosofi 2019 par IRIS (taux de pauvreté, revenu médian)",
    "iris_reseaux_chaleur": "IRIS desservis par un réseau de chaleur (SDES, données 2023)",
    "lcz_iris": "Classes de chaleur LCZ par IRIS des neuf villes-centres (contours IGN exacts, Lambert-93)",
}

BDNB_COLUMNS = ["code_iris", "P22_POP", "logd_dpe_total_24", "logd_dpe_fg_pct_24"]
CAF_COLUMNS = ["code_iris", "A", "ARSAS", "AAPL"]
FILO_COLUMNS = ["code_iris", "taux_pauvrete", "revenu_median"]
LCZ_COLUMNS = ["ville", "code_iris", "nom_iris", "nom_com", "heat_score", "geometry"]


class OpenDataInputs:
    """Inputs of the bundle build: the shared open-data folder, every file required."""

    territory = False

    def __init__(self, source_dir: Path) -> None:
        self.source_dir = Path(source_dir)

    def path(self, key: str) -> Path:
        return self.source_dir / COPIES[key].path

    @functools.cache
    def gaspar(self) -> tuple[pd.DataFrame, frozenset[str] | None]:
        item = COPIES["gaspar_ddrm"]
        ddrm = georisques.read_gaspar_ddrm(self.path("gaspar_ddrm"), name=item.path)
        return ddrm, spatial.OFFLINE_GASPAR_REGIONS

    @functools.cache
    def drias_grid(self) -> pd.DataFrame:
        return spatial.drias_grid(self.source_dir)

    @functools.cache
    def lcz_cities(self) -> list[gpd.GeoDataFrame]:
        return spatial.read_lcz_cities(self.source_dir)

    @functools.cache
    def iris_zones(self) -> gpd.GeoDataFrame:
        zones = ign.read_iris_contours(self.path("iris_contours"), name=COPIES["iris_contours"].path)
        return spatial.iris_zones(zones, self.lcz_cities())

    @functools.cache
    def bdnb(self) -> pd.DataFrame:
        return cstb.read_bdnb_iris(self.path("bdnb_iris"), name=COPIES["bdnb_iris"].path)

    @functools.cache
    def caf(self) -> pd.DataFrame:
        return insee.read_caf_iris(self.path("caf_iris"), name=COPIES["caf_iris"].path)

    @functools.cache
    def filo_iris(self) -> pd.DataFrame:
        return insee.read_filosofi_iris(self.path("filo_iris"), 2019, name=COPIES["filo_iris"].path)

    @functools.cache
    def heat_served(self) -> set[str]:
        return set(self.heat_table()["code_iris"])

    @functools.cache
    def heat_table(self) -> pd.DataFrame:
        return spatial.heat_served_iris(self.source_dir)

    def reference_tables(self) -> dict[str, pd.DataFrame]:
        """The derived national tables embedded in the bundle for the online update."""
        lcz = []
        for key, city in zip(spatial.LCZ_KEYS, self.lcz_cities(), strict=True):
            frame = city.copy()
            frame.insert(0, "ville", key.removeprefix("lcz_"))
            lcz.append(frame)
        return {
            "drias_grille": self.drias_grid(),
            "iris_dpe": self.bdnb()[BDNB_COLUMNS].reset_index(drop=True),
            "iris_caf": self.caf()[CAF_COLUMNS].reset_index(drop=True),
            "iris_filosofi": self.filo_iris()[FILO_COLUMNS].reset_index(drop=True),
            "iris_reseaux_chaleur": self.heat_table(),
            "lcz_iris": gpd.GeoDataFrame(pd.concat(lcz, ignore_index=True)[LCZ_COLUMNS], geometry="geometry",
                                         crs=lcz[0].crs),
        }


class TerritoryInputs:
    """Inputs of a territory update: staged official downloads, then the bundle's derived tables.

    ``path(key)`` points into the staging folder (the file may be absent when its source failed and no
    previous copy exists); national references come from ``bundle_dir``. Staged LCZ cities fetched
    online (``env/lcz_heat_iris_<ville>.geojson`` outside the nine bundled cities) are added to the
    bundled ones.
    """

    territory = True

    def __init__(self, staging_dir: Path, bundle_dir: Path) -> None:
        self.source_dir = Path(staging_dir)
        self.bundle_dir = Path(bundle_dir)

    def path(self, key: str) -> Path:
        return self.source_dir / COPIES[key].path

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def _bundle(self, name: str) -> pd.DataFrame | None:
        path = self.bundle_dir / f"{name}.parquet"
        if not path.is_file():
            return None
        return gpd.read_parquet(path) if name == "lcz_iris" else pd.read_parquet(path)

    @functools.cache
    def gaspar(self) -> tuple[pd.DataFrame, frozenset[str] | None] | None:
        if not self.has("gaspar_ddrm"):
            return None
        ddrm = georisques.read_gaspar_ddrm(self.path("gaspar_ddrm"), name="GASPAR (DDRM)")
        return ddrm, None  # national archive: a commune absent from it is not covered

    @functools.cache
    def drias_grid(self) -> pd.DataFrame | None:
        return self._bundle("drias_grille")

    @functools.cache
    def lcz_cities(self) -> list[gpd.GeoDataFrame]:
        cities = []
        bundled = self._bundle("lcz_iris")
        names = set()
        if bundled is not None:
            for key in spatial.LCZ_KEYS:
                city = key.removeprefix("lcz_")
                part = bundled[bundled["ville"] == city].drop(columns="ville").reset_index(drop=True)
                if not part.empty:
                    cities.append(gpd.GeoDataFrame(part, geometry="geometry", crs=bundled.crs))
                    names.add(city)
        for path in sorted((self.source_dir / "env").glob("lcz_heat_iris_*.geojson")):
            city = path.stem.removeprefix("lcz_heat_iris_")
            if city not in names:
                cities.append(cerema.read_lcz_iris(path, name=f"LCZ {city}"))
        return cities

    @functools.cache
    def iris_zones(self) -> gpd.GeoDataFrame | None:
        if not self.has("iris_contours"):
            return None
        zones = ign.read_iris_contours(self.path("iris_contours"))
        if zones.empty:
            return None
        return spatial.iris_zones(zones, self.lcz_cities())

    @functools.cache
    def bdnb(self) -> pd.DataFrame | None:
        return self._bundle("iris_dpe")

    @functools.cache
    def caf(self) -> pd.DataFrame | None:
        return self._bundle("iris_caf")

    @functools.cache
    def filo_iris(self) -> pd.DataFrame | None:
        return self._bundle("iris_filosofi")

    @functools.cache
    def heat_served(self) -> set[str] | None:
        table = self._bundle("iris_reseaux_chaleur")
        return None if table is None else set(table["code_iris"])
