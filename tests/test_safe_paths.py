"""``core.paths``: the one safe path function, raw names from URLs, leftovers of killed processes, and
disk errors while writing (download, API product, territory folder) said in French with nothing lost.

The property tests give arbitrary text to ``safe_path`` and ``http.raw_path``: each call either refuses
with ``UnsafePathError`` or returns a path whose resolved form lies strictly inside the root.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

import settings
from core import paths
from core.errors import SourceError, StorageError, UnsafePathError
from loaders import bundle, folders
from sources import http
from tests.online_support import FaultServer, snapshot, use_data_dir

# --- safe_path ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A root holding a symlink to a folder outside it (``dehors``) and one to a folder inside it."""
    base = tmp_path_factory.mktemp("bac")
    root, outside = base / "racine", base / "dehors"
    (root / "dedans").mkdir(parents=True)
    outside.mkdir()
    (root / "lien_dehors").symlink_to(outside, target_is_directory=True)
    (root / "lien_dedans").symlink_to(root / "dedans", target_is_directory=True)
    return root


def _inside(path: Path, root: Path) -> bool:
    resolved, top = path.resolve(), root.resolve()
    return resolved != top and top in resolved.parents


@pytest.mark.parametrize("parts, problem", [
    (("..",), "remontée"),
    (("a/../../b",), "remontée"),
    (("raw", "..", "x"), "remontée"),
    (("/etc/passwd",), "chemin absolu"),
    (("C:\\Windows",), "barre oblique inverse"),
    (("C:x",), "lettre de lecteur"),
    (("nom:flux",), "deux-points"),
    (("a\\..\\b",), "barre oblique inverse"),
    (("a\x00b",), "caractère nul"),
    (("a\nb",), "caractère de contrôle"),
    (("a\u202eb",), "caractère de contrôle"),
    (("",), "chemin vide"),
    ((".", "./"), "chemin vide"),
    (("x" * 256,), "255 octets"),
    (("lien_dehors", "f.csv"), "en dehors du dossier"),
])
def test_safe_path_refuses(sandbox, parts, problem):
    with pytest.raises(UnsafePathError, match=problem) as info:
        paths.safe_path(sandbox, *parts)
    assert str(info.value).startswith("Chemin refusé par sécurité")


def test_safe_path_normalises_and_stays_inside(sandbox):
    assert paths.safe_path(sandbox, "raw", "a//b/./c.csv") == sandbox / "raw" / "a" / "b" / "c.csv"
    assert paths.safe_path(sandbox, Path("primary"), "EPCI-243400017") == sandbox / "primary" / "EPCI-243400017"
    # A symlink pointing inside the root is fine: the resolved path is what counts.
    assert paths.safe_path(sandbox, "lien_dedans", "f.csv").resolve() == (sandbox / "dedans" / "f.csv").resolve()


_NASTY = st.sampled_from(["..", ".", "/", "//", "\\", ":", "C:", "\x00", "\n", "\u202e", "~", "a", "é", "f.csv",
                          "lien_dehors", "lien_dedans", "..%2f", " ", "\udcff"])
_PART = st.one_of(st.text(max_size=40), st.lists(_NASTY, max_size=6).map("".join))


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_PART, min_size=1, max_size=4))
@example(parts=["lien_dehors/../lien_dehors", "x"])
@example(parts=["a/..", "..", "b"])
def test_safe_path_never_returns_a_path_outside_the_root(sandbox, parts):
    try:
        path = paths.safe_path(sandbox, *parts)
    except UnsafePathError:
        return
    assert _inside(path, sandbox), path
    assert ".." not in path.relative_to(sandbox).parts


# --- raw names from URLs --------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    return use_data_dir(monkeypatch, tmp_path / "donnees")


@pytest.mark.parametrize("url, relative", [
    ("https://www.insee.fr/fr/statistiques/fichier/5359605/DEMO_2022.csv",
     "www.insee.fr/fr/statistiques/fichier/5359605/DEMO_2022.csv"),
    ("https://files.georisques.fr/GASPAR/gaspar.zip", "files.georisques.fr/GASPAR/gaspar.zip"),
    ("https://static.data.gouv.fr/resources/qpv/evil.pth", "static.data.gouv.fr/resources/qpv/evil.pth.bin"),
    ("https://h.fr/sitecustomize.py", "h.fr/sitecustomize.py.bin"),
    ("https://h.fr/lib/x.so", "h.fr/lib/x.so.bin"),
    ("https://h.fr/run.sh", "h.fr/run.sh.bin"),
    ("https://h.fr/.htaccess", "h.fr/_htaccess.bin"),
    ("https://h.fr/.git/config", "h.fr/_git/config.bin"),
    ("https://h.fr/dossier/", "h.fr/dossier/index.bin"),
    ("https://h.fr", "h.fr/index.bin"),
    ("http://127.0.0.1:8000/a/b.GeoJSON", "127.0.0.1_8000/a/b.GeoJSON"),
    ("https://h.fr/a%20b/c d.csv", "h.fr/a_20b/c_d.csv"),
])
def test_raw_paths_keep_data_extensions_only(data_dir, url, relative):
    assert http.raw_path(url) == data_dir / "raw" / relative


