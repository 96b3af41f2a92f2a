"""The HTTP layer (``loaders.http``) against a local scripted server: real urllib3 retries, no real host."""

from __future__ import annotations

import json
import os
import time

import pytest

import settings
from sources import http
from core.errors import ChecksumError, RateLimitedError, SourceFormatError, SourceMissingError, SourceUnavailableError
from tests.online_support import FaultServer, snapshot, use_data_dir


@pytest.fixture
def server():
    srv = FaultServer()
    yield srv
    srv.close()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    return use_data_dir(monkeypatch, tmp_path / "donnees")


GOOD = json.dumps({"ok": True}).encode()


def test_mirror_keeps_the_official_host_as_first_path_segment():
    url = "https://www.data.gouv.fr/api/1/datasets/qpv/?page=2&x=%C3%A9"
    mirrored = http.mirror_url(url, "http://127.0.0.1:8000/miroir/")
    assert mirrored == "http://127.0.0.1:8000/miroir/www.data.gouv.fr/api/1/datasets/qpv/?page=2&x=%C3%A9"
    assert http.mirror_url(mirrored, "http://127.0.0.1:8000/miroir") == mirrored
    assert http.mirror_url(url, None) == url
    assert http.official_host(mirrored, "http://127.0.0.1:8000/miroir") == "www.data.gouv.fr"


def test_raw_paths_mirror_the_official_layout(data_dir):
    path = http.raw_path("https://files.georisques.fr/GASPAR/gaspar.zip")
    assert path == data_dir / "raw" / "files.georisques.fr" / "GASPAR" / "gaspar.zip"
    with_query = http.raw_path("https://data.geopf.fr/wfs/ows?SERVICE=WFS&TYPENAMES=a")
    assert with_query.parent == data_dir / "raw" / "data.geopf.fr" / "wfs" and with_query.name.startswith("ows__")


def test_session_is_polite_and_uses_proxies_from_the_environment(data_dir):
    for sess in (http.session(), http.file_session()):
        assert sess.headers["User-Agent"].startswith("ecoqpv/0.1 (+tableau de bord QPV; contact: ")
        assert sess.trust_env  # HTTPS_PROXY / NO_PROXY of municipal networks
        # No hidden retry inside urllib3: the layer retries itself, counted and bounded by the budget.
        retry = sess.get_adapter("https://example.org").max_retries
        assert retry.total == 0 and not retry.respect_retry_after_header
    assert set(http.RETRY_STATUSES) == {429, 500, 502, 503, 504}
    assert settings.http_cache_path() == data_dir / "http_cache.sqlite"


def test_503_then_success_is_retried(data_dir, server):
    server.route("/api", ("status", 503, b"busy", {}), ("ok", GOOD, {"Content-Type": "application/json"}))
    answer = http.get_json(server.url + "/api", source="API de test")
    assert answer.data == {"ok": True} and server.hits["/api"] == 2


def test_other_4xx_are_never_retried(data_dir, server):
    server.route("/absent", ("status", 404, b"<!DOCTYPE html><html>404</html>", {}))
    with pytest.raises(SourceMissingError, match="API de test.*introuvable \\(erreur 404\\)"):
        http.get_json(server.url + "/absent", source="API de test")
    assert server.hits["/absent"] == 1
    server.route("/bad", ("status", 400, b"{}", {}))
    with pytest.raises(SourceUnavailableError, match="erreur 400"):
        http.get_json(server.url + "/bad", source="API de test")
    assert server.hits["/bad"] == 1


def test_retry_after_is_honoured(data_dir, server):
    server.route("/limited", ("status", 429, b"", {"Retry-After": "1"}), ("ok", GOOD, {}))
    start = time.monotonic()
    http.get_json(server.url + "/limited", source="Melodi")
    assert time.monotonic() - start >= 0.9 and server.hits["/limited"] == 2


