"""Population from admin tables: census counts per unit spread over a grid.

Officials often have a census table (people per municipality), not a population grid.
:func:`spread_counts` puts each unit's count on the cells of its polygon:

- **uniformly** over the cells whose centre lies in the unit (the same cell-centre rule
  as the run's zones, so a run on the result gives each unit its census count back), or
- **weighted** by a settlement / built-up grid when one is given (a unit whose cells all
  have zero weight falls back to uniform, with a note);
- a unit too small to contain any cell centre puts its people in the cell containing its
  representative point (``shapely.point_on_surface``). A run zoned by cell centre gives
  such a unit no cell, so its people count in the unit whose cell that is, or outside
  every unit (``population_outside_zones``) when the cell's centre lies in none (a small
  island); the tool's warning says which, per unit.

Every unit's total is conserved to rounding (float64; checked to 1e-9 relative), so the
grid is written as float64. Duplicate codes in the table are summed with a warning;
units without a table row are reported, never guessed, and so are rows of other levels
(the country, a province: a code that is a prefix of units' codes, or a unit of another
layer of the boundaries file). A row whose code is no unit at any level (a typo) is
refused, naming its row (:mod:`exposure.census_codes`): its people would be lost.
:func:`write_census_population` is the tool (file paths in, a GeoTIFF out).
"""

from __future__ import annotations

import json
import math
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from exposure.census_codes import (
    code_rows,
    listed,
    other_layer_codes,
    read_census_table,
    refuse_codes,
    split_codes,
    warn_note,
)
from exposure.zone_cells import in_grid_longitudes
from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    MeccWarning,
    NoOverlapError,
    did_you_mean,
)
from mecc.grid import GridSpec
from mecc.raster_file import check_output_file, raster_tags

__all__ = [
    "CensusReport",
    "census_grid",
    "read_census_table",
    "spread_counts",
    "write_census_population",
]

CONSERVATION_TOLERANCE = 1e-9
"""Largest relative difference allowed between a unit's table count and its cells' sum."""

METHOD = "census counts per unit spread over the cells whose centre lies in the unit"
"""How the ``method`` tag of the grids of :func:`write_census_population` begins (its mark)."""


@dataclass
class CensusReport:
    """What :func:`write_census_population` did.

    Attributes
    ----------
    out_path : Path
    grid : GridSpec
    units : DataFrame
        One row per unit of the polygon layer: ``code``, ``name``, ``table_count``
        (NaN without a row), ``placed`` (people put on the grid), ``cells`` (cells whose
        centre lies in the unit) and ``method`` (``uniform``, ``weighted``,
        ``uniform (zero weights)``, ``representative point``, ``outside the grid`` or
        ``no table row``).
    rows_without_unit : list of str
        Table codes that match no unit (their people are not on the grid).
    units_without_row : list of str
    duplicate_codes : dict
        Table code -> number of rows summed.
    table_total, placed_total : float
    notes : list of str
        Every warning, in plain words.
    """

    out_path: Path
    grid: GridSpec
    units: pd.DataFrame
    rows_without_unit: list = field(default_factory=list)
    units_without_row: list = field(default_factory=list)
    duplicate_codes: dict = field(default_factory=dict)
    table_total: float = 0.0
    placed_total: float = 0.0
    notes: list = field(default_factory=list)


# ------------------------------------------------------------------------ the grid


def census_grid(bounds, resolution: float, crs) -> GridSpec:
    """A grid of ``resolution`` covering ``bounds``, its edges on multiples of the resolution."""
    from affine import Affine

    if isinstance(resolution, bool) or not isinstance(resolution, int | float):
        raise ConfigError(f"resolution: give a number, got {resolution!r}")
    resolution = float(resolution)
    if not math.isfinite(resolution) or resolution <= 0:
        raise ConfigError(f"resolution: must be a positive number, got {resolution:g}")
    left, bottom, right, top = (float(v) for v in bounds)
    col0 = math.floor(left / resolution + 1e-9)
    col1 = math.ceil(right / resolution - 1e-9)
    row0 = math.floor(bottom / resolution + 1e-9)
    row1 = math.ceil(top / resolution - 1e-9)
    extent = max(right - left, top - bottom)
    if extent > 0 and resolution > extent:
        unit, name = _crs_units(crs)
        raise ConfigError(
            f"resolution: {resolution:g} is larger than the zones' extent ({right - left:.6g} x "
            f"{top - bottom:.6g} {unit}); give it in the units of the zones' CRS ({unit}, {name})"
        )
    width, height = max(col1 - col0, 1), max(row1 - row0, 1)
    if width * height > 400_000_000:
        raise ConfigError(
            f"resolution {resolution:g} makes {width} x {height} cells; check its units"
        )
    transform = Affine(resolution, 0.0, col0 * resolution, 0.0, -resolution, row1 * resolution)
    return GridSpec(crs, transform, width, height)


