"""Parsers against the real INSEE/RPLS/ANCT formats: one test per documented trap.

Fixtures are small byte strings written by us in the exact layout of the real files (see
``shared/docs/data-sources.md`` §3), so each trap is isolated; ``test_real_files`` checks the same
parsers on the real copies when the shared folder is present.
"""

from __future__ import annotations

from sources.publishers import anct
from sources.publishers import insee
from sources.publishers import sdes

import math

import pandas as pd
import pytest

from core.errors import SourceFormatError, SourceMissingError
from tests.conftest import OPENDATA, needs_opendata

NNBSP = "\u202f"  # narrow no-break space (DEMO/REVN/IPRO)
NBSP = "\u00a0"  # no-break space (data_filo18/19)


def demo_bytes(*rows: str, bom: bool = True, padding: int = 5) -> bytes:
    header = "CODGEO;LIBGEO;POP_MUN;TX_TOT_0A24;LIB_COM" + ";" * padding
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def test_semicolon_and_decimal_comma():
    frame = insee.read_insee_qpv(demo_bytes("QP001001;Nom;6490;36,5;Bourg"), ["POP_MUN", "TX_TOT_0A24"])
    assert frame.loc["QP001001", "TX_TOT_0A24"] == pytest.approx(36.5)
    assert frame.loc["QP001001", "POP_MUN"] == 6490


def test_narrow_nbsp_thousands_separator():
    frame = insee.read_insee_qpv(demo_bytes(f"QP001001;Nom;6{NNBSP}490;36,5;Bourg"), ["POP_MUN"])
    assert frame.loc["QP001001", "POP_MUN"] == 6490


def test_nbsp_thousands_separator():
    frame = insee.read_insee_qpv(demo_bytes(f"QP001001;Nom;1{NBSP}234{NBSP}567;1,0;X"), ["POP_MUN"])
    assert frame.loc["QP001001", "POP_MUN"] == 1_234_567


@pytest.mark.parametrize("bom", [True, False])
def test_with_and_without_bom(bom):
    frame = insee.read_insee_qpv(demo_bytes("QP001001;Nom;10;1,0;X", bom=bom), ["POP_MUN"])
    assert list(frame.index) == ["QP001001"]


def test_padded_header_columns_are_dropped():
    frame = insee.read_insee_qpv(demo_bytes("QP001001;Nom;10;1,0;X;;;;;", padding=300), ["POP_MUN"])
    assert not any(c.startswith("Unnamed") for c in frame.columns)


def test_ensemble_row_is_excluded_and_readable_separately():
    data = demo_bytes(f"Ensemble;Ensemble des QPV;5{NNBSP}019{NNBSP}573;39,2;", "QP001001;Nom;10;1,0;X")
    frame = insee.read_insee_qpv(data, ["POP_MUN"])
    assert "Ensemble" not in frame.index
    ensemble = insee.read_insee_qpv_ensemble(data, ["POP_MUN", "TX_TOT_0A24"])
    assert ensemble["POP_MUN"] == 5_019_573
    assert ensemble["TX_TOT_0A24"] == pytest.approx(39.2)


def test_blank_cell_is_missing_not_zero():
    frame = insee.read_insee_qpv(demo_bytes("QP001001;Nom;;1,0;X"), ["POP_MUN"])
    assert math.isnan(frame.loc["QP001001", "POP_MUN"])


def test_trailing_space_in_column_name():
    data = ("\ufeffCODGEO;LIBGEO;EVOL_CA_N_E ;ABCDE\r\nQP001001;Nom;100,0;1" + NNBSP + "075\r\n").encode()
    frame = insee.read_insee_qpv(data, ["EVOL_CA_N_E", "ABCDE"])
    assert frame.loc["QP001001", "ABCDE"] == 1075


def test_renamed_column_names_the_file_and_column():
    with pytest.raises(SourceFormatError, match=r"DEMO_2022\.csv.*TX_TOT_60ETPLUS"):
        insee.read_insee_qpv(demo_bytes("QP001001;Nom;10;1,0;X"), ["TX_TOT_60ETPLUS"], name="DEMO_2022.csv")


def test_shifted_text_in_numeric_column_is_refused():
    with pytest.raises(SourceFormatError, match="non numérique"):
        insee.read_insee_qpv(demo_bytes("QP001001;Nom;Bourg;1,0;X"), ["POP_MUN"])


def test_html_error_page_is_refused():
    with pytest.raises(SourceFormatError, match="page HTML"):
        insee.read_insee_qpv(b"<!DOCTYPE html><html><body>Erreur 503</body></html>", ["POP_MUN"])


def test_empty_body_is_refused():
    with pytest.raises(SourceFormatError, match="vide"):
        insee.read_insee_qpv(b"", ["POP_MUN"])


