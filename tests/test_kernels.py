"""Kernels: every Numba kernel against its numpy reference, and the semantics they encode.

The registry test is parametrised over ``mecc.kernels.KERNELS``: a kernel added to the
registry without a case generator here fails ``test_every_kernel_has_a_case``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hazards.curves import Curve, pack_curves
from mecc import kernels
from mecc.grid import overlap_weights
from mecc.kernels import CURVE_LINEAR, CURVE_STEP, KERNELS

SETTINGS = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])

# Curve points are drawn from these, and intensities hit them exactly.
STEP_POINTS = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
CURVE_POINTS = (*STEP_POINTS, 4.0, 5.0, 6.0, 8.0)
"""Curve intensities: up to 12 points with a repeat, beyond the 8 the overlay counts
from tables (overlay_kernels.SMALL_CURVE), so both ways of evaluating a curve are drawn."""
THRESHOLDS = (0.1, 0.5, 1.0, 0.3)
NAN = float("nan")


# --------------------------------------------------------------------- strategies


@st.composite
def curve_sets(draw):
    """1–4 valid curves (linear with vertical steps, or step), packed for the kernels."""
    curves = []
    for k in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["linear", "step"]))
        xs = sorted(
            draw(st.lists(st.sampled_from(CURVE_POINTS), min_size=1, max_size=11, unique=True))
        )
        if kind == "linear" and len(xs) >= 1 and draw(st.booleans()):
            # a vertical step: repeat one intensity (at most twice)
            at = draw(st.integers(0, len(xs) - 1))
            xs = xs[: at + 1] + [xs[at]] + xs[at + 1 :]
        ys = draw(
            st.lists(
                st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0, 1)),
                min_size=len(xs),
                max_size=len(xs),
            )
        )
        curves.append(Curve(f"c{k}", tuple(xs), tuple(ys), kind=kind))
    return pack_curves(curves)


def special_floats(extra=(), low=-2.0, high=4.0):
    """NaN, zeros, negatives, the curve points and ``extra`` exactly, and ordinary floats."""
    return st.one_of(
        st.sampled_from((NAN, 0.0, -0.0, -1.0, -0.5, *STEP_POINTS, *extra)),
        st.floats(low, high, allow_nan=False, allow_infinity=False),
    )


def grid_shapes():
    return st.tuples(st.integers(1, 9), st.integers(1, 9))


# ---------------------------------------------------------------- case generators
# Each returns (args_for_numba, args_for_reference, names_of_outputs) with fresh,
# identical copies of every argument; outputs are the array arguments to compare.


def _pair(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args], [
        a.copy() if isinstance(a, np.ndarray) else a for a in args
    ]


def case_evaluate_curves(data):
    x, y, n, kind = data.draw(curve_sets())
    m = data.draw(st.integers(0, 40))
    intensity = data.draw(hnp.arrays(np.float64, m, elements=special_floats((math.inf, -math.inf))))
    out = np.full((n.shape[0], m), -7.0)
    return _pair([intensity, x, y, n, kind, out]), [5]


def case_zonal_population(data):
    h, w = data.draw(grid_shapes())
    n_zones = data.draw(st.integers(1, 6))
    # empty zones: draw ids from a subset only
    used = data.draw(
        st.lists(st.integers(0, n_zones - 1), min_size=1, max_size=n_zones, unique=True)
    )
    zone = data.draw(hnp.arrays(np.int32, (h, w), elements=st.sampled_from(used)))
    population = data.draw(
        hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(st.sampled_from((NAN, 0.0, -3.0)), st.floats(0, 1e6)),
        )
    )
    pop_out = data.draw(hnp.arrays(np.float64, n_zones, elements=st.floats(0, 100)))
    cells_out = np.arange(n_zones, dtype=np.int64)
    return _pair([population, zone, pop_out, cells_out]), [2, 3]


@st.composite
def overlay_inputs(draw, with_fraction=None, with_cells=None, with_coarse=None):
    h, w = draw(grid_shapes())
    n_bands = draw(st.integers(1, 3))
    n_zones = draw(st.integers(1, 5))
    used = draw(st.lists(st.integers(0, n_zones - 1), min_size=1, max_size=n_zones, unique=True))
    zone = draw(hnp.arrays(np.int32, (h, w), elements=st.sampled_from(used)))
    population = draw(
        hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(st.sampled_from((NAN, 0.0, -5.0, 1.0)), st.floats(0, 1e5)),
        )
    )
    threshold = draw(st.sampled_from(THRESHOLDS))
    intensity = draw(
        hnp.arrays(
            np.float64,
            (n_bands, h, w),
            elements=special_floats((threshold, math.inf, -math.inf)),
        )
    )
    if with_fraction is None:
        with_fraction = draw(st.booleans())
    if with_fraction:
        fraction = draw(
            hnp.arrays(
                np.float64,
                (n_bands, h, w),
                elements=st.one_of(st.sampled_from((NAN, 0.0, -0.2, 1.0)), st.floats(0, 1)),
            )
        )
    else:
        fraction = np.zeros((0, 0, 0))
    x, y, n, kind = draw(curve_sets())
    band_weight = draw(hnp.arrays(np.float64, (n_zones, n_bands), elements=st.floats(0, 10)))
    if with_cells is None:
        with_cells = draw(st.booleans())
    cell_out = np.full((h, w), -1.0) if with_cells else np.zeros((0, 0))
    # out arrays start non-zero: kernels add to them
    exposed = draw(hnp.arrays(np.float64, (n_zones, n_bands), elements=st.floats(0, 10)))
    displaced = draw(
        hnp.arrays(np.float64, (n_zones, n_bands, n.shape[0]), elements=st.floats(0, 10))
    )
    no_data = draw(hnp.arrays(np.float64, (n_zones, n_bands), elements=st.floats(0, 10)))
    if with_coarse is None:
        with_coarse = draw(st.booleans())
    factor, coarse_displaced, coarse_safe = 0, None, None
    if with_coarse:  # the allocation's sums: factor 1 up to wider than the block
        factor = draw(st.integers(1, 10))
        shape = (n_bands, -(-h // factor), -(-w // factor))
        coarse_displaced = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 10)))
        coarse_safe = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 10)))
    return [
        population,
        zone,
        intensity,
        fraction,
        x,
        y,
        n,
        kind,
        float(threshold),
        band_weight,
        exposed,
        displaced,
        no_data,
        cell_out,
        factor,
        coarse_displaced,
        coarse_safe,
    ]


def case_overlay_bands(data):
    return _pair(data.draw(overlay_inputs())), [10, 11, 12, 13, 15, 16]


@st.composite
def sampling_inputs(draw):
    n_bands = draw(st.integers(1, 3))
    sh, sw = draw(grid_shapes())
    h, w = draw(grid_shapes())
    source = draw(
        hnp.arrays(
            np.float64,
            (n_bands, sh, sw),
            elements=st.one_of(st.sampled_from((NAN, 0.0, 1.0, -1.0)), st.floats(-10, 10)),
        )
    )

    def positions(size):
        return hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(
                # exact edges, centres and quarter points, inside and just outside
                st.sampled_from(
                    (
                        NAN,
                        -1.0,
                        -0.5,
                        -1e-12,
                        0.0,
                        0.25,
                        0.5,
                        0.75,
                        1.0,
                        1.5,
                        size - 0.5,
                        size - 1e-9,
                        float(size),
                        size + 0.5,
                    )
                ),
                st.floats(-2, size + 2, allow_nan=False),
            ),
        )

    rows = draw(positions(sh))
    cols = draw(positions(sw))
    out = np.full((n_bands, h, w), -123.0)
    return [source, rows, cols, out]


def case_sample_nearest(data):
    return _pair(data.draw(sampling_inputs())), [3]


def case_sample_bilinear(data):
    return _pair(data.draw(sampling_inputs())), [3]


@st.composite
def regrid_inputs(draw):
    sh, sw = draw(grid_shapes())
    n_rows = draw(st.integers(1, 12))
    n_cols = draw(st.integers(1, 12))

    def edges(n_source):
        scale = draw(st.sampled_from((0.5, 1.0, 1.0 / 3.0, 2.0, 3.0, 0.7, 1.37)))
        offset = draw(st.sampled_from((0.0, -1.0, 0.25, 1.5, -0.4, 2.0)))
        e = offset + scale * np.arange(n_source + 1)
        return e[::-1].copy() if draw(st.booleans()) else e

    row_ptr, row_index, row_weight = overlap_weights(edges(sh), n_rows)
    col_ptr, col_index, col_weight = overlap_weights(edges(sw), n_cols)
    source = draw(
        hnp.arrays(
            np.float64,
            (sh, sw),
            elements=st.one_of(st.sampled_from((NAN, 0.0, -2.0)), st.floats(-100, 1e4)),
        )
    )
    # a block of the target (global indices row0/col0)
    row0 = draw(st.integers(0, n_rows - 1))
    col0 = draw(st.integers(0, n_cols - 1))
    h = draw(st.integers(1, n_rows - row0))
    w = draw(st.integers(1, n_cols - col0))
    out = draw(hnp.arrays(np.float64, (h, w), elements=st.floats(0, 5)))
    return [source, row_ptr, row_index, row_weight, col_ptr, col_index, col_weight, row0, col0, out]


def case_regrid_area_weighted(data):
    return _pair(data.draw(regrid_inputs())), [9]


@st.composite
def masking_inputs(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int16, np.uint8]))
    h, w = draw(grid_shapes())
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    sentinel_pool = [-9999, 255, 0] if np.dtype(dtype).kind != "f" else [-9999.0, -3.4e38, 0.0]
    sentinels = [
        v
        for v in draw(st.lists(st.sampled_from(sentinel_pool), max_size=2, unique=True))
        if info.min <= v <= info.max
    ]
    if np.dtype(dtype).kind == "f":
        elements = st.one_of(
            st.sampled_from([NAN, math.inf, -math.inf, 1e30, -1e30, 9.9e29, *sentinel_pool]),
            st.floats(-1e3, 1e3, width=32),
        )
    else:
        elements = st.integers(int(info.min), int(info.max))
    raw = draw(hnp.arrays(dtype, (h, w), elements=elements))
    typed = np.asarray(sentinels, dtype=np.float64).astype(dtype)
    return [raw, typed, 1e30, np.full((h, w), -7.0)]


def case_mask_missing_into(data):
    return _pair(data.draw(masking_inputs())), [3]


def case_sum_groups(data):
    h, w = data.draw(grid_shapes())
    factor = data.draw(st.integers(1, 4))
    values = data.draw(hnp.arrays(np.float64, (h, w), elements=st.floats(-1e6, 1e6)))
    out = data.draw(
        hnp.arrays(np.float64, (-(-h // factor), -(-w // factor)), elements=st.floats(-10, 10))
    )
    return _pair([values, factor, out]), [2]


@st.composite
def dem_inputs(draw):
    """A small DEM with NaN nodata, ties (integer heights) and a boolean mask."""
    h, w = draw(st.tuples(st.integers(1, 12), st.integers(1, 12)))
    ground = draw(
        hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(
                st.sampled_from((NAN, -1.0, 0.0, 1.0, 2.0, 3.0)), st.floats(-5, 10, width=32)
            ),
        )
    )
    mask = draw(hnp.arrays(np.bool_, (h, w), elements=st.booleans()))
    return ground, mask, draw(st.sampled_from((4, 8)))


def case_flood_fill_below(data):
    ground, seeds, connectivity = data.draw(dem_inputs())
    level = data.draw(st.sampled_from((-1.0, 0.0, 1.0, 2.0, 2.5, 11.0)))
    out = data.draw(hnp.arrays(np.bool_, ground.shape, elements=st.booleans()))
    return _pair([ground, level, seeds, connectivity, out]), [4]


def case_height_above_drainage(data):
    ground, river, connectivity = data.draw(dem_inputs())
    return _pair([ground, river, connectivity, np.full(ground.shape, -7.0)]), [3]


@st.composite
def combined_inputs(draw):
    """Hazards of the same event: one curve per component, NaN components, thresholds."""
    base = draw(overlay_inputs(with_fraction=False))
    population, zone = base[0], base[1]
    h, w = population.shape
    n_components = draw(st.integers(1, 3))
    n_bands = base[2].shape[0]
    thresholds = np.array([draw(st.sampled_from(THRESHOLDS)) for _ in range(n_components)])
    intensity = draw(
        hnp.arrays(
            np.float64,
            (n_components, n_bands, h, w),
            elements=special_floats(tuple(thresholds)),
        )
    )
    x, y, n, kind = draw(curve_sets())
    take = [k % n.shape[0] for k in range(n_components)]  # one curve per component
    n_zones = base[9].shape[0]
    displaced = draw(hnp.arrays(np.float64, (n_zones, n_bands, 1), elements=st.floats(0, 10)))
    return [
        population,
        zone,
        intensity,
        x[take],
        y[take],
        n[take],
        kind[take],
        thresholds,
        draw(st.booleans()),
        base[9],
        base[10],
        displaced,
        base[12],
        base[13],
    ]


def case_overlay_combined(data):
    return _pair(data.draw(combined_inputs())), [10, 11, 12, 13]


def case_max_groups(data):
    h, w = data.draw(grid_shapes())
    factor = data.draw(st.integers(1, 4))
    values = data.draw(hnp.arrays(np.float64, (h, w), elements=special_floats((math.inf,))))
    out = data.draw(
        hnp.arrays(np.float64, (-(-h // factor), -(-w // factor)), elements=special_floats())
    )
    return _pair([values, factor, out]), [2]


def case_allocate_by_distance(data):
    h, w = data.draw(grid_shapes())
    people = st.one_of(st.sampled_from((0.0, -1.0, NAN, 5.0)), st.floats(0, 1e4))
    n_zones = data.draw(st.integers(1, 4))
    per_cell = data.draw(hnp.arrays(np.int64, h * w, elements=st.integers(0, 3)))
    part_start = np.concatenate([[0], np.cumsum(per_cell)]).astype(np.int64)
    n_parts = int(part_start[-1])
    part_zone = data.draw(hnp.arrays(np.int32, n_parts, elements=st.integers(0, n_zones - 1)))
    part_amount = data.draw(hnp.arrays(np.float64, n_parts, elements=people))
    safe = data.draw(hnp.arrays(np.float64, (h, w), elements=people))
    reach = (data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3)))
    rows = data.draw(st.sampled_from((1, h)))
    weights = data.draw(
        hnp.arrays(
            np.float64,
            (rows, 2 * reach[0] + 1, 2 * reach[1] + 1),
            elements=st.one_of(st.just(0.0), st.floats(1e-3, 100)),
        )
    )
    host = data.draw(hnp.arrays(np.int32, (h, w), elements=st.integers(0, n_zones - 1)))
    hosted = data.draw(hnp.arrays(np.float64, (h, w), elements=st.floats(0, 10)))
    no_host = data.draw(hnp.arrays(np.float64, (h, w), elements=st.floats(0, 10)))
    zone_no_host = data.draw(hnp.arrays(np.float64, n_zones, elements=st.floats(0, 10)))
    args = [part_start, part_zone, part_amount, safe, weights, host]
    return _pair([*args, hosted, no_host, zone_no_host]), [6, 7, 8]


def case_count_zone_parts(data):
    h, w = data.draw(grid_shapes())
    n_zones = data.draw(st.integers(1, 6))
    zone = data.draw(hnp.arrays(np.int32, (h, w), elements=st.integers(0, n_zones - 1)))
    if data.draw(st.booleans()):  # runs of one zone, as real units give
        zone = np.sort(zone, axis=data.draw(st.integers(0, 1))).astype(np.int32)
    factor = data.draw(st.integers(1, 4))
    counts = np.zeros(n_zones, dtype=np.int64)
    cell = np.full(h * w, -3, dtype=np.int64)
    unit = np.full(h * w, -3, dtype=np.int32)
    count = np.full(h * w, -3.0)
    n = np.zeros(1, dtype=np.int64)
    return _pair([zone, factor, n_zones, counts, cell, unit, count, n]), [3, 4, 5, 6, 7]


def case_sum_known_groups(data):
    h, w = data.draw(grid_shapes())
    factor = data.draw(st.integers(1, 4))
    values = data.draw(
        hnp.arrays(np.float64, (h, w), elements=st.one_of(st.just(NAN), st.floats(-1e6, 1e6)))
    )
    shape = (-(-h // factor), -(-w // factor))
    sums = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10)))
    counts = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(0, 5).map(float)))
    return _pair([values, factor, sums, counts]), [2, 3]


def case_mark_unknown_cells(data):
    h, w = data.draw(grid_shapes())
    n_components, n_bands = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    population = data.draw(
        hnp.arrays(np.float64, (h, w), elements=st.sampled_from((NAN, 0.0, -5.0, 1.0, 7.5)))
    )
    # mostly missing, so that whole cells are unknown often
    values = st.sampled_from((NAN, NAN, NAN, 0.0, -1.0, 0.5))
    intensity = data.draw(hnp.arrays(np.float64, (n_components, n_bands, h, w), elements=values))
    fraction = np.zeros((0, 0, 0))
    if n_components == 1 and data.draw(st.booleans()):
        fraction = data.draw(
            hnp.arrays(np.float64, (n_bands, h, w), elements=st.sampled_from((NAN, 0.0, 1.0)))
        )
    cells = data.draw(hnp.arrays(np.float64, (h, w), elements=st.floats(0, 10)))
    return _pair([population, intensity, fraction, cells]), [3]


def case_unpredict_floating_point(data):
    """A block of any bytes (every byte pattern decodes to some samples)."""
    rows, width = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 33))
    unsigned = data.draw(st.sampled_from((np.uint32, np.uint64)))
    size = np.dtype(unsigned).itemsize
    block = data.draw(hnp.arrays(np.uint8, rows * width * size))
    return _pair([block, np.zeros((rows, width), unsigned)]), [1]


def case_unpredict_floating_point_into(data):
    """A block of any bytes placed anywhere in a larger buffer of other samples (left
    as they were outside the block)."""
    rows, width = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 33))
    unsigned = data.draw(st.sampled_from((np.uint32, np.uint64)))
    size = np.dtype(unsigned).itemsize
    block = data.draw(hnp.arrays(np.uint8, rows * width * size))
    top, left = data.draw(st.integers(0, 5)), data.draw(st.integers(0, 40))
    shape = (top + rows + data.draw(st.integers(0, 3)), left + width + data.draw(st.integers(0, 9)))
    out = data.draw(hnp.arrays(unsigned, shape))
    return _pair([block, out, top, left, width]), [1]


def case_unpredict_horizontal(data):
    """Samples of every unsigned size, their sums wrapping."""
    unsigned = data.draw(st.sampled_from((np.uint8, np.uint16, np.uint32, np.uint64)))
    shape = (data.draw(st.integers(1, 9)), data.draw(st.integers(1, 33)))
    return _pair([data.draw(hnp.arrays(unsigned, shape))]), [0]


CASES = {
    "unpredict_floating_point": case_unpredict_floating_point,
    "unpredict_floating_point_into": case_unpredict_floating_point_into,
    "unpredict_horizontal": case_unpredict_horizontal,
    "allocate_by_distance": case_allocate_by_distance,
    "mark_unknown_cells": case_mark_unknown_cells,
    "sum_known_groups": case_sum_known_groups,
    "count_zone_parts": case_count_zone_parts,
    "max_groups": case_max_groups,
    "overlay_combined": case_overlay_combined,
    "flood_fill_below": case_flood_fill_below,
    "height_above_drainage": case_height_above_drainage,
    "evaluate_curves": case_evaluate_curves,
    "sum_groups": case_sum_groups,
    "mask_missing_into": case_mask_missing_into,
    "zonal_population": case_zonal_population,
    "overlay_bands": case_overlay_bands,
    "sample_nearest": case_sample_nearest,
    "sample_bilinear": case_sample_bilinear,
    "regrid_area_weighted": case_regrid_area_weighted,
}


def assert_same(actual, expected, rtol=1e-12, atol=0.0):
    """Equal to ``rtol`` relative, NaN positions identical, same shape and dtype kind."""
    assert actual.shape == expected.shape
    assert actual.dtype.kind == expected.dtype.kind
    if actual.dtype.kind in "ui":  # integers (the TIFF kernels' samples): every bit
        np.testing.assert_array_equal(actual, expected)
        return
    if actual.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------------------- registry parity


def test_every_kernel_has_a_case():
    assert set(KERNELS) == set(CASES)
    for name, (fast, reference) in KERNELS.items():
        assert fast is getattr(kernels, name)
        assert reference is getattr(kernels, f"{name}_reference")


@pytest.mark.parametrize("name", sorted(KERNELS))
@SETTINGS
@given(data=st.data())
def test_kernel_matches_reference(name, data):
    assert name in CASES, f"no test case generator for kernel {name!r}"
    fast, reference = KERNELS[name]
    (args_fast, args_ref), outputs = CASES[name](data)
    original, _ = _pair(args_ref)
    returned = fast(*args_fast)
    expected = reference(*args_ref)
    if isinstance(expected, tuple):  # arrays of a size found on the way
        assert isinstance(returned, tuple) and len(returned) == len(expected)
        for got, want in zip(returned, expected, strict=True):
            assert_same(got, want)
    else:  # None, or a count
        assert returned == expected
    # inputs (everything but the outputs) are left as they were
    for k, value in enumerate(original):
        if k not in outputs and isinstance(value, np.ndarray):
            np.testing.assert_array_equal(args_fast[k], value)
            np.testing.assert_array_equal(args_ref[k], value)
    for k in outputs:
        a, b = args_fast[k], args_ref[k]
        if a is None:  # an output not asked for (overlay_bands' coarse sums)
            assert b is None
            continue
        if name in ("regrid_area_weighted", "sum_groups", "sum_known_groups"):
            # sums of signed values (summed in another order): tolerance relative to the
            # sum of magnitudes, e.g. out 2.2e-308 + (1 - 1) is 0 or 2.2e-308 by the order
            # (sum_known_groups: 1.2e-7 + 1.5e-202 - 1.2e-7 is 1.5e-202 row by row, 0 whole)
            magnitude, _ = _pair(original)
            magnitude[0] = (
                np.abs(magnitude[0])  # unknown (NaN) cells stay unknown: not counted
                if name == "sum_known_groups"
                else np.abs(np.nan_to_num(magnitude[0]))
            )
            magnitude[k] = np.abs(original[k])
            reference(*magnitude)
            assert not np.isnan(a).any()
            assert np.all(np.abs(a - b) <= 1e-12 * magnitude[k]), np.max(np.abs(a - b))
        else:
            assert_same(a, b)


@SETTINGS
@given(args=masking_inputs())
def test_masking_counts_undeclared_extremes_like_the_reference(args):
    fast_args, ref_args = _pair(args)
    assert kernels.mask_missing_into(*fast_args) == kernels.mask_missing_into_reference(*ref_args)


def test_combined_shares_are_never_added():
    """Wind 1.0 and surge 0.5 on the same people: max 1.0, independent 1 - 0 * 0.5 = 1.0;
    wind 0.5 and surge 0.5: max 0.5, independent 0.75; a missing component adds nothing,
    and only a cell missing in every component counts as no hazard data."""
    population = np.array([[100.0, 100.0, 100.0, 100.0]])
    zone = np.zeros((1, 4), dtype=np.int32)
    wind = [[0.5, 0.5, np.nan, np.nan]]
    surge = [[0.5, 1.0, 0.5, np.nan]]
    intensity = np.array([[wind], [surge]])  # (components, bands, h, w); shares = intensity
    x, y, n, kind = pack_curves(
        [Curve("w", (0.0, 1.0), (0.0, 1.0)), Curve("s", (0.0, 1.0), (0.0, 1.0))]
    )
    for combine_max, expected in ((True, 50 + 100 + 50), (False, 75 + 100 + 50)):
        for func in KERNELS["overlay_combined"]:
            exposed, displaced, no_data = np.zeros((1, 1)), np.zeros((1, 1, 1)), np.zeros((1, 1))
            func(
                population,
                zone,
                intensity,
                x,
                y,
                n,
                kind,
                np.array([0.6, 0.2]),
                combine_max,
                np.ones((1, 1)),
                exposed,
                displaced,
                no_data,
                np.zeros((0, 0)),
            )
            assert displaced[0, 0, 0] == pytest.approx(expected)
            assert no_data[0, 0] == 100.0  # the last cell: both missing
            assert exposed[0, 0] == 300.0  # surge >= 0.2 in the first three cells


@pytest.mark.parametrize("with_fraction", [False, True])
@pytest.mark.parametrize("with_cells", [False, True])
@pytest.mark.parametrize("with_coarse", [False, True])
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_overlay_matches_reference_every_combination(with_fraction, with_cells, with_coarse, data):
    """Fraction, cell output and coarse sums on/off are each exercised explicitly."""
    args = data.draw(
        overlay_inputs(with_fraction=with_fraction, with_cells=with_cells, with_coarse=with_coarse)
    )
    fast_args, ref_args = _pair(args)
    kernels.overlay_bands(*fast_args)
    kernels.overlay_bands_reference(*ref_args)
    for k in (10, 11, 12, 13, 15, 16) if with_coarse else (10, 11, 12, 13):
        assert_same(fast_args[k], ref_args[k])
    if not with_coarse:
        assert fast_args[15] is None and fast_args[16] is None
    if with_cells:  # the cell output is added to what the caller passed (-1 here)
        assert not np.isnan(fast_args[13]).any()
        assert (fast_args[13] >= -1.0).all()


@pytest.mark.parametrize("name", ["zonal_population", "overlay_bands"])
@pytest.mark.parametrize("bad", [-1, 3])
def test_zone_out_of_range_raises_in_both(name, bad):
    population = np.array([[1.0, 2.0]])
    zone = np.array([[0, bad]], dtype=np.int32)
    fast, reference = KERNELS[name]
    if name == "zonal_population":
        make = lambda: [population, zone, np.zeros(3), np.zeros(3, dtype=np.int64)]  # noqa: E731
    else:
        x, y, n, kind = pack_curves([Curve("c", (0.0, 1.0), (0.0, 1.0))])
        make = lambda: [  # noqa: E731
            population,
            zone,
            np.ones((1, 1, 2)),
            np.zeros((0, 0, 0)),
            x,
            y,
            n,
            kind,
            0.5,
            np.ones((3, 1)),
            np.zeros((3, 1)),
            np.zeros((3, 1, 1)),
            np.zeros((3, 1)),
            np.zeros((0, 0)),
            0,
            None,
            None,
        ]
    for func in (fast, reference):
        with pytest.raises(ValueError, match="zone index out of range"):
            func(*make())


def _overlay_args(population, zone, intensity, n_zones, n_curves=2):
    curves = [Curve(f"c{k}", (0.0, 1.0), (0.0, 0.5 * (k + 1))) for k in range(n_curves)]
    x, y, n, kind = pack_curves(curves)
    n_bands = intensity.shape[0]
    return [
        *(population, zone, intensity, np.zeros((0, 0, 0)), x, y, n, kind, 0.5),
        np.ones((n_zones, n_bands)),
        np.zeros((n_zones, n_bands)),
        np.zeros((n_zones, n_bands, n_curves)),
        np.zeros((n_zones, n_bands)),
        np.zeros(population.shape),
        *(0, None, None),
    ]


def test_a_rows_first_wet_cell_with_zone_minus_one_is_refused_by_both():
    """A negative zone at the start of a row was not checked by the kernel (its run
    started at -1): curve 1's sums leaked into the next zone (101 instead of 1)."""
    population = np.array([[100.0, 1.0]])
    zone = np.array([[-1, 0]], dtype=np.int32)
    for func in KERNELS["overlay_bands"]:
        with pytest.raises(ValueError, match="zone index out of range"):
            func(*_overlay_args(population, zone, np.ones((1, 1, 2)), 1))


