"""Slow-onset hazards: sea-level rise (planned relocation) and drought (exposure only).

Sea-level rise: the permanent inundation of a DEM by the sea at high tide plus a rise,
only where connected to the sea (``hazards.flood``), gives the people "at risk of
planned relocation" — a planning figure, distinct from event displacement. Vertical
datums are explicit: the DEM's (``dem_datum``), the high tide's (``tide_datum``) and the
rise's baseline (``slr_baseline``). An offset (``datum_offsets``) is relative to the
DEM's datum: the metres added to a height in that datum to give the same point's height
in the DEM's. The high tide, a height above ``tide_datum``, is moved by its datum's
offset (a tide datum other than the DEM's without one stops the run, exit 1); the rise,
a change of the sea's level since ``slr_baseline`` (a difference of two heights in one
datum), is the same number of metres in every datum and is added as it is: the level is
``high_tide + offset(tide_datum) + slr``. The DEM's heights are metres: a DEM stating
feet is converted and another unit refused, and heights below -500 m (undeclared nodata
such as SRTM's -32768) are refused, as ``mecc hazard flood`` does. Because global DEMs
overstate coastal heights by metres, the figure is also computed with the DEM lowered
and raised by 1 m (the ``high`` and ``low`` ends of its range).

Drought: people in cells of each severity class of a drought index, no displacement
curve. Classes follow McKee, Doesken and Kleist (1993) for the SPI (moderate -1.0 to
-1.5, severe -1.5 to -2.0, extreme below -2.0), expressed as a deficit (the index with
its sign reversed, so drier is larger).
"""

from __future__ import annotations

import difflib
import math
import os
import threading
import warnings

import numpy as np
import pandas as pd

from hazards.catalogue import get_hazard_type
from hazards.curves import Curve
from mecc.errors import ConfigError, DataError, InputFileError, MeccWarning, did_you_mean
from mecc.raster_file import RasterFile

__all__ = [
    "ArraySource",
    "DROUGHT_CLASSES",
    "RELOCATION_SOURCE",
    "check_drought_classes",
    "drought_curves",
    "read_sea_level_rise",
    "warn_drought_sign",
]

DEM_OFFSET_M = 1.0
"""How far the DEM is lowered and raised for the range of the relocation figure."""

RELOCATION_SOURCE = "Poulter & Halpin (2008), Int. J. Geogr. Inf. Sci. 22:167-182"
"""The source of the relocation rule (the curve's ``source``): a cell is flooded only when
connected to the sea, no bathtub over closed depressions (Poulter and Halpin 2008, "Raster
modelling of coastal flooding from sea-level rise"), as ``mecc hazard flood`` cites it."""

DROUGHT_CLASSES = {"bounds": [1.0, 1.5, 2.0], "names": ["moderate", "severe", "extreme"]}
CLASS_KEYS = ("bounds", "names")
"""The keys of a drought's ``classes``."""

HIGH_END_RISE_M = 10.4
"""A rise above this (m) is warned about: the high-end estimate of global mean sea-level
rise by 2300 under RCP8.5/SSP5-8.5, "up to 10.4 m" (van de Wal et al. 2022, "A high-end
estimate of sea level rise for practitioners", Earth's Future 10, e2022EF002751), above
the IPCC AR6 projections; 2300 is the last year a run's ``period`` may give."""
HIGHEST_TIDE_M = 16.3
"""A high tide above this (m above its datum) is warned about: the largest tidal range
on Earth, 16.3 m in the Bay of Fundy (NOAA National Ocean Service, "Where is the highest
tide?"), so no high tide stands higher above a low-water datum."""


