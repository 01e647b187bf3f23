"""Checks of the array layer (:mod:`mecc.arrays`): CRS, grid, nodata, dtype and zones.

Every function reads the caller's objects and never writes to them: values are copied
into new float64 C-ordered arrays (north-up) before the engine sees them. Each check
raises one error of :mod:`mecc.errors` whose one-line message starts with the name of
the argument at fault (``population``, ``hazard``, ``fraction``, ``zones``).

Conventions read (rioxarray's, without importing rioxarray):

- CRS: the coordinate named by the ``grid_mapping`` attribute or encoding (default
  ``spatial_ref``) with a ``crs_wkt`` or ``spatial_ref`` attribute; else ``attrs["crs"]``
  (anything :mod:`pyproj` reads: ``"EPSG:4326"``, WKT, a CRS object); a GeoDataFrame's
  ``.crs``.
- nodata: ``attrs["_FillValue"]``, ``attrs["nodata"]`` or ``attrs["missing_value"]``
  (values still in the array, as ``open_rasterio(..., mask_and_scale=False)`` leaves
  them), NaN, and magnitudes of 1e30 or more (:func:`mecc.grid.mask_missing`, as the
  run reads files).
- grid: dimensions ``y``/``x`` (or ``lat``/``lon``, ``latitude``/``longitude``) with
  coordinates at cell centres, regularly spaced; y descending (north-up) or ascending
  (south-up, flipped here so each value stays with its cell). Regular to the precision of
  their dtype, placed from the first and last centre, by ``mecc run``'s rule for NetCDF
  files (:func:`hazards.netcdf.regular_spacing`): float32 coordinates of a CF file are
  regular only to about 1e-7 of their magnitude.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mecc.errors import (
    AlignmentError,
    ConfigError,
    DataError,
    DuplicateZoneCodeError,
    MeccWarning,
    MissingCRSError,
)

__all__ = [
    "ArrayGrid",
    "IndexZones",
    "Stack",
    "Stored",
    "array_grid",
    "as_engine_order",
    "band_labels",
    "block_shape",
    "check_same_crs",
    "check_same_grid",
    "frame_zones",
    "index_zones",
    "packing",
    "read_crs",
    "resolve_curves",
    "stated_cell",
    "values_north_up",
    "warn_range",
]

Y_NAMES = ("y", "lat", "latitude")
X_NAMES = ("x", "lon", "longitude")
SAME_TOLERANCE = 1e-9
"""Largest difference between two grids' cell placements, as a share of the cell, beyond
the precision of their coordinates (:func:`hazards.netcdf.coordinate_precision`)."""
NODATA_ATTRS = ("_FillValue", "nodata", "missing_value")
SUPPORTED_DTYPES = "float64, float32, float16, integers or booleans"
"""The dtypes the array layer reads (float16 is widened exactly to float32 for the kernels,
and thresholds are compared at float16 as for a float16 grid, :mod:`hazards.precision`)."""


def read_crs(obj, name: str):
    """The CRS of a DataArray or GeoDataFrame as a :class:`pyproj.CRS`, or None.

    Raises
    ------
    MissingCRSError
        When a CRS is stated but pyproj cannot read it.
    """
    import pyproj

    if hasattr(obj, "geometry") and hasattr(obj, "crs"):  # a GeoDataFrame
        value = obj.crs
    else:
        value = None
        mapping = obj.encoding.get("grid_mapping") or obj.attrs.get("grid_mapping")
        for coord in (mapping, "spatial_ref", "crs"):
            if coord and coord in obj.coords:
                attrs = obj.coords[coord].attrs
                value = attrs.get("crs_wkt") or attrs.get("spatial_ref")
                if value:
                    break
        if not value:
            value = obj.attrs.get("crs")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as error:
        reason = str(error).splitlines()[0]
        raise MissingCRSError(
            f"{name}: cannot read its CRS {str(value)[:60]!r} ({reason})"
        ) from None


def check_same_crs(named: dict) -> object:
    """The one CRS of several inputs (``{name: object}``, the first is the reference).

    Raises
    ------
    MissingCRSError
        An input states no CRS.
    AlignmentError
        Two inputs state different CRS (nothing is reprojected here).
    """
    found = {}
    for name, obj in named.items():
        crs = read_crs(obj, name)
        if crs is None:
            where = (
                "a .crs" if hasattr(obj, "geometry") else "a spatial_ref coordinate or attrs['crs']"
            )
            raise MissingCRSError(f"{name}: no CRS (give it {where}, e.g. EPSG:4326)")
        found[name] = crs
    (first, reference), *others = found.items()
    for name, crs in others:
        if not reference.equals(crs, ignore_axis_order=True):
            raise AlignmentError(
                f"{name}: CRS {_short(crs)} differs from {first}'s {_short(reference)}; "
                "reproject it onto the same grid first"
            )
    return reference


def _short(crs) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else repr(crs.name)


@dataclass(frozen=True)
class ArrayGrid:
    """Where the cells of a DataArray lie.

    Attributes
    ----------
    grid : mecc.grid.GridSpec
        The north-up grid (rows from north to south, columns from west to east).
    dims : tuple of str
        The array's dimensions in the order used (extra, y, x).
    flip_y, flip_x : bool
        Whether the array's y runs south to north (x east to west), so its rows
        (columns) are reversed to match ``grid``.
    precision : tuple of float
        How far the x and y coordinates may lie from the centres meant, in CRS units
        (:func:`hazards.netcdf.coordinate_precision`; 0 for a grid's own transform).
    """

    grid: object
    dims: tuple
    flip_y: bool
    flip_x: bool
    precision: tuple = (0.0, 0.0)


def _spatial_dims(da, name: str) -> tuple[str, str]:
    ys = [d for d in da.dims if d in Y_NAMES]
    xs = [d for d in da.dims if d in X_NAMES]
    if len(ys) != 1 or len(xs) != 1:
        raise DataError(
            f"{name}: dimensions {tuple(da.dims)} have no y and x (name them y and x, "
            "lat and lon, or latitude and longitude)"
        )
    return ys[0], xs[0]


def stated_cell(da, name: str) -> tuple[float, float] | None:
    """``(cell width, cell height)`` from a GeoTIFF-like transform the array carries:
    ``attrs["transform"]`` (affine order ``a, b, c, d, e, f``, as ``open_rasterio`` of
    xarray wrote it) or the ``GeoTransform`` of its ``spatial_ref`` coordinate (GDAL
    order, as rioxarray writes it); None when it carries neither."""
    found = None
    value = da.attrs.get("transform")
    if value is not None:
        try:
            a, b, _, d, e, _ = (float(v) for v in list(np.ravel(value))[:6])
        except (TypeError, ValueError):
            raise DataError(
                f"{name}: attrs['transform'] must hold 6 numbers a, b, c, d, e, f"
            ) from None
        found = (a, b, d, e)
    mapping = da.encoding.get("grid_mapping") or da.attrs.get("grid_mapping") or "spatial_ref"
    if found is None and mapping in da.coords and da.coords[mapping].attrs.get("GeoTransform"):
        text = str(da.coords[mapping].attrs["GeoTransform"]).split()
        try:
            _, a, b, _, d, e = (float(v) for v in text[:6])
        except ValueError:
            raise DataError(f"{name}: cannot read the GeoTransform {' '.join(text)!r}") from None
        found = (a, b, d, e)
    if found is None:
        return None
    a, b, d, e = found
    if b != 0 or d != 0 or a == 0 or e == 0 or not np.isfinite([a, e]).all():
        raise AlignmentError(
            f"{name}: its transform is rotated or has no cell size ({a:g}, {b:g}, {d:g}, {e:g})"
        )
    return abs(a), abs(e)


def _axis(da, dim: str, name: str, cell=None) -> tuple[float, float, int, float]:
    """``(first centre, step, size, precision)`` of one regular spatial coordinate (by
    :func:`hazards.netcdf.regular_spacing`, as ``mecc run`` reads a NetCDF file); ``cell``
    (the cell size along it, or None) gives the step of a coordinate of one cell."""
    from hazards.netcdf import coordinate_precision, regular_spacing

    if dim not in da.coords:
        raise DataError(f"{name}: dimension {dim} has no coordinate (cell centres are needed)")
    values = np.asarray(da.coords[dim].values)
    if values.dtype.kind not in "iuf" or not np.isfinite(values).all():
        raise DataError(f"{name}: coordinate {dim} must hold finite numbers")
    if values.size == 1 and cell is not None:
        step = -cell if dim in Y_NAMES else cell  # north-up, west to east
        return float(values[0]), float(step), 1, 0.0
    if values.size < 2:
        raise AlignmentError(
            f"{name}: coordinate {dim} has {values.size} cell, so its cell size is unknown; "
            "give it attrs['transform'] (a, b, c, d, e, f of the affine transform, as a "
            "GeoTIFF states it) or a spatial_ref coordinate with a GeoTransform"
        )
    scale = da.coords[dim].encoding.get("scale_factor")
    step, values, drift, tolerance = regular_spacing(values, scale)
    steps = np.diff(values)
    if step == 0 or not ((steps > 0).all() or (steps < 0).all()):
        raise AlignmentError(f"{name}: coordinate {dim} is not strictly increasing or decreasing")
    if not drift <= tolerance:
        raise AlignmentError(
            f"{name}: coordinate {dim} is not regularly spaced (a centre lies "
            f"{drift / abs(step):.2g} of a cell off the regular step {step:g}, more than the "
            f"{tolerance / abs(step):.2g} its {da.coords[dim].dtype} values allow); resample it "
            "onto a regular grid first"
        )
    precision = min(coordinate_precision(da.coords[dim].values, scale), 0.1 * abs(step))
    return float(values[0]), float(step), int(values.size), precision


def array_grid(da, name: str, crs, extra: tuple[int, ...] = (0,), cell=None) -> ArrayGrid:
    """The grid of a DataArray, with its dimensions checked.

    Parameters
    ----------
    da : xarray.DataArray
    name : str
        The argument's name, for messages.
    crs : pyproj.CRS
    extra : tuple of int
        How many dimensions besides y and x are allowed (``(0,)``: a 2-D grid;
        ``(0, 1)``: a grid or a stack of bands). A dimension of size 1 beyond those
        (a ``band`` of one, as ``open_rasterio`` gives) is left aside.
    cell : tuple of float, optional
        ``(cell width, cell height)`` to use for an axis of one cell when the array
        carries no transform (:func:`stated_cell`): the reference grid's.

    Raises
    ------
    DataError
        Wrong dimensions, no coordinates, values that are not numbers.
    AlignmentError
        Coordinates not regularly spaced, or with one cell and no cell size known.
    """
    import xarray as xr
    from affine import Affine

    from mecc.grid import GridSpec

    if not isinstance(da, xr.DataArray):
        raise DataError(f"{name}: give an xarray.DataArray, not {type(da).__name__}")
    if da.dtype.kind not in "iufb" or (da.dtype.kind == "f" and da.dtype.itemsize > 8):
        raise DataError(f"{name}: values are {da.dtype}; give {SUPPORTED_DTYPES}")
    ydim, xdim = _spatial_dims(da, name)
    others = [d for d in da.dims if d not in (ydim, xdim)]
    if len(others) not in extra:
        others = [d for d in others if da.sizes[d] != 1]  # a band of one left aside
    if len(others) not in extra:
        shape = ", ".join(f"{d}: {da.sizes[d]}" for d in da.dims if d not in (ydim, xdim))
        raise DataError(
            f"{name}: dimensions besides {ydim} and {xdim} ({shape}); expected "
            f"{' or '.join(str(e) for e in extra)} of them"
        )
    if 1 in (da.sizes[ydim], da.sizes[xdim]):
        cell = stated_cell(da, name) or cell
    y0, dy, height, precision_y = _axis(da, ydim, name, None if cell is None else cell[1])
    x0, dx, width, precision_x = _axis(da, xdim, name, None if cell is None else cell[0])
    flip_y, flip_x = dy > 0, dx < 0
    top = y0 if not flip_y else y0 + dy * (height - 1)
    left = x0 if not flip_x else x0 + dx * (width - 1)
    cell_x, cell_y = abs(dx), abs(dy)
    transform = Affine(cell_x, 0.0, left - cell_x / 2, 0.0, -cell_y, top + cell_y / 2)
    grid = GridSpec(crs, transform, width, height)
    return ArrayGrid(grid, (*others, ydim, xdim), flip_y, flip_x, (precision_x, precision_y))


def check_same_grid(reference: ArrayGrid, other: ArrayGrid, ref_name: str, name: str) -> None:
    """Raise :class:`AlignmentError` unless both grids have the same cells (within
    :data:`SAME_TOLERANCE` of a cell plus what the precision ``p`` of their coordinates
    allows, each grid placed from its first and last centre: ``p (1 + 1 / (n - 1))`` for
    the first cell's edge, ``2 p / (n - 1)`` for the cell size); the direction of y or x
    may differ."""
    a, b = reference.grid, other.grid
    if a.shape != b.shape:
        raise AlignmentError(
            f"{name}: grid of {b.height} x {b.width} cells (y x x) differs from {ref_name}'s "
            f"{a.height} x {a.width}; put both on one grid first"
        )
    ta, tb = a.transform, b.transform
    px = reference.precision[0] + other.precision[0]
    py = reference.precision[1] + other.precision[1]
    nx, ny = max(a.width - 1, 1), max(a.height - 1, 1)
    for what, p, q, cell, slack in (
        ("cell width", ta.a, tb.a, ta.a, 2 * px / nx),
        ("cell height", ta.e, tb.e, ta.e, 2 * py / ny),
        ("x of the first cell", ta.c, tb.c, ta.a, px * (1 + 1 / nx)),
        ("y of the first cell", ta.f, tb.f, ta.e, py * (1 + 1 / ny)),
    ):
        if abs(p - q) > SAME_TOLERANCE * abs(cell) + slack:
            shift = abs(p - q) / abs(cell)
            raise AlignmentError(
                f"{name}: {what} differs from {ref_name}'s by {shift:.3g} of a cell "
                f"({q!r} vs {p!r}); the grids must be identical"
            )


def values_north_up(da, layout: ArrayGrid, name: str) -> np.ndarray:
    """The values as a new float64 C-ordered array, north-up, NaN where missing.

    Missing: NaN, the stated nodata (:data:`NODATA_ATTRS`, compared in the array's own
    dtype), magnitudes >= 1e30, all on the raw values; packed values
    (``attrs["scale_factor"]``/``["add_offset"]``) are then unscaled (``raw x scale +
    offset``). float16 is widened to float32 (exactly). The caller's array is only read.
    """
    from mecc.grid import mask_missing

    ordered = da.transpose(*layout.dims, *[d for d in da.dims if d not in layout.dims])
    raw = np.asarray(ordered.values)
    raw = raw.reshape(raw.shape[: len(layout.dims)])  # size-1 dimensions left aside
    if layout.flip_y:
        raw = raw[..., ::-1, :]
    if layout.flip_x:
        raw = raw[..., ::-1]
    if raw.dtype == bool:
        raw = raw.astype(np.uint8)
    nodata = []
    for key in NODATA_ATTRS:
        value = da.attrs.get(key)
        if value is None:
            continue
        try:
            nodata.extend(float(v) for v in np.atleast_1d(value))
        except (TypeError, ValueError):
            raise DataError(f"{name}: attrs[{key!r}] must be a number, not {value!r}") from None
    if raw.dtype == np.float16:  # the kernels take float32 (exact); nodata as stored
        with np.errstate(over="ignore"):
            nodata = [float(np.float16(v)) for v in nodata]
        raw = raw.astype(np.float32)
    values, _ = mask_missing(raw, *nodata)  # a new array: the input is never written
    scale, offset = packing(da, name)
    if scale != 1.0:  # CF packing, on the raw values after nodata, as the run unscales
        values *= scale
    if offset != 0.0:
        values += offset
    return np.ascontiguousarray(values, dtype=np.float64)


def packing(da, name: str) -> tuple[float, float]:
    """``(scale_factor, add_offset)`` of CF-packed values (``attrs``, as
    ``mask_and_scale=False`` leaves them), ``(1.0, 0.0)`` when not packed."""
    found = []
    for key, default in (("scale_factor", 1.0), ("add_offset", 0.0)):
        value = da.attrs.get(key, default)
        try:
            number = float(np.asarray(value).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            raise DataError(f"{name}: attrs[{key!r}] must be a number, not {value!r}") from None
        if not np.isfinite(number) or (key == "scale_factor" and number == 0.0):
            raise DataError(
                f"{name}: attrs[{key!r}] is {number:g}; the scale must be a non-zero number"
            )
        found.append(number)
    return found[0], found[1]


def as_engine_order(values: np.ndarray, layout: ArrayGrid) -> np.ndarray:
    """A north-up 2-D result back in the array's own y and x directions (a new array)."""
    if layout.flip_y:
        values = values[::-1, :]
    if layout.flip_x:
        values = values[:, ::-1]
    return np.ascontiguousarray(values)


# ---------------------------------------------------------------------------- zones


class IndexZones:
    """Zones given as a raster of unit indices, for the engine (``n``, ``rasterize``).

    Index ``0 .. n-1`` is a unit; anything else (negative, ``n`` or more, nodata) is
    outside every unit (index ``n``).
    """

    def __init__(self, index: np.ndarray, n: int):
        self.n = int(n)
        self._index = index
        self.outside_index = self.n  # as exposure.zones.Zones, for its warnings
        self.whole_grid = False

    def rasterize(self, window, out=None) -> np.ndarray:
        rows = slice(int(window.row_off), int(window.row_off + window.height))
        cols = slice(int(window.col_off), int(window.col_off + window.width))
        if out is None:
            out = np.empty((int(window.height), int(window.width)), dtype=np.int32)
        out[...] = self._index[rows, cols]
        return out


def index_zones(da, layout: ArrayGrid, name: str) -> tuple[IndexZones, list[str]]:
    """Engine zones and unit codes from an integer DataArray of unit indices.

    The codes are ``attrs["zone_codes"]`` (one per index) when given, else the indices
    ``"0" .. str(max)`` as text.
    """
    if da.dtype.kind not in "iu":
        raise DataError(f"{name}: a zone-index grid must hold integers, not {da.dtype}")
    values = values_north_up(da, layout, name)
    valid = np.isfinite(values) & (values >= 0)
    codes = da.attrs.get("zone_codes")
    if codes is not None:
        codes = [str(c) for c in np.atleast_1d(codes)]
        if len(set(codes)) != len(codes):
            raise DuplicateZoneCodeError(f"{name}: attrs['zone_codes'] lists a code twice")
        beyond = valid & (values >= len(codes))
        if beyond.any():
            raise DataError(
                f"{name}: index {int(values[beyond].max())} has no code in attrs['zone_codes'] "
                f"({len(codes)} codes)"
            )
    else:
        top = int(values[valid].max()) if valid.any() else -1
        codes = [str(k) for k in range(top + 1)]
    n = len(codes)
    index = np.where(valid, values, n).astype(np.int32)
    return IndexZones(np.ascontiguousarray(index), n), codes


def frame_zones(frame, column: str, grid, name: str = "zones"):
    """Engine zones (:class:`exposure.zones.Zones`, one level, rasterised by cell centre
    as the run does) and unit codes from a GeoDataFrame.

    Raises
    ------
    DataError
        No column ``column``, a unit without a code.
    DuplicateZoneCodeError
        A code given twice.
    """
    from exposure.zone_files import checked_shapes
    from exposure.zones import ZoneLevel, Zones, check_unit_codes, unit_code
    from mecc.array_inputs import reemit

    if column not in frame.columns:
        fields = [str(c) for c in frame.columns if c != frame.geometry.name]
        raise DataError(
            f"{name}: no column {column!r} for the unit codes (zone_code=); columns: "
            f"{', '.join(fields)}"
        )
    codes = [unit_code(v) for v in frame[column]]
    check_unit_codes(codes, name, f"column {column!r}", part="row")
    if len(frame) == 0:
        raise DataError(f"{name}: the GeoDataFrame has no rows")
    geometry, _ = reemit(checked_shapes, frame.geometry.copy(), codes, name)  # at the caller
    level = ZoneLevel(1, codes, list(codes), None, geometry, name)
    zones = Zones([level])
    reemit(zones.prepare, grid)
    return zones, codes


# ----------------------------------------------------------- arguments of mecc.arrays


class Stack:
    """A north-up float64 array read block by block (the engine's reader interface)."""

    def __init__(self, values: np.ndarray):
        self._values = values
        self.count = values.shape[0] if values.ndim == 3 else 1

    def read(self, window, out=None):
        rows = slice(int(window.row_off), int(window.row_off + window.height))
        cols = slice(int(window.col_off), int(window.col_off + window.width))
        part = self._values[..., rows, cols]
        if out is None:
            return part.copy()
        out[...] = part
        return out


def resolve_curves(curve, variants, hazard_type) -> dict:
    """The curves evaluated, ``{"central": ..., "low": ..., "high": ...}`` as present."""
    from hazards.curves import VARIANT_ORDER, Curve, load_curve, load_curve_set

    if not isinstance(variants, bool) and not isinstance(variants, dict):
        raise ConfigError("variants: give True, False or a mapping low/high -> curve")
    if isinstance(variants, dict):
        unknown = set(variants) - set(VARIANT_ORDER[1:])
        if unknown or not variants:
            raise ConfigError(f"variants: use low and/or high, not {sorted(unknown) or 'nothing'}")
    if isinstance(curve, Curve):
        curves = {"central": curve}
        for name, spec in (variants if isinstance(variants, dict) else {}).items():
            curves[name] = (
                spec
                if isinstance(spec, Curve)
                else load_curve(spec, ".", f"variants.{name}", hazard_type.name)
            )
    else:
        given = variants if isinstance(variants, dict) else None
        if given and any(isinstance(v, Curve) for v in given.values()):
            raise ConfigError("variants: give curve names, files or mappings with a named curve")
        curves = load_curve_set(curve, given, ".", "curve", hazard_type.name)
    if variants is False:
        curves = {"central": curves["central"]}
    return {name: curves[name] for name in VARIANT_ORDER if name in curves}


class Stored:
    """What :mod:`hazards.precision` needs to compare thresholds at the grid's dtype."""

    def __init__(self, dtype, factor: float, scale: float = 1.0, offset: float = 0.0):
        class Source:
            pass

        source = Source()
        source.dtype = dtype
        source.scales, source.offsets = (scale,), (offset,)
        self.layers = [(source, 1)]
        self.unit_factor = factor


def band_labels(hazard, layout) -> list:
    if len(layout.dims) == 2:
        return [1]
    dim = layout.dims[0]
    if dim in hazard.coords:
        return list(hazard.coords[dim].values)
    return list(range(1, hazard.sizes[dim] + 1))


def warn_range(intensity: np.ndarray, hazard_type, unit_note: str) -> None:
    """The run's plausibility warnings (``mecc.checks``) on the values in memory."""
    finite = intensity[np.isfinite(intensity)]
    if not finite.size:
        warnings.warn("hazard: only nodata (NaN) values", MeccWarning, stacklevel=3)
        return
    low, high = hazard_type.valid_range
    unit = hazard_type.unit
    if finite.min() < low - 1e-9:
        warnings.warn(
            f"hazard: values down to {finite.min():g} {unit}, below the plausible {low:g} "
            f"{unit} for {hazard_type.name}; is a nodata value undeclared (attrs['nodata'])?",
            MeccWarning,
            stacklevel=3,
        )
    if finite.max() > high:
        warnings.warn(
            f"hazard: values reach {finite.max():g} {unit}{unit_note}, above the plausible "
            f"{high:g} {unit} for {hazard_type.name}; is the grid in another unit (unit=)?",
            MeccWarning,
            stacklevel=3,
        )


def block_shape(n_layers: int) -> tuple[int, int]:
    """The engine's block shape for ``n_layers`` grids (as ``mecc run`` chooses it)."""
    from mecc.engine import block_shape_for_layers

    return block_shape_for_layers(n_layers)
