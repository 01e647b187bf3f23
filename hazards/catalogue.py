"""The catalogue of hazard types: intensity measure, unit, thresholds, codes, conversions.

A hazard set in a run file names one of these types. The exposure threshold is the
intensity at or above which people count as *exposed* (independent of the displacement
curve, so exposed and displaced are different numbers; DESIGN.md, semantics).

Sources (see ../shared/reference/methodology.md):

- exposure thresholds: flood and tsunami depth >= 0.1 m (the lowest InaSAFE flood and
  tsunami hazard class); tropical-cyclone wind >= 17.5 m/s, 1-minute sustained at 10 m
  (CLIMADA's ``DEF_INTENSITY_THRES``, tropical-storm strength, 34 kt); earthquake
  MMI >= V, i.e. >= 4.5 since class V covers [4.5, 5.5);
- hazard codes: UNDRR-ISC Hazard Information Profiles, 2025 update (with the 2020 code),
  as mapped in IFRC's Monty hazard profiles (IFRCGo/pystac-monty HazardProfiles.csv);
- wind averaging: Harper, Kepert and Ginger (2010), Guidelines for converting between
  various wind averaging periods in tropical cyclone conditions, WMO/TD-No. 1555:
  10-minute mean = 0.93 x 1-minute sustained at sea; peak 3-second gust within a minute
  = G x 1-minute sustained with G = 1.11 at sea, 1.23 just onshore, 1.36 just offshore,
  1.49 inland.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from mecc.errors import ConfigError, DataError

__all__ = [
    "AVERAGING",
    "GUST_FACTORS",
    "HAZARD_TYPES",
    "GROUND_MOTION_SPELLINGS",
    "TEN_TO_ONE_MINUTE",
    "UNIT_FACTORS",
    "MAX_EVENT_FREQUENCY",
    "HazardType",
    "averaging_factor",
    "check_frequencies",
    "file_unit",
    "foreign_advice",
    "foreign_unit",
    "get_hazard_type",
    "grid_unit",
    "known_unit",
    "run_unit",
    "spelled_unit",
    "unit_factor",
]


@dataclass(frozen=True)
class HazardType:
    """One hazard type of the catalogue.

    Attributes
    ----------
    name : str
        Identifier used in run files (``type:``).
    title : str
    measure : str
        The intensity measure of the grids.
    unit : str
        Canonical unit; curves and thresholds are in this unit.
    exposure_threshold : float
        Intensity at or above which people count as exposed.
    valid_range : tuple of float
        Physically plausible intensities, in ``unit``.
    hip_code, hip_code_2020 : str
        UNDRR-ISC Hazard Information Profile codes (2025 and 2020 lists).
    default_curve : str
        The library curve a training run uses when none is named.
    flood_type : bool
        Whether a flooded-fraction grid may accompany the intensity.
    averaging : str or None
        Wind averaging period of the canonical unit (wind hazards only).
    hard_range : tuple of float or None
        Intensities outside which a value is no value of the measure at all, in ``unit``
        (MMI: the scale's classes I-XII, [0.5, 12.5) as class k is [k - 0.5, k + 0.5)):
        a grid holding such values on the analysis grid is refused
        (:func:`mecc.checks.sample_warnings`). None where the bound is one of plausibility
        only (a depth of 60 m, a wind of 130 m/s: ``valid_range``, warned about).
    """

    name: str
    title: str
    measure: str
    unit: str
    exposure_threshold: float
    valid_range: tuple[float, float]
    hip_code: str
    hip_code_2020: str
    default_curve: str
    flood_type: bool = False
    averaging: str | None = None
    hard_range: tuple[float, float] | None = None


_FLOOD = {"measure": "water depth", "unit": "m", "exposure_threshold": 0.1, "flood_type": True}

HAZARD_TYPES = {
    hazard.name: hazard
    for hazard in (
        HazardType(
            "river_flood",
            "River (fluvial) flood",
            valid_range=(0.0, 50.0),
            hip_code="MH0604",
            hip_code_2020="MH0007",
            default_curve="flood_step_1m",
            **_FLOOD,
        ),
        HazardType(
            "flash_flood",
            "Flash flood",
            valid_range=(0.0, 50.0),
            hip_code="MH0603",
            hip_code_2020="MH0006",
            default_curve="flood_step_1m",
            **_FLOOD,
        ),
        HazardType(
            "pluvial_flood",
            "Pluvial (surface water) flood",
            valid_range=(0.0, 50.0),
            hip_code="MH0606",
            hip_code_2020="MH0012",
            default_curve="flood_step_1m",
            **_FLOOD,
        ),
        HazardType(
            "coastal_flood",
            "Coastal flood / storm surge",
            valid_range=(0.0, 50.0),
            hip_code="MH0601",
            hip_code_2020="MH0004",
            default_curve="flood_step_1m",
            **_FLOOD,
        ),
        HazardType(
            "tropical_cyclone",
            "Tropical-cyclone wind",
            "maximum sustained wind at 10 m",
            "m/s",
            17.5,
            (0.0, 120.0),
            hip_code="MH0309",
            hip_code_2020="MH0057",
            default_curve="sshws_inasafe",
            averaging="1-min",
        ),
        HazardType(
            "earthquake",
            "Earthquake shaking",
            "MMI",
            "MMI",
            4.5,
            (0.5, 12.5),
            hip_code="GH0101",
            hip_code_2020="GH0001",
            default_curve="eq_mmi6_survivors",
            hard_range=(0.5, 12.5),
        ),
        HazardType(
            "sea_level_rise",
            "Sea-level rise (permanent inundation at high tide)",
            "inundation depth",
            "m",
            0.0,
            (0.0, 100.0),
            hip_code="EN0402",
            hip_code_2020="",
            default_curve="",
        ),
        HazardType(
            "drought",
            "Drought (exposure by severity class)",
            "drought deficit (SPEI or SPI with the sign reversed)",
            "-SPEI",
            1.0,
            (0.0, 5.0),
            hip_code="MH0401",
            hip_code_2020="MH0035",
            default_curve="",
        ),
        HazardType(
            "tsunami",
            "Tsunami inundation",
            valid_range=(0.0, 100.0),
            hip_code="MH0705",
            hip_code_2020="MH0029",
            default_curve="tsunami_step_0.7m",
            **{**_FLOOD, "flood_type": False},
        ),
    )
}

UNIT_FACTORS = {
    "m": {"m": 1.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048},
    "m/s": {"m/s": 1.0, "km/h": 1000.0 / 3600.0, "kt": 1852.0 / 3600.0, "mph": 0.44704},
    "MMI": {"MMI": 1.0},
    "-SPEI": {"-SPEI": 1.0, "SPEI": -1.0, "-SPI": 1.0, "SPI": -1.0},
}
"""Exact factors from a grid's unit to the canonical unit (1 kt = 1852 m/h,
1 mph = 0.44704 m/s, 1 ft = 0.3048 m by definition)."""

UNIT_SPELLINGS = {
    "m": ("m", "metre", "metres", "meter", "meters"),
    "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
    "mm": ("mm", "millimetre", "millimetres", "millimeter", "millimeters"),
    "ft": ("ft", "foot", "feet"),
    "m/s": ("m/s", "m s-1", "ms-1", "meter/second", "metre/second", "meters/second",
            "metres/second", "meters per second", "metres per second"),
    "km/h": ("km/h", "km h-1", "kmh-1", "km/hr", "kph", "kilometers per hour",
             "kilometres per hour"),
    "kt": ("kt", "kts", "knot", "knots", "kn"),
    "mph": ("mph", "mi/h", "mi h-1", "miles per hour"),
    "MMI": ("mmi", "modified mercalli intensity"),
    "-SPEI": ("-spei",),
    "SPEI": ("spei",),
    "-SPI": ("-spi",),
    "SPI": ("spi",),
}  # fmt: skip
"""Spellings of a grid's unit in files (CF ``units`` attributes, UDUNITS style), by the
unit of :data:`UNIT_FACTORS` they mean; compared in lower case with exponents written
``s-1`` (``m s^-1``, ``m s**-1``, ``m.s-1`` and ``m·s-1`` are ``m s-1``)."""

UNIT_MEASURES = {"m": "length", "m/s": "speed", "MMI": "MMI", "-SPEI": "drought index"}
"""The quantity each canonical unit of :data:`UNIT_FACTORS` (and its other units) measures."""

GROUND_MOTION_SPELLINGS = {
    "g": ("acceleration", ("g", "g0", "gn", "standard gravity", "fraction of g")),
    "%g": ("acceleration", ("%g", "% g", "pctg", "pct g", "percent g", "percent of g")),
    "gal": ("acceleration", ("gal", "gals", "cm/s2", "cm s-2", "cms-2", "cm/s/s", "cm/sec2",
                             "cm/s\u00b2")),
    "m/s2": ("acceleration", ("m/s2", "m s-2", "ms-2", "m/s/s", "m/sec2", "m/s\u00b2")),
    "cm/s": ("velocity", ("cm/s", "cm s-1", "cms-1", "cms", "cm/sec")),
    "mm/s": ("velocity", ("mm/s", "mm s-1", "mms-1", "mm/sec")),
}  # fmt: skip
"""Units of ground motion a file may state (PGA and spectral acceleration in g, %g, gal
or m/s2; PGV in cm/s; ShakeMap writes ``pctg`` and ``cms``), by unit: ``(measure,
spellings)``. No hazard type is in these: a grid stating one is refused
(:func:`foreign_unit`)."""

MEASURE_ADVICE = {
    "MMI": "convert {what} to MMI first, e.g. with a GMICE such as Worden et al. (2012)",
}
"""How to make a grid of another measure into the hazard type's, by canonical unit."""

