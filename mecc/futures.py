"""Futures: climate and population pathways, and the attribution of change.

A run file's ``futures:`` lists pathways and periods (e.g. SSP2-4.5, 2050). Each may
replace hazard inputs (a future hazard set per baseline hazard id) and the population
(a grid for the future year, or growth factors, national or per zone). For each future
and hazard the change in AAD from the baseline is split exactly into

- climate only: future hazard with baseline population, minus the baseline;
- population only: baseline hazard with future population, minus the baseline;
- interaction: the rest, so the three add up to the total change.

The figure compared is each hazard's headline: AAD (event and return-period sets),
people displaced (a scenario), people at risk of planned relocation (sea-level rise) and
the people in each severity class (drought, one figure per class). Every one is a sum
over cells of people x a per-cell share, so growth factors apply to it exactly.

Assumptions (README, methods): vulnerability is stationary (the same curves now and
then); no adaptation unless the future's inputs contain it; the population projection is
what the user supplies. Growth factors scale a finest unit's people uniformly, so their
effect on AAD is exact without another pass; a future population grid needs one more,
with the baseline's exposure on it (``mecc.future_inputs.future_exposure``: sites,
``scale_to``; seasonal presence by the ``overlay`` the run passes).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mecc import engine, tables
from mecc.config import check_applies
from mecc.errors import ConfigError, MeccWarning
from mecc.future_inputs import (
    changed_parameters,
    check_growth_codes,
    check_like_baseline,
    future_exposure,
    future_population_grid,
    growth_vector,
    inherited_keys,
    read_growth,
)
from mecc.futures_text import (
    FUTURES_COLUMNS,
    emptied_units_warning,
    futures_about,
    write_future_outputs,
)
from mecc.inputs import overlay_input, period_check
from mecc.national_rows import nation_unit, whole_grid_row, whole_grid_rows

__all__ = [
    "FUTURES_COLUMNS",
    "Future",
    "attribution_tables",
    "future_tables",
    "futures_about",
    "futures_parameters",
    "futures_summary",
    "read_futures",
    "write_future_outputs",
]

FUTURE_KEYS = {"id", "label", "hazards", "population", "period"}
_RUN_TEXT_COLUMNS = ("zone_code", "zone_name", "parent_code", "hazard_id")
"""Text columns of a run's zones.csv, read as written (a unit coded NA keeps its code)."""
HAZARD_OVERRIDE_KEYS = {"intensity", "events", "return_periods", "fraction", "variable"} | {
    "member_pattern",
    "period",
    "scenario",
}
SEA_LEVEL_KEYS = {"slr", "dem"}
"""What a future may give of a sea-level-rise hazard: the rise, a DEM (subsidence), and
its ``period``; the other keys (datums, high tide, connectivity) come from the baseline."""

_OWN_FRACTION = "give the future's own flooded fraction, or fraction: null (whole cells)"


@dataclass
class Future:
    """One future pathway of a run."""

    id: str
    label: str
    hazards: dict = field(default_factory=dict)
    population: object = None
    growth: object = None
    period: str | None = None
    year: int | None = None
    kept: list = field(default_factory=list)  # the baseline's exposure on a future grid
    grid_label: str | None = None  # its population grid without the run file's name
    changes: dict = field(default_factory=dict)  # hazard id: mecc.future_inputs.changed_parameters


