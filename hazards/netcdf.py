"""NetCDF hazard grids read by windows through xarray (``variable`` names the data
variable; CF ``grid_mapping`` or lon/lat coordinates give the CRS).

Moved out of ``hazards.readers`` (which re-exports :class:`NetCDFFile`) to keep that
module small.
"""

from __future__ import annotations

import os
import threading

import numpy as np
from affine import Affine

from mecc.errors import ConfigError, DataError, InputFileError, MissingCRSError
from mecc.grid import GridSpec, mask_missing, rolled_columns

__all__ = ["REGULAR_SHARE", "NetCDFFile", "coordinate_precision", "regular_spacing"]

_X_NAMES = ("x", "lon", "longitude")
_Y_NAMES = ("y", "lat", "latitude")


class NetCDFFile:
    """One variable of a NetCDF file, read by windows like :class:`mecc.raster_file.RasterFile`.

    The variable has dimensions ``(y, x)`` or ``(band, y, x)`` where ``x``/``y`` are
    named x/lon/longitude and y/lat/latitude, with coordinate values regularly spaced to
    the precision of their dtype (float32 coordinates such as CHIRPS's are regular only to
    about 1e-7 of their magnitude); the grid is placed from the first and last coordinate
    and their count. Rows are presented north-up whatever the file's order.

    Parameters
    ----------
    path : str or os.PathLike
    variable : str or None
        The data variable; None takes ``default`` if the file has it, else the file's only
        variable of two or more dimensions.
    label : str, optional
        How errors name the input.
    default : str, optional
        The variable taken when ``variable`` is None (e.g. ``"fraction"``, CLIMADA's name).

    Attributes
    ----------
    variable : str
        The variable read.
    units : str or None
        Its CF ``units`` attribute (of the unpacked values), None when absent or blank.
    band_labels : list of str or None
        The label of each band (event): a 1-D text variable along the band dimension
        named ``event_name``, ``event_id`` or ``name``, else the dimension's coordinate;
        None without either (``hazards.events.check_band_labels``). A coordinate that
        numbers the bands 1..n (or 0..n-1) in another order than their position is
        refused: an events table's ``band`` is the position (1 = first).
    """

    def __init__(
        self, path, variable: str | None, label: str | None = None, default: str | None = None
    ):
        import xarray as xr

        self.path = os.fspath(path)
        self.label = label or self.path
        self._lock = threading.Lock()
        self.extreme_cells = 0
        try:
            self._dataset = xr.open_dataset(self.path, decode_times=False, mask_and_scale=True)
        except (OSError, ValueError) as error:
            what = _other_format(self.path) or " ".join(str(error).split())
            raise InputFileError(f"{self.label}: cannot read NetCDF ({what})") from None
        names = [n for n in self._dataset.data_vars if self._dataset[n].ndim >= 2]
        if variable is None:
            found = ", ".join(names) or "none"
            if default in names:
                variable = default
            elif len(names) == 1:
                variable = names[0]
            elif default is not None:
                raise ConfigError(
                    f"{self.label}: no variable named {default!r} and not one variable to take "
                    f"(found {found}); name the {default} variable {default!r} or give it its "
                    "own file"
                )
            else:
                raise ConfigError(
                    f"{self.label}: name the NetCDF variable with 'variable:' (found {found})"
                )
        if variable not in self._dataset.data_vars:
            raise DataError(
                f"{self.label}: variable {variable!r} not found (found {', '.join(names)})"
            )
        data = self._dataset[variable]
        x_dim = next((d for d in data.dims if d.lower() in _X_NAMES), None)
        y_dim = next((d for d in data.dims if d.lower() in _Y_NAMES), None)
        others = [d for d in data.dims if d not in (x_dim, y_dim)]
        if x_dim is None or y_dim is None or len(others) > 1:
            raise DataError(
                f"{self.label}: variable {variable!r} needs dims (band, y, x) or (y, x); has {data.dims}"
            )
        missing = [d for d in (y_dim, x_dim) if d not in self._dataset.variables]
        if missing:  # xarray would number the cells 0, 1, 2, ... (read as degrees)
            raise DataError(
                f"{self.label}: variable {variable!r} has no coordinate values for "
                f"{' and '.join(missing)}, so the file has no georeference; add the "
                "coordinates of the cell centres or give a GeoTIFF"
            )
        self.variable = variable
        self.units = str(data.attrs.get("units", "")).strip() or None
        self._data = data.transpose(*others, y_dim, x_dim)
        self._band_dim = others[0] if others else None
        dx, x = _regular_step(self._dataset[x_dim], f"{self.label}: coordinate {x_dim}")
        dy, y = _regular_step(self._dataset[y_dim], f"{self.label}: coordinate {y_dim}")
        self._flip = dy > 0
        top = y.max() + abs(dy) / 2
        transform = Affine(dx, 0.0, x[0] - dx / 2, 0.0, -abs(dy), top)
        crs = _netcdf_crs(self._dataset, data, x_dim, y_dim, self.label)
        grid = GridSpec(crs, transform, x.size, y.size).west_of_greenwich()
        self.grid, self._roll = grid.from_minus_180()  # a global 0-360 grid from -180
        self.count = self._data.shape[0] if self._band_dim else 1
        self.nodata = (None,) * self.count
        self.band_labels = _band_labels(self._dataset, self._band_dim, self.label)

    def read(self, bands, window, out=None) -> np.ndarray:
        """Float64 ``(len(bands), h, w)`` of ``window`` (north-up rows), NaN if missing.

        Written into ``out`` when given.
        """
        r0, r1 = int(window.row_off), int(window.row_off + window.height)
        c0, c1 = int(window.col_off), int(window.col_off + window.width)
        rows = slice(self.grid.height - r1, self.grid.height - r0) if self._flip else slice(r0, r1)
        pieces = rolled_columns(c0, c1 - c0, self._roll, self.grid.width)
        with self._lock:
            if self._band_dim:
                picked = [b - 1 for b in bands]
                parts = [self._data[picked, rows, a:b].values for a, b in pieces]
            else:
                parts = [self._data.values[None, rows, a:b] for a, b in pieces]
        raw = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        if self._flip:
            raw = raw[:, ::-1, :]
        values, extreme = mask_missing(np.ascontiguousarray(raw))
        with self._lock:
            self.extreme_cells += extreme
        if out is None:
            return values
        out[...] = values
        return out


