"""Indicators imported from the users' own files (« données locales », issue #13): check, add, list, remove.

A CSV or XLSX keyed by QPV code is read by ``sources.local_files`` (which refuses, in French and naming the row
and column, what it cannot read), the metadata the person declares is checked here, and the indicator is stored
under ``<ECOQPV_DATA_DIR>/local/indicateurs/`` by ``sources.local_indicators``. From then on it is an indicator
like the others (map, fiche, Comparer, annex), marked « donnée locale »; it enters the scores only when the person
asks for it, per indicator.

Command line (``python -m loaders.local …``): ``check FICHIER``, ``add FICHIER --libelle … --unite … --sens …
--domaine … --millesime … --source …``, ``list``, ``remove ID``, ``scores ID oui|non``. ``check`` and ``add`` end
with exit code 0 and a French summary, or exit code 2 and a French message; never a traceback.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import datetime
from pathlib import Path

import settings
from core.errors import BadArgumentError, EcoqpvError, shown
from core.formats import format_number
from core.text import clean_text
from indicators.catalogue import DOMAINS
from indicators.local import DIRECTION_LABELS, DIRECTIONS
from sources import local_indicators, store
from sources.local_files import MAX_BYTES, LocalDataError, LocalTable, read_local_table

EXIT_OK = 0
EXIT_REFUSED = 2
#: What is said when the program itself fails on a file (a bug): never a traceback.
UNEXPECTED = ("Le fichier n'a pas pu être lu à cause d'une erreur inattendue du programme. Vérifiez qu'il s'agit "
              "bien d'un tableau .csv ou .xlsx ; si le problème continue, signalez-le en joignant le fichier.")
#: Longest declared texts.
MAX_LABEL = 120
MAX_UNIT = 30
MAX_VINTAGE = 40
MAX_SOURCE = 200


# --- reading ---------------------------------------------------------------------------------------------------


def known_codes() -> tuple[frozenset[str], frozenset[str]]:
    """QPV 2024 and QPV 2015 codes of the registry (empty when the data cannot be read: codes not checked)."""
    try:
        codes = store.table("qpv")["code_qp"].astype(str)
    except EcoqpvError:
        return frozenset(), frozenset()
    return (frozenset(c for c in codes if c.startswith("QN")), frozenset(c for c in codes if c.startswith("QP")))


def read_bytes(data: bytes, filename: str, value_column: str | None = None,
               code_column: str | None = None) -> LocalTable:
    """Read a user's file against the registry's codes; ``LocalDataError`` (French, row and column) when refused."""
    known_2024, known_2015 = known_codes()
    return read_local_table(data, filename, known_2024=known_2024, known_2015=known_2015,
                            value_column=value_column or None, code_column=code_column or None)


def read_path(path_text: str) -> bytes:
    """Bytes of a file named on the command line, refusing what cannot be a data file before reading it all."""
    path = Path(path_text)
    try:
        if not path.exists():
            raise LocalDataError(f"Le fichier « {shown(path_text)} » est introuvable.")
        if not path.is_file():
            raise LocalDataError(f"« {shown(path_text)} » n'est pas un fichier (c'est un dossier ou un périphérique).")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LocalDataError(f"Le fichier pèse {format_number(size / 1024 / 1024, 1)} Mo ; la limite est de "
                                 f"{MAX_BYTES // 1024 // 1024} Mo.")
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except PermissionError as exc:
        raise LocalDataError(f"Le fichier « {shown(path_text)} » ne peut pas être lu (droits insuffisants).") from exc
    except OSError as exc:
        reason = exc.strerror or "erreur disque"
        raise LocalDataError(f"Le fichier « {shown(path_text)} » ne peut pas être lu ({reason}).") from exc


# --- what the person declares ------------------------------------------------------------------------------------


def _declared(value: object, what: str, limit: int, required: bool = True) -> str:
    text = " ".join(clean_text(str(value or "")).split())
    if required and not text:
        raise BadArgumentError(f"{what[0].upper()}{what[1:]} est obligatoire : rien n'a été importé.")
    if len(text) > limit:
        raise BadArgumentError(f"{what[0].upper()}{what[1:]} est trop long ({len(text)} caractères, {limit} au plus) : "
                               "rien n'a été importé.")
    return text


def _fold(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").split()).casefold()


def check_domain(value: object) -> str:
    """A domain of the catalogue given by its id or its label (case and accents ignored)."""
    wanted = _fold(str(value or ""))
    for domain in DOMAINS.values():
        if wanted in (_fold(domain.id), _fold(domain.label)):
            return domain.id
    listed = ", ".join(f"{d.id} ({d.label})" for d in DOMAINS.values())
    raise BadArgumentError(f"Domaine inconnu : « {shown(value, 40)} ». Domaines possibles : {listed}.")


def check_direction(value: object) -> str:
    text = str(value or "").strip()
    if text not in DIRECTIONS:
        raise BadArgumentError(f"Sens inconnu : « {shown(text, 40)} ». Valeurs possibles : "
                               + ", ".join(f"{k} ({v})" for k, v in DIRECTION_LABELS.items()) + ".")
    return text


def new_id(label: str, taken: set[str]) -> str:
    """``local_<slug of the label>``, made unique among ``taken``."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:40].strip("_") or "indicateur"
    base = f"{local_indicators.PREFIX}{slug}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _decimals(table: LocalTable) -> int:
    values = table.frame["valeur"].dropna()
    if values.empty or (values == values.round()).all():
        return 0
    return 2 if values.abs().max() < 10 else 1


