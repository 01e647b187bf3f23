"""The engine on Dask: the streaming engine's own blocks, grouped into chunks, one task each.

The analysis grid's fixed block partition (``mecc.grid.block_windows``) is grouped into
chunks of whole blocks. Each chunk is one Dask task that runs :func:`mecc.engine.overlay`
on the chunk, with its readers shifted to the chunk's place in the grid, so every block
is read and overlaid exactly as the streaming path does it, by the same serial ``nogil``
kernels (parallelism comes from the chunks, DESIGN.md). The engine's inputs travel to the
workers once, pickled (again, should they be lost with a worker: the scheduler keeps fewer
copies than it was given); every task opens the files itself, lazily (workers need the
paths, e.g. a shared file system). A cluster that fails under the run (the scheduler lost,
no worker left) stops it in one line (:mod:`mecc.cluster_checks`). Tasks return their
partial zone sums, the per-cell output of their blocks and the coarse map pictures; the
client combines the partial sums in a fixed binary tree over the chunk order, whatever
order the tasks finish in, so results match the streaming path to rounding (1e-12
relative) and repeat exactly from run to run.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError
from contextlib import nullcontext, suppress
from dataclasses import dataclass, replace

import numpy as np
from rasterio.windows import Window

from mecc import engine
from mecc.allocation import join_zone_parts
from mecc.grid import GridSpec

__all__ = [
    "DEFAULT_CHUNK",
    "MAX_SENDS",
    "WORKER_GDAL_CACHE",
    "chunk_sides",
    "chunk_windows",
    "overlay",
]

WORKER_GDAL_CACHE = 256 * 2**20
"""GDAL's raster block cache in a worker (as in a streaming run; GDAL's own default, 5 %
of the machine's memory per process, would crowd a worker's memory limit); a
GDAL_CACHEMAX environment variable of the worker overrides it."""

DEFAULT_CHUNK = (2048, 4096)
"""Default chunk shape (rows, columns), rounded up to whole blocks: about 8.4 million
cells, 32 blocks of the default 256 x 2,048 (see the README's chunk-size advice)."""


def chunk_sides(block_shape, chunk_shape=DEFAULT_CHUNK) -> tuple[int, int]:
    """The chunk shape used: ``chunk_shape`` rounded up to a multiple of the block sides
    (at least one block), as the manifest records it (``--chunk-size 64`` on blocks of
    256 x 1024 cells gives chunks of 256 x 1024)."""
    rows = -(-max(int(chunk_shape[0]), 1) // int(block_shape[0])) * int(block_shape[0])
    cols = -(-max(int(chunk_shape[1]), 1) // int(block_shape[1])) * int(block_shape[1])
    return rows, cols


def chunk_windows(grid: GridSpec, block_shape, chunk_shape=DEFAULT_CHUNK) -> list[Window]:
    """The chunks of ``grid``: row-major groups of whole blocks of the fixed partition.

    Chunk sides are ``chunk_shape`` rounded up to a multiple of the block sides
    (:func:`chunk_sides`), so every chunk starts on a block corner and holds the
    streaming path's blocks.
    """
    rows, cols = chunk_sides(block_shape, chunk_shape)
    return [
        Window(c, r, min(cols, grid.width - c), min(rows, grid.height - r))
        for r in range(0, grid.height, rows)
        for c in range(0, grid.width, cols)
    ]


class _Shifted:
    """A reader of the analysis grid seen from a chunk: windows are moved by the chunk's
    offset before the real reader reads them."""

    def __init__(self, reader, row_off: int, col_off: int):
        self._reader = reader
        self._row_off = row_off
        self._col_off = col_off

    def __getattr__(self, name):  # count, n, ... of the real reader
        return getattr(self._reader, name)

    def _move(self, window: Window) -> Window:
        return Window(
            window.col_off + self._col_off,
            window.row_off + self._row_off,
            window.width,
            window.height,
        )

    def read(self, window, out=None):
        return self._reader.read(self._move(window), out=out)

    def rasterize(self, window, out=None):
        return self._reader.rasterize(self._move(window), out=out)

    # sub-populations and people added at points (mecc.mobility)
    def add_into(self, window, out):
        return self._reader.add_into(self._move(window), out)

    def points(self, window, people):
        return self._reader.points(self._move(window), people)


class _ShiftedLayers(_Shifted):
    """Population layers seen from a chunk (their ``read`` takes the block's people)."""

    def read(self, window, people, out=None):
        return self._reader.read(self._move(window), people, out=out)


@dataclass
class _Job:
    """What every chunk task needs (pickled once, unpickled by each task)."""

    grid: GridSpec
    population: object
    zones: object
    hazards: list
    block_shape: tuple
    want_cells: bool
    zone_scale: object = None
    additions: object = None
    layers: object = None


@dataclass
class _ChunkResult:
    window: Window
    sums: engine.EngineResult
    cells: list
    previews: dict
    extreme_cells: int


def _lock_reducer(lock):
    return (threading.Lock, ())


def _dumps(job: _Job) -> bytes:
    """Pickle the engine's inputs; readers' locks travel as new, unlocked locks."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[type(threading.Lock())] = _lock_reducer
    pickler.dump(job)
    return buffer.getvalue()


def _extreme_cells(population) -> int:
    return int(getattr(getattr(population, "file", None), "extreme_cells", 0))


def _shift_hazard(hazard: engine.OverlayInput, r0: int, c0: int) -> engine.OverlayInput:
    return replace(
        hazard,
        intensity=_Shifted(hazard.intensity, r0, c0),
        fraction=None if hazard.fraction is None else _Shifted(hazard.fraction, r0, c0),
        components=None
        if not hazard.components
        else [_Shifted(reader, r0, c0) for reader in hazard.components],
    )


def _run_chunk(job_bytes: bytes, window: Window) -> _ChunkResult:
    """One Dask task: the streaming engine over the blocks of one chunk."""
    import rasterio

    cache = {} if "GDAL_CACHEMAX" in os.environ else {"GDAL_CACHEMAX": WORKER_GDAL_CACHE}
    with rasterio.Env(**cache):  # GDAL reads a GDAL_CACHEMAX variable itself
        return _overlay_chunk(job_bytes, window)


def _overlay_chunk(job_bytes: bytes, window: Window) -> _ChunkResult:
    job: _Job = pickle.loads(job_bytes)  # this task's own readers and file handles
    masked_before = _extreme_cells(job.population)  # the count it was pickled with
    r0, c0 = int(window.row_off), int(window.col_off)
    sub_grid = GridSpec(
        job.grid.crs, job.grid.window_transform(window), int(window.width), int(window.height)
    )
    cells: list = []

    def keep(k, block, values):
        cells.append(
            (k, Window(block.col_off + c0, block.row_off + r0, block.width, block.height), values)
        )

    result = engine.overlay(
        sub_grid,
        _Shifted(job.population, r0, c0),
        _Shifted(job.zones, r0, c0),
        [_shift_hazard(h, r0, c0) for h in job.hazards],
        block_shape=job.block_shape,
        threads=1,
        cell_sink=keep if job.want_cells else None,
        zone_scale=job.zone_scale,
        additions=None if job.additions is None else _Shifted(job.additions, r0, c0),
        layers=None if job.layers is None else _ShiftedLayers(job.layers, r0, c0),
    )
    previews, result.previews = result.previews, None
    for figures in (result.points or {}).values():  # point positions on the whole grid
        figures.rows += r0
        figures.cols += c0
    masked = _extreme_cells(job.population) - masked_before
    return _ChunkResult(window, result, cells, previews, masked)


def _add_sums(a: engine.OverlaySums, b: engine.OverlaySums) -> engine.OverlaySums:
    return engine.OverlaySums(
        a.exposed + b.exposed, a.displaced + b.displaced, a.no_hazard_data + b.no_hazard_data
    )


def _add(a: engine.EngineResult, b: engine.EngineResult) -> engine.EngineResult:
    """The sum of two partial results (new arrays; ``a`` first, then ``b``).

    Coarse grids and point figures are placed by the client, not summed here.
    """
    return engine.EngineResult(
        a.population + b.population,
        a.cells + b.cells,
        {key: _add_sums(part, b.hazards[key]) for key, part in a.hazards.items()},
        a.blocks + b.blocks,
        layer_population=None
        if a.layer_population is None
        else a.layer_population + b.layer_population,
        layer_sums=None
        if a.layer_sums is None
        else {
            key: [_add_sums(x, y) for x, y in zip(parts, b.layer_sums[key], strict=True)]
            for key, parts in a.layer_sums.items()
        },
    )


class _Tree:
    """A binary tree over ``n`` leaves in index order, combined as leaves arrive.

    Level 0 holds the leaves; node ``i`` of a level is the sum of nodes ``2i`` and
    ``2i + 1`` of the level below (a lone last node moves up unchanged). The result is
    the same whatever order the leaves arrive in, and only unmatched nodes are kept.
    """

    def __init__(self, n: int, add: Callable):
        self.sizes = [n]
        while self.sizes[-1] > 1:
            self.sizes.append(-(-self.sizes[-1] // 2))
        self.add = add
        self.waiting: dict = {}

    def put(self, index: int, value) -> None:
        """Add leaf ``index``; combine it upwards as far as its siblings have arrived."""
        level = 0
        while level < len(self.sizes) - 1:
            sibling = index ^ 1
            if sibling < self.sizes[level]:  # (a lone last node moves up as it is)
                other = self.waiting.pop((level, sibling), None)
                if other is None:
                    self.waiting[(level, index)] = value
                    return
                value = self.add(value, other) if index < sibling else self.add(other, value)
            index, level = index // 2, level + 1
        self.root = value
        return value


MAX_SENDS = 5
"""How many times at most a run sends the engine's inputs to the workers (again after
they were lost with a worker, :func:`overlay`) before it gives up."""


def _inputs_lost(error) -> bool:
    """Whether a chunk was cancelled because the engine's inputs were lost with a worker."""
    reason = str(getattr(error, "reason", ""))
    return "lost dependencies" in reason or "forgotten" in reason


def overlay(
    grid: GridSpec,
    population,
    zones,
    hazards: list,
    *,
    client,
    block_shape=engine.DEFAULT_BLOCK,
    chunk_shape=DEFAULT_CHUNK,
    cell_sink: Callable | None = None,
    progress: Callable | None = None,
    threads=None,
    zone_scale=None,
    additions=None,
    layers=None,
) -> engine.EngineResult:
    """:func:`mecc.engine.overlay` with the chunks of the grid as Dask tasks.

    Parameters
    ----------
    grid, population, zones, hazards, block_shape, cell_sink, progress
        As for :func:`mecc.engine.overlay`; the readers must pickle.
    zone_scale, additions, layers
        As for :func:`mecc.engine.overlay` (exposure and mobility, ``mecc.mobility``).
    client : distributed.Client
    chunk_shape : (int, int)
        Cells per chunk (rounded up to whole blocks); one task per chunk.
    threads : ignored
        Accepted for the engine's signature; workers run one block at a time per task.

    Returns
    -------
    mecc.engine.EngineResult
        Equal to the streaming engine's result to rounding (1e-12 relative).

    Raises
    ------
    mecc.cluster_checks.ClusterError
        No worker within :data:`mecc.cluster_checks.WORKER_WAIT` seconds, the scheduler
        or all the workers lost, or the workers running a chunk kept dying (one line,
        exit code 1; a worker lost among others only moves its chunks elsewhere).
    """
    from distributed import as_completed

    from mecc.cluster_checks import RUN_STOPPED, WorkerWatch, cluster_problem, require_workers

    block_shape = tuple(block_shape)
    chunks = chunk_windows(grid, block_shape, chunk_shape)
    job_bytes = _dumps(
        _Job(
            grid,
            population,
            zones,
            list(hazards),
            block_shape,
            cell_sink is not None,
            zone_scale,
            additions,
            layers,
        )
    )
    try:  # no worker (yet): a bounded wait, then one line
        require_workers(client)
        job = client.scatter(job_bytes, broadcast=True, hash=False)
    except Exception as error:
        raise cluster_problem(error, client) or error from None
    previews = {
        h.id: np.full(
            (
                h.intensity.count,
                -(-grid.height // h.preview_factor),
                -(-grid.width // h.preview_factor),
            ),
            np.nan,
        )
        for h in hazards
        if h.preview_factor > 0 and not h.components
    }
    coarse = {
        h.id: tuple(
            np.zeros(
                (
                    h.intensity.count,
                    -(-grid.height // h.coarse_factor),
                    -(-grid.width // h.coarse_factor),
                )
            )
            for _ in range(2)
        )
        for h in hazards
        if h.coarse_factor > 0 and not h.components
    }
    points: dict = {}
    parts_factor = max((h.coarse_factor for h in hazards if not h.components), default=0)
    zone_parts: list = []  # (row, col offset in coarse cells, parts) per block
    tree = _Tree(len(chunks), _add)
    total_blocks = sum(
        -(-int(w.height) // block_shape[0]) * -(-int(w.width) // block_shape[1]) for w in chunks
    )
    done_blocks = 0
    extreme = 0

    def take(index, part: _ChunkResult):
        nonlocal done_blocks, extreme
        r0, c0 = int(part.window.row_off), int(part.window.col_off)
        for hazard_id in list(previews):
            picture = part.previews.get(hazard_id)
            if picture is None:  # the blocks do not line up with the preview
                del previews[hazard_id]
                continue
            f = next(h.preview_factor for h in hazards if h.id == hazard_id)
            target = previews[hazard_id][
                :, r0 // f : r0 // f + picture.shape[1], c0 // f : c0 // f + picture.shape[2]
            ]
            np.fmax(target, picture, out=target)
        for hazard_id, parts in (part.sums.coarse or {}).items():  # allocation grids
            f = next(h.coarse_factor for h in hazards if h.id == hazard_id)
            for target, values in zip(coarse[hazard_id], parts, strict=True):
                target[
                    :, r0 // f : r0 // f + values.shape[1], c0 // f : c0 // f + values.shape[2]
                ] += values
        if part.sums.zone_parts is not None:  # the units sharing each allocation cell
            cell, zone, count = part.sums.zone_parts
            row, col = np.divmod(cell, -(-int(part.window.width) // parts_factor))
            zone_parts.append((r0 // parts_factor, c0 // parts_factor, (row, col, zone, count)))
        for hazard_id, figures in (part.sums.points or {}).items():  # sites, in chunk order
            points.setdefault(hazard_id, {})[index] = figures
        if cell_sink is not None:
            for k, window, values in part.cells:
                cell_sink(k, window, values)
        extreme += part.extreme_cells
        done_blocks += part.sums.blocks
        tree.put(index, part.sums)
        if progress:
            progress(done_blocks, total_blocks)

    waiting = deque(enumerate(chunks))
    running: dict = {}  # future -> chunk index
    finished = as_completed()
    watch = WorkerWatch(client, stopped=RUN_STOPPED)
    index, sent = 0, 1  # the chunk whose result is awaited; times the inputs were sent
    # the first chunk alone: worker processes then load compiled kernels from the
    # on-disk cache instead of compiling them side by side (DESIGN.md, Numba rules)
    in_flight = 1
    try:
        while waiting or running:
            while waiting and len(running) < in_flight:
                queued, window = waiting.popleft()
                future = client.submit(_run_chunk, job, window, pure=False)
                running[future] = queued
                finished.add(future)
            while not finished.has_ready():  # no worker left: one line, not a wait for ever
                watch.check()
                time.sleep(0.02)
            future = next(finished)
            index = running.pop(future)
            try:
                part = future.result()
            except CancelledError as error:
                if sent >= MAX_SENDS or not _inputs_lost(error):
                    raise
                # the inputs went with a worker (the scheduler keeps fewer copies of
                # scattered data than the workers that had it): sent again, and the
                # chunks not done resubmitted (the sums do not depend on their order)
                sent += 1
                client.cancel(list(running))
                again = [(k, chunks[k]) for k in (index, *running.values())]
                waiting = deque(sorted([*again, *waiting], key=lambda pair: pair[0]))
                running.clear()
                finished = as_completed()
                require_workers(client, stopped=RUN_STOPPED)
                job = client.scatter(job_bytes, broadcast=True, hash=False)
                continue
            take(index, part)
            future.release()
            if in_flight == 1:
                in_flight = max(2 * sum(client.nthreads().values()), 2)
    except BaseException as error:
        # the scheduler or its workers lost: one line (mecc.cluster_checks), not a bug
        problem = cluster_problem(error, client, f"chunk {index + 1} of {len(chunks)}")
        with suppress(Exception) if problem is not None else nullcontext():
            client.cancel(list(running))
        if problem is not None:
            raise problem from None
        raise
    finally:
        with suppress(Exception):  # a scheduler gone has nothing left to cancel
            client.cancel(job)
    result = tree.root
    if hasattr(population, "file"):
        population.file.extreme_cells += extreme
    result.previews = previews
    result.coarse = coarse or None
    if parts_factor:
        width = -(-grid.width // parts_factor)
        result.zone_parts = join_zone_parts(zone_parts, width, len(result.population))
    result.points = {
        hazard_id: engine.PointFigures(
            *(
                np.concatenate(values)
                for values in zip(
                    *(vars(by_chunk[k]).values() for k in sorted(by_chunk)), strict=True
                )
            )
        )
        for hazard_id, by_chunk in points.items()
    } or None
    return result
