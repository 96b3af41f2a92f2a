"""What workshop groups say (« remontées »), per quartier and theme, kept in a local SQLite file.

The file is ``<ECOQPV_DATA_DIR>/local/remontees.sqlite``: outside the bundle and the updated territories, so
that neither a new version of the data nor ``python -m loaders update`` touches it, and it survives restarts.
Each write is one transaction (``BEGIN IMMEDIATE``, with a wait when another session writes at the same time), so
two browser sessions that save at once both keep their note. A revision counter, raised by every write in the
same transaction, tells caches (the annex) that the notes changed.

A note is a group's words, never a statistic: no score reads it. No personal data is asked for (who speaks is a
group: habitants, équipe de quartier, association, partenaire); texts that hold an e-mail address or a phone
number are refused. Texts are kept as typed (control characters other than line breaks removed) and are shown
as text wherever they appear.

Command line (``python -m loaders.local remontees …``): ``add``, ``list``, ``export``, ``remove``, ``edit``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

import settings
from core.errors import BadArgumentError, StorageError, shown
from core.exports import neutralise_frame
from core.formats import plural
from core.paths import describe_os_error, safe_path, storage_error
from core.text import clean_text
from core.workshop import MAX_NOTE_CHARS, NO_PERSONAL_DATA, SPEAKERS, THEMES
from sources import store

#: Folder (under ``ECOQPV_DATA_DIR``) and file of the notes.
FOLDER = "local"
FILE_NAME = "remontees.sqlite"
#: Seconds a write waits for another session's write to finish.
BUSY_TIMEOUT_S = 15.0
SCHEMA_VERSION = 1

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS remontees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_qp TEXT NOT NULL,
    theme TEXT NOT NULL,
    qui TEXT NOT NULL,
    texte TEXT NOT NULL CHECK (length(texte) BETWEEN 1 AND {MAX_NOTE_CHARS}),
    jour TEXT NOT NULL,
    cree_le TEXT NOT NULL,
    modifie_le TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS remontees_qpv ON remontees (code_qp);
CREATE TABLE IF NOT EXISTS revision (id INTEGER PRIMARY KEY CHECK (id = 1), valeur INTEGER NOT NULL);
INSERT OR IGNORE INTO revision (id, valeur) VALUES (1, 0);
"""

#: Personal data that a note must not hold: an e-mail address, a French phone number.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")

#: Columns of the CSV export (French headers, in this order).
CSV_COLUMNS = {
    "id": "numero", "code_qp": "code_qp", "lib_qp": "quartier", "lib_com": "commune", "jour": "date",
    "theme_libelle": "theme", "qui_libelle": "qui", "texte": "texte", "modifie_le": "modifie_le",
}


@dataclass(frozen=True)
class Remontee:
    """One note: what a group said about a quartier and a theme, on a day."""

    id: int
    code_qp: str
    theme: str
    qui: str
    texte: str
    jour: date
    cree_le: str
    modifie_le: str

    @property
    def theme_label(self) -> str:
        return THEMES.get(self.theme, self.theme)

    @property
    def qui_label(self) -> str:
        return SPEAKERS.get(self.qui, self.qui)

    @property
    def jour_text(self) -> str:
        return self.jour.strftime("%d/%m/%Y")


# --- validation -------------------------------------------------------------------------------------------


def check_code(code: object) -> str:
    """A QPV code known to the registry (2015 or 2024), upper-cased; French ``BadArgumentError`` otherwise."""
    text = str(code or "").strip().upper()
    if not text:
        raise BadArgumentError("Code de quartier vide : indiquer le code du QPV (par exemple QN03405M).")
    known = set(store.table("qpv")["code_qp"].astype(str))
    if text not in known:
        raise BadArgumentError(f"Quartier inconnu : « {shown(text, 40)} » n'est pas un code de QPV du registre "
                               "(QPV 2024 : QN… ; QPV 2015 : QP…).")
    return text


