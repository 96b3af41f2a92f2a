"""Command line: ``python -m reports annexe|cartes|affiches``.

``annexe`` writes the diagnostic annex of a territory in one format::

    python -m reports annexe --territoire EPCI:243400017 --format docx --out annexe.docx \
        [--methode reglages.json]

``cartes`` writes the print maps (PNG at 300 dpi, or SVG) into a folder; ``affiches`` the workshop posters
(``--format pdf``, ``--papier a3|a4``, ``--par-quartier``, ``--sequence habitants|partenaires``). Errors are French sentences
on stderr, never a traceback: exit code 2 for what the user can fix (territory, settings file,
output path), 1 for data or conversion problems. Nothing partial is ever left on disk.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli import FrenchArgumentParser, report_error
from core.errors import BadArgumentError, EcoqpvError
from core.formats import plural


def _size(data: bytes) -> str:
    from core.formats import format_number

    if len(data) >= 1_000_000:
        return f"{format_number(len(data) / 1_000_000, 1)} Mo"
    return f"{format_number(max(len(data) / 1000, 1), 0)} ko"


def _parser() -> argparse.ArgumentParser:
    from reports import FORMATS, MAP_FORMATS

    parser = FrenchArgumentParser(prog="python -m reports", description="Exports de l'annexe diagnostic ecoqpv.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchArgumentParser)
    annexe = sub.add_parser("annexe", help="annexe diagnostic d'un territoire (DOCX, PDF, XLSX ou CSV)")
    annexe.add_argument("--territoire", required=True, help="TYPE:CODE, TYPE parmi REG, DEP, EPCI, COM, QPV")
    annexe.add_argument("--format", required=True, choices=list(FORMATS))
    annexe.add_argument("--out", required=True, help="fichier à écrire")
    annexe.add_argument("--methode", default=None,
                        help="fichier JSON de réglages (poids_domaines, normalisation, agregation, cadre)")
    cartes = sub.add_parser("cartes", help="cartes de l'annexe en PNG (300 dpi) ou SVG, dans un dossier")
    cartes.add_argument("--territoire", required=True, help="TYPE:CODE")
    cartes.add_argument("--dossier", required=True, help="dossier où écrire les cartes (il doit exister)")
    cartes.add_argument("--format", choices=list(MAP_FORMATS), default="png")
    cartes.add_argument("--methode", default=None, help="fichier JSON de réglages")
    # Workshop posters (reports/posters.py): one page per theme, A3 or A4 landscape, in one PDF.
    affiches = sub.add_parser("affiches", help="affiches d'atelier en PDF (A3 ou A4 paysage), une par thème")
    affiches.add_argument("--territoire", required=True, help="TYPE:CODE, TYPE parmi REG, DEP, EPCI, COM, QPV")
    affiches.add_argument("--format", required=True, choices=["pdf"])
    affiches.add_argument("--out", required=True, help="fichier PDF à écrire")
    affiches.add_argument("--papier", choices=["a3", "a4"], default="a3", help="format du papier (par défaut : a3)")
    affiches.add_argument("--par-quartier", action="store_true", help="ajouter une série d'affiches par quartier")
    affiches.add_argument("--sequence", choices=["habitants", "partenaires"], default="habitants",
                          help="habitants (par défaut : ni classement ni carte de revenus) ou partenaires")
    return parser


def _tell_notices(options) -> None:
    """Values of the settings file that were changed on reading (clamped weights), said on stderr."""
    for notice in options.notices:
        print(f"Attention : {notice}", file=sys.stderr)


def _annexe(args) -> int:
    from geodata import territories
    from reports import export
    from reports.options import load_options
    from reports.output import check_destination, write_atomic

    options = load_options(args.methode)
    check_destination(args.out)  # before a long generation
    _tell_notices(options)
    territory = territories.resolve_key(args.territoire)
    data = export(territory, args.format, options)
    write_atomic(args.out, data)
    print(f"Annexe écrite : {args.out} ({_size(data)}).", file=sys.stderr)
    return 0


def _cartes(args) -> int:
    from geodata import territories
    from reports import annex_for, maps_files
    from reports.options import load_options
    from reports.output import check_folder, write_files

    options = load_options(args.methode)
    folder = check_folder(Path(args.dossier))  # before drawing the maps
    _tell_notices(options)
    territory = territories.resolve_key(args.territoire)
    files = maps_files(annex_for(territory, options), args.format)
    if not files:
        raise BadArgumentError(f"Aucune carte pour {territory.label} : les contours de ses quartiers ne sont pas "
                               "dans les données embarquées (les tableaux de l'annexe restent complets).")
    write_files(folder, files)
    print(f"{plural(len(files), 'carte écrite', 'cartes écrites')} dans {folder}.", file=sys.stderr)
    return 0


def _affiches(args) -> int:
    from geodata import territories
    from reports import posters
    from reports.output import check_destination, write_atomic

    check_destination(args.out, "affiches.pdf")  # before drawing the posters
    territory = territories.resolve_key(args.territoire)
    data = posters.posters_pdf(territory, args.sequence, paper=args.papier, per_quartier=args.par_quartier)
    write_atomic(args.out, data)
    print(f"Affiches écrites : {args.out} ({_size(data)}).", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    import settings

    settings.exit_if_invalid()
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (already explained in French) and --help
        return int(exc.code or 0)
    try:
        return {"annexe": _annexe, "cartes": _cartes, "affiches": _affiches}[args.command](args)
    except EcoqpvError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        print("Interrompu : aucun fichier n'a été écrit.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
