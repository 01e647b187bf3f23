"""Shelter gap of the people a run expects to be displaced (``mecc needs --capacity``).

The shelter capacity of each unit comes from a CSV ``zone_code, capacity`` (people). A
unit's gap is the displaced people beyond its own capacity, ``max(displaced - capacity,
0)``, and its ``spare`` the places left, ``max(capacity - displaced, 0)``. Shelter is not
pooled across units: a coarser unit's gap is the sum of its units' gaps (and its spare
the sum of their spare places), so the spare places of one district never cover the
displaced people of another. Only a unit whose units' gaps are not all known and that
has its own row in the capacity file takes its gap from that row (its capacity is known
only as a whole, so it is pooled within that unit); ``gap_from`` says which rule gave
each row's gap. Every zone has a row: a zone whose gap cannot be known has it blank
(:func:`capacity_notes` names them).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from mecc.errors import DataError, read_input_table

__all__ = [
    "GAP_FROM_CAPACITY",
    "GAP_FROM_UNITS",
    "GAP_NO_ONE_DISPLACED",
    "GAP_RULE_NOTE",
    "capacity_notes",
    "read_capacity",
    "shelter_gap",
    "whole_levels",
]

GAP_FROM_CAPACITY = "capacity"
"""``gap_from`` of a row whose gap is its own displaced people minus its own capacity."""
GAP_FROM_UNITS = "units"
"""``gap_from`` of a row whose gap is the sum of its units' gaps (no pooling across units)."""

GAP_NO_ONE_DISPLACED = "no_one_displaced"
"""``gap_from`` of a row with no capacity whose gap is 0: no one is displaced there."""

_MEASURES = ("", "_low", "_high")


def whole_levels(levels) -> pd.Series:
    """Admin levels as whole numbers (1, 2; blank where a row has none), as in zones.csv."""
    return pd.to_numeric(pd.Series(levels), errors="coerce").round().astype("Int64")


