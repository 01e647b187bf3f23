"""Who the people are: sex × age cohorts, per-zone attributes and household size.

Two ways to say who lives where (DESIGN.md, data model):

- **per-zone shares** (an OCHA COD-PS table, a census table): each zone's people split by
  the zone's shares. Results per cohort are the zone's results times its share, which is
  exact when the shares hold everywhere inside the zone (the only thing such a table can
  say);
- **cohort grids** (WorldPop age/sex structures): per cell, the analysis population is
  split in proportion to the cohort grids, so the cohorts of a cell add up to its people
  exactly (:class:`CohortGrids`). A populated cell where every cohort grid is 0 gets the
  national shares of the cohort grids.

Per-zone attributes (share of people with a disability, share below the poverty line)
overlap the cohorts and each other: they disaggregate a figure, they do not partition it.

Household size per zone (or national) turns people into dwellings: Sendai B-3a/B-4a
count dwellings (reference/sendai_training.md).
"""

from __future__ import annotations

import difflib
import math
import os
import warnings

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError, MeccWarning, read_input_table

__all__ = [
    "SHARE_SUM_TOLERANCE",
    "STANDARD_COHORTS",
    "CohortGrids",
    "cohort_shares",
    "read_zone_table",
    "zone_values",
]

STANDARD_COHORTS = (
    "female_0_14",
    "female_15_64",
    "female_65_plus",
    "male_0_14",
    "male_15_64",
    "male_65_plus",
)
"""The sex × age bands of Sendai disaggregation used by default (0–14, 15–64, 65+ by sex)."""


_TABLES = (
    (".official", "official population table"),
    (".cohorts", "cohort table"),
    (".household_size", "household-size table"),
    (".attributes", "attribute table"),
    (".livelihoods", "livelihood table"),
    (".early_warning", "early-warning table"),
    (".scale_to", "table of target totals"),
)
"""What a per-zone table is, by the run-file key its label names (for messages)."""


_SHARE_TABLES = ("attribute table", "livelihood table", "early-warning table")
"""Tables whose every value is a share of a zone's people (0 to 1): a value above 1 is a
typo (or a percentage), refused in :func:`read_zone_table`."""

SHARE_SUM_TOLERANCE = 0.02
"""How far from 1 a zone's cohort shares may add up to without a warning
(:func:`cohort_shares`): rounding to two decimals in six cohorts moves the sum by up to
0.03 but rarely beyond 0.02."""


def _key(label: str) -> str:
    """The run-file key a label names: ``run.yaml.population.official`` for
    ``"run.yaml.population.official (census.csv)"``."""
    return label.split(" (")[0]


def _what(label: str) -> str:
    key = label.split(" (")[0]  # "run.yaml.population.official (census.csv)"
    return next((what for name, what in _TABLES if key.endswith(name)), "per-zone table")


def _cell(value) -> str:
    """A table cell as a message shows it: as written, never a numpy repr."""
    if isinstance(value, str):
        return repr(value.strip()) if value.strip() else "an empty cell"
    if pd.isna(value):
        return "an empty cell"
    return str(float(value))


def read_zone_table(
    path, code_column: str, columns: list[str], label: str, what: str | None = None
) -> pd.DataFrame:
    """A CSV of numbers per zone, indexed by zone code (text).

    Parameters
    ----------
    path : path
        CSV file (UTF-8, with or without a byte-order mark).
    code_column : str
        The column holding zone codes (P-codes).
    columns : list of str
        Numeric columns to read; each must exist, be a finite number >= 0 in every row.
    label : str
        Names the input in errors (e.g. ``"run.yaml.population.cohorts (shares.csv)"``).
    what : str, optional
        What the table is, for messages (default: from the run-file key in ``label``,
        e.g. "official population table").

    Raises
    ------
    InputFileError, DataError
        Also for a table with a header and no rows, a row without a zone code, a code
        given twice, a share above 1 in a table of shares (attributes, livelihoods,
        early warning).
    ConfigError
        A column name given empty in the run file (``code_column: ""``).
    """
    what = what or _what(label)
    _refuse_empty_names(code_column, columns, label, what)
    frame = read_input_table(path, what, label, codes=[code_column])
    missing = [c for c in [code_column, *columns] if c not in frame.columns]
    if missing:
        raise DataError(
            f"{label}: column(s) {', '.join(missing)} not found (columns: "
            f"{', '.join(map(str, frame.columns))})"
        )
    if frame.empty:
        raise DataError(f"{label}: the {what} has a header but no rows")
    codes = frame[code_column].fillna("").astype(str).str.strip()
    if (codes == "").any():
        row = int(np.flatnonzero((codes == "").to_numpy())[0])
        raise DataError(f"{label}.{code_column}: data row {row + 1} has no zone code")
    duplicated = codes[codes.duplicated()].unique()
    if len(duplicated):
        raise DataError(f"{label}.{code_column}: zone code {duplicated[0]!r} appears twice")
    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    for column in columns:
        bad = ~np.isfinite(values[column]) | (values[column] < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            code = codes.iloc[row]
            text, line = _as_written(path, code_column, column, code, what, label)
            cell = frame[column].iloc[row]  # a number as read; else the text as written
            shown = _cell(cell if text is None or _is_number(cell) else text)
            row_text = f" (row {line} of the file; the header is row 1)" if line else ""
            raise DataError(
                f"{label}.{column}: {shown} for zone {code}{row_text} is not a finite number >= 0"
            )
        above = values[column] > 1
        if what in _SHARE_TABLES and above.any():
            row = int(np.flatnonzero(above.to_numpy())[0])
            raise DataError(
                f"{label}.{column}: {_cell(frame[column].iloc[row])} for zone "
                f"{codes.iloc[row]} (data row {row + 1}) is above 1; shares lie between 0 "
                "and 1 (write 0.25, not 25)"
            )
    values.index = codes.to_numpy()
    return values.astype(np.float64)


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.number) and not pd.isna(value)


