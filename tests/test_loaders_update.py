"""``python -m loaders update``: fault matrix, interrupted downloads, arguments, and the overlay it writes.

A local scripted server stands for the official hosts through ``--mirror`` (no real host). The good
run fetches two sources for Montpellier (INSEE DEMO 2022 found through its publication page, and the
QPV 2024 contours archive); each fault case starts from a copy of that data directory, breaks one
answer and checks: exit code 1, a French message naming the source and the fault on stderr, no
traceback, the raw cache byte for byte as before, and the territory's values unchanged.
"""

from __future__ import annotations

from core.checksums import sha256_file

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import shapely

import settings
from loaders import __main__ as cli
from sources import http, store
from tests.online_support import FaultServer, env_for, fixture, snapshot, use_data_dir

ROOT = Path(__file__).resolve().parents[1]
TERRITORY = "COM:34172"
PAGE = "/www.insee.fr/fr/statistiques/3146677"
DEMO = "/www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv"
CONTOURS = "/www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
DEMO_LABEL = "Source « Insee — données QPV 2015 « Démographie » (édition 2022) »"
CONTOURS_LABEL = "Source « Contours des QPV 2024 »"
SOURCES = "insee_demo_2022,qpv2024_contours"


def _contours_zip() -> bytes:
    features = [{"type": "Feature", "properties": {"code_qp": code, "lib_qp": code, "insee_com": "34172"},
                 "geometry": shapely.geometry.mapping(shapely.box(lon - .004, 43.60, lon + .004, 43.607))}
                for code, lon in (("QN03405M", 3.8195), ("QN03406I", 3.85))]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson",
                         json.dumps({"type": "FeatureCollection", "features": features}))
        archive.writestr("SHP/lisez-moi.txt", "x" * 20_000)
    return buffer.getvalue()


DEMO_OK = fixture("DEMO_2022_extrait.csv")
CONTOURS_OK = _contours_zip()


def _serve_good(server: FaultServer) -> None:
    server.route(PAGE, ("ok", fixture("insee_page_3146677.html"), {"Content-Type": "text/html"}))
    server.route(DEMO, ("ok", DEMO_OK, {}))
    server.route(CONTOURS, ("ok", CONTOURS_OK, {}))


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _values(data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(data_dir / "primary" / "COM-34172" / "valeurs.parquet")


@pytest.fixture(scope="module")
def server():
    srv = FaultServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, server):
    """A data directory after one successful update (the previous good copy of every fault case)."""
    folder = tmp_path_factory.mktemp("maj") / "donnees"
    with pytest.MonkeyPatch.context() as mp:
        use_data_dir(mp, folder)
        _serve_good(server)
        code = cli.main(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources", SOURCES,
                         "--sans-barre"])
    http.reset()
    assert code == 0
    return folder


def test_good_run_writes_an_overlay_seen_by_the_app(good_run, monkeypatch):
    use_data_dir(monkeypatch, good_run)
    from geodata import territories
    from assembly.territory_table import territory_table

    table = territory_table(territories.resolve_key(TERRITORY)).set_index("code_qp")
    assert table.loc["QP034005", "population"] == 21684  # fixture value, not the bundle's
    assert table.loc["QP034004", "part_moins_25"] == pytest.approx(35.2)
    # Indicators that no fetched source computes keep the bundle's values (DRIAS, RPLS…).
    bundle = pd.read_parquet(settings.BUNDLE_DIR / "valeurs.parquet").set_index(["code_qp", "indicateur"])
    assert table.loc["QP034005", "taux_pauvrete"] == bundle.loc[("QP034005", "taux_pauvrete"), "valeur"]
    status = store.status()["mises_a_jour"]
    assert status and status[0]["territoire"] == TERRITORY
    statuses = {s["cle"]: s["statut"] for s in status[0]["sources"]}
    assert statuses["insee_demo_2022"] == "mis_a_jour" and statuses["drias"] == "embarque"


def test_second_run_uses_conditional_requests(good_run, server, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder)
    _serve_good(server)
    code, out, _ = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources", SOURCES,
                         "--sans-barre"], capsys)
    assert code == 0
    assert "Sources inchangées" in out or "Ce qui a changé" in out
    assert "Total :" in out and "téléchargés" in out


