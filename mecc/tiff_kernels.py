"""Numba kernels that undo a TIFF predictor on one decompressed block.

A GeoTIFF block (tile or strip) is stored predicted, then compressed: the TIFF
``Predictor`` tag says how. :mod:`mecc.tiff_blocks` decompresses a block and one of
these kernels undoes the prediction while placing the block's part of a read window
into the window's buffer. The conventions of :mod:`mecc.kernels` hold (numpy in,
``out`` filled, no I/O, a plain-numpy reference next to each kernel).

- Predictor 2, horizontal differencing (TIFF 6.0 specification, section 14): each
  sample is stored as its difference from the sample to its left in the same row,
  modulo 2 to the sample's bit count.
- Predictor 3, floating point (Adobe Photoshop TIFF Technical Note 3, 2005): each row's
  samples are split into byte planes, most significant byte first, and the row's bytes
  are then differenced byte by byte, modulo 256.

Both undo to the same bits as libtiff (which GDAL reads through); the tests compare
every supported layout with GDAL's own reading.
"""

from __future__ import annotations

import numpy as np

from mecc._numba import jit

__all__ = [
    "unpredict_floating_point",
    "unpredict_floating_point_into",
    "unpredict_floating_point_into_reference",
    "unpredict_floating_point_reference",
    "unpredict_horizontal",
    "unpredict_horizontal_reference",
]


_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH1 = np.uint64(0x8080808080808080)
_EVERY_BYTE = np.uint64(0x0101010101010101)


@jit(inline="always")
def _add_bytes(a, b):
    """The eight byte-wise sums (each modulo 256) of two uint64 words: the low seven
    bits of each byte added, then the top bit put back by exclusive or (no carry
    crosses into the next byte)."""
    return ((a & _LOW7) + (b & _LOW7)) ^ ((a ^ b) & _HIGH1)


@jit
def unpredict_floating_point(block, out):
    """Undo floating-point prediction (predictor 3) of one block.

    Each row's bytes were differenced one after another, so a byte's value is the sum,
    modulo 256, of the row's bytes up to it. Where a row holds whole 8-byte words the
    sums are taken a word at a time: within each word in three byte-wise steps
    (shifts by 1, 2 and 4 bytes; every word alike, so the compiler vectorises them),
    then the running total of the words before it added to each of its bytes. Then the
    byte planes are put back into samples.

    Parameters
    ----------
    block : ndarray of uint8, shape (rows * width * sample_bytes,)
        The decompressed block: each row's samples as byte planes, differenced.
        Contiguous.
    out : ndarray of uint32 or uint64, shape (rows, width)
        The block's samples (4 or 8 bytes: float32, float64), as unsigned integers
        holding the same bits in the machine's (little-endian) order.
    """
    unpredict_floating_point_into(block, out, 0, 0, out.shape[1])


@jit
def unpredict_floating_point_into(block, out, top, left, width):
    """:func:`unpredict_floating_point` of a block of ``width`` columns, its samples
    written into ``out[top:top + rows, left:left + width]``: a window's buffer, so a
    block read whole is not copied again.

    Parameters
    ----------
    block : ndarray of uint8, shape (rows * width * sample_bytes,)
        As :func:`unpredict_floating_point`.
    out : ndarray of uint32 or uint64, 2-D, C-contiguous
        Holds the block at ``(top, left)``; ``top >= 0``, ``left >= 0``.
    top, left, width : int
    """
    size = out.itemsize
    row_bytes = width * size
    rows = block.size // row_bytes
    words = row_bytes // 8
    summed = np.empty(words + 1, dtype=np.uint64)  # one row's sums, viewed as bytes too
    row = summed.view(np.uint8)
    if row_bytes % 8 == 0:
        packed = block.view(np.uint64)
    else:  # (float32 rows of an odd width, only in strips): byte by byte
        packed = summed[:0]
    for r in range(rows):
        if row_bytes % 8 == 0:
            start = r * words
            for i in range(words):  # each word's own running sums (little-endian:
                x = packed[start + i]  # the byte first in the file is the lowest)
                x = _add_bytes(x, x << np.uint64(8))
                x = _add_bytes(x, x << np.uint64(16))
                summed[i] = _add_bytes(x, x << np.uint64(32))
            total = np.uint64(0)  # the row's sum before the word, in every byte
            for i in range(words):
                x = summed[i]
                summed[i] = _add_bytes(x, total * _EVERY_BYTE)
                total = (total + (x >> np.uint64(56))) & np.uint64(0xFF)
        else:
            start = r * row_bytes
            running = np.uint8(0)
            for k in range(row_bytes):
                running = np.uint8(running + block[start + k])
                row[k] = running
        place = out[top + r, left : left + width]  # contiguous: the loops vectorise
        if size == 4:  # plane 0 holds the most significant bytes
            for c in range(width):
                place[c] = (
                    (np.uint32(row[c]) << 24)
                    | (np.uint32(row[width + c]) << 16)
                    | (np.uint32(row[2 * width + c]) << 8)
                    | np.uint32(row[3 * width + c])
                )
        else:
            for c in range(width):
                high = (
                    (np.uint32(row[c]) << 24)
                    | (np.uint32(row[width + c]) << 16)
                    | (np.uint32(row[2 * width + c]) << 8)
                    | np.uint32(row[3 * width + c])
                )
                low = (
                    (np.uint32(row[4 * width + c]) << 24)
                    | (np.uint32(row[5 * width + c]) << 16)
                    | (np.uint32(row[6 * width + c]) << 8)
                    | np.uint32(row[7 * width + c])
                )
                place[c] = (np.uint64(high) << np.uint64(32)) | np.uint64(low)


def unpredict_floating_point_reference(block, out):
    """Plain-numpy :func:`unpredict_floating_point`: a wrapping cumulative sum of each
    row's bytes, then the byte planes put back into samples, least significant first."""
    rows, width = out.shape
    size = out.itemsize
    summed = np.cumsum(np.asarray(block).reshape(rows, size * width), axis=1, dtype=np.uint8)
    planes = summed.reshape(rows, size, width)[:, ::-1, :]  # least significant first
    out.view(np.uint8).reshape(rows, width, size)[...] = planes.transpose(0, 2, 1)


def unpredict_floating_point_into_reference(block, out, top, left, width):
    """Plain-numpy :func:`unpredict_floating_point_into`: the block undone on its own,
    then put in place."""
    rows = block.size // (width * out.itemsize)
    samples = np.empty((rows, width), dtype=out.dtype)
    unpredict_floating_point_reference(block, samples)
    out[top : top + rows, left : left + width] = samples


@jit
def unpredict_horizontal(block):
    """Undo horizontal differencing (predictor 2) of one block, in place.

    Parameters
    ----------
    block : ndarray of unsigned integers, shape (rows, width)
        The decompressed block's samples seen as unsigned integers of their size
        (the sums wrap, as the TIFF specification's differences do).
    """
    rows, width = block.shape
    for r in range(rows):
        for c in range(1, width):
            block[r, c] += block[r, c - 1]


def unpredict_horizontal_reference(block):
    """Plain-numpy :func:`unpredict_horizontal`: a cumulative sum along each row in the
    samples' own unsigned type (which wraps)."""
    np.cumsum(block, axis=1, dtype=block.dtype, out=block)
