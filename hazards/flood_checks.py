"""Checks of the flood generator's inputs (:mod:`hazards.flood`): numbers, grids, masks.

- Levels, channel heights and return periods are finite real numbers; a channel height
  (the water height above the channel) is >= 0; connectivity is 4 or 8.
- A HAND grid is a height *above* the drainage, 0 on it and above 0 elsewhere: values
  below -:data:`HAND_TOLERANCE_M` (-0.01 m) are refused (a DEM or a depth given as HAND
  would flood closed depressions as drainage and give depths deeper than ``h``); values
  between -0.01 m and 0 are float noise of a HAND computation and read as 0.
- The HAND method needs water sources on valid ground: when none is left,
  :func:`no_drainage` says which input holds them (the HAND grid's drainage cells,
  HAND 0; the river mask; the sources mask), how many it has and where they fell (on
  the nodata of the DEM or of the HAND grid), and what to give instead.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from mecc.errors import ConfigError, DataError

__all__ = [
    "HAND_TOLERANCE_M",
    "as_mask",
    "as_surface",
    "check_channel_height",
    "check_connectivity",
    "check_hand",
    "check_number",
    "no_drainage",
]

HAND_TOLERANCE_M = 0.01
"""HAND values below minus this (m) are refused; those between it and 0 read as 0."""


def check_number(value, name: str) -> float:
    """A finite real number, or :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: give a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{name}: must be finite, got {value!r}")
    return value


def check_channel_height(value, name: str = "channel_height") -> float:
    """The water height above the channel: a number >= 0 (m)."""
    value = check_number(value, name)
    if value < 0:
        raise ConfigError(f"{name}: the water height above the channel must be >= 0, got {value:g}")
    return value


def check_connectivity(value) -> int:
    """4 or 8 (neighbours across cell edges only, or diagonals too)."""
    if isinstance(value, bool) or value not in (4, 8):
        raise ConfigError(f"connectivity: use 4 or 8, not {value!r}")
    return int(value)


def as_surface(values, shape, name: str) -> np.ndarray:
    """A float64 C-ordered copy (the caller's array is never modified)."""
    array = np.array(values, dtype=np.float64, order="C")
    if array.shape != tuple(shape):
        raise DataError(f"{name}: shape {array.shape} does not match the grid {tuple(shape)}")
    return array


def check_hand(surface: np.ndarray, name: str) -> None:
    """Refuse heights below -:data:`HAND_TOLERANCE_M` in a given HAND grid (in place:
    those between it and 0 become 0). HAND is >= 0: below it, a DEM or a depth grid?"""
    with np.errstate(invalid="ignore"):
        low = surface < -HAND_TOLERANCE_M
        if low.any():
            raise DataError(
                f"{name}: height above drainage down to {float(np.nanmin(surface)):g} m "
                f"({int(low.sum())} cell(s) below -{HAND_TOLERANCE_M:g} m); HAND is 0 on the "
                "drainage and above 0 elsewhere, never negative: give a HAND grid, not a DEM "
                "or a depth"
            )
        surface[surface < 0] = 0.0


def as_mask(values, shape, name: str) -> np.ndarray:
    """A boolean mask: True where a value is non-zero and not NaN."""
    array = np.asarray(values)
    if array.shape != tuple(shape):
        raise DataError(f"{name}: shape {array.shape} does not match the grid {tuple(shape)}")
    if array.dtype.kind == "f":
        return np.ascontiguousarray(np.nan_to_num(array, nan=0.0) != 0)
    return np.ascontiguousarray(array != 0)


def _cells(count: int) -> str:
    return f"{count} cell{'' if count == 1 else 's'}"


def no_drainage(role: str, marked: int, names: dict, *, hand_given: bool) -> DataError:
    """The error for a HAND-method flood without a water source on valid ground.

    Parameters
    ----------
    role : {"hand", "river", "sources"}
        Where the sources came from: the HAND grid's drainage cells (HAND 0), the river
        mask, or the sources mask.
    marked : int
        How many cells that input marks in all (valid ground or not).
    names : dict
        How messages name the inputs (``dem``, ``hand``, ``river``, ``sources``) and,
        from the file tool, their options (``hand_option`` ..., e.g. ``"--hand"``).
    hand_given : bool
        Whether a HAND grid was given (its nodata is not valid ground either).

    Returns
    -------
    DataError
        One line: the input and its option, what is wrong, what to give instead.
    """
    option = names.get(f"{role}_option")
    named = f"{names[role]} ({option})" if option else names[role]
    river = names.get("river_option", "a river mask")
    sources = names.get("sources_option", "a sources mask")
    nodata = f"nodata of {names['dem']}" + (
        f" or of {names['hand']}" if hand_given and role != "hand" else ""
    )
    if role == "hand":
        what, count = "drainage cells", f"HAND 0, {_cells(marked)}"
        advice = (
            "give a HAND grid computed from this DEM (its drainage at 0 on the DEM's valid "
            f"ground), or mark the river on valid ground with {river} or {sources}"
        )
    else:
        what = "river cells" if role == "river" else "source cells"
        count = f"non-zero, {_cells(marked)}"
        advice = f"mark the river cells on valid ground with non-zero values in {names[role]}"
    if marked == 0:
        problem = f"no {what} ({'HAND 0' if role == 'hand' else 'non-zero values'})"
    else:
        problem = f"its {what} ({count}) all lie on {nodata}"
    text = f"{named}: {problem}, so the water has nowhere to rise from; {advice}"
    return DataError(text)
