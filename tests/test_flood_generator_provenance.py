"""``mecc hazard flood`` says how its grids were made, refuses a HAND grid below 0, and
the generators refuse bounds in degrees given with a projected --crs.

1. A flood grid's tags hold its model and the sources of its method (the connectivity
   rule of the water-level fill: Poulter & Halpin 2008; HAND: Rennó et al. 2008 and
   Nobre et al. 2011; the priority-flood that computes HAND from a river mask: Barnes,
   Lehman & Mulla 2014), and a run on such grids lists them in manifest.json
   (``generated``, recognised by the tags, not the file name) and in the map's sources.
2. A HAND grid with heights below -0.01 m is refused (exit 1, one line naming the file,
   the band and the lowest value), nothing written; -0.01 m to 0 is read as 0.
3. ``--bounds`` within ±180/±90 and under 1 km on a side in a projected CRS are degrees
   given in metres: refused (exit 2), nothing written; real projected grids pass.

Expected texts and numbers are written out here, not read from the code under test.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio
from affine import Affine

from hazards.flood import flood_depth
from hazards.scenarios import target_grid
from mecc.errors import ConfigError, DataError
from mecc.manifest import generated_scenario
from tests.conftest import write_raster

CRS = "EPSG:32633"
TRANSFORM = Affine(100, 0, 500_000, 0, -100, 5_000_000)

WATER_LEVEL_MODEL = (
    "connected water level: depth = level - ground in the cells the water reaches from its "
    "sources through lower ground (no bathtub)"
)
HAND_MODEL = (
    "height above nearest drainage: depth = h - HAND in the cells the water reaches from the "
    "drainage through cells with HAND below h"
)
POULTER = "Poulter & Halpin (2008), Int. J. Geogr. Inf. Sci. 22:167-182"
HAND_PAPERS = (
    "Rennó et al. (2008), Remote Sens. Environ. 112:3469-3481; "
    "Nobre et al. (2011), J. Hydrol. 404:13-29"
)
BARNES = "Barnes, Lehman & Mulla (2014), Comput. Geosci. 62:117-127"
SEA = "sea: nodata or < 0 cells joined to the DEM's edge"


def _ramp(tmp_path):
    """The probe's 40 x 40 DEM, -2 m at the west edge rising 0.15 m a column, and a
    population of 100 a cell."""
    dem = np.tile(-2 + 0.15 * np.arange(40), (40, 1)).astype("float32")
    write_raster(tmp_path / "dem.tif", dem, TRANSFORM, CRS, -9999.0)
    write_raster(tmp_path / "pop.tif", np.full((40, 40), 100, "float32"), TRANSFORM, CRS, -9999.0)
    return tmp_path / "dem.tif"


def _parameters(path):
    with rasterio.open(path) as dataset:
        return json.loads(dataset.tags()["parameters"])


def _one_error_line(result, code):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


# ------------------------------------------------- 1. the method and its citations


def test_a_water_level_grid_cites_its_model_and_connectivity_rule(cli, tmp_path):
    dem = _ramp(tmp_path)
    result = cli("hazard", "flood", dem, "--water-level", "0.5", "--out", tmp_path / "d.tif")
    assert result.exit_code == 0, result.output
    parameters = _parameters(tmp_path / "d.tif")
    assert parameters["model"] == WATER_LEVEL_MODEL
    assert parameters["connectivity_source"] == POULTER
    assert parameters["connectivity"] == 8
    assert "hand_source" not in parameters and "priority_flood_source" not in parameters


def _valley(tmp_path):
    """5 x 5: a river in column 2 at 0 m, banks rising 1 m a column both ways; the same
    terrain as a HAND grid (its heights above the river)."""
    ground = np.tile(np.abs(np.arange(5) - 2.0), (5, 1)).astype("float32")
    river = np.zeros((5, 5), "uint8")
    river[:, 2] = 1
    write_raster(tmp_path / "dem.tif", ground, TRANSFORM, CRS, -9999.0)
    write_raster(tmp_path / "river.tif", river, TRANSFORM, CRS)
    write_raster(tmp_path / "hand.tif", ground, TRANSFORM, CRS, -9999.0)
    return tmp_path / "dem.tif"


def test_a_hand_grid_cites_hand_and_a_river_mask_also_the_priority_flood(cli, tmp_path):
    dem = _valley(tmp_path)
    from_river = cli(
        "hazard", "flood", dem, "--river", tmp_path / "river.tif", "--channel-height", "1.5",
        "--out", tmp_path / "r.tif",
    )  # fmt: skip
    from_hand = cli(
        "hazard", "flood", dem, "--hand", tmp_path / "hand.tif", "--channel-height", "1.5",
        "--out", tmp_path / "h.tif",
    )  # fmt: skip
    assert from_river.exit_code == 0 and from_hand.exit_code == 0, from_river.output
    computed, given = _parameters(tmp_path / "r.tif"), _parameters(tmp_path / "h.tif")
    for parameters in (computed, given):
        assert parameters["model"] == HAND_MODEL
        assert parameters["hand_source"] == HAND_PAPERS
        assert "connectivity_source" not in parameters
    assert computed["priority_flood_source"] == BARNES  # HAND computed by the priority-flood
    assert "priority_flood_source" not in given  # HAND read from the file: no priority-flood
    # 1.5 m above the channel: 1.5 on the river, 0.5 one column off, dry beyond
    row = [0.0, 0.5, 1.5, 0.5, 0.0]
    for name in ("r.tif", "h.tif"):
        with rasterio.open(tmp_path / name) as dataset:
            np.testing.assert_array_equal(dataset.read(1), np.array([row] * 5, "float32"))


RUN = """country: AUT
name: t
population: {path: pop.tif, kind: count}
hazards:
  - id: fl
    type: coastal_flood
    return_periods: {10: maps/flood_rp0010.tif, 100: maps/flood_rp0100.tif}
    curve: flood_step_1m