def add_table(table: LocalTable, *, libelle: object, unite: object, sens: object, domaine: object,
              millesime: object, source: object, dans_les_scores: bool = False) -> dict:
    """Store the table read from a file as a local indicator; returns its metadata."""
    label = _declared(libelle, "le libellé", MAX_LABEL)
    data = {
        "libelle": label, "unite": _declared(unite, "l'unité", MAX_UNIT, required=False),
        "sens": check_direction(sens), "domaine": check_domain(domaine),
        "millesime": _declared(millesime, "le millésime", MAX_VINTAGE),
        "source": _declared(source, "la source", MAX_SOURCE), "dans_les_scores": bool(dans_les_scores),
        "generation": int(table.generation), "fichier": clean_text(table.filename)[:200],
        "colonne": clean_text(table.value_column)[:200], "importe_le": datetime.now().isoformat(timespec="seconds"),
        "nb_quartiers": int(len(table.frame)), "decimales": _decimals(table),
    }
    data["id"] = new_id(label, {m["id"] for m in local_indicators.list_metadata()})
    local_indicators.write(data, table.frame)
    return data


def set_scored(indicator_id: str, scored: bool) -> dict:
    """Let a local indicator enter the scores, or take it out (stored with the indicator)."""
    return local_indicators.update_metadata(indicator_id, dans_les_scores=bool(scored))


def remove(indicator_id: str) -> bool:
    return local_indicators.remove(indicator_id) if local_indicators.ID_PATTERN.fullmatch(indicator_id or "") else False


def describe(data: dict) -> str:
    """One French line for a stored indicator (command line ``list``)."""
    domain = DOMAINS[data["domaine"]].label if data["domaine"] in DOMAINS else data["domaine"]
    unit = f" ({data['unite']})" if data["unite"] else ""
    count = int(data.get("nb_quartiers", 0))
    scores = "dans les scores" if data["dans_les_scores"] else "hors scores"
    return (f"{data['id']} — {data['libelle']}{unit} — {domain} — millésime {data['millesime']} — source : "
            f"{data['source']} — {format_number(count)} quartier{'s' if count > 1 else ''} (QPV {data['generation']}) "
            f"— {scores}")


# --- command line ------------------------------------------------------------------------------------------------


def _guarded(run, args) -> int:
    """Run a file command: a refusal is exit 2 with its French sentence; a bug too, without a traceback."""
    try:
        return run(args)
    except LocalDataError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except EcoqpvError:
        raise
    except Exception:  # the boundary: a bug must still end as a French sentence, never a traceback
        print(f"Erreur : {UNEXPECTED}", file=sys.stderr)
        return EXIT_REFUSED


def _cmd_check(args) -> int:
    def run(args) -> int:
        table = read_bytes(read_path(args.fichier), Path(args.fichier).name, args.colonne, args.colonne_code)
        print(table.summary_fr())
        return EXIT_OK
    return _guarded(run, args)


