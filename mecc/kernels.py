"""Numba kernels: numpy arrays in, numpy arrays (``out``) filled, no I/O.

Every kernel here has a plain-numpy reference implementation next to it, written
independently (vectorised, no shared helpers), and :data:`KERNELS` maps each kernel to
its reference so that tests and benchmarks iterate over the same registry.

Conventions shared by all kernels
---------------------------------
- Inputs are float64, C-ordered (the array layer casts before calling); sums
  accumulate in float64 into the ``out`` arrays, so calling a kernel block after block
  with the same ``out`` arrays adds the blocks in call order.
- Missing values are NaN. A hazard cell whose intensity is NaN contributes nothing and
  its population is counted as "no hazard data"; a cell with intensity <= 0
  contributes nothing (DESIGN.md, semantics). Population <= 0 or NaN counts nothing.
- Curves are passed as padded arrays (``curve_x``, ``curve_y`` of shape
  ``(n_curves, max_points)``, ``curve_n`` the number of points of each, ``curve_kind``
  :data:`CURVE_LINEAR` or :data:`CURVE_STEP`), never read from globals.
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit

__all__ = [
    "CURVE_LINEAR",
    "CURVE_STEP",
    "KERNELS",
    "evaluate_curves",
    "evaluate_curves_reference",
    "overlay_bands",
    "overlay_bands_reference",
    "regrid_area_weighted",
    "regrid_area_weighted_reference",
    "sample_bilinear",
    "sample_bilinear_reference",
    "sample_nearest",
    "sample_nearest_reference",
    "zonal_population",
    "zonal_population_reference",
]

CURVE_LINEAR = 0
"""Linear between points, clamped at the ends; a repeated intensity is a vertical step
whose value at the step is the upper share (right-continuous)."""
CURVE_STEP = 1
"""Piecewise constant, right-continuous: the share of the last point at or below the
intensity (the first point's share below it)."""


# --------------------------------------------------------------------------- curves


@jit
def _curve_share(intensity, xs, ys, n, kind):
    """Share displaced at ``intensity`` for one curve (scalar helper)."""
    # largest k with xs[k] <= intensity (binary search; right-continuous at repeats)
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] <= intensity:
            lo = mid + 1
        else:
            hi = mid
    k = lo - 1
    if k < 0:
        return ys[0]
    if kind == CURVE_STEP or k >= n - 1:
        return ys[k]
    x0 = xs[k]
    x1 = xs[k + 1]
    return ys[k] + (ys[k + 1] - ys[k]) * ((intensity - x0) / (x1 - x0))


@jit
def evaluate_curves(intensity, curve_x, curve_y, curve_n, curve_kind, out):
    """Evaluate every curve at every intensity.

    Parameters
    ----------
    intensity : ndarray of float64, shape (m,)
    curve_x, curve_y : ndarray of float64, shape (n_curves, max_points)
    curve_n, curve_kind : ndarray of int64, shape (n_curves,)
    out : ndarray of float64, shape (n_curves, m)
        Receives the shares; NaN where the intensity is NaN.
    """
    for v in range(curve_n.shape[0]):
        for i in range(intensity.shape[0]):
            value = intensity[i]
            if math.isnan(value):
                out[v, i] = np.nan
            else:
                out[v, i] = _curve_share(value, curve_x[v], curve_y[v], curve_n[v], curve_kind[v])


def evaluate_curves_reference(intensity, curve_x, curve_y, curve_n, curve_kind, out):
    """Plain-numpy reference for :func:`evaluate_curves`."""
    for v in range(curve_n.shape[0]):
        xs = curve_x[v, : curve_n[v]]
        ys = curve_y[v, : curve_n[v]]
        k = np.searchsorted(xs, intensity, side="right") - 1
        below = k < 0
        k_clip = np.clip(k, 0, xs.size - 1)
        if curve_kind[v] == CURVE_STEP:
            share = ys[k_clip]
        else:
            nxt = np.minimum(k_clip + 1, xs.size - 1)
            span = xs[nxt] - xs[k_clip]
            with np.errstate(invalid="ignore", divide="ignore"):
                t = np.where(span > 0, (intensity - xs[k_clip]) / np.where(span > 0, span, 1), 0)
                share = ys[k_clip] + (ys[nxt] - ys[k_clip]) * t
            share = np.where(k >= xs.size - 1, ys[-1], share)
        share = np.where(below, ys[0], share)
        out[v] = np.where(np.isnan(intensity), np.nan, share)


# ------------------------------------------------------------------ zonal population