def _as_written(path, code_column: str, column: str, code: str, what: str, label: str):
    """``(text, row)`` of the cell of ``column`` in the row of zone ``code``: the text as
    the file writes it (pandas reads ``n/a``, ``NA`` or ``-`` as an empty cell) and the
    row as the file numbers it (the header is row 1, blank lines count); ``(None, None)``
    when the file cannot be read so (messages only: the table was read a moment ago)."""
    try:
        raw = read_input_table(
            path, what, label, codes=[code_column, column], skip_blank_lines=False
        )
    except (DataError, OSError, ValueError):  # (InputFileError is an OSError)
        return None, None
    if code_column not in raw.columns or column not in raw.columns:
        return None, None
    found = np.flatnonzero(raw[code_column].fillna("").astype(str).str.strip().eq(code))
    if len(found) != 1:
        return None, None
    cell = raw[column].iloc[int(found[0])]
    return ("" if pd.isna(cell) else str(cell)), int(found[0]) + 2


def _refuse_empty_names(code_column, columns, label: str, what: str) -> None:
    """Refuse a blank column name in the run file (``code_column: ""``), naming the key:
    the table's message would otherwise show the blank name as nothing."""
    if not str(code_column).strip():
        raise ConfigError(
            f"{_key(label)}.code_column: the column name is empty; give the name of the "
            f"column of zone codes in the {what}{label[len(_key(label)) :]}"
        )
    if columns and any(not str(c).strip() for c in columns):
        many = len(columns) > 1 or what in ("cohort table", "attribute table")
        key, which = (
            ("columns", "a column name is") if many else ("value_column", "the column name is")
        )
        raise ConfigError(
            f"{_key(label)}.{key}: {which} empty; give the name of a column of the "
            f"{what}{label[len(_key(label)) :]}"
        )


