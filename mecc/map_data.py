"""What the map needs from a finished run folder, without folium.

Reads summary.json, manifest.json, zones.csv, bands.csv and zones.gpkg; finds the hazard
grids the run used (checked against their SHA-256 in the manifest); warps grids to Web
Mercator at the map's scale; picks class breaks and colour-blind-safe palettes; writes
small palette PNGs; simplifies boundaries to the map's scale; formats numbers per locale.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mecc.errors import InputFileError, MeccError, error_reason

__all__ = [
    "Band",
    "RunData",
    "class_breaks",
    "classify",
    "labels",
    "palette",
    "palette_png",
    "read_run",
    "read_run_file",
    "results_drought_classes",
    "read_table",
    "simplified_geojson",
    "warp_to_mercator",
]

LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "maps.yaml"
LANGUAGES = ("en", "fr", "es")
MAX_PIXELS = 512
"""Longest side of a raster overlay, in pixels: about the map's width on a screen."""

# Colour-blind-safe sequential palettes whose lightness changes monotonically, so classes
# still read in grayscale print (viridis and magma: perceptually uniform; YlGnBu, YlOrRd:
# ColorBrewer sequential, colour-blind safe). Anchors from branca's schemes.
PALETTES = {"choropleth": "viridis", "cells": "magma", "water": "YlGnBu_09", "other": "YlOrRd_09"}
ZERO_COLOUR = "#ffffff"
NODATA_FILL = "url(#mecc-nodata)"


@functools.cache
def _all_labels() -> dict:
    import yaml

    text = LOCALE_FILE.read_text(encoding="utf-8")  # libyaml's loader: 10x as fast
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def labels(lang: str) -> dict:
    """The map's labels in one language (``en``, ``fr`` or ``es``)."""
    table = _all_labels()
    if lang not in table:
        raise MeccError(f"map language {lang!r} is not available; use one of {', '.join(table)}")
    return table[lang]


class Numbers:
    """Locale number formatting: integers above 10 and whole numbers (counts), one decimal
    below 10, two significant digits below 1."""

    def __init__(self, words: dict):
        self.decimal = words["decimal"]
        self.group = words["group"]

    def __call__(self, value, missing: str = "") -> str:
        if value is None or not np.isfinite(value):
            return missing
        value = float(value)
        size = abs(value)
        if size == 0:
            text = "0"
        elif size >= 10 or value.is_integer():
            text = f"{value:,.0f}"
        elif size >= 1:
            text = f"{value:,.1f}"
        else:
            digits = max(0, 1 - math.floor(math.log10(size)))
            text = f"{value:.{digits}f}"
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)


@dataclass
class Band:
    """One hazard grid to draw: a label, where it is and its national displacement."""

    key: str
    args: dict
    path: Path | None
    index: int
    displaced: float = 0.0
    variable: str | None = None
    picture: object = None  # a preview from results.nc: (values, transform, crs), canonical unit


@dataclass
class RunData:
    run_dir: Path
    summary: dict
    manifest: dict
    zones: object  # pandas DataFrame (zones.csv)
    bands: object  # pandas DataFrame (bands.csv)
    levels: dict = field(default_factory=dict)  # level -> GeoDataFrame (WGS 84)
    date: str = ""
    previews: object = None  # results.nc group "previews" (xarray Dataset) when present

    @property
    def hazard_ids(self) -> list[str]:
        return list(self.summary.get("hazards", {}))

    def hazard_parameters(self, hazard_id: str) -> dict:
        return self.manifest.get("parameters", {}).get("hazards", {}).get(hazard_id, {})


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{path}: not found (is this a finished run folder?)") from None
    except (OSError, ValueError) as error:
        raise InputFileError(f"{path}: cannot be read ({error})") from None


