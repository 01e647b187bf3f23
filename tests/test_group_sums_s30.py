"""The overview kernels' pairwise path (factor 2, the first overview level) adds the
same numbers in the same order as the general path: bit for bit the sums a plain
Python loop makes, NaN cells left out and counted apart, odd widths included."""

import numpy as np
import pytest

from mecc import grid_kernels


def _serial(values, factor, sums, counts=None):
    """The documented order: a group's cells of one row added left to right into a
    fresh total, which is then added to the group's sum."""
    h, w = values.shape
    for i in range(h):
        for k in range(sums.shape[1]):
            total, known = 0.0, 0.0
            for j in range(k * factor, min((k + 1) * factor, w)):
                v = values[i, j]
                if counts is None:
                    total += v
                elif v == v:
                    total += v
                    known += 1.0
            sums[i // factor, k] += total
            if counts is not None:
                counts[i // factor, k] += known


@pytest.mark.parametrize("width", [1, 2, 7, 64, 65])
@pytest.mark.parametrize("factor", [2, 3])
def test_sums_bit_for_bit(width, factor):
    rng = np.random.default_rng(width + 100 * factor)
    values = rng.lognormal(0, 8, (9, width)) * rng.choice([-1.0, 1.0], (9, width))
    values[rng.random(values.shape) < 0.2] = np.nan
    shape = (-(-9 // factor), -(-width // factor))
    start = rng.random(shape)
    fast_sums, fast_counts = start.copy(), np.zeros(shape)
    slow_sums, slow_counts = start.copy(), np.zeros(shape)
    grid_kernels.sum_known_groups(values, factor, fast_sums, fast_counts)
    _serial(values, factor, slow_sums, slow_counts)
    np.testing.assert_array_equal(fast_sums, slow_sums)
    np.testing.assert_array_equal(fast_counts, slow_counts)
    finite = np.nan_to_num(values)
    fast, slow = start.copy(), start.copy()
    grid_kernels.sum_groups(finite, factor, fast)
    _serial(finite, factor, slow)
    np.testing.assert_array_equal(fast, slow)
