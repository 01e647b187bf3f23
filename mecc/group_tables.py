"""Figures by group of people: sex × age cohorts, attributes, people in sites.

One row per zone, hazard and group in ``zones_disaggregated.csv``; the per-band sums in
results.nc (group ``disaggregated``). Groups come in these breakdowns:

- ``sex_age``: cohorts that partition the people (per-zone shares or cohort grids);
  they add up to the zone's figures;
- ``attribute``: people with a disability, in poverty, ... (per-zone shares); they
  overlap each other and the cohorts;
- ``sites``: people in displacement sites, at risk of secondary displacement;
- ``livelihoods`` and ``early_warning``: people whose livelihood a hazard would disrupt,
  and people covered by early warning (per-zone shares; Sendai B-5 and pre-emptive
  evacuation in ``mecc.sendai``).

Every unit has its own share or that of a unit containing it (or the national row's):
:func:`unit_shares` refuses a table that leaves a unit without one, rather than invent
it. The people outside every zone, who have no code, take the table's row with the
country code when it has one (every zone's default), else the units' population-weighted
mean, which is stated: results.nc (``outside_share`` of each group), the run's manifest
(``parameters.exposure.<table>.outside_share``) and the notes of the Sendai rows.

Metrics per group are computed from the group's own per-band sums exactly as for
everyone (``mecc.tables``): AAD and PMD for event sets and return-period maps, people
displaced for a scenario, with the curve variants' range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from exposure.zones import report_unknown_codes
from mecc import tables
from mecc.errors import DataError

__all__ = [
    "OUTSIDE_COUNTRY",
    "OUTSIDE_MEAN",
    "GroupSums",
    "disaggregated_dataset",
    "group_sums",
    "group_tables",
    "outside_basis",
    "unit_shares",
]

GROUP_KINDS = ("events", "return_periods", "scenario")
"""Hazard kinds disaggregated (slow-onset figures are reported for everyone only)."""
OUTSIDE_COUNTRY = "country"
"""``GroupSums.outside_share``: the people outside every zone took the table's row with the
country code."""
OUTSIDE_MEAN = "units_mean"
"""``GroupSums.outside_share``: the table has no row with the country code; the people
outside every zone took the units' population-weighted mean share."""
SHARE_TABLES = (
    ("cohort_shares", "cohorts"),
    ("attributes", "attributes"),
    ("livelihoods", "livelihoods"),
    ("early_warning", "early_warning"),
)
"""``(Exposure attribute, exposure.report key)`` of the per-zone share tables."""


class GroupSums:
    """One group's per finest unit + outside sums for one hazard; ``outside_share`` says
    where the outside bucket's share came from (:data:`OUTSIDE_COUNTRY`,
    :data:`OUTSIDE_MEAN`, or ``""`` for a group of its own grid cells, e.g. sites)."""

    def __init__(self, breakdown, name, population, exposed, displaced, outside_share=""):
        self.breakdown = breakdown
        self.name = name
        self.population = population  # (n + 1,)
        self.exposed = exposed  # (n + 1, bands)
        self.displaced = displaced  # (n + 1, bands, variants)
        self.outside_share = outside_share


def group_sums(exposure, hazard_id: str, sums, population, result) -> list[GroupSums]:
    """Every group's sums for one hazard: share-based groups from the zone sums, layer
    groups from the engine's layers."""
    groups = []
    if exposure.cohort_shares is not None:
        names, shares = exposure.cohort_shares
        basis = outside_basis(shares)
        shares = _with_outside_shares(shares, population)
        for c, name in enumerate(names):
            groups.append(_scaled("sex_age", name, shares[:, c], population, sums, basis))
    if exposure.layers is not None:
        layer_sums = result.layer_sums[hazard_id]
        for k, name in enumerate(exposure.layers.names):
            part = layer_sums[k]
            groups.append(
                GroupSums(
                    exposure.layer_kinds[k],
                    name,
                    result.layer_population[k],
                    part.exposed,
                    part.displaced,
                )
            )
    if exposure.attributes is not None:
        names, shares = exposure.attributes
        basis = outside_basis(shares)
        shares = _with_outside_shares(shares, population)
        for a, name in enumerate(names):
            groups.append(_scaled("attribute", name, shares[:, a], population, sums, basis))
    for spec in (exposure.livelihoods, exposure.early_warning):
        if spec is not None:  # Sendai B-5 and pre-emptive evacuation (mecc.sendai)
            name, shares = spec
            basis = outside_basis(shares)
            shares = _with_outside_shares(shares[:, None], population)[:, 0]
            groups.append(_scaled(name, name, shares, population, sums, basis))
    return groups


