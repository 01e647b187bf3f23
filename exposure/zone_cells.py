"""Zones in a grid's cell coordinates, for rasterising them block by block.

A unit burnt into a block in map coordinates is converted with that block's own origin,
and the conversion rounds differently from block to block: a cell whose centre lies on
a unit's edge (zones drawn on grids often have such edges) then falls in the unit or out
of it depending on where the block starts, so the block size (``--block-size``, Dask
chunks, the engine's shape for many bands) moved people between units. In cell
coordinates, converted once, a block is the same shapes moved by whole cells: an exact
shift, the same decisions for every block.

Before that, :func:`in_grid_longitudes` moves the units into the grid's longitude
convention: boundaries in -180..180 on a grid in 0-360 (a Pacific grid from 176 to 184
degrees east) or the opposite, so that a unit split at 180 degrees gets all its cells.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely
from affine import Affine

from mecc.grid import GridSpec

__all__ = ["in_cells", "in_grid_longitudes", "moved_to"]

DIGITS = 9
"""Decimals of a cell to which positions in cell coordinates are rounded: an edge drawn
through cell centres (59.49999999999997 after the conversion) lies on them exactly (59.5),
and GDAL's own rule for a centre on an edge decides, the same for every block, as it
does for a whole grid burnt at once."""


TURN = 360.0
"""Degrees of longitude in one turn: a shape moved by it lies at the same places."""
REACH = 1e-9
"""Degrees by which a polygon must overlap the grid's longitudes to be burnt there (a
global grid whose east edge is 180.00000000001 after summing its cells is not reached
by every unit touching -180)."""


def in_grid_longitudes(geoms: np.ndarray, grid: GridSpec) -> np.ndarray:
    """The units in the longitude convention of a latitude/longitude ``grid``.

    Each polygon of a unit is placed where it reaches the grid's longitudes: as given,
    moved by a turn (+360 or -360 degrees), or both. On a grid from 176 to 184 degrees
    east the part of a unit at -180..-174 is burnt at 180..186; on a grid from -176 to
    -168 a unit given at 185..190 is burnt at -175..-170, and a polygon across the grid's
    own 180 (170..190) at -190..-170, giving the grid its cells east of 180; on a global
    grid from 0 to 360 a unit across Greenwich at both ends. A polygon that reaches the
    grid in no copy stays as given.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The units (polygons, multipolygons, missing or empty) in the grid's CRS.
    grid : mecc.grid.GridSpec

    Returns
    -------
    numpy.ndarray
        ``geoms`` itself when no polygon moves (and for grids in other than degrees of
        latitude and longitude); else a copy in which the units with a moved polygon
        are multipolygons of their placed polygons, in the order given.
    """
    if not grid.is_geographic or not _in_degrees(grid.crs):
        return geoms
    left, _, right, _ = grid.bounds
    parts, owner = shapely.get_parts(geoms, return_index=True)
    if not parts.size:
        return geoms
    bounds = shapely.bounds(parts)
    shifts = np.array([0.0, TURN, -TURN])
    with np.errstate(invalid="ignore"):
        reach = (bounds[:, [0]] + shifts < right - REACH) & (bounds[:, [2]] + shifts > left + REACH)
    reach[:, 0] |= ~reach.any(axis=1)  # reaching the grid in no copy: kept as given
    changed = reach[:, 1:].any(axis=1) | ~reach[:, 0]
    if not changed.any():
        return geoms
    out = geoms.copy()
    starts = np.searchsorted(owner, np.arange(len(geoms) + 1))  # parts come unit by unit
    for i in np.unique(owner[changed]):
        placed = []
        for j in range(starts[i], starts[i + 1]):
            for shift in shifts[reach[j]]:
                step = np.array([shift, 0.0])
                placed.append(
                    parts[j]
                    if shift == 0
                    else shapely.transform(parts[j], lambda xy, s=step: xy + s)
                )
        out[i] = shapely.MultiPolygon(placed)
    return out


def _in_degrees(crs) -> bool:
    """True when the CRS's longitudes are in degrees (not grads or radians)."""
    axes = pyproj.CRS.from_user_input(crs).axis_info[:2]  # a third axis is the height
    return bool(axes) and all("degree" in (axis.unit_name or "") for axis in axes)


def in_cells(geoms: np.ndarray, grid: GridSpec) -> tuple:
    """``(shapes, frame)``: the units in cell coordinates of ``grid`` (x from its first
    column, y from its first row, one unit a cell, the grid's orientation kept) and the
    transform from a block's cells to them; ``(None, None)`` for a rotated grid."""
    if not grid.rectilinear:
        return None, None
    t = grid.transform
    a, e = abs(t.a), abs(t.e)
    cells = shapely.transform(
        geoms,
        lambda xy: np.round(np.column_stack(((xy[:, 0] - t.c) / a, (xy[:, 1] - t.f) / e)), DIGITS),
    )
    return cells, Affine(math.copysign(1.0, t.a), 0.0, 0.0, 0.0, math.copysign(1.0, t.e), 0.0)


def moved_to(shapes: np.ndarray, frame: Affine, col_off: int, row_off: int) -> np.ndarray:
    """The shapes of :func:`in_cells` in the cell coordinates of a block starting at
    ``(col_off, row_off)``: moved by whole cells, exactly."""
    offset = np.array([frame.a * col_off, frame.e * row_off])
    return shapely.transform(shapes, lambda xy: xy - offset)
