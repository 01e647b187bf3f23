"""People whose dwellings are damaged or destroyed, and deaths: the damage-state and
fatality figures of a hazard.

A hazard with ``damage_curve:`` has two exclusive curves per variant evaluated in the
engine's pass after its displacement curves (``inputs.overlay_input``): *damaged but not
destroyed* (Sendai B-3) and *destroyed or uninhabitable* (B-4). Per zone and band they go
to zones_bands.csv and bands.csv as ``damaged``/``destroyed`` (with ``_low``/``_high``
for the variants' range) and to ``HazardTables.arrays["damage"]`` for the Sendai tables.

Deaths (Sendai A-2): each curve variant whose curve has a fatality model
(``survivors_step`` with ``fatality``) adds the deaths of that model, evaluated after the
damage states, as ``fatalities`` (``fatalities_low``/``_high``: the variants' models). A
variant without a fatality model says nothing about deaths: it has no figure (not 0).

Survivors (reference/methodology.md §4: displaced = population - fatalities): where a
fatality model applies, the *people* of a damage state are the survivors,
``population x (1 - fatality rate) x state share``, as the displacement curve of a
``survivors_step`` curve counts them; the model of the damage variant's namesake curve
variant applies, else the central curve's. Dwellings count everyone who lived in them (a
destroyed house is destroyed whoever died), so the pass also keeps everyone per state
(``HazardTables.arrays["damage_everyone"]``); dwellings = everyone / household size.

Slots of the pass, in order: the curve variants, the damage states (everyone), the
variants' fatality models (central first), the damage states' survivors
(:func:`pass_slots`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "add_damage_columns",
    "damage_sums",
    "dwelling_sums",
    "extra_curves",
    "fatality_curves",
    "fatality_sums",
    "pass_slots",
    "survivors_curve",
]

SNAP = 1e-6
"""Relative distance below which a knot of the fatality curve is taken to be the damage
curve's knot next to it (they would become one number at a float32 grid's precision)."""


def fatality_curves(hazard) -> dict:
    """``{variant: Curve}``: the fatality rate of each curve variant with a fatality model
    (central first; none for combined hazards or a hazard without damage or curves)."""
    from hazards import library

    if hazard.components:
        return {}
    out = {}
    for name in hazard.variant_names:
        if name == "central":
            curve = hazard.fatality_curve
        else:
            curve = library.fatality_curve(hazard.curves[name])
        if curve is not None:
            out[name] = curve
    return out


def survivors_curve(state, fatality):
    """The curve ``state(I) x (1 - fatality(I))``: the survivors of a damage state.

    Linear between the knots of both curves (the fatality curve's are 0.05 MMI apart, so
    the product of the two linear pieces differs from this by at most ~1e-4 of a share);
    a jump of either curve is a jump of the product (two points at one intensity), and
    below the first knot and beyond the last it is constant, as both curves are.

    Parameters
    ----------
    state, fatality : hazards.curves.Curve

    Returns
    -------
    hazards.curves.Curve
    """
    from hazards.curves import Curve

    s = np.asarray(state.intensity, dtype=np.float64)
    f = np.asarray(fatality.intensity, dtype=np.float64)
    jumps = f[:-1][np.diff(f) == 0]  # the model's start (0 below its minimum)
    near = np.isclose(f[:, None], s[None, :], rtol=SNAP, atol=1e-9).any(axis=1)
    x = np.unique(np.concatenate([s, f[~near | np.isin(f, jumps)]]))

    def share(at):
        return state.evaluate(at) * (1.0 - fatality.evaluate(at))

    before, at = share(np.nextafter(x, -np.inf)), share(x)
    xs, ys = [], []
    for point, left, right in zip(x, before, at, strict=True):
        if abs(left - right) > 1e-12:
            xs.append(point)
            ys.append(left)
        xs.append(point)
        ys.append(right)
    ys = np.clip(ys, 0.0, 1.0)
    return Curve(
        f"{state.name}:survivors",
        tuple(map(float, xs)),
        tuple(map(float, ys)),
        unit=state.unit,
        source=state.source,
    )


def _survivor_curves(hazard, fatality: dict) -> dict:
    """``{(state, variant): Curve}`` of the damage states a fatality model applies to."""
    out = {}
    for (state, variant), curve in hazard.damage_curves.items():
        model = fatality.get(variant, fatality.get("central"))
        if model is not None:
            out[(state, variant)] = survivors_curve(curve, model)
    return out


def extra_curves(hazard) -> list:
    """The curves the pass evaluates after the damage states: the variants' fatality
    models, then the survivors of the damage states (:func:`pass_slots`)."""
    fatality = fatality_curves(hazard)
    return [*fatality.values(), *_survivor_curves(hazard, fatality).values()]


def pass_slots(hazard) -> dict:
    """Slots of the engine's pass: ``{"fatalities": {variant: k}, "people": {(state,
    variant): k}, "everyone": {(state, variant): k}}``; ``people`` is the survivors' slot
    where a fatality model applies, else everyone's."""
    fatality = fatality_curves(hazard)
    offset = len(hazard.variant_names)
    everyone = {key: offset + k for k, key in enumerate(hazard.damage_curves)}
    offset += len(hazard.damage_curves)
    deaths = {variant: offset + k for k, variant in enumerate(fatality)}
    offset += len(fatality)
    survivors = {key: offset + k for k, key in enumerate(_survivor_curves(hazard, fatality))}
    return {"fatalities": deaths, "people": {**everyone, **survivors}, "everyone": everyone}


