"""Gridded hazard sets as layers: return-period maps and event sets of grid files.

:func:`hazards.readers.read_hazard` builds a hazard set's band table and its layers
(``(file, band)`` pairs, one per band) here: :func:`return_period_set` (one single-band
map per return period) and :func:`grid_event_set` (a multi-band grid and its events
table). An event set may hold thousands of bands of one file, so whatever is read about
a file (its stated unit, wind averaging, band labels, nodata) is read once per file
(:func:`layer_files`), never once per band: opening a 20,000-event set stays linear in
the number of events.

Moved out of ``hazards.readers`` (which re-exports :func:`open_grid_file`) to keep that
module small.
"""

from __future__ import annotations

import math
import os
import warnings

import pandas as pd

from hazards.events import read_events
from hazards.netcdf import NetCDFFile
from mecc.errors import ConfigError, DataError, InputFileError, MeccWarning, did_you_mean
from mecc.raster_file import RasterFile

__all__ = ["grid_event_set", "layer_files", "open_grid_file", "return_period_set"]


def open_grid_file(
    path, label: str, variable: str | None = None, default: str | None = None, nodata=()
):
    """Open a hazard grid file: NetCDF through xarray, anything else through rasterio.

    ``default`` is the NetCDF variable taken when ``variable`` is None and the file has
    several (:class:`NetCDFFile`); ``nodata`` the values the run file declares missing
    besides a GDAL raster's own (``hazards[].nodata``).
    """
    if not os.path.exists(path):
        raise InputFileError(f"{label}: file not found ({path}){did_you_mean(path, label)}")
    if os.fspath(path).lower().endswith((".nc", ".nc4", ".netcdf")):
        return NetCDFFile(path, variable, label, default)
    if os.fspath(path).lower().endswith(".xml"):  # a USGS ShakeMap grid.xml
        from hazards.shakemap import ShakeMapFile

        return ShakeMapFile(path, variable, label)
    if variable is not None:
        raise ConfigError(f"{label}: 'variable' applies to NetCDF files only")
    return RasterFile(path, label, extra_nodata=tuple(nodata) or None)


def layer_files(layers) -> list:
    """The distinct files of ``(file, band)`` layers, in the order they first appear.

    An event set's thousands of layers are mostly bands of one file; per-file work
    (reading what the file states, checking its nodata, wrapping it) loops over these.
    """
    return list({id(source): source for source, _ in layers}.values())


def return_period_set(spec: dict, where: str, path_of, variable, nodata):
    """Band table, layers and input paths of a return-period set (``return_periods:``).

    Parameters
    ----------
    spec : dict
        The hazard entry.
    where : str
        How errors name the entry.
    path_of : callable
        ``path_of(value, key)``: the path of a file the entry names, relative to the run file.
    variable : str or None
        The NetCDF variable (``variable:``).
    nodata : tuple of float
        The values ``nodata:`` declares missing.

    Returns
    -------
    bands : pandas.DataFrame
        ``band`` (``rp10``, ...) and ``return_period``, shortest period first.
    layers : list of (file, 1)
    inputs : list of str

    Raises
    ------
    ConfigError, DataError
        Fewer than two maps, a period that is no number of years or is given twice, a
        file with more than one band.
    """
    rp_map = spec["return_periods"]
    if not isinstance(rp_map, dict) or len(rp_map) < 2:
        raise ConfigError(f"{where}.return_periods: give at least two 'period: file' entries")
    periods = []
    for key in rp_map:
        try:
            rp = float(key)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}.return_periods: {key!r} is not a number of years") from None
        if not math.isfinite(rp) or rp < 1:
            raise DataError(f"{where}.return_periods: return period {key} must be >= 1 year")
        periods.append((rp, key))
    values = [rp for rp, _ in periods]
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}.return_periods: the same return period is given twice")
    periods.sort()
    layers, inputs = [], []
    for _, key in periods:
        path = path_of(rp_map[key], f"return_periods.{key}")
        _warn_same_map(path, key, inputs, [k for _, k in periods], rp_map, where)
        label = f"{where}.return_periods.{key} ({rp_map[key]})"
        source = open_grid_file(path, label, variable, nodata=nodata)
        if source.count != 1:
            raise DataError(
                f"{where}.return_periods.{key}: expected one band per return period, "
                f"found {source.count}"
            )
        layers.append((source, 1))
        inputs.append(path)
    bands = pd.DataFrame(
        {
            "band": [_rp_label(rp) for rp, _ in periods],
            "return_period": [rp for rp, _ in periods],
        }
    )
    return bands, layers, inputs


def grid_event_set(spec: dict, source, where: str, path_of):
    """Band table, layers and events-table path of an event set in one grid file.

    The events table (:func:`hazards.events.read_events`) gives each band its frequency;
    the file's own band labels are read once (``source.descriptions`` or a NetCDF's
    labels, kept when the file was opened), not once per band.

    Returns
    -------
    bands : pandas.DataFrame
    layers : list of (source, band)
        One per event, in band order.
    events_path : str
    """
    events_path = path_of(spec["events"], "events")
    bands = read_events(
        events_path,
        source.count,
        f"{where}.events ({spec['events']})",
        spec.get("member_pattern"),
        source=source,  # the file's own band labels checked against the table
    )
    layers = [(source, int(b)) for b in bands["band"]]
    return bands, layers, events_path


def _rp_label(rp: float) -> str:
    return f"rp{int(rp)}" if float(rp).is_integer() else f"rp{rp:g}"


def _warn_same_map(path: str, key, earlier: list, keys: list, rp_map: dict, where: str) -> None:
    """Warn when a return period's file is one an earlier return period was given.

    Each map is one band of its own file (a return-period file holds one band), so the
    same file for two return periods is the same map twice: a copy-paste mistake that
    changes the AAD and PMD without a word (the order check sees no fall between them).
    """
    same = os.path.normcase(os.path.realpath(path))
    for k, other in enumerate(earlier):
        if os.path.normcase(os.path.realpath(other)) == same:
            first = keys[k]
            warnings.warn(
                f"{where}.return_periods: the {first}- and {key}-year maps are the same file "
                f"({rp_map[key]}); each return period needs its own map: the AAD and PMD take "
                "one map for both, so check which file belongs to which return period",
                MeccWarning,
                stacklevel=4,
            )
            return
