"""The national row of a table beside a level-0 unit with the country's code.

A run without ``zones:`` has one unit, the nation (``zone_code`` the country, ``level``
0); a zones file may have such a unit too. Tables that add a row for the whole grid
(summary.json's figures, keyed by the country's code and level 0) settle it as
exceedance.csv does (:func:`mecc.exceedance.exceedance_table`): when the unit holds the
same figures as the whole grid (nobody outside every unit), the table has ONE row, the
unit's (the country, level 0); otherwise both, the unit's keeping level 0 and the whole
grid's with the country's code and a blank level. So no two rows share a key, and the
whole grid's figures are summary.json's. Nothing here reads or writes files.

It also holds the one rule of every table for a unit that received no cell of the
analysis grid (manifest.json ``zones_without_cells``): its figures are not known, so they
are blank (NaN), never 0 (:func:`units_without_cells`, :func:`not_known`); the units above
it add the units that have cells (it adds nothing: its people are in its neighbours).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.exceedance import same_as_national_curve

__all__ = [
    "NO_CELLS_NOTE",
    "mark_units_without_cells",
    "nation_unit",
    "no_cells_added_note",
    "no_cells_columns",
    "no_cells_rows",
    "not_known",
    "units_without_cells",
    "whole_grid_row",
    "whole_grid_rows",
]

NO_CELLS_NOTE = (
    "not known, not 0: the unit received no cell of the analysis grid (smaller than a "
    "cell, or covered by a unit listed after it), so its people were counted in the "
    "neighbouring units, or outside every unit where the cells' centres fall outside all "
    "units; a finer population grid, or boundaries that do not overlap, give its figures"
)
"""Why a unit's figures are blank (the profile's words, ``profiles.yaml`` ``no_cells``)."""
KNOWN_WITHOUT_CELLS = frozenset(
    ("level", "band", "return_period", "exceedance_frequency", "frequency", "protection_rp")
    + ("population_official", "household_size_given")
)
"""Numeric columns that are inputs or keys, not figures: kept for a unit without a cell."""


def units_without_cells(codes, cells) -> np.ndarray:
    """The rule for "not known": a unit (not ``__outside__``) with no cell of the grid.

    Parameters
    ----------
    codes, cells : array-like
        Zone code and analysis-grid cells per zone row (results.nc ``cells``).

    Returns
    -------
    ndarray of bool
        True where the unit's figures are not known (blank, NaN), not 0.
    """
    codes = np.asarray(codes).astype(str)
    return (np.asarray(cells) == 0) & (codes != "__outside__")


def not_known(frame: pd.DataFrame, without) -> pd.DataFrame:
    """``frame`` with every figure of the units ``without`` (zone codes) blank (NaN).

    The one rule of every table with a ``zone_code`` column (zones.csv, zones_bands.csv,
    exceedance.csv, futures.csv, attribution.csv): codes, names, keys and inputs
    (:data:`KNOWN_WITHOUT_CELLS`) stay; numbers become NaN. A copy when anything changes.
    """
    without = set(map(str, without))
    if not without or "zone_code" not in frame.columns:
        return frame
    rows = frame["zone_code"].astype(str).isin(without).to_numpy()
    if not rows.any():
        return frame
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if column in KNOWN_WITHOUT_CELLS or not pd.api.types.is_numeric_dtype(values):
            continue
        if pd.api.types.is_bool_dtype(values):
            continue
        frame[column] = values.astype("Float64" if values.dtype.name == "Int64" else float)
        frame.loc[rows, column] = np.nan
    return frame


def mark_units_without_cells(tabs, zone_table: pd.DataFrame, cells_rows) -> list:
    """Blank (:func:`not_known`) the figures of units without a cell in each hazard's
    zones, zones_bands and exceedance tables, in place; returns their codes.

    ``mecc.run`` calls it once ``cells_rows`` (``zones.aggregate(result.cells)``) is
    known, before the tables are written. Parent units keep their sums of the units that
    have cells (a unit without a cell adds nothing: its people are in its neighbours).
    """
    codes = zone_table["zone_code"].astype(str).to_numpy()
    without = list(codes[units_without_cells(codes, cells_rows)])
    for tab in tabs:
        tab.zones = not_known(tab.zones, without)
        tab.zones_bands = not_known(tab.zones_bands, without)
        tab.exceedance = not_known(tab.exceedance, without)
    return without


def no_cells_added_note(codes) -> str:
    """The note of a sum over units some of which received no cell (``codes``)."""
    codes = list(codes)
    if not codes:
        return ""
    shown = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
    return (
        f"nothing added for {shown}: no cell of the analysis grid, figures not known "
        "(their people are counted in the neighbouring units, or outside every unit)"
    )


def no_cells_rows(codes, parents, cells, country: str) -> tuple[set, dict]:
    """The units without a cell among zone rows and, per unit above them (and the
    country), those below it: ``(unknown codes, {code: [unknown codes below]})``.

    Parameters
    ----------
    codes, parents : list of str
        Per zone row (results.nc ``zone``, ``parent_code``).
    cells : array-like or None
        Analysis-grid cells per zone row (results.nc ``cells``; None: a store without it).
    country : str
        The code of the national rows, above every unit.
    """
    if cells is None:
        return set(), {}
    unknown = [c for c, no in zip(codes, units_without_cells(codes, cells), strict=True) if no]
    parent_of = dict(zip(codes, parents, strict=True))
    below: dict = {}
    for code in unknown:
        above, seen = parent_of.get(code), {code}
        while above and above not in seen:
            below.setdefault(above, []).append(code)
            seen.add(above)
            above = parent_of.get(above)
        if code not in below.get(country, []):
            below.setdefault(country, []).append(code)
    finest = {c for c in unknown if c not in below}  # the country counts the finest once
    below[country] = [c for c in below.get(country, []) if c in finest]
    return set(unknown), {k: v for k, v in below.items() if v}


def no_cells_columns(row: dict, unknown: bool, below) -> dict:
    """The columns that change in a Sendai row of a unit without a cell (``unknown``:
    blank figures, the note saying why) or of an area above such units (``below``: a
    note that nothing is added for them)."""
    notes = row.get("notes") or ""
    if unknown:
        blank = dict.fromkeys(("value_number", "per_100k", "low", "high"), np.nan)
        return {**blank, "range_kind": "", "notes": "; ".join(filter(None, [NO_CELLS_NOTE, notes]))}
    return {"notes": "; ".join(filter(None, [notes, no_cells_added_note(below or [])]))}


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
