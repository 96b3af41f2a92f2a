"""SDES — heat and cold networks per IRIS, and the social housing stock per QPV 2015 (RPLS).

Traps handled (``shared/docs/data-sources.md`` §5.2, §5.3): two header lines, ``secret``/``nd`` tokens,
the IRIS column renamed ``IRIS`` in 2023, another column order in 2018, ``NA`` energy type in 2022
(recovered from the network id); RPLS with ``,`` separator and mixed decimal marks.
"""

from __future__ import annotations

from pathlib import Path
import pandas as pd
from core.reasons import NOT_FILLED, SECRET
from core.errors import SourceFormatError
from sources.publishers.common import check_numeric, iris_codes, numeric_with_reason, read_bytes, read_csv_text, require_columns, sniff_text, to_number



SDES_REQUIRED = ["OPERATEUR", "ANNEE", "IRIS_CODE", "FILIERE", "CODE_GRAND_SECTEUR", "CONSO", "PDL"]


SDES_TOKENS = ("secret", "nd")


def read_sdes_heat_rows(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """SDES heat/cold network file → one row per operator × IRIS × sector, as published.

    Columns: ``operateur, annee, code_iris, libelle_iris, filiere`` (``C`` chaleur / ``F`` froid),
    ``secteur``, ``conso_mwh``, ``pdl`` (delivery points) and ``conso_mwh_raison`` / ``pdl_raison``
    (``secret_statistique`` for ``secret``/``nd``, ``non_renseigne`` for an empty cell). The 2018 file
    has several rows for the same key (one per network): they are kept, not deduplicated.
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    first, _, rest = text.partition("\n")
    # Two header lines (labels, then codes): drop the label line unless the codes come first.
    if "OPERATEUR" not in first.upper():
        text = rest
    frame = read_csv_text(text, name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    if "IRIS_CODE" not in frame.columns and "IRIS" in frame.columns:
        frame = frame.rename(columns={"IRIS": "IRIS_CODE"})  # 2023 naming
    require_columns(frame, SDES_REQUIRED, name)
    frame = frame.reset_index(drop=True)

    filiere = frame["FILIERE"].astype("string").str.strip().str.upper()
    filiere = filiere.where(filiere.isin(["C", "F"]))
    if "ID" in frame.columns:
        # The network id ends with the energy letter (``1511C``): it fills the ``NA`` of 2022.
        from_id = frame["ID"].astype("string").str.strip().str[-1].str.upper()
        filiere = filiere.fillna(from_id.where(from_id.isin(["C", "F"])))
    annee = pd.to_numeric(frame["ANNEE"].astype("string").str.strip(), errors="coerce")
    if annee.isna().any():
        raise SourceFormatError(name, f"millésime illisible « {frame.loc[annee.isna(), 'ANNEE'].iloc[0]} ».")

    out = pd.DataFrame(
        {
            "operateur": frame["OPERATEUR"].astype("string").str.strip(),
            "annee": annee.astype("int64"),
            "code_iris": iris_codes(frame["IRIS_CODE"], name, fictive=True),
            "libelle_iris": frame["IRIS_LIBELLE"].astype("string") if "IRIS_LIBELLE" in frame else pd.NA,
            "filiere": filiere,
            "secteur": frame["CODE_GRAND_SECTEUR"].astype("string").str.strip(),
        }
    )
    out.insert(3, "insee_com", out["code_iris"].str[:5])
    out.insert(4, "iris_fictif", out["code_iris"].str.endswith("XXXX").to_numpy())
    for column, ours in (("CONSO", "conso_mwh"), ("PDL", "pdl")):
        raw = frame[column].astype("string").str.strip()
        values, reason = numeric_with_reason(frame, column, name, SDES_TOKENS)
        blank = (raw.isna() | (raw == "")).to_numpy()
        reason[blank] = NOT_FILLED
        out[ours] = values.to_numpy()
        out[f"{ours}_raison"] = reason.to_numpy()
    return out


def read_sdes_heat(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """SDES heat/cold network file → one row per IRIS × year × energy (``C``/``F``).

    Keys: ``code_iris`` (possibly a fictive ``<commune>XXXX``, see ``iris_fictif``), ``annee``,
    ``filiere``, plus ``insee_com``.

    ``conso_mwh`` (MWh) and ``pdl`` are summed over operators and sectors **only when every part is
    published**: one masked part makes the total unknown (NaN, reason in ``conso_mwh_raison`` /
    ``pdl_raison``), because a partial sum would pass for a low value. The sum of the published parts
    is kept as a lower bound (``conso_mwh_publiee``, ``pdl_publies``); ``nb_lignes`` and
    ``nb_lignes_masquees`` say how many source rows were merged and how many were masked.
    """
    rows = read_sdes_heat_rows(source, name=name)
    keys = ["code_iris", "annee", "filiere"]
    fictive = rows.groupby("code_iris")["iris_fictif"].first()
    rows = rows.assign(
        _conso_masked=rows["conso_mwh"].isna(),
        _pdl_masked=rows["pdl"].isna(),
        _conso_secret=rows["conso_mwh_raison"] == SECRET,
        _pdl_secret=rows["pdl_raison"] == SECRET,
    )
    grouped = rows.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        conso_mwh_publiee=("conso_mwh", "sum"),
        pdl_publies=("pdl", "sum"),
        nb_lignes=("conso_mwh", "size"),
        nb_lignes_masquees=("_conso_masked", "sum"),
        _pdl_masked=("_pdl_masked", "sum"),
        _conso_secret=("_conso_secret", "any"),
        _pdl_secret=("_pdl_secret", "any"),
    ).reset_index()
    out["conso_mwh"] = out["conso_mwh_publiee"].where(out["nb_lignes_masquees"] == 0)
    out["pdl"] = out["pdl_publies"].where(out["_pdl_masked"] == 0)
    # A lower bound made of nothing is not 0 MWh: unknown.
    out["conso_mwh_publiee"] = out["conso_mwh_publiee"].where(out["nb_lignes_masquees"] < out["nb_lignes"])
    out["pdl_publies"] = out["pdl_publies"].where(out["_pdl_masked"] < out["nb_lignes"])
    for value, secret in (("conso_mwh", "_conso_secret"), ("pdl", "_pdl_secret")):
        reason = pd.Series(pd.NA, index=out.index, dtype="string")
        reason[out[value].isna()] = NOT_FILLED
        reason[out[value].isna() & out[secret]] = SECRET
        out[f"{value}_raison"] = reason
    out["nb_lignes_masquees"] = out["nb_lignes_masquees"].astype("int64")
    out["insee_com"] = out["code_iris"].str[:5]
    out["iris_fictif"] = out["code_iris"].map(fictive).astype(bool)
    columns = [*keys, "insee_com", "iris_fictif", "conso_mwh", "conso_mwh_raison", "pdl", "pdl_raison",
               "conso_mwh_publiee", "pdl_publies", "nb_lignes", "nb_lignes_masquees"]
    return out[columns]


def read_rpls_qpv(source: Path | bytes, columns: list[str], *, name: str | None = None) -> pd.DataFrame:
    """RPLS per QPV: ``,`` separator and mixed decimal marks (``2493.0`` next to ``"4,8"``)."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, ["CodGeo", *columns], name)
    out = pd.DataFrame(index=pd.Index(frame["CodGeo"].str.strip().to_numpy(), name="code_qp"))
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out
