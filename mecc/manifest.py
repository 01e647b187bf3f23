"""The record of a run (manifest.json): software versions and the parameters of each
hazard set, as the run applied them, with where a scenario came from: a grid ``mecc
hazard`` generated (``generated``) or a USGS ShakeMap grid.xml (``shakemap``: which
ShakeMap, version and event, :func:`shakemap_record`; :func:`shakemap_text` names it)."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd

import mecc

__all__ = ["hazard_parameters", "shakemap_record", "shakemap_text", "versions"]


def versions() -> dict:
    """Versions of mecc, Python, the platform and every library a run's numbers depend on."""
    from importlib import metadata

    import geopandas
    import numba
    import pyproj
    import rasterio
    import shapely
    import xarray

    def installed(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "mecc": mecc.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
        "xarray": xarray.__version__,
        "rasterio": rasterio.__version__,
        "gdal": rasterio.__gdal_version__,
        "proj": pyproj.proj_version_str,
        "pyproj": pyproj.__version__,
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "netcdf4": installed("netCDF4"),
        "pyogrio": installed("pyogrio"),
        "folium": installed("folium"),
        "click": installed("click"),
        "imagecodecs": installed("imagecodecs"),  # mecc's DEFLATE blocks (mecc.tiff_blocks)
        "zstandard": installed("zstandard"),
    }


def hazard_parameters(hazards, grid) -> dict:
    """Per hazard set: type, kind, units and conversion, curve, resampling, rules, and
    where its scenario came from (``generated``: :func:`generated_scenario`; ``shakemap``:
    :func:`shakemap_record`, None for other inputs).

    A combined hazard (``components``) records each component's unit, factor and
    conversion under ``components``; its own ``conversion`` joins theirs and its
    ``unit_factor`` is None (each component's grids have their own). ``nodata``: the
    values the run file declares missing in every grid of the set (``hazards[].nodata``),
    None when it declares none. ``unit_source``: where the unit in files comes from (the
    run file, a file's statement, or none: the type's unit assumed).
    """
    from hazards.readers import unit_source_text

    return {
        h.id: {
            "type": h.hazard_type.name,
            "kind": h.kind,
            "unit_in_files": h.unit,
            "unit_source": None if h.components else unit_source_text(h),
            "unit_factor": None if h.components else h.unit_factor,
            "conversion": h.conversion or "none",
            "nodata": list(getattr(h, "nodata", ())) or None,  # hazards[].nodata, if given
            **(
                {"components": [_component(part, grid) for part in h.components]}
                if h.components
                else {}
            ),
            "hip_code": h.hazard_type.hip_code,
            "exposure_threshold": h.exposure_threshold,
            "curve": h.curve.describe(),
            "resampling": h.resampling
            if not h.native_grid.shares_cells_with(grid)  # the grid, or it grown (no sampling)
            else "none (on the analysis grid)",
            "protection_rp": h.protection_rp,
            "period": h.period,
            "generated": generated_scenario(h),
            "shakemap": shakemap_record(h),
            "aad_rule": {
                "events": "sum of frequency x displaced (CLIMADA aai_agg)",
                "return_periods": "trapezoid over exceedance probability between the maps",
                "scenario": "not applicable (single scenario)",
                "relocation": "not applicable (permanent inundation)",
            }[h.kind],
        }
        for h in hazards
    }


def _component(part, grid) -> dict:
    """What a run applied to one component of a combined hazard."""
    from hazards.readers import unit_source_text

    return {
        "type": part.hazard_type.name,
        "hip_code": part.hazard_type.hip_code,
        "unit_in_files": part.unit,
        "unit_source": unit_source_text(part),
        "unit_factor": part.unit_factor,
        "conversion": part.conversion or "none",
        "nodata": list(part.nodata) or None,
        "exposure_threshold": part.exposure_threshold,
        "curve": part.curve.describe(),
        "resampling": part.resampling
        if not part.native_grid.shares_cells_with(grid)
        else "none (on the analysis grid)",
    }


CYCLONE_SETTINGS = ("estimates", "surface_factor", "averaging_to_1min_factor", "b_parameter")
"""Settings of a generated wind field the manifest keeps beside the ``*_source`` citations."""


def _generated_tags(path) -> tuple[dict, dict] | None:
    """``(tags, parameters)`` of a GeoTIFF ``mecc hazard`` wrote (its ``note`` tag), else None."""
    import json

    import rasterio

    if path is None or not str(path).lower().endswith((".tif", ".tiff")):
        return None
    try:
        with rasterio.open(path) as dataset:
            tags = dataset.tags()
        parameters = json.loads(tags["parameters"])
    except (OSError, KeyError, ValueError, rasterio.errors.RasterioError):
        return None
    if not str(tags.get("note", "")).startswith("Modelled hazard scenario generated by mecc"):
        return None
    return (tags, parameters) if isinstance(parameters, dict) else None


FLOOD_SETTINGS = ("method", "hand", "sources", "connectivity")
"""Settings of a generated flood grid the manifest keeps beside its model and citations."""

EARTHQUAKE_RUPTURE = ("model", "length_km", "width_km", "top_depth_km", "bottom_depth_km")
"""What the manifest keeps of a generated earthquake grid's ``rupture`` (its scaling law is
kept as ``rupture_source``)."""


