"""Hazard readers: intensity grids, event tables, return-period sets, fraction grids.

A run file's hazard entry becomes a :class:`HazardSet`: the hazard type, the band table
(one row per event, return-period map or the one grid of a scenario), the intensity
files and an optional flooded-fraction file, the curve and the exposure threshold.
:meth:`HazardSet.align` then gives readers that deliver every band on the analysis grid
block by block (``mecc.grid.AlignedBands``).

Formats: GeoTIFF (single or multi-band; any GDAL raster), NetCDF through xarray
(``variable`` names the data variable; CF ``grid_mapping`` or lon/lat coordinates give
the CRS; ``hazards.netcdf``), USGS ShakeMap grid.xml (``hazards.shakemap``) and CLIMADA
hazard HDF5 event sets named by ``events:`` (``hazards.climada``). Return-period maps
and grid event sets become band tables and layers in ``hazards.event_sets``; whatever a
file states about itself is read once per file, not once per band.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hazards.catalogue import HazardType, averaging_factor, get_hazard_type, grid_unit, unit_factor
from hazards.climada import is_climada_file
from hazards.curves import Curve, load_curve_set
from hazards.event_sets import grid_event_set, layer_files, open_grid_file, return_period_set
from hazards.events import read_events
from hazards.fraction import FractionFile
from hazards.netcdf import NetCDFFile
from hazards.precision import check_curves
from hazards.stated import check_nodata_applies, declared_nodata, stated_unit, wind_averaging
from hazards.thresholds import (
    check_exposure_threshold,
    check_steps,
    warn_displaced_below_threshold,
)
from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    did_you_mean,
    read_input_table,
)
from mecc.grid import AlignedBands, GridSpec, check_overlap

__all__ = [
    "HazardSet",
    "NetCDFFile",
    "open_grid_file",
    "read_events",
    "read_hazard",
    "unit_source_text",
]

KINDS = ("events", "return_periods", "scenario")


@dataclass
class HazardSet:
    """One hazard set of a run, before alignment.

    Attributes
    ----------
    id : str
    hazard_type : HazardType
    kind : {"events", "return_periods", "scenario"}
    bands : pandas.DataFrame
        One row per band in processing order: ``band`` (label), ``frequency`` (events),
        ``return_period`` (maps), ``member`` and ``event_name`` when given.
    layers : list of (file, band)
        Intensity source of each band.
    fraction_layers : list of (file, band) or None
    curve : Curve or hazards.combined.CombinedCurve
        The central curve (a combined hazard: its components' central curves and the
        combine rule).
    exposure_threshold : float
    unit_factor : float
        Multiplies grid values into the canonical unit and averaging period.
    conversion : str
        How the grid values were converted (unit and wind averaging), for the manifest.
    unit_source : str
        Where the grids' unit comes from: ``"run file"`` (``unit:``), the file that
        states it, or ``""`` when nothing states one and the type's unit is assumed
        (``mecc validate`` and the manifest say so: :func:`unit_source_text`).
    resampling : str
    protection_rp : float, dict or None
    scenario : str or None
    period : str or None
    inputs : list of str
        Every file the set reads (for the manifest).
    components : list of HazardSet or None
        Hazards of the same event (e.g. wind and storm surge) whose shares combine per
        cell; the set's own bands, layers and threshold are then those of the first
        component, its ``curve`` and ``curves`` those of :mod:`hazards.combined`.
    combine : {"max", "independent"} or None
        How component shares combine: the largest, or ``1 - prod(1 - share)``.
    curves : dict
        Every variant evaluated in the same pass (``central``, ``low``, ``high``); a
        combined hazard's: :func:`hazards.combined.combined_curves` (each component at
        that variant of its curve, or its central curve where it has none).
    damage_curves : dict
        ``{(state, variant): Curve}``, states ``damaged`` (not destroyed, Sendai B-3) and
        ``destroyed`` (B-4), evaluated in the same pass after the displacement curves.
    fatality_curve : Curve or None
        The fatality rate of the curve's fatality model (``survivors_step`` curves with
        one), evaluated last in the pass: Sendai A-2.
    nodata : tuple of float
        The values ``nodata:`` declares missing in every grid of the set (for the manifest).
    """

    id: str
    hazard_type: HazardType
    kind: str
    bands: pd.DataFrame
    layers: list
    curve: Curve
    exposure_threshold: float
    fraction_layers: list | None = None
    unit_factor: float = 1.0
    unit: str | None = None
    conversion: str = ""
    unit_source: str = ""
    resampling: str = "nearest"
    protection_rp: object = None
    scenario: str | None = None
    period: str | None = None
    inputs: list = field(default_factory=list)
    components: list | None = None
    combine: str | None = None
    curves: dict = field(default_factory=dict)
    damage_curves: dict = field(default_factory=dict)
    fatality_curve: Curve | None = None
    nodata: tuple = ()

    @property
    def exposure_only(self) -> bool:
        """Drought: people per severity class, no displacement."""
        return self.hazard_type.name == "drought"

    @property
    def variant_names(self) -> list[str]:
        """The curve variants evaluated, central first."""
        return list(self.curves) if self.curves else ["central"]

    @property
    def native_grid(self) -> GridSpec:
        """Grid of the first intensity layer."""
        return self.layers[0][0].grid

    def align(self, grid: GridSpec) -> tuple[AlignedBands, AlignedBands | None]:
        """Readers of intensity (canonical unit) and fraction on the analysis grid.

        A file that does not overlap the analysis grid is named as the run file names it
        (``nov.yaml.hazards[0] (river_flood).return_periods.10 (rp00010.tif)``)."""
        label = f"hazards.{self.id}"
        for source in dict.fromkeys(s for s, _ in [*self.layers, *(self.fraction_layers or [])]):
            check_overlap(source.grid, grid, getattr(source, "label", label), wrap=True)
        intensity = AlignedBands(
            self.layers, grid, self.resampling, f"{label}.intensity", scale=self.unit_factor
        )
        fraction = None
        if self.fraction_layers is not None:
            fraction = AlignedBands(
                self.fraction_layers, grid, self.resampling, f"{label}.fraction"
            )
        return intensity, fraction


COMBINE_MODES = ("max", "independent")


def read_hazard(spec: dict, base_dir, where: str, country: str | None = None) -> HazardSet:
    """Build a :class:`HazardSet` from one validated ``hazards:`` entry of a run file.

    An entry with ``components`` (hazards of the same event, such as wind and storm
    surge) gives one set whose components share its bands; their shares combine per
    cell by ``combine`` (``max``, or ``independent``: 1 - prod(1 - share)), never by
    addition (DESIGN.md, semantics); a top-level key the combined set does not use is refused.

    Parameters
    ----------
    spec : dict
        The entry, with keys already checked against the run-file schema.
    base_dir : path
        Folder of the run file; relative paths are relative to it.
    where : str
        How errors name the entry (e.g. ``"hazards[0] (river_flood)"``).
    """
    if "components" in spec:
        return _read_combined(spec, base_dir, where, country)
    if spec.get("damage_curve") is not None and spec["type"] in ("sea_level_rise", "drought"):
        raise ConfigError(
            f"{where}.damage_curve: damage states apply to single sudden-onset hazards, "
            f"not {spec['type']}"
        )
    if spec["type"] == "sea_level_rise":
        from hazards.slow_onset import read_sea_level_rise

        return read_sea_level_rise(spec, base_dir, where)
    if "combine" in spec:
        raise ConfigError(f"{where}.combine: applies with components only")
    hazard_type = get_hazard_type(spec["type"], f"{where}.type")
    unit_factor(hazard_type, spec.get("unit"), f"{where}.unit")  # a known unit, before reading
    averaging_factor(
        hazard_type, spec.get("averaging"), spec.get("gust_factor"), f"{where}.averaging"
    )
    variable = spec.get("variable")
    nodata = declared_nodata(spec.get("nodata"), where)
    has_events = "events" in spec
    has_rps = "return_periods" in spec
    has_scenario = "scenario" in spec
    if has_rps and ("intensity" in spec or has_events):
        raise ConfigError(f"{where}: give either intensity + events or return_periods, not both")
    if sum((has_events, has_rps, has_scenario)) != 1:
        raise ConfigError(f"{where}: give exactly one of events, return_periods or scenario")
    climada = has_events and is_climada_file(str(spec["events"]))
    if not has_rps and "intensity" not in spec and not climada:
        raise ConfigError(f"{where}.intensity: missing (the hazard grid file)")

    def path_of(value, key):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}.{key}: give a file path")
        return os.path.join(os.fspath(base_dir), value)

    inputs = []
    fraction_from_file = None
    if has_rps:
        kind = "return_periods"
        bands, layers, inputs = return_period_set(spec, where, path_of, variable, nodata)
    elif climada:
        from hazards.climada import climada_event_set

        kind = "events"
        source, bands, layers, fraction_from_file = climada_event_set(spec, base_dir, where)
        inputs.append(source.path)
    else:
        path = path_of(spec["intensity"], "intensity")
        label = f"{where}.intensity ({spec['intensity']})"
        source = open_grid_file(path, label, variable, nodata=nodata)
        if getattr(source, "unit", hazard_type.unit) != hazard_type.unit:  # a ShakeMap field
            raise ConfigError(f"{where}.variable: {source.field} is not in {hazard_type.unit}")
        inputs.append(path)
        if has_scenario:
            kind = "scenario"
            if source.count != 1:
                raise DataError(
                    f"{where}.intensity: a scenario is one grid, but the file has {source.count} bands"
                )
            bands = pd.DataFrame({"band": [1]})
            layers = [(source, 1)]
        else:
            kind = "events"
            bands, layers, events_path = grid_event_set(spec, source, where, path_of)
            inputs.append(events_path)
    files = layer_files(layers)  # once per file, not per band: 20,000 events stay linear
    for source in files if nodata else ():  # a NetCDF, ShakeMap, CLIMADA: refused
        check_nodata_applies(source, nodata, where)
    stated = [stated_unit(source) for source in files]  # honoured unless unit: is given
    stated = [text for text in stated if text is not None]
    unit, factor, conversion = grid_unit(hazard_type, spec.get("unit"), stated, where)
    unit_source = "run file" if spec.get("unit") is not None else _unit_statement(files, stated)
    wind_factor, wind_note = wind_averaging(hazard_type, spec, layers, where)  # stated too
    conversion = "; ".join(note for note in (conversion, wind_note) if note)
    factor *= wind_factor
    fraction_layers = fraction_from_file if climada else None
    if "fraction" in spec:
        if not hazard_type.flood_type:
            raise ConfigError(
                f"{where}.fraction: a flooded-fraction grid applies to flood-type hazards only, "
                f"not {hazard_type.name}"
            )
        if kind == "return_periods":
            raise ConfigError(
                f"{where}.fraction: give fractions with intensity + events or a scenario"
            )
        fpath = path_of(spec["fraction"], "fraction")
        # not `variable` (the intensity's): a NetCDF's `fraction` variable or its only one
        flabel = f"{where}.fraction ({spec['fraction']})"
        fsource = open_grid_file(fpath, flabel, None, "fraction", nodata)
        inputs.append(fpath)
        if fsource.count != layers[0][0].count:
            raise DataError(
                f"{where}.fraction: {fsource.count} bands, but the intensity has {layers[0][0].count}"
            )
        if not fsource.grid.same_as(layers[0][0].grid):
            raise DataError(f"{where}.fraction: must be on the same grid as the intensity")
        fraction_layers = [(fsource, band) for _, band in layers]
    if fraction_layers is not None:  # checked block by block as the engine reads them
        checked = {id(s): FractionFile(s) for s in layer_files(fraction_layers)}
        fraction_layers = [(checked[id(s)], band) for s, band in fraction_layers]
    if hazard_type.name == "drought":
        from hazards.slow_onset import drought_curves

        if kind != "scenario":
            raise ConfigError(f"{where}: drought is read as one grid (scenario: ...), not {kind}")
        if "curve" in spec:
            raise ConfigError(f"{where}.curve: drought is exposure only; give classes instead")
        curves = drought_curves(spec.get("classes"))
    elif "curve" not in spec:
        raise ConfigError(f"{where}.curve: missing (a curve file or a built-in curve name)")
    else:
        check_steps(spec, hazard_type, where)  # {step: X} within the type's valid range
        curves = load_curve_set(
            spec["curve"],
            spec.get("variants"),
            base_dir,
            f"{where}.curve",
            hazard_type.name,
            country,
        )
    curve = next(iter(curves.values()))
    damage_curves = {}
    if spec.get("damage_curve") is not None:
        from hazards.curves import load_damage_curves

        damage_curves = load_damage_curves(
            spec["damage_curve"], base_dir, f"{where}.damage_curve", hazard_type.name, country
        )
    from hazards import library

    given = spec.get("exposure_threshold")
    threshold = check_exposure_threshold(
        hazard_type.exposure_threshold if given is None else given, hazard_type, where
    )
    if hazard_type.name != "drought":  # the type's default threshold as much as a given one
        warn_displaced_below_threshold(curves, threshold, hazard_type, where)
    protection = spec.get("protection_rp")
    if protection is not None and kind != "return_periods":
        raise ConfigError(f"{where}.protection_rp: applies to return-period sets only")
    protection = _read_protection(protection, base_dir, f"{where}.protection_rp")
    resampling = spec.get("resampling", "nearest")
    if resampling not in ("nearest", "bilinear"):
        raise ConfigError(f"{where}.resampling: use 'nearest' or 'bilinear', not {resampling!r}")
    hazard = HazardSet(
        id=spec["id"],
        hazard_type=hazard_type,
        kind=kind,
        bands=bands.reset_index(drop=True),
        layers=layers,
        curve=curve,
        exposure_threshold=threshold,
        fraction_layers=fraction_layers,
        unit_factor=factor,
        unit=unit or hazard_type.unit,
        conversion=conversion,
        unit_source=unit_source,
        curves=curves,
        damage_curves=damage_curves,
        fatality_curve=library.fatality_curve(curve),
        resampling=resampling,
        protection_rp=protection,
        scenario=spec.get("scenario"),
        period=None if spec.get("period") is None else str(spec.get("period")),
        inputs=inputs,
        nodata=nodata,
    )
    extra = [*damage_curves.values(), *([hazard.fatality_curve] if hazard.fatality_curve else [])]
    check_curves(hazard, [*curves.values(), *extra], f"{where}.curve")  # at the grid's dtype
    if hazard.exposure_only:  # an ordinary SPEI grid (drought negative) is warned about
        from hazards.slow_onset import warn_drought_sign

        warn_drought_sign(hazard, f"{where}.intensity ({spec['intensity']})")
    return hazard


SHARED_KEYS = ("events", "scenario", "period", "protection_rp", "member_pattern")
"""Keys of a combined hazard's entry its components share (they share its bands)."""
COMBINED_KEYS = {"id", "type", "components", "combine", "fraction", "season", "impact_time"}
"""Its other keys (``season``, ``impact_time``: mecc.mobility; ``fraction`` is refused)."""
COMPONENT_KEYS = ("intensity", "return_periods", "curve", "unit", "averaging", "gust_factor")
COMPONENT_KEYS += ("exposure_threshold", "resampling", "variable", "nodata")
"""Keys a combined hazard takes inside each component (``type`` too)."""


