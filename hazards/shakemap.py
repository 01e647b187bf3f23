"""USGS ShakeMap ``grid.xml``: ground shaking of one earthquake as a hazard grid.

A ShakeMap grid.xml holds a ``grid_specification`` (``lon_min``, ``lat_max``, ``nlon``,
``nlat``, spacings), the ``grid_field`` list (``LON``, ``LAT``, ``PGA`` in %g, ``PGV``
in cm/s, ``MMI``, ``PSA03``...) and ``grid_data``: one line per point, from the
north-west corner eastwards then southwards, at cell centres (WGS 84). The whole grid is
parsed once (ShakeMaps are at most a few million points) and served by windows like
:class:`mecc.raster_file.RasterFile`, so a run reads ``intensity: grid.xml`` directly as an
earthquake scenario. ShakeMap GeoTIFFs (e.g. ``mmi_mean``) are ordinary rasters.

Units: MMI as given (the earthquake type's unit); PGA is converted from %g to g.

Which ShakeMap a run used (ShakeMaps are re-issued many times after an event) is kept as
:attr:`ShakeMapFile.provenance` (:func:`read_provenance` reads it alone, stopping before
``grid_data``): the root's ``event_id``, ``shakemap_id``, ``shakemap_version``,
``process_timestamp``, ``shakemap_originator``, ``map_status`` and
``shakemap_event_type`` (ACTUAL or SCENARIO), and the ``<event>``'s magnitude, depth,
epicentre, time and description, for manifest.json.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import numpy as np
from affine import Affine

from mecc.errors import ConfigError, DataError, InputFileError
from mecc.grid import GridSpec

__all__ = ["SHAKEMAP_UNITS", "ShakeMapFile", "read_provenance"]

SHAKEMAP_UNITS = {"MMI": ("MMI", 1.0), "PGA": ("g", 0.01), "PGV": ("cm/s", 1.0)}
"""Fields a run can read: (unit after conversion, factor from the file's unit)."""


SHAKEMAP_ATTRIBUTION = (
    "U.S. Geological Survey (USGS) ShakeMap, https://earthquake.usgs.gov/data/shakemap/"
)
"""Whom a run names for a ShakeMap's shaking (the USGS distributes every ShakeMap)."""

ROOT_KEYS = (
    "event_id",
    "shakemap_id",
    "shakemap_version",
    "process_timestamp",
    "shakemap_originator",
    "map_status",
    "shakemap_event_type",
)
"""Attributes of ``<shakemap_grid>`` that name the ShakeMap (None when absent)."""

EVENT_KEYS = (
    ("magnitude", "magnitude"),
    ("depth", "depth_km"),
    ("lat", "lat"),
    ("lon", "lon"),
    ("event_timestamp", "event_timestamp"),
    ("event_description", "event_description"),
)
"""Attributes of ``<event>`` and their names in the record (kept when present)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value(text: str, kind):
    """``text`` as ``kind`` (int, float) when it is one, else as written."""
    try:
        return kind(text)
    except (TypeError, ValueError):
        return text


def provenance(root: dict, event: dict | None) -> dict:
    """Which ShakeMap a file is, from the attributes of its root and ``<event>`` elements.

    Returns
    -------
    dict
        :data:`ROOT_KEYS` (``shakemap_version`` an int when it is one; None when absent;
        ``event_id`` from ``<event>`` when the root has none), then the event's
        ``magnitude``, ``depth_km``, ``lat``, ``lon`` (floats when numbers),
        ``event_timestamp`` and ``event_description`` when given, and ``attribution``.
    """
    event = event or {}
    record = {key: (root.get(key) or "").strip() or None for key in ROOT_KEYS}
    record["event_id"] = record["event_id"] or (event.get("event_id") or "").strip() or None
    if record["shakemap_version"] is not None:
        record["shakemap_version"] = _value(record["shakemap_version"], int)
    for name, key in EVENT_KEYS:
        text = (event.get(name) or "").strip()
        if text:
            record[key] = text if key.startswith("event_") else _value(text, float)
    record["attribution"] = SHAKEMAP_ATTRIBUTION
    return record


def read_provenance(path) -> dict | None:
    """:func:`provenance` of a ShakeMap grid.xml, read up to ``grid_data`` only (cheap on
    a grid of millions of points); None when the file is not a readable ShakeMap."""
    root = None
    try:
        for _, element in ET.iterparse(os.fspath(path), events=("start",)):
            name = _local(element.tag)
            if root is None:
                if name != "shakemap_grid":
                    return None
                root = dict(element.attrib)
            elif name == "event":
                return provenance(root, dict(element.attrib))
            elif name == "grid_data":
                break
    except (OSError, ET.ParseError):
        return None
    return provenance(root, None) if root is not None else None


def _parse(path, label):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        raise InputFileError(f"{label}: cannot read ShakeMap grid.xml ({error})") from None
    if _local(root.tag) != "shakemap_grid":
        raise DataError(f"{label}: not a ShakeMap grid.xml (root element {_local(root.tag)})")
    parts = {"event": None, "grid_specification": None, "grid_data": None, "fields": {}}
    for child in root:
        name = _local(child.tag)
        if name == "grid_field":
            parts["fields"][child.get("name", "").upper()] = (
                int(child.get("index")) - 1,
                child.get("units", ""),
            )
        elif name in parts:
            parts[name] = child
    for name in ("grid_specification", "grid_data"):
        if parts[name] is None:
            raise DataError(f"{label}: no <{name}> element")
    return root, parts


class ShakeMapFile:
    """One field of a ShakeMap grid.xml, read by windows (float64, NaN where missing).

    Parameters
    ----------
    path : path
    field : str
        ``MMI`` (default), ``PGA`` (converted to g) or ``PGV`` (cm/s).
    label : str, optional

    Attributes
    ----------
    event : dict
        The ``<event>`` element's attributes as written.
    provenance : dict
        Which ShakeMap this is (:func:`provenance`), for manifest.json.
    """

    def __init__(self, path, field: str | None = "MMI", label: str | None = None):
        self.path = os.fspath(path)
        self.label = label or self.path
        self.extreme_cells = 0
        field = (field or "MMI").upper()
        if field not in SHAKEMAP_UNITS:
            raise ConfigError(
                f"{self.label}: ShakeMap field {field!r} is not supported; use "
                f"{', '.join(SHAKEMAP_UNITS)} (variable:)"
            )
        root, parts = _parse(self.path, self.label)
        if field not in parts["fields"]:
            raise DataError(
                f"{self.label}: the grid has no {field} field (it has {', '.join(parts['fields'])})"
            )
        spec = parts["grid_specification"].attrib
        try:
            nlon, nlat = int(spec["nlon"]), int(spec["nlat"])
            lon_min, lon_max = float(spec["lon_min"]), float(spec["lon_max"])
            lat_min, lat_max = float(spec["lat_min"]), float(spec["lat_max"])
        except (KeyError, ValueError) as error:
            raise DataError(f"{self.label}: grid_specification: {error}") from None
        if nlon < 2 or nlat < 2:
            raise DataError(f"{self.label}: grid_specification: nlon and nlat must be >= 2")
        values = np.array(parts["grid_data"].text.split(), dtype=np.float64)
        n_fields = len(parts["fields"])
        if values.size != nlon * nlat * n_fields:
            raise DataError(
                f"{self.label}: grid_data has {values.size} numbers, expected nlon x nlat x "
                f"fields = {nlon} x {nlat} x {n_fields}"
            )
        table = values.reshape(nlat * nlon, n_fields)
        dx = (lon_max - lon_min) / (nlon - 1)
        dy = (lat_max - lat_min) / (nlat - 1)
        lon_index, _ = parts["fields"].get("LON", (0, ""))
        lat_index, _ = parts["fields"].get("LAT", (1, ""))
        cols = np.rint((table[:, lon_index] - lon_min) / dx).astype(np.int64)
        rows = np.rint((lat_max - table[:, lat_index]) / dy).astype(np.int64)
        if cols.min() < 0 or cols.max() >= nlon or rows.min() < 0 or rows.max() >= nlat:
            raise DataError(f"{self.label}: points lie outside the grid_specification")
        index, _units = parts["fields"][field]
        self.field = field
        self.unit, factor = SHAKEMAP_UNITS[field]
        self._data = np.full((nlat, nlon), np.nan)
        self._data[rows, cols] = table[:, index] * factor
        self.grid = GridSpec(
            "EPSG:4326", Affine(dx, 0.0, lon_min - dx / 2, 0.0, -dy, lat_max + dy / 2), nlon, nlat
        )
        self.count = 1
        self.nodata = (None,)
        self.event = dict(parts["event"].attrib) if parts["event"] is not None else {}
        self.provenance = provenance(root.attrib, self.event)

    def read(self, bands, window, out=None) -> np.ndarray:
        """Float64 ``(len(bands), h, w)`` of ``window``; written into ``out`` when given."""
        if list(bands) != [1]:
            raise DataError(f"{self.label}: a ShakeMap field has one band")
        r0, c0 = int(window.row_off), int(window.col_off)
        block = self._data[r0 : r0 + int(window.height), c0 : c0 + int(window.width)]
        if out is None:
            return block[None].copy()
        out[0] = block
        return out
