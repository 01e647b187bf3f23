"""Tropical-cyclone wind from a best track: a parametric Holland (1980) wind field.

The result is the maximum over the storm's life of the 1-minute sustained wind at 10 m
(m/s), CLIMADA's TC intensity (methodology §1.7). Choices and their sources:

- 10-minute winds x 1/0.93 give 1-minute winds (at sea; Harper, Kepert & Ginger 2010,
  WMO/TD-No. 1555). Interior gaps are interpolated in time where a point gives neither
  wind nor pressure (one giving either gets the other from it); missing environmental
  pressure is 1010 hPa; central pressure, wind and R_max come from CLIMADA's published
  IBTrACS fits (:func:`estimate_pressure`, :func:`estimate_vmax`, :func:`estimate_rmw`).
- Profile: Holland (1980, MWR 108:1212) gradient wind with the Coriolis term, air density
  1.15 kg/m³, every hour along the linearly interpolated track (as CLIMADA).
- B: the gradient wind at R_max is set to ``v_g = v_s / f`` by solving Holland's gradient
  equation there, ``B = ρ e (v_g² + v_g R_max f_c) / Δp`` (f_c Coriolis; CLIMADA drops
  that term), clipped to [1, 2.5] (Holland 1980). ``v_s``: by default
  (``"holland2008"``, pressure only, the track's wind unused) Holland's (2008, MWR
  136:3432) surface ``v_ms = √(b_s Δp / (ρ e))`` with eq. 11's ``b_s`` from Δp, dp/dt,
  |lat| and translation speed; with ``"holland1980"`` the track's ``v_max - v_t``
  (CLIMADA's "H1980").
- Surface factor f = 0.9 (gradient level to 10 m): the 90 % rule of Franklin, Black &
  Valde (2003), Wea. Forecasting 18:32-44, CLIMADA's ``DEF_GRADIENT_TO_SURFACE_WINDS``,
  chosen before any comparison with observations. The 10 m wind is f times the gradient
  wind, so f cancels at R_max and shapes the profile (through B) outside it.
- Motion: translation velocity (centred differences, capped at 30 kt as CLIMADA) added as
  a vector weighted by min(1, R_max / r) (Mouton & Nordbeck 2005, as CLIMADA); with
  Holland 2008's B, which includes the motion, that weighted speed is first taken off
  the symmetric wind (CLIMADA's "H08"). Anticlockwise in the Northern Hemisphere,
  clockwise in the Southern; tangential winds (no inflow angle).
- Extent: nothing beyond ``cutoff_km`` (500 km) from the centre; cells no node reaches
  hold 0 (no wind, not missing). Winds below 17.5 m/s are kept: the hazard type's
  exposure threshold applies later. Distances are local equirectangular around each
  centre (longitude differences wrapped, so a grid in -180..180 or 0..360 gets the wind
  on both sides of the antimeridian); projected grids go through pyproj. A grid with
  no wind is written with a warning giving the reason: no pressure deficit anywhere on
  the track (central >= environmental pressure), or no node within the cut-off of the
  grid (a longitude sign error looks like that).
- Plausibility: central pressures, given or estimated from the wind, within 800-1100
  hPa; 1-min winds at most 200 kt (the strongest observed is about 185 kt); radii of
  maximum wind at most 500 nmi. Beyond them the track is refused as a unit mix-up. So
  are a step faster than 50 m/s (a sign error), a gap over 24 h and a column that looks
  like a known one under another name or unit (``rmax_km``); estimated pressures use one
  side of 180° per track and warn within 5° of it (:mod:`hazards.track_checks`).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
from rasterio.windows import Window

from hazards import track_checks
from hazards.ibtracs import (
    IBTRACS_SOURCE,
    estimate_pressure,
    estimate_rmw,
    estimate_vmax,
    fit_longitudes,
    ibtracs_track,
    is_ibtracs,
)
from hazards.scenarios import check_scenario_output, target_grid, write_scenario_grid
from hazards.track import check_plausible, column_values, track_rows, track_times
from hazards.track_checks import check_motion, check_ranges, track_columns, warn_antimeridian
from mecc.errors import ConfigError, DataError, MeccWarning, read_input_table
from mecc.grid import GridSpec

__all__ = [
    "AVERAGING_TO_1MIN",
    "SURFACE_FACTOR",
    "holland_gradient_wind",
    "read_track",
    "storm_nodes",
    "surface_winds",
    "node_peak",
    "wind_field",
    "write_cyclone",
]

SURFACE_FACTOR = 0.9
"""Gradient-level to 10 m wind factor (Franklin, Black & Valde 2003; CLIMADA's default)."""
SURFACE_FACTOR_SOURCE = (
    "Franklin, Black & Valde (2003), Wea. Forecasting 18:32-44, 90% rule "
    "(CLIMADA DEF_GRADIENT_TO_SURFACE_WINDS)"
)
AVERAGING_TO_1MIN = {"1-min": 1.0, "10-min": 1.0 / 0.93}
"""Factor to 1-minute sustained wind, at sea (Harper, Kepert & Ginger 2010, WMO/TD-No. 1555)."""
ENV_PRESSURE_HPA = 1010.0
RHO_AIR = 1.15
CUTOFF_KM = 500.0
TIME_STEP_H = 1.0
B_SOURCES = {
    "holland2008": "Holland (2008) MWR 136:3432 eq. 11 b_s, v_ms = sqrt(b_s dp/(rho e)); v_g = v_ms/f",
    "holland1980": "track wind: v_g = (vmax - v_t) / f (CLIMADA H1980)",
}
B_PARAMETERS = tuple(B_SOURCES)
KNOT = 1852.0 / 3600.0
NMI = 1852.0
EARTH_RADIUS = 6_371_008.8
OMEGA = 7.2921e-5
MAX_TRANSLATION = 30 * KNOT
_LONLAT_CACHE_CELLS = 25_000_000
TRACK_COLUMNS = (
    *("time_utc", "hours", "lat", "lon", "vmax_kt", "pressure_hpa", "env_pressure_hpa"),
    "rmax_nmi",
)
NODE_COLUMNS = (
    *("time_utc", "hours", "lat", "lon", "pressure_hpa", "dp_hpa", "rmax_m", "vmax_ms"),
    *("vt_east", "vt_north", "vt_ms", "dpdt_hpa_h", "v_surface_ms", "b_gradient"),
)


def _averaging_factor(averaging) -> float:
    if averaging not in AVERAGING_TO_1MIN:
        raise ConfigError(f"track averaging {averaging!r} is unknown; use 1-min or 10-min")
    return AVERAGING_TO_1MIN[averaging]


def _number(value, name, low, high) -> float:
    """A finite number with low < value <= high, or ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConfigError(f"{name}: give a finite number, got {value!r}")
    if not low < value <= high:
        raise ConfigError(f"{name}: {value:g} is out of range (above {low:g}, at most {high:g})")
    return float(value)


def _check_options(surface_factor, b_parameter, cutoff_km, time_step_h):
    if b_parameter not in B_PARAMETERS:
        raise ConfigError(
            f"b_parameter {b_parameter!r} is unknown; use {' or '.join(B_PARAMETERS)}"
        )
    factor = _number(surface_factor, "surface_factor", 0.0, 1.0)
    return (
        factor,
        _number(cutoff_km, "cutoff_km", 0.0, 3000.0),
        _number(time_step_h, "time_step_h", 0.0, 24.0),
    )


# ----------------------------------------------------------------------- the track


def _interp(t, hours, values):
    """Linear in time; NaN before the first and after the last valid value."""
    valid = np.isfinite(values)
    if not valid.any():
        return np.full(np.shape(t), np.nan)
    return np.interp(t, hours[valid], values[valid], left=np.nan, right=np.nan)


def read_track(
    path, *, averaging="1-min", env_pressure_hpa=ENV_PRESSURE_HPA, storm=None
) -> pd.DataFrame:
    """Read a best-track CSV and fill its missing values (see the module docstring).

    The CSV has ``time_utc`` (YYYYMMDDHH, YYYYMMDDHHMM or ISO 8601, UTC), ``lat``, ``lon``
    and ``pressure_hpa`` (central, hPa) and/or ``vmax_kt``; optional ``env_pressure_hpa``
    and ``rmax_nmi``. Empty cells and 0 (JMA's convention) are missing. ``averaging`` is
    the period of ``vmax_kt`` ("1-min" or "10-min"); ``env_pressure_hpa`` is used where
    the file gives none. Returns ``time_utc``, ``hours`` (since the first point), ``lat``,
    ``lon`` (-180 to 180), ``vmax_kt`` (1-min), ``pressure_hpa``, ``env_pressure_hpa``,
    ``rmax_nmi``, ``*_estimated`` and ``*_interpolated`` flags. End points with neither
    stay NaN and give no wind. An IBTrACS CSV (``SID``, ``ISO_TIME``, ...) is converted
    first (:func:`hazards.ibtracs.ibtracs_track`: each agency's wind to 1-minute; name
    the storm with ``storm`` when the file holds several; ``averaging`` must stay 1-min).
    Errors name the file, the column, the row as the file numbers it (header = row 1,
    blank lines counted) and the cell as written; a row with more fields than the
    header is refused (:mod:`hazards.track`); column names, positions, motion and gaps
    are checked by :mod:`hazards.track_checks`.
    """
    factor = _averaging_factor(averaging)
    env_default = _number(env_pressure_hpa, "env_pressure_hpa", 900.0, 1100.0)
    label = os.fspath(path)
    raw = read_input_table(label, "track file", dtype=str, skipinitialspace=True)
    wind_sources, rows = None, None
    if is_ibtracs(raw.columns):
        if averaging != "1-min":
            raise ConfigError(
                f"{label}: an IBTrACS file states each agency's averaging; leave the track "
                "averaging at 1-min (winds are converted per agency)"
            )
        table, raw = raw, ibtracs_track(raw, label, storm)
        wind_sources = raw.pop("wind_source").value_counts().to_dict()
        # messages name the file's columns (LAT, USA_WIND, ...) and rows (units row counted)
        kept = raw.attrs["file_rows"]
        rows = track_rows(label, table, label, kept).take(kept, raw.attrs["file_columns"])
    elif storm is not None:
        raise ConfigError(f"{label}: storm applies to IBTrACS files only")
    else:  # known names (Lat read as lat), look-alikes (rmax_km) refused or warned
        raw, spelled = track_columns(raw, label)
        rows = track_rows(label, raw, label)  # the file's own rows; ragged rows refused
        rows.columns = spelled
    filled = raw.notna().any(axis=1).to_numpy()
    raw = raw[filled].reset_index(drop=True)
    rows = rows.select(filled)
    if len(raw) < 2:
        raise DataError(
            f"{label}: {len(raw)} track point(s); at least two are needed to give the storm's motion"
        )
    times = track_times(raw["time_utc"], rows)
    step = np.diff(times.to_numpy()).astype("timedelta64[s]").astype(np.int64)
    if (step <= 0).any():
        k, name = int(np.flatnonzero(step <= 0)[0]), rows.name("time_utc")
        at = f"row {rows.row(k + 1)}: {times[k + 1]:%Y-%m-%d %H:%M} after {times[k]:%Y-%m-%d %H:%M}"
        raise DataError(f"{label}: column {name}: times must increase strictly ({at})")
    hours = (times - times[0]).total_seconds().to_numpy() / 3600.0
    lat, lon = column_values(raw, "lat", rows, True), column_values(raw, "lon", rows, True)
    vmax, pressure = column_values(raw, "vmax_kt", rows), column_values(raw, "pressure_hpa", rows)
    env, rmax = column_values(raw, "env_pressure_hpa", rows), column_values(raw, "rmax_nmi", rows)
    for values in (vmax, pressure, env, rmax):
        values[values == 0] = np.nan
    check_ranges(lat, lon, pressure, env, rows)
    lon = (lon + 180.0) % 360.0 - 180.0
    check_motion(hours, lat, lon, rows)  # sign errors (impossible speeds), long gaps
    check_plausible(vmax, factor, rmax, None, rows)
    if np.isnan(vmax).all() and np.isnan(pressure).all():
        raise DataError(f"{label}: no usable intensity: every pressure_hpa and vmax_kt is missing")
    # interior gaps: linear in time only where a point gives neither (module docstring)
    own_vmax, own_pressure = np.isfinite(vmax), np.isfinite(pressure)
    vmax = np.where(own_pressure & ~own_vmax, np.nan, _interp(hours, hours, vmax * factor))
    pressure = np.where(own_vmax & ~own_pressure, np.nan, _interp(hours, hours, pressure))
    rmax = _interp(hours, hours, rmax)
    flags = {
        "pressure_interpolated": ~own_pressure & np.isfinite(pressure),
        "vmax_interpolated": ~own_vmax & np.isfinite(vmax),
        "env_pressure_estimated": np.isnan(env),
        "pressure_estimated": np.isnan(pressure) & np.isfinite(vmax),
        "vmax_estimated": np.isnan(vmax) & np.isfinite(pressure),
    }
    env = np.where(np.isnan(env), env_default, env)
    fit_lon = fit_longitudes(lon)  # one side of 180° per track (hazards.ibtracs)
    estimated = flags["pressure_estimated"]
    pressure = np.where(estimated, estimate_pressure(vmax, lat, fit_lon), pressure)
    check_plausible(vmax, 1.0, rmax, (pressure, vmax, estimated), rows)
    warn_antimeridian(estimated, vmax, lat, fit_lon, env, rows)
    track_checks.warn_wind_pressure(vmax, pressure, own_vmax & own_pressure, lat, fit_lon, rows)
    vmax = np.where(flags["vmax_estimated"], estimate_vmax(pressure, lat, fit_lon), vmax)
    pressure = np.minimum(pressure, env)  # a pressure above the environment means no storm
    flags["rmax_estimated"] = np.isnan(rmax) & np.isfinite(pressure)
    rmax = np.where(flags["rmax_estimated"], estimate_rmw(pressure), rmax)
    columns = (times, hours, lat, lon, np.maximum(vmax, 0.0), pressure, env, rmax)
    track = pd.DataFrame(dict(zip(TRACK_COLUMNS, columns, strict=True)) | flags)
    track.attrs.update(source=label, averaging=averaging, averaging_factor=factor)
    if wind_sources is not None:
        track.attrs["ibtracs_wind_sources"] = {
            k or "missing": int(n) for k, n in wind_sources.items()
        }
    return track


# ------------------------------------------------------------------------ the model


def holland_gradient_wind(r_m, rmax_m, b, dp_pa, lat_deg):
    """Holland (1980) gradient wind (m/s) at distance ``r_m`` from the centre.

    ``V = sqrt(B/ρ · Δp · x · e^(-x) + (r f / 2)²) - r f / 2`` with ``x = (R_max / r)^B``
    and ``f = 2 Ω sin|lat|`` (Holland 1980, eqs. 4 and 6). Arrays broadcast.

    Raises
    ------
    DataError
        A negative pressure drop ``dp_pa`` (a centre above the environmental pressure:
        the root would be NaN). NaN, a node without a pressure, passes as NaN.
    """
    scalar = isinstance(dp_pa, float | int)  # a node's (np.float64 too): no array made
    if (dp_pa < 0) if scalar else np.any(np.asarray(dp_pa) < 0):
        shown = np.asarray(dp_pa, dtype=np.float64)
        raise DataError(
            f"dp_pa: pressure drop {shown[shown < 0].flat[0]:g} Pa is negative; give the "
            "environmental minus the central pressure (>= 0)"
        )
    r = np.maximum(np.asarray(r_m, dtype=np.float64), 1.0)
    x = (rmax_m / r) ** b
    half_rf = r * OMEGA * np.sin(np.radians(np.abs(lat_deg)))
    return np.sqrt(b / RHO_AIR * dp_pa * x * np.exp(-x) + half_rf**2) - half_rf


def _offsets(lon, lat, lon0, lat0):
    """Local equirectangular east/north offsets (m) of points from a centre."""
    dlon = (np.asarray(lon) - lon0 + 180.0) % 360.0 - 180.0
    east = EARTH_RADIUS * np.radians(dlon) * np.cos(np.radians((np.asarray(lat) + lat0) / 2))
    return east, EARTH_RADIUS * np.radians(np.asarray(lat) - lat0)


def storm_nodes(
    track: pd.DataFrame,
    *,
    time_step_h=TIME_STEP_H,
    surface_factor=SURFACE_FACTOR,
    b_parameter="holland2008",
) -> pd.DataFrame:
    """The track every ``time_step_h`` hours (plus its own times) with the model's inputs.

    Columns: ``time_utc``, ``hours``, ``lat``, ``lon``, ``pressure_hpa``, ``dp_hpa``,
    ``rmax_m``, ``vmax_ms`` (the track's 1-min wind), ``vt_east``, ``vt_north``, ``vt_ms``
    (translation, m/s), ``dpdt_hpa_h``, ``v_surface_ms`` (the symmetric surface wind at R_max
    before the motion is handled: Holland 2008's v_ms, or the track's v_max - v_t) and
    ``b_gradient``. ``attrs`` hold the options :func:`surface_winds` needs.
    """
    surface_factor, _, time_step_h = _check_options(surface_factor, b_parameter, 1.0, time_step_h)
    hours = track["hours"].to_numpy(np.float64)
    t = np.union1d(np.arange(0.0, hours[-1], time_step_h), hours)
    lat = np.interp(t, hours, track["lat"].to_numpy(np.float64))
    lon = np.interp(t, hours, np.degrees(np.unwrap(np.radians(track["lon"].to_numpy(np.float64)))))
    pressure = _interp(t, hours, track["pressure_hpa"].to_numpy(np.float64))
    env = _interp(t, hours, track["env_pressure_hpa"].to_numpy(np.float64))
    rmax = _interp(t, hours, track["rmax_nmi"].to_numpy(np.float64)) * NMI
    vmax = _interp(t, hours, track["vmax_kt"].to_numpy(np.float64)) * KNOT
    # translation: centred differences of positions (m) accumulated segment by segment
    seg_east, seg_north = _offsets(lon[1:], lat[1:], lon[:-1], lat[:-1])
    seconds = t * 3600.0
    vt_east = np.gradient(np.concatenate([[0.0], np.cumsum(seg_east)]), seconds)
    vt_north = np.gradient(np.concatenate([[0.0], np.cumsum(seg_north)]), seconds)
    cap = np.minimum(1.0, MAX_TRANSLATION / np.maximum(np.hypot(vt_east, vt_north), 1e-12))
    vt_east, vt_north = vt_east * cap, vt_north * cap
    vt = np.hypot(vt_east, vt_north)
    dp = np.maximum(env - pressure, 0.0)
    dpdt = np.nan_to_num(np.gradient(pressure, t))
    if b_parameter == "holland2008":  # Holland (2008) eq. 11 b_s and v_ms = √(b_s Δp / (ρ e))
        x = 0.6 * (1.0 - np.minimum(dp, 215.0) / 215.0)
        b_s = -4.4e-5 * dp**2 + 0.01 * dp + 0.03 * dpdt - 0.014 * np.abs(lat) + 0.15 * vt**x + 1
        v_surface = np.sqrt(np.maximum(b_s, 0.0) * dp * 100.0 / (RHO_AIR * math.e))
    else:  # the track's wind without the motion, as CLIMADA's "H1980"
        v_surface = np.maximum(vmax - vt, 0.0)
    # B such that the gradient wind at R_max is v_surface / f (Holland 1980 eq. 4 solved for B)
    v_g, coriolis = v_surface / surface_factor, 2 * OMEGA * np.sin(np.radians(np.abs(lat)))
    with np.errstate(divide="ignore", invalid="ignore"):
        b = RHO_AIR * math.e * (v_g**2 + v_g * rmax * coriolis) / (dp * 100.0)
        b_gradient = np.clip(b, 1.0, 2.5)
    time = track["time_utc"].iloc[0] + pd.to_timedelta(t, unit="h")
    columns = (time, t, lat, lon, pressure, dp, rmax, vmax, vt_east, vt_north, vt, dpdt)
    nodes = pd.DataFrame(dict(zip(NODE_COLUMNS, (*columns, v_surface, b_gradient), strict=True)))
    nodes.attrs.update(surface_factor=surface_factor, b_parameter=b_parameter)
    return nodes


def surface_winds(nodes: pd.DataFrame, i: int, east_m, north_m) -> np.ndarray:
    """1-min 10 m wind speed (m/s) of node ``i`` at offsets (m) east/north of its centre."""
    node = nodes.iloc[i]
    attrs = nodes.attrs
    r = np.maximum(np.hypot(east_m, north_m), 1.0)
    symmetric = attrs["surface_factor"] * holland_gradient_wind(
        r, node.rmax_m, node.b_gradient, node.dp_hpa * 100.0, node.lat
    )
    weight = np.minimum(1.0, node.rmax_m / r)
    if attrs["b_parameter"] == "holland2008":
        symmetric = np.maximum(symmetric - node.vt_ms * weight, 0.0)
    spin = (1.0 if node.lat >= 0 else -1.0) * symmetric / r
    u = -spin * north_m + weight * node.vt_east
    v = spin * east_m + weight * node.vt_north
    return np.hypot(u, v)


# ------------------------------------------------------------------------- the grid


def node_peak(nodes: pd.DataFrame, i: int, step_deg=2.0) -> tuple[float, float, float]:
    """Peak 1-min wind (m/s) of node ``i`` and its east/north offset (m): the largest of
    :func:`surface_winds` on rings of 0.5-2 R_max every ``step_deg`` of azimuth."""
    rmax = nodes.rmax_m.iat[i]
    radius, azimuth = np.meshgrid(
        rmax * np.linspace(0.5, 2.0, 61), np.radians(np.arange(0.0, 360.0, step_deg))
    )
    east, north = radius * np.sin(azimuth), radius * np.cos(azimuth)
    speed = surface_winds(nodes, i, east, north)
    k = np.unravel_index(np.argmax(speed), speed.shape)
    return float(speed[k]), float(east[k]), float(north[k])


class _Cells:
    """Windows of a grid around a point, and the lon/lat of their cell centres."""

    def __init__(self, grid: GridSpec):
        self.grid, self.width, self.height = grid, grid.width, grid.height
        crs = pyproj.CRS.from_user_input(grid.crs)
        self.geographic = crs.is_geographic
        self.inverse = ~grid.transform
        self.lonlat_all = None
        if not self.geographic:
            self.to_grid = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            self.to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            if grid.width * grid.height <= _LONLAT_CACHE_CELLS:
                self.lonlat_all = self._lonlat(Window(0, 0, grid.width, grid.height))

    def _lonlat(self, window):
        x, y = self.grid.cell_centres(window)
        if self.geographic:
            return x, y
        return self.to_lonlat.transform(x, y)

    def windows(self, lon0, lat0, radius_m):
        """Row and column slices covering the circle of ``radius_m`` (a list, maybe empty).

        On a geographic grid the circle is placed at every whole-turn shift of its
        longitudes that meets the grid, so a grid spanning the antimeridian (or every
        longitude, -180 to 180 or 0 to 360) gets the wind on both of its sides.
        """
        bearing = np.radians(np.arange(0.0, 360.0, 10.0))
        d = radius_m * 1.03 / EARTH_RADIUS
        p0, l0 = math.radians(lat0), math.radians(lon0)
        lat = np.arcsin(np.sin(p0) * np.cos(d) + np.cos(p0) * np.sin(d) * np.cos(bearing))
        lon = l0 + np.arctan2(
            np.sin(bearing) * np.sin(d) * np.cos(p0), np.cos(d) - np.sin(p0) * np.sin(lat)
        )
        lon, lat = np.append(np.degrees(lon), lon0), np.append(np.degrees(lat), lat0)
        if not self.geographic:
            x, y = self.to_grid.transform(lon, lat)
            keep = np.isfinite(x) & np.isfinite(y)
            found = self._window(x[keep], y[keep]) if keep.any() else None
            return [] if found is None else [found]
        left, _, right, _ = self.grid.bounds
        turns = range(
            math.ceil((left - lon.max()) / 360.0), math.floor((right - lon.min()) / 360.0) + 1
        )
        found = (self._window(lon + 360.0 * k, lat) for k in turns)
        return [w for w in found if w is not None]

    def _window(self, x, y):
        """Row and column slices covering points in grid coordinates (None if outside)."""
        inv = self.inverse
        cols, rows = inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f
        c0, c1 = max(math.floor(cols.min()) - 1, 0), min(math.ceil(cols.max()) + 1, self.width)
        r0, r1 = max(math.floor(rows.min()) - 1, 0), min(math.ceil(rows.max()) + 1, self.height)
        if c1 <= c0 or r1 <= r0:
            return None
        return slice(r0, r1), slice(c0, c1)

    def lonlat(self, rows: slice, cols: slice):
        if self.lonlat_all is not None:
            return self.lonlat_all[0][rows, cols], self.lonlat_all[1][rows, cols]
        return self._lonlat(
            Window(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
        )


def wind_field(
    track: pd.DataFrame,
    grid: GridSpec,
    *,
    surface_factor=SURFACE_FACTOR,
    b_parameter="holland2008",
    cutoff_km=CUTOFF_KM,
    time_step_h=TIME_STEP_H,
) -> np.ndarray:
    """Maximum 1-min sustained wind at 10 m (m/s) over the track, float64 ``grid.shape``.

    ``track`` comes from :func:`read_track`. Each node (every ``time_step_h`` hours)
    contributes within ``cutoff_km`` of its centre; cells no node reaches hold 0.
    """
    factor, cutoff_km, step = _check_options(surface_factor, b_parameter, cutoff_km, time_step_h)
    nodes = storm_nodes(track, time_step_h=step, surface_factor=factor, b_parameter=b_parameter)
    cells = _Cells(grid)
    out = np.zeros(grid.shape, dtype=np.float64)
    cutoff_m = cutoff_km * 1000.0
    usable = np.isfinite(nodes[["rmax_m", "b_gradient"]].to_numpy()).all(axis=1)
    for i in np.flatnonzero(usable & (nodes["dp_hpa"].to_numpy() > 0)):
        lon0, lat0 = float(nodes.lon.iat[i]), float(nodes.lat.iat[i])
        for window in cells.windows(lon0, lat0, cutoff_m):
            lon, lat = cells.lonlat(*window)
            east, north = _offsets(lon, lat, lon0, lat0)  # longitudes wrapped
            speed = surface_winds(nodes, i, east, north)
            speed[np.hypot(east, north) > cutoff_m] = 0.0
            block = out[window]
            np.maximum(block, speed, out=block)
    return out


# ------------------------------------------------------------------------- the tool


def _averaging_parameters(track: pd.DataFrame, b_parameter, track_averaging) -> dict:
    """The grid's tags on the track's wind averaging, the same for plain and IBTrACS
    tracks: the factor is null, with a note, when the track's wind is unused (Holland
    2008's B from pressure at every point); an IBTrACS track adds its agencies' periods,
    its points per agency and the IBTrACS citation."""
    averaging, wind = track_averaging, f"vmax_kt ({track_averaging}) is"
    tags = {"averaging_to_1min_factor": AVERAGING_TO_1MIN[track_averaging]}
    if "ibtracs_wind_sources" in track.attrs:  # points per agency and averaging period
        sources = track.attrs["ibtracs_wind_sources"]
        # each point's wind was converted from its agency's averaging period, not from
        # --track-averaging (which said 1-min, factor 1, for a track of 10-min winds)
        used = sorted({a for name in sources for a in AVERAGING_TO_1MIN if name.endswith(a)})
        averaging = "per point, its IBTrACS agency's: " + ", ".join(used)
        wind = f"winds ({', '.join(used) or 'none'}, per its IBTrACS agencies) are"
        tags["averaging_to_1min_factor"] = {a: AVERAGING_TO_1MIN[a] for a in used}
        tags |= {"ibtracs_wind_sources": sources, "track_source": IBTRACS_SOURCE}
    tags["track_averaging"] = averaging
    if b_parameter == "holland2008" and not track["pressure_estimated"].any():
        # the wind comes from the pressures alone: the track's (converted) wind is unused
        tags["averaging_to_1min_factor"] = None
        tags["averaging_note"] = (
            f"not applied: with b_parameter holland2008 the wind comes from the track's "
            f"pressures (every point has one), so the track's {wind} unused; the factor "
            "applies where a pressure is estimated from the wind"
        )
    return tags


def write_cyclone(
    track_path,
    out_path,
    *,
    like=None,
    bounds=None,
    resolution=None,
    crs="EPSG:4326",
    overwrite: bool = False,
    track_averaging="1-min",
    env_pressure_hpa=ENV_PRESSURE_HPA,
    surface_factor=SURFACE_FACTOR,
    b_parameter="holland2008",
    cutoff_km=CUTOFF_KM,
    time_step_h=TIME_STEP_H,
    storm=None,
) -> Path:
    """Read a track, compute its wind field on a grid and write it as a GeoTIFF (m/s).

    The grid is copied from ``like`` or built from ``bounds`` and ``resolution`` (in
    ``crs``), as :func:`hazards.scenarios.target_grid`. Nothing is written when
    anything fails; an existing file is replaced only with ``overwrite`` and only when a
    generator wrote it, and an output folder that does not exist or an ``out_path`` that
    is the track or the ``like`` grid is refused before the track is read. A grid no wind
    reaches is written with a warning giving the reason (no pressure deficit on the
    track, or no position within ``cutoff_km`` of the grid).
    """
    factor, cutoff_km, time_step_h = _check_options(
        surface_factor, b_parameter, cutoff_km, time_step_h
    )
    _averaging_factor(track_averaging)
    inputs = {"TRACK": track_path, "--like": like}
    out_path = check_scenario_output(out_path, overwrite, inputs)
    track = read_track(
        track_path, averaging=track_averaging, env_pressure_hpa=env_pressure_hpa, storm=storm
    )
    grid = target_grid(like=like, bounds=bounds, resolution=resolution, crs=crs)
    options = {"surface_factor": factor, "b_parameter": b_parameter, "cutoff_km": cutoff_km}
    options["time_step_h"] = time_step_h
    field = wind_field(track, grid, **options)
    if not (field > 0).any():
        warnings.warn(
            f"{track_path}: no wind reaches the grid: {track_checks.no_wind_reason(track, cutoff_km)}",
            MeccWarning,
            stacklevel=2,
        )
    with open(track_path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    name = Path(track_path).name
    parameters = {
        "model": "Holland (1980) gradient wind with the Coriolis term, maximum over the track",
        "track": {
            "file": name,
            "sha256": digest,
            "points": len(track),
            "positions": [  # time (UTC), latitude, longitude: for maps
                [str(t), round(float(la), 4), round(float(lo), 4)]
                for t, la, lo in zip(track["time_utc"], track["lat"], track["lon"], strict=True)
            ],
        },
        "track_averaging": track_averaging,
        "averaging_to_1min_factor": AVERAGING_TO_1MIN[track_averaging],  # see below
        "averaging_source": "Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, at sea",
        **options,
        "b_source": B_SOURCES[b_parameter],
        "surface_factor_source": SURFACE_FACTOR_SOURCE,
        "rho_air_kg_m3": RHO_AIR,
        "env_pressure_default_hpa": env_pressure_hpa,
        "estimates": "CLIMADA tc_tracks: _estimate_pressure, _estimate_vmax, estimate_rmw",
        "estimated_points": {
            k: int(track[k].sum()) for k in track if k.endswith(("_estimated", "_interpolated"))
        },
        "translation": "centred differences, <= 30 kt, weight min(1, rmax/r) (Mouton & Nordbeck 2005)",
        "distance": "local equirectangular around each centre, longitudes wrapped",
        "low_winds": "kept; the exposure threshold (17.5 m/s) applies downstream",
        "grid": grid.describe(),
        "peak_wind_ms": round(float(field.max()), 3),
    }
    parameters |= _averaging_parameters(track, b_parameter, track_averaging)
    return write_scenario_grid(
        out_path,
        grid,
        field,
        measure="maximum 1-minute sustained wind at 10 m",
        unit="m/s",
        parameters=parameters,
        description=f"Maximum 1-min sustained wind at 10 m from track {name} (Holland 1980 "
        f"profile; peak: {B_SOURCES[b_parameter]}).",
        overwrite=overwrite,
        inputs=inputs,
    )
