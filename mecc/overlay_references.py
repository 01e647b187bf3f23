"""Plain-numpy references of the overlay kernels (:mod:`mecc.overlay_kernels`).

Each gives the kernel's figures with masks and ``np.bincount``, for the property tests
(:data:`mecc.kernels.KERNELS` pairs each kernel with its reference). They live apart from
the kernels so that the kernels' file holds only what numba compiles.
"""

from __future__ import annotations

import numpy as np

from mecc.overlay_kernels import CURVE_STEP

__all__ = [
    "evaluate_curves_reference",
    "mark_unknown_cells_reference",
    "overlay_bands_reference",
    "overlay_combined_reference",
]


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
    coarse_factor,
    coarse_displaced_out,
    coarse_safe_out,
):
    """Plain-numpy reference for :func:`overlay_bands` (masks, ``np.bincount``)."""
    if coarse_safe_out is not None:
        from mecc.mobility_kernels import coarse_sums_reference

        coarse_sums_reference(
            population,
            intensity,
            fraction,
            curve_x,
            curve_y,
            curve_n,
            curve_kind,
            exposure_threshold,
            coarse_factor,
            coarse_displaced_out,
            coarse_safe_out,
        )
    n_zones, n_bands = exposed_out.shape
    n_curves = curve_n.shape[0]
    pop = population.ravel()
    populated = pop > 0
    zones = zone.ravel().astype(np.int64)
    # like the kernel, only cells it acts on (populated, wet or missing) are checked
    bands = intensity.reshape(intensity.shape[0], pop.size)
    acted = populated & ((bands > 0) | np.isnan(bands)).any(axis=0)
    if acted.any() and (zones[acted].min() < 0 or zones[acted].max() >= n_zones):
        raise ValueError("zone index out of range")
    for b in range(n_bands):
        value = intensity[b].ravel()
        frac = fraction[b].ravel() if fraction.shape[0] else np.ones_like(value)
        wet = populated & (value > 0)
        missing = populated & (np.isnan(value) | (wet & np.isnan(frac)))
        active = wet & ~missing & (frac > 0)
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
            if v == 0 and cell_out.shape[0]:  # band by band, in the kernel's order
                weight = band_weight[np.where(active, zones, 0), b]
                cell_out += (weight * np.where(active, displaced, 0.0)).reshape(population.shape)


def mark_unknown_cells_reference(population, intensity, fraction, cell_out):
    """Plain-numpy reference for :func:`mark_unknown_cells`."""
    missing = np.isnan(intensity)
    if fraction.shape[0]:
        missing |= (intensity > 0) & np.isnan(fraction)[None]
    unknown = (population > 0) & missing.all(axis=0).all(axis=0)
    cell_out[unknown] = np.nan


def overlay_combined_reference(
    population,
    zone,
    intensity,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    combine_max,
    band_weight,
    exposed_out,
    displaced_out,
    no_data_out,
    cell_out,
):
    """Plain-numpy reference for :func:`overlay_combined`."""
    n_components, n_bands = intensity.shape[:2]
    n_zones = exposed_out.shape[0]
    pop = population.ravel()
    populated = pop > 0
    zones = zone.ravel().astype(np.int64)
    if populated.any() and (zones[populated].min() < 0 or zones[populated].max() >= n_zones):
        raise ValueError("zone index out of range")
    for b in range(n_bands):
        values = intensity[:, b].reshape(n_components, -1)
        missing = np.isnan(values)
        wet = ~missing & (values > 0)
        shares = np.zeros_like(values)
        for c in range(n_components):
            out = np.empty((1, values.shape[1]))
            evaluate_curves_reference(
                np.where(wet[c], values[c], 0.0),
                curve_x[c : c + 1],
                curve_y[c : c + 1],
                curve_n[c : c + 1],
                curve_kind[c : c + 1],
                out,
            )
            shares[c] = np.where(wet[c], out[0], 0.0)
        share = shares.max(axis=0) if combine_max else 1.0 - np.prod(1.0 - shares, axis=0)
        all_missing = populated & missing.all(axis=0)
        counted = populated & ~all_missing
        exposed = counted & (wet & (values >= exposure_threshold[:, None])).any(axis=0)
        no_data_out[:, b] += np.bincount(
            zones[all_missing], weights=pop[all_missing], minlength=n_zones
        )
        exposed_out[:, b] += np.bincount(zones[exposed], weights=pop[exposed], minlength=n_zones)
        displaced = np.where(counted, pop * share, 0.0)
        displaced_out[:, b, 0] += np.bincount(
            zones[counted], weights=displaced[counted], minlength=n_zones
        )
        if cell_out.shape[0]:  # band by band, in the kernel's order
            weight = band_weight[np.where(populated, zones, 0), b]
            cell_out += (weight * displaced).reshape(population.shape)
