"""Static choropleth maps for the annex (PNG for Word/PDF, PNG or SVG for print), drawn offline.

Each map shows one indicator over the QPV of one generation, on the commune outlines of the
territory, in the territory's metric projection (Lambert-93 in metropolitan France, local UTM
overseas) so that the scale bar is true. The classes, colours and legend texts are those of the
interactive map (``geodata.classes``), so a chef de projet sees the same classes on screen and on paper.
Nothing is fetched from the internet: no tiles, no fonts.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Patch, Rectangle

import settings
from geodata import classes
from indicators.catalogue import DOMAINS, Indicator
from core.formats import format_number, is_missing, plural

# SVG text stays text (editable in Inkscape or Illustrator, searchable) instead of outlines. Figures
# are built with the object API (``Figure``), never pyplot, so that maps drawn in two threads of the
# app (two downloads at once) do not share pyplot's global state.
matplotlib.rcParams["svg.fonttype"] = "none"
# Commune and territory names come from downloaded files: "$…$" in a name is text, never mathtext
# (a name such as "Ville $\frac{x}$" made the whole annex fail).
matplotlib.rcParams["text.parse_math"] = False

#: Resolution of the maps embedded in the DOCX/PDF, and of the stand-alone print files.
DOCX_DPI = 220
PRINT_DPI = 300
#: Figure size (inches): the text width of an A4 portrait page with 2 cm margins (17 cm).
FIGSIZE = (17 / 2.54, 12.8 / 2.54)
FONT = "DejaVu Sans"  # shipped with matplotlib: identical rendering everywhere
_BACKGROUND = "#f2f2f2"
_COMMUNE_EDGE = "#9a9a9a"
_QPV_EDGE = "#3d3d3d"
_MISSING_HATCH = "////"
#: Estimated values keep their class colour under a dotted hatching (legend entry and source line say so).
_ESTIMATED_HATCH = "...."
#: Units of absolute counts: a choropleth of counts misleads (larger areas look "more"), never mapped.
COUNT_UNITS = ("habitants", "personnes")
GENERATION_LABELS = {2024: "QPV 2024", 2015: "QPV 2015"}


@dataclass
class MapSpec:
    """Everything needed to draw one map (and redraw it in another format)."""

    key: str
    domain: str
    indicator: Indicator
    generation: int
    territory_label: str
    #: QPV shapes in ``crs`` with columns ``code_qp``, ``lib_qp``, ``lib_com``, ``value``.
    shapes: gpd.GeoDataFrame
    #: Commune outlines in ``crs`` with ``insee_com``, ``lib_com``.
    communes: gpd.GeoDataFrame
    #: Communes to label (those with a mapped QPV).
    labelled_communes: tuple[str, ...]
    crs: str
    contour_publisher: str
    commune_publisher: str
    made_on: date
    #: QPV of this generation in the territory that have no contour (listed in the tables only).
    without_contour: int = 0
    #: (vintage, source) of the values mapped, as the value table gives them (a value carried from a QPV 2015
    #: keeps its own, an estimate says it is one), said in the legend and the source line; the shapes'
    #: ``estimated`` column marks the estimates (hatched). Empty: the indicator's own (catalogue).
    value_sources: tuple[tuple[str, str], ...] = ()

    @property
    def vintages(self) -> list[str]:
        return list(dict.fromkeys(v for v, _ in self.value_sources if v)) or [self.indicator.vintage]

    @property
    def estimated_count(self) -> int:
        if "estimated" not in self.shapes:
            return 0
        return int((self.shapes["estimated"].fillna(False).astype(bool) & self.shapes["value"].notna()).sum())

    @property
    def title(self) -> str:
        return f"{self.indicator.label} ({GENERATION_LABELS.get(self.generation, self.generation)})"

    @property
    def subtitle(self) -> str:
        return f"{DOMAINS[self.domain].label} — {self.territory_label}"

    @property
    def file_stem(self) -> str:
        return f"carte_{self.domain}_{self.indicator.id}_qpv{self.generation}"


# --- legend and classes ----------------------------------------------------------------------------


def legend_entries(spec: MapSpec) -> list[tuple[str, str]]:
    """(label, colour) of each class, light to dark, as in the interactive map's legend."""
    ind = spec.indicator
    values = spec.shapes["value"]
    if ind.unit == "oui/non":
        present = sorted({int(round(float(v))) for v in values if not is_missing(v)})
        colors = classes.class_colors(2)
        return [("non" if v == 0 else "oui", colors[v]) for v in present]
    breaks = classes.shown_breaks(values, ind.decimals, settings.MAP_CLASSES)
    return list(zip(classes.class_labels(breaks, ind.unit, ind.decimals), classes.palette(breaks), strict=True))


