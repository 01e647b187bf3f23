"""NetCDF hazard grids as agencies receive them, and flooded fractions.

- float32 coordinates (CHIRPS and many CF files) are regular to their precision and are
  placed from the first and last coordinate, cells not drifting; irregular ones are refused;
- a variable without coordinate values has no georeference and is refused, not placed at
  its pixel indices as degrees;
- the CF ``units`` attribute of the variable is honoured (depth in cm is not read as m);
- a flooded fraction is a share in [0, 1] (a grid in percent is refused during the run);
- the fraction of a NetCDF is its ``fraction`` variable (or its only one), never the
  intensity's ``variable:``; Austria with depth and fraction in one file gives CLIMADA's AAD.

Expected numbers are computed here with numpy (or taken from GDAL and CLIMADA), never from
the code under test.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from rasterio.windows import Window

from hazards.readers import NetCDFFile, read_hazard
from mecc.errors import ConfigError, DataError
from mecc.grid import GridSpec
from tests._errors import expect_error
from tests._run_inputs import DEPTH, POP, TRANSFORM, basic_case, write_run
from tests.conftest import write_raster

# ------------------------------------------------------------------ helpers


def _centres(transform: Affine, height: int, width: int):
    lon = transform.c + transform.a * (np.arange(width) + 0.5)
    lat = transform.f + transform.e * (np.arange(height) + 0.5)
    return lat, lon


def _write_nc(path, variables, transform=TRANSFORM, *, coords=True, dtype=np.float64):
    """Variables ``{name: (array (bands, rows, cols) or (rows, cols), attrs)}`` on the
    cell centres of ``transform`` (coordinates stored in ``dtype``)."""
    first = next(iter(variables.values()))[0]
    height, width = first.shape[-2:]
    lat, lon = _centres(transform, height, width)
    data = {}
    for name, (values, attrs) in variables.items():
        dims = ("event", "lat", "lon") if values.ndim == 3 else ("lat", "lon")
        data[name] = (dims, values, attrs)
    coordinates = {}
    if coords:
        coordinates = {"lat": lat.astype(dtype), "lon": lon.astype(dtype)}
        if first.ndim == 3:
            coordinates["event"] = np.arange(first.shape[0]) + 1
    xr.Dataset(data, coords=coordinates).to_netcdf(path)
    return path


CURVES = {
    "river_flood": "flood_step_1m",
    "tropical_cyclone": "sshws_inasafe",
    "earthquake": "eq_mmi6_survivors",
}


def _scenario(intensity, **extra) -> dict:
    return {
        "id": "f",
        "type": "river_flood",
        "intensity": intensity,
        "scenario": "s",
        "curve": "flood_step_1m",
        **extra,
    }


def _read_all(hazard, grid: GridSpec) -> np.ndarray:
    intensity, _ = hazard.align(grid)
    return intensity.read(Window(0, 0, grid.width, grid.height))


# ------------------------------------------------------ D3: float32 coordinates


def _chirps_like(path, width=2000, height=40, saved_as=np.float32):
    """A 0.05-degree grid from 25 W eastwards with float32 coordinates (as CHIRPS),
    saved as ``saved_as`` (float64: float32 numbers promoted by a tool)."""
    lon = (-25 + 0.025 + 0.05 * np.arange(width)).astype(np.float32)
    lat = (-19 - 0.025 - 0.05 * np.arange(height)).astype(np.float32)
    values = np.arange(height * width, dtype=np.float32).reshape(height, width)
    xr.Dataset(
        {"depth": (("latitude", "longitude"), values, {"units": "m"})},
        coords={"latitude": lat.astype(saved_as), "longitude": lon.astype(saved_as)},
    ).to_netcdf(path)
    return lon, lat, values


@pytest.mark.parametrize("saved_as", [np.float32, np.float64])
def test_float32_coordinates_are_regular_to_their_precision(tmp_path, saved_as):
    lon, lat, values = _chirps_like(tmp_path / "chirps.nc", saved_as=saved_as)
    steps = np.diff(lon.astype(np.float64))
    assert steps.max() - steps.min() > 1e-6 * 0.05  # refused before: rtol 1e-6 on steps
    source = NetCDFFile(tmp_path / "chirps.nc", "depth")
    # the grid from the first and last coordinate and their count, as GDAL places it
    with rasterio.open(tmp_path / "chirps.nc") as gdal:
        gdal_transform = gdal.transform
    expected_dx = (float(lon[-1]) - float(lon[0])) / (lon.size - 1)
    got = source.grid.transform
    assert got.a == pytest.approx(expected_dx, rel=1e-12)
    assert got.c == pytest.approx(float(lon[0]) - expected_dx / 2, abs=1e-12)
    for name in ("a", "c", "e", "f"):
        assert getattr(got, name) == pytest.approx(getattr(gdal_transform, name), abs=1e-8)
    # on the exact 0.05-degree grid, every cell lands where it belongs (no drift over
    # 2000 columns): the values read are the file's, cell for cell
    exact = GridSpec("EPSG:4326", Affine(0.05, 0, -25.0, 0, -0.05, -19.0), 2000, 40)
    hazard = read_hazard(_scenario(str(tmp_path / "chirps.nc")), tmp_path, "hazards[0]")
    np.testing.assert_array_equal(_read_all(hazard, exact)[0], values)


@pytest.mark.parametrize(
    ("dtype", "shift"),
    [(np.float32, 0.01), (np.float32, 1e-4), (np.float64, 1e-4)],
    ids=["float32 gap", "float32 jitter beyond float32 precision", "float64 jitter"],
)
def test_irregular_coordinates_are_still_refused(tmp_path, dtype, shift):
    lon = -25 + 0.025 + 0.05 * np.arange(30)
    lon[12:] += shift  # a step of 0.05 + shift: irregular beyond the dtype's precision
    lat = -19 - 0.025 - 0.05 * np.arange(20)
    xr.Dataset(
        {"depth": (("lat", "lon"), np.ones((20, 30)))},
        coords={"lat": lat.astype(dtype), "lon": lon.astype(dtype)},
    ).to_netcdf(tmp_path / "irregular.nc")
    with pytest.raises(DataError, match=r"irregular\.nc: coordinate lon: spacing is not regular"):
        NetCDFFile(tmp_path / "irregular.nc", "depth")


# ------------------------------------------------- D4: no coordinate variables


def test_netcdf_without_coordinates_is_refused(tmp_path):
    _write_nc(tmp_path / "no_coords.nc", {"depth": (DEPTH, {})}, coords=False)
    with pytest.raises(DataError, match=r"no_coords\.nc: variable 'depth' has no coordinate"):
        NetCDFFile(tmp_path / "no_coords.nc", "depth")


def test_run_with_netcdf_without_coordinates_fails_cleanly(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    _write_nc(folder / "no_coords.nc", {"depth": (DEPTH, {})}, coords=False)
    run["hazards"] = [_scenario("no_coords.nc")]
    line = expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "hazards[0]",
        "intensity",
        "no_coords.nc",
        "'depth'",
    )
    assert "no georeference" in line


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("tiff", "the file is a GeoTIFF: give it a .tif name"),
        ("text", "does not start as NetCDF 3 or NetCDF 4 (HDF5) files do"),
    ],
)
def test_a_file_named_nc_that_is_no_netcdf_is_one_plain_line(cli, tmp_path, content, said):
    """A GeoTIFF saved under a .nc name (or any other file): one line saying what the file
    is, not xarray's three lines about IO backends and installing dependencies."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    if content == "tiff":
        write_raster(folder / "depth.nc", DEPTH, TRANSFORM)
    else:
        (folder / "depth.nc").write_text("band,value\n1,0.5\n", encoding="utf-8")
    run["hazards"] = [_scenario("depth.nc")]
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "intensity", "depth.nc")
    assert said in line
    assert "backends" not in line and "install" not in line


