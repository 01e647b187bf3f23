"""A future's inputs: checks against the baseline's, and a future grid's exposure.

- A ``futures:`` entry is checked with the run file (:func:`check_future_entries`): an
  ``id`` written as a hazard's and unique, a ``label`` in text, mappings where mappings go.
- A future hazard set must be of the same kind as its baseline (event set, return-period
  set or scenario) and a return-period set must give the same return periods: the AAD
  integrates over the maps given, so other periods (or another kind of set) would mix a
  change of method into the climate change. An event set may have other events (another
  number of them): its AAD is the sum of each event's frequency x its displacement,
  whatever the number of events that sample the hazard.
- A future that gives only a new ``intensity`` keeps its baseline's kind key
  (:func:`inherited_keys`): a scenario's name, an event set's events table (and its
  ``member_pattern``), as the other keys of the baseline; a return-period set or a
  CLIMADA event file, whose files are the hazard itself, must be given again.
- What a future changes of a hazard is recorded beside the baseline's values
  (:func:`changed_parameters`: summary.json's futures, futures.xlsx's About sheet): a
  sea-level rise's rise and its water level at high tide in the DEM's datum.
- Growth factors (``futures[].population.growth``) are a number (the nation), a
  ``{zone_code: factor}`` mapping or a CSV ``zone_code,growth`` read like every other
  per-zone table (:func:`exposure.cohorts.read_zone_table`); their codes are those of the
  finest zone level.
- A future population grid (``futures[].population.path``) replaces the baseline's grid
  (``population.path``) and keeps everything the baseline puts on that grid
  (:func:`future_exposure`): people in displacement sites added or moved from their zones
  of origin, the ``population.scale_to`` calibration; seasonal presence is applied to
  both passes alike (``mecc.presence``). Baseline and future then differ only by the grid.
"""

from __future__ import annotations

import math
import os

import numpy as np

from mecc.errors import ConfigError, DataError, InputFileError

__all__ = [
    "GrowthFactors",
    "check_future_entries",
    "check_growth_codes",
    "changed_parameters",
    "check_like_baseline",
    "future_exposure",
    "future_population_grid",
    "growth_vector",
    "inherited_keys",
    "read_growth",
]

_KINDS = {
    "events": "an event set (events)",
    "return_periods": "a return-period set (return_periods)",
    "scenario": "a scenario (scenario)",
}
_METHOD = "a change would mix a change of method with climate change"
KIND_KEYS = ("events", "return_periods", "scenario")
"""The keys that make a hazard set's kind: a future gives one of them or inherits it."""


def inherited_keys(baseline: dict, override: dict, where: str) -> dict:
    """The kind key a future hazard takes from its baseline's run-file entry.

    A future that gives an ``intensity`` and none of ``events``, ``return_periods`` or
    ``scenario`` keeps the baseline's: a scenario its ``scenario`` (the name), an event
    set its ``events`` table (the same events, frequencies and bands, read against the
    new grid) and ``member_pattern`` unless the future gives its own. A future that gives
    a kind key keeps its own (a kind other than the baseline's is refused later,
    :func:`check_like_baseline`); one that gives no intensity inherits nothing.

    Parameters
    ----------
    baseline : dict
        The baseline hazard's entry of the run file.
    override : dict
        The future's entry for it (``futures[].hazards.<id>``).
    where : str
        The run-file key of the future's hazard, for messages.

    Returns
    -------
    dict
        The keys to add to the future's entry ({} when none).

    Raises
    ------
    ConfigError
        An intensity alone where the baseline is a return-period set (its maps are the
        hazard: give ``return_periods``) or a CLIMADA event file (its events hold the
        intensities: give ``events``).
    """
    if "intensity" not in override or any(key in override for key in KIND_KEYS):
        return {}
    if "return_periods" in baseline:
        raise ConfigError(
            f"{where}.intensity: the baseline is {_KINDS['return_periods']}, one map per "
            "return period; give the future's maps as return_periods, not an intensity"
        )
    if "scenario" in baseline:
        return {"scenario": baseline["scenario"]}
    if "events" in baseline:
        from hazards.climada import is_climada_file

        if is_climada_file(str(baseline["events"])):
            raise ConfigError(
                f"{where}.intensity: the baseline's events are a CLIMADA hazard file, which "
                "holds the intensities; give the future's own file as events, not an intensity"
            )
        keys = {"events": baseline["events"]}
        if "member_pattern" in baseline and "member_pattern" not in override:
            keys["member_pattern"] = baseline["member_pattern"]
        return keys
    return {}


