"""GeoTIFF blocks decoded without GDAL (mecc.tiff_blocks) give GDAL's own bits.

Every file here is a real GeoTIFF written by GDAL (through rasterio) and read back two
ways: by :class:`mecc.raster_file.RasterFile`, which decodes the blocks itself for the
layouts it knows, and by rasterio. The two must agree bit for bit on every window.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from mecc.errors import InputFileError
from mecc.grid import EXTREME_VALUE
from mecc.raster_file import RasterFile

SETTINGS = settings(
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

FLOATS = ("float32", "float64")
INTEGERS = ("uint8", "int8", "uint16", "int16", "uint32", "int32")


def _write(path, values, **options):
    count, height, width = values.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": values.dtype,
        "crs": "EPSG:4326",
        "transform": Affine(0.01, 0.0, 10.0, 0.0, -0.01, 5.0),
        **options,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(values)
    return path


def _values(seed, dtype, shape):
    """Smooth fields with noise, NaN and extremes, as hazard and population grids hold."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        info = np.finfo(dtype)
        values = rng.normal(0, 50, shape).cumsum(axis=-1).astype(dtype)
        special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.max, info.tiny], dtype)
    else:
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
        special = np.array([info.min, info.max, 0], dtype)
    spots = rng.random(shape) < 0.1
    values[spots] = rng.choice(special, int(spots.sum()))
    return values


@st.composite
def layouts(draw):
    dtype = draw(st.sampled_from(FLOATS + INTEGERS))
    predictors = (1, 2, 3) if dtype in FLOATS else (1, 2)
    options = {
        "compress": draw(st.sampled_from(("deflate", "zstd", "none"))),
        "predictor": draw(st.sampled_from(predictors)),
    }
    count = draw(st.integers(1, 3))
    if count > 1:
        options["interleave"] = "band"
    if draw(st.booleans()):
        options.update(
            tiled=True,
            blockxsize=draw(st.sampled_from((16, 32, 64))),
            blockysize=draw(st.sampled_from((16, 32, 64))),
        )
    else:
        options["blockysize"] = draw(st.integers(1, 40))  # rows per strip
    shape = (count, draw(st.integers(1, 90)), draw(st.integers(1, 90)))
    return dtype, options, _values(draw(st.integers(0, 2**32 - 1)), dtype, shape)


@st.composite
def windows(draw, height, width):
    row, col = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
    return Window(col, row, draw(st.integers(1, width - col)), draw(st.integers(1, height - row)))


def _same_bits(a, b):
    """Equal as stored: NaN payloads and signed zeros included."""
    assert a.dtype == b.dtype and a.shape == b.shape
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    np.testing.assert_array_equal(a.view(unsigned), b.view(unsigned))


@SETTINGS
@given(layout=layouts(), data=st.data())
def test_decoded_blocks_are_gdals_bits(tmp_path_factory, layout, data):
    dtype, options, values = layout
    path = _write(tmp_path_factory.mktemp("tif") / "grid.tif", values, **options)
    source = RasterFile(path)
    assert source.blocks is not None, options  # decoded by mecc, not GDAL
    count, height, width = values.shape
    bands = data.draw(st.lists(st.integers(1, count), min_size=1, max_size=count, unique=True))
    with rasterio.open(path) as dataset:
        for _ in range(3):
            window = data.draw(windows(height, width))
            raw = source.blocks.read(bands, window)
            _same_bits(raw, dataset.read(bands, window=window))
            _same_bits(raw, values[[b - 1 for b in bands]][(slice(None), *window.toslices())])
            # the float64 the engine reads: NaN where missing, as with GDAL's decoding
            fast = source.read(bands, window)
            source_gdal = RasterFile(path)
            source_gdal.blocks = None
            np.testing.assert_array_equal(fast, source_gdal.read(bands, window))


@pytest.mark.parametrize(
    "options",
    [
        {"compress": "lzw", "tiled": True, "blockxsize": 16, "blockysize": 16},
        {"compress": "deflate", "interleave": "pixel"},  # three bands, pixel-interleaved
        {"compress": "zstd", "tiled": True, "blockxsize": 16, "blockysize": 16,
         "sparse_ok": True, "interleave": "band"},  # blocks never written
        {"compress": "deflate", "endianness": "big"},
        {"compress": "deflate", "nbits": 12, "interleave": "band"},
    ],
    ids=["lzw", "pixel-interleaved", "sparse", "big-endian", "12-bit"],
)  # fmt: skip
def test_other_layouts_are_left_to_gdal_and_read_the_same(tmp_path, options):
    dtype = "uint16" if "nbits" in options else "float32"
    values = _values(5, dtype, (3, 40, 50))
    values = np.clip(values, 0, 4095) if "nbits" in options else values
    if options.get("sparse_ok"):
        values[:, :32, :32] = 0  # four whole blocks of zeros: GDAL leaves them unwritten
    path = _write(tmp_path / "grid.tif", values, **options)
    source = RasterFile(path)
    assert source.blocks is None
    with rasterio.open(path) as dataset:
        window = Window(3, 5, 40, 30)
        expected = dataset.read([1, 2, 3], window=window).astype(np.float64)
    expected[~np.isfinite(expected) | (np.abs(expected) >= EXTREME_VALUE)] = np.nan
    np.testing.assert_array_equal(source.read([1, 2, 3], window), expected)


