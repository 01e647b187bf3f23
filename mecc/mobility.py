"""Exposure and mobility of a run: from the run file's keys to the engine and back.

Everything here is optional: a run file without these keys gives exactly the numbers it
gave before (no factor, no layer, no extra pass). What each key does (DESIGN.md, data
model and Mobility layers; README, "Who is exposed, and where"):

- ``population.scale_to``: the grid scaled to a national total, or to per-zone totals
  (any admin level; a unit takes its nearest ancestor's factor) for a target year;
- ``population.official``: official population per zone (census, OCHA COD-PS), kept as
  the denominator of per-100,000 figures;
- ``population.cohorts``: sex × age cohorts, as per-zone shares or as grids;
- ``population.attributes``: per-zone shares of people with a disability, in poverty, ...
- ``population.household_size``: national or per zone, turning people into households;
- in per-zone tables (shares, cohorts, household size) a row with the country code is
  every unit's default and the value of the people outside every unit;
- ``population.livelihoods``: per-zone share of people whose livelihood a hazard would
  disrupt (farming, fishing, ...): Sendai B-5 from the people exposed;
- ``mobility.early_warning``: per-zone share of people covered by early warning: the
  displaced who could leave pre-emptively;
- ``mobility.seasonal`` with a hazard's ``season``: presence when events happen;
- ``mobility.day_night`` with a hazard's ``impact_time: day``: people exposed by day;
- ``mobility.sites``: people in displacement sites, added, moved from their zone of origin
  or labelled in place, site by site (``exposure.sites.site_modes``), reported as at
  risk of secondary displacement;
- ``mobility.allocation``: where the displaced may go (``mecc.allocation``).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from exposure.zones import report_unknown_codes
from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.group_tables import unit_shares
from mecc.official_population import read_official
from mecc.sendai_store import household_sizes

__all__ = ["Exposure", "PopulationLayers", "origin_factors", "prepare_exposure"]


@dataclass
class Exposure:
    """What the run file says about who is where, ready for the engine and the tables."""

    zone_scale: np.ndarray | None = None
    scale_to_factors: np.ndarray | None = None  # population.scale_to's alone (futures)
    additions: object = None
    layers: object = None
    layer_kinds: list = field(default_factory=list)
    cohort_shares: tuple | None = None  # (names, per finest unit + outside: (n + 1, C))
    attributes: tuple | None = None  # (names, per finest unit + outside: (n + 1, A))
    household_size: np.ndarray | None = None  # per finest unit + outside
    livelihoods: tuple | None = None  # (name, share per finest unit + outside (NaN: none))
    early_warning: tuple | None = None  # (name, share per finest unit + outside (NaN: none))
    official: dict | None = None  # zone code -> people
    presence: dict = field(default_factory=dict)  # hazard id -> factor per finest + outside
    daytime: np.ndarray | None = None  # people present by day per finest unit + outside
    sites: object = None
    sites_mode: str | None = None
    od: object = None  # the origin-destination table (exposure.mobility.read_day_night)
    report: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.report)


class PopulationLayers:
    """Sub-populations the engine keeps apart.

    Dense layers (cohort grids) come as whole blocks from :meth:`read`; sparse layers
    (the people in sites, a few cells) as points from :meth:`points`, so the engine
    overlays only the cells that hold them.
    """

    def __init__(self, cohorts=None, sites=None):
        self._cohorts = cohorts
        self._sites = sites
        self.n_dense = len(cohorts.names) if cohorts else 0
        self.names = (list(cohorts.names) if cohorts else []) + (["in_sites"] if sites else [])

    def read(self, window, people: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The dense layers of a block, ``(n_dense, h, w)``, each a part of ``people``."""
        if self._cohorts is not None:
            self._cohorts.read(window, people, out)
        return out

    def points(self, window, people: np.ndarray) -> list:
        """The sparse layers of a block: ``(rows, cols, people)`` each."""
        return [self._sites.layer_points(window, people)] if self._sites is not None else []


def _path(config, relative: str) -> str:
    return os.path.join(config.base_dir, relative)


def _finest(zones, values: dict, label: str, what: str, fill=np.nan, table=None) -> np.ndarray:
    """Per finest unit + outside, from codes at any level (nearest ancestor wins);
    ``table``: see :func:`exposure.zones.report_unknown_codes`."""
    per_unit, unknown = zones.finest_values(values, label)
    report_unknown_codes(unknown, len(values), zones, label, table)
    outside = np.full((1, *per_unit.shape[1:]), fill)
    return np.concatenate([per_unit, outside])


