"""The bundle pipeline on the real shared files, and its behaviour on bad input."""

from __future__ import annotations

from sources.publishers import insee

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import shapely

import settings
from loaders import __main__ as loaders_cli
from loaders.bundle import build_bundle
from core.errors import ChecksumError, SourceFormatError, SourceMissingError
from sources.registry import COPIES
from tests.conftest import OPENDATA, ROOT, needs_opendata

pytestmark = needs_opendata


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle"
    build_bundle(OPENDATA, out, log=lambda *_: None)
    return out


def _values(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "valeurs.parquet")


def _value(values: pd.DataFrame, code: str, indicator: str) -> tuple[float, object]:
    row = values[(values["code_qp"] == code) & (values["indicateur"] == indicator)].iloc[0]
    return row["valeur"], row["raison_manquante"]


def test_registry_counts(built):
    qpv = pd.read_parquet(built / "qpv.parquet")
    q24 = qpv[qpv["generation"] == 2024]
    assert (~q24["insee_dep"].str.startswith("97")).sum() == 1362
    assert q24["code_qp"].nunique() == 1493  # 1,362 metropolitan + 131 overseas present offline
    assert qpv["code_qp"].is_unique
    for column in ("lib_qp", "insee_com", "insee_dep", "insee_reg", "lib_reg"):
        assert qpv[column].notna().all(), column
    multi = qpv[qpv["nb_communes"] > 1]
    assert len(multi[multi["generation"] == 2024]) == 148


