"""Minimum needs of displaced people and the siting of evacuation shelters (module 5).

:func:`minimum_needs` multiplies people by per-person quantities held as data in the
module's YAML (``needs_per_person``, each with its source: the Sphere Handbook). When
the toolkit's own needs calculator (``mecc.needs``) lands, this one function is the
place to point at it.

:func:`shelter_sites` applies siting criteria to candidate sites (after InaSAFE's
IDP-camp exercise, ../shared/reference/sendai_training.md §6.2): the site must be
outside the forecast flood (depth read from the hazard grid at the site), near a road
and big enough; its capacity is its floor area divided by the covered living space
per person.
"""

from __future__ import annotations

import math

import numpy as np

from mecc.errors import ConfigError

__all__ = ["minimum_needs", "shelter_sites"]


def minimum_needs(people: float, per_person: dict) -> dict:
    """Quantities for ``people`` from ``{item: {per_person: q, ...}}`` (item -> amount)."""
    out = {}
    for item, spec in per_person.items():
        try:
            quantity = float(spec["per_person"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"needs_per_person.{item}: give per_person as a number") from None
        out[item] = people * quantity
    return out


def shelter_sites(shelters, hazard_path, zones_frame, criteria: dict, area_per_person: float):
    """Candidate sites with their flood depth, district, suitability and capacity.

    Parameters
    ----------
    shelters : DataFrame
        ``site_id, lon, lat, floor_area_m2, road_distance_m`` (shelters.csv).
    hazard_path : path
        The forecast depth grid (m); the site's depth is its cell's value.
    zones_frame : GeoDataFrame
        Districts (``zone_code``, geometry, WGS 84) to name the site's district.
    criteria : dict
        ``max_depth_m``, ``max_road_distance_m``, ``min_floor_area_m2``.
    area_per_person : float
        Covered living space per person (m²).

    Returns
    -------
    DataFrame
        The input columns plus ``depth_m``, ``zone_code``, ``dry``, ``near_road``,
        ``big_enough``, ``suitable`` and ``capacity`` (people, rounded down).
    """
    import geopandas as gpd
    import rasterio

    frame = shelters.copy()
    with rasterio.open(hazard_path) as src:
        values = np.array([v[0] for v in src.sample(zip(frame["lon"], frame["lat"], strict=True))])
        nodata = src.nodata
    depth = np.where(values == nodata, np.nan, values).astype("float64")
    frame["depth_m"] = np.round(depth, 2)
    points = gpd.GeoDataFrame(
        frame[["site_id"]], geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326
    )
    joined = gpd.sjoin(points, zones_frame[["zone_code", "geometry"]], how="left")
    joined = joined.drop_duplicates("site_id").set_index("site_id")
    frame["zone_code"] = joined.loc[frame["site_id"], "zone_code"].to_numpy()
    frame["dry"] = np.nan_to_num(depth, nan=math.inf) <= float(criteria["max_depth_m"])
    frame["near_road"] = frame["road_distance_m"] <= float(criteria["max_road_distance_m"])
    frame["big_enough"] = frame["floor_area_m2"] >= float(criteria["min_floor_area_m2"])
    frame["suitable"] = frame["dry"] & frame["near_road"] & frame["big_enough"]
    frame["capacity"] = np.floor(frame["floor_area_m2"] / float(area_per_person)).astype(int)
    return frame