def test_persistent_429_ends_with_a_french_message(data_dir, server):
    server.route("/limited", ("status", 429, b"", {"Retry-After": "0"}))
    with pytest.raises(RateLimitedError, match="Melodi.*trop de requêtes \\(erreur 429\\)"):
        http.get_json(server.url + "/limited", source="Melodi")
    assert server.hits["/limited"] == settings.HTTP_RETRIES + 1


def test_errors_are_never_cached(data_dir, server):
    failures = [("status", 500, b"oops", {})] * (settings.HTTP_RETRIES + 1)
    server.route("/api", ("ok", b"<!DOCTYPE html><html><body>Maintenance</body></html>", {}), *failures,
                 ("ok", GOOD, {}))
    with pytest.raises(SourceFormatError, match="page HTML"):
        http.get_json(server.url + "/api", source="API de test")
    with pytest.raises(SourceUnavailableError, match="erreur serveur 500"):
        http.get_json(server.url + "/api", source="API de test")
    http.forget_unreachable()  # a new update: the host found down gets a new chance
    assert http.get_json(server.url + "/api", source="API de test").data == {"ok": True}
    cached = http.get_json(server.url + "/api", source="API de test")
    assert cached.from_cache and cached.data == {"ok": True}


def test_an_answer_refused_by_its_parser_leaves_the_cache(data_dir, server):
    server.route("/api", ("ok", b'{"renamed": 1}', {}), ("ok", GOOD, {}))

    def check(data):
        if "ok" not in data:
            raise SourceFormatError("API de test", "champ « ok » absent.")

    with pytest.raises(SourceFormatError):
        http.get_json(server.url + "/api", source="API de test", validate=check)
    assert http.get_json(server.url + "/api", source="API de test", validate=check).data == {"ok": True}