def check_theme(theme: object) -> str:
    text = str(theme or "").strip()
    if text not in THEMES:
        raise BadArgumentError(f"Thème inconnu : « {shown(text, 40)} ». Thèmes possibles : {', '.join(THEMES)}.")
    return text


def check_speaker(qui: object) -> str:
    text = str(qui or "").strip()
    if text not in SPEAKERS:
        raise BadArgumentError(f"Valeur de « qui » inconnue : « {shown(text, 40)} ». Valeurs possibles : "
                               f"{', '.join(SPEAKERS)} (un groupe, jamais le nom d'une personne).")
    return text


def check_text(texte: object) -> str:
    """The note's text, cleaned (control characters other than line breaks become spaces, ends trimmed)."""
    text = clean_text(str(texte or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise BadArgumentError("Texte vide : noter ce que dit le groupe.")
    if len(text) > MAX_NOTE_CHARS:
        raise BadArgumentError(f"Texte trop long : {len(text)} caractères, {MAX_NOTE_CHARS} au plus. Le couper en "
                               "plusieurs remontées.")
    if _EMAIL.search(text) or _PHONE.search(text):
        raise BadArgumentError("Le texte contient une adresse électronique ou un numéro de téléphone : il n'a pas "
                               f"été enregistré. {NO_PERSONAL_DATA}")
    return text


def check_day(day: object) -> date:
    """A date given as a ``date``, ``AAAA-MM-JJ`` or ``JJ/MM/AAAA``; today when empty; never in the future."""
    if day is None or (isinstance(day, str) and not day.strip()):
        return date.today()
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        text = str(day).strip()
        parsed = None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            with contextlib.suppress(ValueError):
                parsed = datetime.strptime(text, pattern).date()
                break
        if parsed is None:
            raise BadArgumentError(f"Date « {shown(text, 40)} » illisible : écrire JJ/MM/AAAA (par exemple "
                                   f"{date.today().strftime('%d/%m/%Y')}).")
        day = parsed
    if day > date.today():
        raise BadArgumentError(f"Date {day.strftime('%d/%m/%Y')} dans le futur : indiquer le jour de l'atelier.")
    return day


# --- storage ----------------------------------------------------------------------------------------------


def database_path() -> Path:
    """``<ECOQPV_DATA_DIR>/local/remontees.sqlite`` (checked to stay inside the data folder)."""
    return safe_path(settings.DATA_DIR, FOLDER, FILE_NAME)


def _database_error(exc: sqlite3.Error, path: Path, consequence: str) -> StorageError:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        problem = "le fichier des remontées est occupé par une autre session depuis trop longtemps"
    elif "full" in message:
        problem = f"espace disque insuffisant dans {path.parent}"
    elif "readonly" in message or "read-only" in message:
        problem = f"le fichier des remontées {path} est en lecture seule"
    elif "not a database" in message or "malformed" in message or "corrupt" in message:
        problem = f"le fichier des remontées {path} est abîmé (il n'a pas été modifié ; le mettre de côté pour repartir d'un fichier vide)"
    elif "unable to open" in message:
        problem = f"impossible d'ouvrir le fichier des remontées {path}"
    else:
        problem = f"erreur de la base des remontées {path} ({type(exc).__name__})"
    return StorageError(str(path.parent), f"{problem} : {consequence}")


@contextlib.contextmanager
def _connection(write: bool, consequence: str) -> Iterator[sqlite3.Connection]:
    """A connection to the notes file; ``write``: inside one immediate transaction, committed at the end."""
    path = database_path()
    if not write and not path.is_file():
        yield None  # nothing recorded yet: nothing to read, no empty file created by a reader
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path.parent, consequence) from exc
    connection = None
    try:
        connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        connection.row_factory = sqlite3.Row
        if write:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.strip().split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        yield connection
        if write:
            connection.execute("UPDATE revision SET valeur = valeur + 1 WHERE id = 1")
            connection.execute("COMMIT")
    except sqlite3.Error as exc:
        if connection is not None and connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise _database_error(exc, path, consequence) from exc
    except BaseException:
        if connection is not None and connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise
    finally:
        if connection is not None:
            connection.close()


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _note(row: sqlite3.Row) -> Remontee:
    return Remontee(id=int(row["id"]), code_qp=str(row["code_qp"]), theme=str(row["theme"]), qui=str(row["qui"]),
                    texte=str(row["texte"]), jour=date.fromisoformat(str(row["jour"])), cree_le=str(row["cree_le"]),
                    modifie_le=str(row["modifie_le"]))


def _has_table(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'remontees'").fetchone() \
        is not None


def add(code_qp: str, theme: str, texte: str, qui: str = "habitants", jour: object = None) -> Remontee:
    """Record one note; returns it with its number. Every argument is checked first (French errors)."""
    values = (check_code(code_qp), check_theme(theme), check_speaker(qui), check_text(texte), check_day(jour))
    stamp = _now()
    with _connection(True, "la remontée n'a pas été enregistrée.") as connection:
        cursor = connection.execute(
            "INSERT INTO remontees (code_qp, theme, qui, texte, jour, cree_le, modifie_le) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*values[:4], values[4].isoformat(), stamp, stamp))
        row = connection.execute("SELECT * FROM remontees WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _note(row)


def check_id(number: object) -> int:
    try:
        value = int(str(number).strip())
    except ValueError:
        raise BadArgumentError(f"Numéro de remontée « {shown(number, 40)} » invalide : un nombre entier est attendu "
                               "(voir « remontees list »).") from None
    if value < 1:
        raise BadArgumentError(f"Numéro de remontée {value} invalide : les numéros commencent à 1.")
    return value


def get(number: object) -> Remontee:
    value = check_id(number)
    with _connection(False, "lecture impossible.") as connection:
        row = None
        if connection is not None and _has_table(connection):
            row = connection.execute("SELECT * FROM remontees WHERE id = ?", (value,)).fetchone()
    if row is None:
        raise BadArgumentError(f"Aucune remontée numéro {value} (voir « remontees list »).")
    return _note(row)


def edit(number: object, *, texte: str | None = None, theme: str | None = None, qui: str | None = None,
         jour: object = None) -> Remontee:
    """Change a note (only what is given); the whole change is one transaction."""
    value = check_id(number)
    changes: dict[str, str] = {}
    if texte is not None:
        changes["texte"] = check_text(texte)
    if theme is not None:
        changes["theme"] = check_theme(theme)
    if qui is not None:
        changes["qui"] = check_speaker(qui)
    if jour is not None:
        changes["jour"] = check_day(jour).isoformat()
    with _connection(True, "la modification n'a pas été enregistrée.") as connection:
        if connection.execute("SELECT 1 FROM remontees WHERE id = ?", (value,)).fetchone() is None:
            raise BadArgumentError(f"Aucune remontée numéro {value} : elle a peut-être été supprimée entre-temps.")
        changes["modifie_le"] = _now()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        connection.execute(f"UPDATE remontees SET {assignments} WHERE id = ?", (*changes.values(), value))  # noqa: S608
        row = connection.execute("SELECT * FROM remontees WHERE id = ?", (value,)).fetchone()
    return _note(row)


def remove(number: object) -> Remontee:
    """Delete a note; returns what was deleted."""
    value = check_id(number)
    with _connection(True, "rien n'a été supprimé.") as connection:
        row = connection.execute("SELECT * FROM remontees WHERE id = ?", (value,)).fetchone()
        if row is None:
            raise BadArgumentError(f"Aucune remontée numéro {value} (voir « remontees list ») : rien n'a été supprimé.")
        connection.execute("DELETE FROM remontees WHERE id = ?", (value,))
    return _note(row)


def notes(codes: Iterable[str] | None = None, theme: str | None = None) -> list[Remontee]:
    """Notes (all, or of the quartiers ``codes``, or of one theme), by quartier, then date, then number."""
    wanted = None if codes is None else {str(c) for c in codes}
    with _connection(False, "lecture impossible.") as connection:
        if connection is None or not _has_table(connection):
            return []
        rows = connection.execute("SELECT * FROM remontees ORDER BY code_qp, jour, id").fetchall()
    found = [_note(r) for r in rows]
    return [n for n in found if (wanted is None or n.code_qp in wanted) and (theme is None or n.theme == theme)]


def version() -> int:
    """Revision of the notes (raised by every write): a cache key for what shows them."""
    with _connection(False, "lecture impossible.") as connection:
        if connection is None:
            return 0
        try:
            row = connection.execute("SELECT valeur FROM revision WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return 0
    return int(row[0]) if row else 0


def names() -> pd.DataFrame:
    """``code_qp`` → ``lib_qp``, ``lib_com`` of the registry (for lists and exports)."""
    registry = store.table("qpv")[["code_qp", "lib_qp", "lib_com"]]
    return registry.drop_duplicates("code_qp").set_index("code_qp")


def frame(found: list[Remontee]) -> pd.DataFrame:
    """The notes as a table with the quartier's and commune's names (French column names of the CSV)."""
    registry = names()
    rows = []
    for note in found:
        known = note.code_qp in registry.index
        rows.append({
            "id": note.id, "code_qp": note.code_qp,
            "lib_qp": str(registry.at[note.code_qp, "lib_qp"]) if known else "",
            "lib_com": str(registry.at[note.code_qp, "lib_com"]) if known else "",
            "jour": note.jour.isoformat(), "theme_libelle": note.theme_label, "qui_libelle": note.qui_label,
            "texte": note.texte, "modifie_le": note.modifie_le,
        })
    table = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    return table.rename(columns=CSV_COLUMNS)


def csv_bytes(found: list[Remontee]) -> bytes:
    """CSV for French Excel (``;``, UTF-8 with BOM); every text cell neutralised (never run as a formula)."""
    text = neutralise_frame(frame(found)).to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# --- command line -------------------------------------------------------------------------------------------


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _cmd_add(args) -> int:
    note = add(args.qpv, args.theme, args.texte, args.qui, args.date)
    _say(f"Remontée n° {note.id} enregistrée pour {note.code_qp} ({note.theme_label}, {note.qui_label}, "
         f"{note.jour_text}).")
    return 0


def _cmd_list(args) -> int:
    codes = [check_code(args.qpv)] if args.qpv else None
    found = notes(codes)
    if not found:
        _say("Aucune remontée enregistrée" + (f" pour {codes[0]}." if codes else "."))
        return 0
    registry = names()
    for note in found:
        name = str(registry.at[note.code_qp, "lib_qp"]) if note.code_qp in registry.index else ""
        text = note.texte.replace("\n", " / ")
        print(f"{note.id}\t{note.jour_text}\t{note.code_qp} {name}\t{note.theme_label}\t{note.qui_label}\t{text}")
    _say(f"{plural(len(found), 'remontée')}.")
    return 0


def _check_out(path: str) -> Path:
    """The CSV to write: a file name in an existing folder (French error otherwise, before anything is read)."""
    if not str(path).strip():
        raise BadArgumentError("Aucun nom de fichier indiqué : préciser le fichier à écrire (par exemple remontees.csv).")
    target = Path(path)
    if target.is_dir():
        raise BadArgumentError(f"« {shown(target)} » est un dossier : indiquer un nom de fichier (par exemple "
                               f"{shown(target / 'remontees.csv')}).")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadArgumentError(f"Impossible d'écrire « {shown(target)} » : le dossier « {shown(folder)} » n'existe pas. "
                               "Aucun fichier n'a été créé.")
    return target


def write_file(path: str, data: bytes) -> Path:
    """Write ``data`` to ``path`` all or nothing (temporary file of the same folder, then renamed)."""
    target = _check_out(path)
    folder = target.parent if str(target.parent) else Path(".")
    temporary = folder / f".{target.name[:40]}.{os.getpid()}.partiel"
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise BadArgumentError(f"Impossible d'écrire « {shown(target)} » : {describe_os_error(exc, folder)}. Aucun "
                               "fichier n'a été créé.") from exc
    return target


def _cmd_export(args) -> int:
    _check_out(args.out)
    codes = [check_code(args.qpv)] if args.qpv else None
    found = notes(codes)
    write_file(args.out, csv_bytes(found))
    _say(f"{plural(len(found), 'remontée exportée', 'remontées exportées')} dans {args.out}.")
    return 0


def _cmd_remove(args) -> int:
    note = remove(args.numero)
    _say(f"Remontée n° {note.id} supprimée ({note.code_qp}, {note.theme_label}, {note.jour_text}).")
    return 0


def _cmd_edit(args) -> int:
    if args.texte is None and args.theme is None and args.qui is None and args.date is None:
        raise BadArgumentError("Rien à modifier : indiquer --texte, --theme, --qui ou --date.")
    note = edit(args.numero, texte=args.texte, theme=args.theme, qui=args.qui, jour=args.date)
    _say(f"Remontée n° {note.id} modifiée.")
    return 0


def register(subparsers) -> None:
    """``remontees add|list|export|edit|remove`` under ``python -m loaders.local``."""
    from core.cli import FrenchArgumentParser

    parser = subparsers.add_parser(
        "remontees", help="ce que disent les groupes en atelier, par quartier et thème (SQLite local)",
        description="Remontées d'atelier : ce que disent les habitants et les équipes, par quartier et thème. "
        f"Elles sont gardées dans {FOLDER}/{FILE_NAME} du dossier de données (ECOQPV_DATA_DIR). {NO_PERSONAL_DATA}")
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=FrenchArgumentParser)
    add_parser = commands.add_parser("add", help="enregistrer une remontée")
    add_parser.add_argument("--qpv", required=True, help="code du quartier (QN… ou QP…)")
    add_parser.add_argument("--theme", required=True, choices=list(THEMES), help="thème")
    add_parser.add_argument("--texte", required=True, help=f"ce que dit le groupe ({MAX_NOTE_CHARS} caractères au plus)")
    add_parser.add_argument("--qui", default="habitants", choices=list(SPEAKERS), help="qui parle (un groupe)")
    add_parser.add_argument("--date", default=None, help="jour de l'atelier, JJ/MM/AAAA (par défaut : aujourd'hui)")
    add_parser.set_defaults(handler=_cmd_add)
    list_parser = commands.add_parser("list", help="lister les remontées (numéro, date, quartier, thème, qui, texte)")
    list_parser.add_argument("--qpv", default=None, help="seulement ce quartier")
    list_parser.set_defaults(handler=_cmd_list)
    export_parser = commands.add_parser("export", help="exporter les remontées en CSV (Excel français)")
    export_parser.add_argument("--out", required=True, help="fichier CSV à écrire")
    export_parser.add_argument("--qpv", default=None, help="seulement ce quartier")
    export_parser.set_defaults(handler=_cmd_export)
    edit_parser = commands.add_parser("edit", help="modifier une remontée")
    edit_parser.add_argument("numero", help="numéro de la remontée (voir « list »)")
    edit_parser.add_argument("--texte", default=None)
    edit_parser.add_argument("--theme", default=None, choices=list(THEMES))
    edit_parser.add_argument("--qui", default=None, choices=list(SPEAKERS))
    edit_parser.add_argument("--date", default=None, help="JJ/MM/AAAA")
    edit_parser.set_defaults(handler=_cmd_edit)
    remove_parser = commands.add_parser("remove", help="supprimer une remontée")
    remove_parser.add_argument("numero", help="numéro de la remontée (voir « list »)")
    remove_parser.set_defaults(handler=_cmd_remove)
