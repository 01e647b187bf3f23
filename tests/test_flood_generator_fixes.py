"""Fixes to ``mecc hazard flood``: the sea of a --like grid wider than the DEM, a folder
given as --out, a return-period set replacing an earlier one, file names said once.

Every expected depth is written out by hand: level minus ground in the cells the sea
reaches through ground strictly below the level, 0 elsewhere, NaN where unknown.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import rasterio
from affine import Affine

from hazards import scenarios
from hazards.flood import write_flood, write_flood_return_periods
from mecc.errors import ConfigError, DataError, OutputExistsError
from tests.conftest import write_raster

NAN = float("nan")
CRS = "EPSG:32633"
CELL = 100.0
X0, Y0 = 600_000.0, 5_000_000.0


def _transform(dx_cells=0, dy_cells=0):
    """The DEM's transform moved by whole cells (negative dx: west, negative dy: north)."""
    return Affine(CELL, 0, X0 + dx_cells * CELL, 0, -CELL, Y0 - dy_cells * CELL)


# 4 x 5 cells: column 0 the sea (below 0), column 1 a 0.5 m beach, column 2 a 10 m
# ridge, columns 3-4 a closed 1 m basin touching the DEM's east edge.
BASIN = np.array([[-1.0, 0.5, 10.0, 1.0, 1.0]] * 4)
BASIN_AT_2M = np.array([[3.0, 1.5, 0.0, 0.0, 0.0]] * 4)  # 2 - (-1), 2 - 0.5, dry, dry


def _basin(tmp_path, data=BASIN, name="dem.tif"):
    return write_raster(tmp_path / name, data.astype(np.float32), _transform(), CRS, -9999.0)


def _like(tmp_path, height, width, dx_cells=0, dy_cells=0, name="like.tif"):
    grid = np.ones((height, width), np.float32)
    return write_raster(tmp_path / name, grid, _transform(dx_cells, dy_cells), CRS)


def _read(path):
    with rasterio.open(path) as dataset:
        return dataset.read(1).astype(np.float64)


def _one_error_line(result, code):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


# --------------------------------------------- 1. cells a --like grid adds are no sea


def test_a_wider_like_grid_does_not_flood_the_closed_basin(cli, tmp_path):
    """The probe's case: 2 columns added east of the DEM made the basin 'sea-connected'
    (1 m of water in it); they are nodata, and the basin stays dry."""
    dem = _basin(tmp_path)
    like = _like(tmp_path, 4, 7)
    own = cli("hazard", "flood", dem, "--water-level", "2", "--out", tmp_path / "own.tif")
    wide = cli(
        "hazard", "flood", dem, "--water-level", "2", "--like", like, "--out", tmp_path / "w.tif"
    )  # fmt: skip
    assert own.exit_code == 0 and wide.exit_code == 0, own.output + wide.output
    np.testing.assert_array_equal(_read(tmp_path / "own.tif"), BASIN_AT_2M)
    expected = np.hstack([BASIN_AT_2M, np.full((4, 2), NAN)])
    np.testing.assert_array_equal(_read(tmp_path / "w.tif"), expected)


def test_a_like_grid_wider_on_every_side_keeps_the_dems_own_sea(tmp_path):
    """The DEM's own sea (nodata column 0 and the -0.5 m column 1, joined to the DEM's
    edge) still floods the coast when the --like grid adds 2 cells on every side; the
    added cells are NaN and the basin at the east edge stays dry."""
    data = np.array([[NAN, -0.5, 0.5, 10.0, 1.0, 1.0]] * 3)
    raw = np.where(np.isnan(data), -9999.0, data)
    dem = _basin(tmp_path, raw)
    like = _like(tmp_path, 3 + 4, 6 + 4, dx_cells=-2, dy_cells=-2)
    out = write_flood(dem, tmp_path / "d.tif", water_level=2.0, like=like)
    expected = np.full((7, 10), NAN)
    expected[2:5, 2:8] = [[NAN, 2.5, 1.5, 0.0, 0.0, 0.0]] * 3  # 2 - (-0.5), 2 - 0.5
    np.testing.assert_array_equal(_read(out), expected)
    assert json.loads(rasterio.open(out).tags()["parameters"])["wet_cells"] == 6