def _cmd_add(args) -> int:
    def run(args) -> int:
        table = read_bytes(read_path(args.fichier), Path(args.fichier).name, args.colonne, args.colonne_code)
        data = add_table(table, libelle=args.libelle, unite=args.unite, sens=args.sens, domaine=args.domaine,
                         millesime=args.millesime, source=args.source, dans_les_scores=args.dans_les_scores)
        print(table.summary_fr())
        print(f"Indicateur ajouté : {shown(describe(data), 600)}.")
        return EXIT_OK
    return _guarded(run, args)


def _cmd_list(args) -> int:
    found = local_indicators.list_metadata()
    if not found:
        print(f"Aucun indicateur local (dossier {local_indicators.folder()}).")
    for data in found:
        print(shown(describe(data), 600))
    return EXIT_OK


def _cmd_remove(args) -> int:
    if not remove(args.id):
        raise BadArgumentError(f"Indicateur local inconnu : « {shown(args.id, 60)} ». Liste : python -m loaders.local "
                               "list.")
    print(f"Indicateur local supprimé : {args.id}.")
    return EXIT_OK


def _cmd_scores(args) -> int:
    if local_indicators.metadata(args.id) is None:
        raise BadArgumentError(f"Indicateur local inconnu : « {shown(args.id, 60)} ».")
    data = set_scored(args.id, args.choix == "oui")
    print(f"{data['id']} : {'dans les scores' if data['dans_les_scores'] else 'hors scores'}.")
    return EXIT_OK


def register(subparsers) -> None:
    """``check``, ``add``, ``list``, ``remove`` and ``scores`` under ``python -m loaders.local``."""
    where = f"{local_indicators.FOLDER}/ du dossier de données (ECOQPV_DATA_DIR : {settings.DATA_DIR})"
    check = subparsers.add_parser("check", help="vérifier un fichier de données locales sans rien importer",
                                  description="Dit ce qui serait importé d'un fichier .csv ou .xlsx (une ligne par "
                                  "QPV), ou pourquoi il est refusé (ligne et colonne).")
    add = subparsers.add_parser("add", help="importer un fichier comme indicateur local",
                                description=f"Importe un fichier .csv ou .xlsx comme indicateur local, gardé dans {where}.")
    for parser in (check, add):
        parser.add_argument("fichier", help="fichier .csv ou .xlsx, une ligne par QPV (QN… ou QP…)")
        parser.add_argument("--colonne", default=None, help="colonne des valeurs : titre ou lettre (C)")
        parser.add_argument("--colonne-code", default=None, help="colonne des codes de QPV : titre ou lettre")
    check.set_defaults(handler=_cmd_check)
    add.add_argument("--libelle", required=True, help=f"nom de l'indicateur ({MAX_LABEL} caractères au plus)")
    add.add_argument("--unite", required=True, help="unité (%%, €, logements…)")
    add.add_argument("--sens", required=True, choices=list(DIRECTIONS), help="sens de lecture de la valeur")
    add.add_argument("--domaine", required=True, help="domaine : " + ", ".join(DOMAINS))
    add.add_argument("--millesime", required=True, help="millésime (année ou période des données)")
    add.add_argument("--source", required=True, help="qui a produit la donnée")
    add.add_argument("--dans-les-scores", action="store_true",
                     help="faire entrer l'indicateur dans les scores (par défaut : hors scores)")
    add.set_defaults(handler=_cmd_add)
    listing = subparsers.add_parser("list", help="lister les indicateurs locaux")
    listing.set_defaults(handler=_cmd_list)
    removing = subparsers.add_parser("remove", help="supprimer un indicateur local")
    removing.add_argument("id", help="identifiant (local_…, voir « list »)")
    removing.set_defaults(handler=_cmd_remove)
    scores = subparsers.add_parser("scores", help="faire entrer un indicateur local dans les scores, ou l'en retirer")
    scores.add_argument("id", help="identifiant (local_…)")
    scores.add_argument("choix", choices=["oui", "non"], help="oui : dans les scores ; non : hors scores")
    scores.set_defaults(handler=_cmd_scores)