def check_future_entries(futures: list, label: str) -> None:
    """Keys and types of each ``futures:`` entry of a run file (``label``), when it is read.

    ``id`` is text of letters, digits, ``_ - .``, used once (as a hazard's id: it names
    the future in futures.csv); ``label`` is text; ``hazards`` maps baseline hazard ids to
    mappings whose values have the types of the hazard's keys (``fraction`` may be null;
    :func:`mecc.futures.read_futures` says which keys a future may give); ``population``
    gives ``path`` (a grid) or ``growth``, not both.

    Raises
    ------
    ConfigError
        Naming the run file and the key, e.g. ``run.yaml.futures[0].hazards: expected a
        mapping, got 5``.
    """
    from mecc import config
    from mecc.run_yaml import shown

    grids = {key: (types, False) for key, (types, _) in config.HAZARD_KEYS.items()}
    grids["fraction"] = ((str, type(None)), False)  # null: whole cells
    ids = set()
    for k, future in enumerate(futures):
        where = f"{label}.futures[{k}]"
        if not isinstance(future, dict):
            raise ConfigError(f"{where}: expected a mapping with id, label, hazards, population")
        config._check_keys(future, config.FUTURE_KEYS, where)
        config.check_id(future["id"], f"{where}.id", ids)
        for hazard_id, spec in future.get("hazards", {}).items():
            if not isinstance(spec, dict):
                raise ConfigError(
                    f"{where}.hazards.{hazard_id}: expected a mapping of the future's grids "
                    f"(e.g. intensity, return_periods), got {shown(spec)}"
                )
            config._check_types(spec, grids, f"{where}.hazards.{hazard_id}")
        population = future.get("population")
        if population is None:
            continue
        config._check_keys(population, config.FUTURE_POPULATION_KEYS, f"{where}.population")
        if "path" in population and "growth" in population:
            raise ConfigError(
                f"{where}.population: give either path (a population grid) or growth "
                "(factors), not both"
            )
        if "path" not in population and "growth" not in population:
            raise ConfigError(
                f"{where}.population: give path (a population grid) or growth (a factor, per "
                "zone or national)"
            )
        if "kind" in population and "path" not in population:
            raise ConfigError(f"{where}.population.kind: applies to a population grid (path)")


def _years(values) -> str:
    return ", ".join(f"{value:g}" for value in sorted(values))


def check_like_baseline(future, baseline, where: str) -> None:
    """Refuse a future hazard set whose figure would not be comparable with the baseline's.

    Parameters
    ----------
    future, baseline : HazardSet
    where : str
        The run-file key of the future's hazard (``run.yaml.futures[0].hazards.flood``).

    Raises
    ------
    ConfigError
        Another kind of set; a return-period set with other return periods.
    """
    if future.kind != baseline.kind:
        raise ConfigError(
            f"{where}: the baseline is {_KINDS.get(baseline.kind, baseline.kind)} but the future "
            f"is {_KINDS.get(future.kind, future.kind)}; give the future the same kind of set "
            f"as the baseline ({_METHOD})"
        )
    if baseline.kind != "return_periods":
        return
    now = {float(rp) for rp in baseline.bands["return_period"]}
    then = {float(rp) for rp in future.bands["return_period"]}
    if now != then:
        raise ConfigError(
            f"{where}.return_periods: the future must give the same return periods as the "
            f"baseline (baseline: {_years(now)} years; future: {_years(then)} years): the AAD "
            f"integrates over the maps given, so {_METHOD}"
        )


