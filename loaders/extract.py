"""Rules that turn parsed source files into indicator values per QPV, with a reason when missing.

Each rule names the input file (a key of ``loaders.sources.INPUTS``), the columns it needs and how the
indicator is computed from them. Reasons follow the method (``method-anchors.md`` §6.6):

* the QPV is absent from the source file → ``non_couvert``;
* present but the cell is blank (or a ratio's denominator is blank/zero) → ``secret_statistique``;
* outside the indicator's physical range (a share > 100 %, a negative count) → ``valeur_invalide``:
  flagged and excluded, never clipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.reasons import INVALID, NOT_COVERED, NOT_LOADED, SECRET
from indicators import catalogue
from loaders import parsers
from loaders.sources import INPUTS

Reader = Callable[[Path, list[str]], pd.DataFrame]


def _insee(path: Path, columns: list[str]) -> pd.DataFrame:
    return parsers.read_insee_qpv(path, columns, text_columns=())


def _filo2019(path: Path, columns: list[str]) -> pd.DataFrame:
    return parsers.read_filosofi_qpv(path, 2019)


def _rpls(path: Path, columns: list[str]) -> pd.DataFrame:
    return parsers.read_rpls_qpv(path, columns)


@dataclass(frozen=True)
class Rule:
    indicator: str
    input_key: str
    reader: Reader
    columns: tuple[str, ...]
    compute: Callable[[pd.DataFrame], pd.Series]


def _ratio(num: list[str], den: str) -> Callable[[pd.DataFrame], pd.Series]:
    def compute(frame: pd.DataFrame) -> pd.Series:
        numerator = frame[num].sum(axis=1, min_count=len(num))
        denominator = frame[den].where(frame[den] > 0)
        return 100.0 * numerator / denominator

    return compute


_PERIODS = ["txLsAv49", "txLs49a75", "txLs76a88", "txLs89a00", "txLs01a13", "txLsAp13"]


def _social_housing_before_1976(frame: pd.DataFrame) -> pd.Series:
    """Sum of the pre-1976 shares; secret periods count as zero only if they can hide ≤ 5 points."""
    before = frame[["txLsAv49", "txLs49a75"]]
    known = frame[_PERIODS].sum(axis=1, min_count=1)
    unknown = (100.0 - known).clip(lower=0)
    complete = before.notna().all(axis=1)
    value = before.sum(axis=1, min_count=1)
    usable = value.notna() & (complete | (unknown <= 5.0))
    return value.where(usable)


RULES: tuple[Rule, ...] = (
    Rule("population", "demo_2022", _insee, ("POP_MUN",), lambda f: f["POP_MUN"]),
    Rule("part_moins_25", "demo_2022", _insee, ("TX_TOT_0A24",), lambda f: f["TX_TOT_0A24"]),
    Rule("part_60_plus", "demo_2022", _insee, ("TX_TOT_60ETPLUS",), lambda f: f["TX_TOT_60ETPLUS"]),
    Rule("part_menages_1pers", "demo_2022", _insee, ("TX_TOT_MEN1",), lambda f: f["TX_TOT_MEN1"]),
    Rule("taux_pauvrete", "filo_qpv_2019", _filo2019, (), lambda f: f["taux_pauvrete"]),
    Rule("revenu_median", "filo_qpv_2019", _filo2019, (), lambda f: f["revenu_median"]),
    Rule("taux_emploi", "ipro_2022", _insee, ("TX_TOT_EMPL",), lambda f: f["TX_TOT_EMPL"]),
    Rule("nb_demandeurs_emploi", "ipro_2022", _insee, ("ABCDE",), lambda f: f["ABCDE"]),
    Rule("part_allocataires_rsa", "revn_2022", _insee, ("ARSAS", "A"), _ratio(["ARSAS"], "A")),
    Rule("part_c2s", "revn_2022", _insee, ("C", "C_C2SNP", "C_C2SP"), _ratio(["C_C2SNP", "C_C2SP"], "C")),
    Rule("part_logsoc_avant_1976", "rpls_2022", _rpls, tuple(_PERIODS), _social_housing_before_1976),
)


def out_of_range(values: pd.Series, valid_range: tuple[float | None, float | None]) -> pd.Series:
    """Boolean mask of values outside an indicator's physical range (missing values are not flagged)."""
    low, high = valid_range
    mask = pd.Series(False, index=values.index)
    if low is not None:
        mask |= values < low
    if high is not None:
        mask |= values > high
    return mask & values.notna()


