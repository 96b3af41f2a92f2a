"""Géorisques — major risks listed per commune (GASPAR/DDRM) and natural disaster decrees (CatNat):
the national GASPAR archive, with the Géorisques API as fallback.

Traps handled (``shared/docs/data-sources.md`` §6): archive members with dated names
(``catnat_gaspar_2025-01-31.csv``) **and** legacy names, their two schemas, the API envelope, and the
derived regional DDRM file (one row per commune, codes joined inside one field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry imports the publishers: only for annotations
    from sources.registry import Source

from pathlib import Path
from sources import http
import pandas as pd
import re
import zipfile
from sources.fetching import Context, Fetched, chunks, csv_bytes, follow_pages, product_path
from core.errors import SourceError, SourceFormatError, SourceUnavailableError
from sources.publishers.common import commune_codes, read_bytes, read_csv_text, read_delimited, require_columns, sniff_text, unique_key



_CODE_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def _risk_sort_key(code: str) -> tuple[int, int, str]:
    """Numeric order (11 < 112 < 12), then text codes (``AUTRE``) last."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def read_gaspar_ddrm(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Major risks listed per commune (GASPAR/DDRM) → ``insee_com`` and ``risques`` (list of codes).

    Two layouts are accepted: the derived regional file (``cod_commune;num_risques``, one row per
    commune, the codes joined by ``,`` inside the second field) and the official member
    ``ddrm_risq_gaspar_<date>.csv`` (``cod_commune;lib_commune;lib_risque;num_risque``, one row per
    commune × risk). Presence only, no severity; a commune absent from the file is *unknown*, not
    risk-free. Codes stay text (``AUTRE`` exists), sorted numerically, without duplicates.
    """
    # The field separator is the one of the header line; the list separator inside ``num_risques``
    # is then whatever non-alphanumeric character joins the codes (a comma in the derived file).
    frame, name = read_delimited(source, name)
    frame.columns = frame.columns.str.lower()
    if "num_risques" in frame.columns:
        require_columns(frame, ["cod_commune", "num_risques"], name)
        lists = frame["num_risques"].fillna("").astype(str).map(
            lambda cell: [c for c in _CODE_SPLIT.split(cell) if c]
        )
        long = pd.DataFrame({"insee_com": commune_codes(frame["cod_commune"], name), "risque": lists})
        long = long.explode("risque")
    else:
        require_columns(frame, ["cod_commune", "num_risque"], name)
        long = pd.DataFrame(
            {
                "insee_com": commune_codes(frame["cod_commune"], name),
                "risque": frame["num_risque"].astype("string").str.strip(),
            }
        )
    long["risque"] = long["risque"].astype("string").str.upper()
    bad = long["risque"].notna() & ~long["risque"].str.fullmatch(r"[0-9]{2,3}|AUTRE").fillna(False)
    if bad.any():
        raise SourceFormatError(name, f"code de risque inattendu « {long.loc[bad, 'risque'].iloc[0]} ».")
    codes: dict[str, list[str]] = {}
    for commune, risk in zip(long["insee_com"].tolist(), long["risque"].tolist()):
        bucket = codes.setdefault(str(commune), [])
        if isinstance(risk, str) and risk not in bucket:
            bucket.append(risk)
    communes = sorted(codes)
    return pd.DataFrame(
        {
            "insee_com": pd.array(communes, dtype="string"),
            "risques": [sorted(codes[c], key=_risk_sort_key) for c in communes],
        }
    )


def read_gaspar_labels(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """GASPAR risk code → label (``num_risque`` text, ``libelle``), for legends and fiches."""
    data, name = read_bytes(source, name)
    frame = read_csv_text(sniff_text(data, name), name, sep=";")
    if frame.shape[1] < 2:
        raise SourceFormatError(name, "séparateur « ; » attendu : une seule colonne lue.")
    require_columns(frame, ["num_risque", "lib_risque"], name)
    out = pd.DataFrame(
        {
            "num_risque": frame["num_risque"].astype("string").str.strip().to_numpy(),
            "libelle": frame["lib_risque"].astype("string").str.strip().to_numpy(),
        }
    )
    unique_key(out, ["num_risque"], name, "code de risque")
    return out


#: Member name patterns: dated (current) and legacy names.
GASPAR_MEMBERS = {
    "ddrm": r"^(ddrm_risq_gaspar(_\d{4}-\d{2}-\d{2})?|risq_gaspar)\.csv$",
    "catnat": r"^catnat_gaspar(_\d{4}-\d{2}-\d{2})?\.csv$",
}


def gaspar_member(source: Path, kind: str, *, name: str) -> tuple[str, bytes]:
    """The newest member of ``kind`` (``ddrm`` or ``catnat``) in the GASPAR archive: dated names sort by date,
    and a dated name is preferred over a legacy one."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(name, f"archive ZIP tronquée ou abîmée ({exc}).") from exc
    regex = re.compile(GASPAR_MEMBERS[kind], re.I)
    matches = [m for m in names if regex.match(m.rsplit("/", 1)[-1])]
    if not matches:
        raise SourceFormatError(name, f"fichier « {kind} » absent de l'archive GASPAR (noms lus : "
                                      f"{', '.join(n.rsplit('/', 1)[-1] for n in names[:8])}).")
    dated = sorted(m for m in matches if re.search(r"\d{4}-\d{2}-\d{2}", m))
    member = dated[-1] if dated else sorted(matches)[-1]
    with zipfile.ZipFile(source) as archive:
        return member, as_utf8(archive.read(member))


