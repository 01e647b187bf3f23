"""The streaming engine: block size and thread count change no result; totals are right."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hazards.curves import Curve, pack_curves
from mecc.engine import OverlayInput, overlay
from mecc.grid import GridSpec

BLOCKS = [(1, 1), (3, 7), (16, 16), (1000, 1000)]
THREADS = [1, 2, 3]
NAN = float("nan")
STEP_POINTS = (0.0, 0.1, 0.5, 1.0, 1.5, 2.0)


# ------------------------------------------------------------ in-memory sources


def _slice(window):
    r, c = int(window.row_off), int(window.col_off)
    return slice(r, r + int(window.height)), slice(c, c + int(window.width))


def _deliver(values, out):
    """The engine passes reusable buffers: fill them like the real readers do."""
    if out is None:
        return values.copy()
    out[...] = values
    return out


class ArrayPopulation:
    def __init__(self, values):
        self.values = values

    def read(self, window, out=None):
        rows, cols = _slice(window)
        return _deliver(self.values[rows, cols], out)


class ArrayZones:
    def __init__(self, index, n):
        self.index = index
        self.n = n

    def rasterize(self, window, out=None):
        rows, cols = _slice(window)
        return _deliver(self.index[rows, cols].astype(np.int32), out)


class ArrayBands:
    def __init__(self, values):
        self.values = values
        self.count = values.shape[0]

    def read(self, window, out=None):
        rows, cols = _slice(window)
        return _deliver(self.values[:, rows, cols], out)


def grid_for(h, w):
    return GridSpec("EPSG:4326", Affine(0.1, 0, 10.0, 0, -0.1, 50.0), w, h)


# ------------------------------------------------------------------ strategies


@st.composite
def curve_lists(draw):
    curves = []
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["linear", "step"]))
        xs = sorted(
            draw(st.lists(st.sampled_from(STEP_POINTS), min_size=1, max_size=4, unique=True))
        )
        if kind == "linear" and draw(st.booleans()):
            at = draw(st.integers(0, len(xs) - 1))
            xs = xs[: at + 1] + [xs[at]] + xs[at + 1 :]
        ys = draw(st.lists(st.floats(0, 1), min_size=len(xs), max_size=len(xs)))
        curves.append(Curve(f"c{k}", tuple(xs), tuple(ys), kind=kind))
    return curves


def intensity_values(threshold):
    return st.one_of(
        st.sampled_from((NAN, 0.0, -1.0, threshold, *STEP_POINTS)),
        st.floats(-1, 4, allow_nan=False, allow_infinity=False),
    )


@st.composite
def scenes(draw, max_side=14):
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    n = draw(st.integers(1, 4))  # finest units; index n is outside
    zone = draw(hnp.arrays(np.int32, (h, w), elements=st.integers(0, n)))
    population = draw(
        hnp.arrays(
            np.float64,
            (h, w),
            elements=st.one_of(st.sampled_from((NAN, 0.0, -2.0, 1.0)), st.floats(0, 1e6)),
        )
    )
    hazards = []
    for k in range(draw(st.integers(1, 2))):
        n_bands = draw(st.integers(1, 3))
        threshold = draw(st.sampled_from((0.1, 0.5, 1.0)))
        intensity = draw(
            hnp.arrays(np.float64, (n_bands, h, w), elements=intensity_values(threshold))
        )
        fraction = None
        if draw(st.booleans()):
            fraction = draw(
                hnp.arrays(
                    np.float64,
                    (n_bands, h, w),
                    elements=st.one_of(st.sampled_from((NAN, 0.0, 1.0)), st.floats(0, 1)),
                )
            )
        curves = draw(curve_lists())
        weight = draw(hnp.arrays(np.float64, (n + 1, n_bands), elements=st.floats(0, 2)))
        hazards.append(
            {
                "id": f"h{k}",
                "intensity": intensity,
                "fraction": fraction,
                "curves": curves,
                "threshold": threshold,
                "weight": weight,
            }
        )
    return {"h": h, "w": w, "n": n, "zone": zone, "population": population, "hazards": hazards}


def run(scene, block_shape, threads):
    inputs = [
        OverlayInput(
            id=hz["id"],
            intensity=ArrayBands(hz["intensity"]),
            fraction=None if hz["fraction"] is None else ArrayBands(hz["fraction"]),
            curves=pack_curves(hz["curves"]),
            exposure_threshold=hz["threshold"],
            band_weight=hz["weight"],
        )
        for hz in scene["hazards"]
    ]
    # -1: not delivered yet (the engine's cells are >= 0, or NaN where unknown)
    cells = [np.full((scene["h"], scene["w"]), -1.0) for _ in inputs]
    order = []

    def sink(k, window, values):
        rows, cols = _slice(window)
        assert (cells[k][rows, cols] == -1.0).all(), "a cell was delivered twice"
        cells[k][rows, cols] = values
        order.append((k, int(window.row_off), int(window.col_off)))

    result = overlay(
        grid_for(scene["h"], scene["w"]),
        ArrayPopulation(scene["population"]),
        ArrayZones(scene["zone"], scene["n"]),
        inputs,
        block_shape=block_shape,
        threads=threads,
        cell_sink=sink,
    )
    # blocks reach the sink in block order (row-major), each hazard once per block
    starts = [(r, c) for k, r, c in order if k == 0]
    assert starts == sorted(starts)
    assert not (np.concatenate([c.ravel() for c in cells]) == -1.0).any()
    return result, cells


def flatten(result, cells):
    """Every number the engine produced, in a fixed order."""
    parts = [result.population, result.cells.astype(np.float64)]
    for key in sorted(result.hazards):
        sums = result.hazards[key]
        parts += [sums.exposed.ravel(), sums.displaced.ravel(), sums.no_hazard_data.ravel()]
    return np.concatenate([p.ravel() for p in parts]), [c.copy() for c in cells]


# --------------------------------------------------------------------- tests


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(scene=scenes())
def test_block_shape_and_threads_do_not_change_results(scene):
    baseline = None
    for block in BLOCKS:
        per_block = None
        for threads in THREADS:
            values, cells = flatten(*run(scene, block, threads))
            if per_block is None:
                per_block = (values, cells)
            else:
                # a fixed block shape: bit-identical whatever the thread count
                np.testing.assert_array_equal(values, per_block[0])
                for a, b in zip(cells, per_block[1], strict=True):
                    np.testing.assert_array_equal(a, b)
        if baseline is None:
            baseline = per_block
        else:
            # sums of non-negative parts: 1e-12 relative whatever the block shape
            np.testing.assert_allclose(per_block[0], baseline[0], rtol=1e-12, atol=0)
            # the per-cell output does not depend on blocks at all
            for a, b in zip(per_block[1], baseline[1], strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def _share(curve, value):
    """Independent scalar evaluation of a curve (right-continuous, clamped)."""
    xs, ys = curve.intensity, curve.share
    k = -1
    for i, x in enumerate(xs):
        if x <= value:
            k = i
    if k < 0:
        return ys[0]
    if curve.kind == "step" or k == len(xs) - 1:
        return ys[k]
    return ys[k] + (ys[k + 1] - ys[k]) * (value - xs[k]) / (xs[k + 1] - xs[k])


def direct(scene):
    """The whole-grid answer with plain numpy and Python loops, no kernels."""
    n_zones = scene["n"] + 1
    pop = scene["population"]
    zone = scene["zone"]
    people = np.where(pop > 0, pop, 0.0)
    population = np.array([people[zone == z].sum() for z in range(n_zones)])
    cells = np.array([(zone == z).sum() for z in range(n_zones)])
    hazards = {}
    for hz in scene["hazards"]:
        n_bands = hz["intensity"].shape[0]
        n_curves = len(hz["curves"])
        exposed = np.zeros((n_zones, n_bands))
        displaced = np.zeros((n_zones, n_bands, n_curves))
        no_data = np.zeros((n_zones, n_bands))
        per_cell = np.zeros(pop.shape)
        for (i, j), p in np.ndenumerate(pop):
            if not p > 0:
                continue
            z = zone[i, j]
            bands_missing = 0
            for b in range(n_bands):
                value = hz["intensity"][b, i, j]
                f = 1.0 if hz["fraction"] is None else hz["fraction"][b, i, j]
                # the fraction matters only where the intensity is above 0
                if math.isnan(value) or (value > 0 and math.isnan(f)):
                    no_data[z, b] += p
                    bands_missing += 1
                    continue
                if value <= 0 or f <= 0:
                    continue
                if value >= hz["threshold"]:
                    exposed[z, b] += p * f
                for v, curve in enumerate(hz["curves"]):
                    d = p * f * _share(curve, value)
                    displaced[z, b, v] += d
                    if v == 0:
                        per_cell[i, j] += hz["weight"][z, b] * d
            if bands_missing == n_bands:
                per_cell[i, j] = math.nan  # people, and no hazard data in any band
        hazards[hz["id"]] = (exposed, displaced, no_data, per_cell)
    return population, cells, hazards


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    scene=scenes(max_side=20), block=st.sampled_from(BLOCKS[1:]), threads=st.sampled_from(THREADS)
)
def test_engine_totals_equal_direct_numpy(scene, block, threads):
    result, cells = run(scene, block, threads)
    population, n_cells, hazards = direct(scene)
    np.testing.assert_allclose(result.population, population, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(result.cells, n_cells)
    assert result.cells.sum() == scene["h"] * scene["w"]
    # national totals: Σ zones + outside = population on the grid
    total = np.where(scene["population"] > 0, scene["population"], 0).sum()
    assert result.population.sum() == pytest.approx(total, rel=1e-12, abs=0)
    for k, hz in enumerate(scene["hazards"]):
        sums = result.hazards[hz["id"]]
        exposed, displaced, no_data, per_cell = hazards[hz["id"]]
        # value-level checks to ~1e-12 (curve interpolation rounding differs slightly)
        np.testing.assert_allclose(sums.exposed, exposed, rtol=1e-12, atol=0)
        np.testing.assert_allclose(sums.no_hazard_data, no_data, rtol=1e-12, atol=0)
        np.testing.assert_allclose(sums.displaced, displaced, rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(cells[k], per_cell, rtol=1e-10, atol=1e-300)
        # people with hazard data + without never exceed the population, per band
        assert (sums.exposed.sum(axis=0) <= total * (1 + 1e-12)).all()
        assert (sums.no_hazard_data.sum(axis=0) <= total * (1 + 1e-12)).all()


def test_engine_small_case_by_hand():
    """2 x 3 grid, two zones + outside, one band, a 1 m step curve, threshold 0.1."""
    scene = {
        "h": 2,
        "w": 3,
        "n": 2,
        "zone": np.array([[0, 0, 1], [1, 2, 2]], dtype=np.int32),
        "population": np.array([[100.0, 50.0, 10.0], [NAN, 30.0, 7.0]]),
        "hazards": [
            {
                "id": "flood",
                "intensity": np.array([[[1.2, 0.5, NAN], [3.0, 1.0, 0.0]]]),
                "fraction": None,
                "curves": [
                    Curve("s", (1.0,), (1.0,), kind="step"),
                    Curve("l", (0.0, 2.0), (0.0, 1.0)),
                ],
                "threshold": 0.1,
                "weight": np.ones((3, 1)),
            }
        ],
    }
    for block in BLOCKS:
        result, cells = run(scene, block, 2)
        np.testing.assert_array_equal(result.population, [150.0, 10.0, 37.0])
        np.testing.assert_array_equal(result.cells, [2, 2, 2])
        sums = result.hazards["flood"]
        np.testing.assert_array_equal(sums.exposed[:, 0], [150.0, 0.0, 30.0])
        np.testing.assert_array_equal(sums.no_hazard_data[:, 0], [0.0, 10.0, 0.0])
        # step curve shares 1 for any positive intensity (first share below the point)
        np.testing.assert_array_equal(sums.displaced[:, 0, 0], [150.0, 0.0, 30.0])
        np.testing.assert_allclose(sums.displaced[:, 0, 1], [100 * 0.6 + 50 * 0.25, 0.0, 15.0])
        # (0, 2): 10 people, no hazard data: unknown, not 0
        np.testing.assert_array_equal(cells[0], [[100.0, 50.0, NAN], [0.0, 30.0, 0.0]])
        assert result.blocks == math.ceil(2 / block[0]) * math.ceil(3 / block[1])


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    scene=scenes(max_side=20), factor=st.sampled_from((1, 2, 4)), threads=st.sampled_from((1, 2))
)
def test_units_sharing_each_allocation_cell_are_counted_on_the_pass(scene, factor, threads):
    """``EngineResult.zone_parts``: the fine cells of each unit (and outside) in each
    ``factor x factor`` allocation cell, from every block, populated or not, whatever the
    blocks and threads; checked against one bincount over the whole zone grid."""
    h, w, n_zones = scene["h"], scene["w"], scene["n"] + 1
    small_width = -(-w // factor)
    rows, cols = np.indices((h, w))
    key = (((rows // factor) * small_width + cols // factor) * n_zones + scene["zone"]).ravel()
    counted = np.bincount(key)
    present = np.flatnonzero(counted)
    hz = scene["hazards"][0]
    hazard = OverlayInput(
        id="h",
        intensity=ArrayBands(hz["intensity"]),
        fraction=None,
        curves=pack_curves(hz["curves"]),
        exposure_threshold=hz["threshold"],
        band_weight=hz["weight"],
        coarse_factor=factor,
    )
    for block in [(factor, factor), (2 * factor, 3 * factor), (1000, 1000)]:
        result = overlay(
            grid_for(h, w),
            ArrayPopulation(scene["population"]),
            ArrayZones(scene["zone"], scene["n"]),
            [hazard],
            block_shape=block,
            threads=threads,
        )
        cell, zone, count = result.zone_parts
        np.testing.assert_array_equal(cell, present // n_zones)
        np.testing.assert_array_equal(zone, present % n_zones)
        np.testing.assert_array_equal(count, counted[present])


def test_no_allocation_counts_no_zone_parts():
    scene = {"h": 3, "w": 3, "zone": np.zeros((3, 3), np.int32), "n": 1}
    hazard = OverlayInput(
        id="h",
        intensity=ArrayBands(np.ones((1, 3, 3))),
        fraction=None,
        curves=pack_curves([Curve("c", (0.0, 1.0), (0.0, 1.0), kind="linear")]),
        exposure_threshold=0.5,
        band_weight=np.ones((2, 1)),
    )
    result = overlay(
        grid_for(3, 3),
        ArrayPopulation(np.ones((3, 3))),
        ArrayZones(scene["zone"], scene["n"]),
        [hazard],
    )
    assert result.zone_parts is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_block_buffers_go_back_to_the_system():
    """After a thread has churned through block-sized buffers, their pages stay in the
    process (glibc's heaps) until ``release_freed_memory`` returns them: of 400 MB a
    thread freed, about 250 MB stayed, and the process goes back to where it started."""
    script = """
import os, threading, numpy as np
from mecc.memory import release_freed_memory
def rss():
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024
start = rss()
def churn():
    for _ in range(2):  # freeing a 4 MB buffer raises glibc's mmap threshold
        np.ones(1 << 19)
    kept = [np.ones(1 << 18) for _ in range(200)]  # 200 x 2 MB, now from a heap
    del kept
worker = threading.Thread(target=churn)
worker.start()
worker.join()
held = rss()
assert release_freed_memory()
print(start, held, rss())
"""
    # glibc's defaults: a Dask LocalCluster started by an earlier test sets
    # MALLOC_TRIM_THRESHOLD_ in this process's environment, which trims at once
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    start, held, after = map(int, done.stdout.split())
    assert held - start > 150  # the freed buffers were kept
    assert after - start < 20  # and are given back
