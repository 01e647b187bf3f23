"""Figures for reports, drawn without a plotting library: a log-log scatter plot (PNG,
with Pillow) and a choropleth map of polygons (inline SVG, for offline HTML).

Both are deterministic for the same inputs and need no network or fonts beyond the one
Pillow ships.
"""

from __future__ import annotations

import html
import io
import math
import re

import numpy as np

__all__ = [
    "DIVERGING_BINS",
    "diverging_colour",
    "log_scatter_png",
    "name_svg",
    "polygon_map_svg",
]

NOT_REPORTED_COLOUR = "#d9d9d9"
DIVERGING_BINS = (
    (-math.inf, -1.0, "#2166ac", "10x or more too few"),
    (-1.0, -0.5, "#67a9cf", "3-10x too few"),
    (-0.5, -0.15, "#d1e5f0", "1.4-3x too few"),
    (-0.15, 0.15, "#f7f7f7", "within a factor 1.4"),
    (0.15, 0.5, "#fddbc7", "1.4-3x too many"),
    (0.5, 1.0, "#ef8a62", "3-10x too many"),
    (1.0, math.inf, "#b2182b", "10x or more too many"),
)
"""Classes of log10(modelled / observed): colour and legend text (ColorBrewer RdBu)."""


def diverging_colour(value: float) -> str:
    """Colour of a log10 ratio (grey for NaN: not reported)."""
    if value is None or not np.isfinite(value):
        return NOT_REPORTED_COLOUR
    for low, high, colour, _ in DIVERGING_BINS:
        if low <= value < high:
            return colour
    return DIVERGING_BINS[-1][2]


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow < 10.1 or no FreeType: the small bitmap font
        return ImageFont.load_default()


