"""Result tables of a run: risk metrics per zone and nationally, in contract shape.

Takes the engine's per-zone sums (finest units + outside) and produces the rows of
zones.csv, zones_bands.csv, bands.csv, exceedance.csv, the ``hazards`` part of
summary.json and the results.nc Dataset. Nothing here reads or writes files.

Aggregation rules (DESIGN.md): AAD adds up across zones; PMD from an event set does
not, so per-event displacement is summed first and PMD computed per zone. PMD from
return-period maps is "displacement in the T-year maps" (every cell at its T-year
intensity at once), which does add up, so per-zone protection standards are applied
per finest unit and the metrics summed upwards.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mecc import risk
from mecc.damage_tables import add_damage_columns
from mecc.errors import DataError, MeccWarning
from mecc.exceedance import exceedance_table
from mecc.national_rows import (  # the rule for units without a cell, one for every table
    NO_CELLS_NOTE,
    mark_units_without_cells,
    not_known,
    units_without_cells,
)
from mecc.variant_order import warn_variants_out_of_order

__all__ = [
    "NO_CELLS_NOTE",
    "HazardTables",
    "hazard_tables",
    "mark_units_without_cells",
    "not_known",
    "protected_bands",
    "results_dataset",
    "units_without_cells",
]

PMD_PERIODS = risk.STANDARD_RETURN_PERIODS
MODELLED_NOTE = (
    "Modelled estimates: people likely to be displaced computed from hazard grids, "
    "population and displacement curves; not observed figures."
)
METHOD_NOTE = (
    "Method: displaced = population x curve(intensity) per grid cell, times the cell's "
    "flooded fraction where a flood grid gives one, summed per admin unit (CLIMADA "
    "ImpactCalc semantics); AAD and PMD as in CLIMADA (event sets) or by integration over "
    "return-period maps. Figures are modelled estimates."
)


@dataclass
class HazardTables:
    """Everything one hazard set contributes to the outputs."""

    summary: dict
    zones: pd.DataFrame
    zones_bands: pd.DataFrame
    bands: pd.DataFrame
    exceedance: pd.DataFrame
    arrays: dict


def protection_per_zone(hazard, zone_codes: list[str]) -> list:
    """Protection standard of each finest unit (+ outside), validated against codes."""
    value = hazard.protection_rp
    if value is None or isinstance(value, float):
        return [value] * len(zone_codes)
    unknown = sorted(set(value) - set(zone_codes))
    if unknown:
        raise DataError(
            f"hazards.{hazard.id}.protection_rp: zone code(s) {', '.join(unknown[:5])} are not "
            "codes of the finest zone level"
        )
    return [value.get(code) for code in zone_codes]


def protected_bands(hazard, protection: list) -> np.ndarray | None:
    """Per finest unit + outside and band: 1 where a return-period map's figures count,
    0 where the map is more frequent than the unit's protection standard (its T-year
    event displaces nobody there, as in the AAD, PMD and exceedance; DESIGN.md). None when
    no unit is protected. Per-band figures (zones_bands.csv, bands.csv, Sendai rows per
    map) are multiplied by it; the AAD is integrated from the maps as given (D(P) is
    interpolated between the maps around P)."""
    if hazard.kind != "return_periods" or all(p is None for p in protection):
        return None
    rps = hazard.bands["return_period"].to_numpy(np.float64)
    standard = np.array([0.0 if p is None else float(p) for p in protection])
    return (rps[None, :] >= standard[:, None]).astype(np.float64)


def band_weights(hazard, protection: list) -> np.ndarray:
    """Per-zone weights of the per-cell output, shape (n_zones, n_bands)."""
    n_zones = len(protection)
    bands = hazard.bands
    if hazard.kind == "events":
        return np.tile(bands["frequency"].to_numpy(np.float64), (n_zones, 1))
    if hazard.exposure_only:  # no displacement to map
        return np.zeros((n_zones, len(bands)))
    if hazard.kind == "relocation":  # the DEM as given; the +-1 m bands are the range
        return np.tile([1.0, 0.0, 0.0], (n_zones, 1))
    if hazard.kind == "return_periods":
        rps = bands["return_period"].to_numpy(np.float64)
        cache = {}
        rows = []
        for p in protection:
            if p not in cache:
                cache[p] = risk.rp_aad_weights(rps, p)
            rows.append(cache[p])
        return np.ascontiguousarray(np.vstack(rows))
    return np.ones((n_zones, len(bands)))


VARIANT_FIGURES = (
    "aad",
    "aad_tail",
    "aad_climada",
    *(f"pmd_{t}" for t in PMD_PERIODS),
    "displaced",
)
"""Figures computed for every curve variant (``<figure>_low``, ``<figure>_high``)."""


def _with_variants(names):
    return [f"{name}{suffix}" for name in names for suffix in ("", "_low", "_high")]


ZONE_COLUMNS = (
    ["zone_code", "zone_name", "level", "hazard_id", "population"]
    + _with_variants(["aad", "aad_tail", "aad_climada"])
    + ["aad_member_median", "aad_member_min", "aad_member_max"]
    + [
        c
        for t in PMD_PERIODS
        for c in _with_variants([f"pmd_{t}"]) + [f"pmd_{t}_p05", f"pmd_{t}_p95"]
    ]
    + _with_variants(["displaced"])
    + ["protection_rp", "population_no_hazard_data", "parent_code"]
)
"""Column order of zones.csv (columns a run does not produce are left out)."""


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """zones.csv columns in their documented order (other figures, e.g. slow-onset
    ones, before the closing population_no_hazard_data and parent_code)."""
    known = [c for c in ZONE_COLUMNS if c in frame.columns]
    others = [c for c in frame.columns if c not in ZONE_COLUMNS]
    return frame[known[:-2] + others + known[-2:]]


def _pmd_columns(values: np.ndarray) -> dict:
    return {f"pmd_{t}": values[..., k] for k, t in enumerate(PMD_PERIODS)}


def hazard_tables(hazard, sums, zones, population: np.ndarray, protection: list, country: str):
    """Build every table of one hazard set.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
    sums : mecc.engine.OverlaySums
        Per finest unit + outside.
    zones : exposure.zones.Zones
    population : ndarray
        People per finest unit + outside.
    protection : list
        Protection standard per finest unit + outside (None = none).
    country : str
        ISO3 code, the zone code of national rows in exceedance.csv.
    """
    if hazard.exposure_only or hazard.kind == "relocation":
        from mecc.slow_onset import slow_onset_tables

        return slow_onset_tables(hazard, sums, zones, population, HazardTables)
    table = zones.table()
    bands = hazard.bands
    n_bands = len(bands)
    variants = hazard.variant_names
    displaced_fine = sums.displaced[..., 0]
    rows = {
        "population": zones.aggregate(population),
        "exposed": zones.aggregate(sums.exposed),
        "displaced": zones.aggregate(displaced_fine),
        "no_hazard_data": zones.aggregate(sums.no_hazard_data),
    }
    national = {
        "population": population.sum(),
        "exposed": sums.exposed.sum(axis=0),
        "displaced": displaced_fine.sum(axis=0),
        "no_hazard_data": sums.no_hazard_data.sum(axis=0),
    }
    summary = {
        "type": hazard.hazard_type.name,
        "kind": hazard.kind,
        "unit": hazard.hazard_type.unit,
        "curve": hazard.curve.name,
        "exposure_threshold": hazard.exposure_threshold,
        "population_no_hazard_data": float(national["no_hazard_data"].max()),
    }
    if hazard.components:
        summary["combine"] = hazard.combine
        summary["components"] = [
            {
                "type": part.hazard_type.name,
                "curve": part.curve.name,
                "exposure_threshold": part.exposure_threshold,
            }
            for part in hazard.components
        ]
    if hazard.kind == "events":
        metrics, national_metrics, national_pmd, extra = _event_metrics(
            bands, rows["displaced"], national["displaced"]
        )
    elif hazard.kind == "return_periods":
        metrics, national_metrics, national_pmd, extra = _return_period_metrics(
            hazard, displaced_fine, zones, protection
        )
    else:
        metrics = {"displaced": rows["displaced"][:, 0]}
        national_metrics = {
            "displaced": float(national["displaced"][0]),
            "exposed": float(national["exposed"][0]),
        }
        national_pmd, extra = None, {"scenario": hazard.scenario}
    summary.update(extra)
    if "member_note" in extra:
        warnings.warn(f"hazards.{hazard.id}: {extra['member_note']}", MeccWarning, stacklevel=2)
    summary.update(national_metrics)
    if national_pmd is not None:
        summary["pmd"] = {str(t): national_pmd[k] for k, t in enumerate(PMD_PERIODS)}
    variant_displaced = zones.aggregate(sums.displaced)  # rows x bands x variants
    national["displaced_variants"] = sums.displaced.sum(axis=0)
    rows["displaced_variants"] = variant_displaced
    for v, name in enumerate(variants[1:], start=1):
        figures, national_figures, pmd = variant_figures(
            hazard, bands, variant_displaced[..., v], sums.displaced[..., v], zones, protection
        )
        metrics.update({f"{key}_{name}": values for key, values in figures.items()})
        summary.update({f"{key}_{name}": value for key, value in national_figures.items()})
        if pmd is not None:
            summary[f"pmd_{name}"] = {str(t): pmd[k] for k, t in enumerate(PMD_PERIODS)}
    if len(variants) > 1:
        warn_variants_out_of_order(hazard, summary, table, metrics)  # nationally, per unit
        summary["variants"] = {name: hazard.curves[name].name for name in variants}
        summary["range_note"] = (
            "_low and _high are the curve variants that displace fewer and more people; "
            "they are a range of the method, not a confidence interval"
        )
    shield = protected_bands(hazard, protection)
    if shield is not None:  # per-band figures of protected units: the T-year event's, 0
        fine = {"exposed": sums.exposed * shield, "displaced": sums.displaced * shield[..., None]}
        rows["exposed"], national["exposed"] = (
            zones.aggregate(fine["exposed"]),
            fine["exposed"].sum(axis=0),
        )
        variant_displaced = zones.aggregate(fine["displaced"])
        rows["displaced"], rows["displaced_variants"] = variant_displaced[..., 0], variant_displaced
        national["displaced_variants"] = fine["displaced"].sum(axis=0)
        national["displaced"] = national["displaced_variants"][:, 0]
    summary["bands"] = _band_records(bands, national, variants)

    zones_frame = table[["zone_code", "zone_name", "level"]].copy()
    zones_frame["hazard_id"] = hazard.id
    zones_frame["population"] = rows["population"]
    for name, values in metrics.items():
        zones_frame[name] = values
    zones_frame["population_no_hazard_data"] = rows["no_hazard_data"].max(axis=1)
    zones_frame["parent_code"] = table["parent_code"]

    zb = pd.DataFrame(
        {
            "zone_code": np.repeat(table["zone_code"].to_numpy(), n_bands),
            "level": table["level"].repeat(n_bands).reset_index(drop=True).astype("Int64"),
            "hazard_id": hazard.id,
            "band": np.tile(bands["band"].to_numpy(), len(table)),
            "exposed": rows["exposed"].ravel(),
            "displaced": rows["displaced"].ravel(),
            **{
                f"displaced_{name}": variant_displaced[..., v].ravel()
                for v, name in enumerate(variants)
                if v
            },
            "no_hazard_data": rows["no_hazard_data"].ravel(),
        }
    )
    for k, extra in enumerate(c for c in ("event_name", "event_id") if c in bands.columns):
        # text after band (an id is a label, not a figure a unit without cells blanks)
        zb.insert(4 + k, extra, np.tile(bands[extra].astype(str).to_numpy(), len(table)))
    band_frame = pd.DataFrame(
        {
            "hazard_id": hazard.id,
            "band": bands["band"].to_numpy(),
            "frequency": bands.get("frequency", np.nan),
            "return_period": bands.get("return_period", np.nan),
            "exposed": national["exposed"],
            "displaced": national["displaced"],
            **{
                f"displaced_{name}": national["displaced_variants"][:, v]
                for v, name in enumerate(variants)
                if v
            },
            "no_hazard_data": national["no_hazard_data"],
        }
    )
    for extra in ("event_name", "event_id", "member"):
        if extra in bands.columns:
            band_frame[extra] = bands[extra].to_numpy()
    exceedance = exceedance_table(  # every curve variant: displaced_low / _high beside
        hazard, table, rows["displaced_variants"], national["displaced_variants"], country
    )
    arrays = {"rows": rows, "metrics": metrics, "national": national, "fine_exposed": sums.exposed}
    tab = HazardTables(summary, zones_frame, zb, band_frame, exceedance, arrays)
    add_damage_columns(hazard, sums, tab, zones, shield)
    return tab


def variant_figures(hazard, bands, displaced_rows, displaced_fine, zones, protection):
    """The figures of one curve variant (no ensemble statistics): per row and nationally."""
    if hazard.kind == "events":
        figures, national, pmd, _ = _event_metrics(
            bands, displaced_rows, displaced_fine.sum(axis=0), members=False
        )
    elif hazard.kind == "return_periods":
        figures, national, pmd, _ = _return_period_metrics(
            hazard, displaced_fine, zones, protection
        )
        figures.pop("protection_rp")
    else:
        figures = {"displaced": displaced_rows[:, 0]}
        national, pmd = {"displaced": float(displaced_fine.sum(axis=0)[0])}, None
    return figures, national, pmd


def _event_metrics(bands, displaced_rows, displaced_national, members=True):
    """AAD, PMD and ensemble spread of an event set, per row and nationally."""
    frequency = bands["frequency"].to_numpy(np.float64)
    metrics = {"aad": risk.event_aad(displaced_rows, frequency)}
    national = {"aad": float(risk.event_aad(displaced_national, frequency))}
    pmd_rows, _ = risk.event_pmd(displaced_rows, frequency)
    national_pmd, (shortest, longest) = risk.event_pmd(displaced_national, frequency)
    metrics.update(_pmd_columns(pmd_rows))
    notes = {
        str(t): (
            f"undefined: {'shorter' if t < shortest else 'longer'} than the return periods "
            f"this event set supports ({shortest:.4g} to {longest:.4g} years: 1 / the sum "
            "of its frequencies to 1 / the smallest)"
        )
        for k, t in enumerate(PMD_PERIODS)
        if np.isnan(national_pmd[k])
    }
    # the set's span, 12 significant digits: 1 / (20 x 1/20) is 1.0000000000000002
    extra = {"supported_return_periods": [float(f"{t:.12g}") for t in (shortest, longest)]}
    if notes:
        extra["pmd_notes"] = notes
    if members:
        member = bands["member"].to_numpy() if "member" in bands.columns else None
        interval = risk.bootstrap_event_pmd(displaced_rows, frequency, member, PMD_PERIODS)
        national_interval = risk.bootstrap_event_pmd(
            displaced_national, frequency, member, PMD_PERIODS
        )
        for q, name in enumerate(("p05", "p95")):
            metrics.update(
                {f"pmd_{t}_{name}": interval[q][:, k] for k, t in enumerate(PMD_PERIODS)}
            )
        extra["pmd_bootstrap"] = {
            name: {str(t): national_interval[q][k] for k, t in enumerate(PMD_PERIODS)}
            for q, name in enumerate(("p05", "p95"))
        }
        extra["pmd_bootstrap"]["resampled"] = "members" if member is not None else "events"
        extra["pmd_bootstrap"]["samples"] = 500
    if members and "member" in bands.columns:
        names, member_rows = risk.member_aad(displaced_rows, frequency, bands["member"])
        _, member_national = risk.member_aad(displaced_national, frequency, bands["member"])
        for stat, fn in (("median", np.median), ("min", np.min), ("max", np.max)):
            metrics[f"aad_member_{stat}"] = fn(member_rows, axis=-1)
            national[f"aad_member_{stat}"] = float(fn(member_national))
        extra["members"] = len(names)
        extra["aad_by_member"] = dict(zip(names, member_national.tolist(), strict=True))
        spans = pd.Series(frequency).groupby(bands["member"].astype(str).to_numpy()).sum()
        if spans.max() - spans.min() > 1e-9 * spans.max():  # DESIGN: aad = their mean
            extra["member_note"] = (
                "members of unequal total frequency (events a year: "
                + ", ".join(f"{name} {value:.4g}" for name, value in spans.items())
                + "): each member's AAD rescales it to a complete set, while the pooled aad "
                "weights each member by its frequencies, so aad is not the mean of the "
                "member AADs; give members of equal span for the ensemble spread to centre "
                "on it"
            )
    return metrics, national, national_pmd, extra


def _return_period_metrics(hazard, displaced_fine, zones, protection):
    """aad, aad_tail, aad_climada and PMD of return-period maps.

    Computed per finest unit with its own protection standard, then summed upwards
    (all four add up for maps; module docstring).
    """
    rps = hazard.bands["return_period"].to_numpy(np.float64)
    fine, fine_pmd = risk.rp_metrics(displaced_fine, rps, protection, PMD_PERIODS)
    metrics = {name: zones.aggregate(values) for name, values in fine.items()}
    national = {name: float(values.sum()) for name, values in fine.items()}
    metrics.update(_pmd_columns(zones.aggregate(fine_pmd)))
    national_pmd = fine_pmd.sum(axis=0)
    notes = {
        str(
            t
        ): f"undefined: outside the return periods of the maps ({rps[0]:g} to {rps[-1]:g} years)"
        for k, t in enumerate(PMD_PERIODS)
        if np.isnan(national_pmd[k])
    }
    # the standard of each finest unit and the outside bucket; coarser units mix them
    standard = np.array([np.nan if p is None else p for p in protection], dtype=np.float64)
    if isinstance(hazard.protection_rp, dict):
        rows = np.full(len(zones.table()), np.nan)
        rows[-(zones.n + 1) :] = standard
    else:
        rows = np.full(len(zones.table()), standard[0])
    metrics["protection_rp"] = rows
    extra = {
        "pmd_label": "displacement in the T-year maps (every cell at its T-year intensity at "
        "once), not a national T-year event",
        "protection_rp": hazard.protection_rp,
    }
    if notes:
        extra["pmd_notes"] = notes
    return metrics, national, national_pmd, extra


def _band_records(bands: pd.DataFrame, national: dict, variants=("central",)) -> list:
    records = []
    for k, row in enumerate(bands.itertuples(index=False)):
        record = {"band": row.band}
        if "frequency" in bands.columns:
            record["frequency"] = float(row.frequency)
        if "return_period" in bands.columns:
            record["return_period"] = float(row.return_period)
        for extra in ("event_name", "event_id", "member"):
            if extra in bands.columns:
                record[extra] = getattr(row, extra)
        record["exposed"] = float(national["exposed"][k])
        record["displaced"] = float(national["displaced"][k])
        for v, name in enumerate(variants):
            if v:
                record[f"displaced_{name}"] = float(national["displaced_variants"][k, v])
        record["no_hazard_data"] = float(national["no_hazard_data"][k])
        records.append(record)
    return records


BAND_ATTRS = {
    "long_name": "band number within the hazard set (1 = first band)",
    "comment": "bands numbered from 1 in the order of bands.csv and zones_bands.csv, as an "
    "events table numbers them (band 1 is the first band, not the second); band_label holds "
    "each hazard's band as bands.csv names it (the events table's band, or rpT for a "
    "return-period map), frequency (events a year), return_period (years), "
    "band_event_name and band_event_id (the events table's event_name and event_id) label "
    "it too",
}
"""Attributes of results.nc's ``band`` coordinate."""