def read_futures(config, baseline_hazards, baseline_population, zones=None) -> list[Future]:
    """Read and check ``futures:`` of a run file; future hazard sets are opened here.

    Everything is checked here, before the engine runs (mecc.future_inputs): a future
    hazard set must be of its baseline's kind, with the same return periods; growth
    factors must be numbers >= 0 and, given ``zones`` (exposure.zones.Zones), codes of
    the finest level (without ``zones``, :func:`growth_vector` checks the codes); a future
    grid must cover the baseline grid (``baseline_population``, its PopulationGrid).
    """
    from hazards.readers import read_hazard

    label = os.path.basename(config.path)
    specs = config.data.get("futures") or []
    if not isinstance(specs, list):
        raise ConfigError(
            f"{label}.futures: give a list of futures (id, label, hazards, population)"
        )
    by_id = {spec["id"]: spec for spec in config.data["hazards"]}
    baseline_of = {hazard.id: hazard for hazard in baseline_hazards}
    futures, seen = [], set()
    for k, spec in enumerate(specs):
        where = f"{label}.futures[{k}]"
        if not isinstance(spec, dict) or "id" not in spec:
            raise ConfigError(f"{where}: give a mapping with at least id")
        unknown = set(spec) - FUTURE_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(FUTURE_KEYS))}"
            )
        future_id = str(spec["id"])
        if future_id in seen:
            raise ConfigError(f"{where}.id: {future_id!r} is used twice")
        seen.add(future_id)
        future = Future(future_id, str(spec.get("label", future_id)), period=spec.get("period"))
        for hazard_id, override in (spec.get("hazards") or {}).items():
            if hazard_id not in by_id:
                raise ConfigError(f"{where}.hazards: no baseline hazard {hazard_id!r}")
            sea = by_id[hazard_id].get("type") == "sea_level_rise"
            allowed = SEA_LEVEL_KEYS | {"period"} if sea else HAZARD_OVERRIDE_KEYS
            if not isinstance(override, dict) or set(override) - allowed:
                raise ConfigError(
                    f"{where}.hazards.{hazard_id}: give the future's grids ({', '.join(sorted(allowed))})"
                )
            base = {
                key: value
                for key, value in by_id[hazard_id].items()
                if key not in HAZARD_OVERRIDE_KEYS
            }
            if "fraction" in by_id[hazard_id] and "fraction" not in override:
                raise ConfigError(f"{where}.hazards.{hazard_id}.fraction: {_OWN_FRACTION}")
            if not sea:  # an intensity alone keeps the baseline's scenario or events
                base |= inherited_keys(by_id[hazard_id], override, f"{where}.hazards.{hazard_id}")
            merged = {**base, **override, "id": f"{hazard_id}@{future_id}"}
            merged = {k: v for k, v in merged.items() if k != "fraction" or v is not None}
            check_applies(merged, f"{where}.hazards.{hazard_id}")  # member_pattern: events
            future.hazards[hazard_id] = read_hazard(
                merged, config.base_dir, f"{where}.hazards.{hazard_id}", config.country
            )
            future.changes[hazard_id] = changed_parameters(
                by_id[hazard_id], override, merged, f"{where}.hazards.{hazard_id}"
            )
            if hazard_id in baseline_of:
                check_like_baseline(
                    future.hazards[hazard_id],
                    baseline_of[hazard_id],
                    f"{where}.hazards.{hazard_id}",
                )
        population = spec.get("population")
        if isinstance(population, dict) and "path" in population:
            # errors name the run file (as the baseline's); the About sheet does not
            future.population = future_population_grid(
                config, population, f"{where}.population", baseline_population
            )
            future.grid_label = f"futures[{k}].population.path ({population['path']})"
            future.year = population.get("year")
        elif isinstance(population, dict) and "growth" in population:
            future.growth = read_growth(
                population["growth"], config.base_dir, f"{where}.population.growth"
            )
            if zones is not None:
                check_growth_codes(future.growth, _growth_codes(zones), zones)
            future.year = population.get("year")
        elif population is not None:
            raise ConfigError(
                f"{where}.population: give path (a grid) or growth (a factor, per zone or national)"
            )
        if not future.hazards and future.population is None and future.growth is None:
            raise ConfigError(f"{where}: a future changes the hazards, the population or both")
        futures.append(future)
    return futures


def _growth_codes(zones) -> list:
    """The codes growth factors may name: the finest units (and the outside bucket)."""
    return [*zones.finest.codes, "__outside__"]


def _figures(tab) -> list[str]:
    """The figures futures compare of a hazard: AAD, displaced for a scenario, people at
    risk of planned relocation for sea-level rise, people per class for drought."""
    for figure in ("aad", "displaced", "at_risk_relocation"):
        if figure in tab.zones.columns:
            return [figure]
    return [c for c in tab.zones.columns if c.startswith("drought_")]


def _finest(tab, n_finest: int, column: str) -> np.ndarray:
    """A figure of the finest units and the outside bucket."""
    return tab.zones[column].to_numpy(np.float64)[-(n_finest + 1) :]


