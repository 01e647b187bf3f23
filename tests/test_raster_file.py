"""Raster files as GDAL presents them: mask bands, global 0-360 grids, and files that do
not say where their cells lie."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from rasterio.control import GroundControlPoint
from rasterio.windows import Window

from mecc.errors import MissingCRSError
from mecc.raster_file import RasterFile

TRANSFORM = Affine(0.5, 0, 20.0, 0, -0.5, 45.0)


def _write(path, data, transform=TRANSFORM, crs="EPSG:4326", mask=None, **profile):
    data = data[None] if data.ndim == 2 else data
    count, height, width = data.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=count,
        dtype=data.dtype, crs=crs, transform=transform, **profile,
    ) as dataset:  # fmt: skip
        dataset.write(data)
        if mask is not None:
            dataset.write_mask(np.where(mask, 0, 255).astype(np.uint8))
    return path


@pytest.mark.parametrize("internal", [True, False], ids=["internal mask", ".msk file"])
def test_cells_hidden_by_a_mask_band_are_missing(tmp_path, internal):
    depth = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8) / 10.0
    hidden = np.zeros((6, 8), bool)
    hidden[1:4, 2:5] = True  # written as 1 m under the mask, as such files often hold
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=internal):
        path = _write(tmp_path / "depth.tif", np.where(hidden, 1.0, depth), mask=hidden)
    assert (tmp_path / "depth.tif.msk").exists() != internal
    read = RasterFile(path).read([1, 2], Window(0, 0, 8, 6))
    expected = np.where(hidden, np.nan, depth.astype(np.float64))
    np.testing.assert_array_equal(read, expected)
    # a window that is part of the mask: the mask is read for that window
    np.testing.assert_array_equal(
        RasterFile(path).read([2], Window(3, 2, 4, 3)), expected[1:, 2:5, 3:7]
    )


def test_a_population_under_a_mask_band_is_not_counted(tmp_path):
    from mecc.run import run_country

    rng = np.random.default_rng(3)
    people = rng.uniform(10, 100, size=(6, 8))
    hidden = np.zeros((6, 8), bool)
    hidden[:2, :3] = True
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        _write(tmp_path / "pop.tif", np.where(hidden, 50.0, people), mask=hidden)
    depth = np.where(np.arange(8) % 2 == 0, 1.5, 0.0) * np.ones((6, 1))
    _write(tmp_path / "depth.tif", depth)
    (tmp_path / "run.yaml").write_text(
        "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: f\n"
        "    type: river_flood\n    intensity: depth.tif\n    scenario: s\n"
        "    curve: flood_step_1m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False).out_dir
    bands = pd.read_csv(out / "bands.csv", encoding="utf-8-sig")
    counted = np.where(hidden, 0.0, people)
    assert bands["displaced"].tolist() == pytest.approx([(counted * (depth >= 1)).sum()])
    summary = pd.read_json(out / "summary.json", typ="series")
    assert summary["population_total"] == pytest.approx(counted.sum(), rel=1e-12)


def _global_depth(west: float) -> tuple[np.ndarray, Affine]:
    """A global grid of 0.5-degree cells from ``west`` whose depth depends on longitude."""
    centres = west + 0.25 + 0.5 * np.arange(720)
    depth = np.where((np.floor(centres) % 3) == 0, 2.0, 0.0) + (centres % 360) / 1000.0
    return np.repeat(depth[None, :], 12, axis=0), Affine(0.5, 0, west, 0, -0.5, 3.0)


@pytest.mark.parametrize("west", [0.0, -0.25], ids=["edges at 0", "centres at 0"])
def test_a_global_grid_in_0_360_longitudes_is_read_from_minus_180(tmp_path, west):
    depth, transform = _global_depth(west)
    source = RasterFile(_write(tmp_path / "global.tif", depth.astype(np.float32), transform))
    left, _, right, _ = source.grid.bounds
    assert left == pytest.approx(west + 180.0 - 360.0 if west == 0 else -179.75)
    assert right - left == pytest.approx(360.0)
    # a window across 0 degrees (the file's last and first columns) and one that is not
    for col, width in ((350, 30), (10, 40), (700, 20)):
        got = source.read([1], Window(col, 2, width, 3))[0]
        centres = left + 0.25 + 0.5 * np.arange(col, col + width)
        expected = np.where((np.floor(centres % 360) % 3) == 0, 2.0, 0.0) + (centres % 360) / 1e3
        np.testing.assert_allclose(got, np.tile(expected, (3, 1)), rtol=1e-6)


@pytest.mark.parametrize("suffix", ["tif", "nc"])
def test_a_country_across_0_degrees_on_a_global_0_360_grid(tmp_path, suffix):
    """Before, the western half (west of 0) was 'no hazard data', or no overlap at all."""
    import xarray as xr

    from mecc.run import run_country

    rng = np.random.default_rng(8)
    people = rng.uniform(10, 100, size=(4, 24))  # 6 degrees wide, 3 west of 0
    _write(tmp_path / "pop.tif", people, Affine(0.25, 0, -3.0, 0, -0.25, 2.0))
    depth, transform = _global_depth(0.0)
    if suffix == "tif":
        _write(tmp_path / "global.tif", depth.astype(np.float32), transform)
    else:
        lon = 0.25 + 0.5 * np.arange(720)
        lat = 3.0 - 0.25 - 0.5 * np.arange(12)
        xr.Dataset({"depth": (("lat", "lon"), depth)}, coords={"lat": lat, "lon": lon}).to_netcdf(
            tmp_path / "global.nc"
        )
    (tmp_path / "run.yaml").write_text(
        "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: f\n"
        f"    type: river_flood\n    intensity: global.{suffix}\n    scenario: s\n"
        "    curve: flood_step_1m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False).out_dir
    bands = pd.read_csv(out / "bands.csv", encoding="utf-8-sig")
    centres = -3.0 + 0.125 + 0.25 * np.arange(24)  # each falls in one 0.5-degree cell
    wet = (np.floor(np.floor(centres * 2) / 2 % 360) % 3) == 0
    assert bands["no_hazard_data"].tolist() == [0.0]
    assert bands["displaced"].tolist() == pytest.approx([(people * wet).sum()], rel=1e-12)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_files_that_do_not_say_where_their_cells_lie_are_refused(tmp_path):
    values = np.ones((4, 5), np.float32)
    local = 'LOCAL_CS["unnamed",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    cases = {
        "no geotransform": (
            _write(tmp_path / "a.tif", values, Affine.identity()),
            "no geotransform",
        ),
        "LOCAL_CS": (_write(tmp_path / "b.tif", values, crs=local), "local engineering CRS"),
    }
    gcps = [GroundControlPoint(0, 0, 20.0, 45.0), GroundControlPoint(4, 5, 22.5, 43.0)]
    with rasterio.open(
        tmp_path / "c.tif", "w", driver="GTiff", width=5, height=4, count=1, dtype="float32"
    ) as dataset:
        dataset.write(values, 1)
        dataset.gcps = (gcps, rasterio.crs.CRS.from_epsg(4326))  # no grid: points only
    cases["ground control points"] = (tmp_path / "c.tif", "ground control points only")
    for name, (path, words) in cases.items():
        with pytest.raises(MissingCRSError, match=rf"^x\.tif: raster has .*{words}") as raised:
            RasterFile(path, "x.tif")
        assert "\n" not in str(raised.value), name