def _scale_factors(spec, config, zones, by_zone: np.ndarray, label: str) -> tuple:
    """Per finest unit + outside factors that scale the grid to the given totals."""
    from exposure.cohorts import read_zone_table

    inside = by_zone[: zones.n]
    factors = np.ones(zones.n + 1)
    if "total" in spec:
        if {"path", "code_column", "value_column"} & set(spec):
            raise ConfigError(f"{label}: give either total or path with code and value columns")
        if not spec["total"] > 0:
            raise ConfigError(f"{label}.total: must be > 0, not {spec['total']!r}")
        if not inside.sum() > 0:
            raise DataError(f"{label}: the zones hold no people to scale")
        factors[: zones.n] = spec["total"] / inside.sum()
        return factors, {"to": "national total", "total": float(spec["total"])}
    missing = [k for k in ("path", "code_column", "value_column") if k not in spec]
    if missing:
        raise ConfigError(f"{label}: missing {missing[0]} (or give total)")
    where = f"{label} ({spec['path']})"
    table = read_zone_table(
        _path(config, spec["path"]), spec["code_column"], [spec["value_column"]], where
    )[spec["value_column"]]
    matched = _check_zone_codes(table, zones, (), f"{where}.{spec['code_column']}")
    unscaled = []
    for k, level in enumerate(zones.levels):
        grid_sums = zones.aggregate(by_zone)[zones.level_rows(k)]
        for i, code in enumerate(level.codes):
            if code not in table:
                continue
            members = zones.finest_members(k, i)
            if grid_sums[i] > 0:
                factors[members] = table[code] / grid_sums[i]
            elif table[code] > 0:
                unscaled.append(code)
    if unscaled:
        warnings.warn(
            f"{label}: {len(unscaled)} unit(s) have a target total but no people on the grid "
            f"to scale (e.g. {', '.join(unscaled[:3])})",
            MeccWarning,
            stacklevel=3,
        )
    return factors, {"to": "per-zone totals", "file": spec["path"], "zones": matched}


def _check_zone_codes(table, zones, also=(), where: str = "") -> int:
    """:func:`exposure.zones.report_unknown_codes` for a table indexed by zone code (``also``: codes
    accepted besides the zones', e.g. the country's); the number of codes matched."""
    known = {code for level in zones.levels for code in level.codes} | set(also)
    unknown = [str(code) for code in table.index if code not in known]
    report_unknown_codes(unknown, len(table), zones, where)
    return len(table) - len(unknown)


def _cohorts(spec, config, zones, grid, label):
    """Per-zone cohort shares, or cohort grids as engine layers."""
    from exposure.cohorts import STANDARD_COHORTS, CohortGrids, cohort_shares, read_zone_table

    if "grids" in spec:
        from exposure.population import PopulationGrid

        if {"path", "code_column", "columns"} & set(spec):
            raise ConfigError(f"{label}: give either grids or a per-zone table, not both")
        if not spec["grids"]:
            raise ConfigError(f"{label}.grids: name at least two cohort grids")
        grids, totals = {}, {}
        for name, relative in spec["grids"].items():
            reader = PopulationGrid(
                _path(config, relative),
                kind=spec.get("kind", "count"),
                label=f"{label}.grids.{name} ({relative})",
            )
            report = reader.prepare(grid, scan=True)
            grids[str(name)], totals[str(name)] = reader, report["total_on_grid"]
        return CohortGrids(grids, totals), None
    if "path" not in spec or "code_column" not in spec:
        raise ConfigError(f"{label}: give grids, or path and code_column of a per-zone table")
    names = [str(c) for c in spec.get("columns", STANDARD_COHORTS)]
    table = read_zone_table(
        _path(config, spec["path"]), spec["code_column"], names, f"{label} ({spec['path']})"
    )
    where = f"{label} ({spec['path']})"
    shares = cohort_shares(table, where)
    values = dict(zip(shares.index, shares.to_numpy(), strict=True))
    # a row with the country code: every unit's default and the outside bucket's shares
    return None, (names, unit_shares(zones, values, config.country, where, "cohort shares"))


