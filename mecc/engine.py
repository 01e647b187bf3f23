"""The streaming engine: population, zones and hazard bands overlaid block by block.

For every block of a fixed partition of the analysis grid the engine reads the
population, rasterises the zones and, for each hazard set, reads all its bands at once
and runs the fused kernel (``kernels.overlay_bands``), which adds people, exposed,
displaced and "no hazard data" per zone and band. Blocks may run on several threads;
their partial sums are combined in block order, so the number of threads changes
nothing and the block size changes sums only by rounding (DESIGN.md, Numba rules).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from mecc.grid import GridSpec, block_windows
from mecc.kernels import max_groups, overlay_bands, overlay_combined, zonal_population

__all__ = ["DEFAULT_BLOCK", "EngineResult", "OverlayInput", "OverlaySums", "overlay"]

DEFAULT_BLOCK = (256, 2048)
"""Default block shape (rows, columns) of the partition."""

_EMPTY3 = np.zeros((0, 0, 0))
_EMPTY2 = np.zeros((0, 0))


@dataclass
class OverlayInput:
    """One hazard set ready for the engine.

    Attributes
    ----------
    id : str
    intensity : object
        ``count`` bands and ``read(window, out) -> (count, h, w)`` float64 on the
        analysis grid, NaN where missing, written into ``out`` (``mecc.grid.AlignedBands``).
    fraction : object or None
        Same interface; flooded share per band.
    curves : tuple of ndarray
        ``(x, y, n, kind)`` from ``hazards.curves.pack_curves``; curve 0 is central.
    exposure_threshold : float
    band_weight : ndarray, shape (n_zones, n_bands)
        Per-zone weights of the per-cell output (see ``kernels.overlay_bands``).
    components : list of object, optional
        For hazards of the same event: one intensity reader per component; ``curves``
        then holds one curve per component and ``exposure_threshold`` one threshold per
        component (``kernels.overlay_combined``).
    combine_max : bool
        Combine component shares by their maximum (else ``1 - prod(1 - share)``).
    write_cells : bool
        Whether this hazard's per-cell output goes to ``cell_sink``.
    preview_factor : int
        When > 0, a coarse picture of every band (the largest intensity of each
        ``factor x factor`` group of cells) is kept for the map, read along the way.
    """

    id: str
    intensity: object
    fraction: object
    curves: tuple
    exposure_threshold: object
    band_weight: np.ndarray
    components: list | None = None
    combine_max: bool = True
    write_cells: bool = True
    preview_factor: int = 0


@dataclass
class OverlaySums:
    """Per zone × band sums of one hazard set (zone axis: finest units + outside)."""

    exposed: np.ndarray
    displaced: np.ndarray
    no_hazard_data: np.ndarray

    def add(self, other: OverlaySums) -> None:
        """Add another partial in place."""
        self.exposed += other.exposed
        self.displaced += other.displaced
        self.no_hazard_data += other.no_hazard_data


@dataclass
class EngineResult:
    """What one pass over the grid produced."""

    population: np.ndarray
    cells: np.ndarray
    hazards: dict
    blocks: int
    previews: dict = None


def _preview(intensity: np.ndarray, factor: int) -> np.ndarray:
    """The largest intensity of each factor x factor group of a block, per band."""
    n_bands, h, w = intensity.shape
    coarse = np.full((n_bands, -(-h // factor), -(-w // factor)), np.nan)
    for b in range(n_bands):
        max_groups(intensity[b], factor, coarse[b])
    return coarse


def _overlay_components(hazard, window, people, zone, part, cell_out, buffer, stack):
    """Read every component of a combined hazard and run the combined overlay."""
    combined = buffer(f"components{hazard.id}", (len(hazard.components), *stack))
    for c, reader in enumerate(hazard.components):
        reader.read(window, out=combined[c])
    x, y, n, kind = hazard.curves
    overlay_combined(
        people,
        zone,
        combined,
        x,
        y,
        n,
        kind,
        np.asarray(hazard.exposure_threshold, dtype=np.float64),
        hazard.combine_max,
        hazard.band_weight,
        part.exposed,
        part.displaced,
        part.no_hazard_data,
        cell_out,
    )


def _new_sums(n_zones: int, hazard: OverlayInput) -> OverlaySums:
    n_bands = hazard.intensity.count
    n_curves = 1 if hazard.components else hazard.curves[2].shape[0]
    return OverlaySums(
        np.zeros((n_zones, n_bands)),
        np.zeros((n_zones, n_bands, n_curves)),
        np.zeros((n_zones, n_bands)),
    )


def overlay(
    grid: GridSpec,
    population,
    zones,
    hazards: list[OverlayInput],
    *,
    block_shape: tuple[int, int] = DEFAULT_BLOCK,
    threads: int = 1,
    cell_sink: Callable | None = None,
    progress: Callable | None = None,
) -> EngineResult:
    """Run the overlay over the whole analysis grid.

    Parameters
    ----------
    grid : GridSpec
        The analysis grid.
    population : object
        ``read(window, out) -> (h, w)`` float64 people per cell, written into ``out``
        (a buffer the engine reuses).
    zones : object
        ``n`` (finest units; zone index ``n`` is outside) and
        ``rasterize(window, out) -> (h, w)`` int32, written into ``out``.
    hazards : list of OverlayInput
    block_shape : (int, int)
        Rows and columns of each block of the fixed partition.
    threads : int
        Blocks processed at once; results do not depend on it.
    cell_sink : callable, optional
        ``cell_sink(hazard_index, window, cells)`` receives each hazard's per-cell
        output (weighted displaced people) block by block, in block order.
    progress : callable, optional
        ``progress(done_blocks, total_blocks)``.

    Returns
    -------
    EngineResult
    """
    n_zones = zones.n + 1
    windows = list(block_windows(grid, *block_shape))
    want_cells = cell_sink is not None

    local = threading.local()

    def buffer(name, shape, dtype=np.float64):
        """A per-thread array reused from block to block (no allocation per block)."""
        store = local.__dict__.setdefault("store", {})
        key = (name, shape)
        if key not in store:
            store[key] = np.empty(shape, dtype=dtype)
        return store[key]

    def work(window):
        shape = (int(window.height), int(window.width))
        people = population.read(window, out=buffer("people", shape))
        zone = zones.rasterize(window, out=buffer("zone", shape, np.int32))
        pop_sum = np.zeros(n_zones)
        cells = np.zeros(n_zones, dtype=np.int64)
        zonal_population(people, zone, pop_sum, cells)
        sums = []
        cell_arrays = []
        block_previews = []
        populated = bool((people > 0.0).any())
        for hazard in hazards:
            part = _new_sums(n_zones, hazard)
            cell_out = np.zeros(people.shape) if want_cells and hazard.write_cells else _EMPTY2
            sums.append(part)
            cell_arrays.append(cell_out)
            block_previews.append(None)
            wants_preview = hazard.preview_factor > 0 and not hazard.components
            if not populated and not wants_preview:  # nobody here: nothing to add
                continue
            stack = (hazard.intensity.count, *shape)
            if hazard.components:
                _overlay_components(hazard, window, people, zone, part, cell_out, buffer, stack)
                continue
            intensity = hazard.intensity.read(window, out=buffer(f"intensity{hazard.id}", stack))
            if wants_preview:
                block_previews[-1] = _preview(intensity, hazard.preview_factor)
            if not populated:
                continue
            fraction = (
                hazard.fraction.read(window, out=buffer(f"fraction{hazard.id}", stack))
                if hazard.fraction is not None
                else _EMPTY3
            )
            x, y, n, kind = hazard.curves
            overlay_bands(
                people,
                zone,
                intensity,
                fraction,
                x,
                y,
                n,
                kind,
                float(hazard.exposure_threshold),
                hazard.band_weight,
                part.exposed,
                part.displaced,
                part.no_hazard_data,
                cell_out,
            )
        return pop_sum, cells, sums, cell_arrays, block_previews

    population_total = np.zeros(n_zones)
    cell_total = np.zeros(n_zones, dtype=np.int64)
    totals = [_new_sums(n_zones, hazard) for hazard in hazards]

    previews = {
        hazard.id: np.full(
            (
                hazard.intensity.count,
                -(-grid.height // hazard.preview_factor),
                -(-grid.width // hazard.preview_factor),
            ),
            np.nan,
        )
        for hazard in hazards
        if hazard.preview_factor > 0 and not hazard.components
    }

    def combine(window, result):
        pop_sum, cells, sums, cell_arrays, block_previews = result
        population_total[:] += pop_sum
        cell_total[:] += cells
        for k, part in enumerate(sums):
            totals[k].add(part)
            coarse = block_previews[k]
            if coarse is not None and hazards[k].id in previews:
                f = hazards[k].preview_factor
                r0, c0 = int(window.row_off), int(window.col_off)
                if r0 % f or c0 % f:  # the blocks do not line up with the preview
                    del previews[hazards[k].id]
                else:
                    target = previews[hazards[k].id][
                        :, r0 // f : r0 // f + coarse.shape[1], c0 // f : c0 // f + coarse.shape[2]
                    ]
                    np.fmax(target, coarse, out=target)
            if want_cells and hazards[k].write_cells:
                cell_sink(k, window, cell_arrays[k])

    done = 0
    if threads <= 1:
        for window in windows:
            combine(window, work(window))
            done += 1
            if progress:
                progress(done, len(windows))
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            pending: deque = deque()
            for window in windows:
                pending.append((window, pool.submit(work, window)))
                if len(pending) >= 2 * threads:
                    w, future = pending.popleft()
                    combine(w, future.result())
                    done += 1
                    if progress:
                        progress(done, len(windows))
            while pending:
                w, future = pending.popleft()
                combine(w, future.result())
                done += 1
                if progress:
                    progress(done, len(windows))
    return EngineResult(
        population_total,
        cell_total,
        {hazard.id: totals[k] for k, hazard in enumerate(hazards)},
        len(windows),
        previews,
    )