def test_no_bands_and_bad_zones_of_dry_cells_are_the_same_in_both():
    """The reference failed on zero bands (reshape) and on an out-of-range zone of a
    populated dry cell (its cell weights indexed every populated cell); the kernel
    acts only on wet or missing cells, so neither is an error and nothing is added."""
    population = np.array([[5.0, 7.0]])
    for zone, intensity in (
        (np.array([[0, 1]], dtype=np.int32), np.ones((0, 1, 2))),
        (np.array([[0, 9]], dtype=np.int32), np.array([[[2.0, 0.0]]])),
    ):
        results = []
        for func in KERNELS["overlay_bands"]:
            args = _overlay_args(population, zone, intensity, 2)
            func(*args)
            results.append(args)
        for k in (10, 11, 12, 13):
            np.testing.assert_array_equal(results[0][k], results[1][k])
        if intensity.shape[0]:  # 5 people at depth 2: shares 0.5 and 1.0 (capped at 1 m)
            np.testing.assert_array_equal(results[0][11][0, 0], [2.5, 5.0])
            np.testing.assert_array_equal(results[0][13], [[2.5, 0.0]])
        else:
            assert not results[0][11].any() and not results[0][13].any()


# --------------------------------------------------------------- curve semantics


def _eval(curve, values):
    x, y, n, kind = pack_curves([curve])
    values = np.asarray(values, dtype=np.float64)
    out_fast = np.empty((1, values.size))
    out_ref = np.empty((1, values.size))
    kernels.evaluate_curves(values, x, y, n, kind, out_fast)
    kernels.evaluate_curves_reference(values, x, y, n, kind, out_ref)
    assert_same(out_fast, out_ref)
    return out_fast[0]