def prepare_exposure(config, population, zones, grid, block_shape, threads) -> Exposure:
    """Read the exposure and mobility keys of a run file into an :class:`Exposure`.

    Raises
    ------
    ConfigError, DataError, InputFileError
        Naming the run file's key and the file.
    """
    from mecc import engine

    label = os.path.basename(config.path)
    pop_spec = config.data["population"]
    mobility = config.data.get("mobility") or {}
    exposure = Exposure()
    sites_spec = mobility.get("sites")
    sites = None
    if sites_spec is not None:
        from exposure.dtm import read_dtm_sites
        from exposure.sites import SitePeople, site_modes

        where = f"{label}.mobility.sites ({sites_spec['path']})"
        source = _path(config, sites_spec["path"])  # (read again to name rows in messages)
        table = read_dtm_sites(source, as_of=sites_spec.get("as_of"), label=where)
        sites = SitePeople(table, grid, where, sites_spec["in_population_grid"], source)
        per_site = site_modes(table, sites_spec["in_population_grid"])  # the rule is per site
        modes = table.assign(mode=per_site)["mode"].value_counts().to_dict()
        mode = next(iter(modes)) if len(modes) == 1 else "per site"
        exposure.sites, exposure.sites_mode = sites, mode
        exposure.report["sites"] = {
            "file": sites_spec["path"],
            "sites": int(len(table)),
            "people": float(table["individuals"].sum()),
            "on_grid": sites.total,
            "mode": mode,
            "sites_per_mode": {key: int(n) for key, n in modes.items()},
            "as_of": sorted({str(d.date()) for d in table["as_of"].dropna()}),
        }
    moving = sites is not None and not sites.moved.empty
    needs_totals = "scale_to" in pop_spec or moving
    if needs_totals:
        by_zone = engine.population_by_zone(grid, population, zones, block_shape, threads)
        scale = np.ones(zones.n + 1)
        if "scale_to" in pop_spec:
            scale, report = _scale_factors(
                pop_spec["scale_to"], config, zones, by_zone, f"{label}.population.scale_to"
            )
            report["year"] = pop_spec["scale_to"].get("year")
            report["grid_total"] = float(by_zone[: zones.n].sum())
            exposure.report["scale_to"] = report
            exposure.scale_to_factors = scale  # before the sites' origin factors
        if moving:
            scale = scale * origin_factors(sites.moved, zones, by_zone * scale, label)
        exposure.zone_scale = scale
    if sites is not None and sites.added_total > 0:  # the sites added or moved
        exposure.additions = sites
    cohort_grids = None
    if "cohorts" in pop_spec:
        cohort_grids, exposure.cohort_shares = _cohorts(
            pop_spec["cohorts"], config, zones, grid, f"{label}.population.cohorts"
        )
        exposure.report["cohorts"] = {
            "from": "grids" if cohort_grids else "per-zone shares",
            "names": cohort_grids.names if cohort_grids else exposure.cohort_shares[0],
            "source": pop_spec["cohorts"].get("source"),
            "year": pop_spec["cohorts"].get("year"),
        }
    if cohort_grids is not None or sites is not None:
        exposure.layers = PopulationLayers(cohort_grids, sites)
        exposure.layer_kinds = ["sex_age"] * (len(cohort_grids.names) if cohort_grids else 0)
        exposure.layer_kinds += ["sites"] if sites is not None else []
    if "attributes" in pop_spec:
        exposure.attributes = _attributes(pop_spec["attributes"], config, zones, label)
        exposure.report["attributes"] = {"names": exposure.attributes[0]}
    if "household_size" in pop_spec:
        exposure.household_size = _household_size(pop_spec["household_size"], config, zones, label)
        exposure.report["household_size"] = pop_spec["household_size"]
    if "official" in pop_spec:  # (mecc.official_population: a 0 is kept, and warned of)

        def grid_people():  # as the run counts them (scaled, people moved out of sites' zones)
            people = (
                by_zone
                if needs_totals
                else engine.population_by_zone(grid, population, zones, block_shape, threads)
            )
            return people if exposure.zone_scale is None else people * exposure.zone_scale

        exposure.official, exposure.report["official"] = read_official(
            config, zones, label, grid_people
        )
    for section, key, spec in (
        ("population", "livelihoods", pop_spec.get("livelihoods")),
        ("mobility", "early_warning", mobility.get("early_warning")),
    ):
        if spec is not None:
            where = f"{label}.{section}.{key}"
            setattr(exposure, key, (key, _zone_shares(spec, config, zones, where)))
            exposure.report[key] = {
                "file": spec["path"],
                "year": spec.get("year"),
                "source": spec.get("source", spec["path"]),
            }
    _seasonal(config, mobility, zones, exposure, label)
    read_day_night(config, exposure, zones)
    return exposure


