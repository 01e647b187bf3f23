"""Zone rasterising does not depend on the blocks: a cell whose centre lies exactly on a
unit's edge goes the same way whatever the block size (engine blocks, --block-size, Dask
chunks), and to a unit rather than to the outside (DESIGN.md: block size changes results
by at most 1e-12)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio.features
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import Polygon

from exposure.zones import read_zones
from mecc.grid import GridSpec
from tests._run_inputs import write_zones

SIZE = 1 / 120  # 30 arc-seconds: cell edges and centres are not binary fractions
GRID = GridSpec("EPSG:4326", Affine(SIZE, 0, -25.0, 0, -SIZE, -19.0), 150, 150)


def _centre(col, row):
    """The geographic position of a cell centre, as a map maker would type it."""
    return -25.0 + (col + 0.5) * SIZE, -19.0 - (row + 0.5) * SIZE


def _zones(tmp_path):
    """Four units whose edges run through cell centres, with a slanted shared edge."""
    cols, rows = (3, 70, 146), (4, 81, 140)
    west = Polygon(
        [
            _centre(cols[0], rows[0]),
            _centre(cols[1], rows[0]),
            _centre(cols[1] + 9, rows[1]),
            _centre(cols[0], rows[1]),
        ]
    )
    east = Polygon(
        [
            _centre(cols[1], rows[0]),
            _centre(cols[2], rows[0]),
            _centre(cols[2], rows[1]),
            _centre(cols[1] + 9, rows[1]),
        ]
    )
    south_west = Polygon(
        [
            _centre(cols[0], rows[1]),
            _centre(cols[1] + 9, rows[1]),
            _centre(cols[1] + 9, rows[2]),
            _centre(cols[0], rows[2]),
        ]
    )
    south_east = Polygon(
        [
            _centre(cols[1] + 9, rows[1]),
            _centre(cols[2], rows[1]),
            _centre(cols[2], rows[2]),
            _centre(cols[1] + 9, rows[2]),
        ]
    )
    path = write_zones(
        tmp_path / "zones.geojson", ["W", "E", "SW", "SE"], [west, east, south_west, south_east]
    )
    zones = read_zones({"path": str(path), "code_field": "code", "level": 1}, tmp_path, "XXZ")
    zones.prepare(GRID)
    return zones


def _tiled(zones, size):
    out = np.empty(GRID.shape, dtype=np.int32)
    for r in range(0, GRID.height, size):
        for c in range(0, GRID.width, size):
            w = Window(c, r, min(size, GRID.width - c), min(size, GRID.height - r))
            out[r : r + w.height, c : c + w.width] = zones.rasterize(w)
    return out


@pytest.mark.parametrize("size", [16, 45, 64, 100])
def test_zones_are_the_same_in_every_block_shape(tmp_path, size):
    zones = _zones(tmp_path)
    whole = zones.rasterize(Window(0, 0, GRID.width, GRID.height))
    np.testing.assert_array_equal(_tiled(zones, size), whole)


def test_a_centre_on_the_outer_edge_belongs_to_the_unit(tmp_path):
    zones = _zones(tmp_path)
    whole = zones.rasterize(Window(0, 0, GRID.width, GRID.height))
    # the rectangle of centres from column 3 to 146 and row 4 to 140, edges included,
    # is inside the units; everything else is outside
    inside = np.zeros(GRID.shape, dtype=bool)
    inside[4:141, 3:147] = True
    np.testing.assert_array_equal(whole != zones.outside_index, inside)
    # and GDAL on the whole grid in map coordinates agrees on which cells are in a unit
    reference = np.full(GRID.shape, zones.outside_index, dtype=np.int32)
    rasterio.features.rasterize(
        ((g, i) for i, g in enumerate(zones._geoms)), out=reference, transform=GRID.transform
    )
    assert (reference != zones.outside_index).sum() <= inside.sum()


@pytest.mark.parametrize("size", [16, 45, 64])
def test_a_slanted_unit_is_the_same_in_every_block_shape(tmp_path, size):
    """Edges through cell centres at odd slopes: burnt in map coordinates block by block,
    one centre on an edge flipped with 16-cell blocks (found by search)."""
    corners = [(149, 42), (70, 32), (103, 95), (126, 120), (146, 144)]
    path = write_zones(
        tmp_path / "slanted.geojson", ["P"], [Polygon([_centre(*c) for c in corners])]
    )
    zones = read_zones({"path": str(path), "code_field": "code", "level": 1}, tmp_path, "XXZ")
    zones.prepare(GRID)
    whole = zones.rasterize(Window(0, 0, GRID.width, GRID.height))
    np.testing.assert_array_equal(_tiled(zones, size), whole)