DIMENSIONLESS = ("1", "-", "dimensionless", "unitless", "none", "n/a", "z-values", "z-score")
"""``units`` of files that state no unit; accepted for measures without one (MMI, SPEI)."""

AVERAGING = ("1-min", "10-min", "gust")
TEN_TO_ONE_MINUTE = 1.0 / 0.93
"""10-minute mean to 1-minute sustained wind at sea (Harper et al. 2010)."""
GUST_FACTORS = {"at_sea": 1.11, "onshore": 1.23, "offshore": 1.36, "inland": 1.49}
"""Peak 3-second gust over 1-minute sustained wind by exposure (Harper et al. 2010)."""


MAX_EVENT_FREQUENCY = 365.0
"""Largest annual frequency accepted for one event of an event set: once a day on average.

An event of an event set (a flood, a storm, an earthquake) may well recur more than once
a year, but not more than daily; a larger value is a return period in days, a count of
something else, or a typing error, and it multiplies the AAD by as much. The summed
frequency of a set is not bounded: global stochastic catalogues legitimately hold
thousands of events a year, and with each event at most 365 a year the sum stays finite.
"""


def check_frequencies(frequency, where: str, position) -> None:
    """Refuse event frequencies that are not plausible annual frequencies.

    Parameters
    ----------
    frequency : array-like of float
        Annual frequencies, each already checked finite and > 0.
    where : str
        How errors name the table or file.
    position : callable
        ``position(k)`` names the k-th (0-based) frequency, e.g. ``"on line 4"``.

    Raises
    ------
    DataError
        When every frequency is 1 or more (return periods typed as frequencies:
        frequency = 1 / return period), all exactly 1 included: a set whose every event
        strikes every year (1-year return periods, or CLIMADA's default frequency of 1
        left unset) counts its people displaced each year by every event; or when one
        exceeds :data:`MAX_EVENT_FREQUENCY`.
    """
    import numpy as np

    values = np.asarray(frequency, dtype=np.float64).reshape(-1)
    periods = values.size > 0 and values.min() >= 1.0
    hint = "frequency = 1 / return period (0.01 a year for a 100-year event)"
    above = np.flatnonzero(values > MAX_EVENT_FREQUENCY)
    if above.size:
        k = int(above[0])
        lead = "every frequency is 1 or more: if these are return periods, " if periods else ""
        raise DataError(
            f"{where}: frequency {position(k)} is {values[k]:g} events a year, more than "
            f"{MAX_EVENT_FREQUENCY:g} (once a day); {lead or 'give events per year: '}{hint}"
        )
    if periods:
        shown = ", ".join(f"{v:g}" for v in values[:4]) + (", ..." if values.size > 4 else "")
        what = "return periods"
        if values.max() == 1.0:  # every event every year
            what = "1-year return periods or a default frequency of 1 left unset"
        raise DataError(
            f"{where}: every frequency is 1 or more per year ({shown}); these look like "
            f"{what}: {hint}"
        )


