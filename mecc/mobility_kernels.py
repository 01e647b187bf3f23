"""Kernels of the allocation of displaced people (numpy in, numpy out, no I/O).

- :func:`coarse_band_sums`: per band, displaced people and people left safe, summed over
  ``factor x factor`` groups of cells (the allocation grid), read along the engine's pass;
- :func:`allocate_by_distance`: each coarse cell's displaced people shared among safe
  coarse cells within a radius, in proportion to ``safe people x distance^-exponent``
  (a gravity rule, as planning heuristics for host communities use; DESIGN.md,
  Mobility layers).

Each kernel has a plain-numpy reference (``*_reference``) checked by property tests.
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit
from mecc.kernels import _curve_share, evaluate_curves_reference

__all__ = [
    "allocate_by_distance",
    "allocate_by_distance_reference",
    "coarse_band_sums",
    "coarse_band_sums_reference",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), for distances between cells of a geographic grid."""


@jit
def coarse_band_sums(
    population,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    factor,
    displaced_out,
    safe_out,
):
    """Displaced and safe people per band on a coarser grid.

    For each cell with people ``p`` and each band with intensity ``I`` (fraction ``f``,
    1 without a fraction grid):

    - ``I`` or ``f`` NaN: nothing (unknown; neither displaced nor safe);
    - otherwise ``d = p * f * curve_0(I)`` (0 where ``I <= 0``) is added to
      ``displaced_out[b, i // factor, j // factor]``, and, where ``I`` is below the
      exposure threshold, ``p - d`` to ``safe_out`` (people who can host).

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
    intensity : ndarray of float64, shape (n_bands, h, w)
    fraction : ndarray of float64, shape (n_bands, h, w) or (0, 0, 0)
    curve_x, curve_y, curve_n, curve_kind : packed curves (``kernels``); curve 0 is used
    exposure_threshold : float
    factor : int
    displaced_out, safe_out : ndarray of float64, shape (n_bands, ceil(h/f), ceil(w/f))
        Added to.
    """
    n_bands = intensity.shape[0]
    has_fraction = fraction.shape[0] > 0
    for i in range(population.shape[0]):
        ci = i // factor
        for j in range(population.shape[1]):
            p = population[i, j]
            if not p > 0.0:
                continue
            cj = j // factor
            for b in range(n_bands):
                value = intensity[b, i, j]
                if value != value:
                    continue
                if not value > 0.0:
                    safe_out[b, ci, cj] += p
                    continue
                f = fraction[b, i, j] if has_fraction else 1.0
                if f != f:
                    continue
                d = 0.0
                if f > 0.0:
                    d = (
                        p
                        * f
                        * _curve_share(value, curve_x[0], curve_y[0], curve_n[0], curve_kind[0])
                    )
                displaced_out[b, ci, cj] += d
                if value < exposure_threshold:
                    safe_out[b, ci, cj] += p - d


