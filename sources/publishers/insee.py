"""Parsers for the official file formats, with their real traps.

Every parser takes the raw bytes (or a path) and returns typed pandas frames. Codes stay strings; a
blank cell stays missing (secret statistique), never zero. Each parser raises ``SourceFormatError``
naming the source and the problem instead of letting pandas fail deep inside.

Traps handled (see ``shared/docs/data-sources.md`` §3.0): ``;`` separator and decimal comma; thousands
separators U+202F (DEMO/REVN/IPRO) and U+00A0 (data_filo18/19); UTF-8 with or without BOM; header
padded with hundreds of ``;``; column names with trailing spaces; ``Ensemble`` rows; lower-case older
names in data_filo16/17; RPLS with ``,`` separator and mixed decimal marks; Excel-protected codes
``="13055;13070"`` in the ANCT QPV list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from sources import http, store
import numpy as np
from urllib.parse import urljoin
from sources.fetching import Context, Fetched, beside, csv_bytes, product_path
from core.reasons import SECRET
from sources.publishers.common import ZIP_MAGIC, check_numeric, csv_or_zip_member, iris_codes, numeric_with_reason, read_bytes, read_csv_text, read_json, require_columns, sniff_text, to_number, unique_key, zip_member

import html as html_lib
import re
import unicodedata
from pathlib import Path

import pandas as pd

from core.errors import SourceError, SourceFormatError


def read_insee_qpv(
    source: Path | bytes,
    columns: list[str],
    *,
    name: str | None = None,
    text_columns: tuple[str, ...] = ("LIBGEO", "LIB_COM"),
) -> pd.DataFrame:
    """INSEE per-QPV file (DEMO/REVN/IPRO/data_filo) → frame indexed by QPV code.

    Only ``columns`` are converted and returned (plus the text columns present); they must exist.
    The ``Ensemble`` row (all QPV together) is returned separately by ``read_insee_qpv_ensemble``.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    return _qpv_values(frame, columns, name, text_columns)


def _qpv_values(
    frame: pd.DataFrame, columns: list[str], name: str, text_columns: tuple[str, ...]
) -> pd.DataFrame:
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    key = frame.columns[0]
    if key.upper() != "CODGEO":
        raise SourceFormatError(name, f"première colonne « {key} » au lieu de CODGEO.")
    require_columns(frame, columns, name)
    frame = frame[frame[key].str.strip() != "Ensemble"].copy()
    frame[key] = frame[key].str.strip()
    if frame[key].duplicated().any():
        dup = frame.loc[frame[key].duplicated(), key].iloc[0]
        raise SourceFormatError(name, f"code QPV en double : {dup}.")
    out = pd.DataFrame(index=pd.Index(frame[key].to_numpy(), name="code_qp"))
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    for column in text_columns:
        if column in frame.columns and column not in out.columns:
            out[column] = frame[column].to_numpy()
    return out


def read_insee_qpv_ensemble(source: Path | bytes, columns: list[str], *, name: str | None = None) -> pd.Series:
    """The ``Ensemble`` row (value for all QPV together) of an INSEE per-QPV file, or an empty Series."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    require_columns(frame, columns, name)
    rows = frame[frame[frame.columns[0]].str.strip() == "Ensemble"]
    if rows.empty:
        return pd.Series(dtype="float64")
    return pd.Series({c: to_number(rows[c]).iloc[0] for c in columns}, dtype="float64")


#: Older (2016, 2017) → newer (2018+) Filosofi QPV names, per concept.
def filosofi_qpv_columns(year: int) -> dict[str, str]:
    """Column names of ``data_filoYY_qp_revdis`` for a year, keyed by our concept names."""
    yy = f"{year % 100:02d}"
    if year <= 2017:
        return {"revenu_median": f"disp_q2_a{yy}", "taux_pauvrete": f"tp60_a{yy}", "note": "note"}
    return {
        "revenu_median": f"DISP_MED_A{yy}",
        "taux_pauvrete": f"DISP_TP60_A{yy}",
        "note": f"DISP_NOTE_A{yy}",
    }


def read_filosofi_qpv(source: Path | bytes, year: int, *, name: str | None = None) -> pd.DataFrame:
    """``data_filoYY_qp_revdis`` → ``revenu_median``, ``taux_pauvrete``, ``note`` per QPV code."""
    mapping = filosofi_qpv_columns(year)
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    # data_filo16/17 use a lower-case key: normalise before the shared checks.
    if frame.shape[1] >= 1 and frame.columns[0].upper() == "CODGEO":
        frame = frame.rename(columns={frame.columns[0]: "CODGEO"})
    values = _qpv_values(frame, list(mapping.values()), name, ())
    return values.rename(columns={v: k for k, v in mapping.items()})


def read_filosofi_territory(
    source: Path | bytes, columns: list[str], *, name: str | None = None
) -> pd.DataFrame:
    """``FILOyyyy_DISP_{COM,EPCI,DEP,REG,METROPOLE}``: one row per territory code."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    require_columns(frame, ["CODGEO", "LIBGEO", *columns], name)
    out = pd.DataFrame(
        {"code": frame["CODGEO"].str.strip().to_numpy(), "libelle": frame["LIBGEO"].to_numpy()}
    )
    for column in columns:
        raw = frame[column].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, column)
        out[column] = parsed.to_numpy()
    return out