def get_hazard_type(name: str, where: str = "type") -> HazardType:
    """Look up a hazard type; unknown names raise :class:`ConfigError` with a suggestion."""
    try:
        return HAZARD_TYPES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), HAZARD_TYPES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{where}: unknown hazard type {name!r}{hint}; known: {', '.join(HAZARD_TYPES)}"
        ) from None


def run_unit(hazard: HazardType, unit: str | None, where: str = "unit") -> str | None:
    """The unit of :data:`UNIT_FACTORS` a run file's ``unit:`` means, or None if not given.

    A run file takes the spellings a file's ``units`` statement takes (one table,
    :data:`UNIT_SPELLINGS`): ``knots`` and ``kts`` are ``kt``, ``km h-1`` is ``km/h``.

    Raises
    ------
    ConfigError
        ``unit`` is no unit of the hazard type's measure (naming ``where``).
    """
    if unit is None:
        return None
    factors = UNIT_FACTORS[hazard.unit]
    if unit in factors:
        return unit
    spelled = spelled_unit(unit)
    if spelled in factors:
        return spelled
    foreign = foreign_unit(hazard, unit)
    advice = f"; use one of {', '.join(factors)}"
    if foreign is not None:
        advice = f" ({foreign[1]}): {hazard.name} grids are {foreign_advice(hazard, foreign[1])}"
    raise ConfigError(f"{where}: unit {unit!r} is not a unit of {hazard.measure}{advice}")


