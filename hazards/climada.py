"""CLIMADA hazard files (HDF5): sparse event sets read block by block, never densified.

CLIMADA's ``Hazard.write_hdf5`` stores ``intensity`` (and ``fraction``) as compressed
sparse rows (CSR: groups with ``data``, ``indices``, ``indptr`` and a ``shape``
attribute; events are rows, centroids columns), ``frequency`` (per year),
``event_name``, ``event_id``, ``units`` and the centroids: ``lat``/``lon`` arrays or a
raster ``meta`` (CLIMADA up to 4), or a pandas table of point geometries (CLIMADA 5 and
later; the points are decoded from their WKB with a restricted unpickler that accepts
nothing but numpy arrays and shapely's ``from_wkb``).

Centroids must lie on a regular longitude/latitude lattice (every CLIMADA raster and
every set built from one does; land-only subsets are fine): lattice cells without a
centroid are "no hazard data" (NaN), centroids without an entry in an event's row have
intensity 0, as in CLIMADA. A window of the lattice is read by finding, for each
requested event, the part of its CSR row that falls in the window's rows (a row-start
index built in one streaming pass over ``indices``) and scattering it, so memory stays
proportional to the block, not to events x centroids.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading

import numpy as np
import pandas as pd
from affine import Affine

from hazards.catalogue import check_frequencies, file_unit, get_hazard_type
from mecc.errors import ConfigError, DataError, InputFileError, did_you_mean
from mecc.grid import GridSpec

__all__ = ["ClimadaHazardFile", "climada_event_set", "is_climada_file", "read_climada_events"]

CHUNK = 1 << 21
"""Entries of a CSR matrix read at once."""
ROW_INDEX_BYTES = 256 * 2**20
"""Largest row-start index kept in memory; beyond it every read scans its events' rows."""
MERGE_GAP = 4096
"""Neighbouring event segments closer than this many entries are read in one go."""
EXTENSIONS = (".hdf5", ".h5", ".hdf")


