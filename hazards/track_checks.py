"""What a best track must hold before the cyclone generator uses it.

:func:`hazards.cyclone.read_track` calls these checks; errors are one line naming the
file, the column, the row as the file numbers it and the value (DESIGN.md: bad data
exits 1). Choices and their sources:

- Column names: the generator reads ``time_utc``, ``lat``, ``lon``, ``vmax_kt``,
  ``pressure_hpa``, ``env_pressure_hpa`` and ``rmax_nmi``. A name that differs only in
  case or surrounding spaces (``Lat``, ``TIME_UTC``) is read as that column (messages
  keep the file's spelling). A column that looks like one of them under another name or
  unit (``rmax_km``, ``vmax_ms``, ``wind``, ``latitude``, ``mslp``) is never read: it is
  refused, naming the expected name and unit, when the column it resembles is absent
  (its values would be lost without a word: a radius or pressure estimated instead), and
  warned about when that column is present. Other columns (``agency``, notes,
  ``wind_radius_34``) are ignored.
- Positions: latitudes -90 to 90, longitudes -180 to 360 (0-360 tracks are read).
  Between consecutive points the implied translation speed (great-circle distance over
  the time between them) may not exceed :data:`MAX_TRANSLATION_MS` (50 m/s, 97 kt)
  after allowing :data:`FIX_UNCERTAINTY_KM` (50 km) for the uncertainty of the two
  fixes. Tropical cyclones move at most about 30 m/s, during extratropical transition
  (the 1938 New England hurricane's some 60 mph, 27 m/s, is among the fastest); a
  sign error (15°N to 15°S, 142°E to 141°W) implies hundreds of m/s and is refused,
  naming the lat or lon column (lat when the north-south step alone is too fast).
  Longitudes are compared across 180° (179°E to 179°W is 2°), so tracks crossing the
  antimeridian and 0-360 tracks pass. A sign error close to 0° (2°E written -2) moves
  the storm too little to be caught.
- Times: operational best tracks give a position every 6 hours (IBTrACS every 3); the
  generator interpolates linearly between points, so a gap of more than
  :data:`MAX_GAP_H` (24 h) would be filled with an invented straight path and
  intensity. Such a gap, usually a date typed wrong, is refused naming both rows; a
  storm that really went unobserved that long is given as two tracks.
- Pressures estimated from the wind near 180°: CLIMADA's fit
  (:func:`hazards.ibtracs.estimate_pressure`) is linear in longitude over -180..180
  and jumps by :data:`hazards.ibtracs.ANTIMERIDIAN_JUMP_HPA` (12.7 hPa) at 180°. Each
  track is evaluated on one side consistently (:func:`hazards.ibtracs.fit_longitudes`);
  when a point whose pressure is estimated lies within :data:`NEAR_ANTIMERIDIAN_DEG`
  (5°, about the 500 km reach of the wind field) of 180°, :func:`warn_antimeridian`
  warns in one line with the two pressures and the effect on the wind.
- Winds and pressures that disagree as a unit mix-up does: where a point gives both, its
  1-minute wind is compared with the wind CLIMADA's fit gives for its pressure
  (:func:`hazards.ibtracs.estimate_vmax`); when the median ratio over the points at
  34 kt or more by both is below :data:`WIND_RATIO_RANGE`'s 0.7 or above its 1.6 (m/s
  under ``vmax_kt`` read about 0.57 times the fit, km/h about 2; Hurricane Irma's 98
  such points 1.11), :func:`warn_wind_pressure` warns naming the column and the ratio.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from hazards.ibtracs import ANTIMERIDIAN_JUMP_HPA, estimate_pressure
from hazards.track import PRESSURE_RANGE
from mecc.errors import DataError, MeccWarning

__all__ = [
    "FIX_UNCERTAINTY_KM",
    "KNOWN_COLUMNS",
    "MAX_GAP_H",
    "MAX_TRANSLATION_MS",
    "NEAR_ANTIMERIDIAN_DEG",
    "check_motion",
    "check_ranges",
    "track_columns",
    "warn_antimeridian",
]

KNOWN_COLUMNS = (
    *("time_utc", "lat", "lon", "vmax_kt", "pressure_hpa", "env_pressure_hpa", "rmax_nmi"),
)
"""The columns a plain track CSV is read from."""
MAX_TRANSLATION_MS = 50.0
"""Fastest motion accepted between two points (m/s); cyclones move at most about 30 m/s."""
FIX_UNCERTAINTY_KM = 50.0
"""Distance allowed on top of the speed limit for the uncertainty of two fixes (km)."""
MAX_GAP_H = 24.0
"""Longest time between consecutive points (hours); best tracks give one every 6 h."""
NEAR_ANTIMERIDIAN_DEG = 5.0
"""Distance from 180° (degrees of longitude) within which an estimated pressure warns."""
EARTH_RADIUS_KM = 6371.0088

_EXPECTED = {
    "time_utc": "time_utc, the time in UTC (YYYYMMDDHH, YYYYMMDDHHMM or ISO 8601)",
    "lat": "lat, in degrees north",
    "lon": "lon, in degrees east",
    "vmax_kt": "vmax_kt, the maximum sustained wind in knots (m/s x 1.944, km/h / 1.852, "
    "mph / 1.151)",
    "pressure_hpa": "pressure_hpa, the central pressure in hPa (= mb; Pa / 100)",
    "env_pressure_hpa": "env_pressure_hpa, the environmental pressure in hPa (= mb)",
    "rmax_nmi": "rmax_nmi, the radius of maximum wind in nautical miles (km / 1.852)",
}
# names (lower case, non-alphanumerics as _) that look like a known column: a stem and
# units or qualifiers (wind_speed_kmh, rmax_km, mslp_mb), not other quantities (wind_radius)
_SUFFIX = (
    r"(_(kt|kts|knot|knots|kn|ms|m_s|mps|kmh|km_h|kph|mph|1min|1_min|10min|10_min|speed"
    r"|max|min|sustained|hpa|mb|mbar|pa|kpa|inhg|km|m|mi|nmi|nm|deg|degrees|n|e"
    r"|utc|gmt|z|local|iso))*"
)
_LOOKALIKE = tuple(
    (known, re.compile(f"({stems}){_SUFFIX}"))
    for known, stems in (
        ("time_utc", "time|date|datetime|date_time|iso_time|timestamp|valid_time|yyyymmddhh"),
        ("lat", "lat|latitude"),
        ("lon", "lon|long|longitude|lng"),
        ("env_pressure_hpa", "env_pressure|env_pres|penv|p_env|poci|environmental_pressure"),
        ("pressure_hpa", "pres|pressure|mslp|pmin|p_min|min_pres|central_pressure|pc|cp"),
        ("vmax_kt", "vmax|v_max|max_wind|maxwind|wind|msw|max_sustained_wind|usa_wind|wmo_wind"),
        ("rmax_nmi", "rmax|r_max|rmw|radius_max_wind|radius_of_maximum_wind"),
    )
)


def _lookalike(column) -> str | None:
    """The known column ``column`` looks like (another name or unit), else None."""
    name = re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_")
    for known, pattern in _LOOKALIKE:
        if pattern.fullmatch(name):
            return known
    return None


def _unread(column, known) -> str:
    return f"column {column} is not read: give it as {_EXPECTED[known]}"


def track_columns(raw: pd.DataFrame, label: str) -> tuple[pd.DataFrame, dict]:
    """Check a plain track table's column names (see the module docstring).

    Returns the table with case-only variants renamed to the known names, and the
    file's spelling of each renamed column (``{"lat": "Lat"}``, for messages).

    Raises
    ------
    DataError
        A required column is missing, no intensity column is given, two columns read as
        the same one, or a column looks like a known one that is absent (``rmax_km``):
        one line naming it and the expected name and unit.
    """
    renamed = {}
    for column in raw.columns:
        key = str(column).strip().lower()
        if column in KNOWN_COLUMNS or key not in KNOWN_COLUMNS:
            continue
        if key in raw.columns or key in renamed.values():
            other = key if key in raw.columns else next(c for c, k in renamed.items() if k == key)
            raise DataError(
                f"{label}: columns {other} and {column} would both be read as {key}; keep one"
            )
        renamed[column] = key
    raw = raw.rename(columns=renamed)
    present = set(raw.columns)
    looks = [(c, _lookalike(c)) for c in raw.columns if c not in KNOWN_COLUMNS]
    looks = [(c, known) for c, known in looks if known is not None]

    def hints(wanted):
        found = [_unread(c, k) for c, k in looks if k in wanted]
        return f" ({'; '.join(found)})" if found else ""

    missing = [c for c in ("time_utc", "lat", "lon") if c not in present]
    if missing:
        raise DataError(
            f"{label}: missing column(s) {', '.join(missing)}; a track needs time_utc, lat, "
            f"lon and pressure_hpa and/or vmax_kt{hints(missing)}"
        )
    if not {"pressure_hpa", "vmax_kt"} & present:
        raise DataError(
            f"{label}: no intensity column; give pressure_hpa (central pressure) and/or "
            f"vmax_kt{hints({'pressure_hpa', 'vmax_kt'})}"
        )
    for column, known in looks:
        if known not in present:
            raise DataError(f"{label}: {_unread(column, known)}, or remove the column")
    if looks:
        shown = "; ".join(f"{c} (the track's {k} is read)" for c, k in looks)
        warnings.warn(f"{label}: column(s) not read: {shown}", MeccWarning, stacklevel=3)
    return raw, {known: column for column, known in renamed.items()}


def check_ranges(lat, lon, pressure, env, rows) -> None:
    """Refuse latitudes outside -90..90, longitudes outside -180..360 and pressures
    outside 800-1100 hPa, naming the first such row."""
    checks = (
        ("lat", lat, (-90, 90), "-90 to 90"),
        ("lon", lon, (-180, 360), "-180 to 360"),
        ("pressure_hpa", pressure, PRESSURE_RANGE, "800-1100 hPa"),
        ("env_pressure_hpa", env, PRESSURE_RANGE, "800-1100 hPa"),
    )
    for name, values, (low, high), shown in checks:
        with np.errstate(invalid="ignore"):
            outside = (values < low) | (values > high)
        if outside.any():
            k = int(np.argmax(outside))
            raise DataError(
                f"{rows.label}: column {rows.name(name, k)}: values outside {shown} "
                f"(row {rows.row(k)}: {values[k]:g})"
            )


def _distance_km(lat0, lon0, lat1, lon1):
    """Great-circle distance (km), haversine; longitudes in any convention."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dlon = np.radians(np.asarray(lon1) - lon0)
    h = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def check_motion(hours, lat, lon, rows) -> None:
    """Refuse a gap of more than :data:`MAX_GAP_H` hours between consecutive points and
    a step faster than :data:`MAX_TRANSLATION_MS` (see the module docstring).

    ``hours`` increase strictly; ``lat`` and ``lon`` are finite degrees.
    """
    label = rows.label
    step_h = np.diff(hours)
    if (step_h > MAX_GAP_H).any():
        k = int(np.argmax(step_h > MAX_GAP_H))
        first, last = rows.cell(k, "time_utc", ""), rows.cell(k + 1, "time_utc", "")
        shown = f" ({first} to {last})" if first and last else ""
        days = f" ({step_h[k] / 24:.1f} days)" if step_h[k] >= 48 else ""
        raise DataError(
            f"{label}: column {rows.name('time_utc', k)}: rows {rows.row(k)}-{rows.row(k + 1)}: "
            f"{step_h[k]:g} h{days} without a position{shown}, more than {MAX_GAP_H:g} h (best "
            "tracks give one every 6 h; the model would draw a straight line through the gap): "
            "check the dates, or give the parts before and after the gap as two tracks"
        )
    km = _distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    allowed = MAX_TRANSLATION_MS * 3.6 * step_h + FIX_UNCERTAINTY_KM
    if not (km > allowed).any():
        return
    k = int(np.argmax(km > allowed))
    north = EARTH_RADIUS_KM * np.radians(abs(lat[k + 1] - lat[k]))
    column, values = ("lat", lat) if north > allowed[k] else ("lon", lon)
    now = rows.cell(k + 1, column, f"{values[k + 1]:g}")
    before = rows.cell(k, column, f"{values[k]:g}")
    speed = km[k] * 1000.0 / (step_h[k] * 3600.0)
    raise DataError(
        f"{label}: column {rows.name(column, k + 1)}: row {rows.row(k + 1)}: {now} puts the "
        f"storm {km[k]:,.0f} km from row {rows.row(k)} ({before}) {step_h[k]:.3g} h earlier, "
        f"a motion of {speed:,.0f} m/s; cyclones move at most about 30 m/s (limit "
        f"{MAX_TRANSLATION_MS:g} m/s): check the sign (N/S, E/W) of the position and the times"
    )


