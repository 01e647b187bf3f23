"""Raster files read by windows as float64, with missing values as NaN.

:class:`RasterFile` is the reader every gridded input goes through (GeoTIFF and any
other GDAL raster): it presents a file on a north-up grid, unscales packed values and
masks missing ones, one handle per thread so blocks can be read concurrently. It is
part of the grid layer (:mod:`mecc.grid`), which hazard and exposure readers build on.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence

import numpy as np
import rasterio
import rasterio.errors
from affine import Affine
from rasterio.windows import Window

from mecc import kernels
from mecc.errors import DataError, InputFileError
from mecc.grid import EXTREME_VALUE, GridSpec, nodata_sentinels, reused

__all__ = ["RasterFile"]


class RasterFile:
    """A raster file read by windows as float64 with NaN for missing values.

    Packed bands are unscaled as GDAL does (``raw x scale + offset``, from the band's
    scale and offset metadata), a south-up file (positive y resolution) is presented
    north-up (``grid`` and the windows of :meth:`read` count rows from the north), and a
    regional grid in 0-360 longitudes east of 180 is placed at -180-0. Handles
    are opened lazily, one per thread, so blocks can be read concurrently.

    Parameters
    ----------
    path : str or os.PathLike
    label : str, optional
        How errors name the input (e.g. ``"hazards[0].intensity (depth.tif)"``).
    extra_nodata : float, optional
        A value to treat as missing besides the file's own nodata (for files that do
        not declare theirs); compared in the file's dtype.
    """

    def __init__(self, path, label: str | None = None, extra_nodata=None):
        self.path = os.fspath(path)
        self.label = label or self.path
        self.extra_nodata = extra_nodata
        self._local = threading.local()
        self.extreme_cells = 0
        try:
            with rasterio.open(self.path) as dataset:
                self.grid = GridSpec.from_dataset(dataset, self.label)
                # a south-up file (rows from south to north) is presented north-up
                self.south_up = self.grid.rectilinear and self.grid.transform.e > 0
                if self.south_up:
                    t, height = self.grid.transform, self.grid.height
                    flipped = Affine(t.a, 0.0, t.c, 0.0, -t.e, t.f + t.e * height)
                    self.grid = GridSpec(self.grid.crs, flipped, self.grid.width, height)
                self.grid = self.grid.west_of_greenwich()
                self.count = dataset.count
                self.nodata = dataset.nodatavals
                self.dtype = dataset.dtypes[0]
                self.descriptions = dataset.descriptions
                self.scales = tuple(float(v) for v in dataset.scales)
                self.offsets = tuple(float(v) for v in dataset.offsets)
        except rasterio.errors.RasterioIOError as error:
            raise InputFileError(f"{self.label}: cannot read raster ({error})") from None
        for band, scale in enumerate(self.scales, start=1):
            if (
                not math.isfinite(scale)
                or scale == 0.0
                or not math.isfinite(self.offsets[band - 1])
            ):
                raise DataError(
                    f"{self.label}: band {band} declares scale {scale:g} and offset "
                    f"{self.offsets[band - 1]:g}; the scale must be a non-zero number"
                )

    def __getstate__(self) -> dict:
        """Pickle without the per-thread handles (Dask workers reopen the file)."""
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _dataset(self):
        dataset = getattr(self._local, "dataset", None)
        if dataset is None:
            dataset = rasterio.open(self.path)
            self._local.dataset = dataset
            self._local.raw = {}
        return dataset

    def read(
        self, bands: Sequence[int], window: Window, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Read 1-based ``bands`` in ``window`` of this file's own grid.

        Returns float64 ``(len(bands), h, w)`` with NaN where values are missing,
        written into ``out`` when given. The raw values go through a buffer kept per
        thread, so reading block after block allocates nothing new.
        """
        dataset = self._dataset()
        shape = (len(bands), int(window.height), int(window.width))
        raw = reused(self._local.raw, "raw", shape, self.dtype)
        if self.south_up:  # the same rows counted from the file's first (southern) row
            row = self.grid.height - int(window.row_off) - int(window.height)
            window = Window(window.col_off, row, window.width, window.height)
        try:
            dataset.read(list(bands), window=window, out=raw)
        except rasterio.errors.RasterioIOError as error:
            raise InputFileError(f"{self.label}: cannot read raster data ({error})") from None
        if out is None:
            out = np.empty(shape, dtype=np.float64)
        for k, band in enumerate(bands):
            sentinels = nodata_sentinels(self.dtype, self.nodata[band - 1], self.extra_nodata)
            self.extreme_cells += kernels.mask_missing_into(
                raw[k], sentinels, EXTREME_VALUE, out[k]
            )
            # packed values (e.g. depth in cm as int16 with scale 0.01): value = raw x scale
            # + offset, as GDAL unscales; nodata refers to the raw values, masked above
            scale, offset = self.scales[band - 1], self.offsets[band - 1]
            if scale != 1.0:
                out[k] *= scale
            if offset != 0.0:
                out[k] += offset
            if self.south_up:
                out[k] = out[k, ::-1].copy()
        return out
