"""People whose dwellings are damaged or destroyed: the damage-state figures of a hazard.

A hazard with ``damage_curve:`` has two exclusive curves per variant evaluated in the
engine's pass after its displacement curves (``inputs.overlay_input``): *damaged but not
destroyed* (Sendai B-3) and *destroyed or uninhabitable* (B-4). Per zone and band they go
to zones_bands.csv and bands.csv as ``damaged``/``destroyed`` (with ``_low``/``_high``
for the variants' range) and to ``HazardTables.arrays["damage"]`` for the Sendai tables.
They are people; dwellings are people divided by household size (``mecc.mobility``).
A curve with a fatality model (``survivors_step`` with ``fatality``) adds the deaths it
removes from the displaced as ``fatalities`` (Sendai A-2), evaluated last in the pass.
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_damage_columns", "damage_sums"]


def damage_sums(hazard, sums) -> dict:
    """``{(state, variant): (n + 1, bands)}`` people per finest unit + outside and band."""
    offset = len(hazard.variant_names)
    return {key: sums.displaced[..., offset + k] for k, key in enumerate(hazard.damage_curves)}


def add_damage_columns(hazard, sums, tab, zones, shield=None) -> None:
    """Add the damage-state columns (and the deaths of a fatality model) to a hazard's
    freshly built tables (in place); ``shield`` (``tables.protected_bands``) zeroes the
    per-band figures of maps more frequent than a unit's protection standard."""
    shield = 1.0 if shield is None else shield
    if hazard.fatality_curve is not None:
        _add_fatalities(hazard, sums, tab, zones, shield)
    if not hazard.damage_curves:
        return
    damage = damage_sums(hazard, sums)
    tab.arrays["damage"] = damage
    for (state, variant), values in damage.items():
        column = state if variant == "central" else f"{state}_{variant}"
        tab.zones_bands[column] = zones.aggregate(values * shield).ravel()
        tab.bands[column] = (values * shield).sum(axis=0)
    tab.summary["damage_curve"] = {
        f"{state}:{variant}": curve.name for (state, variant), curve in hazard.damage_curves.items()
    }
    tab.summary["damage_note"] = (
        "damaged (not destroyed) and destroyed are exclusive: a person is counted in at most "
        "one; modelled estimates"
    )
    national = {key: float(np.sum(values[:, 0])) for key, values in damage.items()}
    if hazard.kind == "scenario":
        tab.summary["damaged"] = national[("damaged", "central")]
        tab.summary["destroyed"] = national[("destroyed", "central")]


def _add_fatalities(hazard, sums, tab, zones, shield) -> None:
    """Deaths of the curve's fatality model (Sendai A-2): after the damage states."""
    offset = len(hazard.variant_names) + len(hazard.damage_curves)
    deaths = sums.displaced[..., offset]
    tab.arrays["fatalities"] = deaths
    tab.zones_bands["fatalities"] = zones.aggregate(deaths * shield).ravel()
    tab.bands["fatalities"] = (deaths * shield).sum(axis=0)
    tab.summary["fatality_model"] = hazard.fatality_curve.name
    if hazard.kind == "scenario":
        tab.summary["fatalities"] = float(deaths[:, 0].sum())