class ArraySource:
    """An in-memory grid read like a raster file (``mecc.raster_file.RasterFile``'s interface)."""

    def __init__(self, grid, bands: np.ndarray, label: str):
        self.grid = grid
        self.values = np.ascontiguousarray(bands, dtype=np.float64)
        self.count = self.values.shape[0]
        self.label = label
        self.path = label
        self.nodata = (None,) * self.count
        self.extreme_cells = 0
        self._lock = threading.Lock()

    def read(self, bands, window, out=None) -> np.ndarray:
        """Float64 ``(len(bands), h, w)`` of ``window``; written into ``out`` when given."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        values = self.values[[b - 1 for b in bands], r0:r1, c0:c1]
        if out is None:
            return values.copy()
        out[...] = values
        return out


def _metres(spec, key, where, plausible: float, what: str) -> float:
    """``spec[key]``, a number of metres at most the sea-level-rise type's valid range's
    top (100 m), warned about above ``plausible`` (``what`` says why)."""
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: give a number of metres")
    top = get_hazard_type("sea_level_rise").valid_range[1]
    if value > top:
        raise ConfigError(
            f"{where}.{key}: {value:g} m is above the sea-level-rise valid range (up to "
            f"{top:g} m); give metres"
        )
    if value > plausible:
        warnings.warn(
            f"{where}.{key}: {value:g} m is above {plausible:g} m, {what}; check that it is metres",
            MeccWarning,
            stacklevel=3,
        )
    return float(value)


def water_level(spec: dict, where: str) -> tuple[float, str]:
    """High tide plus the rise, in the DEM's datum, and a sentence saying how.

    ``high_tide`` is a height above ``tide_datum``, moved to the DEM's datum by that
    datum's offset (``datum_offsets``: metres added to a height in that datum to give the
    height in the DEM's; required unless ``tide_datum`` is ``dem_datum``). ``slr`` is a
    change of level since ``slr_baseline``: the same in every datum, added as it is (an
    offset given for the baseline is checked, not added: added to the rise it would count
    the datums' step as a rise of the sea). A tide datum that is the mean sea level of an
    earlier epoch than the baseline leaves out the rise between the two epochs: include it
    in ``slr``.

    Raises
    ------
    ConfigError
        A datum not named, an offset or a height that is no number, ``slr`` below 0 or
        either above the type's valid range (100 m); above :data:`HIGH_END_RISE_M` and
        :data:`HIGHEST_TIDE_M` they are warned about.
    DataError
        ``tide_datum`` is not the DEM's datum and has no offset.
    """
    for key in ("dem_datum", "tide_datum", "slr_baseline"):
        if not isinstance(spec.get(key), str) or not spec.get(key):
            raise ConfigError(
                f"{where}.{key}: name the vertical datum (e.g. EGM2008, MSL 1995-2014)"
            )
    offsets = spec.get("datum_offsets") or {}
    if not isinstance(offsets, dict):
        raise ConfigError(f"{where}.datum_offsets: give datum: metres pairs")
    for datum, value in offsets.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{where}.datum_offsets.{datum}: give a number of metres")
    dem_datum, tide_datum = spec["dem_datum"], spec["tide_datum"]
    if tide_datum != dem_datum and tide_datum not in offsets:
        raise DataError(
            f"{where}.tide_datum: {tide_datum!r} differs from the DEM's datum {dem_datum!r} "
            f"and no offset is given; add datum_offsets: {{{tide_datum}: METRES}} (heights in "
            f"{tide_datum} plus METRES = heights in {dem_datum})"
        )
    tide_offset = 0.0 if tide_datum == dem_datum else float(offsets[tide_datum])
    rise = _metres(spec, "slr", where, HIGH_END_RISE_M, "the high-end estimate of the rise by 2300")
    if rise < 0:
        raise ConfigError(f"{where}.slr: sea-level rise must be >= 0 m")
    tide = _metres(
        spec, "high_tide", where, HIGHEST_TIDE_M, "the largest tidal range on Earth (Bay of Fundy)"
    )
    level = tide + tide_offset + rise  # each in the DEM's datum; a rise is one in any datum
    note = (
        f"water level {level:.3f} m in {dem_datum}: high tide {tide:g} m in {tide_datum} "
        f"(offset {tide_offset:+g} m to {dem_datum}) + sea-level rise {rise:g} m since "
        f"{spec['slr_baseline']} (a change of level, the same in every datum), connected "
        "to the sea"
    )
    return level, note


def read_sea_level_rise(spec: dict, base_dir, where: str):
    """A relocation hazard set: inundation depth with the DEM as given, -1 m and +1 m.

    The DEM is read as ``mecc hazard flood`` reads it (``hazards.flood``): heights in the
    unit it states (feet converted to metres, a unit that is no length refused) and
    heights below ``hazards.heights.LOWEST_GROUND_M`` refused as undeclared nodata.
    """
    from hazards.flood import default_sea, flood_depth
    from hazards.heights import height_unit_factor, read_heights
    from hazards.readers import HazardSet

    hazard_type = get_hazard_type("sea_level_rise")
    if "dem" not in spec:
        raise ConfigError(f"{where}.dem: missing (the elevation grid)")
    path = os.path.join(os.fspath(base_dir), spec["dem"])
    if not os.path.exists(path):
        raise InputFileError(
            f"{where}.dem: file not found ({path}){did_you_mean(path, spec['dem'])}"
        )
    level, note = water_level(spec, where)
    dem_file = RasterFile(path, f"{where}.dem ({spec['dem']})")
    grid = dem_file.grid
    from rasterio.windows import Window

    factor, unit = height_unit_factor(dem_file)  # feet converted; not a length: refused
    dem = read_heights(dem_file, grid, factor, "elevation", "dem")[0]  # below -500 m: refused
    if factor != 1.0:
        note += f"; DEM heights in {unit} converted to metres (x {factor:.6g})"
    sources = None
    if spec.get("sources"):
        source_path = os.path.join(os.fspath(base_dir), spec["sources"])
        mask_file = RasterFile(source_path, f"{where}.sources ({spec['sources']})")
        if not mask_file.grid.same_as(grid):
            raise DataError(f"{where}.sources: must be on the DEM's grid")
        raw = mask_file.read([1], Window(0, 0, grid.width, grid.height))[0]
        sources = np.nan_to_num(raw) != 0
    connectivity = spec.get("connectivity", 8)
    if sources is None:
        sources = default_sea(dem, connectivity)
    depths = [
        flood_depth(
            dem + shift, grid, water_level=level, sources=sources, connectivity=connectivity
        )
        for shift in (0.0, -DEM_OFFSET_M, DEM_OFFSET_M)
    ]
    bands = pd.DataFrame(
        {"band": ["dem", f"dem_minus_{DEM_OFFSET_M:g}m", f"dem_plus_{DEM_OFFSET_M:g}m"]}
    )
    source = ArraySource(grid, np.stack(depths), f"{where} inundation")
    relocation = Curve(
        "permanent inundation", (0.0, 0.0), (0.0, 1.0), unit="m", source=RELOCATION_SOURCE
    )  # any depth > 0: everyone in a cell the connected sea covers
    return HazardSet(
        id=spec["id"],
        hazard_type=hazard_type,
        kind="relocation",
        bands=bands,
        layers=[(source, 1), (source, 2), (source, 3)],
        curve=relocation,
        exposure_threshold=0.0,
        scenario=note,
        period=None if spec.get("period") is None else str(spec.get("period")),
        inputs=[path],
        curves={"central": relocation},
        conversion=note,
        unit_source="mecc (inundation depths computed from the DEM)",
    )


def check_drought_classes(classes, where: str) -> None:
    """Refuse drought classes that would lose or misplace people, naming the key.

    ``classes`` gives ``bounds`` (the deficit, -SPEI, each class starts at: numbers that
    increase, above 0 and at most the drought type's valid range's top, 5) and ``names``
    (one per bound, each used once: classes are kept by name, so a repeated name kept
    only the last class of that name and its people vanished from the tables).

    Parameters
    ----------
    classes : dict
        The hazard entry's ``classes``.
    where : str
        How errors name it (``run.yaml.hazards[0].classes``).

    Raises
    ------
    ConfigError
        One line naming the key, e.g. ``run.yaml.hazards[0].classes.bounds[1]: ...``; a
        misspelt key with the closest known one.
    """
    low, high = get_hazard_type("drought").valid_range
    if not isinstance(classes, dict):
        raise ConfigError(f"{where}: expected a mapping of bounds and names, got {classes!r}")
    for key in classes:
        if key not in CLASS_KEYS:
            close = difflib.get_close_matches(str(key), CLASS_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "known keys: bounds, names"
            raise ConfigError(f"{where}: unknown key {key!r}; {hint}")
    for key in CLASS_KEYS:
        if not isinstance(classes.get(key), list) or not classes[key]:
            raise ConfigError(
                f"{where}.{key}: give a list (bounds: the deficit each class starts at; "
                f"names: one per bound), not {classes.get(key)!r}"
            )
    bounds, names = classes["bounds"], classes["names"]
    for k, bound in enumerate(bounds):
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise ConfigError(f"{where}.bounds[{k}]: expected a number, got {bound!r}")
        if not low < bound <= high:
            raise ConfigError(
                f"{where}.bounds[{k}]: {bound:g} is outside drought's valid range: a bound is "
                f"a deficit (-SPEI, drier is larger) above {low:g} and at most {high:g}"
            )
        if k and bound <= bounds[k - 1]:
            raise ConfigError(
                f"{where}.bounds[{k}]: {bound:g} after {bounds[k - 1]:g}; the bounds must "
                "increase (each class runs from its bound to the next)"
            )
    if len(names) != len(bounds):
        raise ConfigError(
            f"{where}.names: {len(names)} name(s) for {len(bounds)} bound(s); give one name "
            "per bound"
        )
    for k, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.names[{k}]: expected a class name (text), got {name!r}")
        if name in names[:k]:
            raise ConfigError(
                f"{where}.names[{k}]: {name!r} names two classes; give each class its own "
                "name (a class is kept by name: one of them would be lost)"
            )


def drought_curves(classes=None, where: str = "drought classes") -> dict:
    """One indicator curve per severity class: 1 inside the class, 0 elsewhere.

    ``classes`` (default :data:`DROUGHT_CLASSES`) is checked by
    :func:`check_drought_classes`, errors naming it ``where``.
    """
    classes = classes or DROUGHT_CLASSES
    check_drought_classes(classes, where)
    bounds = [float(b) for b in classes["bounds"]]
    names = list(classes["names"])
    curves = {}
    for k, name in enumerate(names):
        upper = bounds[k + 1] if k + 1 < len(bounds) else None
        points = [0.0, bounds[k]] + ([upper] if upper is not None else [])
        shares = [0.0, 1.0] + ([0.0] if upper is not None else [])
        curves[name] = Curve(
            f"drought {name}", tuple(points), tuple(shares), kind="step", unit="-SPEI"
        )
    return curves


SIGN_SAMPLE = 1024
"""Most rows and columns of a drought grid read to check the sign of its values."""


def drought_sign_problem(hazard, label: str) -> str | None:
    """A warning when a drought grid looks like SPEI with drought negative, else None.

    The classes read -SPEI (drier is larger, e.g. moderate from 1), so an ordinary SPEI
    grid (drought negative) puts nobody in a class. The grid is taken for one when most
    of the cells read (at most :data:`SIGN_SAMPLE` rows and columns, evenly spaced) are
    below 0 after the unit conversion and some reach the first class bound's negative.
    The values are never negated silently: ``unit: SPEI`` (or a negated grid) does it.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
        A drought set (one band, its ``curves`` the severity classes).
    label : str
        How the message names the grid (the run file, hazard and file).
    """
    from rasterio.windows import Window

    source, band = hazard.layers[0]
    height, width = source.grid.height, source.grid.width
    rows = np.unique(np.linspace(0, height - 1, min(height, SIGN_SAMPLE)).round().astype(int))
    cols = np.unique(np.linspace(0, width - 1, min(width, SIGN_SAMPLE)).round().astype(int))
    extreme = getattr(source, "extreme_cells", None)  # reading counts them: keep the count
    try:
        if rows.size == height and cols.size == width:
            values = source.read([band], Window(0, 0, width, height))[0]
        else:
            values = np.stack(
                [source.read([band], Window(0, r, width, 1))[0, 0, cols] for r in rows]
            )
    finally:
        if extreme is not None:
            source.extreme_cells = extreme
    values = values[np.isfinite(values)] * hazard.unit_factor
    name, curve = next(iter(hazard.curves.items()))
    bound = curve.intensity[1]  # the first class: -SPEI from this bound
    if values.size == 0 or np.mean(values < 0) <= 0.5 or values.min() > -bound:
        return None
    return (
        f"{label}: {np.mean(values < 0):.0%} of the cells read are below 0 (down to "
        f"{values.min():g}): the grid looks like SPEI with drought negative, but the drought "
        f"classes read -SPEI (drier is larger, {name} from {bound:g}), so its drought counts "
        "as none; give unit: SPEI to read it with the sign reversed, or negate the grid"
    )


def warn_drought_sign(hazard, label: str) -> None:
    """Warn (a :class:`~mecc.errors.MeccWarning`, recorded by runs) with
    :func:`drought_sign_problem`'s message, if any."""
    import warnings

    message = drought_sign_problem(hazard, label)
    if message:
        warnings.warn(message, MeccWarning, stacklevel=2)
