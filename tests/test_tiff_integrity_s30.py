"""Damaged and unusual GeoTIFFs (a probe's findings): a file cut short is refused in
one line before GDAL reads what is left of it; an uncompressed file's Predictor tag is
ignored, as libtiff ignores it; a read GDAL fails names GDAL's reason."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from mecc.errors import InputFileError
from mecc.raster_file import RasterFile
from tests.test_tiff_blocks import _write


def _set_predictor(path, predictor: int) -> None:
    """Turn the (classic TIFF) first directory's PlanarConfiguration entry into a
    Predictor entry: the tags stay in ascending order, the planar default holds."""
    data = bytearray(path.read_bytes())
    first = struct.unpack_from("<I", data, 4)[0]
    for k in range(struct.unpack_from("<H", data, first)[0]):
        entry = first + 2 + 12 * k
        if struct.unpack_from("<H", data, entry)[0] == 284:
            struct.pack_into("<HHIH", data, entry, 317, 3, 1, predictor)
            path.write_bytes(bytes(data))
            return
    raise AssertionError("no PlanarConfiguration entry")


def test_an_uncompressed_files_predictor_tag_is_ignored_as_gdal_does(tmp_path, monkeypatch):
    values = np.full((1, 30, 40), 1.2, np.float32)
    values[0, :, :5] = 0.0
    path = _write(tmp_path / "depth.tif", values)  # no compression
    _set_predictor(path, 3)
    with rasterio.open(path) as dataset:  # GDAL reads the samples as stored
        np.testing.assert_array_equal(dataset.read(), values)
    own = RasterFile(path)
    assert own.blocks is not None  # decoded by mecc
    read = own.read([1], Window(0, 0, 40, 30))
    np.testing.assert_array_equal(read, values.astype(np.float64))
    monkeypatch.setenv("MECC_GDAL_DECODING", "1")
    np.testing.assert_array_equal(RasterFile(path).read([1], Window(0, 0, 40, 30)), read)


def test_a_file_whose_metadata_was_cut_off_is_refused(tmp_path):
    """40 cm stored as int16 with scale 0.01: the last 100 bytes (GDAL's metadata tag,
    holding the scale) cut off. GDAL opened it as 40 m of water, without a word."""
    path = tmp_path / "depth.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=80, height=60, count=1, dtype="int16",
        crs="EPSG:4326", transform=rasterio.Affine(0.01, 0, 150, 0, -0.01, -30), nodata=-9999,
    ) as dataset:  # fmt: skip
        dataset.write(np.full((1, 60, 80), 40, np.int16))
        dataset.scales = [0.01]
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:-100])
    with rasterio.open(path) as dataset:  # what GDAL makes of it: no scale at all
        assert dataset.scales == (1.0,)
    with pytest.raises(InputFileError) as caught:
        RasterFile(path, label="hazards[0] (depth.tif)")
    assert str(caught.value) == (
        f"hazards[0] (depth.tif): the file is cut short: it has {size - 100:,} bytes, but its "
        f"tag 42112 reaches byte {size:,} (a download or copy that stopped early? copy it "
        "again)"
    )


def test_a_file_cut_inside_its_header_is_cut_short_not_without_crs(tmp_path):
    path = _write(tmp_path / "depth.tif", np.full((1, 60, 80), 1.2, np.float32))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputFileError) as caught:
        RasterFile(path, label="hazards[0] (depth.tif)")
    message = str(caught.value)
    assert message.startswith("hazards[0] (depth.tif): the file is cut short: it has 300 bytes")
    assert "CRS" not in message


def test_a_file_whose_last_block_was_cut_off_is_refused_on_opening(tmp_path):
    path = _write(
        tmp_path / "people.tif", np.ones((1, 64, 64), np.float32), compress="deflate",
        tiled=True, blockxsize=32, blockysize=32,
    )  # fmt: skip
    with rasterio.open(path) as dataset:
        start = int(dataset.get_tag_item("BLOCK_OFFSET_1_1", "TIFF", bidx=1))
        length = int(dataset.get_tag_item("BLOCK_SIZE_1_1", "TIFF", bidx=1))
    assert start + length == path.stat().st_size  # GDAL writes the directory first
    path.write_bytes(path.read_bytes()[: start + 3])
    with pytest.raises(InputFileError) as caught:
        RasterFile(path, label="population (people.tif)")
    assert f"but its block 3 (of 4) reaches byte {start + length:,}" in str(caught.value)


def test_a_read_gdal_fails_names_gdals_reason(tmp_path):
    """An LZW file (read through GDAL) with a strip zeroed: the line gave rasterio's
    "Read failed. See previous exception for details." and dropped the reason."""
    path = _write(
        tmp_path / "depth.tif", np.full((1, 60, 80), 1.2, np.float32), compress="lzw",
        blockysize=8,
    )  # fmt: skip
    with rasterio.open(path) as dataset:
        start = int(dataset.get_tag_item("BLOCK_OFFSET_0_2", "TIFF", bidx=1))
        length = int(dataset.get_tag_item("BLOCK_SIZE_0_2", "TIFF", bidx=1))
    data = bytearray(path.read_bytes())
    data[start : start + length] = bytes(length)
    path.write_bytes(bytes(data))
    source = RasterFile(path, label="hazards[0] (depth.tif)")
    assert source.blocks is None  # LZW: GDAL decodes
    with pytest.raises(InputFileError) as caught:
        source.read([1], Window(0, 0, 80, 60))
    message = str(caught.value)
    assert message.startswith("hazards[0] (depth.tif): cannot read raster data (")
    assert "previous exception" not in message
    assert "IReadBlock failed at X offset 0, Y offset 2" in message
    assert "\n" not in message
