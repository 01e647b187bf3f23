"""From a validated run file to the engine's inputs: readers, grids, curves, records.

Shared by ``mecc.run`` (one country) and ``mecc.futures`` (extra passes for futures).
"""

from __future__ import annotations

import os
import warnings

from mecc import engine
from mecc.config import RunConfig
from mecc.errors import MeccWarning
from mecc.input_hashes import input_sha256

__all__ = [
    "analysis_grid",
    "check_protection",
    "input_records",
    "load_inputs",
    "overlay_input",
    "period_check",
]


def load_inputs(config: RunConfig):
    from exposure.population import PopulationGrid
    from exposure.zones import Zones, read_zones
    from hazards.readers import read_hazard

    label = os.path.basename(config.path)
    pop_spec = config.data["population"]
    pop_path = os.path.join(config.base_dir, pop_spec["path"])
    if not os.path.exists(pop_path):
        from mecc.errors import InputFileError, did_you_mean

        hint = did_you_mean(pop_path, pop_spec["path"])
        raise InputFileError(f"{label}.population.path: file not found ({pop_path}){hint}")
    from exposure.population import source_convention

    convention = source_convention(pop_spec.get("source"), f"{label}.population.source")
    population = PopulationGrid(
        pop_path,
        kind=pop_spec.get("kind"),
        label=f"{label}.population.path ({pop_spec['path']})",
        band=pop_spec.get("band", 1),
        nodata=pop_spec.get("nodata", convention["nodata"]),
        year=pop_spec.get("year"),
    )
    population.attribution = convention["attribution"]
    if config.data.get("zones") is None:
        zones = Zones.national(config.country, config.name)
    else:
        from mecc.errors import MeccError

        try:
            zones = read_zones(config.data["zones"], config.base_dir, config.country)
        except MeccError as error:  # name the run file, as the other inputs' errors do
            message = str(error)
            if not message.startswith("zones"):
                raise
            raise type(error)(f"{label}.{message}") from None
    hazards = [
        read_hazard(spec, config.base_dir, f"{label}.hazards[{k}] ({spec['id']})", config.country)
        for k, spec in enumerate(config.data["hazards"])
    ]
    for k, (spec, hazard) in enumerate(zip(config.data["hazards"], hazards, strict=True)):
        check_protection(hazard, zones, f"{label}.hazards[{k}] ({spec['id']}).protection_rp")
    return population, zones, hazards


def check_protection(hazard, zones, where: str) -> None:
    """Refuse a per-zone protection standard for a code that is no unit of the finest zone
    level; warn when a standard is at or above the largest map (every map is protected:
    :func:`mecc.risk.protection_beyond_maps`).

    Called by :func:`load_inputs`, so ``mecc validate`` and ``mecc run`` both give the
    error and the warning, named by ``where`` (the run file, hazard and field).

    Raises
    ------
    DataError
        A zone code of the protection table or mapping that the zones do not hold.
    """
    from mecc.errors import DataError
    from mecc.risk import protection_beyond_maps

    protection = hazard.protection_rp
    if protection is None or hazard.kind != "return_periods":
        return
    if isinstance(protection, dict):
        known = set(zones.finest.codes)
        unknown = sorted(code for code in protection if code not in known)
        if unknown:
            more = ", ..." if len(zones.finest.codes) > 5 else ""
            units = (
                f"the run has no zones (one national unit, {zones.finest.codes[0]}): give one "
                "number of years"
                if zones.whole_grid
                else f"give codes of the finest zone level (e.g. "
                f"{', '.join(zones.finest.codes[:5])}{more})"
            )
            raise DataError(
                f"{where}: zone code(s) {', '.join(unknown[:5])} are not codes of the finest "
                f"zone level; {units}"
            )
    message = protection_beyond_maps(hazard.bands["return_period"], protection)
    if message:
        warnings.warn(f"{where}: {message}", MeccWarning, stacklevel=2)


def analysis_grid(config: RunConfig, population, hazards):
    """The analysis grid and how it was chosen (the manifest's ``analysis_grid.source``).

    The population's grid, unless ``analysis_grid`` names a hazard or a hazard has a
    flooded-fraction grid: then that hazard's grid, at the population grid's longitudes
    (a map at -183..-177 or 180-183 is moved by 360° to lie beside people at 177-183
    written in the other convention: :func:`_at_longitudes_of`) and grown by whole cells
    of its own to cover the population grid, so people beyond the map count as "no
    hazard data" (DESIGN.md, semantics).
    """
    choice = config.data.get("analysis_grid")
    if choice is None:
        with_fraction = [h for h in hazards if h.fraction_layers is not None]
        choice = with_fraction[0].id if with_fraction else "population"
    if choice == "population":
        return population.native_grid, "population"
    hazard = next(h for h in hazards if h.id == choice)
    people = _bounds_in(population.native_grid, hazard.native_grid)
    grid, shift = _at_longitudes_of(hazard.native_grid, people)
    source = f"hazard {choice}"
    if shift:
        source += f", moved by {shift:+g}° to the population grid's longitudes"
    # People beyond the hazard's map must stay in the run, as "no hazard data" (DESIGN.md,
    # semantics): the grid grows, by whole cells of the hazard's, to cover the population's
    covered = grid.covering(people)
    if covered is grid:
        return grid, source
    if covered.width * covered.height > GROWN_CELLS_MAX:
        warnings.warn(
            f"analysis grid: hazard {choice}'s grid would grow to {covered.width} x "
            f"{covered.height} cells to cover the population grid, so it is kept as it is and "
            "the people beyond its map are left out of the run (not counted as no hazard "
            "data); give analysis_grid: population, or a population grid of the hazard's area",
            MeccWarning,
            stacklevel=2,
        )
        return grid, source
    return covered, f"{source}, grown to cover the population grid"