SEA_LEVEL_FIELDS = ("dem", "period")
"""Run-file keys of a sea-level rise recorded as given, beside its rise and water level."""


def _sea_level(spec: dict, where: str) -> dict:
    """A sea-level rise entry's rise, high tide, water level (metres in the DEM's datum:
    high tide moved to that datum + rise, :func:`hazards.slow_onset.water_level`), datum,
    DEM and period. The entry was read already: its warnings are not given again."""
    import warnings

    from hazards.slow_onset import water_level

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        level, sentence = water_level(spec, where)
    return {
        "slr_m": float(spec["slr"]),
        "slr_baseline": spec.get("slr_baseline"),
        "high_tide_m": float(spec["high_tide"]),
        "tide_datum": spec.get("tide_datum"),
        "water_level_m": round(float(level), 6),
        "datum": spec.get("dem_datum"),
        **{key: spec.get(key) for key in SEA_LEVEL_FIELDS},
        "water_level": sentence,
    }


def changed_parameters(baseline: dict, override: dict, merged: dict, where: str) -> dict:
    """What a future changes of a baseline hazard, beside the baseline's values.

    Parameters
    ----------
    baseline : dict
        The baseline hazard's run-file entry.
    override : dict
        The future's entry for it (``futures[].hazards.<id>``).
    merged : dict
        The future hazard's entry as read (the baseline's other keys, inherited ones).
    where : str
        The run-file key of the future's hazard.

    Returns
    -------
    dict
        ``given`` (the keys the future gives), ``baseline`` and ``future``: for a
        sea-level rise the rise (``slr_m``, since ``slr_baseline``), ``high_tide_m``,
        ``water_level_m`` (high tide + rise, in the DEM's ``datum``), ``dem``,
        ``period`` and the ``water_level`` sentence; for another hazard each key the
        future gives or inherits (``intensity``, ``scenario``, ``events``,
        ``return_periods``, ``period`` ...) with its value, files as the run file
        names them.
    """
    given = sorted(override)
    if baseline.get("type") == "sea_level_rise":
        return {
            "given": given,
            "baseline": _sea_level(baseline, where),
            "future": _sea_level(merged, where),
        }
    keys = [*override, *(k for k in KIND_KEYS if k in merged and k not in override)]
    keys += ["period"] * ("period" not in keys and ("period" in merged or "period" in baseline))
    return {
        "given": given,
        "baseline": {key: baseline.get(key) for key in keys},
        "future": {key: merged.get(key) for key in keys},
    }


class GrowthFactors(dict):
    """Growth factor per zone code (key ``None``: the nation's), and ``where``: the run-file
    key that gives them, to name in messages."""

    where = "futures population growth"


