"""Figures per person at the cells of sparse layers (displacement sites), on the engine's pass.

:class:`PointFigures` is what :func:`mecc.engine.overlay` returns per hazard for the
people in sites (``EngineResult.points``); :func:`figures_per_person` computes one
block's, each point its own "zone", with the overlay kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mecc.kernels import overlay_bands

__all__ = ["PointFigures", "figures_per_person"]


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
