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


def _raw_number(path: Path, code: str, column: str) -> float | None:
    """One cell of an INSEE per-QPV file read by hand (``;``, decimal comma, U+202F/U+00A0 thousands
    separators): independent of the pipeline's parsers. None for a blank (secret) cell."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    header = [c.strip() for c in text[0].split(";")]
    for line in text[1:]:
        cells = line.split(";")
        if cells[0].strip() == code:
            cell = cells[header.index(column)].replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            return float(cell.replace(",", ".")) if cell else None
    raise AssertionError(f"{code} absent de {path.name}")


def test_registry_counts(built):
    import geopandas as gpd

    qpv = pd.read_parquet(built / "qpv.parquet")
    q24 = qpv[qpv["generation"] == 2024]
    raw24 = gpd.read_file(OPENDATA / COPIES["qpv2024_france"].path, columns=["code_qp"])
    assert set(q24["code_qp"]) == set(raw24["code_qp"]) and len(q24) == 1609
    assert (q24["insee_dep"].str.len() == 2).sum() == 1362
    q15 = qpv[qpv["generation"] == 2015]
    assert len(q15) == 1514 and q15["code_qp"].str.startswith("QP").all()
    assert qpv["code_qp"].is_unique
    for column in ("lib_qp", "insee_com", "insee_dep", "lib_dep", "insee_reg", "lib_reg", "lib_com"):
        assert qpv[column].notna().all() and (qpv[column] != "").all(), column
    # Multi-commune QPV of the list keep every commune.
    listed = pd.read_csv(OPENDATA / COPIES["qpv2024_list"].path, dtype=str)
    multi = listed.groupby("code_qp")["insee_com"].nunique()
    multi = multi[multi > 1]
    registry = q24.set_index("code_qp")
    assert (registry.loc[multi.index, "nb_communes"] == multi).all()
    # Overseas collectivities without a région stand for their own (Polynésie française, Saint-Martin).
    assert set(qpv.loc[qpv["code_qp"].str.startswith(("QN987", "QP987")), "insee_reg"]) == {"987"}


def test_mayotte_codes_of_the_two_files_are_never_joined(built):
    import geopandas as gpd

    qpv = pd.read_parquet(built / "qpv.parquet")
    links = pd.read_parquet(built / "qpv_communes.parquet")
    values = _values(built)
    listed = pd.read_csv(OPENDATA / COPIES["qpv2024_list"].path, dtype=str)
    list_mayotte = set(listed.loc[listed["code_qp"].str.startswith("QN976"), "code_qp"])
    raw = gpd.read_file(OPENDATA / COPIES["qpv2024_france"].path, columns=["code_qp", "insee_com"])
    file_mayotte = raw[raw["code_qp"].str.startswith("QN976")]
    assert len(list_mayotte) == 17 and len(file_mayotte) == 42 and not list_mayotte & set(file_mayotte["code_qp"])
    # The 42 codes of the contour file are kept; none of the list's 17 reaches any table.
    mayotte24 = qpv[(qpv["insee_dep"] == "976") & (qpv["generation"] == 2024)]
    assert set(mayotte24["code_qp"]) == set(file_mayotte["code_qp"])
    for table in (qpv, links, values):
        assert not set(table["code_qp"]) & list_mayotte
    # Their communes are the contour file's, never those the list gives to its own codes.
    own = dict(zip(file_mayotte["code_qp"], file_mayotte["insee_com"], strict=True))
    mayotte_links = links[links["code_qp"].str.startswith("QN976")]
    assert all(row.insee_com in own[row.code_qp] for row in mayotte_links.itertuples())


def test_contours(built):
    import geopandas as gpd

    contours = gpd.read_parquet(built / "qpv_contours.parquet")
    qpv = pd.read_parquet(built / "qpv.parquet")
    counts = contours["generation"].value_counts().to_dict()
    # Every QPV 2015, every QPV 2024 but the three whose simplified shape has no area.
    assert counts == {2024: 1606, 2015: 1514}
    assert set(qpv.loc[~qpv["a_contour"], "code_qp"]) == {"QN09105I", "QN09113I", "QN09503I"}
    assert contours.crs.to_epsg() == 4326
    assert contours.geometry.is_valid.all() and not contours.geometry.is_empty.any()
    assert set(contours.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    # Overseas contours are where they belong (La Réunion, Polynésie française), not moved.
    reunion = contours[contours["code_qp"].str.startswith("QP974")].geometry.representative_point()
    assert reunion.x.between(55, 56).all() and reunion.y.between(-21.5, -20.8).all()
    tahiti = contours[contours["code_qp"].str.startswith("QN987")].geometry.representative_point()
    assert tahiti.x.between(-150.5, -149).all()


def test_iris_contours_are_not_stored_only_their_weights(built):
    assert not [p for p in built.iterdir() if "iris" in p.name and "contour" in p.name]
    weights = pd.read_parquet(built / "qpv_iris_poids.parquet")
    assert {"code_qp", "code_iris", "share_of_zone", "share_of_qpv", "exact"} <= set(weights.columns)
    metro = pd.read_parquet(built / "qpv.parquet").query("a_contour and insee_dep.str.len() == 2")["code_qp"]
    covered = weights.groupby("code_qp")["share_of_qpv"].sum()
    assert set(metro) <= set(covered.index)
    # IRIS tile the metropole (approximate contours: small gaps and overlaps at their edges).
    assert covered.reindex(metro).between(0.9, 1.1).all() and covered.median() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("code", "where"),
    [("QP059001", "Nord"), ("QP093001", "Seine-Saint-Denis"), ("QP974001", "La Réunion"),
     ("QP001001", "Ain"), ("QP034004", "Hérault")],
)
def test_known_values_match_raw_insee_files(built, code, where):
    values = _values(built)
    demo, filo, revn = (OPENDATA / COPIES[k].path for k in ("demo_2022", "filo_qpv_2019", "revn_2022"))
    for indicator, path, column in (("population", demo, "POP_MUN"), ("part_menages_1pers", demo, "TX_TOT_MEN1"),
                                    ("revenu_median", filo, "DISP_MED_A19"),
                                    ("taux_pauvrete", filo, "DISP_TP60_A19")):
        raw = _raw_number(path, code, column)
        value, reason = _value(values, code, indicator)
        if raw is None:
            assert pd.isna(value) and reason == "secret_statistique", (where, indicator)
        else:
            assert value == pytest.approx(raw), (where, indicator)
    arsas, allocataires = _raw_number(revn, code, "ARSAS"), _raw_number(revn, code, "A")
    expected_rsa = 100 * arsas / allocataires if arsas is not None and allocataires else None
    value, _ = _value(values, code, "part_allocataires_rsa")
    assert value == pytest.approx(expected_rsa) if expected_rsa is not None else pd.isna(value)
    row = values[(values["code_qp"] == code) & (values["indicateur"] == "taux_pauvrete")].iloc[0]
    if pd.notna(row["valeur"]):
        assert row["nature"] == "officiel" and row["millesime"] == "Filosofi 2019" and bool(row["score_autorise"])


def test_known_values_read_by_hand(built):
    values = _values(built)
    # Read by hand in the raw files (DEMO_2022 and data_filo19): U+202F / U+00A0 separators.
    assert _value(values, "QP001001", "population")[0] == 6490
    assert _value(values, "QP001001", "revenu_median")[0] == 14190
    assert _value(values, "QP001001", "taux_pauvrete")[0] == pytest.approx(41.9)
    assert _value(values, "QP001001", "part_allocataires_rsa")[0] == pytest.approx(100 * 376 / 2068)
    assert _value(values, "QP001001", "part_logsoc_avant_1976")[0] == pytest.approx(1.9 + 70.3)


def test_guadeloupe_qpv_without_filosofi_value_says_why(built):
    values = _values(built)
    demo = OPENDATA / COPIES["demo_2022"].path
    code = "QP971001"
    assert _value(values, code, "population")[0] == _raw_number(demo, code, "POP_MUN")
    for indicator in ("taux_pauvrete", "revenu_median", "part_allocataires_rsa"):
        value, reason = _value(values, code, indicator)
        assert pd.isna(value) and reason == "non_couvert", indicator
    # No IRIS contour overseas: the IRIS indicators are not covered, the DRIAS grid is out of zone.
    assert _value(values, code, "part_dpe_fg")[1] == "non_couvert"
    assert _value(values, code, "jours_sup_35")[1] == "hors_zone"
    assert _value(values, code, "reseau_chaleur")[1] == "non_couvert"  # never a false zero


def test_missing_values_carry_reasons_never_zero(built):
    values = _values(built)
    # Rangueil (Toulouse): blank cells in DEMO_2022 → secret statistique.
    value, reason = _value(values, "QP031015", "part_moins_25")
    assert pd.isna(value) and reason == "secret_statistique"
    missing = values["valeur"].isna()
    assert values.loc[missing, "raison_manquante"].notna().all()
    assert values.loc[~missing, "raison_manquante"].isna().all()
    assert values.loc[missing, "nature"].isna().all()
    # Overseas QPV are absent from Filosofi QPV files → not covered.
    overseas = values[values["code_qp"].str.startswith("QP97") & (values["indicateur"] == "revenu_median")]
    assert (overseas["raison_manquante"] == "non_couvert").any()


def test_every_qpv2024_value_has_a_nature_or_a_missing_reason(built):
    from core import natures

    values = _values(built)
    qpv = pd.read_parquet(built / "qpv.parquet")
    q24 = values[values["code_qp"].isin(qpv.loc[qpv["generation"] == 2024, "code_qp"])]
    assert q24["code_qp"].nunique() == 1609
    present = q24["valeur"].notna()
    assert q24.loc[present, "nature"].isin(natures.NATURES).all()
    assert q24.loc[present, "millesime"].notna().all() and q24.loc[present, "source"].notna().all()
    assert q24.loc[~present, "raison_manquante"].notna().all()
    # Intervals exactly for calibrated estimates, around their value.
    calibrated = q24["nature"] == "estimation_calibree"
    assert calibrated.any()
    assert q24.loc[calibrated, ["ic_bas", "ic_haut"]].notna().all().all()
    assert q24.loc[~calibrated, ["ic_bas", "ic_haut"]].isna().all().all()
    inside = q24[calibrated]
    assert ((inside["ic_bas"] <= inside["valeur"]) & (inside["valeur"] <= inside["ic_haut"])).all()
    # Population of the QPV 2024: the RP 2020 copy, labelled as such.
    population = q24[(q24["indicateur"] == "population") & (q24["nature"] == "officiel")]
    assert len(population) > 1500
    assert (population["source"] == "Insee, RP 2020 — copie non officielle, à vérifier").all()
    assert (population["millesime"] == "RP 2020").all()


def test_carried_value_equals_its_2015_source_and_names_it(built):
    import geopandas as gpd
    import shapely

    values = _values(built)
    qpv = pd.read_parquet(built / "qpv.parquet").set_index("code_qp")
    overlap = pd.read_parquet(built / "qpv_recouvrement.parquet")
    carried = values[values["nature"] == "officiel_qpv2015_meme_perimetre"]
    assert carried["code_qp"].nunique() > 400
    by_key = values.set_index(["code_qp", "indicateur"])
    for row in carried.itertuples():
        code15 = row.detail.split("QPV 2015 ")[1].split(" ")[0]
        assert qpv.loc[code15, "generation"] == 2015 and qpv.loc[code15, "lib_qp"] in row.detail
        source = by_key.loc[(code15, row.indicateur)]
        assert row.valeur == source["valeur"] and row.millesime == source["millesime"]
        assert row.source == source["source"]
    # The pair is the best match of the 2024 QPV, with an IoU of at least 0.9 …
    sample = carried.drop_duplicates("code_qp").head(25)
    best = overlap.sort_values("iou", ascending=False).drop_duplicates("code_qp_2024").set_index("code_qp_2024")
    for row in sample.itertuples():
        code15 = row.detail.split("QPV 2015 ")[1].split(" ")[0]
        assert best.loc[row.code_qp, "code_qp_2015"] == code15 and best.loc[row.code_qp, "iou"] >= 0.9
    # … measured again here on the raw contour files (Lambert-93) for a few pairs.
    raw24 = gpd.read_file(OPENDATA / COPIES["qpv2024_france"].path).set_index("code_qp").to_crs(2154)
    raw15 = gpd.read_file(OPENDATA / COPIES["qpv2015_metropole_lb93"].path, encoding="cp1252").set_index("CODE_QP")
    raw15 = raw15.set_crs(2154, allow_override=True)
    metro = sample[sample["code_qp"].str.len() == 8].head(5)
    for row in metro.itertuples():
        a = shapely.make_valid(raw24.loc[row.code_qp].geometry)
        b = shapely.make_valid(raw15.loc[best.loc[row.code_qp, "code_qp_2015"]].geometry)
        iou = a.intersection(b).area / a.union(b).area
        assert iou == pytest.approx(best.loc[row.code_qp, "iou"], abs=0.01)
    # A QPV 2024 without any same-perimeter 2015 QPV never gets a carried value.
    no_match = set(qpv.index[qpv["generation"] == 2024]) - set(best.index[best["iou"] >= 0.9])
    assert not no_match & set(carried["code_qp"])


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


def test_comparison_territories_carry_a_poverty_rate_recomputed_from_deciles(built):
    # The Filosofi 2019 territory files have deciles but no TP60 column (checked here on the raw header).
    for key in ("filo_com_2019", "filo_epci_2019", "filo_dep_2019", "filo_reg_2019", "filo_fr_2019"):
        header = (OPENDATA / COPIES[key].path).read_text(encoding="utf-8-sig").splitlines()[0]
        assert "TP60" not in header and "D119" in header
    refs = pd.read_parquet(built / "references.parquet")
    rates = refs[refs["indicateur"] == "taux_pauvrete"]
    for level in ("COM", "EPCI", "DEP", "REG", "FRANCE"):
        part = rates[rates["niveau"] == level]
        assert len(part) and part["source"].str.contains("recalculé à partir des déciles publiés").all(), level
        assert part["valeur"].between(0, 100).all()
    france = rates[rates["niveau"] == "FRANCE"]["valeur"].iloc[0]
    assert france == pytest.approx(14.6, abs=0.5)  # INSEE's published rate, France métropolitaine 2019
    # A poor commune is poorer than its département, which is poorer than a rich one.
    by_code = rates.set_index(["niveau", "code"])["valeur"]
    assert by_code[("COM", "93066")] > by_code[("DEP", "93")] > by_code[("DEP", "92")]
    # DPE reaches every level (the BDNB covers every metropolitan IRIS), régions included.
    dpe = refs[refs["indicateur"] == "part_dpe_fg"]
    assert {"COM", "EPCI", "DEP", "REG", "FRANCE"} <= set(dpe["niveau"])


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
    for name in ("qpv", "qpv_communes", "valeurs", "references", "communes", "calibration_donnees",
                 "calibration_coefficients", "calibration_quantiles", "calibration_metriques", "qpv_recouvrement"):
        fresh = pd.read_parquet(built / f"{name}.parquet")
        kept = pd.read_parquet(committed / f"{name}.parquet")
        pd.testing.assert_frame_equal(fresh, kept, check_dtype=False)
    fresh_manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    kept_manifest = json.loads((committed / "manifest.json").read_text(encoding="utf-8"))
    assert fresh_manifest["entrees"] == kept_manifest["entrees"]
    assert fresh_manifest["calibration"] == kept_manifest["calibration"]


def test_bundle_fits_in_20_mb(built):
    for folder in (built, ROOT / "data" / "bundle"):
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        assert size <= settings.BUNDLE_MAX_BYTES == 20 * 1024 * 1024, folder


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


@pytest.mark.parametrize("key", ["qpv2024_france", "qpv2015_france_dbf", "qpv2015_metropole_lb93", "iris_contours",
                                 "qpv2024_population"])
def test_missing_national_file_names_it_and_writes_nothing(tmp_path, key):
    source = _mirror(tmp_path)
    (source / COPIES[key].path).unlink()
    out, before = _existing_bundle(tmp_path)
    with pytest.raises(SourceMissingError) as info:
        build_bundle(source, out, log=lambda *_: None)
    assert Path(COPIES[key].path).name in str(info.value)
    _unchanged(out, before)


@pytest.mark.parametrize(
    ("key", "content", "message"),
    [
        ("qpv2024_france", b'{"type": "FeatureCollection", "features": []}', "aucun contour"),
        ("qpv2024_france", b"<!DOCTYPE html><html>404</html>", "illisible"),
        ("qpv2015_france_dbf", b"pas une table attributaire", "illisible"),
        ("qpv2015_metropole_lb93", b"\x00" * 100, "illisible"),
        ("iris_contours", b"\x1f\x8b tronque", "illisible"),
        ("qpv2024_population", "codeQPV,popMuniQPV\nQN00101M,12\n".encode(), "nombre_menages"),
    ],
)
def test_malformed_national_file_names_it_and_writes_nothing(tmp_path, key, content, message):
    source = _mirror(tmp_path)
    target = source / COPIES[key].path
    target.unlink()
    target.write_bytes(content)
    out, before = _existing_bundle(tmp_path)
    with pytest.raises(SourceFormatError, match=message) as info:
        build_bundle(source, out, verify=False, log=lambda *_: None)
    assert Path(COPIES[key].path).name in str(info.value)
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