def as_utf8(data: bytes) -> bytes:
    """GASPAR members have been seen in UTF-8 and in Latin-1 (§10: importers disagree): sniffed, and
    Latin-1 re-encoded as UTF-8 so that the common readers accept it (only commune names differ)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")
    return data


_CATNAT_SCHEMAS = (
    # current dated members
    {"code_commune": "insee_com", "id_gaspar": "id", "num_risque_jo": "risque", "lib_risque_jo": "libelle_risque",
     "date_debut": "date_debut", "date_fin": "date_fin", "date_signature_arrete": "date_arrete",
     "date_publication_jo": "date_jo"},
    # legacy catnat_gaspar.csv
    {"cod_commune": "insee_com", "cod_nat_catnat": "id", "num_risque_jo": "risque", "lib_risque_jo": "libelle_risque",
     "dat_deb": "date_debut", "dat_fin": "date_fin", "dat_pub_arrete": "date_arrete", "dat_pub_jo": "date_jo"},
    # Géorisques API /gaspar/catnat
    {"code_insee": "insee_com", "code_national_catnat": "id", "libelle_risque_jo": "libelle_risque",
     "date_debut_evt": "date_debut", "date_fin_evt": "date_fin", "date_publication_arrete": "date_arrete",
     "date_publication_jo": "date_jo"},
    # our own normalised copy (what the update stages)
    {"insee_com": "insee_com", "id": "id", "date_arrete": "date_arrete", "date_jo": "date_jo"},
)


CATNAT_COLUMNS = ["insee_com", "id", "risque", "libelle_risque", "date_debut", "date_fin", "date_arrete", "date_jo"]


def _catnat_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for schema in _CATNAT_SCHEMAS:
        key = next(iter(schema))
        if key in frame.columns:
            required = [c for c in schema if c not in ("num_risque_jo", "lib_risque_jo", "dat_fin", "date_fin",
                                                        "date_fin_evt")]
            require_columns(frame, required, name)
            out = frame.rename(columns=schema)
            for column in CATNAT_COLUMNS:
                if column not in out.columns:
                    out[column] = pd.NA
            out = out[CATNAT_COLUMNS].astype("string")
            out["insee_com"] = out["insee_com"].str.strip().str.zfill(5)
            bad = ~out["insee_com"].str.fullmatch(r"[0-9][0-9AB][0-9]{3}").fillna(False)
            if bad.any():
                raise SourceFormatError(name, f"code commune invalide « {out.loc[bad, 'insee_com'].iloc[0]} ».")
            return out.reset_index(drop=True)
    raise SourceFormatError(name, "colonne du code commune absente (code_commune, cod_commune ou code_insee) : "
                                  "fichier CatNat renommé ou modifié ?")


def read_catnat(source: Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """CatNat decrees per commune from a GASPAR member (dated or legacy schema), ``;`` separated."""
    frame, name = read_delimited(source, name)
    return _catnat_frame(frame, name)


def catnat_from_api(records: list[dict], *, name: str) -> pd.DataFrame:
    """Géorisques API ``/gaspar/catnat`` records → the same frame as ``read_catnat``."""
    if not records:
        return pd.DataFrame({c: pd.array([], dtype="string") for c in CATNAT_COLUMNS})
    return _catnat_frame(pd.DataFrame(records).astype("string"), name)


def decree_keys(catnat: pd.DataFrame) -> pd.Series:
    """One key per decree: the *date part* (first 10 characters) of its signature and publication dates.

    The 2026 GASPAR export lists the same decree several times, at different clock times
    (``2003-12-12 00:00:00`` and ``2003-12-12 10:30:00``) and as exact duplicates: keyed on the full
    timestamp, CatNat counts would be inflated. A row without dates falls back on its decree id."""
    arrete = catnat["date_arrete"].fillna("").str.strip().str[:10] + "|" + catnat["date_jo"].fillna("").str.strip().str[:10]
    return arrete.where(arrete != "|", catnat["id"].fillna(""))


def count_catnat(catnat: pd.DataFrame) -> pd.Series:
    """Number of distinct decrees per commune (one decree can list several events, several clock times
    and exact duplicates: counted once, see ``decree_keys``)."""
    pairs = pd.DataFrame({"insee_com": catnat["insee_com"], "arrete": decree_keys(catnat)}).drop_duplicates()
    return pairs.groupby("insee_com").size().astype("float64")


def georisques_page(payload: object, *, name: str) -> tuple[list[dict], str | None]:
    """One Géorisques API v1 page → ``data`` records and the ``next`` URL (None on the last page)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SourceFormatError(name, "réponse de l'API Géorisques sans liste « data » (format changé ?).")
    nxt = payload.get("next")  # as given: the caller resolves and checks it (another scheme fails the source)
    return payload["data"], nxt if isinstance(nxt, str) and nxt.strip() else None