def coarse_band_sums_reference(
    population,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    factor,
    displaced_out,
    safe_out,
):
    """Plain-numpy reference for :func:`coarse_band_sums`."""
    h, w = population.shape
    rows = np.repeat(np.arange(h) // factor, w)
    cols = np.tile(np.arange(w) // factor, h)
    n_cols = displaced_out.shape[2]
    key = rows * n_cols + cols
    size = displaced_out.shape[1] * n_cols
    p = population.ravel()
    people = p > 0
    for b in range(intensity.shape[0]):
        value = intensity[b].ravel()
        f = fraction[b].ravel() if fraction.shape[0] else np.ones_like(value)
        known = people & ~np.isnan(value)
        dry = known & ~(value > 0)
        wet = known & (value > 0) & ~np.isnan(f)
        share = np.zeros((curve_n.shape[0], value.size))
        evaluate_curves_reference(
            np.where(wet, value, 0.0), curve_x, curve_y, curve_n, curve_kind, share
        )
        d = np.where(wet & (f > 0), p * np.where(wet, f, 0.0) * share[0], 0.0)
        displaced_out[b] += np.bincount(key[wet], weights=d[wet], minlength=size).reshape(
            displaced_out.shape[1:]
        )
        safe = np.where(dry, p, 0.0) + np.where(wet & (value < exposure_threshold), p - d, 0.0)
        safe_out[b] += np.bincount(key[people], weights=safe[people], minlength=size).reshape(
            safe_out.shape[1:]
        )


@jit
def _distance_km(ya, xa, yb, xb, geographic):
    if geographic:  # equirectangular at the mean latitude: < 0.1 % error within 100 km
        mean = math.radians(0.5 * (ya + yb))
        dx = math.radians(xb - xa) * math.cos(mean)
        dy = math.radians(yb - ya)
        return EARTH_RADIUS_KM * math.sqrt(dx * dx + dy * dy)
    return math.sqrt((xb - xa) ** 2 + (yb - ya) ** 2)


@jit
def allocate_by_distance(
    displaced,
    safe,
    row_y,
    col_x,
    geographic,
    zone,
    radius_km,
    exponent,
    nearest_km,
    reach_rows,
    reach_cols,
    hosted_out,
    no_host_out,
    flows_out,
):
    """Share each coarse cell's displaced people among safe cells within ``radius_km``.

    A source cell ``s`` gives target cell ``t`` (``t`` may be ``s``) the share
    ``safe_t × max(d_st, nearest_km)^-exponent / Σ`` of its displaced people, over the
    targets with ``safe_t > 0`` and ``d_st <= radius_km``; with no such target its people
    go to ``no_host_out[s]``. ``Σ hosted + Σ no host = Σ displaced``.

    Parameters
    ----------
    displaced, safe : ndarray of float64, shape (H, W)
    row_y, col_x : ndarray of float64, shapes (H,) and (W,)
        Coordinates of the cell centres: latitude and longitude in degrees when
        ``geographic``, else kilometres.
    geographic : bool
    zone : ndarray of int32, shape (H, W)
        Zone of each coarse cell, ``0 <= zone < n_zones``.
    radius_km, exponent, nearest_km : float
    reach_rows, reach_cols : int
        Rows and columns to search either side (covering ``radius_km`` everywhere).
    hosted_out, no_host_out : ndarray of float64, shape (H, W)
    flows_out : ndarray of float64, shape (n_zones, n_zones)
        ``flows_out[zone of s, zone of t]`` receives the people moving from s to t.
    """
    height, width = displaced.shape
    for si in range(height):
        for sj in range(width):
            people = displaced[si, sj]
            if not people > 0.0:
                continue
            r0, r1 = max(si - reach_rows, 0), min(si + reach_rows + 1, height)
            c0, c1 = max(sj - reach_cols, 0), min(sj + reach_cols + 1, width)
            total = 0.0
            for ti in range(r0, r1):
                for tj in range(c0, c1):
                    hosts = safe[ti, tj]
                    if not hosts > 0.0:
                        continue
                    d = _distance_km(row_y[si], col_x[sj], row_y[ti], col_x[tj], geographic)
                    if d <= radius_km:
                        total += hosts * max(d, nearest_km) ** -exponent
            if not total > 0.0:
                no_host_out[si, sj] += people
                continue
            zs = zone[si, sj]
            for ti in range(r0, r1):
                for tj in range(c0, c1):
                    hosts = safe[ti, tj]
                    if not hosts > 0.0:
                        continue
                    d = _distance_km(row_y[si], col_x[sj], row_y[ti], col_x[tj], geographic)
                    if d <= radius_km:
                        moved = people * (hosts * max(d, nearest_km) ** -exponent / total)
                        hosted_out[ti, tj] += moved
                        flows_out[zs, zone[ti, tj]] += moved


def allocate_by_distance_reference(
    displaced,
    safe,
    row_y,
    col_x,
    geographic,
    zone,
    radius_km,
    exponent,
    nearest_km,
    reach_rows,
    reach_cols,
    hosted_out,
    no_host_out,
    flows_out,
):
    """Plain-numpy reference for :func:`allocate_by_distance` (every pair of cells)."""
    height, width = displaced.shape
    yy, xx = np.meshgrid(row_y, col_x, indexing="ij")
    y, x = yy.ravel(), xx.ravel()
    if geographic:
        mean = np.radians(0.5 * (y[:, None] + y[None, :]))
        dx = np.radians(x[None, :] - x[:, None]) * np.cos(mean)
        dy = np.radians(y[None, :] - y[:, None])
        distance = EARTH_RADIUS_KM * np.sqrt(dx**2 + dy**2)
    else:
        distance = np.sqrt((x[None, :] - x[:, None]) ** 2 + (y[None, :] - y[:, None]) ** 2)
    rows, cols = np.divmod(np.arange(height * width), width)
    in_window = (np.abs(rows[:, None] - rows[None, :]) <= reach_rows) & (
        np.abs(cols[:, None] - cols[None, :]) <= reach_cols
    )
    hosts = safe.ravel()
    reachable = in_window & (distance <= radius_km) & (hosts[None, :] > 0)
    with np.errstate(divide="ignore"):
        weight = np.where(
            reachable, hosts[None, :] * np.maximum(distance, nearest_km) ** -exponent, 0.0
        )
    people = np.where(displaced.ravel() > 0, displaced.ravel(), 0.0)
    total = weight.sum(axis=1)
    has_host = total > 0
    moved = np.where(
        has_host[:, None], people[:, None] * (weight / np.where(has_host, total, 1)[:, None]), 0.0
    )
    hosted_out += moved.sum(axis=0).reshape(height, width)
    no_host_out += np.where(has_host, 0.0, people).reshape(height, width)
    z = zone.ravel().astype(np.int64)
    np.add.at(flows_out, (np.repeat(z, z.size), np.tile(z, z.size)), moved.ravel())
