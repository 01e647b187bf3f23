"""Per-cell outputs written block by block and finished as a Cloud-Optimised GeoTIFF.

:func:`gdal_errors_quiet` keeps GDAL's and libtiff's own error lines off the terminal
while a run writes its grids: a full disk printed ``_tiffWriteProc: No space left on
device.`` and ``ERROR 1: TIFFAppendToStrip: ...`` before mecc's one error line.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path

import numpy as np

from mecc.cog_tiles import (
    TILE,
    ZSTD_LEVEL,
    TilePyramid,
    overview_factors,
    remove_quietly,
    template_tags,
    write_cog,
)

__all__ = ["CellGridWriter", "band_metadata", "gdal_errors_quiet"]

_NOT_APPLICABLE = (
    "not applicable: a drought counts people exposed per severity class (zones.csv "
    "drought_<class>), not displaced people; every cell is nodata (NaN)"
)


def band_metadata(hazard) -> tuple[str, dict]:
    """The unit and the tags of one hazard's band of displaced.tif.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
        Its ``id``, ``kind``, ``hazard_type`` (and ``scenario``, ``exposure_only``).

    Returns
    -------
    (str, dict)
        The band's unit ("people per year" for an event set or return-period maps,
        "people" for a scenario, "people at risk of planned relocation" for sea-level
        rise, "" for a drought, whose band is not applicable) and its tags: ``hazard_id``,
        ``hazard_type``, ``kind``, ``figure``, ``meaning`` and ``modelled_estimate``.
    """
    kind = str(hazard.kind)
    if getattr(hazard, "exposure_only", False):
        unit, figure, meaning = "", "not applicable", _NOT_APPLICABLE
    elif kind == "relocation":
        unit, figure = "people at risk of planned relocation", "at_risk_relocation"
        meaning = (
            "people at risk of planned relocation in the cell: living where the sea would "
            "stand at high tide after the sea-level rise (the DEM as given), connected to the "
            "sea; a count, not per year, and not event displacement"
        )
    elif kind in ("events", "return_periods"):
        unit, figure = "people per year", "aad"
        meaning = "expected annual displacement in the cell (people displaced per year) " + (
            "over the event set's frequencies"
            if kind == "events"
            else "integrated over the return-period maps"
        )
    else:
        unit, figure = "people", "displaced"
        meaning = f"people displaced in the cell by the scenario {hazard.scenario or hazard.id}"
    tags = {
        "hazard_id": hazard.id,
        "hazard_type": hazard.hazard_type.name,
        "kind": kind,
        "figure": figure,
        "meaning": meaning,
        "modelled_estimate": "yes" if unit else "not applicable",
    }
    return unit, tags


_FIGURES = {
    "aad": "expected annual displacement (people per year)",
    "displaced": "people displaced by a scenario (people)",
    "at_risk_relocation": "people at risk of planned relocation (sea-level rise; people, "
    "a count, not per year)",
    "not applicable": "not applicable (a drought: exposure, not displacement; NaN)",
}


def _dataset_tags(names, metadata, note="") -> dict:
    """displaced.tif's own tags, true for its mix of bands (each band has its own)."""
    units = [unit for unit, _ in metadata]
    shared = units[0] if units and units[0] and len(set(units)) == 1 else None
    per_band = "; ".join(f"{n}: {u or 'not applicable'}" for n, u in zip(names, units, strict=True))
    figures: dict = {}
    for name, (_, tags) in zip(names, metadata, strict=True):
        figures.setdefault(tags["figure"], []).append(name)
    meaning = "; ".join(f"{_FIGURES[f]}: {', '.join(ids)}" for f, ids in figures.items())
    tags = {
        "units": shared or f"per band (each band's unit): {per_band}",
        "meaning": f"one band per hazard, named by its id (each band's tags say more): {meaning}",
        "nodata": "NaN: a cell with people but no hazard data in any band"
        + ("; every cell of a band that is not applicable" if "" in units else ""),
    }
    if note:
        tags["note"] = note
    return tags