# ---------------------------------------------------------- D2: CF units


@pytest.mark.parametrize(
    ("hazard_type", "units", "factor"),
    [
        ("river_flood", "m", 1.0),
        ("river_flood", "metres", 1.0),
        ("river_flood", "meters", 1.0),
        ("river_flood", "cm", 0.01),
        ("river_flood", "centimeters", 0.01),
        ("river_flood", "mm", 0.001),
        ("river_flood", "ft", 0.3048),
        ("tropical_cyclone", "m s-1", 1.0),
        ("tropical_cyclone", "m/s", 1.0),
        ("tropical_cyclone", "m s**-1", 1.0),
        ("tropical_cyclone", "km h-1", 1 / 3.6),
        ("tropical_cyclone", "km/h", 1 / 3.6),
        ("tropical_cyclone", "knots", 0.514444444444),
        ("tropical_cyclone", "kt", 0.514444444444),
        ("earthquake", "MMI", 1.0),
        ("earthquake", "1", 1.0),
    ],
)
def test_netcdf_units_attribute_is_honoured(tmp_path, hazard_type, units, factor):
    values = np.array([[50.0, 100.0], [150.0, 7.0]])
    _write_nc(tmp_path / "grid.nc", {"v": (values, {"units": units})})
    spec = _scenario("grid.nc", type=hazard_type, curve=CURVES[hazard_type])
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    got = _read_all(hazard, hazard.native_grid)[0]
    np.testing.assert_allclose(got, values * factor, rtol=1e-11)


