"""``python -m loaders.local`` — the users' own data: imported indicators and workshop notes.

Each subcommand module exposes ``register(subparsers)``, which adds its parser(s) and sets ``handler`` (a
function taking the parsed arguments and returning the exit code). Adding a subcommand = one module + one line in
``SUBCOMMANDS``. Errors end with a French message and exit code 2 (what the person typed) or 1 (the data), never a
traceback.
"""

from __future__ import annotations

import importlib
import sys

import settings
from core.cli import FrenchArgumentParser, report_error
from core.errors import EcoqpvError

#: Modules of this package that add subcommands, in the order of the help text.
SUBCOMMANDS: tuple[str, ...] = ("loaders.local.remontees", "loaders.local.indicateurs")


def main(argv: list[str] | None = None) -> int:
    settings.exit_if_invalid()
    parser = FrenchArgumentParser(prog="python -m loaders.local",
                                  description="Données locales d'ecoqpv : indicateurs importés et remontées d'atelier.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except EcoqpvError as exc:
        return report_error(exc)


if __name__ == "__main__":
    sys.exit(main())