ZIP_CUT = CONTOURS_OK[: len(CONTOURS_OK) // 2]
CP1252 = DEMO_OK.decode("utf-8").replace("\ufeff", "").replace("\u202f", " ").replace("Celleneuve", "Célleneuve")
RENAMED = DEMO_OK.replace(b"POP_MUN", b"POPULATION")
FAULTS = [
    ("delai", DEMO, [("sleep", 3.0, DEMO_OK)], DEMO_LABEL, "délai dépassé"),
    ("connexion_coupee", DEMO, [("reset",)], DEMO_LABEL, "connexion interrompue"),
    ("erreur_500", DEMO, [("status", 500, b"Internal Server Error", {})], DEMO_LABEL, "erreur serveur 500"),
    ("trop_de_requetes", DEMO, [("status", 429, b"", {"Retry-After": "1"})], DEMO_LABEL,
     "trop de requêtes \\(erreur 429\\).*attendre 1 s"),
    ("page_html", DEMO, [("ok", b"<!DOCTYPE html><html><body>Site en maintenance</body></html>", {})], DEMO_LABEL,
     "page HTML"),
    ("zip_tronque", CONTOURS, [("ok", ZIP_CUT, {})], CONTOURS_LABEL, "archive ZIP tronquée"),
    ("cp1252", DEMO, [("ok", CP1252.encode("cp1252"), {})], DEMO_LABEL, "pas encodé en UTF-8"),
    ("corps_vide", DEMO, [("ok", b"", {})], DEMO_LABEL, "réponse vide"),
    ("colonne_renommee", DEMO, [("ok", RENAMED, {})], DEMO_LABEL, "1 colonne attendue absente : POP_MUN"),
    ("corps_coupe", DEMO, [("truncate", DEMO_OK, 200)], DEMO_LABEL, "connexion interrompue"),
    ("attente_429_trop_longue", DEMO, [("status", 429, b"", {"Retry-After": "3600"})], DEMO_LABEL,
     "trop de requêtes \\(erreur 429\\) : le serveur demande d'attendre 3600 s, plus que la mise à jour ne peut "
     "attendre"),
]


@pytest.mark.parametrize(("case", "path", "actions", "label", "fault"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_matrix(case, path, actions, label, fault, good_run, server, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder, retries=1, timeout=0.5 if case == "delai" else 5.0)
    before_raw = snapshot(folder / "raw")
    before_values = _values(folder)
    _serve_good(server)
    server.route(path, *actions)
    source = "qpv2024_contours" if path == CONTOURS else "insee_demo_2022"
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources", source,
                           "--sans-barre"], capsys)
    assert code == 1
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.startswith("Erreur : ")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"Erreur : {label} : "), lines[0]
    assert __import__("re").search(fault, lines[0]), lines[0]
    assert "copie précédente conservée" in out.lower()
    assert snapshot(folder / "raw") == before_raw  # the previous good cache, byte for byte
    assert not list(folder.rglob("*.part"))
    pd.testing.assert_frame_equal(_values(folder), before_values)


@pytest.mark.parametrize("kind", ["refusee", "nom_inconnu"])
def test_an_unreachable_mirror_keeps_the_last_good_copy(kind, good_run, tmp_path, monkeypatch, capsys):
    import socket

    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder)
    before_raw, before_values = snapshot(folder / "raw"), _values(folder)
    if kind == "refusee":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            mirror = f"http://127.0.0.1:{sock.getsockname()[1]}"
    else:
        mirror = "http://ecoqpv-miroir.invalid"
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", mirror, "--sources", SOURCES,
                           "--sans-barre"], capsys)
    assert code == 1 and "Traceback" not in err + out
    errors = [line for line in err.splitlines() if line.startswith("Erreur : ")]
    assert len(errors) == 2 and all("connexion impossible" in line for line in errors), errors
    assert "constaté plus tôt" in errors[1]  # the second source did not try again
    assert out.startswith(f"Mise à jour de Montpellier (COM:34172) impossible : le miroir {mirror} ne répond pas")
    assert "Copie précédente conservée" in out
    assert snapshot(folder / "raw") == before_raw and not list(folder.rglob("*.part"))
    pd.testing.assert_frame_equal(_values(folder), before_values)