def read_qpv2015_commune(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """TAG_QPV_2015 extraction: ``code, nom_qp, insee_com`` → ``code_qp, lib_qp, insee_com``."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, ["code", "nom_qp", "insee_com"], name)
    return frame.rename(columns={"code": "code_qp", "nom_qp": "lib_qp"})[["code_qp", "lib_qp", "insee_com"]]


def find_file_links(html: str, page_url: str, pattern: str, *, name: str) -> list[str]:
    """Absolute URLs of the links of an INSEE page whose file name matches ``pattern`` (case-insensitive).

    INSEE renames files with each edition, so the registry gives the page and a pattern, never the
    file URL; CSV links come first, then ZIP, then the rest.
    """
    regex = re.compile(pattern, re.I)
    links = []
    for href in re.findall(r"""href\s*=\s*["']([^"']+)["']""", html, flags=re.I):
        filename = href.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if regex.search(filename):
            try:
                links.append(urljoin(page_url, href))
            except ValueError:  # a malformed link (``http://[``): not a file of the page
                continue
    if not links:
        raise SourceFormatError(name, f"aucun lien vers un fichier « {pattern} » sur la page {page_url} "
                                      "(page réorganisée ou fichier renommé ?).")
    order = {".csv": 0, ".zip": 1}
    unique = list(dict.fromkeys(links))
    return sorted(unique, key=lambda u: order.get(Path(u.split("?", 1)[0]).suffix.lower(), 2))


def read_melodi(source: Path | bytes | dict, *, name: str | None = None,
                measure: str = "OBS_VALUE_NIVEAU") -> pd.DataFrame:
    """INSEE Melodi ``/data/{DS}`` answer → ``niveau, code, geo_millesime, periode, valeur, raison`` + dims.

    ``GEO`` embeds the COG vintage (``2025-COM-44215``): split into level, code and vintage. A value
    answered as ``{}`` is not published (secret): NaN with reason ``secret_statistique``, never 0.
    """
    payload, name = read_json(source, name)
    if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
        raise SourceFormatError(name, "réponse Melodi sans liste « observations » (format changé ?).")
    rows = []
    for obs in payload["observations"]:
        dims = obs.get("dimensions") or {}
        measures = obs.get("measures") or {}
        if "GEO" not in dims:
            raise SourceFormatError(name, "dimension « GEO » absente d'une observation Melodi.")
        if measure not in measures:
            raise SourceFormatError(name, f"mesure « {measure} » absente d'une observation Melodi.")
        parts = str(dims["GEO"]).split("-")
        vintage = parts.pop(0) if len(parts) >= 3 and parts[0].isdigit() else None
        level, code = (parts[0], "-".join(parts[1:])) if len(parts) >= 2 else ("", parts[0])
        cell = measures[measure]
        value = cell.get("value") if isinstance(cell, dict) else cell
        number = pd.to_numeric(value, errors="coerce") if value is not None else np.nan
        rows.append({"niveau": level, "code": code, "geo_millesime": vintage,
                     "periode": dims.get("TIME_PERIOD"), "valeur": float(number) if pd.notna(number) else np.nan,
                     "raison": pd.NA if pd.notna(number) else SECRET,
                     **{k: v for k, v in dims.items() if k not in ("GEO", "TIME_PERIOD")}})
    frame = pd.DataFrame(rows, columns=None if rows else ["niveau", "code", "geo_millesime", "periode",
                                                          "valeur", "raison"])
    frame["raison"] = frame["raison"].astype("string")
    return frame


def melodi_next(payload: dict) -> str | None:
    """``paging.next`` as given (the caller resolves and checks it: another scheme fails the source)."""
    paging = payload.get("paging") if isinstance(payload, dict) else None
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, str) and nxt.strip() else None


def melodi_more(payload: dict) -> bool:
    """``paging.isLast`` is false: another page follows, asked with ``page=N+1`` (§10: ``paging.next`` is not
    confirmed, ``count``, ``isLast`` and ``page`` are)."""
    paging = payload.get("paging") if isinstance(payload, dict) else None
    return isinstance(paging, dict) and paging.get("isLast") is False


QPV2024_COLUMNS = {
    "revenu_median": r"^(DISP_MED|DISP_Q2)(_A)?21$",
    "taux_pauvrete": r"^(DISP_)?TP60(_A)?21$",
    "population": r"^(POP(_MUN)?(_RP)?(_?20)?|POP_?MUN_?20|POPMUNIQPV|POPULATION)$",
}
#: Key columns of the QPV 2024 files (INSEE's ``CODGEO``; ``code_qp`` in the product of the fallback).
QPV2024_KEYS = ("CODGEO", "CODE_QP", "CODEQPV", "CODE_QPV", "QP", "CODE")
#: What INSEE writes in place of a masked value in its 2021 files (secret statistique).
QPV2024_MASKS = ("nd", "ns", "s")


def read_insee_qpv2024(source: Path | bytes, concepts: list[str], *, name: str | None = None) -> pd.DataFrame:
    """INSEE file per QPV 2024 (Filosofi 2021 or RP 2020) → frame indexed by ``code_qp`` with ``concepts``
    and, for each, ``<concept>_raison`` (``secret_statistique`` where the value is masked).

    The 2024-generation files follow the INSEE QPV conventions (``;``, BOM, decimal comma, narrow
    no-break thousands separators, a ``CODGEO`` key); the masks ``nd``, ``ns``, ``s`` and blank cells
    are secret values, turned into missing values *before* the numeric check (any other text is a
    shifted or renamed column and refuses the file). Column names are matched by pattern
    (``DISP_MED21``/``DISP_MED_A21``…) because they are not documented offline.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    key = next((c for c in frame.columns if c.upper() in QPV2024_KEYS), None)
    if key is None:
        raise SourceFormatError(name, "colonne du code QPV (CODGEO) absente.")
    frame = frame[frame[key].astype(str).str.strip().str.fullmatch(r"Q[NP][0-9A-Z]{6}")].reset_index(drop=True)
    out = pd.DataFrame(index=pd.Index(frame[key].str.strip().to_numpy(), name="code_qp"))
    for concept in concepts:
        regex = re.compile(QPV2024_COLUMNS[concept], re.I)
        column = next((c for c in frame.columns if regex.match(c)), None)
        if column is None:
            raise SourceFormatError(name, f"colonne de « {concept} » absente (attendue : {QPV2024_COLUMNS[concept]}).")
        values, reason = numeric_with_reason(frame, column, name, QPV2024_MASKS)
        out[concept] = values.to_numpy()
        out[f"{concept}_raison"] = reason.to_numpy()
    if out.index.duplicated().any():
        raise SourceFormatError(name, f"code QPV en double : {out.index[out.index.duplicated()][0]}.")
    return out


FILOSOFI_IRIS_TOKENS = ("nd", "ns", "s")


def read_filosofi_iris(source: Path | bytes, year: int, *, name: str | None = None) -> pd.DataFrame:
    """Filosofi disposable income per IRIS → ``code_iris, insee_com, taux_pauvrete, revenu_median``
    and, when the file has them, the deciles ``dec_1`` … ``dec_9``.

    ``taux_pauvrete`` is ``DISP_TP60yy`` (%), ``revenu_median`` is ``DISP_MEDyy`` (€ per consumption
    unit). Blank cells (2019) and the tokens ``nd``/``ns``/``s`` (2021) are secret: NaN with reason
    ``secret_statistique`` in ``taux_pauvrete_raison`` / ``revenu_median_raison``. ``note`` is the
    INSEE quality flag when the file has one (``DISP_NOTEyy``).
    """
    yy = f"{year % 100:02d}"
    mapping = {"taux_pauvrete": f"DISP_TP60{yy}", "revenu_median": f"DISP_MED{yy}"}
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["IRIS", *mapping.values()], name)
    out = pd.DataFrame({"code_iris": iris_codes(frame["IRIS"], name).to_numpy()})
    if "COM" in frame.columns:
        out["insee_com"] = frame["COM"].astype("string").str.strip().to_numpy()
    for ours, theirs in mapping.items():
        values, reason = numeric_with_reason(frame, theirs, name, FILOSOFI_IRIS_TOKENS)
        out[ours] = values.to_numpy()
        out[f"{ours}_raison"] = reason.to_numpy()
    # Deciles D1…D9 (D5 = the median): always published, even where the rate is secret; the pipeline
    # recomputes masked poverty rates from them (``indicators.rules.poverty_rate_from_deciles``).
    decile_columns = [f"DISP_D{k}{yy}" if k != 5 else f"DISP_MED{yy}" for k in range(1, 10)]
    if all(c in frame.columns for c in decile_columns):
        for k, column in enumerate(decile_columns, start=1):
            out[f"dec_{k}"] = numeric_with_reason(frame, column, name, FILOSOFI_IRIS_TOKENS)[0].to_numpy()
    note = f"DISP_NOTE{yy}"
    if note in frame.columns:
        out["note"] = numeric_with_reason(frame, note, name, FILOSOFI_IRIS_TOKENS)[0].to_numpy()
    unique_key(out, ["code_iris"], name, "code IRIS")
    return out


