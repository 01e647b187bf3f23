"""What the scenario generators share: the grid they fill and how they write it.

A generator (cyclone wind field, flood depth, earthquake intensity) is a pure function
that fills a numpy array on a :class:`mecc.grid.GridSpec`. These helpers give it that
grid — copied from an existing raster (``--like``) or built from bounds and a
resolution — and write its result as a single-band GeoTIFF whose tags record every
parameter, so a scenario file says how it was made. Writes are atomic: a failed
generator leaves no file, and an existing file is replaced only when asked.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path

import numpy as np

from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    MissingCRSError,
    OutputExistsError,
    did_you_mean,
)
from mecc.grid import GridSpec

__all__ = ["target_grid", "write_scenario_grid"]

MAX_CELLS = 400_000_000
"""Refuse grids larger than this (a typo in a resolution should not fill the disk)."""


def target_grid(like=None, bounds=None, resolution=None, crs="EPSG:4326") -> GridSpec:
    """The grid a generator fills.

    Parameters
    ----------
    like : path, optional
        A raster whose grid (CRS, transform, size) is copied.
    bounds : (left, bottom, right, top), optional
        In ``crs`` units; used with ``resolution`` when ``like`` is not given.
    resolution : float, optional
        Cell size in ``crs`` units.
    crs : str
        CRS of ``bounds`` (default WGS 84 longitude/latitude).
    """
    import rasterio
    from affine import Affine

    if like is not None:
        if bounds is not None or resolution is not None:
            raise ConfigError("give either --like or --bounds with --resolution, not both")
        if not os.path.exists(like):
            raise InputFileError(f"--like: file not found ({like}){did_you_mean(like)}")
        try:
            with rasterio.open(like) as dataset:
                return GridSpec.from_dataset(dataset, f"--like ({like})")
        except rasterio.errors.RasterioIOError as error:
            raise InputFileError(f"--like ({like}): cannot read raster ({error})") from None
    if bounds is None or resolution is None:
        raise ConfigError(
            "give --like GRID.tif, or --bounds LEFT BOTTOM RIGHT TOP with --resolution"
        )
    left, bottom, right, top = (float(v) for v in bounds)
    resolution = float(resolution)
    if not all(math.isfinite(v) for v in (left, bottom, right, top, resolution)):
        raise ConfigError("--bounds and --resolution must be finite numbers")
    if resolution <= 0:
        raise ConfigError(f"--resolution must be positive, got {resolution:g}")
    if right <= left or top <= bottom:
        raise ConfigError(
            "--bounds must be LEFT BOTTOM RIGHT TOP with LEFT < RIGHT and BOTTOM < TOP"
        )
    if crs is None:
        raise MissingCRSError("a grid needs a CRS")
    if _geographic(crs):
        if bottom < -90 or top > 90:
            raise ConfigError(
                f"--bounds: latitudes must be within -90 to 90 in {crs} (got BOTTOM {bottom:g}, "
                f"TOP {top:g}); the order is LEFT BOTTOM RIGHT TOP"
            )
        if right - left > 360 + 1e-9:
            raise ConfigError(
                f"--bounds: LEFT {left:g} to RIGHT {right:g} spans {right - left:g} degrees of "
                "longitude, more than the 360 of the whole globe"
            )
    width = math.ceil((right - left) / resolution - 1e-9)
    height = math.ceil((top - bottom) / resolution - 1e-9)
    if width * height > MAX_CELLS:
        raise ConfigError(
            f"--bounds and --resolution make {width} x {height} cells; check the resolution's units"
        )
    return GridSpec(crs, Affine(resolution, 0, left, 0, -resolution, top), width, height)


def _geographic(crs) -> bool:
    """Whether ``crs`` is in longitude/latitude degrees (an unknown CRS is refused later)."""
    import pyproj

    try:
        return pyproj.CRS.from_user_input(crs).is_geographic
    except pyproj.exceptions.CRSError:
        return False


def write_scenario_grid(
    path,
    grid: GridSpec,
    values: np.ndarray,
    *,
    measure: str,
    unit: str,
    parameters: dict,
    description: str = "",
    overwrite: bool = False,
) -> Path:
    """Write a generated hazard grid as a tiled, compressed GeoTIFF, atomically.

    The tags hold ``measure``, ``unit``, ``description``, the generator's
    ``parameters`` (as JSON) and the note that the grid is modelled.
    """
    import rasterio

    path = Path(path)
    values = np.asarray(values, dtype=np.float32)
    if values.shape != grid.shape:
        raise DataError(f"{path.name}: values are {values.shape}, the grid is {grid.shape}")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: file exists; use --overwrite to replace it")
    if not path.parent.exists():
        raise InputFileError(f"{path}: folder {path.parent} does not exist")
    staging = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": float("nan"),
        "tiled": grid.width >= 256 and grid.height >= 256,
        "compress": "zstd",
        "BIGTIFF": "IF_SAFER",
    }
    if profile["tiled"]:
        profile.update(blockxsize=256, blockysize=256)
    try:
        with rasterio.open(staging, "w", **profile) as dataset:
            dataset.write(values, 1)
            dataset.set_band_description(1, measure)
            dataset.update_tags(
                measure=measure,
                unit=unit,
                description=description,
                parameters=json.dumps(parameters, sort_keys=True, default=str),
                note="Modelled hazard scenario generated by mecc; not an observation.",
            )
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()
    return path