def test_a_server_answering_500_everywhere_is_given_up_host_by_host(tmp_path, monkeypatch, capsys):
    """Each failing host gets its retries once; its other requests fail at once (counted on the server),
    and a mirror failing for two official hosts is given up as a whole."""
    use_data_dir(monkeypatch, tmp_path / "donnees", retries=2)
    server = FaultServer(default=("status", 500, b"Internal Server Error", {}))
    try:
        code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources",
                               "qpv2024_liste,qpv2024_correspondance,insee_demo_2022,insee_qpv2024_filosofi,"
                               "communes,ademe_data_iris", "--sans-barre"], capsys)
        hits = dict(server.hits)
    finally:
        server.close()
    assert code == 1 and "Traceback" not in err + out
    dataset = "/www.data.gouv.fr/api/1/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    assert hits.pop(dataset) == 3  # 1 + 2 retries, then www.data.gouv.fr is down: the correspondence never asks
    assert hits.pop("/geo.api.gouv.fr/communes") == 3  # its retries; with data.gouv.fr, two hosts: the mirror is down
    assert hits == {}, hits  # the two INSEE pages and ADEME got no request at all
    errors = [line for line in err.splitlines() if line.startswith("Erreur : ")]
    assert len(errors) == 6 and sum("constaté plus tôt" in line for line in errors) == 4
    assert f"le miroir {server.url.split('//')[1]} est en échec pour plusieurs sites" in errors[-1]
    assert "6 requêtes envoyées" in out


def test_a_tiny_budget_stops_the_update_and_says_which_sources_were_not_tried(good_run, server, tmp_path,
                                                                               monkeypatch, capsys):
    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder, timeout=30.0)
    before_values = _values(folder)
    _serve_good(server)
    server.route(CONTOURS, ("sleep", 2.0, CONTOURS_OK))  # the first source hangs past the budget
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources",
                           "qpv2024_contours,insee_demo_2022,georisques_catnat", "--delai-max", "0,5",
                           "--sans-barre"], capsys)
    assert code == 1 and "Traceback" not in err + out
    errors = [line for line in err.splitlines() if line.startswith("Erreur : ")]
    assert errors[0].startswith(f"Erreur : {CONTOURS_LABEL} : ")
    assert "délai maximal de la mise à jour atteint (0,5 s)" in errors[0]
    assert errors[1:] == [f"Erreur : {DEMO_LABEL} : non tentée : délai maximal atteint (0,5 s).",
                          "Erreur : Source « Géorisques — arrêtés de catastrophe naturelle (GASPAR CatNat) » : "
                          "non tentée : délai maximal atteint (0,5 s)."]
    assert PAGE not in server.hits and DEMO not in server.hits  # never asked
    assert "2 sources non tentées" in out.splitlines()[0]
    # Every source keeps its previous copy: the territory is rebuilt with the same values.
    pd.testing.assert_frame_equal(_values(folder), before_values)


def test_the_budget_option_is_checked(capsys):
    for value in ("abc", "-3"):
        with pytest.raises(SystemExit) as info:
            cli.main(["update", "--territoire", TERRITORY, "--delai-max", value])
        assert info.value.code == 2
        assert "nombre de secondes" in capsys.readouterr().err


def test_503_then_success_updates_the_copy(good_run, server, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder, retries=1)
    newer = DEMO_OK.replace("21\u202f684".encode(), "21\u202f700".encode())
    _serve_good(server)
    server.route(DEMO, ("status", 503, b"Service Unavailable", {}), ("ok", newer, {}))
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources",
                           "insee_demo_2022", "--sans-barre"], capsys)
    assert code == 0, err
    assert server.hits[DEMO] == 2
    values = _values(folder).set_index(["code_qp", "indicateur"])
    assert values.loc[("QP034005", "population"), "valeur"] == 21700
    assert "non demandée" in out.lower() or "Non demandées" in out  # the contours kept from the first run


# --- interrupted download ---------------------------------------------------------------------------


def _big_demo(version: str) -> bytes:
    lines = DEMO_OK.decode("utf-8").rstrip("\r\n").split("\r\n")
    extra = [f"QP9{i:05d};Quartier fictif {version} {i};1\u202f000;2\u202f000;3\u202f000;X;50,0;30,0;30,0;20,0;20,0;1,0;"
             f"30,0;5,0;10,0;10,0;0" + ";" * 12 for i in range(2500)]
    return ("\r\n".join(lines + extra) + "\r\n").encode("utf-8")