CAF_COUNTS = ["A", "ARSAS", "AAPL"]


def read_caf_iris(
    source: Path | bytes, *, columns: list[str] | None = None, name: str | None = None
) -> pd.DataFrame:
    """CNAF allocataires per IRIS → ``code_iris, note`` and counts (default ``A``, ``ARSAS``, ``AAPL``).

    ``A`` = allocataires, ``ARSAS`` = RSA socle, ``AAPL`` = APL (numbers of allocataires, not rates).
    Blank = secret (NaN, never 0); ``note`` is the file's quality/secrecy flag (0 = published).
    """
    wanted = list(columns or CAF_COUNTS)
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["CODGEO", *wanted], name)
    out = pd.DataFrame({"code_iris": iris_codes(frame["CODGEO"], name).to_numpy()})
    if "NOTE" in frame.columns:
        out["note"] = numeric_with_reason(frame, "NOTE", name)[0].to_numpy()
    for column in wanted:
        out[column] = numeric_with_reason(frame, column, name)[0].to_numpy()
    unique_key(out, ["code_iris"], name, "code IRIS")
    return out


#: The only columns of the third-party copy of INSEE's "population des QPV 2024" (RP 2020) that may be
#: used (``shared/docs/data-sources.md`` §3.6): population, households and household sizes.
QPV2024_POPULATION_COLUMNS = {"popMuniQPV": "population", "nombre_menages": "nombre_menages",
                              "partMen1p": "part_menages_1pers"}


