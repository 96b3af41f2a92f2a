"""« Fiches par quartier »: one page per QPV, rendered from the fiche model (``assembly.fiche``) that the
Fiche page renders too — key figures (each with its nature, interval, vintage and source) compared with the
commune, the EPCI and France, scores and what drives them, the rank in its frame with its interval and
reliability, and the evolution series with INSEE's caution. A quartier without any value gets one sentence
pointing to the online update."""

from __future__ import annotations

import math

from assembly.fiche import NO_DATA, QPV_ENSEMBLE, Fiche
from core.formats import format_number
from core.reasons import missing_label
from reports.model import Block, Bullets, Cell, Column, Heading, Note, Paragraph, Row, Table, TableBlock
from reports.wording import (
    GENERATION_LABELS,
    NO_REFERENCE,
    SECTION_FICHES,
    french_list,
    number_cell,
    ordinal,
    reference_cell,
    text_cell,
)

#: Enclosing territories in the key figures table: key of ``Line.references`` → column label.
KEY_FIGURE_REFERENCES = {"commune": "Commune", "epci": "EPCI", "france": "France"}


def fiches_blocks(fiches: list[Fiche]) -> list[Block]:
    blocks: list[Block] = [Heading(1, SECTION_FICHES, new_page=True), Paragraph(
        "Une page par quartier : chiffres clés comparés à la commune, à l'EPCI et à la France, scores et "
        "indicateurs qui les tirent vers le haut, intervalle de rang selon les choix de méthode, évolution.")]
    for fiche in fiches:
        blocks.extend(fiche_blocks(fiche))
    return blocks


def _header(fiche: Fiche) -> Paragraph:
    row = fiche.row
    population = fiche.lines["population"]
    pop = population.missing_text if population.missing else f"{population.value_text} ({population.vintage})"
    contour = ("disponible (quartier cartographié)" if bool(row["a_contour"])
               else "non disponible hors ligne (pas de carte)")
    return Paragraph(f"{row['lib_com']} ; {GENERATION_LABELS.get(fiche.generation, fiche.generation)} ; population : "
                     f"{pop} ; contour : {contour}.", lead="Commune : ")


def _key_figures(fiche: Fiche) -> list[Block]:
    """The values present, by domain, with the enclosing territories and the percentile; then what is
    missing, grouped by reason."""
    columns = [Column("indicateur", "Indicateur", width=2.6), Column("valeur", "Quartier", numeric=True, width=1.6),
               Column("nature", "Nature de la valeur, millésime", width=1.5)]
    columns += [Column(key, label, numeric=True, width=0.9) for key, label in KEY_FIGURE_REFERENCES.items()]
    columns.append(Column("centile", "Rang centile", numeric=True, width=0.7))
    rows: list[Row] = []
    missing: dict[str, list[str]] = {}
    for domain in fiche.domains:
        present = [line for line in domain.lines if not line.missing]
        for line in domain.lines:
            if line.missing:
                missing.setdefault(line.missing_reason or "", []).append(line.label)
        if not present:
            continue
        rows.append(Row([Cell(domain.label, strong=True)] + [Cell("") for _ in columns[1:]], kind="group"))
        for line in present:
            cells = [text_cell(line.label), Cell(line.value_text, value=line.value),
                     text_cell(" · ".join(part for part in (line.nature_text, line.vintage) if part))]
            for key in KEY_FIGURE_REFERENCES:
                ref = line.references.get(key)
                cells.append(reference_cell(None, "") if ref is None else reference_cell(ref.value, ref.value_text))
            cells.append(reference_cell(line.percentile, format_number(line.percentile, 0)))
            rows.append(Row(cells))
    notes = [f"« {NO_REFERENCE} » : pas de valeur de référence dans les données, ou indicateur hors scores (pas de "
             "rang centile). Rang centile : 100 = situation la moins favorable du cadre de comparaison."]
    national = [f"{line.label.lower()} {line.references[QPV_ENSEMBLE].value_text}" for line in fiche.lines.values()
                if QPV_ENSEMBLE in line.references]
    if national:
        notes.append(f"Ensemble des QPV 2015 (repère national) : {french_list(national)}.")
    if any(line.estimation for line in fiche.lines.values() if not line.missing):
        notes.append("Une estimation n'est pas un chiffre publié : elle est donnée avec son intervalle à 90 % quand "
                     "elle est calibrée (la vraie valeur s'y trouve 9 fois sur 10), sinon avec sa méthode.")
    sources = list(dict.fromkeys(line.source for line in fiche.lines.values() if not line.missing and line.source))
    if sources:
        notes.append("Sources des valeurs du quartier : " + " ; ".join(sources) + ".")
    blocks: list[Block] = [Heading(3, "Chiffres clés")]
    if rows:
        blocks.append(TableBlock(Table(key=f"qpv:{fiche.code}", title="Chiffres clés", columns=columns, rows=rows,
                                       notes=notes)))
    else:
        blocks.append(Note("Aucune valeur n'est disponible pour ce quartier dans les données chargées."))
    if missing:
        parts = [f"{missing_label(code or None)} : {french_list(labels)}" for code, labels in missing.items()]
        blocks.append(Paragraph(" ; ".join(parts) + ".", lead="Non disponibles — "))
    return blocks


