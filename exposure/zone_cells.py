"""Zones in a grid's cell coordinates, for rasterising them block by block.

A unit burnt into a block in map coordinates is converted with that block's own origin,
and the conversion rounds differently from block to block: a cell whose centre lies on
a unit's edge (zones drawn on grids often have such edges) then falls in the unit or out
of it depending on where the block starts, so the block size (``--block-size``, Dask
chunks, the engine's shape for many bands) moved people between units. In cell
coordinates, converted once, a block is the same shapes moved by whole cells: an exact
shift, the same decisions for every block.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from affine import Affine

from mecc.grid import GridSpec

__all__ = ["in_cells", "moved_to"]

DIGITS = 9
"""Decimals of a cell to which positions in cell coordinates are rounded: an edge drawn
through cell centres (59.49999999999997 after the conversion) lies on them exactly (59.5),
and GDAL's own rule for a centre on an edge decides, the same for every block, as it
does for a whole grid burnt at once."""


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
