"""Tables of the allocation of displaced people: allocation.csv and flows.csv.

Runs the allocation (``mecc.allocation``) for every band of the hazards that kept
coarse sums on the engine's pass (scenarios and return-period maps) and writes per zone
(every level) the people displaced, hosted and without a host in reach, the host burden
per 1,000 residents, and the flows between finest units. The people displaced per unit
are the run's own (zones_bands.csv): ``mecc.allocation.allocate_band`` rescales each
unit's parts of the coarse grid to them.

Only the central curve's displaced people are allocated (the coarse grids of the
engine's pass are the central curve's; where the variants' displaced people are within
a unit is not known), so every row says ``curve`` ``central``. For a hazard with curve
variants, allocation.csv also gives the variants' displaced people per unit
(``displaced_low``/``displaced_high``, the run's figures, as zones_bands.csv) and a
``note`` saying that ``hosted``, ``no_host`` and ``host_burden_per_1000`` are the central
curve's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.allocation import (
    allocate_band,
    coarse_grid,
    distance_weights,
    host_zones,
    zone_parts,
)
from mecc.tables import protected_bands, protection_per_zone

__all__ = ["ALLOCATED_KINDS", "CENTRAL_ONLY_NOTE", "allocation_tables"]

CENTRAL_ONLY_NOTE = (
    "hosted, no_host and host_burden_per_1000: the central curve's displaced people; the "
    "curve variants displace displaced_low to displaced_high here (not allocated)"
)
"""allocation.csv ``note`` of a hazard with curve variants."""

ALLOCATED_KINDS = ("scenario", "return_periods")
"""Hazard kinds allocated: one deterministic grid per band. Event sets are left out (an
allocation per synthetic event says little), as are combined and slow-onset hazards."""


def allocation_tables(settings, grid, factor, hazards, result, zones, population_rows):
    """Allocate every band and build ``(allocation, flows, summary)``.

    Parameters
    ----------
    settings : mecc.allocation.AllocationSettings
    grid : GridSpec
        The analysis grid; the allocation grid has ``factor x factor`` of its cells.
    factor : int
    hazards : list
        The run's hazard sets.
    result : mecc.engine.EngineResult or dict
        The engine's result, seasonal presence applied: ``result.coarse`` maps a hazard
        id to (displaced, safe), each (n_bands, H, W), and ``result.hazards[id].displaced``
        (finest units + outside, bands, variants) gives the displaced people per unit
        that the allocation reproduces (variant 0, as zones_bands.csv; the ``low`` and
        ``high`` variants give ``displaced_low``/``_high``). A plain dict of
        coarse grids only (no run totals) keeps the coarse grid's own totals; the units
        sharing each coarse cell come from ``result.zone_parts`` when the engine counted
        them, else from a rasterisation of the zones (``mecc.allocation.zone_parts``).
    zones : exposure.zones.Zones
    population_rows : ndarray
        Residents per zone row (``zones.table()`` order).

    Returns
    -------
    tuple
        allocation.csv (``zone_code, zone_name, level, hazard_id, band, curve,
        displaced, displaced_low, displaced_high, hosted, no_host, residents,
        host_burden_per_1000, note``: ``curve`` is ``central``, ``_low``/``_high``
        blank without curve variants), flows.csv (``hazard_id, band, curve, from_zone,
        to_zone, people``) and the allocation's parameters; ``(None, None, None)`` when
        no hazard is allocated.
    """
    small = coarse_grid(grid, factor)
    coarse, sums = (result, {}) if isinstance(result, dict) else (result.coarse, result.hazards)
    parts = getattr(result, "zone_parts", None)  # counted on the engine's pass
    if parts is None:
        parts = zone_parts(grid, zones, factor)
    host = host_zones(parts, small.width * small.height, zones.outside_index)
    weights = distance_weights(small, settings)
    table = zones.table()
    n_zones = zones.n + 1
    codes = list(zones.finest.codes) + ["__outside__"]
    frames, flows, summary = [], [], {}
    for hazard in hazards:
        if hazard.id not in coarse:
            continue
        displaced, safe = coarse[hazard.id]
        per_band = []
        # maps more frequent than a unit's protection standard displace nobody there
        shield = protected_bands(hazard, protection_per_zone(hazard, codes))
        variants = {
            name: hazard.variant_names.index(name)
            for name in ("low", "high")
            if hazard.id in sums and name in hazard.variant_names
        }
        for b, band in enumerate(hazard.bands["band"].astype(str)):
            totals = _run_totals(sums, hazard.id, b, 0, shield)
            moved = allocate_band(displaced[b], safe[b], weights, parts, host, n_zones, totals)
            rows = {
                name: zones.aggregate(moved[f"zone_{name}"])
                for name in ("displaced", "hosted", "no_host")
            }
            frame = table[["zone_code", "zone_name", "level"]].copy()
            frame["hazard_id"] = hazard.id
            frame["band"] = band
            frame["curve"] = "central"
            frame["displaced"] = rows["displaced"]
            for name in ("low", "high"):
                v = variants.get(name)
                frame[f"displaced_{name}"] = (
                    np.nan
                    if v is None
                    else zones.aggregate(_run_totals(sums, hazard.id, b, v, shield))
                )
            frame["hosted"] = rows["hosted"]
            frame["no_host"] = rows["no_host"]
            frame["residents"] = population_rows
            with np.errstate(invalid="ignore", divide="ignore"):
                frame["host_burden_per_1000"] = np.where(
                    population_rows > 0, rows["hosted"] / population_rows * 1000.0, np.nan
                )
            frame["note"] = CENTRAL_ONLY_NOTE if variants else ""
            frames.append(frame)
            origin, destination, people = moved["flows"]
            flows.append(
                pd.DataFrame(
                    {
                        "hazard_id": hazard.id,
                        "band": band,
                        "curve": "central",
                        "from_zone": [codes[i] for i in origin],
                        "to_zone": [codes[j] for j in destination],
                        "people": people,
                    }
                )
            )
            per_band.append(
                {
                    "band": band,
                    "displaced": float(moved["zone_displaced"].sum()),
                    "hosted": float(moved["zone_hosted"].sum()),
                    "no_host": float(moved["zone_no_host"].sum()),
                }
            )
        summary[hazard.id] = per_band
    if not frames:
        return None, None, None
    about = {
        "rule": "share of displaced people = safe people x distance^-exponent / sum, within "
        "radius_km (a planning heuristic, not a forecast)",
        "radius_km": settings.radius_km,
        "exponent": settings.exponent,
        "curve": "central: only the central curve's displaced people are allocated; "
        "allocation.csv displaced_low/_high give the curve variants' displaced people",
        "grid_cells_per_side": factor,
        "grid": {"width": small.width, "height": small.height},
        "hazards": summary,
    }
    return pd.concat(frames, ignore_index=True), pd.concat(flows, ignore_index=True), about


def _run_totals(sums, hazard_id, band, variant, shield):
    """The run's displaced people per finest unit + outside of one band and curve
    variant, with the units' protection standards applied; None without run sums."""
    if hazard_id not in sums:
        return None
    totals = sums[hazard_id].displaced[:, band, variant]
    return totals if shield is None else totals * shield[:, band]
