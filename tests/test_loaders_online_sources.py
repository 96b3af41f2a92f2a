"""One recorded-response test per online source, in the official formats (no real host is contacted).

Every answer is a small fixture written for these tests (``tests/fixtures/online``) following the
formats of ``shared/docs/data-sources.md``: data.gouv.fr resource objects, ``;`` CSV with BOM and
Excel-protected codes, WFS GeoJSON in EPSG:3857 with a ``crs`` member, geo.api.gouv.fr nested fields,
an INSEE page whose file names must be discovered, Melodi observations where ``{}`` means secret,
ADEME ``/lines`` pages chained by ``next``, nested ``values_agg``, GASPAR members with dated and legacy
names, the Géorisques API envelope, and a CEREMA LCZ archive. ``responses`` fails any unregistered
request, so a test that would reach a real host fails.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import responses
import shapely
from responses import matchers

from sources.publishers import ademe
from sources.publishers import anct
from sources.publishers import cerema
from sources.publishers import datagouv
from sources.publishers import geoapi
from sources.publishers import georisques
from sources.publishers import ign
from sources.publishers import insee
from core.errors import ChecksumError, SourceError, SourceFormatError
from sources.registry import COPIES, SOURCES
from tests.online_support import FIXTURES, context, fixture, use_data_dir

DATASET = "https://www.data.gouv.fr/api/1/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
STATIC = "https://static.data.gouv.fr/resources/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
WFS = "https://data.geopf.fr/wfs/ows"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    return use_data_dir(monkeypatch, tmp_path / "donnees")


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _query(call) -> dict[str, str]:
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --- registry ---------------------------------------------------------------------------------------


def test_registry_declares_every_source_and_every_local_input():
    replaced = {key for src in SOURCES.values() for key in src.replaces}
    assert set(COPIES) == replaced, sorted(set(COPIES) ^ replaced)
    for src in SOURCES.values():
        for attribute in ("label", "publisher", "licence", "vintage", "url", "format"):
            assert getattr(src, attribute), (src.key, attribute)
        assert not re.search(r"/\d{8}-\d{6}/", src.url), f"URL datée codée en dur : {src.key}"
        if src.online:
            # The update dispatches through the entry: it fetches with these callables, nothing else.
            assert callable(src.fetch) and callable(src.parse), src.key
            assert src.stage, src.key
        else:
            assert src.fetch is None and src.refresh, src.key


# --- data.gouv.fr ---------------------------------------------------------------------------------


def test_qpv_list_is_resolved_through_the_dataset_api_and_skipped_when_unchanged(data_dir, rsps):
    rsps.get(DATASET, body=fixture("datagouv_qpv_dataset.json"), content_type="application/json")
    # Only the COG 2025 twin is served: asking for the COG 2024 file (the stable id) would fail the test.
    rsps.get(STATIC + "20260116-110412/listeqp2024-cog2025.csv", body=fixture("listeqp2024-cog2025.csv"))
    ctx = context("EPCI:243400017")
    got = datagouv.fetch_datagouv_resource(ctx, SOURCES["qpv2024_liste"])
    staged = got.files[SOURCES["qpv2024_liste"].stage[0]]
    frame = anct.read_qpv2024_list(staged)
    assert got.vintage == "ressource « listeqp2024-cog2025.csv » du 2026-01-16" and not got.reused
    assert "(COG 2025)" in frame.loc[frame["code_qp"] == "QN03499N", "lib_qp"].iloc[0]
    # Marseille 15e (13215) is Marseille; Bourg-en-Bresse written 1053 is 01053; trailing empty columns dropped.
    assert sorted(frame.loc[frame["code_qp"] == "QN01342M", "insee_com"]) == ["13055", "13070"]
    assert frame.loc[frame["code_qp"] == "QN00101M", "insee_com"].tolist() == ["01053"]
    assert not [c for c in frame.columns if not c or c.startswith("Unnamed")]
    # Second run: same published checksum → no download, the dataset answer comes from the cache.
    calls = len(rsps.calls)
    again = datagouv.fetch_datagouv_resource(context("EPCI:243400017"), SOURCES["qpv2024_liste"])
    assert again.reused and len(rsps.calls) == calls


def test_a_checksum_mismatch_keeps_the_previous_copy(data_dir, rsps):
    rsps.get(DATASET, body=fixture("datagouv_qpv_dataset.json"))
    rsps.get(STATIC + "20260116-110412/listeqp2024-cog2025.csv", body=fixture("listeqp2024-cog2025.csv") + b"X;Y\r\n")
    with pytest.raises(ChecksumError, match="empreinte sha1"):
        datagouv.fetch_datagouv_resource(context("EPCI:243400017"), SOURCES["qpv2024_liste"])
    assert not list((data_dir / "raw").rglob("listeqp2024-cog2025.csv"))


def test_the_cog_2024_list_is_used_when_the_twin_is_absent(data_dir, rsps):
    dataset = json.loads(fixture("datagouv_qpv_dataset.json"))
    dataset["resources"] = [r for r in dataset["resources"] if "cog2025" not in r["title"]]
    rsps.get(DATASET, json=dataset)
    rsps.get(STATIC + "20260116-110350/listeqp2024-cog2024.csv", body=fixture("listeqp2024-cog2024.csv"))
    got = datagouv.fetch_datagouv_resource(context("EPCI:243400017"), SOURCES["qpv2024_liste"])
    assert got.vintage.startswith("ressource « listeqp2024-cog2024.csv »")


def test_correspondence_2024_2015(data_dir, rsps):
    rsps.get(DATASET, body=fixture("datagouv_qpv_dataset.json"))
    rsps.get(STATIC + "20240419-151515/liste-correspondance-qp2024-qp2015.csv",
             body=fixture("liste-correspondance-qp2024-qp2015.csv"))
    got = datagouv.fetch_datagouv_resource(context("EPCI:243400017"), SOURCES["qpv2024_correspondance"])
    # The dataset also holds a newer xlsx twin matching the title: never requested (format csv only).
    assert [c.request.url for c in rsps.calls if c.request.url.endswith(".xlsx")] == []
    table = anct.read_qpv_correspondance(got.files["online/qpv2024_correspondance_qp2015.csv"])
    merged = table[table["code_qp_2024"] == "QN01342M"]
    assert merged["code_qp_2015"].tolist() == ["QP013019", "QP013020", "QP013021"]
    assert merged["lib_qp_2015"].tolist() == ["Saint-Barthélémy Le Mail", "Picon Busserine", "Les Flamants Iris"]
    assert table.loc[table["code_qp_2024"] == "QN03499N", "code_qp_2015"].isna().all()


def _contours_geojson() -> bytes:
    features = []
    for code, lon in (("QN03405M", 3.8195), ("QN03406I", 3.85)):
        features.append({"type": "Feature", "properties": {
            "code_qp": code, "lib_qp": code, "insee_dep": "34", "insee_com": "34172", "lib_com": "Montpellier",
            "siren_epci": "243400017"}, "geometry": shapely.geometry.mapping(shapely.box(lon - .005, 43.61, lon + .005, 43.62))})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.mark.parametrize("served", ["zip", "geojson"])
def test_qpv2024_contours_zip_or_geojson_at_the_same_url(data_dir, rsps, served):
    body = _contours_geojson()
    if served == "zip":
        body = _zip({"GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": body,
                     "SHP/QP2024_France_hexagonale_LB93.prj": b"PROJCS[...]"})
    src = SOURCES["qpv2024_contours"]
    rsps.get(src.url, status=302, headers={"Location": STATIC + "20250115-093000/qp2024.bin"})
    rsps.get(STATIC + "20250115-093000/qp2024.bin", body=body)
    ctx = context("EPCI:243400017")
    got = anct.fetch_contours_2024(ctx, src)
    assert src.stage[0] in got.files
    contours = ctx.state["contours2024"]
    assert {"QN03405M", "QN03406I"} <= set(contours["code_qp"])
    assert contours.crs.to_epsg() == 4326 and (contours["generation"] == 2024).all()


# --- Géoplateforme WFS --------------------------------------------------------------------------------


def test_qpv2015_contours_from_the_wfs_in_web_mercator(data_dir, rsps):
    rsps.get(WFS, body=fixture("wfs_qp2015.json"), content_type="application/json")
    ctx = context("COM:34172")
    got = anct.fetch_qpv2015_contours(ctx, SOURCES["qpv2015_contours"])
    query = _query(rsps.calls[0])
    assert query["TYPENAMES"] == "AREAMANAGEMENT.QP.VECTOR:qp_decretmodif_2015_epsg3857_wm"
    assert query["CQL_FILTER"].startswith("code_qp IN ('QP034004'") and query["SRSNAME"] == "EPSG:3857"
    contours = ctx.state["contours2015"]
    assert set(contours["code_qp"]) == {"QP034005", "QP034006"}
    minx, miny, maxx, maxy = contours.to_crs(4326).total_bounds
    assert 3.8 < minx < maxx < 3.9 and 43.5 < miny < maxy < 43.7  # EPSG:3857 read from the crs member
    assert got.files[SOURCES["qpv2015_contours"].stage[0]].is_file()


def test_iris_contours_by_commune_then_by_bbox_near_commune_edges(data_dir, rsps):
    seen = []

    def answer(request):
        seen.append(request.url)
        return 200, {"Content-Type": "application/json"}, fixture("wfs_iris.json")

    rsps.add_callback(responses.GET, WFS, callback=answer)
    wfs = json.loads(fixture("wfs_qp2015.json"))
    qpv = gpd.read_file(io.BytesIO(json.dumps(wfs).encode())).to_crs(4326)
    qpv["generation"] = 2015
    ctx = context("COM:34172")
    ctx.state["contours2015"] = qpv
    got = ign.fetch_iris(ctx, SOURCES["iris_contours"])
    assert "CQL_FILTER=code_insee+IN" in seen[0]
    assert any("BBOX=" in url and "EPSG%3A3857" in url for url in seen[1:])  # QPV not fully surrounded
    staged = got.files[SOURCES["iris_contours"].stage[0]]
    frame = gpd.read_file(f"/vsigzip/{staged}")
    assert sorted(frame["code_iris"]) == ["341720701", "341720702", "341720801"]  # deduplicated


def test_wfs_exception_report_is_a_french_error(data_dir, rsps):
    rsps.get(WFS, body=b'<?xml version="1.0"?><ows:ExceptionReport><ows:Exception><ows:ExceptionText>'
                      b'Unknown type name qp_decretmodif_2015</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')
    with pytest.raises(SourceFormatError, match="Contours des QPV 2015.*message XML.*Unknown type name"):
        anct.fetch_qpv2015_contours(context("COM:34172"), SOURCES["qpv2015_contours"])


# --- geo.api.gouv.fr ------------------------------------------------------------------------------------


def test_communes_and_contours_from_geo_api(data_dir, rsps):
    src = SOURCES["communes"]
    rsps.get(src.url, body=fixture("geoapi_communes_epci.geojson"),
             match=[matchers.query_param_matcher({"codeEpci": "243400017", **src.params})])
    ctx = context("EPCI:243400017", qpv_communes=["34172", "34129"])
    got = geoapi.fetch_communes(ctx, src)
    table = pd.read_csv(got.files["geo/communes_epci_dep_reg_2025_datafrance.csv"], dtype=str)
    montpellier = table.set_index("insee_com").loc["34172"]
    assert montpellier["lib_epci"] == "Montpellier Méditerranée Métropole" and montpellier["population_municipale"] == "302454"
    assert montpellier["lib_dep"] == "Hérault" and montpellier["type_com"] == "COM"
    outlines = gpd.read_file(f"/vsigzip/{got.files['geo/communes_2025_datafrance.geojson.gz']}")
    assert set(outlines["insee_com"]) == {"34172", "34129"}
    assert "fields=nom%2Ccode%2CcodeDepartement" in rsps.calls[0].request.url  # one comma-separated value


# --- INSEE ----------------------------------------------------------------------------------------------


def test_insee_file_names_are_discovered_on_their_theme_pages(data_dir, rsps):
    # Démographie and Insertion professionnelle each have their page (§10); 5359605 is « Revenus 2017 » only
    # and is not served here: looking there would fail the test.
    rsps.get("https://www.insee.fr/fr/statistiques/3146677", body=fixture("insee_page_3146677.html"),
             content_type="text/html")
    rsps.get("https://www.insee.fr/fr/statistiques/3646773", body=fixture("insee_page_3646773.html"),
             content_type="text/html")
    rsps.get("https://www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv", body=fixture("DEMO_2022_extrait.csv"))
    ipro = ("\ufeffCODGEO;LIBGEO;TX_TOT_EMPL;ABCDE;;\r\nQP034005;Mosson;38,2;4\u202f120;;\r\n").encode()
    rsps.get("https://www.insee.fr/fr/statistiques/fichier/3646773/IPRO_2022_csv.zip",
             body=_zip({"IPRO_2022.csv": ipro, "Documentation.txt": b"doc"}))
    ctx = context("COM:34172")
    got = insee.fetch_insee_page(ctx, SOURCES["insee_demo_2022"])
    demo = insee.read_insee_qpv(got.files["stats/qpv2015_insee_thematiques/DEMO_2022.csv"], ["POP_MUN"])
    assert demo.loc["QP034005", "POP_MUN"] == 21684
    got = insee.fetch_insee_page(ctx, SOURCES["insee_ipro_2022"])
    ipro_frame = insee.read_insee_qpv(got.files["stats/qpv2015_insee_thematiques/IPRO_2022.csv"], ["ABCDE"])
    assert ipro_frame.loc["QP034005", "ABCDE"] == 4120
    assert not [c for c in rsps.calls if "5359605" in c.request.url]


FILO_DISP = "https://www.insee.fr/fr/statistiques/fichier/8243167/BASE_TD_FILO_DISP_QP2024_2021_csv.zip"


def test_insee_qpv2024_filosofi_2021_takes_the_disposable_income_file(data_dir, rsps):
    """The page links DEC before DISP; the zip holds DEC, DISP and meta_ members; cells ``nd``/``s``/``ns``."""
    rsps.get("https://www.insee.fr/fr/statistiques/8243167", body=fixture("insee_page_8243167.html"))
    rsps.get(FILO_DISP, body=fixture("insee_filo2021_qp2024_disp_csv.zip"))  # the DEC zip is not served
    got = insee.fetch_insee_page(context("COM:34172"), SOURCES["insee_qpv2024_filosofi"])
    staged = got.files["online/insee_qpv2024_filosofi2021.csv"]
    assert staged.name.endswith("__BASE_TD_FILO_DISP_QP2024_2021.csv")  # neither DEC nor meta_
    table = insee.read_insee_qpv2024(staged, ["revenu_median", "taux_pauvrete"])
    assert table.loc["QN03405M", "revenu_median"] == 11530 and table.loc["QN03405M", "taux_pauvrete"] == 56.2
    # Masked cells are missing with the reason "secret", never 0 and never a refused file.
    assert pd.isna(table.loc["QN03406I", "taux_pauvrete"]) and pd.isna(table.loc["QN03499N", "revenu_median"])
    assert table.loc["QN03406I", "taux_pauvrete_raison"] == "secret_statistique"
    assert got.vintage == "fichier BASE_TD_FILO_DISP_QP2024_2021_csv.zip"


def test_an_other_text_than_a_mask_still_refuses_the_qpv2024_file():
    bad = "CODGEO;DISP_MED21;DISP_TP6021\nQN03405M;11530;environ 56\n".encode()
    with pytest.raises(SourceFormatError, match="valeur non numérique « environ 56 »"):
        insee.read_insee_qpv2024(bad, ["revenu_median", "taux_pauvrete"], name="Filosofi")


POP_PAGE = "https://www.insee.fr/fr/statistiques/8269999"
POP_FILE = "https://www.insee.fr/fr/statistiques/fichier/8269999/BASE_TD_POP_QP2024_RP2020.csv"


def test_qpv2024_population_page_is_found_in_the_sommaire(data_dir, rsps):
    rsps.get("https://www.insee.fr/fr/statistiques/8243167", body=fixture("insee_page_8243167.html"))
    rsps.get(POP_PAGE, body=fixture("insee_page_population_qp2024.html"))
    rsps.get(POP_FILE, body=fixture("insee_qp2024_population_rp2020.csv"))
    src = SOURCES["insee_qpv2024_population"]
    got = src.fetch(context("COM:34172"), src)
    table = insee.read_insee_qpv2024(got.files[src.stage[0]], ["population"])
    assert table.loc["QN03405M", "population"] == 21512
    assert pd.isna(table.loc["QN03499N", "population"]) and table.loc["QN03499N", "population_raison"] == "secret_statistique"
    assert got.vintage == "RP 2020, fichier BASE_TD_POP_QP2024_RP2020.csv"
    assert [c.request.url.split("?")[0] for c in rsps.calls if "fichier/8243167" in c.request.url] == []


def test_qpv2024_population_falls_back_on_the_observatoire_des_territoires(data_dir, rsps):
    src = SOURCES["insee_qpv2024_population"]
    rsps.get("https://www.insee.fr/fr/statistiques/8243167", body=fixture("insee_page_8243167.html"))
    rsps.get(POP_PAGE, status=404, body=b"<!DOCTYPE html><html>introuvable</html>")
    rsps.get(src.params["fallback"].split("?")[0], body=fixture("odt_pop_qp24_rp20.csv"),
             match=[matchers.query_param_matcher({"dataset": "pop_qp24", "indic": "pop_qp24_rp20"},
                                                 strict_match=False)])
    ctx = context("COM:34129", qpv24=["QN03410N", "QN03405M"])
    # Lattes holds one QPV, alone in its commune; Montpellier holds several: no value can be derived there.
    ctx.state["qpv2024_links"] = pd.DataFrame({"code_qp": ["QN03410N", "QN03405M", "QN03406I"],
                                               "insee_com": ["34129", "34172", "34172"]})
    got = src.fetch(ctx, src)
    table = insee.read_insee_qpv2024(got.files[src.stage[0]], ["population"])
    assert table["population"].to_dict() == {"QN03410N": 1480.0}
    assert "Observatoire des territoires" in got.vintage and "1 QPV 2024 sur 2" in got.notes[0]


def test_qpv2024_population_fails_in_french_when_both_routes_fail(data_dir, rsps):
    src = SOURCES["insee_qpv2024_population"]
    rsps.get("https://www.insee.fr/fr/statistiques/8243167", body=b"<html><body>pas de sommaire</body></html>")
    rsps.get(src.params["fallback"].split("?")[0], status=404, body=b"")
    with pytest.raises(SourceError, match="Insee : aucune page « population ».*Repli sur l'Observatoire des "
                                          "territoires impossible : ressource introuvable"):
        src.fetch(context("COM:34172"), src)


def test_melodi_population_secret_is_missing_and_latest_period_kept(data_dir, rsps):
    src = SOURCES["insee_melodi_population"]
    rsps.get(src.url, body=fixture("melodi_populations_dep34.json"),
             match=[matchers.query_param_matcher({"GEO": "DEP-34*COM", "POPREF_MEASURE": "PMUN", "maxResult": "100000"})])
    ctx = context("COM:34172", communes=["34172", "34129", "34999"], qpv_communes=["34172"])
    got = insee.fetch_melodi(ctx, src)
    table = pd.read_csv(got.files["online/melodi_population_communes.csv"], dtype={"code": str, "periode": str})
    row = table.set_index("code")
    assert row.loc["34172", "valeur"] == 302454 and row.loc["34172", "periode"] == "2022"
    assert pd.isna(row.loc["34999", "valeur"]) and row.loc["34999", "raison"] == "secret_statistique"
    raw = insee.read_melodi(json.loads(fixture("melodi_populations_dep34.json")))
    assert raw.loc[0, "geo_millesime"] == "2025" and raw.loc[0, "niveau"] == "COM"


def test_melodi_pages_are_asked_while_is_last_is_false(data_dir, rsps):
    src = SOURCES["insee_melodi_population"]
    payload = json.loads(fixture("melodi_populations_dep34.json"))
    first = {**payload, "observations": payload["observations"][:1], "paging": {"count": 1, "isLast": False}}
    second = {**payload, "observations": payload["observations"][2:], "paging": {"count": 2, "isLast": True}}
    base = {"GEO": "DEP-34*COM", "POPREF_MEASURE": "PMUN", "maxResult": "100000"}
    rsps.get(src.url, json=first, match=[matchers.query_param_matcher(base)])
    rsps.get(src.url, json=second, match=[matchers.query_param_matcher({**base, "page": "2"})])
    got = insee.fetch_melodi(context("COM:34172", communes=["34172", "34129", "34999"], qpv_communes=["34172"]), src)
    table = pd.read_csv(got.files["online/melodi_population_communes.csv"], dtype={"code": str})
    assert len(rsps.calls) == 2 and set(table["code"]) == {"34172", "34129", "34999"}


# --- ADEME Data Fair -------------------------------------------------------------------------------------


def test_ademe_data_iris_follows_next_until_absent(data_dir, rsps):
    src = SOURCES["ademe_data_iris"]
    first = json.loads(fixture("ademe_data_iris_p1.json"))
    rsps.get(src.url, body=fixture("ademe_data_iris_p1.json"))
    rsps.get(first["next"].split("?")[0], body=fixture("ademe_data_iris_p2.json"),
             match=[matchers.query_param_matcher({"after": "1,341720702"}, strict_match=False)])
    got = src.fetch(context("COM:34172"), src)
    table = pd.read_csv(got.files["online/ademe_data_iris.csv"], dtype={"iris": str}).set_index("iris")
    assert list(table.index) == ["341720701", "341720702", "341720801"]
    assert pd.isna(table.loc["341720801", "share_nrj_preca_log"])  # null stays missing
    assert _query(rsps.calls[0])["qs"] == "iris:(34172*)"


def test_ademe_data_communes_air(data_dir, rsps):
    src = SOURCES["ademe_data_communes"]
    rsps.get(src.url, body=fixture("ademe_data_communes.json"))
    got = src.fetch(context("COM:34172", qpv_communes=["34172", "34129"]), src)
    table = pd.read_csv(got.files["online/ademe_data_communes.csv"], dtype={"code_commune_insee": str})
    assert table.set_index("code_commune_insee").loc["34172", "moyenne_annuelle_de_concentration_de_no2_ugm3"] == 21.4
    assert _query(rsps.calls[0])["code_commune_insee_in"] == "34129,34172"


def test_ademe_renamed_field_stops_the_source(data_dir, rsps):
    src = SOURCES["ademe_data_communes"]
    renamed = fixture("ademe_data_communes.json").replace(b"moyenne_annuelle_de_concentration_de_no2_ugm3",
                                                          b"no2_moyenne_annuelle")
    rsps.get(src.url, body=renamed)
    with pytest.raises(SourceFormatError, match="colonne.*moyenne_annuelle_de_concentration_de_no2_ugm3"):
        src.fetch(context("COM:34172"), src)


def test_ademe_dpe_label_counts_values_agg(data_dir, rsps):
    src = SOURCES["ademe_dpe_communes"]
    rsps.get(src.url, body=fixture("ademe_dpe_values_agg.json"))
    got = ademe.fetch_dpe_communes(context("COM:34172"), src)
    table = pd.read_csv(got.files["online/ademe_dpe_communes.csv"], dtype=str)
    counts = table.set_index("etiquette_dpe")["nombre"].astype(int)
    assert counts["F"] == 360 and counts.sum() == 4120
    assert _query(rsps.calls[0])["field"] == "code_insee_ban;etiquette_dpe"


# --- Géorisques -------------------------------------------------------------------------------------------


def test_gaspar_archive_with_dated_members_is_downloaded_once(data_dir, rsps):
    older = fixture("catnat_gaspar_dated.csv").replace(b"INTE1900003A", b"INTE1900003Z").split(b"\r\n")[:2]
    archive = _zip({"ddrm_risq_gaspar_2025-01-31.csv": fixture("ddrm_risq_gaspar.csv"),
                    "catnat_gaspar_2024-12-31.csv": b"\r\n".join(older) + b"\r\n",
                    "catnat_gaspar_2025-01-31.csv": fixture("catnat_gaspar_dated.csv"),
                    "pprn_gaspar_2025-01-31.csv": b"CODE INSEE COMMUNE;NOM COMMUNE\r\n"})
    rsps.get(SOURCES["georisques_risques"].url, body=archive, content_type="application/zip")
    ctx = context("EPCI:243400017", qpv_communes=["34172", "34129"])
    risks = georisques.fetch_gaspar(ctx, SOURCES["georisques_risques"])
    catnat = georisques.fetch_gaspar(ctx, SOURCES["georisques_catnat"])
    assert len(rsps.calls) == 1  # one archive, two sources
    assert risks.vintage == "extraction du 2025-01-31"
    ddrm = georisques.read_gaspar_ddrm(risks.files["env/gaspar_ddrm_risques_communes_occitanie_paca.csv"])
    assert ddrm.set_index("insee_com").loc["34172", "risques"] == ["11", "13", "24", "113", "114"]
    table = georisques.read_catnat(catnat.files["online/catnat_gaspar.csv"])
    # Montpellier has 5 rows for 3 decrees: an exact duplicate and the 2003 decree at another clock time.
    assert (table["insee_com"] == "34172").sum() == 5
    assert georisques.count_catnat(table)["34172"] == 3


def test_catnat_decrees_are_told_apart_by_the_date_part_of_their_dates():
    table = georisques.read_catnat(fixture("catnat_gaspar_dated.csv"))
    assert table["date_arrete"].str.len().max() == 19  # "YYYY-MM-DD HH:MM:SS" as in the 2026 export
    keys = georisques.decree_keys(table[table["insee_com"] == "34172"])
    assert sorted(set(keys)) == ["2003-12-12|2003-12-13", "2014-10-07|2014-10-08", "2020-06-10|2020-07-05"]


def test_a_latin1_gaspar_member_is_read(data_dir, rsps):
    latin = fixture("catnat_gaspar_dated.csv").decode("utf-8").encode("latin-1")
    rsps.get(SOURCES["georisques_catnat"].url, body=_zip({"catnat_gaspar_2026-09-21.csv": latin}))
    got = georisques.fetch_gaspar(context("COM:34172"), SOURCES["georisques_catnat"])
    table = georisques.read_catnat(got.files["online/catnat_gaspar.csv"])
    assert georisques.count_catnat(table)["34172"] == 3 and got.vintage == "extraction du 2026-09-21"


def test_the_georisques_api_is_asked_for_ten_communes_at_most(data_dir, rsps):
    rsps.get(SOURCES["georisques_risques"].url, status=404, body=b"")
    api = "https://www.georisques.gouv.fr/api/v1/gaspar/risques"
    rsps.get(api, json={"results": 0, "page": 1, "total_pages": 1, "data": [], "next": None})
    communes = [f"34{n:03d}" for n in range(100, 123)]  # 23 communes
    georisques.fetch_gaspar(context("COM:34172", qpv_communes=communes), SOURCES["georisques_risques"])
    asked = [_query(c)["code_insee"].split(",") for c in rsps.calls if c.request.url.startswith(api)]
    assert [len(chunk) for chunk in asked] == [10, 10, 3]
    assert sorted(code for chunk in asked for code in chunk) == communes


def test_gaspar_legacy_member_names_and_schema(data_dir, rsps):
    archive = _zip({"risq_gaspar.csv": fixture("ddrm_risq_gaspar.csv"),
                    "catnat_gaspar.csv": fixture("catnat_gaspar_legacy.csv"), "azi_gaspar.csv": b"x;y\r\n"})
    rsps.get(SOURCES["georisques_catnat"].url, body=archive)
    got = georisques.fetch_gaspar(context("COM:34172"), SOURCES["georisques_catnat"])
    table = georisques.read_catnat(got.files["online/catnat_gaspar.csv"])
    assert set(table["insee_com"]) == {"34172"} and len(table) == 2
    assert got.vintage == "archive (catnat_gaspar.csv)"


def test_gaspar_falls_back_on_the_api_when_the_archive_fails(data_dir, rsps):
    rsps.get(SOURCES["georisques_catnat"].url, status=503, body=b"<html>maintenance</html>")
    api = "https://www.georisques.gouv.fr/api/v1/gaspar/catnat"
    rsps.get(api, body=fixture("georisques_catnat_p1.json"),
             match=[matchers.query_param_matcher({"code_insee": "34172", "page_size": "100"})])
    rsps.get(api, body=fixture("georisques_catnat_p2.json"),
             match=[matchers.query_param_matcher({"code_insee": "34172", "page": "2", "page_size": "2"})])
    rsps.get("https://www.georisques.gouv.fr/api/v1/gaspar/risques", body=fixture("georisques_risques.json"))
    ctx = context("COM:34172", qpv_communes=["34172"])
    catnat = georisques.fetch_gaspar(ctx, SOURCES["georisques_catnat"])
    assert catnat.vintage == "API Géorisques (repli)"
    table = georisques.read_catnat(catnat.files["online/catnat_gaspar.csv"])
    assert georisques.count_catnat(table)["34172"] == 3
    risks = georisques.fetch_gaspar(ctx, SOURCES["georisques_risques"])
    ddrm = georisques.read_gaspar_ddrm(risks.files["env/gaspar_ddrm_risques_communes_occitanie_paca.csv"])
    assert ddrm.loc[0, "risques"] == ["11", "13", "24", "113"]


# --- CEREMA LCZ -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["lcz", "lcz_int"])
def test_lcz_archive_of_an_urban_area_outside_the_bundle(data_dir, rsps, tmp_path, column):
    lcz_dataset = json.loads(fixture("datagouv_lcz_dataset.json"))
    src = SOURCES["cerema_lcz"]
    assert src.url.endswith("/datasets/6641c562e5acdb35c0e6051d/")  # the stable id, never the slug
    rsps.get(src.params["coverage"], status=302, headers={"Location": lcz_dataset["resources"][0]["url"]})
    rsps.get(lcz_dataset["resources"][0]["url"], body=fixture("lcz_couverture_communes.csv"))
    rsps.get(src.url, body=fixture("datagouv_lcz_dataset.json"))
    # A small LCZ shapefile in Lambert-93, zipped like the CEREMA archives (class in column ``lcz``).
    x0, y0 = 654000.0, 7100000.0
    classes = {"lcz": ["2", "2", "9", "A"], "lcz_int": [2, 2, 9, 11]}
    polys = gpd.GeoDataFrame({column: classes[column]},
                             geometry=[shapely.box(x0, y0, x0 + 100, y0 + 100), shapely.box(x0 + 200, y0, x0 + 300, y0 + 100),
                                       shapely.box(x0 + 1100, y0, x0 + 1200, y0 + 100),
                                       shapely.box(x0 + 1300, y0, x0 + 1400, y0 + 100)], crs="EPSG:2154")
    shp = tmp_path / "shp"
    shp.mkdir()
    polys.to_file(shp / "LCZ_SPOT_2022_Dunkerque.shp")
    archive = _zip({f"LCZ_SPOT_2022_Dunkerque/{p.name}": p.read_bytes() for p in shp.iterdir()})
    rsps.get(lcz_dataset["resources"][1]["url"], body=archive)
    iris = gpd.GeoDataFrame({"code_iris": ["591830101", "591830102"]},
                            geometry=[shapely.box(x0 - 50, y0 - 50, x0 + 1000, y0 + 150),
                                      shapely.box(x0 + 1000, y0 - 50, x0 + 2000, y0 + 150)], crs="EPSG:2154").to_crs(4326)
    ctx = context("COM:59183", qpv_communes=["59183"])
    ctx.state["iris"] = iris
    got = cerema.fetch_lcz(ctx, src, bundled_communes={"34172"})
    staged = got.files["env/lcz_heat_iris_dunkerque.geojson"]
    classes = cerema.read_lcz_iris(staged).set_index("code_iris")["heat_score"]
    assert classes.to_dict() == {"591830101": "High", "591830102": "Low"}


def test_lcz_is_not_fetched_for_the_nine_bundled_cities(data_dir, rsps):
    got = cerema.fetch_lcz(context("COM:34172", qpv_communes=["34172"]), SOURCES["cerema_lcz"], bundled_communes={"34172"})
    assert not got.files and not rsps.calls


def test_fixtures_use_the_documented_encodings():
    assert fixture("listeqp2024-cog2024.csv").startswith(b"\xef\xbb\xbf")
    assert "\u202f".encode() in fixture("DEMO_2022_extrait.csv")
    assert json.loads(fixture("wfs_qp2015.json"))["crs"]["properties"]["name"].endswith("3857")
    assert gzip  # noqa: B018 - imported for the staged IRIS file check above
    assert FIXTURES.is_dir()


# --- parsers of the online formats: edge cases ----------------------------------------------------------


def test_datagouv_resource_by_title_takes_the_latest_and_names_a_missing_one():
    payload = json.loads(fixture("datagouv_qpv_dataset.json"))
    found = datagouv.datagouv_resource(payload, name="QPV", title=r"listeqp2024-cog")
    assert found["url"].endswith("listeqp2024-cog2025.csv")  # the most recently modified match
    assert found["checksum"] == ("sha1", hashlib.sha1(fixture("listeqp2024-cog2025.csv")).hexdigest())
    # A preferred title wins over the stable id; a format keeps only the resources of that format.
    assert datagouv.datagouv_resource(payload, name="QPV", resource_id="4c6bb7f3-97b6-4834-8a3a-f5f8b3e6735b",
                                      prefer="listeqp2024-cog2025")["title"] == "listeqp2024-cog2025.csv"
    assert datagouv.datagouv_resource(payload, name="QPV", title="correspondance")["title"].endswith(".xlsx")
    assert datagouv.datagouv_resource(payload, name="QPV", title="correspondance", fmt="csv")["title"] == \
        "liste-correspondance-qp2024-qp2015.csv"
    with pytest.raises(SourceFormatError, match="ressource « liste-qp2030 » absente"):
        datagouv.datagouv_resource(payload, name="QPV", title="liste-qp2030")
    with pytest.raises(SourceFormatError, match="sans liste « resources »"):
        datagouv.datagouv_resource({"data": []}, name="QPV")


def test_geo_api_plain_json_list_without_nested_labels():
    communes, features = geoapi.read_geoapi_communes(
        [{"nom": "Vitry-le-François", "code": "51649", "codeDepartement": "51", "codeRegion": "44",
          "codeEpci": "200066330", "population": 11780}], name="geo.api")
    row = communes.iloc[0]
    assert row["insee_dep"] == "51" and pd.isna(row["lib_dep"]) and row["population_municipale"] == 11780
    assert features == []
    with pytest.raises(SourceFormatError, match="code commune invalide"):
        geoapi.read_geoapi_communes([{"nom": "X", "code": "5164"}], name="geo.api")


@pytest.mark.parametrize(("value", "expected"), [("2", "High"), (10, "High"), ("LCZ 6", "Medium"), (15, "Medium"),
                                                 ("E", "Medium"), (11, "Low"), ("9.0", "Low"), ("G", "Low"),
                                                 (None, None), ("Z", None)])
def test_lcz_classes_map_to_the_three_heat_levels(value, expected):
    assert cerema.LCZ_HEAT.get(cerema.lcz_class(value)) == expected


def test_insee_page_without_the_file_is_a_french_error():
    with pytest.raises(SourceFormatError, match="aucun lien vers un fichier.*page réorganisée"):
        insee.find_file_links("<html><a href='/autre.csv'>x</a></html>", "https://www.insee.fr/p",
                                       r"^DEMO_2022.*\.csv$", name="Insee")


def test_contours_neither_zip_nor_geojson(tmp_path):
    path = tmp_path / "contours"
    path.write_bytes(b"code_qp;x\nQN00101M;1\n")
    with pytest.raises(SourceFormatError, match="ni archive ZIP ni GeoJSON"):
        anct.read_qpv2024_contours(path, name="Contours")


def test_wfs_page_with_a_renamed_property():
    page = json.loads(fixture("wfs_qp2015.json"))
    for feature in page["features"]:
        feature["properties"]["CODE_QP"] = feature["properties"].pop("code_qp")
    with pytest.raises(SourceFormatError, match="1 propriété attendue absente : code_qp"):
        ign.wfs_features(page, name="WFS", required=["code_qp"])


def test_online_only_rows_from_staged_files(tmp_path):
    """CatNat union over the QPV's communes, air mean of several communes, and missing = not covered."""
    from loaders import online_values

    (tmp_path / "online").mkdir()
    (tmp_path / "online" / "catnat_gaspar.csv").write_bytes(fixture("catnat_gaspar_dated.csv"))
    (tmp_path / "online" / "ademe_data_communes.csv").write_text(
        "code_commune_insee,moyenne_annuelle_de_concentration_de_no2_ugm3,moyenne_annuelle_de_concentration_de_pm25_ugm3\n"
        "34172,21.4,9.8\n34129,14.9,\n", encoding="utf-8")
    registry = pd.DataFrame({"code_qp": ["QX000001", "QX000002", "QX000003"], "generation": [2024, 2024, 2024]})
    links = pd.DataFrame({"code_qp": ["QX000001", "QX000002", "QX000002", "QX000003"],
                          "insee_com": ["34172", "34172", "34129", "99999"]})
    rows = online_values.online_rows(tmp_path, registry, links, gpd.GeoDataFrame(geometry=[]), None, {})
    table = pd.concat(rows).set_index(["code_qp", "indicateur"])
    assert table.loc[("QX000001", "nb_arretes_catnat"), "valeur"] == 3
    assert table.loc[("QX000002", "nb_arretes_catnat"), "valeur"] == 3  # the 2014 decree covers both communes
    assert table.loc[("QX000003", "nb_arretes_catnat"), "valeur"] == 0  # none recorded: a real zero
    assert table.loc[("QX000002", "no2_moyenne"), "valeur"] == pytest.approx((21.4 + 14.9) / 2)
    assert table.loc[("QX000002", "no2_moyenne"), "detail"] == "moyenne de 2 communes"
    assert table.loc[("QX000002", "pm25_moyenne"), "valeur"] == 9.8
    assert table.loc[("QX000003", "pm25_moyenne"), "raison_manquante"] == "non_couvert"