GROWN_CELLS_MAX = 500_000_000
"""Cells a hazard's grid may grow to (:func:`analysis_grid`): a city's flood map at 1"
grown to a large country's population grid would be a billion cells."""


def _bounds_in(people, grid) -> tuple:
    """The population grid's bounds in ``grid``'s CRS, in their own longitudes."""
    from rasterio.warp import transform_bounds

    return tuple(transform_bounds(people.crs, grid.crs, *people.bounds))


def _at_longitudes_of(grid, bounds) -> tuple:
    """``grid`` moved by 0, +360 or -360 degrees of longitude to where it overlaps
    ``bounds`` ``(left, bottom, right, top)`` most (nearest them when it overlaps them
    in none; 0 preferred), and that shift.

    Only the georeference moves, never the cells; the moved grid keeps the bounds its
    file writes for messages. A projected or rotated grid stays where it is (shift 0).
    So a hazard's grid is grown towards the population's side of the Earth, never the
    wrong way round it, and the analysis grid is written in the population grid's
    longitudes (the population is then regridded without any shift; the hazard is
    sampled with longitudes compared modulo 360: :func:`mecc.grid.source_positions`).
    """
    from affine import Affine

    from mecc.grid import GridSpec
    from mecc.longitudes import GLOBE

    if not grid.rectilinear or not grid.is_geographic:
        return grid, 0.0
    g_left, _, g_right, _ = grid.bounds
    left, _, right, _ = bounds

    def overlap(shift):
        return min(g_right + shift, right) - max(g_left + shift, left)

    shift = max((0.0, GLOBE, -GLOBE), key=lambda s: (overlap(s), s == 0.0))
    if shift == 0.0:
        return grid, 0.0
    t = grid.transform
    moved = Affine(t.a, t.b, t.c + shift, t.d, t.e, t.f)
    return GridSpec(grid.crs, moved, grid.width, grid.height, grid.own_bounds), shift


def overlay_input(
    hazard, grid, band_weight, cells: bool = True, preview: int = 0, coarse: int = 0
) -> engine.OverlayInput:
    """A hazard set ready for the engine: readers on the analysis grid and packed curves.

    The exposure threshold and the curves' intensities are those the kernels compare at
    the precision the hazard's grids store their values in (a float32 grid's 0.7 m is
    0.699999988, so the threshold and steps at 0.7 m become that number:
    ``hazards.precision``); a combined hazard's components each at their own.
    """
    from hazards.curves import pack_curves
    from hazards.precision import compared_curve, compared_threshold
    from mecc.damage_tables import extra_curves

    if hazard.components:  # one curve per component for each variant (central first)
        readers = [part.align(grid)[0] for part in hazard.components]
        packed = [
            pack_curves(
                compared_curve(part, curve)
                for part, curve in zip(hazard.components, hazard.curves[name].parts, strict=True)
            )
            for name in hazard.variant_names
        ]
        return engine.OverlayInput(
            hazard.id,
            readers[0],
            None,
            packed[0],
            [compared_threshold(part) for part in hazard.components],
            band_weight,
            components=readers,
            combine_max=hazard.combine == "max",
            write_cells=cells,
            variant_curves=tuple(packed[1:]),
        )
    intensity, fraction = hazard.align(grid)
    return engine.OverlayInput(
        hazard.id,
        intensity,
        fraction,
        pack_curves(
            compared_curve(hazard, curve)
            for curve in [hazard.curves[name] for name in hazard.variant_names]
            + list(hazard.damage_curves.values())
            + extra_curves(hazard)  # deaths, survivors of damage states: mecc.damage_tables
        ),
        compared_threshold(hazard),
        band_weight,
        write_cells=cells,
        preview_factor=preview,
        coarse_factor=coarse,
    )