def test_a_query_adds_its_digest_before_the_data_extension(data_dir):
    digest = hashlib.sha1(b"SERVICE=WFS&TYPENAMES=a").hexdigest()[:12]
    assert http.raw_path("https://data.geopf.fr/wfs/ows?SERVICE=WFS&TYPENAMES=a") == \
        data_dir / "raw" / "data.geopf.fr" / "wfs" / f"ows__{digest}.bin"
    digest = hashlib.sha1(b"v=2").hexdigest()[:12]
    assert http.raw_path("https://h.fr/f.csv?v=2").name == f"f__{digest}.csv"


@pytest.mark.parametrize("url, problem", [
    ("https://../x.csv", "hôte « .. »"),
    ("https://./x.csv", "hôte « . »"),
    ("https:///x.csv", "hôte vide"),
    ("https://a..b/x.csv", "ni un nom de domaine"),
    ("https://-a.fr/x.csv", "ni un nom de domaine"),
    ("https://h.fr./x.csv", "ni un nom de domaine"),
    ("https://0x7f000001/x.csv", "forme inhabituelle"),
    ("https://127.1/x.csv", "forme inhabituelle"),
    ("https://2130706433/x.csv", "forme inhabituelle"),
    ("https://user:motdepasse@h.fr/x.csv", "identifiants"),
    ("https://h.fr:0/x.csv", "port invalide"),
    ("https://h.fr:70000/x.csv", "port invalide"),
    ("https://h.fr:8a/x.csv", "port invalide"),
    ("https://h.fr/a/../../x.csv", "remontée"),
    ("https://h.fr/a/%2e%2E/x.csv", "remontée"),
    ("https://h.fr/a\\..\\x.csv", "barre oblique inverse"),
    ("https://h.fr/a\x00.csv", "caractère nul"),
    ("https://h.fr/a%2f..%2fx.csv", "caractère interdit encodé"),
    ("https://[/x.csv", "adresse mal formée"),
    ("https://[::1/x.csv", "adresse mal formée"),
    ("ftp://h.fr/x.csv", "schéma « ftp »"),
    ("file:///etc/passwd", "schéma « file »"),
    ("javascript:alert(1)", "schéma « javascript »"),
    ("data:text/plain,x", "schéma « data »"),
])
def test_raw_path_refuses_odd_urls(data_dir, url, problem):
    with pytest.raises(UnsafePathError, match=problem):
        http.raw_path(url)
    with pytest.raises(SourceError, match=r"^Source « Liste » : adresse refusée par sécurité"):
        http.raw_path(url, source="Liste")


_HOST = st.one_of(st.sampled_from(["www.insee.fr", "..", ".", "", "127.0.0.1:8000", "[::1]", "a..b", "h.fr:99999",
                                   "0x7f000001", "u@h.fr", "H.FR"]), st.text(max_size=20))
_URL_PATH = st.lists(st.one_of(_NASTY, st.sampled_from(["x.pth", "y.py", "z.so", ".bashrc", "f.csv", "index",
                                                        "%2e%2e", "%2E."]), st.text(max_size=12)), max_size=8)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scheme=st.sampled_from(["https", "http", "HTTPS", "file", "ftp", "javascript", ""]), host=_HOST,
       segments=_URL_PATH, query=st.one_of(st.just(""), st.text(max_size=20)))
@example(scheme="https", host="static.data.gouv.fr", segments=["..", "..", "site-packages", "evil.pth"], query="")
@example(scheme="https", host="[", segments=[], query="")  # urlsplit raises ValueError: refused, not a crash
def test_raw_path_of_any_url_is_inside_the_data_folder_with_a_data_extension(data_dir, scheme, host, segments, query):
    url = f"{scheme}://{host}/" + "/".join(segments) + (f"?{query}" if query else "")
    try:
        path = http.raw_path(url)
    except UnsafePathError:
        return
    root = settings.raw_dir()
    assert _inside(path, root), (url, path)
    relative = path.relative_to(root).parts
    assert not any(part.startswith(".") for part in relative), (url, path)
    assert path.suffix.lower().lstrip(".") in paths.DATA_SUFFIXES, (url, path)