def unit_factor(hazard: HazardType, unit: str | None, where: str = "unit") -> float:
    """Factor turning grid values in ``unit`` (any spelling :func:`run_unit` takes) into
    the hazard type's canonical unit."""
    if unit is None:
        return 1.0
    return UNIT_FACTORS[hazard.unit][run_unit(hazard, unit, where)]


def spelled_unit(text: str) -> str | None:
    """The :data:`UNIT_FACTORS` unit a file's ``units`` text means, or None if unknown."""
    key = _unit_key(text)
    return next((unit for unit, names in UNIT_SPELLINGS.items() if key in names), None)


def _unit_key(text: str) -> str:
    """A ``units`` text as :data:`UNIT_SPELLINGS` spells it: lower case, ``s-1``."""
    import re

    key = re.sub(r"\s+", " ", str(text).strip().lower())
    key = re.sub(r"(?<=[a-z])\s*[.\u00b7*]\s*(?=[a-z])", " ", key)  # m.s-1, m·s-1 -> m s-1
    return re.sub(r"\s*(\*\*|\^)\s*", "", key)  # s^-1, s**-1 -> s-1


def known_unit(text: str) -> str | None:
    """The unit a file's ``units`` text means: one of :data:`UNIT_FACTORS` or of
    :data:`GROUND_MOTION_SPELLINGS`; None when the text is no unit known here."""
    unit = spelled_unit(text)
    if unit is not None:
        return unit
    key = _unit_key(text)
    return next((u for u, (_, names) in GROUND_MOTION_SPELLINGS.items() if key in names), None)


