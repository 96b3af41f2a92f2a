"""Environmental and IRIS parsers: one small hand-made fixture per trap, then the real files.

Fixtures are byte strings written here in the layout of the real files (``shared/docs/data-sources.md``
§3.7, §4.1, §4.3, §5.2, §5.3, §6.2), so each trap is isolated. Real-file tests check values read by
hand in the copies under ``../shared/opendata`` and are skipped when that folder is absent.
"""

from __future__ import annotations

from sources.publishers import cerema
from sources.publishers import cstb
from sources.publishers import georisques
from sources.publishers import insee
from sources.publishers import meteofrance
from sources.publishers import sdes

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from core.errors import SourceFormatError, SourceMissingError
from tests.conftest import OPENDATA, needs_opendata

HTML = b"<!DOCTYPE html><html><head><title>Erreur</title></head><body>Maintenance</body></html>"


def real(relative: str) -> Path:
    """Path of a real open-data copy, skipping the test when that file is not there."""
    path = OPENDATA / relative
    if not path.is_file():
        pytest.skip(f"fichier de données ouvertes absent : {path}")
    return path


# ---------------------------------------------------------------------------------------------------
# DRIAS fixtures
# ---------------------------------------------------------------------------------------------------

DRIAS_HEAD = [
    "#-----------------------------------------------------------------------------",
    "# Producteur : MF-DCSC",
    "# Indices : ",
    "#     NORTX35 : Nombre de jours de fortes chaleur ( TX>35°C ) (jour(s))",
    "#     ATX35 : Ecart de nombre de jours de fortes chaleur ( tx>35°c ) (jour(s))",
    "                  (1 - hiver, 2 - printemps, 3 - été, 4 - automne)",
    "# Format des enregistrements ",
    "# Point;Latitude;Longitude;Contexte;Période;NORTAV;NORTX35;ATAV;ATX35;",
    "#-----------------------------------------------------------------------------",
]


def drias_bytes(*rows: str, double_encoded: bool = True, head: list[str] | None = None) -> bytes:
    """A DRIAS export; ``double_encoded`` reproduces the local copies (UTF-8 read as Latin-1, re-saved)."""
    lines = list(DRIAS_HEAD if head is None else head)
    if double_encoded:
        lines = [line.encode("utf-8").decode("latin-1") for line in lines]
    return ("\n".join([*lines, *rows]) + "\n").encode("utf-8")


def test_drias_double_encoded_header_is_repaired():
    frame = meteofrance.read_drias(drias_bytes("139;41.3373;9.1495;RCP4.5;H1;17.03;7.23;0;0;"))
    assert "Période" in frame.columns and "PÃ©riode" not in frame.columns
    assert frame.attrs["libelles"]["NORTX35"].endswith("( TX>35°C ) (jour(s))")


def test_drias_clean_utf8_header_is_kept():
    frame = meteofrance.read_drias(drias_bytes("139;41.3373;9.1495;REF;REF;15.93;2.37;0;0;", double_encoded=False))
    assert list(frame.columns[:5]) == ["Point", "Latitude", "Longitude", "Contexte", "Période"]


def test_drias_types_trailing_separator_and_legend_line():
    frame = meteofrance.read_drias(
        drias_bytes(
            "139;41.3373;9.1495;REF;REF;15.93;2.37;0;0;",
            "281;41.4149;9.0628;REF;REF;15.93;2.23;0;0;",
        )
    )
    assert len(frame) == 2  # the legend line without '#' is not a row
    assert list(frame.columns) == ["Point", "Latitude", "Longitude", "Contexte", "Période",
                                   "NORTAV", "NORTX35", "ATAV", "ATX35"]
    assert frame["Point"].tolist() == ["139", "281"]
    assert frame.loc[1, "NORTX35"] == pytest.approx(2.23)
    assert frame["Latitude"].dtype == "float64"
    assert frame.attrs["lignes_tronquees"] == 0