def test_contours(built):
    import geopandas as gpd

    contours = gpd.read_parquet(built / "qpv_contours.parquet")
    counts = contours["generation"].value_counts().to_dict()
    assert counts == {2024: 135, 2015: 105}
    assert contours.crs.to_epsg() == 4326
    assert contours.geometry.is_valid.all()
    assert set(contours.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    paca = contours[contours["generation"] == 2024]
    assert paca["code_qp"].str.startswith("QN").all()
    occ = contours[contours["generation"] == 2015]
    assert occ["code_qp"].str.startswith("QP").all()


def test_known_values_match_raw_insee_files(built):
    values = _values(built)
    demo = insee.read_insee_qpv(OPENDATA / COPIES["demo_2022"].path, ["POP_MUN", "TX_TOT_MEN1"])
    filo = insee.read_filosofi_qpv(OPENDATA / COPIES["filo_qpv_2019"].path, 2019)
    revn = insee.read_insee_qpv(OPENDATA / COPIES["revn_2022"].path, ["ARSAS", "A"])
    for code in ("QP001001", "QP031015", "QP034004", "QP066007"):
        assert _value(values, code, "population")[0] == demo.loc[code, "POP_MUN"]
        assert _value(values, code, "revenu_median")[0] == filo.loc[code, "revenu_median"]
        expected_rsa = 100 * revn.loc[code, "ARSAS"] / revn.loc[code, "A"]
        assert _value(values, code, "part_allocataires_rsa")[0] == pytest.approx(expected_rsa, nan_ok=True)
    # Read by hand in the raw files (DEMO_2022 and data_filo19): U+202F / U+00A0 separators.
    assert _value(values, "QP001001", "population")[0] == 6490
    assert _value(values, "QP001001", "revenu_median")[0] == 14190
    assert _value(values, "QP001001", "taux_pauvrete")[0] == pytest.approx(41.9)
    assert _value(values, "QP001001", "part_allocataires_rsa")[0] == pytest.approx(100 * 376 / 2068)
    assert _value(values, "QP001001", "part_logsoc_avant_1976")[0] == pytest.approx(1.9 + 70.3)


def test_missing_values_carry_reasons_never_zero(built):
    values = _values(built)
    # Rangueil (Toulouse): blank cells in DEMO_2022 → secret statistique.
    value, reason = _value(values, "QP031015", "part_moins_25")
    assert pd.isna(value) and reason == "secret_statistique"
    # QPV 2024 statistics are online only → not loaded.
    value, reason = _value(values, "QN00101M", "taux_pauvrete")
    assert pd.isna(value) and reason == "non_charge"
    missing = values["valeur"].isna()
    assert values.loc[missing, "raison_manquante"].notna().all()
    assert values.loc[~missing, "raison_manquante"].isna().all()
    # Overseas QPV are absent from Filosofi QPV files → not covered.
    overseas = values[values["code_qp"].str.startswith("QP97") & (values["indicateur"] == "revenu_median")]
    assert (overseas["raison_manquante"] == "non_couvert").any()


def test_shares_within_physical_range(built):
    values = _values(built)
    shares = values[values["indicateur"].str.startswith(("part_", "taux_"))]["valeur"].dropna()
    assert shares.between(0, 100).all()


def test_references(built):
    refs = pd.read_parquet(built / "references.parquet")
    france = refs[(refs["niveau"] == "FRANCE") & (refs["indicateur"] == "revenu_median")]
    assert france["valeur"].iloc[0] == 21930
    toulouse = refs[(refs["niveau"] == "COM") & (refs["code"] == "31555")].set_index("indicateur")["valeur"]
    assert toulouse["revenu_median"] > 15000
    assert 0 < toulouse["part_dpe_fg"] < 30  # re-aggregated from IRIS DPE counts
    assert 0 < toulouse["part_allocataires_rsa"] < 100
    dpe_france = refs[(refs["niveau"] == "FRANCE") & (refs["indicateur"] == "part_dpe_fg")]["valeur"].iloc[0]
    assert 5 < dpe_france < 25
    ens = refs[refs["niveau"] == "QPV_ENSEMBLE"].set_index("indicateur")["valeur"]
    assert ens["revenu_median"] == 14010 and ens["taux_pauvrete"] == pytest.approx(43.6)


def test_manifest_lists_every_input(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    files = {row["fichier"] for row in manifest["entrees"]}
    assert files == {item.path for item in COPIES.values()}
    for row in manifest["entrees"]:
        for key in ("editeur", "licence", "millesime", "sha256"):
            assert row[key], (row["fichier"], key)
        assert len(row["sha256"]) == 64
    assert manifest["comptes"]["qpv_2024_metropole"] == 1362
    total = sum(row["octets"] for row in manifest["sorties"])
    assert total <= settings.BUNDLE_MAX_BYTES


def test_committed_bundle_is_what_the_pipeline_builds(built):
    """The embedded default is reproducible from the raw files (only the build date differs)."""
    committed = ROOT / "data" / "bundle"
    for name in ("qpv", "qpv_communes", "valeurs", "references", "communes"):
        fresh = pd.read_parquet(built / f"{name}.parquet")
        kept = pd.read_parquet(committed / f"{name}.parquet")
        pd.testing.assert_frame_equal(fresh, kept, check_dtype=False)
    fresh_manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    kept_manifest = json.loads((committed / "manifest.json").read_text(encoding="utf-8"))
    assert fresh_manifest["entrees"] == kept_manifest["entrees"]


def test_raw_files_are_not_committed():
    import hashlib

    raw = {hashlib.sha256((OPENDATA / i.path).read_bytes()).hexdigest() for i in COPIES.values()}
    for path in (ROOT / "data").rglob("*"):
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in raw, path


# --- bad input --------------------------------------------------------------------------------


def _mirror(tmp_path: Path) -> Path:
    """A copy of the open-data folder made of symlinks, so one file can be replaced cheaply."""
    source = tmp_path / "opendata"
    for path in OPENDATA.rglob("*"):
        if path.is_file():
            target = source / path.relative_to(OPENDATA)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
    return source


def _existing_bundle(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "manifest.json").write_text('{"ancien": true}', encoding="utf-8")
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def _unchanged(out: Path, before: dict[str, bytes]) -> None:
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".bundle-")]


