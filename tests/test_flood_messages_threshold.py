"""Messages of the flood generator and of ``mecc run``, and the threshold warning.

1. A displacement curve that displaces below the exposure threshold in force is warned
   about whether the threshold is the type's default or given in the run file (the
   same 0.1 m flood threshold gave a warning written out and none left out), in
   ``mecc validate`` and in a run alike.
2. ``--return-period`` levels that fall as the return period rises: the message names
   the return periods, their levels and the option.
3. A HAND grid whose drainage cells (HAND 0) all lie on DEM nodata: the message names
   the HAND file and ``--hand``, what is wrong and what to give instead (it named the
   DEM alone and advised a river mask or sources, ignoring the HAND grid given).
4. ``mecc run --dask ""`` (an unset shell variable) is refused, as ``--dask Local`` is
   (it ran here, without Dask, and dropped ``--chunk-size`` without a word).

Expected values by hand: 1,000 people a cell.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from hazards.flood import flood_depth, write_flood, write_flood_return_periods
from mecc.errors import ConfigError, DataError
from mecc.grid import GridSpec
from tests._errors import one_error_line
from tests._run_inputs import basic_case, hidden_entries, write_run
from tests.conftest import write_raster

PEOPLE = 1000.0
T = Affine(0.01, 0, 30.0, 0, -0.01, -1.0)


# ------------------------------------- 1. the threshold warning, default or given


def _two_hazards(folder):
    """Depths 0.05 m and 0.5 m under 1,000 people each; the same curve rising from 0 m
    (share 0.05 / 0.6 at 0.05 m) twice: threshold 0.1 m given, and left to the default
    (0.1 m for river floods)."""
    folder.mkdir()
    write_raster(folder / "pop.tif", np.full((1, 2), PEOPLE), transform=T, nodata=-1.0)
    write_raster(folder / "depth.tif", np.array([[0.05, 0.5]]), transform=T)
    curve = {"intensity": [0, 0.6], "share": [0, 1]}
    base = {"type": "river_flood", "intensity": "depth.tif", "scenario": "s", "curve": curve}
    hazards = [{"id": "given", **base, "exposure_threshold": 0.1}, {"id": "default", **base}]
    return write_run(
        folder, {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": hazards}
    )


def _threshold_lines(messages, hazard_id):
    return [m for m in messages if f"({hazard_id}).curve" in m and "below exposure_threshold" in m]


def test_the_default_threshold_is_warned_about_as_the_same_threshold_given(tmp_path):
    from mecc.checks import validate_run
    from mecc.run import run_country

    run = _two_hazards(tmp_path / "case")
    checked = validate_run(run).warnings
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    table = pd.read_csv(out / "zones_bands.csv", encoding="utf-8-sig")
    for hazard_id in ("given", "default"):
        row = table[(table["zone_code"] == "XQK") & (table["hazard_id"] == hazard_id)].iloc[0]
        assert row["exposed"] == PEOPLE  # the 0.5 m cell only
        assert row["displaced"] == pytest.approx(PEOPLE * (0.05 + 0.5) / 0.6, rel=1e-9)
    warned = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["warnings"]
    for messages in (checked, warned):
        given, default = _threshold_lines(messages, "given"), _threshold_lines(messages, "default")
        assert len(given) == 1 and len(default) == 1, messages
        assert "below exposure_threshold 0.1 m" in default[0]
        assert "displaces from 0 m" in default[0]
        assert default[0].split(".curve", 1)[1] == given[0].split(".curve", 1)[1]


# ---------------------------------------------------------------- flood inputs


def _flood_inputs(folder):
    """The probe's grids: a DEM with a nodata first column, a HAND grid whose only
    drainage cells (HAND 0) are that column."""
    folder.mkdir(exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": 2,
        "width": 3,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": Affine(0.01, 0, 10.0, 0, -0.01, 1.0),
        "nodata": -9999,
    }
    grids = {
        "d.tif": [[-9999, 1, 2], [-9999, 1, 2]],
        "h.tif": [[0, 0.5, 1], [0, 0.5, 1]],
        "r.tif": [[1, 0, 0], [1, 0, 0]],
    }
    for name, values in grids.items():
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(np.array(values, "float32"), 1)
    return folder / "d.tif", folder / "h.tif", folder / "r.tif"


# ------------------------------------------------------- 2. falling --return-period


def test_falling_return_period_levels_are_named_with_the_option(tmp_path, cli):
    dem, hand, _ = _flood_inputs(tmp_path)
    out = tmp_path / "set"
    args = ["hazard", "flood", dem, "--hand", hand, "--out", out]
    result = cli(*args, "--return-period", "10=1.5", "--return-period", "100=0.5")
    line = one_error_line(result, 2)
    assert line == (
        "error: --return-period 100=0.5: its level is below the 10-year one "
        "(--return-period 10=1.5); levels must not fall as the return period rises (a "
        "rarer flood reaches at least as high)"
    )
    assert not out.exists() and hidden_entries(tmp_path) == []
    # the first pair that falls, among three, in the order of the return periods
    result = cli(*args, "--return-period", "100=0.5", "--return-period", "10=1",
                 "--return-period", "25=2")  # fmt: skip
    assert "--return-period 100=0.5: its level is below the 25-year one (--return-period " in (
        one_error_line(result, 2)
    )
    with pytest.raises(ConfigError, match=r"^--return-period 100=0\.5: .*10=1\.5\)"):
        write_flood_return_periods(dem, out, {10: 1.5, 100: 0.5}, hand_path=hand)


def test_levels_that_rise_or_hold_still_write_the_set(tmp_path, cli):
    dem, hand, _ = _flood_inputs(tmp_path)
    hand_values = np.array([[0, 0.5, 1], [0, 0.5, 1]], "float32")
    with rasterio.open(hand, "r+") as dst:  # drainage in column 1, on valid ground
        dst.write(np.roll(hand_values, 1, axis=1), 1)
    out = tmp_path / "set"
    result = cli("hazard", "flood", dem, "--hand", hand, "--out", out,
                 "--return-period", "10=0.5", "--return-period", "100=0.5")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for name in ("flood_rp0010.tif", "flood_rp0100.tif"):
        with rasterio.open(out / name) as src:
            depth = src.read(1, masked=True)
        assert depth.mask[:, 0].all()  # DEM nodata
        np.testing.assert_allclose(depth[:, 1:].filled(np.nan), [[0.5, 0.0], [0.5, 0.0]])


# ---------------------------------------------- 3. drainage cells on DEM nodata


def test_hand_drainage_on_dem_nodata_names_the_hand_file_and_option(tmp_path, cli):
    dem, hand, _ = _flood_inputs(tmp_path)
    out = tmp_path / "x.tif"
    args = ["hazard", "flood", dem, "--hand", hand, "--channel-height", "1", "--out", out]
    line = one_error_line(cli(*args), 1)
    assert line == (
        f"error: the HAND grid {hand}, band 1 (--hand): its drainage cells (HAND 0, 2 cells) "
        f"all lie on nodata of the DEM {dem}, so the water has nowhere to rise from; give a "
        "HAND grid computed from this DEM (its drainage at 0 on the DEM's valid ground), or "
        "mark the river on valid ground with --river or --sources"
    )
    assert not out.exists() and hidden_entries(tmp_path) == []


def test_a_hand_grid_without_drainage_cells_says_so(tmp_path):
    dem, hand, _ = _flood_inputs(tmp_path)
    with rasterio.open(hand, "r+") as dst:
        dst.write(np.array([[0.2, 0.5, 1], [0.3, 0.5, 1]], "float32"), 1)
    with pytest.raises(DataError) as caught:
        write_flood(dem, tmp_path / "x.tif", channel_height=1, hand_path=hand)
    assert str(caught.value).startswith(
        f"the HAND grid {hand}, band 1 (--hand): no drainage cells (HAND 0), so the water "
        "has nowhere to rise from; give a HAND grid computed from this DEM"
    )


def test_a_river_mask_on_dem_nodata_names_the_mask_and_option(tmp_path, cli):
    dem, hand, river = _flood_inputs(tmp_path)
    out = tmp_path / "x.tif"
    line = one_error_line(
        cli("hazard", "flood", dem, "--river", river, "--channel-height", "1", "--out", out), 1
    )
    assert line == (
        f"error: the river mask {river} (--river): its river cells (non-zero, 2 cells) all "
        f"lie on nodata of the DEM {dem}, so the water has nowhere to rise from; mark the "
        f"river cells on valid ground with non-zero values in the river mask {river}"
    )
    line = one_error_line(
        cli("hazard", "flood", dem, "--hand", hand, "--river", river, "--channel-height", "1",
            "--out", out),
        1,
    )  # fmt: skip
    assert f"lie on nodata of the DEM {dem} or of the HAND grid {hand}, band 1," in line
    assert not out.exists()


def test_the_array_function_names_the_hand_grid_by_its_role():
    dem = np.array([[np.nan, 1.0, 2.0], [np.nan, 1.0, 2.0]])
    hand = np.array([[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]])
    grid = GridSpec(rasterio.crs.CRS.from_epsg(4326), T, 3, 2)
    with pytest.raises(DataError) as caught:
        flood_depth(dem, grid, channel_height=1.0, hand=hand)
    assert str(caught.value) == (
        "the HAND grid: its drainage cells (HAND 0, 2 cells) all lie on nodata of the DEM, "
        "so the water has nowhere to rise from; give a HAND grid computed from this DEM (its "
        "drainage at 0 on the DEM's valid ground), or mark the river on valid ground with a "
        "river mask or a sources mask"
    )
    shifted = np.roll(hand, 1, axis=1)  # HAND 1 | 0 | 0.5: drainage in column 1
    depth = flood_depth(dem, grid, channel_height=1.0, hand=shifted)
    np.testing.assert_array_equal(depth, [[np.nan, 1.0, 0.5], [np.nan, 1.0, 0.5]])


# ------------------------------------------------------------- 4. --dask ""


@pytest.mark.parametrize("address", ["", "  "])
@pytest.mark.parametrize("extra", [[], ["--chunk-size", "64"]], ids=["alone", "chunk-size"])
def test_an_empty_dask_address_is_refused(tmp_path, cli, address, extra):
    run = write_run(tmp_path / "case", basic_case(tmp_path / "case"))
    out = tmp_path / "r5"
    line = one_error_line(cli("run", run, "--out", out, "--dask", address, *extra), 2)
    assert line == (
        f"error: --dask {address!r}: no address (an unset variable?); give 'local' or a "
        "scheduler address tcp://HOST:PORT, or leave --dask out to run here (see 'mecc run "
        "--help')"
    )
    assert not out.exists()
