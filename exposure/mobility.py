"""Where people are at the moment of impact: seasonal presence and the day/night shift.

Both act on per-zone figures after the engine, which is exact because their factors
are constant inside a zone:

- **seasonal presence** (DESIGN.md, Mobility layers): a multiplier per month of the
  residents present (agricultural labour migration, pastoralists, tourism), nationally
  or per zone, weighted by the hazard's distribution of event months. A zone's
  presence factor is ``Σ_m w_m × multiplier_m`` and scales its exposed and displaced
  people for that hazard;
- **day/night shift**: an origin–destination table gives the share of each zone's
  residents who spend the day in another zone. It changes evacuation-type figures
  (people exposed at the moment of impact) for hazards that strike by day, not
  housing-loss displacement, which follows residence: a house destroyed at noon still
  leaves its household without a home at night.
"""

from __future__ import annotations

import difflib
import math
import os

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError, read_input_table

__all__ = [
    "MOST_PRESENT",
    "check_zone_codes",
    "daytime_population",
    "read_day_night",
    "read_seasonal",
    "season_weights",
]

MONTHS = tuple(range(1, 13))
MOST_PRESENT = 100.0
"""The largest presence multiplier taken: 100 people present for each resident (a
festival or a resort); a larger one is a typing error, and would multiply figures by it."""


def _month_mapping(mapping, label: str, what: str, most: float = math.inf) -> np.ndarray:
    """``{month: value}`` (1–12, missing months 0) as an array of 12 finite numbers in
    ``[0, most]``."""
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(f"{label}: give a mapping of month (1-12) to {what}")
    values = np.zeros(12)
    for month, value in mapping.items():
        if isinstance(month, bool) or not (isinstance(month, int) and 1 <= month <= 12):
            raise ConfigError(f"{label}: month {month!r} is not a whole number from 1 to 12")
        number = not isinstance(value, bool) and isinstance(value, int | float)
        if not number or not math.isfinite(value) or not 0 <= value <= most:
            bound = f"from 0 to {most:g}" if math.isfinite(most) else ">= 0"
            shown = value if number else repr(value)
            raise ConfigError(f"{label}.{month}: {what} must be a number {bound}, not {shown}")
        values[month - 1] = float(value)
    return values


