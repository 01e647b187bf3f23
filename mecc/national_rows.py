"""The national row of a table beside a level-0 unit with the country's code.

A run without ``zones:`` has one unit, the nation (``zone_code`` the country, ``level``
0); a zones file may have such a unit too. Tables that add a row for the whole grid
(summary.json's figures, keyed by the country's code and level 0) settle it as
exceedance.csv does (:func:`mecc.exceedance.exceedance_table`): when the unit holds the
same figures as the whole grid (nobody outside every unit), the table has ONE row, the
unit's (the country, level 0); otherwise both, the unit's keeping level 0 and the whole
grid's with the country's code and a blank level. So no two rows share a key, and the
whole grid's figures are summary.json's. Nothing here reads or writes files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.exceedance import same_as_national_curve

__all__ = ["nation_unit", "whole_grid_row", "whole_grid_rows"]


def nation_unit(codes, levels, country: str) -> int | None:
    """Position of the level-0 unit with the country's code among zone rows.

    Parameters
    ----------
    codes, levels : sequence
        ``zone_code`` and ``level`` of each row (a blank level: the outside bucket).
    country : str
        ISO3 code of the run.

    Returns
    -------
    int or None
        The first such row, None when no unit is the nation's.
    """
    codes = pd.Series(codes, dtype=object).astype(str).to_numpy()
    levels = pd.to_numeric(pd.Series(levels), errors="coerce").eq(0).fillna(False)
    given = np.flatnonzero((codes == country) & levels.to_numpy(dtype=bool))
    return int(given[0]) if given.size else None


def whole_grid_row(unit, national) -> tuple[bool, int | None]:
    """Whether a table writes the whole grid's row beside the zone rows, and its level.

    Parameters
    ----------
    unit : array_like or None
        Every figure of the level-0 unit with the country's code (its population too),
        None when the zones have no such unit.
    national : array_like
        The same figures of the whole grid, in the same order.

    Returns
    -------
    (write, level)
        ``(True, 0)`` without such a unit; ``(False, 0)`` when the unit holds the whole
        grid's figures (up to the rounding of summing the same people in another order;
        a missing figure must be missing in both): its row is the national one;
        ``(True, None)`` otherwise: the whole grid's row has a blank level.
    """
    if unit is None:
        return True, 0
    unit = np.asarray(unit, dtype=np.float64).ravel()
    national = np.asarray(national, dtype=np.float64).ravel()
    missing = np.isnan(unit)
    if unit.shape != national.shape or not np.array_equal(missing, np.isnan(national)):
        return True, None
    return (
        (False, 0) if same_as_national_curve(unit[~missing], national[~missing]) else (True, None)
    )


def whole_grid_rows(frame: pd.DataFrame, country: str, keys: list) -> pd.DataFrame:
    """The rows of the whole grid in a table written under :func:`whole_grid_row`: per
    ``keys``, the country's row with a blank level where there is one, else its level-0
    row."""
    level = pd.to_numeric(frame["level"], errors="coerce")
    mine = frame[(frame["zone_code"] == country) & (level.isna() | level.eq(0).fillna(False))]
    blank_first = pd.to_numeric(mine["level"], errors="coerce").notna().to_numpy()
    order = np.argsort(blank_first, kind="stable")
    return mine.iloc[order].drop_duplicates(keys).sort_index()