"""


def test_a_run_on_generated_flood_grids_lists_the_model_in_manifest_and_map(cli, tmp_path):
    """The probe: ``generated`` was null and the map had no "modelled by mecc hazard"."""
    dem = _ramp(tmp_path)
    made = cli(
        "hazard", "flood", dem, "--out", tmp_path / "maps",
        "--return-period", "10=0.5", "--return-period", "100=1.5",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    (tmp_path / "run.yaml").write_text(RUN)
    ran = cli("run", tmp_path / "run.yaml", "--out", tmp_path / "out")
    assert ran.exit_code == 0, ran.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["parameters"]["hazards"]["fl"]["generated"] == {
        "generator": "mecc hazard flood",
        "model": WATER_LEVEL_MODEL,
        "method": "connected water level",
        "sources": SEA,
        "connectivity": 8,
        "water_level_m_by_return_period": {"10": 0.5, "100": 1.5},
        "connectivity_source": POULTER,
    }
    page = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    start = page.index('<div id="mecc-title"')
    about = page[page.index("<details>", start) : page.index("</details>", start)]
    item = dict(re.findall(r'<li data-hazard="([^"]+)">(.*?)</li>', about))["fl"]
    line = next(x for x in item.split("<br>") if "modelled by mecc hazard" in x)
    assert line.startswith("Hazard grid flood_rp0010.tif, modelled by mecc hazard")
    references = dict(re.findall(r"<li>\[(\d+)\] (.*?)</li>", about))
    numbers = re.findall(r"\[(\d+)\]", line)
    assert [references[n] for n in numbers] == [WATER_LEVEL_MODEL, html.escape(POULTER)]
    # the evaluation report's Sources read the same record: one citation, for connectivity 8
    from mecc.evaluation_report import _generator

    cited = _generator(manifest["parameters"]["hazards"]["fl"]["generated"])
    assert cited["model"] == WATER_LEVEL_MODEL
    assert cited["citations"] == [
        {"for": "connectivity", "values": {"connectivity": 8}, "source": POULTER}
    ]


def test_flood_grids_are_known_by_their_tags_not_their_names(cli, tmp_path):
    dem = _valley(tmp_path)
    out = tmp_path / "depth_scenario.tif"
    result = cli(
        "hazard", "flood", dem, "--river", tmp_path / "river.tif", "--channel-height", "2",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert generated_scenario(SimpleNamespace(inputs=[str(out)])) == {
        "generator": "mecc hazard flood",
        "model": HAND_MODEL,
        "method": "height above nearest drainage",
        "hand": "priority-flood from the river mask",
        "sources": "river mask",
        "connectivity": 8,
        "channel_height_m": 2.0,
        "hand_source": HAND_PAPERS,
        "priority_flood_source": BARNES,
    }
    # the same depths written by another program under a generator's name: not generated
    foreign = tmp_path / "flood_rp0100.tif"
    with rasterio.open(out) as dataset:
        write_raster(foreign, dataset.read(1), TRANSFORM, CRS)
    assert generated_scenario(SimpleNamespace(inputs=[str(foreign)])) is None
    renamed = tmp_path / "anything.tif"
    shutil.copy(out, renamed)
    assert generated_scenario(SimpleNamespace(inputs=[str(renamed)]))["model"] == HAND_MODEL


# --------------------------------------------------------- 2. HAND is never negative


def _negative_hand(tmp_path, lowest=-5.0):
    """The valley's HAND with a closed pit of ``lowest`` m two columns off the river."""
    dem = _valley(tmp_path)
    hand = np.tile(np.abs(np.arange(5) - 2.0), (5, 1)).astype("float32")
    hand[2, 4] = lowest
    write_raster(tmp_path / "hand.tif", hand, TRANSFORM, CRS, -9999.0)
    return dem