def test_linear_vertical_step_takes_upper_share_at_the_step():
    curve = Curve("v", (0.0, 1.0, 1.0, 2.0), (0.0, 0.2, 0.8, 1.0))
    got = _eval(curve, [1.0 - 1e-12, 1.0, 1.0 + 1e-12, 0.5, 1.5])
    np.testing.assert_allclose(got, [0.2, 0.8, 0.8, 0.1, 0.9], rtol=1e-9)


def test_linear_step_as_last_point_takes_upper_share():
    curve = Curve("v", (0.0, 0.5, 0.5), (0.0, 0.0, 1.0))
    np.testing.assert_array_equal(_eval(curve, [0.49, 0.5, 7.0]), [0.0, 1.0, 1.0])


def test_linear_curve_clamps_at_both_ends():
    curve = Curve("l", (1.0, 3.0), (0.25, 0.75))
    np.testing.assert_allclose(
        _eval(curve, [-5.0, 0.0, 0.999, 1.0, 2.0, 3.0, 3.001, 1e9]),
        [0.25, 0.25, 0.25, 0.25, 0.5, 0.75, 0.75, 0.75],
    )


def test_step_curve_right_continuous_and_first_share_below():
    curve = Curve("s", (0.5, 1.0, 2.0), (0.1, 0.4, 0.9), kind="step")
    np.testing.assert_array_equal(
        _eval(curve, [-1.0, 0.0, 0.4999, 0.5, 0.99, 1.0, 1.99, 2.0, 50.0]),
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4, 0.9, 0.9],
    )