def _colours(spec: MapSpec) -> list[str | None]:
    ind = spec.indicator
    values = spec.shapes["value"].tolist()
    if ind.unit == "oui/non":
        palette = classes.class_colors(2)
        return [None if is_missing(v) else palette[int(round(float(v)))] for v in values]
    breaks = classes.shown_breaks(values, ind.decimals, settings.MAP_CLASSES)
    palette = classes.palette(breaks)
    out: list[str | None] = []
    for v in values:
        index = classes.class_index(None if is_missing(v) else round(float(v), ind.decimals), breaks)
        out.append(None if index is None else palette[min(index, len(palette) - 1)])
    return out


# --- map furniture --------------------------------------------------------------------------------


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) close to a fifth of the map width."""
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power


def distance_text(metres: float) -> str:
    """A scale-bar length in French: metres below a kilometre, kilometres (one decimal at most) above."""
    if metres >= 1000:
        km = metres / 1000
        return f"{format_number(km, 0 if float(km).is_integer() else 1)}\u00a0km"
    return f"{format_number(metres, 0)}\u00a0m"


def _scale_bar(ax, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
    length = nice_length(xmax - xmin)
    height = (ymax - ymin) * 0.012
    x0 = xmin + (xmax - xmin) * 0.04
    y0 = ymin + (ymax - ymin) * 0.05
    half = length / 2
    for i, colour in enumerate(("#1a1a1a", "#ffffff")):
        ax.add_patch(Rectangle((x0 + i * half, y0), half, height, facecolor=colour, edgecolor="#1a1a1a",
                               linewidth=0.6, zorder=6))
    for x, text in ((x0, "0"), (x0 + length, distance_text(length))):
        ax.text(x, y0 + height * 1.8, text, ha="center", va="bottom", fontsize=6.5, family=FONT, zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.6})


def _north_arrow(ax, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
    """Grid north of the projection (within about a degree of true north in metropolitan France)."""
    width, height = xmax - xmin, ymax - ymin
    x = xmax - width * 0.05
    y = ymax - height * 0.17
    ax.add_patch(FancyArrow(x, y, 0, height * 0.08, width=width * 0.012, head_width=width * 0.03,
                            head_length=height * 0.035, length_includes_head=True, color="#1a1a1a", zorder=6))
    ax.text(x, y + height * 0.09, "N", ha="center", va="bottom", fontsize=9, fontweight="bold", family=FONT,
            zorder=6)


def _extent(shapes: gpd.GeoDataFrame, aspect: float) -> tuple[float, float, float, float]:
    """Bounds of the QPV with a margin, widened to the axes' aspect so 1 m is 1 m both ways."""
    return fit_extent(tuple(shapes.total_bounds), aspect, margin=1.2, minimum=500.0)


def fit_extent(bounds: tuple[float, float, float, float], aspect: float,
               margin: float = 1.15, minimum: float = 600.0) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around ``bounds`` (at least ``minimum`` metres each way) with a margin, widened to
    the axes' aspect so 1 m is 1 m both ways (annex maps and workshop posters)."""
    xmin, ymin, xmax, ymax = bounds
    width, height = max(xmax - xmin, minimum) * margin, max(ymax - ymin, minimum) * margin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def sources_line(spec: MapSpec) -> str:
    ind = spec.indicator
    estimated = spec.estimated_count
    said = ""
    if estimated:
        known = int(spec.shapes["value"].notna().sum())
        said = (f" Valeurs estimées (hachurées ; intervalle à 90 % dans les tableaux) : {format_number(estimated)} "
                f"sur {format_number(known)}.")
    data = (" ; ".join(f"{source}, millésime {vintage}" if vintage else source for vintage, source in spec.value_sources)
            or f"{ind.publisher}, {ind.vintage}")
    return (f"Données : {data}.{said} Contours des quartiers : {spec.contour_publisher} "
            f"({GENERATION_LABELS.get(spec.generation, spec.generation)}). Limites communales : "
            f"{spec.commune_publisher}. Réalisation : ecoqpv, {spec.made_on.strftime('%d/%m/%Y')}.")