def test_netcdf_depth_in_cm_gives_the_metre_run(tmp_path):
    """The same depths as a GeoTIFF in metres and a NetCDF in cm: the same bands.csv."""
    from mecc.run import run_country

    rng = np.random.default_rng(3)
    depth = rng.gamma(1.0, 0.8, size=(6, 8))
    transform = Affine(0.5, 0, 20.0, 0, -0.5, 45.0)
    population = rng.uniform(0, 100, size=(6, 8))
    write_raster(tmp_path / "pop.tif", population, transform=transform)
    write_raster(tmp_path / "depth.tif", depth, transform=transform)
    _write_nc(tmp_path / "depth_cm.nc", {"depth": (depth * 100, {"units": "cm"})}, transform)
    results = {}
    for name, grid in (("tif", "depth.tif"), ("nc", "depth_cm.nc")):
        run = {"country": "XXA", "population": {"path": "pop.tif"}, "hazards": [_scenario(grid)]}
        out = run_country(write_run(tmp_path, run, f"{name}.yaml"), tmp_path / f"out_{name}")
        results[name] = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(results["tif"], results["nc"])
    expected = float((population * (depth >= 1.0)).sum())
    assert results["nc"]["displaced"].tolist() == pytest.approx([expected], rel=1e-12)
    assert expected < float((population * (depth * 100 >= 1.0)).sum())  # cm as m: more


@pytest.mark.parametrize(
    ("hazard_type", "units"),
    [("river_flood", "furlongs"), ("river_flood", "m/s"), ("tropical_cyclone", "m")],
)
def test_unknown_or_incompatible_units_are_refused(tmp_path, hazard_type, units):
    _write_nc(tmp_path / "grid.nc", {"v": (np.ones((2, 2)), {"units": units})})
    spec = _scenario("grid.nc", type=hazard_type, curve=CURVES[hazard_type])
    with pytest.raises(ConfigError, match=rf"grid\.nc\): variable 'v' has units '{units}'"):
        read_hazard(spec, tmp_path, "hazards[0]")
    # unless the run file states the unit
    spec["unit"] = "cm" if hazard_type == "river_flood" else "kt"
    factor = 0.01 if hazard_type == "river_flood" else 1852 / 3600
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    np.testing.assert_allclose(_read_all(hazard, hazard.native_grid)[0], factor, rtol=1e-12)


def test_run_file_unit_must_agree_with_the_file(tmp_path):
    _write_nc(tmp_path / "grid.nc", {"depth": (np.full((2, 2), 80.0), {"units": "centimetres"})})
    spec = _scenario("grid.nc", unit="m")
    with pytest.raises(ConfigError, match=r"unit: m but .*grid\.nc\): variable 'depth' has"):
        read_hazard(spec, tmp_path, "hazards[0]")
    spec["unit"] = "cm"  # the same unit, twice
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    np.testing.assert_allclose(_read_all(hazard, hazard.native_grid)[0], 0.8, rtol=1e-12)


