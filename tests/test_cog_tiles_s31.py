"""displaced.tif written tile by tile (mecc.cog_tiles): the quadtree of overview tiles
against a plain-numpy reference for any block shape, and the file against GDAL (which
reads it as a COG) and against the COG layout it declares (IFDs before the tiles, the
smallest overview's tiles first, each tile between its size and its last 4 bytes)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from mecc.cell_grid import CellGridWriter
from mecc.cog_tiles import TILE, TilePyramid
from mecc.grid import GridSpec


def _level_reference(values: np.ndarray, factor: int) -> np.ndarray:
    """Mean of the known cells of each factor x factor group (NaN if none), per band."""
    bands, h, w = values.shape
    rows, cols = -(-h // factor), -(-w // factor)
    padded = np.full((bands, rows * factor, cols * factor), np.nan)
    padded[:, :h, :w] = values
    groups = padded.reshape(bands, rows, factor, cols, factor)
    known = (~np.isnan(groups)).sum(axis=(2, 4))
    sums = np.nansum(groups, axis=(2, 4))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known > 0, sums / known, np.nan)


def _assemble(width, height, bands, blocks, values):
    """Run the pyramid over ``values`` (bands, h, w) in blocks: every level as arrays,
    and how often each tile came."""
    levels: list = []
    seen: dict = {}

    def emit(level, ty, tx, cells):  # copied at once: the pyramid reuses its arrays
        _, rows, cols = cells.shape
        levels[level][:, ty * TILE : ty * TILE + rows, tx * TILE : tx * TILE + cols] = cells
        seen[level, ty, tx] = seen.get((level, ty, tx), 0) + 1

    pyramid = TilePyramid(width, height, bands, emit)
    levels.extend(np.full((bands, *shape), -1.0) for shape in pyramid.shapes)
    for r in range(0, height, blocks[0]):
        for c in range(0, width, blocks[1]):
            for b in range(bands):
                pyramid.write(b, r, c, values[b, r : r + blocks[0], c : c + blocks[1]].copy())
    pyramid.close()
    return pyramid, levels, seen


@settings(max_examples=40, deadline=None)
@given(
    height=st.integers(1, 700),
    width=st.integers(1, 900),
    bands=st.integers(1, 3),
    block_rows=st.sampled_from([1, 7, 64, 100, 256, 300, 700]),
    block_cols=st.sampled_from([5, 256, 333, 512, 2048]),
    unknown=st.sampled_from([0.0, 0.3, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_pyramid_levels_are_the_known_cells_means_for_any_blocks(
    height, width, bands, block_rows, block_cols, unknown, seed
):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 100, (bands, height, width))
    values[rng.random(values.shape) < unknown] = np.nan
    values[:, : height // 3, : width // 3] = 0.0  # zeros stay zeros, not nodata
    pyramid, levels, seen = _assemble(width, height, bands, (block_rows, block_cols), values)
    # levels halve the grid until one fits in a tile (GDAL's COG rule), the last included
    top = next(k for k in range(12) if max(-(-height // 2**k), -(-width // 2**k)) <= TILE)
    assert pyramid.shapes == [(-(-height // 2**k), -(-width // 2**k)) for k in range(top + 1)]
    for level, shape in enumerate(pyramid.shapes):  # each tile once, none left out
        rows, cols = -(-shape[0] // TILE), -(-shape[1] // TILE)
        assert {k: v for k, v in seen.items() if k[0] == level} == {
            (level, ty, tx): 1 for ty in range(rows) for tx in range(cols)
        }
    np.testing.assert_array_equal(levels[0], values)  # the cells themselves, NaN kept
    for level in range(1, len(pyramid.shapes)):
        expected = _level_reference(values, 2**level)
        np.testing.assert_array_equal(np.isnan(levels[level]), np.isnan(expected))
        np.testing.assert_allclose(levels[level], expected, rtol=1e-12, equal_nan=True)


def _write_file(path, values, blocks, **options):
    bands, height, width = values.shape
    grid = GridSpec("EPSG:32633", Affine(100.0, 0, 500000, 0, -100.0, 4_000_000), width, height)
    writer = CellGridWriter(path, grid, [f"h{b}" for b in range(bands)], **options)
    for r in range(0, height, blocks[0]):
        for c in range(0, width, blocks[1]):
            for b in range(bands):
                part = values[b, r : r + blocks[0], c : c + blocks[1]]
                writer.write(b, Window(c, r, part.shape[1], part.shape[0]), part.copy())
    writer.close()
    return grid


def _directories_of(data: bytes):
    """Every IFD of a little-endian TIFF or BigTIFF: (offset, {tag: values})."""
    big = struct.unpack_from("<H", data, 2)[0] == 43
    at = struct.unpack_from("<Q" if big else "<I", data, 8 if big else 4)[0]
    sizes = {3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
    directories = []
    while at:
        n = struct.unpack_from("<Q" if big else "<H", data, at)[0]
        tags = {}
        for k in range(n):
            entry = at + (8 + 20 * k if big else 2 + 12 * k)
            tag, kind = struct.unpack_from("<HH", data, entry)
            count = struct.unpack_from("<Q" if big else "<I", data, entry + 4)[0]
            if kind in sizes:
                code, size = sizes[kind]
                where = entry + (12 if big else 8)
                if count * size > (8 if big else 4):
                    where = struct.unpack_from("<Q" if big else "<I", data, where)[0]
                tags[tag] = struct.unpack_from(f"<{count}{code}", data, where)
        directories.append((at, tags))
        at = struct.unpack_from(
            "<Q" if big else "<I", data, at + (8 + 20 * n if big else 2 + 12 * n)
        )[0]
    return big, directories


@pytest.mark.parametrize("bigtiff", [False, True])
def test_the_file_is_a_cog_gdal_reads_with_every_band_and_level(tmp_path, monkeypatch, bigtiff):
    import mecc.cog_tiles

    if bigtiff:  # the layout a file past 4 GiB gets, on a small one
        real = mecc.cog_tiles.write_cog
        monkeypatch.setattr("mecc.cell_grid.write_cog", lambda *a, **k: real(*a, **k, bigtiff=True))
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 10, (3, 700, 1100))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:, 300:, 600:] = 0.0
    values[:, :256, :256] = np.nan  # a tile of unknown cells in every band: left out
    path = tmp_path / "cells.tif"
    _write_file(
        path,
        values,
        (100, 300),  # blocks that line up with no tile
        tags={"units": "people per year"},
        band_units=["people per year", "people", ""],
        band_tags=[{"hazard_id": "h0"}, {"hazard_id": "h1"}, {"hazard_id": "h2"}],
        not_applicable=[2],
    )
    values[2] = np.nan  # a band that does not apply is NaN whatever is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells.tif"]  # no spill left
    with rasterio.open(path) as src:
        assert src.tags(ns="IMAGE_STRUCTURE") == {
            "LAYOUT": "COG",
            "COMPRESSION": "ZSTD",
            "INTERLEAVE": "PIXEL",
        }
        assert src.crs == rasterio.crs.CRS.from_epsg(32633)
        assert src.transform == Affine(100.0, 0, 500000, 0, -100.0, 4_000_000)
        assert np.isnan(src.nodata) and src.block_shapes == [(TILE, TILE)] * 3
        assert src.descriptions == ("h0", "h1", "h2")
        assert src.units[:2] == ("people per year", "people") and not src.units[2]
        assert src.tags()["units"] == "people per year" and src.tags(2)["hazard_id"] == "h1"
        assert src.overviews(1) == [2, 4, 8]
        np.testing.assert_array_equal(src.read(), values)
        for factor in (2, 4, 8):
            shape = (3, -(-700 // factor), -(-1100 // factor))
            expected = _level_reference(values, factor)
            level = src.read(out_shape=shape)
            np.testing.assert_array_equal(np.isnan(level), np.isnan(expected))
            np.testing.assert_allclose(level, expected, rtol=1e-12, equal_nan=True)
    data = path.read_bytes()
    big, directories = _directories_of(data)
    assert big == bigtiff and b"LAYOUT=IFDS_BEFORE_DATA" in data[:200]
    assert [tags.get(254, (0,))[0] for _, tags in directories] == [0, 1, 1, 1]
    first_tile = min(o for _, tags in directories for o in tags[324] if o)
    assert max(at for at, _ in directories) < first_tile  # every IFD before any tile
    starts = []
    for level, (_, tags) in enumerate(directories):
        offsets, sizes = tags[324], tags[325]
        # the full image's tile of unknown cells is left out; every other tile is there
        assert [k for k, o in enumerate(offsets) if not o] == ([0] if level == 0 else [])
        assert all(bool(o) == bool(n) for o, n in zip(offsets, sizes, strict=True))
        placed = [(o, n) for o, n in zip(offsets, sizes, strict=True) if o]
        assert placed == sorted(placed)  # row by row
        for o, n in placed:  # its size before it, its last 4 bytes again after it
            assert struct.unpack_from("<I", data, o - 4)[0] == n
            assert data[o + n : o + n + 4] == data[o + n - 4 : o + n]
        starts.append(placed[0][0])
    assert starts == sorted(starts, reverse=True)  # the smallest level's tiles first
    full = directories[0][1]
    assert max(o + n + 4 for o, n in zip(full[324], full[325], strict=True)) == len(data)


def test_a_grid_of_one_tile_has_no_overviews(tmp_path):
    values = np.arange(12.0).reshape(1, 3, 4)
    _write_file(tmp_path / "one.tif", values, (2, 3))
    with rasterio.open(tmp_path / "one.tif") as src:
        assert src.overviews(1) == [] and src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        np.testing.assert_array_equal(src.read(1), values[0])


def test_a_failed_run_leaves_no_spill_file(tmp_path):
    grid = GridSpec("EPSG:4326", Affine(0.01, 0, 0, 0, -0.01, 0), 600, 600)
    writer = CellGridWriter(tmp_path / "cells.tif", grid, ["a"])
    writer.write(0, Window(0, 0, 600, 256), np.ones((256, 600)))
    assert (tmp_path / "cells.tiles").stat().st_size > 0
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_cells_never_written_are_unknown(tmp_path):
    """A writer closed before every block came: its cells are NaN (nodata) at every
    level, the written ones kept, and each overview averages the written cells only."""
    values = np.full((1, 600, 700), np.nan)
    values[0, 100:400, 50:650] = np.arange(300 * 600, dtype=np.float64).reshape(300, 600)
    grid = GridSpec("EPSG:4326", Affine(0.01, 0, 0, 0, -0.01, 0), 700, 600)
    writer = CellGridWriter(tmp_path / "part.tif", grid, ["a"])
    writer.write(0, Window(50, 100, 600, 300), values[0, 100:400, 50:650].copy())
    writer.close()
    with rasterio.open(tmp_path / "part.tif") as src:
        np.testing.assert_array_equal(src.read(), values)
        assert src.overviews(1) == [2, 4]
        for factor in (2, 4):
            level = src.read(out_shape=(1, -(-600 // factor), -(-700 // factor)))
            expected = _level_reference(values, factor)
            np.testing.assert_array_equal(np.isnan(level), np.isnan(expected))
            np.testing.assert_allclose(level, expected, rtol=1e-12, equal_nan=True)
