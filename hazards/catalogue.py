"""The catalogue of hazard types: intensity measure, unit, exposure threshold.

A hazard set in a run file names one of these types. The exposure threshold is the
intensity at or above which people count as *exposed* (independent of the displacement
curve, so exposed and displaced are different numbers; DESIGN.md, semantics).

Sources for the thresholds (see ../shared/reference/methodology.md):

- flood depth >= 0.1 m: the lowest InaSAFE flood/tsunami hazard class (0.1 m);
- tropical-cyclone wind >= 17.5 m/s, 1-minute sustained at 10 m: CLIMADA's
  ``DEF_INTENSITY_THRES`` (tropical-storm strength, 34 kt);
- earthquake MMI >= V (class V covers [4.5, 5.5), so >= 4.5): the InaSAFE/PAGER
  convention that shaking from intensity V is felt by all.
"""

from __future__ import annotations

from dataclasses import dataclass

from mecc.errors import ConfigError

__all__ = ["HAZARD_TYPES", "UNIT_FACTORS", "HazardType", "get_hazard_type", "unit_factor"]


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
    flood_type : bool
        Whether a flooded-fraction grid may accompany the intensity.
    averaging : str or None
        Wind averaging period of the canonical unit (wind hazards only).
    """

    name: str
    title: str
    measure: str
    unit: str
    exposure_threshold: float
    valid_range: tuple[float, float]
    flood_type: bool = False
    averaging: str | None = None


HAZARD_TYPES = {
    hazard.name: hazard
    for hazard in (
        HazardType("river_flood", "River flood", "water depth", "m", 0.1, (0.0, 50.0), True),
        HazardType(
            "flash_flood", "Flash or pluvial flood", "water depth", "m", 0.1, (0.0, 50.0), True
        ),
        HazardType(
            "coastal_flood",
            "Coastal flood / storm surge",
            "water depth",
            "m",
            0.1,
            (0.0, 50.0),
            True,
        ),
        HazardType(
            "tropical_cyclone",
            "Tropical-cyclone wind",
            "maximum sustained wind at 10 m",
            "m/s",
            17.5,
            (0.0, 120.0),
            averaging="1-min",
        ),
        HazardType("earthquake", "Earthquake shaking", "MMI", "MMI", 4.5, (0.5, 12.5)),
        HazardType("tsunami", "Tsunami inundation", "water depth", "m", 0.1, (0.0, 100.0), True),
    )
}

UNIT_FACTORS = {
    "m": {"m": 1.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048},
    "m/s": {"m/s": 1.0, "km/h": 1000.0 / 3600.0, "kt": 1852.0 / 3600.0, "mph": 0.44704},
    "MMI": {"MMI": 1.0},
}
"""Exact factors from a grid's unit to the canonical unit (1 kt = 1852 m/h,
1 mph = 0.44704 m/s, 1 ft = 0.3048 m by definition)."""


def get_hazard_type(name: str, where: str = "type") -> HazardType:
    """Look up a hazard type; unknown names raise :class:`ConfigError` with a suggestion."""
    try:
        return HAZARD_TYPES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(str(name), HAZARD_TYPES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{where}: unknown hazard type {name!r}{hint}; known: {', '.join(HAZARD_TYPES)}"
        ) from None


def unit_factor(hazard: HazardType, unit: str | None, where: str = "unit") -> float:
    """Factor turning grid values in ``unit`` into the hazard type's canonical unit."""
    if unit is None:
        return 1.0
    factors = UNIT_FACTORS[hazard.unit]
    if unit not in factors:
        raise ConfigError(
            f"{where}: unit {unit!r} is not a unit of {hazard.measure}; "
            f"use one of {', '.join(factors)}"
        )
    return factors[unit]
