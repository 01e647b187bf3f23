"""Hazard grids east of 180 degrees on a population grid across 180 degrees.

Fiji's people on a grid at 177-183 degrees east (0-360 longitudes, or -183..-177) and a
storm-surge grid east of 180, written at 180-183 or at -180..-177: the hazard grid was
refused as not overlapping the analysis grid (a grid at 180-360 was always moved to
-180..0 and the overlap test did not compare longitudes modulo 360), with bounds the file
does not write. Here the cells line up, figures match numpy by hand, error messages show
each file's own bounds, and a grid that truly does not overlap is still refused. A global
hazard grid is read across its own edge in two narrow windows (nearest and bilinear).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import box

from mecc.grid import AlignedBands, GridSpec
from mecc.raster_file import RasterFile
from tests._run_inputs import write_run, write_zones
from tests.conftest import write_raster

CELL = 0.25
ROWS = 20  # -15 to -20
PEOPLE = np.random.default_rng(26).uniform(10.0, 500.0, size=(ROWS, 24))  # 24 columns
# depth east of 180: 12 columns; around the 1 m step, with a few missing cells
DEPTH = np.random.default_rng(27).choice([0.0, 0.4, 0.95, 1.05, 1.6, 3.0], size=(ROWS, 12))
DEPTH[3, 4] = DEPTH[11, 0] = np.nan


def _run_file(tmp_path, population_left, surge_left):
    return fiji_run(tmp_path, PEOPLE, CELL, population_left, surge_left)


def fiji_run(tmp_path, people, people_cell, population_left, surge_left, fraction=None):
    """Fiji's units W (177-180) and E (-180..-177), ``people`` on cells of ``people_cell``
    degrees from ``population_left``, and the surge (:data:`DEPTH`, with its flooded
    ``fraction`` when given) from ``surge_left``; returns the run file."""
    write_raster(
        tmp_path / "pop.tif",
        people,
        transform=Affine(people_cell, 0, population_left, 0, -people_cell, -15.0),
        nodata=-99999.0,
    )
    surge = Affine(CELL, 0, surge_left, 0, -CELL, -15.0)
    write_raster(tmp_path / "surge.tif", DEPTH.astype(np.float32), transform=surge, nodata=np.nan)
    hazard = {"id": "s", "type": "coastal_flood", "intensity": "surge.tif"}
    if fraction is not None:
        write_raster(tmp_path / "flooded.tif", fraction, transform=surge, nodata=-1.0)
        hazard["fraction"] = "flooded.tif"
    # boundaries as they come: -180..180, the eastern unit in negative longitudes
    write_zones(
        tmp_path / "zones.geojson", ["W", "E"], [box(177, -20, 180, -15), box(-180, -20, -177, -15)]
    )
    return write_run(
        tmp_path,
        {
            "country": "FJI",
            "population": {"path": "pop.tif", "kind": "count"},
            "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
            "hazards": [{**hazard, "scenario": "x", "curve": "flood_step_1m"}],
        },
    )


@pytest.mark.parametrize("population_left", [177.0, -183.0], ids=["pop_0_360", "pop_minus"])
@pytest.mark.parametrize("surge_left", [180.0, -180.0], ids=["surge_e360", "surge_e180"])
def test_a_surge_east_of_180_lines_up_with_people_across_180(
    cli, tmp_path, population_left, surge_left
):
    run = _run_file(tmp_path, population_left, surge_left)
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = cli("run", run, "--out", out, "--no-map")
    assert result.exit_code == 0, result.output

    # by hand: surge column k is population column 12 + k; the step curve at 1 m
    east = PEOPLE[:, 12:]
    displaced = float((east * (np.nan_to_num(DEPTH) >= 1.0)).sum())
    missing = float(east[np.isnan(DEPTH)].sum())
    west = float(PEOPLE[:, :12].sum())
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig").set_index("zone_code")
    assert table.loc["W", "population"] == pytest.approx(west, rel=1e-9)
    assert table.loc["W", "displaced"] == 0.0
    assert table.loc["W", "population_no_hazard_data"] == pytest.approx(west, rel=1e-9)
    assert table.loc["E", "population"] == pytest.approx(float(east.sum()), rel=1e-9)
    assert table.loc["E", "displaced"] == pytest.approx(displaced, rel=1e-9)
    assert table.loc["E", "population_no_hazard_data"] == pytest.approx(missing, rel=1e-9)
    assert table.loc["__outside__", "population"] == 0.0
    bands = pd.read_csv(out / "bands.csv", encoding="utf-8-sig")
    assert bands["displaced"].tolist() == pytest.approx([displaced], rel=1e-9)
    assert displaced > 0.2 * east.sum()  # a real share of the eastern people


@pytest.mark.parametrize(
    ("surge_left", "written"),
    [(190.0, "(190, -20, 193, -15)"), (-170.0, "(-170, -20, -167, -15)")],
)
def test_a_grid_beyond_the_population_is_refused_with_its_own_bounds(
    cli, tmp_path, surge_left, written
):
    """Tonga's surge (190-193 east, or -170..-167) is not Fiji's: refused, naming the
    bounds the file writes (not the -170..-167 it was moved to) and the population's."""
    run = _run_file(tmp_path, 177.0, surge_left)
    result = cli("validate", run)
    assert result.exit_code == 1
    assert "does not overlap the analysis grid" in result.output
    assert f"bounds {written} vs (177, -20, 183, -15)" in result.output


