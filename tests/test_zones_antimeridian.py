"""Zones across the antimeridian: units are burnt in the analysis grid's longitude
convention. A Pacific population grid in 0-360 longitudes (176 to 184 degrees east) with
ordinary -180..180 boundaries (a unit split at 180 degrees, as OCHA COD boundaries are;
a unit wholly east of 180 given in negative longitudes) once lost everyone east of 180
to the outside bucket, with a warning to give a grid that covers every unit; and the
mirror case, a -180..180 grid with units given in 0-360 longitudes."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio.features
import shapely
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import MultiPolygon, Polygon, box

from exposure.zones import read_zones
from mecc.grid import GridSpec
from tests._run_inputs import write_run, write_zones
from tests.conftest import write_raster

SIZE = 1 / 30  # cell edges and centres are not binary fractions
WIDTH, HEIGHT = 240, 150  # 176..184 degrees east, -16..-21
PACIFIC = GridSpec("EPSG:4326", Affine(SIZE, 0, 176.0, 0, -SIZE, -16.0), WIDTH, HEIGHT)

# units as boundaries come (-180..180); no cell centre lies on an edge
BOXES = {
    "FJ_W": [(176.3, -20.7, 179.41, -16.2)],
    "FJ_LAU": [(179.41, -20.7, 180.0, -17.3), (-180.0, -20.7, -178.77, -17.3)],
    "TO": [(-177.85, -20.2, -176.32, -16.6)],  # 182.15..183.68 east
}


def _shape(parts, shift=0.0):
    polygons = [box(x0 + shift, y0, x1 + shift, y1) for x0, y0, x1, y1 in parts]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _centres(grid):
    t = grid.transform
    lon = t.c + (np.arange(grid.width) + 0.5) * t.a
    lat = t.f + (np.arange(grid.height) + 0.5) * t.e
    return np.meshgrid(lon, lat)


def _expected_index(grid, boxes):
    """Unit index of each cell by numpy: cell centres beyond 180 (or -180) written in
    -180..180, then tested against the boxes as given."""
    lon, lat = _centres(grid)
    lon = np.where(lon > 180, lon - 360, np.where(lon < -180, lon + 360, lon))
    index = np.full(lon.shape, len(boxes), dtype=np.int32)
    for i, parts in enumerate(boxes.values()):
        for x0, y0, x1, y1 in parts:
            index[(lon > x0) & (lon < x1) & (lat > y0) & (lat < y1)] = i
    return index


def _prepared(tmp_path, grid, boxes, shift=0.0):
    shapes = [_shape(parts, shift) for parts in boxes.values()]
    path = write_zones(tmp_path / "zones.geojson", list(boxes), shapes)
    zones = read_zones({"path": str(path), "code_field": "code", "level": 1}, tmp_path, "FJI")
    zones.prepare(grid)
    return zones


def _tiled(zones, grid, size):
    out = np.empty(grid.shape, dtype=np.int32)
    for r in range(0, grid.height, size):
        for c in range(0, grid.width, size):
            w = Window(c, r, min(size, grid.width - c), min(size, grid.height - r))
            out[r : r + w.height, c : c + w.width] = zones.rasterize(w)
    return out


@pytest.mark.parametrize("size", [17, 64])
def test_a_unit_split_at_180_gets_its_cells_on_a_0_360_grid(tmp_path, size):
    zones = _prepared(tmp_path, PACIFIC, BOXES)
    expected = _expected_index(PACIFIC, BOXES)
    got = _tiled(zones, PACIFIC, size)
    np.testing.assert_array_equal(got, expected)
    people = np.random.default_rng(3).gamma(0.5, 300.0, PACIFIC.shape)
    counted = np.bincount(got.ravel(), weights=people.ravel(), minlength=zones.n + 1)
    lon, _ = _centres(PACIFIC)
    east = lon > 180
    # by numpy: FJ_LAU's people east of 180 (its second part) and all of TO's
    lau_east = (lon - 360 > -180) & (lon - 360 < -178.77) & east
    lat = _centres(PACIFIC)[1]
    lau_east &= (lat > -20.7) & (lat < -17.3)
    lau_west = (lon > 179.41) & (lon < 180) & (lat > -20.7) & (lat < -17.3)
    assert counted[1] == pytest.approx(people[lau_east].sum() + people[lau_west].sum(), rel=1e-12)
    assert people[lau_east].sum() > people[lau_west].sum() > 0
    to = (lon - 360 > -177.85) & (lon - 360 < -176.32) & (lat > -20.2) & (lat < -16.6)
    assert counted[2] == pytest.approx(people[to].sum(), rel=1e-12)
    assert counted.sum() == pytest.approx(people.sum(), rel=1e-12)
    # the same as GDAL burning the units moved by 360 degrees, the whole grid at once
    moved = [
        _shape(BOXES["FJ_W"]),
        MultiPolygon([box(*BOXES["FJ_LAU"][0]), _shape(BOXES["FJ_LAU"][1:], 360.0)]),
        _shape(BOXES["TO"], 360.0),
    ]
    reference = np.full(PACIFIC.shape, zones.outside_index, dtype=np.int32)
    rasterio.features.rasterize(
        ((g, i) for i, g in enumerate(moved)), out=reference, transform=PACIFIC.transform
    )
    np.testing.assert_array_equal(got, reference)


def test_no_unit_is_reported_outside_and_the_shapes_stay_as_given(tmp_path, recwarn):
    zones = _prepared(tmp_path, PACIFIC, BOXES)
    assert not [n for n in zones.notes if "outside the analysis grid" in n]
    frame = zones.geodataframe(PACIFIC)
    np.testing.assert_allclose(frame.total_bounds, (-180.0, -20.7, 180.0, -16.2))
    assert frame.geometry.iloc[2].equals(_shape(BOXES["TO"]))
    # a unit that does reach beyond the grid is still reported, with its true share
    beyond = dict(BOXES, TO=[(-177.85, -20.2, -175.0, -16.6)])  # 182.15..185, grid to 184
    zones = _prepared(tmp_path, PACIFIC, beyond)
    (note,) = [n for n in zones.notes if "outside the analysis grid" in n]
    share = (184.0 - 182.15) / (185.0 - 182.15)  # 64.9 %
    assert f"TO {int(share * 100)}%" in note and "FJ_LAU" not in note


def test_a_slanted_unit_across_180_is_the_same_in_every_block_shape(tmp_path):
    """Vertices on cell centres, given in -180..180 on the 0-360 grid: moved once, then
    burnt block by block like a whole grid burnt at once."""

    def centre(col, row):
        lon = 176.0 + (col + 0.5) * SIZE
        return (lon - 360.0 if lon > 180 else lon), -16.0 - (row + 0.5) * SIZE

    west = [(119, 5), (60, 20), (100, 140), (119, 130)]  # west of 180 (columns < 120)
    east = [(120, 5), (239, 40), (200, 149), (120, 140)]
    split = MultiPolygon([Polygon([centre(*c) for c in west]), Polygon([centre(*c) for c in east])])
    path = write_zones(tmp_path / "slanted.geojson", ["S"], [split])
    zones = read_zones({"path": str(path), "code_field": "code", "level": 1}, tmp_path, "FJI")
    zones.prepare(PACIFIC)
    whole = zones.rasterize(Window(0, 0, WIDTH, HEIGHT))
    for size in (16, 45):
        np.testing.assert_array_equal(_tiled(zones, PACIFIC, size), whole)
    moved = shapely.transform(Polygon([centre(*c) for c in east]), lambda xy: xy + [360.0, 0.0])
    reference = np.full(PACIFIC.shape, 1, dtype=np.int32)
    rasterio.features.rasterize(
        [(Polygon([centre(*c) for c in west]), 0), (moved, 0)],
        out=reference,
        transform=PACIFIC.transform,
    )
    np.testing.assert_array_equal(whole, reference)
    assert (whole[:, 121:] == 0).sum() > 1000  # east of 180


# ------------------------------------------------------------------------ mirror cases

MIRROR_BOXES = {  # given in 0-360 longitudes
    "A": [(185.1, -20.7, 187.41, -16.2)],
    "B": [(187.41, -20.7, 190.2, -17.3)],
    "C": [(175.0, -19.0, 185.1, -18.0)],  # across 180: only its part east of 180 is on the grid
}


@pytest.mark.parametrize("size", [17, 64])
def test_zones_in_0_360_on_a_minus_180_grid(tmp_path, size):
    grid = GridSpec("EPSG:4326", Affine(SIZE, 0, -176.0, 0, -SIZE, -16.0), WIDTH, HEIGHT)
    zones = _prepared(tmp_path, grid, MIRROR_BOXES)
    lon, lat = _centres(grid)
    east = lon + 360  # the centres in 0-360
    expected = np.full(grid.shape, 3, dtype=np.int32)
    for i, parts in enumerate(MIRROR_BOXES.values()):
        for x0, y0, x1, y1 in parts:
            expected[(east > x0) & (east < x1) & (lat > y0) & (lat < y1)] = i
    got = _tiled(zones, grid, size)
    np.testing.assert_array_equal(got, expected)
    assert (got == 2).sum() == ((east < 185.1) & (lat > -19) & (lat < -18)).sum() > 0
    people = np.random.default_rng(4).uniform(0, 100, grid.shape)
    counted = np.bincount(got.ravel(), weights=people.ravel(), minlength=4)
    for i in range(4):
        assert counted[i] == pytest.approx(people[expected == i].sum(), rel=1e-12)
    # C lies 1.1 of its 10.1 degrees on the grid (184..185.1 east): reported at its share
    (note,) = [n for n in zones.notes if "outside the analysis grid" in n]
    assert f"C {int((185.1 - 184.0) / 10.1 * 100)}%" in note and "A " not in note


def test_a_grid_west_of_minus_180_gets_units_given_east_of_180(tmp_path):
    """A grid from -184 to -176: the unit at 176..180 burnt at -184..-180."""
    grid = GridSpec("EPSG:4326", Affine(SIZE, 0, -184.0, 0, -SIZE, -16.0), WIDTH, HEIGHT)
    zones = _prepared(tmp_path, grid, BOXES)
    lon, lat = _centres(grid)
    given = np.where(lon < -180, lon + 360, lon)
    expected = np.full(grid.shape, 3, dtype=np.int32)
    for i, parts in enumerate(BOXES.values()):
        for x0, y0, x1, y1 in parts:
            expected[(given > x0) & (given < x1) & (lat > y0) & (lat < y1)] = i
    got = _tiled(zones, grid, 64)
    np.testing.assert_array_equal(got, expected)
    assert (got == 0).sum() > 0 and (got == 1).sum() > (got == 1)[:, 120:].sum() > 0


def test_a_global_0_360_grid_gets_a_unit_across_greenwich_on_both_sides(tmp_path):
    grid = GridSpec("EPSG:4326", Affine(0.5, 0, 0.0, 0, -0.5, 10.0), 720, 20)
    units = {"G": [(-3.2, 1.1, 4.3, 8.7)], "H": [(100.2, 1.1, 101.7, 8.7)]}
    zones = _prepared(tmp_path, grid, units)
    lon, lat = _centres(grid)
    given = np.where(lon > 180, lon - 360, lon)
    expected = np.full(grid.shape, 2, dtype=np.int32)
    for i, parts in enumerate(units.values()):
        for x0, y0, x1, y1 in parts:
            expected[(given > x0) & (given < x1) & (lat > y0) & (lat < y1)] = i
    np.testing.assert_array_equal(_tiled(zones, grid, 100), expected)
    assert (expected[:, 600:] == 0).sum() > 0  # west of Greenwich, at 356.8..360
    # burnt at both ends, G is still one unit wholly on the grid (not half of it)
    assert not [n for n in zones.notes if "outside the analysis grid" in n]


# ------------------------------------------------------------------------ a whole run


@pytest.mark.parametrize("block", ["16", "100"])
def test_a_run_counts_the_people_east_of_180(cli, tmp_path, block):
    people = np.random.default_rng(2).gamma(0.5, 300.0, PACIFIC.shape)
    write_raster(tmp_path / "pop.tif", people, transform=PACIFIC.transform)
    depth = np.where(np.arange(WIDTH) % 3 == 0, 2.0, 0.0) * np.ones((HEIGHT, 1))
    write_raster(tmp_path / "ev.tif", depth[None], transform=PACIFIC.transform)
    (tmp_path / "events.csv").write_text("band,frequency\n1,0.1\n", encoding="utf-8")
    shapes = [_shape(parts) for parts in BOXES.values()]
    write_zones(tmp_path / "zones.geojson", list(BOXES), shapes)
    run = write_run(
        tmp_path,
        {
            "country": "FJI",
            "population": {"path": "pop.tif", "kind": "count"},
            "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
            "hazards": [
                {
                    "id": "rf",
                    "type": "river_flood",
                    "intensity": "ev.tif",
                    "events": "events.csv",
                    "curve": "flood_step_1m",
                }
            ],
        },
    )
    out = tmp_path / "out"
    result = cli("run", run, "--out", out, "--block-size", block, "--no-map")
    assert result.exit_code == 0, result.stderr
    expected = _expected_index(PACIFIC, BOXES)
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    table = table.set_index("zone_code")
    for i, code in enumerate([*BOXES, "__outside__"]):
        assert table.loc[code, "population"] == pytest.approx(
            people[expected == i].sum(), rel=1e-9, abs=1e-6
        ), code
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not [w for w in manifest["warnings"] if "outside the analysis grid" in w]
    layer = gpd.read_file(out / "zones.gpkg", layer="admin1")
    assert layer.geometry.iloc[1].equals(_shape(BOXES["FJ_LAU"]))  # as given, split at 180
