"""What the hazard generators say when an option is off (found by a user probe).

- ``--crs`` typed with ``--like`` was ignored without a word: now refused, exit 2.
- LEFT and RIGHT swapped (-56 ... -66) were told a box across 180° 350° wide: now told to
  swap them; a real box across 180° (176 ... -176) keeps its RIGHT-above-180 advice.
- A ``--water-level`` above every cell of the DEM floods all of it: now warned about.
- The cyclone grid's description names where its peak comes from (it said "Holland 1980
  model" whatever the peak).
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from tests.conftest import write_raster

IRMA_ROWS = "time_utc,lat,lon,vmax_kt,pressure_hpa\n2017090600,17.3,-60.6,155,915\n"
IRMA_ROWS += "2017090606,17.7,-61.9,155,914\n"


@pytest.fixture
def track(tmp_path):
    path = tmp_path / "track.csv"
    path.write_text(IRMA_ROWS, encoding="utf-8")
    return path


def test_crs_with_like_is_refused_and_nothing_is_written(cli, tmp_path, track):
    like = write_raster(tmp_path / "like.tif", np.zeros((10, 10)))
    out = tmp_path / "wind.tif"
    result = cli("hazard", "cyclone", track, "--out", out, "--like", like, "--crs", "EPSG:3857")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "error: --crs EPSG:3857 applies to --bounds; a --like grid keeps its own CRS: leave "
        "--crs out"
    )
    assert not out.exists()
    # without --crs the --like grid is used as before
    assert cli("hazard", "cyclone", track, "--out", out, "--like", like).exit_code == 0


@pytest.mark.parametrize(
    ("bounds", "advice"),
    [
        (("-56", "14", "-66", "21"), "swap them: --bounds -66 14 -56 21"),
        (("176", "-20", "-176", "-10"), "RIGHT above 180: --bounds 176 -20 184 -10"),
    ],
)
def test_bounds_in_the_wrong_order_get_the_advice_that_fits(cli, tmp_path, track, bounds, advice):
    out = tmp_path / "wind.tif"
    result = cli(
        "hazard", "cyclone", track, "--out", out, "--bounds", *bounds, "--resolution", "0.1"
    )
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.endswith(advice) and f"got LEFT {bounds[0]}, RIGHT {bounds[2]}" in line
    assert not out.exists()


def test_a_water_level_above_the_whole_dem_is_warned_about(cli, tmp_path):
    dem = np.array([[5.0, 5, 5, 5], [5, 1, 1, 5], [-1, 0.5, 1, 5]])
    write_raster(tmp_path / "dem.tif", dem, transform=Affine(0.01, 0, 30.0, 0, -0.01, -1.0))
    out = tmp_path / "depth.tif"
    result = cli("hazard", "flood", tmp_path / "dem.tif", "--water-level", "9000", "--out", out)
    assert result.exit_code == 0
    assert "--water-level 9000 m is above every cell of the DEM" in result.output
    assert "(highest 5 m)" in result.output
    with rasterio.open(out) as dataset:  # written as asked: depth = level - ground
        assert float(dataset.read(1)[0, 0]) == pytest.approx(8995.0)
    quiet = cli(
        "hazard", "flood", tmp_path / "dem.tif", "--water-level", "2", "--out", tmp_path / "d2.tif"
    )
    assert quiet.exit_code == 0 and "above every cell" not in quiet.output


@pytest.mark.parametrize(
    ("peak_from", "words"),
    [("pressure", "peak: Holland (2008) MWR 136:3432"), ("track-wind", "peak: track wind")],
)
def test_the_description_names_where_the_peak_comes_from(cli, tmp_path, track, peak_from, words):
    out = tmp_path / "wind.tif"
    grid = ["--bounds", "-64", "15", "-58", "20", "--resolution", "0.1"]
    assert (
        cli("hazard", "cyclone", track, "--out", out, *grid, "--peak-from", peak_from).exit_code
        == 0
    )
    with rasterio.open(out) as dataset:
        description = dataset.tags()["description"]
    assert description.startswith("Maximum 1-min sustained wind at 10 m from track track.csv")
    assert "(Holland 1980 profile; " + words in description
