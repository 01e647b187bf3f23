"""What of a hazard file the plausibility checks read: its part on the analysis grid, and
its largest value when that is known without reading it whole.

``mecc validate`` checks the values a run uses, those of each intensity file on the
analysis grid (:func:`grid_sample` samples the file's window that holds the analysis
grid, :func:`analysis_window`), and, as ``mecc run`` does, names a file whose values reach
above the plausible range only outside it (:func:`mecc.checks.file_peak_warnings`), from
the file's largest value as :func:`file_peak` knows it: a sample of a small file or of its
overviews, or the GDAL statistics it states; a large file without either is not read
again.
"""

from __future__ import annotations

import math

__all__ = ["analysis_window", "file_peak", "grid_sample"]


def file_peak(source, bands, factor: float = 1.0):
    """The largest value of ``bands`` of a whole file, when known without reading it
    whole; None otherwise.

    A file small enough to sample (at most :data:`mecc.run_checks.SAMPLE_BUDGET` values
    to read) or whose bands have overviews is sampled
    (:func:`mecc.check_samples.sample_bands`; GDAL reads the overviews); otherwise the
    largest value its GDAL statistics state (``STATISTICS_MAXIMUM`` of every band), if
    they do.

    Returns
    -------
    mecc.check_samples.GridSample or None
        Values in the hazard type's unit (times ``factor``).
    """
    from mecc import check_samples
    from mecc.run_checks import SAMPLE_BUDGET

    bands = list(dict.fromkeys(int(b) for b in bands))
    values = source.grid.width * source.grid.height * min(len(bands), check_samples.SAMPLE_BANDS)
    dataset = _gdal_facts(source, bands) if values > SAMPLE_BUDGET else None
    if values <= SAMPLE_BUDGET or (dataset is not None and dataset["overviews"]):
        return check_samples.sample_bands(source, bands, factor)
    if dataset is None or any(dataset["maximum"].get(b) is None for b in bands):
        return None
    sample = check_samples.GridSample(getattr(source, "label", str(source)), len(bands))
    sample.bands_read = len(bands)
    for band in bands:
        value = dataset["maximum"][band] * factor
        if sample.peak_band is None or value > sample.peak:
            sample.peak, sample.peak_band = value, band
    return sample


def _gdal_facts(source, bands) -> dict | None:
    """For a GDAL raster: whether its decimated reads use overviews, and the largest
    value its statistics state for each of ``bands`` (unpacked: raw x scale + offset;
    None where not stated); None for other sources."""
    import rasterio
    import rasterio.enums
    import rasterio.errors

    from mecc.raster_file import RasterFile

    if not isinstance(source, RasterFile):
        return None
    try:
        with rasterio.open(source.path) as dataset:
            shared = dataset.count > 1 and dataset.interleaving == rasterio.enums.Interleaving.pixel
            maximum = {}
            for band in bands:
                stated = dataset.tags(band).get("STATISTICS_MAXIMUM")
                scale, offset = dataset.scales[band - 1], dataset.offsets[band - 1]
                try:
                    value = float(stated) * scale + offset if scale >= 0 else None
                except (TypeError, ValueError):
                    value = None
                maximum[band] = value if value is not None and math.isfinite(value) else None
            return {"overviews": bool(dataset.overviews(1)) and not shared, "maximum": maximum}
    except rasterio.errors.RasterioIOError:
        return None


def grid_sample(source, bands, factor: float, grid=None):
    """The sample of ``bands`` of ``source`` on the analysis grid ``grid`` (its part of
    the file, :func:`analysis_window`); the whole file's when ``grid`` is None or the
    file lies within it (:func:`mecc.check_samples.sample_bands`)."""
    from mecc.check_samples import sample_bands

    window = analysis_window(source.grid, grid) if grid is not None else None
    if window is None:
        return sample_bands(source, bands, factor)
    extreme = getattr(source, "extreme_cells", None)  # reading counts them: keep the count
    try:
        return sample_bands(_Part(source, window), bands, factor)
    finally:
        if extreme is not None:
            source.extreme_cells = extreme


def analysis_window(source_grid, grid):
    """The window of ``source_grid`` whose cells a run reads for the analysis grid, or
    None when that is the whole file.

    The centres of the analysis grid's cells (at most 65 x 65 of them, edges included)
    are placed on the file's grid, through its CRS when it has another one (then with a
    cell of margin, for the bends between them); the window holds the cells nearest to
    them and their neighbours towards them (what bilinear resampling reads).
    """
    import numpy as np
    import pyproj
    from rasterio.windows import Window

    from mecc.grid import crs_equal

    cols = np.linspace(0.5, grid.width - 0.5, min(grid.width, 64) + 1)
    rows = np.linspace(0.5, grid.height - 0.5, min(grid.height, 64) + 1)
    col, row = np.meshgrid(cols, rows)
    t = grid.transform
    x, y = t.c + t.a * col + t.b * row, t.f + t.d * col + t.e * row
    margin = 0
    if not crs_equal(source_grid.crs, grid.crs):
        transformer = pyproj.Transformer.from_crs(grid.crs, source_grid.crs, always_xy=True)
        x, y = transformer.transform(x, y)
        margin = 1
    inverse = ~source_grid.transform
    c, r = inverse.a * x + inverse.b * y + inverse.c, inverse.d * x + inverse.e * y + inverse.f
    finite = np.isfinite(c) & np.isfinite(r)
    if not finite.any():
        return None
    c0 = max(math.floor(c[finite].min() - 0.5) - margin, 0)
    c1 = min(math.floor(c[finite].max() + 0.5) + 1 + margin, source_grid.width)
    r0 = max(math.floor(r[finite].min() - 0.5) - margin, 0)
    r1 = min(math.floor(r[finite].max() + 0.5) + 1 + margin, source_grid.height)
    if c1 <= c0 or r1 <= r0 or (c0, r0, c1, r1) == (0, 0, source_grid.width, source_grid.height):
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


class _Part:
    """A window of a grid source read as a source of its own (for ``sample_bands``)."""

    def __init__(self, source, window):
        from mecc.grid import GridSpec

        self._whole, self._window = source, window
        self.label = getattr(source, "label", str(source))
        whole = source.grid
        self.grid = GridSpec(
            whole.crs, whole.window_transform(window), int(window.width), int(window.height)
        )

    def read(self, bands, window):
        """``bands`` of ``window`` (counted from the part's corner) as the source reads them."""
        from rasterio.windows import Window

        moved = Window(
            int(window.col_off) + int(self._window.col_off),
            int(window.row_off) + int(self._window.row_off),
            int(window.width),
            int(window.height),
        )
        return self._whole.read(bands, moved)