def read_table(path: Path):
    """A CSV output of the run (UTF-8 with BOM): codes and names as text, figures as numbers."""
    import pandas as pd

    from mecc.run_folder import read_run_table  # checked: its columns, not cut short

    if not path.is_file():
        raise InputFileError(f"{path}: not found (is this a finished run folder?)")
    frame = read_run_table(path.parent, path.name, dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column in {"zone_code", "parent_code", "zone_name", "hazard_id", "band"}:
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if not (numbers.isna() & (frame[column] != "")).any():
            frame[column] = numbers
    return frame


def read_run(run_dir) -> RunData:
    """Read the tables and boundaries of a finished run folder (never writes to it).

    Raises
    ------
    mecc.errors.InputFileError
        A folder that is no finished run (:func:`mecc.run_folder.check_finished_run`),
        one without summary.json, zones.csv or zones.gpkg, or a file of the run that
        cannot be read (exit code 1).
    """
    from pyogrio.errors import DataLayerError, DataSourceError

    from mecc.run_folder import RUN_READS, check_finished_run

    run_dir = Path(run_dir)
    check_finished_run(run_dir, (*RUN_READS, "zones.gpkg"))  # not a staging folder either
    summary = _read_json(run_dir / "summary.json")
    manifest = _read_json(run_dir / "manifest.json")
    zones = read_table(run_dir / "zones.csv")
    bands = read_table(run_dir / "bands.csv") if (run_dir / "bands.csv").is_file() else None
    date = manifest.get("created") or manifest.get("date")
    if not date:
        stamp = os.path.getmtime(run_dir / "manifest.json")
        import datetime as dt

        date = dt.datetime.fromtimestamp(stamp, tz=dt.UTC).date().isoformat()
    run = RunData(run_dir, summary, manifest, zones, bands, date=str(date)[:10])
    run.previews = _read_previews(run_dir / "results.nc")
    gpkg = run_dir / "zones.gpkg"
    if gpkg.is_file():
        try:
            run.levels = _read_levels(gpkg)
        except (DataSourceError, DataLayerError) as error:
            raise InputFileError(
                f"{gpkg}: cannot read the run's boundaries ({error_reason(error)})"
            ) from None
    return run


def _read_levels(gpkg: Path) -> dict:
    """Each admin level of the run's zones.gpkg, in EPSG:4326, without empty shapes."""
    import geopandas as gpd
    import pyogrio

    levels = {}
    for name, _kind in pyogrio.list_layers(gpkg):
        if name.startswith("admin") and name[5:].isdigit():
            frame = gpd.read_file(gpkg, layer=name)
            if "zone_code" not in frame.columns:
                raise InputFileError(f"{gpkg}: layer {name} has no zone_code column")
            if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
                frame = frame.to_crs("EPSG:4326")
            frame["zone_code"] = frame["zone_code"].astype(str)
            levels[int(name[5:])] = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    return levels


def _read_previews(path: Path):
    """The engine's coarse pictures of the hazard bands, loaded (small), or None."""
    if not path.is_file():
        return None
    import xarray as xr

    try:
        with xr.open_dataset(path, group="previews", engine="netcdf4") as dataset:
            return dataset.load()
    except OSError:  # no previews group (an older run, or blocks that did not line up)
        return None


def preview_bands(run: RunData, hazard_id: str):
    """The hazard bands to draw from the run's own previews, or None if it has none."""
    from affine import Affine

    previews = run.previews
    if previews is None or hazard_id not in set(previews["hazard_id"].values.tolist()):
        return None
    rows = run.bands[run.bands["hazard_id"] == hazard_id] if run.bands is not None else None
    transform = Affine(*previews.attrs["transform"])
    crs = previews.attrs["crs_wkt"]
    picked = []
    for k in np.flatnonzero(previews["hazard_id"].values == hazard_id):
        label = str(previews["band_label"].values[k])
        period = float(previews["return_period"].values[k])
        row = None
        if rows is not None:
            match = rows[rows["band"].astype(str) == label]
            row = match.iloc[0] if len(match) else None
        displaced = float(row["displaced"]) if row is not None else 0.0
        if not np.isnan(period):
            key, args = "band_return_period", {"t": _plain(period)}
        elif (
            row is not None
            and len(rows) == 1
            and run.summary["hazards"][hazard_id].get("kind") == "scenario"
        ):
            key, args = "band_scenario", {}
        else:
            name = (row.get("event_name") if row is not None else None) or label
            key, args = "band_event", {"name": name}
        values = previews["intensity"].values[k].astype(np.float64)
        picked.append(Band(key, args, None, k, displaced, picture=(values, transform, crs)))
    return picked, (len(rows) if rows is not None else len(picked))


# --- the hazard grids of the run --------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_base_dir(run: RunData, inputs_dir=None) -> Path | None:
    """The folder the run file's relative paths start from, if it can be found.

    Tries ``inputs_dir``, a base folder recorded in the manifest, ``<run>/../inputs`` (the
    demo's layout), the run folder's parent and the current folder; a candidate counts only
    when it holds the run file with the SHA-256 the manifest recorded.
    """
    record = next((r for r in run.manifest.get("inputs", []) if r.get("role") == "run file"), None)
    if record is None:
        return None
    path = Path(record["path"])
    if path.is_absolute():
        return path.parent if path.is_file() and _sha256(path) == record.get("sha256") else None
    candidates = [inputs_dir, run.manifest.get("base_dir"), run.manifest.get("run_file_dir")]
    candidates += [run.run_dir.parent / "inputs", run.run_dir.parent, Path.cwd()]
    for candidate in candidates:
        if not candidate:
            continue
        file = Path(candidate) / path
        if file.is_file() and _sha256(file) == record.get("sha256"):
            return Path(candidate)
    return None


def read_run_file(run, base) -> dict:
    """The run file as a mapping, when found in ``base`` (:func:`find_base_dir`, which
    checks its SHA-256), else {}."""
    record = next((r for r in run.manifest.get("inputs", []) if r.get("role") == "run file"), {})
    if base is None or not record.get("path"):
        return {}
    import yaml

    path = Path(record["path"])
    try:
        table = yaml.safe_load(
            (path if path.is_absolute() else Path(base) / path).read_text("utf-8")
        )
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return table if isinstance(table, dict) else {}


def results_drought_classes(run, hazard_id) -> dict | None:
    """A drought's classes as results.nc records them (``drought_class_lower`` and
    ``drought_class_source``): ``names``, ``bounds`` and ``source`` (``"default"``: the
    McKee, Doesken and Kleist classes, else ``"run file"``); None without them."""
    path = run.run_dir / "results.nc"
    if not path.is_file():
        return None
    import netCDF4

    try:
        with netCDF4.Dataset(path) as data:
            h = [str(v) for v in data["hazard"][:]].index(hazard_id)
            names = [str(v) for v in data["drought_class"][:]]
            lows = np.ma.filled(data["drought_class_lower"][h], np.nan).astype("float64")
            source = str(data["drought_class_source"][h])
    except (OSError, IndexError, KeyError, ValueError):  # an older run: not recorded
        return None
    keep = [k for k, low in enumerate(lows) if np.isfinite(low)]
    if not source or not keep:
        return None
    default = "default" if source.startswith("McKee") else "run file"
    bounds = [float(lows[k]) for k in keep]
    return {"names": [names[k] for k in keep], "bounds": bounds, "source": default}


def run_entry(entries, entry_id):
    """The entry whose ``id`` is ``entry_id`` in a list of the run file (hazards,
    futures), else None."""
    found = [e for e in entries or [] if isinstance(e, dict) and e.get("id") == entry_id]
    return found[0] if found else None


def _checked(base: Path, relative: str, run: RunData) -> Path | None:
    """An input file of the run, if it is still there with the recorded SHA-256."""
    file = Path(relative) if os.path.isabs(relative) else base / relative
    if not file.is_file():
        return None
    digests = {
        os.path.normpath(
            str(Path(r["path"]) if os.path.isabs(r["path"]) else base / r["path"])
        ): r.get("sha256")
        for r in run.manifest.get("inputs", [])
    }
    expected = digests.get(os.path.normpath(str(file)))
    return file if expected and _sha256(file) == expected else None


def _plain(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def warp_picture(values, transform, crs, max_pixels=MAX_PIXELS):
    """An in-memory grid (a preview) warped to Web Mercator, like :func:`warp_to_mercator`."""
    from rasterio.io import MemoryFile

    height, width = values.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float64",
        "crs": crs,
        "transform": transform,
        "nodata": np.nan,
    }
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(values, 1)
        with memory.open() as dataset:
            return _warp(dataset, 1, "preview", average=False, max_pixels=max_pixels)


def warp_to_mercator(
    path, band: int = 1, *, variable=None, average: bool = True, max_pixels=MAX_PIXELS
):
    """One band warped to Web Mercator, at most ``max_pixels`` on its longest side.

    Returns ``(values, bounds)``: a float64 array with NaN where there is no data, and the
    image's ``[[south, west], [north, east]]`` in degrees for Leaflet.
    """
    import rasterio

    source = f'NETCDF:"{path}":{variable}' if variable else str(path)
    try:
        with rasterio.open(source) as src:
            return _warp(src, band, path, average=average, max_pixels=max_pixels)
    except rasterio.errors.RasterioError as error:
        raise InputFileError(f"{path}: cannot read the grid ({error_reason(error)})") from None


def _warp(src, band, path, *, average, max_pixels):
    """Warp one band of an open dataset to Web Mercator (see :func:`warp_to_mercator`).

    A large source is first read at about twice the target size (GDAL then uses the
    file's overviews, as displaced.tif has), so a 10,000-cell-wide grid is not decoded
    in full for a 512-pixel picture.
    """
    import rasterio
    from affine import Affine
    from rasterio.warp import Resampling, reproject, transform_bounds

    if src.crs is None:
        raise MeccError(f"{path}: no coordinate reference system")
    x0, y0, x1, y1 = src.bounds  # y0 > y1 for a south-up file
    left, bottom, right, top = transform_bounds(
        src.crs, "EPSG:4326", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), densify_pts=21
    )
    bottom, top = max(bottom, -85.0), min(top, 85.0)
    west, south, east, north = transform_bounds("EPSG:4326", "EPSG:3857", left, bottom, right, top)
    # about the source's number of cells, square pixels, at most max_pixels a side
    size = (east - west) / src.width
    width, height = src.width, max(1, round((north - south) / size))
    shrink = max(width, height) > max_pixels
    if shrink:
        size *= max(width, height) / max_pixels
        width = max(1, round((east - west) / size))
        height = max(1, round((north - south) / size))
    transform = Affine((east - west) / width, 0, west, 0, -(north - south) / height, north)
    values = np.full((height, width), np.nan, dtype="float64")
    method = Resampling.average if (shrink and average) else Resampling.nearest
    step = max(1, min(src.width, src.height) // (2 * max_pixels))
    if step > 1:  # read a decimated copy first (overviews when the file has them)
        shape = (max(1, src.height // step), max(1, src.width // step))
        source = src.read(band, out_shape=shape, resampling=method, masked=True).filled(np.nan)
        source_transform = src.transform * Affine.scale(src.width / shape[1], src.height / shape[0])
        reproject(
            source.astype("float64"),
            values,
            src_transform=source_transform,
            src_crs=src.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            dst_nodata=np.nan,
            resampling=method,
        )
    else:
        reproject(
            rasterio.band(src, band),
            values,
            src_nodata=src.nodata,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            dst_nodata=np.nan,
            resampling=method,
        )
    scale, offset = src.scales[band - 1], src.offsets[band - 1]
    if scale != 1.0 or offset != 0.0:  # packed values, unscaled as GDAL does (as the engine)
        values = values * scale + offset
    if left >= 180.0:  # a grid in 0-360 longitudes: the same picture one world west
        left, right = left - 360.0, right - 360.0
    return values, [[bottom, left], [top, right]]


# --- classes, palettes, images ----------------------------------------------------------


def _nice(value: float) -> float:
    """``value`` rounded to two significant digits."""
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value)) - 1
    return round(value / 10**exponent) * 10**exponent


def class_breaks(values, classes: int = 5) -> list[float]:
    """Upper-open class edges of the positive values: quantiles rounded to two digits."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return []
    classes = min(classes, values.size)  # two zones with people make two classes, not five
    quantiles = np.quantile(values, np.linspace(0, 1, classes + 1)[1:-1])
    edges = sorted({_nice(q) for q in quantiles if _nice(q) > 0})
    return edges


def classify(values, breaks) -> np.ndarray:
    """Class per value: -1 no data (NaN), 0 zero or less, k ≥ 1 positive classes."""
    values = np.asarray(values, dtype="float64")
    out = np.searchsorted(np.asarray(breaks, dtype="float64"), values, side="right") + 1
    out = np.where(values > 0, out, 0)
    return np.where(np.isfinite(values), out, -1).astype("int16")


def palette(name: str, count: int, *, start: float = 0.0, stop: float = 1.0, reverse=False):
    """``count`` colours (hex) sampled evenly from a named branca scheme."""
    import branca.colormap as cm

    anchors = np.array([c[:3] for c in getattr(cm.linear, name).colors])
    if reverse:
        anchors = anchors[::-1]
    where = np.linspace(start, stop, count) if count > 1 else np.array([stop])
    grid = np.linspace(0, 1, len(anchors))
    rgb = np.stack([np.interp(where, grid, anchors[:, k]) for k in range(3)], axis=1)
    return ["#{:02x}{:02x}{:02x}".format(*(round(v * 255) for v in c)) for c in rgb]


def palette_png(classes: np.ndarray, colours: list[str]) -> str:
    """An 8-bit palette PNG (data URI): class k ≥ 1 gets ``colours[k-1]``, others transparent."""
    import base64

    height, width = classes.shape
    index = np.where(classes >= 1, classes, 0).astype("uint8")
    rgb = [(0, 0, 0)] + [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in colours]
    alpha = bytes([0] + [255] * len(colours))
    raw = b"".join(b"\x00" + row.tobytes() for row in index)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
    png += chunk(b"PLTE", b"".join(bytes(c) for c in rgb))
    png += chunk(b"tRNS", alpha)
    # zlib's default level: the bench's nine layers 0.014 s (86 KB), 0.106 s at 9 (79 KB)
    png += chunk(b"IDAT", zlib.compress(raw, 6))
    png += chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --- boundaries --------------------------------------------------------------------------


def map_tolerance(levels: dict) -> float:
    """Simplification tolerance in degrees: one pixel of a ~1,500-pixel-wide map."""
    frames = list(levels.values())
    bounds = np.array([f.total_bounds for f in frames if len(f)])
    if bounds.size == 0:
        return 0.0
    extent = max(bounds[:, 2].max() - bounds[:, 0].min(), bounds[:, 3].max() - bounds[:, 1].min())
    return float(extent) / 1500.0


def simplified_geojson(frame, tolerance: float, properties=None) -> dict:
    """A FeatureCollection of ``frame``'s geometries simplified as one coverage and rounded."""
    import shapely

    geoms = frame.geometry.to_numpy()
    if tolerance > 0:
        try:
            simple = shapely.coverage_simplify(geoms, tolerance)
        except Exception:  # noqa: BLE001 - not a valid coverage: simplify one by one
            simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
        simple = np.where(shapely.is_empty(simple), geoms, simple)
    else:
        simple = geoms
    digits = max(3, min(7, math.ceil(-math.log10(tolerance)) + 1)) if tolerance > 0 else 6
    features = []
    for k, geom in enumerate(simple):
        mapping = json.loads(shapely.to_geojson(geom))
        mapping["coordinates"] = _round(mapping["coordinates"], digits)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping,
                "properties": dict(properties[k]) if properties is not None else {},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _round(coordinates, digits):
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(c, digits) for c in coordinates]
    return [_round(c, digits) for c in coordinates]


def cell_size_text(run: RunData) -> str:
    """The analysis grid's cell size, e.g. ``460 m`` or ``1.2 km``."""
    grid = run.manifest.get("parameters", {}).get("analysis_grid", {})
    transform = grid.get("transform")
    if not transform:
        return "?"
    size_x, origin_y, size_y = abs(transform[0]), transform[5], abs(transform[4])
    crs = str(grid.get("crs", ""))
    if "4326" in crs or "WGS 84" in crs or "GEOGCS" in crs:
        lat = origin_y - size_y * grid.get("height", 0) / 2
        metres = math.sqrt(size_x * 111_320 * math.cos(math.radians(lat)) * size_y * 110_574)
    else:
        metres = math.sqrt(size_x * size_y)
    if metres < 1000:
        return f"{_nice(metres):g} m"
    return f"{_nice(metres / 1000):g} km"