def _check_combined_keys(spec: dict, where: str) -> None:
    """Refuse a top-level key a combined hazard does not use (it would be ignored)."""
    key = next((k for k in spec if k not in COMBINED_KEYS and k not in SHARED_KEYS), None)
    if key in COMPONENT_KEYS:
        raise ConfigError(
            f"{where}.{key}: not used at the top level of a hazard with components; "
            f"give it inside each component it applies to (components[k].{key})"
        )
    if key is not None:
        reason = {
            "damage_curve": "damage states apply to single sudden-onset hazards",
            "variants": "a combined hazard's range comes from its components' own curve "
            "variants (each built-in curve's low/high); variants: applies to single hazards",
        }.get(key, f"{key} applies to single hazards")
        raise ConfigError(
            f"{where}.{key}: {reason}, not combined hazards (components:); remove it or give "
            "the hazard without components"
        )


def _read_combined(spec: dict, base_dir, where: str, country) -> HazardSet:
    components = spec["components"]
    if not isinstance(components, list) or len(components) < 2:
        raise ConfigError(f"{where}.components: give at least two hazards of the same event")
    mode = spec.get("combine", "max")
    if mode not in COMBINE_MODES:
        raise ConfigError(f"{where}.combine: use {' or '.join(COMBINE_MODES)}, not {mode!r}")
    if "fraction" in spec or any("fraction" in c for c in components if isinstance(c, dict)):
        raise ConfigError(f"{where}: flooded fractions are not supported in combined hazards")
    _check_combined_keys(spec, where)
    shared = {k: spec[k] for k in SHARED_KEYS if k in spec}
    parts = []
    for k, component in enumerate(components):
        if not isinstance(component, dict):
            raise ConfigError(
                f"{where}.components[{k}]: give a mapping with type, intensity, curve"
            )
        part_spec = {"id": f"{spec['id']}.{k}", **shared, **component}
        parts.append(read_hazard(part_spec, base_dir, f"{where}.components[{k}]", country))
    from hazards.combined import bands_difference, check_combined_type, combined_curves

    hazard_type = get_hazard_type(spec["type"], f"{where}.type")
    check_combined_type(hazard_type.name, parts, where)
    first = parts[0]
    for k, part in enumerate(parts[1:], start=1):
        if part.kind != first.kind or not part.bands.equals(first.bands):
            raise DataError(
                f"{where}.components[{k}]: its bands differ from components[0]'s "
                f"({bands_difference(part, first)}); components share one set of bands"
            )
    conversion = "; ".join(  # each component's own unit and wind averaging conversion
        f"components[{k}] ({part.hazard_type.name}): {part.conversion}"
        for k, part in enumerate(parts)
        if part.conversion
    )
    curves = combined_curves(parts, mode)
    return HazardSet(
        id=spec["id"],
        hazard_type=hazard_type,
        kind=first.kind,
        bands=first.bands,
        layers=first.layers,
        curve=curves["central"],
        exposure_threshold=first.exposure_threshold,
        resampling=first.resampling,
        protection_rp=first.protection_rp,
        scenario=first.scenario,
        period=first.period,
        inputs=[path for part in parts for path in part.inputs],
        conversion=conversion,
        components=parts,
        combine=mode,
        curves=curves,
    )


