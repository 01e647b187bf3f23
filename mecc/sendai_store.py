"""What the Sendai tables need from a run, kept in results.nc (group ``sendai``).

Computed once at the end of ``mecc run`` from the engine's per-zone sums, so that
``mecc report sendai`` can rebuild the tables later from results.nc alone:

- per zone row (every unit of every level, then ``__outside__``), hazard, band and
  curve variant: people displaced by evacuation-type displacement (the displacement
  curve on intensity, by residence as in summary.json and zones.csv: the day/night
  table of a hazard with ``impact_time: day`` changes only the people exposed at
  impact, DESIGN.md "Mobility layers"), people whose dwellings are damaged but not
  destroyed and destroyed (damage-state curves; the survivors where a fatality model
  applies, :mod:`mecc.damage_tables`), the same as dwellings (everyone who lived in them,
  the dead too, divided by the household size of their finest unit), people at risk of
  planned relocation (sea-level rise), and the deaths of each curve variant's fatality
  model (Sendai A-2; NaN for a variant without one: it says nothing about deaths);
- their expected annual values (``mecc.tables.variant_figures``: events
  ``sum f x value``, return-period maps the trapezoid, protection standards applied as
  for AAD) and the PMD of the evacuation-type figure; for event sets with ensemble
  members, each member's expected annual value of the central curve
  (``expected_annual_member``, as zones.csv's ``aad_member_*``);
- households, official population per zone, and per group of people (cohorts,
  attributes, people in sites, livelihood and early-warning shares) the expected annual
  values of the evacuation-type, damage-state and exposed figures and of the group's
  people whose livelihood the hazard disrupts (its exposed x the unit's livelihood
  share: the group's B-5), each member's for event sets with members, per band the
  evacuation-type figure, and a scenario's group B-5;
- a JSON attribute ``metadata`` naming curves, evidence grades, sources and years.

Nothing here reads or writes files; :func:`sendai_dataset` returns an xarray Dataset.
"""

from __future__ import annotations

import json

import numpy as np

from mecc import tables
from mecc.damage_tables import fatality_curves, pass_slots

__all__ = ["BAND_FIGURES", "GROUP_FIGURES", "household_sizes", "sendai_dataset"]

BAND_FIGURES = (
    "evacuation",
    "damaged",
    "destroyed",
    "damaged_dwellings",
    "destroyed_dwellings",
    "relocation",
    "fatalities",
)
"""Figures per zone, hazard, band and variant (NaN where a hazard has no such figure)."""
GROUP_FIGURES = ("evacuation", "damaged", "destroyed", "exposed", "livelihoods")
"""Figures per group of people (expected annual values; per band in ``disaggregated``):
``livelihoods`` is the group's exposed people x its unit's livelihood share (B-5)."""
DISPLACEMENT_BASIS = "residence"
"""``metadata["displacement_by"]``: evacuation-type figures follow residence (stores
written before it counted people present by day for hazards striking by day)."""
SUDDEN_KINDS = ("events", "return_periods", "scenario")


def _fine_figures(hazard, sums, tab) -> dict:
    """``{(figure, variant): (n + 1, bands)}`` per finest unit + outside."""
    out = {}
    if hazard.exposure_only:
        return out
    if hazard.kind == "relocation":  # band 0 the DEM as given, 1 lowered (high), 2 raised (low)
        people = sums.displaced[:, :, 0]
        for variant, band in (("central", 0), ("high", 1), ("low", 2)):
            values = np.full_like(people, np.nan)
            values[:, 0] = people[:, band]
            out[("relocation", variant)] = values
        return out
    for v, variant in enumerate(hazard.variant_names):  # by residence (DESIGN.md)
        out[("evacuation", variant)] = sums.displaced[..., v]
    for (state, variant), values in tab.arrays.get("damage", {}).items():
        out[(state, variant)] = values  # the survivors where a fatality model applies
    for variant, values in tab.arrays.get("fatalities", {}).items():
        out[("fatalities", variant)] = values  # the deaths of each variant's fatality model
    return out


