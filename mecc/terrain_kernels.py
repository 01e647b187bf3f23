"""Numba kernels for terrain: connected flood fills and height above nearest drainage.

The same conventions as :mod:`mecc.kernels` (numpy in, ``out`` filled, no I/O; a
plain-numpy reference next to each kernel). They are listed in the one registry,
``mecc.kernels.KERNELS``, which tests and benchmarks iterate. Used by
:mod:`hazards.flood` (``mecc hazard flood``).
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit

__all__ = [
    "flood_fill_below",
    "flood_fill_below_reference",
    "height_above_drainage",
    "height_above_drainage_reference",
]


# ------------------------------------------------------------------ flood connectivity

# Neighbour offsets: the first four are the 4-connected ones (rook moves).
_DI = np.array([-1, 1, 0, 0, -1, -1, 1, 1], dtype=np.int64)
_DJ = np.array([0, 0, -1, 1, -1, 1, -1, 1], dtype=np.int64)


@jit
def _neighbour_steps(connectivity):
    """Row and column steps to a cell's neighbours: the first 4 cross its edges, the
    last 4 its corners (``connectivity`` 4 uses the first 4, 8 all)."""
    if connectivity != 4 and connectivity != 8:
        raise ValueError("connectivity must be 4 or 8")
    return np.array([-1, 1, 0, 0, -1, -1, 1, 1]), np.array([0, 0, -1, 1, -1, 1, -1, 1])


@jit
def flood_fill_below(ground, level, seeds, connectivity, out):
    """Mark the cells water reaches from ``seeds`` through cells below ``level``.

    A breadth-first fill (each cell enters the queue once: linear time). A seed starts
    the water where its ground is below ``level`` or unknown (NaN: the sea as nodata); a
    seed on higher ground (a river mask that takes in a bank) stays dry and passes no
    water on. From a reached cell the water moves to its 4 or 8 neighbours whose ground
    is strictly below ``level``. NaN ground (nodata) is never entered unless it is a
    seed.

    Parameters
    ----------
    ground : ndarray of float64, shape (h, w)
        Ground (or height above drainage) per cell; NaN where unknown.
    level : float
        The water level, in the units of ``ground``.
    seeds : ndarray of bool, shape (h, w)
        Source cells (the sea, the river).
    connectivity : int
        4 (edges only) or 8 (edges and corners).
    out : ndarray of bool, shape (h, w)
        Set True where the water reaches (cells already True stay True).

    Returns
    -------
    int
        The number of cells reached (seeds included).
    """
    di, dj = _neighbour_steps(connectivity)
    h = ground.shape[0]
    w = ground.shape[1]
    queue = np.empty(h * w, dtype=np.int64)
    seen = np.zeros((h, w), dtype=np.bool_)
    tail = 0
    for i in range(h):
        for j in range(w):
            if seeds[i, j] and not ground[i, j] >= level:  # NaN ground: a seed
                seen[i, j] = True
                queue[tail] = i * w + j
                tail += 1
    head = 0
    while head < tail:
        cell = queue[head]
        head += 1
        i = cell // w
        j = cell - i * w
        for k in range(connectivity):
            ni = i + di[k]
            nj = j + dj[k]
            if ni < 0 or nj < 0 or ni >= h or nj >= w or seen[ni, nj]:
                continue
            if ground[ni, nj] < level:  # False for NaN
                seen[ni, nj] = True
                queue[tail] = ni * w + nj
                tail += 1
    for i in range(h):
        for j in range(w):
            if seen[i, j]:
                out[i, j] = True
    return tail


def flood_fill_below_reference(ground, level, seeds, connectivity, out):
    """Plain-numpy reference for :func:`flood_fill_below` (repeated dilation to a fixpoint)."""
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    with np.errstate(invalid="ignore"):
        reached = seeds & ~(ground >= level)
        open_ = (ground < level) | reached
    while True:
        padded = np.pad(reached, 1)
        grown = reached.copy()
        for di, dj in zip(_DI[:connectivity], _DJ[:connectivity], strict=True):
            grown |= padded[1 + di : 1 + di + reached.shape[0], 1 + dj : 1 + dj + reached.shape[1]]
        grown &= open_
        if (grown == reached).all():
            break
        reached = grown
    out |= reached
    return int(reached.sum())


# ------------------------------------------------------------ height above drainage


@jit
def _heap_push(prio, order, cell, size, p, o, c):
    """Push ``(p, o, c)`` onto the binary min-heap ordered by ``(prio, order)``."""
    k = size
    while k > 0:
        parent = (k - 1) // 2
        if prio[parent] < p or (prio[parent] == p and order[parent] < o):
            break
        prio[k] = prio[parent]
        order[k] = order[parent]
        cell[k] = cell[parent]
        k = parent
    prio[k] = p
    order[k] = o
    cell[k] = c
    return size + 1


@jit
def _heap_pop(prio, order, cell, size):
    """Remove the root of the heap; return ``(priority, cell, new size)``."""
    top_p = prio[0]
    top_c = cell[0]
    size -= 1
    p = prio[size]
    o = order[size]
    c = cell[size]
    k = 0
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (
            prio[right] < prio[child]
            or (prio[right] == prio[child] and order[right] < order[child])
        ):
            child = right
        if p < prio[child] or (p == prio[child] and o < order[child]):
            break
        prio[k] = prio[child]
        order[k] = order[child]
        cell[k] = cell[child]
        k = child
    if size > 0:
        prio[k] = p
        order[k] = o
        cell[k] = c
    return top_p, top_c, size


@jit
def height_above_drainage(ground, river, connectivity, out):
    """Height of each cell above the river cell it drains to (priority-flood HAND).

    A priority-flood (Barnes et al. 2014) started from every river cell with valid
    ground: cells are taken in order of their filled elevation (ties: first pushed,
    first taken), and each newly reached neighbour inherits the drainage elevation of
    the cell that reached it. The path found is the reverse of a downhill path on the
    depression-filled DEM, so a cell drains to a river cell below its spill level.
    ``out = ground - drainage elevation``; it is negative in a closed depression lower
    than its drainage cell.

    Water also leaves the grid: a cell at the grid's edge or next to NaN ground with no
    lower neighbour is an outlet, started with the river cells (after them on ties), and
    the cells it reaches first drain off the grid (``out = +inf``, never flooded). A
    valley below the end of a river mask drains to its outlet instead of filling to the
    river's level (it took the river's drainage elevation: HAND fell to -10 m a few km
    downstream, so 1 m above the channel gave 11 m of water).

    Parameters
    ----------
    ground : ndarray of float64, shape (h, w)
        Elevation; NaN where unknown (never crossed).
    river : ndarray of bool, shape (h, w)
        Drainage cells (HAND 0); those on NaN ground are ignored.
    connectivity : int
        4 or 8.
    out : ndarray of float64, shape (h, w)
        Receives HAND; NaN on NaN ground, +inf where no river cell is reachable.
    """
    di, dj = _neighbour_steps(connectivity)
    h = ground.shape[0]
    w = ground.shape[1]
    n = h * w
    prio = np.empty(n)
    order = np.empty(n, dtype=np.int64)
    cell = np.empty(n, dtype=np.int64)
    drain = np.empty((h, w))
    seen = np.zeros((h, w), dtype=np.bool_)
    size = 0
    pushed = 0
    for i in range(h):
        for j in range(w):
            g = ground[i, j]
            if math.isnan(g):
                out[i, j] = np.nan
            else:
                out[i, j] = np.inf
                if river[i, j]:
                    seen[i, j] = True
                    drain[i, j] = g
                    size = _heap_push(prio, order, cell, size, g, pushed, i * w + j)
                    pushed += 1
    for i in range(h):  # outlets: water leaves the grid there
        for j in range(w):
            g = ground[i, j]
            if math.isnan(g) or seen[i, j]:
                continue
            edge = i == 0 or j == 0 or i == h - 1 or j == w - 1
            lower = False
            for k in range(connectivity):
                ni = i + di[k]
                nj = j + dj[k]
                if ni < 0 or nj < 0 or ni >= h or nj >= w:
                    continue
                if math.isnan(ground[ni, nj]):
                    edge = True
                elif ground[ni, nj] < g:
                    lower = True
            if edge and not lower:
                seen[i, j] = True
                drain[i, j] = np.inf
                size = _heap_push(prio, order, cell, size, g, pushed, i * w + j)
                pushed += 1
    while size > 0:
        level, c, size = _heap_pop(prio, order, cell, size)
        i = c // w
        j = c - i * w
        out[i, j] = np.inf if drain[i, j] == np.inf else ground[i, j] - drain[i, j]
        for k in range(connectivity):
            ni = i + di[k]
            nj = j + dj[k]
            if ni < 0 or nj < 0 or ni >= h or nj >= w or seen[ni, nj]:
                continue
            g = ground[ni, nj]
            if math.isnan(g):
                continue
            seen[ni, nj] = True
            drain[ni, nj] = drain[i, j]
            size = _heap_push(prio, order, cell, size, max(g, level), pushed, ni * w + nj)
            pushed += 1


def height_above_drainage_reference(ground, river, connectivity, out):
    """Plain-Python reference for :func:`height_above_drainage` (``heapq``, dicts)."""
    import heapq

    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    h, w = ground.shape
    valid = ~np.isnan(ground)
    out[...] = np.where(valid, np.inf, np.nan)
    drain = {}
    heap = []
    for i, j in zip(*np.nonzero(river & valid), strict=True):
        drain[(i, j)] = ground[i, j]
        heap.append((ground[i, j], len(heap), i, j))
    for i, j in zip(*np.nonzero(valid & ~(river & valid)), strict=True):  # outlets
        near = [
            (i + di, j + dj)
            for di, dj in zip(_DI[:connectivity], _DJ[:connectivity], strict=True)
            if 0 <= i + di < h and 0 <= j + dj < w
        ]
        edge = len(near) < connectivity or any(not valid[n] for n in near)
        if edge and not any(valid[n] and ground[n] < ground[i, j] for n in near):
            drain[(i, j)] = np.inf
            heap.append((ground[i, j], len(heap), i, j))
    heapq.heapify(heap)
    pushed = len(heap)
    while heap:
        level, _, i, j = heapq.heappop(heap)
        d = drain[(i, j)]
        out[i, j] = np.inf if d == np.inf else ground[i, j] - d
        for di, dj in zip(_DI[:connectivity], _DJ[:connectivity], strict=True):
            ni, nj = i + di, j + dj
            if 0 <= ni < h and 0 <= nj < w and valid[ni, nj] and (ni, nj) not in drain:
                drain[(ni, nj)] = drain[(i, j)]
                heapq.heappush(heap, (max(ground[ni, nj], level), pushed, ni, nj))
                pushed += 1
