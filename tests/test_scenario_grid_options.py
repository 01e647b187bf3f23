"""The grid and output options of the scenario generators (`mecc hazard cyclone /
earthquake / flood`): degrees in a metres CRS also in 0-360 longitudes, bounds across
180° told the RIGHT that works, bounds grown to whole cells said (and never past a
pole), earthquakes deeper than the equation's data warned and noted, an --out that is not
a GeoTIFF refused, and the fault of a generated earthquake kept in manifest.json."""

from __future__ import annotations

import json
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio

from hazards.earthquake import rupture_dimensions, write_earthquake
from hazards.scenarios import target_grid
from mecc.errors import ConfigError, MeccWarning
from mecc.manifest import generated_scenario
from tests.conftest import write_raster

TRACK = "time_utc,lat,lon,vmax_kt,pressure_hpa\n2020010100,-17,175,100,950\n2020010106,-17.5,178,100,950\n"


def _strict_json(text: str):
    """JSON as the standard has it: NaN and Infinity are refused."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _one_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def _earthquake(cli, out, *grid, magnitude="5", lat="60", lon="0", depth="10"):
    return cli(
        "hazard",
        "earthquake",
        "--magnitude",
        magnitude,
        "--lat",
        lat,
        "--lon",
        lon,
        "--depth-km",
        depth,
        "--out",
        out,
        *grid,
    )


# ------------------------------------------------- degrees in a metres CRS, 0-360


def test_bounds_in_0_360_degrees_with_a_metres_crs_are_refused():
    with pytest.raises(ConfigError, match=r"look like degrees.*8 x 6 m"):
        target_grid(bounds=(176, -21, 184, -15), resolution=0.05, crs="EPSG:3832")
    # the same box in metres is a real grid of that CRS
    grid = target_grid(bounds=(176e3, -21e3, 184e3, -15e3), resolution=1000, crs="EPSG:3832")
    assert grid.shape == (6, 8)


def test_cyclone_and_earthquake_refuse_0_360_degrees_in_metres(cli, tmp_path):
    track = tmp_path / "t.csv"
    track.write_text(TRACK)
    grid = ["--bounds", "176", "-21", "184", "-15", "--resolution", "0.05", "--crs", "EPSG:3832"]
    out = tmp_path / "b.tif"
    line = _one_error(cli("hazard", "cyclone", track, "--out", out, *grid))
    assert "look like degrees" in line and "EPSG:4326" in line
    assert not out.exists()
    line = _one_error(_earthquake(cli, out, *grid, lat="-17", lon="178"))
    assert "look like degrees" in line
    assert not out.exists()


# ------------------------------------------------------------- across 180 degrees


def test_bounds_across_180_name_the_right_above_180_that_works(cli, tmp_path):
    with pytest.raises(ConfigError, match=r"RIGHT above 180: --bounds 176 -21 184 -15$"):
        target_grid(bounds=(176, -21, -176, -15), resolution=0.5)
    out = tmp_path / "x.tif"
    grid = ["--resolution", "0.5"]
    line = _one_error(_earthquake(cli, out, "--bounds", "176", "-21", "-176", "-15", *grid))
    assert "--bounds 176 -21 184 -15" in line
    assert not out.exists()
    result = _earthquake(
        cli,
        out,
        "--bounds",
        "176",
        "-21",
        "184",
        "-15",
        *grid,
        magnitude="6",
        lat="-18",
        lon="-179",
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        assert tuple(dataset.bounds) == pytest.approx((176, -21, 184, -15))
        assert dataset.read(1).max() > 5


def test_a_projected_box_with_right_west_of_left_keeps_the_plain_message():
    with pytest.raises(ConfigError) as error:
        target_grid(bounds=(500e3, 0, 400e3, 1e5), resolution=1000, crs="EPSG:32633")
    assert "above 180" not in str(error.value) and "LEFT < RIGHT" in str(error.value)


# ------------------------------------------------------------ whole cells, poles


def test_bounds_grown_to_whole_cells_are_said_with_the_bounds_written():
    with pytest.warns(MeccWarning, match=r"covers 98 -4 104 2 \(LEFT BOTTOM RIGHT TOP\)"):
        grid = target_grid(bounds=(98, -2, 102, 2), resolution=3)
    assert grid.bounds == pytest.approx((98, -4, 104, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = target_grid(bounds=(98, -2, 102, 2), resolution=0.1)
    assert exact.shape == (40, 40)


def test_a_geographic_grid_never_passes_the_south_pole():
    with pytest.warns(MeccWarning, match=r"covers 0 -90 10\.5 -84\.4"):
        grid = target_grid(bounds=(0, -90, 10, -85), resolution=0.7)
    assert grid.shape == (8, 15)
    assert grid.bounds == pytest.approx((0, -90, 10.5, -84.4))
    # whole cells past both poles, or around more than the globe: one line
    with pytest.raises(ConfigError, match="past both poles"):
        target_grid(bounds=(0, -90, 10, 90), resolution=7)
    with pytest.raises(ConfigError, match="more than the 360"):
        target_grid(bounds=(-180, -45, 180, 45), resolution=0.7)
    # a projected grid may lie south of -90 units
    with pytest.warns(MeccWarning, match="covers 0 -97 12 -85"):
        projected = target_grid(bounds=(0, -95, 10, -85), resolution=3, crs="EPSG:32633")
    assert projected.bounds == pytest.approx((0, -97, 12, -85))


def test_earthquake_by_the_pole_has_no_nan_and_valid_json_tags(cli, tmp_path):
    out = tmp_path / "s.tif"
    result = _earthquake(cli, out, "--bounds", "0", "-90", "10", "-85", "--resolution", "0.7")
    assert result.exit_code == 0, result.output
    assert "RuntimeWarning" not in result.stderr
    assert "covers 0 -90 10.5 -84.4" in result.stderr
    assert "felt nowhere" in result.stderr  # an M5 at 60 N is not felt by the South Pole
    with rasterio.open(out) as dataset:
        assert dataset.bounds.bottom == pytest.approx(-90)
        values = dataset.read(1)
        parameters = _strict_json(dataset.tags()["parameters"])
    assert np.isfinite(values).all()
    assert parameters["max_mmi"] == pytest.approx(1.0)


def test_cells_a_projected_crs_cannot_place_are_nodata_with_a_warning(tmp_path):
    # a UTM grid running 50,000 km east: only its first column has a place on the Earth
    like = write_raster(
        tmp_path / "like.tif",
        np.zeros((4, 4), dtype="float32"),
        transform=rasterio.Affine(5e7, 0, -2.45e7, 0, -1e5, 2e5),
        crs="EPSG:32633",
    )
    out = tmp_path / "eq.tif"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_earthquake(out, magnitude=6, lat=0, lon=10, depth_km=10, like=like)
    texts = [str(w.message) for w in caught]
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], texts
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
        parameters = _strict_json(dataset.tags()["parameters"])
    missing = int(np.isnan(values).sum())
    assert missing == 12 and np.isfinite(values[:, 0]).all()
    assert any(f"{missing} of the grid's 16 cells have no intensity" in t for t in texts), texts
    assert parameters["max_mmi"] == pytest.approx(float(np.nanmax(values)))


# ------------------------------------------------------------------ deep events


def test_a_deep_earthquake_is_warned_and_noted(tmp_path):
    out = tmp_path / "d.tif"
    with pytest.warns(MeccWarning, match=r"depth 650 km is deeper .* about 0-20 km deep"):
        write_earthquake(
            out, magnitude=7, lat=0, lon=100, depth_km=650, bounds=(98, -2, 102, 2), resolution=0.1
        )
    with rasterio.open(out) as dataset:
        notes = json.loads(dataset.tags()["parameters"])["notes"]
    assert notes[0] == (
        "depth 650 km is outside the equation's data (shallow crustal earthquakes, "
        "about 0-20 km deep): extrapolated"
    )


def test_a_shallow_earthquake_is_not_warned_about_its_depth(tmp_path, cli):
    out = tmp_path / "s.tif"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_earthquake(
            out, magnitude=6, lat=0, lon=100, depth_km=20, bounds=(98, -2, 102, 2), resolution=0.1
        )
    assert not [w for w in caught if "depth" in str(w.message)]
    with rasterio.open(out) as dataset:
        notes = json.loads(dataset.tags()["parameters"])["notes"]
    assert not [n for n in notes if "depth" in n]
    deep = tmp_path / "deep.tif"
    grid = ["--bounds", "98", "-2", "102", "2", "--resolution", "0.1"]
    result = _earthquake(cli, deep, *grid, magnitude="7", lat="0", lon="100", depth="650")
    assert result.exit_code == 0, result.output
    assert "warning: depth 650 km is deeper" in result.stderr


# ------------------------------------------------------------- --out a GeoTIFF


@pytest.mark.parametrize("name", ["eq.nc", "eq.png", "eq"])
def test_an_out_that_is_not_a_geotiff_is_refused(cli, tmp_path, name):
    out = tmp_path / name
    grid = ["--bounds", "98", "-2", "102", "2", "--resolution", "0.1"]
    line = _one_error(_earthquake(cli, out, *grid, lat="0", lon="100"))
    assert "does not end in .tif or .tiff" in line and "eq.tif" in line
    assert not out.exists()
    track = tmp_path / "t.csv"
    track.write_text(TRACK)
    line = _one_error(cli("hazard", "cyclone", track, "--out", out, *grid))
    assert "does not end in .tif or .tiff" in line
    assert not out.exists()
    dem = write_raster(tmp_path / "dem.tif", np.arange(16, dtype="float32").reshape(4, 4))
    line = _one_error(cli("hazard", "flood", dem, "--out", out, "--water-level", "5"))
    assert "does not end in .tif or .tiff" in line
    assert not out.exists()


def test_a_mecc_grid_under_a_name_that_is_not_a_geotiff_is_not_replaced(cli, tmp_path):
    grid = ["--bounds", "98", "-2", "102", "2", "--resolution", "0.1"]
    out = tmp_path / "eq.nc"
    write_earthquake(
        out, magnitude=6, lat=0, lon=100, depth_km=10, bounds=(98, -2, 102, 2), resolution=0.1
    )
    before = out.read_bytes()
    line = _one_error(_earthquake(cli, out, *grid, "--overwrite", lat="0", lon="100"))
    assert "does not end in .tif or .tiff" in line
    assert out.read_bytes() == before
    # a file mecc did not write: the generator's own refusal, which says more
    foreign = tmp_path / "census.csv"
    foreign.write_text("code,people\nA,1\n")
    line = _one_error(_earthquake(cli, foreign, *grid, "--overwrite", lat="0", lon="100"))
    assert "is not a hazard grid mecc wrote" in line
    assert foreign.read_text() == "code,people\nA,1\n"


def test_an_upper_case_tif_out_is_written(cli, tmp_path):
    out = tmp_path / "EQ.TIF"
    grid = ["--bounds", "98", "-2", "102", "2", "--resolution", "0.1"]
    result = _earthquake(cli, out, *grid, magnitude="6", lat="0", lon="100")
    assert result.exit_code == 0, result.output
    assert out.exists()


# --------------------------------------------------------------- manifest.json


def test_the_manifest_keeps_the_fault_of_a_generated_earthquake(tmp_path):
    out = tmp_path / "eq.tif"
    write_earthquake(
        out,
        magnitude=6.7,
        lat=34.21,
        lon=-118.54,
        depth_km=18,
        strike=122,
        dip=40,
        bounds=(-119, 34, -118, 35),
        resolution=0.05,
    )
    record = generated_scenario(SimpleNamespace(inputs=[str(out)]))
    length, width = rupture_dimensions(6.7)
    half_depth = width / 2 * math.sin(math.radians(40))
    assert record["strike_deg"] == 122.0 and record["dip_deg"] == 40.0
    rupture = record["rupture"]
    assert rupture["length_km"] == pytest.approx(length, abs=1e-3)
    assert rupture["width_km"] == pytest.approx(width, abs=1e-3)
    assert rupture["top_depth_km"] == pytest.approx(18 - half_depth, abs=1e-3)
    assert rupture["bottom_depth_km"] == pytest.approx(18 + half_depth, abs=1e-3)
    assert rupture["model"].startswith("rectangle")
    assert record["rupture_source"].startswith("Wells, D. L. & Coppersmith")
    assert record["epicentre"] == [34.21, -118.54] and record["depth_km"] == 18.0


def test_the_manifest_says_a_point_rupture_has_no_strike(tmp_path):
    out = tmp_path / "eq.tif"
    write_earthquake(
        out, magnitude=6, lat=0, lon=100, depth_km=10, bounds=(98, -2, 102, 2), resolution=0.1
    )
    record = generated_scenario(SimpleNamespace(inputs=[str(out)]))
    assert record["strike_deg"] is None and record["dip_deg"] is None
    assert record["rupture"] == {
        "model": "point at the hypocentre (no strike given)",
        "length_km": 0.0,
        "width_km": 0.0,
    }
