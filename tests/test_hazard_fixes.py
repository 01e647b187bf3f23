"""Fixes to the hazard generators found by a probe: the earthquake equation's magnitude
range and warnings, undeclared nodata in DEMs, the cyclone's no-wind reason, track
rows as the file numbers them, one-line messages and no half-made output folders.

Expected values are computed here by hand from the published formulas (Allen, Wald &
Worden 2012; water depth = level - ground), not with the code under test."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

from hazards.cyclone import read_track
from hazards.earthquake import mmi_field, write_earthquake
from hazards.scenarios import target_grid
from mecc.errors import ConfigError, DataError
from tests.conftest import write_raster

UTM = Affine(30.0, 0, 500_000.0, 0, -30.0, 3_000_000.0)
ONE_CELL = ["--bounds", "-0.05", "-0.05", "0.05", "0.05", "--resolution", "0.1"]


def _rhypo_by_hand(m, r):
    """Allen, Wald & Worden (2012) hypocentral form, coefficients from the paper."""
    rm = -0.209 + 2.042 * math.exp(m - 5)
    value = 2.085 + 1.428 * m - 1.402 * math.log(math.sqrt(r**2 + rm**2))
    return value + (0.078 * math.log(r / 50) if r > 50 else 0.0)


def _earthquake(cli, out, magnitude, lat="0", lon="0", depth="10", grid=ONE_CELL, *extra):
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
        *extra,
    )


def _one_error_line(result, code):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


# ------------------------------------------------------------ 1. magnitude range


@pytest.mark.parametrize("magnitude", ["3", "4", "4.9"])
def test_magnitudes_below_the_fitted_range_are_refused(cli, tmp_path, magnitude):
    """M 3 at 0 km gave MMI 8.9: Rm = -0.209 + 2.042 e^(3 - 5) = 0.067 km."""
    out = tmp_path / "eq.tif"
    line = _one_error_line(_earthquake(cli, out, magnitude, depth="0"), 2)
    assert f"magnitude {magnitude} is below M 5" in line
    assert "allen2012_rhypo" in line and "5-7.9" in line and "Allen" in line
    assert not out.exists()


def test_below_the_fitted_range_is_refused_for_both_forms(tmp_path):
    grid = target_grid(bounds=(-0.05, -0.05, 0.05, 0.05), resolution=0.1)
    with pytest.raises(ConfigError, match="allen2012_rhypo"):
        mmi_field(4.0, 0.0, 0.0, 0.0, grid)  # its near-source term vanishes
    with pytest.raises(ConfigError, match="allen2012_rrup.*5-7.9"):
        write_earthquake(
            tmp_path / "e.tif",
            magnitude=4.0,
            lat=0.0,
            lon=0.0,
            depth_km=5.0,
            strike=10.0,
            bounds=(-1, -1, 1, 1),
            resolution=0.1,
        )
    assert list(tmp_path.iterdir()) == []
    # the lower end of the range is kept, its values unchanged
    value = float(mmi_field(5.0, 0.0, 0.0, 10.0, grid)[0, 0])  # the epicentre's cell
    assert value == pytest.approx(_rhypo_by_hand(5.0, 10.0), abs=1e-4)  # 6.9617


def test_magnitudes_above_the_fitted_range_warn_on_the_command_line(cli, tmp_path):
    out = tmp_path / "m85.tif"
    result = _earthquake(cli, out, "8.5", depth="20")
    assert result.exit_code == 0, result.output
    warning = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert len(warning) == 1 and "magnitude 8.5 is above M 7.9" in warning[0]
    assert "extrapolated" in warning[0]
    with rasterio.open(out) as dataset:
        value = float(dataset.read(1)[0, 0])
    expected = min(_rhypo_by_hand(8.5, 20.0), 10.0)  # 9.85 by hand
    assert value == pytest.approx(expected, abs=1e-4)


# ------------------------------------------------- 3. epicentre far from the grid


def test_an_earthquake_felt_nowhere_on_the_grid_warns(cli, tmp_path):
    """A longitude sign slip: the epicentre is ~170 degrees away, every cell MMI 1."""
    out = tmp_path / "far.tif"
    grid = ["--bounds", "82", "26", "88", "30", "--resolution", "0.5"]
    result = _earthquake(cli, out, "7", "28", "-84.7", "10", grid)
    assert result.exit_code == 0, result.output
    assert "warning: the earthquake is felt nowhere on the grid" in result.stderr
    assert "MMI 1.5" in result.stderr and "outside the grid" in result.stderr
    with rasterio.open(out) as dataset:
        assert dataset.read(1).max() == 1.0
    near = _earthquake(cli, tmp_path / "near.tif", "7", "28", "84.7", "10", grid)
    assert near.exit_code == 0 and "warning" not in near.stderr


# --------------------------------------------------------- 2. undeclared nodata


@pytest.mark.parametrize(
    ("void", "dtype"), [(-32768, "int16"), (-9999, "float32")], ids=["srtm", "9999"]
)
def test_dems_with_undeclared_voids_are_refused(cli, tmp_path, void, dtype):
    dem = np.array([[-2, 1, 5, 1], [-2, void, 5, 1], [-2, 1, 5, 1]])
    path = write_raster(tmp_path / "dem.tif", dem, UTM, "EPSG:32633", dtype=dtype)
    out = tmp_path / "depth.tif"
    result = cli("hazard", "flood", path, "--water-level", "2", "--out", out)
    line = _one_error_line(result, 1)
    assert "dem.tif" in line and f"{void}" in line and "-500 m" in line
    assert f"gdal_edit.py -a_nodata {void}" in line
    assert not out.exists()


def test_hand_grids_with_undeclared_voids_are_refused(cli, tmp_path):
    dem = np.array([[3.0, 1.0, 3.0], [3.0, 1.0, 3.0]])
    hand = np.array([[2.0, 0.0, 2.0], [2.0, -9999.0, 2.0]])
    dem_path = write_raster(tmp_path / "dem.tif", dem, UTM, "EPSG:32633")
    hand_path = write_raster(tmp_path / "hand.tif", hand, UTM, "EPSG:32633")
    out = tmp_path / "depth.tif"
    result = cli(
        "hazard", "flood", dem_path, "--channel-height", "1", "--hand", hand_path, "--out", out
    )
    line = _one_error_line(result, 1)
    assert "hand.tif" in line and "-9999" in line and "gdal_edit.py" in line
    assert not out.exists()
    # a declared void and ground as low as the Dead Sea shore are kept
    dem = np.array([[-420.0, 1.0, 5.0], [-420.0, -9999.0, 5.0]])
    path = write_raster(tmp_path / "low.tif", dem, UTM, "EPSG:32633", nodata=-9999.0)
    result = cli("hazard", "flood", path, "--water-level", "2", "--out", out)
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        depth = dataset.read(1)
    np.testing.assert_allclose(depth[0], [422.0, 1.0, 0.0])  # level 2 minus the ground
    assert np.isnan(depth[1, 1])


# ------------------------------------------------------ 4. cyclone without wind


def test_a_track_without_pressure_deficit_says_so(cli, tmp_path):
    track = tmp_path / "weak.csv"
    track.write_text(
        "time_utc,lat,lon,pressure_hpa\n2020010100,15,140,1015\n2020010106,16,140,1015\n"
    )
    out = tmp_path / "wind.tif"
    result = cli(
        "hazard", "cyclone", track, "--out", out, "--bounds", "135", "10", "145", "20",
        "--resolution", "0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no pressure deficit" in result.stderr
    assert "longitudes" not in result.stderr  # the track crosses the grid


# ------------------------------------------------ 5 and 6. track rows and cells


TRACKS = {
    "badtime": ("2020010100,15,140,100\n2020013206,16,140,100\n", "time_utc: row 3: '2020013206'"),
    "missingtime": (
        "2020010100,15,140,100\n,16,140,100\n2020010112,17,140,100\n",
        "time_utc: row 3: the time is empty",
    ),
    "mixedtime": (
        "2020010100,15,140,100\n2020-01-01 06:00,16,140,100\n2020-01-01 12:00,17,140,100\n",
        "time_utc: row 3: '2020-01-01 06:00' is not a YYYYMMDDHH time",
    ),
    "isotime": (
        "2020-01-01T00:00,15,140,100\n2020-01-01T06:00,16,140,100\n2020-02-30T00:00,17,140,100\n",
        "time_utc: row 4: '2020-02-30T00:00' is not a time",
    ),
    "ragged": ("2020010100,15,140,100,5\n2020010106,16,140,100\n", "row 2 has 5 fields"),
    "blanklines": (
        "2020010100,15,140,100\n\n\n2020010106,16,140,abc\n",
        "vmax_kt: row 5: 'abc' is not a number",
    ),
    "commas": (
        "2020010100,15,140,100\n,,,\n2020010106,16,140,abc\n",
        "vmax_kt: row 4: 'abc' is not a number",
    ),
    "nanlat": ("2020010100,NaN,140,100\n2020010106,16,140,100\n", "lat: row 2: 'NaN' is not"),
    "backtime": (
        "2020010106,15,140,100\n\n2020010100,16,140,100\n",
        "times must increase strictly (row 4: 2020-01-01 00:00 after 2020-01-01 06:00)",
    ),
}


@pytest.mark.parametrize("name", sorted(TRACKS))
def test_track_errors_name_the_file_row_and_value(tmp_path, name):
    body, expected = TRACKS[name]
    path = tmp_path / f"{name}.csv"
    path.write_text("time_utc,lat,lon,vmax_kt\n" + body)
    with pytest.raises(DataError) as raised:
        read_track(path)
    message = str(raised.value)
    assert "\n" not in message and f"{name}.csv" in message
    assert expected in message, message


def test_a_ragged_track_is_refused_in_one_line_by_the_command(cli, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("time_utc,lat,lon,vmax_kt\n2020010100,15,140,100,5\n2020010106,16,140,100\n")
    out = tmp_path / "wind.tif"
    result = cli("hazard", "cyclone", path, "--out", out, *ONE_CELL)
    line = _one_error_line(result, 1)
    assert "ragged.csv: row 2 has 5 fields but the header has 4" in line
    assert not out.exists()


# ------------------------------------------------ 7. rasterio warnings, one line


@pytest.mark.parametrize("command", ["earthquake", "flood"])
def test_not_georeferenced_rasters_give_one_line(tmp_path, command):
    raw = tmp_path / "raw.tif"
    profile = {"driver": "GTiff", "width": 6, "height": 5, "count": 1, "dtype": "float32"}
    with warnings.catch_warnings():  # no CRS, no geotransform: rasterio warns on writing
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        dataset = rasterio.open(raw, "w", **profile)
    with dataset:
        dataset.write(np.arange(30, dtype="float32").reshape(1, 5, 6) + 1.0)
    out = tmp_path / "out.tif"
    if command == "earthquake":
        args = ["earthquake", "--magnitude", "6", "--lat", "0", "--lon", "0", "--depth-km", "10"]
        args += ["--like", str(raw)]
    else:
        args = ["flood", str(raw), "--water-level", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "mecc", "hazard", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "raw.tif" in lines[0] and "NotGeoreferencedWarning" not in result.stderr
    assert not out.exists()


# ----------------------------------------- 8 and 9. return-period output folders


def _valley(tmp_path):
    dem = np.array([[3.0, 2.0, 1.0, 2.0, 3.0]] * 3)
    river = np.array([[0, 0, 1, 0, 0]] * 3, dtype="uint8")
    dem_path = write_raster(tmp_path / "dem.tif", dem, UTM, "EPSG:32633")
    river_path = write_raster(tmp_path / "river.tif", river, UTM, "EPSG:32633")
    return dem_path, river_path


def test_a_refused_return_period_leaves_no_folder(cli, tmp_path):
    dem, river = _valley(tmp_path)
    out = tmp_path / "rp"
    result = cli("hazard", "flood", dem, "--river", river, "--return-period", "10=-1", "--out", out)
    line = _one_error_line(result, 2)
    assert ">= 0" in line and "-1" in line
    assert not out.exists()


def test_missing_parent_folders_are_not_created(cli, tmp_path):
    dem, river = _valley(tmp_path)
    out = tmp_path / "a" / "b" / "rp"
    result = cli("hazard", "flood", dem, "--river", river, "--return-period", "10=1", "--out", out)
    line = _one_error_line(result, 2)
    assert "does not exist" in line and str(tmp_path / "a" / "b") in line
    assert not (tmp_path / "a").exists()
    single = cli("hazard", "flood", dem, "--water-level", "1", "--out", tmp_path / "b" / "x.tif")
    assert "does not exist" in _one_error_line(single, 2)  # the same rule for one file


def test_return_period_grids_record_their_return_period(cli, tmp_path):
    dem = np.array([[-1.0, 0.5, 3.0, 0.2], [-1.0, 0.8, 3.0, 0.1]])
    path = write_raster(tmp_path / "dem.tif", dem, UTM, "EPSG:32633")
    out = tmp_path / "rp"
    result = cli(
        "hazard", "flood", path, "--return-period", "10=1", "--return-period", "100=2",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = {  # level minus ground, in cells the sea reaches below the level
        10: [[2.0, 0.5, 0.0, 0.0], [2.0, 0.2, 0.0, 0.0]],
        100: [[3.0, 1.5, 0.0, 0.0], [3.0, 1.2, 0.0, 0.0]],
    }
    for rp, depth in expected.items():
        with rasterio.open(out / f"flood_rp{rp:04d}.tif") as dataset:
            parameters = json.loads(dataset.tags()["parameters"])
            np.testing.assert_allclose(dataset.read(1), depth, atol=1e-6)
        assert parameters["return_period_years"] == rp
        assert parameters["water_level_m"] == {10: 1.0, 100: 2.0}[rp]


# ------------------------------------------------------------------ 10. smaller


def test_no_source_cells_names_the_dem(cli, tmp_path):
    path = write_raster(tmp_path / "inland.tif", np.full((3, 3), 5.0), UTM, "EPSG:32633")
    result = cli("hazard", "flood", path, "--water-level", "6", "--out", tmp_path / "d.tif")
    line = _one_error_line(result, 1)
    assert "no source cells" in line and "inland.tif" in line


def test_a_missing_output_folder_is_refused_before_computing(cli, tmp_path, monkeypatch):
    import hazards.cyclone
    import hazards.earthquake

    def computed(*args, **kwargs):
        raise AssertionError("the grid was computed before the output folder was checked")

    monkeypatch.setattr(hazards.cyclone, "wind_field", computed)
    monkeypatch.setattr(hazards.earthquake, "mmi_field", computed)
    out = tmp_path / "missing" / "x.tif"
    quake = _earthquake(cli, out, "6")
    assert "folder" in _one_error_line(quake, 2) and "does not exist" in quake.stderr
    track = tmp_path / "t.csv"
    track.write_text("time_utc,lat,lon,vmax_kt\n2020010100,0,0,100\n2020010106,0.5,0,100\n")
    wind = cli("hazard", "cyclone", track, "--out", out, *ONE_CELL)
    assert "does not exist" in _one_error_line(wind, 2)
    assert not (tmp_path / "missing").exists()


def test_earthquake_help_gives_ranges_dip_default_and_equation(cli):
    result = cli("hazard", "earthquake", "--help")
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "Allen, Wald & Worden (2012" in text
    assert "Rhypo" in text and "Rrup" in text
    assert "5 to 9.5" in text and "-90 to 90" in text and "-180 to 180" in text
    assert "0 to 700" in text and "Default: 90" in text