def test_drias_truncated_last_line_is_dropped():
    frame = meteofrance.read_drias(
        drias_bytes(
            "3902;43.4673;-0.2797;RCP4.5;H2;14.46;5.37;1.55;4.34;",
            "3903;43.4697;-0.1811;RCP4.5;H2;14.44;5.53;1.54;4.53;",
            "3904;43.4719;-0.",
        )
    )
    assert frame["Point"].tolist() == ["3902", "3903"]
    assert frame.attrs["lignes_tronquees"] == 1


def test_drias_last_line_cut_inside_its_last_number_is_dropped():
    frame = meteofrance.read_drias(
        drias_bytes(
            "3902;43.4673;-0.2797;RCP4.5;H2;14.46;5.37;1.55;4.34;",
            "3903;43.4697;-0.1811;RCP4.5;H2;14.44;5.53;1.54;4.5",
        )
    )
    assert frame["Point"].tolist() == ["3902"]


def test_drias_incomplete_line_in_the_middle_is_refused():
    with pytest.raises(SourceFormatError, match="incomplète"):
        meteofrance.read_drias(
            drias_bytes(
                "3902;43.4673;-0.2797;RCP4.5;H2;14.46;5.37;1.55;4.34;",
                "3903;43.4697;-0.18",
                "3904;43.4719;-0.0829;RCP4.5;H2;14.4;5.6;1.5;4.6;",
            )
        )


def test_drias_without_header_line_is_refused():
    head = [line for line in DRIAS_HEAD if not line.startswith("# Point;")]
    with pytest.raises(SourceFormatError, match="# Point;"):
        meteofrance.read_drias(drias_bytes("139;41.3373;9.1495;REF;REF;15.93;2.37;0;0;", head=head))


def test_drias_non_numeric_value_is_refused():
    with pytest.raises(SourceFormatError, match="NORTX35"):
        meteofrance.read_drias(drias_bytes("139;41.3373;9.1495;REF;REF;15.93;n/a;0;0;"))


@pytest.mark.parametrize(
    "payload, words",
    [(HTML, "HTML"), (b"", "vide"), ("# Point;Période;\n".encode("cp1252"), "UTF-8")],
)
def test_drias_bad_payloads_are_refused_in_french(payload, words):
    with pytest.raises(SourceFormatError, match=words) as info:
        meteofrance.read_drias(payload, name="export DRIAS")
    assert "Source « export DRIAS »" in str(info.value)


def test_drias_missing_file():
    with pytest.raises(SourceMissingError):
        meteofrance.read_drias(Path("/nonexistent/drias.txt"))


def test_drias_anomalies_recomputed_even_when_file_says_zero():
    ref = meteofrance.read_drias(
        drias_bytes("139;41.3373;9.1495;REF;REF;15.93;2.37;0;0;", "281;41.4149;9.0628;REF;REF;15.93;2.23;0;0;")
    )
    horizon = meteofrance.read_drias(
        drias_bytes(
            "139;41.3373;9.1495;RCP4.5;H1;17.03;7.23;0;0;",  # all-zero anomalies: not trusted
            "281;41.4149;9.0628;RCP4.5;H1;16.93;4.23;1;2;",
            "999;41.5;9.2;RCP4.5;H1;16.0;1.0;0.5;0.5;",  # absent from the reference
        )
    )
    out = meteofrance.drias_anomalies(horizon, ref, ["NORTX35", "NORTAV"])
    by_point = out.set_index("Point")
    assert by_point.loc["139", "ATX35"] == pytest.approx(4.86)
    assert by_point.loc["139", "ATAV"] == pytest.approx(1.10)
    assert by_point.loc["281", "ATX35"] == pytest.approx(2.0)
    assert math.isnan(by_point.loc["999", "ATX35"])
    assert by_point["anomalie_fichier_nulle"].tolist() == [True, False, False]
    assert by_point.loc["139", "NORTX35_ref"] == pytest.approx(2.37)


def test_anomaly_column_naming():
    assert meteofrance.anomaly_column("NORTX35") == "ATX35"
    assert meteofrance.anomaly_column("NORTXAV") == "ATXAV"
    with pytest.raises(ValueError):
        meteofrance.anomaly_column("ATX35")


# ---------------------------------------------------------------------------------------------------
# Filosofi IRIS, CNAF IRIS, BDNB fixtures
# ---------------------------------------------------------------------------------------------------


