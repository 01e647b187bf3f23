"""The record of a run (manifest.json): software versions and the parameters of each
hazard set, as the run applied them."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd

import mecc

__all__ = ["hazard_parameters", "versions"]


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
    }


def hazard_parameters(hazards, grid) -> dict:
    """Per hazard set: type, kind, units and conversion, curve, resampling, rules."""
    return {
        h.id: {
            "type": h.hazard_type.name,
            "kind": h.kind,
            "unit_in_files": h.unit,
            "unit_factor": h.unit_factor,
            "conversion": h.conversion or "none",
            "hip_code": h.hazard_type.hip_code,
            "exposure_threshold": h.exposure_threshold,
            "curve": h.curve.describe(),
            "resampling": h.resampling
            if not h.native_grid.same_as(grid)
            else "none (on the analysis grid)",
            "protection_rp": h.protection_rp,
            "period": h.period,
            "aad_rule": {
                "events": "sum of frequency x displaced (CLIMADA aai_agg)",
                "return_periods": "trapezoid over exceedance probability between the maps",
                "scenario": "not applicable (single scenario)",
                "relocation": "not applicable (permanent inundation)",
            }[h.kind],
        }
        for h in hazards
    }
