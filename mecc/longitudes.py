"""Longitudes: grids written in 0-360 or -180..180 longitudes, and grids across 180°.

A place has many longitudes (170° east is -190° and 530°): a hazard grid written at
180-183 (0-360 longitudes, as climate data often come) and one written at -180..-177
cover the same cells, and a population grid at 177-183 lies across 180° in either
convention. The grid layer (:mod:`mecc.grid`) presents a regional grid wholly east of
180 at -180..0 and a global 0-360 grid from -180 (:meth:`mecc.grid.GridSpec.
west_of_greenwich`, :meth:`~mecc.grid.GridSpec.from_minus_180`); this module holds
what lets a grid be read onto an analysis grid written in another convention:

- :func:`wrapped` writes target longitudes within 180° of a source grid's centre, so
  the source's cells are found whichever convention either grid uses;
- :func:`overlap_shift` tells whether two grids overlap once longitudes are compared
  modulo 360;
- :func:`across_seam` and :func:`read_around` read a global grid across its own edge
  (its last columns then its first), so a block across that edge is read as two
  narrow windows rather than the whole width of the file.

Functions take any grid with ``transform``, ``width``, ``bounds``, ``rectilinear``
and ``is_geographic`` (a :class:`mecc.grid.GridSpec`); this module imports no other
part of mecc, so the grid layer can build on it.
"""

from __future__ import annotations

import math

import numpy as np
from affine import Affine
from rasterio.windows import Window

__all__ = [
    "GLOBE",
    "across_seam",
    "moved_west",
    "overlap_shift",
    "read_around",
    "rolled_columns",
    "rolled_from_minus_180",
    "spans_globe",
    "wrapped",
]

GLOBE = 360.0
"""Degrees of longitude around the Earth."""

_SLACK = 1e-9
"""Relative tolerance on a grid's span (a global grid's cells are rarely exact binary
fractions of 360)."""


def moved_west(transform: Affine, width: int, height: int) -> Affine | None:
    """The transform of a north-up or south-up grid lying wholly at 180-360 moved by
    -360° (to -180..0), or None for any other grid (across 180, global, or already in
    -180..180)."""
    left = min(transform.c, transform.c + transform.a * width)
    right = max(transform.c, transform.c + transform.a * width)
    if left < 180.0 or right > GLOBE + 1e-9:
        return None
    t = transform
    return Affine(t.a, 0.0, t.c - GLOBE, 0.0, t.e, t.f)


def rolled_from_minus_180(transform: Affine, width: int) -> tuple[Affine, int]:
    """A global grid in 0-360 longitudes presented from -180: the new transform and the
    number of its columns (those from 180 east) that come first; ``(transform, 0)`` for
    any other grid, including global grids that already start at -180."""
    t = transform
    if t.a <= 0 or abs(width * t.a - GLOBE) > 1e-6 * GLOBE or t.c < -180.0 + t.a / 2:
        return transform, 0
    # the first column whose western edge is at 180 or beyond
    roll = int(math.ceil((180.0 - t.c) / t.a - 1e-6)) % width
    if roll == 0:
        return transform, 0
    return Affine(t.a, 0.0, t.c + roll * t.a - GLOBE, 0.0, t.e, t.f), roll


def rolled_columns(col_off: int, width: int, roll: int, total: int) -> list[tuple[int, int]]:
    """The file's column ranges ``(start, stop)``, in order, behind columns ``col_off`` to
    ``col_off + width`` of a grid presented with its last ``total - roll`` columns first
    (:meth:`mecc.grid.GridSpec.from_minus_180`): one range, or two across the file's end.

    With ``roll=0`` it gives the columns behind a window of a global grid that starts
    west of its first column or ends east of its last (any ``col_off``, ``width`` at
    most ``total``): :func:`read_around`.
    """
    first = (int(col_off) + roll) % total
    east = min(int(width), total - first)
    pieces = [(first, first + east)]
    if east < width:
        pieces.append((0, int(width) - east))
    return pieces


def _span(grid) -> float:
    return abs(grid.transform.a) * grid.width


def spans_globe(grid) -> bool:
    """True for a latitude/longitude grid whose columns go once around the Earth."""
    if not grid.rectilinear or not grid.is_geographic:
        return False
    return abs(_span(grid) - GLOBE) <= 1e-6 * GLOBE


def wrapped(x: np.ndarray, grid) -> np.ndarray:
    """Longitudes ``x`` written within 180° of the centre of latitude/longitude ``grid``
    (``x`` itself for a projected, rotated or wider-than-the-Earth grid).

    A source cell is then found at its column whichever convention the target grid's
    longitudes use: 182.875 on a grid at -180..-177 is its cell at -177.125. On a global
    grid the result lies from its western edge to its eastern one.
    """
    if not grid.rectilinear or not grid.is_geographic or _span(grid) > GLOBE * (1 + _SLACK):
        return x
    left, _, right, _ = grid.bounds
    west = (left + right) / 2.0 - GLOBE / 2.0
    return x - GLOBE * np.floor((x - west) / GLOBE)


def across_seam(cols: np.ndarray, grid) -> np.ndarray:
    """Fractional columns of a global ``grid`` with those west of its middle moved one
    width east when that narrows them: a target block across the grid's own edge (its
    last columns and its first) is then one narrow run of columns past the end, read by
    :func:`read_around`. ``cols`` itself for any other grid or block."""
    if not spans_globe(grid):
        return cols
    finite = np.isfinite(cols)
    if not finite.any():
        return cols
    low, high = float(cols[finite].min()), float(cols[finite].max())
    half = grid.width / 2.0
    if high - low <= half:
        return cols
    west = finite & (cols < half)
    moved = np.where(west, cols + grid.width, cols)
    if float(moved[finite].max()) - float(moved[finite].min()) >= high - low:
        return cols
    return moved


def read_around(source, bands, window: Window) -> np.ndarray:
    """``source.read(bands, window)`` for a window of a global grid that may start west
    of its first column or end east of its last: the columns go round the Earth (at
    most once), read in one or two pieces."""
    total = source.grid.width
    col_off, width = int(window.col_off), int(window.width)
    if col_off >= 0 and col_off + width <= total:
        return source.read(bands, window)
    parts = [
        source.read(bands, Window(start, window.row_off, stop - start, window.height))
        for start, stop in rolled_columns(col_off, width, 0, total)
    ]
    return np.concatenate(parts, axis=-1)


def overlap_shift(bounds, target_bounds) -> float | None:
    """The shift of ``bounds``' longitudes (0, +360 or -360, in that order of
    preference) by which they overlap ``target_bounds`` most, or None when they share
    no area in any (both ``(left, bottom, right, top)`` in degrees)."""
    left, bottom, right, top = bounds
    t_left, t_bottom, t_right, t_top = target_bounds
    if not (bottom < t_top and top > t_bottom):
        return None
    shares = {
        shift: min(right + shift, t_right) - max(left + shift, t_left)
        for shift in (0.0, GLOBE, -GLOBE)
    }
    best = max(shares, key=lambda shift: (shares[shift], shift == 0.0))
    return best if shares[best] > 0 else None
