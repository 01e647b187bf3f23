"""Which modelled figure ``mecc evaluate`` compares an observed measure with.

- ``displaced_people``: the run's displaced people per zone (``zones.csv`` ``displaced``,
  the displacement curve and its ``_low``/``_high`` variants).
- ``damaged_houses`` and ``destroyed_houses`` in a run whose hazard has damage states
  (``damage_curve:`` in the run file): the run's own dwellings *damaged but not destroyed*
  (Sendai B-3a) and *destroyed* (B-4a) per zone, exactly as ``sendai.csv`` reports them
  (``results.nc`` group ``sendai``: the people of each damage state divided by the
  household size of their finest unit, ``population.household_size``; summed up to the
  level of the observed zones). The two states are exclusive, so the two measures compare
  with different numbers. The run's household sizes are used, so ``--household-size`` is
  refused (one size for every unit would contradict the run's per-unit sizes). A run with
  damage states but no household size divides the damage-state people by
  ``--household-size``, which it then needs.
- ``destroyed_houses`` in a run without damage states: a **proxy**, displaced people /
  ``--household-size`` (people displaced by housing loss stand in for the people whose
  house was destroyed); the report, evaluation.json and a note (a warning line on the
  terminal) say so.
- ``damaged_houses`` in a run without damage states: refused. Displaced people count
  homes lost, not homes damaged and still lived in; the run needs a ``damage_curve``.

The figure compared is described in :attr:`Modelled.record` (``evaluation.json`` key
``modelled`` and the report's "Modelled figure compared").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError

__all__ = ["MEASURES", "Modelled", "compared_definition", "modelled_measure", "with_both_ends"]

MEASURES = {
    "destroyed_houses": ("destroyed houses", "houses"),
    "damaged_houses": ("damaged houses", "houses"),
    "displaced_people": ("displaced people", "people"),
}
"""What an observed value can measure: label and unit."""

STATE = {"damaged_houses": "damaged", "destroyed_houses": "destroyed"}
"""The run's damage state each house measure compares with."""
STATE_TEXT = {
    "damaged": "damaged but not destroyed (Sendai B-3a)",
    "destroyed": "destroyed (Sendai B-4a)",
}
VARIANTS = ("central", "low", "high")
OUTSIDE_CODE = "__outside__"


@dataclass
class Modelled:
    """The modelled side of an evaluation, per zone of the compared level.

    ``values`` has one row per row of ``RunFigures.zones`` (same order) and one column per
    variant (``central``, ``low``, ``high``); ``outside`` the people or dwellings outside
    every unit per variant; ``record`` what was compared (``evaluation.json``
    ``modelled``).
    """

    values: pd.DataFrame
    outside: dict
    variants: tuple
    household_size: float | None
    record: dict = field(default_factory=dict)


def _damage_curves(hazard_summary: dict) -> dict:
    """``{"damaged:central": name, ...}`` of the hazard's damage curves, or {}."""
    curves = hazard_summary.get("damage_curve")
    return curves if isinstance(curves, dict) else {}


def _read_damage_store(run_dir: Path, hazard_id: str, state: str) -> tuple[dict, dict]:
    """People and dwellings of one damage state per zone row (every level and the outside
    bucket) and variant, from results.nc (group ``sendai``, the store of sendai.csv);
    with the store's household-size record."""
    import xarray as xr

    path = Path(run_dir) / "results.nc"
    figures = (state, f"{state}_dwellings")
    try:
        with xr.open_dataset(path, engine="netcdf4", group="sendai") as store:
            meta = json.loads(store.attrs.get("metadata", "{}"))
            block = store["per_band"].sel(hazard=hazard_id, figure=list(figures)).isel(band=0)
            block = block.load()
    except (OSError, KeyError, ValueError, IndexError) as error:
        raise DataError(
            f"{path}: the damage states of hazard {hazard_id!r} cannot be read "
            f"({type(error).__name__}: {error}); run the run file again (mecc run)"
        ) from None
    zones = [str(z) for z in block["zone"].values]
    out = {}
    for figure in figures:
        for variant in [str(v) for v in block["variant"].values]:
            values = block.sel(figure=figure, variant=variant).values.astype(np.float64)
            if np.isfinite(values).any():
                out[(figure, variant)] = pd.Series(values, index=zones)
    return out, (meta.get("household_size") or {})


