"""The kinds of territory a person can choose (région → département → EPCI → commune, or one quartier).

Every module that turns a territory into communes reads the same columns of the ``communes`` table:
they are declared here once (``COLUMNS``), with the French names of each kind.
"""

from __future__ import annotations

#: Kinds accepted in ``TYPE:CODE`` (command lines, address bar), from the largest to one quartier.
KINDS = ("REG", "DEP", "EPCI", "COM", "QPV")
#: French name of each kind, capitalised (selectors, titles).
LABELS = {"REG": "Région", "DEP": "Département", "EPCI": "EPCI", "COM": "Commune", "QPV": "Quartier"}
#: French name of each kind inside a sentence (« Montpellier (commune 34172) »).
WORDS = {"REG": "région", "DEP": "département", "EPCI": "EPCI", "COM": "commune", "QPV": "quartier"}
#: Kind → (code column, label column) of the ``communes`` table (and of the QPV registry).
COLUMNS = {"REG": ("insee_reg", "lib_reg"), "DEP": ("insee_dep", "lib_dep"),
           "EPCI": ("siren_epci", "lib_epci"), "COM": ("insee_com", "lib_com")}


def code_column(kind: str) -> str:
    """Column of the ``communes`` table holding the code of a territory of ``kind`` (not for ``QPV``)."""
    return COLUMNS[kind][0]
