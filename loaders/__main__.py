"""Command line of the data layer.

* ``python -m loaders build-bundle --source DIR --out DIR`` — the embedded bundle from the open-data copies;
* ``python -m loaders update --territoire KIND:CODE [--mirror URL] [--sources a,b] [--delai-max S]`` — one
  territory from the official sources (or a mirror of them: ``http(s)://host[:port][/path]`` or
  ``file:///folder``, anything else refused at once with exit code 2), with a progress bar per source
  and a French summary; the downloads stop after ``--delai-max`` seconds (default
  ``settings.UPDATE_BUDGET_S``, 0: no limit) and hosts found down are not asked again;
* ``python -m loaders fill-mirror --out DIR`` — copies what the updates downloaded (raw files and cached
  API answers) into a folder laid out as a ``file:`` mirror (a USB stick for a workshop).

Errors end with a French message on stderr and a non-zero exit code, never a traceback: 2 for bad
arguments (unknown territory or source), 1 when some sources failed (the rest is kept) or the data
cannot be built, 0 when everything succeeded.
"""

from __future__ import annotations

import os

# The calibration solves thousands of tiny least-squares systems: BLAS threads only add overhead there
# (measured 8× slower with the default pool on a 2-core machine). Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from core.cli import FrenchArgumentParser, report_error  # noqa: E402
from core.errors import EcoqpvError  # noqa: E402


class _Bars:
    """One tqdm bar per source on stderr, driven by the update's progress callback."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, source: str, done: int, total: int | None, message: str = "") -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(source)
        if bar is None:
            bar = tqdm(total=total, desc=f"{source:<26}", unit="o", unit_scale=True, unit_divisor=1024,
                       file=sys.stderr, leave=True, dynamic_ncols=True, mininterval=0.2,
                       disable=None)  # None: bars on a terminal, silent in logs and pipes
            self.bars[source] = bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        bar.set_postfix_str(message, refresh=False)
        bar.refresh()
        if message and message not in ("début", "téléchargement") and not message.endswith(("requête", "requêtes")):
            bar.close()


def _seconds(text: str) -> float:
    """``--delai-max``: a number of seconds (French decimal comma accepted), 0 for no limit."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre de secondes") from None
    if not 0 <= value <= 86_400 or value != value:
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre de secondes entre 0 (aucune limite) et 86 400 "
                                         "est attendu")
    return value


def main(argv: list[str] | None = None) -> int:
    import settings

    settings.exit_if_invalid()  # an unusable ECOQPV_* value: French message, exit code 2
    parser = FrenchArgumentParser(prog="python -m loaders", description="Chargement et préparation des données ecoqpv.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-bundle", help="construit le jeu de données embarqué à partir des fichiers ouverts")
    build.add_argument("--source", required=True, type=Path, help="dossier des fichiers ouverts (../shared/opendata)")
    build.add_argument("--out", required=True, type=Path, help="dossier de sortie (data/bundle)")
    build.add_argument("--sans-verification", dest="verify", action="store_false",
                       help="ne pas comparer les empreintes sha256 aux manifestes des fichiers sources")
    update = sub.add_parser("update", help="met à jour un territoire depuis les sources officielles en ligne")
    update.add_argument("--territoire", required=True, help="TYPE:CODE, TYPE parmi REG, DEP, EPCI, COM, QPV")
    update.add_argument("--mirror", default=None,
                        help="miroir des sites officiels : http(s)://hôte[:port][/chemin] ou file:///dossier "
                             "(https://hôte/chemin → MIROIR/hôte/chemin ; voir le README)")
    update.add_argument("--sources", default="",
                        help="sources à télécharger, séparées par des virgules (par défaut : toutes)")
    update.add_argument("--delai-max", dest="budget", type=_seconds, default=None, metavar="SECONDES",
                        help="délai maximal des téléchargements, en secondes (par défaut "
                             f"{settings.UPDATE_BUDGET_S:g}, réglage ECOQPV_UPDATE_BUDGET_S ; 0 : aucune limite) : "
                             "au-delà, les sources restantes ne sont pas tentées")
    update.add_argument("--sans-barre", dest="bars", action="store_false", help="pas de barres de progression")
    fill = sub.add_parser("fill-mirror", help="copie les téléchargements des mises à jour dans un dossier miroir "
                                              "(clé USB d'atelier, à utiliser avec ECOQPV_MIRROR=file:///dossier)")
    fill.add_argument("--out", required=True, type=Path, help="dossier du miroir à remplir (créé s'il n'existe pas)")
    args = parser.parse_args(argv)

    if args.command == "build-bundle":
        from loaders.bundle import build_bundle

        try:
            build_bundle(args.source, args.out, verify=args.verify)
        except EcoqpvError as exc:
            print(f"Erreur : {exc} Aucun fichier n'a été modifié.", file=sys.stderr)
            return 1
        return 0

    if args.command == "fill-mirror":
        from loaders.mirror_folder import fill_mirror

        try:
            summary = fill_mirror(args.out)
        except EcoqpvError as exc:
            return report_error(exc)
        print(summary)
        return 0

    from loaders.update import update_territory

    wanted = [s.strip() for s in args.sources.split(",") if s.strip()] or None
    bars = _Bars(args.bars)
    try:
        report = update_territory(args.territoire, mirror=args.mirror, sources=wanted, progress=bars,
                                  budget=args.budget)
    except EcoqpvError as exc:
        return report_error(exc)
    finally:
        for bar in bars.bars.values():
            bar.close()
    print(report.summary_fr())
    for key, message in report.failed.items():
        print(f"Erreur : {message}" if key != "reconstruction" else
              f"Erreur : reconstruction du territoire impossible : {message}", file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