def read_qpv2024_population(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Third-party copy of INSEE's QPV 2024 population file → ``population``, ``nombre_menages``,
    ``part_menages_1pers`` per QPV 2024 code (one row per QPV; the file repeats a multi-commune QPV).

    Only the columns allowed by the manifest are read; the poverty, CAF, employment, social-housing and
    origin columns of that file are never used. A QPV listed twice with different values is refused.
    """
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=",")
    require_columns(frame, ["codeQPV", *QPV2024_POPULATION_COLUMNS], name)
    frame = frame[["codeQPV", *QPV2024_POPULATION_COLUMNS]].rename(columns={"codeQPV": "code_qp"})
    frame["code_qp"] = frame["code_qp"].str.strip()
    bad = ~frame["code_qp"].str.fullmatch(r"QN[0-9A-Z]{6}")
    if bad.any():
        raise SourceFormatError(name, f"code QPV 2024 invalide : « {frame.loc[bad, 'code_qp'].iloc[0]} ».")
    for theirs in QPV2024_POPULATION_COLUMNS:
        raw = frame[theirs].reset_index(drop=True)
        parsed = to_number(raw)
        check_numeric(raw, parsed, name, theirs)
        frame[theirs] = parsed.to_numpy()
    frame = frame.drop_duplicates()
    if frame["code_qp"].duplicated().any():
        dup = frame.loc[frame["code_qp"].duplicated(), "code_qp"].iloc[0]
        raise SourceFormatError(name, f"valeurs différentes pour le même QPV {dup}.")
    return frame.rename(columns=QPV2024_POPULATION_COLUMNS).set_index("code_qp")


COLUMNS = ["code_qp", "indicateur", "annee", "valeur"]


def read_filosofi_panel(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``code, revenu_median, taux_pauvrete, gini, s80s20, annee`` (``,``, decimal point) → long rows."""
    data, name = read_bytes(source, name)
    frame = pd.read_csv(pd.io.common.StringIO(sniff_text(data, name)), dtype=str, keep_default_na=False)
    require_columns(frame, ["code", "revenu_median", "taux_pauvrete", "annee"], name)
    long = frame.melt(id_vars=["code", "annee"], value_vars=["revenu_median", "taux_pauvrete"],
                      var_name="indicateur", value_name="valeur")
    long["valeur"] = pd.to_numeric(long["valeur"].replace("", pd.NA), errors="raise")
    long["annee"] = pd.to_numeric(long["annee"], errors="raise").astype("int16")
    long = long.rename(columns={"code": "code_qp"}).dropna(subset=["valeur"])
    return long[COLUMNS]


def read_population_evolution(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """``code, pop_2013, pop_2018, evol_pop_pct`` → long rows for 2013 and 2018."""
    data, name = read_bytes(source, name)
    frame = pd.read_csv(pd.io.common.StringIO(sniff_text(data, name)), dtype=str, keep_default_na=False)
    require_columns(frame, ["code", "pop_2013", "pop_2018"], name)
    long = frame.melt(id_vars=["code"], value_vars=["pop_2013", "pop_2018"], var_name="annee", value_name="valeur")
    long["annee"] = long["annee"].str[-4:].astype("int16")
    long["valeur"] = pd.to_numeric(long["valeur"].replace("", pd.NA), errors="raise")
    long["indicateur"] = "population"
    return long.rename(columns={"code": "code_qp"}).dropna(subset=["valeur"])[COLUMNS]


def fetch_insee_page(ctx: Context, src: Source) -> Fetched:
    """Publication page → link of the file (its name changes with each edition) → checked CSV."""
    return _file_of_page(ctx, src, src.url)


def _file_of_page(ctx: Context, src: Source, page_url: str, vintage: str = "") -> Fetched:
    """The file of ``src`` linked from the INSEE page ``page_url`` (pattern ``params["link"]``), downloaded
    and checked by the source's parser; a zipped file is staged as its data member (never ``meta_…``)."""
    found: dict = {}

    def check(html: str) -> None:
        found["links"] = find_file_links(html, page_url, src.params["link"], name=src.label)

    ctx.text(page_url, source=src.label, validate=check)
    url = ctx.found(found["links"][0], source=src.label)
    member = src.params["member"]

    def validate(path: Path) -> None:
        src.parse(csv_or_zip_member(path, member, name=src.label), src.params["columns"], name=src.label)

    result = ctx.download(url, http.raw_path(url, source=src.label), source=src.label, expect="any",
                          validate=validate, extra_meta={"page": page_url})
    staged = result.path
    if result.path.read_bytes()[:4] == ZIP_MAGIC:
        name, data = zip_member(result.path, member, name=src.label)
        staged = http.save_product(beside(result.path, result.path.name + "__" + name.rsplit("/", 1)[-1], src.label),
                                   data,
                                   source=src.label, extra_meta={"url": url, "membre": name}).path
    return Fetched({src.stage[0]: staged}, result.nbytes, reused=result.reused,
                   vintage=vintage + f"fichier {Path(url.split('?', 1)[0]).name}")


# ---------------------------------------------------------------------------------------------------
# QPV 2024 population (RP 2020): a page of the "sommaire", or the Observatoire des territoires
# ---------------------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text of an HTML fragment, lower case, without accents (to compare link texts)."""
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def sommaire_pages(html: str, page_url: str, sommaire: str, words: str, *, name: str) -> list[str]:
    """Pages of an INSEE "sommaire" (the collection the page belongs to) whose link text contains
    ``words`` (accents and case ignored): ``/fr/statistiques/<id>?sommaire=<sommaire>`` links other than
    the page itself, in the order of the page."""
    own = re.search(r"/statistiques/(\d+)", page_url)
    wanted = _plain(words)
    found = []
    for href, text in re.findall(r"""<a\b[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>""", html, flags=re.I | re.S):
        href = html_lib.unescape(href)
        page = re.search(r"/statistiques/(\d+)", href)
        if not page or f"sommaire={sommaire}" not in href or (own and page.group(1) == own.group(1)):
            continue
        if wanted in _plain(text):
            try:
                found.append(urljoin(page_url, href))
            except ValueError:
                continue
    if not found:
        raise SourceFormatError(name, f"aucune page « {words} » dans le sommaire {sommaire} de la page {page_url} "
                                      "(sommaire réorganisé ?).")
    return list(dict.fromkeys(found))


def read_odt_population(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Observatoire des territoires export (``GC_API_download.php … format=csv``) of ``pop_qp24_rp20``:
    population of the QPV 2024 of each commune (RP 2020) → ``insee_com, population``.

    The export may start with title lines before its ``codgeo;libgeo;<indicateur>`` header; ``;`` or
    ``,`` separated; masked or blank values are missing. [API parameters not confirmed offline]
    """
    data, name = read_bytes(source, name)
    text = sniff_text(data, name)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lower().lstrip('"').startswith("codgeo")), None)
    if start is None:
        raise SourceFormatError(name, "en-tête « codgeo » absent de l'export de l'Observatoire des territoires.")
    header = lines[start]
    sep = ";" if header.count(";") >= header.count(",") else ","
    frame = read_csv_text("\n".join(lines[start:]), name, sep=sep)
    frame.columns = [c.lower() for c in frame.columns]
    column = next((c for c in frame.columns if c.startswith("pop_qp24")), None)
    if column is None:
        raise SourceFormatError(name, "colonne « pop_qp24_rp20 » absente de l'export (indicateur renommé ?).")
    values, _ = numeric_with_reason(frame, column, name, QPV2024_MASKS)
    codes = frame["codgeo"].astype("string").str.strip().str.zfill(5)
    out = pd.DataFrame({"insee_com": codes.to_numpy(), "population": values.to_numpy()})
    return out[out["insee_com"].str.fullmatch(r"[0-9][0-9AB][0-9]{3}").fillna(False)].reset_index(drop=True)


def qpv_population_from_communes(per_commune: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Population of a QPV 2024 from the population *in QPV* of its commune, only where that is the
    same thing: the commune holds exactly one QPV 2024 and that QPV lies in no other commune."""
    links = links.drop_duplicates(["code_qp", "insee_com"])
    per_qpv = links.groupby("code_qp")["insee_com"].nunique()
    per_com = links.groupby("insee_com")["code_qp"].nunique()
    single = links[links["code_qp"].map(per_qpv).eq(1) & links["insee_com"].map(per_com).eq(1)]
    values = per_commune.dropna(subset=["population"]).set_index("insee_com")["population"]
    found = single[single["insee_com"].isin(values.index)]
    return pd.Series(found["insee_com"].map(values).to_numpy(), index=pd.Index(found["code_qp"], name="code_qp"),
                     name="population", dtype="float64")


def fetch_qpv2024_population(ctx: Context, src: Source) -> Fetched:
    """INSEE population of the QPV 2024 (RP 2020): its page is found in the collection ("sommaire") of
    the QPV 2024 publications, then its file as for any INSEE page. If INSEE cannot be used (page or file
    not found, site down), the Observatoire des territoires export ``pop_qp24_rp20`` (population in QPV
    per commune) gives the QPV that are alone in a single commune. A spent time budget stops both."""
    try:
        hub: dict = {}

        def check(html: str) -> None:
            hub["pages"] = sommaire_pages(html, src.url, src.params["sommaire"], src.params["page_text"],
                                          name=src.label)

        ctx.text(src.url, source=src.label, validate=check)
        page = ctx.found(hub["pages"][0], source=src.label)
        return _file_of_page(ctx, src, page, vintage="RP 2020, ")
    except http.BudgetExceededError:
        raise
    except SourceError as insee_error:
        try:
            return _odt_population(ctx, src)
        except http.BudgetExceededError:
            raise
        except SourceError as odt_error:
            raise SourceError(src.label, f"Insee : {insee_error.problem} Repli sur l'Observatoire des territoires "
                                         f"impossible : {odt_error.problem}") from odt_error


def _odt_population(ctx: Context, src: Source) -> Fetched:
    url = src.params["fallback"]
    result = ctx.download(url, http.raw_path(url, source=src.label), source=src.label, expect="csv",
                          validate=lambda p: read_odt_population(p, name=src.label))
    per_commune = read_odt_population(result.path, name=src.label)
    links = ctx.state.get("qpv2024_links")
    if links is None:
        known = store.table("qpv_communes")
        links = known.loc[known["generation"] == 2024, ["code_qp", "insee_com"]]
    population = qpv_population_from_communes(per_commune, links)
    wanted = population[population.index.isin(set(ctx.qpv24))]
    product = "code_qp;population\n" + "".join(f"{code};{value:g}\n" for code, value in wanted.items())
    stored = http.save_product(product_path(src, ctx, ".csv"), product.encode("utf-8"), source=src.label,
                               validate=lambda p: src.parse(p, src.params["columns"], name=src.label),
                               extra_meta={"url": url})
    note = (f"repli sur l'Observatoire des territoires : population de {len(wanted)} QPV 2024 sur "
            f"{len(ctx.qpv24)} (ceux qui sont seuls dans leur commune)")
    return Fetched({src.stage[0]: stored.path}, result.nbytes, reused=result.reused,
                   vintage="RP 2020 (Observatoire des territoires, pop_qp24_rp20)", notes=[note])


def fetch_melodi(ctx: Context, src: Source) -> Fetched:
    """Population of the communes of interest, one Melodi request per département (30 per minute)."""
    wanted = set(ctx.communes) | set(ctx.qpv_communes)
    frames = []
    for dep in ctx.departements(wanted):
        first = {"GEO": f"DEP-{dep}*COM", **src.params}
        url: str | None = src.url
        params: dict | None = first
        for page in range(1, 51):
            holder: dict = {}

            def check(payload: object) -> None:
                holder["frame"] = read_melodi(payload, name=src.label)

            answer = ctx.json(url, source=src.label, params=params, validate=check)
            frames.append(holder["frame"])
            nxt = melodi_next(answer.data)
            if nxt:
                url, params = http.resolve_found(nxt, answer.url, source=src.label, mirror=ctx.mirror), None
            elif melodi_more(answer.data):
                url, params = src.url, {**first, "page": page + 1}
            else:
                break
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if table.empty:
        raise SourceFormatError(src.label, "aucune observation renvoyée.")
    table = table[(table["niveau"].isin(["COM", "ARM"])) & table["code"].isin(wanted)]
    table = table.sort_values("periode").drop_duplicates("code", keep="last")
    out = table[["code", "periode", "valeur", "raison", "geo_millesime"]].reset_index(drop=True)
    result = http.save_product(product_path(src, ctx, ".csv"), csv_bytes(out), source=src.label,
                               extra_meta={"url": src.url})
    periods = sorted(out["periode"].dropna().unique())
    return Fetched({src.stage[0]: result.path}, vintage=f"population {periods[-1]}" if periods else None)


def read_qpv_file(source: Path | bytes, columns: list[str], *, name: str | None = None) -> pd.DataFrame:
    """An INSEE per-QPV thematic file (DEMO, REVN, IPRO): ``columns`` as numbers, one row per QPV code."""
    return read_insee_qpv(source, columns, name=name, text_columns=())


def read_filosofi_qpv_2019(source: Path | bytes, columns: list[str] = (), *, name: str | None = None) -> pd.DataFrame:
    """``data_filo19_qp_revdis``: ``revenu_median``, ``taux_pauvrete``, ``note`` per QPV (the 2019 column
    names are known, so ``columns`` is only there for the common signature of per-QPV files)."""
    return read_filosofi_qpv(source, 2019, name=name)


def read_melodi_product(source: Path, *, name: str | None = None) -> pd.DataFrame:
    """The staged Melodi product: population per commune (``code``, ``periode``, ``valeur``, ``raison``)."""
    return pd.read_csv(source, dtype={"code": str, "periode": str})