def unit_shares(zones, values: dict, country: str, where: str, what="share") -> np.ndarray:
    """Shares per finest unit + outside (NaN) from a per-zone table of shares.

    Parameters
    ----------
    zones : exposure.zones.Zones
        The run's zones.
    values : dict
        Zone code (any level; the nearest unit containing a finest unit wins) → share, or
        array of shares (attributes). A row with the country's code, when no zone has that
        code, is the default of every unit without a value of its own or of a unit above,
        and the share of the people outside every unit.
    country : str
        The run file's ``country``.
    where : str
        Names the run-file key and the file in messages, e.g.
        ``"run.yaml.population.livelihoods (shares.csv)"``.
    what : str
        What the table gives, in messages (e.g. ``"cohort shares"``).

    Returns
    -------
    numpy.ndarray
        ``(n + 1,)`` or ``(n + 1, A)``; the outside row is the country row's share, else NaN
        (:func:`_with_outside_shares` then gives it the people-weighted mean of the units).

    Raises
    ------
    DataError
        A finest unit with no value of its own nor of a unit containing it: a share is
        never invented for it. The message names the first such units.
    """
    values = dict(values)
    national = values.pop(country, None) if zones.locate(country) is None else None
    shape = np.shape(national if national is not None else next(iter(values.values())))
    per_unit = np.full((zones.n + 1, *shape), np.nan)
    if values:
        given, unknown = zones.finest_values(values, where)
        report_unknown_codes(unknown, len(values) + (national is not None), zones, where)
        per_unit[: zones.n] = given
    gaps = np.isnan(per_unit[: zones.n].reshape(zones.n, -1)[:, 0])
    if national is not None:  # every zone's default, and that of the people outside them
        per_unit[: zones.n][gaps] = national
        per_unit[zones.n] = national
    elif gaps.any():
        lacking = [str(zones.finest.codes[i]) for i in np.flatnonzero(gaps)]
        them = "it" if len(lacking) == 1 else "them"
        raise DataError(
            f"{where}: no {what} for zone {', '.join(lacking[:3])} (nor for a unit containing "
            f"{them}); {len(lacking)} zone(s) lack one: add their rows, or a row for a unit "
            f"above them (e.g. the national code {country}) to give them a default"
        )
    return per_unit


def outside_basis(shares: np.ndarray) -> str:
    """Where the outside bucket's share of ``shares`` (per finest unit + outside, from
    :func:`unit_shares`) comes from: :data:`OUTSIDE_COUNTRY` when the table's country row
    gave it, else :data:`OUTSIDE_MEAN` (:func:`_with_outside_shares`)."""
    return OUTSIDE_COUNTRY if np.isfinite(shares[-1]).all() else OUTSIDE_MEAN


def _with_outside_shares(shares: np.ndarray, population: np.ndarray) -> np.ndarray:
    """The outside bucket (people on the grid outside every zone, who have no code) keeps
    the share of the table's country row (:func:`unit_shares`); without one it takes the
    population-weighted mean of the units' shares (:func:`outside_basis` says which).
    Every unit has its own share (:func:`unit_shares` refuses a table that leaves one
    without)."""
    shares = shares.copy()
    inside = shares[:-1]
    if np.isnan(inside).any():
        raise ValueError("group shares: a unit has no share (unit_shares refuses such tables)")
    if outside_basis(shares) == OUTSIDE_COUNTRY:
        return shares
    weights = population[:-1]
    shares[-1] = (
        (inside * weights[:, None]).sum(axis=0) / weights.sum()
        if weights.sum() > 0
        else inside.mean(axis=0)
    )
    return shares


def _scaled(breakdown, name, share, population, sums, basis) -> GroupSums:
    return GroupSums(
        breakdown,
        name,
        population * share,
        sums.exposed * share[:, None],
        sums.displaced * share[:, None, None],
        basis,
    )


def _report_outside_shares(exposure, population: np.ndarray) -> None:
    """Say in ``exposure.report`` (the manifest's ``parameters.exposure``) which share of
    each share table the people outside every zone took, when anyone lives there."""
    if not population[-1] > 0:
        return
    for attribute, key in SHARE_TABLES:
        spec = getattr(exposure, attribute, None)
        if spec is None or not isinstance(exposure.report.get(key), dict):
            continue
        shares = np.asarray(spec[1], dtype=np.float64)
        basis = outside_basis(shares)
        filled = _with_outside_shares(shares.reshape(len(shares), -1), population)[-1]
        exposure.report[key]["outside_share"] = {
            "basis": basis,
            "meaning": "the table's row with the country code"
            if basis == OUTSIDE_COUNTRY
            else "no row with the country code: the units' population-weighted mean",
            "values": [round(float(v), 6) for v in filled],
        }


def _metrics(hazard, group: GroupSums, zones, protection) -> dict:
    """Headline figures of one group per zone row, with the variants' range."""
    bands = hazard.bands
    columns = {"population": zones.aggregate(group.population)}
    exposed_rows = zones.aggregate(group.exposed)
    if hazard.kind == "scenario":
        columns["exposed"] = exposed_rows[:, 0]
    displaced_rows = zones.aggregate(group.displaced)
    for v, name in enumerate(hazard.variant_names):
        figures, _, _ = tables.variant_figures(
            hazard, bands, displaced_rows[..., v], group.displaced[..., v], zones, protection
        )
        suffix = "" if v == 0 else f"_{name}"
        for key, values in figures.items():
            if key in ("aad_tail", "aad_climada") and v:
                continue
            columns[key + suffix] = values
    return columns


