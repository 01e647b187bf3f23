"""Check a run file without running it (``mecc validate``) and start one (``mecc init``).

``validate_run`` opens every input the way a run would — the run file's keys, each
file, its CRS, the overlap of every grid with the analysis grid, units and wind
averaging, curves, zones and their codes, years — and returns a readable report. The
first problem stops it with the same one-line error and exit code a run would give.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field

from mecc.errors import EXIT_INTERNAL, MeccWarning
from mecc.run_template import TEMPLATE, write_template  # noqa: F401 (mecc init)

__all__ = [
    "ValidationReport",
    "file_peak_warnings",
    "plausibility_warnings",
    "sample_warnings",
    "validate_run",
    "write_template",
]


@dataclass
class ValidationReport:
    """What ``validate_run`` found: one line per input checked, and the warnings."""

    run_file: str
    lines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def text(self) -> str:
        """The report as printed by ``mecc validate``."""
        out = [f"{self.run_file}: ready to run", *(f"  ok  {line}" for line in self.lines)]
        out += [f"  warning  {message}" for message in self.warnings]
        return "\n".join(out)

    def as_dict(self, error=None) -> dict:
        """The report for ``mecc validate --json`` (with the error that stopped it, if any)."""
        record = {
            "run_file": self.run_file,
            "ok": error is None,
            "checked": list(self.lines),
            "warnings": list(self.warnings),
            "error": None,
            "exit_code": 0,
        }
        if error is not None:
            record.update(error=str(error), exit_code=getattr(error, "exit_code", EXIT_INTERNAL))
        return record


def validate_run(path, report: ValidationReport | None = None) -> ValidationReport:
    """Open and check every input of a run file; raise the first problem as a MeccError.

    Checks, in order: the run file's keys and types; the population grid (CRS, values:
    negative or no people are errors); the analysis grid; every zone level (CRS, fields,
    unique codes, parents); every hazard set (files, CRS, bands, events table, return
    periods, curves, units and wind averaging, overlap with the analysis grid) with a
    warning when its values on the analysis grid look like another unit, or when only its
    values outside the analysis grid do (:func:`file_peak_warnings`); periods against the population
    year; the exposure and mobility tables and the allocation settings; futures (their
    hazard and population grids as the baseline's: :func:`check_future`; their periods
    against their population year, as the run warns). The run's
    warnings on people are given from a sample (:mod:`mecc.check_people`): a hazard that
    leaves more than 5 % of them without hazard data, return-period maps out of order,
    more than 5 % of them in no unit; the report lines say what the sample left out.
    ``report`` (optional) is filled as checks pass, so a caller still has the lines
    checked before an error.
    """
    from mecc import engine, tables
    from mecc.allocation_tables import not_allocated_message
    from mecc.check_coverage import component_coverage_warnings
    from mecc.check_people import hazard_people_checks, outside_people_check
    from mecc.config import load_config
    from mecc.futures import growth_vector, period_warnings, read_futures
    from mecc.inputs import analysis_grid, load_inputs, period_check
    from mecc.mobility import allocation_plan, prepare_exposure

    report = report if report is not None else ValidationReport(os.path.basename(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeccWarning)
        try:
            config = load_config(path)
            report.lines.append(f"run file: {len(config.data)} keys, country {config.country}")
            population, zones, hazards = load_inputs(config)
            grid, source = analysis_grid(config, population, hazards)
            report.lines.append(
                f"analysis grid ({source}): {grid.width} x {grid.height} cells, "
                f"{grid.describe()['crs']}"
            )
            population_report = population.prepare(grid)
            year = f", year {population.year}" if population.year else ""
            report.lines.append(
                f"population: {os.path.basename(population.file.path)}, {population.kind}{year}, "
                f"{population_report['total_on_grid']:,.0f} people on the grid "
                f"({population_report['method']})"
            )
            zones.prepare(grid)
            total = population_report["total_on_grid"]
            levels = ", ".join(f"level {lv.level}: {len(lv.codes)} units" for lv in zones.levels)
            outside = outside_people_check(zones, population, grid, total)  # the run's 5 % rule
            report.lines.append(
                f"zones: {levels}{outside}"
                if not zones.whole_grid
                else "zones: none (one national zone)"
            )
            if not zones.whole_grid:
                cells = zone_cell_counts(zones, grid)
                empty = [c for c, n in zip(zones.finest.codes, cells[:-1], strict=True) if n == 0]
                if empty:
                    warnings.warn(
                        f"zones: {len(empty)} unit(s) receive no cell of the analysis grid "
                        f"(e.g. {', '.join(empty[:5])}); their figures will be blank (not known, not 0)",
                        MeccWarning,
                        stacklevel=2,
                    )
            codes = list(zones.finest.codes) + ["__outside__"]
            for hazard in hazards:
                protection = tables.protection_per_zone(hazard, codes)
                for part in hazard.components or [hazard]:
                    part.align(grid)  # opens every grid and checks its overlap
                    for message in plausibility_warnings(part, grid):
                        warnings.warn(message, MeccWarning, stacklevel=2)
                for message in component_coverage_warnings(hazard, population, grid):
                    warnings.warn(message, MeccWarning, stacklevel=2)  # a part's people
                people, note = hazard_people_checks(hazard, population, grid, total)
                for message in people:  # no hazard data, maps out of order: as the run
                    warnings.warn(message, MeccWarning, stacklevel=2)
                variants = "/".join(hazard.variant_names)
                conversion = f"; {hazard.conversion}" if hazard.conversion else ""
                conversion += _unstated_units(hazard)
                report.lines.append(
                    f"hazard {hazard.id}: {hazard.hazard_type.name}, {hazard.kind}, "
                    f"{len(hazard.bands)} band(s), curve {hazard.curve.name} ({variants})"
                    f"{conversion}{note}"
                )
                if any(p is not None for p in protection):
                    report.lines.append(
                        f"hazard {hazard.id}: protection standard {_years(hazard.protection_rp)}"
                    )
                message = period_check(hazard, population.year)
                if message:
                    warnings.warn(message, MeccWarning, stacklevel=2)
            exposure = prepare_exposure(
                config, population, zones, grid, engine.DEFAULT_BLOCK, os.cpu_count() or 1
            )
            if exposure.report:
                report.lines.append(f"exposure and mobility: {', '.join(exposure.report)}")
            plan = allocation_plan(config, grid, engine.DEFAULT_BLOCK)
            if plan is not None:
                report.lines.append("allocation to host areas: settings checked")
                left_out = not_allocated_message(plan[0].label, hazards)  # as the run says
                if left_out:
                    warnings.warn(left_out, MeccWarning, stacklevel=2)
            futures = read_futures(config, hazards, population, zones=zones)
            for future in futures:
                if future.growth is not None:  # unknown zone codes, as the run refuses them
                    growth_vector(future.growth, list(zones.finest.codes))
                report.lines.append(check_future(future, grid))
            baseline_year = (config.data.get("population") or {}).get("year")
            for message in period_warnings(futures, baseline_year):  # as the run says them
                warnings.warn(message, MeccWarning, stacklevel=2)
        finally:
            report.warnings = [
                str(w.message) for w in caught if issubclass(w.category, MeccWarning)
            ]
    return report


def check_future(future, grid) -> str:
    """Check a future's grids as the baseline's are checked; its line of the report.

    Each future hazard set is placed on the analysis grid (its CRS and its overlap: the
    run refuses a grid elsewhere with the same error) and sampled for implausible
    values, no value above 0 or only nodata (warnings, as for the baseline's); a future
    population grid is read as the baseline's (a grid without people is refused).

    Parameters
    ----------
    future : mecc.futures.Future
        As :func:`mecc.futures.read_futures` read it.
    grid : mecc.grid.GridSpec
        The analysis grid.

    Returns
    -------
    str
        E.g. ``"future ssp245_2050: river_flood changed, growth factors"``.
    """
    for hazard in future.hazards.values():
        for part in hazard.components or [hazard]:
            part.align(grid)  # opens every grid and checks its overlap, as the run does
            for message in plausibility_warnings(part, grid):
                warnings.warn(message, MeccWarning, stacklevel=2)
    changed = ", ".join(future.hazards) or "no hazard"
    if future.population is not None:
        prepared = future.population.prepare(grid)  # every cell nodata, no people: errors
        people = f"a population grid ({prepared['total_on_grid']:,.0f} people on the grid)"
    else:
        people = "growth factors" if future.growth else "the baseline population"
    return f"future {future.id}: {changed} changed, {people}"


def zone_cell_counts(zones, grid):
    """Cells of the analysis grid in each finest unit (last: outside every unit)."""
    import numpy as np

    from mecc.grid import block_windows

    counts = np.zeros(zones.n + 1, dtype=np.int64)
    for window in block_windows(grid, 1024, 4096):
        index = zones.rasterize(window)
        counts += np.bincount(index.ravel(), minlength=zones.n + 1)
    return counts


def plausibility_warnings(hazard, grid=None) -> list[str]:
    """Warnings for grids whose values look like another unit or hold no hazard.

    Reads a decimated sample of each intensity file (:func:`mecc.check_samples.sample_bands`:
    at most 1,024 cells a side, 32 bands evenly spaced and more when those are dry),
    through any source with a ``grid`` and ``read(bands, window)`` (GeoTIFF, NetCDF,
    CLIMADA HDF5, ShakeMap), converts it with the set's unit factor and compares it with
    the hazard type's plausible range (e.g. flood depth 0-50 m: a depth grid in
    centimetres read as metres exceeds it). With ``grid`` (the analysis grid) the sample
    is of the part of each file on it (:func:`mecc.check_extent.analysis_window`), the values a run uses,
    and a file whose values reach above the range only outside it is named too
    (:func:`file_peak_warnings`). A warning that rests on what the sample did not find
    says how much was read. Computed grids (sea-level rise) are not sampled.
    ``mecc run`` gives the same warnings from the pictures its engine keeps
    (:mod:`mecc.run_checks`), through :func:`sample_warnings` and
    :func:`file_peak_warnings`.

    Raises
    ------
    DataError
        When a flooded-fraction grid holds values outside [0, 1] (e.g. percent).
    InputFileError
        When a grid cannot be read.
    """
    from mecc.check_extent import grid_sample
    from mecc.check_samples import sample_bands

    if not is_checked(hazard):
        return []
    files = [
        (source, bands, grid_sample(source, bands, hazard.unit_factor, grid))
        for source, bands in bands_by_file(hazard.layers)
    ]
    for source, bands in bands_by_file(hazard.fraction_layers or []):
        check_fraction(sample_bands(source, bands))
    on_grid = max((s.peak for _, _, s in files if s.valid), default=-math.inf)
    return sample_warnings(hazard, files) + file_peak_warnings(hazard, grid, on_grid)


def file_peak_warnings(hazard, grid, on_grid) -> list[str]:
    """A warning when a file's values reach above the plausible range outside the
    analysis grid only.

    A run uses the values on the analysis grid, and :func:`sample_warnings` checks
    those; but a file whose values elsewhere reach above the plausible range (a depth
    of 62 m west of the people) is a strong sign that the whole grid is in another unit
    (centimetres read as metres), the values on the grid too. ``mecc validate`` and
    ``mecc run`` both call this, so they give the same answer in the same words. The
    file's largest value is known without reading it whole
    (:func:`mecc.check_extent.file_peak`); a
    file that lies within the analysis grid is not read again.

    Parameters
    ----------
    hazard : hazard set
        Gives the id, the files and bands, the unit factor and the plausible range.
    grid : mecc.grid.GridSpec or None
        The analysis grid (None: nothing to compare, no warning).
    on_grid : float or None
        The largest value seen on the analysis grid (``-inf`` when only nodata; None
        when not known: no warning).

    Returns
    -------
    list of str
        One message naming the largest such value, its file and band, or none (also
        when the values on the grid already reach above the range: their warning says it).
    """
    from mecc.check_extent import analysis_window, file_peak

    if grid is None or on_grid is None or not is_checked(hazard):
        return []
    _, high = hazard.hazard_type.valid_range
    if on_grid > high:
        return []
    peaks = []
    for source, bands in bands_by_file(hazard.layers):
        if analysis_window(source.grid, grid) is None:
            continue  # the file lies within the analysis grid: its values were seen
        sample = file_peak(source, bands, hazard.unit_factor)
        if sample is not None and sample.valid and sample.peak > high:
            peaks.append(sample)
    if not peaks:
        return []
    peak = max(peaks, key=lambda s: s.peak)
    unit = hazard.hazard_type.unit
    there = f"at most {on_grid:g} {unit}" if math.isfinite(on_grid) else "only nodata"
    return [
        f"hazards.{hazard.id}: values reach {peak.peak:g} {unit} ({peak.label} band "
        f"{peak.peak_band}) in the file, above the plausible {high:g} {unit} for "
        f"{hazard.hazard_type.name}, though {there} on the analysis grid (the values the run "
        f"uses); {unit_hint(hazard.hazard_type)} Then those are wrong too"
    ]


def is_checked(hazard) -> bool:
    """True for the hazard sets whose intensity grids are checked for plausibility."""
    return hazard.kind in ("events", "return_periods", "scenario") and not hazard.exposure_only


def sample_warnings(hazard, files) -> list[str]:
    """The plausibility warnings of one hazard set from what was seen of its files.

    Values outside the hazard type's ``hard_range`` (MMI outside 0.5-12.5: no value of
    the scale) are refused rather than warned about (:func:`hard_range_error`); values
    outside ``valid_range`` only (a depth of 60 m) are warned about.

    Parameters
    ----------
    hazard : hazard set
        Gives the id, the hazard type's plausible range and unit.
    files : list of (source, bands, GridSample)
        Each intensity file (its ``nodata`` per band, when it has one), the 1-based
        bands the set uses, and the :class:`~mecc.check_samples.GridSample` of them
        (values in the hazard type's unit).

    Returns
    -------
    list of str
        At most one of: 0 declared as nodata, values below the plausible range; then at
        most one of: values above it, no value above 0, only nodata.

    Raises
    ------
    DataError
        When a sample holds a value outside the hazard type's ``hard_range``.
    """
    low, high = hazard.hazard_type.valid_range
    unit = hazard.hazard_type.unit
    messages = []
    for source, bands, sample in files:
        problem = hard_range_error(hazard, source, sample)
        if problem is not None:
            raise problem
        nodata = getattr(source, "nodata", None) or ()
        if low <= 0 and not messages and any(_is_zero(nodata, b) for b in bands):
            messages.append(
                f"hazards.{hazard.id}: {source.label} declares 0 as its nodata value, so its "
                f"cells of 0 {unit} (no hazard) count as 'no hazard data', not as unexposed; "
                "if 0 means none there, clear it (gdal_edit.py -unsetnodata FILE)"
            )
        if sample.valid and sample.bottom < low - 1e-9 and not messages:
            messages.append(
                f"hazards.{hazard.id}: {sample.label} band {sample.bottom_band} has values down "
                f"to {sample.bottom:g} {unit}, below the plausible {low:g} {unit} for "
                f"{hazard.hazard_type.name}; is a nodata value undeclared?"
                + nodata_remedy(sample.bottom / getattr(hazard, "unit_factor", 1.0))
            )
    samples = [sample for _, _, sample in files]
    valid = [s for s in samples if s.valid]
    peak = max(valid, key=lambda s: s.peak) if valid else None
    if peak is not None and peak.peak > high:
        messages.append(
            f"hazards.{hazard.id}: values reach {peak.peak:g} {unit} ({peak.label} band "
            f"{peak.peak_band}), above the plausible {high:g} {unit} for "
            f"{hazard.hazard_type.name}; {unit_hint(hazard.hazard_type)}"
        )
    elif peak is not None and peak.peak <= 0:
        messages.append(
            f"hazards.{hazard.id}: no value above 0 in {_what_was_read(samples)}: "
            + (
                "nobody can be exposed or displaced"
                if all(s.complete for s in samples)
                else "unless the cells or bands not read differ, nobody can be exposed or displaced"
            )
        )
    elif peak is None and samples:
        messages.append(f"hazards.{hazard.id}: only nodata in {_what_was_read(samples)}")
    return messages


def nodata_remedy(raw: float) -> str:
    """How to declare ``raw`` (a file's value, e.g. -9999) missing, when it looks like a
    nodata marker (a whole number): the run file's ``nodata`` key or GDAL's tag."""
    if not (math.isfinite(raw) and float(raw).is_integer()):
        return ""
    return (
        f" If {raw:g} marks cells without data, declare it: nodata: {raw:g} in the hazard's "
        f"entry of the run file, or gdal_edit.py -a_nodata {raw:g} FILE"
    )


def unit_hint(hazard_type) -> str:
    """The question a value above the plausible range asks, in the units the type takes:
    ``"is the grid in another unit (set unit:, one of cm, mm, ft)?"``; for a measure
    without other units (MMI), whether the grid is another measure."""
    from hazards.catalogue import MEASURE_ADVICE, UNIT_FACTORS

    others = [u for u in UNIT_FACTORS[hazard_type.unit] if u != hazard_type.unit]
    if others:
        return f"is the grid in another unit (set unit:, one of {', '.join(others)})?"
    advice = MEASURE_ADVICE.get(hazard_type.unit, "give a grid of {what}")
    return f"is the grid another measure? If so, {advice.format(what='it')}."


def _unstated_units(hazard) -> str:
    """``; no unit stated ...`` for a hazard (or each component) whose grids state no unit
    and whose run file gives none, so that the type's unit is assumed; else ``""``."""
    parts = hazard.components or [hazard]
    found = [
        (f"components[{k}]: " if hazard.components else "") + part.hazard_type.unit
        for k, part in enumerate(parts)
        if not getattr(part, "unit_source", "run file")
    ]
    if not found:
        return ""
    return f"; no unit stated (run file or grid): read as {', '.join(found)}"


def hard_range_error(hazard, source, sample):
    """A :class:`DataError` when ``sample`` holds values outside the hazard type's
    ``hard_range`` (MMI below 0.5 or above 12.5), else None.

    The message names the file, the band, the extreme value and how many cells of that
    band of the file lie outside the range (:func:`_count_outside`), and asks whether a
    value below it (-9999, -1, 0) is an undeclared nodata value; a value above it says
    the grid is another measure (PGA in %g reaches 80).
    """
    from hazards.catalogue import MEASURE_ADVICE
    from mecc.errors import DataError

    kind = hazard.hazard_type
    if kind.hard_range is None or not sample.valid:
        return None
    low, high = kind.hard_range
    below = sample.bottom < low - 1e-9
    if not below and sample.peak <= high + 1e-9:
        return None
    value, band = (sample.bottom, sample.bottom_band) if below else (sample.peak, sample.peak_band)
    count = _count_outside(source, band, getattr(hazard, "unit_factor", 1.0), low, high)
    cells = f"{count:,} cell{'s' if count != 1 else ''}"
    counted = f" ({cells} of the band in the file {'are' if count != 1 else 'is'} outside it)"
    counted = counted if count else ""
    unit = kind.unit
    text = (
        f"hazards.{hazard.id}: {sample.label} band {band} has values "
        f"{'down' if below else 'up'} to {value:g} {unit}, outside {low:g}-{high:g} {unit}, "
        f"the whole range of {kind.measure} values{counted}; "
    )
    if below and float(value).is_integer() and (value <= 0 or abs(value) >= 999):
        text += (
            f"is {value:g} an undeclared nodata value? Declare it (gdal_edit.py -a_nodata "
            f"{value:g} FILE)"
        )
        if value == 0 and unit == "MMI":
            text += " or, if 0 means no shaking, set those cells to 1 (MMI I, not felt)"
    elif below:
        text += f"values below {low:g} {unit} are no {kind.measure}; correct the grid"
    else:
        advice = MEASURE_ADVICE.get(unit, "give a grid of {what}")
        text += f"is the grid another measure? If so, {advice.format(what='it')}"
    return DataError(text)


COUNT_CELLS = 2**26
"""Most cells of a band :func:`_count_outside` reads to count the values outside the
hard range (an error message's count; a larger band is not read again)."""


def _count_outside(source, band, factor, low, high) -> int | None:
    """Cells of ``band`` of the whole file outside ``[low, high]`` (times ``factor``),
    read window by window; None for a band of more than :data:`COUNT_CELLS` cells or a
    source that cannot be read so."""
    import numpy as np
    from rasterio.windows import Window

    grid = getattr(source, "grid", None)
    if grid is None or not hasattr(source, "read") or grid.width * grid.height > COUNT_CELLS:
        return None
    extreme = getattr(source, "extreme_cells", None)  # reading counts them: keep the count
    rows = max(1, 2**22 // grid.width)
    count = 0
    try:
        for row in range(0, grid.height, rows):
            window = Window(0, row, grid.width, min(rows, grid.height - row))
            values = source.read([band], window)[0] * factor
            values[np.abs(values) > 1e30] = np.nan
            with np.errstate(invalid="ignore"):
                count += int(np.count_nonzero((values < low - 1e-9) | (values > high + 1e-9)))
    except (OSError, RuntimeError):  # the count is a detail of the message, not its reason
        return None
    finally:
        if extreme is not None:
            source.extreme_cells = extreme
    return count


def check_fraction(sample) -> None:
    """Raise :class:`DataError` when a sampled flooded fraction is not a share in [0, 1]
    (as the run does when it reads such a block; same tolerance, same message)."""
    from hazards.fraction import FRACTION_TOLERANCE, fraction_problem

    if not sample.valid:
        return
    high = sample.peak > 1.0 + FRACTION_TOLERANCE
    band = sample.peak_band if high else sample.bottom_band
    problem = fraction_problem(sample.label, sample.peak, sample.bottom, band)
    if problem is not None:
        raise problem


def bands_by_file(layers) -> list[tuple]:
    """``[(source, [band, ...]), ...]`` of ``(source, band)`` layers, files in order."""
    files: dict[int, tuple] = {}
    for source, band in layers:
        files.setdefault(id(source), (source, []))[1].append(band)
    return list(files.values())


def _is_zero(nodata, band) -> bool:
    return band - 1 < len(nodata) and nodata[band - 1] is not None and nodata[band - 1] == 0


def _what_was_read(samples) -> str:
    """E.g. 'the 64 of 480 bands read (a decimated sample of their cells)'."""
    read, total = sum(s.bands_read for s in samples), sum(s.bands_total for s in samples)
    bands = f"all {total} band(s)" if read == total else f"the {read} of {total} bands read"
    if all(s.full for s in samples):
        return f"every cell of {bands}"
    return f"{bands} (a decimated sample of their cells)"


def _years(protection) -> str:
    """A protection standard as the report says it: ``50 years``, or per unit ``per unit
    (12 units, 5-100 years)``."""
    if not isinstance(protection, dict):
        return f"{float(protection):g} years"
    given = [float(p) for p in protection.values() if p is not None]
    if not given:
        return "per unit (none given)"
    span = f"{min(given):g}" if min(given) == max(given) else f"{min(given):g}-{max(given):g}"
    return f"per unit ({len(given)} unit{'s' if len(given) != 1 else ''}, {span} years)"
