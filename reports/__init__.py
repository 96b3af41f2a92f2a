"""Exports of the diagnostic annex: DOCX, PDF, XLSX, CSV and print maps (PNG/SVG).

Pure functions, no Streamlit: the page ``app_pages/annexe.py`` and ``python -m reports`` both call
``export``. The annex is built once per territory, method and day (``annex_for``: ``reports.build`` makes
the document of ``reports.model`` from the sections of ``reports.sections``) and rendered by each
format module (``reports.docx``, ``reports.pdf``, ``reports.xlsx``, ``reports.csv``).
"""

from __future__ import annotations

import functools
import io
import zipfile
from datetime import date

from assembly.annex import data_version
from geodata import territories
from geodata.territories import Territory
from loaders.local import remontees
from reports.build import build_annex
from reports.model import Annex
from reports.options import AnnexOptions, options_from_text

#: format → (file extension, MIME type, French label)
FORMATS: dict[str, tuple[str, str, str]] = {
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)"),
    "pdf": ("pdf", "application/pdf", "PDF"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"),
    "csv": ("csv", "text/csv", "CSV (Excel français)"),
}
MAP_FORMATS = ("png", "svg")


@functools.lru_cache(maxsize=4)
def _cached_annex(territory_key: str, options_json: str, source: str | None, notices: tuple[str, ...], day: str,
                  with_maps: bool, data_version: tuple, notes_version: int = 0) -> Annex:
    options = options_from_text(options_json, source=source, notices=notices)
    return build_annex(territories.resolve_key(territory_key), options, date.fromisoformat(day), with_maps)


def annex_for(territory: Territory, options: AnnexOptions | None = None, generated_on: date | None = None,
              with_maps: bool = True) -> Annex:
    """The annex content, cached per territory, method, day and data version (all formats share it)."""
    options = options or AnnexOptions()
    day = (generated_on or date.today()).isoformat()
    return _cached_annex(territory.key, options.to_json(), options.source, options.notices, day, with_maps,
                         data_version(), remontees.version())  # a note added since: a new annex


def render(annex: Annex, fmt: str) -> bytes:
    if fmt == "docx":
        from reports import docx

        return docx.render(annex)
    if fmt == "pdf":
        from reports import pdf

        return pdf.render(annex)
    if fmt == "xlsx":
        from reports import xlsx

        return xlsx.render(annex)
    if fmt == "csv":
        from reports import csv

        return csv.render(annex)
    raise ValueError(f"unknown format {fmt!r}")


def export(territory: Territory, fmt: str, options: AnnexOptions | None = None,
           generated_on: date | None = None) -> bytes:
    """The annex of a territory in one format, as bytes (nothing written to disk)."""
    # Spreadsheets carry no map: skip drawing them.
    return render(annex_for(territory, options, generated_on, with_maps=fmt in ("docx", "pdf")), fmt)


def file_name(territory: Territory, fmt: str, day: date | None = None) -> str:
    extension = FORMATS[fmt][0] if fmt in FORMATS else fmt
    return f"annexe_diagnostic_{territory.kind.lower()}_{territory.code}_{(day or date.today()).isoformat()}.{extension}"


def maps_files(annex: Annex, fmt: str = "png", dpi: int | None = None) -> dict[str, bytes]:
    """Print files of every map of the annex: ``{file name: bytes}`` (PNG at ``dpi`` ≥ 200, or SVG)."""
    from reports import maps

    if fmt not in MAP_FORMATS:
        raise ValueError(f"unknown map format {fmt!r}")
    return {f"{figure.spec.file_stem}.{fmt}": maps.render(figure.spec, fmt, dpi or maps.PRINT_DPI)
            for figure in annex.figures}


def maps_zip(annex: Annex) -> bytes:
    """Every map as PNG (300 dpi) and SVG in one ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for fmt in MAP_FORMATS:
            for name, data in maps_files(annex, fmt).items():
                archive.writestr(name, data)
    return buffer.getvalue()
