"""Slow-onset hazards: sea-level rise (planned relocation) and drought (exposure only).

Sea-level rise: the permanent inundation of a DEM by the sea at high tide plus a rise,
only where connected to the sea (``hazards.flood``), gives the people "at risk of
planned relocation" — a planning figure, distinct from event displacement. Vertical
datums are explicit: the DEM's (``dem_datum``), the high tide's (``tide_datum``) and the
rise's baseline (``slr_baseline``); a datum other than the DEM's needs a stated offset
(``datum_offsets``, metres added to heights in that datum to express them in the DEM's),
otherwise the run stops (exit 1). The high tide is its height above ``tide_datum``;
when ``slr_baseline`` is another datum, both are taken as mean sea levels of different
epochs and the rise counts from the baseline's. Because global DEMs overstate coastal heights by
metres, the figure is also computed with the DEM lowered and raised by 1 m (the ``high``
and ``low`` ends of its range).

Drought: people in cells of each severity class of a drought index, no displacement
curve. Classes follow McKee, Doesken and Kleist (1993) for the SPI (moderate -1.0 to
-1.5, severe -1.5 to -2.0, extreme below -2.0), expressed as a deficit (the index with
its sign reversed, so drier is larger).
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np
import pandas as pd

from hazards.catalogue import get_hazard_type
from hazards.curves import Curve
from mecc.errors import ConfigError, DataError, InputFileError, MeccWarning, did_you_mean
from mecc.raster_file import RasterFile

__all__ = [
    "ArraySource",
    "DROUGHT_CLASSES",
    "drought_curves",
    "read_sea_level_rise",
    "warn_drought_sign",
]

DEM_OFFSET_M = 1.0
"""How far the DEM is lowered and raised for the range of the relocation figure."""

DROUGHT_CLASSES = {"bounds": [1.0, 1.5, 2.0], "names": ["moderate", "severe", "extreme"]}


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


def _metres(spec, key, where) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: give a number of metres")
    return float(value)


def water_level(spec: dict, where: str) -> tuple[float, str]:
    """High tide plus the rise, in the DEM's datum, and a sentence saying how."""
    for key in ("dem_datum", "tide_datum", "slr_baseline"):
        if not isinstance(spec.get(key), str) or not spec.get(key):
            raise ConfigError(
                f"{where}.{key}: name the vertical datum (e.g. EGM2008, MSL 1995-2014)"
            )
    offsets = spec.get("datum_offsets") or {}
    if not isinstance(offsets, dict):
        raise ConfigError(f"{where}.datum_offsets: give datum: metres pairs")
    dem_datum = spec["dem_datum"]

    def offset(datum, key):
        if datum == dem_datum:
            return 0.0
        if datum not in offsets:
            raise DataError(
                f"{where}.{key}: {datum!r} differs from the DEM's datum {dem_datum!r} and no "
                f"offset is given; add datum_offsets: {{{datum}: METRES}} (heights in {datum} "
                f"plus METRES = heights in {dem_datum})"
            )
        value = offsets[datum]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{where}.datum_offsets.{datum}: give a number of metres")
        return float(value)

    tide_offset = offset(spec["tide_datum"], "tide_datum")
    base_offset = offset(spec["slr_baseline"], "slr_baseline")
    rise = _metres(spec, "slr", where)
    if rise < 0:
        raise ConfigError(f"{where}.slr: sea-level rise must be >= 0 m")
    # high tide in the DEM's datum, then the rise of the sea from the tide datum's level:
    # the step from the tide datum to the baseline (both mean sea levels, of different
    # epochs, when they differ) plus the rise from the baseline
    level = _metres(spec, "high_tide", where) + tide_offset + (base_offset - tide_offset) + rise
    note = (
        f"water level {level:.3f} m in {dem_datum}: high tide {spec['high_tide']} m in "
        f"{spec['tide_datum']} (offset {tide_offset:+g} m) + sea-level rise {rise:g} m from "
        f"{spec['slr_baseline']} (offset {base_offset:+g} m), connected to the sea"
    )
    return level, note


def read_sea_level_rise(spec: dict, base_dir, where: str):
    """A relocation hazard set: inundation depth with the DEM as given, -1 m and +1 m."""
    from hazards.flood import default_sea, flood_depth
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

    dem = dem_file.read([1], Window(0, 0, grid.width, grid.height))[0]
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
        "permanent inundation", (0.0, 0.0), (0.0, 1.0), unit="m", source="any depth > 0"
    )
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
    )


def drought_curves(classes=None) -> dict:
    """One indicator curve per severity class: 1 inside the class, 0 elsewhere."""
    classes = classes or DROUGHT_CLASSES
    bounds = [float(b) for b in classes.get("bounds", [])]
    names = [str(n) for n in classes.get("names", [])]
    if (
        not bounds
        or len(bounds) != len(names)
        or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False))
    ):
        raise ConfigError("drought classes: give increasing bounds and one name per bound")
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
