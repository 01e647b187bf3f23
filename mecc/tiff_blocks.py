"""GeoTIFF blocks read and decoded without GDAL, for the common layouts.

Most hazard and population grids are tiled or striped GeoTIFFs compressed with DEFLATE
or ZSTD, often with a predictor. For those, :class:`BlockReader` reads a window's
blocks from the file, decompresses them (libdeflate through imagecodecs, into a buffer
kept per thread; Zstandard) and undoes the predictor in a Numba kernel
(:mod:`mecc.tiff_kernels`): on the bench country 1.0-1.1 s, masked and cast to
float64, where GDAL takes 2.5 s for the raw bits (bench/README.md), without GDAL's
block cache, on every thread at once (the decompressors and kernels release the GIL).

:func:`block_reader` returns None for any other layout, and :class:`~mecc.raster_file.
RasterFile` reads those through GDAL as before: another compression (LZW, JPEG, LERC),
a big-endian file, pixel-interleaved bands, bit depths other than 8, 16, 32 or 64,
sparse files (blocks never written), or a first image that GDAL does not present as
the dataset's bands. The layout is read from the TIFF's first image file directory
(TIFF 6.0 specification, section 2; BigTIFF) and checked against what GDAL reports.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import zlib

import numpy as np

from mecc import kernels
from mecc.errors import InputFileError

__all__ = [
    "TYPE_SIZES",
    "BlockReader",
    "block_reader",
    "check_complete",
    "first_directory_entries",
]

# TIFF tags (TIFF 6.0; TileWidth etc. from section 15)
_WIDTH, _LENGTH, _BITS, _COMPRESSION = 256, 257, 258, 259
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_BYTES = 273, 277, 278, 279
_PLANAR, _PREDICTOR = 284, 317
_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_BYTES = 322, 323, 324, 325
_SAMPLE_FORMAT = 339

_NONE, _DEFLATE, _ADOBE_DEFLATE, _ZSTD = 1, 8, 32946, 50000
# (TIFF type code) -> (struct code, size)
_TYPES = {1: ("B", 1), 3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
# (SampleFormat, bits) -> dtype
_DTYPES = {
    (1, 8): "uint8", (1, 16): "uint16", (1, 32): "uint32", (1, 64): "uint64",
    (2, 8): "int8", (2, 16): "int16", (2, 32): "int32", (2, 64): "int64",
    (3, 32): "float32", (3, 64): "float64",
}  # fmt: skip


def block_reader(path, dataset, label: str) -> BlockReader | None:
    """A :class:`BlockReader` for the GeoTIFF at ``path``, or None when its layout is
    not one it decodes (then GDAL reads it). ``dataset`` is the file opened with
    rasterio, whose size, bands and data type the layout must match; ``label`` names
    the input in errors."""
    if (
        sys.byteorder != "little"
        or dataset.driver != "GTiff"
        or os.environ.get("MECC_GDAL_DECODING", "0").lower() not in {"0", "", "false", "no", "off"}
    ):
        return None  # MECC_GDAL_DECODING=1: every file through GDAL, to compare or work around
    try:
        with open(path, "rb") as file:
            tags = _first_directory(file)
    except (OSError, ValueError, struct.error):
        return None
    if tags is None:
        return None
    layout = _layout(tags, dataset)
    if layout is None or not _codec_available(layout["codec"]):
        return None
    return BlockReader(path, label=label, **layout)


class BlockReader:
    """Reads windows of a GeoTIFF's bands by decoding its blocks (see the module).

    Built by :func:`block_reader`. :meth:`read` has the signature of rasterio's
    ``DatasetReader.read`` as :class:`~mecc.raster_file.RasterFile` calls it.
    """

    def __init__(
        self, path, *, label, dtype, block_shape, offsets, sizes, codec, predictor, tiled, height
    ):
        self.path = path
        self.label = label
        self.dtype = np.dtype(dtype)
        self.block_shape = block_shape
        self.offsets = offsets  # (bands, block rows, block columns)
        self.sizes = sizes
        self.codec = codec
        self.predictor = predictor
        self.tiled = tiled
        self.height = height
        self._local = threading.local()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def read(self, bands, window, out=None) -> np.ndarray:
        """``window`` of 1-based ``bands`` as (bands, h, w) of the file's dtype, written
        into ``out`` when given."""
        row0, col0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        if out is None:
            out = np.empty((len(bands), height, width), dtype=self.dtype)
        block_rows, block_cols = self.block_shape
        for k, band in enumerate(bands):
            target = out[k]
            for j in range(row0 // block_rows, (row0 + height - 1) // block_rows + 1):
                top = j * block_rows  # the block's rows within the window, from its top
                rows = (max(row0, top) - top, min(row0 + height, top + block_rows) - top)
                for i in range(col0 // block_cols, (col0 + width - 1) // block_cols + 1):
                    left = i * block_cols
                    cols = (max(col0, left) - left, min(col0 + width, left + block_cols) - left)
                    block = self._block(band - 1, j, i)
                    self._place(
                        block, rows, cols, target, top + rows[0] - row0, left + cols[0] - col0
                    )
        return out

    def _handle(self) -> _Handle:
        handle = getattr(self._local, "handle", None)
        if handle is None:
            handle = self._local.handle = _Handle(self.path)
        return handle

    def _block(self, band: int, j: int, i: int) -> np.ndarray:
        """Block (j, i) of ``band`` (0-based), decompressed, as bytes."""
        block_rows, block_cols = self.block_shape
        if not self.tiled:  # the last strip holds only the image's remaining rows
            block_rows = min(block_rows, self.height - j * block_rows)
        expected = block_rows * block_cols * self.dtype.itemsize
        stored = self._handle().read(int(self.offsets[band, j, i]), int(self.sizes[band, j, i]))
        try:
            data = self._decompress(stored, expected)
        except Exception as error:  # the codecs raise their own error types
            failed = f"does not decompress ({error})"
        else:
            failed = None if len(data) >= expected else f"holds {len(data)} bytes, not {expected}"
        if failed:  # raised outside the handler (Dask sends errors back pickled)
            raise InputFileError(
                f"{self.label}: cannot read raster data (block {i},{j} of band {band + 1} "
                f"{failed}: a damaged file?)"
            )
        return np.frombuffer(data, dtype=np.uint8, count=expected).reshape(block_rows, -1)

    def _decompress(self, stored: bytes, expected: int):
        if self.codec == _NONE:
            return stored
        if self.codec == _ZSTD:
            decompressor = getattr(self._local, "zstd", None)
            if decompressor is None:
                import zstandard

                decompressor = self._local.zstd = zstandard.ZstdDecompressor()
            return decompressor.decompress(stored, max_output_size=expected)
        return self._inflate(stored, expected)

    def _inflate(self, stored: bytes, expected: int):
        """A DEFLATE (zlib) block into this thread's buffer, by libdeflate (imagecodecs;
        2.5 times ISA-L's inflate on the bench country's blocks, and no new buffer per
        block). A stream longer than the block (a padding writer) gives its first
        ``expected`` bytes, as libtiff reads it; a damaged one zlib's own error."""
        from imagecodecs import DeflateError, deflate_decode

        buffer = getattr(self._local, "inflated", None)
        if buffer is None or buffer.size < expected:
            buffer = self._local.inflated = np.empty(expected, dtype=np.uint8)
        try:
            return deflate_decode(stored, out=buffer[:expected])
        except DeflateError:  # longer than the block, or damaged: zlib says which
            return zlib.decompressobj().decompress(stored, expected)

    def _place(self, block, rows, cols, target, out_row: int, out_col: int) -> None:
        """Undo the block's predictor and copy its ``rows`` x ``cols`` into ``target``."""
        n_rows, n_cols = rows[1] - rows[0], cols[1] - cols[0]
        unsigned = np.dtype(f"u{self.dtype.itemsize}")
        if self.predictor == 3 and (n_rows, n_cols) == (block.shape[0], self.block_shape[1]):
            # a whole block in the window: its samples go straight into place
            kernels.unpredict_floating_point_into(
                block.reshape(-1), target.view(unsigned), out_row, out_col, n_cols
            )
            return
        if self.predictor == 3:
            samples = self._scratch(block.shape[0], unsigned)
            kernels.unpredict_floating_point(block.reshape(-1), samples)
        elif self.predictor == 2:
            samples = self._scratch(block.shape[0], unsigned)
            samples[...] = block.view(unsigned)
            kernels.unpredict_horizontal(samples)
        else:
            samples = block.view(unsigned)
        target.view(unsigned)[out_row : out_row + n_rows, out_col : out_col + n_cols] = samples[
            rows[0] : rows[1], cols[0] : cols[1]
        ]

    def _scratch(self, rows: int, dtype) -> np.ndarray:
        """A block-sized array of ``dtype`` kept per thread."""
        shape = (rows, self.block_shape[1])
        scratch = getattr(self._local, "scratch", None)
        if scratch is None or scratch.dtype != dtype or scratch.size < rows * shape[1]:
            scratch = self._local.scratch = np.empty(self.block_shape[0] * shape[1], dtype)
        return scratch[: rows * shape[1]].reshape(shape)


