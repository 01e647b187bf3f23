"""Labels of the printed maps, placed so that no two overlap.

:func:`mecc.figures.polygon_map_svg` writes every label at a fixed place (a zone's name
centred on its point, a site's name to the right of its dot), so two sites a few pixels
apart (S07 and S10 of the module 5 demo) print one name over the other. Here the
labels and dots are drawn on the map instead, with a simple deterministic placement:
site labels first (in the order given), each at the first of its candidate places
around the dot (right, left, above, below, then the diagonals, then the same further
out with a thin leader line) whose box is inside the map and meets no dot and no label
placed before; then the zone names, each at its point or the nearest free place around
it. A zone name with no free place within :data:`NAME_RINGS` rings is left out (its
zone still has its name as the hover title); a site label with none keeps its usual
place. The boxes are estimated from the text (:func:`text_box`), generously, for the
DejaVu Sans or Liberation Sans a printed page uses.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Label", "map_with_labels", "place_labels", "projection", "text_box"]

SITE_SIZE = 11
"""Font size of a site's label (as :func:`mecc.figures.polygon_map_svg`)."""
NAME_SIZE = 12
"""Font size of a zone's name."""
HALO = 1.5
"""Half the width of the white stroke drawn under the letters."""
DOT = 5.6
"""A site's dot: radius 5 and half its 1.2 outline."""
ASCENT, DESCENT = 0.95, 0.25
"""Above and below the baseline, in ems: accented capitals and descenders included."""
GAP = 1.0
"""At least this many pixels between two boxes (the coordinates are written rounded)."""
SITE_RINGS, SITE_STEP = 6, 8.0
NAME_RINGS, NAME_STEP = 10, 8.0

_WIDE = set("mwMW@%")
_NARROW = set(" .,;:'!|()[]-ijlftrI")


@dataclass(frozen=True)
class Label:
    """A label placed on the map: text, baseline point, size, anchor and its box."""

    text: str
    x: float
    y: float
    size: float
    anchor: str  # start, middle or end (SVG text-anchor)
    box: tuple  # (x0, y0, x1, y1) in the map's pixels, halo included
    leader: tuple | None = None  # (x0, y0, x1, y1): a line from a dot to a far label


