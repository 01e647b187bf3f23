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

Hosting is not capped by capacity (a gravity rule without capacity): the run warns, per
hazard and band, about units that would host more people than live there, people hosted
outside every admin unit and a band whose displaced people mostly have no host in reach
(:func:`band_warnings`), and once about the hazards left out (:func:`not_allocated`).

A unit that received no cell of the analysis grid (manifest.json ``zones_without_cells``)
has blank figures, not 0, as in zones.csv (:func:`mecc.national_rows.not_known`), and its
``note`` says why (``mecc.national_rows.NO_CELLS_NOTE``); it neither sends nor hosts anyone
(no flows), and the rows of the units above it say that nothing is added for it
(:func:`mecc.national_rows.no_cells_added_note`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mecc.allocation import (
    allocate_band,
    coarse_grid,
    distance_weights,
    host_zones,
    zone_parts,
)
from mecc.errors import MeccWarning
from mecc.national_rows import NO_CELLS_NOTE, no_cells_added_note, no_cells_rows, not_known
from mecc.tables import protected_bands, protection_per_zone

__all__ = [
    "ALLOCATED_KINDS",
    "CENTRAL_ONLY_NOTE",
    "NO_HOST_SHARE",
    "OUTSIDE_SHARE",
    "allocation_tables",
    "band_warnings",
    "no_cells_marked",
    "not_allocated",
    "not_allocated_message",
]

CENTRAL_ONLY_NOTE = (
    "hosted, no_host and host_burden_per_1000: the central curve's displaced people; the "
    "curve variants displace displaced_low to displaced_high here (not allocated)"
)
"""allocation.csv ``note`` of a hazard with curve variants."""

ALLOCATED_KINDS = ("scenario", "return_periods")
"""Hazard kinds allocated: one deterministic grid per band. Event sets are left out (an
allocation per synthetic event says little), as are combined and slow-onset hazards
(:func:`not_allocated` says why, for the run's warning and manifest.json)."""

NO_HOST_SHARE = 0.5
"""Share of a band's displaced people with no host in reach above which the run warns
(more than half: the allocation then says little about where most of them may go)."""

OUTSIDE_SHARE = 0.01
"""Share of a band's hosted people, hosted outside every admin unit, from which the run
warns (1 %: the population grid reaching beyond the units, or across a border)."""

NAMED = 3
"""Units named in a warning about host burdens (the worst; the count gives the rest)."""


def not_allocated_message(label: str, hazards) -> str | None:
    """The one warning naming the hazards the allocation leaves out and why
    (:func:`not_allocated`), or None when it allocates every one; ``mecc run`` and
    ``mecc validate`` give it alike. ``label`` names the run file's allocation key."""
    left_out = [(h.id, why) for h in hazards if (why := not_allocated(h)) is not None]
    if not left_out:
        return None
    return f"{label}: not allocated (allocation.csv and flows.csv leave them out): " + "; ".join(
        f"{hid} ({why})" for hid, why in left_out
    )


def not_allocated(hazard) -> str | None:
    """Why a hazard set is not allocated, or None when it is.

    Drought and sea-level rise displace no one in an event; an event set has one grid
    per synthetic event; a combined hazard (``components``) keeps no allocation grid.
    """
    if hazard.exposure_only:
        return "drought: people per severity class, none displaced"
    if hazard.kind == "relocation":
        return "sea-level rise: people at risk of planned relocation, not displaced by an event"
    if hazard.kind == "events":
        return (
            "an event set: an allocation per synthetic event says little; give the hazard's "
            "scenario or return-period maps to allocate it"
        )
    if hazard.components:
        return "a combined hazard: not supported; give its components as hazards of their own"
    if hazard.kind not in ALLOCATED_KINDS:
        return f"hazards of kind {hazard.kind} are not allocated"
    return None


def _people(value: float) -> str:
    return f"{value:,.0f}"


def band_warnings(where, radius_km, units, outside, displaced, no_host, no_data=None) -> list[str]:
    """The warnings of one band's allocation (hosting has no capacity limit).

    Parameters
    ----------
    where : str
        What the messages begin with: ``run.yaml.mobility.allocation: flood band rp100``.
    radius_km : float
    units : DataFrame
        The finest units: ``zone_code``, ``zone_name``, ``hosted``, ``residents``.
    outside : tuple of float
        ``(hosted, residents)`` outside every admin unit.
    displaced, no_host : float
        The band's displaced people and those with no host within the radius.
    no_data : float, optional
        The band's people without hazard data (none can host: not known to be safe);
        None when not known. Where they live is not kept, so the no-host line says that
        everyone within reach is exposed or without hazard data unless this is 0, and
        gives their count when it is more.

    Returns
    -------
    list of str
        At most two lines: units hosting more people than live there (host burden above
        1,000 per 1,000 residents: the worst :data:`NAMED` by name and code, and their
        count) with people hosted outside every admin unit when they are
        :data:`OUTSIDE_SHARE` of those hosted or more; and the share of displaced people
        with no host in reach when it is more than :data:`NO_HOST_SHARE`, and why: everyone
        within reach is exposed to the hazard, or without hazard data there.
    """
    said, extent = [], ""
    hosted = units["hosted"].to_numpy(np.float64)
    residents = units["residents"].to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        burden = np.where(residents > 0, hosted / residents * 1000.0, np.inf)
    over = np.flatnonzero((hosted >= 0.5) & (hosted > residents))
    parts = []
    if over.size:
        worst = over[np.argsort(-burden[over], kind="stable")][:NAMED]
        named = [
            f"{units['zone_name'].iloc[k]} ({units['zone_code'].iloc[k]}) "
            + (
                f"{burden[k]:,.0f} per 1,000"
                if np.isfinite(burden[k])
                else f"{_people(hosted[k])} people with no residents"
            )
            for k in worst
        ]
        more = f", and {over.size - worst.size} more" if over.size > worst.size else ""
        parts.append(
            f"{over.size} unit{'s' if over.size > 1 else ''} would host more people than live "
            f"there (host burden above 1,000 per 1,000 residents): {', '.join(named)}{more}"
        )
    total_hosted = float(hosted.sum() + outside[0])
    if outside[0] >= 0.5 and outside[0] >= OUTSIDE_SHARE * total_hosted:
        parts.append(
            f"{_people(outside[0])} people ({outside[0] / total_hosted:.0%} of those hosted) "
            f"are hosted outside every admin unit, where {_people(outside[1])} people live"
        )
        extent = (
            "; check that the population grid does not reach beyond the admin units (or "
            "across a border)"
        )
    if parts:
        said.append(
            f"{where}: {'; '.join(parts)}; hosting is not capped by capacity: read hosted as "
            "pressure on host communities, not as places that can take them; a radius_km "
            f"smaller than {radius_km:g} keeps people nearer home{extent}"
        )
    if displaced > 0 and no_host >= 0.5 and no_host > NO_HOST_SHARE * displaced:
        if no_data is not None and no_data < 0.5:
            why = "everyone within reach of them is exposed to the hazard"
        else:
            why = (
                "everyone within reach of them is exposed to the hazard or without hazard "
                "data there"
            )
            if no_data is not None:
                why += (
                    f"; {_people(no_data)} people in this band have no hazard data, and people "
                    "not known to be safe host no one"
                )
        said.append(
            f"{where}: {_people(no_host)} of {_people(displaced)} displaced people "
            f"({no_host / displaced:.0%}) have no host within the {radius_km:g} km radius "
            f"({why}); allocation.csv gives them per unit as no_host; a larger radius_km "
            "reaches more places, if people can travel that far"
        )
    return said


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
        blank without curve variants; a unit without a cell of the analysis grid, when
        ``result`` gives the cells, blank: :func:`no_cells_marked`), flows.csv
        (``hazard_id, band, curve, from_zone, to_zone, people``) and the allocation's parameters (``not_allocated``: the
        hazards left out and why); ``(None, None, parameters)`` when no hazard is
        allocated.

    Warns
    -----
    MeccWarning
        Once, naming the hazards left out (:func:`not_allocated`); per hazard and band,
        the lines of :func:`band_warnings`.
    """
    small = coarse_grid(grid, factor)
    coarse, sums = (result, {}) if isinstance(result, dict) else (result.coarse, result.hazards)
    coarse = coarse or {}  # None: no hazard kept coarse sums
    left_out = {h.id: why for h in hazards if (why := not_allocated(h)) is not None}
    message = not_allocated_message(settings.label, hazards)
    if message:
        warnings.warn(message, MeccWarning, stacklevel=2)
    about = {
        "rule": "share of displaced people = safe people x distance^-exponent / sum, within "
        "radius_km (a planning heuristic, not a forecast)",
        "capacity": "none: hosting is not capped (a host burden above 1,000 per 1,000 "
        "residents means more guests than residents)",
        "radius_km": settings.radius_km,
        "exponent": settings.exponent,
        "curve": "central: only the central curve's displaced people are allocated; "
        "allocation.csv displaced_low/_high give the curve variants' displaced people",
        "grid_cells_per_side": factor,
        "grid": {"width": small.width, "height": small.height},
        "hazards": {},
    }
    if left_out:
        about["not_allocated"] = left_out
    if not any(h.id in coarse for h in hazards):
        return None, None, about
    parts = getattr(result, "zone_parts", None)  # counted on the engine's pass
    if parts is None:
        parts = zone_parts(grid, zones, factor)
    host = host_zones(parts, small.width * small.height, zones.outside_index)
    weights = distance_weights(small, settings)
    table = zones.table()
    unknown, below = _units_without_cells(result, zones, table)
    n_zones = zones.n + 1
    codes = list(zones.finest.codes) + ["__outside__"]
    finest = slice(len(table) - n_zones, len(table) - 1)  # coarse levels first, outside last
    frames, flows, summary = [], [], about["hazards"]
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
            frames.append(no_cells_marked(frame, unknown, below))
            for message in band_warnings(
                f"{settings.label}: {hazard.id} band {band}",
                settings.radius_km,
                frame.iloc[finest],
                (float(frame["hosted"].iloc[-1]), float(frame["residents"].iloc[-1])),
                float(moved["zone_displaced"].sum()),
                float(moved["zone_no_host"].sum()),
                _no_data(sums, hazard.id, b),
            ):
                warnings.warn(message, MeccWarning, stacklevel=2)
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
        return None, None, about
    return pd.concat(frames, ignore_index=True), pd.concat(flows, ignore_index=True), about


def _units_without_cells(result, zones, table) -> tuple[set, dict]:
    """The units without a cell of the analysis grid and, per unit above them, those
    below it (:func:`mecc.national_rows.no_cells_rows`); none when ``result`` gives no
    cells (a plain dict of coarse grids)."""
    cells = getattr(result, "cells", None)
    if cells is None:
        return set(), {}
    codes = table["zone_code"].astype(str).tolist()
    parents = [None if pd.isna(p) else str(p) for p in table["parent_code"]]
    return no_cells_rows(codes, parents, zones.aggregate(cells), zones.country)


def no_cells_marked(frame: pd.DataFrame, unknown, below) -> pd.DataFrame:
    """One band's allocation.csv rows with the rule for units without a cell.

    Parameters
    ----------
    frame : DataFrame
        The band's rows (``zone_code`` ... ``note``).
    unknown : set of str
        Units that received no cell of the analysis grid: their figures (``displaced``
        to ``host_burden_per_1000``) become blank, not 0, and their ``note`` is
        :data:`mecc.national_rows.NO_CELLS_NOTE`.
    below : dict
        Per unit above such units, those units: its ``note`` adds that nothing is added
        for them (:func:`mecc.national_rows.no_cells_added_note`); its figures are the
        sums of the units that have cells.

    Returns
    -------
    DataFrame
        ``frame`` itself when no unit lacks a cell, else a copy.
    """
    if not unknown and not below:
        return frame
    frame = not_known(frame, unknown)
    codes = frame["zone_code"].astype(str)
    notes = frame["note"].astype(str).to_numpy(dtype=object)
    for k, code in enumerate(codes):
        if code in unknown:
            notes[k] = NO_CELLS_NOTE
        elif code in below:
            notes[k] = "; ".join(filter(None, [notes[k], no_cells_added_note(below[code])]))
    frame["note"] = notes
    return frame


def _run_totals(sums, hazard_id, band, variant, shield):
    """The run's displaced people per finest unit + outside of one band and curve
    variant, with the units' protection standards applied; None without run sums."""
    if hazard_id not in sums:
        return None
    totals = sums[hazard_id].displaced[:, band, variant]
    return totals if shield is None else totals * shield[:, band]


def _no_data(sums, hazard_id, band):
    """The band's people without hazard data (of the run's sums), or None without them."""
    if hazard_id not in sums:
        return None
    no_data = np.asarray(sums[hazard_id].no_hazard_data)[:, band]
    if no_data.ndim > 1:  # per curve variant: the central curve's
        no_data = no_data[:, 0]
    return float(no_data.sum())