def _factor(value, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise DataError(f"{where}: the growth factor must be a number >= 0, not {value!r}")
    return float(value)


def read_growth(value, base_dir, where: str) -> GrowthFactors:
    """``futures[].population.growth``: a national factor, a mapping or a CSV file.

    Raises
    ------
    ConfigError
        Another kind of value.
    InputFileError, DataError
        A factor that is not a number >= 0; a CSV without its columns, with a row without a
        zone code or a code given twice (named by row, zone and column).
    """
    from exposure.cohorts import read_zone_table

    growth = GrowthFactors()
    growth.where = where
    if isinstance(value, int | float) and not isinstance(value, bool):
        growth[None] = _factor(value, where)
    elif isinstance(value, dict) and value:
        for code, factor in value.items():
            growth[str(code)] = _factor(factor, f"{where}.{code}")
    elif isinstance(value, str):
        growth.where = f"{where} ({value})"
        table = read_zone_table(
            os.path.join(base_dir, value), "zone_code", ["growth"], growth.where, "growth table"
        )
        growth.update(table["growth"].to_dict())
    else:
        raise ConfigError(
            f"{where}: give a number (the nation), a zone_code: factor mapping or a CSV file "
            "(zone_code,growth)"
        )
    return growth


def future_population_grid(config, spec: dict, where: str, baseline):
    """A future's population grid (``futures[].population.path``), read as the baseline's.

    The baseline's ``kind`` and its missing-value marker (``population.nodata``, else its
    ``source``'s convention) apply unless the future gives its own (``kind``, ``nodata``;
    ``band`` 1 by default). ``where`` is the run-file key of the future's population
    (``run.yaml.futures[0].population``): the grid's messages name it, as the baseline's
    name ``run.yaml.population.path``.

    Raises
    ------
    InputFileError
        The file does not exist.
    DataError
        The grid does not cover the baseline grid's area: the people outside it would
        count as none in this future, a loss booked as "population alone".
    """
    from rasterio.warp import transform_bounds

    from exposure.population import PopulationGrid

    path = os.path.join(config.base_dir, spec["path"])
    if not os.path.exists(path):
        raise InputFileError(f"{where}.path: file not found ({path})")
    nodata = baseline.file.extra_nodata  # population.nodata, else its source's convention
    grid = PopulationGrid(
        path,
        kind=spec.get("kind"),
        default_kind=baseline.kind,
        label=f"{where}.path ({spec['path']})",  # as the baseline's: with the run file
        band=spec.get("band", 1),
        nodata=spec.get("nodata", nodata),
        year=spec.get("year"),
    )
    now, then = baseline.native_grid, grid.native_grid
    left, bottom, right, top = transform_bounds(then.crs, now.crs, *then.bounds)
    need = now.bounds
    slack_x, slack_y = abs(now.transform.a) / 2, abs(now.transform.e) / 2
    if (
        left > need[0] + slack_x
        or bottom > need[1] + slack_y
        or right < need[2] - slack_x
        or top < need[3] - slack_y
    ):
        shown = ", ".join(f"{v:.6g}" for v in (left, bottom, right, top))
        wanted = ", ".join(f"{v:.6g}" for v in need)
        raise DataError(
            f"{grid.label}: covers ({shown}), not all of the baseline population grid "
            f"({wanted}); its people outside it would count as none in this future (a loss "
            "shown as 'population alone'): give a future grid of the baseline's area"
        )
    return grid


def check_growth_codes(growth, codes, zones=None) -> None:
    """Refuse growth factors for codes that are not finest-level units.

    Parameters
    ----------
    growth : GrowthFactors or dict
    codes : list of str
        The finest units' codes (and ``__outside__`` where the caller accepts it).
    zones : exposure.zones.Zones, optional
        To say what a coarser unit's code is and which finest units it holds.

    Raises
    ------
    DataError
        Naming the run-file key (and file) of the factors.
    """
    known = set(codes)
    wrong = [code for code in growth if code is not None and code not in known]
    if not wrong:
        _check_every_unit(growth, codes)
        return
    where = getattr(growth, "where", GrowthFactors.where)
    if zones is not None and zones.whole_grid:
        raise DataError(
            f"{where}: the run has no zones (zones:), so {', '.join(wrong[:5])} names no unit; "
            "give growth as one national factor (a number)"
        )
    if zones is None:
        example = ", ".join(c for c in list(codes)[:2] if c != "__outside__")
        said = ", ".join(wrong[:5]) + ("…" if len(wrong) > 5 else "")
        raise DataError(
            f"{where}: {said} {'is not a code' if len(wrong) == 1 else 'are not codes'} of the "
            f"finest zone level; growth factors are given per finest-level unit (e.g. {example})"
        )
    finest = zones.finest
    parts = []
    for code in wrong[:3]:
        found = zones.locate(code)
        if found is None:
            parts.append(f"no zone has the code {code!r}")
            continue
        k, i = found
        members = [finest.codes[j] for j in zones.finest_members(k, i)]
        more = "…" if len(members) > 3 else ""
        parts.append(
            f"{code} is a level-{zones.levels[k].level} unit (its level-{finest.level} units: "
            f"{', '.join(members[:3])}{more})"
        )
    if len(wrong) > 3:
        parts.append(f"and {len(wrong) - 3} more")
    raise DataError(
        f"{where}: growth factors are given per unit of the finest zone level (level "
        f"{finest.level}); " + "; ".join(parts)
    )


def _check_every_unit(growth, codes) -> None:
    """Per-zone factors (no national one) must give every finest unit its factor: a unit
    left out would keep its people unchanged without a word."""
    if None in growth or not growth:
        return
    lacking = [code for code in codes if code != "__outside__" and code not in growth]
    if lacking:
        where = getattr(growth, "where", GrowthFactors.where)
        more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
        raise DataError(
            f"{where}: no growth factor for zone {', '.join(map(str, lacking[:3]))}{more}; "
            "give every finest unit its factor (1 for no change)"
        )


def growth_vector(growth: dict, codes: list, zones=None) -> np.ndarray:
    """Factor of each finest unit (+ outside): a zone's own, else the national one, else 1
    (the people outside every unit, with per-zone factors).

    Raises
    ------
    DataError
        A code that is no finest unit's (naming the run-file key and file of the factors).
    """
    check_growth_codes(growth, codes, zones)
    national = growth.get(None, 1.0)
    return np.array([float(growth.get(code, national)) for code in codes])


def future_exposure(config, exposure, population, zones, grid, block_shape, threads) -> tuple:
    """The baseline's exposure on a future population grid: the engine's keywords and
    what was kept, in words.

    The future grid takes the baseline grid's place (``population.path``): the people in
    displacement sites are added at their sites (the same people, as of the site list's
    date), those moved are taken out of their zones of origin in the future grid, and
    ``population.scale_to``'s factors (target / the baseline grid's people, per unit)
    scale it as they scale the baseline grid, so a future grid equal to the baseline's
    changes nothing. Seasonal presence is applied to the pass's sums by the caller.

    Parameters
    ----------
    config : mecc.config.RunConfig
    exposure : mecc.mobility.Exposure or None
        The baseline's (``prepare_exposure``); None: nothing to keep.
    population : exposure.population.PopulationGrid
        The future grid, prepared on ``grid``.
    zones, grid, block_shape, threads
        As for the run's pass.

    Returns
    -------
    (dict, list of str)
        ``zone_scale`` and ``additions`` for ``overlay``; what was kept.

    Raises
    ------
    DataError
        Sites move more people out of a zone than the future grid holds there (naming the
        future grid and the site list).
    """
    from mecc import engine
    from mecc.mobility import origin_factors

    if exposure is None:
        return {}, []
    keywords, kept = {}, []
    sites = exposure.sites
    scaled = "scale_to" in config.data["population"]
    moving = sites is not None and not sites.moved.empty
    if exposure.zone_scale is not None:
        scale = exposure.scale_to_factors if scaled else np.ones(zones.n + 1)
        if moving:
            by_zone = engine.population_by_zone(grid, population, zones, block_shape, threads)
            try:
                label = os.path.basename(config.path)
                scale = scale * origin_factors(sites.moved, zones, by_zone * scale, label)
            except DataError as error:
                where = population.label  # the run file's future grid, then the sites
                raise DataError(f"{where}: {error} (this future grid)") from None
        keywords["zone_scale"] = scale
    if scaled:
        kept.append("the population.scale_to factors of the baseline grid")
    if exposure.additions is not None:
        keywords["additions"] = exposure.additions
        moved = float(sites.moved["individuals"].sum()) if moving else 0.0
        added = sites.added_total - moved
        if added > 0:
            kept.append(f"{added:,.0f} people in displacement sites added at their sites")
        if moved > 0:
            kept.append(f"{moved:,.0f} people in sites moved from their zones of origin")
    if exposure.presence:
        kept.append("seasonal presence")
    return keywords, kept
