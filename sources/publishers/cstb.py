"""CSTB — the BDNB-derived table of DPE per IRIS (energy performance diagnoses, with ADEME).

Embedded in the bundle (``iris_dpe``): there is no per-territory access to it.
"""

from __future__ import annotations

from pathlib import Path
import pandas as pd
from core.errors import SourceFormatError
from sources.publishers.common import check_numeric, iris_codes, read_bytes, read_csv_text, require_columns, sniff_text, to_number, unique_key



BDNB_NUMERIC = [
    "P22_POP",
    "men_tot_stock_22",
    "logd_dpe_total_24",
    "logd_dpe_fg_pct_24",
    "logd_dpe_abc_pct_24",
    "rev_disp_med_21",
    "rev_txpauv_21",
    "log_lochlm_pct_22",
]


BDNB_REQUIRED = ["code_iris", "code_commune", "P22_POP", "logd_dpe_total_24", "logd_dpe_fg_pct_24"]


def read_bdnb_iris(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """BDNB-derived DPE table per IRIS → one row per IRIS, codes as text, NaN kept.

    ``logd_dpe_total_24`` counts **DPE**, not dwellings, and ``logd_dpe_fg_pct_24`` is the % of those
    DPE in class F or G; ``nb_dpe_fg`` (= total × % / 100) is added so that the count and its
    denominator can be interpolated separately (never average a rate across IRIS). NaN means no DPE
    recorded, or secret for the Filosofi 2021 columns.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « , » attendu : une seule colonne lue.")
    require_columns(frame, BDNB_REQUIRED, name)
    out = pd.DataFrame({"code_iris": iris_codes(frame["code_iris"], name).to_numpy()})
    for column in ["code_commune", "lib_iris", "lib_commune", "typ_iris", "dep"]:
        if column in frame.columns:
            out[column] = frame[column].astype("string").str.strip().to_numpy()
    for column in BDNB_NUMERIC:
        if column not in frame.columns:
            continue
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    unique_key(out, ["code_iris"], name, "code IRIS")
    out["nb_dpe_fg"] = out["logd_dpe_total_24"] * out["logd_dpe_fg_pct_24"] / 100.0
    return out