def _keys_of(spec: dict, keys: set, label: str, required: set = frozenset()) -> None:
    """Refuse a key not in ``keys`` (with the closest as a suggestion) or a missing one."""
    for key in spec:
        if key not in keys:
            close = difflib.get_close_matches(str(key), sorted(keys), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; use {', '.join(sorted(keys))}"
            raise ConfigError(f"{label}: unknown key {str(key)!r}{hint}")
    missing = sorted(required - set(spec))
    if missing:
        raise ConfigError(f"{label}.{missing[0]}: missing (required)")


def _zone_codes(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """A column of zone codes as text; a row without a code is refused, as
    :func:`exposure.cohorts.read_zone_table` refuses it (``data row 4 has no zone code``)."""
    codes = frame[column].fillna("").astype(str).str.strip()
    if (codes == "").any():
        row = int(np.flatnonzero((codes == "").to_numpy())[0])
        raise DataError(f"{where}.{column}: data row {row + 1} has no zone code")
    return codes


def _rows(positions) -> str:
    """Data rows (0-based positions) as a message names them: "rows 2 and 5"."""
    numbers = [str(int(k) + 1) for k in positions]
    return f"rows {', '.join(numbers[:-1])} and {numbers[-1]}"


def season_weights(mapping, label: str) -> np.ndarray:
    """A hazard's distribution of event months (``season:``), normalised to add up to 1."""
    weights = _month_mapping(mapping, label, "a share of events")
    if not weights.sum() > 0:
        raise ConfigError(f"{label}: at least one month needs a share > 0")
    return weights / weights.sum()


def read_seasonal(spec, base_dir: str, label: str):
    """Monthly presence multipliers: national ``(12,)`` and per zone ``{code: (12,)}``.

    ``spec`` is ``{multipliers: {month: factor}}`` (national) or ``{path, code_column,
    month_column, multiplier_column}`` (a long table, one row per zone and month; months
    a zone does not list keep the factor 1).
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"{label}: give multipliers: {{month: factor}} or a table")
    keys = {"path", "code_column", "month_column", "multiplier_column"}
    if "multipliers" in spec:
        if set(spec) & keys:
            raise ConfigError(f"{label}: give either multipliers or a table (path), not both")
        months = _month_mapping(
            spec["multipliers"], f"{label}.multipliers", "a multiplier", MOST_PRESENT
        )
        given = {int(m) for m in spec["multipliers"]}
        months[[m - 1 for m in MONTHS if m not in given]] = 1.0
        return months, {}
    _keys_of(spec, keys | {"multipliers"}, label)
    _keys_of(spec, keys, label, required=keys)
    path = os.path.join(base_dir, spec["path"])
    where = f"{label} ({spec['path']})"
    frame = read_input_table(path, "seasonal table", where, codes=[spec["code_column"]])
    for column in (spec["code_column"], spec["month_column"], spec["multiplier_column"]):
        if column not in frame.columns:
            raise DataError(f"{where}: column {column} not found")
    codes = _zone_codes(frame, spec["code_column"], where)
    month = pd.to_numeric(frame[spec["month_column"]], errors="coerce")
    factor = pd.to_numeric(frame[spec["multiplier_column"]], errors="coerce")
    bad = ~month.isin(MONTHS) | ~np.isfinite(factor) | ~factor.between(0, MOST_PRESENT)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{where}: data row {row + 1} needs a month 1-12 in {spec['month_column']} and a "
            f"multiplier from 0 to {MOST_PRESENT:g} in {spec['multiplier_column']}"
        )
    long = pd.DataFrame({"code": codes, "month": month.astype(np.int64), "factor": factor})
    conflict = long.groupby(["code", "month"])["factor"].transform("nunique") > 1
    if conflict.any():  # the same figure twice is harmless; two figures are a conflict
        code, m = long.loc[conflict].iloc[0][["code", "month"]]
        rows = np.flatnonzero(((long["code"] == code) & (long["month"] == m)).to_numpy())
        raise DataError(
            f"{where}: zone {code}, month {m} has conflicting multipliers in data "
            f"{_rows(rows)} ({', '.join(f'{v:g}' for v in factor.iloc[rows])}); give one "
            "per zone and month"
        )
    per_zone: dict = {}
    for code, m, f in zip(codes, long["month"], factor, strict=True):
        months = per_zone.setdefault(code, np.ones(12))
        months[int(m) - 1] = float(f)
    return None, per_zone


def read_day_night(spec, base_dir: str, label: str) -> pd.DataFrame:
    """The origin–destination table: ``origin, destination, share`` (of the origin's
    residents spending the day in the destination; rows with origin = destination are
    ignored, the rest stay home)."""
    keys = {"path", "origin_column", "destination_column", "share_column"}
    if not isinstance(spec, dict):
        raise ConfigError(f"{label}: give {', '.join(sorted(keys))}")
    _keys_of(spec, keys, label, required=keys)
    path = os.path.join(base_dir, spec["path"])
    where = f"{label} ({spec['path']})"
    frame = read_input_table(
        path,
        "day/night table",
        where,
        codes=[spec["origin_column"], spec["destination_column"]],
    )
    for column in (spec["origin_column"], spec["destination_column"], spec["share_column"]):
        if column not in frame.columns:
            raise DataError(f"{where}: column {column} not found")
    table = pd.DataFrame(
        {
            "origin": _zone_codes(frame, spec["origin_column"], where),
            "destination": _zone_codes(frame, spec["destination_column"], where),
            "share": pd.to_numeric(frame[spec["share_column"]], errors="coerce"),
        }
    )
    bad = table["share"].isna() | (table["share"] < 0) | (table["share"] > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{where}.{spec['share_column']}: data row {row + 1} is not a share 0-1")
    moves = table["origin"] != table["destination"]
    twice = moves & table.duplicated(["origin", "destination"], keep=False)
    if twice.any():  # summed, or the same row twice? Either could be meant: the user says
        first = table[twice].iloc[0]
        pair = (table["origin"] == first["origin"]) & (table["destination"] == first["destination"])
        rows = np.flatnonzero(pair.to_numpy())
        shares = ", ".join(f"{v:g}" for v in table["share"].iloc[rows])
        raise DataError(
            f"{where}: origin {first['origin']}, destination {first['destination']} appears in "
            f"data {_rows(rows)} (shares {shares}); give each pair once, with the share of "
            "the origin's residents who spend the day there"
        )
    table = table[moves]
    leaving = table.groupby("origin")["share"].sum()
    if (leaving > 1 + 1e-9).any():
        code = leaving.index[int(np.flatnonzero((leaving > 1 + 1e-9).to_numpy())[0])]
        raise DataError(f"{where}: the shares leaving zone {code} add up to more than 1")
    return table.reset_index(drop=True)


def daytime_population(residents: np.ndarray, codes: list[str], od: pd.DataFrame, label: str):
    """People present by day in each finest unit: residents who stay plus those who come.

    Parameters
    ----------
    residents : ndarray, shape (n,)
        Residents per finest unit.
    codes : list of str
        Codes of the finest units (the OD table must use them).
    od : DataFrame
        From :func:`read_day_night`.

    Returns
    -------
    ndarray, shape (n,)
        The total is the residents' total (people move, none appear or vanish).

    Raises
    ------
    DataError
        A code that is no finest unit's, a share that is not a number from 0 to 1, or
        shares leaving one zone (for another) that add up to more than 1, as
        :func:`read_day_night` refuses them.
    """
    check_zone_codes(od, codes, label)
    index = {code: i for i, code in enumerate(codes)}
    origin = od["origin"].map(index).to_numpy(np.int64)
    destination = od["destination"].map(index).to_numpy(np.int64)
    share = od["share"].to_numpy(np.float64)
    _check_shares(share, origin, destination, codes, label)
    moving = residents[origin] * share
    day = residents.astype(np.float64).copy()
    np.subtract.at(day, origin, moving)
    np.add.at(day, destination, moving)
    return day


def _check_shares(share, origin, destination, codes, label: str) -> None:
    """Refuse OD shares no :func:`read_day_night` table holds (vectorised: one pass)."""
    bad = ~((share >= 0) & (share <= 1))  # NaN too
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}.share: row {k + 1} ({codes[origin[k]]} to {codes[destination[k]]}) is "
            f"{share[k]:g}, not a share from 0 to 1"
        )
    moves = origin != destination  # a row from a zone to itself moves nobody
    leaving = np.bincount(origin[moves], weights=share[moves], minlength=len(codes))
    if (leaving > 1 + 1e-9).any():
        k = int(np.flatnonzero(leaving > 1 + 1e-9)[0])
        raise DataError(
            f"{label}: the shares leaving zone {codes[k]} add up to {leaving[k]:.6g}, more than "
            "1 (more people would leave than live there)"
        )


def check_zone_codes(od: pd.DataFrame, codes, label: str) -> None:
    """Refuse an origin or destination that is no code of the finest zones.

    ``mecc validate`` calls it with the run's zones, so a table a run would refuse (for a
    hazard with ``impact_time: day``) is refused before the run.

    Raises
    ------
    DataError
    """
    unknown = sorted((set(od["origin"]) | set(od["destination"])) - set(codes))
    if unknown:
        same = [c for c in codes if str(c).casefold() == unknown[0].casefold()]
        close = same or difflib.get_close_matches(unknown[0], list(codes), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"{label}: zone code {unknown[0]!r} is not a code of the finest zone level{hint}"
        )