def test_the_bench_layout_is_decoded_by_mecc(tmp_path):
    """Float32, 256 x 256 tiles, DEFLATE and ZSTD with the floating-point predictor: the
    layout of the benchmark country and of most published hazard grids."""
    values = _values(7, "float32", (1, 300, 520))
    for codec in ("deflate", "zstd"):
        path = _write(
            tmp_path / f"{codec}.tif", values, compress=codec, predictor=3, tiled=True,
            blockxsize=256, blockysize=256, nodata=-9999.0,
        )  # fmt: skip
        source = RasterFile(path)
        assert source.blocks is not None
        assert (source.blocks.codec, source.blocks.predictor) == (
            {"deflate": 8}.get(codec, 50000),
            3,
        )
        _same_bits(source.blocks.read([1], Window(0, 0, 520, 300)), values)


def test_gdal_decodes_every_file_when_asked(tmp_path, monkeypatch):
    values = _values(8, "float32", (1, 20, 30))
    path = _write(tmp_path / "grid.tif", values, compress="zstd", predictor=3)
    assert RasterFile(path).blocks is not None
    monkeypatch.setenv("MECC_GDAL_DECODING", "1")
    source = RasterFile(path)
    assert source.blocks is None
    expected = values.astype(np.float64)
    expected[~np.isfinite(expected) | (np.abs(expected) >= EXTREME_VALUE)] = np.nan
    np.testing.assert_array_equal(source.read([1], Window(0, 0, 30, 20)), expected)


def test_a_damaged_block_is_one_line_naming_the_input(tmp_path):
    values = _values(3, "float32", (1, 64, 64))
    path = _write(
        tmp_path / "depth.tif", values, compress="deflate", predictor=3, tiled=True,
        blockxsize=32, blockysize=32,
    )  # fmt: skip
    source = RasterFile(path, label="hazards[0].intensity (depth.tif)")
    assert source.blocks is not None
    offset, size = int(source.blocks.offsets[0, 1, 0]), int(source.blocks.sizes[0, 1, 0])
    data = bytearray(path.read_bytes())
    data[offset : offset + size] = b"\xff" * size  # block (0, 1) overwritten
    path.write_bytes(bytes(data))
    assert source.read([1], Window(0, 0, 32, 32)).shape == (1, 32, 32)  # block (0, 0) intact
    with pytest.raises(InputFileError) as caught:
        source.read([1], Window(0, 0, 64, 64))
    message = str(caught.value)
    assert message.startswith(
        "hazards[0].intensity (depth.tif): cannot read raster data (block 0,1 of band 1 "
        "does not decompress ("
    )
    assert message.endswith("): a damaged file?)")
    assert message.count("depth.tif") == 1 and "\n" not in message


def test_a_truncated_file_is_one_line_naming_the_input(tmp_path):
    values = _values(4, "float64", (1, 64, 64))
    path = _write(tmp_path / "people.tif", values, compress="zstd", predictor=3)
    source = RasterFile(path, label="population (people.tif)")
    assert source.blocks is not None
    last = int(source.blocks.offsets.max())
    path.write_bytes(path.read_bytes()[: last + 3])
    with pytest.raises(InputFileError) as caught:
        source.read([1], Window(0, 0, 64, 64))
    message = str(caught.value)
    assert message.startswith("population (people.tif): cannot read raster data (block 0,")
    assert message.count("people.tif") == 1 and "\n" not in message


def test_the_reader_travels_to_dask_workers(tmp_path):
    """Pickled (as Dask sends it), the reader opens the file again and reads the same."""
    import pickle

    values = _values(9, "float32", (2, 50, 70))
    path = _write(
        tmp_path / "two.tif", values, compress="zstd", predictor=3, tiled=True,
        blockxsize=32, blockysize=32, interleave="band",
    )  # fmt: skip
    source = RasterFile(path)
    source.read([1], Window(0, 0, 10, 10))  # a handle opened on this thread
    copy = pickle.loads(pickle.dumps(source))
    assert copy.blocks is not None
    window = Window(5, 7, 60, 40)
    np.testing.assert_array_equal(copy.read([2, 1], window), source.read([2, 1], window))