def is_climada_file(path) -> bool:
    """True for a path with an HDF5 extension (``.hdf5``, ``.h5``, ``.hdf``)."""
    return os.fspath(path).lower().endswith(EXTENSIONS)


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays of shapely geometries and plain containers, nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("shapely.io", "from_wkb"),
        ("shapely.wkb", "loads"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a centroids table")


def _unpickle(raw: bytes):
    return _RestrictedUnpickler(io.BytesIO(raw)).load()


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return _text(value.reshape(-1)[0]) if value.size else ""
    return str(value)


def _centroids(handle, label):
    """``(lat, lon, crs)`` of the centroids, or ``(transform, width, height, crs)``."""
    if "centroids" not in handle:
        raise DataError(f"{label}: no centroids group")
    group = handle["centroids"]
    attrs = group.attrs
    if _text(attrs.get("pandas_type", b"")) == "frame":  # CLIMADA >= 5: a pandas table
        return _centroids_from_frame(group, label)
    crs = _text(group["crs"][()]) if "crs" in group else "EPSG:4326"
    for lat_name, lon_name in (("lat", "lon"), ("latitude", "longitude")):
        if lat_name in group and group[lat_name].size:
            lat = np.asarray(group[lat_name][()], dtype=np.float64).reshape(-1)
            lon = np.asarray(group[lon_name][()], dtype=np.float64).reshape(-1)
            return lat, lon, crs
    if "meta" in group:
        meta = group["meta"]
        transform = Affine(*np.asarray(meta["transform"][()], dtype=np.float64)[:6])
        width = int(np.asarray(meta["width"][()]).reshape(-1)[0])
        height = int(np.asarray(meta["height"][()]).reshape(-1)[0])
        if "crs" in meta:
            crs = _text(meta["crs"][()])
        rows, cols = np.divmod(np.arange(width * height), width)
        lon = transform.c + transform.a * (cols + 0.5)
        lat = transform.f + transform.e * (rows + 0.5)
        return lat, lon, crs
    raise DataError(f"{label}: centroids have neither lat/lon nor a raster meta")


def _centroids_from_frame(group, label):
    import shapely

    metadata = group.attrs.get("metadata")
    crs = "EPSG:4326"
    if metadata is not None:
        with contextlib.suppress(pickle.UnpicklingError, AttributeError, EOFError, ValueError):
            crs = _unpickle(bytes(metadata)).get("crs") or crs
    for k in range(int(group.attrs.get("nblocks", 0))):
        items = [_text(v) for v in group[f"block{k}_items"][()]]
        if "geometry" not in items:
            continue
        values = group[f"block{k}_values"]
        try:
            array = _unpickle(bytes(np.asarray(values[0], dtype=np.uint8)))
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            raise DataError(f"{label}: centroids geometry cannot be read ({error})") from None
        array = np.asarray(array)
        column = array[:, items.index("geometry")] if array.ndim == 2 else array
        geoms = np.asarray(list(column), dtype=object)
        if not all(isinstance(g, shapely.Point) for g in geoms):
            raise DataError(f"{label}: centroids must be points")
        return shapely.get_y(geoms), shapely.get_x(geoms), crs
    raise DataError(f"{label}: the centroids table has no geometry column")


def _lattice_positions(values: np.ndarray, label: str, axis: str):
    """Spacing, first value, count and integer position of each value on a lattice."""
    unique = np.unique(values)
    if unique.size == 1:
        raise DataError(f"{label}: all centroids share one {axis}; cannot infer the grid")
    step = float(np.min(np.diff(unique)))
    position = (values - unique[0]) / step
    rounded = np.rint(position)
    if np.max(np.abs(position - rounded)) > 1e-4:
        raise DataError(
            f"{label}: centroids are not on a regular {axis} lattice (point centroids off a "
            "grid are not supported; rasterise the hazard first)"
        )
    return step, float(unique[0]), int(rounded.max()) + 1, rounded.astype(np.int64)


def _read_matrix_info(handle, name, label):
    if name not in handle:
        return None
    node = handle[name]
    import h5py

    if isinstance(node, h5py.Dataset):  # written with todense=True
        return {"dense": node, "shape": node.shape}
    for part in ("data", "indices", "indptr"):
        if part not in node:
            raise DataError(f"{label}: {name} has no {part} (not a CSR matrix)")
    shape = tuple(int(v) for v in np.asarray(node.attrs.get("shape", (0, 0))).reshape(-1))
    return {"group": node, "shape": shape}


class ClimadaHazardFile:
    """The intensity (or fraction) matrix of a CLIMADA hazard file, read by windows.

    Presents the file like :class:`mecc.raster_file.RasterFile`: ``grid`` (the centroids'
    lattice), ``count`` (events) and ``read(bands, window, out)`` giving float64
    ``(len(bands), h, w)`` with NaN where the lattice has no centroid.
    """

    def __init__(self, path, label: str | None = None, matrix: str = "intensity"):
        import h5py

        self.path = os.fspath(path)
        self.label = label or self.path
        self.matrix = matrix
        self.extreme_cells = 0
        self._lock = threading.Lock()
        self._row_starts = None
        self._row_index_tried = False
        if not os.path.exists(self.path):
            hint = did_you_mean(self.path, self.label)
            raise InputFileError(f"{self.label}: file not found ({self.path}){hint}")
        try:
            self._handle = h5py.File(self.path, "r")
        except OSError as error:
            raise InputFileError(f"{self.label}: cannot read HDF5 ({error})") from None
        info = _read_matrix_info(self._handle, matrix, self.label)
        if info is None:
            raise DataError(f"{self.label}: no {matrix} matrix")
        self._info = info
        found = _centroids(self._handle, self.label)
        lat, lon, crs = found
        n_events, n_centroids = info["shape"]
        if n_centroids != lat.size:
            raise DataError(
                f"{self.label}: {matrix} has {n_centroids} columns but there are {lat.size} centroids"
            )
        dx, lon0, width, cols = _lattice_positions(lon, self.label, "longitude")
        dy, lat0, height, rows_up = _lattice_positions(lat, self.label, "latitude")
        rows = (height - 1) - rows_up  # north-up
        self.grid = GridSpec(
            crs, Affine(dx, 0.0, lon0 - dx / 2, 0.0, -dy, lat0 + (height - 0.5) * dy), width, height
        )
        flat = rows * width + cols
        if np.unique(flat).size != flat.size:
            raise DataError(f"{self.label}: two centroids fall on the same lattice point")
        self._row_of = rows.astype(np.int64)
        self._col_of = cols.astype(np.int64)
        self._present = np.zeros((height, width), dtype=bool)
        self._present[rows, cols] = True
        self.count = int(n_events)
        self.nodata = (None,) * self.count
        self.units = _text(self._handle["units"][()]) if "units" in self._handle else ""
        if "dense" not in info:
            group = info["group"]
            self._indptr = np.asarray(group["indptr"][()], dtype=np.int64)
            if self._indptr.size != n_events + 1 or self._indptr[-1] != group["data"].shape[0]:
                raise DataError(f"{self.label}: {matrix} indptr does not match its data")
            self._data, self._indices = group["data"], group["indices"]

    @property
    def empty(self) -> bool:
        """True for a matrix with no stored entry (CLIMADA's "no fraction": fraction = 1)."""
        return "dense" not in self._info and self._indptr[-1] == 0

    def close(self) -> None:
        self._handle.close()

    # ------------------------------------------------------------------ reading

    def _build_row_index(self) -> None:
        """For each event and lattice row, where its entries start (one pass, chunked)."""
        self._row_index_tried = True
        height = self.grid.height
        n = self.count * (height + 1)
        if n * 8 > ROW_INDEX_BYTES or np.any(np.diff(self._row_of) < 0):
            return  # too large, or centroids not in row order: scan instead
        nnz = int(self._indptr[-1])
        starts = np.empty(n, dtype=np.int64)
        done, last_key = 0, -1
        for p0 in range(0, nnz, CHUNK):
            p1 = min(p0 + CHUNK, nnz)
            events = np.searchsorted(self._indptr, np.arange(p0, p1), side="right") - 1
            keys = events * (height + 1) + self._row_of[self._indices[p0:p1]]
            if (np.diff(keys) < 0).any() or keys[0] < last_key:
                return  # indices not sorted within rows: scan instead
            last_key = int(keys[-1])
            hi = last_key + 1
            starts[done:hi] = p0 + np.searchsorted(keys, np.arange(done, hi), side="left")
            done = hi
        starts[done:] = nnz
        self._row_starts = starts.reshape(self.count, height + 1)

    def _spans(self, events: np.ndarray, r0: int, r1: int) -> list[tuple[int, int]]:
        if self._row_starts is not None:
            begin, end = self._row_starts[events, r0], self._row_starts[events, r1]
        else:
            begin, end = self._indptr[events], self._indptr[events + 1]
        spans: list[list[int]] = []
        for b, e in zip(begin.tolist(), end.tolist(), strict=True):
            if e <= b:
                continue
            if spans and b - spans[-1][1] <= MERGE_GAP:
                spans[-1][1] = max(spans[-1][1], e)
            else:
                spans.append([b, e])
        return [(b, e) for b, e in spans]

    def read(self, bands, window, out=None) -> np.ndarray:
        """Float64 ``(len(bands), h, w)`` of ``window`` (1-based ``bands`` = events)."""
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = int(window.height), int(window.width)
        if out is None:
            out = np.empty((len(bands), h, w))
        base = np.where(self._present[r0 : r0 + h, c0 : c0 + w], 0.0, np.nan)
        out[...] = base
        events = np.asarray(list(bands), dtype=np.int64) - 1
        if "dense" in self._info:
            self._read_dense(events, r0, c0, h, w, out)
            return out
        position = np.full(self.count, -1, dtype=np.int64)
        position[events] = np.arange(events.size)
        with self._lock:
            if not self._row_index_tried:
                self._build_row_index()
            for b, e in self._spans(np.sort(events), r0, r0 + h):
                for p0 in range(b, e, CHUNK):
                    p1 = min(p0 + CHUNK, e)
                    columns = self._indices[p0:p1]
                    values = self._data[p0:p1]
                    self._scatter(p0, columns, values, position, r0, c0, h, w, out)
        return out

    def _scatter(self, p0, columns, values, position, r0, c0, h, w, out) -> None:
        events = np.searchsorted(self._indptr, np.arange(p0, p0 + columns.size), side="right") - 1
        k = position[events]
        rows = self._row_of[columns] - r0
        cols = self._col_of[columns] - c0
        keep = (k >= 0) & (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        out[k[keep], rows[keep], cols[keep]] = values[keep]

    def _read_dense(self, events, r0, c0, h, w, out) -> None:
        dense = self._info["dense"]
        inside = (
            (self._row_of >= r0)
            & (self._row_of < r0 + h)
            & (self._col_of >= c0)
            & (self._col_of < c0 + w)
        )
        centroids = np.flatnonzero(inside)
        if not centroids.size:
            return
        with self._lock:
            for k, event in enumerate(events.tolist()):
                row = np.asarray(dense[event, :], dtype=np.float64)
                out[k, self._row_of[centroids] - r0, self._col_of[centroids] - c0] = row[centroids]


def read_climada_events(path, where: str, member_pattern: str | None = None):
    """Open a CLIMADA hazard file as an event set.

    Returns
    -------
    intensity : ClimadaHazardFile
    bands : pandas.DataFrame
        ``band`` (1-based event row), ``frequency`` (per year), ``event_name`` and
        ``event_id`` when the file has them, and ``member`` when ``member_pattern`` is
        given (parsed from the event names, as for events CSVs).
    fraction : ClimadaHazardFile or None
        The fraction matrix when the file has a non-empty one of the same shape.
    """
    from hazards.events import members_from_names

    intensity = ClimadaHazardFile(path, where, "intensity")
    handle = intensity._handle
    if "frequency" not in handle:
        raise DataError(f"{where}: no frequency dataset")
    frequency = np.asarray(handle["frequency"][()], dtype=np.float64).reshape(-1)
    if frequency.size != intensity.count:
        raise DataError(
            f"{where}: {frequency.size} frequencies for {intensity.count} events (intensity rows)"
        )
    bad = ~np.isfinite(frequency) | (frequency <= 0)
    if bad.any():
        raise DataError(
            f"{where}: frequency of event {int(np.flatnonzero(bad)[0]) + 1} must be > 0 per year"
        )
    check_frequencies(frequency, where, lambda k: f"of event {k + 1}")
    unit = _text(handle["frequency_unit"][()]) if "frequency_unit" in handle else "1/year"
    if unit.replace(" ", "") not in ("1/year", "1/yr", "1/a", ""):
        raise DataError(f"{where}: frequency_unit {unit!r}; give frequencies per year")
    bands = pd.DataFrame({"band": np.arange(1, intensity.count + 1), "frequency": frequency})
    if "event_name" in handle:
        names = [_text(v) for v in handle["event_name"][()]]
        if len(names) == intensity.count:
            bands["event_name"] = names
    if "event_id" in handle:
        ids = np.asarray(handle["event_id"][()]).reshape(-1)
        if ids.size == intensity.count:
            bands["event_id"] = ids.astype(np.int64)
            _refuse_repeated_ids(bands["event_id"].to_numpy(), where)
    if member_pattern is not None:
        bands["member"] = members_from_names(bands.get("event_name"), member_pattern, where)
    fraction = None
    info = _read_matrix_info(handle, "fraction", where)
    shape = (intensity.count, len(intensity._row_of))
    if info is not None and tuple(info["shape"]) == shape:
        candidate = ClimadaHazardFile(path, f"{where} (fraction)", "fraction")
        if not candidate.empty:
            fraction = candidate
    elif info is not None and np.prod(info["shape"]):
        raise ConfigError(f"{where}: fraction has shape {info['shape']}, intensity {shape}")
    return intensity, bands, fraction


def _refuse_repeated_ids(ids: np.ndarray, where: str) -> None:
    """Refuse an ``event_id`` given to two events, as CLIMADA's ``Hazard.check`` does
    ("There are events with the same identifier"), naming the events (1-based rows)."""
    values, counts = np.unique(ids, return_counts=True)
    if (counts < 2).all():
        return
    value = values[np.argmax(counts > 1)]
    rows = np.flatnonzero(ids == value) + 1
    shown = ", ".join(map(str, rows[:5].tolist())) + (", ..." if rows.size > 5 else "")
    raise DataError(
        f"{where}: event_id {int(value)} is given to {rows.size} events (events {shown} of "
        "the file's event_id dataset); CLIMADA needs each event's own id (Hazard.check)"
    )


def climada_event_set(spec: dict, base_dir, where: str):
    """The event set of a run file's hazard entry whose ``events:`` is a CLIMADA file.

    ``intensity`` may be left out or name the same file. Returns ``(intensity, bands,
    layers, fraction_layers)`` for :func:`hazards.readers.read_hazard`; the fraction
    layers are None when the file has no fraction or the entry gives its own.
    """
    base = os.fspath(base_dir)
    path = os.path.join(base, spec["events"])
    if "intensity" in spec and os.path.abspath(os.path.join(base, str(spec["intensity"]))) != (
        os.path.abspath(path)
    ):
        raise ConfigError(
            f"{where}.intensity: a CLIMADA hazard file holds its own intensity; leave "
            "intensity out or name the same file"
        )
    if "variable" in spec:
        raise ConfigError(f"{where}.variable: does not apply to CLIMADA hazard files")
    source, bands, fraction = read_climada_events(
        path, f"{where}.events ({spec['events']})", spec.get("member_pattern")
    )
    _check_units(source, spec, where)
    layers = [(source, int(b)) for b in bands["band"]]
    fraction_layers = None
    if fraction is not None and "fraction" not in spec:
        fraction_layers = [(fraction, band) for _, band in layers]
    return source, bands, layers, fraction_layers


def _check_units(source: ClimadaHazardFile, spec: dict, where: str) -> None:
    """Check the file's stated intensity unit against the hazard type and the run file.

    The rule of NetCDF ``units`` (:func:`hazards.catalogue.file_unit`): a run file's
    ``unit:`` that contradicts the file's own (``unit: kt`` for a file in m/s) is refused;
    so is a statement that is no unit of the measure, unless ``unit:`` is given. A file
    in another unit of the measure than the hazard type's (cm for a flood) must say so
    with ``unit:`` (converted by the catalogue's exact factors).
    """
    hazard_type = get_hazard_type(spec["type"], f"{where}.type")
    units = source.units.strip() or None
    stated = file_unit(hazard_type, spec.get("unit"), units, where, source.label)
    if units and "unit" not in spec and stated not in (None, hazard_type.unit):
        raise ConfigError(
            f"{where}: the file's intensity is in {units!r} but {hazard_type.name} grids are in "
            f"{hazard_type.unit}; state the file's unit with unit: (e.g. unit: {stated})"
        )
