"""A hostile mirror or server answer can neither write outside the data folder nor make us fetch inside
the network; the mirror comes only from the operator and is validated; the ``file:`` mirror reads a
folder laid out like the raw cache.

``python -m loaders update`` runs in process (``main([...])``) with ``ECOQPV_DATA_DIR`` under
``tmp_path/data``. The hostile mirror is a scripted server on 127.0.0.1 whose answers carry ``..`` in
data.gouv.fr resource URLs and in INSEE links (relative and absolute), a ``..`` host, redirects to
``file:``/``javascript:`` URLs and to an absolute path, ``.pth`` file names and ``next`` links leaving
the API (``..``, ``data:``, an internal address). Where an old client would have written
(``tmp_path/site-packages``), the mirror serves a payload that the parsers accept, so a regression
would really write there.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import requests
import responses

import settings
from core import paths
from core.errors import BadArgumentError, SourceFormatError
from loaders import __main__ as cli
from sources import http
from sources.registry import SOURCES
from tests.online_support import (
    FaultServer,
    contours_zip,
    fixture,
    json_answer,
    listing,
    redirect,
    snapshot,
    use_data_dir,
)

TERRITORY = "COM:34172"
DATASET = "/www.data.gouv.fr/api/1/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
CONTOURS = "/www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
PAGE = "/www.insee.fr/fr/statistiques/5359605"
THEME_PAGES = (PAGE, "/www.insee.fr/fr/statistiques/3146677", "/www.insee.fr/fr/statistiques/3646773")
FILO_PAGE = "/www.insee.fr/fr/statistiques/6049692"
DEMO = "/www.insee.fr/fr/statistiques/fichier/5359605/DEMO_2022.csv"
ADEME = "/data.ademe.fr/data-fair/api/v1/datasets/jixoufr9qp0gko9xcqyzbr4a/lines"
MELODI = "/api.insee.fr/melodi/data/DS_POPULATIONS_REFERENCE"
GASPAR = "/files.georisques.fr/GASPAR/gaspar.zip"
GEORISQUES = "/www.georisques.gouv.fr/api/v1/gaspar/risques"

#: Hostile sources and the French words their failure must carry.
HOSTILE = {
    "qpv2024_liste": "adresse refusée par sécurité (remontée « .. » dans l'adresse)",
    "qpv2024_contours": "adresse refusée par sécurité (schéma « file » : seules les adresses http et https",
    "insee_revn_2022": "adresse refusée par sécurité (remontée « .. » dans l'adresse)",
    "insee_ipro_2022": "adresse refusée par sécurité (schéma « javascript »",
    "insee_filosofi_qpv_2019": "adresse refusée par sécurité (hôte « .. »)",
    "ademe_data_iris": "adresse refusée par sécurité (remontée « .. » dans l'adresse)",
    "insee_melodi_population": "ressource introuvable (erreur 404)",
    "georisques_risques": "Repli sur l'API Géorisques impossible : adresse refusée par sécurité "
                          "(schéma « data »",
}
GOOD = ("insee_demo_2022",)
RENAMED = ("qpv2024_correspondance",)  # a ".pth" name: downloaded, but stored as ".pth.bin"


def _dataset() -> dict:
    data = json.loads(fixture("datagouv_qpv_dataset.json"))
    for resource in data["resources"]:
        resource.pop("checksum", None)
        if "listeqp2024" in resource["title"]:
            resource["url"] = "https://static.data.gouv.fr/resources/../../../../site-packages/evil.pth"
        elif re.search("correspondance", resource["title"]):
            resource["url"] = "https://static.data.gouv.fr/resources/qpv/evil.pth"
    return data


def _insee_page() -> bytes:
    links = [
        "/fr/statistiques/fichier/5359605/DEMO_2022.csv",  # the good one
        "https://www.insee.fr/fr/../../../../site-packages/REVN_2022.csv",  # absolute, with ..
        "../../../../../../IPRO_2022.csv",  # relative: normalised inside the host, then redirected
    ]
    return ("<!DOCTYPE html><html><body>" + "".join(f'<a href="{h}">{h}</a>' for h in links)
            + "</body></html>").encode()


def _serve_hostile(server: FaultServer) -> None:
    server.route(DATASET, json_answer(_dataset()))
    # What an old client would have fetched and written outside the data folder, in a form the parsers accept.
    server.route("/site-packages/evil.pth", ("ok", fixture("listeqp2024-cog2024.csv"), {}))
    server.route("/site-packages/REVN_2022.csv", ("ok", fixture("DEMO_2022_extrait.csv"), {}))
    server.route("/static.data.gouv.fr/resources/qpv/evil.pth",
                 ("ok", fixture("liste-correspondance-qp2024-qp2015.csv"), {}))
    server.route(CONTOURS, redirect("file:///etc/passwd"))
    for page in THEME_PAGES:
        server.route(page, ("ok", _insee_page(), {"Content-Type": "text/html"}))
    server.route(DEMO, ("ok", fixture("DEMO_2022_extrait.csv"), {}))
    server.route("/www.insee.fr/IPRO_2022.csv", redirect("javascript:alert(document.cookie)"))
    server.route(FILO_PAGE, ("ok", b'<html><body><a href="https://../data_filo19_qp_revdis.csv">x</a></body></html>',
                             {"Content-Type": "text/html"}))
    ademe = json.loads(fixture("ademe_data_iris_p1.json"))
    ademe["next"] = "https://data.ademe.fr/../../../../site-packages/lines"
    server.route(ADEME, json_answer(ademe))
    melodi = json.loads(fixture("melodi_populations_dep34.json"))
    melodi["paging"]["next"] = "http://169.254.169.254/latest/meta-data/"
    server.route(MELODI, json_answer(melodi))
    server.route(GASPAR, redirect("/etc/passwd"))  # the mirror's absolute path: /etc/passwd → 404
    risks = json.loads(fixture("georisques_risques.json"))
    risks["next"] = "data:text/x-python,import os"  # another scheme in a next link: refused, not ignored
    server.route(GEORISQUES, json_answer(risks))


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_hostile_mirror_writes_nothing_outside_the_data_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "site-packages").mkdir()  # where a .pth would be run at the next Python start
    data = use_data_dir(monkeypatch, tmp_path / "data")
    before = listing(tmp_path)
    server = FaultServer()
    try:
        _serve_hostile(server)
        sources = ",".join([*HOSTILE, *GOOD, *RENAMED])
        code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", server.url, "--sources", sources,
                               "--sans-barre"], capsys)
    finally:
        server.close()
        http.reset()

    assert code == 1, err
    assert "Traceback" not in out + err
    # Nothing at all outside the data folder; no script anywhere.
    appeared = listing(tmp_path) - before
    assert appeared and all(entry.startswith("data/") or entry == "data" for entry in appeared), sorted(appeared)
    assert not list((tmp_path / "site-packages").iterdir())
    scripts = [p for p in tmp_path.rglob("*") if p.suffix.lower() in (".pth", ".py", ".so", ".sh")]
    assert not scripts, scripts
    # Each hostile source failed with a French message naming it; the others ran.
    errors = [line for line in err.splitlines() if line.startswith("Erreur : ")]
    for key, words in HOSTILE.items():
        mine = [line for line in errors if f"Source « {SOURCES[key].label} »" in line]
        assert mine and words in mine[0], (key, mine)
    for key in (*GOOD, *RENAMED):
        assert not any(SOURCES[key].label in line for line in errors), key
        assert SOURCES[key].label in out.split("Ce qui a changé :", 1)[1].split("\n\n", 1)[0]
    assert (data / "primary" / "COM-34172" / "manifest.json").is_file()
    renamed = data / "raw" / "static.data.gouv.fr" / "resources" / "qpv" / "evil.pth.bin"
    assert renamed.read_bytes() == fixture("liste-correspondance-qp2024-qp2015.csv")
    # The escaping URLs were never requested; through the mirror, an internal address stayed on the mirror.
    assert "/site-packages/evil.pth" not in server.hits and "/site-packages/REVN_2022.csv" not in server.hits
    assert server.hits.get("/169.254.169.254/latest/meta-data/") == 1
    assert server.hits.get("/etc/passwd") == 1  # the mirror's own path, answered 404


# --- without a mirror: no fetch inside the network (SSRF) ------------------------------------------


INTERNAL = ("169.254.169.254", "127.0.0.1", "10.0.0.8")


def test_without_a_mirror_answers_cannot_aim_at_internal_addresses(tmp_path, monkeypatch, capsys):
    data = use_data_dir(monkeypatch, tmp_path / "data")
    dataset = json.loads(fixture("datagouv_qpv_dataset.json"))
    for resource in dataset["resources"]:
        resource.pop("checksum", None)
        if "listeqp2024" in resource["title"]:
            resource["url"] = "http://169.254.169.254/latest/meta-data/listeqp2024-cog2024.csv"
    page = b'<html><body><a href="http://10.0.0.8/fr/statistiques/fichier/5359605/DEMO_2022.csv">x</a></body></html>'
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(SOURCES["qpv2024_liste"].url, json=dataset)
        rsps.get(SOURCES["qpv2024_contours"].url, status=302, headers={"Location": "http://127.0.0.1:9/qp2024.zip"})
        rsps.get(SOURCES["insee_demo_2022"].url, body=page, content_type="text/html")
        # If they were asked, the internal hosts would answer usable data: the refusal is what stops them.
        rsps.get("http://169.254.169.254/latest/meta-data/listeqp2024-cog2024.csv",
                 body=fixture("listeqp2024-cog2024.csv"))
        rsps.get("http://127.0.0.1:9/qp2024.zip", body=contours_zip())
        rsps.get("http://10.0.0.8/fr/statistiques/fichier/5359605/DEMO_2022.csv", body=fixture("DEMO_2022_extrait.csv"))
        code, out, err = _run(["update", "--territoire", TERRITORY, "--sources",
                               "qpv2024_liste,qpv2024_contours,insee_demo_2022", "--sans-barre"], capsys)
        asked = [call.request.url for call in rsps.calls]
    http.reset()
    assert code == 1 and "Traceback" not in err
    assert not [url for url in asked if any(host in url for host in INTERNAL)], asked
    for key in ("qpv2024_liste", "qpv2024_contours", "insee_demo_2022"):
        line = next(x for x in err.splitlines() if f"Source « {SOURCES[key].label} »" in x)
        assert "adresse interne (boucle locale, réseau privé ou lien local)" in line, line
    assert not (data / "primary").exists()


@pytest.mark.parametrize("location, problem", [
    ("http://[x/f.csv", "adresse mal formée"),
    ("data:text/csv,a;b", "schéma « data »"),
    ("https://../f.csv", "hôte « .. »"),
    ("/static.data.gouv.fr/../../../f.csv", "remontée « .. »"),
])
def test_a_redirect_of_the_mirror_is_checked_before_it_is_followed(tmp_path, monkeypatch, location, problem):
    data = use_data_dir(monkeypatch, tmp_path / "data")
    server = FaultServer()
    try:
        server.route("/www.data.gouv.fr/r/x", redirect(location))
        with pytest.raises(SourceFormatError, match=f"^Source « Test » : adresse refusée par sécurité \\({problem}"):
            http.download("https://www.data.gouv.fr/r/x", http.raw_path("https://www.data.gouv.fr/r/x"),
                          source="Test", mirror=server.url, expect="csv")
        assert list(server.hits) == ["/www.data.gouv.fr/r/x"]
    finally:
        server.close()
        http.reset()
    assert not [p for p in data.rglob("*") if p.is_file() and p.suffix != ".sqlite"]


# --- the mirror comes from the operator, validated -------------------------------------------------


@pytest.mark.parametrize("value, reason", [
    ("ftp://miroir.local/donnees", "schéma « ftp » non accepté"),
    ("file:///etc/passwd", "ce n'est pas un dossier"),
    ("file:///dossier/qui/n/existe/pas", "dossier introuvable"),
    ("file://serveur/partage", "un miroir file: désigne un dossier de cette machine"),
    ("javascript:alert(1)", "schéma « javascript » non accepté"),
    ("n'importe quoi", "ce n'est pas une adresse"),
    ("http://../x", "hôte « .. »"),
    ("http://miroir.local/a/../..", "remontée"),
    ("http://user:secret@miroir.local", "identifiants"),
    ("http://miroir.local/?q=1", "requête ou fragment"),
    ("http://[::1", "adresse mal formée"),
])
def test_a_bad_mirror_stops_at_once_with_what_is_accepted(tmp_path, monkeypatch, capsys, value, reason):
    data = use_data_dir(monkeypatch, tmp_path / "data")

    def no_request(*args, **kwargs):  # the check comes before any request
        raise AssertionError("a request was made")

    monkeypatch.setattr(requests.Session, "send", no_request)
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", value, "--sans-barre"], capsys)
    assert code == 2
    assert err.startswith(f"Erreur : Miroir refusé : « {value} » ({reason}")
    assert "Valeurs acceptées : une adresse http://hôte[:port][/chemin]" in err
    assert "file:///dossier/absolu vers un dossier existant" in err
    assert "tentative" not in err and "Traceback" not in err
    assert not data.exists()


def test_the_environment_mirror_is_checked_too(tmp_path, monkeypatch, capsys):
    use_data_dir(monkeypatch, tmp_path / "data")
    monkeypatch.setattr(settings, "MIRROR", "ftp://miroir.local")
    code, _, err = _run(["update", "--territoire", TERRITORY, "--sans-barre"], capsys)
    assert code == 2 and "Miroir refusé : « ftp://miroir.local »" in err


def test_accepted_mirrors_are_normalised(tmp_path):
    assert http.check_mirror("http://127.0.0.1:8000/miroir/") == "http://127.0.0.1:8000/miroir"
    assert http.check_mirror("HTTPS://Miroir.Local") == "https://Miroir.Local"
    assert http.check_mirror(tmp_path.as_uri() + "/") == tmp_path.as_uri()
    assert http.check_mirror(None) is None and http.check_mirror("  ") is None
    assert http.check_mirror("file:" + str(tmp_path)) == tmp_path.as_uri()  # file:/folder (RFC 8089)
    with pytest.raises(BadArgumentError, match="chemin de dossier absolu attendu"):
        http.check_mirror("file:cle-usb")


# --- file: mirror ------------------------------------------------------------------------------------


def _file_mirror(folder: Path) -> dict[str, bytes]:
    """The layout the README documents: FOLDER/host/path; a query adds ``__<sha1(query)[:12]>`` (then
    ``.bin`` for a name without data extension); a plain name without ``.bin`` is accepted too."""
    page_digest = hashlib.sha1(b"sommaire=2500477").hexdigest()[:12]
    files = {
        f"www.insee.fr/fr/statistiques/3146677__{page_digest}.bin": fixture("insee_page_3146677.html"),
        "www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv": fixture("DEMO_2022_extrait.csv"),
        "www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119": contours_zip(),
    }
    for relative, body in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return files


def test_the_file_mirror_round_trip(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cle-usb"
    files = _file_mirror(folder)
    secret = tmp_path / "secret.csv"
    secret.write_bytes(b"code;valeur\n")
    before = snapshot(folder)
    data = use_data_dir(monkeypatch, tmp_path / "data")
    code, out, err = _run(["update", "--territoire", TERRITORY, "--mirror", folder.as_uri(), "--sources",
                           "insee_demo_2022,qpv2024_contours,insee_revn_2022", "--sans-barre"], capsys)
    http.reset()
    assert code == 1 and "Traceback" not in err  # REVN is not on the stick
    revn = next(x for x in err.splitlines() if SOURCES["insee_revn_2022"].label in x)
    assert "fichier absent du miroir local" in revn and str(folder / "www.insee.fr") in revn
    for key in ("insee_demo_2022", "qpv2024_contours"):
        assert SOURCES[key].label not in err
    manifest = json.loads((data / "primary" / "COM-34172" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["miroir"] == folder.as_uri()
    raw = data / "raw"
    assert (raw / "www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv").read_bytes() == \
        files["www.insee.fr/fr/statistiques/fichier/3146677/DEMO_2022.csv"]
    assert (raw / "www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119.bin").read_bytes() == \
        files["www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"]
    assert snapshot(folder) == before  # read-only


def test_the_file_mirror_never_reads_outside_its_folder(tmp_path):
    folder = tmp_path / "miroir"
    (folder / "h.fr").mkdir(parents=True)
    (folder / "h.fr" / "ok.csv").write_bytes(b"a;b\n")
    (tmp_path / "secret.csv").write_bytes(b"mot de passe\n")
    (folder / "h.fr" / "lien.csv").symlink_to(tmp_path / "secret.csv")
    base = http.check_mirror(folder.as_uri())
    adapter = http.FileMirrorAdapter(base)

    def status(path: str) -> tuple[int, bytes]:
        request = requests.Request("GET", base + path).prepare()
        response = adapter.send(request)
        return response.status_code, response.content

    assert status("/h.fr/ok.csv") == (200, b"a;b\n")
    assert status("/h.fr/absent.csv")[0] == 404
    for escape in ("/h.fr/../../secret.csv", "/../secret.csv", "/h.fr/%2e%2e/%2e%2e/secret.csv", "/h.fr/lien.csv"):
        code, body = status(escape)
        assert code == 400 and b"mot de passe" not in body, escape
    request = requests.Request("POST", base + "/h.fr/ok.csv", data=b"x").prepare()
    assert adapter.send(request).status_code == 405


def test_the_file_mirror_serves_api_answers_by_query_digest(tmp_path, monkeypatch):
    use_data_dir(monkeypatch, tmp_path / "data")
    folder = tmp_path / "miroir"
    query = "code=34172&fields=nom"
    target = folder / "geo.api.gouv.fr" / f"communes__{hashlib.sha1(query.encode()).hexdigest()[:12]}.bin"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps([{"nom": "Montpellier", "code": "34172"}]), encoding="utf-8")
    answer = http.get_json("https://geo.api.gouv.fr/communes", params={"code": "34172", "fields": "nom"},
                           source="geo.api", mirror=folder.as_uri())
    assert answer.data == [{"nom": "Montpellier", "code": "34172"}]
    http.reset()


def test_update_cleans_leftovers_of_killed_runs_first(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    data = use_data_dir(monkeypatch, tmp_path / "data")
    leftovers = [data / f".staging-{dead}-COM-34172-x", data / "primary" / f".bundle-{dead}-y",
                 data / "primary" / f"COM-34172.{dead}.old"]
    for folder in leftovers:
        folder.mkdir(parents=True)
    (data / "primary" / "COM-34172").mkdir()
    part = data / "raw" / "www.insee.fr" / f".DEMO_2022.csv.{dead}.0.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"partiel")
    folder = tmp_path / "vide"
    folder.mkdir()
    code, _, err = _run(["update", "--territoire", TERRITORY, "--mirror", folder.as_uri(), "--sources",
                         "insee_demo_2022", "--sans-barre"], capsys)
    http.reset()
    assert code == 1 and "fichier absent du miroir local" in err
    assert not any(p.exists() for p in [*leftovers, part])


def test_a_full_disk_during_an_update_is_said_in_french_and_keeps_the_territory(tmp_path, monkeypatch, capsys):
    import errno

    from loaders import folders

    folder = tmp_path / "cle-usb"
    _file_mirror(folder)
    data = use_data_dir(monkeypatch, tmp_path / "data")
    args = ["update", "--territoire", TERRITORY, "--mirror", folder.as_uri(), "--sources", "insee_demo_2022",
            "--sans-barre"]
    assert _run(args, capsys)[0] == 0
    territory = data / "primary" / "COM-34172"
    before = snapshot(territory)

    def full(out_dir, tables):
        (out_dir / "qpv.parquet").write_bytes(b"PAR1 tronqu")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(folders, "_write_outputs", full)
    code, out, err = _run(args, capsys)
    http.reset()
    assert code == 1 and "Traceback" not in err
    assert f"Espace disque insuffisant dans {data / 'primary'}" in err
    assert snapshot(territory) == before
    assert sorted(p.name for p in (data / "primary").iterdir()) == ["COM-34172"]
    assert not [p for p in data.iterdir() if p.name.startswith(".staging-")]
    assert paths.clean_leftovers(data) == []