def test_nan_intensity_gives_nan_share():
    curve = Curve("l", (0.0, 1.0), (0.0, 1.0))
    got = _eval(curve, [NAN, 0.5])
    assert math.isnan(got[0]) and got[1] == 0.5


def test_curve_kind_constants_are_distinct():
    assert CURVE_LINEAR != CURVE_STEP


def _overlay(
    population,
    zone,
    intensity,
    fraction=None,
    curves=None,
    threshold=0.5,
    n_zones=1,
    band_weight=None,
    cells=True,
    func=kernels.overlay_bands,
):
    population = np.asarray(population, dtype=np.float64)
    zone = np.asarray(zone, dtype=np.int32)
    intensity = np.asarray(intensity, dtype=np.float64)
    n_bands = intensity.shape[0]
    fraction = np.zeros((0, 0, 0)) if fraction is None else np.asarray(fraction, dtype=np.float64)
    if curves is None:
        curves = [Curve("step1m", (1.0,), (1.0,), kind="step")]
    x, y, n, kind = pack_curves(curves)
    if band_weight is None:
        band_weight = np.ones((n_zones, n_bands))
    exposed = np.zeros((n_zones, n_bands))
    displaced = np.zeros((n_zones, n_bands, n.shape[0]))
    no_data = np.zeros((n_zones, n_bands))
    cell_out = np.zeros(population.shape) if cells else np.zeros((0, 0))
    func(
        population,
        zone,
        intensity,
        fraction,
        x,
        y,
        n,
        kind,
        threshold,
        band_weight,
        exposed,
        displaced,
        no_data,
        cell_out,
        0,
        None,
        None,
    )
    return exposed, displaced, no_data, cell_out