def filo_bytes(*rows: str, year: int = 2019) -> bytes:
    yy = f"{year % 100:02d}"
    header = f"IRIS;LIBIRIS;COM;LIBCOM;DISP_TP60{yy};DISP_MED{yy};DISP_NOTE{yy}"
    return b"\xef\xbb\xbf" + ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def test_filosofi_iris_decimal_comma_bom_and_blank_secret():
    frame = insee.read_filosofi_iris(
        filo_bytes("315550101;Jacobins;31555;Toulouse;19,8;25670;0", "315550102;Capitole;31555;Toulouse;;28020;0"),
        2019,
    )
    assert frame["code_iris"].tolist() == ["315550101", "315550102"]
    assert frame.loc[0, "taux_pauvrete"] == pytest.approx(19.8)
    assert frame.loc[0, "revenu_median"] == 25670
    assert pd.isna(frame.loc[0, "taux_pauvrete_raison"])
    assert math.isnan(frame.loc[1, "taux_pauvrete"])
    assert frame.loc[1, "taux_pauvrete_raison"] == "secret_statistique"


@pytest.mark.parametrize("token", ["nd", "ns", "s", "ND"])
def test_filosofi_iris_2021_masking_tokens(token):
    frame = insee.read_filosofi_iris(filo_bytes(f"010040101;Les Pérouses;01004;Ambérieu;{token};{token};0", year=2021), 2021)
    assert math.isnan(frame.loc[0, "taux_pauvrete"]) and math.isnan(frame.loc[0, "revenu_median"])
    assert frame.loc[0, "revenu_median_raison"] == "secret_statistique"


def test_filosofi_iris_unknown_text_is_refused():
    with pytest.raises(SourceFormatError, match="DISP_TP6019"):
        insee.read_filosofi_iris(filo_bytes("010040101;X;01004;Y;abc;19400;0"), 2019)


def test_filosofi_iris_wrong_year_names_missing_columns():
    with pytest.raises(SourceFormatError, match="DISP_TP6021"):
        insee.read_filosofi_iris(filo_bytes("010040101;X;01004;Y;20,5;19400;0"), 2021)


def test_filosofi_iris_code_read_as_number_is_refused():
    with pytest.raises(SourceFormatError, match="code IRIS invalide"):
        insee.read_filosofi_iris(filo_bytes("10040101;X;01004;Y;20,5;19400;0"), 2019)


def test_caf_iris_blank_is_missing_not_zero():
    text = "CODGEO;NOTE;A;PERCOU;AAPL;ARSAS\r\n315550101;0;1304;2000;88;105\r\n315550102;0;1190;1800;;82\r\n"
    frame = insee.read_caf_iris(text.encode())
    assert frame.loc[0, ["A", "ARSAS", "AAPL"]].tolist() == [1304, 105, 88]
    assert math.isnan(frame.loc[1, "AAPL"])
    assert frame.loc[1, "ARSAS"] == 82


def test_caf_iris_missing_column():
    with pytest.raises(SourceFormatError, match="ARSAS"):
        insee.read_caf_iris(b"CODGEO;NOTE;A;AAPL\r\n315550101;0;1304;88\r\n")


def test_bdnb_codes_stay_text_and_nan_stays_nan():
    text = (
        "code_iris,code_commune,lib_iris,lib_commune,typ_iris,dep,P22_POP,men_tot_stock_22,"
        "logd_dpe_total_24,logd_dpe_fg_pct_24,logd_dpe_abc_pct_24,rev_disp_med_21,rev_txpauv_21,"
        "log_lochlm_pct_22\n"
        "010010000,01001,,,Z,01,859.0,353.42,84.0,11.9,40.48,,,3.95\n"
        "2A0040101,2A004,Centre,Ajaccio,H,2A,2000.0,900.0,,,,18000.0,20.0,30.0\n"
    )
    frame = cstb.read_bdnb_iris(text.encode())
    assert frame["code_iris"].tolist() == ["010010000", "2A0040101"]
    assert frame.loc[0, "code_commune"] == "01001"
    assert frame.loc[0, "nb_dpe_fg"] == pytest.approx(84 * 0.119)
    assert math.isnan(frame.loc[1, "logd_dpe_fg_pct_24"]) and math.isnan(frame.loc[1, "nb_dpe_fg"])
    assert math.isnan(frame.loc[0, "rev_txpauv_21"])


