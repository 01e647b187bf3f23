"""The people a combined hazard's component leaves without hazard data.

A combined hazard (``components:``, e.g. cyclone wind and storm surge) counts a cell's
people as "no hazard data" only where every component is missing
(:func:`mecc.kernels.overlay_combined`): where the surge map ends, the people still get
the wind's share, and the surge's part of their figure is silently 0. A component map
smaller than the country would then understate without the warning a single hazard
gets (:func:`mecc.run_checks.no_data_warnings`, DESIGN.md: "a hazard map smaller than
the country never understates silently"). :func:`component_coverage_warnings` counts,
per component, the people on cells where it has no data, on the analysis grid as the
run reads it, and warns above the same share (:data:`mecc.run_checks.NO_DATA_SHARE`).
``mecc validate`` and ``mecc run`` both call it.

The component's bands are read at full resolution on the analysis grid, block by block,
at most :data:`mecc.check_samples.SAMPLE_BANDS` of them evenly spaced (first and last
included); a grid too large for :data:`COVERAGE_BUDGET` values is read in evenly spaced
blocks, and the message says the share was estimated from them.
"""

from __future__ import annotations

import math
import os

import numpy as np

from mecc.check_samples import SAMPLE_BANDS
from mecc.grid import AlignedBands, block_windows

__all__ = [
    "COVERAGE_BLOCK",
    "COVERAGE_BUDGET",
    "band_people",
    "component_coverage_warnings",
    "missing_people",
]

COVERAGE_BUDGET = 2**26
"""Most values (cells x bands) of one component read to count its people without data
(about 0.5 s); a larger grid is read in evenly spaced blocks."""
COVERAGE_BLOCK = (256, 2048)
"""Rows and columns of the blocks read."""


def _spaced(n: int, wanted: int) -> list[int]:
    """At most ``wanted`` of ``range(n)``, evenly spaced, first and last included."""
    if n <= wanted:
        return list(range(n))
    return [int(k) for k in np.unique(np.linspace(0, n - 1, wanted).round().astype(int))]


def missing_people(part, population, grid) -> tuple[np.ndarray, list, float, float]:
    """People on populated cells where ``part``'s intensity is missing, per band read.

    Parameters
    ----------
    part : hazards.readers.HazardSet
        One component (or any hazard set with ``layers``).
    population : object
        ``read(window) -> (h, w)`` people per analysis-grid cell (a prepared
        ``exposure.population.PopulationGrid``).
    grid : mecc.grid.GridSpec
        The analysis grid.

    Returns
    -------
    missing : ndarray, shape (n_read,)
        People without data of ``part`` in each band read.
    positions : list of int
        The band positions read (0-based, in ``part.layers``).
    people : float
        People on the cells read.
    read_share : float
        Share of the grid's blocks read (1.0: every cell).
    """
    missing, _, positions, people, read = band_people(part, population, grid)
    return missing, positions, people, read


def band_people(part, population, grid, threshold=None):
    """People without data and people exposed (intensity at or above ``threshold``, in
    the hazard type's unit; None: not counted, zeros) per band read, as
    :func:`missing_people` reads them: ``(missing, exposed, positions, people, read_share)``.
    """
    cells = grid.width * grid.height
    n_bands = max(1, min(SAMPLE_BANDS, COVERAGE_BUDGET // max(cells, 1)))
    positions = _spaced(len(part.layers), n_bands)
    reader = AlignedBands(
        [part.layers[k] for k in positions],
        grid,
        part.resampling,
        f"hazards.{part.id}.intensity",
        scale=part.unit_factor,
    )
    windows = list(block_windows(grid, *COVERAGE_BLOCK))
    stride = max(1, math.ceil(cells * len(positions) / COVERAGE_BUDGET))
    chosen = windows[::stride]
    missing, exposed = np.zeros(len(positions)), np.zeros(len(positions))
    people_read = 0.0
    for window in chosen:
        people = np.asarray(population.read(window), dtype=np.float64)
        people = np.where(people > 0, people, 0.0)
        total = float(people.sum())
        if total <= 0:
            continue
        people_read += total
        values = reader.read(window)
        missing += np.where(np.isnan(values), people[None], 0.0).sum(axis=(1, 2))
        if threshold is not None:
            with np.errstate(invalid="ignore"):
                exposed += np.where(values >= threshold, people[None], 0.0).sum(axis=(1, 2))
    return missing, exposed, positions, people_read, len(chosen) / len(windows)


def component_coverage_warnings(hazard, population, grid, share: float | None = None) -> list:
    """A warning per component of a combined hazard without data for many of its people.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
        A combined hazard (others: no warning; their own people without data are in
        bands.csv and :func:`mecc.run_checks.no_data_warnings`).
    population : object
        ``read(window)``: people per analysis-grid cell.
    grid : mecc.grid.GridSpec
        The analysis grid.
    share : float, optional
        The threshold (default :data:`mecc.run_checks.NO_DATA_SHARE`).

    Returns
    -------
    list of str
        For each component whose missing people exceed ``share`` of the people on the
        grid in a band read: the component (number and type), its file(s), the people and
        their share, the band, and that those people got the other components' share only.
    """
    if not hazard.components:
        return []
    if share is None:
        from mecc.run_checks import NO_DATA_SHARE

        share = NO_DATA_SHARE
    messages = []
    for c, part in enumerate(hazard.components):
        missing, positions, people, read = missing_people(part, population, grid)
        if people <= 0 or not (missing > share * people).any():
            continue
        k = int(np.argmax(missing))
        source, _ = part.layers[positions[k]]
        path = getattr(source, "path", None)
        name = os.path.basename(str(path)) if path else getattr(source, "label", str(source))
        others = ", ".join(
            f"components[{j}] ({other.hazard_type.name})"
            for j, other in enumerate(hazard.components)
            if j != c
        )
        band = (
            f" in band {hazard.bands['band'].iloc[positions[k]]}"
            f" ({int((missing > share * people).sum())} of the {len(positions)} bands read "
            f"above {share:.0%})"
            if len(part.layers) > 1
            else ""
        )
        estimated = f", estimated from {read:.0%} of the grid's blocks" if read < 1 else ""
        messages.append(
            f"hazards.{hazard.id}.components[{c}] ({part.hazard_type.name}, "
            f"{name}): no data on cells holding "
            f"{missing[k]:,.0f} people ({missing[k] / people:.0%} of the {people:,.0f} on the "
            f"analysis grid{estimated}){band}; those people got the share of {others} only, "
            f"so the combined figures understate there (they are not in no_hazard_data); "
            f"check that {name} covers the country"
        )
    return messages