@pytest.mark.parametrize("func", [kernels.overlay_bands, kernels.overlay_bands_reference])
def test_overlay_semantics_by_hand(func):
    # cells: NaN | 0 | -1 | 0.3 (exposed, not displaced: below 1 m step but >= 0.1 threshold)
    #        | 1.0 (exactly at the step: displaced) | 0.05 (below threshold, curve 0)
    population = [[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]]
    intensity = [[[NAN, 0.0, -1.0, 0.3, 1.0, 0.05]]]
    curve = Curve("step1m", (1.0,), (1.0,), kind="step")  # share 1 below too -> check <=0 rule
    lin = Curve("lin", (0.0, 2.0), (0.0, 1.0))
    exposed, displaced, no_data, cells = _overlay(
        population, [[0] * 6], intensity, curves=[lin, curve], threshold=0.1, func=func
    )
    assert no_data[0, 0] == 10.0  # NaN intensity: no hazard data
    assert exposed[0, 0] == pytest.approx(40.0 + 50.0)  # threshold, not the curve
    # linear: 0.3 -> 0.15, 1.0 -> 0.5, 0.05 -> 0.025; intensity <= 0 contributes nothing
    assert displaced[0, 0, 0] == pytest.approx(40 * 0.15 + 50 * 0.5 + 60 * 0.025)
    # step curve whose first share is 1: every positive intensity displaces everyone,
    # intensity 0 and -1 nothing, NaN nothing
    assert displaced[0, 0, 1] == pytest.approx(40.0 + 50.0 + 60.0)
    np.testing.assert_allclose(cells[0], [0, 0, 0, 6.0, 25.0, 1.5])