# --- drawing ----------------------------------------------------------------------------------------


def _frame(ax) -> None:
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_edgecolor("#7f7f7f")
        side.set_linewidth(0.6)


def _draw_layers(ax, spec: MapSpec, colours: list[str | None], extent: tuple[float, float, float, float],
                 labels: bool) -> None:
    """Commune background, QPV classes, hatched missing values and (main map) commune names."""
    xmin, xmax, ymin, ymax = extent
    if len(spec.communes):
        spec.communes.plot(ax=ax, facecolor=_BACKGROUND, edgecolor=_COMMUNE_EDGE, linewidth=0.5, zorder=1)
    known = [c is not None for c in colours]
    shapes = spec.shapes
    if any(known):
        shapes[known].plot(ax=ax, color=[c for c in colours if c is not None], edgecolor=_QPV_EDGE,
                           linewidth=0.5, zorder=3)
    if not all(known):
        shapes[[not k for k in known]].plot(ax=ax, facecolor=classes.MISSING_COLOR, edgecolor=_QPV_EDGE,
                                            hatch=_MISSING_HATCH, linewidth=0.5, linestyle="--", alpha=0.75,
                                            zorder=2)
    if spec.estimated_count:
        estimated = shapes["estimated"].fillna(False).astype(bool).to_numpy() & np.array(known, dtype=bool)
        # Dots that show on their class colour: white on the dark classes, dark on the light ones.
        dark = np.array([c is not None and _is_dark(c) for c in colours], dtype=bool)
        for mask, ink in ((estimated & dark, "#ffffff"), (estimated & ~dark, "#1a1a1a")):
            if mask.any():
                shapes[mask].plot(ax=ax, facecolor="none", edgecolor=ink, hatch=_ESTIMATED_HATCH, linewidth=0.0,
                                  zorder=3.5)
    if not labels or not len(spec.communes):
        return
    # Names of the communes with a mapped QPV, kept clear of the frame so that none is cut.
    mx, my = (xmax - xmin) * 0.12, (ymax - ymin) * 0.05
    for name, point in zip(spec.communes["lib_com"], spec.communes.representative_point(), strict=True):
        if name in spec.labelled_communes and xmin + mx <= point.x <= xmax - mx and ymin + my <= point.y <= ymax - my:
            ax.text(point.x, point.y, name, fontsize=6, family=FONT, color="#4d4d4d", ha="center", va="center",
                    zorder=4, style="italic", clip_on=True,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.55, "pad": 0.5})


def _is_dark(colour: str) -> bool:
    """Relative luminance of a ``#rrggbb`` colour under one half."""
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5


def _zoom_extent(spec: MapSpec, extent: tuple[float, float, float, float]) -> tuple[str, tuple] | None:
    """(commune, bounds) of an inset on the commune with most QPV, when the QPV there are too small to read.

    Used when the QPV spread over a large territory (Aix-Marseille-Provence): the commune holding the
    most QPV gets a zoom in the free space under the legend.
    """
    if "lib_com" not in spec.shapes or spec.shapes["lib_com"].isna().all():
        return None
    counts = spec.shapes["lib_com"].value_counts()
    name = counts.index[0]
    if counts.iloc[0] < 3 or counts.iloc[0] == len(spec.shapes):
        return None
    bounds = spec.shapes[spec.shapes["lib_com"] == name].total_bounds
    xmin, xmax, ymin, ymax = extent
    ratio = ((xmax - xmin) * (ymax - ymin)) / max((bounds[2] - bounds[0]) * (bounds[3] - bounds[1]), 1.0)
    return (str(name), tuple(bounds)) if ratio >= 8 else None


