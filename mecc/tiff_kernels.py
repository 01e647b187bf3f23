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
    "unpredict_floating_point_reference",
    "unpredict_horizontal",
    "unpredict_horizontal_reference",
]


@jit
def unpredict_floating_point(block, out):
    """Undo floating-point prediction (predictor 3) of one block.

    Parameters
    ----------
    block : ndarray of uint8, shape (rows * width * sample_bytes,)
        The decompressed block: each row's samples as byte planes, differenced.
    out : ndarray of uint32 or uint64, shape (rows, width)
        The block's samples (4 or 8 bytes: float32, float64), as unsigned integers
        holding the same bits in the machine's (little-endian) order.
    """
    rows, width = out.shape
    size = out.itemsize
    row_bytes = width * size
    summed = np.empty(row_bytes, dtype=np.uint8)
    for r in range(rows):
        start = r * row_bytes
        total = np.uint8(0)
        for k in range(row_bytes):  # modulo 256, as the bytes were differenced
            total = np.uint8(total + block[start + k])
            summed[k] = total
        if size == 4:  # plane 0 holds the most significant bytes
            for c in range(width):
                out[r, c] = (
                    (np.uint32(summed[c]) << 24)
                    | (np.uint32(summed[width + c]) << 16)
                    | (np.uint32(summed[2 * width + c]) << 8)
                    | np.uint32(summed[3 * width + c])
                )
        else:
            for c in range(width):
                high = (
                    (np.uint32(summed[c]) << 24)
                    | (np.uint32(summed[width + c]) << 16)
                    | (np.uint32(summed[2 * width + c]) << 8)
                    | np.uint32(summed[3 * width + c])
                )
                low = (
                    (np.uint32(summed[4 * width + c]) << 24)
                    | (np.uint32(summed[5 * width + c]) << 16)
                    | (np.uint32(summed[6 * width + c]) << 8)
                    | np.uint32(summed[7 * width + c])
                )
                out[r, c] = (np.uint64(high) << np.uint64(32)) | np.uint64(low)


def unpredict_floating_point_reference(block, out):
    """Plain-numpy :func:`unpredict_floating_point`: a wrapping cumulative sum of each
    row's bytes, then the byte planes put back into samples, least significant first."""
    rows, width = out.shape
    size = out.itemsize
    summed = np.cumsum(np.asarray(block).reshape(rows, size * width), axis=1, dtype=np.uint8)
    planes = summed.reshape(rows, size, width)[:, ::-1, :]  # least significant first
    out.view(np.uint8).reshape(rows, width, size)[...] = planes.transpose(0, 2, 1)


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