def group_tables(exposure, hazards, hazard_sums, population, result, zones, protections):
    """``zones_disaggregated.csv`` rows and the per-band sums for results.nc.

    Returns
    -------
    (DataFrame, list)
        The table (one row per zone row, hazard and group) and, per hazard, its groups'
        sums.
    """
    table = zones.table()
    frames, kept = [], []
    _report_outside_shares(exposure, population)
    for hazard, protection in zip(hazards, protections, strict=True):
        if hazard.kind not in GROUP_KINDS or hazard.exposure_only:
            continue
        groups = group_sums(exposure, hazard.id, hazard_sums[hazard.id], population, result)
        if not groups:
            continue
        kept.append((hazard, groups))
        for group in groups:
            frame = table[["zone_code", "zone_name", "level"]].copy()
            frame["hazard_id"] = hazard.id
            frame["breakdown"] = group.breakdown
            frame["group"] = group.name
            for key, values in _metrics(hazard, group, zones, protection).items():
                frame[key] = values
            frames.append(frame)
    if not frames:
        return None, kept
    out = pd.concat(frames, ignore_index=True)
    out["modelled"] = True
    return out, kept


def disaggregated_dataset(zones, kept):
    """Per group, zone, hazard, band and variant: exposed and displaced people, and people
    whose dwellings are damaged or destroyed when a hazard has damage states (results.nc)."""
    import xarray as xr

    from hazards.curves import VARIANT_ORDER
    from mecc.damage_tables import pass_slots

    if not kept:
        return None
    table = zones.table()
    names, basis = [], []
    for _, groups in kept:
        for g in groups:
            if (g.breakdown, g.name) not in names:
                names.append((g.breakdown, g.name))
                basis.append(g.outside_share)
    n_band = max(len(h.bands) for h, _ in kept)
    shape = (len(names), len(table), len(kept), n_band)
    exposed = np.full(shape, np.nan)
    displaced = np.full((*shape, len(VARIANT_ORDER)), np.nan)
    states = {"damaged": displaced.copy(), "destroyed": displaced.copy()}
    population = np.full((len(names), len(table)), np.nan)
    codes = [*zones.finest.codes, "__outside__"]
    for h, (hazard, groups) in enumerate(kept):
        nb = len(hazard.bands)
        # maps more frequent than a unit's protection standard: nobody there, per band
        shield = tables.protected_bands(hazard, tables.protection_per_zone(hazard, codes))
        shield = np.ones((len(codes), nb)) if shield is None else shield
        for g in groups:
            i = names.index((g.breakdown, g.name))
            population[i] = zones.aggregate(g.population)
            exposed[i, :, h, :nb] = zones.aggregate(g.exposed * shield)
            rows = zones.aggregate(g.displaced * shield[..., None])
            for v, variant in enumerate(hazard.variant_names):
                if variant in VARIANT_ORDER:
                    displaced[i, :, h, :nb, VARIANT_ORDER.index(variant)] = rows[..., v]
            # damage states (Sendai B-3 / B-4) follow the variants in the engine's pass:
            # their people, the survivors where a fatality model applies (damage_tables)
            for (state, variant), k in pass_slots(hazard)["people"].items():
                slot = VARIANT_ORDER.index(variant)
                states[state][i, :, h, :nb, slot] = rows[..., k]
    people = {"units": "people"}
    damage = {
        state: (("group", "zone", "hazard", "band", "variant"), values, people)
        for state, values in states.items()
        if any(h.damage_curves for h, _ in kept)
    }
    return xr.Dataset(
        {
            "population": (("group", "zone"), population, people),
            "exposed": (("group", "zone", "hazard", "band"), exposed, people),
            "displaced": (("group", "zone", "hazard", "band", "variant"), displaced, people),
            **damage,
        },
        coords={
            "group": [n for _, n in names],
            "breakdown": ("group", [b for b, _ in names]),
            "outside_share": ("group", basis),
            "zone": table["zone_code"].astype(str).to_numpy(),
            "hazard": [h.id for h, _ in kept],
            "band": ("band", np.arange(1, n_band + 1), tables.BAND_ATTRS),  # as the main group
            "variant": list(VARIANT_ORDER),
        },
        attrs={
            "note": "sex_age groups add up to everyone; attribute groups overlap; sites are "
            "people in displacement sites (at risk of secondary displacement); outside_share: "
            f"the share the people outside every zone took, '{OUTSIDE_COUNTRY}' (the table's "
            f"row with the country code) or '{OUTSIDE_MEAN}' (no such row: the units' "
            "population-weighted mean)",
        },
    )
