"""Flooded-fraction grids, checked as the engine reads them.

A flooded fraction is the share of each cell under water (CLIMADA's ``fraction``), so a
value outside [0, 1] is an input error: a grid in percent would multiply displacement by
100. :class:`FractionFile` raises on the block that holds such a value (no second pass
over the data), and ``mecc validate`` gives the same message from its sample.
"""

from __future__ import annotations

import numpy as np

from mecc.errors import DataError

__all__ = ["FRACTION_TOLERANCE", "FractionFile", "fraction_problem"]

FRACTION_TOLERANCE = 1e-6
"""How far a flooded fraction may stray outside [0, 1] by rounding (float32 holds 1 + 1.2e-7)."""


class FractionFile:
    """A flooded-fraction file whose values are checked as the engine reads them.

    A fraction is a share of the cell in [0, 1]; a block with a value beyond
    :data:`FRACTION_TOLERANCE` outside it (a grid in percent multiplies displacement by
    100) raises :class:`DataError` naming the file, so no second pass over the data is
    needed. Otherwise it reads like the file it wraps (``grid``, ``count``, ``read``).
    """

    def __init__(self, source):
        self.source = source
        self.path = getattr(source, "path", "")
        self.label = getattr(source, "label", self.path)
        self.grid = source.grid
        self.count = source.count
        self.nodata = getattr(source, "nodata", (None,) * source.count)

    def read(self, bands, window, out=None) -> np.ndarray:
        """Read like the wrapped file; raise if a value is not a share in [0, 1]."""
        values = self.source.read(bands, window, out=out)
        bad = (values > 1.0 + FRACTION_TOLERANCE) | (values < -FRACTION_TOLERANCE)
        if bad.any():
            k = int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
            high, low = float(np.nanmax(values[k])), float(np.nanmin(values[k]))
            raise fraction_problem(self.label, high, low, bands[k])
        return values


def fraction_problem(label: str, high: float, low: float, band) -> DataError | None:
    """The error of a flooded fraction reaching ``high`` and ``low`` in ``band``; None
    when those are shares in [0, 1] (within :data:`FRACTION_TOLERANCE`)."""
    if high > 1.0 + FRACTION_TOLERANCE:
        found = f"reaches {high:g}"
        hint = "it looks like percent; divide by 100" if high <= 100 else "check the file"
    elif low < -FRACTION_TOLERANCE:
        found, hint = f"goes down to {low:g}", "is a nodata value undeclared?"
    else:
        return None
    return DataError(
        f"{label}: the flooded fraction {found} in band {band}, but a fraction is a share "
        f"of the cell between 0 and 1 ({hint})"
    )