LABEL_NAMES = ("event_name", "event_id", "name")
"""1-D variables along the band dimension whose values label the events."""


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_NETCDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF")


def _other_format(path) -> str | None:
    """Why a file that xarray cannot open is no NetCDF, from its first bytes: a GeoTIFF
    under another name (e.g. a grid written as ``.nc``), or neither NetCDF 3 nor NetCDF 4
    / HDF5; None when it starts as NetCDF does (the reader's own error then says more)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head in _TIFF_MAGIC:
        return "the file is a GeoTIFF: give it a .tif name, which runs read as a GeoTIFF"
    if not head.startswith(_NETCDF_MAGIC):
        return "the file does not start as NetCDF 3 or NetCDF 4 (HDF5) files do"
    return None


def _band_labels(dataset, dim: str | None, label: str) -> list[str] | None:
    """The label of each band of ``dim`` (:attr:`NetCDFFile.band_labels`), or None.

    Raises
    ------
    DataError
        When the dimension's coordinate numbers the bands 1..n or 0..n-1 in another
        order than their position: "band 1" would then name two different events.
    """
    if dim is None:
        return None
    coordinate = dataset[dim] if dim in dataset.variables else None
    numbered = False  # a coordinate 0..n-1 or 1..n in order numbers positions, not events
    if coordinate is not None:
        values = np.asarray(coordinate.values).reshape(-1)
        if np.issubdtype(values.dtype, np.number) and np.all(np.isfinite(values)):
            order = np.sort(values)
            first = order[0] if order.size else 0
            numbered = first in (0, 1) and np.array_equal(order, first + np.arange(order.size))
            if numbered and not np.array_equal(values, order):
                shown = ", ".join(f"{v:g}" for v in values[:4]) + (", ..." * (values.size > 4))
                raise DataError(
                    f"{label}: its {dim} coordinate numbers the bands {shown}, in another "
                    f"order than their position in the file (the first band is {dim} "
                    f"{values[0]:g}); an events table's band is the position (1 = first): "
                    f"sort the file by {dim} (xarray: ds.sortby({dim!r}))"
                )
    for name in LABEL_NAMES:
        if name in dataset.variables and dataset[name].dims == (dim,):
            values = np.asarray(dataset[name].values).reshape(-1)
            if values.dtype.kind in "OSU":
                return [_text(v) for v in values]
    if coordinate is None or numbered:
        return None
    return [_text(v) for v in coordinate.values.reshape(-1)]


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


REGULAR_SHARE = 1e-6
"""How far a coordinate value may lie from the regular spacing beyond the precision of its
storage, as a share of the step (:func:`regular_spacing`)."""


def coordinate_precision(raw, scale_factor=None) -> float:
    """How far stored coordinate values may lie from the values meant, in their own units.

    4 units of the dtype's epsilon times the largest magnitude for floating values
    (float32 coordinates of a 0.05-degree grid step by 0.04999924 or 0.05000114 near 25
    degrees; float64 values that are all float32 numbers count as float32), at least half
    the scale factor of packed coordinates; 0 for integers.
    """
    raw = np.asarray(raw)
    values = raw.astype(np.float64)
    precision = 0.0
    if np.issubdtype(raw.dtype, np.floating) and values.size:
        dtype = raw.dtype
        if np.array_equal(values.astype(np.float32), values):  # float32 values saved as double
            dtype = np.float32
        precision = 4 * float(np.finfo(dtype).eps) * float(np.abs(values).max())
    if scale_factor is not None:
        precision = max(precision, abs(float(scale_factor)) / 2)
    return precision


def regular_spacing(raw, scale_factor=None) -> tuple[float, np.ndarray, float, float]:
    """``(step, values, drift, tolerance)`` of a coordinate: the one rule for regular
    spacing of ``mecc run`` (:class:`NetCDFFile`) and the array layer
    (:mod:`mecc.array_checks`).

    The step comes from the first and last value and their count, so cells do not drift;
    ``values`` are the coordinate as float64; ``drift`` is the largest distance of a value
    from ``first + k * step``. The spacing is regular when the step is not 0 and ``drift
    <= tolerance``: :data:`REGULAR_SHARE` of a step plus :func:`coordinate_precision`, at
    most a tenth of a step.
    """
    values = np.asarray(raw).astype(np.float64)
    if values.size < 2:
        return 0.0, values, 0.0, 0.0
    step = float((values[-1] - values[0]) / (values.size - 1))
    precision = coordinate_precision(raw, scale_factor)
    tolerance = min(REGULAR_SHARE * abs(step) + precision, 0.1 * abs(step))
    drift = float(np.max(np.abs(values - (values[0] + step * np.arange(values.size)))))
    return step, values, drift, tolerance


def _regular_step(coordinate, label: str) -> tuple[float, np.ndarray]:
    """The step of a regularly spaced coordinate and its values as float64
    (:func:`regular_spacing`)."""
    if np.asarray(coordinate.values).size < 2:
        raise DataError(f"{label}: needs at least two values")
    step, values, drift, tolerance = regular_spacing(
        coordinate.values, coordinate.encoding.get("scale_factor")
    )
    if step == 0 or not drift <= tolerance:
        raise DataError(f"{label}: spacing is not regular; regrid the file first")
    return step, values


def _netcdf_crs(dataset, data, x_dim, y_dim, label):
    mapping = data.attrs.get("grid_mapping") or data.encoding.get("grid_mapping")
    if mapping and mapping in dataset.variables:
        attrs = dataset[mapping].attrs
        for key in ("crs_wkt", "spatial_ref"):
            if key in attrs:
                return attrs[key]
        import pyproj

        try:
            return pyproj.CRS.from_cf(attrs).to_wkt()
        except pyproj.exceptions.CRSError:
            pass
    x_units = str(dataset[x_dim].attrs.get("units", "")).lower()
    y_units = str(dataset[y_dim].attrs.get("units", "")).lower()
    if x_units.startswith("degree") and y_units.startswith("degree"):
        return "EPSG:4326"
    if x_dim.lower() in ("lon", "longitude") and y_dim.lower() in ("lat", "latitude"):
        return "EPSG:4326"
    raise MissingCRSError(
        f"{label}: no CRS (add a CF grid_mapping variable or lon/lat coordinates in degrees)"
    )
