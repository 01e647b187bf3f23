"""Hazard readers: NetCDF through xarray reads the same numbers as GeoTIFF; events
tables; return-period sets; units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from rasterio.windows import Window

from hazards.readers import NetCDFFile, read_events, read_hazard
from mecc.errors import ConfigError, DataError, MissingCRSError
from mecc.grid import GridSpec
from mecc.raster_file import RasterFile

TRANSFORM = Affine(0.5, 0, 20.0, 0, -0.5, 45.0)


def _netcdf(path, data, *, ascending_lat=False, with_crs=True, names=("lat", "lon")):
    n_band, height, width = data.shape
    lon = 20.0 + 0.25 + 0.5 * np.arange(width)
    lat = 45.0 - 0.25 - 0.5 * np.arange(height)
    values = data
    if ascending_lat:
        lat = lat[::-1]
        values = data[:, ::-1, :]
    dataset = xr.Dataset(
        {"depth": (("event", names[0], names[1]), values)},
        coords={names[0]: lat, names[1]: lon, "event": np.arange(n_band)},
    )
    if with_crs:
        dataset[names[0]].attrs["units"] = "degrees_north"
        dataset[names[1]].attrs["units"] = "degrees_east"
    dataset.to_netcdf(path)
    return path


@pytest.mark.parametrize("ascending_lat", [False, True])
def test_netcdf_reads_like_geotiff(tmp_path, raster_writer, ascending_lat):
    rng = np.random.default_rng(1)
    data = rng.gamma(1.0, 0.5, size=(3, 6, 8))
    data[1, 2, 3] = np.nan
    tif = raster_writer("depth.tif", data.astype(np.float64), transform=TRANSFORM)
    nc = _netcdf(tmp_path / "depth.nc", data, ascending_lat=ascending_lat)
    from_tif = RasterFile(tif)
    from_nc = NetCDFFile(nc, "depth")
    assert from_nc.grid.same_as(from_tif.grid)
    window = Window(2, 1, 5, 4)
    np.testing.assert_array_equal(from_nc.read([1, 3], window), from_tif.read([1, 3], window))
    assert np.isnan(from_nc.read([2], Window(0, 0, 8, 6))[0, 2, 3])


def test_netcdf_without_crs_is_refused(tmp_path):
    path = _netcdf(tmp_path / "x.nc", np.zeros((1, 3, 3)), with_crs=False, names=("y", "x"))
    with pytest.raises(MissingCRSError, match="no CRS"):
        NetCDFFile(path, "depth")


def test_netcdf_run_equals_geotiff_run(tmp_path, raster_writer):
    """A whole run with the hazard as NetCDF gives the numbers of the GeoTIFF run."""
    from mecc.run import run_country

    rng = np.random.default_rng(7)
    depth = rng.gamma(1.0, 0.6, size=(4, 6, 8))
    raster_writer("pop.tif", rng.uniform(0, 100, size=(6, 8)), transform=TRANSFORM)
    raster_writer("depth.tif", depth, transform=TRANSFORM)
    _netcdf(tmp_path / "depth.nc", depth, ascending_lat=True)
    pd.DataFrame({"band": [1, 2, 3, 4], "frequency": [0.1, 0.05, 0.02, 0.01]}).to_csv(
        tmp_path / "events.csv", index=False
    )
    results = {}
    for name, extra in (
        ("tif", "intensity: depth.tif"),
        ("nc", "intensity: depth.nc\n    variable: depth"),
    ):
        (tmp_path / f"{name}.yaml").write_text(
            "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: flood\n    type: river_flood\n"
            f"    {extra}\n    events: events.csv\n    curve: flood_step_1m\n"
        )
        out = run_country(tmp_path / f"{name}.yaml", tmp_path / f"out_{name}")
        results[name] = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(results["tif"], results["nc"])
    with rasterio.open(tmp_path / "pop.tif") as src:
        population = src.read(1)
    expected = [float((population * (d >= 1.0)).sum()) for d in depth]
    np.testing.assert_allclose(results["nc"]["displaced"], expected, rtol=1e-12)


def test_events_table_rules(tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame(
        {"band": [2, 1, 3], "frequency": [0.5, 0.25, 0.125], "member": ["a", "a", "b"], "extra": 1}
    ).to_csv(path, index=False)
    table = read_events(path, 3, "events")
    assert table["band"].tolist() == [1, 2, 3]
    assert table["frequency"].tolist() == [0.25, 0.5, 0.125]
    assert table["member"].tolist() == ["a", "a", "b"]
    assert "extra" not in table.columns
    with pytest.raises(DataError, match="4 bands but the table lists 3"):
        read_events(path, 4, "events")
    pd.DataFrame({"band": [1, 2], "frequency": [0.1, 0.0]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="line 3 must be a number > 0"):
        read_events(path, 2, "events")


def test_units_are_converted_exactly(tmp_path, raster_writer):
    raster_writer("depth_cm.tif", np.array([[50.0, 100.0], [150.0, 0.0]]))
    spec = {
        "id": "f",
        "type": "river_flood",
        "intensity": "depth_cm.tif",
        "scenario": "s",
        "curve": "flood_step_1m",
        "unit": "cm",
    }
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    grid = hazard.native_grid
    intensity, _ = hazard.align(grid)
    np.testing.assert_array_equal(intensity.read(Window(0, 0, 2, 2))[0], [[0.5, 1.0], [1.5, 0.0]])
    spec["unit"] = "kt"
    with pytest.raises(ConfigError, match="not a unit of water depth"):
        read_hazard(spec, tmp_path, "hazards[0]")


def test_return_period_set_is_sorted_and_labelled(tmp_path, raster_writer):
    for rp in (100, 2, 10):
        raster_writer(f"rp{rp}.tif", np.full((2, 2), float(rp)))
    spec = {
        "id": "f",
        "type": "river_flood",
        "curve": "flood_step_1m",
        "return_periods": {100: "rp100.tif", 2: "rp2.tif", 10: "rp10.tif"},
    }
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    assert hazard.bands["return_period"].tolist() == [2.0, 10.0, 100.0]
    assert hazard.bands["band"].tolist() == ["rp2", "rp10", "rp100"]
    intensity, _ = hazard.align(GridSpec.from_dataset(rasterio.open(tmp_path / "rp2.tif")))
    assert intensity.read(Window(0, 0, 2, 2))[:, 0, 0].tolist() == [2.0, 10.0, 100.0]


def test_packed_geotiff_is_unscaled_like_gdal(tmp_path, raster_writer):
    """Depth in centimetres as int16 with scale 0.01: the run reads metres."""
    from mecc.run import run_country

    rng = np.random.default_rng(11)
    centimetres = rng.integers(0, 400, size=(2, 6, 8)).astype(np.int16)
    centimetres[0, 0, 0] = -32768  # the file's nodata: missing, not -327.68 m
    metres = np.where(centimetres == -32768, np.nan, centimetres / 100.0)
    raster_writer("pop.tif", rng.uniform(0, 100, size=(6, 8)), transform=TRANSFORM)
    raster_writer("depth.tif", metres, transform=TRANSFORM, nodata=np.nan)
    raster_writer("packed.tif", centimetres, transform=TRANSFORM, nodata=-32768)
    with rasterio.open(tmp_path / "packed.tif", "r+") as dataset:
        dataset.scales = (0.01, 0.01)
    read = RasterFile(tmp_path / "packed.tif").read([1, 2], Window(0, 0, 8, 6))
    np.testing.assert_array_equal(np.isnan(read), np.isnan(metres))
    np.testing.assert_allclose(read, metres, rtol=1e-15)
    pd.DataFrame({"band": [1, 2], "frequency": [0.1, 0.01]}).to_csv(
        tmp_path / "events.csv", index=False
    )
    results = {}
    for name in ("depth", "packed"):
        (tmp_path / f"{name}.yaml").write_text(
            "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: flood\n"
            f"    type: river_flood\n    intensity: {name}.tif\n    events: events.csv\n"
            "    curve: flood_step_1m\n"
        )
        out = run_country(tmp_path / f"{name}.yaml", tmp_path / f"out_{name}")
        results[name] = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")
        manifest = (out.out_dir / "manifest.json").read_text(encoding="utf-8")
        assert "plausible" not in manifest  # the range check reads metres too
    pd.testing.assert_frame_equal(results["depth"], results["packed"])
    with rasterio.open(tmp_path / "pop.tif") as src:
        population = src.read(1)
    expected = [float((population * (np.nan_to_num(d) >= 1.0)).sum()) for d in metres]
    np.testing.assert_allclose(results["packed"]["displaced"], expected, rtol=1e-12)


def test_a_band_with_scale_zero_is_refused(tmp_path, raster_writer):
    path = raster_writer("bad.tif", np.ones((2, 2), dtype=np.int16))
    with rasterio.open(path, "r+") as dataset:
        dataset.scales = (0.0,)
    with pytest.raises(DataError, match=r"bad\.tif: band 1 declares scale 0 and offset 0"):
        RasterFile(path)


def test_the_map_pictures_packed_grids_in_their_units(tmp_path, raster_writer):
    from mecc.map_data import warp_to_mercator

    centimetres = np.arange(48, dtype=np.int16).reshape(6, 8) * 10
    raster_writer("depth.tif", centimetres / 100.0, transform=TRANSFORM)
    raster_writer("packed.tif", centimetres, transform=TRANSFORM)
    with rasterio.open(tmp_path / "packed.tif", "r+") as dataset:
        dataset.scales, dataset.offsets = (0.01,), (0.0,)
    plain, _ = warp_to_mercator(tmp_path / "depth.tif", 1)
    packed, _ = warp_to_mercator(tmp_path / "packed.tif", 1)
    assert np.nanmax(plain) == pytest.approx(4.7)
    np.testing.assert_allclose(packed, plain, rtol=1e-12)


def test_the_map_pictures_south_up_grids_the_right_way_up(tmp_path, raster_writer):
    from mecc.map_data import warp_to_mercator

    depth = np.arange(48, dtype=np.float64).reshape(6, 8) / 10.0
    raster_writer("north.tif", depth, transform=TRANSFORM)
    south_up = Affine(TRANSFORM.a, 0, TRANSFORM.c, 0, -TRANSFORM.e, TRANSFORM.f + 6 * TRANSFORM.e)
    raster_writer("south.tif", depth[::-1], transform=south_up)
    north, north_bounds = warp_to_mercator(tmp_path / "north.tif", 1)
    south, south_bounds = warp_to_mercator(tmp_path / "south.tif", 1)  # stopped: lat max < min
    assert south_bounds == north_bounds
    np.testing.assert_array_equal(south, north)
    assert north[0, 0] < north[-1, 0]  # the picture's first row is the north (small depths)


def test_grids_in_0_360_longitudes_are_placed_west_of_greenwich(tmp_path, raster_writer):
    """A regional grid at 285-289 degrees east is the one at 75-71 degrees west."""
    from mecc.map_data import warp_to_mercator
    from mecc.run import run_country

    rng = np.random.default_rng(5)
    depth = rng.gamma(1.0, 0.8, size=(1, 6, 8))
    west = Affine(0.5, 0, -75.0, 0, -0.5, 20.0)
    raster_writer("pop.tif", rng.uniform(0, 100, size=(6, 8)), transform=west)
    raster_writer("depth.tif", depth, transform=west)
    raster_writer("depth360.tif", depth, transform=Affine(0.5, 0, 285.0, 0, -0.5, 20.0))
    lon = 285.25 + 0.5 * np.arange(8)
    lat = 20.0 - 0.25 - 0.5 * np.arange(6)
    xr.Dataset(
        {"depth": (("event", "lat", "lon"), depth)},
        coords={"lat": lat, "lon": lon, "event": [0]},
    ).to_netcdf(tmp_path / "depth360.nc")
    displaced = {}
    for name, spec in (
        ("plain", "depth.tif"),
        ("tif", "depth360.tif"),
        ("nc", "depth360.nc\n    variable: depth"),
    ):
        (tmp_path / f"{name}.yaml").write_text(
            "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: f\n"
            f"    type: river_flood\n    intensity: {spec}\n    scenario: s\n"
            "    curve: flood_step_1m\n"
        )
        # before: 'does not overlap the analysis grid (bounds (285, ...) vs (-75, ...))'
        out = run_country(tmp_path / f"{name}.yaml", tmp_path / f"out_{name}")
        displaced[name] = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")["displaced"]
    with rasterio.open(tmp_path / "pop.tif") as src:
        expected = float((src.read(1) * (depth[0] >= 1.0)).sum())
    for name in displaced:
        assert displaced[name].tolist() == pytest.approx([expected], rel=1e-12), name
    picture, bounds = warp_to_mercator(tmp_path / "depth360.tif", 1)
    plain, plain_bounds = warp_to_mercator(tmp_path / "depth.tif", 1)
    np.testing.assert_allclose(bounds, plain_bounds, atol=1e-9)
    np.testing.assert_array_equal(picture, plain)


def test_only_grids_wholly_east_of_180_are_moved():
    west_of_greenwich = GridSpec("EPSG:4326", Affine(1, 0, 200.0, 0, -1, 10.0), 10, 5)
    assert west_of_greenwich.west_of_greenwich().bounds == pytest.approx((-160, 5, -150, 10))
    for grid in (
        GridSpec("EPSG:4326", Affine(1, 0, 170.0, 0, -1, 10.0), 20, 5),  # across 180
        GridSpec("EPSG:4326", Affine(1, 0, 0.0, 0, -1, 90.0), 360, 180),  # global 0-360
        GridSpec("EPSG:3857", Affine(1000, 0, 200.0, 0, -1000, 0.0), 10, 5),  # metres
    ):
        assert grid.west_of_greenwich() is grid