def _start_update(folder: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "loaders", "update", "--territoire", TERRITORY, "--mirror", url,
                             "--sources", "insee_demo_2022", "--sans-barre"], cwd=ROOT, env=env_for(folder),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_mid_download(folder: Path, body: bytes) -> None:
    server = FaultServer()
    try:
        server.route(PAGE, ("ok", fixture("insee_page_3146677.html"), {}))
        server.route(DEMO, ("slow", body, 4096, 0.05))
        proc = _start_update(folder, server.url)
        deadline = time.monotonic() + 60
        while server.sent.get(DEMO, 0) < 40_000 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the update ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert server.sent[DEMO] < len(body)
    finally:
        server.close()


def test_killing_the_process_mid_download_leaves_nothing_taken_as_good(tmp_path, monkeypatch):
    folder = tmp_path / "donnees"
    raw_demo = folder / "raw" / "www.insee.fr" / "fr" / "statistiques" / "fichier" / "3146677" / "DEMO_2022.csv"
    v1, v2 = _big_demo("v1"), _big_demo("v2")

    # 1. Cold: killed during the first download → no file under the final name, no index entry.
    _kill_mid_download(folder, v1)
    assert not raw_demo.exists()
    assert all(p.name.endswith(".part") for p in raw_demo.parent.glob(".*")), list(raw_demo.parent.iterdir())
    index = folder / "raw" / "territoires" / "COM-34172" / "index.json"
    assert not index.exists() or "insee_demo_2022" not in json.loads(index.read_text())
    assert not (folder / "primary" / "COM-34172").exists()

    # 2. A later run downloads everything again and cleans the dead process's partial file.
    server = FaultServer()
    try:
        server.route(PAGE, ("ok", fixture("insee_page_3146677.html"), {}))
        server.route(DEMO, ("ok", v1, {}))
        proc = _start_update(folder, server.url)
        assert proc.wait(timeout=120) == 0
    finally:
        server.close()
    assert raw_demo.read_bytes() == v1
    assert not list(raw_demo.parent.glob("*.part"))
    good = snapshot(folder / "raw")

    # 3. Warm: killed while a new version streams → the previous good copy is untouched.
    _kill_mid_download(folder, v2)
    assert raw_demo.read_bytes() == v1
    after = {k: v for k, v in snapshot(folder / "raw").items() if not k.rsplit("/", 1)[-1].endswith(".part")}
    assert after == good
    use_data_dir(monkeypatch, folder)
    assert http.read_meta(raw_demo)["sha256"] == sha256_file(raw_demo)


# --- arguments ---------------------------------------------------------------------------------------------


def test_unknown_territory_exits_2_with_close_matches(tmp_path, monkeypatch, capsys):
    use_data_dir(monkeypatch, tmp_path / "donnees")
    code, _, err = _run(["update", "--territoire", "EPCI:24340001"], capsys)
    assert code == 2
    assert "Territoire inconnu : EPCI:24340001" in err and "EPCI:243400017" in err and "Traceback" not in err


def test_unknown_or_offline_source_exits_2(tmp_path, monkeypatch, capsys):
    use_data_dir(monkeypatch, tmp_path / "donnees")
    code, _, err = _run(["update", "--territoire", TERRITORY, "--sources", "insee_demo"], capsys)
    assert code == 2 and "Source inconnue : « insee_demo »" in err and "insee_demo_2022" in err
    code, _, err = _run(["update", "--territoire", TERRITORY, "--sources", "drias"], capsys)
    assert code == 2 and "pas d'accès en ligne" in err


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["update"])
    assert info.value.code == 2 and "argument invalide" in capsys.readouterr().err


