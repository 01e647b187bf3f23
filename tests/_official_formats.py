"""Writers of small fixtures in the formats officials receive, for the reader tests.

Each writer produces the real layout (a COD-AB GeoPackage with ADMn layers, a COD-PS
table with an HXL row, a DTM site list, a USGS ShakeMap grid.xml, an IBTrACS v4 CSV, a
CLIMADA hazard HDF5) from plain arrays, so a test can run the engine on the fixture and
on the equivalent GeoTIFF/GeoJSON inputs and compare.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd


def write_cod_ab(path, levels: dict, country="XX", crs="EPSG:4326") -> Path:
    """``levels``: ``{n: [(pcode, name_en, name_fr, parent_pcode, geometry), ...]}``.

    Every layer gets ``ADMn_PCODE``, ``ADMn_EN``, ``ADMn_FR`` and the P-codes of all
    coarser levels (found through the parents), as OCHA's files do.
    """
    parents = {}
    for n in sorted(levels):
        for code, _en, _fr, parent, _geom in levels[n]:
            parents[code] = parent
    for n in sorted(levels):
        rows = []
        for code, en, fr, _parent, geom in levels[n]:
            row = {f"ADM{n}_PCODE": code, f"ADM{n}_EN": en, f"ADM{n}_FR": fr}
            ancestor = code
            for m in range(n - 1, -1, -1):
                ancestor = parents.get(ancestor)
                if ancestor is None:
                    break
                row[f"ADM{m}_PCODE"] = ancestor
            row["geometry"] = geom
            rows.append(row)
        frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
        frame.to_file(path, layer=f"{country.lower()}_admbnda_adm{n}_ocha_20240101", driver="GPKG")
    return Path(path)


def write_shakemap(path, mmi: np.ndarray, lon_min: float, lat_max: float, step: float) -> Path:
    """A ShakeMap grid.xml with LON, LAT, PGA (%g), PGV and MMI fields at cell centres.

    PGA is written as 10 x MMI (%g) so a test can check the unit conversion.
    """
    nlat, nlon = mmi.shape
    lines = []
    for r in range(nlat):
        for c in range(nlon):
            lon, lat = lon_min + c * step, lat_max - r * step
            value = mmi[r, c]
            lines.append(f"{lon:.4f} {lat:.4f} {10 * value:.4f} {2 * value:.4f} {value:.4f}")
    text = f"""<?xml version="1.0" encoding="US-ASCII" standalone="yes"?>
