"""The update's report (``loaders.update_report``) and the USB-stick mirror (``loaders.mirror_folder``),
on small hand-made tables: how far the estimates were from the official values, the verdict of an
update, and what ``fill-mirror`` refuses or copies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import BadArgumentError, EcoqpvError
from loaders import mirror_folder
from loaders.update_report import SourceOutcome, UpdateReport, calibration_check, calibration_lines
from tests.online_support import use_data_dir

OFFICIAL = ("Insee, Filosofi 2021 (QPV 2024)",)


def _rows(rows: list[tuple]) -> pd.DataFrame:
    columns = ["code_qp", "indicateur", "valeur", "nature", "ic_bas", "ic_haut", "millesime", "detail"]
    return pd.DataFrame(rows, columns=columns)


def test_the_gaps_are_measured_only_against_replaced_estimates():
    before = _rows([
        ("QN1", "taux_pauvrete", 50.0, "estimation_calibree", 45.0, 55.0, "Filosofi 2019 (périmètre 2024)", None),
        ("QN2", "taux_pauvrete", 40.0, "estimation_calibree", 38.0, 41.0, "Filosofi 2019 (périmètre 2024)", None),
        ("QN3", "taux_pauvrete", 30.0, "officiel_qpv2015_meme_perimetre", np.nan, np.nan, "Filosofi 2019", None),
        ("QN4", "taux_pauvrete", 20.0, "officiel", np.nan, np.nan, "Filosofi 2021", None),  # already official
        ("QN5", "taux_pauvrete", 10.0, "estimation_iris", np.nan, np.nan, "Filosofi 2019", None),
    ])
    after = _rows([
        ("QN1", "taux_pauvrete", 52.0, "officiel", np.nan, np.nan, "Filosofi 2021", OFFICIAL[0]),
        ("QN2", "taux_pauvrete", 44.0, "officiel", np.nan, np.nan, "Filosofi 2021", OFFICIAL[0]),
        ("QN3", "taux_pauvrete", 33.0, "officiel", np.nan, np.nan, "Filosofi 2021", OFFICIAL[0]),
        ("QN4", "taux_pauvrete", 21.0, "officiel", np.nan, np.nan, "Filosofi 2021", OFFICIAL[0]),
        ("QN5", "taux_pauvrete", 12.0, "estimation_iris", np.nan, np.nan, "Filosofi 2019", "IRIS"),  # not official
    ])
    [row] = calibration_check(before, after, OFFICIAL)
    # QN1: −2 (inside [45, 55]); QN2: −4 (outside [38, 41]); QN3: −3 (carried, no interval).
    assert row["quartiers"] == 3
    assert row["ecart_moyen"] == pytest.approx((-2 - 4 - 3) / 3)
    assert row["ecart_absolu_moyen"] == pytest.approx(3.0)
    assert (row["avec_intervalle"], row["dans_intervalle"], row["part_dans_intervalle"]) == (2, 1, 0.5)
    assert row["natures_remplacees"] == {"estimation_calibree": 2, "officiel_qpv2015_meme_perimetre": 1}
    assert json.dumps(row, ensure_ascii=False)  # written as is in the territory's manifest
    text = "\n".join(calibration_lines([row]))
    assert "3 valeurs officielles (Filosofi 2021)" in text and "−3,0 points (estimation trop basse en moyenne)" in text
    assert "1 valeur officielle sur 2 dans l'intervalle à 90 %" in text
    assert "les estimations portent sur Filosofi 2019 (périmètre 2024), les valeurs officielles sur Filosofi 2021" in text


def test_nothing_is_reported_when_no_official_value_was_loaded():
    before = _rows([("QN1", "revenu_median", 12000.0, "estimation_calibree", 11000.0, 13000.0, "Filosofi 2019", None)])
    after = _rows([("QN1", "revenu_median", 12000.0, "estimation_calibree", 11000.0, 13000.0, "Filosofi 2019", None)])
    assert calibration_check(before, after, OFFICIAL) == []


def _report(*outcomes: SourceOutcome, **kwargs) -> UpdateReport:
    report = UpdateReport("COM:34172", "Montpellier", qpv=22, **kwargs)
    report.outcomes = list(outcomes)
    return report


def test_the_verdict_comes_first_and_names_what_failed():
    ok = SourceOutcome("qpv2024_contours", "Contours des QPV 2024", "mis_a_jour", requests=1)
    bad = SourceOutcome("insee_demo_2022", "Insee — Démographie", "echec", message="Source « Insee » : erreur 500.")
    skipped = SourceOutcome("georisques_catnat", "CatNat", "non_tentee", message="Source « CatNat » : non tentée.")
    assert _report(ok).headline_fr() == "Mise à jour de Montpellier (COM:34172) réussie."
    mixed = _report(ok, bad, skipped)
    assert mixed.headline_fr() == ("Mise à jour de Montpellier (COM:34172) terminée avec des échecs : 1 source à "
                                   "jour, 1 source en échec, 1 source non tentée (délai maximal atteint).")
    assert mixed.exit_code == 1 and "insee_demo_2022" not in mixed.summary_fr()
    assert "insee_demo_2022 — Insee — Démographie — en échec" in mixed.details_fr()
    body = mixed.body_fr()
    assert body.index("Ce qui a changé") < body.index("Ce qui a échoué") and "Source « Insee » : erreur 500." in body


def test_offline_or_a_dead_mirror_is_said_in_one_sentence():
    down = SourceOutcome("qpv2024_liste", "Liste", "echec", message="Source « Liste » : connexion impossible au serveur x.")
    offline = _report(down, offline=True)
    assert offline.impossible and "pas de connexion aux sites officiels" in offline.headline_fr()
    mirror = _report(down, mirror="http://192.168.1.10:8000")
    assert mirror.impossible and "le miroir http://192.168.1.10:8000 ne répond pas" in mirror.headline_fr()
    assert not _report(down).impossible  # without a mirror and not offline: one site down among others


# --- fill-mirror ---------------------------------------------------------------------------------------


def test_official_urls_are_found_behind_a_mirror():
    assert mirror_folder.official_url("http://127.0.0.1:8000/geo.api.gouv.fr/communes?code=1") == \
        "https://geo.api.gouv.fr/communes?code=1"
    assert mirror_folder.official_url("http://miroir.local:8000/prefixe/data.geopf.fr/wfs/ows") == \
        "https://data.geopf.fr/wfs/ows"
    assert mirror_folder.official_url("https://www.insee.fr/fr/statistiques/3146677?sommaire=2500477") == \
        "https://www.insee.fr/fr/statistiques/3146677?sommaire=2500477"
    assert mirror_folder.official_url("http://127.0.0.1:8000/rien") is None
    # A file name with dots is not taken for a host: only the official hosts are.
    assert mirror_folder.official_url("http://127.0.0.1:8000/static.data.gouv.fr/resources/x/liste.v2.csv") == \
        "https://static.data.gouv.fr/resources/x/liste.v2.csv"


def test_fill_mirror_refuses_the_data_folder_and_an_empty_cache(tmp_path, monkeypatch):
    data = use_data_dir(monkeypatch, tmp_path / "donnees")
    with pytest.raises(EcoqpvError, match="Aucun téléchargement à copier"):
        mirror_folder.fill_mirror(tmp_path / "cle")
    (data / "raw").mkdir(parents=True)
    for inside in (data, data / "raw" / "miroir", tmp_path):
        with pytest.raises(BadArgumentError, match="Dossier de miroir refusé"):
            mirror_folder.fill_mirror(inside)


def test_fill_mirror_copies_the_raw_layout_without_metadata_nor_territory_products(tmp_path, monkeypatch):
    data = use_data_dir(monkeypatch, tmp_path / "donnees")
    raw = data / "raw"
    files = {"files.georisques.fr/GASPAR/gaspar.zip": b"PK\x03\x04zip",
             "files.georisques.fr/GASPAR/gaspar.zip.meta.json": b"{}",
             "territoires/COM-34172/index.json": b"{}",
             "www.insee.fr/fr/statistiques/fichier/3146677/.DEMO_2022.csv.123.0.part": b"partiel"}
    for relative, body in files.items():
        (raw / relative).parent.mkdir(parents=True, exist_ok=True)
        (raw / relative).write_bytes(body)
    out = tmp_path / "cle" / "miroir"
    summary = mirror_folder.fill_mirror(out)
    assert summary.startswith(f"Miroir rempli dans {out} : 1 fichier téléchargé et 0 réponse d'API") and out.as_uri() in summary
    copied = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert copied == ["files.georisques.fr/GASPAR/gaspar.zip"]
