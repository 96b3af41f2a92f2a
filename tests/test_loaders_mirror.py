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
        assert np.array_equal(a, b, equal_nan=True), indicator
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
    assert len(bundle) == 22 and updated["a_contour"].sum() == 12
    assert updated["jours_sup_35"].notna().sum() == 12 and updated["part_dpe_fg"].notna().sum() >= 10
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
