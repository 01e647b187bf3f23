"""Event tables of hazard event sets: ``band``, ``frequency`` and the members of events.

Moved out of ``hazards.readers`` (which re-exports :func:`read_events`) to keep that
module small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError, read_input_table

__all__ = ["read_events"]


def read_events(path, n_bands: int, where: str, member_pattern: str | None = None) -> pd.DataFrame:
    """Read an events CSV: columns ``band``, ``frequency`` (per year), optional ``member``.

    Every raster band must appear exactly once. Extra columns are ignored, except an
    ``event_name`` (or ``name``) column, which is kept for the tables. With
    ``member_pattern`` (a regular expression with a ``(?P<member>...)`` group) the member
    of each event is parsed from its name, e.g. ``^\\d{4}_(?P<member>.+)$`` for
    ``YEAR_HYDROMODEL_CLIMATEMODEL`` names.
    """
    table = read_input_table(path, "event table", where, dtype=str, keep_default_na=False)
    for column in ("band", "frequency"):
        if column not in table.columns:
            raise DataError(f"{where}: column {column!r} is missing (need band, frequency)")
    band = pd.to_numeric(table["band"], errors="coerce")
    if band.isna().any() or (band != band.round()).any():
        row = int(np.flatnonzero(band.isna() | (band != band.round()))[0]) + 2
        raise DataError(f"{where}: band on line {row} is not a whole number")
    frequency = pd.to_numeric(table["frequency"], errors="coerce")
    bad = frequency.isna() | ~np.isfinite(frequency) | (frequency <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(
            f"{where}: frequency on line {row} must be a number > 0 (events per year), "
            f"got {table['frequency'].iloc[row - 2]!r}"
        )
    from hazards.catalogue import check_frequencies

    check_frequencies(frequency.to_numpy(np.float64), where, lambda k: f"on line {k + 2}")
    band = band.astype(np.int64)
    if band.duplicated().any():
        raise DataError(f"{where}: band {int(band[band.duplicated()].iloc[0])} is listed twice")
    outside = band[(band < 1) | (band > n_bands)]
    if len(outside):
        raise DataError(
            f"{where}: band {int(outside.iloc[0])} does not exist (the raster has {n_bands} bands)"
        )
    if len(band) != n_bands:
        missing = sorted(set(range(1, n_bands + 1)) - set(band))[:5]
        raise DataError(
            f"{where}: the raster has {n_bands} bands but the table lists {len(band)} "
            f"(missing e.g. {', '.join(map(str, missing))})"
        )
    out = pd.DataFrame({"band": band.to_numpy(), "frequency": frequency.to_numpy(np.float64)})
    if "member" in table.columns and member_pattern is None:
        out["member"] = _member_names(table["member"].astype(str), where, "in column 'member'")
    name_column = next((c for c in ("event_name", "name") if c in table.columns), None)
    if name_column:
        out["event_name"] = table[name_column].astype(str).to_numpy()
    if member_pattern is not None:
        out["member"] = _members_from_names(out.get("event_name"), member_pattern, where)
    return out.sort_values("band", kind="stable").reset_index(drop=True)


def _member_names(members: pd.Series, where: str, source: str) -> np.ndarray:
    """Member names without surrounding spaces (``"model_b "`` is ``model_b``, as a
    spreadsheet cell shows it); a blank one is refused, naming its line."""
    names = members.str.strip()
    blank = names == ""
    if blank.any():
        line = int(np.flatnonzero(blank.to_numpy())[0]) + 2
        raise DataError(
            f"{where}: the member on line {line} is blank ({source}); give each event the "
            "member (model) it comes from, or leave the member column out"
        )
    return names.to_numpy()


def _members_from_names(names, pattern: str, where: str) -> np.ndarray:
    import re

    if names is None:
        raise ConfigError(f"{where}: member_pattern needs an event_name column")
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"member_pattern: not a regular expression ({error})") from None
    if "member" not in regex.groupindex:
        raise ConfigError("member_pattern: needs a (?P<member>...) group")
    members = []
    for line, name in enumerate(names, start=2):
        match = regex.search(name)
        if match is None:
            raise DataError(
                f"{where}: event name {name!r} on line {line} does not match member_pattern"
            )
        members.append(match.group("member") or "")
    return _member_names(pd.Series(members, dtype=str), where, "from member_pattern")
