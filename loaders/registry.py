"""The registry of online sources: one declarative entry per source, in the order they are fetched.

Each entry says who publishes what, under which licence and vintage, where it is officially served
(URL, API, data.gouv.fr dataset and resource ids — resolved through the API, never a date-stamped
static URL), in which format and CRS, which parser reads it, which local input of the offline pipeline
(``loaders.sources.INPUTS``) it replaces, where it is staged for the pipeline, and which indicators it
feeds. ``verified`` is False where the official URL or format could not be confirmed offline (see
``shared/docs/data-sources.md``): the message of a failure then says the address may have changed.

Sources whose ``access`` is ``"embarque"`` have no online access usable per territory (DRIAS has no
API, the IRIS statistics are national files…): their data come from the bundle, and ``refresh`` says how
to renew them (rebuild the bundle from new copies).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.sources import DRIAS_TERMS, INPUTS, INSEE_TERMS, LO2

DATAGOUV_API = "https://www.data.gouv.fr/api/1/datasets/"
QPV_DATASET = "quartiers-prioritaires-de-la-politique-de-la-ville-qpv"
WFS = "https://data.geopf.fr/wfs/ows"
ADEME = "https://data.ademe.fr/data-fair/api/v1/datasets/"
GEORISQUES_API = "https://www.georisques.gouv.fr/api/v1/"
LCZ_DATASET = "cartographie-des-zones-climatiques-locales-lcz-des-83-aires-urbaines-de-plus-de-50-000-habitants-2022"


@dataclass(frozen=True)
class OnlineSource:
    key: str
    label: str
    publisher: str
    licence: str
    vintage: str
    access: str
    url: str
    format: str
    parser: str
    stage: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
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


SOURCES: dict[str, OnlineSource] = {
    s.key: s
    for s in (
        # --- geography -------------------------------------------------------------------------
        OnlineSource(
            "qpv2024_liste", "Liste des QPV 2024 et de leurs communes", "ANCT", LO2, "QPV 2024 (COG 2024)",
            access="datagouv_resource", url=DATAGOUV_API + QPV_DATASET + "/", dataset=QPV_DATASET,
            resource_id="4c6bb7f3-97b6-4834-8a3a-f5f8b3e6735b", resource_title=r"listeqp2024-cog2024",
            format='CSV « ; », UTF-8 avec BOM, une ligne par QPV × commune, codes communes protégés ="…"',
            parser="loaders.parsers.read_qpv2024_list", stage=("geo/qpv2024_communes_epci_dep_reg.csv",),
            replaces=("qpv2024_list",),
        ),
        OnlineSource(
            "qpv2024_correspondance", "Correspondance QPV 2024 ↔ QPV 2015", "ANCT", LO2, "QPV 2024 ; QPV 2015",
            access="datagouv_resource", url=DATAGOUV_API + QPV_DATASET + "/", dataset=QPV_DATASET,
            resource_title=r"correspondance.*qp2024.*qp2015", format="CSV (QP2024, Label_QP2024, Statut, "
            "QP2015_1…3)", parser="loaders.parsers_online.read_qpv_correspondance",
            stage=("online/qpv2024_correspondance_qp2015.csv",), verified=False,
            notes="Colonnes connues par du code tiers ; table approximative (périmètres modifiés).",
        ),
        OnlineSource(
            "qpv2024_contours", "Contours des QPV 2024", "ANCT", LO2, "QPV 2024 (métropole) ; QPV 2025 (outre-mer)",
            access="fichier", url="https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119",
            dataset=QPV_DATASET, resource_id="942d4ee8-8142-4556-8ea1-335537ce1119",
            format="ZIP (GeoJSON + shapefiles) ou GeoJSON à la même adresse : détecté au contenu",
            crs="EPSG:4326 (membre GeoJSON WGS84)", parser="loaders.parsers_online.read_qpv2024_contours",
            stage=("geo/qpv2024_paca_contours.geojson",), replaces=("qpv2024_paca",),
        ),
        OnlineSource(
            "qpv2015_contours", "Contours des QPV 2015", "ANCT / CGET (Géoplateforme IGN)", LO2, "QPV 2015",
            access="wfs", url=WFS, params={"TYPENAMES": "AREAMANAGEMENT.QP.VECTOR:qp_decretmodif_2015_epsg3857_wm",
                                           "filter_field": "code_qp"},
            format="WFS 2.0 GeoJSON, pages de 1 000 objets, filtre CQL sur code_qp", crs="EPSG:3857",
            parser="loaders.parsers_online.wfs_features", stage=("geo/qpv2015_occitanie_hackaviz2021.geojson",),
            replaces=("qpv2015_occitanie",),
        ),
        OnlineSource(
            "communes", "Communes, EPCI, départements, régions et contours communaux", "Etalab (API Découpage "
            "administratif), Insee (COG), IGN", LO2, "COG en vigueur", access="geoapi",
            url="https://geo.api.gouv.fr/communes",
            params={"fields": "nom,code,codeDepartement,departement,codeRegion,region,codeEpci,epci,population,contour",
                    "format": "geojson", "geometry": "contour"},
            format="GeoJSON (FeatureCollection) ou liste JSON", crs="EPSG:4326",
            parser="loaders.parsers_online.read_geoapi_communes",
            stage=("geo/communes_epci_dep_reg_2025_datafrance.csv", "geo/communes_2025_datafrance.geojson.gz"),
            replaces=("communes", "communes_geo"),
        ),
        OnlineSource(
            "iris_contours", "Contours IRIS des communes des quartiers", "IGN / Insee", LO2, "IRIS (édition courante)",
            access="wfs", url=WFS, params={"TYPENAMES": "STATISTICALUNITS.IRIS:contours_iris",
                                           "filter_field": "code_insee"},
            format="WFS 2.0 GeoJSON par commune (CQL code_insee IN …), complété par emprise (BBOX) pour les "
            "quartiers en limite de commune", crs="EPSG:3857", parser="loaders.parsers_online.wfs_features",
            stage=("geo/iris/iris2020_occitanie_paca_from_tiles_z9.geojson.gz",), replaces=("iris_contours",),
            indicators=("part_dpe_fg", "part_allocataires_apl", "part_allocataires_rsa", "taux_pauvrete",
                        "revenu_median", "reseau_chaleur", "part_precarite_energetique"),
        ),
        # --- INSEE statistics per QPV ---------------------------------------------------------------
        OnlineSource(
            "insee_demo_2022", "Insee — données QPV 2015 « Démographie » (édition 2022)", "Insee, Cnaf",
            INSEE_TERMS, "RP 2018", access="insee_page",
            url="https://www.insee.fr/fr/statistiques/5359605?sommaire=2500477",
            params={"link": r"^DEMO_2022.*\.(csv|zip)$", "member": r"DEMO_2022.*\.csv$", "columns": ["POP_MUN"]},
            format="CSV « ; », UTF-8 avec BOM, virgule décimale, séparateur de milliers U+202F",
            parser="loaders.parsers.read_insee_qpv", stage=("stats/qpv2015_insee_thematiques/DEMO_2022.csv",),
            replaces=("demo_2022",), indicators=("population", "part_moins_25", "part_60_plus", "part_menages_1pers"),
            verified=False, notes="Le nom du fichier est cherché sur la page Insee (il change à chaque édition).",
        ),
        OnlineSource(
            "insee_revn_2022", "Insee — données QPV 2015 « Revenus » (édition 2022)", "Insee, Cnam, Cnaf",
            INSEE_TERMS, "Filosofi 2018 ; Cnam/Cnaf ≈ 2020-2021", access="insee_page",
            url="https://www.insee.fr/fr/statistiques/5359605?sommaire=2500477",
            params={"link": r"^REVN_2022.*\.(csv|zip)$", "member": r"REVN_2022.*\.csv$", "columns": ["ARSAS", "A"]},
            format="CSV « ; », UTF-8 avec BOM, virgule décimale", parser="loaders.parsers.read_insee_qpv",
            stage=("stats/qpv2015_insee_thematiques/REVN_2022.csv",), replaces=("revn_2022",),
            indicators=("part_allocataires_rsa", "part_c2s"), verified=False,
        ),
        OnlineSource(
            "insee_ipro_2022", "Insee — données QPV 2015 « Insertion professionnelle » (édition 2022)",
            "Insee, Pôle emploi / France Travail, ASP", INSEE_TERMS, "RP 2018 ; demandeurs d'emploi ≈ fin 2021",
            access="insee_page", url="https://www.insee.fr/fr/statistiques/5359605?sommaire=2500477",
            params={"link": r"^IPRO_2022.*\.(csv|zip)$", "member": r"IPRO_2022.*\.csv$",
                    "columns": ["TX_TOT_EMPL", "ABCDE"]},
            format="CSV « ; », UTF-8 avec BOM", parser="loaders.parsers.read_insee_qpv",
            stage=("stats/qpv2015_insee_thematiques/IPRO_2022.csv",), replaces=("ipro_2022",),
            indicators=("taux_emploi", "nb_demandeurs_emploi"), verified=False,
        ),
        OnlineSource(
            "insee_filosofi_qpv_2019", "Insee — Filosofi 2019 par QPV 2015 (revenus disponibles)", "Insee",
            INSEE_TERMS, "Filosofi 2019", access="insee_page", url="https://www.insee.fr/fr/statistiques/6049692",
            params={"link": r"data_filo19_qp_revdis.*\.(csv|zip)$", "member": r"data_filo19_qp_revdis.*\.csv$",
                    "columns": ["DISP_MED_A19", "DISP_TP60_A19"]},
            format="CSV « ; », virgule décimale, séparateur de milliers U+00A0, ligne « Ensemble »",
            parser="loaders.parsers.read_filosofi_qpv", stage=("stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv",),
            replaces=("filo_qpv_2019",), indicators=("taux_pauvrete", "revenu_median"), verified=False,
        ),
        OnlineSource(
            "insee_qpv2024_filosofi", "Insee — revenus, pauvreté et niveau de vie en 2021 des QPV 2024", "Insee",
            INSEE_TERMS, "Filosofi 2021 (publié le 28/08/2024)", access="insee_page",
            url="https://www.insee.fr/fr/statistiques/8243167?sommaire=8186144",
            params={"link": r"(filo|revdis|revenu).*(21|2021).*\.(csv|zip)$", "member": r"\.csv$",
                    "concepts": ["revenu_median", "taux_pauvrete"]},
            format="CSV Insee par QPV 2024 (conventions Insee supposées : « ; », virgule décimale)",
            parser="loaders.parsers_online.read_insee_qpv2024", stage=("online/insee_qpv2024_filosofi2021.csv",),
            indicators=("taux_pauvrete", "revenu_median"), verified=False,
            notes="Format et noms de colonnes non documentés hors ligne : reconnus par motif (DISP_MED21…).",
        ),
        OnlineSource(
            "insee_qpv2024_population", "Insee — population des QPV 2024 (recensement 2020)", "Insee", INSEE_TERMS,
            "RP 2020", access="insee_page", url="https://www.insee.fr/fr/statistiques/8243167?sommaire=8186144",
            params={"link": r"pop.*\.(csv|zip)$", "member": r"\.csv$", "concepts": ["population"]},
            format="CSV Insee par QPV 2024 (conventions Insee supposées)",
            parser="loaders.parsers_online.read_insee_qpv2024", stage=("online/insee_qpv2024_population_rp2020.csv",),
            indicators=("population",), verified=False,
        ),
        OnlineSource(
            "insee_melodi_population", "Insee Melodi — population municipale des communes (comparaison)", "Insee",
            INSEE_TERMS, "populations de référence (dernier millésime publié)", access="melodi",
            url="https://api.insee.fr/melodi/data/DS_POPULATIONS_REFERENCE",
            params={"POPREF_MEASURE": "PMUN", "maxResult": 10000},
            format="JSON Melodi (observations ; « {} » = valeur non publiée) ; 30 requêtes par minute",
            parser="loaders.parsers_online.read_melodi", stage=("online/melodi_population_communes.csv",),
            notes="Une requête par département (GEO=DEP-<code>*COM) ; alimente la table de comparaison.",
        ),
        # --- energy, housing, air (ADEME Data Fair) ----------------------------------------------------
        OnlineSource(
            "ademe_data_iris", "ADEME — précarité énergétique et passoires par IRIS (data_iris)", "ADEME, ONPE",
            LO2, "GÉODIP 2017 ; passoires 2022", access="ademe_lines", url=ADEME + "jixoufr9qp0gko9xcqyzbr4a/lines",
            params={"select": "iris,share_nrj_preca_log,men_total_weight,passoires_taux", "size": 10000},
            format="JSON Data Fair /lines (results, next)", parser="loaders.parsers_online.read_ademe_lines",
            stage=("online/ademe_data_iris.csv",), indicators=("part_precarite_energetique",),
        ),
        OnlineSource(
            "ademe_data_communes", "ADEME — qualité de l'air par commune (data_communes)", "ADEME, Ineris", LO2,
            "concentrations annuelles (mise à jour du 10/12/2025)", access="ademe_lines",
            url=ADEME + "8ggfo546-mtjxy4lbqxcl462/lines",
            params={"select": "code_commune_insee,moyenne_annuelle_de_concentration_de_no2_ugm3,"
                              "moyenne_annuelle_de_concentration_de_pm25_ugm3", "size": 1000},
            format="JSON Data Fair /lines (results, next)", parser="loaders.parsers_online.read_ademe_lines",
            stage=("online/ademe_data_communes.csv",), indicators=("no2_moyenne", "pm25_moyenne"),
        ),
        OnlineSource(
            "ademe_dpe_communes", "ADEME — étiquettes DPE des logements existants par commune", "ADEME", LO2,
            "DPE depuis juillet 2021 (en continu)", access="ademe_values_agg",
            url=ADEME + "dpe03existant/values_agg", params={"field": "code_insee_ban;etiquette_dpe", "agg_size": 100},
            format="JSON Data Fair /values_agg (aggs imbriqués)", parser="loaders.parsers_online.read_ademe_values_agg",
            stage=("online/ademe_dpe_communes.csv",),
            notes="Table « dpe_communes » du territoire (effectifs par étiquette), pour comparaison.",
        ),
        # --- risks (Géorisques) ------------------------------------------------------------------------
        OnlineSource(
            "georisques_risques", "Géorisques — risques majeurs recensés par commune (GASPAR, DDRM)",
            "Ministère de la Transition écologique (DGPR), Géorisques", LO2, "extraction hebdomadaire",
            access="gaspar", url="https://files.georisques.fr/GASPAR/gaspar.zip",
            params={"member": "ddrm", "api": GEORISQUES_API + "gaspar/risques"},
            format="ZIP de CSV « ; » (membres datés ddrm_risq_gaspar_<date>.csv ou anciens noms)",
            parser="loaders.parsers_env.read_gaspar_ddrm",
            stage=("env/gaspar_ddrm_risques_communes_occitanie_paca.csv",), replaces=("gaspar_ddrm",),
            indicators=("nb_risques_naturels", "nb_risques_inondation", "nb_risques_technologiques"),
            fallback="API Géorisques /gaspar/risques?code_insee=… (20 communes par requête)",
        ),
        OnlineSource(
            "georisques_catnat", "Géorisques — arrêtés de catastrophe naturelle (GASPAR CatNat)",
            "Ministère de la Transition écologique, Géorisques", LO2, "extraction hebdomadaire", access="gaspar",
            url="https://files.georisques.fr/GASPAR/gaspar.zip",
            params={"member": "catnat", "api": GEORISQUES_API + "gaspar/catnat"},
            format="ZIP de CSV « ; » (catnat_gaspar_<date>.csv ou catnat_gaspar.csv, deux schémas)",
            parser="loaders.parsers_online.read_catnat", stage=("online/catnat_gaspar.csv",),
            indicators=("nb_arretes_catnat",), fallback="API Géorisques /gaspar/catnat?code_insee=…",
        ),
        # --- heat -------------------------------------------------------------------------------------
        OnlineSource(
            "cerema_lcz", "Cerema — zones climatiques locales (LCZ) des aires urbaines", "Cerema", LO2, "LCZ 2022",
            access="lcz", url=DATAGOUV_API + LCZ_DATASET + "/", dataset=LCZ_DATASET,
            resource_id="fb8028d6-8018-40fa-b655-4672e8f6feaf",
            params={"coverage": "https://www.data.gouv.fr/api/1/datasets/r/fb8028d6-8018-40fa-b655-4672e8f6feaf"},
            format="ZIP par aire urbaine (LCZ_SPOT_2022_<Ville>.shp, colonne lcz) ; couverture par commune en CSV",
            crs="EPSG:2154", parser="loaders.parsers_online.read_lcz_archive",
            stage=("env/lcz_heat_iris_<ville>.geojson",), replaces=tuple(k for k in INPUTS if k.startswith("lcz_")),
            indicators=("part_surface_chaleur_forte",), verified=False,
            notes="Les neuf villes du jeu embarqué ne sont pas retéléchargées ; ailleurs, l'archive de l'aire "
            "urbaine est cherchée dans le jeu data.gouv.fr par le nom de la ville (slug non confirmé hors ligne).",
        ),
        # --- bundled references (no per-territory online access) ----------------------------------------
        OnlineSource(
            "drias", "DRIAS-2020 — indicateurs de chaleur sur la grille SAFRAN 8 km", "Météo-France (DRIAS)",
            DRIAS_TERMS, "1976-2005 ; 2021-2050 (RCP4.5) ; 2071-2100 (RCP8.5)", access="embarque",
            url="https://www.drias-climat.fr", format="export texte DRIAS ; table « drias_grille » du jeu embarqué",
            parser="loaders.parsers_env.read_drias", replaces=("drias_ref", "drias_rcp45", "drias_ete_ref", "drias_ete_85"),
            indicators=("jours_sup_35", "nuits_tropicales", "jours_vague_chaleur", "jours_sup_35_2050",
                        "nuits_tropicales_2050", "hausse_tmax_ete_2085"),
            refresh="Pas d'API : exporter les indices annuels et d'été (CNRM-CM5 / ALADIN63, grille SAFRAN) depuis "
            "drias-climat.fr, remplacer les fichiers env/drias2020_* du dossier de données ouvertes, puis "
            "reconstruire le jeu embarqué (python -m loaders build-bundle).",
        ),
        OnlineSource(
            "iris_statistiques", "Statistiques par IRIS (DPE BDNB, Caf, Filosofi 2019) et réseaux de chaleur (SDES)",
            "CSTB, ADEME, Cnaf, Insee, SDES", LO2, "DPE 2024 ; 31/12/2020 ; Filosofi 2019 ; 2023", access="embarque",
            url="https://www.insee.fr/fr/statistiques/4217503", format="tables iris_* du jeu embarqué",
            parser="loaders.parsers_env", replaces=("bdnb_iris", "caf_iris", "filo_iris", "sdes_2023"),
            refresh="Fichiers nationaux sans accès par territoire : remplacer les copies du dossier de données "
            "ouvertes puis reconstruire le jeu embarqué.",
        ),
        OnlineSource(
            "rpls_qpv", "Parc social par QPV 2015 (RPLS)", "SDES, ANCT-ONPV", LO2, "RPLS au 01/01/2022",
            access="embarque", url="https://sig.ville.gouv.fr", format="valeurs du jeu embarqué",
            parser="loaders.parsers.read_rpls_qpv", replaces=("rpls_2022",), indicators=("part_logsoc_avant_1976",),
            verified=False, refresh="Export SIG Ville / ONPV non confirmé : mettre à jour la copie puis reconstruire "
            "le jeu embarqué.",
        ),
        OnlineSource(
            "tag_qpv2015", "Appartenance des QPV 2015 aux communes (TAG_QPV_2015)", "Insee", INSEE_TERMS, "QPV 2015",
            access="embarque", url="https://www.insee.fr", format="tables qpv et qpv_communes du jeu embarqué",
            parser="loaders.parsers.read_qpv2015_commune", replaces=("qpv2015_commune",), verified=False,
            refresh="Géographie figée (décret 2014-1750) : aucune mise à jour attendue.",
        ),
        OnlineSource(
            "filosofi_territoires", "Filosofi 2019 des communes, EPCI, départements, régions (comparaison)", "Insee",
            INSEE_TERMS, "Filosofi 2019", access="embarque", url="https://www.insee.fr/fr/statistiques/fichier/4291712/",
            format="table references du jeu embarqué (nationale)", parser="loaders.parsers.read_filosofi_territory",
            replaces=("filo_com_2019", "filo_epci_2019", "filo_dep_2019", "filo_reg_2019", "filo_fr_2019"),
            refresh="Archives Insee (xlsx) : remplacer les copies puis reconstruire le jeu embarqué.",
        ),
        OnlineSource(
            "series_qpv2015", "Séries par QPV 2015 : Filosofi 2012-2021, population 2013 et 2018", "Insee",
            INSEE_TERMS, "Filosofi 2012 à 2021 ; RP 2013, 2018", access="embarque",
            url="https://www.insee.fr/fr/statistiques/7231733", format="table evolutions du jeu embarqué",
            parser="loaders.evolution.read_filosofi_panel", replaces=("filo_panel", "pop_evolution"), verified=False,
            refresh="Fichiers Filosofi QPV annuels de l'Insee : ajouter le nouveau millésime aux copies puis "
            "reconstruire le jeu embarqué (géographie QPV 2015 figée).",
        ),
    )
}


def online_sources() -> list[OnlineSource]:
    return [s for s in SOURCES.values() if s.online]


def select(keys: list[str] | None) -> list[OnlineSource]:
    """Sources to fetch, in registry order; unknown keys raise a French ``BadArgumentError``."""
    import difflib

    from core.errors import BadArgumentError

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