def results_dataset(
    zone_table: pd.DataFrame, hazards: list, tables: list, population_rows, cells_rows, attrs: dict
):
    """The complete store of sums and metrics as an xarray Dataset (results.nc).

    Dimensions: ``zone`` (every unit of every level, then ``__outside__``), ``hazard``,
    ``band`` (numbered from 1 in the order of bands.csv, as its ``band`` of a set numbered
    1..n; padded with NaN to the longest hazard set; ``band_label`` holds bands.csv's own
    ``band``), ``variant`` (central, low, high;
    NaN where a hazard has no such variant) and ``pmd_return_period``; with a drought,
    ``drought_class`` (its people per severity class, ``exposed_by_class``:
    :mod:`mecc.drought_store`). A unit that
    received no cell (``cells`` 0) has NaN figures (not known, :func:`units_without_cells`);
    its ``population`` is the grid's 0 people, beside its 0 cells.
    """
    import xarray as xr

    from hazards.curves import VARIANT_ORDER
    from mecc.drought_store import drought_class_variables

    n_zone, n_haz = len(zone_table), len(hazards)
    n_band = max(len(h.bands) for h in hazards)
    n_var = len(VARIANT_ORDER)
    shape = (n_zone, n_haz, n_band)
    exposed, no_data = np.full(shape, np.nan), np.full(shape, np.nan)
    displaced = np.full((*shape, n_var), np.nan)
    # per hazard and band, from hazard.bands: the band, an event's name and member (text)
    text = {"band_label": "band", "band_event_name": "event_name", "band_event_id": "event_id"}
    text["band_member"] = "member"
    by_band = {k: np.full((n_haz, n_band), "", dtype=object) for k in text}
    by_band |= {k: np.full((n_haz, n_band), np.nan) for k in ("frequency", "return_period")}
    per_variant = {
        name: np.full((n_zone, n_haz, n_var), np.nan) for name in ("aad", "aad_tail", "aad_climada")
    }
    members = {
        name: np.full((n_zone, n_haz), np.nan)
        for name in ("aad_member_median", "aad_member_min", "aad_member_max")
    }
    pmd = np.full((n_zone, n_haz, len(PMD_PERIODS), n_var), np.nan)
    for h, (hazard, tab) in enumerate(zip(hazards, tables, strict=True)):
        nb = len(hazard.bands)
        rows, metrics = tab.arrays["rows"], tab.arrays["metrics"]
        exposed[:, h, :nb] = rows["exposed"]
        no_data[:, h, :nb] = rows["no_hazard_data"]
        for key, values in by_band.items():
            if text.get(key, key) in hazard.bands:
                values[h, :nb] = hazard.bands[text.get(key, key)].to_numpy()
        for v, variant in enumerate(hazard.variant_names):
            if variant not in VARIANT_ORDER:  # drought classes: in zones.csv and summary
                continue
            slot = VARIANT_ORDER.index(variant)
            suffix = "" if variant == "central" else f"_{variant}"
            displaced[:, h, :nb, slot] = rows["displaced_variants"][..., v]
            for name, values in per_variant.items():
                if name + suffix in metrics:
                    values[:, h, slot] = metrics[name + suffix]
            for k, t in enumerate(PMD_PERIODS):
                if f"pmd_{t}{suffix}" in metrics:
                    pmd[:, h, k, slot] = metrics[f"pmd_{t}{suffix}"]
        for name, values in members.items():
            if name in metrics:
                values[:, h] = metrics[name]
    unknown = units_without_cells(zone_table["zone_code"], cells_rows)  # NaN, not 0
    for values in (exposed, no_data, displaced, pmd, *per_variant.values(), *members.values()):
        values[unknown] = np.nan
    levels = zone_table["level"].fillna(-1).astype(np.int64).to_numpy()
    coords = {
        "zone": zone_table["zone_code"].astype(str).to_numpy(),
        "zone_name": ("zone", zone_table["zone_name"].astype(str).to_numpy()),
        "level": ("zone", levels),
        "parent_code": ("zone", zone_table["parent_code"].fillna("").astype(str).to_numpy()),
        "hazard": [h.id for h in hazards],
        "band": ("band", np.arange(1, n_band + 1), BAND_ATTRS),
        **{
            k: (("hazard", "band"), v.astype(str if k in text else float))
            for k, v in by_band.items()
        },
        "variant": list(VARIANT_ORDER),
        "pmd_return_period": np.asarray(PMD_PERIODS, dtype=np.int64),
    }
    people = {"units": "people"}
    data = {
        "population": (("zone",), population_rows, people),
        "cells": (("zone",), cells_rows, {"long_name": "analysis-grid cells in the zone"}),
        "exposed": (("zone", "hazard", "band"), exposed, people),
        "displaced": (("zone", "hazard", "band", "variant"), displaced, people),
        "no_hazard_data": (("zone", "hazard", "band"), no_data, people),
        "pmd": (("zone", "hazard", "pmd_return_period", "variant"), pmd, people),
    }
    per_year = {"units": "people per year"}
    for name, values in per_variant.items():
        data[name] = (("zone", "hazard", "variant"), values, per_year)
    for name, values in members.items():
        data[name] = (("zone", "hazard"), values, per_year)
    drought_coords, drought_data = drought_class_variables(hazards, tables, n_zone, unknown)
    coords |= drought_coords  # a drought's people per severity class (none: no variables)
    data |= drought_data
    dataset = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords)
    dataset.attrs.update(attrs)
    dataset.attrs["level_note"] = "level -1 marks the __outside__ bucket"
    return dataset