def _dwelling_people(tab) -> dict:
    """``{(state, variant): (n + 1, bands)}`` everyone who lived in the dwellings of each
    damage state, the dead too (``mecc.damage_tables``): dwellings = this / household
    size."""
    return tab.arrays.get("damage_everyone", tab.arrays.get("damage", {}))


def _livelihood_share(exposure, population: np.ndarray):
    """Share of people whose livelihood a hazard disrupts per finest unit + outside, as
    ``mecc.group_tables`` applies it (every unit its own or an ancestor's share, never a
    mean: ``mecc.group_tables.unit_shares`` refuses gaps; the people outside every zone
    the table's country row, else the units' people-weighted mean), or None without a
    livelihoods layer."""
    if exposure.livelihoods is None:
        return None
    from mecc.group_tables import _with_outside_shares

    return _with_outside_shares(exposure.livelihoods[1][:, None], population)[:, 0]


def _members(hazard):
    """Member names of an event set with ensemble members, else None."""
    if hazard.kind != "events" or "member" not in hazard.bands.columns:
        return None
    return sorted(set(hazard.bands["member"].astype(str)))


def _member_aad(hazard, rows: np.ndarray) -> np.ndarray:
    """Each member's expected annual value of per-band zone rows ``(zone, band)`` (as
    zones.csv's ``aad_member_*``: ``mecc.risk.member_aad``)."""
    from mecc import risk

    bands = hazard.bands
    return risk.member_aad(rows, bands["frequency"].to_numpy(np.float64), bands["member"])[1]