@jit
def zonal_population(population, zone, population_out, cells_out):
    """Add each zone's population and cell count.

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
    for i in range(population.shape[0]):
        for j in range(population.shape[1]):
            z = zone[i, j]
            if z < 0 or z >= n_zones:
                raise ValueError("zone index out of range")
            cells_out[z] += 1
            p = population[i, j]
            if p > 0.0:
                population_out[z] += p


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


# --------------------------------------------------------------------- the overlay


@jit
def overlay_bands(
    population,
    zone,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    band_weight,
    exposed_out,
    displaced_out,
    no_data_out,
    cell_out,
):
    """Overlay all bands of one hazard with population in one pass; add per zone.

    For each cell with population ``p > 0`` and each band ``b`` with intensity ``I``:

    - ``I`` NaN (or the fraction NaN): ``p`` is added to ``no_data_out[zone, b]``;
    - ``I <= 0``: nothing;
    - otherwise, with ``f`` the fraction (1 without a fraction grid):
      ``exposed_out[zone, b] += p * f`` when ``I >= exposure_threshold`` and
      ``displaced_out[zone, b, v] += p * f * curve_v(I)`` for every curve ``v``.

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
    zone : ndarray of int32, shape (h, w)
    intensity : ndarray of float64, shape (n_bands, h, w)
    fraction : ndarray of float64, shape (n_bands, h, w) or (0, 0, 0)
        Flooded share of each cell; an empty array means 1 everywhere.
    curve_x, curve_y, curve_n, curve_kind : see module docstring
    exposure_threshold : float
        Intensity at or above which a cell's people count as exposed.
    band_weight : ndarray of float64, shape (n_zones, n_bands)
        Weights of the per-cell output, per zone (annual frequencies or return-period
        integration weights, which depend on a zone's protection standard; 1 for a
        single scenario).
    exposed_out, no_data_out : ndarray of float64, shape (n_zones, n_bands)
    displaced_out : ndarray of float64, shape (n_zones, n_bands, n_curves)
    cell_out : ndarray of float64, shape (h, w) or (0, 0)
        When not empty, receives ``sum_b band_weight[zone, b] * displaced`` of the first
        curve for each cell (0 where nothing is displaced).
    """
    n_bands = intensity.shape[0]
    n_curves = curve_n.shape[0]
    n_zones = exposed_out.shape[0]
    has_fraction = fraction.shape[0] > 0
    write_cells = cell_out.shape[0] > 0
    for i in range(population.shape[0]):
        for j in range(population.shape[1]):
            p = population[i, j]
            if write_cells:
                cell_out[i, j] = 0.0
            if not p > 0.0:
                continue
            z = zone[i, j]
            if z < 0 or z >= n_zones:
                raise ValueError("zone index out of range")
            cell_total = 0.0
            for b in range(n_bands):
                value = intensity[b, i, j]
                f = 1.0
                if has_fraction:
                    f = fraction[b, i, j]
                if math.isnan(value) or math.isnan(f):
                    no_data_out[z, b] += p
                    continue
                if value <= 0.0 or f <= 0.0:
                    continue
                people = p * f
                if value >= exposure_threshold:
                    exposed_out[z, b] += people
                for v in range(n_curves):
                    share = _curve_share(value, curve_x[v], curve_y[v], curve_n[v], curve_kind[v])
                    displaced = people * share
                    displaced_out[z, b, v] += displaced
                    if v == 0:
                        cell_total += band_weight[z, b] * displaced
            if write_cells:
                cell_out[i, j] = cell_total


def overlay_bands_reference(
    population,
    zone,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    band_weight,
    exposed_out,
    displaced_out,
    no_data_out,
    cell_out,
):
    """Plain-numpy reference for :func:`overlay_bands` (masks, ``np.bincount``)."""
    n_zones, n_bands = exposed_out.shape
    n_curves = curve_n.shape[0]
    pop = population.ravel()
    populated = pop > 0
    zones = zone.ravel().astype(np.int64)
    if zones[populated].size and (zones[populated].min() < 0 or zones[populated].max() >= n_zones):
        raise ValueError("zone index out of range")
    cells = np.zeros(pop.size)
    for b in range(n_bands):
        value = intensity[b].ravel()
        frac = fraction[b].ravel() if fraction.shape[0] else np.ones_like(value)
        missing = populated & (np.isnan(value) | np.isnan(frac))
        active = populated & ~missing & (value > 0) & (frac > 0)
        people = np.where(active, pop * np.where(active, frac, 0), 0.0)
        no_data_out[:, b] += np.bincount(zones[missing], weights=pop[missing], minlength=n_zones)
        exposed = active & (value >= exposure_threshold)
        exposed_out[:, b] += np.bincount(zones[exposed], weights=people[exposed], minlength=n_zones)
        share = np.empty((n_curves, value.size))
        evaluate_curves_reference(
            np.where(active, value, 0.0), curve_x, curve_y, curve_n, curve_kind, share
        )
        for v in range(n_curves):
            displaced = people * share[v]
            displaced_out[:, b, v] += np.bincount(
                zones[active], weights=displaced[active], minlength=n_zones
            )
            if v == 0:
                weight = band_weight[np.where(populated, zones, 0), b]
                cells += weight * np.where(active, displaced, 0.0)
    if cell_out.shape[0]:
        cell_out[...] = cells.reshape(population.shape)


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


KERNELS = {
    "evaluate_curves": (evaluate_curves, evaluate_curves_reference),
    "zonal_population": (zonal_population, zonal_population_reference),
    "overlay_bands": (overlay_bands, overlay_bands_reference),
    "sample_nearest": (sample_nearest, sample_nearest_reference),
    "sample_bilinear": (sample_bilinear, sample_bilinear_reference),
    "regrid_area_weighted": (regrid_area_weighted, regrid_area_weighted_reference),
}
"""Each kernel name mapped to ``(numba_kernel, numpy_reference)``; same signatures."""
