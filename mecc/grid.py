"""Grids: the analysis grid, block partitions, nodata masks, cell areas and alignment.

Everything is aligned to one analysis grid (a :class:`GridSpec`) before any kernel
runs. This module holds what hazard and exposure readers share: nodata masks, and
bringing bands of other grids onto the analysis grid block by block with nearest or
bilinear sampling (:class:`AlignedBands`); reading a window of a raster file as float64
with missing values as NaN is :class:`mecc.raster_file.RasterFile`. Conservative regridding of population
lives with the population reader (``exposure.population``), built on
:func:`overlap_weights` here. Hazards are sampled with longitudes compared modulo 360
(:mod:`mecc.longitudes`): either grid may use 0-360 or -180..180, or lie across 180°.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.transform
import rasterio.warp
import rasterio.windows
from affine import Affine
from rasterio.windows import Window

from mecc import kernels, longitudes
from mecc.errors import (
    AlignmentError,
    MissingCRSError,
    NoOverlapError,
)
from mecc.longitudes import rolled_columns

__all__ = [
    "EXTREME_VALUE",
    "RESAMPLING_METHODS",
    "AlignedBands",
    "GridSpec",
    "block_windows",
    "check_overlap",
    "cell_areas_km2",
    "crs_equal",
    "mask_missing",
    "nodata_sentinels",
    "overlap_weights",
    "reused",
    "rolled_columns",
    "source_positions",
]

EXTREME_VALUE = 1e30
"""Magnitudes at or above this are nodata whatever the file declares: WorldPop and
other producers write -3.4e38 (float32) or -1.7e308 (float64) without always tagging it."""

RESAMPLING_METHODS = {"nearest": kernels.sample_nearest, "bilinear": kernels.sample_bilinear}
"""Intensity resampling methods by name; both never fill a cell whose nearest source
cell is missing."""


def crs_equal(a, b) -> bool:
    """Tell whether two CRS definitions describe the same system (axis order ignored)."""
    if a is None or b is None:
        return False
    return pyproj.CRS.from_user_input(a).equals(
        pyproj.CRS.from_user_input(b), ignore_axis_order=True
    )


@dataclass(frozen=True)
class GridSpec:
    """A raster grid: CRS, affine transform and size.

    Parameters
    ----------
    crs : rasterio.crs.CRS or anything pyproj accepts
    transform : affine.Affine
        Maps (col, row) pixel corner positions to CRS coordinates.
    width, height : int
    """

    crs: object
    transform: Affine
    width: int
    height: int

    @classmethod
    def from_dataset(cls, dataset, label: str | None = None) -> GridSpec:
        """Read the grid of an open rasterio dataset.

        Refuses a raster that does not say where its cells lie on the Earth: no CRS, a
        local engineering CRS (``LOCAL_CS``), ground control points only, or no
        geotransform (GDAL then gives the identity, one-unit cells from 0, 0).
        """
        name = label or dataset.name
        if dataset.crs is None:
            gcps = " (it has ground control points only: warp it to a grid first)"
            raise MissingCRSError(f"{name}: raster has no CRS{gcps if dataset.gcps[0] else ''}")
        if pyproj.CRS.from_user_input(dataset.crs).is_engineering:
            raise MissingCRSError(
                f"{name}: raster has a local engineering CRS (LOCAL_CS), with no link to "
                "places on the Earth; give the file its real CRS"
            )
        if dataset.transform.is_identity:
            raise MissingCRSError(
                f"{name}: raster has a CRS but no geotransform (where its cells lie); "
                "give the file its georeference"
            )
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)

    as_written: tuple | None = field(default=None, compare=False, repr=False)
    """The bounds its file writes, when the grid presents it at other longitudes."""

    def west_of_greenwich(self) -> GridSpec:
        """This grid with longitudes 180-360 written as -180-0 when it lies wholly there
        (a regional grid in 0-360 longitudes, as climate data often come); else itself.

        Only the georeference moves: the cells and their order stay the same.
        """
        if not self.rectilinear or not self.is_geographic:
            return self
        moved = longitudes.moved_west(self.transform, self.width, self.height)
        if moved is None:
            return self
        return GridSpec(self.crs, moved, self.width, self.height, self.own_bounds)

    def from_minus_180(self) -> tuple[GridSpec, int]:
        """A global grid in 0-360 longitudes presented from -180 to 180, and the number
        of its columns (those from 180 east) that come first; ``(self, 0)`` for any other
        grid, including global grids that already start at -180."""
        if not self.rectilinear or not self.is_geographic:
            return self, 0
        moved, roll = longitudes.rolled_from_minus_180(self.transform, self.width)
        if roll == 0:
            return self, 0
        return GridSpec(self.crs, moved, self.width, self.height, self.own_bounds), roll

    @property
    def own_bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` as the grid's file writes them (:attr:`bounds`
        unless the grid presents the file at other longitudes)."""
        return self.as_written if self.as_written is not None else self.bounds

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def rectilinear(self) -> bool:
        """True when the grid is not rotated or sheared."""
        return self.transform.b == 0 and self.transform.d == 0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in CRS units."""
        return rasterio.transform.array_bounds(self.height, self.width, self.transform)

    @property
    def is_geographic(self) -> bool:
        """True for latitude/longitude grids."""
        return pyproj.CRS.from_user_input(self.crs).is_geographic

    def window_transform(self, window: Window) -> Affine:
        """Transform of the sub-grid covered by ``window``."""
        return self.transform @ Affine.translation(window.col_off, window.row_off)

    def window_bounds(self, window: Window) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` of ``window`` in CRS units."""
        t = self.window_transform(window)
        xs, ys = zip(
            *(
                t @ (c, r)
                for c, r in (
                    (0, 0),
                    (window.width, 0),
                    (0, window.height),
                    (window.width, window.height),
                )
            ),
            strict=True,
        )
        return min(xs), min(ys), max(xs), max(ys)

    def cell_centres(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """CRS coordinates ``(x, y)`` of the cell centres of ``window``, each (h, w)."""
        rows = np.arange(window.height, dtype=np.float64) + window.row_off + 0.5
        cols = np.arange(window.width, dtype=np.float64) + window.col_off + 0.5
        col_grid, row_grid = np.meshgrid(cols, rows)
        t = self.transform
        x = t.c + t.a * col_grid + t.b * row_grid
        y = t.f + t.d * col_grid + t.e * row_grid
        return x, y

    def covering(self, bounds: tuple[float, float, float, float]) -> GridSpec:
        """This grid grown by whole cells (same CRS, cell size and alignment) until it
        covers ``bounds`` ``(left, bottom, right, top)`` in its CRS; itself when it does.

        A rotated grid is returned as it is.
        """
        if not self.rectilinear:
            return self
        t = self.transform
        left, bottom, right, top = bounds
        # columns and rows of the bounds' corners, in this grid's cell units
        cols = sorted(((left - t.c) / t.a, (right - t.c) / t.a))
        rows = sorted(((top - t.f) / t.e, (bottom - t.f) / t.e))
        slack = 1e-6  # a corner on a cell edge (to rounding) stays on it
        col_start = min(0, math.floor(cols[0] + slack))
        row_start = min(0, math.floor(rows[0] + slack))
        col_end = max(self.width, math.ceil(cols[1] - slack))
        row_end = max(self.height, math.ceil(rows[1] - slack))
        if (col_start, row_start, col_end, row_end) == (0, 0, self.width, self.height):
            return self
        moved = t @ Affine.translation(col_start, row_start)
        return GridSpec(self.crs, moved, col_end - col_start, row_end - row_start)

    def shares_cells_with(self, other: GridSpec) -> bool:
        """True when both grids have the same CRS, cell size and cell edges (one may be a
        part of the other, or grown from it by whole cells: :meth:`covering`)."""
        if not (self.rectilinear and other.rectilinear) or not crs_equal(self.crs, other.crs):
            return False
        a, b = self.transform, other.transform
        if not (math.isclose(a.a, b.a, rel_tol=1e-9) and math.isclose(a.e, b.e, rel_tol=1e-9)):
            return False
        cols, rows = (b.c - a.c) / a.a, (b.f - a.f) / a.e
        return abs(cols - round(cols)) <= 1e-6 and abs(rows - round(rows)) <= 1e-6

    def same_as(self, other: GridSpec) -> bool:
        """True when both grids have the same CRS, size and cell placement."""
        if self.shape != other.shape or not crs_equal(self.crs, other.crs):
            return False
        tolerance = 1e-9 * max(abs(self.transform.a), abs(self.transform.e), 1e-12)
        return all(
            abs(p - q) <= tolerance
            for p, q in zip(tuple(self.transform)[:6], tuple(other.transform)[:6], strict=True)
        )

    def describe(self) -> dict:
        """A JSON-ready description (for manifests)."""
        crs = pyproj.CRS.from_user_input(self.crs)
        epsg = crs.to_epsg()
        return {
            "crs": f"EPSG:{epsg}" if epsg else crs.to_wkt(),
            "transform": [float(v) for v in tuple(self.transform)[:6]],
            "width": int(self.width),
            "height": int(self.height),
        }


def block_windows(grid: GridSpec, block_rows: int, block_cols: int) -> Iterator[Window]:
    """The fixed block partition of ``grid``, row-major.

    The partition depends only on the grid and the block size, so sums combined in
    this order are reproducible whatever the number of threads.
    """
    if block_rows < 1 or block_cols < 1:
        raise ValueError("block sizes must be positive")
    for row in range(0, grid.height, block_rows):
        for col in range(0, grid.width, block_cols):
            yield Window(
                col, row, min(block_cols, grid.width - col), min(block_rows, grid.height - row)
            )


def nodata_sentinels(dtype, *nodata) -> np.ndarray:
    """Declared nodata values as an array of ``dtype`` for :func:`kernels.mask_missing_into`.

    NaN and None are dropped (NaN is always missing); an integer type keeps only the
    values it can hold, so -9999 never matches a uint8 file.
    """
    dtype = np.dtype(dtype)
    wanted = np.asarray(
        [v for v in nodata if v is not None and not (isinstance(v, float) and math.isnan(v))],
        dtype=np.float64,
    )
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        wanted = wanted[(wanted >= info.min) & (wanted <= info.max) & (wanted == np.round(wanted))]
    return np.unique(wanted.astype(dtype))  # floats: rounded to the file's dtype


def mask_missing(values: np.ndarray, *nodata) -> tuple[np.ndarray, int]:
    """Cast to float64 with NaN wherever a value is missing.

    Missing: NaN or infinite, equal to a declared ``nodata`` value (compared in the
    file's own dtype), or of magnitude at least :data:`EXTREME_VALUE`.

    Returns
    -------
    values : ndarray of float64
        A new array; the input is not modified.
    n_extreme : int
        How many cells were masked only because of their magnitude (a nodata value
        the file did not declare).
    """
    raw = np.ascontiguousarray(values)
    raw2d = raw.reshape(-1, raw.shape[-1]) if raw.ndim else raw.reshape(1, 1)
    out = np.empty(raw2d.shape, dtype=np.float64)
    sentinels = nodata_sentinels(raw.dtype, *nodata)
    n_extreme = kernels.mask_missing_into(raw2d, sentinels, EXTREME_VALUE, out)
    return out.reshape(raw.shape), int(n_extreme)


def _authalic_q(lat_radians: np.ndarray, e: float) -> np.ndarray:
    """The authalic-latitude function q(phi) of an ellipsoid with eccentricity ``e``.

    The area between parallels phi1 < phi2 over a longitude span dlam (radians) is
    ``a**2 / 2 * dlam * (q(phi2) - q(phi1))``, exactly (Snyder 1987, eq. 3-12).
    """
    sin = np.sin(lat_radians)
    if e == 0:
        return 2.0 * sin
    return (1 - e * e) * (
        sin / (1 - (e * sin) ** 2) - np.log((1 - e * sin) / (1 + e * sin)) / (2 * e)
    )


def cell_areas_km2(grid: GridSpec, window: Window) -> np.ndarray:
    """Area of each cell of ``window`` on the CRS's own ellipsoid, in km².

    Cell outlines (corners and edge midpoints) are mapped to the ellipsoid's
    equal-area cylindrical plane, ``(a * lon, a / 2 * q(lat))``, where planar area is
    ellipsoidal area; the outline's area there is the cell's area. This is exact for
    latitude/longitude grids (their cells are rectangles in that plane) and accurate
    to second order in the cell size for projected grids, whatever the projection.
    """
    crs = pyproj.CRS.from_user_input(grid.crs)
    ellipsoid = crs.ellipsoid
    a = ellipsoid.semi_major_metre
    inverse_flattening = ellipsoid.inverse_flattening
    f = (
        0.0
        if not inverse_flattening or math.isinf(inverse_flattening)
        else 1.0 / inverse_flattening
    )
    e = math.sqrt(f * (2 - f))
    h, w = int(window.height), int(window.width)
    t = grid.transform
    if crs.is_geographic and grid.rectilinear:  # closed form, the same along a row
        edges = np.radians(t.f + t.e * (window.row_off + np.arange(h + 1)))
        q = _authalic_q(edges, e)
        rows = a * a / 2.0 * abs(math.radians(t.a)) * np.abs(np.diff(q)) / 1e6
        return np.repeat(rows[:, None], w, axis=1)
    # outline points on a half-cell lattice: (2h + 1) x (2w + 1)
    rows = window.row_off + np.arange(2 * h + 1) / 2.0
    cols = window.col_off + np.arange(2 * w + 1) / 2.0
    col_grid, row_grid = np.meshgrid(cols, rows)
    x = t.c + t.a * col_grid + t.b * row_grid
    y = t.f + t.d * col_grid + t.e * row_grid
    if not crs.is_geographic:
        to_lonlat = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        x, y = to_lonlat.transform(x, y)
    lam = np.radians(x)
    plane_x = a * lam
    plane_y = a / 2.0 * _authalic_q(np.radians(y), e)
    # each cell's outline, counter-clockwise in (row, col) index: 8 points
    steps = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]
    px = np.stack([plane_x[dr : dr + 2 * h : 2, dc : dc + 2 * w : 2] for dr, dc in steps])
    py = np.stack([plane_y[dr : dr + 2 * h : 2, dc : dc + 2 * w : 2] for dr, dc in steps])
    world = 2 * math.pi * a
    span = px.max(axis=0) - px.min(axis=0)
    wraps = span > world / 2  # a cell across the antimeridian
    if wraps.any():
        px = np.where(wraps[None] & (px < 0), px + world, px)
    shoelace = (px * np.roll(py, -1, axis=0) - np.roll(px, -1, axis=0) * py).sum(axis=0)
    return np.abs(shoelace) / 2.0 / 1e6


