"""Command line of the data layer: ``python -m loaders build-bundle --source DIR --out DIR``.

Errors end with a French message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loaders.errors import EcoqpvError


class _FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 on bad arguments: keep that
        self.print_usage(sys.stderr)
        print(f"Erreur : argument invalide ({message}).", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _FrenchParser(prog="python -m loaders", description="Chargement et préparation des données ecoqpv.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-bundle", help="construit le jeu de données embarqué à partir des fichiers ouverts")
    build.add_argument("--source", required=True, type=Path, help="dossier des fichiers ouverts (../shared/opendata)")
    build.add_argument("--out", required=True, type=Path, help="dossier de sortie (data/bundle)")
    build.add_argument("--sans-verification", dest="verify", action="store_false",
                       help="ne pas comparer les empreintes sha256 aux manifestes des fichiers sources")
    args = parser.parse_args(argv)

    if args.command == "build-bundle":
        from loaders.bundle import build_bundle

        try:
            build_bundle(args.source, args.out, verify=args.verify)
        except EcoqpvError as exc:
            print(f"Erreur : {exc} Aucun fichier n'a été modifié.", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