def _score_blocks(fiche: Fiche) -> list[Block]:
    scores = fiche.scores
    if scores.status in (None, "cadre_insuffisant"):
        return [Note("Cadre de comparaison trop petit : pas de score pour ce quartier.")]
    expo_text = "non calculée" if math.isnan(scores.exposition) else f"{format_number(scores.exposition, 1)} / 10"
    vuln_text = "non calculée" if math.isnan(scores.vulnerability) else f"{format_number(scores.vulnerability, 1)} / 10"
    items = [f"Exposition environnementale : {expo_text} ; vulnérabilité (conditions de vie) : {vuln_text}."]
    if scores.complete:
        items.append(f"Score global (exposition × vulnérabilité) : {format_number(scores.overall, 1)} / 100 — "
                     "élevé seulement quand les deux le sont.")
        text = f"Position : {scores.rank_text} (cadre de comparaison : {scores.frame})"
        if scores.rank_low is not None and scores.rank_high is not None and not scores.interval_in_reliability:
            text += (f" ; selon les choix de méthode et l'incertitude des valeurs estimées, le rang varie du "
                     f"{ordinal(scores.rank_low)} au {ordinal(scores.rank_high)} (intervalle de 90 %)")
        items.append(text + ". Un rang n'est pas un verdict : il dépend du cadre et de la méthode.")
        if scores.reliability_text:
            items.append(scores.reliability_text[0].upper() + scores.reliability_text[1:])
    else:
        missing_pillars = [name for name, value in (("exposition", scores.exposition),
                                                    ("vulnérabilité", scores.vulnerability)) if math.isnan(value)]
        plural = len(missing_pillars) > 1
        items.append(f"Non classé – données partielles : pilier{'s' if plural else ''} {french_list(missing_pillars)} "
                     f"non calculé{'s' if plural else ''} faute de données suffisantes ; les valeurs disponibles "
                     "restent lisibles ci-dessus.")
    domain_parts = [f"{domain.label} {format_number(domain.score, 0)}" for domain in fiche.domains
                    if not math.isnan(domain.score)]
    if domain_parts:
        items.append("Profil par domaine (indice 0-100, 100 = situation la moins favorable du cadre) : "
                     + " ; ".join(domain_parts) + ".")
    items.append(fiche.drivers_text)
    if fiche.out_of_frame_text:
        items.append(fiche.out_of_frame_text)
    return [Bullets(items)]


def _evolution_blocks(fiche: Fiche) -> list[Block]:
    """A small table of the series (one row per series, one column per year) with INSEE's caution."""
    blocks: list[Block] = [Heading(3, "Évolution")]
    if not fiche.series:
        blocks.append(Paragraph(fiche.evolution_note))
        return blocks
    years = sorted({year for series in fiche.series for year in series.years})
    columns = [Column("serie", "Série", width=2.4)] + [Column(str(y), str(y), numeric=True, width=0.75) for y in years]
    rows = []
    for series in fiche.series:
        known = dict(zip(series.years, series.values, strict=True))
        rows.append(Row([text_cell(series.label)] + [number_cell(known.get(y), series.decimals, missing=NO_REFERENCE)
                                                     for y in years]))
    blocks.append(TableBlock(Table(key=f"evolution:{fiche.code}", title="Évolution", columns=columns, rows=rows,
                                   notes=[fiche.evolution_note])))
    return blocks


def fiche_blocks(fiche: Fiche) -> list[Block]:
    """The page of one quartier (one sentence when nothing at all is known of it)."""
    heading = Heading(2, f"{fiche.row['lib_qp']} ({fiche.code})", new_page=True)
    notes = [Note(note) for note in fiche.notes]  # said whatever the values (the Mayotte codes, for one)
    if fiche.no_data:
        return [heading, _header(fiche), *notes, Note(NO_DATA)]
    return [heading, _header(fiche), *notes, *_key_figures(fiche), Heading(3, "Scores et facteurs"), *_score_blocks(fiche),
            *_evolution_blocks(fiche)]