def _from_store(run, columns: dict, figure: str) -> tuple[pd.DataFrame, dict, tuple]:
    """Per-zone values of ``figure`` for the compared zones, the outside bucket and the
    variants the store has (central first)."""
    variants = tuple(v for v in VARIANTS if (figure, v) in columns)
    codes = run.zones["zone_code"].astype(str)
    values, outside = pd.DataFrame(index=run.zones.index), {}
    for variant in variants:
        series = columns[(figure, variant)]
        missing = sorted(set(codes) - set(series.index))
        if missing:
            raise DataError(
                f"{run.run_dir / 'results.nc'}: zone(s) {', '.join(missing[:5])} of zones.csv "
                "have no row in its damage states; run the run file again (mecc run)"
            )
        values[variant] = series.reindex(codes).fillna(0.0).to_numpy()
        outside[variant] = float(np.nan_to_num(series.get(OUTSIDE_CODE, 0.0)))
    return values, outside, variants


def _proxy(run, measure: str, household_size: float, curve: str | None) -> Modelled:
    label = MEASURES[measure][0]
    values = pd.DataFrame(index=run.zones.index)
    for variant in run.variants:
        people = "modelled_people" if variant == "central" else f"modelled_people_{variant}"
        values[variant] = run.zones[people].to_numpy() / household_size
    outside = {v: run.outside[v] / household_size for v in run.variants}
    description = (
        f"displaced people / {household_size:g} people per household (--household-size): "
        f"a proxy for {label}, as hazard {run.hazard_id} has no damage_curve (people "
        "displaced by housing loss stand in for people whose house was destroyed)"
    )
    record = {
        "figure": "displaced_people_per_household",
        "description": description,
        "proxy": True,
        "curve": curve,
        "curve_kind": "displacement curve",
        "household_size": household_size,
        "household_size_from": "--household-size",
    }
    return Modelled(values, outside, run.variants, household_size, record)


def modelled_measure(run, measure: str, household_size: float | None) -> Modelled:
    """The modelled figure an observed ``measure`` is compared with (module docstring).

    Parameters
    ----------
    run : mecc.evaluate.RunFigures
        The run's figures at the compared admin level.
    measure : str
        A key of :data:`MEASURES`.
    household_size : float or None
        ``--household-size`` (already checked to be a positive number when given).

    Raises
    ------
    mecc.errors.ConfigError
        ``--household-size`` missing where houses come from people, given where the run
        counts dwellings itself or with ``displaced_people``, and ``damaged_houses`` in a
        run without damage states (exit code 2).
    mecc.errors.DataError
        A run whose summary names damage states that results.nc does not hold.
    """
    hazard_summary = (run.summary.get("hazards") or {}).get(run.hazard_id) or {}
    curve = hazard_summary.get("curve")
    if measure == "displaced_people":
        if household_size is not None:
            raise ConfigError(
                "--household-size turns people into houses; it is not used with --measure "
                "displaced_people"
            )
        values = pd.DataFrame(index=run.zones.index)
        for variant in run.variants:
            people = "modelled_people" if variant == "central" else f"modelled_people_{variant}"
            values[variant] = run.zones[people].to_numpy()
        record = {
            "figure": "displaced",
            "description": f"displaced people (displacement curve {curve})",
            "proxy": False,
            "curve": curve,
            "curve_kind": "displacement curve",
            "household_size": None,
        }
        return Modelled(values, dict(run.outside), run.variants, None, record)
    state = STATE[measure]
    damage_curves = _damage_curves(hazard_summary)
    if not damage_curves:
        if measure == "damaged_houses":
            raise ConfigError(
                f"--measure damaged_houses: hazard {run.hazard_id} of {run.run_dir} has no "
                "damage states: add a damage_curve to it in the run file and run again "
                "(displaced people / --household-size count homes lost, a proxy for "
                "destroyed_houses only)"
            )
        if household_size is None:
            raise ConfigError(
                f"--measure {measure}: hazard {run.hazard_id} has no damage_curve, so give "
                "--household-size to turn modelled displaced people into houses (a proxy), "
                "or add a damage_curve to the run file"
            )
        return _proxy(run, measure, household_size, curve)
    columns, sizes = _read_damage_store(run.run_dir, run.hazard_id, state)
    state_curve = damage_curves.get(f"{state}:central")
    text = STATE_TEXT[state]
    plain = text.split(" (")[0]  # "damaged but not destroyed", "destroyed"
    if (f"{state}_dwellings", "central") in columns:
        if household_size is not None:
            mean = sizes.get("national_mean")
            raise ConfigError(
                f"--household-size: not used with --measure {measure}: the run counts "
                f"{plain} dwellings itself with its own household size per "
                f"unit{f' (mean {mean:.3g})' if mean else ''}; leave --household-size out"
            )
        values, outside, variants = _from_store(run, columns, f"{state}_dwellings")
        mean = sizes.get("national_mean")
        description = (
            f"the run's dwellings {text}: people whose dwelling is {plain} (damage curve "
            f"{state_curve}) / the household size of their unit (population.household_size"
            f"{f', mean {mean:.3g}' if mean else ''})"
        )
        record = {
            "figure": f"{state}_dwellings",
            "household_size": None,
            "household_size_from": "the run (population.household_size, per unit)",
            "household_size_mean": mean,
        }
        used = None
    else:
        if household_size is None:
            raise ConfigError(
                f"--measure {measure}: the run has damage states but no household size "
                "(population.household_size), so give --household-size to turn its people "
                f"whose dwelling is {plain} into houses"
            )
        values, outside, variants = _from_store(run, columns, state)
        values, outside = (
            values / household_size,
            {v: o / household_size for v, o in outside.items()},
        )
        description = (
            f"people whose dwelling is {plain} (the run's damage curve, "
            f"{state_curve}) / {household_size:g} people per household (--household-size; "
            "the run has no household size)"
        )
        hazard = (run.summary.get("hazards") or {}).get(run.hazard_id) or {}
        if hazard.get("fatality_model") or hazard.get("fatality_model_variants"):
            description += (  # damage-state people are survivors: the dead's houses not in
                "; these people are the survivors of the run's fatality model, so houses "
                "whose people died are left out (an undercount; give the run "
                "population.household_size to count every dwelling)"
            )
        record = {
            "figure": state,
            "household_size": household_size,
            "household_size_from": "--household-size",
        }
        used = household_size
    record.update(
        {
            "description": description,
            "proxy": False,
            "curve": state_curve,
            "curve_kind": "damage curve",
            "damage_state": state,
        }
    )
    return Modelled(values, outside, variants, used, record)