def foreign_unit(hazard: HazardType, text: str | None) -> tuple[str, str] | None:
    """``(unit, measure)`` when ``text`` is a known unit of another measure than the
    hazard type's intensity, one no factor converts: None otherwise.

    Such are the units of ground motion (:data:`GROUND_MOTION_SPELLINGS`: ``g``, ``%g``,
    ``gal``, ``m/s2``; ``cm/s`` for any type but wind, whose speeds it measures) and, for
    an earthquake (MMI, a scale of effects), every physical unit (``m/s`` is then PGV,
    ``cm`` a displacement). The other units of the catalogue (``m`` for wind, ``m/s`` for
    a flood) keep :func:`file_unit`'s rule: refused unless the run file gives ``unit:``.
    """
    if text is None:
        return None
    unit = known_unit(text)
    if unit is None or unit in UNIT_FACTORS[hazard.unit]:
        return None
    if unit in GROUND_MOTION_SPELLINGS:
        measure = GROUND_MOTION_SPELLINGS[unit][0]
        return None if measure == "velocity" and hazard.unit == "m/s" else (unit, measure)
    if hazard.unit != "MMI":
        return None
    canonical = next(c for c, factors in UNIT_FACTORS.items() if unit in factors)
    measure = {"length": "displacement", "speed": "velocity"}.get(UNIT_MEASURES[canonical])
    return unit, measure or UNIT_MEASURES[canonical]


def foreign_advice(hazard: HazardType, measure: str) -> str:
    """What a grid of ``measure`` needs to become one of the hazard type's, e.g.
    ``"MMI; convert PGA to MMI first, e.g. with a GMICE such as Worden et al. (2012)"``."""
    what = {"acceleration": "PGA", "velocity": "PGV"}.get(measure)
    advice = MEASURE_ADVICE.get(hazard.unit)
    units = ", ".join(UNIT_FACTORS[hazard.unit])
    expects = hazard.unit if hazard.unit == hazard.measure else f"{hazard.measure} in {units}"
    if advice is None or what is None:
        return f"{expects}; give a grid of {hazard.measure}"
    return f"{expects}; {advice.format(what=what)}"


def file_unit(
    hazard: HazardType, unit: str | None, units: str | None, where: str, what: str
) -> str | None:
    """The unit of a hazard grid: the run file's ``unit``, else the one its file states.

    ``units`` is the file's statement (a CF ``units`` attribute); ``what`` names the file
    and variable in errors. A stated unit of the hazard's measure is used when the run file
    gives none and must agree with the run file's otherwise (depth in cm read as m is 100x).
    A statement that is no unit of the measure (unknown text, or ``m`` for wind) is refused
    unless the run file states the unit; measures without a unit (MMI, SPEI) accept
    dimensionless statements (``1``). A statement of a unit of another measure that no
    factor converts (:func:`foreign_unit`: PGA in ``g`` for an earthquake) is refused
    whatever the run file says.

    Returns
    -------
    str or None
        A unit of :data:`UNIT_FACTORS` for the hazard, or None (the canonical unit).

    Raises
    ------
    ConfigError
        On an unknown or incompatible statement without ``unit``, or on disagreement.
    DataError
        On a statement of :func:`foreign_unit` (exit code 1: the grid is of another
        measure; no ``unit:`` makes it usable).
    """
    factors = UNIT_FACTORS[hazard.unit]
    unit = run_unit(hazard, unit, f"{where}.unit")  # knots: kt
    foreign = foreign_unit(hazard, units)
    if foreign is not None:
        raise DataError(
            f"{what} states the unit {units!r} ({foreign[1]}), but {hazard.name} grids are "
            f"{foreign_advice(hazard, foreign[1])}"
        )
    if units is None or (
        str(units).strip().lower() in DIMENSIONLESS and hazard.unit in ("MMI", "-SPEI")
    ):
        return unit
    stated = spelled_unit(units)
    if stated not in factors:
        if unit is not None:
            return unit
        raise ConfigError(
            f"{what} has units {units!r}, which is not a unit of {hazard.measure} "
            f"({hazard.name}); state the grid's unit with unit: ({', '.join(factors)})"
        )
    if unit is not None and unit != stated:
        raise ConfigError(
            f"{where}: the run file says unit: {unit} but {what} has units {units!r} "
            f"({stated}); correct the one that is wrong"
        )
    return stated


