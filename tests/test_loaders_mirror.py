"""End to end through a local mirror: ``python -m loaders update --mirror http://127.0.0.1:PORT``.

The mirror (``tests/mirror.py``) serves ``../shared/opendata`` under the official hosts and paths. The
bundle was built from the same files, so an update of a territory through the mirror must give the
bundle's values for the same QPV — every indicator value and every missing-value reason. Sources that
exist only online (ADEME, Melodi, INSEE QPV 2024…) answer 404 from the mirror: asked for, they fail
with a French message while the rest is kept.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata import territories
from indicators import catalogue
from assembly.territory_table import territory_table
from tests.conftest import OPENDATA, needs_opendata
from tests.mirror import SERVED_SOURCES, OfficialMirror, serve
from tests.online_support import env_for, use_data_dir

pytestmark = needs_opendata
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mirror():
    official = OfficialMirror(OPENDATA)
    server = serve(official)
    yield server.url, official
    server.shutdown()
    server.server_close()


def _update(folder: Path, territory: str, url: str, sources: tuple[str, ...] | None) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "loaders", "update", "--territoire", territory, "--mirror", url]
    if sources:
        args += ["--sources", ",".join(sources)]
    return subprocess.run(args, cwd=ROOT, env=env_for(folder), capture_output=True, text=True, timeout=300)


def _tables(territory: str, folder: Path, monkeypatch, tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    use_data_dir(monkeypatch, tmp_path / "vide")
    key = territories.resolve_key(territory)
    bundle = territory_table(key, with_scores=False).set_index("code_qp")
    use_data_dir(monkeypatch, folder)
    updated = territory_table(key, with_scores=False).set_index("code_qp")
    return bundle, updated


def _assert_same_values(bundle: pd.DataFrame, updated: pd.DataFrame) -> None:
    assert list(updated.index) == list(bundle.index)
    for column in ("lib_qp", "generation", "insee_com", "siren_epci", "insee_dep", "insee_reg", "a_contour"):
        pd.testing.assert_series_equal(updated[column], bundle[column], check_dtype=False)
    for indicator in catalogue.ids():
        a, b = bundle[indicator].to_numpy(dtype=float), updated[indicator].to_numpy(dtype=float)
        # The WFS serves the QPV 2015 in Web Mercator: the shapes come back through one more projection
        # than in the bundle build, a float rounding of ~1e-11 on the values, nothing more.
        assert np.array_equal(np.isnan(a), np.isnan(b)), indicator
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), indicator
        reason = f"{indicator}_missing_reason"
        assert bundle[reason].fillna("").tolist() == updated[reason].fillna("").tolist(), indicator


def test_occitanie_epci_through_the_mirror_equals_the_bundle(mirror, tmp_path, monkeypatch):
    url, official = mirror
    folder = tmp_path / "donnees"
    proc = _update(folder, "EPCI:243400017", url, SERVED_SOURCES)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "Mise à jour de Montpellier Méditerranée Métropole" in proc.stdout
    assert (folder / "primary" / "EPCI-243400017" / "manifest.json").is_file()
    bundle, updated = _tables("EPCI:243400017", folder, monkeypatch, tmp_path)
    assert len(bundle) == 22 and updated["a_contour"].sum() == bundle["a_contour"].sum() > 10
    assert updated["jours_sup_35"].notna().sum() >= 10 and updated["part_dpe_fg"].notna().sum() >= 10
    _assert_same_values(bundle, updated)
    # Every request went to the mirror, under the official host names.
    hosts = {line.split(" ", 1)[1].split("/", 1)[0] for line in official.log}
    assert {"www.data.gouv.fr", "static.data.gouv.fr", "data.geopf.fr", "geo.api.gouv.fr", "www.insee.fr",
            "files.georisques.fr"} <= hosts


def test_paca_epci_all_sources_keeps_the_rest_when_online_only_sources_fail(mirror, tmp_path, monkeypatch):
    url, _ = mirror
    folder = tmp_path / "donnees"
    proc = _update(folder, "EPCI:200054807", url, None)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Erreur : ")]
    failed = " ".join(errors)
    for label in ("ADEME — qualité de l'air", "Insee Melodi", "arrêtés de catastrophe naturelle"):
        assert label in failed
    for served in ("Liste des QPV 2024", "Contours des QPV 2024", "Contours IRIS", "« Démographie »"):
        assert served not in failed
    assert "introuvable (erreur 404)" in failed
    bundle, updated = _tables("EPCI:200054807", folder, monkeypatch, tmp_path)
    assert len(bundle) == 125 and updated["a_contour"].sum() == bundle["a_contour"].sum() > 50
    _assert_same_values(bundle, updated)


#: The open-data folder has no IRIS overseas, and its GASPAR copy (served as the national archive) covers
#: Occitanie and PACA only: the other served sources are asked.
OVERSEAS_SOURCES = tuple(s for s in SERVED_SOURCES if s not in ("iris_contours", "georisques_risques"))


@pytest.mark.parametrize("territory", ["COM:97611", "DEP:974"])
def test_overseas_territories_through_the_mirror(territory, mirror, tmp_path, monkeypatch):
    url, _ = mirror
    folder = tmp_path / "donnees"
    proc = _update(folder, territory, url, OVERSEAS_SOURCES)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "réussie" in proc.stdout.splitlines()[0]
    bundle, updated = _tables(territory, folder, monkeypatch, tmp_path)
    assert len(bundle) > 0 and updated["a_contour"].sum() == bundle["a_contour"].sum() > 0
    _assert_same_values(bundle, updated)
    report = (folder / "primary" / territory.replace(":", "-") / "rapport.md").read_text(encoding="utf-8")
    mayotte = [line for line in proc.stdout.splitlines() if line.startswith("Mayotte : ")]
    if territory == "COM:97611":
        # The list's Mayotte codes (QN976..C) are another generation than the contours' (QN976..M/N): stated,
        # never joined, never added as new quartiers.
        assert len(mayotte) == 1 and "42 codes de quartiers de Mayotte (QN97601M…)" in mayotte[0]
        assert "la liste de l'ANCT en donne 17 autres (QN97651C…)" in mayotte[0] and "QN97661C" in mayotte[0]
        assert mayotte[0] in report
        assert not updated.index.str.fullmatch(r"QN976\d\dC").any()
    else:
        assert not mayotte and updated.index.str.startswith(("QN974", "QP974")).all()


def test_a_usb_stick_filled_from_an_update_serves_the_same_update_offline(mirror, tmp_path, monkeypatch):
    """``fill-mirror`` after a successful update, then the same update with no server at all, through
    ``file://`` (the stick): same tables. The stick is only read; a changed stick is read again."""
    url, _ = mirror
    online = tmp_path / "en-ligne"
    first = _update(online, "COM:34172", url, SERVED_SOURCES)
    assert first.returncode == 0, first.stderr[-2000:]
    stick = tmp_path / "cle-usb" / "miroir"
    fill = subprocess.run([sys.executable, "-m", "loaders", "fill-mirror", "--out", str(stick)], cwd=ROOT,
                          env=env_for(online), capture_output=True, text=True, timeout=300)
    assert fill.returncode == 0, fill.stderr
    assert fill.stdout.startswith(f"Miroir rempli dans {stick} : ") and stick.as_uri() in fill.stdout
    # The stick has the layout of the raw cache (files) plus the API answers under their official paths.
    assert (stick / "files.georisques.fr" / "GASPAR" / "gaspar.zip").is_file()
    assert list((stick / "geo.api.gouv.fr").glob("communes__*.bin")) and list((stick / "data.geopf.fr").rglob("ows__*"))
    assert not (stick / "territoires").exists() and not list(stick.rglob("*.meta.json"))

    offline = tmp_path / "hors-ligne"
    env = {**env_for(offline), "ECOQPV_MIRROR": stick.as_uri()}
    second = subprocess.run([sys.executable, "-m", "loaders", "update", "--territoire", "COM:34172", "--sources",
                             ",".join(SERVED_SOURCES)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    use_data_dir(monkeypatch, online)
    key = territories.resolve_key("COM:34172")
    before = territory_table(key, with_scores=False).set_index("code_qp")
    use_data_dir(monkeypatch, offline)
    after = territory_table(key, with_scores=False).set_index("code_qp")
    _assert_same_values(before, after)
    assert not (offline / "http_cache.sqlite").exists() or _cached_urls(offline) == []


def _cached_urls(folder: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(folder / "http_cache.sqlite") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        return [row[0] for row in db.execute("select key from responses")] if "responses" in tables else []