def test_return_period_maps_take_their_files_units(tmp_path):
    depth = np.array([[20.0, 60.0], [120.0, 0.0]])
    _write_nc(tmp_path / "rp10.nc", {"depth": (depth, {"units": "cm"})})
    _write_nc(tmp_path / "rp100.nc", {"depth": (depth * 2, {"units": "cm"})})
    _write_nc(tmp_path / "rp100_m.nc", {"depth": (depth / 50, {"units": "m"})})
    spec = {
        "id": "f",
        "type": "river_flood",
        "curve": "flood_step_1m",
        "return_periods": {10: "rp10.nc", 100: "rp100.nc"},
    }
    hazard = read_hazard(spec, tmp_path, "hazards[0]")
    np.testing.assert_allclose(
        _read_all(hazard, hazard.native_grid), [depth / 100, depth / 50], rtol=1e-12
    )
    spec["return_periods"][100] = "rp100_m.nc"  # the same metres, stated in another unit
    with pytest.raises(ConfigError, match=r"different units .*'depth': cm, .*'depth': m\)"):
        read_hazard(spec, tmp_path, "hazards[0]")


def test_run_with_unknown_netcdf_units_fails_cleanly(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    _write_nc(folder / "depth.nc", {"depth": (DEPTH, {"units": "inches of water"})})
    run["hazards"] = [_scenario("depth.nc")]
    line = expect_error(  # ConfigError: the remedy is unit: in the run file (exit 2)
        cli, write_run(folder, run), tmp_path / "out", 2, "hazards[0]", "depth.nc", "'depth'"
    )
    assert "'inches of water'" in line and "unit:" in line


# --------------------------------------------------- D7: fraction range check


def _fraction_case(folder, fraction) -> dict:
    run = basic_case(folder)
    write_raster(folder / "frac.tif", np.asarray(fraction, dtype=np.float32))
    run["hazards"] = [_scenario("rp100.tif", fraction="frac.tif")]
    return run


@pytest.mark.parametrize(
    ("fraction", "needle"),
    [
        (np.full((4, 4), 40.0), "reaches 40 in band 1"),
        (np.full((4, 4), 250.0), "reaches 250 in band 1"),
        (np.where(np.eye(4) > 0, -0.5, 0.5), "goes down to -0.5 in band 1"),
    ],
    ids=["percent", "above 100", "negative"],
)
def test_fraction_outside_zero_one_is_refused_during_the_run(cli, tmp_path, fraction, needle):
    folder = tmp_path / "case"
    run = _fraction_case(folder, fraction)
    line = expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "hazards[0]",
        "fraction",
        "frac.tif",
        needle,
        input_error=False,  # found while the engine reads the blocks, not by validate
    )
    assert ("looks like percent" in line) == (needle == "reaches 40 in band 1")


def test_fraction_within_rounding_of_one_is_used(tmp_path):
    from mecc.run import run_country

    folder = tmp_path / "case"
    fraction = np.full((4, 4), np.float32(1.0000001))  # float32 just above 1
    fraction[:, :2] = 0.25
    run = _fraction_case(folder, fraction)
    out = run_country(write_run(folder, run), tmp_path / "out")
    displaced = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")["displaced"]
    expected = float((POP * fraction.astype(np.float64) * (DEPTH >= 1.0)).sum())
    assert displaced.tolist() == pytest.approx([expected], rel=1e-12)


# ---------------------------------------------- D8: the fraction's own variable


def test_fraction_is_read_from_its_own_variable(tmp_path):
    from mecc.run import run_country

    depth = np.stack([DEPTH, DEPTH * 2])
    fraction = np.stack([np.full((4, 4), 0.5), np.linspace(0, 1, 16).reshape(4, 4)])
    _write_nc(
        tmp_path / "both.nc",
        {"depth": (depth, {"units": "m"}), "fraction": (fraction, {"units": "1"})},
    )
    _write_nc(tmp_path / "share.nc", {"flooded": (fraction, {})})  # its only variable
    write_raster(tmp_path / "pop.tif", POP)
    (tmp_path / "events.csv").write_text("band,frequency\n1,0.1\n2,0.01\n", encoding="utf-8")
    expected = [float((POP * f * (d >= 1.0)).sum()) for d, f in zip(depth, fraction, strict=True)]
    for name, fraction_file in (("same", "both.nc"), ("own", "share.nc")):
        hazard = {
            "id": "f",
            "type": "river_flood",
            "intensity": "both.nc",
            "variable": "depth",
            "fraction": fraction_file,
            "events": "events.csv",
            "curve": "flood_step_1m",
        }
        run = {"country": "XXA", "population": {"path": "pop.tif"}, "hazards": [hazard]}
        out = run_country(write_run(tmp_path, run, f"{name}.yaml"), tmp_path / f"out_{name}")
        displaced = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig")["displaced"]
        assert displaced.tolist() == pytest.approx(expected, rel=1e-12), name