class CellGridWriter:
    """Per-cell outputs written block by block, finished as a Cloud-Optimised GeoTIFF.

    NaN marks cells whose figure is unknown (populated, with no hazard data); the COG
    declares NaN as its nodata value, and overviews average the known cells only.

    Blocks are cut into 256 x 256 tiles, averaged into the overview levels (2x, 4x,
    ... until a level fits in one tile) and compressed (ZSTD) once each, as soon as
    their cells are known, into a spill file beside ``path``; :meth:`close` writes the
    COG from them (:mod:`mecc.cog_tiles`: no staging grid read and compressed again).
    Memory holds the tiles still waiting for cells: a row of tiles per level.

    Parameters
    ----------
    path : path
        The final ``.tif``.
    grid : mecc.grid.GridSpec
    band_names : list of str
        One band per name (band descriptions in the file).
    tags : dict, optional
        Dataset metadata (units, meaning, sources).
    band_units : list of str, optional
        Each band's unit (GDAL's band unit type; "" for none).
    band_tags : list of dict, optional
        Each band's own metadata.
    not_applicable : collection of int, optional
        0-based bands whose figure does not apply (a drought's): NaN in every cell,
        whatever is written.
    """

    @classmethod
    def for_hazards(cls, path, grid, hazards, note=""):
        """displaced.tif of a run: one band per hazard (named by its id, in the run's
        order), each with its own unit and tags (:func:`band_metadata`), a drought's
        band NaN (not applicable), and dataset tags true for the mix."""
        return cls(path, grid, [h.id for h in hazards], **cls.options_for(hazards, note))

    @staticmethod
    def options_for(hazards, note="") -> dict:
        """The keyword arguments (``tags``, ``band_units``, ``band_tags``,
        ``not_applicable``) of the writer of these hazards (:meth:`for_hazards`)."""
        metadata = [band_metadata(h) for h in hazards]
        return {
            "tags": _dataset_tags([h.id for h in hazards], metadata, note),
            "band_units": [unit for unit, _ in metadata],
            "band_tags": [tags for _, tags in metadata],
            "not_applicable": [k for k, h in enumerate(hazards) if getattr(h, "exposure_only", 0)],
        }

    def __init__(
        self, path, grid, band_names, tags=None, band_units=None, band_tags=None, not_applicable=()
    ):
        self.path = Path(path)
        self.grid = grid
        self.band_names = list(band_names)
        self.tags = {k: str(v) for k, v in (tags or {}).items()}
        self.band_units = [str(u or "") for u in (band_units or [""] * len(self.band_names))]
        self.band_tags = [
            {k: str(v) for k, v in t.items()} for t in (band_tags or [{}] * len(self.band_names))
        ]
        if len(self.band_units) != len(self.band_names) or len(self.band_tags) != len(
            self.band_names
        ):
            raise ValueError("CellGridWriter: one unit and one set of tags per band")
        self.not_applicable = set(not_applicable)
        self.factors = overview_factors(grid.width, grid.height)
        self._pyramid = TilePyramid(grid.width, grid.height, len(self.band_names), self._emit)
        self._tiles: dict = {}  # (level, tile row, tile col) -> (offset, size) in the spill
        self._spill_path = self.path.with_suffix(".tiles")
        self._spill = open(self._spill_path, "w+b")  # noqa: SIM115 - closed by close/discard
        self._compressor = None
        self._interleaved = None  # a tile of every band, pixel-interleaved (reused)

    def write(self, band_index: int, window, values: np.ndarray) -> None:
        """Write ``values`` of 0-based band ``band_index`` into ``window``."""
        if band_index in self.not_applicable:  # e.g. a drought: nobody is displaced
            values = np.full(values.shape, np.nan)
        values = np.asarray(values, dtype=np.float64)
        self._pyramid.write(band_index, int(window.row_off), int(window.col_off), values)

    def _emit(self, level: int, row: int, col: int, cells: np.ndarray) -> None:
        """Compress one complete tile into the spill file; a tile of unknown cells only
        is left out (sparse: read as nodata, NaN)."""
        if np.isnan(cells).all():
            return
        if self._compressor is None:
            import zstandard

            self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        bands, rows, cols = cells.shape
        if bands == 1 and (rows, cols) == (TILE, TILE):
            tile = cells  # C-contiguous (the pyramid's own buffer)
        else:  # pixel-interleaved, and edge tiles padded to a whole tile
            if self._interleaved is None:
                self._interleaved = np.zeros((TILE, TILE, bands))
            tile = self._interleaved
            tile.fill(0.0)
            tile[:rows, :cols] = np.moveaxis(cells, 0, -1)
        data = self._compressor.compress(tile.data)
        offset = self._spill.seek(0, os.SEEK_END)
        self._spill.write(data)
        self._tiles[level, row, col] = (offset, len(data))

    def close(self) -> Path:
        """Finish: the last tiles, then the COG (its tags from a template GDAL writes)."""
        self._pyramid.close()
        template = self.path.with_suffix(".template.tif")
        try:
            self._write_template(template)
            tags = template_tags(template)
            self._spill.flush()
            write_cog(self.path, tags, self._pyramid.shapes, self._tiles, self._spill)
        finally:
            self._spill.close()
            remove_quietly(template, self._spill_path)
        return self.path

    def discard(self) -> None:
        """Close and remove the spill file without finishing the COG (a failed run,
        whose folder is removed)."""
        with suppress(OSError):
            self._spill.close()
        with suppress(OSError):
            remove_quietly(self._spill_path, self.path.with_suffix(".template.tif"))

    def _write_template(self, template: Path) -> None:
        """A GeoTIFF of the grid with no tile written: GDAL's georeferencing and metadata
        tags (band names, units, tags, NaN nodata) for the COG's first IFD."""
        import rasterio

        count = len(self.band_names)
        profile = {
            "driver": "GTiff",
            "width": self.grid.width,
            "height": self.grid.height,
            "count": count,
            "dtype": "float64",
            "crs": self.grid.crs,
            "transform": self.grid.transform,
            "nodata": np.nan,
            "tiled": True,
            "blockxsize": TILE,
            "blockysize": TILE,
            "compress": "zstd",
            "interleave": "pixel" if count > 1 else "band",
            "sparse_ok": True,
            "BIGTIFF": "NO",
        }
        with rasterio.open(template, "w", **profile) as dataset:
            for k, name in enumerate(self.band_names, start=1):
                dataset.set_band_description(k, name)
                if self.band_units[k - 1]:
                    dataset.set_band_unit(k, self.band_units[k - 1])
                if self.band_tags[k - 1]:
                    dataset.update_tags(k, **self.band_tags[k - 1])
            if self.tags:
                dataset.update_tags(**self.tags)