def _combinations(tab, combo, hazard_id, factor, n, column) -> dict:
    """One figure of the finest units for the four (hazard, population) combinations:
    h00 baseline, h10 future hazard, h01 future population, h11 both."""
    h00 = _finest(tab, n, column)
    h1p0 = combo.get("h1p0", {})
    h10 = _finest(h1p0[hazard_id], n, column) if hazard_id in h1p0 else h00
    if factor is not None:  # the figures are linear in the people of each unit
        return {"h00": h00, "h10": h10, "h01": factor * h00, "h11": factor * h10}
    if "h0p1" in combo:
        h01 = _finest(combo["h0p1"][hazard_id], n, column)
        h1p1 = combo.get("h1p1", {})
        h11 = _finest(h1p1[hazard_id], n, column) if hazard_id in h1p1 else h01
        return {"h00": h00, "h10": h10, "h01": h01, "h11": h11}
    return {"h00": h00, "h10": h10, "h01": h00, "h11": h10}


def _row_figures(by_variant, population_rows, future_population, n, k) -> tuple:
    """The four combinations of every variant (``{suffix: {"h00": ..., ...}}``) and the
    baseline and future people of zone row ``k`` (None: the whole grid, the finest units
    and the outside bucket; every level would count people twice)."""
    pick = {
        suffix: {key: national[key] if k is None else values[key][k] for key in values}
        for suffix, (values, national) in by_variant.items()
    }
    rows_of = slice(-(n + 1), None) if k is None else k
    pop0 = float(np.sum(population_rows[rows_of]))
    pop1 = pop0 if future_population is None else float(np.sum(future_population[rows_of]))
    return pick, pop0, pop1


def _flat(figures):
    """Every number of :func:`_row_figures` in one list (None stays None)."""
    if figures is None:
        return None
    pick, pop0, pop1 = figures
    return [pop0, pop1, *(v for values in pick.values() for v in values.values())]


def attribution_tables(
    zones, futures, baseline_tabs, hazards, combos, population_rows, country, without=()
) -> tuple:
    """futures.csv and attribution.csv rows for every future, hazard and zone.

    ``combos[future.id]`` holds, per baseline hazard id, the HazardTables of
    ``(future hazard, baseline population)`` ("h1p0"), ``(baseline hazard, future
    population)`` ("h0p1") and ``(future hazard, future population)`` ("h1p1") where
    those needed their own pass; growth factors are applied here. Where the hazard has
    curve variants, futures.csv also gives the baseline and future figure with the low
    and high variant (``baseline_low`` ... ``future_high``). The whole grid's row (the
    country, level 0) follows the zone rows; beside a level-0 unit with the country's code
    it is left out where their figures (people too) agree, else its level is blank
    (:mod:`mecc.national_rows`); units ``without`` a cell: blank rows, 0 in the sums.
    """
    table = zones.table()
    n = zones.n
    codes = list(zones.finest.codes) + ["__outside__"]
    counted = ~np.isin(codes, list(without))  # a unit without a cell: 0 in the sums
    comparison, attribution = [], []
    baseline_population = population_rows
    rows = list(zip(table["zone_code"], table["zone_name"], table["level"], strict=True))
    given = nation_unit(table["zone_code"], table["level"], country)
    for future in futures:
        combo = combos[future.id]
        factor = growth_vector(future.growth, codes, zones) if future.growth is not None else None
        future_population = combo.get("population")
        if factor is not None:
            future_population = zones.aggregate(factor * population_rows[-(n + 1) :])
        figures = [
            (hazard, tab, figure)
            for hazard, tab in zip(hazards, baseline_tabs, strict=True)
            for figure in _figures(tab)
        ]
        for hazard, tab, figure in figures:
            variants = [""] + [s for s in ("_low", "_high") if figure + s in tab.zones.columns]
            by_variant = {}
            for suffix in variants:
                finest = _combinations(tab, combo, hazard.id, factor, n, figure + suffix)
                finest = {name: np.where(counted, v, 0.0) for name, v in finest.items()}
                by_variant[suffix] = (
                    {name: zones.aggregate(v) for name, v in finest.items()},
                    {name: float(v.sum()) for name, v in finest.items()},
                )
            row_args = (by_variant, baseline_population, future_population, n)
            grid_row = _row_figures(*row_args, None)
            unit = None if given is None else _row_figures(*row_args, given)
            write, grid_level = whole_grid_row(_flat(unit), _flat(grid_row))
            national = [(None, country, "National total", grid_level)] if write else []
            for k, code, name, level in [*((k, *row) for k, row in enumerate(rows)), *national]:
                pick, pop0, pop1 = grid_row if k is None else _row_figures(*row_args, k)
                base, fut = pick[""]["h00"], pick[""]["h11"]
                record = {
                    "future_id": future.id,
                    "future_label": future.label,
                    "hazard_id": hazard.id,
                    "figure": figure,
                    "zone_code": code,
                    "zone_name": name,
                    "level": level,
                    "population_baseline": pop0,
                    "population_future": pop1,
                    "baseline": base,
                    "future": fut,
                    "change": fut - base,
                    "change_pct": (fut - base) / base * 100 if base else np.nan,
                }
                for suffix in ("_low", "_high"):
                    if suffix in pick:
                        record[f"baseline{suffix}"] = pick[suffix]["h00"]
                        record[f"future{suffix}"] = pick[suffix]["h11"]
                comparison.append(record)
                climate, people = pick[""]["h10"] - base, pick[""]["h01"] - base
                attribution.append(
                    {
                        "future_id": future.id,
                        "hazard_id": hazard.id,
                        "figure": figure,
                        "zone_code": code,
                        "level": level,
                        "change_total": fut - base,
                        "climate_only": climate,
                        "population_only": people,
                        "interaction": fut - base - climate - people,
                    }
                )
    comparison = tables.not_known(pd.DataFrame(comparison), without)
    attribution = tables.not_known(pd.DataFrame(attribution), without)
    for frame in (comparison, attribution):
        if len(frame):
            frame["level"] = frame["level"].astype("Int64")
    return comparison, attribution