def test_bdnb_html_page_is_refused():
    with pytest.raises(SourceFormatError, match="HTML"):
        cstb.read_bdnb_iris(HTML, name="BDNB")


# ---------------------------------------------------------------------------------------------------
# SDES fixtures
# ---------------------------------------------------------------------------------------------------

SDES_LABELS = (
    '"index";"Nom de l\'opérateur";"Millésime des données";"Code de l\'IRIS - Code de la zone";'
    '"Code de l\'IRIS - Libellé de la zone";"Énergie concernée";"Code du grand secteur";'
    '"Consommation (en MWh)";"Nombre de points de livraison"'
)


def sdes_bytes(*rows: str, iris_column: str = "IRIS_CODE") -> bytes:
    codes = f'"ID";"OPERATEUR";"ANNEE";"{iris_column}";"IRIS_LIBELLE";"FILIERE";"CODE_GRAND_SECTEUR";"CONSO";"PDL"'
    return ("\n".join([SDES_LABELS, codes, *rows]) + "\n").encode("utf-8")


def test_sdes_two_header_lines_and_masking_tokens():
    rows = sdes.read_sdes_heat_rows(
        sdes_bytes(
            '"0103C";"Oyonnax";"2021";"012830102";"ZUS Centre";"C";"R";"6249";"12"',
            '"0103C";"Oyonnax";"2021";"012830102";"ZUS Centre";"C";"T";"secret";"secret"',
            '"0103C";"Oyonnax";"2021";"012830103";"Nord";"C";"nd";"nd";"nd"',
        )
    )
    assert len(rows) == 3
    assert rows.loc[0, "conso_mwh"] == 6249 and rows.loc[0, "pdl"] == 12
    assert math.isnan(rows.loc[1, "conso_mwh"]) and rows.loc[1, "conso_mwh_raison"] == "secret_statistique"
    assert rows.loc[2, "pdl_raison"] == "secret_statistique"


def test_sdes_2023_renamed_iris_column():
    frame = sdes.read_sdes_heat(
        sdes_bytes('"0108C";"LA VINAIGRERIE";"2023";"010530103";"Préfecture";"C";"R";1929;4', iris_column="IRIS")
    )
    assert frame.loc[0, "code_iris"] == "010530103"
    assert frame.loc[0, "annee"] == 2023


def test_sdes_2018_column_order_without_id():
    text = "\n".join(
        [
            '"Nom de l\'opérateur";"Millésime des données";"Énergie concernée";"Code de l\'IRIS - Code de la zone";'
            '"Code de l\'IRIS - Libellé de la zone";"Code du grand secteur";"Consommation (en MWh)";'
            '"Nombre de points de livraison"',
            '"OPERATEUR";"ANNEE";"FILIERE";"IRIS_CODE";"IRIS_LIBELLE";"CODE_GRAND_SECTEUR";"CONSO";"PDL"',
            '"Oyonnax";"2018";"C";"010310000";"Bellignat (commune non irisée)";"X";2330.79;',
            '"Oyonnax";"2018";"C";"010310000";"Bellignat (commune non irisée)";"X";372.22;',
            '"RMCF";"2018";"F";"34172XXXX";"Iris fictif de la commune Montpellier";"X";4304;1',
        ]
    )
    rows = sdes.read_sdes_heat_rows(text.encode())
    assert rows["filiere"].tolist() == ["C", "C", "F"]
    assert rows.loc[0, "pdl_raison"] == "non_renseigne"
    agg = sdes.read_sdes_heat(text.encode()).set_index("code_iris")
    assert agg.loc["010310000", "conso_mwh"] == pytest.approx(2703.01)
    assert agg.loc["010310000", "nb_lignes"] == 2  # two networks, not a duplicate
    assert math.isnan(agg.loc["010310000", "pdl"])
    assert agg.loc["010310000", "pdl_raison"] == "non_renseigne"
    assert bool(agg.loc["34172XXXX", "iris_fictif"]) and agg.loc["34172XXXX", "insee_com"] == "34172"


