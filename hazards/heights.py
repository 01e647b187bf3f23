"""Height grids (a DEM, a height-above-drainage grid) read in metres, checked.

Used by the flood generator (:mod:`hazards.flood`) and the sea-level-rise generator
(:mod:`hazards.slow_onset`), so both read heights the same way:

- Units: a grid stating feet (GDAL band unit or a ``unit`` / ``units`` tag) is
  converted to metres, another unit refused, a grid stating none read as metres.
- Undeclared nodata: heights below -500 m are refused. The lowest land on Earth is the
  Dead Sea shore, about -430 m (NASA Earth Observatory, "Dead Sea", and the Dead Sea's
  level in the 2010s: about -430 m below mean sea level), so such values are voids
  written without a nodata declaration, such as SRTM's -32768 or -9999. Read as ground
  they give depths of thousands of metres and act as sea or channel cells; the message
  names the file, the value and how to declare it (``gdal_edit.py -a_nodata VALUE
  file.tif``).
"""

from __future__ import annotations

import numpy as np

from mecc.errors import DataError
from mecc.grid import AlignedBands, GridSpec
from mecc.raster_file import RasterFile

__all__ = ["HEIGHT_UNITS", "LOWEST_GROUND_M", "height_unit_factor", "read_heights", "read_on_grid"]

LOWEST_GROUND_M = -500.0
"""Heights below this (m) are refused as undeclared nodata: the lowest land on Earth,
the Dead Sea shore, is about -430 m (see the module docstring)."""


def read_on_grid(raster: RasterFile, grid: GridSpec, resampling: str, role: str) -> np.ndarray:
    """The whole first band on ``grid`` (flood fills are global: one array in memory);
    errors name ``role`` ("dem", "river"...) and the path (added by AlignedBands)."""
    from rasterio.windows import Window

    window = Window(0, 0, grid.width, grid.height)
    if raster.grid.same_as(grid):
        return raster.read([1], window)[0]
    return AlignedBands([(raster, 1)], grid, resampling, role).read(window)[0]


HEIGHT_UNITS = {"m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0}
HEIGHT_UNITS |= {"ft": 0.3048, "foot": 0.3048, "feet": 0.3048, "international foot": 0.3048}
HEIGHT_UNITS |= {"us survey foot": 1200 / 3937, "us_survey_foot": 1200 / 3937, "ftus": 1200 / 3937}
"""Metres per unit of the heights a DEM or HAND grid may state (GDAL band unit or a
``unit``/``units`` tag); a grid stating no unit is read as metres."""


def height_unit_factor(raster: RasterFile) -> tuple[float, str | None]:
    """``(factor, unit)`` turning a height grid's values into metres; refuses a unit that
    is not a length (a DEM in feet was read as metres: depths 3.3 times too small)."""
    import rasterio

    with rasterio.open(raster.path) as dataset:
        tags = dataset.tags()
        stated = [dataset.units[0] if dataset.units else None, tags.get("unit"), tags.get("units")]
    unit = next((str(u).strip() for u in stated if u and str(u).strip()), None)
    if unit is None:
        return 1.0, None
    factor = HEIGHT_UNITS.get(unit.lower())
    if factor is None:
        raise DataError(
            f"{raster.label}: its heights are in {unit!r}; give them in metres or feet "
            "(m, ft, US survey foot)"
        )
    return factor, unit


def read_heights(raster: RasterFile, grid: GridSpec, factor: float, what: str, role: str):
    """A DEM or HAND file's heights in metres ``(on its own grid, on grid)`` (bilinear
    where the grids differ; the same array when they do not), read once; heights below
    :data:`LOWEST_GROUND_M` are refused first, on the file's own grid and in its own
    unit: voids written without a nodata declaration."""
    from rasterio.windows import Window

    own = raster.read([1], Window(0, 0, raster.grid.width, raster.grid.height))[0]
    with np.errstate(invalid="ignore"):
        low = own * factor < LOWEST_GROUND_M
    if low.any():
        row, col = (int(i) for i in np.unravel_index(int(np.argmax(low)), low.shape))
        value = own[row, col]  # as the file writes it
        raise DataError(
            f"{raster.label}: {what} value {value:g} (row {row + 1}, column {col + 1}, "
            f"{int(low.sum())} cell(s)) is below {LOWEST_GROUND_M:g} m, lower than any land "
            "on Earth (the Dead Sea shore is about -430 m): an undeclared nodata value? "
            f"declare it, e.g. gdal_edit.py -a_nodata {value:g} {raster.path}"
        )
    own = own * factor
    if raster.grid.same_as(grid):
        return own, own
    return own, read_on_grid(raster, grid, "bilinear", role) * factor