def log_scatter_png(
    x,
    y,
    *,
    x_label: str,
    y_label: str,
    title: str,
    notes: tuple[str, ...] = (),
    threshold: float | None = None,
    size: tuple[int, int] = (760, 700),
    footer: tuple[str, ...] = (),
) -> bytes:
    """A scatter plot of ``1 + x`` against ``1 + y`` on log axes with the 1:1 line.

    Zeros sit on the axes' lower edge (1 + 0 = 1). Dashed lines mark a factor of 10
    either side of 1:1; dotted lines mark ``threshold`` when given. ``footer`` lines (e.g.
    what the figure compares and its sources) are written under the plot, wrapped to its
    width; the image grows to hold them. Returns PNG bytes.
    """
    from PIL import Image, ImageDraw

    x = np.asarray(x, dtype=np.float64) + 1.0
    y = np.asarray(y, dtype=np.float64) + 1.0
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    top = max(float(x.max()) if x.size else 10.0, float(y.max()) if y.size else 10.0, 10.0)
    decades = max(1, math.ceil(math.log10(top) - 1e-12))
    width, height = size
    left, right, upper, lower = 90, 30, 60, 80
    plot_w, plot_h = width - left - right, height - upper - lower
    small, normal, large = _font(12), _font(14), _font(17)
    footer_lines = [part for line in footer for part in _wrap(line, small, width - 36)]
    image = Image.new("RGB", (width, height + 17 * len(footer_lines)), "white")
    draw = ImageDraw.Draw(image)

    def px(value):
        return left + plot_w * math.log10(value) / decades

    def py(value):
        return upper + plot_h * (1 - math.log10(value) / decades)

    # grid and ticks
    for k in range(decades + 1):
        for sub in range(1, 10) if k < decades else (1,):
            value = sub * 10.0**k
            if math.log10(value) > decades + 1e-12:
                continue
            colour = (215, 215, 215) if sub == 1 else (240, 240, 240)
            draw.line([(px(value), upper), (px(value), upper + plot_h)], fill=colour)
            draw.line([(left, py(value)), (left + plot_w, py(value))], fill=colour)
        label = f"{10**k:,.0f}"
        draw.text((px(10.0**k), upper + plot_h + 8), label, fill="black", font=small, anchor="mt")
        draw.text((left - 8, py(10.0**k)), label, fill="black", font=small, anchor="rm")
    draw.rectangle([left, upper, left + plot_w, upper + plot_h], outline="black")
    # reference lines: 1:1 and a factor of 10 either side, clipped to the square
    ends = (1.0, 10.0**decades)
    draw.line([(px(ends[0]), py(ends[0])), (px(ends[1]), py(ends[1]))], fill="black", width=2)
    for factor in (10.0, 0.1):
        a = (1.0, factor) if factor > 1 else (1.0 / factor, 1.0)
        b = (
            (10.0**decades / factor, 10.0**decades)
            if factor > 1
            else (10.0**decades, 10.0**decades * factor)
        )
        _dashed(draw, (px(a[0]), py(a[1])), (px(b[0]), py(b[1])), (120, 120, 120))
    if threshold is not None and 1.0 <= threshold + 1.0 <= 10.0**decades:
        t = threshold + 1.0
        _dashed(draw, (px(t), upper), (px(t), upper + plot_h), (200, 120, 0), dash=3)
        _dashed(draw, (left, py(t)), (left + plot_w, py(t)), (200, 120, 0), dash=3)
    # points (drawn in a fixed order: the input order)
    for xv, yv in zip(x, y, strict=True):
        cx, cy = px(min(xv, 10.0**decades)), py(min(yv, 10.0**decades))
        draw.ellipse([cx - 3.5, cy - 3.5, cx + 3.5, cy + 3.5], fill=(33, 102, 172), outline="white")
    # labels
    draw.text((width / 2, 20), title, fill="black", font=large, anchor="mt")
    draw.text((left + plot_w / 2, height - 28), x_label, fill="black", font=normal, anchor="mt")
    label_image = Image.new("RGB", (plot_h, 24), "white")
    ImageDraw.Draw(label_image).text(
        (plot_h / 2, 12), y_label, fill="black", font=normal, anchor="mm"
    )
    image.paste(label_image.rotate(90, expand=True), (18, upper))
    for k, note in enumerate(notes):
        draw.text((left + 12, upper + 10 + 18 * k), note, fill="black", font=small)
    legend = "solid: 1:1   dashed: factor of 10" + (
        "   dotted: threshold" if threshold is not None else ""
    )
    draw.text(
        (left + plot_w - 8, upper + plot_h - 10), legend, fill=(80, 80, 80), font=small, anchor="rb"
    )
    for k, line in enumerate(footer_lines):
        draw.text((18, height - 4 + 17 * k), line, fill=(60, 60, 60), font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _wrap(text: str, font, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels in ``font`` (words kept whole)."""
    lines, line = [], ""
    for word in str(text).split():
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return [*lines, line] if line else lines


def _dashed(draw, start, end, colour, dash=8):
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        return
    steps = int(length // dash)
    for k in range(0, steps, 2):
        a, b = k / steps, min((k + 1) / steps, 1.0)
        draw.line(
            [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)],
            fill=colour,
            width=1,
        )


def polygon_map_svg(
    geometries,
    colours,
    titles,
    *,
    width: int = 640,
    legend=None,
    labels=None,
    points=None,
    underlay=None,
    label: str | None = None,
    described_by: str | None = None,
) -> str:
    """An inline SVG map of lon/lat polygons, simplified to about a pixel.

    ``geometries`` are shapely geometries in WGS 84, ``colours`` CSS colours and
    ``titles`` hover texts (escaped here). ``legend`` is a list of ``(colour, text)``.
    Optional, for printed maps: ``labels`` a list of ``(lon, lat, text)`` written at the
    points; ``points`` a list of ``(lon, lat, text, colour)`` drawn as marked dots with
    their text; ``underlay`` an image ``(href, (west, south, east, north))`` drawn under
    the outlines (e.g. a palette PNG data URI of a hazard grid).

    The SVG has ``role="img"``, which hides the per-polygon titles from screen readers:
    ``label`` (plain text, escaped here) is its accessible name and ``described_by``
    the id of an element of the page that says its values (:func:`name_svg` adds them
    to a map drawn before the page's language is known).
    """
    import shapely

    geoms = np.asarray(list(geometries), dtype=object)
    valid = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not valid.any():
        return ""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[valid])
    scale_x = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * scale_x, 1e-9), max(maxy - miny, 1e-9)
    unit = width / span_x
    height = int(math.ceil(span_y * unit))
    tolerance = 0.8 / unit
    parts = []
    for geom, colour, title, ok in zip(geoms, colours, titles, valid, strict=True):
        if not ok:
            continue
        simple = shapely.simplify(geom, tolerance, preserve_topology=True)
        path = _svg_path(simple, minx, maxy, scale_x, unit)
        if not path:
            continue
        parts.append(
            f'<path d="{path}" fill="{colour}"><title>{html.escape(str(title))}</title></path>'
        )

    def xy(lon, lat):
        return (lon - minx) * scale_x * unit, (maxy - lat) * unit

    image = ""
    if underlay is not None:
        href, (west, south, east, north) = underlay
        x0, y0 = xy(west, north)
        x1, y1 = xy(east, south)
        image = (
            f'<image href="{html.escape(href)}" x="{x0:.1f}" y="{y0:.1f}" '
            f'width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" preserveAspectRatio="none" '
            'style="image-rendering:pixelated" opacity="0.85"/>'
        )
    marks = []
    for lon, lat, text in labels or []:
        x, y = xy(lon, lat)
        marks.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="12" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke" fill="#1a1a1a">'
            f"{html.escape(str(text))}</text>"
        )
    for lon, lat, text, colour in points or []:
        x, y = xy(lon, lat)
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}" stroke="#1a1a1a" '
            f'stroke-width="1.2"/><text x="{x + 7:.1f}" y="{y + 4:.1f}" font-size="11" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke" fill="#1a1a1a">'
            f"{html.escape(str(text))}</text>"
        )
    marks_svg = f'<g font-family="sans-serif">{"".join(marks)}</g>' if marks else ""
    legend_svg = ""
    if legend:
        rows = []
        for k, (colour, text) in enumerate(legend):
            y = 10 + 18 * k
            rows.append(
                f'<rect x="8" y="{y}" width="14" height="12" fill="{colour}" stroke="#666" '
                f'stroke-width="0.5"/><text x="28" y="{y + 10}" font-size="11">'
                f"{html.escape(text)}</text>"
            )
        legend_svg = f'<g font-family="sans-serif">{"".join(rows)}</g>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img"{_aria(label, described_by)}>'
        f'<g stroke="#777" stroke-width="0.25" stroke-linejoin="round">{"".join(parts)}</g>'
        f"{image}{marks_svg}{legend_svg}</svg>"
    )


def _aria(label: str | None, described_by: str | None) -> str:
    out = f' aria-label="{html.escape(label)}"' if label else ""
    if described_by:
        out += f' aria-describedby="{html.escape(described_by)}"'
    return out


_ROOT_TAG = re.compile(r"<svg\b[^>]*>")
_ARIA_NAMES = re.compile(r'\s(?:aria-label|aria-labelledby|aria-describedby)="[^"]*"')


def name_svg(svg: str, label: str, described_by: str | None = None) -> str:
    """``svg`` (of :func:`polygon_map_svg`) with the accessible name ``label`` and,
    when given, ``aria-describedby`` pointing to the element with id ``described_by``.

    Parameters
    ----------
    svg : str
        An inline SVG; only its root tag changes (any accessible name it had is
        replaced), so it draws the same.
    label : str
        Plain text (escaped here), e.g. ``Map of people displaced by district``.
    described_by : str, optional
        The id of the element of the page holding the text of the map's values.

    Returns
    -------
    str
        The SVG; an empty ``svg`` (nothing to draw) is returned as it is.
    """
    match = _ROOT_TAG.search(svg)
    if not match:
        return svg
    tag = _ARIA_NAMES.sub("", match.group(0))
    if 'role="img"' not in tag:
        tag = tag[:-1] + ' role="img">'
    tag = tag.replace('role="img"', 'role="img"' + _aria(label, described_by), 1)
    return svg[: match.start()] + tag + svg[match.end() :]


def _svg_path(geom, minx, maxy, scale_x, unit) -> str:
    import shapely

    polygons = []
    if geom.geom_type == "Polygon":
        polygons = [geom]
    elif geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        polygons = [g for g in geom.geoms if g.geom_type == "Polygon"]
    commands = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            coords = shapely.get_coordinates(ring)
            if len(coords) < 4:
                continue
            xs = (coords[:, 0] - minx) * scale_x * unit
            ys = (maxy - coords[:, 1]) * unit
            points = " ".join(f"{a:.1f} {b:.1f}" for a, b in zip(xs[:-1], ys[:-1], strict=True))
            commands.append(f"M{points}Z")
    return "".join(commands)