def source_positions(
    source: GridSpec, target: GridSpec, window: Window
) -> tuple[np.ndarray, np.ndarray]:
    """Fractional source pixel positions ``(rows, cols)`` of target cell centres; on a
    latitude/longitude source, longitudes are compared modulo 360 (a source at -180..-177
    lies under target cells at 180-183: :func:`mecc.longitudes.wrapped`)."""
    x, y = target.cell_centres(window)
    if not crs_equal(source.crs, target.crs):
        transformer = pyproj.Transformer.from_crs(target.crs, source.crs, always_xy=True)
        x, y = transformer.transform(x, y)
    x = longitudes.wrapped(np.asarray(x, dtype=np.float64), source)
    inverse = ~source.transform
    cols = inverse.a * x + inverse.b * y + inverse.c
    rows = inverse.d * x + inverse.e * y + inverse.f
    return np.ascontiguousarray(rows), np.ascontiguousarray(cols)


def overlap_weights(
    source_edges: np.ndarray, n_target: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of each source interval falling in each unit target interval (CSR).

    Parameters
    ----------
    source_edges : ndarray, shape (n_source + 1,)
        Source cell edges expressed in target index units (target cell ``k`` spans
        ``[k, k + 1]``); increasing or decreasing. Edges within 1e-6 of an integer are
        snapped to it, so aligned integer factors map exactly.
    n_target : int

    Returns
    -------
    ptr, index, weight : ndarrays
        Source cell ``i`` sends ``weight[ptr[i]:ptr[i + 1]]`` of itself to target cells
        ``index[ptr[i]:ptr[i + 1]]``; the parts outside ``[0, n_target)`` are dropped.
    """
    edges = np.asarray(source_edges, dtype=np.float64).copy()
    snapped = np.round(edges)
    close = np.abs(edges - snapped) < 1e-6
    edges[close] = snapped[close]
    lo = np.minimum(edges[:-1], edges[1:])
    hi = np.maximum(edges[:-1], edges[1:])
    ptr = np.zeros(edges.size, dtype=np.int64)
    index: list[int] = []
    weight: list[float] = []
    for i in range(lo.size):
        width = hi[i] - lo[i]
        first = max(int(math.floor(lo[i])), 0)
        last = min(int(math.ceil(hi[i])), n_target)
        for k in range(first, last):
            overlap = min(hi[i], k + 1.0) - max(lo[i], float(k))
            if overlap > 0 and width > 0:
                index.append(k)
                weight.append(overlap / width)
        ptr[i + 1] = len(index)
    return ptr, np.asarray(index, dtype=np.int64), np.asarray(weight, dtype=np.float64)


def reused(store: dict, key, shape, dtype) -> np.ndarray:
    """A C-contiguous array of ``shape`` at the start of one flat buffer kept in
    ``store[key]``, which grows when a larger shape is asked for."""
    size = math.prod(shape)
    flat = store.get(key)
    if flat is None or flat.size < size or flat.dtype != np.dtype(dtype):
        flat = store[key] = np.empty(size, dtype=dtype)
    return flat[:size].reshape(shape)


FLOAT32_EXACT = frozenset(np.dtype(t) for t in ("float32", "int16", "uint16", "int8", "uint8"))
"""File data types whose every value (and NaN for missing) a float32 holds exactly."""


class AlignedBands:
    """Bands of one or more files, read block by block onto the analysis grid.

    Parameters
    ----------
    layers : sequence of (source, band)
        ``source`` has ``grid`` and ``read(bands, window)`` (a :class:`RasterFile` or
        a NetCDF reader); ``band`` is 1-based. Output band ``k`` is ``layers[k]``.
    target : GridSpec
        The analysis grid.
    resampling : {"nearest", "bilinear"}
        Used only where a source grid differs from the target.
    label : str
        Names the input in errors.
    scale : float
        Factor applied to every value read (unit conversion).
    """

    def __init__(
        self, layers, target: GridSpec, resampling: str = "nearest", label: str = "", scale=1.0
    ):
        if resampling not in RESAMPLING_METHODS:
            raise AlignmentError(f"{label}: unknown resampling {resampling!r}")
        self.layers = list(layers)
        self.target = target
        self.resampling = resampling
        self.label = label
        self.scale = float(scale)
        self.count = len(self.layers)
        groups: dict[int, tuple[object, list[int], list[int]]] = {}
        for position, (source, band) in enumerate(self.layers):
            groups.setdefault(id(source), (source, [], []))
            groups[id(source)][1].append(band)
            groups[id(source)][2].append(position)
        self._groups = list(groups.values())
        self._same = {id(source): source.grid.same_as(target) for source, _, _ in self._groups}
        self.aligned = all(self._same.values())
        for source, _, _ in self._groups:
            where = f"{label} ({getattr(source, 'path', '')})"
            check_overlap(source.grid, target, where, wrap=True)

    def __setstate__(self, state: dict) -> None:
        """Unpickle (Dask workers): sources are new objects, so re-key ``_same``."""
        self.__dict__.update(state)
        self._same = {id(s): s.grid.same_as(self.target) for s, _, _ in self._groups}

    @property
    def dtype(self) -> np.dtype:
        """Float32 where every value read is a float32 exactly (files of float32 or
        16-bit or 8-bit integers, unpacked and unscaled, on the analysis grid itself),
        else float64: the buffers :meth:`read` can fill without changing a value."""
        exact = self.aligned and self.scale == 1.0
        for source, bands, _ in self._groups:
            exact = exact and np.dtype(getattr(source, "dtype", np.float64)) in FLOAT32_EXACT
            scales, offsets = getattr(source, "scales", None), getattr(source, "offsets", None)
            exact = exact and scales is not None and offsets is not None
            exact = exact and all(scales[b - 1] == 1.0 and offsets[b - 1] == 0.0 for b in bands)
        return np.dtype(np.float32 if exact else np.float64)

    def read(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        """``(count, h, w)`` on the analysis grid; NaN where missing.

        Written into ``out`` when given (its data type: :attr:`dtype` keeps every value),
        else float64.
        """
        if out is None:
            out = np.empty((self.count, int(window.height), int(window.width)))
        for source, bands, positions in self._groups:
            if self._same[id(source)]:
                if positions == list(range(positions[0], positions[0] + len(positions))):
                    source.read(
                        bands, window, out=out[positions[0] : positions[0] + len(positions)]
                    )
                else:
                    out[positions] = source.read(bands, window)
                continue
            rows, cols = source_positions(source.grid, self.target, window)
            cols = longitudes.across_seam(cols, source.grid)
            block = _covering_window(rows, cols, source.grid)
            part = np.full((len(bands), *rows.shape), np.nan)
            if block is not None:
                data = longitudes.read_around(source, bands, block)
                RESAMPLING_METHODS[self.resampling](
                    np.ascontiguousarray(data),
                    np.ascontiguousarray(rows - block.row_off),
                    np.ascontiguousarray(cols - block.col_off),
                    part,
                )
            out[positions] = part
        if self.scale != 1.0:
            out *= self.scale
        return out


def _covering_window(rows: np.ndarray, cols: np.ndarray, grid: GridSpec) -> Window | None:
    """The source window holding every cell a sampler may touch, or None if none; on a
    global grid it may go round the Earth (:func:`mecc.longitudes.read_around`)."""
    finite = np.isfinite(rows) & np.isfinite(cols)
    if not finite.any():
        return None
    r0 = max(int(math.floor(rows[finite].min())) - 1, 0)
    r1 = min(int(math.ceil(rows[finite].max())) + 1, grid.height)
    c0 = int(math.floor(cols[finite].min())) - 1
    c1 = int(math.ceil(cols[finite].max())) + 1
    if c1 - c0 > grid.width or not longitudes.spans_globe(grid):
        c0, c1 = max(c0, 0), min(c1, grid.width)
    if r1 <= r0 or c1 <= c0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def check_overlap(source: GridSpec, target: GridSpec, label: str, wrap: bool = False) -> None:
    """Raise :class:`NoOverlapError` when two grids share no area; with ``wrap``, compare
    longitudes modulo 360 (as :func:`source_positions` samples: -180..-177 overlaps
    177-183). The message shows each grid's bounds as its file writes them."""
    if source.crs is None:
        raise MissingCRSError(f"{label}: raster has no CRS")
    shown = left, bottom, right, top = source.bounds
    same_crs = crs_equal(source.crs, target.crs)
    if same_crs:
        shown = source.own_bounds
    else:
        try:
            shown = left, bottom, right, top = rasterio.warp.transform_bounds(
                source.crs, target.crs, left, bottom, right, top, densify_pts=21
            )
        except Exception as error:  # PROJ cannot transform these bounds at all
            raise NoOverlapError(
                f"{label}: cannot place it on the analysis grid ({error})"
            ) from None
    t_left, t_bottom, t_right, t_top = target.bounds
    if wrap and target.is_geographic:
        overlaps = longitudes.overlap_shift((left, bottom, right, top), target.bounds) is not None
    else:
        overlaps = left < t_right and right > t_left and bottom < t_top and top > t_bottom
    if not overlaps:
        raise NoOverlapError(
            f"{label}: does not overlap the analysis grid "
            f"(bounds {_fmt_bounds(shown)} vs {_fmt_bounds(target.own_bounds)}"
            f"{', longitudes compared modulo 360' if wrap and target.is_geographic else ''}"
            "; check the CRS and the area)"
        )


def _fmt_bounds(bounds) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in bounds) + ")"
