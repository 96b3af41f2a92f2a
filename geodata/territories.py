"""Territories (France, région, département, EPCI, commune, QPV): lookup, hierarchy and QPV membership.

A QPV belongs to a territory when at least one of its communes does (149 QPV span several communes,
sometimes across EPCI). Paris, Lyon and Marseille arrondissements resolve to their commune, because
the QPV lists use the whole commune (75056, 69123, 13055). ``FR`` is the whole country (metropole and
overseas): ``python -m indicators table --territoire FR``.

``territory_notes`` gives the sentences to show with a territory's data (the Mayotte codes, for one).
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

import pandas as pd

from core.errors import BadArgumentError, UnknownTerritoryError
from core.territory_kinds import COLUMNS, KINDS, LABELS
from core.text import fold
from sources import store



#: The whole country (metropole and overseas), a territory kind besides those of ``core.territory_kinds``.
COUNTRY = "FR"
COUNTRY_LABEL = "France entière (métropole et outre-mer)"
ALL_KINDS = (COUNTRY, *KINDS)

#: Said wherever Mayotte's QPV are shown (territory notes, fiche, annex limits).
MAYOTTE_NOTE = ("Mayotte : les 42 quartiers prioritaires affichés sont ceux du fichier national des contours "
                "(codes QN97601M à QN97650N) ; la liste des QPV publiée avec les communes en donne 17 autres codes "
                "(QN97651C à QN97667C), d'une autre génération. Les deux listes ne sont jamais rapprochées : aucune "
                "donnée n'est passée de l'une à l'autre.")


@dataclass(frozen=True)
class Territory:
    kind: str
    code: str
    label: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    @property
    def title(self) -> str:
        if self.kind == COUNTRY:
            return self.label
        kind = LABELS[self.kind] if self.kind == "EPCI" else LABELS[self.kind].lower()
        return f"{self.label} ({kind} {self.code})"


def parse_key(text: str) -> tuple[str, str]:
    """``"EPCI:243100518"`` → ``("EPCI", "243100518")``, ``"FR"`` → ``("FR", "FR")``; bad syntax →
    ``BadArgumentError``."""
    if str(text).strip().upper() in (COUNTRY, f"{COUNTRY}:{COUNTRY}"):
        return COUNTRY, COUNTRY
    if ":" not in str(text):
        raise BadArgumentError(
            f"Territoire « {text} » mal écrit : attendu TYPE:CODE avec TYPE parmi {', '.join(KINDS)} "
            f"(exemple : EPCI:243100518), ou {COUNTRY} pour toute la France."
        )
    kind, code = str(text).split(":", 1)
    kind, code = kind.strip().upper(), code.strip()
    if kind not in KINDS:
        raise BadArgumentError(f"Type de territoire « {kind} » inconnu : choisir parmi {', '.join(KINDS)}.")
    if not code:
        raise BadArgumentError("Code de territoire vide.")
    return kind, code.upper() if kind == "QPV" else code


def _catalogue(kind: str) -> pd.DataFrame:
    """Code → label table for one kind of territory (only territories that exist in the data)."""
    return _catalogue_of(kind, store.version())


# The territory selector of every page asks for these at each run: they are built once per data version
# (an online update changes the version) instead of re-reading and re-joining the tables each time. Callers
# only read them (``resolve``, ``suggestions``) or get a copy (``children``, ``qpv_codes``).
@functools.lru_cache(maxsize=16)
def _catalogue_of(kind: str, data_version: tuple) -> pd.DataFrame:
    if kind == "QPV":
        qpv = store.table("qpv")
        return pd.DataFrame({"code": qpv["code_qp"], "label": qpv["lib_qp"]}).drop_duplicates("code")
    communes = store.table("communes")
    if kind == "COM":
        communes = communes[communes["type_com"] == "COM"]
    code_col, label_col = COLUMNS[kind]
    frame = communes[[code_col, label_col]].dropna().drop_duplicates(code_col)
    return frame.rename(columns={code_col: "code", label_col: "label"})


def suggestions(kind: str, code: str, limit: int = 5) -> list[str]:
    """Close matches by code and by name, as ``KIND:CODE (label)`` strings."""
    table = _catalogue(kind)
    labels = dict(zip(table["code"], table["label"], strict=True))
    by_code = difflib.get_close_matches(code, list(labels), n=limit, cutoff=0.6)
    folded = {fold(v): k for k, v in labels.items()}
    by_name = [folded[m] for m in difflib.get_close_matches(fold(code), list(folded), n=limit, cutoff=0.6)]
    by_name += [k for f, k in folded.items() if fold(code) and fold(code) in f][:limit]
    found = list(dict.fromkeys(by_code + by_name))[:limit]
    return [f"{kind}:{c} ({labels[c]})" for c in found]


def resolve(kind: str, code: str) -> Territory:
    """Territory from its kind and code; arrondissements resolve to their commune."""
    if kind == COUNTRY:
        return Territory(COUNTRY, COUNTRY, COUNTRY_LABEL)
    if kind not in KINDS:
        raise BadArgumentError(f"Type de territoire « {kind} » inconnu : choisir parmi {', '.join(KINDS)}.")
    if kind == "COM":
        communes = store.table("communes")
        row = communes[communes["insee_com"] == code]
        if not row.empty and row.iloc[0]["type_com"] == "ARM" and isinstance(row.iloc[0]["insee_com_parent"], str):
            code = row.iloc[0]["insee_com_parent"]
    table = _catalogue(kind)
    match = table[table["code"] == code]
    if match.empty:
        raise UnknownTerritoryError(kind, code, suggestions(kind, code))
    return Territory(kind, code, str(match.iloc[0]["label"]))


def resolve_key(text: str) -> Territory:
    return resolve(*parse_key(text))


def qpv_codes(territory: Territory) -> list[str]:
    """Codes of the QPV (both generations) that belong to the territory, in registry order."""
    return list(_qpv_codes_of(territory.kind, territory.code, store.version()))


@functools.lru_cache(maxsize=256)
def _qpv_codes_of(kind: str, code: str, data_version: tuple) -> tuple[str, ...]:
    territory = Territory(kind, code, "")
    qpv = store.table("qpv")
    if territory.kind == COUNTRY:
        return tuple(qpv["code_qp"])
    if territory.kind == "QPV":
        return (territory.code,)
    links = store.table("qpv_communes")
    communes = store.table("communes")
    code_col, _ = COLUMNS[territory.kind]
    inside = set(communes.loc[communes[code_col] == territory.code, "insee_com"])
    if territory.kind == "COM":
        inside.add(territory.code)
    members = set(links.loc[links["insee_com"].isin(inside), "code_qp"])
    # QPV 2015 communes that merged since 2015 are unknown to COG 2025: use the registry's own links.
    if territory.kind in ("DEP", "REG"):
        column = "insee_dep" if territory.kind == "DEP" else "insee_reg"
        members |= set(qpv.loc[qpv[column] == territory.code, "code_qp"])
    return tuple(c for c in qpv["code_qp"] if c in members)


def children(kind: str, parent: Territory | None = None) -> pd.DataFrame:
    """Territories of ``kind`` (code, label) that contain at least one QPV, within ``parent``.

    Used by the cascading selectors (région → département → EPCI → commune).
    """
    parent_key = None if parent is None else (parent.kind, parent.code)
    return _children_of(kind, parent_key, store.version()).copy()


@functools.lru_cache(maxsize=256)
def _children_of(kind: str, parent: tuple[str, str] | None, data_version: tuple) -> pd.DataFrame:
    qpv = store.table("qpv")
    links = _qpv_commune_links(data_version)
    if parent is not None:
        code_col, _ = COLUMNS[parent[0]]
        links = links[links[code_col] == parent[1]]
    code_col, label_col = COLUMNS[kind]
    frame = links[[code_col, label_col]].dropna().drop_duplicates(code_col)
    if kind == "REG" and parent is None:
        extra = qpv[["insee_reg", "lib_reg"]].dropna().drop_duplicates("insee_reg")
        frame = pd.concat([frame, extra.rename(columns={"insee_reg": code_col, "lib_reg": label_col})])
        frame = frame.drop_duplicates(code_col)
    frame = frame.rename(columns={code_col: "code", label_col: "label"})
    return frame.sort_values("label", key=lambda s: s.map(fold)).reset_index(drop=True)


def territory_notes(territory: Territory) -> list[str]:
    """French sentences to show with the data of ``territory`` (territory notes, fiche, annex limits).

    Today: the Mayotte note (``MAYOTTE_NOTE``) whenever the territory holds a QPV of Mayotte."""
    if territory.kind == "QPV":
        codes = [territory.code]
    else:
        codes = qpv_codes(territory)
    if any(str(code).startswith(("QN976", "QP976")) for code in codes):
        return [MAYOTTE_NOTE]
    return []


@functools.lru_cache(maxsize=4)
def _qpv_commune_links(data_version: tuple) -> pd.DataFrame:
    """Each QPV × commune link with the commune's département, EPCI and région (joined once per version)."""
    return store.table("qpv_communes").merge(store.table("communes"), on="insee_com", how="inner")