def period_check(hazard, year) -> str | None:
    """Warn when the population year lies far outside the hazard period."""
    if hazard.period is None or year is None:
        return None
    import re

    years = [int(y) for y in re.findall(r"\d{4}", hazard.period)]
    if not years:
        return None
    lo, hi = min(years), max(years)
    gap = max(lo - year, year - hi, 0)
    if gap > 10:
        return (
            f"hazards.{hazard.id}.period {hazard.period} is {gap} years from the population "
            f"year {year}"
        )
    return None


RP_DROP_TOLERANCE = 0.01
"""Relative fall of the people exposed from one return-period map to the next (rarer) one
above which a run warns (model noise between maps stays well below it)."""


def warn_return_periods_out_of_order(hazard, sums) -> str | None:
    """Warn when a rarer return-period map exposes fewer people than a more frequent one.

    Maps of one consistent model flood at least as widely at a longer return period, so a
    national exposure that falls by more than :data:`RP_DROP_TOLERANCE` usually means
    files given to the wrong return periods (e.g. ``10: rp100.tif, 100: rp10.tif``) or
    maps from different models; the AAD and PMD assume the order (DESIGN.md, semantics).
    Returns the warning's text, or None.
    """
    if hazard.kind != "return_periods":
        return None
    periods = hazard.bands["return_period"].to_numpy(dtype=float)
    exposed = sums.exposed.sum(axis=0)  # every unit and outside, per band
    for k in range(periods.size - 1):
        if exposed[k + 1] < exposed[k] * (1.0 - RP_DROP_TOLERANCE):
            message = (
                f"hazards.{hazard.id}: the {periods[k + 1]:g}-year map exposes "
                f"{exposed[k + 1]:,.0f} people, fewer than the {periods[k]:g}-year map "
                f"({exposed[k]:,.0f}); rarer events should reach at least as many people. "
                "Check that each file is given to its own return period: the AAD and PMD "
                "assume the maps are in order"
            )
            warnings.warn(message, MeccWarning, stacklevel=2)
            return message
    return None


def input_record(path, role, base_dir, hashes) -> dict:
    """Role, path (relative to the run file's folder when inside it) and a pending SHA-256.

    The hash is computed on ``hashes`` (an executor) while the engine runs, or taken from
    :mod:`mecc.input_hashes`'s cache when this very file was hashed before.
    """
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, base_dir)
    shown = absolute if relative.startswith("..") else relative
    return {"role": role, "path": shown, "sha256": hashes.submit(input_sha256, absolute)}


def input_records(config, population, zones, hazards, hashes, futures=()) -> list:
    """Every input file of the run (its futures' too), with its SHA-256 being computed on
    ``hashes``."""
    base = config.base_dir
    records = [
        input_record(config.path, "run file", base, hashes),
        input_record(population.file.path, "population", base, hashes),
    ]
    for level in zones.levels:
        if level.path:
            records.append(input_record(level.path, f"zones level {level.level}", base, hashes))
    seen = set()
    for h in hazards:
        for path in h.inputs:
            if path not in seen:
                seen.add(path)
                records.append(input_record(path, f"hazard {h.id}", base, hashes))
        for part in h.components or [h]:  # a combined hazard: each component's curve file
            curve_path = os.path.join(base, part.curve.name)
            if os.path.isfile(curve_path) and curve_path not in seen:
                seen.add(curve_path)
                records.append(input_record(curve_path, f"curve of {h.id}", base, hashes))
    for path, what in _table_files(config):  # census, cohorts, sites, protection ...
        if path not in seen and os.path.abspath(path) != os.path.abspath(config.path):
            seen.add(path)
            records.append(input_record(path, what, base, hashes))
    for k, future in enumerate(futures):
        paths = [(p, f"hazard {h.id}") for h in future.hazards.values() for p in h.inputs]
        if future.population is not None:
            paths.append((future.population.file.path, "population"))
        growth = (config.data["futures"][k].get("population") or {}).get("growth")
        if isinstance(growth, str):  # a table of factors per zone
            paths.append((os.path.join(base, growth), "population growth"))
        for path, what in paths:
            if path not in seen:
                seen.add(path)
                records.append(input_record(path, f"future {future.id}: {what}", base, hashes))
    return records


def _table_files(config) -> list:
    """``(path, role)`` of every other file the run file names: the tables of
    ``population`` and ``mobility`` (census, cohorts, household sizes, sites, seasonal
    presence ...) and a hazard's protection table, named by their run-file key."""
    from mecc.config import _PATH_KEYS

    found = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                named = key in _PATH_KEYS and isinstance(item, str)
                if named and os.path.isfile(os.path.join(config.base_dir, item)):
                    found.append((os.path.join(config.base_dir, item), where))
                elif isinstance(item, dict):
                    walk(item, f"{where}.{key}")

    walk({k: v for k, v in config.data["population"].items() if k != "path"}, "population")
    walk(config.data.get("mobility") or {}, "mobility")
    for h in config.data["hazards"]:
        protection = h.get("protection_rp")
        if isinstance(protection, str):
            found.append((os.path.join(config.base_dir, protection), f"hazard {h['id']}"))
    return found
