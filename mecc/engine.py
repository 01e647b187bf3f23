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
from dataclasses import dataclass, field

import numpy as np

from mecc.allocation import block_zone_parts, join_zone_parts
from mecc.grid import GridSpec, block_windows, reused
from mecc.kernels import (
    mark_unknown_cells,
    max_groups,
    overlay_bands,
    zonal_population,
)
from mecc.point_figures import (
    PointFigures,
    combined_figures_per_person,
    figures_per_person,
    overlay_components,
)

__all__ = [
    "DEFAULT_BLOCK",
    "EngineResult",
    "OverlayInput",
    "OverlaySums",
    "block_shape_for",
    "block_shape_for_layers",
    "overlay",
    "population_by_zone",
]

DEFAULT_BLOCK = (256, 2048)
"""Default block shape (rows, columns) of the partition."""
STACK_BYTES = 192 * 2**20
"""Most bytes of the float64 hazard layers one thread holds for a block (see
:func:`block_shape_for`)."""


def block_shape_for(hazards) -> tuple[int, int]:
    """The block shape for a run of these hazards (``hazards.readers.HazardSet``).

    Each thread keeps every hazard's grids of its block (bands, flooded fractions and
    components, as float64, besides the files' own values), so an event set of hundreds
    of bands would hold gigabytes at the default shape. Narrower, then shorter blocks
    keep them within :data:`STACK_BYTES`: 8 bands keep the default (32 MB), 600 bands
    get 128 x 256 cells (157 MB). Widths stay multiples of 256 (the usual tile) and rows
    powers of two (previews and overviews line up); at least 16 x 256 cells.
    """
    layers = sum(
        len(part.layers) * (2 if part.fraction_layers is not None else 1)
        for hazard in hazards
        for part in (hazard.components or [hazard])
    )
    return block_shape_for_layers(layers)