def test_the_message_shows_the_file_bounds_of_a_grid_moved_west():
    """A grid written at 200-210 is presented at -160..-150; its bounds as written stay."""
    grid = GridSpec("EPSG:4326", Affine(1, 0, 200.0, 0, -1, 10.0), 10, 5)
    moved = grid.west_of_greenwich()
    assert moved.bounds == pytest.approx((-160, 5, -150, 10))
    assert moved.own_bounds == pytest.approx((200, 5, 210, 10))
    assert moved == GridSpec("EPSG:4326", Affine(1, 0, -160.0, 0, -1, 10.0), 10, 5)
    assert grid.own_bounds == grid.bounds


class _Counted:
    """A RasterFile whose reads are recorded (the windows' widths)."""

    def __init__(self, raster):
        self.raster, self.grid, self.path, self.widths = raster, raster.grid, raster.path, []

    def read(self, bands, window, out=None):
        self.widths.append(int(window.width))
        return self.raster.read(bands, window, out=out)


@pytest.mark.parametrize("first_west", [-180.0, 0.0], ids=["minus_180", "0_360"])
@pytest.mark.parametrize("resampling", ["nearest", "bilinear"])
def test_a_global_grid_is_read_across_its_own_edge(tmp_path, first_west, resampling):
    """A global hazard grid (1440 columns of 0.25 degrees, written from -180 or from 0)
    on Fiji's grid at 177-183: cells west and east of 180 get the file's last and first
    columns, read as two narrow windows, never the whole width; bilinear sampling at 180
    mixes the cells either side of it."""
    width = 1440
    lon = first_west + CELL * (np.arange(width) + 0.5)  # cell centres as written
    values = np.tile((lon + 180.0) % 360.0 - 180.0, (4, 1))  # each holds its longitude
    path = write_raster(
        tmp_path / "global.tif", values, transform=Affine(CELL, 0, first_west, 0, -CELL, -14.0)
    )
    source = _Counted(RasterFile(path))
    # bilinear: centres on the source's cell edges (177.25 ... 182.75); nearest: inside
    offset = CELL / 2 if resampling == "bilinear" else CELL / 4
    target = GridSpec("EPSG:4326", Affine(CELL, 0, 177.0 + offset, 0, -CELL, -14.25), 23, 2)
    got = AlignedBands([(source, 1)], target, resampling).read(Window(0, 0, 23, 2))[0]

    x = 177.0 + offset + CELL * (np.arange(23) + 0.5)
    if resampling == "nearest":  # the centre of the cell holding x
        expected = np.floor(x / CELL) * CELL + CELL / 2
    else:  # linear in longitude; at 180 the mean of 179.875 and -179.875
        expected = np.where(np.isclose(x, 180.0), 0.0, x)
    expected = (expected + 180.0) % 360.0 - 180.0
    assert (expected > 179.5).any() and (expected < -179.5).any()  # both sides of 180
    np.testing.assert_allclose(got, np.tile(expected, (2, 1)), atol=1e-9)
    assert len(source.widths) == 2 and max(source.widths) <= 14  # not 1440 columns
