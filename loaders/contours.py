"""National QPV contours and the QPV registry they define (bundle pipeline).

* **QPV 2024**: the 1,609 codes of the national contour file (metropole 1,362 + overseas), which matches
  INSEE's list of 1,609. A QPV's communes come from the list CSV where its code is there (149 QPV span
  several communes), otherwise from the contour file's main commune(s). **Mayotte**: the list CSV's 17
  codes ``QN97651C…QN97667C`` are not in the contour file (42 codes ``QN97601M…``): the 42 of the
  contours are kept and the two lists are never matched (``geodata.territories.MAYOTTE_NOTE`` says so
  wherever Mayotte is shown). Three QPV have a simplified shape without area: they stay in the registry
  without a contour.
* **QPV 2015**: the 1,514 polygons of the official archive; metropolitan ones from the native Lambert-93
  file (areas and overlaps), overseas ones from the WGS84 file. Communes from INSEE's TAG_QPV_2015; the
  78 QPV of Saint-Martin and Polynésie française that it lacks get their commune from the names of the
  archive, matched to the communes of the same territory.

Stored contours are simplified (``STORAGE_TOLERANCE_M``), valid and strictly polygonal; every
computation (IRIS overlay, overlap of the generations, grids) uses the shapes as read.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import settings
from core.errors import SourceFormatError
from core.text import fold
from sources.geometry import repair
from sources.publishers import anct
from sources.registry import COPIES

EXPECTED_2024 = 1609
EXPECTED_2024_METRO = 1362
EXPECTED_2015 = 1514
EXPECTED_2015_METRO = 1296
#: Simplification of the stored contours (metres), then coordinates rounded to 1e-5° (about 1 m).
STORAGE_TOLERANCE_M = 3.0
#: Overseas collectivities without a région: their own code and name stand for it.
COLLECTIVITES = {"975", "977", "978", "986", "987", "988"}


#: Metric CRS of the overseas collectivities that ``settings.OVERSEAS_METRIC_CRS`` does not list (WGS84 / UTM).
EXTRA_METRIC_CRS = {"978": "EPSG:32620", "987": "EPSG:32706"}


def metric_crs(insee_dep: str | None) -> str:
    """Metric CRS of a département: Lambert-93, the local UTM overseas (Saint-Martin, Tahiti included)."""
    return EXTRA_METRIC_CRS.get(str(insee_dep or ""), settings.metric_crs_for_dep(insee_dep))


def department_of_code(code: pd.Series) -> pd.Series:
    """Département of a QPV code: ``QN01301M``/``QP013001`` → ``13``, ``QP02A001`` → ``2A``, ``QN97101M`` →
    ``971``, ``QP987001`` → ``987``."""
    digits = code.astype(str).str[2:5]
    overseas = digits.str[:2].isin(["97", "98"])
    return digits.where(overseas, digits.str[1:3])


def _count(frame: pd.DataFrame, expected: int, item_key: str, what: str) -> None:
    if len(frame) != expected:
        raise SourceFormatError(COPIES[item_key].path, f"{len(frame)} {what} lus au lieu de {expected} attendus.")


def read_qpv2024(source_dir: Path) -> gpd.GeoDataFrame:
    """The national QPV 2024 contours with their file attributes (EPSG:4326, one row per code)."""
    item = COPIES["qpv2024_france"]
    frame = anct.read_qpv2024_national(source_dir / item.path, name=item.path)
    _count(frame, EXPECTED_2024, "qpv2024_france", "QPV 2024")
    metro = (frame["insee_dep"].str.len() == 2).sum()
    if metro != EXPECTED_2024_METRO:
        raise SourceFormatError(item.path, f"{metro} QPV 2024 de métropole au lieu de {EXPECTED_2024_METRO}.")
    frame["insee_dep"] = department_of_code(frame["code_qp"]).where(frame["insee_dep"].isna(), frame["insee_dep"])
    return frame.reset_index(drop=True)


def read_qpv2015(source_dir: Path) -> gpd.GeoDataFrame:
    """The 1,514 QPV 2015 (EPSG:4326): metropole from the native Lambert-93 file, overseas from WGS84."""
    lb93, world = COPIES["qpv2015_metropole_lb93"], COPIES["qpv2015_france"]
    metro = anct.read_qpv2015_shapefile(source_dir / lb93.path, name=lb93.path, crs=settings.METRIC_CRS)
    _count(metro, EXPECTED_2015_METRO, "qpv2015_metropole_lb93", "QPV 2015 de métropole")
    everywhere = anct.read_qpv2015_shapefile(source_dir / world.path, name=world.path)
    _count(everywhere, EXPECTED_2015, "qpv2015_france", "QPV 2015")
    unknown = set(metro["code_qp"]) - set(everywhere["code_qp"])
    if unknown:
        raise SourceFormatError(lb93.path, f"codes absents du fichier national : {sorted(unknown)[:3]}.")
    overseas = everywhere[~everywhere["code_qp"].isin(set(metro["code_qp"]))]
    both = pd.concat([metro.to_crs(settings.DISPLAY_CRS), overseas.to_crs(settings.DISPLAY_CRS)], ignore_index=True)
    frame = gpd.GeoDataFrame(both, geometry="geometry", crs=settings.DISPLAY_CRS)
    frame["insee_dep"] = department_of_code(frame["code_qp"])
    empty = frame.geometry.is_empty
    if empty.any():
        raise SourceFormatError(world.path, f"contour vide pour {', '.join(frame.loc[empty, 'code_qp'][:5])}.")
    return frame.sort_values("code_qp").reset_index(drop=True)


def links_2024(contours: pd.DataFrame, listed: pd.DataFrame) -> pd.DataFrame:
    """``code_qp, lib_qp, insee_com`` for every QPV 2024 of the contour file: the list CSV's communes (and
    name) where the code is listed, else the contour file's main commune(s). Codes of the list absent from
    the contour file (Mayotte's ``QN976..C``) are dropped, never matched to another code."""
    codes = set(contours["code_qp"])
    from_list = listed[listed["code_qp"].isin(codes)][["code_qp", "lib_qp", "insee_com"]]
    rest = contours[~contours["code_qp"].isin(set(from_list["code_qp"]))]
    from_file = rest[["code_qp", "lib_qp", "insee_com"]].assign(insee_com=rest["insee_com"].str.split(";"))
    from_file = from_file.explode("insee_com")
    from_file = from_file[from_file["insee_com"].notna() & (from_file["insee_com"] != "")]
    out = pd.concat([from_list, from_file], ignore_index=True).drop_duplicates(["code_qp", "insee_com"])
    missing = codes - set(out["code_qp"])
    if missing:
        raise SourceFormatError(COPIES["qpv2024_france"].path, f"QPV sans commune : {sorted(missing)[:3]}.")
    return out.reset_index(drop=True)


def _name_match(name: str, candidates: dict[str, str]) -> str | None:
    """Commune code whose folded name equals ``name``'s, or starts with it (« Moorea » → « Moorea-Maiao »)."""
    key = fold(name)
    if key in candidates:
        return candidates[key]
    found = [code for label, code in candidates.items() if label.startswith(key) or key.startswith(label)]
    return found[0] if len(found) == 1 else None


def links_2015(contours: pd.DataFrame, tag: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``code_qp, lib_qp, insee_com`` for every QPV 2015: TAG_QPV_2015, and for the QPV it lacks (Saint-Martin,
    Polynésie française) the archive's commune names matched to ``known`` (``insee_com, lib_com,
    insee_dep``: communes of the table and main communes of the QPV 2024 file)."""
    listed = tag[tag["code_qp"].isin(set(contours["code_qp"]))][["code_qp", "lib_qp", "insee_com"]]
    rows = []
    for row in contours[~contours["code_qp"].isin(set(listed["code_qp"]))].itertuples():
        same = known[known["insee_dep"] == row.insee_dep]
        candidates = {fold(str(label)): code for label, code in zip(same["lib_com"], same["insee_com"], strict=True)}
        for name in str(row.communes_qp or "").split(","):
            code = _name_match(name.strip(), candidates) if name.strip() else None
            if code is not None:
                rows.append({"code_qp": row.code_qp, "lib_qp": row.lib_qp, "insee_com": code})
    out = pd.concat([listed, pd.DataFrame(rows, columns=["code_qp", "lib_qp", "insee_com"])], ignore_index=True)
    missing = set(contours["code_qp"]) - set(out["code_qp"])
    if missing:
        raise SourceFormatError(COPIES["qpv2015_france"].path, f"commune introuvable pour {sorted(missing)[:3]}.")
    return out.drop_duplicates(["code_qp", "insee_com"]).reset_index(drop=True)


def fallback_attributes(contours24: pd.DataFrame, contours15: pd.DataFrame) -> pd.DataFrame:
    """Département and région of QPV whose communes the COG table lacks (overseas collectivities), from the
    QPV 2024 file; a collectivity without région stands for its own région (code = its code)."""
    dep = contours24.drop_duplicates("insee_dep").set_index("insee_dep")
    out = []
    for frame in (contours24, contours15):
        codes = frame[["code_qp", "insee_dep"]].copy()
        codes["lib_dep"] = codes["insee_dep"].map(dep["lib_dep"])
        region = codes["insee_dep"].map(dep["insee_reg"])
        collectivite = codes["insee_dep"].isin(COLLECTIVITES)
        codes["insee_reg"] = region.where(~collectivite, codes["insee_dep"])
        codes["lib_reg"] = codes["insee_dep"].map(dep["lib_reg"]).where(
            ~collectivite, codes["lib_dep"] + " (collectivité d'outre-mer)")
        out.append(codes)
    return pd.concat(out, ignore_index=True).set_index("code_qp")


def for_storage(contours: gpd.GeoDataFrame, tolerance: float = STORAGE_TOLERANCE_M) -> gpd.GeoDataFrame:
    """``code_qp, generation, geometry`` simplified in metres (Lambert-93, local UTM overseas), rounded to
    1e-5°, repaired: valid and strictly polygonal. Shapes without area are left out."""
    parts = []
    for crs, part in contours.groupby(contours["insee_dep"].map(metric_crs)):
        metric = part.to_crs(crs)
        simple = shapely.simplify(metric.geometry.to_numpy(), tolerance, preserve_topology=True)
        parts.append(gpd.GeoDataFrame(part[["code_qp", "generation"]], geometry=simple, crs=crs)
                     .to_crs(settings.DISPLAY_CRS))
    out = gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=settings.DISPLAY_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.to_numpy(), 1e-5)
    out["geometry"] = repair(out.geometry)
    out = out[~out.geometry.is_empty & (shapely.area(out.geometry.to_numpy()) > 0)]
    out["generation"] = out["generation"].astype("int16")
    return out.sort_values(["generation", "code_qp"], ascending=[False, True]).reset_index(drop=True)


def with_area(contours: gpd.GeoDataFrame) -> pd.Series:
    """Area in hectares per code, measured in the metric CRS of each QPV's département."""
    areas = pd.Series(np.nan, index=contours["code_qp"].to_numpy())
    for crs, part in contours.groupby(contours["insee_dep"].map(metric_crs)):
        areas.loc[part["code_qp"].to_numpy()] = part.to_crs(crs).geometry.area.to_numpy() / 1e4
    return areas