def grid_unit(hazard: HazardType, unit: str | None, stated, where: str):
    """The unit of a hazard's grids, its factor and the conversion note for the manifest.

    Parameters
    ----------
    unit : str or None
        The run file's ``unit`` (any spelling :func:`run_unit` takes: ``knots``).
    stated : iterable of (str or None, str)
        Each file's ``units`` statement and how errors name the file and variable.
    where : str
        How errors name the hazard entry.

    Returns
    -------
    unit : str or None
        The grids' unit (:func:`file_unit` of each file; they must agree).
    factor : float
        :func:`unit_factor` of that unit.
    note : str
        ``"grid unit cm x 0.01 = m"`` (saying where the unit came from), or ``""``.
    """
    unit = run_unit(hazard, unit, f"{where}.unit")  # knots: kt, as a file may spell it
    units = [(file_unit(hazard, unit, text, where, what), what) for text, what in stated]
    found = {u for u, _ in units}
    if len(found) > 1:
        raise ConfigError(
            f"{where}: the grids are in different units ("
            + ", ".join(f"{what}: {u or hazard.unit}" for u, what in units)
            + "); give them in one unit"
        )
    resolved = found.pop() if found else unit
    factor = unit_factor(hazard, resolved, f"{where}.unit")
    if resolved in (None, hazard.unit):
        return resolved, factor, ""
    origin = "" if resolved == unit else " (the file's units attribute)"
    return resolved, factor, f"grid unit {resolved}{origin} x {factor:g} = {hazard.unit}"


def averaging_factor(
    hazard: HazardType,
    averaging: str | None,
    gust_factor=None,
    where: str = "averaging",
    gust_where: str | None = None,
) -> tuple[float, str]:
    """Factor turning a wind grid's averaging period into 1-minute sustained wind.

    Returns the factor and a sentence stating it (recorded in the manifest). A 10-minute
    grid is multiplied by 1/0.93; a gust grid needs an explicit ``gust_factor`` (a number,
    or one of the exposures of :data:`GUST_FACTORS`), never a silent default.

    ``where`` names the ``averaging`` key in errors, ``gust_where`` the ``gust_factor``
    key (by default ``where`` with its last ``averaging`` made ``gust_factor``:
    ``hazards[0].averaging`` -> ``hazards[0].gust_factor``), so a bad gust factor is
    reported under its own key.
    """
    if gust_where is None:
        head, found, tail = where.rpartition("averaging")
        gust_where = f"{head}gust_factor{tail}" if found else f"{where}.gust_factor"
    if averaging is None:
        return 1.0, ""
    if hazard.averaging is None:
        raise ConfigError(f"{where}: applies to wind hazards only, not {hazard.name}")
    if averaging not in AVERAGING:
        close = difflib.get_close_matches(str(averaging), AVERAGING, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{where}: unknown averaging {averaging!r}{hint}; use {', '.join(AVERAGING)}"
        )
    if averaging == "1-min":
        return 1.0, "1-minute sustained wind, used as given"
    if averaging == "10-min":
        return TEN_TO_ONE_MINUTE, (
            "10-minute mean wind divided by 0.93 to give 1-minute sustained wind "
            "(at-sea factor, Harper et al. 2010, WMO/TD-No. 1555)"
        )
    if gust_factor is None:
        raise ConfigError(
            f"{where}: gust grids need gust_factor: a number or one of "
            + ", ".join(f"{k} ({v})" for k, v in GUST_FACTORS.items())
            + " (Harper et al. 2010)"
        )
    value = GUST_FACTORS.get(gust_factor, gust_factor)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 1
    ):
        close = difflib.get_close_matches(str(gust_factor), GUST_FACTORS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close and isinstance(gust_factor, str) else ""
        raise ConfigError(
            f"{gust_where}: {gust_factor!r} is no gust factor (peak gust over 1-minute wind, "
            f"for averaging: gust){hint}; give a number >= 1 or one of {', '.join(GUST_FACTORS)}"
        )
    return 1.0 / float(value), (
        f"3-second gust divided by the gust factor {float(value):g} to give 1-minute sustained wind "
        "(Harper et al. 2010)"
    )