def with_both_ends(modelled: Modelled, hazard_id: str) -> tuple[Modelled, str]:
    """A range needs both ends: where the curve has one variant only (a run file giving
    ``variants: {high: ...}``), the missing end is the central figure, as sendai.csv's
    ``low`` and ``high`` are the lowest and highest figure over the variants the run has.

    Returns
    -------
    (Modelled, str)
        ``modelled`` with ``low`` and ``high`` (the missing one a copy of ``central``,
        per zone and outside every unit) and the note saying so (also in ``record``
        ``range_note``); ``modelled`` itself and ``""`` with both variants or none.
    """
    given = [v for v in VARIANTS[1:] if v in modelled.variants]
    if len(given) != 1:
        return modelled, ""
    (present,) = given
    missing = "low" if present == "high" else "high"
    values = modelled.values.copy()
    values[missing] = values["central"]
    outside = {**modelled.outside, missing: modelled.outside["central"]}
    kind = modelled.record.get("curve_kind") or "curve"
    note = (
        f"the {kind} of hazard {hazard_id} has a {present} variant only (no {missing}): "
        f"the {missing} end of the range is the central figure"
    )
    record = {**modelled.record, "range_note": note}
    return Modelled(values, outside, VARIANTS, modelled.household_size, record), note


def compared_definition(modelled: dict, label: str) -> str:
    """The Definitions entry saying which modelled figure the observed one was compared
    with (``evaluation.json`` ``modelled``, :mod:`mecc.evaluate_measures`)."""
    if modelled.get("damage_state"):
        return (
            f"Observed {label} were compared with {modelled['description']}. The run's "
            "damage curve splits people into those whose dwelling is damaged but not "
            "destroyed (Sendai B-3) and those whose dwelling is destroyed (B-4); the two "
            "are exclusive, so a dwelling counts in one of them only."
        )
    if modelled.get("proxy"):
        return (
            f"Observed {label} were compared with {modelled['description']}. The model "
            "estimates people displaced by loss of housing (destroyed or uninhabitable "
            "homes), not houses; a damage_curve in the run file would give its own damaged "
            "and destroyed dwellings."
        )
    return (
        "The model estimates people displaced by loss of housing (destroyed or "
        "uninhabitable homes); they were compared as they are, with no conversion."
    )
