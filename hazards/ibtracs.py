"""IBTrACS best tracks (CSV, version 4) into the cyclone generator's track table.

IBTrACS (Knapp et al. 2010) merges every agency's best track; each agency reports wind
with its own averaging period. :func:`ibtracs_track` picks, for every point, the wind of
the US agencies (``USA_WIND``, 1-minute sustained) when given, else the WMO agency's
(``WMO_WIND`` with ``WMO_AGENCY``), else the first regional agency column that has one,
and converts it to 1-minute sustained wind with the catalogue's factor (10-minute mean
x 1/0.93 at sea, Harper, Kepert and Ginger 2010, ``hazards.catalogue``). Winds of
agencies averaging over 2 or 3 minutes (CMA, New Delhi) have no cited factor here and are
treated as missing (the generator then estimates wind from pressure). Central pressure
comes from ``USA_PRES`` or ``WMO_PRES``, the environmental pressure from ``USA_POCI``
and the radius of maximum wind from ``USA_RMW`` (nautical miles).

CLIMADA's fits on IBTrACS fill what a track lacks (:func:`estimate_pressure`,
:func:`estimate_vmax`, :func:`estimate_rmw`, from CLIMADA's published coefficients).
The pressure and wind fits were made on IBTrACS longitudes, -180 to 180 (CLIMADA
``ibtracs_fit_param``), and are linear in longitude, so they jump at 180°: the pressure
by 0.03536 x 360 = 12.7 hPa (:data:`ANTIMERIDIAN_JUMP_HPA`), the wind by 15.1 kt. No
coefficient is changed here; :func:`fit_longitudes` gives the longitudes a track's
estimates use: each track on one side of 180° consistently, that of its first point
(where the storm was first tracked), unwrapped from there, so a track crossing 180°
keeps continuous estimates (178°E then 178°W is evaluated at 178 and 182, a few
degrees beyond the fit's range rather than a 12.7 hPa step). Two tracks on either side
of 180° still differ by the jump; :func:`hazards.track_checks.warn_antimeridian` warns
when an estimated pressure lies within 5° of 180°.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazards.catalogue import TEN_TO_ONE_MINUTE
from mecc.errors import ConfigError, DataError

__all__ = [
    "AGENCY_AVERAGING",
    "ANTIMERIDIAN_JUMP_HPA",
    "IBTRACS_SOURCE",
    "estimate_pressure",
    "estimate_rmw",
    "estimate_vmax",
    "fit_longitudes",
    "ibtracs_track",
    "is_ibtracs",
]

AGENCY_AVERAGING = {
    "usa": "1-min",
    "hurdat_atl": "1-min",
    "hurdat_epa": "1-min",
    "cphc": "1-min",
    "atcf": "1-min",
    "tokyo": "10-min",
    "reunion": "10-min",
    "bom": "10-min",
    "nadi": "10-min",
    "wellington": "10-min",
    "hko": "10-min",
    "cma": "2-min",
    "newdelhi": "3-min",
}
"""Wind averaging period of each IBTrACS agency (IBTrACS v4 technical documentation)."""

TO_ONE_MINUTE = {"1-min": 1.0, "10-min": TEN_TO_ONE_MINUTE}
"""Factors to 1-minute sustained wind that the catalogue cites; other periods have none."""

IBTRACS_SOURCE = (
    "Knapp, Kruk, Levinson, Diamond & Neumann (2010), The International Best Track Archive "
    "for Climate Stewardship (IBTrACS), Bull. Amer. Meteor. Soc. 91:363-376, "
    "doi:10.1175/2009BAMS2755.1"
)
"""The citation of IBTrACS, for the grids made from its tracks."""
ANTIMERIDIAN_JUMP_HPA = 0.03536 * 360.0
"""Step (hPa) of :func:`estimate_pressure` between 180°W and 180°E at the same wind."""

_RMW_PRESSURE = (872.0, 940.0, 980.0, 1021.0)
_RMW_NMI = (14.907318, 15.726927, 25.742142, 56.856522)
_REGIONAL = ("TOKYO", "REUNION", "BOM", "NADI", "WELLINGTON", "HKO", "CMA", "NEWDELHI")


def is_ibtracs(columns) -> bool:
    """True for the columns of an IBTrACS CSV (``SID``, ``ISO_TIME``, ``LAT``, ``LON``)."""
    upper = {str(c).strip().upper() for c in columns}
    return {"SID", "ISO_TIME", "LAT", "LON"} <= upper


def _numbers(raw: pd.DataFrame, column: str) -> np.ndarray:
    if column not in raw.columns:
        return np.full(len(raw), np.nan)
    values = pd.to_numeric(raw[column].fillna("").str.strip(), errors="coerce")
    return values.to_numpy(np.float64)


def _storm_rows(raw: pd.DataFrame, label: str, storm: str | None) -> pd.DataFrame:
    sids = raw["SID"].fillna("").str.strip()
    names = raw.get("NAME", pd.Series("", index=raw.index)).fillna("").str.strip()
    unique = list(dict.fromkeys(sids))
    if storm is None:
        if len(unique) > 1:
            shown = ", ".join(f"{s} ({names[sids == s].iloc[0]})" for s in unique[:6])
            raise ConfigError(
                f"{label}: the file holds {len(unique)} storms ({shown}{', ...' if len(unique) > 6 else ''}); "
                "name one with --storm SID"
            )
        return raw
    chosen = sids == storm.strip()
    if not chosen.any():
        by_name = names.str.upper() == storm.strip().upper()
        matching = list(dict.fromkeys(sids[by_name]))
        if len(matching) > 1:
            raise ConfigError(
                f"{label}: {len(matching)} storms are named {storm} ({', '.join(matching[:6])}); "
                "give the SID"
            )
        chosen = by_name
    if not chosen.any():
        raise ConfigError(f"{label}: no storm {storm!r} (SID or NAME) in the file")
    return raw[chosen.to_numpy()]


def _warn_unconverted(label: str, unconverted: dict) -> None:
    """Warn that points whose only winds are in a period without a cited factor to 1-minute
    wind (CMA 2-min, New Delhi 3-min) have them left out (their wind then comes from the
    pressure where one is needed), rather than drop them without a word."""
    if not unconverted:
        return
    import warnings

    from mecc.errors import MeccWarning

    kinds = ", ".join(sorted(set(unconverted.values())))
    warnings.warn(
        f"{label}: {len(unconverted)} point(s) give winds only as {kinds}: no cited factor "
        "turns that averaging into 1-minute wind, so those winds are not used (the wind "
        "there is estimated from the pressure where one is needed)",
        MeccWarning,
        stacklevel=4,
    )


def ibtracs_track(raw: pd.DataFrame, label: str, storm: str | None = None) -> pd.DataFrame:
    """Convert IBTrACS rows (read as text) into the generator's track columns.

    Parameters
    ----------
    raw : pandas.DataFrame
        The CSV read with ``dtype=str``; its units row (the second line of IBTrACS
        files) is recognised and dropped.
    label : str
        Names the file in errors.
    storm : str, optional
        ``SID`` (or ``NAME``) of the storm when the file holds several.

    Returns
    -------
    pandas.DataFrame
        Text columns ``time_utc`` (``ISO_TIME`` as written), ``lat``, ``lon``, ``vmax_kt``
        (1-minute sustained), ``pressure_hpa``, ``env_pressure_hpa``, ``rmax_nmi`` and
        ``wind_source`` (agency and averaging of each point's wind, e.g. ``tokyo 10-min``),
        as :func:`hazards.cyclone.read_track` reads them. Its ``attrs`` say where each
        value comes from, for messages: ``file_rows`` (each row's 0-based row of ``raw``,
        units row included) and ``file_columns`` (the file's column of each column, one
        per row for ``vmax_kt`` and ``pressure_hpa``, e.g. ``USA_WIND`` or ``TOKYO_WIND``).
    """
    spelled = {str(c).strip().upper(): str(c).strip() for c in raw.columns}
    raw = raw.rename(columns={c: str(c).strip().upper() for c in raw.columns})
    raw = raw.assign(_FILE_ROW=np.arange(len(raw)))
    first_lat = pd.to_numeric(raw["LAT"].iloc[:1].str.strip(), errors="coerce")
    if len(raw) and first_lat.isna().all():  # the units row
        raw = raw.iloc[1:]
    raw = _storm_rows(raw.reset_index(drop=True), label, storm).reset_index(drop=True)
    n = len(raw)
    wind = np.full(n, np.nan)
    source = np.full(n, "", dtype=object)
    wind_column = np.full(n, "", dtype=object)

    unconverted = {}  # row: the agency and period of a wind no cited factor converts

    def take(values, agency_of_row, column):
        nonlocal wind
        for i in np.flatnonzero(np.isnan(wind) & np.isfinite(values) & (values > 0)):
            agency = agency_of_row(i)
            period = AGENCY_AVERAGING.get(agency)
            if period in TO_ONE_MINUTE:
                wind[i] = values[i] * TO_ONE_MINUTE[period]
                source[i] = f"{agency} {period}"
                wind_column[i] = spelled.get(column, column)
            else:
                unconverted.setdefault(
                    i, f"{agency or 'no agency'} {period or 'averaging unknown'}"
                )

    take(_numbers(raw, "USA_WIND"), lambda i: "usa", "USA_WIND")
    if "WMO_AGENCY" in raw.columns:
        agencies = raw["WMO_AGENCY"].fillna("").str.strip().str.lower()
        take(_numbers(raw, "WMO_WIND"), lambda i: agencies.iloc[i], "WMO_WIND")
    for name in _REGIONAL:
        take(_numbers(raw, f"{name}_WIND"), lambda i, name=name: name.lower(), f"{name}_WIND")
    _warn_unconverted(label, {i: v for i, v in unconverted.items() if np.isnan(wind[i])})
    usa_pressure = _numbers(raw, "USA_PRES")
    from_usa = np.isfinite(usa_pressure) & (usa_pressure > 0)
    pressure = np.where(from_usa, usa_pressure, _numbers(raw, "WMO_PRES"))
    if np.isnan(wind).all() and np.isnan(pressure).all():
        raise DataError(
            f"{label}: no wind with a known averaging period and no pressure for this storm"
        )

    def text(values):
        return ["" if not np.isfinite(v) else repr(float(v)) for v in values]

    out = pd.DataFrame(
        {
            "time_utc": raw["ISO_TIME"].fillna("").str.strip().to_list(),
            "lat": raw["LAT"].str.strip().to_list(),
            "lon": raw["LON"].str.strip().to_list(),
            "vmax_kt": text(wind),
            "pressure_hpa": text(pressure),
            "env_pressure_hpa": text(_numbers(raw, "USA_POCI")),
            "rmax_nmi": text(_numbers(raw, "USA_RMW")),
            "wind_source": list(source),
        }
    )
    named = {k: spelled.get(k, k) for k in ("ISO_TIME", "LAT", "LON", "USA_POCI", "USA_RMW")}
    out.attrs["file_rows"] = raw["_FILE_ROW"].to_list()
    out.attrs["file_columns"] = {
        "time_utc": named["ISO_TIME"],
        "lat": named["LAT"],
        "lon": named["LON"],
        "vmax_kt": list(wind_column),
        "pressure_hpa": [spelled.get(c, c) for c in np.where(from_usa, "USA_PRES", "WMO_PRES")],
        "env_pressure_hpa": named["USA_POCI"],
        "rmax_nmi": named["USA_RMW"],
    }
    return out


def fit_longitudes(lon) -> np.ndarray:
    """The longitudes at which one track's fits are evaluated (see the module docstring).

    The first point's longitude in -180..180, then each step's change in longitude
    (the shorter way round), so a track crossing 180° stays on its first point's side:
    ``[178, -178]`` gives ``[178, 182]``, ``[-178, 178]`` gives ``[-178, -182]``.
    """
    lon = np.asarray(lon, dtype=np.float64)
    if lon.size == 0:
        return lon.copy()
    first = (lon[0] + 180.0) % 360.0 - 180.0
    return first + np.degrees(np.unwrap(np.radians(lon - lon[0])))


def estimate_pressure(vmax_kt, lat, lon):
    """Central pressure (hPa) from 1-min wind (kt), lon in -180..180.

    CLIMADA ``tc_tracks._estimate_pressure``: OLS fit on IBTrACS 1980-2020 (r² 0.873),
    winds rescaled to 1-min, |lat|.
    """
    return 1026.3401 - 0.05504 * np.abs(lat) - 0.03536 * lon - 0.7357 * vmax_kt


def estimate_vmax(pressure_hpa, lat, lon):
    """1-min wind (kt) from central pressure (hPa): CLIMADA ``_estimate_vmax`` (r² 0.868)."""
    return 1216.5223 - 0.04086 * np.abs(lat) - 0.04190 * lon - 1.1797 * pressure_hpa


def estimate_rmw(pressure_hpa):
    """Radius of maximum wind (nmi) from central pressure (hPa).

    CLIMADA ``tc_tracks.estimate_rmw``: piecewise linear through 14.91, 15.73, 25.74 and
    56.86 nmi at 872, 940, 980 and 1021 hPa, constant beyond (IBTrACS 1980-2019, r² 0.79).
    """
    return np.interp(pressure_hpa, _RMW_PRESSURE, _RMW_NMI)