<shakemap_grid xmlns="http://earthquake.usgs.gov/eqcenter/shakemap" event_id="test1" shakemap_id="test1" shakemap_version="1" code_version="4.0" process_timestamp="2024-01-01T00:00:00Z" shakemap_originator="us" map_status="RELEASED" shakemap_event_type="SCENARIO">
<event event_id="test1" magnitude="6.5" depth="10.0" lat="49.8" lon="10.2" event_timestamp="2024-01-01T00:00:00UTC" event_network="us" event_description="Test scenario" />
<grid_specification lon_min="{lon_min:.6f}" lat_min="{lat_max - (nlat - 1) * step:.6f}" lon_max="{lon_min + (nlon - 1) * step:.6f}" lat_max="{lat_max:.6f}" nominal_lon_spacing="{step:.6f}" nominal_lat_spacing="{step:.6f}" nlon="{nlon}" nlat="{nlat}" />
<event_specific_uncertainty name="pga" value="0.0" numsta="" />
<grid_field index="1" name="LON" units="dd" />
<grid_field index="2" name="LAT" units="dd" />
<grid_field index="3" name="PGA" units="pctg" />
<grid_field index="4" name="PGV" units="cms" />
<grid_field index="5" name="MMI" units="intensity" />
<grid_data>
{chr(10).join(lines)}
</grid_data>
</shakemap_grid>
"""
    Path(path).write_text(text, encoding="ascii")
    return Path(path)


def _csr(dense: np.ndarray):
    """Rows of ``dense`` (events x centroids) as CSR arrays with sorted indices."""
    data, indices, indptr = [], [], [0]
    for row in dense:
        nz = np.flatnonzero(row)
        data.append(row[nz])
        indices.append(nz)
        indptr.append(indptr[-1] + nz.size)
    return (
        np.concatenate(data) if data else np.zeros(0),
        np.concatenate(indices).astype(np.int32) if indices else np.zeros(0, np.int32),
        np.asarray(indptr, dtype=np.int64),
    )


def write_climada(
    path,
    intensity: np.ndarray,
    transform,
    frequency,
    names=None,
    fraction=None,
    layout="points",
    keep=None,
    units="m",
) -> Path:
    """A CLIMADA hazard HDF5 from (events, rows, cols) grids on ``transform``.

    ``layout``: ``points`` (legacy ``centroids/lat``, ``lon``), ``meta`` (legacy raster
    meta) or ``pandas`` (CLIMADA >= 5: a pandas table of point geometries written with
    ``pandas.HDFStore``). ``keep`` (rows x cols bool) drops centroids (e.g. sea points).
    Centroids run row by row from the north, as CLIMADA's rasters do.
    """
    import h5py

    n_events, height, width = intensity.shape
    rows, cols = np.divmod(np.arange(height * width), width)
    lon = transform.c + transform.a * (cols + 0.5)
    lat = transform.f + transform.e * (rows + 0.5)
    selected = np.ones(height * width, bool) if keep is None else np.asarray(keep).reshape(-1)
    if layout == "meta" and keep is not None:
        raise ValueError("a raster meta keeps every centroid")
    flat = intensity.reshape(n_events, -1)[:, selected]
    with h5py.File(path, "w") as handle:
        strings = h5py.special_dtype(vlen=str)
        for name, matrix in (("intensity", flat), ("fraction", None)):
            group = handle.create_group(name)
            if name == "fraction":
                matrix = (
                    fraction.reshape(n_events, -1)[:, selected]
                    if fraction is not None
                    else np.zeros((0, 0))
                )
            data, indices, indptr = _csr(matrix) if matrix.size else _csr(np.zeros((0, 0)))
            group.create_dataset("data", data=data)
            group.create_dataset("indices", data=indices)
            group.create_dataset("indptr", data=indptr)
            group.attrs["shape"] = matrix.shape
        handle.create_dataset("frequency", data=np.asarray(frequency, dtype=np.float64))
        handle.create_dataset("event_id", data=np.arange(1, n_events + 1))
        names = names or [f"event{k + 1}" for k in range(n_events)]
        ds = handle.create_dataset("event_name", (n_events,), dtype=strings)
        for k, name in enumerate(names):
            ds[k] = name
        for key, value in (("units", units), ("haz_type", "RF"), ("frequency_unit", "1/year")):
            ds = handle.create_dataset(key, (1,), dtype=strings)
            ds[0] = value
        if layout == "points":
            centroids = handle.create_group("centroids")
            centroids.create_dataset("lat", data=lat[selected])
            centroids.create_dataset("lon", data=lon[selected])
        elif layout == "meta":
            meta = handle.create_group("centroids").create_group("meta")
            meta.create_dataset("transform", data=np.asarray(tuple(transform)[:6]))
            meta.create_dataset("width", data=[width])
            meta.create_dataset("height", data=[height])
            ds = meta.create_dataset("crs", (1,), dtype=strings)
            ds[0] = "EPSG:4326"
    if layout == "pandas":
        import shapely

        points = np.asarray(shapely.points(lon[selected], lat[selected]), dtype=object)
        frame = pd.DataFrame({"geometry": points, "on_land": True})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pd.HDFStore(path, mode="a") as store:
                store.put("centroids", frame)
                store.get_storer("centroids").attrs.metadata = {"crs": "EPSG:4326"}
    return Path(path)


IBTRACS_HEADER = (
    "SID,SEASON,NUMBER,BASIN,SUBBASIN,NAME,ISO_TIME,NATURE,LAT,LON,WMO_WIND,WMO_PRES,"
    "WMO_AGENCY,TRACK_TYPE,USA_WIND,USA_PRES,USA_RMW,USA_POCI,TOKYO_WIND,TOKYO_PRES"
)
IBTRACS_UNITS = " ,Year, , , , , , ,degrees_north,degrees_east,kts,mb, , ,kts,mb,nmile,mb,kts,mb"


def ibtracs_rows(track: pd.DataFrame, sid: str, name: str, agency: str) -> list[str]:
    """IBTrACS lines for a plain track table (time_utc YYYYMMDDHH[MM], lat, lon, vmax_kt...).

    ``agency="usa"``: winds in USA_WIND (1-min), pressures in USA_PRES, env pressure in
    USA_POCI, RMW in USA_RMW. ``agency="tokyo"``: winds in WMO_WIND and TOKYO_WIND
    (10-min) with WMO_AGENCY tokyo, no USA columns.
    """

    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == 0:
            return " "
        return f"{value:g}"

    lines = []
    for row in track.itertuples(index=False):
        stamp = str(row.time_utc)
        time = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[8:10]}:{stamp[10:12] or '00'}:00"
        wind = getattr(row, "vmax_kt", np.nan)
        pressure = getattr(row, "pressure_hpa", np.nan)
        env = getattr(row, "env_pressure_hpa", np.nan)
        rmax = getattr(row, "rmax_nmi", np.nan)
        if agency == "usa":
            wmo = (" ", " ", "hurdat_atl")
            usa = (cell(wind), cell(pressure), cell(rmax), cell(env))
            tokyo = (" ", " ")
        else:
            wmo = (cell(wind), cell(pressure), "tokyo")
            usa = (" ", " ", " ", " ")
            tokyo = (cell(wind), cell(pressure))
        lines.append(
            ",".join(
                (sid, stamp[:4], "1", "WP", "MM", name, time, "TS", f"{row.lat:g}", f"{row.lon:g}")
                + wmo
                + ("main",)
                + usa
                + tokyo
            )
        )
    return lines
