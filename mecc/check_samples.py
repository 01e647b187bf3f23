"""Decimated samples of gridded inputs, for the plausibility checks of ``mecc validate``.

:func:`sample_bands` reads a sample of some bands of one file — at most
:data:`SAMPLE_CELLS` cells a side, at most :data:`SAMPLE_BANDS` bands evenly spaced, and
more bands when those hold nothing above 0 — and returns what it saw
(:class:`GridSample`): the largest and smallest values, the bands they are in, and how
much of the file was read, so that a warning can say what it rests on.

A GeoTIFF whose bands are stored apart (or a single band) is read through GDAL's nearest
decimation (overviews when the file has them). A file whose bands share their tiles
(pixel interleaving, GDAL's default for multi-band GeoTIFFs) and every other source with
a ``grid`` and ``read(bands, window)`` (NetCDF, CLIMADA HDF5, ShakeMap) is read window
by window at full resolution with all the bands wanted in one call, and decimated here,
so each tile is decoded once: GDAL decodes a shared tile whole for each band of a
decimated read (32 bands of a 600-band 1,000 x 2,000 file took 76 s, this about 2 s).
Since any read of such a file decodes it whole, its further bands are read in the same
pass rather than after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window

from mecc.errors import InputFileError, MeccError

__all__ = ["GridSample", "sample_bands"]

SAMPLE_CELLS = 1024
"""Longest side of the sample read of each grid."""
SAMPLE_BANDS = 32
"""Bands of one file read first (evenly spaced)."""
SAMPLE_VALUES = 2**24
"""Most sampled values (bands x cells) of one file read more when the first bands hold
nothing above 0 (at least :data:`SAMPLE_BANDS` further bands)."""
WINDOW_VALUES = 2**22
"""Most values (bands x cells) of one read call (32 MB as float64)."""
ASSUMED_BLOCK = (256, 256)
"""Block shape assumed for sources other than GDAL rasters (NetCDF chunks are often as
large): windows follow it, so a chunk is not decompressed again for each thin window."""


@dataclass
class GridSample:
    """What a sample of one file held.

    Attributes
    ----------
    label : str
        How messages name the file.
    bands_total : int
        Bands of the file the run uses.
    bands_read : int
        Bands sampled.
    full : bool
        True when every cell of the bands read was read (no decimation).
    peak, bottom : float
        Largest and smallest value seen (``-inf``/``inf`` when every value was missing).
    peak_band, bottom_band : int or None
        The (1-based) bands they are in.
    """

    label: str
    bands_total: int
    bands_read: int = 0
    full: bool = True
    peak: float = -math.inf
    peak_band: int | None = None
    bottom: float = math.inf
    bottom_band: int | None = None

    @property
    def valid(self) -> bool:
        """True when the sample holds a value that is not missing."""
        return self.peak_band is not None

    @property
    def complete(self) -> bool:
        """True when every cell of every band was read."""
        return self.full and self.bands_read == self.bands_total

    def add(self, bands, values: np.ndarray) -> None:
        """Take in ``values`` (float64 ``(len(bands), h, w)``, NaN where missing)."""
        flat = values.reshape(len(bands), -1)
        missing = np.isnan(flat)
        if missing.all():
            return
        highs = np.where(missing, -np.inf, flat).max(axis=1)
        lows = np.where(missing, np.inf, flat).min(axis=1)
        seen = ~missing.all(axis=1)
        k = int(np.argmax(np.where(seen, highs, -np.inf)))
        if highs[k] > self.peak or self.peak_band is None:
            self.peak, self.peak_band = float(highs[k]), int(bands[k])
        k = int(np.argmin(np.where(seen, lows, np.inf)))
        if lows[k] < self.bottom or self.bottom_band is None:
            self.bottom, self.bottom_band = float(lows[k]), int(bands[k])


def sample_bands(source, bands, factor: float = 1.0) -> GridSample:
    """Sample ``bands`` (1-based) of ``source``, values multiplied by ``factor``.

    Reads at most :data:`SAMPLE_BANDS` bands, evenly spaced; when they hold nothing
    above 0, reads further bands evenly spaced among the others (up to
    :data:`SAMPLE_VALUES` values, at least :data:`SAMPLE_BANDS` bands), so that an
    event set whose wet events are few is not called dry. A file whose bands share their
    tiles is decoded whole by any read, so both sets of bands are read in one pass. A
    file that cannot be read raises :class:`~mecc.errors.InputFileError` naming it.
    """
    bands = list(dict.fromkeys(int(b) for b in bands))
    height, width = source.grid.height, source.grid.width
    scale = min(1.0, SAMPLE_CELLS / max(height, width))
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    rows = np.floor((np.arange(shape[0]) + 0.5) * height / shape[0]).astype(np.int64)
    cols = np.floor((np.arange(shape[1]) + 0.5) * width / shape[1]).astype(np.int64)
    sample = GridSample(getattr(source, "label", str(source)), len(bands))
    sample.full = shape == (height, width)
    layout = _layout(source)
    more = max(SAMPLE_BANDS, SAMPLE_VALUES // (rows.size * cols.size))
    rounds = [SAMPLE_BANDS + more] if layout and layout[0] else [SAMPLE_BANDS, more]
    extreme = getattr(source, "extreme_cells", None)  # reading counts them: keep the count
    try:
        for wanted in rounds:
            if sample.peak > 0 or not bands:
                break  # water found (or every band read): no further round
            picked = _spaced(bands, wanted)
            _read_into(sample, source, picked, factor, rows, cols, layout)
            done = set(picked)  # once, not once per band (18,000 picked of 20,000)
            bands = [b for b in bands if b not in done]
    finally:
        if extreme is not None:
            source.extreme_cells = extreme
    return sample


def _spaced(bands: list, wanted: int) -> list:
    """At most ``wanted`` of ``bands``, evenly spaced, first and last included."""
    if len(bands) <= wanted:
        return list(bands)
    picks = np.unique(np.linspace(0, len(bands) - 1, wanted).round().astype(int))
    return [bands[k] for k in picks]


def _raster(source):
    """The GDAL raster behind ``source`` (itself, or the file a checking wrapper such as
    ``hazards.fraction.FractionFile`` reads), or None."""
    from mecc.raster_file import RasterFile

    for _ in range(4):
        if isinstance(source, RasterFile):
            return source
        source = getattr(source, "source", None)
    return None


def _layout(source) -> tuple[bool, tuple] | None:
    """``(bands share their tiles, block shape)`` of a GDAL raster; None for other sources."""
    raster = _raster(source)
    if raster is None:
        return None
    import rasterio
    import rasterio.enums
    import rasterio.errors

    try:
        with rasterio.open(raster.path) as dataset:
            shared = dataset.count > 1 and dataset.interleaving == rasterio.enums.Interleaving.pixel
            return shared, tuple(dataset.block_shapes[0])
    except rasterio.errors.RasterioIOError as error:
        raise InputFileError(f"{raster.label}: cannot read raster ({error})") from None


def _read_into(sample: GridSample, source, bands, factor, rows, cols, layout) -> None:
    if layout is None or (layout[0] and len(bands) > 1):
        block = layout[1] if layout else ASSUMED_BLOCK
        _windowed_read(sample, source, bands, factor, rows, cols, block)
        return
    import rasterio
    import rasterio.errors

    raster = _raster(source)
    try:
        with rasterio.open(raster.path) as dataset:
            _decimated_read(
                sample, dataset, bands, factor, rows.size, cols.size, raster.extra_values
            )
    except rasterio.errors.RasterioIOError as error:
        raise InputFileError(f"{raster.label}: cannot read raster data ({error})") from None


def _decimated_read(sample, dataset, bands, factor, height, width, extra=()) -> None:
    """GDAL's nearest decimation of each band (its overviews when the file has them);
    ``extra``: nodata values the run file declares besides the file's own
    (``hazards[].nodata``), masked as :class:`~mecc.raster_file.RasterFile` masks them."""
    from mecc.grid import nodata_sentinels

    per_call = max(1, WINDOW_VALUES // (height * width))
    sentinels = nodata_sentinels(dataset.dtypes[0], *extra)
    for k in range(0, len(bands), per_call):
        group = bands[k : k + per_call]
        raw = dataset.read(group, out_shape=(len(group), height, width), masked=True)
        if sentinels.size:
            raw = np.ma.masked_where(np.isin(raw.data, sentinels) | raw.mask, raw)
        values = raw.astype(np.float64).filled(np.nan)
        for j, band in enumerate(group):
            scale, offset = dataset.scales[band - 1], dataset.offsets[band - 1]
            values[j] = (values[j] * scale + offset) * factor
        values[~np.isfinite(values) | (np.abs(values) > 1e30)] = np.nan
        sample.add(group, values)
    sample.bands_read += len(bands)


def _windowed_read(sample, source, bands, factor, rows, cols, block) -> None:
    """Full-resolution windows through ``source.read``, all bands in one call each,
    decimated to ``rows`` x ``cols``; windows follow the file's blocks."""
    height, width = source.grid.height, source.grid.width
    bh, bw = (max(1, int(n)) for n in block)
    budget = max(bh * bw, WINDOW_VALUES // len(bands))
    wide = width if width * bh <= budget else min(width, max(bw, budget // bh // bw * bw))
    high = min(height, max(bh, budget // wide // bh * bh))
    per_call = max(1, WINDOW_VALUES // (high * wide))
    for r0 in range(0, height, high):
        rsel = rows[(rows >= r0) & (rows < r0 + high)]
        for c0 in range(0, width, wide) if rsel.size else ():
            csel = cols[(cols >= c0) & (cols < c0 + wide)]
            if not csel.size:
                continue
            window = Window(
                int(csel[0]), int(rsel[0]), int(csel[-1] - csel[0] + 1), int(rsel[-1] - rsel[0] + 1)
            )
            for k in range(0, len(bands), per_call):
                group = bands[k : k + per_call]
                try:
                    values = source.read(group, window)
                except MeccError:
                    raise
                except (OSError, RuntimeError) as error:  # a damaged file (HDF5, netCDF)
                    raise InputFileError(
                        f"{sample.label}: cannot read grid data ({error})"
                    ) from None
                values = values[:, rsel - rsel[0]][:, :, csel - csel[0]] * factor
                values[~np.isfinite(values) | (np.abs(values) > 1e30)] = np.nan
                sample.add(group, values)
    sample.bands_read += len(bands)