def test_missing_raw_file_names_it_and_writes_nothing(tmp_path):
    source = _mirror(tmp_path)
    (source / COPIES["demo_2022"].path).unlink()
    out, before = _existing_bundle(tmp_path)
    with pytest.raises(SourceMissingError, match="DEMO_2022.csv"):
        build_bundle(source, out, log=lambda *_: None)
    _unchanged(out, before)


def test_modified_raw_file_fails_checksum(tmp_path):
    source = _mirror(tmp_path)
    target = source / COPIES["rpls_2022"].path
    target.unlink()
    target.write_bytes(b"CodGeo,Note\nQP001001,0\n")
    out, before = _existing_bundle(tmp_path)
    with pytest.raises(ChecksumError, match="rpls_qpv_2022.csv"):
        build_bundle(source, out, log=lambda *_: None)
    _unchanged(out, before)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>503</body></html>", "page HTML"),
        ("\ufeffCODGEO;LIBGEO;POP\r\nQP001001;X;1\r\n".encode(), "POP_MUN"),
        (b"", "vide"),
    ],
)
def test_malformed_raw_file_names_file_and_problem(tmp_path, content, message):
    source = _mirror(tmp_path)
    target = source / COPIES["demo_2022"].path
    target.unlink()
    target.write_bytes(content)
    out, before = _existing_bundle(tmp_path)
    with pytest.raises(SourceFormatError, match=message) as info:
        build_bundle(source, out, verify=False, log=lambda *_: None)
    assert "DEMO_2022.csv" in str(info.value)
    _unchanged(out, before)


def test_cli_reports_french_error_without_traceback(tmp_path, capsys):
    out, before = _existing_bundle(tmp_path)
    code = loaders_cli.main(["build-bundle", "--source", str(tmp_path / "nulle-part"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "introuvable" in err and "Traceback" not in err
    _unchanged(out, before)


def test_cli_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        loaders_cli.main(["build-bundle"])
    assert info.value.code == 2
    assert "argument invalide" in capsys.readouterr().err


def test_geometries_are_polygonal_after_repair(built):
    import geopandas as gpd

    contours = gpd.read_parquet(built / "qpv_contours.parquet")
    types = {shapely.get_type_id(g) for g in contours.geometry}
    assert types <= {3, 6}  # Polygon, MultiPolygon


def test_out_of_range_values_are_flagged_not_clipped():
    from indicators.rules import RULES, apply_rule

    rule = next(r for r in RULES if r.indicator == "part_moins_25")
    parsed = pd.DataFrame({"TX_TOT_0A24": [36.5, 112.0, -3.0, float("nan")]},
                          index=["QP000001", "QP000002", "QP000003", "QP000004"])
    codes = pd.Index(["QP000001", "QP000002", "QP000003", "QP000004", "QP000005"])
    values, reasons = apply_rule(rule, parsed, codes)
    assert values["QP000001"] == 36.5 and pd.isna(reasons["QP000001"])
    assert pd.isna(values["QP000002"]) and reasons["QP000002"] == "valeur_invalide"
    assert pd.isna(values["QP000003"]) and reasons["QP000003"] == "valeur_invalide"
    assert reasons["QP000004"] == "secret_statistique"
    assert reasons["QP000005"] == "non_couvert"


def test_evolution_series_match_the_insee_files(built):
    series = pd.read_parquet(built / "evolutions.parquet")
    filo19 = insee.read_filosofi_qpv(OPENDATA / COPIES["filo_qpv_2019"].path, 2019)
    mosson = series[(series["code_qp"] == "QP034005") & (series["indicateur"] == "revenu_median")]
    assert mosson["annee"].tolist() == list(range(2012, 2022))
    assert mosson.set_index("annee").loc[2019, "valeur"] == filo19.loc["QP034005", "revenu_median"]
    pop = series[(series["code_qp"] == "QP001001") & (series["indicateur"] == "population")]
    assert pop.set_index("annee")["valeur"].to_dict() == {2013: 6056, 2018: 6490}