def apply_rule(rule: Rule, parsed: pd.DataFrame, codes: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Values and reasons for ``codes`` (QPV codes of the registry) from one parsed source frame."""
    raw = rule.compute(parsed).astype("float64")
    values = raw.reindex(codes)
    reasons = pd.Series(pd.NA, index=codes, dtype="string")
    present = codes.isin(parsed.index)
    reasons[~present] = NOT_COVERED
    reasons[present & values.isna().to_numpy()] = SECRET
    invalid = out_of_range(values, catalogue.get(rule.indicator).valid_range)
    reasons[invalid] = INVALID
    values[invalid] = np.nan
    return values, reasons


def extract_qpv2015(source_dir: Path, codes: pd.Index, optional: bool = False) -> pd.DataFrame:
    """Long table ``code_qp, indicateur, valeur, raison_manquante`` for the QPV 2015 ``codes``.

    With ``optional`` (a territory update), rules whose input file is absent are skipped: their
    indicators keep the values already loaded.
    """
    cache: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}
    needed: dict[str, set[str]] = {}
    for rule in RULES:
        needed.setdefault(rule.input_key, set()).update(rule.columns)
    frames = []
    for rule in RULES:
        key = (rule.input_key, tuple(sorted(needed[rule.input_key])))
        path = source_dir / INPUTS[rule.input_key].path
        if optional and not path.is_file():
            continue
        if key not in cache:
            cache[key] = rule.reader(path, list(key[1]))
        values, reasons = apply_rule(rule, cache[key], codes)
        frames.append(
            pd.DataFrame(
                {
                    "code_qp": codes.to_numpy(),
                    "indicateur": rule.indicator,
                    "valeur": values.to_numpy(),
                    "raison_manquante": reasons.to_numpy(),
                    "methode": catalogue.get(rule.indicator).rule_for(2015),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["code_qp", "indicateur", "valeur", "raison_manquante", "methode"])
    return pd.concat(frames, ignore_index=True)


def defaults(registry: pd.DataFrame) -> pd.DataFrame:
    """Every QPV × indicator, missing with reason ``non_charge``: what is left when no offline source
    gives a value (QPV 2024 INSEE statistics, online-only sources, QPV without an offline contour)."""
    ids = catalogue.ids()
    codes = registry["code_qp"].to_numpy()
    generations = registry["generation"].to_numpy()
    return pd.DataFrame(
        {
            "code_qp": np.repeat(codes, len(ids)),
            "indicateur": np.tile(ids, len(codes)),
            "valeur": np.nan,
            "raison_manquante": NOT_LOADED,
            "methode": [catalogue.get(i).rule_for(int(g)) for g in generations for i in ids],
        }
    )


VALUE_COLUMNS = ["valeur", "raison_manquante", "methode", "detail"]


def overlay(values: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """``values`` (long: code_qp, indicateur, valeur, raison_manquante, methode, detail) with the rows of
    ``found`` for the same (code_qp, indicateur) replacing theirs; rows of ``found`` for pairs absent from
    ``values`` are ignored. A present value never keeps a missing reason."""
    out = values.set_index(["code_qp", "indicateur"])
    found = found.set_index(["code_qp", "indicateur"])
    if "detail" not in found.columns:
        found = found.assign(detail=pd.NA)
    found = found[found.index.isin(out.index)]
    if len(found):
        out.loc[found.index, VALUE_COLUMNS] = found[VALUE_COLUMNS].to_numpy()
    out = out.reset_index()
    out["valeur"] = out["valeur"].astype("float64")
    for column in ("raison_manquante", "methode", "detail"):
        out[column] = out[column].astype("string")
    out.loc[out["valeur"].notna(), "raison_manquante"] = pd.NA
    return out