def _zone_shares(spec, config, zones, where: str) -> np.ndarray:
    """One share (0-1) per finest unit + outside from a per-zone table (NaN: not given)."""
    from exposure.cohorts import read_zone_table

    column = spec["value_column"]
    table = read_zone_table(
        _path(config, spec["path"]), spec["code_column"], [column], f"{where} ({spec['path']})"
    )[column]
    if (table > 1).any():
        raise DataError(
            f"{where} ({spec['path']}).{column}: shares must lie between 0 and 1 "
            f"(zone {table.index[int(np.argmax(table.to_numpy() > 1))]})"
        )
    return unit_shares(zones, table.to_dict(), config.country, f"{where} ({spec['path']})")


def origin_factors(sites, zones, by_zone: np.ndarray, label: str) -> np.ndarray:
    """Factors that take the people of ``sites`` (those moved) out of their zones of origin."""
    removal = np.zeros(zones.n + 1)
    origins = sites.groupby("origin_code")["individuals"].sum()
    for code, moved in origins.items():
        hit = zones.locate(code)
        if hit is None:
            raise DataError(f"{label}.mobility.sites: origin {code!r} is not a zone code")
        members = zones.finest_members(*hit)
        present = by_zone[members].sum()
        if moved > present * (1 + 1e-9):
            raise DataError(
                f"{label}.mobility.sites: {moved:,.0f} people come from {code}, which holds "
                f"{present:,.0f} on the grid"
            )
        removal[members] += moved * by_zone[members] / present
    with np.errstate(invalid="ignore", divide="ignore"):
        factors = np.where(by_zone > 0, 1.0 - removal / by_zone, 1.0)
    return np.clip(factors, 0.0, 1.0)


def _attributes(spec, config, zones, label):
    from exposure.cohorts import read_zone_table

    names = [str(k) for k in spec["columns"]]
    table = read_zone_table(
        _path(config, spec["path"]),
        spec["code_column"],
        [str(c) for c in spec["columns"].values()],
        f"{label}.population.attributes ({spec['path']})",
    )
    table.columns = names
    if (table > 1).any().any():
        name = table.columns[int(np.flatnonzero((table > 1).any().to_numpy())[0])]
        raise DataError(
            f"{label}.population.attributes ({spec['path']}).{spec['columns'][name]}: shares "
            "must lie between 0 and 1"
        )
    values = dict(zip(table.index, table.to_numpy(), strict=True))
    where = f"{label}.population.attributes ({spec['path']})"
    return names, unit_shares(zones, values, config.country, where)


def _household_size(spec, config, zones, label):
    """Size per finest unit + outside: a national number everyone's; a table's row with
    the country code (when no zone has that code) every unit's default and the outside
    bucket's size, as in share tables (``mecc.group_tables.unit_shares``); NaN: none
    (``mecc.sendai_store.household_sizes`` gives them the national mean)."""
    from exposure.cohorts import zone_values

    national, per_zone = zone_values(
        spec, config.base_dir, f"{label}.population.household_size", "household size"
    )
    if national is None and zones.locate(config.country) is None:
        national = per_zone.pop(config.country, None)
    if not per_zone:
        return np.full(zones.n + 1, national)
    where = _with_file(f"{label}.population.household_size", spec)
    sizes, unknown = zones.finest_values(per_zone, where)
    report_unknown_codes(unknown, len(per_zone) + (national is not None), zones, where)
    sizes = np.append(sizes, np.nan)  # the outside bucket
    return sizes if national is None else np.where(np.isnan(sizes), national, sizes)


def _with_file(where: str, spec) -> str:
    """``where`` with the table's file, when ``spec`` names one (for messages)."""
    return f"{where} ({spec['path']})" if isinstance(spec, dict) and "path" in spec else where