def ddrm_from_api(records: list[dict], *, name: str) -> bytes:
    """Géorisques ``/gaspar/risques`` records → CSV bytes in the official ``ddrm_risq_gaspar`` layout."""
    lines = ["cod_commune;lib_commune;lib_risque;num_risque"]
    for record in records:
        if "code_insee" not in record or not isinstance(record.get("risques_detail"), list):
            raise SourceFormatError(name, "enregistrement sans « code_insee » ou « risques_detail ».")
        for risk in record["risques_detail"]:
            label = str(risk.get("libelle_risque_long", "")).replace(";", ",")
            lines.append(f"{record['code_insee']};{str(record.get('libelle_commune', '')).replace(';', ',')};"
                         f"{label};{risk.get('num_risque', '')}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _ddrm_csv(table: pd.DataFrame) -> bytes:
    """Risks per commune (``read_gaspar_ddrm``'s table) in the official ``ddrm_risq_gaspar`` layout."""
    rows = [f"{c};;;{r}" for c, risks in zip(table["insee_com"], table["risques"], strict=True) for r in risks]
    return ("cod_commune;lib_commune;lib_risque;num_risque\n" + "\n".join(rows) + "\n").encode("utf-8")


#: Per archive member (``params["member"]``): how the restricted table is written for the pipeline, and
#: how records of the API fallback are turned into the same file.
_MEMBER_FILES = {
    "ddrm": (_ddrm_csv, ddrm_from_api),
    "catnat": (csv_bytes, lambda records, name: csv_bytes(catnat_from_api(records, name=name))),
}


def _gaspar_product(ctx: Context, src: Source, data: bytes, name: str) -> bytes:
    """The member restricted to the communes of the territory's QPV (the national file is large)."""
    wanted = set(ctx.with_arrondissements(ctx.qpv_communes))
    table = src.parse(data, name=name)
    write, _ = _MEMBER_FILES[src.params["member"]]
    return write(table[table["insee_com"].isin(wanted)])


def fetch_gaspar(ctx: Context, src: Source) -> Fetched:
    """National GASPAR archive (dated member names), or the Géorisques API per commune if it fails."""
    kind = src.params["member"]
    try:
        def validate(path: Path) -> None:
            member, data = gaspar_member(path, kind, name=src.label)
            _gaspar_product(ctx, src, data, f"{src.label} ({member})")

        result = ctx.download(src.url, http.raw_path(src.url, source=src.label), source=src.label, expect="zip",
                              validate=validate)
        member, data = gaspar_member(result.path, kind, name=src.label)
        product = _gaspar_product(ctx, src, data, f"{src.label} ({member})")
        dated = re.search(r"\d{4}-\d{2}-\d{2}", member)
        vintage = f"extraction du {dated.group(0)}" if dated else f"archive ({member})"
        nbytes, reused = result.nbytes, result.reused
    except http.BudgetExceededError:
        raise
    except SourceError as bulk_error:
        try:
            product = _gaspar_api(ctx, src)
        except http.BudgetExceededError:
            raise
        except SourceError as api_error:
            raise SourceUnavailableError(src.label, f"archive : {bulk_error.problem} Repli sur l'API Géorisques "
                                                    f"impossible : {api_error.problem}") from api_error
        vintage, nbytes, reused = "API Géorisques (repli)", 0, False
    stored = http.save_product(product_path(src, ctx, ".csv"), product, source=src.label,
                               extra_meta={"url": src.url, "millesime": vintage})
    return Fetched({src.stage[0]: stored.path}, nbytes, reused=reused, vintage=vintage)


#: Commune codes per call of the Géorisques API.
API_CODES_PER_CALL = 10


def _gaspar_api(ctx: Context, src: Source) -> bytes:
    communes = ctx.with_arrondissements(ctx.qpv_communes)
    records: list[dict] = []
    # One script says « pas plus de 20 codes Insee », another project "max 10": 10 until confirmed (§10).
    for chunk in chunks(communes, API_CODES_PER_CALL):
        params = {"code_insee": ",".join(chunk), "page_size": 100}
        records.extend(follow_pages(ctx, src, src.params["api"], params, georisques_page, 500))
    _, from_api = _MEMBER_FILES[src.params["member"]]
    return from_api(records, name=src.label)