@pytest.mark.parametrize("host, internal", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("10.1.2.3", True), ("192.168.0.1", True), ("172.16.0.1", True),
    ("169.254.169.254", True), ("0.0.0.0", True), ("::1", True), ("[::1]", True), ("fe80::1", True),
    ("::ffff:127.0.0.1", True), ("localhost", True), ("api.localhost", True), ("0x7f000001", True),
    ("8.8.8.8", False), ("www.insee.fr", False), ("2a00:1450:4007::1", False),
])
def test_internal_addresses(host, internal):
    assert paths.is_internal_ip(host) is internal


# --- leftovers of killed processes ----------------------------------------------------------------


@pytest.fixture
def pids():
    """The id of a process that has ended and of one that still runs (ended when the test is over)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield int(done.stdout), live.pid
    finally:
        live.kill()
        live.wait()


def _folder(path: Path, name: str = "table.parquet") -> Path:
    path.mkdir(parents=True)
    (path / name).write_bytes(b"x")
    return path


def test_leftovers_of_dead_processes_are_removed_never_those_of_live_ones(tmp_path, pids):
    dead, live = pids
    data = tmp_path / "donnees"
    primary, insee = data / "primary", data / "raw" / "www.insee.fr"
    good = _folder(primary / "EPCI-243400017", "manifest.json")
    insee.mkdir(parents=True)
    (insee / "DEMO_2022.csv").write_bytes(b"code;valeur\n")
    removed = [
        _folder(data / f".staging-{dead}-EPCI-243400017-abc"),
        _folder(data / ".staging-EPCI-243400017-ancien"),  # written by an older version (no pid)
        _folder(primary / f".bundle-{dead}-k2j3"),
        _folder(primary / ".bundle-x8y9z0ab"),
        _folder(primary / f"EPCI-243400017.{dead}.old"),
        insee / f".DEMO_2022.csv.{dead}.0.part",
        insee / f".DEMO_2022.csv.meta.json.{dead}.part",
    ]
    kept = [
        _folder(data / f".staging-{live}-COM-34172-def"),
        _folder(primary / f".bundle-{live}-q1w2"),
        _folder(primary / f"COM-34172.{live}.old"),
        insee / f".REVN_2022.csv.{live}.1.part",
    ]
    for part in (removed[-2], removed[-1], kept[-1]):
        part.write_bytes(b"partiel")
    # Cut between the two renames of a swap: only the backup holds the territory; it comes back.
    orphan = _folder(primary / f"COM-13055.{dead}.old", "manifest.json")

    gone = paths.clean_leftovers(data)

    assert sorted(gone) == sorted(removed)
    assert not any(p.exists() for p in removed)
    assert all(p.exists() for p in kept)
    assert (good / "manifest.json").is_file() and (insee / "DEMO_2022.csv").is_file()
    assert not orphan.exists() and (primary / "COM-13055" / "manifest.json").is_file()


def test_cleaning_a_missing_or_unreadable_folder_does_nothing(tmp_path, monkeypatch, pids):
    assert paths.clean_leftovers(tmp_path / "absent") == []
    leftover = _folder(tmp_path / f".staging-{pids[0]}-COM-34172-abc")

    def refused(self):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refused)
    assert paths.clean_leftovers(tmp_path) == []
    assert leftover.is_dir()


# --- disk errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "espace disque insuffisant dans /donnees/raw"),
    (errno.EDQUOT, "espace disque insuffisant dans /donnees/raw"),
    (errno.EACCES, "droits insuffisants pour écrire dans /donnees/raw"),
    (errno.EROFS, "le dossier /donnees/raw est sur un support en lecture seule"),
    (errno.ENAMETOOLONG, "nom de fichier trop long"),
    (errno.EIO, "erreur d'écriture dans /donnees/raw (code système EIO)"),
])
def test_os_errors_in_french(code, words):
    assert words in paths.describe_os_error(OSError(code, os.strerror(code)), "/donnees/raw")


def test_an_arrow_write_error_without_errno_is_still_recognised():
    exc = OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")
    assert paths.describe_os_error(exc, "/d") == "espace disque insuffisant dans /d"


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


def test_a_full_disk_during_a_download_keeps_the_last_good_copy(data_dir, monkeypatch):
    server = FaultServer()
    try:
        url = server.url + "/f.csv"
        server.route("/f.csv", ("ok", b"code;valeur\nQP001001;1\n", {}), ("ok", b"code;valeur\nQP001001;2\n", {}))
        dest = http.raw_path("https://www.insee.fr/f.csv")
        http.download(url, dest, source="Insee", expect="csv")
        before = snapshot(data_dir / "raw")
        monkeypatch.setattr(os, "fsync", _disk_full)  # the data reaches the disk at fsync: ENOSPC there
        with pytest.raises(SourceError) as info:
            http.download(url, dest, source="Insee", expect="csv")
    finally:
        server.close()
    message = str(info.value)
    assert message.startswith("Source « Insee » : espace disque insuffisant dans ")
    assert str(dest.parent) in message and "copie précédente est conservée" in message
    assert snapshot(data_dir / "raw") == before
    assert not _parts(data_dir)


def test_a_full_disk_while_storing_an_api_product_keeps_the_previous_one(data_dir, monkeypatch):
    dest = data_dir / "raw" / "territoires" / "COM-34172" / "communes.csv"
    http.save_product(dest, b"insee_com\n34172\n", source="Communes")
    before = snapshot(data_dir / "raw")
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(SourceError, match="^Source « Communes » : espace disque insuffisant dans .*COM-34172"):
        http.save_product(dest, b"insee_com\n34172\n34057\n", source="Communes")
    assert snapshot(data_dir / "raw") == before and not _parts(data_dir)


def test_a_full_disk_while_writing_a_territory_folder_keeps_the_previous_folder(tmp_path, monkeypatch):
    folder = tmp_path / "primary" / "COM-34172"
    frame = pd.DataFrame({"code_qp": ["QN03405M"], "valeur": [1.0]})
    folders.write_folder(folder, {"valeurs": frame}, lambda outputs: {"sorties": outputs})
    before = snapshot(folder)
    real = pd.DataFrame.to_parquet

    def half_then_full(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        Path(path).write_bytes(Path(path).read_bytes()[:10])  # a file cut short, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_full)
    with pytest.raises(StorageError) as info:
        folders.write_folder(folder, {"valeurs": frame.assign(valeur=2.0)}, lambda outputs: {"sorties": outputs})
    assert str(info.value).startswith(f"Espace disque insuffisant dans {folder.parent} : ")
    assert snapshot(folder) == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["COM-34172"]  # no .bundle-*, no *.old


def test_paths_shown_to_visitors_are_relative_to_the_data_folder(tmp_path):
    shown_under = paths.shown_under
    root = tmp_path / "donnees"
    (root / "primary" / "EPCI-243400017").mkdir(parents=True)
    assert shown_under(root, root / "primary" / "EPCI-243400017") == "primary/EPCI-243400017"
    assert shown_under(root, root / "primary" / ".." / "primary") == "primary"
    # Outside the data folder (or climbing out of it): only the last name, never the server's layout.
    assert shown_under(root, tmp_path / "ailleurs" / "EPCI-1") == "EPCI-1"
    assert shown_under(root, root / ".." / "secret") == "secret"
    assert str(tmp_path) not in shown_under(root, tmp_path / "x")


def test_messages_for_the_web_page_hide_the_server_paths(tmp_path):
    """An error built for the command line names the folder; shown to a visitor it names the setting instead."""
    hide = paths.hide_server_paths
    data, app = tmp_path / "donnees", tmp_path / "appli"
    named = {data: "ECOQPV_DATA_DIR", app: "dossier de l'application"}
    full = paths.storage_error(OSError(errno.ENOSPC, "No space left on device"), data / "raw" / "insee",
                               "le fichier précédent est conservé.")
    assert hide(str(full), named) == ("Espace disque insuffisant dans ECOQPV_DATA_DIR/raw/insee : le fichier "
                                      "précédent est conservé.")
    assert hide(f"Lecture seule : {data}.", named) == "Lecture seule : ECOQPV_DATA_DIR."
    assert hide(f"« {app / 'data' / 'bundle' / 'qpv.parquet'} » absent", named) == \
        "« dossier de l'application/data/bundle/qpv.parquet » absent"
    # A folder whose name merely starts like the data folder is not the data folder.
    assert hide(f"{data}-ancien/x", named) == "…/x"
    # Any other absolute path keeps its last name only, a file mirror's address too; Windows paths as well.
    assert hide("fichier /home/ana/ecoqpv/sortie.csv illisible", named) == "fichier …/sortie.csv illisible"
    assert hide("Miroir refusé : « file:///etc/passwd »", named) == "Miroir refusé : « file://…/passwd »"
    assert hide(r"fichier C:\Users\Ana\x.csv manquant", named) == "fichier …/x.csv manquant"
    # Web addresses, fractions and relative names stay as they are.
    for kept in ("voir https://www.data.gouv.fr/fr/datasets/qpv/ et http://127.0.0.1:8000/a/b",
                 "1/2 des IRIS", "raw/insee", "la page /carte", "QPV : QN03405M"):
        assert hide(kept, named) == kept
    assert str(tmp_path) not in hide(f"{tmp_path}/a {data}/b {app}", named)