def _seasonal(config, mobility, zones, exposure, label) -> None:
    """Presence factors per hazard with a ``season`` (or warn when one side is missing)."""
    from exposure.mobility import read_seasonal, season_weights

    seasonal = mobility.get("seasonal")
    hazards = [h for h in config.data["hazards"] if h.get("season") is not None]
    if seasonal is None:
        if hazards:
            warnings.warn(
                f"{label}: hazard(s) {', '.join(h['id'] for h in hazards)} give a season but "
                "mobility.seasonal is not given; presence is taken as constant",
                MeccWarning,
                stacklevel=3,
            )
        return
    national, per_zone = read_seasonal(seasonal, config.base_dir, f"{label}.mobility.seasonal")
    months = np.tile(national if national is not None else np.ones(12), (zones.n + 1, 1))
    if per_zone:
        where = _with_file(f"{label}.mobility.seasonal", seasonal)
        column = seasonal["code_column"]  # a code of no unit at any level is refused
        table = (_path(config, seasonal["path"]), column, "seasonal table", {config.country})
        given = _finest(zones, per_zone, f"{where}.{column}", "multipliers", 1.0, table)
        months = np.where(np.isnan(given), 1.0, given)
    exposure.report["seasonal"] = {"hazards": {}}
    for spec in config.data["hazards"]:
        if spec["type"] in ("sea_level_rise", "drought"):
            continue  # slow onset: the residents, whatever the month
        weights = (
            season_weights(spec["season"], f"{label}.hazards.{spec['id']}.season")
            if spec.get("season") is not None
            else np.full(12, 1 / 12)
        )
        exposure.presence[spec["id"]] = months @ weights
        exposure.report["seasonal"]["hazards"][spec["id"]] = {
            "months_used": [m + 1 for m in np.flatnonzero(weights > 0)],
            "weights": {m + 1: round(float(w), 6) for m, w in enumerate(weights) if w > 0},
            "season_given": spec.get("season") is not None,
        }


def read_day_night(config, exposure: Exposure, zones=None) -> None:
    """Validate ``mobility.day_night`` early (before the engine's pass), its codes too."""
    from exposure.mobility import check_zone_codes
    from exposure.mobility import read_day_night as read_table

    spec = (config.data.get("mobility") or {}).get("day_night")
    if spec is None:
        return
    label = f"{os.path.basename(config.path)}.mobility.day_night"
    exposure.od = read_table(spec, config.base_dir, label)
    if zones is not None:  # as the run would refuse them after the engine's pass
        check_zone_codes(exposure.od, zones.finest.codes, label)
    exposure.report["day_night"] = {
        "file": spec["path"],
        "pairs": int(len(exposure.od)),
        "applies_to": "exposed people (evacuation-type figures) of hazards with impact_time: day",
    }


def decorate_tables(exposure: Exposure, config, hazard, tab, zones, population) -> None:
    """Add the exposure columns to one hazard's zone and band tables (in place: the
    tables were built for this run a moment ago).

    zones.csv: ``population_official`` (where the official table gives the unit),
    ``household_size`` and ``households``, ``presence_factor``; zones_bands.csv and
    bands.csv: ``exposed_at_impact`` for hazards striking by day.
    """
    frame = tab.zones
    rows_population = zones.aggregate(population)
    if exposure.official is not None:
        codes = frame["zone_code"].astype(str)
        frame["population_official"] = codes.map(exposure.official).astype(float)
    if exposure.household_size is not None:  # as Sendai's (sendai_store.household_sizes)
        size = household_sizes(exposure, population)[0]
        households = zones.aggregate(np.where(size > 0, population / size, 0.0))
        frame["households"] = households
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["household_size"] = np.where(households > 0, rows_population / households, np.nan)
    factor = exposure.presence.get(hazard.id)
    if factor is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = zones.aggregate(population * factor)
            frame["presence_factor"] = np.where(
                rows_population > 0, weighted / rows_population, np.nan
            )
    impact_day = next(
        (h.get("impact_time") == "day" for h in config.data["hazards"] if h["id"] == hazard.id),
        False,
    )
    if exposure.od is not None and impact_day:
        from exposure.mobility import daytime_population

        codes = list(zones.finest.codes)
        day = np.append(
            daytime_population(population[: zones.n], codes, exposure.od, "mobility.day_night"),
            population[zones.n],
        )
        tab.arrays["daytime"] = day  # evacuation-type Sendai figures use it (mecc.sendai_store)
        exposed = tab.arrays["fine_exposed"]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(population[:, None] > 0, exposed / population[:, None], 0.0)
        at_impact = rate * day[:, None]
        tab.zones_bands["exposed_at_impact"] = zones.aggregate(at_impact).ravel()
        tab.bands["exposed_at_impact"] = at_impact.sum(axis=0)
        tab.summary["impact_time"] = "day"


