"""Which hazard types give the lead time a pre-emptive evacuation needs (custom D6).

The custom indicator D6 counts the people who could be evacuated *ahead of* a hazard:
the people displaced times the unit's early-warning coverage (``mobility.early_warning``).
Coverage matters only where a forecast or a warning comes before the impact, so D6 is
given for a hazard type only when a forecast lead time exists for it, decided from the
type (``hazards.catalogue.HAZARD_TYPES``), never from the layer alone:

- floods (river, flash, pluvial, coastal / storm surge) and tropical cyclones: forecasts
  and warnings come hours (flash floods) to days (river floods, cyclones) ahead;
  pre-emptive evacuations before them are routine and recorded (IDMC, DELTA);
- tsunami: given. Warning centres (PTWC, the IOC's regional systems) warn of a far-field
  tsunami hours before it arrives and of a regional one tens of minutes before, and
  evacuations on those warnings are pre-emptive; a near-field tsunami (a source minutes
  away) leaves little time to act on a warning, which the rows' notes say (D6 is then an
  upper bound);
- earthquake: never. No earthquake is forecast; earthquake early warning gives seconds
  (enough to drop, cover and hold on, not to leave) and nobody is evacuated ahead of the
  shaking;
- sea-level rise (permanent inundation: planned relocation, D4) and drought (exposure by
  class, no rows): no sudden impact to evacuate ahead of.

A type not listed here has no known lead time: no D6, and the notes say so.
"""

from __future__ import annotations

__all__ = ["LEAD_TIME", "TSUNAMI_NOTE", "has_lead_time", "no_d6_note"]

LEAD_TIME = {
    "river_flood": True,
    "flash_flood": True,
    "pluvial_flood": True,
    "coastal_flood": True,
    "tropical_cyclone": True,
    "tsunami": True,
    "earthquake": False,
    "sea_level_rise": False,
    "drought": False,
}
"""Whether a forecast lead time exists for each hazard type (the module docstring says why)."""

WHY_NOT = {
    "earthquake": "an earthquake is not forecast (earthquake early warning gives seconds), so "
    "nobody is evacuated ahead of it",
    "sea_level_rise": "sea-level rise is a permanent inundation, not an event to evacuate "
    "ahead of (planned relocation: D4)",
    "drought": "a drought is a slow-onset exposure, not an event to evacuate ahead of",
}

TSUNAMI_NOTE = (
    "tsunami: pre-emptive evacuation on a warning (hours ahead of a far-field tsunami, tens "
    "of minutes ahead of a regional one); a near-field source leaves minutes, so for one this "
    "figure is an upper bound"
)
"""The note of a tsunami's D6 rows."""


def has_lead_time(hazard_type: str) -> bool:
    """Whether hazard type ``hazard_type`` gives the lead time a pre-emptive evacuation
    needs (:data:`LEAD_TIME`; a type not listed: False)."""
    return LEAD_TIME.get(str(hazard_type), False)


def no_d6_note(hazard_type: str) -> str:
    """The note of the D1 rows of a hazard whose type has no lead time, in a run with an
    early-warning layer: why it has no pre-emptive evacuation (custom D6) row."""
    why = WHY_NOT.get(
        str(hazard_type), f"mecc knows no forecast lead time for hazard type {hazard_type}"
    )
    return (
        f"no pre-emptive evacuation row (custom D6) for this hazard although the run gives "
        f"early-warning coverage (mobility.early_warning): {why}"
    )
