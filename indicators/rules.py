"""Rules that turn parsed per-QPV tables into indicator values, with a reason when missing.

Pure computation: frames in, frames out. Each rule names its input (the key of an offline copy in
``sources.registry``, read by the pipeline with its source's parser), the columns it needs and how the
indicator is computed from them. Reasons follow the method (``method-anchors.md`` §6.6):

* the QPV is absent from the source file → ``non_couvert``;
* present but the cell is blank (or a ratio's denominator is blank/zero) → ``secret_statistique``;
* outside the indicator's physical range (a share > 100 %, a negative count) → ``valeur_invalide``:
  flagged and excluded, never clipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.reasons import INVALID, NOT_COVERED, SECRET
from indicators import catalogue


@dataclass(frozen=True)
class Rule:
    indicator: str
    input_key: str
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
    Rule("population", "demo_2022", ("POP_MUN",), lambda f: f["POP_MUN"]),
    Rule("part_moins_25", "demo_2022", ("TX_TOT_0A24",), lambda f: f["TX_TOT_0A24"]),
    Rule("part_60_plus", "demo_2022", ("TX_TOT_60ETPLUS",), lambda f: f["TX_TOT_60ETPLUS"]),
    Rule("part_menages_1pers", "demo_2022", ("TX_TOT_MEN1",), lambda f: f["TX_TOT_MEN1"]),
    Rule("taux_pauvrete", "filo_qpv_2019", (), lambda f: f["taux_pauvrete"]),
    Rule("revenu_median", "filo_qpv_2019", (), lambda f: f["revenu_median"]),
    Rule("taux_emploi", "ipro_2022", ("TX_TOT_EMPL",), lambda f: f["TX_TOT_EMPL"]),
    Rule("nb_demandeurs_emploi", "ipro_2022", ("ABCDE",), lambda f: f["ABCDE"]),
    Rule("part_allocataires_rsa", "revn_2022", ("ARSAS", "A"), _ratio(["ARSAS"], "A")),
    Rule("part_c2s", "revn_2022", ("C", "C_C2SNP", "C_C2SP"), _ratio(["C_C2SNP", "C_C2SP"], "C")),
    Rule("part_logsoc_avant_1976", "rpls_2022", tuple(_PERIODS), _social_housing_before_1976),
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