def test_an_inland_dem_on_a_wider_grid_has_no_sea(tmp_path):
    """No nodata or below-0 cell on the DEM's edge: no sea, however wide the --like grid
    (its added NaN border was taken for sea and flooded the 1 m basin)."""
    dem = _basin(tmp_path, np.array([[5.0, 5.0, 1.0, 1.0]] * 3))
    like = _like(tmp_path, 5, 6, dx_cells=-1, dy_cells=-1)
    with pytest.raises(DataError, match="no source cells"):
        write_flood(dem, tmp_path / "d.tif", water_level=2.0, like=like)
    assert not (tmp_path / "d.tif").exists()


def test_a_like_grid_holding_none_of_the_dems_sea_says_so(tmp_path):
    like = _like(tmp_path, 4, 2, dx_cells=3)  # the basin columns only
    with pytest.raises(DataError, match="lies outside the --like grid") as error:
        write_flood(_basin(tmp_path), tmp_path / "d.tif", water_level=2.0, like=like)
    assert "dem.tif" in str(error.value) and "4 cells" in str(error.value)


# -------------------------------------------------------- 2. a folder given as --out


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_a_folder_as_out_is_a_usage_error_before_computing(cli, tmp_path, monkeypatch, overwrite):
    import hazards.flood

    def computed(*args, **kwargs):
        raise AssertionError("the flood was computed before --out was checked")

    monkeypatch.setattr(hazards.flood, "_prepare", computed)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = cli(
        "hazard", "flood", _basin(tmp_path), "--water-level", "2", "--out", folder, *overwrite
    )
    line = _one_error_line(result, 2)
    assert "--out" in line and "is a directory" in line and "file exists" not in line
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_write_flood_refuses_a_folder_as_out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        write_flood(_basin(tmp_path), folder, water_level=2.0, overwrite=True)
    assert folder.is_dir() and not any(folder.iterdir())


# ------------------------------------------- 3. a return-period set replaces the old


DEM_RP = np.array([[-1.0, 0.5, 3.0, 0.2], [-1.0, 0.8, 3.0, 0.1]])


def _rp(cli, dem, out, *pairs, overwrite=False):
    args = [a for pair in pairs for a in ("--return-period", pair)]
    return cli("hazard", "flood", dem, "--out", out, *args, *(["--overwrite"] if overwrite else []))


def _set(folder):
    return sorted(p.name for p in folder.iterdir())


def test_overwrite_replaces_the_whole_set(cli, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM_RP, _transform(), CRS)
    out = tmp_path / "rp"
    assert _rp(cli, dem, out, "10=1.2", "100=2.0", "1000=2.5").exit_code == 0
    result = _rp(cli, dem, out, "10=0.5", "100=0.8", overwrite=True)
    assert result.exit_code == 0, result.output
    assert _set(out) == ["flood_rp0010.tif", "flood_rp0100.tif"]  # no 1000-year grid left
    expected = {  # the sea (column 0, -1 m) and the beach cells strictly below the level
        "flood_rp0010.tif": [[1.5, 0.0, 0.0, 0.0], [1.5, 0.0, 0.0, 0.0]],
        "flood_rp0100.tif": [[1.8, 0.3, 0.0, 0.0], [1.8, 0.0, 0.0, 0.0]],
    }
    for name, depth in expected.items():
        np.testing.assert_allclose(_read(out / name), depth, atol=1e-6)


def test_an_earlier_set_without_overwrite_is_refused_and_kept(cli, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM_RP, _transform(), CRS)
    out = tmp_path / "rp"
    assert _rp(cli, dem, out, "10=1.2", "1000=2.5").exit_code == 0
    before = {name: _read(out / name) for name in _set(out)}
    line = _one_error_line(_rp(cli, dem, out, "50=1.0"), 2)  # no name in common
    assert "flood_rp0010.tif" in line and "flood_rp1000.tif" in line and "--overwrite" in line
    assert _set(out) == sorted(before)


def test_a_grid_mecc_did_not_write_is_never_removed(cli, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM_RP, _transform(), CRS)
    out = tmp_path / "rp"
    assert _rp(cli, dem, out, "10=1.2", "1000=2.5").exit_code == 0
    mine = write_raster(out / "flood_rp0500.tif", np.full((2, 4), 7.0), _transform(), CRS)
    line = _one_error_line(_rp(cli, dem, out, "10=0.5", "100=0.8", overwrite=True), 2)
    assert "flood_rp0500.tif" in line and "not written by mecc" in line
    assert _set(out) == ["flood_rp0010.tif", "flood_rp0500.tif", "flood_rp1000.tif"]
    assert (_read(mine) == 7.0).all()
    np.testing.assert_allclose(_read(out / "flood_rp0010.tif")[:, 0], [2.2, 2.2], atol=1e-6)


