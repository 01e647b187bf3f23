"""Thresholds and curve steps meet a packed integer grid's values at their decimals.

A uint16 depth grid packed with scale 0.001 and offset -0.2 stores 0.1 m as 300, which
GDAL, QGIS and mecc unpack to 300 x 0.001 - 0.2 = 0.09999999999999998 in float64: below
an exposure threshold or a curve step at 0.1 m, so the cell every GIS shows at 0.1 m was
neither exposed nor displaced. A threshold or intensity that is a whole number of the
stored unit is now compared as the grid unpacks that number; one between two stored
numbers is left as given. Expected figures by hand (1,000 people a cell).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from hazards.precision import stored_values
from hazards.readers import read_hazard
from mecc.grid import GridSpec
from mecc.inputs import overlay_input
from mecc.run import run_country
from tests._run_inputs import write_run
from tests.conftest import write_raster

T = Affine(0.01, 0, 30.0, 0, -0.01, -1.0)
PEOPLE = 1000.0
SCALE, OFFSET = 0.001, -0.2


def _case(folder, raw, hazard, dtype="uint16", scale=SCALE, offset=OFFSET, nodata=65535):
    """pop.tif (1,000 people a cell) and a packed depth.tif of ``raw`` numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = np.asarray(raw)[None, :]
    write_raster(folder / "pop.tif", np.full(raw.shape, PEOPLE), transform=T, nodata=-1.0)
    write_raster(folder / "depth.tif", raw, transform=T, dtype=dtype, nodata=nodata)
    with rasterio.open(folder / "depth.tif", "r+") as dataset:
        dataset.scales, dataset.offsets = (scale,), (offset,)
    spec = {"id": "t", "intensity": "depth.tif", "scenario": "s", **hazard}
    run = write_run(
        folder, {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [spec]}
    )
    return run, spec


def _national(out) -> pd.Series:
    table = pd.read_csv(out / "zones_bands.csv", encoding="utf-8-sig")
    return table[table["zone_code"] == "XQK"].iloc[0]


def test_the_packing_puts_0_1_m_a_rounding_error_below_0_1():
    # the premise, in the reader's own order of operations
    assert 300 * SCALE + OFFSET < 0.1
    assert f"{300 * SCALE + OFFSET:.6f}" == "0.100000"


def test_a_packed_cell_at_the_threshold_and_the_step_is_exposed_and_displaced(tmp_path):
    """Depths 0.1 m (300) and 0.099 m (299); threshold 0.1 m, a step at 0.1 m: the first
    cell's 1,000 people are exposed and displaced, the second cell's are not."""
    hazard = {"type": "river_flood", "curve": {"step": 0.1}, "exposure_threshold": 0.1}
    run, _ = _case(tmp_path / "c", [300, 299], hazard)
    row = _national(run_country(run, tmp_path / "out", with_map=False).out_dir)
    assert row["exposed"] == PEOPLE
    assert row["displaced"] == PEOPLE


def test_only_whole_numbers_of_the_stored_unit_move(tmp_path):
    hazard = {"type": "river_flood", "curve": {"step": 0.1}, "exposure_threshold": 0.1}
    run, spec = _case(tmp_path / "c", [300, 299], hazard)
    read = read_hazard(spec, run.parent, "run.yaml.hazards[0] (t)")
    at_300 = 300 * SCALE + OFFSET
    # 0.1 is 300 (as unpacked); 0.0995 lies between 299 and 300 and stays; 0.25 is 450
    moved = stored_values([0.1, 0.0995, 0.25, 5.0], read)
    np.testing.assert_array_equal(
        moved, [at_300, 0.0995, 450 * SCALE + OFFSET, 5200 * SCALE + OFFSET]
    )
    grid = GridSpec(rasterio.crs.CRS.from_epsg(4326), T, 2, 1)
    given = overlay_input(read, grid, np.ones((1, 1)))
    x, _, n, _ = given.curves
    assert given.exposure_threshold == at_300
    assert list(x[0, : n[0]]) == [at_300, at_300]
    assert read.exposure_threshold == 0.1  # the run's own numbers (manifest) unchanged


def test_a_value_beyond_the_integer_range_is_left_as_given(tmp_path):
    """An int8 grid with the same packing stores at most 127 (-0.073 m): 0.1 m would be 300,
    which it cannot hold, so 0.1 stays; -0.073 is 127 and moves."""
    hazard = {"type": "river_flood", "curve": {"step": 0.5}}
    run, spec = _case(tmp_path / "c", [1, 0], hazard, dtype="int8", nodata=-128)
    read = read_hazard(spec, run.parent, "run.yaml.hazards[0] (t)")
    np.testing.assert_array_equal(stored_values([0.1, -0.073], read), [0.1, 127 * SCALE + OFFSET])
