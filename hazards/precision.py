"""The precision at which a hazard's thresholds and curves meet its values.

A grid stored as float32 holds a depth of 0.7 m as 0.699999988 (the float32 nearest to
0.7); read into float64 and compared with a threshold or a curve's step at 0.7, the cell
would fall below it, although every GIS tool shows it as 0.7 and the curve's rule is
that a value exactly at the step takes the upper share. So the exposure threshold and
the curves' intensities are compared at the precision the values are stored in: each
is rounded to the grid's dtype, as the grid would store it, before the kernels see it.

The rounding mirrors how a value is read: the stored number ``raw`` (in the file's
dtype) becomes ``(raw x band scale + band offset) x unit factor`` in float64 (the band
scale and offset of packed GeoTIFF bands, the unit and wind-averaging factor of the
hazard, ``HazardSet.unit_factor``). A threshold ``t`` is taken back to the stored unit,
rounded to the nearest number of the dtype and brought forward again by the same steps;
a stored value then reaches ``t`` exactly when its number reaches the rounded one. With
no scale, offset or unit conversion this is ``np.float64(np.float32(t))``.

Floating-point grids narrower than float64 (float32, float16) are rounded so. An integer
grid's numbers are whole, and packing or a unit conversion can still put a step a rounding
error below its decimal (uint16 300 x 0.001 - 0.2 is 0.09999999999999998, not 0.1 m): a
threshold or intensity that is a whole number of the stored unit, to within 1e-9 of it,
becomes that number brought forward by the same steps, so the cell reaches it; any other
is left as given (no stored number lies between it and its rounding). Float64 grids,
ShakeMap text and mecc's own grids (float64) are compared as they are. Every other
number stays float64.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "check_curves",
    "compared_curve",
    "compared_threshold",
    "stored_dtype",
    "stored_values",
]


def _source_dtype(source):
    """The dtype a source stores its values in, or None when unknown (then float64)."""
    dtype = getattr(source, "dtype", None)  # mecc.raster_file.RasterFile
    if dtype is None:  # hazards.netcdf.NetCDFFile (decoded) or a CLIMADA file (sparse)
        dtype = getattr(getattr(source, "_data", None), "dtype", None)
    if dtype is None:  # a CLIMADA file's dense matrix
        dense = (getattr(source, "_info", None) or {}).get("dense")
        dtype = getattr(dense, "dtype", None)
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        return None


def _storage(source, band: int, unit_factor: float) -> tuple | None:
    """``(dtype, scale, offset, unit)`` of one band stored in a float narrower than float64
    or in integers, or None (values compared as they are)."""
    dtype = _source_dtype(source)
    if dtype is None or dtype.kind not in "fiu" or (dtype.kind == "f" and dtype.itemsize >= 8):
        return None
    scales = getattr(source, "scales", None) or ()
    offsets = getattr(source, "offsets", None) or ()
    scale = float(scales[band - 1]) if len(scales) >= band else 1.0
    offset = float(offsets[band - 1]) if len(offsets) >= band else 0.0
    return dtype, scale, offset, float(unit_factor)


def _storages(hazard) -> list:
    """The distinct storages of a (single) hazard's intensity layers; None for float64."""
    found = []
    for source, band in hazard.layers:
        storage = _storage(source, band, hazard.unit_factor)
        if storage not in found:
            found.append(storage)
    return found


def stored_dtype(hazard) -> str | None:
    """The narrowest dtype a hazard's intensities are stored in and compared at
    (``"float32"``, ``"float16"``, ``"int16"``...), or None when they are compared as they
    are."""
    dtypes = [storage[0] for storage in _storages(hazard) if storage is not None]
    if not dtypes:
        return None
    return min(dtypes, key=lambda d: d.itemsize).name


WHOLE_TOLERANCE = 1e-9
"""How near a whole number of an integer grid's stored unit a value counts as that number."""


def _round_as_stored(values: np.ndarray, storage: tuple) -> np.ndarray:
    dtype, scale, offset, unit = storage
    raw = (values / unit - offset) / scale
    if dtype.kind in "iu":  # only values a rounding error from a whole number move
        whole = np.round(raw)
        info = np.iinfo(dtype)
        with np.errstate(invalid="ignore"):
            near = np.abs(raw - whole) <= WHOLE_TOLERANCE * np.maximum(1.0, np.abs(whole))
            near &= (whole >= info.min) & (whole <= info.max)
        return np.where(near, (whole * scale + offset) * unit, values)
    limit = float(np.finfo(dtype).max)
    stored = np.clip(raw, -limit, limit).astype(dtype).astype(np.float64)
    return (stored * scale + offset) * unit


def stored_values(values, hazard) -> np.ndarray:
    """Thresholds or curve intensities (canonical unit) as the hazard's grids store them.

    Parameters
    ----------
    values : array-like of float
    hazard : hazards.readers.HazardSet
        A single hazard (a combined hazard's component), with ``layers`` and
        ``unit_factor``.

    Returns
    -------
    ndarray of float64
        ``values`` rounded to the grids' dtype (see the module's docstring); unchanged
        for float64 grids, and for integer grids except where a value is a whole number
        of the stored unit. When the hazard's files are stored differently
        (a float32 map next to a float64 one), each value is the smallest of its
        roundings, so no stored value that reaches a threshold falls below it.
    """
    values = np.asarray(values, dtype=np.float64)
    storages = _storages(hazard)
    if all(storage is None for storage in storages):
        return values.copy()
    rounded = [
        values if storage is None else _round_as_stored(values, storage) for storage in storages
    ]
    with np.errstate(invalid="ignore"):
        return np.minimum.reduce(rounded) if len(rounded) > 1 else rounded[0]


def compared_threshold(hazard) -> float:
    """The hazard's exposure threshold as the kernels compare it (:func:`stored_values`)."""
    return float(stored_values([hazard.exposure_threshold], hazard)[0])


def compared_curve(hazard, curve):
    """``curve`` with its intensities as the kernels compare them (:func:`stored_values`).

    Raises
    ------
    mecc.errors.CurveError
        When two of its intensities become one number at the grid's precision in a way
        a curve cannot hold (a step curve's, or three of a linear curve's).
    """
    from hazards.curves import round_knots

    return round_knots(curve, lambda x: stored_values(x, hazard))


def check_curves(hazard, curves, where: str) -> None:
    """Refuse, at reading, a curve whose intensities the grid's precision merges.

    Raises
    ------
    mecc.errors.ConfigError
        Naming ``where`` (the hazard entry's ``curve``) and the dtype.
    """
    from mecc.errors import ConfigError, CurveError

    dtype = stored_dtype(hazard)
    if dtype is None:
        return
    for curve in curves:
        try:
            compared_curve(hazard, curve)
        except CurveError as error:
            raise ConfigError(
                f"{where}: the grid stores its values as {dtype}, and at that precision the "
                f"curve's intensities no longer make a curve ({error}); give intensities "
                "further apart"
            ) from None
