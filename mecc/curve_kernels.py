"""Curve kernels: the share displaced at an intensity, for the overlays and the tables.

Conventions as in :mod:`mecc.kernels` (float64 in, ``out`` filled, NaN is missing);
:data:`mecc.kernels.KERNELS` lists each with its plain-numpy reference.
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit

__all__ = ["CURVE_LINEAR", "CURVE_STEP", "evaluate_curves", "evaluate_curves_reference"]

CURVE_LINEAR = 0
"""Linear between points, clamped at the ends; a repeated intensity is a vertical step
whose value at the step is the upper share (right-continuous)."""
CURVE_STEP = 1
"""Piecewise constant, right-continuous: the share of the last point at or below the
intensity (the first point's share below it)."""


# --------------------------------------------------------------------------- curves


@jit
def _curve_share(intensity, xs, ys, n, kind):
    """Share displaced at ``intensity`` for one curve (scalar helper).

    ``k``, the last point at or below the intensity (right-continuous at repeats), is
    counted rather than searched, and the ends are chosen by selects: curves have few
    points, and on real maps intensities vary from cell to cell, so a binary search's
    branches are mispredicted about once per cell (the overlay of the bench country ran
    11-13 % faster on one thread with counting). The arithmetic of every case is the
    one of the definition, so the shares are the same to the bit.
    """
    k = -1
    for m in range(n):
        k += xs[m] <= intensity
    if kind == CURVE_STEP or n == 1:
        return ys[max(k, 0)]
    inner = min(max(k, 0), n - 2)
    x0 = xs[inner]
    y0 = ys[inner]
    # (x1 - x0) > 0 whenever 0 <= k < n - 1; the clamped ends are discarded below
    interpolated = y0 + (ys[inner + 1] - y0) * ((intensity - x0) / (xs[inner + 1] - x0))
    share = ys[n - 1] if k >= n - 1 else interpolated
    return ys[0] if k < 0 else share


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