def warn_antimeridian(estimated, vmax, lat, fit_lon, env, rows) -> None:
    """Warn when a pressure estimated from the wind lies within
    :data:`NEAR_ANTIMERIDIAN_DEG` of 180°, with the pressure the fit gives there and on
    the other side of 180° (``fit_lon``: the longitudes the fit was evaluated at)."""
    wrapped = (np.asarray(fit_lon) + 180.0) % 360.0 - 180.0
    near = estimated & (180.0 - np.abs(wrapped) <= NEAR_ANTIMERIDIAN_DEG) & np.isfinite(vmax)
    if not near.any():
        return
    k = int(np.flatnonzero(near)[np.argmax(vmax[near])])  # the strongest such point
    here = float(estimate_pressure(vmax[k], lat[k], fit_lon[k]))
    other = float(estimate_pressure(vmax[k], lat[k], fit_lon[k] - 360.0 * np.sign(fit_lon[k])))
    deficit, other_deficit = env[k] - here, env[k] - other
    effect = ""
    if deficit > 0 and other_deficit > 0:  # the weaker side's wind, relative
        change = (1.0 - np.sqrt(min(deficit, other_deficit) / max(deficit, other_deficit))) * 100
        effect = f", roughly {change:.0f} % in peak wind (square root of the deficits' ratio)"
    text = (
        f"{rows.label}: column {rows.name('lon', k)}: row {rows.row(k)}: "
        f"{rows.cell(k, 'lon', f'{wrapped[k]:g}')} is {180.0 - abs(wrapped[k]):.1f}° from 180°: "
        f"the central pressure estimated from the wind is {here:.1f} hPa, {other:.1f} hPa just "
        f"across 180° (CLIMADA's fit is linear in longitude over -180..180 and jumps "
        f"{ANTIMERIDIAN_JUMP_HPA:.1f} hPa there), a deficit of {deficit:.1f} vs "
        f"{other_deficit:.1f} hPa{effect}; give pressure_hpa where known"
    )
    warnings.warn(text, MeccWarning, stacklevel=3)