def test_replace_files_puts_the_old_set_back_when_a_rename_fails(tmp_path, monkeypatch):
    folder, staging = tmp_path / "rp", tmp_path / "rp" / ".staging"
    staging.mkdir(parents=True)
    for name, text in (("a.tif", "old a"), ("b.tif", "old b"), ("c.tif", "old c")):
        (folder / name).write_text(text)
    for name in ("a.tif", "b.tif"):
        (staging / name).write_text(f"new {name[0]}")
    real, calls = os.replace, []

    def failing(src, dst):
        calls.append(src)
        if len(calls) == 5:  # 3 old files moved aside, new a.tif in place, then b.tif fails
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(scenarios.os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        scenarios.replace_files(staging, folder, ["a.tif", "b.tif"], remove=["c.tif"])
    old = {p.name: p.read_text() for p in folder.iterdir() if p.is_file()}
    assert old == {"a.tif": "old a", "b.tif": "old b", "c.tif": "old c"}


def test_write_flood_return_periods_removes_only_the_earlier_set(tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM_RP, _transform(), CRS)
    out = tmp_path / "rp"
    write_flood_return_periods(dem, out, {2: 0.5, 20: 1.0, 200: 2.0})
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="flood_rp0200.tif"):
        write_flood_return_periods(dem, out, {20: 1.5})
    written = write_flood_return_periods(dem, out, {20: 1.5}, overwrite=True)
    assert written == [out / "flood_rp0020.tif"]
    assert _set(out) == ["flood_rp0020.tif", "notes.txt"]
    np.testing.assert_allclose(_read(written[0]), [[2.5, 1.0, 0, 0], [2.5, 0.7, 0, 0]], atol=1e-6)


# ------------------------------------------------------------ 4. names said once


@pytest.mark.parametrize("role", ["like", "sources"])
def test_no_overlap_names_the_file_once(cli, tmp_path, role):
    dem = _basin(tmp_path)
    far = write_raster(
        tmp_path / "far.tif", np.ones((3, 3), np.float32), Affine(CELL, 0, 0, 0, -CELL, 0), CRS
    )
    result = cli(
        "hazard", "flood", dem, "--water-level", "2", f"--{role}", far, "--out", tmp_path / "d.tif"
    )
    line = _one_error_line(result, 1)
    path = dem if role == "like" else far
    assert "does not overlap" in line and line.count(path.name) == 1, line
    assert line.startswith(f"error: {'dem' if role == 'like' else 'sources'} ({path}): ")


# ------------------------------------------------ sources on ground above the water


@pytest.mark.parametrize("fill", ["kernel", "reference"])
def test_a_source_on_a_bank_above_the_level_passes_no_water_on(fill):
    from mecc.terrain_kernels import flood_fill_below, flood_fill_below_reference

    func = flood_fill_below if fill == "kernel" else flood_fill_below_reference
    ground = np.full((5, 5), 5.0)
    ground[2, 2:4] = 0.0  # a closed pit, next to the bank cell (2, 1)
    seeds = np.zeros((5, 5), bool)
    seeds[2, 1] = True  # a river mask that takes in a 5 m bank
    out = np.zeros((5, 5), bool)
    assert func(ground, 1.0, seeds, 4, out) == 0 and not out.any()
    ground[2, 1] = 0.5  # the same source below the level: the pit fills through it
    assert func(ground, 1.0, seeds, 4, out) == 3
    assert out.sum() == 3 and out[2, 1:4].all()
    ground[2, 1] = np.nan  # a nodata source (the sea) starts the water too
    out[:] = False
    assert func(ground, 1.0, seeds, 4, out) == 3 and out[2, 1:4].all()


def test_flood_depth_leaves_a_pit_behind_a_dry_bank_dry():
    from hazards.flood import flood_depth

    dem = np.full((10, 10), 5.0)
    dem[4:6, 4:6] = 0.0
    sources = np.zeros((10, 10), bool)
    sources[4, 3] = True
    depth = flood_depth(dem, (10, 10), water_level=1, sources=sources)
    assert np.nansum(depth) == 0.0
    sources[4, 3], dem[4, 3] = True, 0.2  # a source in the water: pit 1 m deep, source 0.8
    depth = flood_depth(dem, (10, 10), water_level=1, sources=sources)
    assert depth[4:6, 4:6].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert depth[4, 3] == pytest.approx(0.8)