def draw(spec: MapSpec):
    """The matplotlib figure of one map (callers save and close it)."""
    ind = spec.indicator
    fig = Figure(figsize=FIGSIZE)
    fig.patch.set_facecolor("white")
    map_box = (0.01, 0.10, 0.66, 0.80)  # left, bottom, width, height (figure fraction)
    ax = fig.add_axes(map_box)
    aspect = (map_box[2] * FIGSIZE[0]) / (map_box[3] * FIGSIZE[1])
    xmin, xmax, ymin, ymax = _extent(spec.shapes, aspect)

    colours = _colours(spec)
    known = [c is not None for c in colours]
    _draw_layers(ax, spec, colours, (xmin, xmax, ymin, ymax), labels=True)
    zoom = _zoom_extent(spec, (xmin, xmax, ymin, ymax))
    if zoom is not None:
        name, bounds = zoom
        inset_box = (0.70, 0.285, 0.28, 0.22)
        inset = fig.add_axes(inset_box)
        inset_aspect = (inset_box[2] * FIGSIZE[0]) / (inset_box[3] * FIGSIZE[1])
        zx0, zx1, zy0, zy1 = fit_extent(bounds, inset_aspect, margin=1.1, minimum=500.0)
        _draw_layers(inset, spec, colours, (zx0, zx1, zy0, zy1), labels=False)
        inset.set_xlim(zx0, zx1)
        inset.set_ylim(zy0, zy1)
        _frame(inset)
        _scale_bar(inset, zx0, zx1, zy0, zy1)
        inset.set_title(f"Zoom : {name}", fontsize=6.5, family=FONT, loc="left", pad=2)
        ax.add_patch(Rectangle((zx0, zy0), zx1 - zx0, zy1 - zy0, fill=False, edgecolor="#1a1a1a", linewidth=0.8,
                               linestyle=":", zorder=5))
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    _frame(ax)
    _scale_bar(ax, xmin, xmax, ymin, ymax)
    _north_arrow(ax, xmin, xmax, ymin, ymax)

    title = textwrap.fill(spec.title, 100)
    fig.text(0.01, 0.975, title, fontsize=8.5, fontweight="bold", family=FONT, va="top")
    fig.text(0.01, 0.975 - 0.038 * (title.count("\n") + 1), spec.subtitle, fontsize=7.5, family=FONT,
             color="#404040", va="top")
    handles = [Patch(facecolor=c, edgecolor=_QPV_EDGE, linewidth=0.5, label=textwrap.fill(t, 30))
               for t, c in legend_entries(spec)]
    if spec.estimated_count:
        handles.append(Patch(facecolor="white", edgecolor=_QPV_EDGE, hatch=_ESTIMATED_HATCH, linewidth=0.5,
                             label="valeur estimée (couleur de sa\nclasse ; intervalle dans les tableaux)"))
    if not all(known):
        handles.append(Patch(facecolor=classes.MISSING_COLOR, edgecolor=_QPV_EDGE, hatch=_MISSING_HATCH,
                             linestyle="--", linewidth=0.5, label="valeur non disponible\n(raison dans les tableaux)"))
    handles.append(Patch(facecolor=_BACKGROUND, edgecolor=_COMMUNE_EDGE, linewidth=0.5, label="commune"))
    unit = f" ({ind.unit})" if ind.unit and ind.unit != "oui/non" else ""
    title = (textwrap.fill(f"{ind.label}{unit}", 32) + "\n"
             + textwrap.fill(f"Millésime{'s' if len(spec.vintages) > 1 else ''} : {' ; '.join(spec.vintages)}", 34))
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.685, 0.90), frameon=False,
                        title=title, fontsize=6.5, title_fontsize=7, alignment="left", handlelength=1.8,
                        handleheight=1.2, labelspacing=0.6, prop={"family": FONT, "size": 6.5})
    legend.get_title().set_family(FONT)
    notes = []
    if ind.unit != "oui/non":
        notes.append("Classes : quantiles des valeurs des quartiers cartographiés ; teinte plus foncée = "
                     "valeur plus élevée.")
    if ind.direction == -1:
        notes.append("Pour cet indicateur, une valeur plus élevée correspond à une situation plus favorable.")
    if spec.without_contour:
        notes.append(f"{plural(spec.without_contour, 'quartier')} sans contour disponible : "
                     + ("présent dans les tableaux, absent de la carte." if spec.without_contour == 1
                        else "présents dans les tableaux, absents de la carte."))
    fig.text(0.685, 0.12, "\n".join(textwrap.fill(n, 46) for n in notes), fontsize=6, family=FONT,
             color="#404040", va="bottom")
    fig.text(0.01, 0.015, textwrap.fill(sources_line(spec), 150), fontsize=5.8, family=FONT, color="#404040",
             va="bottom")
    return fig


def render(spec: MapSpec, fmt: str = "png", dpi: int = DOCX_DPI) -> bytes:
    """The map as PNG (``dpi`` ≥ 200) or SVG bytes."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unsupported map format {fmt!r}")
    buffer = io.BytesIO()
    fig = draw(spec)
    metadata = {"Title": spec.title} if fmt == "png" else {"Title": spec.title, "Date": None}
    fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
    return buffer.getvalue()