def test_a_negative_hand_grid_is_refused_naming_file_band_and_value(cli, tmp_path):
    dem = _negative_hand(tmp_path)
    out = tmp_path / "d.tif"
    result = cli(
        "hazard", "flood", dem, "--hand", tmp_path / "hand.tif", "--channel-height", "1",
        "--out", out,
    )  # fmt: skip
    line = _one_error_line(result, 1)
    hand = tmp_path / "hand.tif"
    assert line == (
        f"error: the HAND grid {hand}, band 1: height above drainage down to -5 m (1 cell(s) "
        "below -0.01 m); HAND is 0 on the drainage and above 0 elsewhere, never negative: "
        "give a HAND grid, not a DEM or a depth"
    )
    assert not out.exists()
    rp = tmp_path / "rp"
    result = cli(
        "hazard", "flood", dem, "--hand", hand, "--out", rp,
        "--return-period", "10=0.5", "--return-period", "100=1",
    )  # fmt: skip
    assert "down to -5 m" in _one_error_line(result, 1)
    assert not rp.exists()  # the set's folder is not left behind


def test_hand_within_a_centimetre_below_zero_reads_as_zero(cli, tmp_path):
    """-0.005 m (float noise) is drainage at 0 m: 1 m of water on it, not 1.005 m;
    -0.02 m is refused."""
    dem = _negative_hand(tmp_path, lowest=-0.005)
    out = tmp_path / "d.tif"
    result = cli(
        "hazard", "flood", dem, "--hand", tmp_path / "hand.tif", "--channel-height", "1",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = np.array([[0.0, 0.0, 1.0, 0.0, 0.0]] * 5, "float32")
    expected[2, 4] = 1.0  # a drainage cell of the grid (HAND 0), under 1 m of water
    with rasterio.open(out) as dataset:
        np.testing.assert_array_equal(dataset.read(1), expected)
    hand = np.tile(np.abs(np.arange(5) - 2.0), (5, 1))
    hand[2, 4] = -0.02
    with pytest.raises(DataError, match=r"^hand: height above drainage down to -0\.02 m"):
        flood_depth(np.zeros((5, 5)), (5, 5), channel_height=1.0, hand=hand)


# ------------------------------------------------ 3. degrees given in a projected CRS


EARTHQUAKE = ["--magnitude", "6.7", "--lat", "34.21", "--lon", "-118.54", "--depth-km", "18"]


def test_degree_bounds_with_a_utm_crs_are_refused(cli, tmp_path, shared_data):
    out = tmp_path / "m.tif"
    result = cli(
        "hazard", "earthquake", *EARTHQUAKE, "--out", out,
        "--bounds", "-119.2", "33.7", "-117.8", "34.7", "--resolution", "0.01",
        "--crs", "EPSG:32611",
    )  # fmt: skip
    assert _one_error_line(result, 2) == (
        "error: --bounds -119.2 33.7 -117.8 34.7 look like degrees, but the unit of EPSG:32611 "
        "is the metre: the grid would be 1.4 x 1 m; give the bounds in EPSG:32611's unit "
        "(metre), or --crs EPSG:4326 for degrees"
    )
    assert not out.exists()
    wind = tmp_path / "wind.tif"
    track = shared_data / "philippines_haiyan" / "haiyan_best_track.csv"
    result = cli(
        "hazard", "cyclone", track, "--track-averaging", "10-min", "--out", wind,
        "--bounds", "124", "10", "126", "12", "--resolution", "0.05", "--crs", "EPSG:32651",
    )  # fmt: skip
    assert (
        "look like degrees, but the unit of EPSG:32651 is the metre: the grid would be 2 x 2 m"
        in (_one_error_line(result, 2))
    )
    assert not wind.exists()


@pytest.mark.parametrize(
    ("bounds", "crs", "unit", "size"),
    [
        ((-180, -90, 180, 90), "EPSG:3857", "metre", "360 x 180 m"),
        ((-74.1, 40.6, -73.8, 40.9), "EPSG:2263", "US survey foot", "0.0914 x 0.0914 m"),
    ],
)
def test_degree_bounds_in_any_length_unit_are_refused(bounds, crs, unit, size):
    with pytest.raises(
        ConfigError, match=f"the unit of {crs} is the {unit}: the grid would be {size};"
    ):
        target_grid(bounds=bounds, resolution=0.1, crs=crs)


@pytest.mark.parametrize(
    ("bounds", "resolution", "crs", "shape"),
    [
        # a real small UTM grid: 500 m x 300 m at 10 m, eastings far beyond 180
        ((500_000, 4_000_000, 500_500, 4_000_300), 10, "EPSG:32611", (30, 50)),
        # web mercator around its origin, 1 km x 600 m: beyond 180 m of it
        ((-500, -300, 500, 300), 10, "EPSG:3857", (60, 100)),
        # within 180 units of the origin, but in kilometres: 300 km x 160 km
        ((-150, -80, 150, 80), 1, "+proj=stere +lat_0=90 +lon_0=0 +units=km", (160, 300)),
        # the same numbers in degrees, where they belong
        ((-119.2, 33.7, -117.8, 34.7), 0.01, "EPSG:4326", (100, 140)),
    ],
)
def test_real_grids_near_the_rule_are_accepted(bounds, resolution, crs, shape):
    assert target_grid(bounds=bounds, resolution=resolution, crs=crs).shape == shape