def _crs_units(crs) -> tuple[str, str]:
    """``(unit, name)`` of a CRS: its axes' unit as people say it ("degrees", "metres")."""
    import pyproj

    try:
        parsed = pyproj.CRS.from_user_input(crs)
        unit = parsed.axis_info[0].unit_name
    except (pyproj.exceptions.CRSError, IndexError, TypeError):
        return "units", str(crs)
    plural = {"degree": "degrees", "metre": "metres", "meter": "metres", "foot": "feet"}
    code = parsed.to_epsg()
    return plural.get(unit, unit), f"EPSG:{code}" if code else parsed.name


# ----------------------------------------------------------------- the array layer


def spread_counts(
    unit_index: np.ndarray,
    totals: np.ndarray,
    weights: np.ndarray | None = None,
    fallback_cells: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spread ``totals[k]`` over the cells where ``unit_index == k``.

    Parameters
    ----------
    unit_index : int ndarray (h, w)
        Unit of each cell; negative (or ``>= len(totals)``) for cells in no unit.
    totals : float ndarray (n,)
        People per unit, finite and >= 0 (NaN = no count: the unit stays empty).
    weights : float ndarray (h, w), optional
        Relative weights (>= 0; NaN counts as 0). A unit whose cells all weigh 0 is
        spread uniformly instead.
    fallback_cells : int ndarray (n, 2), optional
        ``(row, col)`` for units without any cell (``-1`` = none): the whole count goes
        there.

    Returns
    -------
    values : float64 ndarray (h, w)
    method : int ndarray (n,)
        0 uniform, 1 weighted, 2 uniform because every weight was 0, 3 fallback cell,
        4 not placed (no cell and no fallback, or no count).
    placed : float64 ndarray (n,)
        People each unit put on the grid (equal to its total up to rounding, or 0).

    Raises
    ------
    DataError
        A negative or infinite total, a negative weight, weights not of the grid's shape.
    """
    index = np.asarray(unit_index)
    totals = np.asarray(totals, dtype=np.float64)
    bad = np.isinf(totals) | (totals < 0)  # one pass over the units; NaN = no count
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(f"totals: unit {k} has {totals[k]:g} people, not a finite count >= 0")
    n = totals.size
    flat = index.ravel().astype(np.int64)
    inside = (flat >= 0) & (flat < n)
    cells = np.bincount(flat[inside], minlength=n)
    if weights is None:
        w = np.ones(flat.shape)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != flat.shape:
            raise DataError("weights must have the shape of the grid")
        w = np.where(np.isfinite(w), w, 0.0)
        if (w < 0).any():
            raise DataError("weights must not be negative")
    weight_sum = np.bincount(flat[inside], weights=w[inside], minlength=n)
    zero_weight = (cells > 0) & (weight_sum <= 0)
    if zero_weight.any():  # uniform inside those units
        fix = inside & zero_weight[np.where(inside, flat, 0)]
        w = w.copy()
        w[fix] = 1.0
        weight_sum = np.bincount(flat[inside], weights=w[inside], minlength=n)
    counts = np.where(np.isfinite(totals), totals, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_weight = np.where(weight_sum > 0, counts / weight_sum, 0.0)
    values = np.zeros(flat.shape, dtype=np.float64)
    values[inside] = w[inside] * per_weight[flat[inside]]
    placed = np.bincount(flat[inside], weights=values[inside], minlength=n)
    values = values.reshape(index.shape)
    method = np.where(cells > 0, 0 if weights is None else 1, 4).astype(np.int64)
    method[zero_weight] = 2
    if fallback_cells is not None:
        fallback = np.asarray(fallback_cells, dtype=np.int64).reshape(n, 2)
        h, wd = index.shape
        for k in np.flatnonzero(cells == 0):
            r, c = fallback[k]
            if 0 <= r < h and 0 <= c < wd:
                values[r, c] += counts[k]
                placed[k] = counts[k]
                method[k] = 3
    method[~np.isfinite(totals)] = 4
    return values, method, placed


METHODS = {
    0: "uniform",
    1: "weighted",
    2: "uniform (zero weights)",
    3: "representative point",
    4: "outside the grid",
}


# ------------------------------------------------------------------------ the tool


def _read_weights(path, grid: GridSpec) -> np.ndarray:
    from rasterio.windows import Window

    from mecc.grid import AlignedBands
    from mecc.raster_file import RasterFile

    source = RasterFile(path, f"weights ({os.fspath(path)})")
    bands = AlignedBands([(source, 1)], grid, "nearest", label=f"weights ({os.fspath(path)})")
    values = bands.read(Window(0, 0, grid.width, grid.height))[0]
    if (values[np.isfinite(values)] < 0).any():
        raise DataError(f"weights ({os.fspath(path)}): negative values")
    return values


def _check_out(path, overwrite: bool, inputs: dict) -> Path:
    """:func:`check_output_file`: never an input; ``overwrite`` replaces only our own grid."""
    return check_output_file(
        path, overwrite, inputs=inputs, generated=_census_grid, kind="census population grid"
    )


def _census_grid(path) -> bool:
    """Whether ``path`` is a grid :func:`write_census_population` wrote (by its tags)."""
    tags = raster_tags(path) or {}
    return tags.get("measure") == "people per cell" and tags.get("method", "").startswith(METHOD)


def _write_grid(path: Path, grid: GridSpec, values: np.ndarray, tags: dict, overwrite, inputs):
    import rasterio

    _check_out(path, overwrite, inputs)
    staging = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    tiled = grid.width >= 256 and grid.height >= 256
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "float64",
        "crs": grid.crs,
        "transform": grid.transform,
        "tiled": tiled,
        "compress": "zstd",
        "predictor": 3,
        "BIGTIFF": "IF_SAFER",
    }
    if tiled:
        profile.update(blockxsize=256, blockysize=256)
    try:
        with rasterio.open(staging, "w", **profile) as dataset:
            dataset.write(values, 1)
            dataset.set_band_description(1, "people per cell")
            dataset.update_tags(**tags)
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()


def write_census_population(
    zones_path,
    table_path,
    out_tif,
    *,
    code_field: str,
    table_code: str,
    table_value: str,
    resolution: float | None = None,
    like=None,
    weights=None,
    name_field: str | None = None,
    layer: str | None = None,
    overwrite: bool = False,
) -> CensusReport:
    """Spread a census table over its units' polygons and write a population GeoTIFF.

    Parameters
    ----------
    zones_path : path
        Polygons of the units (GeoJSON, GeoPackage with ``layer``, shapefile).
    table_path : path
        CSV with one row per unit (duplicate codes are summed, with a warning).
    out_tif : path
        Float64 GeoTIFF of people per cell (0 outside every unit).
    code_field : str
        The units' code field in ``zones_path``.
    table_code, table_value : str
        Code and count columns of the table.
    resolution : float, optional
        Cell size in the units' CRS (a grid covering every unit), at most their extent
        (metres given for degrees are refused); or ``like``.
    like : path, optional
        A raster whose grid is copied; one holding none of the units is refused.
    weights : path, optional
        A settlement / built-up raster: people are spread in proportion to it (sampled
        at each cell centre, nearest cell, when on another grid).

    Raises
    ------
    DataError
        Among others: a table code that is no unit at any level (not a unit of the
        layer, nor a prefix of one, nor a unit of the file's other layers), naming its
        rows of the file; nothing is written.
    """
    import rasterio.features
    import shapely

    from exposure.zones import read_zone_level

    inputs = {"ZONES": zones_path, "TABLE": table_path, "--like": like, "--weights": weights}
    out_path = _check_out(Path(out_tif), overwrite, inputs)
    if resolution is not None and like is not None:
        raise ConfigError("give either a resolution or a grid to copy (--like), not both")
    if resolution is None and like is None:
        raise ConfigError("give a resolution (in the units' CRS) or a grid to copy (--like)")
    notes: list[str] = []
    spec = {"path": os.fspath(zones_path), "code_field": code_field, "name_field": name_field}
    if layer is not None:
        spec["layer"] = layer
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeccWarning)
        level = read_zone_level(spec, "", f"zones ({Path(zones_path).name})")
    notes.extend(str(w.message) for w in caught if issubclass(w.category, MeccWarning))
    for message in notes:
        warnings.warn(message, MeccWarning, stacklevel=2)
    counts, duplicates = read_census_table(table_path, table_code, table_value, notes)

    grid = _target_grid(level, resolution, like)
    geometry = level.geometry.to_crs(grid.crs)  # burnt in the grid's longitudes (0-360)
    geoms = in_grid_longitudes(geometry.to_numpy(), grid)
    n = len(level.codes)
    index = rasterio.features.rasterize(
        ((geoms[k], k) for k in range(n) if geoms[k] is not None and not geoms[k].is_empty),
        out_shape=grid.shape,
        transform=grid.transform,
        fill=-1,
        all_touched=False,
        dtype="int32",
    )
    points = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(points), shapely.get_y(points)  # NaN for empty geometries
    inv = ~grid.transform
    cols = np.floor(inv.a * x + inv.b * y + inv.c)
    rows = np.floor(inv.d * x + inv.e * y + inv.f)
    ok = np.isfinite(cols) & np.isfinite(rows)
    fallback = np.full((n, 2), -1, dtype=np.int64)
    fallback[ok] = np.column_stack([rows[ok], cols[ok]]).astype(np.int64)

    code_index = {code: k for k, code in enumerate(level.codes)}
    totals = np.full(n, np.nan)
    matched = [c for c in counts.index if c in code_index]
    totals[[code_index[c] for c in matched]] = counts.loc[matched].to_numpy()
    rows_without_unit = [str(c) for c in counts.index if c not in code_index]
    units_without_row = [code for code, t in zip(level.codes, totals, strict=True) if np.isnan(t)]
    if not matched:  # a code format mismatch: nothing would be placed (an all-zero grid)
        raise DataError(
            f"{Path(table_path).name}: no code is a unit of {Path(zones_path).name} (the table "
            f"has {listed(rows_without_unit, 3)}; the units have {listed(level.codes, 3)}); "
            "check the code format (case, leading zeros, a country prefix)"
        )
    for code in list(rows_without_unit):  # a "Total" row: the sum of the other rows
        others = float(counts.drop(code).sum())
        if others > 0 and abs(float(counts[code]) - others) <= max(0.5, 1e-9 * others):
            warn_note(
                notes,
                f"{Path(table_path).name}: row {code} ({float(counts[code]):,.0f} people) is "
                "the sum of the other rows: read as a total and left out",
            )
            counts = counts.drop(code)
            rows_without_unit.remove(code)
    zones_of = (zones_path, layer, code_field)
    _refuse_codes_of_no_unit(rows_without_unit, level.codes, zones_of, table_path, table_code)
    if rows_without_unit:  # codes of other levels (XMR, XMR01 of XMR0101): left out
        warn_note(
            notes,
            f"{Path(table_path).name}: {len(rows_without_unit)} row(s) match no unit of "
            f"{Path(zones_path).name} (codes of other levels); their "
            f"{counts.loc[rows_without_unit].sum():,.0f} people are not on the grid "
            f"({listed(rows_without_unit)})",
        )
    if units_without_row:
        warn_note(
            notes,
            f"{Path(zones_path).name}: {len(units_without_row)} unit(s) have no row in "
            f"{Path(table_path).name} and get no people ({listed(units_without_row)})",
        )

    cells = np.bincount(index[index >= 0].ravel(), minlength=n)
    on_grid = (cells > 0) | ((fallback >= 0) & (fallback < grid.shape)).all(axis=1)
    if not on_grid[np.isfinite(totals)].any():  # an all-zero grid: refuse it
        shown = ", ".join(f"{v:.6g}" for v in grid.bounds)
        units = ", ".join(f"{v:.6g}" for v in geometry.total_bounds)
        source = f"like ({like})" if like is not None else "the grid"
        raise NoOverlapError(
            f"{source}: the grid ({shown}) holds none of the units of {Path(zones_path).name} "
            f"with a count ({units} in the grid's CRS), so no one would be on it; give a grid "
            "that covers the units"
        )
    weight_values = _read_weights(weights, grid) if weights is not None else None
    values, method, placed = spread_counts(index, totals, weight_values, fallback)

    finite = np.isfinite(totals) & (method != 4)
    if finite.any():
        error = np.abs(placed[finite] - totals[finite]) / np.maximum(totals[finite], 1e-300)
        worst = float(error.max())
        if worst > CONSERVATION_TOLERANCE:  # would be a bug
            raise DataError(f"census spread lost people (relative error {worst:.3g})")

    labels = [METHODS[int(m)] for m in method]
    labels = ["no table row" if np.isnan(t) else lab for t, lab in zip(totals, labels, strict=True)]
    tiny = [level.codes[k] for k in np.flatnonzero(method == 3)]
    lost = [level.codes[k] for k in np.flatnonzero((method == 4) & np.isfinite(totals))]
    zero_weight = [level.codes[k] for k in np.flatnonzero(method == 2)]
    if tiny:
        warn_note(
            notes, _tiny_units_note(np.flatnonzero(method == 3), fallback, index, totals, level)
        )
    if zero_weight:
        warn_note(
            notes,
            f"{len(zero_weight)} unit(s) have zero weight on every cell and were spread "
            f"uniformly ({listed(zero_weight)})",
        )
    if lost:
        warn_note(
            notes,
            f"{len(lost)} unit(s) lie outside the grid; their people are not on it "
            f"({listed(lost)})",
        )
    units = pd.DataFrame(
        {
            "code": level.codes,
            "name": level.names,
            "table_count": totals,
            "placed": placed,
            "cells": cells,
            "method": labels,
        }
    )
    table_total = float(counts.sum())
    placed_total = float(values.sum())
    tags = {
        "measure": "people per cell",
        "unit": "people",
        "method": (
            f"{METHOD} "
            + ("in proportion to the weights grid" if weights is not None else "uniformly")
            + "; units without a cell centre: the cell holding their representative point"
        ),
        "zones": f"{Path(zones_path).name} ({code_field})",
        "table": f"{Path(table_path).name} ({table_code}, {table_value})",
        "weights": Path(weights).name if weights is not None else "none",
        "summary": json.dumps(
            {
                "units": n,
                "table_rows": int(counts.size),
                "table_total": table_total,
                "placed_total": placed_total,
                "units_without_row": len(units_without_row),
                "rows_without_unit": len(rows_without_unit),
                "duplicate_codes": duplicates,
                "representative_point_units": len(tiny),
            }
        ),
    }
    _write_grid(out_path, grid, values, tags, overwrite, inputs)
    found = (rows_without_unit, units_without_row, duplicates, table_total, placed_total, notes)
    return CensusReport(out_path, grid, units, *found)


def _refuse_codes_of_no_unit(codes, units, zones_of, table_path, table_code) -> None:
    """Refuse table codes that are no unit at any level: neither a unit of the layer, nor
    a parent of one (a prefix of a unit's code: the country, a province), nor a unit of
    the file's other layers (:mod:`exposure.census_codes`); their people would be lost."""
    _, no_level = split_codes(codes, units)
    if not no_level:
        return
    zones_path, layer, code_field = zones_of
    others = other_layer_codes(zones_path, layer, code_field)
    no_level = [code for code in no_level if code not in others]
    name = Path(table_path).name
    rows = code_rows(table_path, table_code, no_level, "census table", name) if no_level else {}
    shown = Path(zones_path).name + (f" (layer {layer})" if layer else "")
    refuse_codes(no_level, rows, f"{name}: column {table_code}", [*units, *others], shown)


def _tiny_units_note(tiny, fallback, index, totals, level) -> str:
    """What a run on the grid does with the people of units holding no cell centre.

    Their people are in the cell holding their representative point; the run's zones
    (cell centres, as ``index``) give that cell to the unit holding its centre, or to no
    unit (``population_outside_zones``): e.g. a small island's cell centre in the sea.
    """
    codes = [level.codes[k] for k in tiny]
    hosts = [int(index[fallback[k, 0], fallback[k, 1]]) for k in tiny]
    outside = [(c, k) for c, k, h in zip(codes, tiny, hosts, strict=True) if h < 0]
    inside = [(c, k, h) for c, k, h in zip(codes, tiny, hosts, strict=True) if h >= 0]
    parts = []
    if outside:
        people = float(sum(totals[k] for _, k in outside))
        parts.append(
            f"outside every unit ({people:,.0f} people of {listed(c for c, _ in outside)}: "
            "the __outside__ row of zones.csv, population_outside_zones in summary.json)"
        )
    if inside:
        people = float(sum(totals[k] for _, k, _ in inside))
        pairs = (f"{c} in {level.codes[h]}" for c, _, h in inside)
        parts.append(f"in the unit holding that cell ({people:,.0f} people: {listed(pairs)})")
    return (
        f"{len(codes)} unit(s) hold no cell centre; their people were put in the cell holding "
        f"their representative point ({listed(codes)}); a run zoned by cell centre on this grid "
        "gives these units no cell (their figures blank: not known, not 0) and counts their people "
        + " and ".join(parts)
    )


def _target_grid(level, resolution, like) -> GridSpec:
    if like is not None:
        import rasterio

        if not os.path.exists(like):
            raise InputFileError(f"like: file not found ({like}){did_you_mean(like)}")
        try:
            with rasterio.open(like) as dataset:
                return GridSpec.from_dataset(dataset, f"like ({like})")
        except rasterio.errors.RasterioIOError as error:
            raise InputFileError(f"like ({like}): cannot read raster ({error})") from None
    crs = level.geometry.crs
    return census_grid(level.geometry.total_bounds, resolution, crs)
