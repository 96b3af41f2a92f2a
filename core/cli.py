"""The French command-line parser shared by ``python -m loaders``, ``indicators`` and ``reports``.

argparse speaks English and prints traceback-free but English errors; users of these commands read
French. Bad arguments keep argparse's exit code 2; ``report_error`` gives every other error its exit code
(2 for what the person typed, 1 for the data), so that the three command lines end the same way.
"""

from __future__ import annotations

import argparse
import re
import sys

from core.errors import BadArgumentError, UnknownTerritoryError


def french_message(message: str) -> str:
    """argparse's English messages, said in French."""
    choice = re.search(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        allowed = ", ".join(v.strip(" '") for v in choice.group(3).split(","))
        return f"{choice.group(1)} : valeur « {choice.group(2)} » non reconnue ; choisir parmi {allowed}"
    required = re.search(r"the following arguments are required: (.*)", message)
    if required:
        names = required.group(1)
        return ("arguments obligatoires manquants" if "," in names else "argument obligatoire manquant") + f" : {names}"
    unknown = re.search(r"unrecognized arguments: (.*)", message)
    if unknown:
        names = unknown.group(1)
        return ("arguments non reconnus" if " " in names.strip() else "argument non reconnu") + f" : {names}"
    return message


class FrenchArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "commandes"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        print(f"Erreur : argument invalide ({french_message(message)}).", file=sys.stderr)
        raise SystemExit(2)


def report_error(exc: Exception) -> int:
    """Print a French error line and return the exit code: 2 for what the user typed, 1 otherwise."""
    print(f"Erreur : {exc}", file=sys.stderr)
    return 2 if isinstance(exc, (UnknownTerritoryError, BadArgumentError)) else 1