def block_shape_for_layers(layers: int) -> tuple[int, int]:
    """The block shape for ``layers`` float64 grids per thread (:func:`block_shape_for`)."""
    rows, cols = DEFAULT_BLOCK
    while layers * rows * cols * 8 > STACK_BYTES and cols > 256:
        cols //= 2
    while layers * rows * cols * 8 > STACK_BYTES and rows > 16:
        rows //= 2
    return rows, cols


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
    variant_curves : tuple
        For a combined hazard, one more packed set of component curves per curve variant
        (``low``, ``high``: ``hazards.combined``), evaluated on the same grids read once;
        its displaced people go to curve slots 1, 2, ... after the central ``curves``.
    write_cells : bool
        Whether this hazard's per-cell output goes to ``cell_sink``.
    preview_factor : int
        When > 0, a coarse picture of every band (the largest intensity of each
        ``factor x factor`` group of cells) is kept for the map, read along the way.
    coarse_factor : int
        When > 0, displaced and safe people per band on a grid of ``factor x factor``
        groups of cells (the coarse sums of ``kernels.overlay_bands``), for the allocation.
    """

    id: str
    intensity: object
    fraction: object
    curves: tuple
    exposure_threshold: object
    band_weight: np.ndarray
    components: list | None = None
    combine_max: bool = True
    variant_curves: tuple = ()
    write_cells: bool = True
    preview_factor: int = 0
    coarse_factor: int = 0


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
    layer_population: np.ndarray | None = None
    layer_sums: dict | None = None
    coarse: dict | None = None
    points: dict | None = None
    zone_parts: tuple | None = None


def _preview(intensity: np.ndarray, factor: int) -> np.ndarray:
    """The largest intensity of each factor x factor group of a block, per band."""
    n_bands, h, w = intensity.shape
    coarse = np.full((n_bands, -(-h // factor), -(-w // factor)), np.nan)
    for b in range(n_bands):
        max_groups(intensity[b], factor, coarse[b])
    return coarse


def _read_components(hazard, window, buffer, stack):
    """Every component grid of a combined hazard for one block, (n_components, n_bands, h, w)."""
    combined = buffer(f"components{hazard.id}", (len(hazard.components), *stack))
    for c, reader in enumerate(hazard.components):
        reader.read(window, out=combined[c])
    return combined


def _new_sums(n_zones: int, hazard: OverlayInput) -> OverlaySums:
    n_bands = hazard.intensity.count
    n_curves = 1 + len(hazard.variant_curves) if hazard.components else hazard.curves[2].shape[0]
    return OverlaySums(
        np.zeros((n_zones, n_bands)),
        np.zeros((n_zones, n_bands, n_curves)),
        np.zeros((n_zones, n_bands)),
    )


@dataclass
class _BlockOptions:
    zone_scale: np.ndarray | None
    additions: object
    layers: object
    want_cells: bool
    parts_factor: int = 0


@dataclass
class BlockSums:
    """What one block adds: per-zone sums for everyone, per layer, and coarse grids."""

    population: np.ndarray
    cells: np.ndarray
    layer_population: np.ndarray
    hazards: list = field(default_factory=list)
    cell_arrays: list = field(default_factory=list)
    previews: list = field(default_factory=list)
    layer_hazards: list = field(default_factory=list)
    coarse: list = field(default_factory=list)
    points: list = field(default_factory=list)
    zone_parts: tuple | None = None


def _thread_buffer(local):
    """A function giving per-thread arrays reused from block to block.

    One flat array per name and dtype serves every shape (the smaller blocks at the
    grid's edges take its start), so a thread holds each buffer once, not once per
    block shape.
    """

    def buffer(name, shape, dtype=np.float64):
        return reused(local.__dict__.setdefault("store", {}), (name, dtype), shape, dtype)

    return buffer


def _dtype(reader) -> np.dtype:
    """The data type of a reader's exact buffers (``mecc.grid.AlignedBands.dtype``;
    float64 for readers that do not say)."""
    return np.dtype(getattr(reader, "dtype", np.float64))


def _people(window, population, zones, options, buffer, shape):
    people = population.read(window, out=buffer("people", shape))
    zone = zones.rasterize(window, out=buffer("zone", shape, np.int32))
    if options.zone_scale is not None:
        people *= options.zone_scale[zone]
    if options.additions is not None:
        options.additions.add_into(window, people)
    return people, zone


def overlay_block(window, population, zones, hazards, options, buffer) -> BlockSums:
    """Overlay one block of the partition: every hazard, everyone and every layer."""
    shape = (int(window.height), int(window.width))
    n_zones = zones.n + 1
    layers = options.layers
    n_layers = len(layers.names) if layers is not None else 0
    people, zone = _people(window, population, zones, options, buffer, shape)
    block = BlockSums(
        np.zeros(n_zones), np.zeros(n_zones, dtype=np.int64), np.zeros((n_layers, n_zones))
    )
    zonal_population(people, zone, block.population, block.cells)
    if options.parts_factor:  # the units sharing each allocation cell (every block)
        block.zone_parts = block_zone_parts(zone, options.parts_factor, n_zones)
    populated = bool((people > 0.0).any())
    layer_stack, points = None, []
    if layers is not None and populated:
        n_dense = layers.n_dense
        layer_stack = layers.read(window, people, out=buffer("layers", (n_dense, *shape)))
        spare = np.zeros(n_zones, dtype=np.int64)
        for k in range(n_dense):
            zonal_population(layer_stack[k], zone, block.layer_population[k], spare)
        for k, (rows, cols, values) in enumerate(layers.points(window, people), start=n_dense):
            np.add.at(block.layer_population[k], zone[rows, cols], values)
            points.append(
                (rows, cols, values[None, :], np.ascontiguousarray(zone[rows, cols][None, :]))
            )
    for hazard in hazards:
        part = _new_sums(n_zones, hazard)
        per_layer = [_new_sums(n_zones, hazard) for _ in range(n_layers)]
        cell_out = np.zeros(shape) if options.want_cells and hazard.write_cells else _EMPTY2
        block.hazards.append(part)
        block.layer_hazards.append(per_layer)
        block.cell_arrays.append(cell_out)
        block.previews.append(None)
        block.coarse.append(None)
        block.points.append(None)
        wants_preview = hazard.preview_factor > 0 and not hazard.components
        if not populated and not wants_preview:  # nobody here: nothing to add
            continue
        stack = (hazard.intensity.count, *shape)
        dense = per_layer[: len(layer_stack)] if layer_stack is not None else []
        sparse = per_layer[len(dense) :] if points else []
        if hazard.components:
            combined = _read_components(hazard, window, buffer, stack)
            overlay_components(hazard, combined, people, zone, part, cell_out)
            _mark_unknown(people, combined, _EMPTY3, part, cell_out)
            for k, layer_part in enumerate(dense):
                overlay_components(hazard, combined, layer_stack[k], zone, layer_part, _EMPTY2)
            for (rows, cols, values, where), layer_part in zip(points, sparse, strict=True):
                at = np.ascontiguousarray(combined[:, :, rows, cols][:, :, None, :])
                overlay_components(hazard, at, values, where, layer_part, _EMPTY2)
                block.points[-1] = combined_figures_per_person(
                    hazard, window, rows, cols, where, at, values[0]
                )
            continue
        intensity = hazard.intensity.read(  # float32 where that is exact: half the traffic
            window, out=buffer(f"intensity{hazard.id}", stack, _dtype(hazard.intensity))
        )
        if wants_preview:
            block.previews[-1] = _preview(intensity, hazard.preview_factor)
        if not populated:
            continue
        fraction = (
            hazard.fraction.read(
                window, out=buffer(f"fraction{hazard.id}", stack, _dtype(hazard.fraction))
            )
            if hazard.fraction is not None
            else _EMPTY3
        )
        coarse = (None, None)
        if hazard.coarse_factor > 0:  # the allocation's sums, added on the same pass
            f = hazard.coarse_factor
            coarse_shape = (hazard.intensity.count, -(-shape[0] // f), -(-shape[1] // f))
            coarse = (np.zeros(coarse_shape), np.zeros(coarse_shape))
            block.coarse[-1] = coarse
        runs = [(people, zone, intensity, fraction, part, cell_out, coarse)]
        runs += [
            (layer_stack[k], zone, intensity, fraction, p, _EMPTY2, (None, None))
            for k, p in enumerate(dense)
        ]
        for (rows, cols, values, where), layer_part in zip(points, sparse, strict=True):
            at = np.ascontiguousarray(intensity[:, rows, cols][:, None, :])
            share = (
                np.ascontiguousarray(fraction[:, rows, cols][:, None, :])
                if fraction.shape[0]
                else _EMPTY3
            )
            runs.append((values, where, at, share, layer_part, _EMPTY2, (None, None)))
            block.points[-1] = figures_per_person(
                hazard, window, rows, cols, where, at, share, values[0]
            )
        for who, zone_of, values, flooded, sums, cells, (coarse_displaced, safe) in runs:
            overlay_bands(
                who,
                zone_of,
                values,
                flooded,
                *hazard.curves,
                float(hazard.exposure_threshold),
                hazard.band_weight,
                sums.exposed,
                sums.displaced,
                sums.no_hazard_data,
                cells,
                hazard.coarse_factor,
                coarse_displaced,
                safe,
            )
        _mark_unknown(people, intensity[np.newaxis], fraction, part, cell_out)
    return block


def _mark_unknown(people, intensity, fraction, part, cell_out) -> None:
    """NaN in the per-cell output where people have no hazard data in any band (only
    in blocks where the overlay counted some)."""
    if cell_out.shape[0] and part.no_hazard_data.any():
        mark_unknown_cells(people, intensity, fraction, cell_out)


class _Totals:
    """The block sums combined in block order, and the coarse grids put in place."""

    def __init__(self, grid, n_zones, hazards, layers, cell_sink, parts_factor=0):
        n_layers = len(layers.names) if layers is not None else 0
        self.hazards = hazards
        self.layers = layers
        self.cell_sink = cell_sink
        self.population = np.zeros(n_zones)
        self.cells = np.zeros(n_zones, dtype=np.int64)
        self.sums = [_new_sums(n_zones, hazard) for hazard in hazards]
        self.layer_population = np.zeros((n_layers, n_zones))
        self.layer_sums = [[_new_sums(n_zones, h) for _ in range(n_layers)] for h in hazards]

        def coarse_grid(hazard, factor, fill):
            shape = (-(-grid.height // factor), -(-grid.width // factor))
            return np.full((hazard.intensity.count, *shape), fill)

        self.previews = {
            h.id: coarse_grid(h, h.preview_factor, np.nan)
            for h in hazards
            if h.preview_factor > 0 and not h.components
        }
        self.coarse = {
            h.id: (coarse_grid(h, h.coarse_factor, 0.0), coarse_grid(h, h.coarse_factor, 0.0))
            for h in hazards
            if h.coarse_factor > 0 and not h.components
        }
        self.points = {h.id: [] for h in hazards}
        self.parts_factor, self.zone_parts = parts_factor, []
        self.parts_width = -(-grid.width // parts_factor) if parts_factor else 0

    @staticmethod
    def _slot(target, window, factor, coarse):
        """The part of a coarse grid a block covers, or None if the blocks do not line up."""
        r0, c0 = int(window.row_off), int(window.col_off)
        if r0 % factor or c0 % factor:
            return None
        return target[
            :,
            r0 // factor : r0 // factor + coarse.shape[1],
            c0 // factor : c0 // factor + coarse.shape[2],
        ]

    def add(self, window, block: BlockSums) -> None:
        self.population += block.population
        self.cells += block.cells
        self.layer_population += block.layer_population
        if block.zone_parts is not None:
            f = self.parts_factor
            self.zone_parts.append(
                (int(window.row_off) // f, int(window.col_off) // f, block.zone_parts)
            )
        for k, hazard in enumerate(self.hazards):
            self.sums[k].add(block.hazards[k])
            for total, part in zip(self.layer_sums[k], block.layer_hazards[k], strict=True):
                total.add(part)
            picture = block.previews[k]
            if picture is not None and hazard.id in self.previews:
                slot = self._slot(self.previews[hazard.id], window, hazard.preview_factor, picture)
                if slot is None:
                    del self.previews[hazard.id]
                else:
                    np.fmax(slot, picture, out=slot)
            parts = block.coarse[k]
            if parts is not None and hazard.id in self.coarse:
                for target, part in zip(self.coarse[hazard.id], parts, strict=True):
                    slot = self._slot(target, window, hazard.coarse_factor, part)
                    if slot is None:
                        raise ValueError("the allocation grid must line up with the blocks")
                    slot += part
            if block.points[k] is not None:
                self.points[hazard.id].append(block.points[k])
            if self.cell_sink is not None and hazard.write_cells:
                self.cell_sink(k, window, block.cell_arrays[k])

    def result(self, blocks: int) -> EngineResult:
        with_layers = self.layers is not None
        return EngineResult(
            self.population,
            self.cells,
            {h.id: self.sums[k] for k, h in enumerate(self.hazards)},
            blocks,
            self.previews,
            self.layer_population if with_layers else None,
            {h.id: self.layer_sums[k] for k, h in enumerate(self.hazards)} if with_layers else None,
            self.coarse or None,
            {
                hazard_id: PointFigures(
                    *(np.concatenate(part) for part in zip(*parts, strict=True))
                )
                for hazard_id, parts in self.points.items()
                if parts
            }
            or None,
            join_zone_parts(self.zone_parts, self.parts_width, len(self.population))
            if self.parts_factor
            else None,
        )


def population_by_zone(grid: GridSpec, population, zones, block_shape, threads=1) -> np.ndarray:
    """People per finest unit + outside, before any adjustment (one read of the grid).

    Used when factors depend on the grid's own totals (scaling to official totals,
    people moved out of their zone of origin).
    """
    n_zones = zones.n + 1
    windows = list(block_windows(grid, *block_shape))

    def work(window):
        shape = (int(window.height), int(window.width))
        people = population.read(window, out=np.empty(shape))
        zone = zones.rasterize(window, out=np.empty(shape, dtype=np.int32))
        part = np.zeros(n_zones)
        zonal_population(people, zone, part, np.zeros(n_zones, dtype=np.int64))
        return part

    total = np.zeros(n_zones)
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        for part in pool.map(work, windows):  # in block order: the same sums every time
            total += part
    return total


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
    zone_scale: np.ndarray | None = None,
    additions=None,
    layers=None,
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
    zone_scale : ndarray, shape (n_zones,), optional
        People of each cell are multiplied by its zone's factor (scaling to official
        totals, people moved out of their zone of origin).
    additions : object, optional
        ``add_into(window, out)`` adds people at points (e.g. displacement sites) after
        the scaling.
    layers : object, optional
        Sub-populations counted separately (cohorts, people in sites): ``names`` and
        ``read(window, people, out) -> (n_layers, h, w)``, each layer a part of
        ``people``. Every hazard's sums are also kept per layer (no per-cell output).

    Returns
    -------
    EngineResult
    """
    n_zones = zones.n + 1
    windows = list(block_windows(grid, *block_shape))
    parts_factor = max((h.coarse_factor for h in hazards if not h.components), default=0)
    options = _BlockOptions(zone_scale, additions, layers, cell_sink is not None, parts_factor)
    local = threading.local()

    def work(window):
        return overlay_block(window, population, zones, hazards, options, _thread_buffer(local))

    totals = _Totals(grid, n_zones, hazards, layers, cell_sink, parts_factor)
    done = 0

    def combine(window, block):
        nonlocal done
        totals.add(window, block)
        done += 1
        if progress:
            progress(done, len(windows))

    if threads <= 1:
        for window in windows:
            combine(window, work(window))
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            pending: deque = deque()
            for window in windows:
                pending.append((window, pool.submit(work, window)))
                if len(pending) >= 2 * threads:
                    w, future = pending.popleft()
                    combine(w, future.result())
            while pending:
                w, future = pending.popleft()
                combine(w, future.result())
    return totals.result(len(windows))