def damage_sums(hazard, sums) -> dict:
    """``{(state, variant): (n + 1, bands)}`` people per finest unit + outside and band
    (the survivors where a fatality model applies)."""
    return {key: sums.displaced[..., k] for key, k in pass_slots(hazard)["people"].items()}


def dwelling_sums(hazard, sums) -> dict:
    """``{(state, variant): (n + 1, bands)}`` everyone who lived in the dwellings of each
    state, the dead too (dwellings = this / household size)."""
    return {key: sums.displaced[..., k] for key, k in pass_slots(hazard)["everyone"].items()}


def fatality_sums(hazard, sums) -> dict:
    """``{variant: (n + 1, bands)}`` deaths of each variant's fatality model."""
    return {v: sums.displaced[..., k] for v, k in pass_slots(hazard)["fatalities"].items()}


def add_damage_columns(hazard, sums, tab, zones, shield=None) -> None:
    """Add the damage-state columns (and the deaths of fatality models) to a hazard's
    freshly built tables (in place); ``shield`` (``tables.protected_bands``) zeroes the
    per-band figures of maps more frequent than a unit's protection standard."""
    shield = 1.0 if shield is None else shield
    deaths = fatality_sums(hazard, sums)
    if deaths:
        _add_fatalities(hazard, deaths, tab, zones, shield)
    if not hazard.damage_curves:
        return
    damage = damage_sums(hazard, sums)
    tab.arrays["damage"] = damage
    tab.arrays["damage_everyone"] = dwelling_sums(hazard, sums)
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
    if deaths:
        tab.summary["damage_note"] += (
            "; people whose dwellings are damaged or destroyed are the survivors of the "
            "fatality model (the same variant's, else the central curve's); dwellings count "
            "everyone who lived in them"
        )
    national = {key: float(np.sum(values[:, 0])) for key, values in damage.items()}
    if hazard.kind == "scenario":
        tab.summary["damaged"] = national[("damaged", "central")]
        tab.summary["destroyed"] = national[("destroyed", "central")]


def _add_fatalities(hazard, deaths: dict, tab, zones, shield) -> None:
    """Deaths of the variants' fatality models (Sendai A-2): after the damage states."""
    tab.arrays["fatalities"] = deaths
    for variant, values in deaths.items():
        column = "fatalities" if variant == "central" else f"fatalities_{variant}"
        tab.zones_bands[column] = zones.aggregate(values * shield).ravel()
        tab.bands[column] = (values * shield).sum(axis=0)
    if "central" in deaths:
        tab.summary["fatality_model"] = hazard.fatality_curve.name
        if hazard.kind == "scenario":
            tab.summary["fatalities"] = float(deaths["central"][:, 0].sum())
    others = {v: c.name for v, c in fatality_curves(hazard).items() if v != "central"}
    if others:
        tab.summary["fatality_model_variants"] = others
