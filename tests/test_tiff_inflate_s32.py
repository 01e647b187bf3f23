"""DEFLATE blocks inflated by libdeflate into a buffer of each thread (mecc.tiff_blocks).

Files are real GeoTIFFs written by GDAL; what mecc decodes is compared with rasterio's
reading of the same file.
"""

from __future__ import annotations

import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from mecc.errors import InputFileError
from mecc.raster_file import RasterFile
from mecc.tiff_blocks import first_directory_entries
from tests.test_tiff_blocks import _write


def _replace_block(path, reader, j, i, stored: bytes) -> None:
    """Put ``stored`` as block (j, i) of band 1: appended to the file, and its entries of
    TileOffsets and TileByteCounts (classic TIFF: SHORT or LONG, as GDAL chose) pointed
    at it."""
    with open(path, "rb") as file:
        entries = first_directory_entries(file)
    data = bytearray(path.read_bytes())
    entry = j * reader.offsets.shape[2] + i
    for tag, values, new in ((324, reader.offsets, len(data)), (325, reader.sizes, len(stored))):
        code = {3: "H", 4: "I"}[entries[tag][0]]
        at = data.find(struct.pack(f"<{values[0].size}{code}", *values[0].ravel()))
        assert at > 0
        size = struct.calcsize(code)
        data[at + size * entry : at + size * (entry + 1)] = struct.pack(f"<{code}", new)
    path.write_bytes(bytes(data + stored))


def _tiled(tmp_path, seed=1, shape=(1, 48, 48), **options):
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 3, shape).cumsum(axis=-1).astype("float32")
    options = {"compress": "deflate", "tiled": True, "blockxsize": 16, "blockysize": 16}
    return values, _write(tmp_path / "depth.tif", values, **options)


def test_a_stream_longer_than_its_block_gives_the_blocks_bytes(tmp_path):
    """A writer that pads its blocks: the first bytes are the block, as libtiff reads."""
    values, path = _tiled(tmp_path)
    reader = RasterFile(path).blocks
    assert reader is not None and reader.predictor == 1
    block = np.ascontiguousarray(values[0, 16:32, 32:48]).tobytes()
    stored = zlib.compress(block + b"\x07" * 999)
    _replace_block(path, reader, 1, 2, stored)
    source = RasterFile(path)
    assert source.blocks is not None and int(source.blocks.sizes[0, 1, 2]) == len(stored)
    read = source.blocks.read([1], Window(0, 0, 48, 48))
    np.testing.assert_array_equal(read, values)
    with rasterio.open(path) as dataset:
        np.testing.assert_array_equal(dataset.read(), values)


def test_a_stream_cut_short_is_one_line_naming_the_input(tmp_path):
    values, path = _tiled(tmp_path, seed=2)
    reader = RasterFile(path).blocks
    block = np.ascontiguousarray(values[0, :16, 16:32]).tobytes()
    _replace_block(path, reader, 0, 1, zlib.compress(block)[:-40])
    source = RasterFile(path, label="hazards[0].intensity (depth.tif)")
    np.testing.assert_array_equal(
        source.blocks.read([1], Window(0, 0, 16, 16)), values[:, :16, :16]
    )
    with pytest.raises(InputFileError) as caught:
        source.read([1], Window(0, 0, 48, 16))
    message = str(caught.value)
    assert message.startswith(
        "hazards[0].intensity (depth.tif): cannot read raster data (block 1,0 of band 1 "
    )
    assert "\n" not in message and message.endswith("a damaged file?)")


def test_threads_reading_at_once_each_keep_their_own_blocks(tmp_path):
    """Every thread inflates into its own buffer: many windows read at once on four
    threads, from two files of different block sizes, give rasterio's values."""
    rng = np.random.default_rng(3)
    files = []
    for k, (size, dtype) in enumerate([(16, "float32"), (32, "float64")]):
        values = rng.normal(0, 5, (1, 100, 130)).cumsum(axis=-1).astype(dtype)
        options = {"compress": "deflate", "predictor": 3, "tiled": True}
        options |= {"blockxsize": size, "blockysize": size}
        files.append((values, RasterFile(_write(tmp_path / f"g{k}.tif", values, **options))))
    assert all(source.blocks is not None for _, source in files)
    windows = [
        (k % 2, Window(int(c), int(r), int(w), int(h)))
        for k, (r, c, h, w) in enumerate(rng.integers([0, 0, 1, 1], [90, 120, 11, 11], (400, 4)))
    ]

    def read(job):
        k, window = job
        return files[k][1].blocks.read([1], window)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(read, windows))
    for (k, window), got in zip(windows, results, strict=True):
        np.testing.assert_array_equal(got, files[k][0][(slice(None), *window.toslices())])
