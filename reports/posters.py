"""Workshop posters (« affiches »): one page per slide of a sequence, A3 (or A4) landscape, in one PDF.

Each poster carries the question in large type, the map of the slide (the same classes and colours as on screen,
from ``assembly.atelier`` and ``geodata.classes``) with its legend, a scale bar, a north arrow and the names of the
quartiers and communes, the sentences that say what the data can and cannot show, the prompts, and the sources
with their vintage. With ``per_quartier``, the same series follows for each quartier, zoomed on it. Drawn offline
with matplotlib (object API, no pyplot), fonts shipped with matplotlib (DejaVu Sans), no tiles.

Command line: ``python -m reports affiches --territoire … --format pdf --out FILE [--papier a3|a4]
[--par-quartier] [--sequence habitants|partenaires]``.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date

import geopandas as gpd
import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Patch, Rectangle

import settings
from assembly import atelier
from assembly.atelier import VALUES, ZONES, Slide
from core.errors import BadArgumentError
from geodata import classes, labels, workshop_map
from geodata.territories import Territory
from reports.maps import distance_text, fit_extent, nice_length

matplotlib.rcParams["text.parse_math"] = False  # "$" in a name is text, never mathtext
matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType in the PDF: text stays text (searchable, copyable)

#: Paper → (French label, landscape size in millimetres).
PAPERS: dict[str, tuple[str, tuple[float, float]]] = {"a3": ("A3 paysage", (420.0, 297.0)),
                                                     "a4": ("A4 paysage", (297.0, 210.0))}
FORMATS = ("pdf",)
FONT = "DejaVu Sans"
#: Posters per quartier beyond this number: the command asks for a smaller territory (a PDF of hundreds of pages
#: helps nobody in a room).
MAX_QUARTIERS = 30
_COMMUNE_FILL, _COMMUNE_EDGE, _QPV_EDGE = "#f2f2f2", "#9a9a9a", "#1a1a1a"
_BLUE, _GREY = "#1f5fa8", "#404040"


def file_name(territory: Territory, sequence: str, paper: str, day: date | None = None) -> str:
    return (f"affiches_atelier_{sequence}_{territory.kind.lower()}_{territory.code}_{paper}_"
            f"{(day or date.today()).isoformat()}.pdf")


# --- map furniture, sized for the paper -------------------------------------------------------------------------


def _scale_bar(ax, extent: tuple[float, float, float, float], size: float) -> None:
    xmin, xmax, ymin, ymax = extent
    length = nice_length(xmax - xmin)
    height = (ymax - ymin) * 0.014
    x0, y0 = xmin + (xmax - xmin) * 0.035, ymin + (ymax - ymin) * 0.04
    ax.add_patch(Rectangle((x0 - (xmax - xmin) * 0.012, y0 - height * 0.8), length + (xmax - xmin) * 0.024,
                           height * 4.2, facecolor="white", edgecolor="none", alpha=0.8, zorder=7))
    for i, colour in enumerate(("#1a1a1a", "#ffffff", "#1a1a1a", "#ffffff")):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, height, facecolor=colour, edgecolor="#1a1a1a",
                               linewidth=0.8, zorder=8))
    for x, text in ((x0, "0"), (x0 + length, distance_text(length))):
        ax.text(x, y0 + height * 1.5, text, ha="center", va="bottom", fontsize=size, family=FONT, zorder=8)


def _north_arrow(ax, extent: tuple[float, float, float, float], size: float) -> None:
    """Grid north of the projection (within about a degree of true north in metropolitan France)."""
    xmin, xmax, ymin, ymax = extent
    width, height = xmax - xmin, ymax - ymin
    x, y = xmax - width * 0.045, ymax - height * 0.19
    ax.add_patch(Rectangle((x - width * 0.028, y - height * 0.02), width * 0.056, height * 0.2, facecolor="white",
                           edgecolor="none", alpha=0.8, zorder=7))
    ax.add_patch(FancyArrow(x, y, 0, height * 0.1, width=width * 0.012, head_width=width * 0.032,
                            head_length=height * 0.045, length_includes_head=True, color="#1a1a1a", zorder=8))
    ax.text(x, y + height * 0.11, "N", ha="center", va="bottom", fontsize=size * 1.3, fontweight="bold", family=FONT,
            zorder=8)


def _metric_crs(slide: Slide) -> str:
    deps = slide.communes["insee_dep"].dropna() if "insee_dep" in slide.communes else []
    return settings.metric_crs_for_dep(str(deps.iloc[0]) if len(deps) else None)


def _to(frame: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame | None:
    if frame is None or not len(frame):
        return frame
    return frame.to_crs(crs) if frame.crs is not None else frame.set_crs(settings.DISPLAY_CRS).to_crs(crs)


def _draw_map(ax, slide: Slide, selected: str | None, size: float) -> None:
    """Communes, zones or classes, quartiers, the chosen one outlined, names kept clear of each other."""
    crs = _metric_crs(slide)
    qpv, communes, zones = _to(slide.qpv, crs), _to(slide.communes, crs), _to(slide.zones, crs)
    box = ax.get_position()
    fig = ax.figure
    aspect = (box.width * fig.get_figwidth()) / (box.height * fig.get_figheight())
    focus = qpv[qpv["code_qp"] == selected] if selected is not None else qpv.iloc[0:0]
    if len(focus):
        extent = fit_extent(tuple(focus.total_bounds), aspect, margin=1.9, minimum=900.0)
    else:
        extent = fit_extent(tuple(qpv.total_bounds), aspect)
    if communes is not None and len(communes):
        communes.plot(ax=ax, facecolor=_COMMUNE_FILL, edgecolor=_COMMUNE_EDGE, linewidth=0.7, zorder=1)
    if slide.kind == ZONES and zones is not None and len(zones):
        zones.plot(ax=ax, color=list(zones["couleur"]), edgecolor="white", linewidth=0.4, alpha=0.85, zorder=2)
        qpv.plot(ax=ax, facecolor="none", edgecolor=_QPV_EDGE, linewidth=1.8, zorder=4)
    elif slide.kind == VALUES:
        missing = qpv[slide.indicator.id].isna().to_numpy()
        if (~missing).any():
            qpv[~missing].plot(ax=ax, color=list(qpv.loc[~missing, "couleur"]), edgecolor=_QPV_EDGE, linewidth=0.9,
                               zorder=3)
        if missing.any():
            qpv[missing].plot(ax=ax, facecolor=classes.MISSING_COLOR, edgecolor=_QPV_EDGE, hatch="////",
                              linewidth=0.9, linestyle="--", zorder=3)
    else:
        qpv.plot(ax=ax, facecolor=workshop_map.PLAN_FILL, edgecolor=_QPV_EDGE, linewidth=1.6, alpha=0.75, zorder=3)
    if len(focus):
        focus.plot(ax=ax, facecolor="none", edgecolor="white", linewidth=6, zorder=5)
        focus.plot(ax=ax, facecolor="none", edgecolor="#111111", linewidth=3, zorder=6)
    xmin, xmax, ymin, ymax = extent
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_edgecolor("#7f7f7f")
    _names(ax, qpv, communes, slide.named_communes, selected, extent, size)
    _scale_bar(ax, extent, size)
    _north_arrow(ax, extent, size)


def _names(ax, qpv: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None, named: list[str], selected: str | None,
           extent: tuple[float, float, float, float], size: float) -> None:
    """Names of the quartiers (bold, boxed) then of the communes (italic capitals): a name that would overlap
    one already written, or stick out of the map, is left out (the chosen quartier is written first)."""
    xmin, xmax, ymin, ymax = extent
    canvas = FigureCanvasAgg(ax.figure)
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed = []
    order = qpv.assign(aire=qpv.geometry.area, choisi=qpv["code_qp"] == (selected or ""))
    order = order.sort_values(["choisi", "aire"], ascending=[False, False])
    items = [(row.geometry.representative_point(), str(row.lib_qp), "qpv", bool(row.choisi))
             for row in order.itertuples() if isinstance(row.lib_qp, str) and row.lib_qp]
    if communes is not None and len(communes) and {"insee_com", "lib_com"} <= set(communes.columns):
        chosen = communes[communes["insee_com"].isin(set(named))]
        chosen = chosen.assign(aire=chosen.geometry.area, point=labels.commune_points(chosen, qpv))
        chosen = chosen.sort_values("aire", ascending=False)
        items += [(row.point, str(row.lib_com).upper(), "commune", False)
                  for row in chosen.itertuples() if isinstance(row.lib_com, str)]
    for point, name, kind, chosen_one in items:
        if not (xmin <= point.x <= xmax and ymin <= point.y <= ymax):
            continue
        if kind == "qpv":
            text = ax.text(point.x, point.y, textwrap.fill(name, 22), ha="center", va="center", family=FONT,
                           fontsize=size * (1.35 if chosen_one else 1.05), fontweight="bold", color="#111111",
                           zorder=9, bbox={"facecolor": "white", "edgecolor": "#111111" if chosen_one else "#666666",
                                           "alpha": 0.88, "pad": 2.5, "linewidth": 1.2 if chosen_one else 0.6})
        else:
            text = ax.text(point.x, point.y, name, ha="center", va="center", family=FONT, fontsize=size * 1.15,
                           style="italic", color="#3a3a3a", zorder=8,
                           bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.6, "pad": 1.0})
        box = text.get_window_extent(renderer).expanded(1.04, 1.1)
        outside = box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1
        if outside or any(box.overlaps(other) for other in placed):
            text.remove()
        else:
            placed.append(box)


# --- the poster ------------------------------------------------------------------------------------------------


def _wrap(text: str, width_in: float, points: float, bold: bool = False) -> str:
    """``text`` wrapped to about ``width_in`` inches at ``points`` (DejaVu Sans: about 0.56 em per character,
    0.64 in bold); a space before « ? : ; ! » is unbreakable, as French typography wants."""
    chars = max(int(width_in * 72 / (points * (0.64 if bold else 0.56))), 12)
    for mark in ("?", ":", ";", "!"):
        text = text.replace(f" {mark}", f"\u00a0{mark}")
    return textwrap.fill(text, chars)


def poster(slide: Slide, paper: str, territory_label: str, made_on: date, selected: str | None = None,
           quartier_label: str = "") -> Figure:
    """The figure of one poster (callers save and close it)."""
    label, (width_mm, height_mm) = PAPERS[paper]
    width_in, height_in = width_mm / 25.4, height_mm / 25.4
    scale = width_mm / 420.0
    fig = Figure(figsize=(width_in, height_in))
    fig.patch.set_facecolor("white")
    left, right_x = 0.025, 0.655
    column_in = (0.975 - right_x) * width_in

    heading = f"{slide.theme.title.upper()}  ·  {territory_label}" + (f"  ·  {quartier_label}" if quartier_label else "")
    fig.text(left, 0.965, heading, fontsize=15 * scale, family=FONT, color=_BLUE, fontweight="bold", va="top")
    fig.text(0.975, 0.965, slide.counter, fontsize=15 * scale, family=FONT, color=_GREY, va="top", ha="right")
    question = _wrap(slide.theme.question, 0.95 * width_in, 40 * scale, bold=True)
    lines = question.count("\n") + 1
    fig.text(left, 0.93, question, fontsize=40 * scale, family=FONT, fontweight="bold", va="top", color="#111111",
             linespacing=1.1)
    top = 0.93 - lines * (40 * scale * 1.25 / 72) / height_in - 0.02

    map_box = (left, 0.085, right_x - left - 0.02, top - 0.085)
    ax = fig.add_axes(map_box)
    _draw_map(ax, slide, selected, 11 * scale)

    y = top
    if slide.has_map and slide.legend:
        handles = [Patch(facecolor=colour, edgecolor=_QPV_EDGE, linewidth=0.6, label=_wrap(text, column_in * 0.8, 14 * scale))
                   for text, colour in slide.legend]
        title = _wrap(slide.legend_title, column_in, 15 * scale, bold=True)
        legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(right_x, y), frameon=False, title=title,
                            alignment="left", handlelength=2.2, handleheight=1.4, labelspacing=0.55,
                            prop={"family": FONT, "size": 14 * scale}, title_fontproperties={"family": FONT,
                                                                                             "size": 15 * scale,
                                                                                             "weight": "bold"})
        canvas = FigureCanvasAgg(fig)
        extent = legend.get_window_extent(canvas.get_renderer())
        y = extent.y0 / (height_in * fig.dpi) - 0.015
        if slide.legend_details:
            details = _wrap(slide.legend_details, column_in, 12 * scale)
            fig.text(right_x, y, details, fontsize=12 * scale, family=FONT, color=_GREY, va="top")
            y -= (details.count("\n") + 1) * (12 * scale * 1.5 / 72) / height_in + 0.015
    y = _paragraphs(fig, right_x, y, [s for s in [slide.theme.lead, *slide.sentences] if s], column_in, 14 * scale,
                    "#1a1a1a", height_in)
    y -= 0.01
    fig.text(right_x, y, "Pour en parler", fontsize=18 * scale, family=FONT, fontweight="bold", color=_BLUE, va="top")
    y -= (18 * scale * 1.6 / 72) / height_in
    y = _paragraphs(fig, right_x, y, [f"• {p}" for p in slide.theme.prompts], column_in, 16 * scale, "#111111",
                    height_in)
    if y > 0.2:  # room left: a frame where the group writes or sticks its notes
        fig.add_artist(Rectangle((right_x, 0.085), 0.975 - right_x, y - 0.1, transform=fig.transFigure,
                                 facecolor="none", edgecolor="#9a9a9a", linewidth=1, linestyle="--"))
        fig.text(right_x + 0.008, y - 0.03, "Ce que dit le groupe (sans nom) :", fontsize=12 * scale, family=FONT,
                 color=_GREY, va="top", style="italic")
    footer = (f"{slide.source_line} Affiche du {made_on.strftime('%d/%m/%Y')}, {label}. Les cartes décrivent des "
              "lieux et des bâtiments, pas les personnes qui y vivent.")
    fig.text(left, 0.018, _wrap(footer, 0.95 * width_in, 9 * scale), fontsize=9 * scale, family=FONT, color=_GREY,
             va="bottom")
    return fig


def _paragraphs(fig: Figure, x: float, y: float, texts: list[str], width_in: float, points: float, colour: str,
                height_in: float) -> float:
    for text in texts:
        wrapped = _wrap(text, width_in, points)
        fig.text(x, y, wrapped, fontsize=points, family=FONT, color=colour, va="top", linespacing=1.25)
        y -= (wrapped.count("\n") + 1) * (points * 1.25 / 72) / height_in + 0.012
    return y


def check_paper(paper: str) -> str:
    if paper not in PAPERS:
        raise BadArgumentError(f"Papier « {paper} » inconnu : choisir parmi {', '.join(PAPERS)}.")
    return paper


def posters_pdf(territory: Territory, sequence: str = "habitants", paper: str = "a3", per_quartier: bool = False,
                made_on: date | None = None) -> bytes:
    """Every poster of a sequence for a territory in one PDF (then, ``per_quartier``, a series per quartier)."""
    check_paper(paper)
    made_on = made_on or date.today()
    scope, selected = atelier.workshop_scope(territory)
    quartiers = atelier.quartiers(scope)
    if per_quartier and len(quartiers) > MAX_QUARTIERS:
        raise BadArgumentError(f"{len(quartiers)} quartiers dans {territory.label} : trop pour une série d'affiches par "
                               f"quartier ({MAX_QUARTIERS} au plus). Choisissez une commune ou un EPCI.")
    series = atelier.slides(scope, sequence)
    pages: list[tuple[Slide, str | None, str]] = [(s, selected, "") for s in series]
    if per_quartier:
        for code, name in zip(quartiers["code_qp"], quartiers["lib_qp"], strict=True):
            pages += [(s, str(code), str(name)) for s in series]
    buffer = io.BytesIO()
    metadata = {"Title": f"Affiches d'atelier — {scope.label}", "Author": "ecoqpv", "Subject": "Mode atelier",
                "Creator": "ecoqpv"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for current, code, name in pages:
            fig = poster(current, paper, scope.label, made_on, selected=code, quartier_label=name)
            pdf.savefig(fig)
    return buffer.getvalue()
