"""How well the zones cover the analysis grid and one another (warnings of a run).

- :func:`partly_outside`: units whose area lies partly outside the grid (their people
  there are not counted);
- :func:`uncovered_parents`: units whose area their units one level down do not cover
  (the people in the gap count as outside every unit, not in the parent).
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["COVERED_SHARE", "PARENT_GAP", "partly_outside", "percent", "uncovered_parents"]

COVERED_SHARE = 0.99
"""A unit with less of its area on the analysis grid is reported as partly outside it."""
PARENT_GAP = 0.01
"""Share of a unit's area left uncovered by its units one level down above which a run
warns (boundaries of one source nest to well under it)."""


def partly_outside(geoms: np.ndarray, box, areas=None) -> list[tuple[int, float]]:
    """Units with less than :data:`COVERED_SHARE` of their area inside ``box`` (the grid's
    bounds, in the grid's CRS): (index, share), least covered first.

    ``areas``, when given, are the units' own areas: those of their shapes as given, where
    ``geoms`` hold copies moved by 360 degrees (:func:`exposure.zone_cells.in_grid_longitudes`),
    so that a unit split at 180 degrees and wholly on the grid counts as covered.
    """
    bounds = shapely.bounds(geoms)  # NaN for missing and empty shapes
    left, bottom, right, top = shapely.bounds(box)
    with np.errstate(invalid="ignore"):
        inside = (
            (bounds[:, 0] >= left)
            & (bounds[:, 1] >= bottom)
            & (bounds[:, 2] <= right)
            & (bounds[:, 3] <= top)
        )
    check = np.flatnonzero(~inside & ~np.isnan(bounds[:, 0]))
    if check.size == 0:
        return []
    area = shapely.area(geoms[check]) if areas is None else np.asarray(areas)[check]
    kept = shapely.area(shapely.intersection(geoms[check], box))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area > 0, np.minimum(kept / area, 1.0), 1.0)
    cut = [(int(i), float(v)) for i, v in zip(check, share, strict=True) if v < COVERED_SHARE]
    return sorted(cut, key=lambda item: item[1])


def percent(share: float) -> str:
    """A share as whole per cent, rounded down (98.6 % is not shown as 99 %)."""
    return "<1%" if 0 < share < 0.01 else f"{int(share * 100 + 1e-9)}%"


def uncovered_parents(levels, links, outside_code: str) -> str | None:
    """A warning when units are not covered by their units one level down, else None.

    Parameters
    ----------
    levels : list of exposure.zones.ZoneLevel
        Coarse first, with their geometry (levels without one are skipped).
    links : list of ndarray or None
        ``links[k]``: the parent (at level ``k - 1``) of each unit of level ``k``.
    outside_code : str
        The code of the outside bucket, named in the message.

    Notes
    -----
    A unit's gap is ``1 - sum(area of its children) / its area``, in the children's
    CRS; :data:`PARENT_GAP` or more is reported. People in a gap are in no finest unit:
    they count as outside every unit, and the parent's figures miss them.
    """
    messages = []
    for k in range(len(levels) - 1):
        parent, child = levels[k], levels[k + 1]
        if parent.geometry is None or child.geometry is None or links[k + 1] is None:
            continue
        own = shapely.area(parent.geometry.to_crs(child.geometry.crs).to_numpy())
        covered = np.bincount(
            links[k + 1],
            weights=shapely.area(child.geometry.to_numpy()),
            minlength=len(parent.codes),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.where(own > 0, 1.0 - covered / own, 0.0)
        short = np.flatnonzero(gap >= PARENT_GAP)
        if not short.size:
            continue
        order = short[np.argsort(-gap[short], kind="stable")]
        shown = ", ".join(f"{parent.codes[i]} {percent(gap[i])}" for i in order[:5])
        messages.append(
            f"zones: {short.size} level-{parent.level} unit(s) are not covered by their "
            f"level-{child.level} units (share of the unit's area in none of them: "
            f"{shown}{'…' if short.size > 5 else ''}); the people there count as outside "
            f"every unit ({outside_code}), not in these units: give level-{child.level} "
            "units that cover their parents"
        )
    return "; ".join(messages) or None