class _Handle:
    """A file descriptor of one thread, closed when the thread's reader state goes."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))

    def read(self, offset: int, size: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self.fd, size, offset)
        os.lseek(self.fd, offset, os.SEEK_SET)  # (Windows) one descriptor per thread
        return os.read(self.fd, size)

    def __del__(self):
        if getattr(self, "fd", None) is not None:  # (None: the file could not be opened)
            os.close(self.fd)


def _codec_available(codec: int) -> bool:
    try:
        if codec == _ZSTD:
            import zstandard  # noqa: F401
        elif codec == _DEFLATE:
            from imagecodecs import DEFLATE

            return bool(DEFLATE.available)  # built with libdeflate
    except ImportError:  # installed without them: GDAL decodes
        return False
    return True


TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
TYPE_SIZES |= {13: 4, 16: 8, 17: 8, 18: 8}
"""Bytes of one value of each TIFF field type (TIFF 6.0 section 2; IFD, and BigTIFF's
LONG8, SLONG8 and IFD8)."""


def check_complete(path, label: str) -> None:
    """Refuse a TIFF cut short: its first directory, a tag's values or a block lying
    past the end of the file (a download or copy that stopped early).

    GDAL opens such a file and ignores what is missing: a tag of GDAL's metadata (a
    band's scale) or the georeferencing cut off reads as if never written (40 cm as
    40 m; "no CRS"). Other files (not TIFF, not on disk) pass unchecked.

    Raises
    ------
    mecc.errors.InputFileError
        ``LABEL: the file is cut short ...`` naming its size and what lies past it.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            end, what = _directory_end(file)
    except (OSError, ValueError):
        return  # not a file on disk, or not a TIFF: GDAL says what it makes of it
    if end > size:
        raise InputFileError(
            f"{label}: the file is cut short: it has {size:,} bytes, but its {what} reaches "
            f"byte {end:,} (a download or copy that stopped early? copy it again)"
        )