def _generated_flood(paths, parameters: dict) -> dict:
    """A flood grid of ``mecc hazard flood``: its model, method, levels and the
    ``*_source`` citations of its tags; the level of every grid of a return-period set
    (``*_by_return_period``, years -> metres) when the hazard has several."""
    key = "water_level_m" if "water_level_m" in parameters else "channel_height_m"
    levels = {}
    for path in paths:
        found = _generated_tags(path)
        if found is None or found[0].get("measure") != "water depth":
            continue
        own = found[1]
        if key in own:
            period = own.get("return_period_years")
            levels[None if period is None else f"{float(period):g}"] = own[key]
    record = {"generator": "mecc hazard flood", "model": parameters.get("model")}
    record |= {k: parameters[k] for k in FLOOD_SETTINGS if k in parameters}
    if list(levels) == [None] or not levels:
        record[key] = parameters.get(key)
    else:
        record[f"{key}_by_return_period"] = {k: v for k, v in levels.items() if k is not None}
    record |= {k: v for k, v in parameters.items() if k.endswith("_source")}
    return {k: v for k, v in record.items() if v is not None}


def generated_scenario(hazard) -> dict | None:
    """Where a scenario generated by mecc came from, for maps and reports: a cyclone's
    track, an earthquake's epicentre, magnitude, depth, strike, dip and rupture (length,
    width, top and bottom depth), a flood grid's method and levels, each with the
    citations of its model (read from the tags ``mecc hazard`` writes), else None.

    A flood grid is known by its tags (``measure`` "water depth" from ``mecc hazard
    flood``), not by its file name."""
    found = _generated_tags(hazard.inputs[0] if hazard.inputs else None)
    if found is None:
        return None
    tags, parameters = found
    if tags.get("measure") == "water depth" and "method" in parameters:
        return _generated_flood(hazard.inputs, parameters)
    if "positions" in parameters.get("track", {}):
        cited = {  # the citations behind the wind field, for reports that name their methods
            key: value
            for key, value in parameters.items()
            if key.endswith("_source") or key in CYCLONE_SETTINGS
        }
        return {
            "track": parameters["track"]["positions"],
            "model": parameters.get("model"),
            **cited,
        }
    if "epicentre_lat" in parameters:
        rupture = parameters.get("rupture")
        rupture = rupture if isinstance(rupture, dict) else {}
        scaling = rupture.get("scaling_law")
        return {
            "epicentre": [float(parameters["epicentre_lat"]), float(parameters["epicentre_lon"])],
            "magnitude": parameters.get("magnitude"),
            "depth_km": parameters.get("depth_km"),
            # the fault the grid was computed for, so that a run alone can reproduce it
            "strike_deg": parameters.get("strike_deg"),
            "dip_deg": parameters.get("dip_deg"),
            "rupture": {k: v for k, v in rupture.items() if k in EARTHQUAKE_RUPTURE} or None,
            # the citations behind the shaking, for reports that name their methods
            "equation": parameters.get("equation"),
            "citation": parameters.get("citation"),
            **({"rupture_source": scaling} if scaling else {}),
        }
    return None


def shakemap_record(hazard) -> dict | None:
    """Which USGS ShakeMap a hazard read (``intensity: grid.xml``), else None.

    Taken from the :class:`hazards.shakemap.ShakeMapFile` the run opened (no second
    parse), or for a hazard without its files open, from the grid.xml's header
    (:func:`hazards.shakemap.read_provenance`, which stops before ``grid_data``).

    Returns
    -------
    dict or None
        ``event_id``, ``shakemap_id``, ``shakemap_version``, ``process_timestamp``,
        ``shakemap_originator``, ``map_status`` (RELEASED, ...), ``shakemap_event_type``
        (ACTUAL or SCENARIO), the event's ``magnitude``, ``depth_km``, ``lat``, ``lon``,
        ``event_timestamp`` and ``event_description`` when the file gives them, and the
        ``attribution``.
    """
    from hazards.shakemap import ShakeMapFile, read_provenance

    layers = getattr(hazard, "layers", None) or []
    for source, _band in layers:
        if isinstance(source, ShakeMapFile):
            return dict(source.provenance)
    if layers:  # the files the run opened: none is a ShakeMap
        return None
    inputs = getattr(hazard, "inputs", None) or []
    if inputs and str(inputs[0]).lower().endswith(".xml"):
        return read_provenance(inputs[0])
    return None


SHAKEMAP_LINE = (
    "USGS ShakeMap {event} version {version} ({timestamp}, {status}; {event_type} event"
    "{magnitude}). Source: {attribution}"
)
"""The English line naming a ShakeMap (maps take theirs from ``shakemap_line`` of
``mecc/locales/maps.yaml``)."""


def _shown(value) -> str:
    return "?" if value is None or value == "" else str(value)


def shakemap_text(record: dict, template: str = SHAKEMAP_LINE) -> str:
    """The ShakeMap of :func:`shakemap_record` in one line (plain text), e.g. ``USGS
    ShakeMap us7000abcd version 12 (2023-02-06T12:00Z, RELEASED; ACTUAL event M7.8).
    Source: U.S. Geological Survey (USGS) ShakeMap, https://earthquake.usgs.gov/data/shakemap/``.

    ``template``: the line in another language, with the same placeholders as
    :data:`SHAKEMAP_LINE` (``{magnitude}`` is `` M7.8``, or empty when not given); the
    ShakeMap's codes (RELEASED, ACTUAL, SCENARIO) are kept as written.
    """
    magnitude = record.get("magnitude")
    if isinstance(magnitude, float):
        magnitude = f" M{magnitude:g}"
    else:
        magnitude = f" M{magnitude}" if magnitude not in (None, "") else ""
    return template.format(
        event=_shown(record.get("event_id")),
        version=_shown(record.get("shakemap_version")),
        timestamp=_shown(record.get("process_timestamp")),
        status=_shown(record.get("map_status")),
        event_type=_shown(record.get("shakemap_event_type")),
        magnitude=magnitude,
        attribution=_shown(record.get("attribution")),
    )
