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
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
from affine import Affine
from rasterio.enums import MaskFlags
from rasterio.windows import Window

from mecc import kernels
from mecc.errors import ConfigError, DataError, InputFileError, OutputExistsError, error_reason
from mecc.grid import EXTREME_VALUE, GridSpec, nodata_sentinels, reused, rolled_columns
from mecc.tiff_blocks import block_reader, check_complete

__all__ = ["RasterFile", "check_not_an_input", "check_output_file", "raster_tags"]


class RasterFile:
    """A raster file read by windows as float64 with NaN for missing values.

    Packed bands are unscaled as GDAL does (``raw x scale + offset``, from the band's
    scale and offset metadata), a south-up file (positive y resolution) is presented
    north-up (``grid`` and the windows of :meth:`read` count rows from the north), a
    regional grid in 0-360 longitudes east of 180 is placed at -180-0, and a global grid
    in 0-360 longitudes is presented from -180 to 180 (its columns east of 180 first);
    ``grid.own_bounds`` keeps the bounds the file writes, for messages. Either is still
    read onto an analysis grid in 0-360 longitudes (:mod:`mecc.longitudes`).
    Cells hidden by a GDAL mask band (an internal mask or a ``.msk`` file, used instead
    of a nodata value) are missing, as GDAL, QGIS and rasterio's masked reads show them.
    Handles are opened lazily, one per thread, so blocks can be read concurrently.

    Parameters
    ----------
    path : str or os.PathLike
    label : str, optional
        How errors name the input (e.g. ``"hazards[0].intensity (depth.tif)"``).
    extra_nodata : float or sequence of float, optional
        Values to treat as missing besides the file's own nodata (for files that do
        not declare theirs: ``population.nodata``, ``hazards[].nodata``); compared in
        the file's dtype.
    """

    def __init__(self, path, label: str | None = None, extra_nodata=None):
        self.path = os.fspath(path)
        self.label = label or self.path
        self.extra_nodata = extra_nodata
        self.extra_values = extra_values(extra_nodata)
        """The values of ``extra_nodata`` as a tuple (none: empty)."""
        self._local = threading.local()
        self._counting = threading.Lock()  # blocks are read on several threads
        self.extreme_cells = 0
        _refuse_undecodable(self.path, self.label)
        check_complete(self.path, self.label)  # a TIFF cut short: GDAL would read it
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
                self.grid, self.roll = self.grid.from_minus_180()
                self.count = dataset.count
                # a mask band of the file's own (not derived from nodata): 0 is missing
                self.mask_flags = [set(flags) for flags in dataset.mask_flag_enums]
                self.shared_mask = all(MaskFlags.per_dataset in f for f in self.mask_flags)
                self.nodata = dataset.nodatavals
                self.dtype = dataset.dtypes[0]
                self.descriptions = dataset.descriptions
                self.scales = tuple(float(v) for v in dataset.scales)
                self.offsets = tuple(float(v) for v in dataset.offsets)
                self.blocks = block_reader(self.path, dataset, self.label)
                """Decodes the file's blocks without GDAL (None: GDAL reads them)."""
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
        del state["_local"], state["_counting"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()
        self._counting = threading.Lock()

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
        failed = None
        try:
            read = dataset.read if self.blocks is None else self.blocks.read
            self._read_columns(read, list(bands), window, raw)
            masks = self._masks(dataset, bands, window)
        except InputFileError:  # a damaged block, named by mecc's own decoding
            raise
        except (rasterio.errors.RasterioIOError, OSError) as error:
            failed = f"{self.label}: cannot read raster data ({error_reason(error)})"
        if failed:  # raised outside the handler: no GDAL error chained to it (Dask workers
            raise InputFileError(failed)  # send errors back pickled, and GDAL's do not unpickle)
        if out is None:
            out = np.empty(shape, dtype=np.float64)
        extreme = 0
        for k, band in enumerate(bands):
            sentinels = nodata_sentinels(self.dtype, self.nodata[band - 1], *self.extra_values)
            extreme += kernels.mask_missing_into(raw[k], sentinels, EXTREME_VALUE, out[k])
            if masks is not None:
                out[k][masks[0 if self.shared_mask else k] == 0] = np.nan
            # packed values (e.g. depth in cm as int16 with scale 0.01): value = raw x scale
            # + offset, as GDAL unscales; nodata refers to the raw values, masked above
            scale, offset = self.scales[band - 1], self.offsets[band - 1]
            if scale != 1.0:
                out[k] *= scale
            if offset != 0.0:
                out[k] += offset
            if self.south_up:
                out[k] = out[k, ::-1].copy()
        with self._counting:  # `+=` alone loses counts when two threads add at once
            self.extreme_cells += extreme
        return out

    def _read_columns(self, read, bands, window: Window, out: np.ndarray) -> None:
        """``read(bands, window=..., out=...)`` of a window of the presented grid: a
        global grid in 0-360 longitudes reads its columns from 180 east, then from 0."""
        if not self.roll:
            read(bands, window=window, out=out)
            return
        pieces = rolled_columns(window.col_off, window.width, self.roll, self.grid.width)
        if len(pieces) == 1:
            start, stop = pieces[0]
            read(bands, window=Window(start, window.row_off, stop - start, window.height), out=out)
            return
        done = 0
        for start, stop in pieces:
            part = Window(start, window.row_off, stop - start, window.height)
            out[..., done : done + stop - start] = read(bands, window=part)
            done += stop - start

    def _masks(self, dataset, bands, window: Window) -> np.ndarray | None:
        """The file's own mask band(s) over ``window`` (0 = missing), or None when the
        file has none (its missing cells are its nodata values, masked separately)."""
        if not any(
            MaskFlags.per_dataset in self.mask_flags[b - 1]
            or MaskFlags.alpha in self.mask_flags[b - 1]
            for b in bands
        ):
            return None
        wanted = [bands[0]] if self.shared_mask else list(bands)
        shape = (len(wanted), int(window.height), int(window.width))
        masks = np.empty(shape, dtype=np.uint8)
        self._read_columns(dataset.read_masks, wanted, window, masks)
        return masks


def extra_values(extra_nodata) -> tuple:
    """``extra_nodata`` (None, a number or a sequence of numbers) as a tuple of numbers."""
    if extra_nodata is None:
        return ()
    if isinstance(extra_nodata, list | tuple):
        return tuple(v for v in extra_nodata if v is not None)
    return (extra_nodata,)


def _refuse_undecodable(path: str, label: str) -> None:
    """Refuse a path GDAL cannot be given: GDAL takes UTF-8 names, and a folder or file
    named in another encoding (bytes such as 0xFF, kept by Python as surrogates) has
    none. The line names the first such part of the path."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        parts = [part for part in path.split(os.sep) if not _utf8(part)]
        shown = os.fsencode(parts[0] if parts else path).decode("utf-8", "backslashreplace")
        raise InputFileError(
            f"{_printable(label)}: the path {_printable(path)} cannot be passed to GDAL: "
            f"the name '{shown}' in it is not valid UTF-8; rename that folder or file"
        ) from None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> str:
    """``text`` with undecodable bytes shown as ``\\xff`` (safe to print)."""
    return os.fsencode(text).decode("utf-8", "backslashreplace") if not _utf8(text) else text


def check_output_file(
    path, overwrite: bool, *, inputs=None, generated=None, kind: str = "file"
) -> Path:
    """Refuse to write one file at ``path``, before anything is computed; one line each,
    naming the path. The generators and ``population from-census`` write their single
    GeoTIFF through it. Refused:

    - a folder of that name, or a missing folder to hold it (bad usage, exit 2);
    - one of the command's own ``inputs`` (:func:`check_not_an_input`), even with
      ``overwrite`` (exit 2);
    - an existing file without ``overwrite`` (exit 2), and with it one that ``generated``
      does not recognise as a file mecc wrote (exit 2): mecc replaces only its own
      files, never one it did not write;
    - a file where its folder must be (exit 1).

    Parameters
    ----------
    path : str or os.PathLike
    overwrite : bool
        Whether an existing file mecc wrote may be replaced.
    inputs : mapping of str to path, optional
        The command's input files, keyed by how the user named them (``"--like"``);
        None values are skipped.
    generated : callable, optional
        ``generated(path) -> bool``: whether an existing file is one mecc wrote that
        this command may replace (known by its tags). Without it, none is replaced.
    kind : str
        What ``generated`` recognises, for the message (``"hazard grid"``).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give the file to write")
    check_not_an_input(path, inputs)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: file exists; use --overwrite to replace it")
    if path.exists() and (generated is None or not generated(path)):
        raise OutputExistsError(
            f"{path}: exists and is not a {kind} mecc wrote (by its tags); --overwrite "
            "replaces only those, never another file: move it away or give another --out"
        )
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputFileError(f"{path}: {folder} is a file, not a folder")
    if folder != path.parent:  # (bad usage, as for every command: folders are not made)
        raise ConfigError(f"{path}: folder {path.parent} does not exist; create it first")
    return path


def check_not_an_input(path, inputs) -> None:
    """Refuse (:class:`ConfigError`, exit 2) an output ``path`` that is one of ``inputs``
    (a mapping of how the user named each input to its path; None values skipped): the
    same file, compared by :func:`os.path.samefile`, so through a symlink or a hard link
    too. A command never writes over its own inputs, whatever ``--overwrite`` says."""
    for label, given in (inputs or {}).items():
        if given is None:
            continue
        try:
            same = os.path.samefile(path, given)
        except (OSError, ValueError):  # either does not exist (or cannot be named)
            continue
        if same:
            raise ConfigError(
                f"{path}: is the same file as {label} {os.fspath(given)}, an input of this "
                "command; mecc never writes over its inputs: give another --out"
            )


def raster_tags(path) -> dict | None:
    """The dataset tags of the raster file at ``path``, or None when GDAL cannot read it
    as a raster (a folder, a CSV table, a damaged file): how mecc knows its own files."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(path) as dataset:
                return dataset.tags()
    except (OSError, ValueError, rasterio.errors.RasterioError):
        return None