def _directory_end(file) -> tuple[int, str]:
    """The furthest byte the first image file directory points to, and what lies there
    (``ValueError`` for a file that is not a TIFF)."""
    header = file.read(16)
    if header[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        raise ValueError("not a TIFF")
    order = "<" if header[:2] == b"II" else ">"
    big = header[2:4] in (b"+\x00", b"\x00+")
    if len(header) < (16 if big else 8):
        return 16 if big else 8, "header"
    first = struct.unpack_from(f"{order}{'Q' if big else 'I'}", header, 8 if big else 4)[0]
    count_code, entry_size, inline = ("Q", 20, 8) if big else ("H", 12, 4)
    count_size = struct.calcsize(count_code)
    file.seek(first)
    raw = file.read(count_size)
    if len(raw) < count_size:
        return first + count_size, "first image directory"
    (count,) = struct.unpack(f"{order}{count_code}", raw)
    entries = file.read(count * entry_size)
    if len(entries) < count * entry_size:
        return first + count_size + count * entry_size, "first image directory"
    end, what = 0, "first image directory"
    extents = {}
    for k in range(count):
        tag, kind, n = struct.unpack_from(
            f"{order}HH{'Q' if big else 'I'}", entries, k * entry_size
        )
        value = entries[k * entry_size + entry_size - inline : (k + 1) * entry_size]
        length = n * TYPE_SIZES.get(kind, 1)
        if length > inline:
            start = struct.unpack(f"{order}{'Q' if big else 'I'}", value)[0]
            if start + length > end:
                end, what = start + length, f"tag {tag}"
            extents[tag] = (start, kind, n)
        else:
            extents[tag] = (None, kind, n, value)
    for offsets_tag, sizes_tag in ((_TILE_OFFSETS, _TILE_BYTES), (_STRIP_OFFSETS, _STRIP_BYTES)):
        if (
            offsets_tag in extents
            and sizes_tag in extents
            and end <= os.fstat(file.fileno()).st_size
        ):
            offsets = _values(file, order, inline, extents[offsets_tag])
            sizes = _values(file, order, inline, extents[sizes_tag])
            if offsets.size == sizes.size and offsets.size:
                stop = offsets.astype(np.int64) + sizes.astype(np.int64)
                block = int(np.argmax(stop))
                if stop[block] > end:
                    end, what = int(stop[block]), f"block {block} (of {offsets.size})"
    return end, what


def _values(file, order: str, inline: int, extent) -> np.ndarray:
    """The integer values of a tag (offsets or byte counts) as an array."""
    kind, n = extent[1], extent[2]
    code = {3: "u2", 4: "u4", 16: "u8"}.get(kind)
    if code is None:
        return np.zeros(0, dtype=np.uint64)
    if extent[0] is None:
        data = extent[3]
    else:
        file.seek(extent[0])
        data = file.read(n * TYPE_SIZES[kind])
    return np.frombuffer(data, dtype=f"{order}{code}", count=n)


def first_directory_entries(file) -> dict | None:
    """The first image file directory of a little-endian TIFF or BigTIFF as ``{tag:
    (type, count, value bytes)}`` (TIFF 6.0 section 2; BigTIFF); None for a big-endian
    file or another format. ``file``: a binary file at any position."""
    file.seek(0)
    header = file.read(16)
    if header[:2] != b"II":  # big-endian files are left to GDAL
        return None
    version = struct.unpack_from("<H", header, 2)[0]
    if version == 42:
        (first,) = struct.unpack_from("<I", header, 4)
        count_code, entry_code, entry_size, inline = "<H", "<HHI4s", 12, 4
    elif version == 43:  # BigTIFF
        (first,) = struct.unpack_from("<Q", header, 8)
        count_code, entry_code, entry_size, inline = "<Q", "<HHQ8s", 20, 8
    else:
        return None
    file.seek(first)
    count_size = struct.calcsize(count_code)
    (count,) = struct.unpack(count_code, file.read(count_size))
    entries = file.read(count * entry_size)
    tags = {}
    for k in range(count):
        tag, kind, n, value = struct.unpack_from(entry_code, entries, k * entry_size)
        length = n * TYPE_SIZES.get(kind, 1)
        if length <= inline:
            data = value[:length]
        else:
            file.seek(struct.unpack("<I" if inline == 4 else "<Q", value)[0])
            data = file.read(length)
        tags[tag] = (kind, n, data)
    return tags


def _first_directory(file) -> dict | None:
    """The integer tags of a TIFF's first image file directory: tag -> tuple of values."""
    entries = first_directory_entries(file)
    if entries is None:
        return None
    tags = {}
    for tag, (kind, n, data) in entries.items():
        if kind not in _TYPES:
            continue  # ASCII, rational and other tags: not needed here
        code = _TYPES[kind][0]
        if n <= 16:
            tags[tag] = struct.unpack(f"<{n}{code}", data)
        else:  # block offsets and sizes: millions for a continental grid
            tags[tag] = np.frombuffer(data, dtype=f"<{code}", count=n)
    return tags


def _layout(tags: dict, dataset) -> dict | None:
    """The arguments of :class:`BlockReader` when the directory is a layout it reads
    and agrees with ``dataset`` (GDAL's view of the same file); None otherwise."""
    one = lambda tag, default=None: tags.get(tag, (default,))[0]  # noqa: E731
    width, height = one(_WIDTH), one(_LENGTH)
    samples = one(_SAMPLES, 1)
    bits = tags.get(_BITS, (1,))
    sample_format = tags.get(_SAMPLE_FORMAT, (1,))
    codec, predictor = one(_COMPRESSION, 1), one(_PREDICTOR, 1)
    planar = one(_PLANAR, 1)
    if (
        (width, height) != (dataset.width, dataset.height)
        or samples != dataset.count
        or (samples > 1 and planar != 2)  # pixel-interleaved bands: GDAL reads them
        or len(set(bits)) != 1
        or len(set(sample_format)) != 1
        or codec not in (_NONE, _DEFLATE, _ADOBE_DEFLATE, _ZSTD)
        or predictor not in (1, 2, 3)
    ):
        return None
    dtype = _DTYPES.get((sample_format[0], bits[0]))
    if dtype is None or np.dtype(dtype) != np.dtype(dataset.dtypes[0]):
        return None
    if codec == _NONE:  # libtiff applies a predictor inside a codec only: not here
        predictor = 1
    if predictor == 3 and np.dtype(dtype).kind != "f":
        return None
    tiled = _TILE_OFFSETS in tags
    if tiled:
        block_shape = (one(_TILE_LENGTH), one(_TILE_WIDTH))
        offsets, sizes = tags.get(_TILE_OFFSETS), tags.get(_TILE_BYTES)
    else:
        block_shape = (min(one(_ROWS_PER_STRIP, height), height), width)
        offsets, sizes = tags.get(_STRIP_OFFSETS), tags.get(_STRIP_BYTES)
    if None in block_shape or offsets is None or sizes is None or 0 in block_shape:
        return None
    across = -(-height // block_shape[0]), -(-width // block_shape[1])
    expected = samples * across[0] * across[1]
    if len(offsets) != expected or len(sizes) != expected:
        return None
    offsets = np.array(offsets, dtype=np.int64).reshape(samples, *across)
    sizes = np.array(sizes, dtype=np.int64).reshape(samples, *across)
    if (offsets <= 0).any() or (sizes <= 0).any():
        return None  # a sparse file: GDAL fills its missing blocks
    gdal_offset = dataset.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1)
    if gdal_offset is None or int(gdal_offset) != offsets[0, 0, 0]:
        return None  # GDAL presents another image as the bands
    if tuple(dataset.block_shapes[0]) != block_shape:
        return None
    if codec in (_DEFLATE, _ADOBE_DEFLATE):
        codec = _DEFLATE
    return {
        "dtype": dtype,
        "block_shape": block_shape,
        "offsets": offsets,
        "sizes": sizes,
        "codec": codec,
        "predictor": predictor,
        "tiled": tiled,
        "height": height,
    }