def test_fraction_variable_that_cannot_be_told_is_refused(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    _write_nc(
        folder / "both.nc",
        {"depth": (DEPTH, {"units": "m"}), "share": (np.full((4, 4), 0.5), {})},
    )
    run["hazards"] = [_scenario("both.nc", variable="depth", fraction="both.nc")]
    line = expect_error(  # as for an intensity variable that cannot be told (exit 2)
        cli, write_run(folder, run), tmp_path / "out", 2, "hazards[0]", "fraction", "both.nc"
    )
    assert "found depth, share" in line


@pytest.mark.shared_data
def test_austria_depth_and_fraction_in_one_netcdf_give_climada_aad(shared_data, tmp_path):
    """Austria's 480 events with depth and fraction as two variables of one NetCDF."""
    from mecc.run import run_country

    data = shared_data / "austria_flood"
    with rasterio.open(data / "hazard_depth.tif") as src:
        depth, transform = src.read(), src.transform
    with rasterio.open(data / "hazard_fraction.tif") as src:
        fraction = src.read()
    _write_nc(
        tmp_path / "austria.nc", {"depth": (depth, {}), "fraction": (fraction, {})}, transform
    )
    hazard = {
        "id": "flood",
        "type": "river_flood",
        "intensity": "austria.nc",
        "fraction": "austria.nc",
        "variable": "depth",
        "events": str(data / "events.csv"),
        "curve": {"intensity": [0.0, 0.5, 0.5, 100.0], "share": [0.0, 0.0, 1.0, 1.0]},
    }
    run = {
        "country": "AUT",
        "population": {"path": str(data / "pop_count.tif"), "kind": "count"},
        "hazards": [hazard],
    }
    out = run_country(write_run(tmp_path, run), tmp_path / "out")
    meta = json.loads((data / "climada_reference_step05.json").read_text(encoding="utf-8"))
    per_event = pd.read_csv(data / "climada_reference_step05.csv").sort_values("band")
    bands = pd.read_csv(out.out_dir / "bands.csv", encoding="utf-8-sig").sort_values("band")
    np.testing.assert_allclose(
        bands["displaced"], per_event["displaced_with_fraction"], rtol=1e-9, atol=1e-9
    )
    summary = json.loads((out.out_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["flood"]["aad"] == pytest.approx(meta["aad_with_fraction"], rel=1e-9)
    assert meta["aad_with_fraction"] == pytest.approx(4575.598, abs=1e-3)


@pytest.mark.shared_data
def test_austria_fraction_in_percent_is_refused(cli, shared_data, tmp_path):
    """The real Austria fraction grid x 100: refused, not 100x the displacement."""
    data = shared_data / "austria_flood"
    with rasterio.open(data / "hazard_fraction.tif") as src:
        profile, fraction = src.profile, src.read()
    with rasterio.open(tmp_path / "percent.tif", "w", **profile) as dst:
        dst.write((fraction * 100).astype(profile["dtype"]))
    hazard = {
        "id": "flood",
        "type": "river_flood",
        "intensity": str(data / "hazard_depth.tif"),
        "fraction": "percent.tif",
        "events": str(data / "events.csv"),
        "curve": "flood_step_0.5m",
    }
    run = {
        "country": "AUT",
        "population": {"path": str(data / "pop_count.tif"), "kind": "count"},
        "hazards": [hazard],
    }
    line = expect_error(
        cli,
        write_run(tmp_path, run),
        tmp_path / "out",
        1,
        "hazards[0]",
        "fraction",
        "percent.tif",
        "looks like percent",
        input_error=False,
    )
    assert "between 0 and 1" in line
