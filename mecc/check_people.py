"""The people a run would leave without hazard data or outside every unit, for ``mecc validate``.

``mecc run`` warns, after its pass, when a hazard leaves more than
:data:`mecc.run_checks.NO_DATA_SHARE` of the people on the analysis grid on cells without
hazard data in a band (:func:`mecc.run_checks.no_data_warnings`), when more than
:data:`exposure.zones.OUTSIDE_SHARE` of them lie in no unit
(:meth:`exposure.zones.Zones.warn_outside_share`) and when a rarer return-period map
exposes fewer people than a more frequent one
(:func:`mecc.inputs.warn_return_periods_out_of_order`). ``mecc validate`` gives the same
warnings before the run, by the same rules, from the population and hazard grids read on
the analysis grid as :mod:`mecc.check_coverage` reads a combined hazard's components: at
full resolution, block by block, at most :data:`mecc.check_samples.SAMPLE_BANDS` bands
evenly spaced and, on a grid too large for :data:`mecc.check_coverage.COVERAGE_BUDGET`
values, evenly spaced blocks only. What the sample leaves out is said in the report line
(the bands read, the share of the blocks; the map order when not every map was read).
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np

from mecc.errors import MeccWarning

__all__ = ["hazard_people_checks", "outside_people_check"]

SAMPLED_KINDS = ("events", "return_periods", "scenario")
"""Hazard sets read from grids (not a sea-level rise computed from a DEM)."""


def hazard_people_checks(hazard, population, grid, total: float) -> tuple[list[str], str]:
    """The run's warnings on a single hazard's people, from a sample, and a report note.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
        A hazard set read from grids without ``components`` (a combined hazard's are
        :func:`mecc.check_coverage.component_coverage_warnings`').
    population : object
        ``read(window)``: people per analysis-grid cell (prepared).
    grid : mecc.grid.GridSpec
        The analysis grid.
    total : float
        People on the analysis grid (the estimated counts are scaled to it).

    Returns
    -------
    messages : list of str
        At most one warning on people without hazard data (more than
        :data:`~mecc.run_checks.NO_DATA_SHARE` of the people read, in a band read) and one
        on return-period maps out of order (the run's words).
    note : str
        For the hazard's report line, e.g. ``"; people without hazard data: up to 30 %
        (band rp10)"``, with what was not read.
    """
    from mecc.check_coverage import band_people
    from mecc.inputs import warn_return_periods_out_of_order
    from mecc.run_checks import NO_DATA_SHARE

    layers = getattr(hazard, "layers", None) or []
    if hazard.components or hazard.kind not in SAMPLED_KINDS or not layers:
        return [], ""
    threshold = hazard.exposure_threshold
    missing, exposed, positions, people, read = band_people(hazard, population, grid, threshold)
    if people <= 0:
        return [], ""
    scale = total / people if total > 0 else 1.0  # the sample's people as the grid's
    estimated = f", estimated from {read:.0%} of the grid's blocks" if read < 1 else ""
    some = len(positions) < len(layers)
    bands_read = f", {len(positions)} of {len(layers)} bands read" if some else ""
    k = int(np.argmax(missing))
    label = hazard.bands["band"].iloc[positions[k]]
    note = f"; people without hazard data: up to {missing[k] / people:.0%} (band {label}"
    note += f"{bands_read}{estimated})"
    messages = []
    over = missing > NO_DATA_SHARE * people
    if over.any():
        source, band = layers[positions[k]]
        others = (
            f"; {int(over.sum())} of the {len(positions)} bands read leave more than "
            f"{NO_DATA_SHARE:.0%} of the people without data"
            if len(layers) > 1
            else ""
        )
        messages.append(
            f"hazards.{hazard.id}: {'about ' if read < 1 else ''}{missing[k] * scale:,.0f} people "
            f"({missing[k] / people:.0%} of the {total:,.0f} on the analysis grid{estimated}) "
            f"are on cells without hazard data in band {label} "
            f"({getattr(source, 'label', source)} band {band}){others}; the figures count "
            "them as not displaced (bands.csv: no_hazard_data); check that the hazard grid "
            "covers the country"
        )
    if hazard.kind == "return_periods" and some:
        note += "; map order not checked (not every map read)"
    elif hazard.kind == "return_periods":
        with warnings.catch_warnings():  # returned here, warned by the caller
            warnings.simplefilter("ignore", MeccWarning)
            sums = SimpleNamespace(exposed=exposed[None, :] * scale)
            message = warn_return_periods_out_of_order(hazard, sums)
        if message:
            sampled = f" (estimated from {read:.0%} of the grid's blocks)" if read < 1 else ""
            messages.append(message + sampled)
    return messages, note


def outside_people_check(zones, population, grid, total: float) -> str:
    """Warn, as the run does, when more than :data:`exposure.zones.OUTSIDE_SHARE` of the
    people lie in no unit; the note for the zones' report line.

    The people of each finest unit are counted from the population grid and the zones
    rasterized on the analysis grid, every block on a grid of at most
    :data:`mecc.check_coverage.COVERAGE_BUDGET` cells, else evenly spaced blocks whose
    counts are scaled to ``total`` (the note says so). The warning is
    :meth:`exposure.zones.Zones.warn_outside_share`'s own.

    Returns
    -------
    str
        E.g. ``"; 17% of the people in no unit"``; empty without zones.
    """
    from mecc.check_coverage import COVERAGE_BLOCK, COVERAGE_BUDGET
    from mecc.grid import block_windows

    if zones.whole_grid:
        return ""
    windows = list(block_windows(grid, *COVERAGE_BLOCK))
    stride = max(1, math.ceil(grid.width * grid.height / COVERAGE_BUDGET))
    chosen = windows[::stride]
    per_unit = np.zeros(zones.n + 1)
    for window in chosen:
        people = np.asarray(population.read(window), dtype=np.float64)
        people = np.where(people > 0, people, 0.0)
        index = zones.rasterize(window)
        per_unit += np.bincount(index.ravel(), weights=people.ravel(), minlength=zones.n + 1)
    read = per_unit.sum()
    if read <= 0:
        return ""
    if len(chosen) < len(windows) and total > 0:
        per_unit *= total / read
    zones.warn_outside_share(per_unit)  # the run's rule and words
    estimated = (
        f", estimated from {len(chosen) / len(windows):.0%} of the grid's blocks"
        if len(chosen) < len(windows)
        else ""
    )
    return f"; {per_unit[zones.outside_index] / per_unit.sum():.0%} of the people in no unit{estimated}"
