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

from mecc import kernels

__all__ = ["CellGridWriter", "band_metadata", "gdal_errors_quiet"]

_COG_TILE = 512

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

    Blocks go to a staging GeoTIFF (fast ZSTD, all-zero tiles omitted). While they
    arrive, the writer also averages them into the overview levels (2x, 4x, ... until
    a level fits in 512 cells) and stages those too, so the final COG copy does not
    read the whole grid again to build overviews. A block partition that does not
    line up with a level falls back to GDAL's own overviews (same averages).

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
        import rasterio

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
        self.factors = []  # like GDAL's COG driver: halve until a level fits in a tile
        factor = 1
        while max(-(-grid.width // factor), -(-grid.height // factor)) > _COG_TILE:
            factor *= 2
            self.factors.append(factor)
        self._aligned = True
        self._staging = self.path.with_suffix(".staging.tif")
        base = rasterio.open(self._staging, "w", **self._profile(grid.width, grid.height))
        for k, name in enumerate(self.band_names, start=1):
            base.set_band_description(k, name)
        if self.tags:
            base.update_tags(**self.tags)
        self._datasets = [base]
        for factor in self.factors:
            width, height = -(-grid.width // factor), -(-grid.height // factor)
            level = self.path.with_suffix(f".staging.ovr{factor}.tif")
            self._datasets.append(rasterio.open(level, "w", **self._profile(width, height)))

    def _profile(self, width, height) -> dict:
        return {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": len(self.band_names),
            "dtype": "float64",
            "crs": self.grid.crs,
            "transform": self.grid.transform,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            # staging only: fast ZSTD, all-zero tiles never written (SPARSE_OK)
            "compress": "zstd",
            "zstd_level": 1,
            "sparse_ok": True,
            "BIGTIFF": "IF_SAFER",
        }

    def write(self, band_index: int, window, values: np.ndarray) -> None:
        """Write ``values`` of 0-based band ``band_index`` into ``window``."""
        from rasterio.windows import Window

        if band_index in self.not_applicable:  # e.g. a drought: nobody is displaced
            values = np.full(values.shape, np.nan)
        # (1, h, w) views: rasterio copies a 2-D array into a new 3-D one on every write
        self._datasets[0].write(values[np.newaxis], [band_index + 1], window=window)
        if not self._aligned or not self.factors:
            return
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = values.shape
        fits = all(
            r0 % f == 0
            and c0 % f == 0
            and (h % f == 0 or r0 + h == self.grid.height)
            and (w % f == 0 or c0 + w == self.grid.width)
            for f in self.factors
        )
        if not fits:
            self._aligned = False  # GDAL will build the overviews instead
            return
        if not values.any():
            return  # sparse: unwritten tiles of every level read as 0
        # NaN cells (no hazard data) are left out of the averages, as GDAL leaves nodata
        # out: the first level's sums and counts of known cells come in one pass
        sums = np.zeros((-(-h // 2), -(-w // 2)))
        counts = np.zeros_like(sums)
        kernels.sum_known_groups(values, 2, sums, counts)
        if counts.sum() == h * w:
            counts = None  # no unknown cell: whole groups as before
        for level, factor in enumerate(self.factors, start=1):
            if level > 1:
                coarser = np.zeros((-(-sums.shape[0] // 2), -(-sums.shape[1] // 2)))
                kernels.sum_groups(sums, 2, coarser)
                sums = coarser
                if counts is not None:
                    fewer = np.zeros_like(coarser)
                    kernels.sum_groups(counts, 2, fewer)
                    counts = fewer
            if counts is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    means = np.where(counts > 0, sums / counts, np.nan)
            elif h % factor == 0 and w % factor == 0:  # whole groups (blocks start on one)
                means = sums / float(factor * factor)
            else:
                means = sums / np.outer(
                    _group_sizes(r0, h, factor, self.grid.height),
                    _group_sizes(c0, w, factor, self.grid.width),
                )
            self._datasets[level].write(
                means[np.newaxis],
                [band_index + 1],
                window=Window(c0 // factor, r0 // factor, sums.shape[1], sums.shape[0]),
            )

    def close(self) -> Path:
        """Finish: copy the staging files into a tiled ZSTD COG and remove them."""
        import rasterio.shutil

        for dataset in self._datasets:
            dataset.close()
        levels = [self.path.with_suffix(f".staging.ovr{f}.tif") for f in self.factors]
        # always through a VRT, which declares NaN as nodata: the staging files have
        # none, so their sparse tiles read as 0, while the COG marks unknown cells
        source = self.path.with_suffix(".staging.vrt")
        source.write_text(self._vrt(levels if self._aligned else []))
        rasterio.shutil.copy(
            source,
            self.path,
            driver="COG",
            COMPRESS="ZSTD",
            # zstd's own default level: on the bench country's 100 M cells 41.0 MB in
            # 1.1 s of CPU, where GDAL's default (9) gave 39.4 MB in 2.0 s
            LEVEL=3,
            BLOCKSIZE=_COG_TILE,
            OVERVIEW_RESAMPLING="AVERAGE",
            # one core left to the run's main thread, which writes the tables meanwhile
            # (bench country, 2 cores: tables 0.98 -> 0.80 s, the COG still done first)
            NUM_THREADS=str(max(1, (os.cpu_count() or 1) - 1)),
            SPARSE_OK="TRUE",
            BIGTIFF="IF_SAFER",
        )
        for path in [self._staging, *levels, self.path.with_suffix(".staging.vrt")]:
            if path.exists():
                os.remove(path)
        return self.path

    def discard(self) -> None:
        """Close the staging files without finishing the COG (a failed run, whose folder
        is removed): their last blocks are written now, while GDAL's error lines are
        quiet (:func:`gdal_errors_quiet`), not whenever the writer is collected; the
        errors of those writes (a full disk) are not raised again."""
        for dataset in self._datasets:
            with suppress(Exception):  # noqa: BLE001 - the run's own error is raised
                dataset.close()

    def _vrt(self, levels) -> str:
        """A VRT of the staging file with the staged levels as its overviews."""
        from xml.sax.saxutils import escape, quoteattr

        import pyproj

        t = self.grid.transform
        wkt = pyproj.CRS.from_user_input(self.grid.crs).to_wkt()
        metadata = "".join(
            f"<MDI key={quoteattr(k)}>{escape(v)}</MDI>" for k, v in self.tags.items()
        )
        bands = []
        for k, name in enumerate(self.band_names, start=1):
            overviews = "".join(
                f'<Overview><SourceFilename relativeToVRT="1">{escape(level.name)}</SourceFilename>'
                f"<SourceBand>{k}</SourceBand></Overview>"
                for level in levels
            )
            own = "".join(
                f"<MDI key={quoteattr(key)}>{escape(value)}</MDI>"
                for key, value in self.band_tags[k - 1].items()
            )
            bands.append(
                f'<VRTRasterBand dataType="Float64" band="{k}"><Description>{escape(name)}</Description>'
                f"<Metadata>{own}</Metadata><NoDataValue>nan</NoDataValue>"
                f"<UnitType>{escape(self.band_units[k - 1])}</UnitType>"
                f'<SimpleSource><SourceFilename relativeToVRT="1">{escape(self._staging.name)}'
                f"</SourceFilename><SourceBand>{k}</SourceBand></SimpleSource>{overviews}"
                "</VRTRasterBand>"
            )
        return (
            f'<VRTDataset rasterXSize="{self.grid.width}" rasterYSize="{self.grid.height}">'
            f"<SRS>{escape(wkt)}</SRS>"
            f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
            f"<Metadata>{metadata}</Metadata>{''.join(bands)}</VRTDataset>"
        )


def _group_sizes(start: int, length: int, factor: int, limit: int) -> np.ndarray:
    """Cells in each group of ``factor`` along one axis of a block (fewer at the edge)."""
    edges = np.arange(start, start + length + factor, factor)[: -(-length // factor) + 1]
    edges = np.minimum(edges, min(start + length, limit))
    return np.diff(edges).astype(np.float64)


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
