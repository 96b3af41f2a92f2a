"""Command line: ``python -m indicators table|catalogue``.

``table`` prints one row per QPV of a territory (CSV or JSON on stdout); ``catalogue`` prints the
metadata of every indicator. Errors are French sentences on stderr with exit code 2 for bad
arguments (unknown territory, bad format) and 1 for unreadable data — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from core.cli import FrenchArgumentParser, report_error
from core.errors import EcoqpvError


def _json_records(frame: pd.DataFrame) -> str:
    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    return json.dumps(records, ensure_ascii=False, indent=2)


def main(argv: list[str] | None = None) -> int:
    import settings

    settings.exit_if_invalid()
    parser = FrenchArgumentParser(prog="python -m indicators", description="Indicateurs ecoqpv par quartier.")
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("table", help="tableau des indicateurs des QPV d'un territoire")
    table.add_argument("--territoire", required=True, help="TYPE:CODE, TYPE parmi REG, DEP, EPCI, COM, QPV")
    table.add_argument("--format", choices=["csv", "json"], default="csv")
    table.add_argument("--indicateurs", default="",
                       help="liste d'identifiants séparés par des virgules (par défaut : tous)")
    table.add_argument("--cadre", choices=["generation", "region"], default="generation",
                       help="cadre de référence des rangs : tous les QPV de la même génération (défaut) ou de la région")
    cat = sub.add_parser("catalogue", help="métadonnées des indicateurs")
    cat.add_argument("--format", choices=["json", "md"], default="json")
    args = parser.parse_args(argv)

    try:
        if args.command == "catalogue":
            from indicators import catalogue

            if args.format == "md":
                from assembly.territory_table import method_document_inputs
                from indicators.methode import render_markdown

                sys.stdout.write(render_markdown(**method_document_inputs()))
            else:
                print(json.dumps(catalogue.as_records(), ensure_ascii=False, indent=2))
            return 0
        from geodata import territories
        from assembly.territory_table import territory_table

        from indicators import catalogue
        from assembly.territory_table import ID_COLUMNS, SCORE_COLUMNS, indicator_columns

        wanted = [i.strip() for i in args.indicateurs.split(",") if i.strip()]
        for indicator_id in wanted:
            catalogue.require(indicator_id)
        territory = territories.resolve_key(args.territoire)
        frame = territory_table(territory, frame=args.cadre)
        if wanted:
            columns = ID_COLUMNS + [c for i in wanted for c in indicator_columns(i)] + SCORE_COLUMNS
            frame = frame[columns]
        if args.format == "csv":
            from core.exports import neutralise_frame

            # Names come from outside files: no cell may be read as a formula by a spreadsheet.
            sys.stdout.write(neutralise_frame(frame).to_csv(index=False))
        else:
            print(_json_records(frame))
        return 0
    except EcoqpvError as exc:
        return report_error(exc)


if __name__ == "__main__":
    sys.exit(main())