def test_module_entry_point_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "loaders", "update", "--territoire", "DEP:999"], cwd=ROOT,
                          env=env_for(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Territoire inconnu" in proc.stderr and "Traceback" not in proc.stderr


def test_python_api_reports_progress_per_source(good_run, server, tmp_path, monkeypatch):
    from loaders.update import update_territory

    folder = tmp_path / "donnees"
    shutil.copytree(good_run, folder)
    use_data_dir(monkeypatch, folder)
    _serve_good(server)
    events = []
    report = update_territory(TERRITORY, mirror=server.url, sources=["insee_demo_2022"],
                              progress=lambda source, done, total, message: events.append((source, done, total, message)))
    assert report.exit_code == 0 and not report.failed
    assert {e[0] for e in events} == {"insee_demo_2022"}
    assert events[-1][3] in ("mise à jour", "inchangée depuis le dernier téléchargement")
    assert "Mise à jour de Montpellier" in report.summary_fr()


# --- online-only indicators, end to end with recorded answers ---------------------------------------------


def test_online_only_sources_feed_indicators_references_and_tables(tmp_path, monkeypatch):
    """Every online-only source answered (recorded fixtures): the overlay gets CatNat, air, energy
    precarity, INSEE QPV 2024 values, commune populations and the extra tables."""
    import responses
    from responses import matchers

    from sources.registry import SOURCES as REGISTRY
    from loaders.update import update_territory

    folder = use_data_dir(monkeypatch, tmp_path / "donnees")
    dataset = "https://www.data.gouv.fr/api/1/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    static = "https://static.data.gouv.fr/resources/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    gaspar = io.BytesIO()
    with zipfile.ZipFile(gaspar, "w") as archive:
        archive.writestr("ddrm_risq_gaspar_2025-01-31.csv", fixture("ddrm_risq_gaspar.csv"))
        archive.writestr("catnat_gaspar_2025-01-31.csv", fixture("catnat_gaspar_dated.csv"))

    def wfs(request):
        name = "wfs_qp2015.json" if "qp_decretmodif" in request.url else "wfs_iris.json"
        return 200, {"Content-Type": "application/json"}, fixture(name)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(dataset, body=fixture("datagouv_qpv_dataset.json"))
        rsps.get(static + "20260116-110412/listeqp2024-cog2025.csv", body=fixture("listeqp2024-cog2025.csv"))
        rsps.get(static + "20240419-151515/liste-correspondance-qp2024-qp2015.csv",
                 body=fixture("liste-correspondance-qp2024-qp2015.csv"))
        rsps.get(REGISTRY["qpv2024_contours"].url, body=CONTOURS_OK)
        rsps.add_callback(responses.GET, "https://data.geopf.fr/wfs/ows", callback=wfs)
        rsps.get(REGISTRY["communes"].url, body=fixture("geoapi_communes_epci.geojson"))
        rsps.get("https://www.insee.fr/fr/statistiques/3146677", body=fixture("insee_page_3146677.html"))
        rsps.get("https://www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv", body=DEMO_OK)
        rsps.get("https://www.insee.fr/fr/statistiques/8243167", body=fixture("insee_page_8243167.html"))
        rsps.get("https://www.insee.fr/fr/statistiques/fichier/8243167/BASE_TD_FILO_DISP_QP2024_2021_csv.zip",
                 body=fixture("insee_filo2021_qp2024_disp_csv.zip"))
        rsps.get("https://www.insee.fr/fr/statistiques/8269999", body=fixture("insee_page_population_qp2024.html"))
        rsps.get("https://www.insee.fr/fr/statistiques/fichier/8269999/BASE_TD_POP_QP2024_RP2020.csv",
                 body=fixture("insee_qp2024_population_rp2020.csv"))
        rsps.get(REGISTRY["insee_melodi_population"].url, body=fixture("melodi_populations_dep34.json"))
        first = json.loads(fixture("ademe_data_iris_p1.json"))
        rsps.get(REGISTRY["ademe_data_iris"].url, body=fixture("ademe_data_iris_p1.json"))
        rsps.get(first["next"].split("?")[0], body=fixture("ademe_data_iris_p2.json"),
                 match=[matchers.query_param_matcher({"after": "1,341720702"}, strict_match=False)])
        rsps.get(REGISTRY["ademe_data_communes"].url, body=fixture("ademe_data_communes.json"))
        rsps.get(REGISTRY["ademe_dpe_communes"].url, body=fixture("ademe_dpe_values_agg.json"))
        rsps.get(REGISTRY["georisques_risques"].url, body=gaspar.getvalue())
        wanted = ["qpv2024_liste", "qpv2024_correspondance", "qpv2024_contours", "qpv2015_contours", "communes",
                  "iris_contours", "insee_demo_2022", "insee_qpv2024_filosofi", "insee_qpv2024_population",
                  "insee_melodi_population",
                  "ademe_data_iris", "ademe_data_communes", "ademe_dpe_communes", "georisques_risques",
                  "georisques_catnat"]
        report = update_territory(TERRITORY, sources=wanted)
    assert report.exit_code == 0, report.failed
    values = _values(folder).set_index(["code_qp", "indicateur"])
    assert values.loc[("QP034005", "nb_arretes_catnat"), "valeur"] == 3  # the 2003 decree counted once
    assert values.loc[("QP034005", "no2_moyenne"), "valeur"] == 21.4
    assert values.loc[("QP034005", "pm25_moyenne"), "valeur"] == 9.8
    precarity = values.loc[("QP034005", "part_precarite_energetique")]
    assert 24.6 <= precarity["valeur"] <= 30.1 and precarity["methode"] == "iris_population"
    direct = values.loc[("QN03405M", "taux_pauvrete")]
    assert direct["valeur"] == 56.2 and direct["nature"] == "officiel" and direct["millesime"] == "Filosofi 2021"
    assert values.loc[("QN03405M", "population"), "valeur"] == 21512  # the INSEE file, not the bundle's copy
    # A masked official value (``s``) leaves the bundle's value in place.
    bundle = store.table("valeurs", folder=store.bundle_dir()).set_index(["code_qp", "indicateur"])
    assert values.loc[("QN03406I", "taux_pauvrete"), "valeur"] == bundle.loc[("QN03406I", "taux_pauvrete"), "valeur"]
    assert "QN03499N" in set(values.index.get_level_values(0))  # a QPV only the online list knows
    assert values.loc[("QP034005", "nb_risques_naturels"), "valeur"] == 2  # inondation + séisme
    refs = store.table("references")
    row = refs[(refs["niveau"] == "COM") & (refs["code"] == "34172") & (refs["indicateur"] == "population")]
    assert row["valeur"].tolist() == [302454.0]
    territory_dir = folder / "primary" / "COM-34172"
    assert (territory_dir / "qpv_correspondance.parquet").is_file() and (territory_dir / "dpe_communes.parquet").is_file()
    manifest = json.loads((territory_dir / "manifest.json").read_text(encoding="utf-8"))
    assert {s["cle"] for s in manifest["sources"] if s["statut"] == "mis_a_jour"} == set(wanted)
    # How far the bundle's estimates were from the official values, computed from both tables here.
    check = {row["indicateur"]: row for row in manifest["verification_estimations"]}
    for indicator in ("taux_pauvrete", "revenu_median"):
        official = values.xs(indicator, level="indicateur")
        official = official[(official["nature"] == "officiel") & official["detail"].str.contains("Filosofi 2021",
                                                                                                 na=False)]
        before = bundle.xs(indicator, level="indicateur").reindex(official.index)
        replaced = before["nature"].isin(["officiel_qpv2015_meme_perimetre", "estimation_calibree",
                                          "estimation_iris"])
        gaps = (before["valeur"] - official["valeur"])[replaced]
        assert check[indicator]["quartiers"] == len(gaps) > 0
        assert check[indicator]["ecart_moyen"] == pytest.approx(gaps.mean())
        inside = ((official["valeur"] >= before["ic_bas"]) & (official["valeur"] <= before["ic_haut"]))[replaced]
        assert check[indicator]["dans_intervalle"] == int(inside.sum())
    assert check["taux_pauvrete"]["millesime_officiel"] == "Filosofi 2021"
    report_text = (territory_dir / "rapport.md").read_text(encoding="utf-8")
    assert report_text.startswith("# Rapport de mise à jour : Montpellier (COM:34172)")
    assert "Valeurs officielles de l'Insee pour les QPV 2024" in report_text and "Taux de pauvreté" in report_text
    assert report.summary_fr() in report_text


def test_when_every_source_fails_nothing_is_rebuilt(tmp_path, monkeypatch, capsys):
    import socket

    folder = use_data_dir(monkeypatch, tmp_path / "donnees", retries=0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", closed, "--sources", SOURCES,
                           "--sans-barre"], capsys)
    assert code == 1 and "Traceback" not in err
    assert "connexion impossible" in err and "le tableau du territoire n'a pas été modifié" in out
    assert not (folder / "primary").exists()