def household_sizes(exposure, population: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """Household size per finest unit + outside; zones.csv's ``households`` use the same.

    The units' sizes are as ``mecc.mobility`` gave them: their own, a unit's above, or the
    table's row with the country code (a national number: every unit's). The outside
    bucket keeps the country row's (or the national number's) size when one was given;
    units still without one and, without one, the outside bucket take the national mean
    (the people-weighted mean of the units with a size)."""
    size = exposure.household_size
    if size is None:
        return None, {"given": False}
    size = np.asarray(size, dtype=np.float64)
    known = np.isfinite(size) & (size > 0)
    inside = known.copy()
    inside[-1] = False  # the mean is the units'
    households = np.where(inside, population / np.where(inside, size, 1.0), 0.0)
    if households.sum() > 0:
        mean = float(population[inside].sum() / households.sum())
    else:
        mean = float(np.mean(size[inside])) if inside.any() else float("nan")
    filled = np.where(known, size, mean)
    return filled, {
        "given": True,
        "national_mean": mean,
        "units_filled_with_mean": int((~inside[:-1]).sum()),
        "outside": "country" if known[-1] else "units_mean",
    }


def _curve_record(curve) -> dict:
    """Name, evidence grade and source of a curve (built-in ones from the library).

    A combined hazard's curve (``hazards.combined.CombinedCurve``) gives its name (every
    component's curve and the combine rule), the lowest evidence grade of its components
    (ungraded if one is), their sources, ``combine``, ``rule`` and each component's
    own record under ``components``.
    """
    from hazards import library

    if getattr(curve, "parts", None) is not None:
        return _combined_record(curve)
    entry = library.curve_entries().get(curve.name.split(":")[0])
    if entry is None:
        return {"name": curve.name, "evidence": None, "source": curve.source or curve.name}
    return {
        "name": curve.name,
        "evidence": entry.evidence,
        "source": entry.source,
        "year": entry.year,
        "title": entry.title,
        "calibration_country": entry.calibration_country,
    }


def _combined_record(curve) -> dict:
    from hazards.combined import COMBINE_RULES

    parts = [_curve_record(part) for part in curve.parts]
    grades = [part["evidence"] for part in parts]
    sources = list(dict.fromkeys(str(part["source"]) for part in parts))
    return {
        "name": curve.name,
        "evidence": None if None in grades else max(grades),  # "C" is the lowest grade
        "source": "; ".join(sources),
        "combine": curve.combine,
        "rule": COMBINE_RULES[curve.combine],
        "components": parts,
    }


def _components_record(hazard) -> dict:
    """A combined hazard's title (its components' titles) and per component its type,
    title, unit and exposure threshold ({} for a single hazard)."""
    if not hazard.components:
        return {}
    parts = [
        {
            "type": part.hazard_type.name,
            "title": part.hazard_type.title,
            "unit": part.hazard_type.unit,
            "exposure_threshold": part.exposure_threshold,
        }
        for part in hazard.components
    ]
    return {"title": " + ".join(p["title"] for p in parts), "components": parts}


def _hazard_record(hazard, spec: dict, tab) -> dict:
    record = {
        "type": hazard.hazard_type.name,
        "title": hazard.hazard_type.title,
        "hip_code": hazard.hazard_type.hip_code,
        "hip_code_2020": hazard.hazard_type.hip_code_2020,
        "kind": hazard.kind,
        "unit": hazard.hazard_type.unit,
        "exposure_threshold": hazard.exposure_threshold,
        "period": None if hazard.period is None else str(hazard.period),
        "scenario": hazard.scenario,
        "protection_rp": hazard.protection_rp
        if not isinstance(hazard.protection_rp, dict)
        else "per zone",
        "impact_time": "day" if "daytime" in tab.arrays else None,
        "curve": _curve_record(hazard.curve) if hazard.kind in SUDDEN_KINDS else None,
        "variants": {name: c.name for name, c in hazard.curves.items()} if hazard.curves else {},
        "fatality_model": None
        if hazard.fatality_curve is None
        else _curve_record(hazard.fatality_curve),
        "fatality_models": {  # every variant's (A-2's range); a variant without: none
            variant: _curve_record(curve) for variant, curve in fatality_curves(hazard).items()
        },
        "damage_curve": {
            f"{state}:{variant}": _curve_record(curve)
            for (state, variant), curve in hazard.damage_curves.items()
        },
    }
    record.update(_components_record(hazard))
    if hazard.kind == "relocation":
        record["label"] = tab.summary.get("label")
        record["water_level"] = tab.summary.get("water_level")
    return record


def _group_names(group_sets) -> list:
    names = []
    for _, groups in group_sets:
        for g in groups:
            if (g.breakdown, g.name) not in names:
                names.append((g.breakdown, g.name))
    return names


def sendai_dataset(
    config, hazards, hazard_tabs, result, zones, exposure, group_sets, protections, population
):
    """The ``sendai`` group of results.nc.

    Parameters
    ----------
    config : mecc.config.RunConfig
    hazards, hazard_tabs : list
        The run's hazard sets and their tables (``mecc.tables.HazardTables``).
    result : mecc.engine.OverlaySums
        The engine's sums (seasonal presence applied).
    zones : exposure.zones.Zones
    exposure : mecc.mobility.Exposure
    group_sets : list
        ``(hazard, [GroupSums])`` from ``mecc.group_tables.group_tables``.
    protections : list
        Protection standard per finest unit + outside, per hazard.
    population : ndarray
        People per finest unit + outside.

    Returns
    -------
    xarray.Dataset
    """
    import xarray as xr

    from hazards.curves import VARIANT_ORDER

    table = zones.table()
    n_zone, n_haz = len(table), len(hazards)
    n_band = max(len(h.bands) for h in hazards)
    n_var, n_pmd = len(VARIANT_ORDER), len(tables.PMD_PERIODS)
    members = [_members(h) for h in hazards]
    n_member = max((len(m) for m in members if m), default=0)
    per_band = np.full((len(BAND_FIGURES), n_zone, n_haz, n_band, n_var), np.nan)
    annual = np.full((len(BAND_FIGURES), n_zone, n_haz, n_var), np.nan)
    member_annual = np.full((len(BAND_FIGURES), n_zone, n_haz, n_member), np.nan)
    pmd = np.full((n_zone, n_haz, n_pmd, n_var), np.nan)
    national_pmd = np.full((n_haz, n_pmd, n_var), np.nan)
    size, household_report = household_sizes(exposure, population)
    specs = {spec["id"]: spec for spec in config.data["hazards"]}
    records = {}
    for h, (hazard, tab, protection) in enumerate(
        zip(hazards, hazard_tabs, protections, strict=True)
    ):
        records[hazard.id] = _hazard_record(hazard, specs.get(hazard.id, {}), tab)
        if members[h]:
            records[hazard.id]["members"] = members[h]
        shield = tables.protected_bands(hazard, protection)
        shield = 1.0 if shield is None else shield  # maps below a unit's standard: 0
        fine = _fine_figures(hazard, result.hazards[hazard.id], tab)
        if size is not None:
            for (state, variant), values in _dwelling_people(tab).items():
                fine[(f"{state}_dwellings", variant)] = values / size[:, None]
        nb = len(hazard.bands)
        for (figure, variant), values in fine.items():
            f, slot = BAND_FIGURES.index(figure), VARIANT_ORDER.index(variant)
            rows = zones.aggregate(values)
            per_band[f, :, h, :nb, slot] = zones.aggregate(values * shield)
            if hazard.kind not in ("events", "return_periods"):
                continue
            figures, _, national = tables.variant_figures(
                hazard, hazard.bands, rows, values, zones, protection
            )
            annual[f, :, h, slot] = figures["aad"]
            if members[h] and variant == "central":  # the ensemble's spread (zones.csv's)
                member_annual[f, :, h, : len(members[h])] = _member_aad(hazard, rows)
            if figure == "evacuation":  # PMD does not add up: the nation's own curve
                national_pmd[h, :, slot] = national
                for k, t in enumerate(tables.PMD_PERIODS):
                    pmd[:, h, k, slot] = figures[f"pmd_{t}"]
    names = _group_names(group_sets)
    share = _livelihood_share(exposure, population)
    group_annual = np.full((len(GROUP_FIGURES), len(names), n_zone, n_haz, n_var), np.nan)
    group_member = np.full((len(GROUP_FIGURES), len(names), n_zone, n_haz, n_member), np.nan)
    # evacuation-type people per group, zone row, hazard, band and variant (by residence)
    group_band = np.full((len(names), n_zone, n_haz, n_band, n_var), np.nan)
    group_b5 = np.full((len(names), n_zone, n_haz), np.nan)  # the group's B-5 of a scenario
    for hazard, groups in group_sets:
        h = hazards.index(hazard)
        shielded = tables.protected_bands(hazard, protections[h])
        per_map = 1.0 if shielded is None else shielded  # maps below P: 0
        for g in groups:
            i, nb = names.index((g.breakdown, g.name)), len(hazard.bands)
            for v, variant in enumerate(hazard.variant_names):
                if variant in VARIANT_ORDER:
                    rows = zones.aggregate(g.displaced[..., v] * per_map)
                    group_band[i, :, h, :nb, VARIANT_ORDER.index(variant)] = rows
            if share is not None and hazard.kind == "scenario":  # one band
                group_b5[i, :, h] = zones.aggregate(g.exposed[:, 0] * share)
        if hazard.kind not in ("events", "return_periods"):
            continue
        parts = [("evacuation", variant, v) for v, variant in enumerate(hazard.variant_names)] + [
            (state, variant, k) for (state, variant), k in pass_slots(hazard)["people"].items()
        ]
        for g in groups:
            i = names.index((g.breakdown, g.name))
            pieces = [(figure, variant, g.displaced[..., k]) for figure, variant, k in parts]
            pieces.append(("exposed", "central", g.exposed))
            if share is not None:  # B-5 of the group: on the same rule as everyone's
                pieces.append(("livelihoods", "central", g.exposed * share[:, None]))
            for figure, variant, values in pieces:
                if variant not in VARIANT_ORDER:
                    continue
                rows = zones.aggregate(values)
                figures, _, _ = tables.variant_figures(
                    hazard, hazard.bands, rows, values, zones, protections[h]
                )
                slot = VARIANT_ORDER.index(variant)
                group_annual[GROUP_FIGURES.index(figure), i, :, h, slot] = figures["aad"]
                if members[h] and variant == "central":
                    group_member[GROUP_FIGURES.index(figure), i, :, h, : len(members[h])] = (
                        _member_aad(hazard, rows)
                    )
    households = zones.aggregate(population / size) if size is not None else np.full(n_zone, np.nan)
    official = exposure.official or {}
    population_official = np.array(
        [float(official.get(str(code), np.nan)) for code in table["zone_code"]]
    )
    pop_spec = config.data["population"]
    metadata = {
        "country": config.country,
        "name": config.name,
        "population": {
            "year": pop_spec.get("year"),
            "source": pop_spec.get("source"),
            "file": str(pop_spec.get("path", "")),
        },
        "official": {
            **(exposure.report.get("official") or {}),
            "national": official.get(config.country),
        },
        "household_size": household_report,
        "displacement_by": DISPLACEMENT_BASIS,
        "hazards": records,
        "groups": {name: breakdown for breakdown, name in names},
        # the optional layers given, whether or not a hazard of the run used them
        "layers_given": [
            name
            for name, layer in (
                ("livelihoods", exposure.livelihoods),
                ("early_warning", exposure.early_warning),
            )
            if layer is not None
        ],
        "sites": exposure.report.get("sites"),
        "cohorts": exposure.report.get("cohorts"),
        "levels": [lv.level for lv in zones.levels],
    }
    people = {"units": "people"}
    data = {
        "per_band": (("figure", "zone", "hazard", "band", "variant"), per_band, people),
        "expected_annual": (
            ("figure", "zone", "hazard", "variant"),
            annual,
            {"units": "per year", "rule": "events: sum f x value; maps: trapezoid (as aad)"},
        ),
        "evacuation_pmd": (("zone", "hazard", "pmd_return_period", "variant"), pmd, people),
        "evacuation_pmd_national": (
            ("hazard", "pmd_return_period", "variant"),
            national_pmd,
            people,
        ),
        "households": (("zone",), households, {"units": "households"}),
        "population_official": (("zone",), population_official, people),
    }
    coords = {
        "figure": list(BAND_FIGURES),
        "zone": table["zone_code"].astype(str).to_numpy(),
        "hazard": [h.id for h in hazards],
        "band": ("band", np.arange(1, n_band + 1), tables.BAND_ATTRS),  # as the main group
        "variant": list(VARIANT_ORDER),
        "pmd_return_period": np.asarray(tables.PMD_PERIODS, dtype=np.int64),
    }
    if names:
        data["group_expected_annual"] = (
            ("group_figure", "group", "zone", "hazard", "variant"),
            group_annual,
            {"units": "people per year"},
        )
        data["group_evacuation"] = (
            ("group", "zone", "hazard", "band", "variant"),
            group_band,
            {"units": "people", "note": "evacuation-type, by residence"},
        )
        coords["group_figure"] = list(GROUP_FIGURES)
        coords["group"] = [name for _, name in names]
        if share is not None:
            data["group_livelihoods"] = (
                ("group", "zone", "hazard"),
                group_b5,
                {"units": "people", "note": "scenarios: the group's exposed x livelihood share"},
            )
    if n_member:  # event sets with ensemble members: each member's expected annual value
        coords["member"] = np.arange(n_member)
        member_note = {"units": "per year", "note": "central curve; members: metadata"}
        data["expected_annual_member"] = (
            ("figure", "zone", "hazard", "member"),
            member_annual,
            member_note,
        )
        if names:
            data["group_expected_annual_member"] = (
                ("group_figure", "group", "zone", "hazard", "member"),
                group_member,
                member_note,
            )
    dataset = xr.Dataset(
        {k: xr.Variable(*v) for k, v in data.items()},
        coords=coords,
        attrs={
            "note": "inputs of the Sendai tables (mecc.sendai); modelled estimates",
            "metadata": json.dumps(metadata, sort_keys=True, default=_json_default),
        },
    )
    return dataset


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