@pytest.mark.parametrize("func", [kernels.overlay_bands, kernels.overlay_bands_reference])
def test_exposed_and_displaced_differ(func):
    """Threshold 0.1 m vs a 1.5 m step curve: exposed people are not displaced."""
    curve = Curve("step1.5", (0.0, 1.5), (0.0, 1.0), kind="step")
    exposed, displaced, no_data, _ = _overlay(
        [[100.0, 100.0, 100.0]],
        [[0, 0, 0]],
        [[[0.1, 1.5, 0.09]]],
        curves=[curve],
        threshold=0.1,
        func=func,
    )
    assert exposed[0, 0] == 200.0
    assert displaced[0, 0, 0] == 100.0
    assert no_data[0, 0] == 0.0


@pytest.mark.parametrize("func", [kernels.overlay_bands, kernels.overlay_bands_reference])
def test_fraction_population_and_nan_rules(func):
    curve = Curve("all", (0.0,), (1.0,), kind="step")
    population = [[NAN, 0.0, -4.0, 10.0, 10.0, 10.0, 10.0]]
    intensity = [[[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, NAN]]]
    fraction = [[[1.0, 1.0, 1.0, 0.5, NAN, 0.0, 0.5]]]
    exposed, displaced, no_data, cells = _overlay(
        population,
        [[0, 0, 0, 0, 1, 0, 1]],
        intensity,
        fraction=fraction,
        curves=[curve],
        threshold=1.0,
        n_zones=2,
        band_weight=np.array([[2.0], [3.0]]),
        func=func,
    )
    np.testing.assert_array_equal(exposed[:, 0], [5.0, 0.0])
    np.testing.assert_array_equal(displaced[:, 0, 0], [5.0, 0.0])
    # NaN fraction or NaN intensity: the population is "no hazard data"
    np.testing.assert_array_equal(no_data[:, 0], [0.0, 20.0])
    np.testing.assert_array_equal(cells[0], [0, 0, 0, 10.0, 0, 0, 0])


