"""Figures per person at the cells of sparse layers (displacement sites), on the engine's pass.

:class:`PointFigures` is what :func:`mecc.engine.overlay` returns per hazard for the
people in sites (``EngineResult.points``); :func:`figures_per_person` computes one
block's, each point its own "zone", with the overlay kernel, and
:func:`combined_figures_per_person` those of a combined hazard (``components:``) with
:func:`overlay_components`, the combined overlay the engine runs on every cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mecc.kernels import overlay_bands, overlay_combined

__all__ = [
    "PointFigures",
    "combined_figures_per_person",
    "figures_per_person",
    "overlay_components",
]

_EMPTY2 = np.zeros((0, 0))


@dataclass
class PointFigures:
    """Figures per person at the cells of a sparse layer (displacement sites).

    ``rows``, ``cols`` on the analysis grid, ``zone`` (finest unit + outside), and per
    point: ``exposed`` (bands), ``displaced`` (bands, curves), ``no_hazard_data`` (bands)
    and ``weighted`` (Σ band weight × displaced of the first curve: expected annual
    displacement, or displaced for a scenario), and ``people``: the people the run found
    at each point (a site list already counted in the grid: at most the cell's people).
    """

    rows: np.ndarray
    cols: np.ndarray
    zone: np.ndarray
    exposed: np.ndarray
    displaced: np.ndarray
    no_hazard_data: np.ndarray
    weighted: np.ndarray
    people: np.ndarray


def figures_per_person(hazard, window, rows, cols, where, intensity, fraction, people):
    """Figures per person at each point (one "zone" per point): exposed, displaced per band
    and curve, no hazard data, and the band-weighted displaced of the cell output."""
    m = rows.size
    n_bands, n_curves = intensity.shape[0], hazard.curves[2].shape[0]
    exposed, no_data = np.zeros((m, n_bands)), np.zeros((m, n_bands))
    displaced, weighted = np.zeros((m, n_bands, n_curves)), np.zeros((1, m))
    overlay_bands(
        np.ones((1, m)),
        np.arange(m, dtype=np.int32)[None, :],
        intensity,
        fraction,
        *hazard.curves,
        float(hazard.exposure_threshold),
        np.ascontiguousarray(hazard.band_weight[where[0]]),
        exposed,
        displaced,
        no_data,
        weighted,
        0,
        None,
        None,
    )
    r0, c0 = int(window.row_off), int(window.col_off)
    found = np.asarray(people, dtype=np.float64).copy()
    return rows + r0, cols + c0, where[0].copy(), exposed, displaced, no_data, weighted[0], found


def overlay_components(hazard, combined, people, zone, part, cell_out, band_weight=None):
    """The combined overlay of one (sub-)population with the components read.

    The central curves add people exposed, displaced (curve slot 0), "no hazard data"
    and the per-cell output; each variant of ``variant_curves`` runs the kernel again on
    the same grids, keeping only its displaced people (slot 1, 2, ...).

    Parameters
    ----------
    hazard : mecc.engine.OverlayInput
        A combined hazard (``components``).
    combined : ndarray, shape (n_components, n_bands, h, w)
        The components' grids.
    people : ndarray, shape (h, w)
    zone : ndarray of int32, shape (h, w)
    part : object
        ``exposed`` (zones, bands), ``displaced`` (zones, bands, curves) and
        ``no_hazard_data`` (zones, bands), added to.
    cell_out : ndarray, shape (h, w) or (0, 0)
        The band-weighted displaced people of the central curves, added to.
    band_weight : ndarray, shape (n_zones, n_bands), optional
        The weights of ``zone``'s indices; the hazard's own by default.
    """
    weights = hazard.band_weight if band_weight is None else band_weight
    thresholds = np.asarray(hazard.exposure_threshold, dtype=np.float64)
    spare = np.zeros_like(part.exposed)  # exposure, missing data: the central pass's
    for v, curves in enumerate([hazard.curves, *hazard.variant_curves]):
        displaced = part.displaced if v == 0 else np.zeros((*part.exposed.shape, 1))
        outputs = (
            (part.exposed, displaced, part.no_hazard_data, cell_out)
            if v == 0
            else (spare, displaced, spare, _EMPTY2)
        )
        overlay_combined(
            people, zone, combined, *curves, thresholds, hazard.combine_max, weights, *outputs
        )
        if v:
            part.displaced[:, :, v] += displaced[:, :, 0]


def combined_figures_per_person(hazard, window, rows, cols, where, combined, people):
    """Figures per person at each point of a combined hazard (one "zone" per point).

    As :func:`figures_per_person`, the cell's share being the combination of the
    components' shares there (:func:`overlay_components`, as on every cell): displaced
    per band for the central curves (slot 0) and each variant (slot 1, 2, ...).

    Parameters
    ----------
    combined : ndarray, shape (n_components, n_bands, 1, m)
        The components' values at the points.

    Returns
    -------
    tuple
        The fields of :class:`PointFigures`, in order (as :func:`figures_per_person`).
    """
    m = rows.size
    n_bands, n_curves = combined.shape[1], 1 + len(hazard.variant_curves)
    r0, c0 = int(window.row_off), int(window.col_off)
    weighted = np.zeros((1, m))
    figures = PointFigures(
        rows + r0,
        cols + c0,
        where[0].copy(),
        np.zeros((m, n_bands)),
        np.zeros((m, n_bands, n_curves)),
        np.zeros((m, n_bands)),
        weighted[0],
        np.asarray(people, dtype=np.float64).copy(),
    )
    overlay_components(
        hazard,
        combined,
        np.ones((1, m)),
        np.arange(m, dtype=np.int32)[None, :],
        figures,
        weighted,
        np.ascontiguousarray(hazard.band_weight[where[0]]),
    )
    return tuple(vars(figures).values())  # in field order, as figures_per_person
