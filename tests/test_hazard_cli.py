"""`mecc hazard ...` and `mecc curves ...` from the command line: outputs, exit codes,
one-line errors and no file written on bad parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from tests.conftest import write_raster

GRID = ["--bounds", "120", "10", "121", "11", "--resolution", "0.05"]


def _fails(cli, args, out, code):
    result = cli(*args)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert not out.exists()
    return lines[0]


def test_earthquake_command_writes_a_tagged_grid(cli, tmp_path):
    out = tmp_path / "eq.tif"
    result = cli(
        "hazard",
        "earthquake",
        "--magnitude",
        "6.5",
        "--lat",
        "10.5",
        "--lon",
        "120.5",
        "--depth-km",
        "15",
        "--out",
        out,
        *GRID,
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        assert dataset.shape == (20, 20)
        assert dataset.tags()["unit"] == "MMI"
        assert json.loads(dataset.tags()["parameters"])["depth_km"] == 15.0
        assert dataset.read(1).max() > 7


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--magnitude", "-2"], 2, "magnitude"),
        (["--depth-km", "-5"], 2, "depth"),
        (["--strike", "400"], 2, "strike"),
    ],
)
def test_earthquake_bad_parameters(cli, tmp_path, args, code, words):
    base = {"--magnitude": "6", "--lat": "10.5", "--lon": "120.5", "--depth-km": "10"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [v for pair in base.items() for v in pair]
    out = tmp_path / "eq.tif"
    line = _fails(cli, ["hazard", "earthquake", *flat, "--out", out, *GRID], out, code)
    assert words in line


@pytest.mark.parametrize("crs", ["FOO", "EPSG:999999"])
def test_an_unknown_crs_is_a_usage_error(cli, tmp_path, crs):
    out = tmp_path / "eq.tif"
    args = ["--magnitude", "6", "--lat", "10.5", "--lon", "120.5", "--depth-km", "10"]
    line = _fails(cli, ["hazard", "earthquake", *args, "--out", out, *GRID, "--crs", crs], out, 2)
    assert f"Invalid value for '--crs': {crs!r} is not a coordinate reference system" in line
    assert "internal error" not in line


def test_flood_return_period_given_twice_is_refused(cli, tmp_path):
    write_raster(tmp_path / "dem.tif", np.array([[-1.0, 0.5, 3.0, 0.2], [-1.0, 0.8, 3.0, 0.1]]))
    out = tmp_path / "rp"
    line = _fails(
        cli,
        ["hazard", "flood", tmp_path / "dem.tif", "--out", out]
        + ["--return-period", "100=2.3", "--return-period", "100.0=1.5"],
        out,
        2,
    )
    assert "--return-period '100.0=1.5': return period 100 is given twice (also =2.3)" in line


def test_cyclone_command_and_bad_tracks(cli, tmp_path, shared_data):
    out = tmp_path / "haiyan.tif"
    track = shared_data / "philippines_haiyan" / "haiyan_best_track.csv"
    result = cli(
        "hazard",
        "cyclone",
        track,
        "--track-averaging",
        "10-min",
        "--out",
        out,
        "--bounds",
        "124",
        "10",
        "126",
        "12",
        "--resolution",
        "0.05",
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        wind = dataset.read(1)
        assert dataset.tags()["unit"] == "m/s"
    assert 50 < np.nanmax(wind) < 95
    one_point = tmp_path / "one.csv"
    one_point.write_text("time_utc,lat,lon,vmax_kt\n2013110700,10.0,128.0,120\n")
    line = _fails(
        cli,
        ["hazard", "cyclone", one_point, "--out", tmp_path / "x.tif", *GRID],
        tmp_path / "x.tif",
        1,
    )
    assert "one.csv" in line
    line = _fails(
        cli, ["hazard", "cyclone", track, "--out", tmp_path / "y.tif"], tmp_path / "y.tif", 2
    )
    assert "--like" in line


def test_flood_command_and_a_dem_without_crs(cli, tmp_path):
    dem = np.array([[-1.0, 0.5, 3.0, 0.2], [-1.0, 0.8, 3.0, 0.1]])
    write_raster(tmp_path / "dem.tif", dem)
    result = cli(
        "hazard", "flood", tmp_path / "dem.tif", "--water-level", "1.0", "--out", tmp_path / "d.tif"
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(tmp_path / "d.tif") as dataset:
        depth = dataset.read(1)
    np.testing.assert_allclose(
        depth, [[2.0, 0.5, 0.0, 0.0], [2.0, 0.2, 0.0, 0.0]]
    )  # behind the ridge: dry
    write_raster(tmp_path / "nocrs.tif", dem, crs=None)
    line = _fails(
        cli,
        [
            "hazard",
            "flood",
            tmp_path / "nocrs.tif",
            "--water-level",
            "1",
            "--out",
            tmp_path / "e.tif",
        ],
        tmp_path / "e.tif",
        1,
    )
    assert "nocrs.tif" in line and "CRS" in line


def test_curves_commands(cli):
    listing = cli("curves", "list", "--hazard", "earthquake")
    assert listing.exit_code == 0
    names = [line.split()[0] for line in listing.output.splitlines()[1:]]
    assert names == ["eq_mmi6_survivors", "eq_mmi6_survivors_itb", "eq_mmi6_survivors_pager_idn"]
    shown = cli("curves", "show", "jrc_residential_europe")
    assert shown.exit_code == 0
    assert "Huizinga" in shown.output and "evidence: B" in shown.output
    assert "central: 0 below 1.75 m" in shown.output
    missing = cli("curves", "show", "jrc_residential_eurpe")
    assert missing.exit_code == 2 and "did you mean 'jrc_residential_europe'" in missing.stderr
    # an unknown hazard type is refused, not listed as an empty table with exit 0
    unknown = cli("curves", "list", "--hazard", "earthqake")
    assert unknown.exit_code == 2 and unknown.stdout == ""
    assert "--hazard: unknown hazard type 'earthqake' (did you mean 'earthquake'?)" in (
        unknown.stderr
    )