def exposure_summary(exposure: Exposure, group_sets, result, weights: dict) -> dict:
    """The summary.json part on exposure: what was applied, and national figures per group
    for the additive metrics (AAD, people displaced in a scenario); ``weights``: each
    hazard's AAD weights per zone and band (``tables.band_weights``: protection applied)."""
    from mecc import risk

    summary = {key: value for key, value in exposure.report.items() if key != "seasonal"}
    if exposure.sites is not None:
        labelled = float(result.layer_population[-1].sum())
        summary["sites"]["in_sites_on_grid"] = labelled
        missing = exposure.sites.total - labelled
        if missing > 1e-9 * max(exposure.sites.total, 1.0):
            warnings.warn(
                f"mobility.sites: the sites list {exposure.sites.total:,.0f} people but their "
                f"cells hold {labelled:,.0f}: {missing:,.0f} of them are not in the population "
                "grid (in_population_grid: true); figures for people in sites count those found",
                MeccWarning,
                stacklevel=2,
            )
    groups: dict = {}
    for hazard, sets in group_sets:
        for group in sets:
            displaced = group.displaced[..., 0].sum(axis=0)
            entry = {"population": float(group.population.sum())}
            if hazard.kind == "events":
                frequency = hazard.bands["frequency"].to_numpy(np.float64)
                entry["aad"] = float(risk.event_aad(displaced, frequency))
            elif hazard.kind == "return_periods":  # each zone with its protection standard
                entry["aad"] = float((group.displaced[..., 0] * weights[hazard.id]).sum())
            else:
                entry["displaced"] = float(displaced[0])
            groups.setdefault(hazard.id, {})[group.name] = entry
    if groups:
        summary["groups"] = groups
        summary["groups_note"] = (
            "sex_age groups add up to everyone; attribute groups overlap; in_sites are people "
            "in displacement sites, at risk of secondary displacement. Modelled estimates."
        )
    return summary


def allocation_plan(config, grid, block_shape):
    """``(settings, factor)`` of ``mobility.allocation``, or None when not asked for."""
    spec = (config.data.get("mobility") or {}).get("allocation")
    if spec is None:
        return None
    from mecc.allocation import AllocationSettings, allocation_factor, check_cost

    label = f"{os.path.basename(config.path)}.mobility.allocation"
    settings = AllocationSettings.from_spec(spec, label)
    factor = allocation_factor(grid, settings.cell_km, block_shape)
    check_cost(grid, factor, settings)
    return settings, factor


def allocated(hazard) -> bool:
    """Whether a hazard set's displaced people are allocated (see ``allocation_tables``)."""
    from mecc.allocation_tables import not_allocated

    return not_allocated(hazard) is None


def write_exposure_outputs(
    staging, exposure, groups, hazard_inputs, result, zones, grid, allocation, population_rows
) -> None:
    """Write the exposure and mobility outputs of a run into its staging folder.

    zones_disaggregated.csv and the results.nc group ``disaggregated`` (groups of
    people), sites.csv (each displacement site), allocation.csv and flows.csv (where the
    displaced may go; the allocation's parameters go to ``exposure.report``).
    """
    from mecc.allocation_tables import allocation_tables
    from mecc.group_tables import disaggregated_dataset
    from mecc.outputs import write_csv, write_results_group
    from mecc.site_tables import site_table

    table, group_sets = groups
    hazards, inputs = hazard_inputs
    dataset = disaggregated_dataset(zones, group_sets)
    if dataset is not None:
        write_results_group(dataset, staging / "results.nc", "disaggregated")
        write_csv(table, staging / "zones_disaggregated.csv")
    if exposure.sites is not None:
        write_csv(
            site_table(exposure.sites, hazards, inputs, result.points, zones),
            staging / "sites.csv",
        )
    if allocation:  # the hazards left out are warned about and recorded too
        hosts, flows, about = allocation_tables(
            allocation[0], grid, allocation[1], hazards, result, zones, population_rows
        )
        if hosts is not None:
            write_csv(hosts, staging / "allocation.csv")
            write_csv(flows, staging / "flows.csv")
        exposure.report["allocation"] = about
