"""Flood depth from a DEM: connected water level, HAND, return periods and the file tool.

Every expected grid is written out by hand from the DEMs below.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hazards.flood import (
    compute_hand,
    default_sea,
    flood_depth,
    flood_depths_by_return_period,
    write_flood,
)
from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    MissingCRSError,
    OutputExistsError,
)
from mecc.grid import GridSpec
from mecc.kernels import (
    KERNELS,
    flood_fill_below,
    flood_fill_below_reference,
    height_above_drainage,
    height_above_drainage_reference,
)
from tests.conftest import write_raster

NAN = float("nan")
CRS = "EPSG:32630"
TRANSFORM = Affine(100.0, 0, 500_000.0, 0, -100.0, 1_000_000.0)

# 7 x 9 cells, metres. Column 0: the sea as nodata; column 1: below 0 (sea floor /
# beach); columns 2-4: a low coastal plain with a cell exactly at 2 m (row 0) and a
# 2.5 m mound (row 3); column 5: a 4 m ridge; columns 6-7: an inland depression at
# 0.5 m; column 8: 3 m high ground.
ROW = [NAN, -0.5, 0.5, 1.0, 1.5, 4.0, 0.5, 0.5, 3.0]
DEM = np.array([ROW] * 7)
DEM[0, 3] = 2.0
DEM[3, 4] = 2.5
GRID = GridSpec(CRS, TRANSFORM, 9, 7)


def expected_at_2m():
    """Depth for a 2 m level: 2 - ground on the connected coast, 0 inland, NaN at sea."""
    depth = np.zeros(DEM.shape)
    depth[:, 0] = NAN
    depth[:, 1] = 2.5
    depth[:, 2] = 1.5
    depth[:, 3] = 1.0
    depth[:, 4] = 0.5
    depth[0, 3] = 0.0  # exactly at the level: dry
    depth[3, 4] = 0.0  # the mound: dry
    return depth  # columns 5 (ridge), 6-7 (depression, below 2 m) and 8 stay 0


def test_connected_coast_floods_depression_behind_ridge_stays_dry():
    depth = flood_depth(DEM, GRID, water_level=2.0)
    assert depth.dtype == np.float64 and depth.shape == (7, 9)
    np.testing.assert_array_equal(depth, expected_at_2m())
    # a bathtub would have flooded the depression 1.5 m deep
    assert (2.0 - DEM[:, 6:8] == 1.5).all()
    assert (depth[:, 5:] == 0).all()


def test_default_sea_is_nodata_or_below_zero_joined_to_the_edge():
    sea = default_sea(DEM)
    expected = np.zeros(DEM.shape, dtype=bool)
    expected[:, :2] = True
    np.testing.assert_array_equal(sea, expected)
    # a below-0 pit inland is not sea
    dem = DEM.copy()
    dem[3, 7] = -1.0
    assert not default_sea(dem)[3, 7]


def test_explicit_sources_flood_the_lake_not_the_coast():
    sources = np.zeros(DEM.shape, dtype=bool)
    sources[3, 6] = True  # a lake inlet in the depression
    depth = flood_depth(DEM, GRID, water_level=2.0, sources=sources)
    expected = np.zeros(DEM.shape)
    expected[:, 0] = NAN
    expected[:, 6:8] = 1.5
    np.testing.assert_array_equal(depth, expected)


def test_overtopping_the_ridge_floods_the_depression():
    depth = flood_depth(DEM, GRID, water_level=4.5)
    np.testing.assert_array_equal(depth[:, 5], 0.5)
    np.testing.assert_array_equal(depth[:, 6:8], 4.0)
    np.testing.assert_array_equal(depth[:, 8], 1.5)


# A 5 x 5 wall with a gap only across a corner: (1, 1) touches the sea, (2, 2) and
# (3, 3) touch it only diagonally.
DIAGONAL = np.array(
    [
        [NAN, 5.0, 5.0, 5.0, 5.0],
        [NAN, 1.0, 5.0, 5.0, 5.0],
        [NAN, 5.0, 1.0, 5.0, 5.0],
        [NAN, 5.0, 5.0, 0.5, 5.0],
        [NAN, 5.0, 5.0, 5.0, 5.0],
    ]
)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_diagonal_gap_depends_on_connectivity(connectivity):
    depth = flood_depth(DIAGONAL, (5, 5), water_level=2.0, connectivity=connectivity)
    expected = np.zeros((5, 5))
    expected[:, 0] = NAN
    expected[1, 1] = 1.0
    if connectivity == 8:
        expected[2, 2] = 1.0
        expected[3, 3] = 1.5
    np.testing.assert_array_equal(depth, expected)


# ------------------------------------------------------------------------- HAND

# A flat river in column 3; a closed hollow (0.5 m) in column 0 behind a 3 m rim.
VALLEY = np.array([[0.5, 3.0, 1.0, 0.0, 1.0, 2.0, 3.0]] * 5)
RIVER = np.zeros(VALLEY.shape, dtype=bool)
RIVER[:, 3] = True
# The same inside a 4 m frame: at the grid's edge the hollow would drain off the grid
# (an outlet), so the frame closes it.
FRAMED = np.pad(VALLEY, 1, constant_values=4.0)
FRAMED_RIVER = np.pad(RIVER, 1, constant_values=False)


def _inside(values):
    return values[1:-1, 1:-1]


def test_hand_from_dem_and_river():
    hand = compute_hand(FRAMED, FRAMED_RIVER)
    np.testing.assert_array_equal(_inside(hand), VALLEY)  # the river at 0 m: HAND = ground
    # open at the grid's edge, the hollow drains off the grid: no river reaches it
    open_hand = compute_hand(VALLEY, RIVER)
    assert np.isinf(open_hand[:, 0]).all()  # (the rim between is a divide: either side)
    np.testing.assert_array_equal(open_hand[:, 2:], VALLEY[:, 2:])


def test_hand_depth_leaves_the_hollow_dry_until_the_rim_is_topped():
    low = flood_depth(FRAMED, (7, 9), channel_height=1.5, river=FRAMED_RIVER)
    np.testing.assert_array_equal(
        _inside(low), np.tile([0.0, 0.0, 0.5, 1.5, 0.5, 0.0, 0.0], (5, 1))
    )
    high = flood_depth(FRAMED, (7, 9), channel_height=3.5, river=FRAMED_RIVER)
    np.testing.assert_array_equal(
        _inside(high), np.tile([3.0, 0.5, 2.5, 3.5, 2.5, 1.5, 0.5], (5, 1))
    )
    assert (low[0] == 0).all() and (high[:, 0] == 0).all()  # the frame stays dry


def test_a_valley_below_the_end_of_the_river_mask_drains_off_the_grid():
    """A valley falling 20 m to the south edge with the river mapped in its northern
    half only: the cells below the mask's end drain to the grid's edge, not to the
    river, so 1 m above the channel floods them nowhere (it gave up to 11 m)."""
    rows, cols = np.mgrid[0:40, 0:21].astype(float)
    dem = 20.0 - rows * 0.5 + np.abs(cols - 10) * 0.3  # floor at column 10
    river = np.zeros(dem.shape, dtype=bool)
    river[:20, 10] = True
    hand = compute_hand(dem, river)
    assert np.nanmin(hand[np.isfinite(hand)]) >= 0.0  # nothing below its drainage
    assert np.isinf(hand[25:, 10]).all()  # below the mask: the edge, not the river
    depth = flood_depth(dem, dem.shape, channel_height=1.0, river=river)
    assert depth.max() == pytest.approx(1.0) and (depth[22:] == 0).all()
    assert (depth[:20, 10] == 1.0).all() and 0 < depth[10, 11] < 1.0  # the banks


def test_hand_grid_given_uses_hand_zero_cells_as_drainage():
    hand = VALLEY.copy()  # the same HAND, given as a grid
    dem = VALLEY + 100.0  # the DEM then only gives the grid and the nodata
    dem[0, 6] = NAN
    depth = flood_depth(dem, (5, 7), channel_height=1.5, hand=hand)
    expected = np.tile([0.0, 0.0, 0.5, 1.5, 0.5, 0.0, 0.0], (5, 1))
    expected[0, 6] = NAN
    np.testing.assert_array_equal(depth, expected)


def test_hand_is_nan_on_nodata_and_inf_where_no_river_is_reachable():
    dem = VALLEY.copy()
    dem[:, 1] = NAN  # cuts column 0 off the river
    hand = compute_hand(dem, RIVER, connectivity=8)
    assert np.isnan(hand[:, 1]).all() and np.isinf(hand[:, 0]).all()
    depth = flood_depth(dem, (5, 7), channel_height=9.0, river=RIVER)
    assert (depth[:, 0] == 0).all() and np.isnan(depth[:, 1]).all()


# --------------------------------------------------------------- return periods


def test_return_period_depths_non_decreasing():
    levels = {100: 2.0, 10: 1.0, 1000: 4.5, 25: 1.2}
    depths = flood_depths_by_return_period(DEM, GRID, levels)
    assert list(depths) == [10.0, 25.0, 100.0, 1000.0]
    np.testing.assert_array_equal(depths[100.0], expected_at_2m())
    previous = None
    for depth in depths.values():
        if previous is not None:
            both = ~np.isnan(depth)
            assert (depth[both] >= previous[both]).all()
            np.testing.assert_array_equal(np.isnan(depth), np.isnan(previous))
        previous = depth
    # the 1000-year level tops the ridge; the 10-year one reaches only the lowest coast
    assert depths[1000.0][3, 6] == 4.0 and depths[10.0][3, 3] == 0.0
    assert depths[10.0][3, 2] == 0.5


def test_return_period_hand_levels():
    depths = flood_depths_by_return_period(
        FRAMED, (7, 9), {2: 1.5, 50: 3.5}, method="hand", river=FRAMED_RIVER
    )
    assert depths[2.0][1, 1] == 0.0 and depths[50.0][1, 1] == 3.0


@pytest.mark.parametrize(
    "levels",
    [{}, {10: 2.0, 100: 1.0}, {0.5: 1.0}, {10: "high"}, {10: NAN}, [(10, 1.0)]],
)
def test_return_period_levels_checked(levels):
    with pytest.raises(ConfigError):
        flood_depths_by_return_period(DEM, GRID, levels)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_depth_monotone_in_level(data):
    dem = data.draw(random_dems())
    levels = sorted(data.draw(st.lists(st.floats(-2, 12), min_size=2, max_size=4)))
    sources = data.draw(hnp.arrays(np.bool_, dem.shape, elements=st.booleans()))
    sources[0, 0] = True
    depths = flood_depths_by_return_period(
        dem, dem.shape, {k + 1: v for k, v in enumerate(levels)}, sources=sources
    )
    grids = list(depths.values())
    for low, high in zip(grids, grids[1:], strict=False):
        valid = ~np.isnan(dem)
        assert (high[valid] >= low[valid]).all()
        assert (low[valid] >= 0).all()
        np.testing.assert_array_equal(np.isnan(high), np.isnan(dem))


# -------------------------------------------------------- kernels vs references


@st.composite
def random_dems(draw, max_side=24):
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    return draw(
        hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(
                st.sampled_from((NAN, 0.0, 1.0, 2.0, 5.0)), st.floats(-3, 10, width=32)
            ),
        )
    )


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    dem=random_dems(),
    level=st.sampled_from((0.0, 1.0, 2.0, 3.7, 11.0)),
    connectivity=st.sampled_from((4, 8)),
    data=st.data(),
)
def test_fill_kernel_equals_reference(dem, level, connectivity, data):
    seeds = data.draw(hnp.arrays(np.bool_, dem.shape, elements=st.booleans()))
    fast = np.zeros(dem.shape, dtype=bool)
    slow = np.zeros(dem.shape, dtype=bool)
    n_fast = flood_fill_below(dem, level, seeds, connectivity, fast)
    n_slow = flood_fill_below_reference(dem, level, seeds, connectivity, slow)
    np.testing.assert_array_equal(fast, slow)
    assert n_fast == n_slow == fast.sum()
    assert not (fast & np.isnan(dem) & ~seeds).any()


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(dem=random_dems(), connectivity=st.sampled_from((4, 8)), data=st.data())
def test_hand_kernel_equals_reference(dem, connectivity, data):
    river = data.draw(hnp.arrays(np.bool_, dem.shape, elements=st.booleans()))
    fast = np.full(dem.shape, -7.0)
    slow = np.full(dem.shape, -7.0)
    height_above_drainage(dem, river, connectivity, fast)
    height_above_drainage_reference(dem, river, connectivity, slow)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(dem))
    assert (fast[river & ~np.isnan(dem)] == 0).all()


def test_kernels_registered():
    assert KERNELS["flood_fill_below"] == (flood_fill_below, flood_fill_below_reference)
    assert KERNELS["height_above_drainage"] == (
        height_above_drainage,
        height_above_drainage_reference,
    )


@pytest.mark.parametrize("func", [flood_fill_below, flood_fill_below_reference])
def test_fill_rejects_other_connectivity(func):
    with pytest.raises(ValueError, match="connectivity"):
        func(np.zeros((2, 2)), 1.0, np.ones((2, 2), bool), 6, np.zeros((2, 2), bool))


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channel_height": -0.5, "river": RIVER},
        {"water_level": "2 m"},
        {"water_level": None},
        {"water_level": True},
        {"water_level": 2.0, "channel_height": 1.0},
        {"water_level": 2.0, "connectivity": 6},
        {"channel_height": 1.0},
        {"water_level": 2.0, "river": RIVER},
    ],
)
def test_bad_arguments_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        flood_depth(VALLEY, (5, 7), **kwargs)


def test_no_sea_and_no_sources_is_a_data_error():
    with pytest.raises(DataError, match="source"):
        flood_depth(VALLEY, (5, 7), water_level=2.0)
    with pytest.raises(DataError, match="shape"):
        flood_depth(DEM, (5, 7), water_level=2.0)


def test_caller_arrays_untouched():
    dem = DEM.copy()
    flood_depth(dem, GRID, water_level=2.0)
    np.testing.assert_array_equal(dem, DEM)


# ------------------------------------------------------------------- the tool


def _dem_file(tmp_path, name="dem.tif", crs=CRS):
    raw = np.where(np.isnan(DEM), -9999.0, DEM).astype(np.float32)
    return write_raster(tmp_path / name, raw, transform=TRANSFORM, crs=crs, nodata=-9999.0)


def test_write_flood_water_level(tmp_path):
    dem = _dem_file(tmp_path)
    out = write_flood(dem, tmp_path / "depth.tif", water_level=2.0)
    with rasterio.open(out) as dataset:
        depth = dataset.read(1)
        tags = dataset.tags()
        assert dataset.crs.to_epsg() == 32630 and dataset.transform == TRANSFORM
    np.testing.assert_array_equal(depth, expected_at_2m().astype(np.float32))
    assert tags["measure"] == "water depth" and tags["unit"] == "m"
    parameters = json.loads(tags["parameters"])
    assert parameters["water_level_m"] == 2.0 and parameters["connectivity"] == 8
    assert parameters["inputs"] == {"dem": "dem.tif"}
    with pytest.raises(OutputExistsError):
        write_flood(dem, out, water_level=3.0)
    write_flood(dem, out, water_level=4.5, overwrite=True)
    with rasterio.open(out) as dataset:
        assert dataset.read(1)[3, 6] == 4.0


def test_write_flood_hand_from_river_and_like(tmp_path):
    transform = Affine(100.0, 0, 500_000.0, 0, -100.0, 1_000_000.0)
    dem = write_raster(tmp_path / "valley.tif", VALLEY, transform=transform, crs=CRS)
    river = write_raster(
        tmp_path / "river.tif", RIVER.astype(np.uint8), transform=transform, crs=CRS
    )
    out = write_flood(dem, tmp_path / "hand.tif", channel_height=1.5, river_path=river)
    with rasterio.open(out) as dataset:
        np.testing.assert_array_equal(dataset.read(1), np.tile([0, 0, 0.5, 1.5, 0.5, 0, 0], (5, 1)))
        assert json.loads(dataset.tags()["parameters"])["channel_height_m"] == 1.5
    hand = write_raster(tmp_path / "hand_grid.tif", VALLEY, transform=transform, crs=CRS)
    out = write_flood(dem, tmp_path / "hand2.tif", channel_height=1.5, hand_path=hand)
    with rasterio.open(out) as dataset:
        assert dataset.read(1)[2, 3] == 1.5 and dataset.read(1)[2, 0] == 0
    # a like grid twice as fine: the output takes its grid
    fine = Affine(50.0, 0, 500_000.0, 0, -50.0, 1_000_000.0)
    like = write_raster(tmp_path / "like.tif", np.zeros((10, 14)), transform=fine, crs=CRS)
    out = write_flood(dem, tmp_path / "fine.tif", channel_height=1.5, river_path=river, like=like)
    with rasterio.open(out) as dataset:
        assert (dataset.height, dataset.width) == (10, 14) and dataset.transform == fine
        depth = dataset.read(1)
    assert (depth[:, :2] == 0).all() and (depth[:, 6:8] > 0).all()


def test_dem_without_crs_refused_and_nothing_written(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        dem = _dem_file(tmp_path, crs=None)
        with pytest.raises(MissingCRSError):
            write_flood(dem, tmp_path / "depth.tif", water_level=2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif"]


def test_missing_dem_and_bad_values(tmp_path):
    with pytest.raises(InputFileError):
        write_flood(tmp_path / "nope.tif", tmp_path / "depth.tif", water_level=2.0)
    dem = _dem_file(tmp_path)
    with pytest.raises(ConfigError):
        write_flood(dem, tmp_path / "depth.tif", channel_height=-1.0, hand_path=dem)
    with pytest.raises(ConfigError):
        write_flood(dem, tmp_path / "depth.tif", water_level="two")
    with pytest.raises(ConfigError):
        write_flood(dem, tmp_path / "depth.tif", channel_height=1.0)
    with pytest.raises(InputFileError):
        write_flood(dem, tmp_path / "depth.tif", channel_height=1.0, river_path=tmp_path / "r.tif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif"]


def _with_unit(path, unit, tag=False):
    with rasterio.open(path, "r+") as dataset:
        if tag:
            dataset.update_tags(units=unit)
        else:
            dataset.units = (unit,)
    return path


@pytest.mark.parametrize("tag", [False, True], ids=["band-unit", "units-tag"])
def test_a_dem_in_feet_gives_the_metre_dem_depths(tmp_path, tag):
    """The same terrain in feet (3.28084 x the metres, unit stated): the depths in metres
    are the metre DEM's (it was read as metres: 2.5 m of water became 3.6 "m")."""
    metres = write_flood(_dem_file(tmp_path), tmp_path / "m.tif", water_level=2.0)
    raw = np.where(np.isnan(DEM), -9999.0, DEM / 0.3048).astype(np.float64)
    feet = write_raster(tmp_path / "dem_ft.tif", raw, transform=TRANSFORM, crs=CRS, nodata=-9999.0)
    out = write_flood(_with_unit(feet, "ft", tag), tmp_path / "ft.tif", water_level=2.0)
    with rasterio.open(metres) as a, rasterio.open(out) as b:
        np.testing.assert_allclose(b.read(1), a.read(1), atol=1e-5)
        assert json.loads(b.tags()["parameters"])["height_units"] == {"dem": "ft"}


def test_a_dem_of_another_unit_is_refused(tmp_path, cli):
    dem = _with_unit(_dem_file(tmp_path), "degC")
    result = cli("hazard", "flood", dem, "--out", tmp_path / "depth.tif", "--water-level", "2")
    assert result.exit_code == 1, result.output
    assert "its heights are in 'degC'; give them in metres or feet" in result.output
    assert not (tmp_path / "depth.tif").exists()