def future_tables(
    config,
    futures,
    future_sets,
    hazards,
    baseline_tabs,
    protection_of,
    result,
    zones,
    grid,
    population_rows,
    threads,
    block_shape,
    overlay=engine.overlay,
    exposure=None,
):
    """Every (hazard, population) combination the futures need, then their tables.

    ``overlay`` runs the engine's passes (``mecc.engine.overlay`` or a Dask backend;
    ``mecc.run`` binds seasonal presence to it: ``partial(present_overlay, overlay,
    exposure)``). ``exposure`` is the baseline's (``mecc.mobility.prepare_exposure``):
    a future population grid's pass gets the baseline's sites and ``scale_to``
    (``mecc.future_inputs.future_exposure``); None for a run without those.
    """
    from mecc.run_checks import future_no_data_warnings

    combos = {f.id: {"h1p0": {}} for f in futures}
    people = float(result.population.sum())
    for future, hazard_id, h1 in future_sets:
        tab = tables.hazard_tables(
            h1,
            result.hazards[h1.id],
            zones,
            result.population,
            protection_of[hazard_id],
            config.country,
        )
        combos[future.id]["h1p0"][hazard_id] = tab
        for message in future_no_data_warnings(h1, tab, people):  # as the baseline's sets
            warnings.warn(message, MeccWarning, stacklevel=2)
    for future in futures:
        if future.population is None:
            continue
        # the future population needs its own pass: baseline hazards and this future's
        future.population.prepare(grid, scan=False)
        keywords, future.kept = future_exposure(
            config, exposure, future.population, zones, grid, block_shape, threads
        )
        sets = [(h.id, h) for h in hazards] + [
            (hid, h1) for f, hid, h1 in future_sets if f is future
        ]
        passed = overlay(
            grid,
            future.population,
            zones,
            [
                overlay_input(h, grid, tables.band_weights(h, protection_of[hid]), cells=False)
                for hid, h in sets
            ],
            block_shape=block_shape,
            threads=threads,
            **keywords,
        )
        future.population.confirm(float(passed.population.sum()))
        emptied = emptied_units_warning(future, zones, result.population, passed.population)
        if emptied:
            warnings.warn(emptied, MeccWarning, stacklevel=2)
        combo = combos[future.id]
        combo["population"] = zones.aggregate(passed.population)
        combo["h0p1"], combo["h1p1"] = {}, {}
        for hid, h in sets:
            key = "h0p1" if h.id == hid else "h1p1"
            combo[key][hid] = tables.hazard_tables(
                h,
                passed.hazards[h.id],
                zones,
                passed.population,
                protection_of[hid],
                config.country,
            )
    baseline_year = (config.data.get("population") or {}).get("year")
    for message in period_warnings(futures, baseline_year):
        warnings.warn(message, MeccWarning, stacklevel=2)
    codes = zones.table()["zone_code"]  # units without a cell: not known, not 0
    without = codes[tables.units_without_cells(codes, zones.aggregate(result.cells))]
    return attribution_tables(
        zones, futures, baseline_tabs, hazards, combos, population_rows, config.country, without
    )


