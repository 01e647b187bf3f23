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
    """Data rows (0-based positions) as a message names them: "rows 2 and 5", "row 3"."""
    numbers = [str(int(k) + 1) for k in positions]
    if len(numbers) == 1:
        return f"row {numbers[0]}"
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
    ignored, the rest stay home) and ``row``, each pair's data row in the file.

    The frame's ``attrs`` keep the table's name (``where``: the run-file key and the file)
    and its ``columns`` (``origin``, ``destination``, ``share`` -> the file's column), for
    :func:`check_zone_codes` and :func:`daytime_population` to name the file, the column,
    the row and the value of what they refuse.

    Raises
    ------
    DataError
        A missing column, a row without a zone code, a share that is not a number from 0
        to 1 (naming its value), a pair given twice, or shares leaving one zone that add
        up to more than 1 (naming their rows, shares and sum).
    """
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
        given = frame[spec["share_column"]].iloc[row]
        shown = "empty" if pd.isna(given) or not str(given).strip() else repr(given)
        if isinstance(given, int | float | np.number) and not pd.isna(given):
            shown = f"{float(given):g}"
        raise DataError(
            f"{where}.{spec['share_column']}: data row {row + 1} "
            f"({table['origin'].iloc[row]} to {table['destination'].iloc[row]}) is {shown}, "
            "not a share from 0 to 1"
        )
    table["row"] = np.arange(1, len(table) + 1)
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
    table = table[moves].reset_index(drop=True)
    table.attrs = {
        "where": where,
        "columns": {
            "origin": spec["origin_column"],
            "destination": spec["destination_column"],
            "share": spec["share_column"],
        },
    }
    _check_leaving(table, where)
    return table


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
    bad = ~((share >= 0) & (share <= 1))  # NaN too
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{_where(od, label)}.{_column(od, 'share')}: {_row(od, k)} ({codes[origin[k]]} "
            f"to {codes[destination[k]]}) is {share[k]:g}, not a share from 0 to 1"
        )
    _check_leaving(od, _where(od, label))
    moving = residents[origin] * share
    day = residents.astype(np.float64).copy()
    np.subtract.at(day, origin, moving)
    np.add.at(day, destination, moving)
    return day


def _where(od: pd.DataFrame, label: str) -> str:
    """The table's name in messages: the run-file key and the file (:func:`read_day_night`),
    else ``label``."""
    return od.attrs.get("where", label)


def _column(od: pd.DataFrame, name: str) -> str:
    """The file's column holding ``origin``, ``destination`` or ``share``."""
    return od.attrs.get("columns", {}).get(name, name)


def _row(od: pd.DataFrame, k: int) -> str:
    """Position ``k`` as the file's data row ("data row 4"; "row 4" of a frame that was
    not read from a file)."""
    if "row" in od.columns:
        return f"data row {int(od['row'].iloc[k])}"
    return f"row {k + 1}"


def _check_leaving(od: pd.DataFrame, where: str) -> None:
    """Refuse shares leaving one zone (for others) that add up to more than 1, naming
    their rows, shares and sum."""
    moves = (od["origin"] != od["destination"]).to_numpy()
    leaving = od[moves].groupby("origin", sort=False)["share"].sum()
    over = leaving[leaving > 1 + 1e-9]
    if over.empty:
        return
    code = over.index[0]
    rows = np.flatnonzero(moves & (od["origin"] == code).to_numpy())
    if "row" in od.columns:
        named = f"data {_rows(od['row'].iloc[rows].to_numpy() - 1)}"
    else:
        named = _rows(rows)
    shares = " + ".join(f"{v:g}" for v in od["share"].iloc[rows])
    raise DataError(
        f"{where}.{_column(od, 'share')}: the shares leaving zone {code} add up to "
        f"{over.iloc[0]:.6g}, more than 1 (more people would leave than live there): "
        f"{named} ({shares}); the shares of one origin are of its residents and add up "
        "to 1 at most"
    )


def check_zone_codes(od: pd.DataFrame, codes, label: str) -> None:
    """Refuse an origin or destination that is no code of the finest zones.

    ``mecc validate`` calls it with the run's zones, so a table a run would refuse (for a
    hazard with ``impact_time: day``) is refused before the run.

    Raises
    ------
    DataError
        Naming the table (its file, from :func:`read_day_night`), the column, the first
        data row with an unknown code, the code (with the finest unit's code it may mean)
        and how many other unknown codes the table holds.
    """
    known = set(codes)
    unknown = (set(od["origin"]) | set(od["destination"])) - known
    if not unknown:
        return
    out = np.column_stack([~od[side].isin(known).to_numpy() for side in ("origin", "destination")])
    k, s = (int(i) for i in np.argwhere(out)[0])  # the first row, origin before destination
    side = ("origin", "destination")[s]
    code = od[side].iloc[k]
    same = [c for c in codes if str(c).casefold() == str(code).casefold()]
    close = same or difflib.get_close_matches(str(code), list(codes), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    others = len(unknown) - 1
    more = f"; {others} other unknown code{'s' if others > 1 else ''} too" if others else ""
    raise DataError(
        f"{_where(od, label)}.{_column(od, side)}: {_row(od, k)}: zone code {code!r} is not "
        f"a code of the finest zone level{hint}{more}"
    )