def test_rate_limit_per_host_spaces_real_requests_only(data_dir, server, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT", True)
    monkeypatch.setattr(settings, "RATE_LIMITS_PER_MINUTE", {"127.0.0.1": 300})  # one every 0.2 s
    for i in range(3):
        server.route(f"/r{i}", ("ok", GOOD, {}))
    start = time.monotonic()
    for i in range(3):
        http.get_json(server.url + f"/r{i}", source="API")
    assert time.monotonic() - start >= 0.35
    start = time.monotonic()
    for i in range(3):
        assert http.get_json(server.url + f"/r{i}", source="API").from_cache
    assert time.monotonic() - start < 0.2


def test_redirects_are_mapped_through_the_mirror(data_dir, server):
    server.route("/www.data.gouv.fr/fr/datasets/r/abc", ("status", 302, b"", {"Location": "https://static.data.gouv.fr/f.csv"}))
    server.route("/static.data.gouv.fr/f.csv", ("ok", b"a;b\n1;2\n", {}))
    result = http.download("https://www.data.gouv.fr/fr/datasets/r/abc", data_dir / "raw" / "f.csv", source="Test",
                           mirror=server.url, expect="csv")
    assert result.path.read_bytes() == b"a;b\n1;2\n"
    assert result.meta["url_effective"] == server.url + "/static.data.gouv.fr/f.csv"


def test_download_keeps_the_last_good_copy_when_the_new_one_is_bad(data_dir, server):
    dest = data_dir / "raw" / "fichier.csv"
    server.route("/f.csv", ("ok", b"code;valeur\nQP001001;1\n", {"ETag": '"v1"'}),
                 ("ok", b"<html><body>Erreur</body></html>", {}), ("ok", b"", {}),
                 ("status", 304, b"", {}))
    first = http.download(server.url + "/f.csv", dest, source="Test", expect="csv")
    before = snapshot(data_dir / "raw")
    with pytest.raises(SourceFormatError, match="page HTML"):
        http.download(server.url + "/f.csv", dest, source="Test", expect="csv")
    with pytest.raises(SourceFormatError, match="réponse vide"):
        http.download(server.url + "/f.csv", dest, source="Test", expect="csv")
    assert snapshot(data_dir / "raw") == before
    again = http.download(server.url + "/f.csv", dest, source="Test", expect="csv")  # conditional: 304
    assert again.reused and again.sha256 == first.sha256


def test_truncated_zip_and_checksum_are_refused(data_dir, server):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", os.urandom(50_000))
    data = buffer.getvalue()
    server.route("/a.zip", ("ok", data[: len(data) // 2], {}))
    with pytest.raises(SourceFormatError, match="archive ZIP tronquée"):
        http.download(server.url + "/a.zip", data_dir / "raw" / "a.zip", source="Test", expect="zip")
    server.route("/b.csv", ("ok", b"x;y\n", {}))
    with pytest.raises(ChecksumError, match="empreinte sha256"):
        http.download(server.url + "/b.csv", data_dir / "raw" / "b.csv", source="Test",
                      checksum=("sha256", "0" * 64))
    assert not [p for p in (data_dir / "raw").rglob("*") if p.is_file()]


def test_stale_part_files_of_dead_processes_are_removed(data_dir, server):
    dest = data_dir / "raw" / "g.csv"
    dest.parent.mkdir(parents=True)
    stale = dest.with_name(".g.csv.999999.0.part")
    stale.write_bytes(b"partial")
    server.route("/g.csv", ("ok", b"a\n1\n", {}))
    http.download(server.url + "/g.csv", dest, source="Test")
    assert not stale.exists() and dest.read_bytes() == b"a\n1\n"


def test_an_unreachable_host_fails_fast_after_the_first_attempts(data_dir):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mirror = f"http://127.0.0.1:{port}"
    with pytest.raises(SourceUnavailableError, match="connexion impossible au serveur api.insee.fr"):
        http.get_json("https://api.insee.fr/melodi/data/X", source="Melodi", mirror=mirror)
    start = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="geo.api.gouv.fr .*constaté plus tôt"):
        http.get_json("https://geo.api.gouv.fr/communes", source="geo.api", mirror=mirror)
    assert time.monotonic() - start < 0.5
    http.forget_unreachable()


def test_downloads_are_streamed_to_disk(data_dir, server):
    body = os.urandom(300_000)
    server.route("/big.bin", ("ok", body, {}))
    seen = []
    http.download(server.url + "/big.bin", data_dir / "raw" / "big.bin", source="Test",
                  progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 2 and seen[0][0] < len(body) and seen[-1] == (len(body), len(body))


def test_a_body_cut_short_is_an_interrupted_download_then_retried(data_dir, server):
    body = os.urandom(200_000)
    server.route("/c.bin", ("truncate", body, 50_000), ("ok", body, {}))
    result = http.download(server.url + "/c.bin", data_dir / "raw" / "c.bin", source="Test")
    assert result.path.read_bytes() == body and server.hits["/c.bin"] == 2
    server.route("/d.bin", ("truncate", body, 50_000))
    with pytest.raises(SourceUnavailableError, match="connexion interrompue"):
        http.download(server.url + "/d.bin", data_dir / "raw" / "d.bin", source="Test")
    assert not (data_dir / "raw" / "d.bin").exists() and not list((data_dir / "raw").glob("*.part"))


# --- fail fast: hosts found down, time budget -----------------------------------------------------------


@pytest.fixture
def run():
    """One update's run (hosts found down, deadline), ended after the test."""
    yield http.begin_run
    http.end_run()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_host_answering_500_gets_no_further_request_in_the_update(data_dir, server, run):
    run(None)
    server.route("/www.insee.fr/a", ("status", 500, b"oops", {}))
    server.route("/www.insee.fr/b", ("ok", GOOD, {}))
    server.route("/geo.api.gouv.fr/c", ("ok", GOOD, {}))
    with pytest.raises(SourceUnavailableError, match="Insee.*erreur serveur 500 persistante"):
        http.get_json("https://www.insee.fr/a", source="Insee", mirror=server.url)
    assert server.hits["/www.insee.fr/a"] == settings.HTTP_RETRIES + 1
    with pytest.raises(http.HostDownError, match="Insee bis.*www.insee.fr .*erreur 500.*constaté plus tôt"):
        http.get_json("https://www.insee.fr/b", source="Insee bis", mirror=server.url)
    assert "/www.insee.fr/b" not in server.hits  # no new request to the host found down
    # Another official host behind the same mirror is still asked.
    assert http.get_json("https://geo.api.gouv.fr/c", source="geo.api", mirror=server.url).data == {"ok": True}


def test_a_mirror_failing_for_two_hosts_is_down_as_a_whole(data_dir, server, run):
    run(None)
    for path in ("/www.insee.fr/a", "/data.geopf.fr/b", "/geo.api.gouv.fr/c"):
        server.route(path, ("status", 502, b"", {}))
    for url in ("https://www.insee.fr/a", "https://data.geopf.fr/b"):
        with pytest.raises(SourceUnavailableError, match="erreur serveur 502"):
            http.get_json(url, source="Test", mirror=server.url)
    with pytest.raises(http.HostDownError, match="le miroir .* est en échec pour plusieurs sites"):
        http.get_json("https://geo.api.gouv.fr/c", source="Test", mirror=server.url)
    assert "/geo.api.gouv.fr/c" not in server.hits


def test_a_429_asking_a_wait_beyond_the_budget_stops_at_once(data_dir, server, run):
    run(30)
    server.route("/api.insee.fr/x", ("status", 429, b"", {"Retry-After": "600"}))
    server.route("/api.insee.fr/y", ("ok", GOOD, {}))
    start = time.monotonic()
    with pytest.raises(RateLimitedError, match="Melodi.*attendre 600 s, plus que la mise à jour ne peut attendre"):
        http.get_json("https://api.insee.fr/x", source="Melodi", mirror=server.url)
    assert server.hits["/api.insee.fr/x"] == 1 and time.monotonic() - start < 5
    with pytest.raises(http.HostDownError, match="demande d'attendre 600 s"):
        http.get_json("https://api.insee.fr/y", source="Melodi", mirror=server.url)
    assert "/api.insee.fr/y" not in server.hits


def test_a_server_resetting_every_connection_is_down_after_the_retries(data_dir, server, run):
    run(None)
    server.route("/files.georisques.fr/a", ("reset",))
    server.route("/files.georisques.fr/b", ("ok", GOOD, {}))
    with pytest.raises(SourceUnavailableError, match="connexion interrompue"):
        http.get_json("https://files.georisques.fr/a", source="GASPAR", mirror=server.url)
    assert server.hits["/files.georisques.fr/a"] == settings.HTTP_RETRIES + 1
    with pytest.raises(http.HostDownError, match="coupe la connexion"):
        http.download("https://files.georisques.fr/b", data_dir / "raw" / "b.csv", source="GASPAR",
                      mirror=server.url)
    assert "/files.georisques.fr/b" not in server.hits


def test_a_refused_connection_is_not_retried_and_two_unreachable_hosts_mean_offline(data_dir, server, run):
    run(None)
    for port in (_closed_port(), _closed_port()):
        with pytest.raises(SourceUnavailableError, match="connexion impossible"):
            http.get_json(f"http://127.0.0.1:{port}/a", source="Test")
    # Offline: even a host never asked (here one that would answer) gets no request.
    server.route("/x", ("ok", GOOD, {}))
    with pytest.raises(http.HostDownError, match="pas de connexion aux sites officiels"):
        http.get_json(server.url + "/x", source="Test")
    assert "/x" not in server.hits and http.is_offline()


def test_an_unknown_name_is_down_at_the_first_failure(data_dir, run):
    run(None)
    with pytest.raises(SourceUnavailableError, match="connexion impossible au serveur ecoqpv-test.invalid"):
        http.get_json("http://ecoqpv-test.invalid/a", source="Test")
    with pytest.raises(http.HostDownError, match="ecoqpv-test.invalid.*constaté plus tôt"):
        http.get_json("http://ecoqpv-test.invalid/b", source="Test")


def test_the_budget_cuts_a_hanging_answer_and_the_pauses(data_dir, server, monkeypatch, run):
    monkeypatch.setattr(settings, "HTTP_READ_TIMEOUT", 30.0)
    run(0.5)
    server.route("/slow", ("sleep", 3.0, GOOD))
    with pytest.raises(SourceUnavailableError):
        http.get_json(server.url + "/slow", source="Test")
    assert server.hits["/slow"] == 1  # the next attempt did not fit in the budget
    with pytest.raises(http.BudgetExceededError, match="délai maximal de la mise à jour atteint \\(0,5 s\\)"):
        http.get_json(server.url + "/never-asked", source="Test")
    assert "/never-asked" not in server.hits


def test_a_retry_pause_beyond_the_budget_is_not_made(data_dir, server, monkeypatch, run):
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 10.0)
    monkeypatch.setattr(settings, "HTTP_RETRY_AFTER_MAX", 60.0)
    run(2)
    server.route("/busy", ("status", 503, b"", {}), ("ok", GOOD, {}))
    with pytest.raises(http.BudgetExceededError, match="avant une nouvelle tentative"):
        http.get_json(server.url + "/busy", source="Test")
    assert server.hits["/busy"] == 1


def test_a_download_still_streaming_at_the_deadline_stops_and_leaves_nothing(data_dir, server, run):
    body = os.urandom(100_000)
    server.route("/trickle.bin", ("slow", body, 1000, 0.02))
    run(0.4)
    dest = data_dir / "raw" / "trickle.bin"
    with pytest.raises(http.BudgetExceededError, match="pendant le téléchargement"):
        http.download(server.url + "/trickle.bin", dest, source="Test")
    assert not dest.exists() and not list(dest.parent.glob("*.part"))


def test_outside_an_update_there_is_no_deadline(data_dir, server):
    http.begin_run(0.01)
    http.end_run()
    server.route("/api", ("sleep", 0.2, GOOD))
    assert http.remaining() is None
    assert http.get_json(server.url + "/api", source="Test").data == {"ok": True}


def test_answers_of_a_file_mirror_are_read_again_never_cached(data_dir, tmp_path):
    import hashlib

    folder = tmp_path / "cle-usb"
    query = "code=34172&fields=nom"
    target = folder / "geo.api.gouv.fr" / f"communes__{hashlib.sha1(query.encode()).hexdigest()[:12]}.bin"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps([{"nom": "Montpellier"}]), encoding="utf-8")
    params = {"code": "34172", "fields": "nom"}
    first = http.get_json("https://geo.api.gouv.fr/communes", params=params, source="geo.api", mirror=folder.as_uri())
    target.write_text(json.dumps([{"nom": "Montpellier (clé mise à jour)"}]), encoding="utf-8")  # a new stick
    second = http.get_json("https://geo.api.gouv.fr/communes", params=params, source="geo.api", mirror=folder.as_uri())
    assert first.data == [{"nom": "Montpellier"}] and second.data == [{"nom": "Montpellier (clé mise à jour)"}]
    assert not first.from_cache and not second.from_cache
    assert not list(http.session().cache.urls())


def test_a_file_mirror_also_reads_an_answer_filed_under_its_sorted_parameters(data_dir, tmp_path):
    import hashlib

    folder = tmp_path / "cle-usb"
    ordered = "code=34172&fields=nom"  # what ``fill-mirror`` writes: parameters sorted
    target = folder / "geo.api.gouv.fr" / f"communes__{hashlib.sha1(ordered.encode()).hexdigest()[:12]}.bin"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"ok": True}), encoding="utf-8")
    answer = http.get_json("https://geo.api.gouv.fr/communes", params={"fields": "nom", "code": "34172"},
                           source="geo.api", mirror=folder.as_uri())
    assert answer.data == {"ok": True}
    assert http.canonical_url("https://h.fr/p?b=2&a=1+2") == "https://h.fr/p?a=1+2&b=2"