def test_sdes_masked_part_makes_the_iris_total_unknown_but_keeps_a_lower_bound():
    frame = sdes.read_sdes_heat(
        sdes_bytes(
            '"0103C";"Oyonnax";"2021";"012830102";"ZUS Centre";"C";"R";"6249";"12"',
            '"0103C";"Oyonnax";"2021";"012830102";"ZUS Centre";"C";"T";"secret";"secret"',
            '"0104C";"Autre";"2021";"012830102";"ZUS Centre";"C";"R";"100";"1"',
            '"0103F";"Froid";"2021";"012830102";"ZUS Centre";"F";"T";"50";"2"',
        )
    ).set_index(["code_iris", "filiere"])
    heat = frame.loc[("012830102", "C")]
    assert math.isnan(heat["conso_mwh"]) and heat["conso_mwh_raison"] == "secret_statistique"
    assert heat["conso_mwh_publiee"] == 6349 and heat["nb_lignes"] == 3 and heat["nb_lignes_masquees"] == 1
    cold = frame.loc[("012830102", "F")]
    assert cold["conso_mwh"] == 50 and pd.isna(cold["conso_mwh_raison"])


def test_sdes_missing_energy_type_recovered_from_network_id():
    rows = sdes.read_sdes_heat_rows(sdes_bytes('"1511C";"AURILLAC";"2022";"150140104";"Saint-Eugène";"NA";"nd";"nd";"nd"'))
    assert rows.loc[0, "filiere"] == "C"


def test_sdes_missing_column_and_html():
    broken = sdes_bytes('"0108C";"X";"2023";"010530103";"P";"C";"R";1929;4').replace(b'"CONSO"', b'"CONSOMMATION"')
    with pytest.raises(SourceFormatError, match="CONSO"):
        sdes.read_sdes_heat(broken)
    with pytest.raises(SourceFormatError, match="HTML"):
        sdes.read_sdes_heat(HTML)


# ---------------------------------------------------------------------------------------------------
# LCZ and GASPAR fixtures
# ---------------------------------------------------------------------------------------------------


