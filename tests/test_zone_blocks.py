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


def test_the_whole_grid_agrees_with_gdal_burning_it_at_once(tmp_path):
    """Centres on edges follow GDAL's own rule for a grid burnt at once in map
    coordinates (a widening of the units once put every centre on an outer edge inside,
    and gave a shared edge to the unit listed last)."""
    zones = _zones(tmp_path)
    whole = zones.rasterize(Window(0, 0, GRID.width, GRID.height))
    reference = np.full(GRID.shape, zones.outside_index, dtype=np.int32)
    rasterio.features.rasterize(
        ((g, i) for i, g in enumerate(zones._geoms)), out=reference, transform=GRID.transform
    )
    np.testing.assert_array_equal(whole, reference)
    # a unit filling another's hole, edges through centres, listed first or last
    outer = Polygon(
        [_centre(10, 10), _centre(40, 10), _centre(40, 40), _centre(10, 40)],
        [[_centre(20, 20), _centre(30, 20), _centre(30, 30), _centre(20, 30)]],
    )
    inner = Polygon([_centre(20, 20), _centre(30, 20), _centre(30, 30), _centre(20, 30)])
    for order in ((inner, outer), (outer, inner)):
        path = write_zones(tmp_path / "holes.geojson", ["P", "Q"], list(order))
        spec = {"path": str(path), "code_field": "code", "level": 1}
        holed = read_zones(spec, tmp_path, "XXZ")
        holed.prepare(GRID)
        cells = holed.rasterize(Window(0, 0, GRID.width, GRID.height))
        reference = np.full(GRID.shape, holed.outside_index, dtype=np.int32)
        rasterio.features.rasterize(
            ((g, i) for i, g in enumerate(holed._geoms)), out=reference, transform=GRID.transform
        )
        np.testing.assert_array_equal(cells, reference)
        # the inner unit's 10 x 10 centres, and the edge row GDAL gives the last burnt
        assert (cells == (0 if order[0] is inner else 1)).sum() in (100, 110)


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
