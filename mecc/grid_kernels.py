"""Numba kernels for grids: masking missing values, resampling, overviews, zonal sums.

The same conventions as :mod:`mecc.kernels` (numpy in, ``out`` filled, no I/O; a
plain-numpy reference next to each kernel). They are listed in the one registry,
``mecc.kernels.KERNELS``, which tests and benchmarks iterate.
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit

__all__ = [
    "mask_missing_into",
    "mask_missing_into_reference",
    "regrid_area_weighted",
    "regrid_area_weighted_reference",
    "sample_bilinear",
    "sample_bilinear_reference",
    "sample_nearest",
    "sample_nearest_reference",
    "sum_groups",
    "sum_groups_reference",
    "sum_known_groups",
    "sum_known_groups_reference",
    "zonal_population",
    "zonal_population_reference",
]


# ------------------------------------------------------------------------- masking


@jit
def mask_missing_into(raw, sentinels, extreme, out):
    """Copy ``raw`` (any numeric dtype) to float ``out`` with NaN where missing.

    Missing: NaN or infinite, equal to one of ``sentinels`` (nodata values in ``raw``'s
    own dtype), or of magnitude at least ``extreme``.

    Parameters
    ----------
    raw : ndarray, shape (h, w)
    sentinels : ndarray of raw's dtype, shape (k,), k <= 2
    extreme : float
    out : ndarray of float64, shape (h, w)
        Or float32 where every value of ``raw`` is one exactly (a float32 or 8/16-bit
        integer ``raw``; :attr:`mecc.grid.AlignedBands.dtype`).

    Returns
    -------
    int
        Cells masked only for their magnitude (an undeclared nodata value).
    """
    if sentinels.shape[0] > 2:
        raise ValueError("at most two nodata values")
    has0 = sentinels.shape[0] > 0
    has1 = sentinels.shape[0] > 1
    s0 = sentinels[0] if has0 else raw.dtype.type(0)
    s1 = sentinels[1] if has1 else s0
    n_extreme = 0
    for i in range(raw.shape[0]):
        row = raw[i]
        out_row = out[i]
        for j in range(row.shape[0]):  # branch-free, so the loop vectorises
            v = row[j]
            x = np.float64(v)
            size = abs(x)
            declared = (not size < np.inf) | (has0 & (v == s0)) | (has1 & (v == s1))
            big = size >= extreme
            n_extreme += big & (not declared)
            out_row[j] = np.nan if (declared | big) else x
    return n_extreme


def mask_missing_into_reference(raw, sentinels, extreme, out):
    """Plain-numpy reference for :func:`mask_missing_into`."""
    values = raw.astype(np.float64)
    missing = ~np.isfinite(values) | np.isin(raw, sentinels)
    too_big = ~missing & (np.abs(np.where(missing, 0.0, values)) >= extreme)
    out[...] = np.where(missing | too_big, np.nan, values)
    return int(too_big.sum())


# ----------------------------------------------------------------------- overviews


@jit
def sum_groups(values, factor, out):
    """Add each cell of ``values`` to ``out[i // factor, j // factor]``.

    Parameters
    ----------
    values : ndarray of float64, shape (h, w)
    factor : int
    out : ndarray of float64, shape (ceil(h / factor), ceil(w / factor))
    """
    width = values.shape[1]
    pairs = width // 2 if factor == 2 else 0  # pairs: loads of two, vectorised (8x)
    for i in range(values.shape[0]):
        row = out[i // factor]
        source = values[i]
        for k in range(pairs):  # the same additions, in the same order, as below
            total = 0.0
            total += source[2 * k]
            total += source[2 * k + 1]
            row[k] += total
        for k in range(pairs, row.shape[0]):
            total = 0.0
            for j in range(k * factor, min((k + 1) * factor, width)):
                total += source[j]
            row[k] += total


def sum_groups_reference(values, factor, out):
    """Plain-numpy reference for :func:`sum_groups` (pad, reshape, sum)."""
    h, w = values.shape
    padded = np.zeros((out.shape[0] * factor, out.shape[1] * factor))
    padded[:h, :w] = values
    out += padded.reshape(out.shape[0], factor, out.shape[1], factor).sum(axis=(1, 3))


@jit
def sum_known_groups(values, factor, sums_out, counts_out):
    """Add each known (not NaN) cell of ``values`` to ``sums_out[i // factor, j //
    factor]`` and count it in ``counts_out``: :func:`sum_groups` for averages that
    leave unknown cells out (as GDAL's overviews leave nodata out), in the same pass.

    Parameters
    ----------
    values : ndarray of float64, shape (h, w)
    factor : int
    sums_out, counts_out : ndarray of float64, shape (ceil(h / factor), ceil(w / factor))
    """
    width = values.shape[1]
    pairs = width // 2 if factor == 2 else 0  # pairs: loads of two, vectorised (8x)
    for i in range(values.shape[0]):
        sums = sums_out[i // factor]
        counts = counts_out[i // factor]
        source = values[i]
        for k in range(pairs):  # the same additions, in the same order, as below
            first, second = source[2 * k], source[2 * k + 1]
            total = 0.0
            total += first if first == first else 0.0
            total += second if second == second else 0.0
            known = 0.0
            known += 1.0 if first == first else 0.0
            known += 1.0 if second == second else 0.0
            sums[k] += total
            counts[k] += known
        for k in range(pairs, sums.shape[0]):
            total = 0.0
            known = 0.0
            for j in range(k * factor, min((k + 1) * factor, width)):
                v = source[j]
                total += v if v == v else 0.0
                known += 1.0 if v == v else 0.0
            sums[k] += total
            counts[k] += known


def sum_known_groups_reference(values, factor, sums_out, counts_out):
    """Plain-numpy reference for :func:`sum_known_groups` (pad, reshape, nansum)."""
    h, w = values.shape
    padded = np.full((sums_out.shape[0] * factor, sums_out.shape[1] * factor), np.nan)
    padded[:h, :w] = values
    groups = padded.reshape(sums_out.shape[0], factor, sums_out.shape[1], factor)
    sums_out += np.nansum(groups, axis=(1, 3))
    counts_out += (~np.isnan(groups)).sum(axis=(1, 3))


@jit
def max_groups(values, factor, out):
    """The largest valid value of each ``factor x factor`` group (NaN where none).

    The rows of a group are first reduced column by column (a contiguous loop without
    a carried dependency, so it vectorises; 2.4x the speed of reducing each group in
    turn on 256 x 2,048 blocks), then each group's columns.

    Parameters
    ----------
    values : ndarray of float64, shape (h, w)
        NaN marks missing values.
    factor : int
    out : ndarray of float64, shape (ceil(h / factor), ceil(w / factor))
        Updated in place: each group keeps the larger of its value and the block's.
    """
    h, w = values.shape
    column = np.empty(w)
    for r in range(out.shape[0]):
        start = r * factor
        if start >= h:
            break
        first = values[start]
        for j in range(w):
            column[j] = first[j]
        for i in range(start + 1, min(start + factor, h)):
            source = values[i]
            for j in range(w):
                value = source[j]
                best = column[j]
                # a NaN value never replaces a number
                column[j] = value if (value > best or best != best) else best
        row = out[r]
        for k in range(row.shape[0]):
            best = row[k]
            for j in range(k * factor, min(k * factor + factor, w)):
                value = column[j]
                if value > best or best != best:
                    best = value
            row[k] = best


def max_groups_reference(values, factor, out):
    """Plain-numpy reference for :func:`max_groups` (pad with NaN, reshape, nanmax)."""
    h, w = values.shape
    padded = np.full((out.shape[0] * factor, out.shape[1] * factor), np.nan)
    padded[:h, :w] = values
    groups = padded.reshape(out.shape[0], factor, out.shape[1], factor)
    with np.errstate(invalid="ignore"):
        block = np.where(
            np.isnan(groups).all(axis=(1, 3)),
            np.nan,
            np.nanmax(np.where(np.isnan(groups), -np.inf, groups), axis=(1, 3)),
        )
    out[...] = np.fmax(out, block)


# ------------------------------------------------------------------------ sampling


@jit
def sample_nearest(source, rows, cols, out):
    """Nearest-neighbour sampling of a source block at fractional pixel positions.

    Parameters
    ----------
    source : ndarray of float64, shape (n_bands, sh, sw)
        NaN marks missing values.
    rows, cols : ndarray of float64, shape (h, w)
        Position of each target cell centre in source pixel units, relative to the
        block (pixel ``(i, j)`` covers ``[i, i + 1) x [j, j + 1)``).
    out : ndarray of float64, shape (n_bands, h, w)
        NaN where the position falls outside the block.
    """
    sh = source.shape[1]
    sw = source.shape[2]
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            r = rows[i, j]
            c = cols[i, j]
            inside = r >= 0.0 and c >= 0.0 and r < sh and c < sw
            ri = int(math.floor(r)) if inside else 0
            ci = int(math.floor(c)) if inside else 0
            for b in range(source.shape[0]):
                out[b, i, j] = source[b, ri, ci] if inside else np.nan


def sample_nearest_reference(source, rows, cols, out):
    """Plain-numpy reference for :func:`sample_nearest`."""
    sh, sw = source.shape[1:]
    inside = (rows >= 0) & (cols >= 0) & (rows < sh) & (cols < sw)
    ri = np.where(inside, np.floor(np.where(inside, rows, 0)), 0).astype(np.int64)
    ci = np.where(inside, np.floor(np.where(inside, cols, 0)), 0).astype(np.int64)
    out[...] = np.where(inside[None], source[:, ri, ci], np.nan)


@jit
def sample_bilinear(source, rows, cols, out):
    """Bilinear sampling that never invents values next to missing data.

    A target cell whose nearest source cell is missing (NaN or outside the block)
    stays NaN. Otherwise the value is the bilinear mean of the four surrounding
    source cell centres, with the weights of missing neighbours dropped and the rest
    renormalised — so a dry cell beside a nodata area is not wetted by it, and a
    cell inside a nodata area is never filled from its neighbours.

    Parameters
    ----------
    source, rows, cols, out
        As for :func:`sample_nearest`.
    """
    sh = source.shape[1]
    sw = source.shape[2]
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            r = rows[i, j]
            c = cols[i, j]
            if not (r >= 0.0 and c >= 0.0 and r < sh and c < sw):
                for b in range(source.shape[0]):
                    out[b, i, j] = np.nan
                continue
            rn = int(math.floor(r))
            cn = int(math.floor(c))
            r0 = int(math.floor(r - 0.5))
            c0 = int(math.floor(c - 0.5))
            ty = r - 0.5 - r0
            tx = c - 0.5 - c0
            for b in range(source.shape[0]):
                if math.isnan(source[b, rn, cn]):
                    out[b, i, j] = np.nan
                    continue
                total = 0.0
                weight_sum = 0.0
                for di in range(2):
                    rr = r0 + di
                    wy = ty if di == 1 else 1.0 - ty
                    if rr < 0 or rr >= sh or wy <= 0.0:
                        continue
                    for dj in range(2):
                        cc = c0 + dj
                        wx = tx if dj == 1 else 1.0 - tx
                        if cc < 0 or cc >= sw or wx <= 0.0:
                            continue
                        value = source[b, rr, cc]
                        if math.isnan(value):
                            continue
                        total += wy * wx * value
                        weight_sum += wy * wx
                out[b, i, j] = total / weight_sum


def sample_bilinear_reference(source, rows, cols, out):
    """Plain-numpy reference for :func:`sample_bilinear`."""
    n_bands, sh, sw = source.shape
    inside = (rows >= 0) & (cols >= 0) & (rows < sh) & (cols < sw)
    safe_r = np.where(inside, rows, 0.5)
    safe_c = np.where(inside, cols, 0.5)
    rn = np.floor(safe_r).astype(np.int64)
    cn = np.floor(safe_c).astype(np.int64)
    r0 = np.floor(safe_r - 0.5).astype(np.int64)
    c0 = np.floor(safe_c - 0.5).astype(np.int64)
    ty = safe_r - 0.5 - r0
    tx = safe_c - 0.5 - c0
    total = np.zeros((n_bands, *rows.shape))
    weight_sum = np.zeros((n_bands, *rows.shape))
    for rr, wy in ((r0, 1 - ty), (r0 + 1, ty)):
        for cc, wx in ((c0, 1 - tx), (c0 + 1, tx)):
            ok = (rr >= 0) & (rr < sh) & (cc >= 0) & (cc < sw) & (wy > 0) & (wx > 0)
            values = source[:, np.clip(rr, 0, sh - 1), np.clip(cc, 0, sw - 1)]
            usable = ok[None] & ~np.isnan(values)
            total += np.where(usable, wy * wx * np.where(usable, values, 0), 0)
            weight_sum += np.where(usable, wy * wx, 0)
    nearest_missing = np.isnan(source[:, rn, cn])
    with np.errstate(invalid="ignore", divide="ignore"):
        value = total / weight_sum
    out[...] = np.where(inside[None] & ~nearest_missing, value, np.nan)


# ---------------------------------------------------------------- conservative regrid


@jit
def regrid_area_weighted(
    source, row_ptr, row_index, row_weight, col_ptr, col_index, col_weight, row0, col0, out
):
    """Spread each source cell over target cells by separable overlap weights.

    Source row ``i`` sends the share ``row_weight[k]`` of itself to target row
    ``row_index[k]`` for ``k`` in ``row_ptr[i]:row_ptr[i + 1]`` (CSR layout), and the
    same for columns; a source cell's weights sum to 1 where it lies inside the target
    grid, so totals are conserved. Target indices are global; only those inside the
    block ``[row0, row0 + h) x [col0, col0 + w)`` of ``out`` are written.

    Parameters
    ----------
    source : ndarray of float64, shape (sh, sw)
        People per source cell (NaN counts as 0).
    row_ptr, col_ptr : ndarray of int64, shape (sh + 1,), (sw + 1,)
    row_index, col_index : ndarray of int64
    row_weight, col_weight : ndarray of float64
    row0, col0 : int
        Global target index of ``out[0, 0]``.
    out : ndarray of float64, shape (h, w)
        Receives the added people.
    """
    h = out.shape[0]
    w = out.shape[1]
    for i in range(source.shape[0]):
        for j in range(source.shape[1]):
            value = source[i, j]
            if value == 0.0 or math.isnan(value):
                continue
            for a in range(row_ptr[i], row_ptr[i + 1]):
                ti = row_index[a] - row0
                if ti < 0 or ti >= h:
                    continue
                wy = row_weight[a] * value
                for c in range(col_ptr[j], col_ptr[j + 1]):
                    tj = col_index[c] - col0
                    if tj < 0 or tj >= w:
                        continue
                    out[ti, tj] += wy * col_weight[c]


def regrid_area_weighted_reference(
    source, row_ptr, row_index, row_weight, col_ptr, col_index, col_weight, row0, col0, out
):
    """Plain-numpy reference for :func:`regrid_area_weighted` (dense weight matrices)."""
    h, w = out.shape

    def dense(ptr, index, weight, offset, size):
        matrix = np.zeros((size, ptr.size - 1))
        for i in range(ptr.size - 1):
            for k in range(ptr[i], ptr[i + 1]):
                t = index[k] - offset
                if 0 <= t < size:
                    matrix[t, i] += weight[k]
        return matrix

    rows = dense(row_ptr, row_index, row_weight, row0, h)
    cols = dense(col_ptr, col_index, col_weight, col0, w)
    out += rows @ np.nan_to_num(source, nan=0.0) @ cols.T


# ------------------------------------------------------------------ zonal population


@jit
def zonal_population(population, zone, population_out, cells_out):
    """Add each zone's population and cell count.

    Runs of equal zone ids along a row are summed locally and added once per run.

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
        People per cell; NaN and values <= 0 add nothing to the population sum.
    zone : ndarray of int32, shape (h, w)
        Zone index of each cell, ``0 <= zone < n_zones``.
    population_out : ndarray of float64, shape (n_zones,)
    cells_out : ndarray of int64, shape (n_zones,)
        Receives the number of cells of each zone (populated or not).
    """
    n_zones = population_out.shape[0]
    width = population.shape[1]
    for i in range(population.shape[0]):
        j = 0
        while j < width:
            z = zone[i, j]
            if z < 0 or z >= n_zones:
                raise ValueError("zone index out of range")
            start = j
            total = 0.0
            while j < width and zone[i, j] == z:
                p = population[i, j]
                if p > 0.0:
                    total += p
                j += 1
            population_out[z] += total
            cells_out[z] += j - start


def zonal_population_reference(population, zone, population_out, cells_out):
    """Plain-numpy reference for :func:`zonal_population`."""
    n_zones = population_out.shape[0]
    flat_zone = zone.ravel().astype(np.int64)
    if flat_zone.size and (flat_zone.min() < 0 or flat_zone.max() >= n_zones):
        raise ValueError("zone index out of range")
    pop = population.ravel()
    positive = np.where(pop > 0, pop, 0.0)
    population_out += np.bincount(flat_zone, weights=positive, minlength=n_zones)
    cells_out += np.bincount(flat_zone, minlength=n_zones)