def lcz_bytes(score: str | None = "High", with_crs: bool = True) -> bytes:
    square = [[[[570000, 6280000], [571000, 6280000], [571000, 6281000], [570000, 6281000], [570000, 6280000]]]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code_iris": "315553601", "nom_iris": "Ginestous", "nom_com": "Toulouse",
                               "heat_score": score},
                "geometry": {"type": "MultiPolygon", "coordinates": square},
            }
        ],
    }
    if with_crs:
        collection["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    return json.dumps(collection).encode("utf-8")


def test_lcz_reads_lambert93():
    frame = cerema.read_lcz_iris(lcz_bytes())
    assert frame.crs.to_epsg() == 2154
    assert frame.loc[0, "heat_score"] == "High"
    assert frame.geometry.area.iloc[0] == pytest.approx(1_000_000)


def test_lcz_without_crs_member_is_not_taken_for_wgs84():
    frame = cerema.read_lcz_iris(lcz_bytes(with_crs=False))
    assert frame.crs.to_epsg() == 2154
    assert frame.total_bounds[0] == pytest.approx(570000)


def test_lcz_unknown_class_and_non_geojson_are_refused():
    with pytest.raises(SourceFormatError, match="Très forte"):
        cerema.read_lcz_iris(lcz_bytes("Très forte"))
    with pytest.raises(SourceFormatError, match="GeoJSON"):
        cerema.read_lcz_iris(b"code_iris;heat_score\n315553601;High\n")


def test_lcz_missing_class_stays_missing():
    assert pd.isna(cerema.read_lcz_iris(lcz_bytes(None)).loc[0, "heat_score"])


def test_gaspar_derived_layout_with_code_list():
    text = "cod_commune;num_risques\n31555;11,12,21,23,112,121,211\n4001;127,11,AUTRE,11\n"
    frame = georisques.read_gaspar_ddrm(text.encode()).set_index("insee_com")
    assert frame.loc["31555", "risques"] == ["11", "12", "21", "23", "112", "121", "211"]
    assert frame.loc["04001", "risques"] == ["11", "127", "AUTRE"]  # padded code, sorted, deduplicated


def test_gaspar_official_long_layout():
    text = (
        "cod_commune;lib_commune;lib_risque;num_risque\n"
        "2A004;AJACCIO;Inondation;11\n2A004;AJACCIO;Feu de forêt;16\n2A004;AJACCIO;Inondation;11\n"
    )
    frame = georisques.read_gaspar_ddrm(("\ufeff" + text).encode())
    assert frame.loc[0, "insee_com"] == "2A004" and frame.loc[0, "risques"] == ["11", "16"]


def test_gaspar_bad_codes_are_refused():
    with pytest.raises(SourceFormatError, match="code commune"):
        georisques.read_gaspar_ddrm(b"cod_commune;num_risques\n3155X;11\n")
    with pytest.raises(SourceFormatError, match="code de risque"):
        georisques.read_gaspar_ddrm(b"cod_commune;num_risques\n31555;11,9999\n")


def test_gaspar_labels():
    frame = georisques.read_gaspar_labels("num_risque;lib_risque\n11;Inondation\n127;Tassements différentiels\n".encode())
    assert frame.set_index("num_risque").loc["127", "libelle"] == "Tassements différentiels"


# ---------------------------------------------------------------------------------------------------
# Real files (values read by hand in the copies)
# ---------------------------------------------------------------------------------------------------


@needs_opendata
def test_real_drias_annual_ref_and_truncated_rcp45():
    ref = meteofrance.read_drias(real("env/drias2020_cnrm_aladin63_annuel_REF_safran8km.txt"))
    assert ref.shape == (8981, 20)
    points = ref.set_index("Point")
    assert points.loc["139", "NORTX35"] == pytest.approx(2.37)
    assert points.loc["3902", "NORTAV"] == pytest.approx(12.91)
    assert points.loc["3902", "Latitude"] == pytest.approx(43.4673)
    assert set(ref["Contexte"]) == {"REF"}

    rcp = meteofrance.read_drias(real("env/drias2020_cnrm_aladin63_annuel_RCP45_safran8km_TRUNCATED.txt"))
    assert rcp.attrs["lignes_tronquees"] == 1
    assert len(rcp) == 9810  # 9,811 rows in the file, the cut last one dropped
    assert rcp["Période"].value_counts().to_dict() == {"H1": 8981, "H2": 829}
    assert rcp["Point"].iloc[-1] == "3903"
    assert "3904" not in set(rcp.loc[rcp["Période"] == "H2", "Point"])

    anomalies = meteofrance.drias_anomalies(rcp, ref)
    assert int(anomalies["anomalie_fichier_nulle"].sum()) == 470
    p139 = anomalies[(anomalies["Point"] == "139") & (anomalies["Période"] == "H1")].iloc[0]
    assert p139["ATX35"] == pytest.approx(7.23 - 2.37)
    # where the file's anomalies are not all zero they equal the recomputed ones
    trusted = ~anomalies["anomalie_fichier_nulle"]
    written = rcp.reset_index(drop=True)
    for index in ["NORTX35", "NORTAV", "NORSD", "NORRR"]:
        column = meteofrance.anomaly_column(index)
        assert (anomalies.loc[trusted, column] - written.loc[trusted, column]).abs().max() < 1e-9


@needs_opendata
def test_real_drias_summer_files():
    ref = meteofrance.read_drias(real("env/drias2020_cnrm_aladin63_ete_REFERENCE_safran8km.txt"))
    rcp = meteofrance.read_drias(real("env/drias2020_cnrm_aladin63_ete_4_5_safran8km.txt"))
    assert len(ref) == 8981 and len(rcp) == 26943
    assert ref.set_index("Point").loc["139", "NORTXAV"] == pytest.approx(27.98)
    assert rcp["Saison"].unique().tolist() == [3]
    anomalies = meteofrance.drias_anomalies(rcp, ref)
    assert int(anomalies["anomalie_fichier_nulle"].sum()) == 1137
    assert anomalies["ATXAV"].notna().all()


@needs_opendata
def test_real_bdnb():
    frame = cstb.read_bdnb_iris(real("env/bdnb_dpe_passoires_iris_2024_ptod.csv"))
    assert len(frame) == 48487
    row = frame.set_index("code_iris").loc["315550101"]
    assert row["logd_dpe_fg_pct_24"] == pytest.approx(18.78)
    assert row["logd_dpe_total_24"] == 1267
    assert frame["code_iris"].iloc[0] == "010010000"
    assert int(frame["logd_dpe_fg_pct_24"].isna().sum()) == 3534


@needs_opendata
def test_real_filosofi_and_caf_iris():
    filo = insee.read_filosofi_iris(real("stats/reference_iris/BASE_TD_FILO_DISP_IRIS_2019.csv"), 2019)
    assert len(filo) == 12481
    row = filo.set_index("code_iris").loc["315550101"]
    assert row["taux_pauvrete"] == pytest.approx(19.8) and row["revenu_median"] == 25670
    assert int((filo["taux_pauvrete_raison"] == "secret_statistique").sum()) == 2827

    caf = insee.read_caf_iris(real("stats/reference_iris/data_CAF_2020_IRIS.csv"))
    assert len(caf) == 13444
    by_iris = caf.set_index("code_iris")
    assert by_iris.loc["315550101", ["A", "ARSAS", "AAPL"]].tolist() == [1304, 105, 88]
    assert math.isnan(by_iris.loc["315550102", "AAPL"])


@needs_opendata
@pytest.mark.parametrize("year, rows", [(2018, 16864), (2020, 5059), (2021, 4361), (2022, 4959), (2023, 3646)])
def test_real_sdes(year, rows):
    path = real(f"env/sdes_conso_chaleur_froid_iris_{year}.csv")
    detail = sdes.read_sdes_heat_rows(path)
    assert len(detail) == rows
    assert set(detail["annee"]) == {year}
    assert detail["filiere"].isin(["C", "F"]).all()
    masked = detail["conso_mwh_raison"] == "secret_statistique"
    assert masked.any() and detail.loc[masked, "conso_mwh"].isna().all()
    per_iris = sdes.read_sdes_heat(path)
    assert not per_iris.duplicated(["code_iris", "annee", "filiere"]).any()
    assert (per_iris["conso_mwh"].dropna() >= 0).all()
    if year == 2023:
        row = per_iris.set_index(["code_iris", "filiere"]).loc[("010530103", "C")]
        assert row["conso_mwh"] == 1929 + 2832 and row["pdl"] == 8


@needs_opendata
def test_real_lcz_files():
    counts = {"bordeaux": 88, "lille": 110, "lyon": 185, "montpellier": 88, "nantes": 97, "nice": 146,
              "paris": 992, "strasbourg": 116, "toulouse": 153}
    for city, expected in counts.items():
        frame = cerema.read_lcz_iris(real(f"env/lcz_heat_iris_{city}.geojson"))
        assert len(frame) == expected, city
        assert frame.crs.to_epsg() == 2154
    paris = cerema.read_lcz_iris(real("env/lcz_heat_iris_paris.geojson"))
    assert int(paris["heat_score"].isna().sum()) == 5


@needs_opendata
def test_real_gaspar():
    frame = georisques.read_gaspar_ddrm(real("env/gaspar_ddrm_risques_communes_occitanie_paca.csv"))
    assert len(frame) == 5218
    by_commune = frame.set_index("insee_com")
    assert by_commune.loc["31555", "risques"] == ["11", "12", "21", "23", "112", "121", "211"]
    assert "13055" in by_commune.index and "31157" not in by_commune.index
    labels = georisques.read_gaspar_labels(real("env/gaspar_ddrm_libelles_risques.csv"))
    assert len(labels) == 49
    assert labels.set_index("num_risque").loc["127", "libelle"] == "Tassements différentiels"
    known = set(labels["num_risque"])
    assert all(code in known for codes in frame["risques"] for code in codes)