def _unit_statement(files, stated) -> str:
    """Which file states the grids' unit (``stated``: :func:`stated_unit`'s), a ShakeMap
    field's or a CLIMADA file's declared unit (their readers check it) counted; or ``""``."""
    from hazards.climada import ClimadaHazardFile
    from hazards.shakemap import ShakeMapFile

    if stated:
        return stated[0][1]
    for source in files:
        if isinstance(source, ShakeMapFile):
            return f"{source.label} (ShakeMap field {source.field})"
        if isinstance(source, ClimadaHazardFile) and source.units.strip():
            return f"{source.label} (units {source.units.strip()!r})"
    return ""


def unit_source_text(hazard: HazardSet) -> str:
    """Where a (single) hazard's unit comes from, in words (manifest ``unit_source``)."""
    if hazard.unit_source == "run file":
        return "the run file (unit:)"
    if hazard.unit_source.startswith("mecc "):
        return hazard.unit_source
    if hazard.unit_source:
        return f"stated by {hazard.unit_source}"
    return f"none stated (run file or grid): read as {hazard.hazard_type.unit}, the type's unit"


def _number_text(value: str) -> bool:
    """Whether ``value`` reads as a finite number (``'50'``, ``' 1e3 '``)."""
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _read_protection(value, base_dir, where):
    """Protection standard: a number of years, a mapping zone code -> years, or a CSV.

    A zone code given twice (a CSV's repeated row; ``7`` and ``'7'`` in a mapping) or a
    CSV row without one is refused: the last value would win silently.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{where}: give a return period in years")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 1:
            raise DataError(f"{where}: must be a return period >= 1 year, got {value}")
        return float(value)
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str):
        path = os.path.join(os.fspath(base_dir), value)
        if not os.path.exists(path) and _number_text(value):
            raise ConfigError(
                f"{where}: {value!r} is text (in quotes), not a number of years; write "
                f"{value.strip()} without quotes, or give the path of a CSV table with "
                "columns zone_code, protection_rp"
            )
        if not os.path.exists(path):
            raise InputFileError(f"{where}: file not found ({path}){did_you_mean(path, value)}")
        if not path.lower().endswith(".csv"):
            raise ConfigError(
                f"{where}: protection grids are not supported yet; give a number or a CSV "
                "with columns zone_code, protection_rp"
            )
        frame = read_input_table(path, "protection table", where, codes=["zone_code"])
        if not {"zone_code", "protection_rp"} <= set(frame.columns):
            raise DataError(f"{where}: needs columns zone_code, protection_rp")
        codes = frame["zone_code"].fillna("").astype(str)
        if (codes.str.strip() == "").any():
            row = int(np.flatnonzero((codes.str.strip() == "").to_numpy())[0]) + 1
            raise DataError(f"{where} ({value}).zone_code: data row {row} has no zone code")
        pairs = list(zip(codes, frame["protection_rp"], strict=True))
    else:
        raise ConfigError(f"{where}: give a number, a zone_code: years mapping or a CSV file")
    out = {}
    for code, years in pairs:
        if code in out:
            file = f" ({value})" if isinstance(value, str) else ""
            # in the run file itself (a mapping): bad usage, as other contradictions there
            raise (DataError if file else ConfigError)(
                f"{where}{file}: zone code {code!r} appears twice ({out[code]:g} and {years} "
                "years); give each zone one protection standard"
            )
        try:
            years = float(years)
        except (TypeError, ValueError):
            raise DataError(f"{where}: zone {code}: {years!r} is not a number of years") from None
        if not math.isfinite(years) or years < 1:
            raise DataError(f"{where}: zone {code}: return period must be >= 1 year")
        out[code] = years
    return out
