"""Benchmark (not a test): annex generation time for the largest EPCI of the bundle.

Métropole d'Aix-Marseille-Provence (EPCI 200054807, 125 QPV, 66 with contours): content with maps,
DOCX rendering, PDF conversion by LibreOffice. The first run reads the bundle and computes the
scores (cold); the next ones reuse them, as the app does between two downloads.
Run: ``python bench/bench_annexe.py`` (prints a Markdown table for bench/RESULTS.md).
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geodata import territories  # noqa: E402
from reports import build, docx, pdf  # noqa: E402

TERRITORY = "EPCI:200054807"
RUNS = 3


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def one_run() -> dict[str, float]:
    territory = territories.resolve_key(TERRITORY)
    start = time.perf_counter()
    annex = build.build_annex(territory, generated_on=date.today())
    built = time.perf_counter()
    word = docx.render(annex)
    rendered = time.perf_counter()
    document = pdf.docx_to_pdf(word) if pdf.available() else b""
    converted = time.perf_counter()
    return {"contenu": built - start, "docx": rendered - built, "pdf": converted - rendered,
            "total_docx": rendered - start, "total_pdf": converted - start,
            "pages": _pages(document), "figures": len(annex.figures), "qpv": len(annex.table),
            "taille_docx": len(word) / 1e6, "taille_pdf": len(document) / 1e6}


def _pages(document: bytes) -> int:
    if not document:
        return 0
    done = subprocess.run(["pdfinfo", "-"], input=document, capture_output=True, check=False)
    for line in done.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[-1])
    return 0


def main() -> None:
    print(f"Machine : {platform.machine()}, Python {platform.python_version()}, "
          f"LibreOffice : {'oui' if pdf.available() else 'absent'}")
    runs = [one_run() for _ in range(RUNS)]
    cold, warm = runs[0], runs[1:]
    first = runs[-1]
    print(f"{first['qpv']} QPV, {first['figures']} cartes, PDF de {first['pages']} pages ; DOCX "
          f"{_seconds(first['taille_docx'])} Mo, PDF {_seconds(first['taille_pdf'])} Mo")
    print()
    print("| étape | 1re exécution (s) | exécutions suivantes, médiane (s) |")
    print("|---|---|---|")
    labels = {"contenu": "contenu (tables, scores, cartes)", "docx": "rendu DOCX", "pdf": "conversion PDF (LibreOffice)",
              "total_docx": "**annexe DOCX**", "total_pdf": "**annexe PDF**"}
    for key, label in labels.items():
        print(f"| {label} | {_seconds(cold[key])} | {_seconds(statistics.median(r[key] for r in warm))} |")


if __name__ == "__main__":
    main()