_QUIET_LOCK = threading.Lock()
_QUIET = {"depth": 0, "restore": []}


@contextmanager
def gdal_errors_quiet():
    """GDAL's and libtiff's own error lines not printed during the block.

    GDAL reports a failed write to its error handler, and libtiff to its own: where no
    handler of rasterio's is installed (rasterio installs one in the threads that call
    it, but GDAL flushes a grid's blocks from its cache in any thread, and libtiff's
    I/O errors go to its global handler) they were printed on stderr (``ERROR 1:
    TIFFAppendToStrip: Write error at scanline 0``, ``_tiffWriteProc: No space left on
    device.``). rasterio still raises its errors and mecc says what happened in one line
    (:func:`mecc.outputs.write_problem`); GDAL records the last error whatever its
    handler. Here the global handlers are quieted (``CPLSetErrorHandler`` with
    ``CPLQuietErrorHandler``, ``TIFFSetErrorHandler(NULL)``), from the first of nested
    or concurrent blocks (runs in threads of one process) to the end of the last, and
    then put back. On Linux only (the libraries are found in ``/proc/self/maps``);
    elsewhere the block changes nothing.
    """
    with _QUIET_LOCK:
        if _QUIET["depth"] == 0:
            _QUIET["restore"] = _quiet_handlers()
        _QUIET["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET["depth"] -= 1
            if _QUIET["depth"] == 0:
                for restore in _QUIET["restore"]:
                    with suppress(OSError, ctypes.ArgumentError):
                        restore()
                _QUIET["restore"] = []


def _quiet_handlers() -> list:
    """Quiet GDAL's and libtiff's global error handlers; the calls putting them back."""
    restore: list = []
    for path, setter_name, quiet_name in _loaded_libraries():
        with suppress(OSError, AttributeError, ctypes.ArgumentError):
            library = ctypes.CDLL(path)
            setter = getattr(library, setter_name)
            setter.restype, setter.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
            quiet = quiet_name and ctypes.cast(getattr(library, quiet_name), ctypes.c_void_p).value
            previous = setter(quiet)
            restore.append(partial(setter, previous))
    return restore


def _loaded_libraries() -> list:
    """``(file, setter, quiet handler)`` of each GDAL library loaded (rasterio's, and
    pyogrio's own copy in its wheel) and of the libtiff beside each (the one that GDAL
    uses; Pillow may bring another); none but on Linux."""
    if not sys.platform.startswith("linux"):
        return []
    import rasterio  # noqa: F401 - loads GDAL

    paths: list = []
    with suppress(OSError), open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            path = line.split(maxsplit=5)[-1].strip() if "/lib" in line else ""
            if path and path not in paths:
                paths.append(path)
    gdals = [p for p in paths if os.path.basename(p).startswith("libgdal")]
    tiffs = [
        p
        for p in paths
        if os.path.basename(p).startswith("libtiff")
        and any(os.path.dirname(p) == os.path.dirname(g) for g in gdals)
    ]
    return [(p, "CPLSetErrorHandler", "CPLQuietErrorHandler") for p in gdals] + [
        (p, "TIFFSetErrorHandler", None) for p in tiffs
    ]