def text_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` pixels, estimated from its letters (a little
    wider than DejaVu Sans, the widest of the usual sans-serif fonts)."""
    total = 0.0
    for char in str(text):
        base = unicodedata.normalize("NFD", char)[:1] or char
        if base in _WIDE:
            total += 1.0
        elif base in _NARROW:
            total += 0.4
        elif base.isupper():
            total += 0.8
        else:
            total += 0.66
    return total * size


def text_box(x: float, y: float, text: str, size: float, anchor: str = "start") -> tuple:
    """The box ``(x0, y0, x1, y1)`` of a label whose baseline starts (``start``), is
    centred (``middle``) or ends (``end``) at ``(x, y)``, with its white halo."""
    width = text_width(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (
        left - HALO,
        y - ASCENT * size - HALO,
        left + width + HALO,
        y + DESCENT * size + HALO,
    )


def _meets(a: tuple, b: tuple, gap: float = 0.0) -> bool:
    """Whether boxes ``a`` and ``b`` overlap, or come closer than ``gap``."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _inside(box: tuple, width: float, height: float) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _site_places(cx: float, cy: float, size: float):
    """Candidate ``(x, y, anchor, ring)`` of a site's label around its dot."""
    middle = 0.36 * size  # the baseline that centres digits and capitals on the dot
    for ring in range(SITE_RINGS):
        d = DOT + 1 + HALO + ring * SITE_STEP
        e = 0.7 * d
        yield cx + d, cy + middle, "start", ring
        yield cx - d, cy + middle, "end", ring
        yield cx, cy - d - DESCENT * size, "middle", ring
        yield cx, cy + d + ASCENT * size, "middle", ring
        yield cx + e, cy - e - DESCENT * size, "start", ring
        yield cx + e, cy + e + ASCENT * size, "start", ring
        yield cx - e, cy - e - DESCENT * size, "end", ring
        yield cx - e, cy + e + ASCENT * size, "end", ring


def _name_places(x: float, y: float):
    """Candidate ``(x, y)`` of a zone's name (centred): its point, then around it."""
    yield x, y
    for k in range(1, NAME_RINGS + 1):
        dx, dy = 1.5 * k * NAME_STEP, k * NAME_STEP
        for sx, sy in ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1)):
            yield x + sx * dx, y + sy * dy


def _leader(cx: float, cy: float, box: tuple) -> tuple:
    """A line from the dot's edge to the nearest point of a label's box."""
    nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
    length = math.hypot(nx - cx, ny - cy) or 1.0
    return (cx + (nx - cx) * DOT / length, cy + (ny - cy) * DOT / length, nx, ny)


def place_labels(sites, names, width: float, height: float) -> list:
    """Place the labels of a map so that no two boxes meet.

    Parameters
    ----------
    sites : list of (x, y, text)
        Dots in the map's pixels, each with its label (placed first, in this order).
    names : list of (x, y, text)
        Zone names, centred on their point when it is free.
    width, height : float
        The map's size in pixels: every label stays inside it.

    Returns
    -------
    list of Label
        The sites' labels (each one; a site with no free place keeps the first
        candidate), then the names that found a free place.
    """
    dots = [(x - DOT, y - DOT, x + DOT, y + DOT) for x, y, _ in sites]
    placed: list = []

    def free(box):
        taken = [*dots, *(label.box for label in placed)]
        return _inside(box, width, height) and not any(_meets(box, b, GAP) for b in taken)

    for cx, cy, text in sites:
        chosen = None
        for x, y, anchor, ring in _site_places(cx, cy, SITE_SIZE):
            box = text_box(x, y, text, SITE_SIZE, anchor)
            if free(box):
                leader = _leader(cx, cy, box) if ring else None
                chosen = Label(str(text), x, y, SITE_SIZE, anchor, box, leader)
                break
        if chosen is None:  # nowhere free: its usual place, right of the dot
            x, y, anchor, _ = next(_site_places(cx, cy, SITE_SIZE))
            chosen = Label(str(text), x, y, SITE_SIZE, anchor, text_box(x, y, text, SITE_SIZE))
        placed.append(chosen)
    for px, py, text in names:
        for x, y in _name_places(px, py):
            box = text_box(x, y, text, NAME_SIZE, "middle")
            if free(box):
                placed.append(Label(str(text), x, y, NAME_SIZE, "middle", box))
                break
    return placed


def projection(geometries, width: int = 640):
    """The lon/lat -> pixel function of :func:`mecc.figures.polygon_map_svg` for these
    geometries (their bounds, the cosine of the mean latitude, ``width`` pixels)."""
    import shapely

    geoms = [g for g in geometries if g is not None and not g.is_empty]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    scale_x = math.cos(math.radians((miny + maxy) / 2))
    unit = width / max((maxx - minx) * scale_x, 1e-9)

    def xy(lon, lat):
        return (lon - minx) * scale_x * unit, (maxy - lat) * unit

    return xy


def map_with_labels(geometries, colours, titles, *, labels=None, points=None, underlay=None):
    """:func:`mecc.figures.polygon_map_svg` with its labels and dots placed by
    :func:`place_labels`: ``labels`` ``(lon, lat, text)`` zone names, ``points``
    ``(lon, lat, text, colour)`` sites with their dot."""
    from mecc.figures import polygon_map_svg

    geometries = list(geometries)
    svg = polygon_map_svg(geometries, colours, titles, underlay=underlay)
    size = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    if not size:
        return svg  # nothing to draw
    width, height = float(size.group(1)), float(size.group(2))
    xy = projection(geometries, int(width))
    sites = [(*xy(lon, lat), text) for lon, lat, text, _ in points or []]
    names = [(*xy(lon, lat), text) for lon, lat, text in labels or []]
    placed = place_labels(sites, names, width, height)
    marks = []
    for label in placed:
        if label.leader:
            x0, y0, x1, y1 = label.leader
            marks.append(
                f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
                'stroke="#1a1a1a" stroke-width="0.8"/>'
            )
    for (x, y, _), (*_, colour) in zip(sites, points or [], strict=True):
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}" stroke="#1a1a1a" '
            'stroke-width="1.2"/>'
        )
    for label in placed:
        marks.append(
            f'<text x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="{label.anchor}" '
            f'font-size="{label.size:g}" stroke="#ffffff" stroke-width="{2 * HALO:g}" '
            f'paint-order="stroke" fill="#1a1a1a">{html.escape(label.text)}</text>'
        )
    group = f'<g font-family="sans-serif">{"".join(marks)}</g>' if marks else ""
    return svg[: -len("</svg>")] + group + "</svg>"