def period_warnings(futures, baseline_year) -> list[str]:
    """Per future, its hazards' periods far from its population year
    (:func:`mecc.inputs.period_check`): the future's own year, or the baseline
    population's (``baseline_year``) when the future gives no population of its own.
    Said by a run and by ``mecc validate`` alike."""
    messages = []
    for future in futures:
        earlier = _before_baseline(future, baseline_year)
        if earlier:
            messages.append(earlier)
        year, whose = future.year, ""
        if year is None and future.population is None and future.growth is None:
            year, whose = baseline_year, " (the baseline population's: the future gives none)"
        for h1 in future.hazards.values():
            message = period_check(h1, year)
            if message:
                messages.append(f"futures.{future.id}: {message}{whose}")
    return messages


def _before_baseline(future, baseline_year) -> str | None:
    """A future whose every stated year (its ``period``, its population's ``year``, its
    hazards' periods) is before the baseline population's year: futures.csv would
    present the past as a change to come."""
    import re

    stated = [future.period, future.year, *(h.period for h in future.hazards.values())]
    years = [
        int(y) for value in stated if value is not None for y in re.findall(r"\d{4}", str(value))
    ]
    if baseline_year is None or not years or max(years) >= int(baseline_year):
        return None
    return (
        f"futures.{future.id}: every year it states ({', '.join(map(str, sorted(set(years))))}) "
        f"is before the baseline population's year {baseline_year}: a future is meant to be "
        "later (check its period and years); futures.csv and "
        "attribution.csv give its figures as changes from the baseline all the same"
    )


def futures_summary(futures, frames, country) -> dict:
    """National baseline, future, change and its attribution per future and hazard.

    A drought hazard has a figure per severity class: its entry is ``{"figure":
    "drought_classes", "classes": {class: {...}}}``. A hazard the future changes has
    ``parameters``: what the future gives beside the baseline's values
    (:func:`mecc.future_inputs.changed_parameters`; a sea-level rise's rise in metres and
    its water level at high tide). The figures are the whole grid's:
    its row with the country's code and a blank level beside a level-0 unit of that code
    whose figures differ, else the row with level 0 (:mod:`mecc.national_rows`).
    """
    comparison, attribution = frames
    keys = ["hazard_id", "figure"]
    out = {}
    for future in futures:
        rows = whole_grid_rows(comparison[comparison["future_id"] == future.id], country, keys)
        parts = whole_grid_rows(attribution[attribution["future_id"] == future.id], country, keys)
        parts = parts.set_index(keys)
        hazards = {}
        for row in rows.itertuples(index=False):
            part = parts.loc[(row.hazard_id, row.figure)]
            entry = {
                "figure": row.figure,
                "baseline": row.baseline,
                "future": row.future,
                "change": row.change,
                **{
                    key: float(part[key])
                    for key in ("climate_only", "population_only", "interaction")
                },
            }
            if row.figure.startswith("drought_"):  # one figure per severity class
                classes = hazards.setdefault(
                    row.hazard_id, {"figure": "drought_classes", "classes": {}}
                )["classes"]
                classes[row.figure.removeprefix("drought_")] = entry
            else:
                hazards[row.hazard_id] = entry
        for hazard_id, changes in future.changes.items():  # what the future's hazard is
            if hazard_id in hazards:
                hazards[hazard_id]["parameters"] = changes
        out[future.id] = {"label": future.label, "hazards": hazards}
    return out


def futures_parameters(futures) -> dict:
    """Per future its label, period, population and, per hazard it changes, the
    parameters it gives beside the baseline's (:func:`mecc.future_inputs.changed_parameters`:
    a sea-level rise's rise and water level), for manifest.json."""
    out = {}
    for future in futures:
        if future.population is not None:
            population = {"grid": future.grid_label or future.population.label}
        elif future.growth is not None:  # the factors themselves: in the run file
            population = {
                "growth_national": future.growth.get(None),
                "growth_units": len(future.growth) - (None in future.growth),
            }
        else:
            population = "baseline"
        out[future.id] = {
            "label": future.label,
            "period": future.period,
            "population": population,
            "population_year": future.year,
            "hazards": future.changes,
        }
    return out