def test_overlay_adds_blocks_in_call_order():
    """Calling block after block on the same ``out`` arrays adds the blocks."""
    rng = np.random.default_rng(3)
    population = rng.uniform(0, 100, (6, 5))
    intensity = rng.uniform(-0.5, 3, (2, 6, 5))
    zone = rng.integers(0, 3, (6, 5)).astype(np.int32)
    whole = _overlay(population, zone, intensity, n_zones=3, cells=False)
    x, y, n, kind = pack_curves([Curve("step1m", (1.0,), (1.0,), kind="step")])
    outs = [np.zeros((3, 2)), np.zeros((3, 2, 1)), np.zeros((3, 2))]
    for rows in (slice(0, 2), slice(2, 6)):
        kernels.overlay_bands(
            np.ascontiguousarray(population[rows]),
            np.ascontiguousarray(zone[rows]),
            np.ascontiguousarray(intensity[:, rows]),
            np.zeros((0, 0, 0)),
            x,
            y,
            n,
            kind,
            0.5,
            np.ones((3, 2)),
            *outs,
            np.zeros((0, 0)),
            0,
            None,
            None,
        )
    for a, b in zip(outs, whole[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ------------------------------------------------------------------ sampling


SAMPLERS = [
    (kernels.sample_nearest, "nearest"),
    (kernels.sample_nearest_reference, "nearest"),
    (kernels.sample_bilinear, "bilinear"),
    (kernels.sample_bilinear_reference, "bilinear"),
]


def _sample(func, source, rows, cols):
    source = np.asarray(source, dtype=np.float64)
    if source.ndim == 2:
        source = source[None]
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    cols = np.atleast_2d(np.asarray(cols, dtype=np.float64))
    out = np.full((source.shape[0], *rows.shape), -99.0)
    func(np.ascontiguousarray(source), rows, cols, out)
    return out[0].ravel()


@pytest.mark.parametrize("func,method", SAMPLERS)
def test_outside_the_block_is_nan(func, method):
    source = np.ones((2, 3))
    got = _sample(
        func, source, [[-0.01, 0.5, 2.0, 0.5, NAN, 1.0]], [[0.5, -1e-9, 1.5, 3.0, 1.0, NAN]]
    )
    assert np.isnan(got).all()


@pytest.mark.parametrize("func,method", SAMPLERS)
def test_nearest_missing_stays_missing(func, method):
    # target centres fall in the NaN cell; their neighbours are wet
    source = [[5.0, 5.0, 5.0], [5.0, NAN, 5.0], [5.0, 5.0, 5.0]]
    got = _sample(func, source, [[1.5, 1.01, 1.99, 1.2]], [[1.5, 1.01, 1.99, 1.9]])
    assert np.isnan(got).all()


@pytest.mark.parametrize("func,method", SAMPLERS)
def test_dry_cell_beside_nodata_stays_dry(func, method):
    # a valid dry cell (0) next to NaN: never wetted, never NaN
    source = [[0.0, NAN], [NAN, NAN]]
    got = _sample(func, source, [[0.5, 0.9, 0.99, 0.6]], [[0.5, 0.9, 0.99, 0.95]])
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("func,method", SAMPLERS)
def test_dry_cell_between_water_and_nodata(func, method):
    source = [[4.0, 0.0, NAN]]
    # just right of the dry cell's centre, towards the NaN cell: the NaN weight drops out
    got = _sample(func, source, [[0.5, 0.5]], [[1.7, 1.5]])
    np.testing.assert_array_equal(got, [0.0, 0.0])


@pytest.mark.parametrize("func", [kernels.sample_bilinear, kernels.sample_bilinear_reference])
def test_bilinear_values(func):
    source = [[0.0, 4.0], [8.0, 12.0]]
    got = _sample(
        func,
        source,
        [[0.5, 0.5, 1.0, 1.0, 1.5, 0.75, 0.2]],
        [[0.5, 1.0, 0.5, 1.0, 1.5, 1.25, 1.0]],
    )
    # centres return themselves; midpoints interpolate; inside the outer half cell
    # (no neighbour beyond the edge) the weights renormalise to the cell itself
    np.testing.assert_allclose(got, [0.0, 2.0, 4.0, 6.0, 12.0, 5.0, 2.0], rtol=1e-12)


@pytest.mark.parametrize("func", [kernels.sample_nearest, kernels.sample_nearest_reference])
def test_nearest_values(func):
    source = [[1.0, 2.0], [3.0, NAN]]
    got = _sample(func, source, [[0.0, 0.999, 1.0, 1.999, 1.5]], [[0.0, 1.0, 0.0, 0.5, 1.5]])
    np.testing.assert_array_equal(got[:4], [1.0, 2.0, 3.0, 3.0])
    assert math.isnan(got[4])


@pytest.mark.parametrize("func", [kernels.sample_bilinear, kernels.sample_bilinear_reference])
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_bilinear_never_invents_water(func, data):
    """Within the range of its valid neighbours, NaN exactly where the nearest is NaN."""
    source, rows, cols, out = data.draw(sampling_inputs())
    func(source, rows, cols, out)
    sh, sw = source.shape[1:]
    inside = (rows >= 0) & (cols >= 0) & (rows < sh) & (cols < sw)
    ri = np.floor(np.where(inside, rows, 0)).astype(int)
    ci = np.floor(np.where(inside, cols, 0)).astype(int)
    nearest = np.where(inside[None], source[:, ri, ci], NAN)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(nearest))
    # a convex combination of the valid 3x3 neighbourhood around the nearest cell
    for b in range(source.shape[0]):
        for (i, j), value in np.ndenumerate(out[b]):
            if math.isnan(value):
                continue
            block = source[
                b, max(ri[i, j] - 1, 0) : ri[i, j] + 2, max(ci[i, j] - 1, 0) : ci[i, j] + 2
            ]
            assert np.nanmin(block) - 1e-12 <= value <= np.nanmax(block) + 1e-12
            if np.nanmax(np.abs(block)) == 0.0:
                assert value == 0.0


# ---------------------------------------------------------- conservative regrid


@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_regrid_conserves_the_part_inside(data):
    """With the whole target as the block, the total equals Σ source × share inside."""
    sh, sw = data.draw(grid_shapes())
    ratio_r = data.draw(st.sampled_from((0.5, 1.0, 2.0, 0.7, 1.37, 1.0 / 3.0)))
    ratio_c = data.draw(st.sampled_from((0.5, 1.0, 2.0, 0.7, 1.37, 1.0 / 3.0)))
    off_r = data.draw(st.sampled_from((0.0, -1.25, 0.5, 2.0)))
    off_c = data.draw(st.sampled_from((0.0, -1.25, 0.5, 2.0)))
    n_rows = data.draw(st.integers(1, 10))
    n_cols = data.draw(st.integers(1, 10))
    source = data.draw(hnp.arrays(np.float64, (sh, sw), elements=st.floats(0, 1e4)))
    er = off_r + ratio_r * np.arange(sh + 1)
    ec = off_c + ratio_c * np.arange(sw + 1)

    def inside_share(edges, n):
        lo, hi = edges[:-1], edges[1:]
        return (np.clip(hi, 0, n) - np.clip(lo, 0, n)) / (hi - lo)

    expected = inside_share(er, n_rows) @ source @ inside_share(ec, n_cols)
    for func in KERNELS["regrid_area_weighted"]:
        out = np.zeros((n_rows, n_cols))
        func(source, *overlap_weights(er, n_rows), *overlap_weights(ec, n_cols), 0, 0, out)
        assert out.sum() == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert (out >= 0).all()


def test_overlap_weights_exact_for_integer_factor():
    ptr, index, weight = overlap_weights(np.arange(7) / 3.0, 2)
    np.testing.assert_array_equal(ptr, np.arange(7))
    np.testing.assert_array_equal(index, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(weight, np.ones(6))
    ptr, index, weight = overlap_weights(np.arange(3) * 2.0, 4)
    np.testing.assert_array_equal(ptr, [0, 2, 4])
    np.testing.assert_array_equal(index, [0, 1, 2, 3])
    np.testing.assert_array_equal(weight, [0.5] * 4)


@SETTINGS
@given(data=st.data())
def test_allocation_conserves_people(data):
    """Σ hosted + Σ no host = Σ displaced (positive parts), flows add up to the hosted and
    each unit's flows and people without a host add up to its parts."""
    (args, _), _ = case_allocate_by_distance(data)
    part_zone, part_amount = args[1], args[2]
    hosted, no_host, zone_no_host = args[6:]
    for out in (hosted, no_host, zone_no_host):
        out[...] = 0.0
    flow_from, flow_to, flow_people = kernels.allocate_by_distance(*args)
    given_out = np.where(part_amount > 0, part_amount, 0.0)
    assert hosted.sum() + no_host.sum() == pytest.approx(given_out.sum(), rel=1e-12, abs=1e-9)
    assert flow_people.sum() == pytest.approx(hosted.sum(), rel=1e-12, abs=1e-9)
    assert zone_no_host.sum() == pytest.approx(no_host.sum(), rel=1e-12, abs=1e-9)
    n_zones = zone_no_host.size
    per_unit = np.bincount(part_zone, weights=given_out, minlength=n_zones)
    moved = np.bincount(flow_from, weights=flow_people, minlength=n_zones)
    np.testing.assert_allclose(moved + zone_no_host, per_unit, rtol=1e-12, atol=1e-9)
    into = np.bincount(flow_to, weights=flow_people, minlength=n_zones)
    np.testing.assert_allclose(
        into,
        np.bincount(args[5].ravel(), weights=hosted.ravel(), minlength=n_zones),
        rtol=1e-12,
        atol=1e-9,
    )


@pytest.mark.parametrize("func", KERNELS["mark_unknown_cells"])
def test_unknown_cells_by_hand(func):
    """Populated cells with no hazard data in any band become NaN; a band with data, no
    people, or a NaN fraction where the intensity is 0 (not consulted) keep the value."""
    population = np.array([[5.0, 5.0, 0.0, 5.0, 5.0, 5.0]])
    intensity = np.array(
        [[[[NAN, NAN, NAN, 0.5, 0.0, 1.0]], [[NAN, 0.2, NAN, 0.5, NAN, NAN]]]]
    )  # (1 component, 2 bands, 1 row, 6 columns)
    fraction = np.array([[[1.0, 1.0, 1.0, NAN, NAN, NAN]], [[1.0, 1.0, 1.0, NAN, 1.0, 1.0]]])
    cells = np.arange(6, dtype=np.float64)[None, :]
    func(population, intensity, fraction, cells)
    # 0: both bands NaN; 3: both wet with NaN fractions; 4: band 0 is 0 m (its NaN
    # fraction not consulted), so known; 5: band 0 wet with NaN fraction, band 1 NaN
    np.testing.assert_array_equal(cells[0], [NAN, 1.0, 2.0, NAN, 4.0, NAN])
    combined = np.array([[[[NAN, NAN]]], [[[NAN, 0.3]]]])  # 2 components, 1 band
    cells = np.zeros((1, 2))
    func(np.array([[1.0, 1.0]]), combined, np.zeros((0, 0, 0)), cells)
    np.testing.assert_array_equal(cells[0], [NAN, 0.0])