WIND_RATIO_RANGE = (0.7, 1.6)
"""Median ratio of a track's winds to the winds its pressures give (CLIMADA's fit) beyond
which the winds look like another unit (m/s about 0.57, km/h about 2)."""


def warn_wind_pressure(vmax, pressure, own, lat, fit_lon, rows) -> None:
    """Warn when the points that give both a 1-minute wind (kt, ``vmax``) and a pressure
    (``own``) have winds whose median ratio to the winds their pressures give lies outside
    :data:`WIND_RATIO_RANGE` (at least three points of 34 kt or more by both)."""
    from hazards.ibtracs import estimate_vmax

    with np.errstate(invalid="ignore"):
        fitted = estimate_vmax(pressure, lat, fit_lon)
        strong = own & (vmax >= 34.0) & (fitted >= 34.0)
    if strong.sum() < 3:
        return
    ratio = float(np.median(vmax[strong] / fitted[strong]))
    if WIND_RATIO_RANGE[0] <= ratio <= WIND_RATIO_RANGE[1]:
        return
    warnings.warn(
        f"{rows.label}: column {rows.name('vmax_kt')}: its winds are {ratio:.2f} times the "
        f"winds its pressures give (median of {int(strong.sum())} points; CLIMADA's "
        "wind-pressure fit): is the wind in another unit (m/s, km/h) or the pressure in "
        "another column? 1-minute knots and central hPa are expected",
        MeccWarning,
        stacklevel=3,
    )


def no_wind_reason(track: pd.DataFrame, cutoff_km: float) -> str:
    """Why a wind field is 0 everywhere: no pressure deficit anywhere on the track (the
    Holland profile scales with env - central pressure), or no position near the grid."""
    with np.errstate(invalid="ignore"):
        deficit = track["env_pressure_hpa"].to_numpy() - track["pressure_hpa"].to_numpy() > 0
    if not deficit.any():
        return (
            "no pressure deficit: the central pressure is at or above the environmental "
            "pressure at every track point, so the Holland profile gives no wind; check "
            "pressure_hpa (central) and env_pressure_hpa"
        )
    return (
        f"no track position comes within {cutoff_km:g} km of it; check the track's "
        "longitudes (sign, east/west) and the grid"
    )