def read_capacity(path) -> pd.Series:
    """Shelter capacity per zone: a CSV with ``zone_code`` and ``capacity`` (people)."""
    label = os.fspath(path)
    table = read_input_table(label, "shelter capacity file", dtype=str, keep_default_na=False)
    column = next((c for c in ("capacity", "shelter_capacity") if c in table.columns), None)
    if "zone_code" not in table.columns or column is None:
        raise DataError(f"{label}: needs columns zone_code and capacity (people)")
    values = pd.to_numeric(table[column].str.strip(), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{label}: {column} on line {row + 2} is not a number of people >= 0")
    codes = table["zone_code"].str.strip()
    if codes.duplicated().any():
        raise DataError(f"{label}: zone {codes[codes.duplicated()].iloc[0]!r} is listed twice")
    return pd.Series(values.to_numpy(np.float64), index=codes.to_numpy(), name="capacity")


def _gap(displaced, capacity) -> np.ndarray:
    """``max(displaced - capacity, 0)``: blank (NaN) where either is not known, except 0
    where no one is displaced (whatever the capacity)."""
    displaced = np.asarray(displaced, dtype=np.float64)
    return np.where(displaced == 0, 0.0, np.maximum(displaced - capacity, 0.0))


def _spare(displaced, capacity) -> np.ndarray:
    """``max(capacity - displaced, 0)``: blank (NaN) where either is not known."""
    return np.maximum(np.asarray(capacity, np.float64) - np.asarray(displaced, np.float64), 0.0)


def _unit_rows(zones: pd.DataFrame) -> tuple[dict, list]:
    """The units of each zone code (children by ``parent_code``) and the zone codes from
    the finest level up."""
    units = zones[zones["zone_code"] != "__outside__"].drop_duplicates("zone_code")
    parents = units.get("parent_code", pd.Series("", index=units.index)).fillna("").astype(str)
    children: dict = {}
    for code, parent in zip(units["zone_code"].astype(str), parents, strict=True):
        if parent:
            children.setdefault(parent, []).append(code)
    levels = pd.to_numeric(units["level"], errors="coerce").fillna(-1).to_numpy()
    order = [units["zone_code"].astype(str).iloc[k] for k in np.argsort(-levels, kind="stable")]
    return children, order


def _hazard_gaps(rows: pd.DataFrame, capacity: pd.Series, children: dict, order: list):
    """Capacity, gaps, spare places and their rule for one hazard's rows (finest first)."""
    by_code = {str(c): k for k, c in enumerate(rows["zone_code"].astype(str))}
    n = len(rows)
    cap = np.full(n, np.nan)
    out = {f"{name}{s}": np.full(n, np.nan) for name in ("gap", "spare") for s in _MEASURES}
    out["shelter_area_gap"] = np.full(n, np.nan)
    rule = np.full(n, "", dtype=object)
    displaced = {s: rows[f"displaced{s}"].to_numpy(np.float64) for s in _MEASURES}
    area = rows["area_per_person"].to_numpy(np.float64)
    for code in order:
        k = by_code.get(code)
        if k is None:
            continue
        kids = [by_code[c] for c in children.get(code, []) if c in by_code]
        own = float(capacity[code]) if code in capacity.index else math.nan
        kid_cap = cap[kids] if kids else np.array([math.nan])
        cap[k] = own if code in capacity.index else float(kid_cap.sum())
        if kids and np.isfinite(out["gap"][kids]).all():
            rule[k] = GAP_FROM_UNITS
            for name in out:  # a sum of the units' figures: blank if one is blank
                out[name][k] = out[name][kids].sum()
            continue
        rule[k] = GAP_FROM_CAPACITY
        for s in _MEASURES:
            out[f"gap{s}"][k] = _gap(displaced[s][k], cap[k])
            out[f"spare{s}"][k] = _spare(displaced[s][k], cap[k])
        out["shelter_area_gap"][k] = out["gap"][k] * area[k]
        if not np.isfinite(out["gap"][k]):
            rule[k] = ""
        elif not np.isfinite(cap[k]):
            rule[k] = GAP_NO_ONE_DISPLACED
    return cap, out, rule


def shelter_gap(
    needs: pd.DataFrame, zones: pd.DataFrame, capacity: pd.Series, source=None
) -> pd.DataFrame:
    """Displaced people beyond the shelter capacity of each zone, per hazard.

    Parameters
    ----------
    needs : pandas.DataFrame
        From :func:`mecc.needs.needs_table`.
    zones : pandas.DataFrame
        The run's zones.csv (``zone_code``, ``level``, ``parent_code``).
    capacity : pandas.Series
        From :func:`read_capacity`.
    source : path, optional
        The capacity file, named in the error for a zone code the run does not have
        (default: "shelter capacity").

    Returns
    -------
    pandas.DataFrame
        One row per zone and hazard of ``needs``: ``zone_code, zone_name, level,
        hazard_id, basis, displaced, capacity, gap, gap_low, gap_high, spare,
        spare_low, spare_high, shelter_area_gap, gap_from``. ``capacity``: the zone's
        row of the file, else the sum of its units' when every one has one, else blank
        (not known, not 0). A finest unit's gap is ``max(displaced - capacity, 0)``
        (0 where no one is displaced, blank where it has displaced people and no
        capacity) and ``spare`` is ``max(capacity - displaced, 0)``; a coarser zone's
        gap, spare and ``shelter_area_gap`` (m², when the profile has
        ``shelter_area``) are the sums of its units' (``gap_from`` ``units``: shelter
        is not pooled across units), or, when one of its units' gaps is blank, its own
        displaced people against its own capacity (``gap_from`` ``capacity``; blank
        without one, unless no one is displaced there: gap 0, ``gap_from``
        ``no_one_displaced``). ``_low``/``_high``: the same for the curve variants'
        displaced people.
    """
    known = set(zones["zone_code"])
    unknown = [k for k, code in enumerate(capacity.index) if code not in known]
    if unknown:
        where = os.fspath(source) if source is not None else "shelter capacity"
        raise DataError(
            f"{where}: zone_code {capacity.index[unknown[0]]!r} is not a zone of this run "
            f"(line {unknown[0] + 2}; {len(unknown)} unknown code(s); the codes are those of "
            "the run's zones.csv)"
        )
    first = needs.drop_duplicates(["zone_code", "hazard_id"]).reset_index(drop=True)
    area = needs[needs["need_id"] == "shelter_area"]
    keys = zip(area["zone_code"], area["hazard_id"], strict=True)
    per_person_area = dict(zip(keys, area["per_person"], strict=True))
    first_keys = zip(first["zone_code"], first["hazard_id"], strict=True)
    first["area_per_person"] = [per_person_area.get(k, math.nan) for k in first_keys]
    children, order = _unit_rows(zones)
    frames = []
    for hid, rows in first.groupby("hazard_id", sort=False):
        cap, out, rule = _hazard_gaps(rows, capacity, children, order)
        frame = pd.DataFrame(
            {
                "zone_code": rows["zone_code"].to_numpy(),
                "zone_name": rows["zone_name"].to_numpy(),
                "level": whole_levels(rows["level"]).array,
                "hazard_id": hid,
                "basis": rows["basis"].to_numpy(),
                "displaced": rows["displaced"].to_numpy(),
                "capacity": cap,
                **out,
                "gap_from": rule,
            },
            index=rows.index,
        )
        frames.append(frame)
    return pd.concat(frames).sort_index().reset_index(drop=True)


def capacity_notes(gap: pd.DataFrame, source) -> list[str]:
    """One line naming the zones with displaced people but no known gap (no capacity of
    their own or of all their units; their gap in shelter_gap.csv is blank); [] when
    every such zone has one."""
    missing = gap[gap["gap"].isna() & (pd.to_numeric(gap["displaced"]) > 0)]
    codes = list(dict.fromkeys(missing["zone_code"].astype(str)))
    if not codes:
        return []
    shown = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
    return [
        f"{os.fspath(source)}: no shelter capacity for {len(codes)} zone(s) with displaced "
        f"people ({shown}): their gap in shelter_gap.csv is blank (not known); add a row "
        "per unit (a coarser zone takes the sum of its units' gaps when every unit's gap "
        "is known)"
    ]


GAP_RULE_NOTE = (
    "shelter_gap.csv: a coarser unit's gap is the sum of its units' gaps (gap_from "
    "'units'): shelter is not pooled across units, so one unit's spare places (column "
    "spare) do not cover another's displaced people; gap_from 'capacity': the unit's own "
    "displaced people against its own capacity"
)
"""The rule of shelter_gap.csv, for needs_profile.json's notes."""