def cohort_shares(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Each zone's cohort counts (or shares) as shares that add up to 1.

    A table of shares (more than half of its values at most 1: counts of a zone's people
    are larger) must hold shares: a value above 1 is refused. A zone whose shares add up
    to more than :data:`SHARE_SUM_TOLERANCE` away from 1 is warned of (naming the zones)
    before its shares are renormalised: they then cover another population than the
    zone's people (a missing cohort, a typo).

    Raises
    ------
    DataError
        A value that is not a finite number >= 0 (text, an empty cell, a negative
        count); a zone whose cohorts are all 0; a share above 1 in a table of shares.
    """
    _refuse_bad_values(table, label)
    total = table.sum(axis=1)
    empty = total[total <= 0]
    if len(empty):
        raise DataError(f"{label}: every cohort of zone {empty.index[0]} is 0")
    values = table.to_numpy()
    if values.size and (values <= 1).mean() > 0.5:  # shares, not counts
        above = np.argwhere(values > 1)
        if above.size:
            row, column = (int(i) for i in above[0])
            raise DataError(
                f"{label}.{table.columns[column]}: {values[row, column]:g} for zone "
                f"{table.index[row]} (data row {row + 1}) is a share above 1 in a table of "
                "shares; each share lies between 0 and 1"
            )
        off = total[(total - 1).abs() > SHARE_SUM_TOLERANCE]
        if len(off):
            shown = ", ".join(f"{code} {value:.3g}" for code, value in off.iloc[:5].items())
            warnings.warn(
                f"{label}: the cohort shares of {len(off)} zone(s) do not add up to 1 "
                f"(within {SHARE_SUM_TOLERANCE:g}: {shown}{'…' if len(off) > 5 else ''}); "
                "they are renormalised to add up to 1; check for a missing cohort or a typo",
                MeccWarning,
                stacklevel=2,
            )
    return table.div(total, axis=0)


def _refuse_bad_values(table: pd.DataFrame, label: str) -> None:
    """Refuse a cell of ``table`` that is not a finite number >= 0, as
    :func:`read_zone_table` refuses it (one vectorised pass over the table)."""
    numeric = all(pd.api.types.is_numeric_dtype(dtype) for dtype in table.dtypes)
    numbers = table if numeric else table.apply(pd.to_numeric, errors="coerce")
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{label}.{table.columns[column]}: {_cell(table.iat[row, column])} for zone "
            f"{table.index[row]} (data row {row + 1}) is not a finite number >= 0"
        )


HOUSEHOLD_SIZE = (1.0, 100.0)
"""People per household: a household holds at least one person, and no country's
average comes near 100 (the largest national averages are about 8)."""


def zone_values(spec, base_dir: str, label: str, value_name: str) -> tuple[float | None, dict]:
    """A number given nationally (a scalar) or per zone (``{path, code_column, value_column}``).

    A household size must lie in :data:`HOUSEHOLD_SIZE`; other values must be finite and > 0.

    Returns
    -------
    (national, per_zone)
        ``national`` is the scalar (or None); ``per_zone`` maps zone code to value.
    """
    low, high = HOUSEHOLD_SIZE if value_name == "household size" else (0.0, math.inf)
    bound = f"from {low:g} to {high:g}" if value_name == "household size" else "> 0"

    def plausible(value) -> bool:
        return math.isfinite(value) and low <= value <= high and value > 0

    if isinstance(spec, int | float) and not isinstance(spec, bool):
        if not plausible(spec):
            raise ConfigError(f"{label}: {value_name} must be {bound}, not {spec!r}")
        return float(spec), {}
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{label}: give a number or a mapping with path, code_column and value_column"
        )
    keys = ("path", "code_column", "value_column", "year", "source")
    unknown = sorted(str(k) for k in set(spec) - set(keys))
    if unknown:
        close = difflib.get_close_matches(unknown[0], keys, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; use {', '.join(keys)}"
        raise ConfigError(f"{label}: unknown key {unknown[0]!r}{hint}")
    missing = [k for k in keys[:3] if k not in spec]
    if missing:
        raise ConfigError(f"{label}.{missing[0]}: missing (required)")
    path = os.path.join(base_dir, spec["path"])
    table = read_zone_table(
        path, spec["code_column"], [spec["value_column"]], f"{label} ({spec['path']})"
    )
    values = table[spec["value_column"]]
    wrong = ~values.apply(plausible)
    if wrong.any():
        code = values.index[int(np.flatnonzero(wrong.to_numpy())[0])]
        raise DataError(
            f"{label} ({spec['path']}): {value_name} of zone {code} is "
            f"{values[code]:g}; it must be {bound}"
        )
    return None, values.to_dict()


class CohortGrids:
    """Cohort grids that split the analysis population of each cell.

    Parameters
    ----------
    grids : dict
        Cohort name → a prepared population-like reader (``read(window, out)`` on the
        analysis grid), e.g. :class:`exposure.population.PopulationGrid`.
    totals : dict
        Cohort name → its people on the analysis grid (for the national fallback shares).
    """

    def __init__(self, grids: dict, totals: dict):
        self.names = list(grids)
        self._grids = [grids[name] for name in self.names]
        total = sum(totals.values())
        if not total > 0:
            raise DataError("population.cohorts: the cohort grids hold no people")
        self.national_shares = np.array([totals[name] / total for name in self.names])

    def read(self, window, people: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out[c] = people × grid_c / Σ grids`` (national shares where Σ grids is 0)."""
        for k, grid in enumerate(self._grids):
            grid.read(window, out=out[k])
        raw_total = out.sum(axis=0)
        has_raw = raw_total > 0
        scale = np.divide(people, raw_total, out=np.zeros_like(people), where=has_raw)
        out *= scale
        fallback = ~has_raw & (people > 0)
        if fallback.any():
            out[:, fallback] = self.national_shares[:, None] * people[fallback]
        return out
