"""Seasonal presence applied to the engine's sums (``mobility.seasonal``, DESIGN.md).

The engine counts residents; a hazard with a ``season`` strikes when more or fewer of
them are present (harvest workers, the lean season). Its exposed and displaced people
scale with each zone's presence factor (``Exposure.presence``), "no hazard data" stays a
count of residents. The baseline's pass and a future population's pass both go through
here, so a future compares like with like.
"""

from __future__ import annotations

__all__ = ["present_overlay", "present_result", "present_sums"]


def present_sums(exposure, hazard_id: str, sums):
    """A hazard's sums with the seasonal presence factor of each zone applied (a copy).

    Exposed and displaced people scale with the people present; "no hazard data" stays
    a count of residents. A future's hazard (``id@future``) takes its baseline's factor.
    """
    factor = exposure.presence.get(hazard_id.split("@")[0])
    if factor is None:
        return sums
    return type(sums)(
        sums.exposed * factor[:, None],
        sums.displaced * factor[:, None, None],
        sums.no_hazard_data.copy(),
    )


def present_result(exposure, result) -> None:
    """Apply seasonal presence to an engine result's hazard and layer sums (in place: the
    result of the run's own pass, a moment old)."""
    if not exposure.presence:
        return
    result.hazards = {
        hid: present_sums(exposure, hid, sums) for hid, sums in result.hazards.items()
    }
    if result.layer_sums:
        result.layer_sums = {
            hid: [present_sums(exposure, hid, part) for part in parts]
            for hid, parts in result.layer_sums.items()
        }


def present_overlay(overlay, exposure, *args, **kwargs):
    """``overlay(*args, **kwargs)`` (the engine's pass) with seasonal presence applied
    to every hazard's sums, as the run applies it to the baseline's: a future population
    grid's pass left it out (a hazard striking when twice the residents are present
    showed half its future figure, and a population change of the wrong sign)."""
    result = overlay(*args, **kwargs)
    present_result(exposure, result)
    return result
