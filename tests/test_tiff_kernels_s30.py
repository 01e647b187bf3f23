"""The word-at-a-time floating-point predictor kernel on the layouts its fast path
treats apart: rows of whole 8-byte words or not, and blocks not aligned in memory
(a decompressor's buffer may start anywhere)."""

import numpy as np
import pytest

from mecc import tiff_kernels


@pytest.mark.parametrize("unsigned", [np.uint32, np.uint64])
@pytest.mark.parametrize("shift", [0, 1, 3, 7])
@pytest.mark.parametrize("width", [1, 2, 3, 16, 33, 256])
def test_matches_reference_at_any_alignment_and_width(unsigned, shift, width):
    rng = np.random.default_rng(width * 10 + shift)
    rows = 5
    size = np.dtype(unsigned).itemsize
    buffer = rng.integers(0, 256, rows * width * size + shift, dtype=np.uint8)
    block = buffer[shift:]  # starts `shift` bytes past an aligned address
    assert block.ctypes.data % 8 == shift  # (numpy aligns its buffers to 16 bytes)
    fast = np.zeros((rows, width), unsigned)
    reference = np.zeros((rows, width), unsigned)
    tiff_kernels.unpredict_floating_point(block, fast)
    tiff_kernels.unpredict_floating_point_reference(block, reference)
    np.testing.assert_array_equal(fast, reference)


def test_sums_carry_across_words_and_wrap():
    """A row of 255s: every running sum wraps, and every word boundary carries."""
    width = 4  # 16 bytes: two words per row
    block = np.full(2 * width * 4, 255, dtype=np.uint8)
    out = np.zeros((2, width), np.uint32)
    tiff_kernels.unpredict_floating_point(block, out)
    # byte k of a row (0-based) sums to (k + 1) * 255 mod 256 = 256 - (k + 1)
    summed = (256 - np.arange(1, 4 * width + 1)) % 256
    planes = summed.reshape(4, width)
    expected = (planes[0] << 24) | (planes[1] << 16) | (planes[2] << 8) | planes[3]
    np.testing.assert_array_equal(out, np.tile(expected.astype(np.uint32), (2, 1)))