def test_cp1252_is_refused_with_french_message():
    data = "CODGEO;LIBGEO;POP_MUN\r\nQP001001;Quartier Cité;10\r\n".encode("cp1252")
    with pytest.raises(SourceFormatError, match="UTF-8"):
        insee.read_insee_qpv(data, ["POP_MUN"])


def test_missing_file_is_named():
    with pytest.raises(SourceMissingError, match="absent.csv"):
        insee.read_insee_qpv(OPENDATA / "absent.csv", ["POP_MUN"])


def test_filosofi_old_lower_case_names():
    data = b"codgeo;disp_q2_a16;tp60_a16;note\r\nEnsemble;13690;43,5;0\r\nQP001001;13690;40,0;0\r\n"
    frame = insee.read_filosofi_qpv(data, 2016)
    assert frame.loc["QP001001", "revenu_median"] == 13690
    assert frame.loc["QP001001", "taux_pauvrete"] == pytest.approx(40.0)


def test_filosofi_new_upper_case_names_with_nbsp():
    data = f"CODGEO;DISP_MED_A19;DISP_TP60_A19;DISP_NOTE_A19\r\nQP001001;14{NBSP}190;41,9;0\r\n".encode()
    frame = insee.read_filosofi_qpv(data, 2019)
    assert frame.loc["QP001001", "revenu_median"] == 14190


def test_rpls_mixed_decimal_marks():
    data = b'CodGeo,Note,nbLsPls,txLsAv49\nQP001001,0,2493.0,"4,8"\nQP001002,0,,\n'
    frame = sdes.read_rpls_qpv(data, ["nbLsPls", "txLsAv49"])
    assert frame.loc["QP001001", "nbLsPls"] == 2493
    assert frame.loc["QP001001", "txLsAv49"] == pytest.approx(4.8)
    assert math.isnan(frame.loc["QP001002", "txLsAv49"])


def test_excel_protected_commune_list():
    assert anct.unprotect_excel_code('="13055;13070"') == ["13055", "13070"]
    assert anct.unprotect_excel_code("01053") == ["01053"]
    assert anct.unprotect_excel_code(None) == []


def test_official_qpv2024_list_layout_is_exploded():
    data = (
        "\ufeffcode_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;lib_com;siren_epci;lib_epci\r\n"
        'QN01301M;Quartier;93;PACA;13;BdR;"=""13055;13070""";Marseille;200054807;AMP\r\n'
    ).encode()
    frame = anct.read_qpv2024_list(data)
    assert frame["insee_com"].tolist() == ["13055", "13070"]
    assert (frame["code_qp"] == "QN01301M").all()


def test_codes_stay_strings():
    data = b"CODGEO;LIBGEO;Q219\r\n01001;Abergement;21930\r\n2A004;Ajaccio;20000\r\n"
    frame = insee.read_filosofi_territory(data, ["Q219"])
    assert frame["code"].tolist() == ["01001", "2A004"]


@needs_opendata
def test_real_files_known_values():
    """Values read by hand in the raw INSEE files (data-sources.md §3.1, §3.2)."""
    demo = insee.read_insee_qpv(OPENDATA / "stats/qpv2015_insee_thematiques/DEMO_2021.csv", ["POP_MUN"])
    assert demo.loc["QP001001", "POP_MUN"] == 6490
    filo = insee.read_filosofi_qpv(OPENDATA / "stats/qpv2015_insee_filosofi/data_filo19_qp_revdis.csv", 2019)
    assert filo.loc["QP001001", "revenu_median"] == 14190
    assert filo.loc["QP001001", "taux_pauvrete"] == pytest.approx(41.9)
    assert len(filo) == 1352  # 1,353 rows minus the Ensemble row
    old = insee.read_filosofi_qpv(OPENDATA / "stats/qpv2015_insee_filosofi/data_filo16_qp_revdis.csv", 2016)
    assert old["revenu_median"].notna().mean() > 0.95
    revn = insee.read_insee_qpv(OPENDATA / "stats/qpv2015_insee_thematiques/REVN_2022.csv", ["DISP_Q2", "TP60"])
    assert revn.loc["QP001001", "DISP_Q2"] == 14180
    assert revn.loc["QP001001", "TP60"] == pytest.approx(41.4)
    ipro = insee.read_insee_qpv(OPENDATA / "stats/qpv2015_insee_thematiques/IPRO_2019.csv", ["EVOL_CA_N_E"])
    assert len(ipro) == 1345
    ref = insee.read_filosofi_territory(OPENDATA / "stats/reference_filosofi/FILO2019_DISP_METROPOLE.csv", ["Q219"])
    assert ref.loc[0, "Q219"] == 21930
    q24 = anct.read_qpv2024_list(OPENDATA / "geo/qpv2024_communes_epci_dep_reg.csv")
    assert q24["code_qp"].nunique() == 1493
    assert isinstance(q24.loc[0, "insee_com"], str) and len(q24.loc[0, "insee_com"]) == 5
    assert pd.api.types.is_string_dtype(q24["insee_com"])
